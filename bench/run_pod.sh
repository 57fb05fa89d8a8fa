#!/usr/bin/env bash
# Pod benchmarks (docs/benchmarks.md, "Pods (issue 5)"): cocoon's shim and a
# QEMU microVM (TCG when KVM is not usable; image pulled in the guest)
# against runc, both driven by the same private containerd 1.6 in the same
# invocation, with the setup of scripts/demo_pod.sh (bench/pod/pod.py):
#   1. cold start: `ctr run --rm` to the container's first output byte and
#      to ctr's exit;
#   2. warm exec: `ctr task exec` into a running task;
#   3. QEMU's and the shim's peak RSS, the initramfs and agent sizes.
# Builds build-bench-pod/ (release). Results go to
# build-bench-pod/results/<date-time>/ (summary.md there); scratch in
# build-bench-pod/work/, deleted at the end. Exits non-zero only if a step
# fails (build, setup, a run), never because of a timing. Needs root.
#
# Usage: bash bench/run_pod.sh [--runs N]   (default 10 runs each)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
export PYTHONDONTWRITEBYTECODE=1

runs=10
while (($#)); do
	case $1 in
	--runs)
		runs=${2:-}
		shift
		;;
	-h | --help)
		sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run_pod.sh: unknown argument '$1' (try --help)" >&2
		exit 2
		;;
	esac
	shift
done
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
	echo "run_pod.sh: --runs needs a positive number" >&2
	exit 2
fi
if ((EUID != 0)); then
	echo "run_pod.sh: needs root (containerd)" >&2
	exit 1
fi

top=build-bench-pod
out=$top/results/$(date +%Y%m%d-%H%M%S)
work=$PWD/$top/work
failed=()
note() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
fail() {
	echo "run_pod.sh: FAILED: $*" >&2
	failed+=("$1")
}
cleanup() {
	umount -R "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$out" || exit 1
rm -f "$top/results/latest"
ln -s "$(basename "$out")" "$top/results/latest"
echo "run_pod.sh: results in $out/"

note "dependencies (scripts/deps.sh)"
bash scripts/deps.sh || exit 1

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(uname -srm)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs"
	echo "memory: $(free -m | awk '/^Mem:/ {print $2 " MiB, " $7 " MiB available"}')"
	echo "kvm: $([[ -w /dev/kvm ]] && echo "/dev/kvm present (the shim's accelerator probe decides)" || echo "no /dev/kvm")"
	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- lib src include bench guest 2>/dev/null || echo ' (+ uncommitted changes)')"
	echo "peers: containerd $(containerd --version | awk '{print $3}'); $(runc --version | head -1); $(qemu-system-x86_64 --version | head -1)"
} >"$out/machine.txt"
cat "$out/machine.txt"

note "build: $top/ (release)"
# -Dwerror=false as bench/run.sh and bench/run_image.sh do (GCC at -O3)
{
	if [[ -f $top/meson-private/coredata.dat ]]; then
		meson setup --reconfigure "$top" --buildtype=release -Dwerror=false -Dtests=false
	else
		meson setup "$top" --buildtype=release -Dwerror=false -Dtests=false
	fi && meson compile -C "$top"
} >"$out/build.log" 2>&1 || fail build "release build (log: $out/build.log)"
shim=$top/src/shim/containerd-shim-cocoon-v2
agent=$top/src/agent/cocoon-agent
if [[ ! -x $shim || ! -x $agent ]]; then
	fail build "no $shim or $agent; stopping"
	exit 1
fi

note "pods: $runs runs each (bench/pod/pod.py)"
umount -R "$work" 2>/dev/null
rm -rf "$work"
mkdir -p "$work" || exit 1
python3 bench/pod/pod.py --shim "$shim" --agent "$agent" --work "$work" --out "$out" \
	--runs "$runs" 2>&1 | tee "$out/run.log"
((PIPESTATUS[0] == 0)) || fail pods "bench/pod/pod.py (log: $out/run.log)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

note "summary"
if [[ -f $out/results.json ]]; then
	python3 bench/pod/summary.py "$out" >"$out/summary.md" || fail summary "bench/pod/summary.py"
	cat "$out/summary.md"
else
	fail summary "no $out/results.json"
fi

echo
if ((${#failed[@]})); then
	echo "run_pod.sh: ${#failed[@]} step(s) failed: ${failed[*]} (results: $out/)"
	exit 1
fi
echo "run_pod.sh: all steps ran (results: $out/)"
