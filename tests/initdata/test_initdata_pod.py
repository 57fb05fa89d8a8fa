#!/usr/bin/env python3
"""A pod's init-data from the annotation to the agent's policy
(docs/initdata.md), with containerd 1.6 and the real shim and agent.

Part A, the agent alone (root: a loop device): cocoon-agent reads a
data.img given with --initdata-device and writes initdata.toml, aa.toml
and cdh.toml; a malformed image (length past the end, bad gzip, bad
version) or one it cannot open stops the agent with the error (status 1),
never "no init-data"; its scan finds the image by its magic on a block
device named vd* (a loop device behind a node in a scratch directory);
with a genpolicy policy (tests/rego/kata) in init-data, SetPolicy sent
with ttrpc-peer is refused (PERMISSION_DENIED), and allowed without it.

Part B, containerd (`ctr run` with the shim, hypervisor "none": the agent
as a host process, as tests/shim/test_shim_containerd.py part 1, whose
helpers this script loads): the annotation
io.katacontainers.config.hypervisor.cc_init_data carries a policy that
lets only /bin/sh run and forbids SetPolicy. A container running /bin/sh
runs (pulled from a loopback registry); one running /bin/true is refused
with the policy's reason; a pod that also sends a policy with SetPolicy
(io.katacontainers.config.agent.policy) is refused; a bad annotation and a
configuration that does not enable it fail with the annotation named; and
nothing is left behind.

Part C, one microVM (skipped without QEMU, busybox-static or crun, or
with COCOON_SHIM_SKIP_QEMU=1): a guest image built with guest/build.py;
the agent in the guest finds the image on its virtio-blk disk by the
magic and refuses the /bin/true container with the init-data policy's
reason.

Every process this script starts is stopped by PID. Exits 77 without
root, containerd, runc or the registry tools.

Usage: test_initdata_pod.py SHIM SCRATCH_DIR COCOON_AGENT [TTRPC_PEER]
"""
import base64
import gzip
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SHIM_TEST = os.path.join(os.path.dirname(HERE), "shim", "test_shim_containerd.py")
SHIM, SCRATCH, AGENT = (os.path.abspath(a) for a in sys.argv[1:4])
PEER = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
ANNOTATION = "io.katacontainers.config.hypervisor.cc_init_data"

# test_shim_containerd.py's helpers (containerd under a temp dir, the
# registry, the host agent's configuration, leftovers), without its main()
sys.argv = [SHIM_TEST, SHIM, SCRATCH, AGENT]
with open(SHIM_TEST) as f:
    _src = f.read()
H = {"__name__": "shim_containerd_helpers", "__file__": SHIM_TEST}
exec(compile(_src[:_src.rindex("\nmain()")], SHIM_TEST, "exec"), H)
check, stop, wait_for, PROCS, FAILS = H["check"], H["stop"], H["wait_for"], H["PROCS"], H["FAILS"]

POLICY = r'''package agent_policy

default AddARPNeighborsRequest := true
default CloseStdinRequest := true
default CopyFileRequest := true
default CreateSandboxRequest := true
default DestroySandboxRequest := true
default ExecProcessRequest := true
default GetOOMEventRequest := true
default GuestDetailsRequest := true
default OnlineCPUMemRequest := true
default PauseContainerRequest := true
default ReadStreamRequest := true
default RemoveContainerRequest := true
default ResumeContainerRequest := true
default SignalProcessRequest := true
default StartContainerRequest := true
default StatsContainerRequest := true
default TtyWinResizeRequest := true
default UpdateInterfaceRequest := true
default UpdateRoutesRequest := true
default WaitProcessRequest := true
default WriteStreamRequest := true

# the owner's rules, from init-data: no SetPolicy from the host, and only
# /bin/sh may run
default SetPolicyRequest := false
default CreateContainerRequest := false

CreateContainerRequest {
    input.OCI.Process.Args[0] == "/bin/sh"
}

CreateContainerRequest {
    input.OCI.Process.Args[0] != "/bin/sh"
    print("initdata policy: only /bin/sh may run, not", input.OCI.Process.Args[0])
    false
}
'''
AA_TOML = '[token_configs]\n[token_configs.kbs]\nurl = "http://127.0.0.1:8080"\n'
CDH_TOML = "socket = 'unix:///run/confidential-containers/cdh.sock'\ncredentials = []\n"


def toml_doc(version="0.1.0"):
    def lit(s):
        return "'''\n" + s + "'''"
    return ('version = "%s"\nalgorithm = "sha256"\n[data]\n"policy.rego" = %s\n'
            '"aa.toml" = %s\n"cdh.toml" = %s\n' % (version, lit(POLICY), lit(AA_TOML),
                                                   lit(CDH_TOML))).encode()


def annotation(doc):
    return base64.b64encode(gzip.compress(doc)).decode()


def image(doc, declared=None, body=None):
    g = body if body is not None else gzip.compress(doc)
    b = b"initdata" + struct.pack("<Q", len(g) if declared is None else declared) + g
    return b + b"\0" * (-len(b) % 512)


def run_agent(tmp, *args, timeout=10, while_up=None):
    """cocoon-agent until it listens (then while_up(socket), then SIGTERM)
    or exits: (status, its log)."""
    sock = os.path.join(tmp, "a.sock")
    p = subprocess.Popen([AGENT, "--listen", "unix:" + sock, "--run-dir",
                          os.path.join(tmp, "run")] + list(args),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    PROCS.append(p)
    wait_for(lambda: p.poll() is not None or os.path.exists(sock), timeout)
    if p.poll() is None and while_up is not None:
        while_up(sock)
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    PROCS.remove(p)
    if os.path.exists(sock):
        os.unlink(sock)
    return p.returncode, err.decode(errors="replace")


def part_agent(tmp):
    doc = toml_doc()
    good = os.path.join(tmp, "data.img")
    with open(good, "wb") as f:
        f.write(image(doc))
    out = os.path.join(tmp, "id-out")
    rc, log = run_agent(tmp, "--no-guest", "--initdata-device", good, "--initdata-dir", out)
    check("agent: a good image is read and its policy loaded before serving",
          rc == 0 and "init-data: read from %s, sha256" % good in log and
          "policy: init-data's policy.rego loaded" in log and
          log.index("policy.rego loaded") < log.index("listening on"), log)
    files = {}
    for n in ("initdata.toml", "aa.toml", "cdh.toml"):
        try:
            with open(os.path.join(out, n), "rb") as f:
                files[n] = f.read()
        except OSError:
            files[n] = None
    check("agent: initdata.toml is the document as given, aa.toml and cdh.toml its entries",
          files == {"initdata.toml": doc, "aa.toml": AA_TOML.encode(),
                    "cdh.toml": CDH_TOML.encode()}, files)
    check("agent: the files are 0600",
          all(os.stat(os.path.join(out, n)).st_mode & 0o777 == 0o600 for n in files
              if files[n] is not None))

    bad = [
        ("a length past the end", image(doc, declared=4096),
         "init-data image: declared length 4096 runs past the end"),
        ("bad gzip", image(doc, body=b"not gzip at all"),
         "init-data image: gzip: incorrect header check"),
        ("an unsupported version", image(toml_doc("0.2.0")),
         'initdata.toml: unsupported version "0.2.0", expected 0.1.0'),
        ("a missing device", None, "No such file or directory"),
    ]
    for what, data, msg in bad:
        path = os.path.join(tmp, "bad.img")
        if data is None:
            path = os.path.join(tmp, "missing.img")
        else:
            with open(path, "wb") as f:
                f.write(data)
        rc, log = run_agent(tmp, "--no-guest", "--initdata-device", path, "--initdata-dir", out)
        check("agent: %s stops the agent (status 1) with the error" % what,
              rc == 1 and msg in log and "listening on" not in log, (rc, log[-600:]))

    # guest mode: the scan finds the image on a block device named vd*
    if shutil.which("losetup") is None:
        print("SKIP agent scan: no losetup")
        return
    r = subprocess.run(["losetup", "-f", "--show", "-r", good], capture_output=True, text=True)
    if r.returncode != 0:
        print("SKIP agent scan: losetup: %s" % r.stderr.strip())
        return
    loop = r.stdout.strip()
    try:
        dev = os.path.join(tmp, "dev")
        os.makedirs(dev)
        st = os.stat(loop)
        os.mknod(os.path.join(dev, "vdb"), 0o600 | 0o060000, st.st_rdev)
        # what the guest agent does in /dev, in a scratch directory: a
        # regular file named vda is no block device and is passed over
        with open(os.path.join(dev, "vda"), "wb") as f:
            f.write(image(doc))
        rc, log = run_agent(tmp, "--no-guest", "--initdata-scan-dir", dev,
                            "--initdata-dir", out + "2")
        check("agent: the scan finds the image on the block device vdb by its magic",
              rc == 0 and "init-data: read from %s/vdb" % dev in log and
              "policy.rego loaded" in log, log[-600:])
        os.symlink(os.path.join(dev, "vdb"), os.path.join(dev, "sdz"))
        os.mknod(os.path.join(dev, "vdc"), 0o600 | 0o060000, st.st_rdev)
        rc, log = run_agent(tmp, "--no-guest", "--initdata-scan-dir", dev,
                            "--initdata-dir", out + "2")
        check("agent: two devices with the magic stop the agent (a symlink is passed over)",
              rc == 1 and "two devices carry init-data: %s/vdb and %s/vdc" % (dev, dev) in log,
              log[-600:])
        empty = os.path.join(tmp, "empty-dev")
        os.makedirs(empty)
        rc, log = run_agent(tmp, "--no-guest", "--initdata-scan-dir", empty,
                            "--initdata-dir", out + "3")
        check("agent: no device with the magic is no init-data (the agent serves)",
              rc == 0 and "init-data: no device carries it under" in log and
              "listening on" in log and not os.path.exists(out + "3"), log[-600:])
    finally:
        subprocess.run(["losetup", "-d", loop], capture_output=True)


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7f, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def set_policy(sock):
    """SetPolicy (grpc.AgentService) with an allow-all policy, through
    ttrpc-peer: what it prints (the code and message of an error)."""
    pol = b"package agent_policy\ndefault CreateContainerRequest := true\n"
    payload = b"\x0a" + varint(len(pol)) + pol
    r = subprocess.run([PEER, "call", sock, "grpc.AgentService", "SetPolicy", payload.hex()],
                       capture_output=True, timeout=30)
    return r.returncode, r.stdout.decode(errors="replace").strip()


def part_kata_policy(tmp):
    """A genpolicy policy (tests/rego/kata) in init-data: its
    `default SetPolicyRequest := false` refuses SetPolicy from the host."""
    if PEER is None:
        print("SKIP agent SetPolicy: ttrpc-peer is not built")
        return
    with open(os.path.join(H["ROOT"], "tests", "rego", "kata", "k8s-policy-pod",
                           "policy.rego")) as f:
        kata = f.read()
    doc = ('version = "0.1.0"\nalgorithm = "sha384"\n[data]\n"policy.rego" = \'\'\'\n%s\'\'\'\n'
           % kata).encode()
    img = os.path.join(tmp, "kata.img")
    with open(img, "wb") as f:
        f.write(image(doc))
    got = []
    rc, log = run_agent(tmp, "--no-guest", "--initdata-device", img, "--initdata-dir",
                        os.path.join(tmp, "id-kata"), while_up=lambda s: got.append(set_policy(s)))
    check("agent: a genpolicy policy from init-data refuses SetPolicy from the host",
          rc == 0 and got and got[0][1].startswith(
              "PERMISSION_DENIED: SetPolicyRequest is blocked by policy"), (got, log[-800:]))
    got = []
    rc, log = run_agent(tmp, "--no-guest", while_up=lambda s: got.append(set_policy(s)))
    check("agent: without init-data the boot-time policy (allow-all) lets SetPolicy through",
          rc == 0 and got and got[0][0] == 0 and "policy: replaced by SetPolicy" in log,
          (got, log[-800:]))


def pod_cfg(tmp, enable=None):
    """H's part-1 configuration (host agent, runc, the registry) with the
    agent's init-data directory in tmp and, when given, enable_annotations."""
    H["none_cfg"]()  # sets AGENT_LOG, RUN1, OCI1 and the wrapper script
    wrap = os.path.join(tmp, "cocoon-agent.sh")
    args = ["--no-guest", "--log-level", "debug", "--run-dir", H["RUN1"],
            "--oci-runtime", shutil.which("runc"), "--oci-root", H["OCI1"],
            "--image-cache", os.path.join(tmp, "agent-cache"), "--insecure-registries",
            "--initdata-dir", os.path.join(tmp, "pod-initdata")]
    text = ('[runtime]\nhypervisor = "none"\nenable_debug = true\n'
            '[hypervisor.none]\nagent_path = "%s"\nagent_args = %s\n' % (wrap, json.dumps(args)))
    if enable is not None:
        text += "enable_annotations = %s\n" % json.dumps(enable)
    text += '[agent.cocoon]\ndial_timeout = 20\nguest_run_dir = "%s"\n' % H["RUN1"]
    return H["write_cfg"]("initdata-%s.toml" % ("default" if enable is None else "custom"), text)


def part_pod(ctd, tmp):
    H["IMAGE1"] = "127.0.0.1:%d/%s" % H["REG"]
    cfg = pod_cfg(tmp)
    ann = ["--annotation", "%s=%s" % (ANNOTATION, annotation(toml_doc()))]
    leftovers = H["leftovers"]

    r = ctd.run("id1", ["/bin/sh", "-c", "echo allowed-by-initdata"], cfg, extra=H["p1"](ann))
    log = H["agent_log"]()
    check("pod: the init-data policy lets /bin/sh run", r.returncode == 0 and
          r.stdout == b"allowed-by-initdata\n", r)
    check("pod: the agent read the shim's image (--initdata-device) and loaded its policy",
          "init-data: read from " in log and "/initdata.img, sha256 " in log and
          "init-data's policy.rego loaded" in log, log[-1500:])
    with open(os.path.join(tmp, "pod-initdata", "initdata.toml"), "rb") as f:
        check("pod: the guest's initdata.toml is the owner's document", f.read() == toml_doc())
    check("pod: nothing left", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))

    r = ctd.run("id2", ["/bin/true"], cfg, extra=H["p1"](ann))
    err = r.stderr.decode(errors="replace")
    check("pod: a container the init-data policy forbids is refused with the policy's reason",
          r.returncode != 0 and "CreateContainerRequest is blocked by policy" in err and
          "initdata policy: only /bin/sh may run, not /bin/true" in err, err)
    ctd.ctr("container", "delete", "id2")
    check("pod: ... and nothing left", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))

    allow_all = base64.b64encode(b"package agent_policy\ndefault SetPolicyRequest := true\n"
                                 b"default CreateContainerRequest := true\n").decode()
    both = ann + ["--annotation", "io.katacontainers.config.agent.policy=" + allow_all]
    r = ctd.run("id3", ["/bin/true"], cfg, extra=H["p1"](both))
    err = r.stderr.decode(errors="replace")
    check("pod: SetPolicy from the host is refused when the init-data policy forbids it",
          r.returncode != 0 and "SetPolicyRequest is blocked by policy" in err, err)
    ctd.ctr("container", "delete", "id3")
    check("pod: ... and nothing left", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))

    r = ctd.run("id4", ["/bin/true"], cfg,
                extra=H["p1"](["--annotation", ANNOTATION + "=not*base64"]))
    err = r.stderr.decode(errors="replace")
    check("pod: a bad annotation fails the start, naming the annotation",
          r.returncode != 0 and "annotation %s: not valid base64" % ANNOTATION in err, err)
    ctd.ctr("container", "delete", "id4")
    check("pod: ... and nothing left", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))

    off = pod_cfg(tmp, enable=["kernel_params"])
    r = ctd.run("id5", ["/bin/true"], off, extra=H["p1"](ann))
    err = r.stderr.decode(errors="replace")
    check("pod: the annotation is refused when enable_annotations does not list it",
          r.returncode != 0 and ("annotation %s is not enabled" % ANNOTATION) in err, err)
    ctd.ctr("container", "delete", "id5")
    check("pod: ... and nothing left", wait_for(lambda: not leftovers(ctd), 10), leftovers(ctd))


def part_vm(ctd, tmp):
    """One microVM: the guest agent finds the image on /dev/vda by its
    magic and enforces the init-data policy (refused before any pull)."""
    missing = [x for x in ("qemu-system-x86_64",) if shutil.which(x) is None]
    if missing or not os.path.exists("/bin/busybox") or not os.path.exists("/usr/bin/crun"):
        print("SKIP part C (one microVM): missing %s" % (missing or "busybox-static/crun"))
        return
    out = os.path.join(SCRATCH, "guest")
    cache = os.path.join(SCRATCH, "kernel-cache")
    os.makedirs(cache, exist_ok=True)
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([sys.executable, os.path.join(H["ROOT"], "guest", "build.py"), out,
                        "--agent", AGENT, "--level", "3", "--kernel-cache", cache, "--quiet"],
                       capture_output=True, text=True, timeout=600)
    if not check("VM: guest image builds", p.returncode == 0, p.stderr[-2000:]):
        return
    initrd = [n for n in os.listdir(out) if n.startswith("initramfs.cpio.")][0]
    cfg = H["write_cfg"]("initdata-qemu.toml",
                         '[hypervisor.qemu]\nkernel = "%s"\ninitrd = "%s"\n'
                         'default_memory = 512\n[agent.cocoon]\ndial_timeout = 120\n'
                         '[runtime]\nenable_debug = true\n'
                         % (os.path.join(out, "vmlinux"), os.path.join(out, initrd)))
    ann = ["--annotation", "%s=%s" % (ANNOTATION, annotation(toml_doc()))]
    r = ctd.run("idvm", ["/bin/true"], cfg, extra=ann, timeout=300)
    err = r.stderr.decode(errors="replace")
    check("VM: the guest agent read init-data from its virtio-blk disk and enforces its policy",
          r.returncode != 0 and "CreateContainerRequest is blocked by policy" in err and
          "initdata policy: only /bin/sh may run, not /bin/true" in err, err[-1500:])
    ctd.ctr("container", "delete", "idvm")
    check("VM: no QEMU, shim, socket, state dir or bundle left",
          wait_for(lambda: not H["leftovers"](ctd), 15), H["leftovers"](ctd))


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (containerd, a loop device)")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="cocoon-initdata-")
    H["TMP"] = tmp
    os.environ[H["MARK_VAR"]] = tmp
    ran = False
    ctd = None
    try:
        part_agent(tmp)
        part_kata_policy(tmp)
        ran = True
        if shutil.which("containerd") is None or shutil.which("ctr") is None:
            print("SKIP part B: containerd is not installed")
        else:
            H["ROOTFS"] = os.path.join(tmp, "rootfs")
            os.makedirs(H["ROOTFS"])
            os.makedirs(SCRATCH, exist_ok=True)
            ctd = H["Ctd"](tmp)
            H["REG"] = H["registry_image"]()
            why = H["part1_missing"]()
            if why:
                print("SKIP part B: %s" % why)
            else:
                part_pod(ctd, tmp)
            if os.environ.get("COCOON_SHIM_SKIP_QEMU") != "1":
                part_vm(ctd, tmp)
    except Exception as e:  # noqa: BLE001
        check("the test ran to the end", False, repr(e))
    finally:
        H["teardown"](ctd)
    print("%d failed" % len(FAILS))
    if not ran:
        sys.exit(77)
    sys.exit(1 if FAILS else 0)


main()
