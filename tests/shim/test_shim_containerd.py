#!/usr/bin/env python3
"""containerd 1.6 (Debian) driving containerd-shim-cocoon-v2 (docs/shim.md).

containerd runs with a private root, state and sockets under a temp dir
(no systemd; ../shared/reference/machine.md section 3), and `ctr run
--runtime <abs path of the shim>` is the client, as a user would run it.

Both parts run the real cocoon-agent (COCOON_AGENT) and pull a busybox
image (umoci, skopeo) from a docker-registry on 127.0.0.1 in the "guest"
(annotation io.kubernetes.cri.image-name, an empty --rootfs): the host's
containerd never sees a layer.

Part 1, hypervisor "none": the agent is a host process (--no-guest, runc,
its run directory, runc root and blob cache in the test's temp dir;
skipped without runc, busybox-static or the registry tools). Output and
exit code, stdin, a pty with its size, run -d with `ctr task
exec/ps/metrics/pause/resume/kill/delete`, the events and their order,
the spec the agent wrote for runc (guest pull root, Kata's annotations, no
hooks, no seccomp, no host namespaces, the CopyFile'd bind mount under
Kata's name), a pod of two containers in one agent, a bad config and the
agent's pull error reported to ctr, a killed shim cleaned up by
containerd's `delete` (the agent stops and takes its containers with it),
and after each: no shim, agent, container process, socket, state
directory, bundle, runc state, cgroup or mount left; nothing in the
content store. The agent's requests are read from its debug log.
Part 2, QEMU (skipped when qemu, the kernel package, crun or busybox is
missing): a guest image built with guest/build.py around cocoon-agent,
pods in microVMs (TCG here): output from the guest kernel, nothing
reachable but the one guestfwd (restrict=on), through which the guest
pulls the image: the image's Cmd, `ctr run -t`, `ctr task
exec/metrics/pause/resume/kill`, a memory limit's OOM event, a missing
image's error, no QEMU left, and nothing in the host's content store.

Every process this script starts is stopped by PID. Exits 77 without
containerd or without root, and when both parts skip (no cocoon-agent).

Usage: test_shim_containerd.py SHIM SCRATCH_DIR COCOON_AGENT [TTRPC_PEER]
(COCOON_AGENT may be "" when it is not built: both parts then skip)
"""
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl
import glob
import shlex
import threading
import time
import http.server

sys.dont_write_bytecode = True
SHIM = os.path.abspath(sys.argv[1])
SCRATCH = os.path.abspath(sys.argv[2])
REAL_AGENT = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None
PEER = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAILS = []
PROCS = []
SKIP = 77


def check(name, cond, detail=""):
    print(("ok - " if cond else "not ok - ") + name + ("" if cond else ": " + str(detail)))
    if not cond:
        FAILS.append(name)
    return cond


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
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Ctd:
    """containerd with everything under tmp."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "c.sock")
        self.state = os.path.join(tmp, "state")
        cfg = os.path.join(tmp, "config.toml")
        with open(cfg, "w") as f:
            f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    '[grpc]\n  address = "%s/c.sock"\n[ttrpc]\n  address = "%s/c.sock.ttrpc"\n'
                    '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s/opt"\n'
                    % (tmp, tmp, tmp, tmp, tmp))
        self.cfg = cfg
        self.log = os.path.join(tmp, "containerd.log")
        self.start()

    def start(self):
        with open(self.log, "a") as log:
            self.p = subprocess.Popen(["containerd", "--log-level", "debug", "--config",
                                       self.cfg], stdout=log, stderr=log)
        PROCS.append(self.p)
        if not wait_for(lambda: self.p.poll() is None and os.path.exists(self.sock + ".ttrpc")
                        and self.ctr("version").returncode == 0, 20):
            raise RuntimeError("containerd did not start")

    def restart(self):
        stop(self.p)
        PROCS.remove(self.p)
        self.start()

    def ctr(self, *args, input=None, timeout=120, stdin=subprocess.DEVNULL):
        return subprocess.run(["ctr", "--address", self.sock] + list(args), input=input,
                              stdin=None if input is not None else stdin,
                              capture_output=True, timeout=timeout)

    def run(self, cid, cmd, cfg, extra=(), input=None, image=None, timeout=180):
        args = ["run", "--rm", "--runtime", SHIM, "--runtime-config-path", cfg, "--rootfs"]
        if image:
            args += ["--annotation", "io.kubernetes.cri.image-name=" + image]
        args += list(extra) + [ROOTFS, cid] + list(cmd)
        return self.ctr(*args, input=input, timeout=timeout)

    def task_status(self, cid):
        out = self.ctr("task", "ls").stdout.decode()
        for line in out.splitlines()[1:]:
            f = line.split()
            if f and f[0] == cid:
                return f[2] if len(f) > 2 else ""
        return None


MARK_VAR = "COCOON_SHIM_TEST_TMP"


def marked():
    """PIDs of processes that carry this test's environment marker."""
    found = []
    want = ("%s=%s" % (MARK_VAR, TMP)).encode()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if want in env:
            found.append(int(d))
    return found


def strays():
    """Marked processes the script did not start itself (containerd, ctr
    events, the registry): shims, agents, QEMU's helpers and, in part 1,
    container processes (ctr run --env gives them the marker)."""
    mine = {p.pid for p in PROCS}
    found = []
    for pid in marked():
        try:
            with open("/proc/%d/stat" % pid) as f:
                zombie = f.read().rsplit(")", 1)[1].split()[0] == "Z"
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cl = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue
        if pid not in mine and not zombie:
            found.append((pid, cl))
    return found


def ours():
    """PIDs of the shims, agents and QEMUs this test made run (by argv[0])."""
    found = []
    mine = {SHIM} | ({REAL_AGENT} if REAL_AGENT else set())
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        cl = " ".join(argv).strip()
        if argv[0] in mine or ("qemu" in argv[0] and TMP and TMP in cl):
            found.append((int(d), cl))
    return found


def leftovers(ctd):
    """What a finished pod must not leave behind."""
    left = []
    for d in ("s", "cocoon"):
        p = os.path.join(ctd.state, d)
        if os.path.isdir(p) and os.listdir(p):
            left.append("%s: %s" % (p, os.listdir(p)))
    tasks = os.path.join(ctd.state, "io.containerd.runtime.v2.task", "default")
    if os.path.isdir(tasks) and os.listdir(tasks):
        left.append("bundles: %s" % os.listdir(tasks))
    procs = ours()
    if procs:
        left.append("processes: %s" % procs)
    other = [p for p in strays() if p[0] not in [q for q, _ in procs]]
    if other:
        left.append("processes with the test's marker: %s" % other)
    left += agent_leftovers()
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f if TMP in l.split()[4]]
    if mounts:
        left.append("mounts: %s" % mounts)
    return left


def agent_leftovers():
    """Part 1: what the host agent leaves when its pod is gone: bundles
    and copied files in its run directory, runc state, the cgroup of a
    container whose id no other test uses."""
    left = []
    if RUN1 is None:
        return left
    if os.path.isdir(RUN1):
        b = [d for d in os.listdir(RUN1) if d not in ("shared", "sandbox", "sockets")]
        if b:
            left.append("agent bundles: %s" % b)
    shared = os.path.join(RUN1, "shared", "containers")
    if os.path.isdir(shared) and os.listdir(shared):
        left.append("copied files: %s" % os.listdir(shared))
    if os.path.isdir(OCI1) and os.listdir(OCI1):
        left.append("runc state: %s" % os.listdir(OCI1))
    cg = glob.glob("/sys/fs/cgroup/*/cocoon/" + CRASH_ID) + glob.glob(
        "/sys/fs/cgroup/cocoon/" + CRASH_ID)
    if cg:
        left.append("cgroups: %s" % cg)
    return left


def agent_log():
    if AGENT_LOG is None:  # part 1 did not run
        return ""
    try:
        with open(AGENT_LOG) as f:
            return f.read()
    except OSError:
        return ""


def write_cfg(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def events_of(path, cid):
    """(topic, decoded event) for cid from `ctr events`' lines."""
    out = []
    with open(path) as f:
        for line in f:
            # "2026-11-23 01:04:08.51 +0000 UTC default /tasks/create {...}"
            i = line.find(" default /")
            if i < 0:
                continue
            rest = line[i + len(" default "):].strip()
            topic, body = rest.split(" ", 1) if " " in rest else (rest, "{}")
            try:
                ev = json.loads(body)
            except ValueError:
                continue
            if ev.get("container_id") == cid:
                out.append((topic, ev))
    return out


# ---- part 1: hypervisor "none" ---------------------------------------------------------

CRASH_ID = "crash7"  # no other test names a container so: its cgroup is checked


def part1_missing():
    """Why part 1 cannot run, or None."""
    if not (REAL_AGENT and os.access(REAL_AGENT, os.X_OK)):
        return "cocoon-agent is not built"
    if shutil.which("runc") is None:
        return "runc is not installed"
    if REG is None:
        return "no docker-registry, skopeo, umoci or /bin/busybox for the test image"
    return None


def none_cfg():
    """hypervisor "none" with the real cocoon-agent as the host process:
    not in a guest, runc (the host's cgroups are hybrid v1; crun needs v2),
    its run directory (the shim's guest_run_dir too), runc root and blob
    cache in TMP, the loopback registry over plain http. The agent_path is
    a two-line wrapper that only appends the agent's stderr (its log, at
    debug: one line per request) to AGENT_LOG, which outlives the shim's
    state directory; it execs the agent, so the shim's PID is the agent's."""
    global AGENT_LOG, RUN1, OCI1
    AGENT_LOG = os.path.join(TMP, "agent.log")
    RUN1, OCI1 = os.path.join(TMP, "agent-run"), os.path.join(TMP, "runc-root")
    wrap = os.path.join(TMP, "cocoon-agent.sh")
    with open(wrap, "w") as f:
        f.write("#!/bin/sh\nexec %s \"$@\" 2>>%s\n" % (shlex.quote(REAL_AGENT),
                                                    shlex.quote(AGENT_LOG)))
    os.chmod(wrap, 0o755)
    args = ["--no-guest", "--log-level", "debug", "--run-dir", RUN1,
            "--oci-runtime", shutil.which("runc"), "--oci-root", OCI1,
            "--image-cache", os.path.join(TMP, "agent-cache"), "--insecure-registries"]
    return write_cfg("none.toml", '[runtime]\nhypervisor = "none"\nenable_debug = true\n'
                     '[hypervisor.none]\nagent_path = "%s"\nagent_args = %s\n'
                     '[agent.cocoon]\ndial_timeout = 20\nguest_run_dir = "%s"\n'
                     % (wrap, json.dumps(args), RUN1))


def p1(extra=(), image=None):
    """ctr run flags of a part-1 container: the image the agent pulls, and
    the marker in its environment (strays() finds its processes)."""
    return ["--annotation", "io.kubernetes.cri.image-name=" + (image or IMAGE1),
            "--env", "%s=%s" % (MARK_VAR, TMP)] + list(extra)


def run_d(ctd, cfg, cid, cmd, extra=()):
    return ctd.ctr("run", "-d", "--runtime", SHIM, "--runtime-config-path", cfg, "--rootfs",
                   *p1(extra), ROOTFS, cid, *cmd)


def asked(log, rpc):
    """Line numbers of the agent's debug log where it let rpc through."""
    return [i for i, l in enumerate(log.splitlines()) if l.endswith(" allowed (%s)" % rpc)]


def in_order(log, rpcs):
    """True if each rpc was asked, each after the one before it."""
    at = -1
    for rpc in rpcs:
        later = [i for i in asked(log, rpc) if i > at]
        if not later:
            return False
        at = later[0]
    return True


def agent_spec(cid):
    """The runtime spec the agent wrote for runc (<run dir>/<cid>/config.json)."""
    try:
        with open(os.path.join(RUN1, cid, "config.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def part_none(ctd):
    why = part1_missing()
    if why:
        print("SKIP part 1 (hypervisor none, cocoon-agent as a host process): %s" % why)
        return
    RAN.append("part 1")
    global IMAGE1
    IMAGE1 = "127.0.0.1:%d/%s" % REG
    cfg = none_cfg()
    evpath = os.path.join(TMP, "events.txt")
    evf = open(evpath, "w")
    ev = subprocess.Popen(["ctr", "--address", ctd.sock, "events"], stdout=evf, stderr=evf)
    PROCS.append(ev)
    time.sleep(0.5)

    # output, stderr, exit code; the host file and the root the container sees
    hostfile = os.path.join(TMP, "hostfile.txt")
    with open(hostfile, "w") as f:
        f.write("from the host\n")
    t0 = time.time()
    r = ctd.run("c1", ["/bin/sh", "-c", "echo hello; cat /etc/motd; read -r l < /proc/self/mountinfo;"
                       " echo \"$l\"; echo oops >&2; exit 3"], cfg,
                extra=p1(["--mount", "type=bind,src=%s,dst=/etc/motd,options=rbind:ro" % hostfile]))
    print("# ctr run --rm with the host agent (guest pull, runc) took %.2f s" % (time.time() - t0))
    out = r.stdout.decode(errors="replace").split("\n")
    check("ctr run: stdout reaches ctr", out[:1] == ["hello"], r)
    check("ctr run: stderr reaches ctr", r.stderr.endswith(b"oops\n"), r.stderr)
    check("ctr run: the exit code is the container's", r.returncode == 3, r.returncode)
    check("a bind-mounted host file is in the container (CopyFile)",
          out[1:2] == ["from the host"], out)
    # mountinfo's first line is the container's root: ROOT field, then "/"
    root = out[2].split() if len(out) > 2 else []
    check("the container's root is the image the agent pulled into its run directory",
          len(root) > 4 and root[4] == "/" and root[3].endswith("/agent-run/c1/image/rootfs"),
          out)
    log = agent_log()
    first = [(asked(log, rpc) or [1 << 30])[0] for rpc in
             ("CreateSandbox", "CopyFile", "CreateContainer", "StartContainer")]
    check("the agent was asked to create the sandbox first, then to copy the file, to create "
          "and to start the container", first == sorted(first) and first[-1] < 1 << 30,
          log[-1500:])
    check("the shim ended the pod: RemoveContainer, DestroySandbox, the agent stopped (0)",
          in_order(log, ["StartContainer", "RemoveContainer", "DestroySandbox"]) and
          log.rstrip().endswith("exiting with status 0"), log[-800:])
    check("after ctr run --rm: no shim, agent, container process, socket, state dir, bundle, "
          "runc state or mount left", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))

    # stdin through WriteStdin/CloseStdin
    mark = len(agent_log())
    r = ctd.run("c2", ["/bin/cat"], cfg, input=b"line1\nline2\n", extra=p1())
    check("stdin reaches the container (cat echoes it)", r.stdout == b"line1\nline2\n"
          and r.returncode == 0, r)
    check("stdin end of file reaches the agent as CloseStdin (cat ended)",
          in_order(agent_log()[mark:], ["WriteStdin", "CloseStdin"]), agent_log()[mark:][-800:])

    # a pty: ctr run -t on a terminal of 30x100
    out, rc = run_tty(ctd, cfg, extra=p1())
    check("ctr run -t: the process has a terminal", b"/dev/pts/" in out, out)
    check("ctr run -t: ResizePty set the terminal's size", b"30 100" in out, out)
    check("ctr run -t: exit code", rc == 0, rc)

    detached(ctd, cfg, evpath, hostfile)
    pod(ctd, cfg)
    failures(ctd, cfg)
    crash(ctd, cfg)
    # last: the events subscription above ends with the old containerd
    restart(ctd, cfg)

    time.sleep(0.5)
    exc = [e for t, e in events_of(evpath, CRASH_ID) if t == "/tasks/exit"]
    check("crash: containerd published the task's exit (137, killed)",
          exc and exc[-1].get("exit_status") == 137, exc)
    stop(ev)
    evf.close()
    evs = [t for t, _ in events_of(evpath, "c1")]
    check("events for a run: create, start, exit, delete in order",
          evs == ["/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"], evs)
    e1 = [(t, e) for t, e in events_of(evpath, "c4")]
    topics = [t for t, _ in e1]
    want = ["/tasks/create", "/tasks/start", "/tasks/exec-added", "/tasks/exec-started",
            "/tasks/exit", "/tasks/paused", "/tasks/resumed", "/tasks/exit", "/tasks/delete"]
    check("events for run -d, exec, pause, resume, kill, delete in order", topics == want,
          topics)
    exits = [e for t, e in e1 if t == "/tasks/exit"]
    check("TaskExit of the exec names it and its status; the task's has its status",
          len(exits) == 2 and exits[0].get("id") == "e1" and exits[0].get("exit_status") == 5
          and exits[1].get("id") == "c4" and exits[1].get("exit_status") == 7, exits)
    r = ctd.ctr("content", "ls", "-q")
    check("containerd's content store holds no layer", r.stdout.strip() == b"", r.stdout)
    r = ctd.ctr("snapshots", "ls")
    check("containerd made no snapshot", len(r.stdout.decode().splitlines()) <= 1, r.stdout)


# ctr resizes right after Start: the script waits for it (busybox's stty
# prints nothing, and an error, for a 0x0 terminal)
TTY_SCRIPT = ("tty; for i in 1 2 3 4 5 6 7 8 9 10; do s=$(stty size 2>/dev/null); "
              "[ -n \"$s\" ] && [ \"$s\" != \"0 0\" ] && break; sleep 0.2; done; echo $s")


def run_tty(ctd, cfg, cid="c3", image=None, extra=(), script=TTY_SCRIPT):
    ann = (["--annotation", "io.kubernetes.cri.image-name=" + image] if image else []) + list(extra)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("ctr", ["ctr", "--address", ctd.sock, "run", "--rm", "-t", "--runtime", SHIM,
                          "--runtime-config-path", cfg, "--rootfs"] + ann + [ROOTFS, cid,
                          "/bin/sh", "-c", script])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    out = b""
    end = time.time() + 300
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            try:
                b = os.read(fd, 4096)
            except OSError:
                break
            if not b:
                break
            out += b
    try:
        _, st = os.waitpid(pid, 0)
    except ChildProcessError:
        st = 0
    os.close(fd)
    return out, os.waitstatus_to_exitcode(st)


def spec_checks(cid, hostfile):
    """What the agent made of the shim's CreateContainer, in the spec it
    wrote for runc: the shim's changes for the guest survived to it."""
    spec = agent_spec(cid)
    ann, lin = spec.get("annotations", {}), spec.get("linux", {})
    img = os.path.join(RUN1, cid, "image", "rootfs")
    check("CreateContainer: guest pull (the image annotation; the root is the image the agent "
          "pulled, busybox in it)",
          ann.get("io.kubernetes.cri.image-name") == IMAGE1 and
          spec.get("root", {}).get("path") == img and
          os.path.isfile(os.path.join(img, "bin", "busybox")), (ann, spec.get("root")))
    ns = lin.get("namespaces", [])
    check("CreateContainer: Kata's container type, no hooks, no seccomp (ctr run --seccomp), "
          "no network namespace, no host namespace path (--with-ns)",
          ann.get("io.katacontainers.pkg.oci.container_type") == "pod_sandbox" and
          "hooks" not in spec and "seccomp" not in lin and
          {n.get("type") for n in ns} >= {"pid", "ipc", "mount"} and
          not any(n.get("type") == "network" or n.get("path") for n in ns),
          (ann, spec.get("hooks"), lin.get("seccomp"), ns))
    motd = [m.get("source", "") for m in spec.get("mounts", []) if
            m.get("destination") == "/etc/motd"]
    src = motd[0] if motd else ""
    try:
        with open(src) as f:
            copied = f.read()
    except OSError:
        copied = None
    check("a bind-mounted host file is sent with CopyFile under Kata's name",
          re.fullmatch(re.escape(os.path.join(RUN1, "shared", "containers", cid)) +
                       "-[0-9a-f]{16}-motd", src) is not None and copied == "from the host\n",
          (motd, copied))


def detached(ctd, cfg, evpath, hostfile):
    r = run_d(ctd, cfg, "c4", ["/bin/sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done"],
              ["--seccomp", "--with-ns", "ipc:/proc/1/ns/ipc",
               "--mount", "type=bind,src=%s,dst=/etc/motd,options=rbind:ro" % hostfile])
    check("ctr run -d", r.returncode == 0, r)
    check("ctr task ls: RUNNING", wait_for(lambda: ctd.task_status("c4") == "RUNNING", 20),
          ctd.task_status("c4"))
    spec_checks("c4", hostfile)
    r = ctd.ctr("task", "exec", "--exec-id", "e1", "c4", "/bin/sh", "-c",
                "echo exec-out; echo exec-err >&2; exit 5")
    check("ctr task exec: output and exit code of the second process",
          r.stdout == b"exec-out\n" and b"exec-err" in r.stderr and r.returncode == 5, r)
    r = ctd.ctr("task", "ps", "c4")
    lines = r.stdout.decode().split()
    check("ctr task ps lists the VM's (here: the agent's) pid",
          r.returncode == 0 and len(lines) >= 3 and lines[2].isdigit(), r)
    r = ctd.ctr("task", "metrics", "c4")
    check("ctr task metrics: cgroup v1 metrics from the agent",
          r.returncode == 0 and b"pids.current" in r.stdout and b"memory.usage_in_bytes" in
          r.stdout, r)
    r = ctd.ctr("task", "pause", "c4")
    check("ctr task pause", r.returncode == 0 and ctd.task_status("c4") == "PAUSED", r)
    r = ctd.ctr("task", "resume", "c4")
    check("ctr task resume", r.returncode == 0 and ctd.task_status("c4") == "RUNNING", r)
    mark = len(agent_log())
    r = ctd.ctr("task", "kill", "-s", "SIGTERM", "c4")
    check("ctr task kill delivers the signal (SignalProcess; the trap's exit 7 is checked "
          "in the events)",
          r.returncode == 0 and wait_for(lambda: ctd.task_status("c4") == "STOPPED", 20)
          and asked(agent_log()[mark:], "SignalProcess"), ctd.task_status("c4"))
    r = ctd.ctr("task", "delete", "c4")
    check("ctr task delete", r.returncode == 0, r)
    r = ctd.ctr("container", "delete", "c4")
    check("ctr container delete", r.returncode == 0, r)
    check("after the last container: nothing left", wait_for(lambda: not leftovers(ctd), 10),
          leftovers(ctd))


def pbs(field, value):
    """One protobuf length-delimited field."""
    b = value.encode() if isinstance(value, str) else value
    return bytes([field << 3 | 2, len(b)]) + b


def hostile(ctd, address, bundle):
    """Calls containerd would not make, straight to the shim's socket
    (ttrpc-peer): errors with the right codes, and the shim serves on."""
    if PEER is None or not address:
        print("# ttrpc-peer not built: hostile calls skipped")
        return
    sock = address[len("unix://"):]
    task = "containerd.task.v2.Task"

    def call(method, payload=b""):
        r = subprocess.run([PEER, "call", sock, task, method, payload.hex()],
                           capture_output=True, timeout=30)
        return r.stdout.decode(errors="replace").strip()
    cases = [
        ("Start", pbs(1, "nope"), "NOT_FOUND: container nope: not found"),
        ("Delete", pbs(1, "pod1"), "FAILED_PRECONDITION: container pod1 is still running"),
        ("Create", pbs(1, "../x") + pbs(2, bundle), "INVALID_ARGUMENT: invalid container id"),
        ("Create", pbs(1, "x") + pbs(2, "relative"), "INVALID_ARGUMENT: bundle \"relative\""),
        ("Create", pbs(1, "pod1") + pbs(2, bundle), "ALREADY_EXISTS: container pod1 already"),
        ("Create", pbs(1, "y") + pbs(2, "/nonexistent"), "NOT_FOUND: /nonexistent/config.json"),
        ("Exec", pbs(1, "pod1") + pbs(2, "e9"), "INVALID_ARGUMENT: exec e9 has no process spec"),
        ("Exec", pbs(1, "pod1") + pbs(2, "e9") + pbs(7, pbs(1, "x") + pbs(2, "{not json")),
         "INVALID_ARGUMENT: exec e9"),
        ("Kill", pbs(1, "pod1") + bytes([0x18, 0x00]), "INVALID_ARGUMENT: signal 0"),
        ("Kill", pbs(1, "pod1") + pbs(2, "nope") + bytes([0x18, 9]),
         "NOT_FOUND: process nope of container pod1"),
        ("Update", pbs(1, "pod1"), "UNIMPLEMENTED: Update is not supported"),
        ("Checkpoint", pbs(1, "pod1"), "UNIMPLEMENTED: Checkpoint is not supported"),
        ("Bogus", b"", "UNIMPLEMENTED: method Bogus"),
        ("Create", b"\xff\xff", "INTERNAL:"),
        ("State", pbs(1, "pod1") + pbs(2, "nope"), "NOT_FOUND: process nope"),
        ("Wait", pbs(1, "nope"), "NOT_FOUND: container nope"),
    ]
    bad = []
    for method, payload, want in cases:
        got = call(method, payload)
        if not got.startswith(want):
            bad.append("%s -> %r (want %r)" % (method, got, want))
    check("hostile calls to the shim get errors with the right codes", not bad, bad)
    r = ctd.ctr("task", "exec", "--exec-id", "y", "app1", "/bin/echo", "still-serving")
    check("... and the shim serves on", r.stdout == b"still-serving\n", r)


def pod(ctd, cfg):
    """Two containers of one pod (CRI's annotations): one shim, one sandbox."""
    def pod_run(cid, kind):
        return run_d(ctd, cfg, cid, ["/bin/sleep", "1000"],
                     ["--annotation", "io.kubernetes.cri.container-type=" + kind,
                      "--annotation", "io.kubernetes.cri.sandbox-id=pod1"])
    before = len(asked(agent_log(), "CreateSandbox"))
    r1, r2 = pod_run("pod1", "sandbox"), pod_run("app1", "container")
    check("pod: the sandbox and a container of it start", r1.returncode == 0 and
          r2.returncode == 0, (r1, r2))
    tasks = os.path.join(ctd.state, "io.containerd.runtime.v2.task", "default")

    def address(cid):
        try:
            with open(os.path.join(tasks, cid, "address")) as f:
                return f.read()
        except OSError:
            return None
    shims = [p for p, cl in ours() if cl.startswith(SHIM)]
    check("pod: the container got the sandbox's shim address, one shim serves both",
          address("pod1") and address("pod1") == address("app1") and len(shims) == 1,
          (address("pod1"), address("app1"), shims))
    agents = [p for p, cl in ours() if cl.startswith(REAL_AGENT)]
    check("pod: one agent, one CreateSandbox for both, the container created in it as "
          "Kata's pod_container",
          len(asked(agent_log(), "CreateSandbox")) == before + 1 and len(agents) == 1 and
          agent_spec("app1").get("annotations", {}).get(
              "io.katacontainers.pkg.oci.container_type") == "pod_container" and
          agent_spec("pod1").get("annotations", {}).get(
              "io.katacontainers.pkg.oci.container_type") == "pod_sandbox",
          (agents, agent_log()[-800:]))
    r = ctd.ctr("task", "exec", "--exec-id", "x", "app1", "/bin/echo", "in-app1")
    check("pod: exec into the pod's container", r.stdout == b"in-app1\n", r)
    hostile(ctd, address("pod1"), os.path.join(tasks, "pod1"))
    for cid in ("app1", "pod1"):
        ctd.ctr("task", "kill", "-s", "SIGKILL", cid)
        wait_for(lambda: ctd.task_status(cid) == "STOPPED", 20)
        ctd.ctr("task", "delete", cid)
        ctd.ctr("container", "delete", cid)
        if cid == "app1":
            check("pod: the shim serves on while the sandbox is there",
                  [p for p, cl in ours() if cl.startswith(SHIM)] == shims, ours())
    check("pod: after the sandbox, nothing left", wait_for(lambda: not leftovers(ctd), 10),
          leftovers(ctd))


def restart(ctd, cfg):
    """containerd restarts while a pod runs: it finds the shim again
    (address file, Connect) and the shim's events reach the new one."""
    r = run_d(ctd, cfg, "c8", ["/bin/sleep", "1000"])
    check("restart: ctr run -d", r.returncode == 0, r)
    shims = [p for p, cl in ours() if cl.startswith(SHIM)]
    ctd.restart()
    check("restart: the task is still running, served by the same shim",
          wait_for(lambda: ctd.task_status("c8") == "RUNNING", 20) and
          [p for p, cl in ours() if cl.startswith(SHIM)] == shims,
          (ctd.task_status("c8"), shims, ours()))
    r = ctd.ctr("task", "exec", "--exec-id", "r1", "c8", "/bin/echo", "after-restart")
    check("restart: exec works through the new containerd", r.stdout == b"after-restart\n", r)
    evpath = os.path.join(TMP, "events-restart.txt")
    evf = open(evpath, "w")
    ev = subprocess.Popen(["ctr", "--address", ctd.sock, "events"], stdout=evf, stderr=evf)
    PROCS.append(ev)
    time.sleep(0.5)
    ctd.ctr("task", "kill", "-s", "SIGKILL", "c8")
    wait_for(lambda: ctd.task_status("c8") == "STOPPED", 20)
    time.sleep(0.5)
    stop(ev)
    evf.close()
    check("restart: the shim's events reach the new containerd",
          "/tasks/exit" in [t for t, _ in events_of(evpath, "c8")], events_of(evpath, "c8"))
    ex = [e for t, e in events_of(evpath, "c8") if t == "/tasks/exit"]
    check("ctr task kill -s SIGKILL: the task's exit status is 137 (128 + 9, as runc's)",
          ex and ex[-1].get("exit_status") == 137, ex)
    ctd.ctr("task", "delete", "c8")
    ctd.ctr("container", "delete", "c8")
    check("restart: nothing left", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))


def failures(ctd, cfg):
    bad = write_cfg("bad.toml", '[hypervisor.qemu]\ndefault_memory = "lots"\n')
    r = ctd.run("c5", ["/bin/true"], bad)
    check("a bad configuration fails ctr run with the key named",
          r.returncode != 0 and b"bad.toml:2: config_error: hypervisor.qemu.default_memory"
          in r.stderr, r.stderr)
    check("... and leaves nothing", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))
    missing = IMAGE1.split("/", 1)[0] + "/test/missing:1"
    r = ctd.run("c6", ["/bin/true"], cfg, extra=p1(image=missing))
    check("an agent's CreateContainer error (the image is not in the registry) reaches ctr",
          r.returncode != 0 and ("pulling %s in the guest" % missing).encode() in r.stderr and
          b"MANIFEST_UNKNOWN" in r.stderr, r.stderr)
    ctd.ctr("container", "delete", "c6")
    check("... and leaves nothing", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))


def crash(ctd, cfg):
    """kill -9 of the shim: containerd's `delete` stops the host agent
    (SIGTERM first), which takes its container's processes, runc state,
    cgroup and bundle with it."""
    cid = CRASH_ID
    r = run_d(ctd, cfg, cid, ["/bin/sh", "-c", "sleep 1000 & wait"])
    check("crash: ctr run -d", r.returncode == 0, r)
    bundle = os.path.join(ctd.state, "io.containerd.runtime.v2.task", "default", cid)
    try:
        with open(os.path.join(bundle, "shim.pid")) as f:
            shim_pid = int(f.read())
        with open(os.path.join(RUN1, cid, "init.pid")) as f:
            init = int(f.read())
    except (OSError, ValueError):
        shim_pid = init = 0
    agent_pids = [p for p, cl in ours() if cl.startswith(REAL_AGENT)]

    def inside():
        """The container's processes: marked, neither shim nor agent."""
        return [p for p, _ in strays() if p not in [q for q, _ in ours()]]
    procs = wait_for(lambda: len(inside()) >= 2 and inside(), 10) or inside()
    check("crash: the shim, its agent and the container's init and child run (found by the "
          "marker)", shim_pid > 0 and len(agent_pids) == 1 and init in procs and
          len(procs) >= 2, (shim_pid, agent_pids, init, procs, strays()))
    if shim_pid <= 0:
        return
    mark = len(agent_log())
    os.kill(shim_pid, signal.SIGKILL)
    # containerd sees the connection drop and runs `delete`
    check("crash: containerd no longer runs the task",
          wait_for(lambda: ctd.task_status(cid) in (None, "STOPPED"), 30),
          ctd.task_status(cid))
    check("crash: `delete` stopped the agent and removed the state and socket",
          wait_for(lambda: not [p for p, cl in ours() if cl.startswith(REAL_AGENT)] and
                   not os.listdir(os.path.join(ctd.state, "cocoon")) and
                   not os.listdir(os.path.join(ctd.state, "s")), 20), leftovers(ctd))
    log = agent_log()[mark:]
    check("crash: the agent was asked to stop (SIGTERM) and exited 0",
          "signal 15: shutting down" in log and log.rstrip().endswith("exiting with status 0"),
          log[-800:])
    check("crash: no process of the container is left",
          wait_for(lambda: not any(alive(p) for p in procs) and not inside(), 10),
          ([p for p in procs if alive(p)], inside()))
    check("crash: no runc state, bundle or cgroup of the container is left",
          not os.listdir(OCI1) and not os.path.exists(os.path.join(RUN1, cid)) and
          not agent_leftovers(), (os.listdir(OCI1), agent_leftovers()))
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f if TMP in l.split()[4]]
    check("crash: no mount under the test's directory", not mounts, mounts)
    ctd.ctr("task", "delete", cid)
    ctd.ctr("container", "delete", cid)
    check("crash: nothing left", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))


# ---- part 2: QEMU -----------------------------------------------------------------

class Web(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def registry_image():
    """docker-registry on 127.0.0.1 with a busybox image made with umoci and
    pushed with skopeo: (port, "test/bb:1"), or None when a tool or
    busybox-static is missing. Both parts pull it (main() runs this once)."""
    if any(shutil.which(x) is None for x in ("docker-registry", "skopeo", "umoci")) or \
            not os.path.exists("/bin/busybox"):
        return None
    d = os.path.join(TMP, "image")
    os.makedirs(d)
    lay, bun = os.path.join(d, "layout"), os.path.join(d, "bundle")

    def sh(*a):
        subprocess.run(a, check=True, capture_output=True, timeout=120)
    sh("umoci", "init", "--layout", lay)
    sh("umoci", "new", "--image", lay + ":bb")
    sh("umoci", "unpack", "--image", lay + ":bb", bun)
    bindir = os.path.join(bun, "rootfs", "bin")
    os.makedirs(bindir, exist_ok=True)
    shutil.copy("/bin/busybox", bindir)
    for a in ("sh", "echo", "cat", "uname", "sleep", "ls", "wget", "timeout", "stty", "tty"):
        os.symlink("busybox", os.path.join(bindir, a))
    sh("umoci", "repack", "--image", lay + ":bb", bun)
    sh("umoci", "config", "--image", lay + ":bb", "--config.cmd", "/bin/sh", "--config.cmd",
       "-c", "--config.cmd", "echo hello-from-image", "--config.env", "PATH=/bin",
       "--os", "linux", "--architecture", "amd64")
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
    cfg = os.path.join(d, "registry.yml")
    with open(cfg, "w") as f:
        json.dump({"version": 0.1, "log": {"level": "error"},
                   "storage": {"filesystem": {"rootdirectory": os.path.join(d, "data")}},
                   "http": {"addr": "127.0.0.1:%d" % port}}, f)
    log = open(os.path.join(d, "registry.log"), "w")
    p = subprocess.Popen(["docker-registry", "serve", cfg], stdout=log, stderr=log)
    PROCS.append(p)

    def up():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False
    if not wait_for(up, 20):
        raise RuntimeError("docker-registry did not start")
    sh("skopeo", "copy", "--dest-tls-verify=false", "oci:%s:bb" % lay,
       "docker://127.0.0.1:%d/test/bb:1" % port)
    return port, "test/bb:1"


def part_qemu(ctd):
    missing = [x for x in ("qemu-system-x86_64", "socat") if shutil.which(x) is None]
    if missing or not os.path.exists("/bin/busybox") or not os.path.exists("/usr/bin/crun"):
        print("SKIP part 2 (QEMU): missing %s" % (missing or "busybox-static/crun"))
        return
    if not (REAL_AGENT and os.access(REAL_AGENT, os.X_OK)):
        print("SKIP part 2 (QEMU): cocoon-agent is not built")
        return
    if REG is None:
        print("SKIP part 2 (QEMU): no docker-registry, skopeo or umoci for the image")
        return
    RAN.append("part 2")
    reg = REG
    out = os.path.join(SCRATCH, "guest")
    cache = os.path.join(SCRATCH, "kernel-cache")
    os.makedirs(cache, exist_ok=True)
    shutil.rmtree(out, ignore_errors=True)
    agent_cfg = os.path.join(TMP, "agent.json")
    with open(agent_cfg, "w") as f:
        json.dump({"image_insecure_registries": True}, f)  # the loopback registry is http
    t0 = time.time()
    p = subprocess.run([sys.executable, os.path.join(ROOT, "guest", "build.py"), out, "--agent",
                        REAL_AGENT, "--extra",
                        agent_cfg + ":/etc/cocoon/agent.json", "--level", "3",
                        "--kernel-cache", cache, "--quiet"],
                       capture_output=True, text=True, timeout=600)
    if not check("guest image builds (agent: cocoon-agent)", p.returncode == 0, p.stderr[-2000:]):
        return
    print("# guest image with cocoon-agent built in %.1f s" % (time.time() - t0))
    initrd = [n for n in os.listdir(out) if n.startswith("initramfs.cpio.")][0]
    webdir = os.path.join(TMP, "web")
    os.makedirs(webdir)
    with open(os.path.join(webdir, "hello.txt"), "w") as f:
        f.write("a loopback server of the host\n")
    handler = lambda *a, **k: Web(*a, directory=webdir, **k)  # noqa: E731
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    web_port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    # the one forward: the registry (the web server must stay out of reach)
    fwd = "10.0.2.100:5000=127.0.0.1:%d" % reg[0]
    cfg = write_cfg("qemu.toml", '[hypervisor.qemu]\nkernel = "%s"\ninitrd = "%s"\n'
                    'default_memory = 512\nnetwork = "user"\nguest_forward = "%s"\n'
                    'kernel_params = "agent.config_file=/etc/cocoon/agent.json"\n'
                    '[agent.cocoon]\ndial_timeout = 120\n[runtime]\nenable_debug = true\n'
                    % (os.path.join(out, "vmlinux"), os.path.join(out, initrd), fwd))
    image = "10.0.2.100:5000/" + reg[1]
    host_kernel = os.uname().release
    blocked = ("if timeout 5 wget -q -O /tmp/b http://10.0.2.2:%d/hello.txt; then "
               "echo reached-host; else echo host-blocked; fi" % web_port)
    t0 = time.time()
    r = ctd.run("q1", ["/bin/sh", "-c", "echo in-guest; uname -r; %s; exit 4" % blocked],
                cfg, image=image, timeout=300)
    print("# ctr run in a microVM took %.1f s" % (time.time() - t0))
    outs = r.stdout.decode(errors="replace").split("\n")
    check("QEMU: output from the container in the VM", outs[:1] == ["in-guest"], r)
    check("QEMU: it ran on the guest kernel, not the host's",
          len(outs) > 1 and outs[1] != host_kernel and outs[1].endswith("-amd64"), outs)
    check("QEMU: the guest reaches nothing but the forward (restrict=on)",
          "host-blocked" in outs, outs)
    check("QEMU: the exit code is the container's", r.returncode == 4, r.returncode)
    check("QEMU: no QEMU, shim, socket, state dir or bundle left",
          wait_for(lambda: not leftovers(ctd), 15), leftovers(ctd))
    guest_pull(ctd, cfg, image)
    srv.shutdown()
    bad = write_cfg("badkernel.toml", '[hypervisor.qemu]\nkernel = "%s"\ninitrd = "%s"\n'
                    '[agent.cocoon]\ndial_timeout = 30\n'
                    % (os.path.join(TMP, "no-vmlinux"), os.path.join(out, initrd)))
    r = ctd.run("q9", ["/bin/true"], bad, image=image, timeout=120)
    check("QEMU: a VM that does not boot fails ctr run with QEMU's own words",
          r.returncode != 0 and b"booting the VM" in r.stderr and b"no-vmlinux" in r.stderr,
          r.stderr[-800:])
    ctd.ctr("container", "delete", "q9")
    check("QEMU: ... and leaves nothing", wait_for(lambda: not leftovers(ctd), 15), leftovers(ctd))


def guest_pull(ctd, cfg, image):
    """cocoon-agent in the VM pulls the image through the guestfwd."""
    r = ctd.run("q2", [], cfg, image=image, timeout=300)
    check("guest pull: no command runs the image's Cmd (pulled in the guest)",
          r.stdout == b"hello-from-image\n" and r.returncode == 0, r)
    out, rc = run_tty(ctd, cfg, "q3", image)
    check("guest pull: ctr run -t gives the container a terminal of ctr's size",
          b"/dev/pts/" in out and b"30 100" in out and rc == 0, out)
    hostfile = os.path.join(TMP, "motd")
    with open(hostfile, "w") as f:
        f.write("copied into the guest\n")
    r = ctd.ctr("run", "-d", "--runtime", SHIM, "--runtime-config-path", cfg, "--rootfs",
                "--mount", "type=bind,src=%s,dst=/etc/motd,options=rbind:ro" % hostfile,
                "--annotation", "io.kubernetes.cri.image-name=" + image, ROOTFS, "q4",
                "/bin/sh", "-c", "trap 'exit 7' TERM; while :; do sleep 1; done", timeout=300)
    check("guest pull: ctr run -d", r.returncode == 0 and wait_for(
        lambda: ctd.task_status("q4") == "RUNNING", 30), r)
    r = ctd.ctr("task", "exec", "--exec-id", "x1", "q4", "/bin/sh", "-c", "echo exec-out; exit 5")
    check("guest pull: ctr task exec", r.stdout == b"exec-out\n" and r.returncode == 5, r)
    r = ctd.ctr("task", "exec", "--exec-id", "x2", "q4", "/bin/cat", "/etc/motd")
    check("guest pull: a bind-mounted host file is in the container (CopyFile)",
          r.stdout == b"copied into the guest\n", r)
    r = ctd.ctr("task", "ps", "q4")
    lines = r.stdout.decode().split()
    check("guest pull: ctr task ps lists the pod's pid (the VM's, as Kata's shim answers)",
          r.returncode == 0 and len(lines) >= 3 and lines[2].isdigit(), r)
    r = ctd.ctr("task", "metrics", "q4")
    check("guest pull: ctr task metrics (the guest's cgroup)",
          r.returncode == 0 and b"pids.current" in r.stdout, r)
    ok = ctd.ctr("task", "pause", "q4").returncode == 0 and ctd.task_status("q4") == "PAUSED"
    ok = ok and ctd.ctr("task", "resume", "q4").returncode == 0 and \
        ctd.task_status("q4") == "RUNNING"
    check("guest pull: ctr task pause / resume", ok, ctd.task_status("q4"))
    r = ctd.ctr("task", "kill", "-s", "SIGTERM", "q4")
    check("guest pull: ctr task kill delivers SIGTERM",
          r.returncode == 0 and wait_for(lambda: ctd.task_status("q4") == "STOPPED", 30),
          ctd.task_status("q4"))
    ctd.ctr("task", "delete", "q4")
    ctd.ctr("container", "delete", "q4")
    # a memory limit the guest's cgroup enforces: the OOM killer's event
    evpath = os.path.join(TMP, "events-oom.txt")
    evf = open(evpath, "w")
    ev = subprocess.Popen(["ctr", "--address", ctd.sock, "events"], stdout=evf, stderr=evf)
    PROCS.append(ev)
    time.sleep(0.5)
    r = ctd.run("q6", ["/bin/sh", "-c", "a=xxxxxxxxxxxxxxxx; while :; do a=\"$a$a\"; done"], cfg,
                extra=["--memory-limit", str(32 << 20)], image=image, timeout=300)
    time.sleep(1)
    stop(ev)
    evf.close()
    topics = [t for t, _ in events_of(evpath, "q6")]
    check("guest pull: the guest's OOM killer reaches containerd as /tasks/oom",
          r.returncode != 0 and "/tasks/oom" in topics, (r.returncode, topics))
    r = ctd.run("q5", ["/bin/true"], cfg, image="10.0.2.100:5000/test/missing:1", timeout=300)
    check("guest pull: a missing image fails ctr run with the agent's error",
          r.returncode != 0 and b"missing" in r.stderr, r.stderr[-600:])
    ctd.ctr("container", "delete", "q5")
    check("guest pull: no QEMU, shim, socket, state dir, bundle or mount left",
          wait_for(lambda: not leftovers(ctd), 20), leftovers(ctd))
    r = ctd.ctr("content", "ls", "-q")
    check("guest pull: the host's content store holds no layer of the image",
          r.stdout.strip() == b"", r.stdout)
    import pod_policy  # a Kata-generated policy on a pod (tests/shim/pod_policy.py)
    pod_policy.run(sys.modules[__name__], ctd, cfg, image)


def main():
    global TMP, ROOTFS, REG
    if shutil.which("containerd") is None or shutil.which("ctr") is None:
        print("SKIP: containerd is not installed")
        sys.exit(SKIP)
    if os.geteuid() != 0:
        print("SKIP: containerd needs root")
        sys.exit(SKIP)
    TMP = tempfile.mkdtemp(prefix="cocoon-shim-")
    # Inherited by containerd, the shims and the agents; part 1's containers
    # get it with ctr run --env: leftovers() and the final cleanup find
    # them by it.
    os.environ[MARK_VAR] = TMP
    ROOTFS = os.path.join(TMP, "rootfs")
    os.makedirs(ROOTFS)
    os.makedirs(SCRATCH, exist_ok=True)
    ctd = None
    try:
        ctd = Ctd(TMP)
        REG = registry_image()
        part_none(ctd)
        if os.environ.get("COCOON_SHIM_SKIP_QEMU") != "1":
            part_qemu(ctd)
    except Exception as e:  # noqa: BLE001
        check("the test ran to the end", False, repr(e))
    finally:
        teardown(ctd)
    print("%d failed" % len(FAILS))
    if not FAILS and not RAN:
        print("SKIP: neither part could run")
        sys.exit(SKIP)
    sys.exit(1 if FAILS else 0)


def teardown(ctd):
    """Stops what the test started and removes TMP; checks the logs for
    sanitizer reports (tests/initdata/test_initdata_pod.py uses it too)."""
    for p in reversed(PROCS):
        stop(p)
    if ctd is not None:
        # the shim's stderr is containerd's log: sanitizer reports land there
        # (part 1's host agent's stderr is AGENT_LOG)
        with open(ctd.log, errors="replace") as f:
            bad = [l for l in f if "Sanitizer" in l or "runtime error:" in l]
        bad += [l for l in agent_log().splitlines(True) if "Sanitizer" in l or
                "runtime error:" in l]
        check("no sanitizer report from the shim or the agent", not bad, bad[:5])

    # whatever a failed test left: the shims and agents, and the
    # processes with the marker, by PID; runc's containers of the host
    # agent (state and cgroups); then the files
    for pid in [p for p, _ in ours()] + (marked() if TMP else []):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if OCI1 and os.path.isdir(OCI1) and shutil.which("runc"):
        for cid in os.listdir(OCI1):
            subprocess.run(["runc", "--root", OCI1, "delete", "--force", cid],
                           capture_output=True, timeout=30)
        # the agent's parent cgroups (/cocoon), when empty (as test_rt_* do)
        for d in glob.glob("/sys/fs/cgroup/*/cocoon") + ["/sys/fs/cgroup/cocoon"]:
            try:
                os.rmdir(d)
            except OSError:
                pass
    if FAILS and ctd is not None:
        with open(ctd.log, errors="replace") as f:
            tail = [l for l in f if "cocoon" in l or "level=error" in l][-60:]
        print("# containerd log (shim lines):\n# " + "# ".join(tail))
    subprocess.run(["umount", "-R", TMP], capture_output=True)
    shutil.rmtree(TMP, ignore_errors=True)


TMP = ROOTFS = AGENT_LOG = None
REG = IMAGE1 = RUN1 = OCI1 = None  # the registry's (port, name); part 1's image and agent dirs
RAN = []  # the parts that ran
main()
