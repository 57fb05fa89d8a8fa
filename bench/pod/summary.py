#!/usr/bin/env python3
"""summary.md of a bench/run_pod.sh run from OUT/machine.txt and
OUT/results.json (bench/pod/pod.py).

Usage: summary.py OUT
"""
import json
import os
import sys

out = sys.argv[1]
with open(os.path.join(out, "results.json")) as f:
    r = json.load(f)
with open(os.path.join(out, "machine.txt")) as f:
    machine = f.read().rstrip()


def row(label, key, unit=1.0, fmt="%.3f"):
    s = r.get(key)
    if not s:
        return "| %s | (not measured) | | | | |" % label
    v = [fmt % (s[k] * unit) for k in ("median", "min", "max", "iqr")]
    return "| %s | %s | %s | %s | %s | %d |" % (label, v[0], v[1], v[2], v[3], s["n"])


def mib(kib):
    return "%.0f MiB" % (kib / 1024) if kib else "-"


print("# Pod benchmarks (bench/run_pod.sh)\n")
print("```\n%s\n```\n" % machine)
print("cocoon: `ctr run --rm --runtime containerd-shim-cocoon-v2` with an empty `--rootfs`;"
      " a QEMU microVM (TCG, 1 vCPU, 512 MiB), the image pulled in the guest from"
      " 127.0.0.1 through the guestfwd on every run. runc: `ctr run --rm` of the same"
      " image pulled into the same private containerd. Command: `/bin/sh -c 'echo ready'`;"
      " exec: `ctr task exec ID /bin/true` into a running `sleep`. One warm-up each.\n")
print("| seconds | median | min | max | IQR | runs |")
print("|---|---|---|---|---|---|")
print(row("cold start to first output byte, cocoon", "cold_first_byte_cocoon"))
print(row("cold start to first output byte, runc", "cold_first_byte_runc"))
print(row("cold start to `ctr run` exit, cocoon", "cold_exit_cocoon"))
print(row("cold start to `ctr run` exit, runc", "cold_exit_runc"))
print(row("warm `ctr task exec`, cocoon", "exec_cocoon"))
print(row("warm `ctr task exec`, runc", "exec_runc"))
print()
cold = r.get("rss_cold_peak_kib", {})
run = r.get("rss_running_kib", {})
ini = r.get("initramfs", {})
ag = r.get("agent", {})
print("| size | value |")
print("|---|---|")
print("| QEMU peak RSS (VmHWM) over the cold runs | %s |" % mib(cold.get("qemu")))
print("| QEMU VmHWM of the running pod after the execs | %s |" % mib(run.get("qemu")))
print("| shim peak RSS (VmHWM) over the cold runs | %s |" % mib(cold.get("shim")))
if ini:
    print("| initramfs (%s), compressed / uncompressed | %.1f MiB / %.1f MiB |"
          % (ini["file"], ini["compressed"] / 2**20, ini["uncompressed"] / 2**20))
if ag:
    print("| cocoon-agent (release), as built / stripped (as in the image) | %.0f KiB / %.0f KiB |"
          % (ag["binary"] / 1024, ag["stripped"] / 1024))
if "guest_build_s" in r:
    print("| guest image build (guest/build.py, zstd -19) | %.0f s |" % r["guest_build_s"])
print()
print("Kata's published figures (../shared/reference/kata.md §6.4), for an indicative"
      " comparison only: ours are TCG (no KVM) on a shared 2-vCPU VM, with the image"
      " pulled in the guest on every start; Kata's are KVM on bare metal with the"
      " image shared from the host (virtio-fs):\n")
print("- boot-to-workload, Kata QEMU CI baseline: 0.71 s mean (Cloud Hypervisor 0.39 s);")
print("- Kata 2.0 `ctr run ... true`: 0.483 s wall (QEMU 5, virtio-fs);")
print("- memory: Kata QEMU ~120 MiB PSS per idle busybox pod (host side); RuntimeClass"
      " overhead 320Mi (QEMU), 2048Mi for SNP/TDX;")
print("- CoCo (guest pull) pod start: no published figure (CI allows 300 s).")
print()
print("result: %s" % ("all steps ran" if r.get("ok") else "a step FAILED (see run.log)"))
