#!/bin/sh
# make lint: formatting, clang-tidy over the build's compile commands, cppcheck.
set -eu
build=$1
files=$(git ls-files '*.c' '*.h')
echo "== clang-format"
clang-format --dry-run -Werror $files
echo "== clang-tidy"
srcs=$(git ls-files 'lib/*.c' 'daemon/*.c' 'daemon/**/*.c' 'tools/*.c' 'devices/**/*.c' 'compat/**/*.c')
# shellcheck disable=SC2086
clang-tidy -p "$build" --quiet $srcs 2>&1 | grep -v 'warnings generated' || true
clang-tidy -p "$build" --quiet $srcs >/dev/null 2>&1
echo "== cppcheck"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
  --inline-suppr --suppress=missingIncludeSystem -I include $srcs
echo "lint: clean"
