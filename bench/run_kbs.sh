#!/usr/bin/env bash
# KBS benchmarks (docs/benchmarks.md, "KBS (issue 6)"): cocoon-kbs from a
# release tree on 127.0.0.1, zero-config (SQLite store in a scratch state
# directory, the sample TEE, Trustee's allow-all resource policy):
#   1. RCAR + resource GET latency with the sample attester: N fresh
#      sessions of POST /auth, POST /attest (runtime data JCS + SHA-384,
#      sample evidence), GET /resource (JWE to a P-256 TEE key, decrypted
#      and checked) over one keep-alive connection (bench/kbs/rcar_bench.c,
#      libcurl + lib/jose); median and p99 of each phase and of the whole;
#   2. resource GETs per second with one EAR token as
#      `Authorization: Bearer` (passport mode: token checked, policy
#      evaluated, resource read, JWE made for every request), with wrk
#      (bench/kbs/bearer.lua), 2 threads and 32 connections, the server
#      with 2 workers on the same 2-core machine as wrk; after the first
#      request a worker has the token in its cache of verified tokens
#      (signature not checked again; exp still is);
#   3. the same with 256 tokens of 256 sessions, a different one on each
#      request (bench/kbs/bearer_many.lua): every request misses the
#      cache and verifies its token in full (ES256, claims parse);
#   4. the same wrk run on GET /healthz: the HTTP layer's own ceiling.
# Trustee's figures for comparison are in the summary (trustee.md §6).
# Builds build-bench-kbs/ (release). Results go to
# build-bench-kbs/results/<date-time>/ (summary.md there). Exits non-zero
# only if a step fails, never because of a timing.
#
# Usage: bash bench/run_kbs.sh [--quick]
#   --quick   smoke run: 50 RCAR runs, 3 s of wrk
set -uo pipefail
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

quick=0
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	-h | --help)
		sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run_kbs.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

runs=1000 wrk_s=15
((quick)) && runs=50 wrk_s=3

top=build-bench-kbs
out=$top/results/$(date +%Y%m%d-%H%M%S)
work=$(mktemp -d /tmp/kbs-bench.XXXXXX)
kbs_pid=

note() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
die() {
	echo "run_kbs.sh: FAILED: $*" >&2
	exit 1
}

# Stops the server this script started (by its PID) and removes the
# scratch directory, however the script ends.
cleanup() {
	if [[ -n $kbs_pid ]]; then
		kill "$kbs_pid" 2>/dev/null
		wait "$kbs_pid" 2>/dev/null
		kbs_pid=
	fi
	rm -rf "$work"
}
trap cleanup EXIT

for t in wrk curl python3 cc pkg-config; do
	command -v $t >/dev/null || die "$t is missing (bash scripts/deps.sh)"
done

note "build $top (release)"
if [[ -f $top/meson-private/coredata.dat ]]; then
	meson setup --reconfigure "$top" -Dbuildtype=release -Dwerror=false -Dtests=false >/dev/null || die "meson setup"
else
	meson setup "$top" -Dbuildtype=release -Dwerror=false -Dtests=false >/dev/null || die "meson setup"
fi
ninja -C "$top" src/kbs/cocoon-kbs lib/jose/libcocoon-jose.a lib/common/libcocoon-common.a \
	>/dev/null || die "build"
# shellcheck disable=SC2046 # pkg-config prints a list of flags
cc -O2 -Iinclude -Ilib -Ilib/jose bench/kbs/rcar_bench.c \
	"$top"/lib/jose/libcocoon-jose.a "$top"/lib/common/libcocoon-common.a \
	$(pkg-config --cflags --libs libcurl libcrypto jansson) -lm -o "$top/rcar-bench" ||
	die "build rcar_bench"
mkdir -p "$out"

note "start cocoon-kbs"
"$top"/src/kbs/cocoon-kbs --state-dir "$work/state" --listen 127.0.0.1:0 \
	--log-level info 2>"$work/kbs.log" &
kbs_pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*event=listening .* port=\([0-9]*\).*/\1/p' "$work/kbs.log")
	[[ -n $port ]] && break
	sleep 0.1
done
[[ -n $port ]] || die "cocoon-kbs did not start: $(cat "$work/kbs.log")"
url=http://127.0.0.1:$port
auth=(-H "Authorization: Bearer $(cat "$work/state/admin-token")")
secret=0123456789abcdef0123456789abcdef
curl -sf "${auth[@]}" --data-binary "$secret" "$url/kbs/v0/resource/bench/key/1" ||
	die "set resource"
policy=$(python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(open(sys.argv[1],"rb").read()).rstrip(b"=").decode())' \
	src/kbs/policies/allow_all.rego)
curl -sf "${auth[@]}" -H 'Content-Type: application/json' \
	--data "{\"policy\":\"$policy\"}" "$url/kbs/v0/resource-policy" || die "set policy"

note "RCAR + GET latency, $runs sessions"
"$top/rcar-bench" "$url" bench/key/1 "$secret" "$runs" | tee "$out/rcar.txt" ||
	die "rcar_bench"

# cpu_ticks: user + system clock ticks the server has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$kbs_pid/stat"; }

note "GET /resource with a Bearer token: wrk -t2 -c32 -d${wrk_s}s"
KBS_BENCH_TOKEN=$("$top/rcar-bench" "$url" bench/key/1 "$secret" --token) || die "token"
export KBS_BENCH_TOKEN
t0=$(cpu_ticks)
wrk -t2 -c32 -d"${wrk_s}s" --latency -s bench/kbs/bearer.lua \
	"$url/kbs/v0/resource/bench/key/1" | tee "$out/wrk-resource.txt" || die "wrk"
t1=$(cpu_ticks)
unset KBS_BENCH_TOKEN
# The server's CPU time per GET, from its own accounting: what 2 cores
# given to the server alone would serve, whatever else the machine runs.
nreq=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$out/wrk-resource.txt")
cpu_us=$(python3 -c "import os,sys; t=int(sys.argv[1]); n=int(sys.argv[2]); print('%.0f' % (t * 1e6 / os.sysconf('SC_CLK_TCK') / max(n, 1)))" \
	"$((t1 - t0))" "${nreq:-0}")
echo "server CPU per GET: ${cpu_us} us" | tee "$out/cpu.txt"

note "GET /resource, a different Bearer token each request: wrk -t2 -c32 -d${wrk_s}s"
(umask 077 && "$top/rcar-bench" "$url" bench/key/1 "$secret" --tokens 256 >"$work/tokens") ||
	die "tokens"
t0=$(cpu_ticks)
KBS_BENCH_TOKENS=$work/tokens wrk -t2 -c32 -d"${wrk_s}s" --latency -s bench/kbs/bearer_many.lua \
	"$url/kbs/v0/resource/bench/key/1" | tee "$out/wrk-resource-many.txt" || die "wrk"
t1=$(cpu_ticks)
nreq=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$out/wrk-resource-many.txt")
cpu_many_us=$(python3 -c "import os,sys; t=int(sys.argv[1]); n=int(sys.argv[2]); print('%.0f' % (t * 1e6 / os.sysconf('SC_CLK_TCK') / max(n, 1)))" \
	"$((t1 - t0))" "${nreq:-0}")
echo "server CPU per GET, a new token each: ${cpu_many_us} us" | tee -a "$out/cpu.txt"

note "GET /healthz: wrk -t2 -c32 -d${wrk_s}s"
wrk -t2 -c32 -d"${wrk_s}s" --latency "$url/healthz" | tee "$out/wrk-healthz.txt" || die "wrk"

curl -sf "$url/metrics" >"$out/metrics.txt" || die "metrics"
grep -q 'non-2xx answers: 0' "$out/wrk-resource.txt" || die "some resource GETs failed"
grep -q 'non-2xx answers: 0' "$out/wrk-resource-many.txt" || die "some resource GETs failed"

rps() { sed -n 's/^Requests\/sec: *//p' "$1"; }
field() { sed -n "s/^$1 .*$2=\([0-9]*\).*/\1/p" "$out/rcar.txt"; }
{
	echo "# cocoon-kbs benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1));" \
		"server: cocoon-kbs (release), 2 workers, zero-config, SQLite in $(df -P "$work" | awk 'NR==2 {print $1}')."
	echo
	echo "| measure | cocoon-kbs | Trustee (trustee.md §6) | target |"
	echo "| --- | --- | --- | --- |"
	echo "| RCAR + GET, median (sample TEE, $runs sessions) | $(field rcar+get median_us) µs | attest ≈ 164 ms (SNP) + GET ≈ 1.9 ms | < 5 ms |"
	echo "| RCAR + GET, p99 | $(field rcar+get p99_us) µs | - | - |"
	echo "| /auth median / p99 | $(field auth median_us) / $(field auth p99_us) µs | - | - |"
	echo "| /attest median / p99 | $(field attest median_us) / $(field attest p99_us) µs | ≈ 164 ms (SNP, KDS cache warm) | - |"
	echo "| GET /resource median / p99 (cookie) | $(field get median_us) / $(field get p99_us) µs | ≈ 1.9 ms | - |"
	echo "| GET /resource with Bearer, wrk 2 threads 32 conns | $(rps "$out/wrk-resource.txt") req/s | - | ≥ 5,000/s |"
	echo "| server CPU per Bearer GET (its own accounting) | ${cpu_us} µs, i.e. $((2000000 / (cpu_us > 0 ? cpu_us : 1))) GETs/s on 2 cores of its own | - | - |"
	echo "| GET /resource, a different Bearer token each (256; all verified in full) | $(rps "$out/wrk-resource-many.txt") req/s | - | - |"
	echo "| server CPU per GET, a different token each | ${cpu_many_us} µs | - | - |"
	echo "| GET /healthz (HTTP ceiling), same wrk | $(rps "$out/wrk-healthz.txt") req/s | - | - |"
	echo
	echo "Load average before the run: ${load_before}; at its end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shares the 2 CPUs)."
} >"$out/summary.md"
note "summary ($out/summary.md)"
cat "$out/summary.md"
