#!/bin/sh
# Install the Debian packages a target needs: `deps.sh demo` what `make demo`
# needs (the optimised build and the programs its story runs), `deps.sh`
# (all) everything build, tests, lint, the Xen harness and benchmarks need.
# Idempotent: installs only what is missing, runs `apt-get update` once.
set -eu
BUILD="cmake ninja-build pkg-config gcc make libxen-dev libseccomp-dev libslirp-dev
liblwip-dev liburing-dev libpcap-dev"
case "${1:-all}" in
demo) PKGS="$BUILD xenstore-utils curl iproute2 procps coreutils" ;;
all) PKGS="$BUILD clang libclang-rt-14-dev libxenmisc4.17 xenstore-utils libcmocka-dev
xen-utils-4.17
iproute2 iputils-ping curl socat jq tcpdump clang-format clang-tidy cppcheck procps
qemu-system-x86 busybox-static cpio gzip binutils" ;;
*) echo "usage: deps.sh [demo|all]" >&2; exit 2 ;;
esac
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
