# Every dependency comes from Debian; `make deps` installs them. A missing
# one is a configure error that names the package, never a silent skip.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

function(umx_require_header header package)
  find_path(_umx_hdr_${package} ${header})
  if(NOT _umx_hdr_${package})
    message(FATAL_ERROR "${header} not found: install Debian package '${package}' (make deps)")
  endif()
endfunction()

umx_require_header(xen/io/ring.h libxen-dev)
umx_require_header(xen/grant_table.h libxen-dev)
umx_require_header(xen/io/xs_wire.h libxen-dev)

# The domain sandbox's seccomp filter (lib/sandbox.c).
pkg_check_modules(SECCOMP IMPORTED_TARGET libseccomp)
if(NOT SECCOMP_FOUND)
  message(FATAL_ERROR "libseccomp not found: install Debian package 'libseccomp-dev' (make deps)")
endif()

# blkback's io_uring engine (devices/blk/back_uring.c).
pkg_check_modules(URING IMPORTED_TARGET GLOBAL liburing)
if(NOT URING_FOUND)
  message(FATAL_ERROR "liburing not found: install Debian package 'liburing-dev' (make deps)")
endif()

# umx net capture writes pcap files through libpcap (tools/cmd_capture.c).
pkg_check_modules(PCAP IMPORTED_TARGET libpcap)
if(NOT PCAP_FOUND)
  message(FATAL_ERROR "libpcap not found: install Debian package 'libpcap-dev' (make deps)")
endif()

if(UMX_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
