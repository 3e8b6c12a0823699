#!/bin/sh
# Install every Debian package that build, tests, demo and benchmarks need.
# Idempotent: installs only what is missing, runs `apt-get update` once.
set -eu
PKGS="cmake ninja-build pkg-config gcc clang libclang-rt-14-dev make
libxen-dev libxenmisc4.17 xenstore-utils libcmocka-dev liburing-dev libslirp-dev
libseccomp-dev
liblwip-dev iproute2 iputils-ping curl
clang-format clang-tidy cppcheck procps
qemu-system-x86 busybox-static cpio gzip binutils"
missing=""
for p in $PKGS; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "umx: missing Debian packages. Run as root:" >&2
  echo "  apt-get update && apt-get install -y$missing" >&2
  exit 1
fi
echo "umx: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
