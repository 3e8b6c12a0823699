#!/bin/sh
# make lint: formatting, clang-tidy over the build's compile commands, cppcheck.
# Exits non-zero on the first tool that finds anything.
set -eu
build=$1
echo "== clang-format"
git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror
srcs=$(git ls-files 'lib/*.c' 'daemon/*.c' 'tools/*.c' 'devices/*.c' 'compat/*.c')
echo "== clang-tidy ($(echo "$srcs" | wc -w) files)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086
if ! clang-tidy -p "$build" --quiet $srcs >"$out" 2>&1; then
	grep -v 'warnings generated' "$out"
	exit 1
fi
echo "== cppcheck"
# shellcheck disable=SC2086
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
	--inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -I include $srcs
echo "lint: clean"
