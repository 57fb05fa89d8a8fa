#!/usr/bin/env bash
# The README's test command: installs what is needed, builds, and runs every
# test twice, in a normal build (build/) and in an ASan+UBSan build
# (build-asan/), then the lint script. Ends with one line
# "N passed, N failed" (both runs plus lint) and exits non-zero if anything
# failed.
#
# Usage: bash scripts/test.sh [--quick]
#   --quick   skip the ASan+UBSan run (local iteration)
# Environment: ASAN_CC (default clang-14) picks the sanitizer build's compiler.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

quick=0
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	-h | --help)
		sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "test.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

total_pass=0
total_fail=0
total_skip=0
failed_what=()

note() { printf '\n==> %s\n' "$*"; }

# count_fail LABEL: one failure that is not a meson test (build, lint).
count_fail() {
	total_fail=$((total_fail + 1))
	failed_what+=("$1")
}

# setup_dir DIR [meson options...]: configures DIR, reconfiguring an
# existing one (a fresh start if $CC changed or reconfiguring fails).
setup_dir() {
	local dir=$1 stamp=$1/.cocoon-cc
	shift
	# meson keeps an existing directory's option values on --reconfigure, so
	# a default that meson_options.txt changed (a new builtin group) would
	# not reach it: such a directory starts fresh
	if [[ -f $dir/meson-private/coredata.dat && $(cat "$stamp" 2>/dev/null) == "${CC:-default}" &&
		! meson_options.txt -nt $dir/meson-private/coredata.dat ]]; then
		meson setup --reconfigure "$dir" "$@" || meson setup --wipe "$dir" "$@" || return 1
	else
		rm -rf "$dir"
		meson setup "$dir" "$@" || return 1
	fi
	echo "${CC:-default}" >"$stamp"
}

# tally DIR LABEL MESON_TEST_RC: adds the results in DIR's testlog.json
# to the totals. OK and EXPECTEDFAIL pass; SKIP is counted apart; every
# other result (FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, INTERRUPT) fails.
tally() {
	local dir=$1 label=$2 rc=$3 log=$1/meson-logs/testlog.json counts p f s
	if [[ ! -s $log ]]; then
		if ((rc != 0)); then
			count_fail "meson test ($label)"
		else
			echo "test.sh: $label: no tests ran"
		fi
		return
	fi
	counts=$(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
names = []
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        line = line.strip()
        if not line:
            continue
        res = json.loads(line).get("result", "ERROR")
        if res in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif res == "SKIP":
            s += 1
        else:
            f += 1
print(p, f, s)
PY
	) || {
		count_fail "reading $log"
		return
	}
	read -r p f s <<<"$counts"
	echo "test.sh: $label: $p passed, $f failed, $s skipped"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	((f > 0)) && failed_what+=("$f test(s) in $label")
	# meson test failed although every test passed: count the run as failed.
	if ((rc != 0 && f == 0)); then
		count_fail "meson test ($label) exited $rc"
	fi
}

# run_suite LABEL DIR TIMEOUT_MULTIPLIER [meson setup options...]
run_suite() {
	local label=$1 dir=$2 mult=$3
	shift 3
	note "$label: configure $dir"
	if ! setup_dir "$dir" "$@"; then
		count_fail "configure ($label)"
		return
	fi
	note "$label: build"
	if ! meson compile -C "$dir"; then
		count_fail "build ($label)"
		return
	fi
	note "$label: test"
	rm -f "$dir/meson-logs/testlog.json"
	local rc=0
	meson test -C "$dir" --print-errorlogs --num-processes 2 \
		--timeout-multiplier "$mult" || rc=$?
	tally "$dir" "$label" "$rc"
}

# lsan_works CC: true if LeakSanitizer can run here. It stops the world
# with ptrace, which some containers forbid; then it dies with "LeakSanitizer
# has encountered a fatal error" instead of reporting the leak.
lsan_works() {
	local cc=$1 tmp out
	tmp=$(mktemp -d) || return 1
	printf '%s\n' '#include <stdlib.h>' \
		'int main(void) { volatile void *p = malloc(7); p = 0; return p != 0; }' >"$tmp/leak.c"
	if ! "$cc" -fsanitize=address -g "$tmp/leak.c" -o "$tmp/leak" 2>/dev/null; then
		rm -rf "$tmp"
		return 1
	fi
	out=$(ASAN_OPTIONS=detect_leaks=1 "$tmp/leak" 2>&1)
	rm -rf "$tmp"
	grep -q 'detected memory leaks' <<<"$out"
}

note "dependencies"
if ! bash scripts/deps.sh; then
	echo "test.sh: installing dependencies failed" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

run_suite "normal" build 1 -Dbuildtype=debugoptimized

if ((quick == 0)); then
	asan_cc=${ASAN_CC:-clang-14}
	leaks=1
	if ! lsan_works "$asan_cc"; then
		leaks=0
		echo "test.sh: NOTE: LeakSanitizer cannot run here (ptrace restricted?);" \
			"the ASan run goes on with detect_leaks=0" >&2
	fi
	export ASAN_OPTIONS="abort_on_error=1:detect_leaks=$leaks"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	CC=$asan_cc run_suite "asan+ubsan ($asan_cc)" build-asan 3 \
		-Dbuildtype=debug \
		-Db_sanitize=address,undefined \
		-Db_lundef=false \
		"-Dc_args=-fno-sanitize-recover=all -fno-omit-frame-pointer"
	unset ASAN_OPTIONS UBSAN_OPTIONS
else
	note "asan+ubsan: skipped (--quick)"
fi

note "lint"
if bash scripts/lint.sh; then
	echo "test.sh: lint: passed"
	total_pass=$((total_pass + 1))
else
	count_fail "lint"
fi

echo
if ((${#failed_what[@]} > 0)); then
	echo "test.sh: failed: $(IFS=';'; echo "${failed_what[*]}")"
fi
((total_skip > 0)) && echo "test.sh: $total_skip skipped"
echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
