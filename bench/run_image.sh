#!/usr/bin/env bash
# Image-service benchmarks: cocoon against skopeo and umoci, run in the same
# invocation on the same machine (docs/benchmarks.md, "Image service"):
#   1. layer decryption: `cocoon image copy --decryption-key` vs
#      `skopeo copy --decryption-key` on one 200 MB encrypted layer, and the
#      OpenSSL floor (AES-256-CTR, HMAC-SHA256, SHA-256 on one core);
#   2. pull + unpack of a 4-layer gzip image from a docker-registry on
#      127.0.0.1: `cocoon image pull` vs `skopeo copy` + `umoci unpack`
#      (the two rootfs trees are compared);
#   3. peak RSS of pulls of one-layer images of 10, 50, 200 and 500 MB;
#   4. (unless --no-perf) a perf profile of one cocoon run of 1 and 2, split
#      into where the time goes.
# Builds build-bench-image/ (release). Results go to
# build-bench-image/results/<date-time>/ (summary.md there); the big files
# live in build-bench-image/work/ and are deleted at the end. Exits non-zero
# only if a step fails (a build, a tool, a wrong result), never because of
# a timing. Needs root (umoci keeps file owners) and about 4 GB of disk.
#
# Usage: bash bench/run_image.sh [--quick] [--no-perf]
#   --quick     smoke run: 50 MB layer, ~15 MB image, 10 and 50 MB sizes,
#               2 runs each (figures are rough)
#   --no-perf   skip the perf profiles
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in bench/image/

quick=0 perf=1
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	--no-perf) perf=0 ;;
	-h | --help)
		sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run_image.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

# runs: timed runs per tool after one warm-up; rss_runs: per size.
runs=5 rss_runs=3 layer_mb=200 scale=1.0 sizes=10,50,200,500
if ((quick)); then
	runs=2 rss_runs=1 layer_mb=50 scale=0.1 sizes=10,50
fi

top=build-bench-image
out=$top/results/$(date +%Y%m%d-%H%M%S)
work=$top/work
failed=()
skipped=()
reg_pid=

note() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
fail() {
	echo "run_image.sh: FAILED: $*" >&2
	failed+=("$1")
}
skip() {
	echo "run_image.sh: skipped: $*" >&2
	skipped+=("$*")
}

# Stops the registry this script started (by its PID) and removes the
# scratch directory, however the script ends.
cleanup() {
	if [[ -n $reg_pid ]]; then
		kill "$reg_pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$reg_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$reg_pid" 2>/dev/null
		wait "$reg_pid" 2>/dev/null
		reg_pid=
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# need CMD PACKAGE: installs the Debian PACKAGE when CMD is missing.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	((EUID == 0)) || return 1
	echo "run_image.sh: $1 missing, installing $2 with apt-get"
	env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" ||
		{ apt-get update -q && env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "$2"; }
	command -v "$1" >/dev/null 2>&1
}

if ((EUID != 0)); then
	echo "run_image.sh: needs root (umoci unpack keeps file owners; the rootfs trees are compared)" >&2
	exit 1
fi
mkdir -p "$out" || exit 1
rm -f "$top/results/latest"
ln -s "$(basename "$out")" "$top/results/latest"
echo "run_image.sh: results in $out/"

note "dependencies"
for p in skopeo:skopeo umoci:umoci docker-registry:docker-registry openssl:openssl /usr/bin/time:time \
	python3:python3 meson:meson; do
	need "${p%%:*}" "${p#*:}" || fail deps "${p%%:*} is missing and could not be installed"
done
if ((perf)) && ! command -v perf >/dev/null 2>&1 && ! need perf linux-perf; then
	skip "perf profiles: perf is not installed (apt-get install linux-perf)"
	perf=0
fi
((${#failed[@]} == 0)) || exit 1

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(uname -srm)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs"
	echo "memory: $(free -m | awk '/^Mem:/ {print $2 " MiB, " $7 " MiB available"}')"
	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- lib src include bench 2>/dev/null || echo ' (+ uncommitted changes)')"
	echo "compiler: $(cc --version | head -1)"
	echo "peers: $(skopeo --version); umoci $(umoci --version | awk '{print $3}'); $(openssl version | cut -d' ' -f1-2); docker-registry $(dpkg-query -W -f='${Version}' docker-registry 2>/dev/null)"
} >"$out/machine.txt"
cat "$out/machine.txt"

note "build: $top/ (release)"
# -Dwerror=false: GCC 12 at -O3 reports -Wmaybe-uninitialized in
# lib/image/unpack/runtime_config.c that the default -O2 build does not
# (the warnings stay in build.log), as bench/run.sh does for its builds.
{
	if [[ -f $top/meson-private/coredata.dat ]]; then
		meson setup --reconfigure "$top" --buildtype=release -Dwerror=false -Dtests=false
	else
		meson setup "$top" --buildtype=release -Dwerror=false -Dtests=false
	fi && meson compile -C "$top"
} >"$out/build.log" 2>&1 || fail build "release build (log: $out/build.log)"
cocoon=$top/src/cocoon/cocoon
if [[ ! -x $cocoon ]]; then
	fail build "no $cocoon; stopping"
	exit 1
fi

rm -rf "$work"
mkdir -p "$work/registry" || exit 1

note "docker-registry on 127.0.0.1 (plain http)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.json" <<EOF
{"version": 0.1, "log": {"level": "error"},
 "storage": {"filesystem": {"rootdirectory": "$PWD/$work/registry"}, "delete": {"enabled": true}},
 "http": {"addr": "127.0.0.1:$port"}}
EOF
docker-registry serve "$work/registry.json" >"$out/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 200); do
	kill -0 "$reg_pid" 2>/dev/null || break
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.5).close()" 2>/dev/null && break
	sleep 0.1
done
if ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.5).close()" 2>/dev/null; then
	fail registry "docker-registry did not start (log: $out/registry.log)"
	exit 1
fi
echo "registry pid $reg_pid on 127.0.0.1:$port"

step() { # step NAME [options]: runs one step of bench/image/steps.py
	local name=$1
	shift
	note "$name"
	python3 bench/image/steps.py "$name" --cocoon "$cocoon" --work "$work" --out "$out" \
		--registry "127.0.0.1:$port" --runs "$runs" "$@" || fail "$name" "step $name (log: $out/$name.log)"
}
perf_opt=() quick_opt=()
((perf)) && perf_opt=(--perf)
((quick)) && quick_opt=(--quick)
step floor --layer-mb "$layer_mb" "${quick_opt[@]}"
step decrypt --layer-mb "$layer_mb" "${perf_opt[@]}"
step pull --scale "$scale" "${perf_opt[@]}"
step rss --sizes "$sizes" --rss-runs "$rss_runs"

note "summary"
python3 bench/image/summary.py "$out" >"$out/summary.md" || fail summary "summary (bench/image/summary.py)"
cat "$out/summary.md"

echo
if ((${#skipped[@]})); then
	printf 'skipped: %s\n' "${skipped[@]}"
fi
if ((${#failed[@]})); then
	echo "run_image.sh: ${#failed[@]} step(s) failed: ${failed[*]} (results: $out/)"
	exit 1
fi
echo "run_image.sh: all steps ran (results: $out/)"
