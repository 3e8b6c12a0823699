# docs/ARCHITECTURE.md's tree table matches the tree: one row per directory
# (corpora and Xen scenarios by pattern), no row for a directory that is
# gone, and in a row that names files, every .c/.h file of that directory
# is named and every named file exists.
set -u
src=$UMX_SOURCE_DIR
command -v git >/dev/null && git -C "$src" rev-parse --git-dir >/dev/null 2>&1 ||
	{ echo "SKIP: $src is not a git checkout (the tree is what git tracks)"; exit 77; }
tmp=$(mktemp -d /tmp/umx-tree-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

git -C "$src" ls-files | sed -n 's|/[^/]*$||p' |
	sed 's|^fuzz/corpus/[^/]*$|fuzz/corpus/<name>|; s|^tests/xen/scenarios/[^/]*$|tests/xen/scenarios/<NN-name>|; s|^tests/xen/pending/[^/]*$|tests/xen/pending/<NN-name>|' |
	sort -u | sed 's|$|/|' >"$tmp/tree"
sed -n '/^## Tree/,/^## /p' "$src/docs/ARCHITECTURE.md" | grep '^| `' >"$tmp/rows"
sed 's/^| `\([^`]*\)`.*/\1/' "$tmp/rows" | sort >"$tmp/table"

{
	comm -23 "$tmp/tree" "$tmp/table" | sed 's/.*/&: in the tree, no row in the table/'
	comm -13 "$tmp/tree" "$tmp/table" | sed 's/.*/&: a row in the table, not in the tree/'
	sort "$tmp/table" | uniq -d | sed 's/.*/&: more than one row/'
	while IFS= read -r row; do
		dir=$(echo "$row" | sed 's/^| `\([^`]*\)`.*/\1/')
		case $dir in *'<'*) continue ;; esac
		echo "$row" | sed 's/^| `[^`]*` |//' | grep -o '`[^` ]*`' | tr -d '`' |
			grep -E '\.(c|h|sh|bash|map|in|cmake|md)$|^(init|run)$|\.\*$' >"$tmp/named" || true
		[ -s "$tmp/named" ] || continue
		while IFS= read -r f; do
			case $f in */*) continue ;; esac # a path elsewhere, e.g. docs/...
			ls "$src/$dir"$f >/dev/null 2>&1 || echo "$dir$f: named in the table, not in the tree"
		done <"$tmp/named"
		git -C "$src" ls-files "$dir" | sed -n "s|^$dir\([^/]*\.[ch]\)\$|\1|p" | while IFS= read -r f; do
			hit=0
			while IFS= read -r n; do
				case $f in $n) hit=1 ;; esac
			done <"$tmp/named"
			[ $hit = 1 ] || echo "$dir$f: in the tree, not named in its row"
		done
	done <"$tmp/rows"
} | sed 's/^/FAIL: /' >"$tmp/fails"
if [ -s "$tmp/fails" ]; then
	cat "$tmp/fails"
	exit 1
fi
echo "tree: $(wc -l <"$tmp/table") directories, table and tree agree"
