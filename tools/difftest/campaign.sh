#!/bin/bash
# The differential campaign of docs/difftest.md: about 10,000 cases against
# OPA v0.47, in chunks of at most 1,200 cases, one node process at a time,
# at low priority.  Usage: campaign.sh OUTDIR [COCOON]
# Each chunk writes OUTDIR/<source>-<seed>.{txt,jsonl}; summary.py totals them.
set -u
out=${1:?usage: campaign.sh OUTDIR [COCOON]}
cocoon=${2:-build/src/cocoon/cocoon}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
run() {  # source seed count
	[ -s "$out/$1-$2.jsonl" ] && return 0    # done in an earlier run
	echo "$(date -u +%T) $1 seed $2 count $3" >&2
	nice -n 10 python3 "$here/difftest.py" --source "$1" --seed "$2" --count "$3" --jobs 1 \
		--cocoon "$cocoon" --report "$out/$1-$2.txt" --results "$out/$1-$2.jsonl.tmp" >/dev/null
	mv "$out/$1-$2.jsonl.tmp" "$out/$1-$2.jsonl"
}
for s in 101 102 103 104 105; do run bi $s 1000; done
for s in 51 52 53 54 55; do run gen $s 700; done
run opa 61 1200
run kata 71 600
python3 "$here/summary.py" "$out"/*.jsonl
