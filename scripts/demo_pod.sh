#!/usr/bin/env bash
# The pod part of the demo (run by scripts/demo.sh after the build): a
# container started by containerd 1.6 through containerd-shim-cocoon-v2 runs
# in a QEMU microVM (TCG when KVM is not usable), and its image is pulled
# inside the guest, never on the host:
#   1. containerd with a private root, state and sockets under OUTDIR;
#   2. docker-registry on 127.0.0.1 with a small busybox image (umoci, skopeo);
#   3. the guest image (guest/build.py) around the real cocoon-agent;
#   4. `ctr run --rm --runtime <shim> --rootfs EMPTY_DIR --annotation
#      io.kubernetes.cri.image-name=REF`: the container prints the guest's
#      kernel and a file from the image;
#   5. the host's content store holds no layer (`ctr content ls` is empty),
#      and no QEMU or shim is left after the run.
# Every process it starts is stopped by PID at exit.
#
# Usage: bash scripts/demo_pod.sh COCOON_BUILD_DIR OUTDIR   (as root)
set -euo pipefail

if (($# != 2)); then
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(realpath "$1")
out=$(realpath -m "$2")
shim=$build/src/shim/containerd-shim-cocoon-v2
agent=$build/src/agent/cocoon-agent
for f in "$shim" "$agent"; do
	if [[ ! -x $f ]]; then
		echo "demo_pod.sh: $f is not built" >&2
		exit 1
	fi
done
if ((EUID != 0)); then
	echo "demo_pod.sh: containerd needs root" >&2
	exit 1
fi

ctd_pid='' reg_pid=''
# ours: PIDs of the shims and QEMUs this demo made run (QEMU's command
# line names files under OUTDIR).
ours() {
	local d argv0 cl
	for d in /proc/[0-9]*; do
		[[ -r $d/cmdline ]] || continue
		cl=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
		argv0=${cl%% *}
		if [[ $argv0 == "$shim" || ($argv0 == *qemu* && $cl == *"$out/"*) ]]; then
			echo "${d#/proc/}"
		fi
	done
}
stop_pid() {
	local pid=$1
	[[ -n $pid ]] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	local pid
	for pid in $(ours); do
		kill -9 "$pid" 2>/dev/null || true
	done
	stop_pid "$ctd_pid"
	stop_pid "$reg_pid"
	umount -R "$out/ctd" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a stale run (killed demo): nothing of it may still be mounted
umount -R "$out/ctd" 2>/dev/null || true
rm -rf "$out/ctd" "$out/image" "$out/guest"
mkdir -p "$out/ctd/rootfs" "$out/image" "$out/kernel-cache"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
	for _ in $(seq 200); do
		(echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

echo
echo "==> containerd $(containerd --version | awk '{print $3}') with a private root, state and sockets under $out/ctd"
c=$out/ctd
cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$c/c.sock"
[ttrpc]
  address = "$c/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
EOF
containerd --config "$c/config.toml" >"$c/containerd.log" 2>&1 &
ctd_pid=$!
ctr() { command ctr --address "$c/c.sock" "$@"; }
for _ in $(seq 200); do
	ctr version >/dev/null 2>&1 && break
	kill -0 "$ctd_pid" 2>/dev/null || break
	sleep 0.1
done
if ! ctr version >/dev/null 2>&1; then
	echo "demo_pod.sh: containerd did not start (log: $c/containerd.log)" >&2
	exit 1
fi

echo
echo "==> docker-registry on 127.0.0.1 with a busybox image (umoci + skopeo)"
img=$out/image
port=$(free_port)
cat >"$img/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $img/data}}
http: {addr: 127.0.0.1:$port}
EOF
docker-registry serve "$img/registry.yml" >"$img/registry.log" 2>&1 &
reg_pid=$!
wait_port "$port" || {
	echo "demo_pod.sh: docker-registry did not start (log: $img/registry.log)" >&2
	exit 1
}
umoci init --layout "$img/layout" >/dev/null
umoci new --image "$img/layout:bb" >/dev/null
umoci unpack --image "$img/layout:bb" "$img/bundle" >/dev/null
mkdir -p "$img/bundle/rootfs/bin" "$img/bundle/rootfs/etc"
cp /bin/busybox "$img/bundle/rootfs/bin/"
for a in sh echo cat uname sleep ls true; do
	ln -s busybox "$img/bundle/rootfs/bin/$a"
done
echo "hello from the image, pulled inside the guest" >"$img/bundle/rootfs/etc/demo.txt"
umoci repack --image "$img/layout:bb" "$img/bundle" >/dev/null
umoci config --image "$img/layout:bb" --config.cmd /bin/cat --config.cmd /etc/demo.txt \
	--config.env PATH=/bin --os linux --architecture amd64 >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$img/layout:bb" "docker://127.0.0.1:$port/demo/bb:1"
echo "pushed 127.0.0.1:$port/demo/bb:1 (busybox-static and /etc/demo.txt)"

echo
echo "==> guest image: guest/build.py around cocoon-agent (kernel, initramfs)"
# the loopback registry is plain http
echo '{"image_insecure_registries": true}' >"$img/agent.json"
t0=$SECONDS
python3 "$root/guest/build.py" "$out/guest" --agent "$agent" \
	--extra "$img/agent.json:/etc/cocoon/agent.json" --level 3 \
	--kernel-cache "$out/kernel-cache" --quiet
initrd=$(find "$out/guest" -maxdepth 1 -name 'initramfs.cpio.*' | head -1)
echo "built in $((SECONDS - t0)) s: $out/guest/vmlinux, $initrd ($(du -k "$initrd" | cut -f1) KiB)"

# the shim's configuration: a microVM, and the one way out of the guest,
# a guestfwd from 10.0.2.100:5000 to the loopback registry
cat >"$out/configuration.toml" <<EOF
[hypervisor.qemu]
kernel = "$out/guest/vmlinux"
initrd = "$initrd"
machine_type = "microvm"
default_memory = 512
network = "user"
guest_forward = "10.0.2.100:5000=127.0.0.1:$port"
kernel_params = "agent.config_file=/etc/cocoon/agent.json"
[agent.cocoon]
dial_timeout = 120
EOF
ref=10.0.2.100:5000/demo/bb:1

echo
echo "==> a container in a microVM, its image pulled in the guest"
echo "host kernel: $(uname -r)"
cmd='uname -a; cat /etc/demo.txt'
echo "\$ ctr run --rm --runtime $shim --runtime-config-path $out/configuration.toml \\"
echo "      --rootfs --annotation io.kubernetes.cri.image-name=$ref $c/rootfs demo /bin/sh -c '$cmd'"
t0=$(date +%s.%N)
rc=0
ctr run --rm --runtime "$shim" --runtime-config-path "$out/configuration.toml" --rootfs \
	--annotation "io.kubernetes.cri.image-name=$ref" "$c/rootfs" demo \
	/bin/sh -c "$cmd" </dev/null | tee "$out/run.out" | sed 's/^/    /' || rc=$?
t1=$(date +%s.%N)
echo "ctr run exited $rc after $(python3 -c "print('%.1f' % ($t1 - $t0))") s"
if ((rc != 0)); then
	echo "demo_pod.sh: ctr run failed (containerd log: $c/containerd.log)" >&2
	exit 1
fi
guest_kernel=$(awk 'NR == 1 {print $3}' "$out/run.out")
if [[ -z $guest_kernel || $guest_kernel == "$(uname -r)" ]] ||
	! grep -qx 'hello from the image, pulled inside the guest' "$out/run.out"; then
	echo "demo_pod.sh: unexpected output from the container" >&2
	exit 1
fi
echo "the container ran on the guest kernel $guest_kernel and read a file of its image"

echo
echo "==> the host's containerd never saw the image"
echo "\$ ctr content ls"
content=$(ctr content ls -q)
ctr content ls | sed 's/^/    /'
if [[ -n $content ]]; then
	echo "demo_pod.sh: the host's content store holds blobs: $content" >&2
	exit 1
fi
echo "(no blob: the layers were pulled and unpacked inside the guest)"
echo "\$ ctr image ls -q"
images=$(ctr image ls -q)
[[ -z $images ]] || {
	echo "demo_pod.sh: the host has images: $images" >&2
	exit 1
}
echo "(no image)"

echo
echo "==> nothing left after the run"
left=
for _ in $(seq 100); do
	left=$(ours)
	[[ -z $left ]] && break
	sleep 0.1
done
if [[ -n $left ]]; then
	echo "demo_pod.sh: processes left after ctr run: $left" >&2
	exit 1
fi
tasks=$(ctr task ls -q)
containers=$(ctr container ls -q)
if [[ -n $tasks || -n $containers ]]; then
	echo "demo_pod.sh: containerd still has tasks ($tasks) or containers ($containers)" >&2
	exit 1
fi
echo "no QEMU, no shim, no task, no container"
