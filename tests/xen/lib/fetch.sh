#!/bin/sh
# Fetch and unpack the Debian packages of the Xen boot image into a cache.
# Usage: fetch.sh CACHE_DIR    -> prints the unpacked root on stdout.
# Nothing is installed on the host: `apt-get download` + `dpkg -x` only.
# The .deb files are kept in CACHE_DIR/debs (their names carry the version);
# the unpacked tree CACHE_DIR/root-<hash of the deb names> is reused as long
# as no version changes, and older trees are removed.
set -eu
cache=$1
mkdir -p "$cache/debs"
cache=$(cd "$cache" && pwd)
log() { echo "xen-harness: $*" >&2; }
die() { echo "xen-harness: ERROR: $*" >&2; exit 1; }
# refresh_or_die MSG: missing or stale apt lists; as root, run apt-get update
# once and start over, else fail with MSG.
refresh_or_die() {
  if [ "$(id -u)" = 0 ] && [ -z "${UMX_XEN_APT_REFRESHED:-}" ]; then
    log "$1; running apt-get update once"
    export UMX_XEN_APT_REFRESHED=1
    apt-get update -qq >&2 || die "apt-get update failed"
    exec sh "$0" "$cache"
  fi
  die "$1 (run 'apt-get update')"
}

# One fetch at a time per cache (parallel `make test`s share build/).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  flock 9
fi

for t in apt-get apt-cache dpkg dpkg-deb; do
  command -v $t >/dev/null 2>&1 || die "'$t' not found: the harness needs a Debian host"
done

# The kernel linux-image-amd64 points to (a versioned package name).
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
if [ -z "$kpkg" ]; then
  # No apt lists: fall back to a kernel already in the cache.
  kpkg=$(ls "$cache/debs" 2>/dev/null | sed -n 's/^\(linux-image-[0-9][^_]*-amd64\)_.*/\1/p' |
         sort -V | tail -n1)
fi
[ -n "$kpkg" ] || refresh_or_die "cannot resolve linux-image-amd64"

PKGS="xen-hypervisor-4.17-amd64 $kpkg xen-utils-4.17 libxenmisc4.17 libxenstore4
libxengnttab1 libxenevtchn1 libxencall1 libxenforeignmemory1 libxentoollog1
libxentoolcore1 libxendevicemodel1 libxenhypfs1 libyajl2 xenstore-utils busybox-static"

# One apt-cache call for all candidate versions ("pkg version" lines).
vers=$(apt-cache policy $PKGS 2>/dev/null |
       awk '/^[^ ]/ { sub(":$", ""); p = $0 } /^ *Candidate:/ { print p, $2 }')
debs=""
for p in $PKGS; do
  ver=$(printf '%s\n' "$vers" | awk -v p="$p" '$1 == p { print $2; exit }')
  f=""
  if [ -n "$ver" ] && [ "$ver" != "(none)" ]; then
    # apt-get download names files pkg_version_arch.deb with ':' as %3a.
    fver=$(printf '%s' "$ver" | sed 's/:/%3a/g')
    for c in "$cache/debs/${p}_${fver}_"*.deb; do [ -f "$c" ] && f=$c; done
    if [ -z "$f" ]; then
      log "downloading $p $ver"
      if ! (cd "$cache/debs" && apt-get download -q=2 "$p=$ver" >/dev/null 2>"$cache/debs/.err"); then
        # Stale apt lists name versions the mirror no longer has.
        cat "$cache/debs/.err" >&2
        refresh_or_die "apt-get download $p=$ver failed"
      fi
      for c in "$cache/debs/${p}_${fver}_"*.deb; do [ -f "$c" ] && f=$c; done
    fi
  else
    # Not known to apt (no lists, offline): use the newest cached copy.
    for c in "$cache/debs/${p}_"*.deb; do [ -f "$c" ] && f=$c; done
  fi
  [ -n "$f" ] || refresh_or_die "package $p: not in the apt lists and not cached"
  debs="$debs $f"
done

key=$(for f in $debs; do basename "$f"; done | sort | sha256sum | cut -c1-16)
root="$cache/root-$key"
if [ ! -f "$root/.complete" ]; then
  log "unpacking $(echo $debs | wc -w) packages into $root"
  rm -rf "$root" "$root.tmp"
  mkdir -p "$root.tmp"
  for f in $debs; do dpkg -x "$f" "$root.tmp"; done
  for f in $debs; do basename "$f"; done > "$root.tmp/.complete"
  mv "$root.tmp" "$root"
  for old in "$cache"/root-*; do
    [ "$old" = "$root" ] || rm -rf "$old"
  done
fi
# Keep only the current .deb files.
for f in "$cache/debs/"*.deb; do
  grep -qxF "$(basename "$f")" "$root/.complete" || rm -f "$f"
done
echo "$root"
