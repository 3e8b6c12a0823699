#!/bin/sh
# `disk = [ ... ]` in a config file (and `umx run --disk`) gives the domain
# a vbd at start, in xl's syntax: positional FILE,VDEV,ACCESS or keys; the
# domain reads the image's bytes through it (xvdb is devid 51728); a
# read-only disk refuses a write; a backend that does not serve the file
# fails the start with its reason; bad specs are refused with the part
# that is wrong, naming file and line.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-create-disk
fail() { umx_fail_logs "$@"; }
out="$dir/out"
umxd_start "$dir"

# The images live outside $dir: umx's directory is hidden from domains.
disk=$(mktemp /tmp/umx-create-disk-XXXXXX)
other=$(mktemp /tmp/umx-create-disk-XXXXXX)
cleanup_extra() { rm -f "$disk" "$other"; }
head -c 1048576 /dev/urandom >"$disk"
truncate -s 1M "$other"

# blk serve opens the image, then becomes the sandboxed backend domain.
"$UMX" blk serve --name bk "$disk" 2>"$dir/bk.log" &
pids="$pids $!"
domid bk >/dev/null

# 1. positional, xvdb, writable: the domain reads 64 KiB at 4096 and they
# are the image's bytes.
cat >"$dir/d.cfg" <<CFG
name = "dfe"
command = [ "$UMX", "blk", "io", "51728", "read", "4096", "65536" ]
disk = [ "$disk,xvdb,w,backend=bk" ]
CFG
"$UMX" create -F "$dir/d.cfg" >"$dir/read.bin" 2>"$dir/dfe.log" || fail "create with a disk"
dd if="$disk" bs=4096 skip=1 count=16 2>/dev/null | cmp - "$dir/read.bin" ||
	fail "the domain did not read the image's bytes"

# 2. keys, read-only, through umx run --disk: a write is refused.
if "$UMX" run --name dro --disk "target=$disk,vdev=xvda,access=ro,backend=bk" -- \
	"$UMX" blk io 51712 write 0 <"$dir/read.bin" 2>"$dir/dro.log"; then
	fail "a write to a read-only disk succeeded"
fi
grep -q "Read-only file system" "$dir/dro.log" || fail "read-only write: no reason given"

# 3. a file the backend does not serve: the start fails, saying why.
if "$UMX" run --name dno --disk "$other,xvda,backend=bk" -- sleep 30 2>"$out"; then
	fail "a disk the backend does not serve was accepted"
fi
grep -q "disk $other: domain [0-9]* refused it" "$out" || fail "refusal: $(cat "$out")"
"$UMX" list | awk '$2 == "dno" { exit 1 }' || fail "the refused domain still runs"

# 4. bad specs: named by file and line, the wrong part said.
check_bad() { # SPEC EXPECTED
	printf 'command = [ "true" ]\ndisk = [ "%s" ]\n' "$1" >"$dir/bad.cfg"
	"$UMX" create "$dir/bad.cfg" 2>"$out" && fail "accepted: $1"
	grep -qF "bad.cfg:2: disk '$1': $2" "$out" || fail "'$1': $(cat "$out")"
}
check_bad "/x.img,hda,backend=bk" "vdev is xvda..xvdz"
check_bad "/x.img,xvda,rx,backend=bk" "access is w, rw, r or ro"
check_bad "/x.img,format=qcow2,backend=bk" "format: only raw"
check_bad "phy:/dev/sda,xvda,backend=bk" "only image files"
check_bad "vdev=xvda,backend=bk" "no target"
check_bad "/x.img,xvda,w,w,backend=bk" "too many positional parts"
check_bad "/x.img,colour=red,backend=bk" "keys are target, vdev"
"$UMX" run --disk "/x.img" -- true 2>"$out" && fail "run --disk without a backend"
grep -q "umx run: disk '/x.img': no backend=DOMAIN" "$out" || fail "run --disk: $(cat "$out")"
echo "PASS"
