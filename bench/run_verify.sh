#!/usr/bin/env bash
# Evidence verification benchmarks (docs/benchmarks.md, "Verifiers (issue
# 8)"): `cocoon evidence verify --repeat N` (one verifier object, built-in
# roots and collateral parsed once, warm caches as in cocoon-kbs) on the
# vectors in tests/attest/data/, against `openssl speed` in the same run
# for the signature checks each verification needs at least (the floor):
#   snp          Trustee's Milan report + VCEK: ECDSA P-384 (report) +
#                RSA-4096 PSS (VCEK by ASK; ASK by ARK checked once)
#   tdx          the DCAP vector with its collateral: ECDSA P-256 x 2
#                (quote, QE report) + PCK leaf and TCB info / QE identity
#                signatures (ECDSA P-256 x 3 more)
#   tpm          Trustee's TPM evidence: RSA-2048 PKCS#1 (the AK's quote)
#   az-snp-vtpm  Azure v2 evidence: RSA-2048 (vTPM quote) + the snp row
# floor/s = 1 / (sum of the per-signature verify times openssl reports);
# ratio = verifications/s / floor/s (1.0 would be "nothing but the
# signatures"). Builds build-bench-verify/ (release; BENCH_VERIFY_BUILD
# names another directory). Results go to
# build-bench-verify/results/<date-time>/summary.md. Exits non-zero only if
# a step fails, never because of a timing.
#
# Usage: bash bench/run_verify.sh [--quick]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
quick=0
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	-h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run_verify.sh: unknown argument $arg" >&2; exit 2 ;;
	esac
done
die() { echo "run_verify.sh: $*" >&2; exit 1; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
top=${BENCH_VERIFY_BUILD:-build-bench-verify}
if [ -f "$top/build.ninja" ]; then
	meson setup --reconfigure "$top" -Dbuildtype=release -Dwerror=false -Dtests=false >/dev/null || die "meson setup"
else
	meson setup "$top" -Dbuildtype=release -Dwerror=false -Dtests=false >/dev/null || die "meson setup"
fi
ninja -C "$top" src/cocoon/cocoon >/dev/null || die "build"
out=$top/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
C=$top/src/cocoon/cocoon
D=tests/attest/data
n=2000
secs=3
[ $quick = 1 ] && n=100 && secs=1

# openssl speed: verifies per second of each primitive
openssl speed -seconds $secs ecdsap256 ecdsap384 > "$out/openssl_ecdsa.txt" 2>/dev/null || die "openssl speed ecdsa"
openssl speed -seconds $secs rsa2048 rsa4096 > "$out/openssl_rsa.txt" 2>/dev/null || die "openssl speed rsa"
p256=$(awk '/256 bits ecdsa \(nistp256\)/ {print $NF; exit}' "$out/openssl_ecdsa.txt")
p384=$(awk '/384 bits ecdsa \(nistp384\)/ {print $NF; exit}' "$out/openssl_ecdsa.txt")
r2048=$(awk '/^rsa 2048 bits/ {print $NF; exit}' "$out/openssl_rsa.txt")
r4096=$(awk '/^rsa 4096 bits/ {print $NF; exit}' "$out/openssl_rsa.txt")
[ -n "$p256" ] && [ -n "$p384" ] && [ -n "$r2048" ] && [ -n "$r4096" ] || die "could not read openssl speed output"

run() { # run TEE N ARGS... -> verifications/s
	local tee=$1 count=$2
	shift 2
	"$C" evidence verify --tee "$tee" --repeat "$count" "$@" 2>"$out/$tee.err" >/dev/null ||
		die "$tee: $(cat "$out/$tee.err")"
	sed -n 's/^repeat: .*: \([0-9.]*\)\/s$/\1/p' "$out/$tee.err"
}
snp=$(run snp $n --evidence $D/snp/test-report.bin --vcek $D/snp/test-vcek.der)
tdx=$(run tdx $((n / 4)) --evidence $D/dcap/quote_hex.txt --collateral $D/dcap/quote_collateral.json --at 1757462400)
tpm=$(run tpm $n --evidence tests/attest/vectors/trustee_tpm_evidence.json)
az=$(run az-snp-vtpm $n --evidence $D/az/snp-evidence-v2.json --report-data \
	982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa398f647caa2338748cd0fd9f5f819ef)

floor() { python3 -c "import sys; print('%.1f' % (1 / sum(1 / float(x) for x in sys.argv[1:])))" "$@"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
f_snp=$(floor "$p384" "$r4096")
f_tdx=$(floor "$p256" "$p256" "$p256" "$p256" "$p256")
f_tpm=$(floor "$r2048")
f_az=$(floor "$r2048" "$p384" "$r4096")
{
	echo "# Evidence verification, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load before $load_before"
	echo
	echo "openssl speed verify/s: P-256 $p256, P-384 $p384, RSA-2048 $r2048, RSA-4096 $r4096"
	echo
	echo "| TEE | verifications/s | floor/s (signatures only) | ratio |"
	echo "|---|---|---|---|"
	echo "| snp | $snp | $f_snp | $(ratio "$snp" "$f_snp") |"
	echo "| tdx | $tdx | $f_tdx | $(ratio "$tdx" "$f_tdx") |"
	echo "| tpm | $tpm | $f_tpm | $(ratio "$tpm" "$f_tpm") |"
	echo "| az-snp-vtpm | $az | $f_az | $(ratio "$az" "$f_az") |"
	echo
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/summary.md"
