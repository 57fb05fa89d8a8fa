#!/usr/bin/env bash
# Runs one fuzz target (or all) under libFuzzer with ASan+UBSan
# (docs/fuzzing.md).
#
# Usage: bash scripts/fuzz.sh NAME|all [SECONDS]   (default 60 seconds each)
#   NAME is a target listed in fuzz/meson.build (fuzz/fuzz_NAME.c).
#
# Builds build-fuzz/ with clang-14 (-Dfuzzing=true, the library instrumented
# with -fsanitize=fuzzer-no-link,address,undefined), then runs
# build-fuzz/fuzz/fuzz-NAME on build-fuzz/corpus-NAME/, a scratch corpus that
# starts as a copy of fuzz/corpus/NAME/ and keeps what earlier runs found.
# The repository's corpus is never written. Crashes go to
# build-fuzz/crashes-NAME/. Prints executions, execs/s and new inputs; exits
# non-zero on a crash.
# Environment: FUZZ_CC (default clang-14), FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
}

if (($# < 1 || $# > 2)) || [[ $1 == -h || $1 == --help ]]; then
	usage
	(($# >= 1)) && [[ $1 == -h || $1 == --help ]] && exit 0
	exit 2
fi
name=$1
seconds=${2:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
	echo "fuzz.sh: SECONDS must be a positive integer, not '$seconds'" >&2
	exit 2
fi

# The target list is the fuzz_targets array in fuzz/meson.build.
mapfile -t all_targets < <(sed -n '/^fuzz_targets = \[/,/^\]/p' fuzz/meson.build |
	grep -o "^ *'[a-z0-9_]*'" | tr -d " '")
if [[ $name == all ]]; then
	targets=("${all_targets[@]}")
else
	found=0
	for t in "${all_targets[@]}"; do [[ $t == "$name" ]] && found=1; done
	if ((found == 0)); then
		echo "fuzz.sh: no target '$name'; targets: ${all_targets[*]}" >&2
		exit 2
	fi
	targets=("$name")
fi

bash scripts/deps.sh

dir=build-fuzz
cc=${FUZZ_CC:-clang-14}
opts=(
	-Dbuildtype=debugoptimized
	-Dfuzzing=true
	-Dtests=false
	-Dwerror=false
	"-Db_sanitize=address,undefined"
	-Db_lundef=false
	"-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
)
# --reconfigure keeps option values, so a default that meson_options.txt
# changed since (a new builtin group) would never reach an old build dir:
# its fuzz-rego_<group> would be built against an engine without the
# group and fuzz nothing. Such a dir is wiped (scratch corpora and crash
# files with it; the corpora start again from fuzz/corpus/).
if [[ -f $dir/meson-private/coredata.dat && ! meson_options.txt -nt $dir/meson-private/coredata.dat ]]; then
	CC=$cc meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
elif [[ -f $dir/meson-private/coredata.dat ]]; then
	CC=$cc meson setup --wipe "$dir" "${opts[@]}" >/dev/null
else
	CC=$cc meson setup "$dir" "${opts[@]}" >/dev/null
fi
meson compile -C "$dir"

# ASan/UBSan settings for the fuzzer; LeakSanitizer as in scripts/test.sh.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# fuzz_stat NAME LOG: the value of libFuzzer's -print_final_stats line.
fuzz_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

status=0
for t in "${targets[@]}"; do
	bin=$dir/fuzz/fuzz-$t
	if [[ ! -x $bin ]]; then
		echo "fuzz.sh: $t: fuzz/fuzz_$t.c does not exist yet, skipped" >&2
		continue
	fi
	scratch=$dir/corpus-$t
	crashes=$dir/crashes-$t
	mkdir -p "$scratch" "$crashes"
	if [[ -d fuzz/corpus/$t ]]; then
		cp -n fuzz/corpus/"$t"/* "$scratch"/ 2>/dev/null || true
	fi
	seeds=$(find "$scratch" -maxdepth 1 -type f | wc -l)
	dict=()
	[[ -f fuzz/$t.dict ]] && dict=("-dict=fuzz/$t.dict")
	log=$dir/fuzz-$t.log
	echo "==> fuzz $t for ${seconds}s: corpus $scratch ($seeds inputs), log $log"
	rc=0
	start=$SECONDS
	# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
	"$bin" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$crashes/" "${dict[@]}" ${FUZZ_ARGS:-} \
		"$scratch" >"$log" 2>&1 || rc=$?
	elapsed=$((SECONDS - start))
	execs=$(fuzz_stat number_of_executed_units "$log")
	newu=$(fuzz_stat new_units_added "$log")
	rss=$(fuzz_stat peak_rss_mb "$log")
	# libFuzzer's own rate when it printed one (not after a crash).
	rate=$(fuzz_stat average_exec_per_sec "$log")
	if [[ ! $rate =~ ^[1-9][0-9]*$ && $execs =~ ^[0-9]+$ ]]; then
		rate=$((execs / (elapsed > 0 ? elapsed : 1)))
	fi
	now=$(find "$scratch" -maxdepth 1 -type f | wc -l)
	echo "fuzz $t: ${execs:-?} execs in ${elapsed}s ($rate exec/s)," \
		"new units ${newu:-?}, corpus $seeds -> $now, peak RSS ${rss:-?} MB"
	if ((rc != 0)); then
		echo "fuzz $t: FAILED (exit $rc); from $log:" >&2
		grep -m 1 -A 30 -E 'ERROR: |runtime error:|deadly signal|out-of-memory|timeout' "$log" >&2 || tail -n 30 "$log" >&2
		grep -E '^artifact_prefix=|Test unit written' "$log" >&2 || true
		echo "reproduce: $bin CRASH_FILE" >&2
		status=1
	fi
done
exit "$status"
