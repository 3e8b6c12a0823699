#!/bin/sh
# Build the boot image of the Xen harness from an unpacked package root.
# Usage: mkimage.sh ROOT OUT SCENARIO_DIR [UMX_BUILD_DIR]
# Writes OUT/xen (Xen as a plain ELF for QEMU's multiboot loader),
# OUT/vmlinuz, OUT/domU.cpio.gz (the image a PV domU boots) and
# OUT/dom0.cpio.gz (the same image plus /boot/domU.cpio.gz, so dom0 can
# `xl create` a domU from its own initramfs).
# umx binaries come from UMX_BUILD_DIR (tools/umx, daemon/umxd, and every
# path a scenario lists in its `needs` file), each with its shared libraries.
set -eu
root=$1 out=$2 scen=$3 umxbuild=${4:-}
here=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "xen-harness: ERROR: $*" >&2; exit 1; }
for t in cpio gzip ldd objcopy; do
  command -v $t >/dev/null 2>&1 || die "'$t' not found (run 'make deps')"
done

kver=$(ls "$root/lib/modules" | head -n1)
[ -n "$kver" ] && [ -f "$root/boot/vmlinuz-$kver" ] || die "no kernel in $root"
[ -f "$root/boot/xen-4.17-amd64.gz" ] || die "no Xen hypervisor in $root"

rm -rf "$out"
mkdir -p "$out"
img="$out/root"
mkdir -p "$img"/bin "$img"/sbin "$img"/usr/bin "$img"/usr/sbin "$img"/lib/modules \
  "$img"/lib64 "$img"/lib/x86_64-linux-gnu "$img"/etc/xen "$img"/proc "$img"/sys \
  "$img"/dev "$img"/run "$img"/tmp "$img"/var/lib/xen "$img"/var/lib/xenstored \
  "$img"/var/log/xen/console "$img"/boot "$img"/umx/bin "$img"/umx/lib
ln -s ../run "$img/var/run"

gunzip -c "$root/boot/xen-4.17-amd64.gz" > "$out/xen"
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"

cp "$root/bin/busybox" "$img/bin/busybox"
: > "$img/etc/xen/xl.conf"
cp "$here/init" "$img/init"
chmod 755 "$img/init"

# Xen's userspace: the tools, and every library of the packages.
xbin="$root/usr/lib/xen-4.17/bin"
mkdir -p "$img/usr/lib/xen-4.17/bin"
for b in xl xenstored xenconsoled xen-init-dom0 vchan-socket-proxy lsevtchn \
         xenstore-control; do
  cp "$xbin/$b" "$img/usr/lib/xen-4.17/bin/"
done
cp "$root/usr/bin/xenstore" "$img/usr/bin/xenstore"
for b in read write ls list rm exists chmod watch; do
  ln -sf xenstore "$img/usr/bin/xenstore-$b"
done
cp -a "$root/usr/lib/x86_64-linux-gnu/." "$img/lib/x86_64-linux-gnu/"

# umx's own binaries: the defaults plus whatever the scenarios need.
umx_list=""
if [ -n "$umxbuild" ]; then
  [ -d "$umxbuild" ] || die "umx build directory $umxbuild does not exist"
  for b in tools/umx daemon/umxd; do
    [ -x "$umxbuild/$b" ] && umx_list="$umx_list $umxbuild/$b"
  done
fi
for s in "$scen"/*/; do
  # A scenario with no half would pass without running anything.
  [ -f "$s/dom0" ] || [ -f "$s/domU" ] ||
    die "scenario $(basename "$s") has neither a dom0 nor a domU script"
  [ -f "$s/needs" ] || continue
  for b in $(sed 's/#.*//' "$s/needs"); do
    [ -n "$umxbuild" ] && [ -x "$umxbuild/$b" ] ||
      die "scenario $(basename "$s") needs '$b' from the umx build (UMX_BUILD_DIR=${umxbuild:-unset}); build it with 'make build-gcc' (test programs need -DUMX_TESTS=ON; the libxenvchan peers need Debian's libxen-dev and libxenmisc4.17: 'make deps')"
    umx_list="$umx_list $umxbuild/$b"
  done
done
for b in $umx_list; do cp "$b" "$img/umx/bin/"; done

# Shared libraries of every ELF we ship, resolved against the package
# libraries first, then the host's (same Debian release).
export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu${umxbuild:+:$umxbuild/lib}"
elfs=$(find "$img/usr/lib/xen-4.17/bin" "$img/umx/bin" -type f; echo "$img/usr/bin/xenstore")
need=$(for e in $elfs; do ldd "$e" 2>/dev/null || true; done)
if printf '%s\n' "$need" | grep -q 'not found'; then
  printf '%s\n' "$need" | grep 'not found' >&2
  die "shared libraries missing on the host for the boot image"
fi
for lib in $(printf '%s\n' "$need" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u); do
  case "$lib" in
    "$root"/*) ;;  # already copied with the packages
    "$umxbuild"/*) cp -L "$lib" "$img/umx/lib/" ;;
    *) cp -L "$lib" "$img/lib/x86_64-linux-gnu/" ;;
  esac
done
cp -L /lib64/ld-linux-x86-64.so.2 "$img/lib64/"
# glibc dlopens libgcc_s for pthread_cancel (xl aborts without it).
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$img/lib/x86_64-linux-gnu/"

# Kernel modules, in load order (dependencies first, from .modinfo).
mods="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback xen-netback
xen-blkfront xen-netfront tun veth"
kmod="$root/lib/modules/$kver/kernel"
modpath() {
  find "$kmod" \( -name "$1.ko" -o -name "$(echo "$1" | tr - _).ko" \) | head -n1
}
deps_of() {
  objcopy -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null |
    tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}
order=""
add_mod() {
  case " $order " in *" $1 "*) return 0 ;; esac
  p=$(modpath "$1")
  [ -n "$p" ] || die "kernel module $1 not found in $kver"
  for d in $(deps_of "$p"); do add_mod "$(echo "$d" | tr _ -)"; done
  p=$(modpath "$1")
  cp "$p" "$img/lib/modules/$1.ko"
  order="$order $1"
}
for m in $mods; do add_mod "$m"; done
echo $order > "$img/lib/modules/order"

# Scenarios, and in /harness the helpers they source.
mkdir -p "$img/scenarios" "$img/harness"
cp "$here/lib/guest/"*.sh "$img/harness/"
# XEN_GUEST_ENV="VAR=value ...": exported to every scenario, both domains.
for kv in ${XEN_GUEST_ENV:-}; do
  case "$kv" in [A-Za-z_]*=*) echo "export $kv" ;; *) die "XEN_GUEST_ENV: '$kv' is not VAR=value" ;; esac
done > "$img/harness/env"
for s in "$scen"/*/; do
  [ -d "$s" ] || continue
  cp -a "$s" "$img/scenarios/$(basename "$s")"
done

(cd "$img" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$out/domU.cpio.gz"
mkdir -p "$out/extra/boot"
cp "$out/domU.cpio.gz" "$out/extra/boot/domU.cpio.gz"
# The domU's kernel: the bzImage's payload as a gzip'd ELF when it can be
# found (xz inflates several seconds slower than zlib inside dom0 under
# TCG; libxenguest takes either), else the bzImage itself.
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$out/vmlinuz" | head -n1 | cut -d: -f1 || true)
if [ -n "$off" ] && command -v xz >/dev/null 2>&1 &&
   tail -c +$((off + 1)) "$out/vmlinuz" | xz -dc 2>/dev/null > "$out/vmlinux" ;
   [ -s "$out/vmlinux" ] && [ "$(head -c 4 "$out/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ]; then
  gzip -1 -c "$out/vmlinux" > "$out/extra/boot/vmlinuz"
else
  cp "$out/vmlinuz" "$out/extra/boot/vmlinuz"
fi
rm -f "$out/vmlinux"
(cd "$out/extra" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$out/extra.cpio.gz"
cat "$out/domU.cpio.gz" "$out/extra.cpio.gz" > "$out/dom0.cpio.gz"
rm -rf "$img" "$out/extra" "$out/extra.cpio.gz"
