#!/bin/sh
# scripts/attack_table.sh FILE — the Markdown table of a `umx attack --json`
# report, for docs/SECURITY.md: FILE is the report, or a log that holds one
# between UMX-ATTACK-JSON-BEGIN and UMX-ATTACK-JSON-END lines (what a Xen
# harness scenario prints from dom0). One row per attack, in run order.
set -eu
[ $# = 1 ] || { echo "usage: $0 REPORT.json|HARNESS.log" >&2; exit 2; }
if grep -q UMX-ATTACK-JSON-BEGIN "$1"; then
	report=$(sed -n '/UMX-ATTACK-JSON-BEGIN/,/UMX-ATTACK-JSON-END/p' "$1")
else
	report=$(cat "$1")
fi
echo "| attack | class | verdict | evidence | a correct target |"
echo "|---|---|---|---|---|"
# Each result is one line: {"attack": .., "class": .., "verdict": ..,
# "evidence": .., "expect": .., "ms": ..} (tools/attack/report.c).
# shellcheck disable=SC2016 # the backquotes are Markdown, not a command
echo "$report" | sed -n -E 's/^.*\{"attack": "([^"]*)", "class": "([^"]*)", "verdict": "([^"]*)", "evidence": "((\\.|[^"\\])*)", "expect": "((\\.|[^"\\])*)", "ms": [0-9]+\}.*$/| `\1` | \2 | **\3** | \4 | \6 |/p' |
	sed 's/\\"/"/g; s/\\\\/\\/g'
