#!/bin/bash
# The differential campaign of docs/difftest.md against OPA v0.47, in chunks
# of at most 1,200 cases, one node process at a time, at low priority.
# Usage: campaign.sh OUTDIR [COCOON [SOURCE:SEED:COUNT ...]]
# Each chunk writes OUTDIR/<source>-<seed>.{txt,jsonl} (a chunk already done
# is skipped, so an interrupted campaign resumes); summary.py totals them.
set -u
out=${1:?usage: campaign.sh OUTDIR [COCOON [SOURCE:SEED:COUNT ...]]}
cocoon=${2:-build/src/cocoon/cocoon}
shift $(($# < 2 ? $# : 2))
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
run() {  # source seed count
	[ -s "$out/$1-$2.jsonl" ] && return 0
	echo "$(date -u +%T) $1 seed $2 count $3" >&2
	nice -n 10 python3 "$here/difftest.py" --source "$1" --seed "$2" --count "$3" --jobs 1 \
		--cocoon "$cocoon" --report "$out/$1-$2.txt" --results "$out/$1-$2.jsonl.tmp" >/dev/null
	mv "$out/$1-$2.jsonl.tmp" "$out/$1-$2.jsonl"
}
# the 2026-11-23 campaign (docs/difftest.md "Runs"): bi seeds 101-104 with
# the first version of bigen.py (commit 0bc47aa), the rest with the second
set -- "${@:-bi:101:1000 bi:102:1000 bi:103:1000 bi:104:1000 gen:51:700 opa:61:1200 gen:52:700 kata:71:600 bi:201:1000 gen:53:700 gen:54:700 gen:55:700 bi:202:1000}"
for r in $*; do
	IFS=: read -r src seed count <<<"$r"
	run "$src" "$seed" "$count"
done
python3 "$here/summary.py" "$out"/*.jsonl
