#!/usr/bin/env python3
"""The attested VM shape end to end (docs/shim.md, docs/guest-image.md
"Attestation"): containerd runs a pod with the shim on q35 + OVMF
(firmware) + a per-pod swtpm (enable_vtpm), one boot (TCG here):

- the guest has a TPM 2 (tpm0) and its SHA-256 PCRs;
- the firmware's event log (securityfs, read in a container with
  CAP_SYS_ADMIN) replays with `cocoon evidence replay-eventlog` to the PCRs
  the guest's sysfs shows (0-7 and 9);
- PCR 9 equals what `cocoon vm measure --config` computes from the
  configuration, the initrd and the shim's command line;
- after the pod: the swtpm the shim started (recorded in swtpm.pid) is
  gone, and no QEMU, shim, socket or state directory is left.

It prints PCR 0/4/7 of this boot (the golden values of the shape).
Arguments: SHIM SCRATCH AGENT COCOON. Skips (77) without root, containerd,
QEMU, OVMF, swtpm, the registry tools or cocoon-agent."""
import base64
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SHIM_TEST = os.path.join(HERE, "test_shim_containerd.py")
SHIM, SCRATCH, AGENT, COCOON = (os.path.abspath(a) if a else "" for a in sys.argv[1:5])
OVMF = "/usr/share/OVMF/OVMF_CODE_4M.fd"

# test_shim_containerd.py's helpers (containerd under a temp dir, the
# registry, leftovers, teardown), without its main()
sys.argv = [SHIM_TEST, SHIM, SCRATCH, AGENT]
with open(SHIM_TEST) as f:
    _src = f.read()
H = {"__name__": "shim_containerd_helpers", "__file__": SHIM_TEST}
exec(compile(_src[:_src.rindex("\nmain()")], SHIM_TEST, "exec"), H)
check, wait_for, FAILS = H["check"], H["wait_for"], H["FAILS"]

# in the container: the TPM's sysfs, then the event log in base64
SCRIPT = ("ls /sys/class/tpm; echo major=$(cat /sys/class/tpm/tpm0/tpm_version_major); "
          "for i in 0 1 2 3 4 5 6 7 9; do echo pcr$i=$(cat /sys/class/tpm/tpm0/pcr-sha256/$i); "
          "done; mkdir -p /sec && /bin/busybox mount -t securityfs securityfs /sec && "
          "echo log=$(/bin/busybox base64 /sec/tpm0/binary_bios_measurements | "
          "/bin/busybox tr -d '\\n')")


def missing():
    for x in ("containerd", "ctr", "qemu-system-x86_64", "socat"):
        if shutil.which(x) is None:
            return x
    for p in (OVMF, "/usr/bin/swtpm", "/bin/busybox", "/usr/bin/crun", AGENT, COCOON):
        if not p or not os.path.exists(p):
            return p or "cocoon-agent"
    return None


def watch_swtpm(state, seen, done):
    """Records every swtpm.pid the shim writes while the pod runs."""
    while not done.is_set():
        for p in glob.glob(os.path.join(state, "cocoon", "*", "swtpm.pid")):
            try:
                with open(p) as f:
                    seen.add(int(f.read().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        time.sleep(0.05)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def run_pod(ctd, tmp):
    reg = H["REG"]
    out = os.path.join(SCRATCH, "guest-vtpm")
    cache = os.path.join(SCRATCH, "kernel-cache")
    os.makedirs(cache, exist_ok=True)
    shutil.rmtree(out, ignore_errors=True)
    agent_cfg = os.path.join(tmp, "agent.json")
    with open(agent_cfg, "w") as f:
        json.dump({"image_insecure_registries": True}, f)
    t0 = time.time()
    p = subprocess.run([sys.executable, os.path.join(H["ROOT"], "guest", "build.py"), out,
                        "--agent", AGENT, "--extra", agent_cfg + ":/etc/cocoon/agent.json",
                        "--level", "3", "--kernel-cache", cache, "--quiet"],
                       capture_output=True, text=True, timeout=600)
    if not check("guest image builds", p.returncode == 0, p.stderr[-2000:]):
        return
    print("# guest image built in %.1f s" % (time.time() - t0))
    initrd = os.path.join(out, [n for n in os.listdir(out) if n.startswith("initramfs.cpio.")][0])
    fwd = "10.0.2.100:5000=127.0.0.1:%d" % reg[0]
    cfg = H["write_cfg"]("vtpm.toml",
                         '[hypervisor.qemu]\nmachine_type = "q35"\nfirmware = "%s"\n'
                         'enable_vtpm = true\nkernel = "%s"\ninitrd = "%s"\n'
                         'default_memory = 512\nnetwork = "user"\nguest_forward = "%s"\n'
                         'kernel_params = "agent.config_file=/etc/cocoon/agent.json"\n'
                         '[agent.cocoon]\ndial_timeout = 180\n[runtime]\nenable_debug = true\n'
                         % (OVMF, os.path.join(out, "vmlinuz"), initrd, fwd))
    m = subprocess.run([COCOON, "vm", "measure", "--config", cfg], capture_output=True,
                       timeout=60)
    if not check("cocoon vm measure computes PCR 9", m.returncode == 0, m.stderr):
        return
    measured = json.loads(m.stdout)
    seen, done = set(), threading.Event()
    w = threading.Thread(target=watch_swtpm, args=(ctd.state, seen, done), daemon=True)
    w.start()
    t0 = time.time()
    r = ctd.run("tpm1", ["/bin/sh", "-c", SCRIPT], cfg, image="10.0.2.100:5000/" + reg[1],
                extra=["--cap-add", "CAP_SYS_ADMIN"], timeout=400)
    print("# ctr run on q35 + OVMF + swtpm took %.1f s" % (time.time() - t0))
    done.set()
    w.join()
    text = r.stdout.decode(errors="replace")
    vals = dict(re.findall(r"^(pcr\d|major|log)=(\S*)$", text, re.M))
    check("the pod ran", r.returncode == 0, r.stderr[-1500:])
    check("the guest sees tpm0, a TPM 2", text.startswith("tpm0") and vals.get("major") == "2",
          text[:300])
    pcrs = {k[3:]: v.lower() for k, v in vals.items() if k.startswith("pcr")}
    check("PCR 9 is what cocoon vm measure computed",
          pcrs.get("9") == measured["pcrs"]["9"], (pcrs.get("9"), measured["pcrs"]))
    print("# golden values of this shape (QEMU, OVMF, kernel, -m 512): %s" %
          json.dumps({"tpm_pcr%02d" % int(k): [v] for k, v in sorted(pcrs.items())}))
    logb = base64.b64decode(vals.get("log", "")) if vals.get("log") else b""
    if check("the event log was read in the guest", len(logb) > 0, text[-500:]):
        lp = os.path.join(tmp, "eventlog.bin")
        with open(lp, "wb") as f:
            f.write(logb)
        rp = subprocess.run([COCOON, "evidence", "replay-eventlog", lp], capture_output=True,
                            timeout=60)
        rep = json.loads(rp.stdout).get("sha256", {}) if rp.returncode == 0 else {}
        bad = {k: (rep.get(k), v) for k, v in pcrs.items() if rep.get(k, "").lower() != v}
        check("the event log replays to the guest's PCRs 0-7 and 9", rp.returncode == 0 and
              not bad, (rp.stderr[-500:], bad))
    check("the shim started one swtpm and recorded it", len(seen) == 1, seen)
    check("no swtpm left (by PID)", wait_for(lambda: not any(alive(p) for p in seen), 15),
          [p for p in seen if alive(p)])
    check("no QEMU, shim, socket, state dir or bundle left",
          wait_for(lambda: not H["leftovers"](ctd), 15), H["leftovers"](ctd))


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (containerd)")
        sys.exit(77)
    why = missing()
    if why or os.environ.get("COCOON_SHIM_SKIP_QEMU") == "1":
        print("SKIP: missing %s" % (why or "(COCOON_SHIM_SKIP_QEMU=1)"))
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="cocoon-vtpm-")
    H["TMP"] = tmp
    os.environ[H["MARK_VAR"]] = tmp
    ctd = None
    ran = False
    try:
        H["ROOTFS"] = os.path.join(tmp, "rootfs")
        os.makedirs(H["ROOTFS"])
        os.makedirs(SCRATCH, exist_ok=True)
        ctd = H["Ctd"](tmp)
        H["REG"] = H["registry_image"]()
        if H["REG"] is None:
            print("SKIP: no docker-registry, skopeo or umoci for the image")
        else:
            ran = True
            run_pod(ctd, tmp)
    except Exception as e:  # noqa: BLE001
        check("the test ran to the end", False, repr(e))
    finally:
        H["teardown"](ctd)
    print("%d failed" % len(FAILS))
    if not ran:
        sys.exit(77)
    sys.exit(1 if FAILS else 0)


main()
