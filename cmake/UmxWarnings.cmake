# Warnings are errors on both gcc and clang; the sanitizer build is the one
# the test suite runs under.
add_compile_options(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
                    -Wmissing-prototypes -Wno-unused-parameter -fno-strict-aliasing)

if(UMX_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()

if(UMX_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "UMX_FUZZ needs clang (libFuzzer): configure with CC=clang")
  endif()
  # Coverage for the library code too, so the fuzzer sees into the parsers.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
