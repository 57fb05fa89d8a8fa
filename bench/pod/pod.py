#!/usr/bin/env python3
"""Pod benchmarks (bench/run_pod.sh, docs/benchmarks.md "Pods (issue 5)").

Sets up what scripts/demo_pod.sh sets up (containerd 1.6 with a private root
and sockets, a docker-registry on 127.0.0.1 with a busybox image, the guest
image around cocoon-agent, the shim's configuration.toml), then measures, in
the same invocation, cocoon (containerd-shim-cocoon-v2, a QEMU microVM, the
image pulled in the guest) against runc (io.containerd.runc.v2, the same
image pulled into the private containerd with --plain-http):
  cold   `ctr run --rm ID /bin/sh -c 'echo ready'`: time to the first byte
         of the container's output and to the exit of ctr (RUNS each);
  exec   `ctr task exec` of /bin/true into a running task (RUNS each);
  rss    QEMU's and the shim's peak RSS (VmHWM, sampled every 20 ms during
         the cold runs, and after the exec runs);
  sizes  the initramfs (compressed and not) and cocoon-agent.
Writes OUT/results.json and OUT/pod.md (the tables). Every process it
starts is stopped by PID. Exits 1 when a step fails (not for a timing).

Usage: pod.py --shim SHIM --agent AGENT --work DIR --out DIR [--runs N]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROCS = []


def log(msg):
    print(msg, flush=True)


def sh(*a, timeout=300):
    subprocess.run(a, check=True, capture_output=True, timeout=timeout)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_for(pred, timeout=30.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return bool(pred())


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Env:
    def __init__(self, shim, agent, work):
        self.shim, self.agent, self.work = shim, agent, work
        self.sock = os.path.join(work, "c.sock")
        self.rootfs = os.path.join(work, "rootfs")

    def ctr(self, *args, timeout=300):
        return subprocess.run(["ctr", "--address", self.sock] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)

    def start_containerd(self):
        w = self.work
        cfg = os.path.join(w, "config.toml")
        with open(cfg, "w") as f:
            f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n'
                    '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s/opt"\n'
                    % (w, w, self.sock, self.sock, w))
        os.makedirs(self.rootfs)
        with open(os.path.join(w, "containerd.log"), "w") as lf:
            p = subprocess.Popen(["containerd", "--config", cfg], stdout=lf, stderr=lf)
        PROCS.append(p)
        if not wait_for(lambda: p.poll() is None and self.ctr("version").returncode == 0, 30):
            raise RuntimeError("containerd did not start")

    def start_registry(self):
        d = os.path.join(self.work, "image")
        lay, bun = os.path.join(d, "layout"), os.path.join(d, "bundle")
        os.makedirs(d)
        sh("umoci", "init", "--layout", lay)
        sh("umoci", "new", "--image", lay + ":bb")
        sh("umoci", "unpack", "--image", lay + ":bb", bun)
        bindir = os.path.join(bun, "rootfs", "bin")
        os.makedirs(bindir, exist_ok=True)
        shutil.copy("/bin/busybox", bindir)
        for a in ("sh", "echo", "true", "sleep", "cat"):
            os.symlink("busybox", os.path.join(bindir, a))
        sh("umoci", "repack", "--image", lay + ":bb", bun)
        sh("umoci", "config", "--image", lay + ":bb", "--config.cmd", "/bin/true",
           "--config.env", "PATH=/bin", "--os", "linux", "--architecture", "amd64")
        with socket.socket() as so:
            so.bind(("127.0.0.1", 0))
            self.port = so.getsockname()[1]
        cfg = os.path.join(d, "registry.json")
        with open(cfg, "w") as f:
            json.dump({"version": 0.1, "log": {"level": "error"},
                       "storage": {"filesystem": {"rootdirectory": os.path.join(d, "data")}},
                       "http": {"addr": "127.0.0.1:%d" % self.port}}, f)
        with open(os.path.join(d, "registry.log"), "w") as lf:
            p = subprocess.Popen(["docker-registry", "serve", cfg], stdout=lf, stderr=lf)
        PROCS.append(p)
        if not wait_for(lambda: port_open(self.port), 20):
            raise RuntimeError("docker-registry did not start")
        sh("skopeo", "copy", "--dest-tls-verify=false", "oci:%s:bb" % lay,
           "docker://127.0.0.1:%d/bench/bb:1" % self.port)
        self.host_ref = "127.0.0.1:%d/bench/bb:1" % self.port
        self.guest_ref = "10.0.2.100:5000/bench/bb:1"

    def build_guest(self):
        out = os.path.join(self.work, "guest")
        agent_cfg = os.path.join(self.work, "agent.json")
        with open(agent_cfg, "w") as f:
            json.dump({"image_insecure_registries": True}, f)
        cache = os.path.join(os.path.dirname(self.work), "kernel-cache")
        os.makedirs(cache, exist_ok=True)
        t0 = time.time()
        r = subprocess.run([sys.executable, os.path.join(ROOT, "guest", "build.py"), out,
                            "--agent", self.agent, "--extra",
                            agent_cfg + ":/etc/cocoon/agent.json", "--kernel-cache", cache,
                            "--quiet"], capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise RuntimeError("guest/build.py failed: " + r.stderr[-2000:])
        self.guest_build_s = time.time() - t0
        self.initrd = [os.path.join(out, n) for n in os.listdir(out)
                       if n.startswith("initramfs.cpio.")][0]
        self.vmlinux = os.path.join(out, "vmlinux")
        self.cfg = os.path.join(self.work, "configuration.toml")
        with open(self.cfg, "w") as f:
            f.write('[hypervisor.qemu]\nkernel = "%s"\ninitrd = "%s"\nmachine_type = "microvm"\n'
                    'default_memory = 512\nnetwork = "user"\n'
                    'guest_forward = "10.0.2.100:5000=127.0.0.1:%d"\n'
                    'kernel_params = "agent.config_file=/etc/cocoon/agent.json"\n'
                    '[agent.cocoon]\ndial_timeout = 120\n' % (self.vmlinux, self.initrd, self.port))

    def run_args(self, runtime, cid, cmd, detach=False):
        a = ["ctr", "--address", self.sock, "run"] + (["-d"] if detach else ["--rm"])
        if runtime == "cocoon":
            a += ["--runtime", self.shim, "--runtime-config-path", self.cfg, "--rootfs",
                  "--annotation", "io.kubernetes.cri.image-name=" + self.guest_ref, self.rootfs]
        else:
            a += [self.host_ref]
        return a + [cid] + cmd

    def ours(self):
        """{pid: "qemu"|"shim"} of the QEMUs and shims this run made."""
        found = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv = f.read().decode(errors="replace").split("\0")
            except OSError:
                continue
            if argv[0] == self.shim:
                found[int(d)] = "shim"
            elif "qemu" in argv[0] and self.work in " ".join(argv):
                found[int(d)] = "qemu"
        return found


def hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Sampler:
    """Peak VmHWM of our QEMU and shim processes while it runs."""

    def __init__(self, env):
        self.env, self.peak, self.done = env, {"qemu": 0, "shim": 0}, False
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while not self.done:
            for pid, kind in self.env.ours().items():
                v = hwm_kib(pid)
                if v and v > self.peak[kind]:
                    self.peak[kind] = v
            time.sleep(0.02)

    def stop(self):
        self.done = True
        self.t.join()
        return self.peak


def cold_run(env, runtime, cid):
    """(seconds to the first output byte, seconds to ctr's exit)."""
    t0 = time.monotonic()
    p = subprocess.Popen(env.run_args(runtime, cid, ["/bin/sh", "-c", "echo ready"]),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    first = p.stdout.read(1)
    t1 = time.monotonic()
    rest = p.stdout.read()
    err = p.stderr.read()
    p.wait(timeout=600)
    t2 = time.monotonic()
    if p.returncode != 0 or first + rest != b"ready\n":
        raise RuntimeError("%s cold run %s: exit %d, out %r, err %r"
                           % (runtime, cid, p.returncode, first + rest, err[-500:]))
    return t1 - t0, t2 - t0


def stats(xs):
    xs = sorted(xs)
    q = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else [xs[0]] * 3
    return {"n": len(xs), "median": statistics.median(xs), "min": xs[0], "max": xs[-1],
            "iqr": q[2] - q[0], "values": xs}


def bench_cold(env, runs, res):
    for runtime in ("runc", "cocoon"):
        first, total = [], []
        sampler = Sampler(env) if runtime == "cocoon" else None
        cold_run(env, runtime, "%s-warmup" % runtime)  # page cache, image unpack (runc)
        for i in range(runs):
            f, t = cold_run(env, runtime, "%s-cold-%d" % (runtime, i))
            first.append(f)
            total.append(t)
            log("  %s cold %d: first byte %.3f s, exit %.3f s" % (runtime, i, f, t))
        if sampler:
            peak = sampler.stop()
            res["rss_cold_peak_kib"] = peak
        res["cold_first_byte_" + runtime] = stats(first)
        res["cold_exit_" + runtime] = stats(total)


def bench_exec(env, runs, res):
    for runtime in ("runc", "cocoon"):
        cid = "%s-exec" % runtime
        r = subprocess.run(env.run_args(runtime, cid, ["/bin/sleep", "3600"], detach=True),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError("%s run -d: %r" % (runtime, r.stderr[-500:]))
        try:
            times = []
            for i in range(runs + 1):
                t0 = time.monotonic()
                r = env.ctr("task", "exec", "--exec-id", "e%d" % i, cid, "/bin/true",
                            timeout=120)
                dt = time.monotonic() - t0
                if r.returncode != 0:
                    raise RuntimeError("%s exec: %r" % (runtime, r.stderr[-500:]))
                if i:  # the first one is a warm-up
                    times.append(dt)
                    log("  %s exec %d: %.3f s" % (runtime, i, dt))
            res["exec_" + runtime] = stats(times)
            if runtime == "cocoon":
                res["rss_running_kib"] = {k: hwm_kib(p) for p, k in env.ours().items()}
        finally:
            env.ctr("task", "kill", "-s", "SIGKILL", cid)
            wait_for(lambda: b"RUNNING" not in env.ctr("task", "ls").stdout, 30)
            env.ctr("task", "delete", cid)
            env.ctr("container", "delete", cid)


def sizes(env, res):
    r = subprocess.run(["zstd", "-dc", env.initrd] if env.initrd.endswith(".zst")
                       else ["gzip", "-dc", env.initrd], capture_output=True, timeout=120)
    res["initramfs"] = {"file": os.path.basename(env.initrd),
                        "compressed": os.path.getsize(env.initrd), "uncompressed": len(r.stdout)}
    res["vmlinux"] = os.path.getsize(env.vmlinux)
    stripped = os.path.join(env.work, "cocoon-agent.stripped")
    sh("strip", "-o", stripped, env.agent)
    res["agent"] = {"binary": os.path.getsize(env.agent), "stripped": os.path.getsize(stripped)}
    res["guest_build_s"] = env.guest_build_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--agent", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    env = Env(os.path.abspath(a.shim), os.path.abspath(a.agent), work)
    res = {"runs": a.runs}
    ok = True
    try:
        log("setup: containerd, registry, guest image")
        env.start_containerd()
        env.start_registry()
        env.build_guest()
        r = env.ctr("image", "pull", "--plain-http", env.host_ref)
        if r.returncode != 0:
            raise RuntimeError("ctr image pull for runc: %r" % r.stderr[-500:])
        sizes(env, res)
        log("cold starts (%d runs each after a warm-up)" % a.runs)
        bench_cold(env, a.runs, res)
        log("warm exec (%d runs each after a warm-up)" % a.runs)
        bench_exec(env, a.runs, res)
        left = env.ours()
        if not wait_for(lambda: not env.ours(), 20):
            raise RuntimeError("processes left: %r" % left)
    except Exception as e:  # noqa: BLE001
        print("pod.py: FAILED: %s" % e, file=sys.stderr)
        ok = False
    finally:
        for pid in env.ours():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for p in reversed(PROCS):
            stop(p)
        subprocess.run(["umount", "-R", work], capture_output=True)
    res["ok"] = ok
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    sys.exit(0 if ok else 1)


main()
