#!/usr/bin/env python3
"""containerd 1.6 (Debian) as a real ttrpc peer (docs/ttrpc.md).

Starts containerd with a private root, state and sockets under a temp dir
(no systemd; ../shared/reference/machine.md §3), then:
  1. Events/Forward of a TaskStart event with our client (ttrpc-peer
     forward); `ctr events` must print it, decoded;
  2. Forward envelopes containerd must refuse (no timestamp, bad topic);
  3. the same raw frames to containerd's ttrpc server and to ours
     (ttrpc-peer serve): where ttrpc-go 1.1.1 and our 1.2 rules agree the
     answers must be equal, and the known differences are asserted as such;
  4. containerd's own ttrpc client calling our server: `ctr run --runtime`
     a fake shim (fake_shim.c) whose Task service is ours; ctr must exit
     with the status our WaitResponse carried.
Every process it starts is stopped by PID. Exits 77 without containerd or
without root.

Usage: test_containerd.py PATH/TO/ttrpc-peer PATH/TO/containerd-shim-cocoonfake-v2
"""
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ttrpcwire import fbytes, forward_request, frame, request  # noqa: E402

PEER = sys.argv[1]
FAKE_SHIM = sys.argv[2]
EVENTS = "containerd.services.events.ttrpc.v1.Events"
FAILS = []
PROCS = []


def check(name, cond, detail=""):
    print(("ok - " if cond else "not ok - ") + name + ("" if cond else ": " + detail))
    if not cond:
        FAILS.append(name)


# the frames are made by ttrpcwire.py, independently of the C code


# ---- processes -----------------------------------------------------------

def wait_for(pred, timeout=20.0, what=""):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_containerd(tmp):
    cfg = os.path.join(tmp, "config.toml")
    with open(cfg, "w") as f:
        f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                '[grpc]\n  address = "%s/c.sock"\n[ttrpc]\n  address = "%s/c.sock.ttrpc"\n'
                '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s/opt"\n'
                % (tmp, tmp, tmp, tmp, tmp))
    log = open(os.path.join(tmp, "containerd.log"), "w")
    env = dict(os.environ, COCOON_FAKE_SHIM_LOG=os.path.join(tmp, "shim-calls.log"))
    p = subprocess.Popen(["containerd", "--config", cfg], stdout=log, stderr=log, env=env)
    PROCS.append(p)
    sock = os.path.join(tmp, "c.sock")
    wait_for(lambda: p.poll() is None and os.path.exists(sock + ".ttrpc") and subprocess.run(
        ["ctr", "--address", sock, "version"], capture_output=True).returncode == 0,
        what="containerd")
    return sock


def peer(*args, stdin=None, timeout=60):
    p = subprocess.run([PEER] + list(args), input=stdin, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("ttrpc-peer %s: %s" % (args[0], p.stderr.decode(errors="replace")))
    return p.stdout.decode(errors="replace").strip()


def raw(sock, *frames):
    return [l.rstrip() for l in peer("raw", sock, stdin=b"".join(frames)).splitlines()]


# ---- the tests -------------------------------------------------------------

def test_forward(sock):
    ttrpc = sock + ".ttrpc"
    out_path = os.path.join(TMP, "events.txt")
    out = open(out_path, "w")
    ev = subprocess.Popen(["ctr", "--address", sock, "events"], stdout=out, stderr=out)
    PROCS.append(ev)
    time.sleep(0.5)  # subscribed before we publish
    res = peer("forward", ttrpc, "default", "/tasks/start", "cocoon-c1", "4242")
    check("Events/Forward of a TaskStart answers OK", res == "OK", res)

    def seen():
        with open(out_path) as f:
            return "cocoon-c1" in f.read()
    try:
        wait_for(seen, 10, "the event in ctr events")
    except RuntimeError:
        pass
    stop(ev)
    with open(out_path) as f:
        lines = [l for l in f.read().splitlines() if "cocoon-c1" in l]
    check("ctr events shows the event once", len(lines) == 1, repr(lines))
    line = lines[0] if lines else ""
    check("ctr events decoded it: namespace, topic, TaskStart fields",
          " default /tasks/start " in line and '"container_id":"cocoon-c1"' in line
          and '"pid":4242' in line, line)

    res = peer("forward", ttrpc, "default", "/tasks/start", "c2", "1", "--no-timestamp")
    check("Forward without a timestamp is refused",
          res == "INVALID_ARGUMENT: timestamp must be set on forwarded event: invalid argument",
          res)
    res = peer("forward", ttrpc, "default", "tasks/start", "c2", "1")
    check("Forward with a bad topic is refused",
          res.startswith("INVALID_ARGUMENT: envelope topic \"tasks/start\": must start with '/'"),
          res)
    res = peer("call", ttrpc, "x.Y", "Z")
    check("unknown service via our client", res == "UNIMPLEMENTED: service x.Y", res)
    res = peer("call", ttrpc, EVENTS, "Nope")
    check("unknown method via our client", res == "UNIMPLEMENTED: method Nope", res)


# (name, frames, expected lines from containerd, from ours; None = same).
# A line is "ID CODE MESSAGE"; a trailing "*" in an expectation matches any
# rest of the message (the texts of protobuf decode errors differ).
BIG = struct.pack(">IIBB", 4 * 1024 * 1024 + 1, 5, 1, 0) + bytes(4 * 1024 * 1024 + 1)
CASES = [
    ("unknown service", [request(1, "x.Y", "Z")], ["1 UNIMPLEMENTED service x.Y"], None),
    ("unknown method", [request(1, EVENTS, "Nope")], ["1 UNIMPLEMENTED method Nope"], None),
    ("even stream id", [request(2, "x.Y", "Z")],
     ["2 INVALID_ARGUMENT StreamID must be odd for client initiated streams"], None),
    ("oversized frame, connection stays", [BIG, request(7, "x.Y", "Z")],
     ["5 RESOURCE_EXHAUSTED message length 4194305 exceed maximum message size of 4194304",
      "7 UNIMPLEMENTED service x.Y"], None),
    ("malformed Request", [frame(1, 1, b"\xff\xff\xff")],
     ["1 INVALID_ARGUMENT unmarshal request error: *"], None),
    ("malformed Forward payload", [request(1, EVENTS, "Forward", b"\x0a\x05ab")],
     ["1 INTERNAL ttrpc: error unmarshalling payload: *"], None),
    ("responses and unknown types are ignored",
     [frame(1, 2, b"junk"), frame(3, 0x7F, b"junk", 0xFF), request(5, "x.Y", "Z")],
     ["5 UNIMPLEMENTED service x.Y"], None),
    ("a valid Forward", [request(1, EVENTS, "Forward", forward_request())], ["1 OK"], None),
    # (not sent: Forward with an empty payload makes containerd 1.6.20 panic on
    # the nil envelope and exit; docs/ttrpc.md)
    # ttrpc-go 1.1.1 (containerd 1.6) has no re-use rule; 1.2 (and we) do
    ("re-used stream id", [request(5, "x.Y", "Z"), request(3, "x.Y", "Z")],
     ["5 UNIMPLEMENTED service x.Y", "3 UNIMPLEMENTED service x.Y"],
     ["5 UNIMPLEMENTED service x.Y",
      "3 INVALID_ARGUMENT StreamID cannot be re-used and must increment"]),
    # 1.1.1 ignores Data frames; 1.2 (and we) answer them
    ("data on no stream", [frame(1, 3, b"")], [],
     ["1 INVALID_ARGUMENT StreamID is no longer active"]),
    # Go accepts a NUL inside a string; protobuf-c would cut the string there,
    # so we refuse it. containerd echoes it back in its status message, which
    # our Response decoder refuses for the same reason (our client cannot
    # send a NUL: names are C strings).
    # a string that is not UTF-8: both refuse it in the Request; in a payload,
    # containerd's gogo-generated decoders take it, our validator does not
    ("invalid UTF-8 in the service name", [frame(1, 1, fbytes(1, b"x.\xc0\xafY") + fbytes(2, "Z"))],
     ["1 INVALID_ARGUMENT unmarshal request error: *"], None),
    ("invalid UTF-8 in a payload string",
     [request(1, EVENTS, "Forward", fbytes(1, fbytes(2, b"\xff\xfe")))],
     ["1 INVALID_ARGUMENT event envelope has invalid namespace: *"],
     ["1 INTERNAL ttrpc: error unmarshalling payload: "
      "containerd.services.events.ttrpc.v1.ForwardRequest.envelope: "
      "containerd.services.events.ttrpc.v1.Envelope.namespace: string is not valid UTF-8 "
      "or contains NUL"]),
    ("NUL in the service name", [request(1, "x.Y\0z", "Z")],
     ["1 type 2 undecodable"],
     ["1 INVALID_ARGUMENT unmarshal request error: ttrpc.Request.service: string is not "
      "valid UTF-8 or contains NUL"]),
]


def matches(got, want):
    # concurrent requests may be answered in any order
    got, want = sorted(got), sorted(want)
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if w.endswith("*") and g.startswith(w[:-1]):
            continue
        if g != w:
            return False
    return True


def test_raw(ctd_sock, our_sock):
    for name, frames, want_ctd, want_ours in CASES:
        got_ctd = raw(ctd_sock, *frames)
        got_ours = raw(our_sock, *frames)
        want_ours = want_ctd if want_ours is None else want_ours
        check("containerd: " + name, matches(got_ctd, want_ctd), repr(got_ctd))
        check("cocoon:     " + name, matches(got_ours, want_ours), repr(got_ours))


def test_fake_shim(sock):
    rootfs = os.path.join(TMP, "rootfs")
    os.makedirs(rootfs)
    p = subprocess.run(["ctr", "--address", sock, "run", "--rm", "--null-io", "--runtime",
                        FAKE_SHIM, "--rootfs", rootfs, "fake1", "/bin/true"],
                       capture_output=True, text=True, timeout=60)
    check("ctr run through our Task server exits with our WaitResponse's status 7",
          p.returncode == 7, "rc %d: %s" % (p.returncode, p.stderr))
    log_path = os.path.join(TMP, "shim-calls.log")
    wait_for(lambda: os.path.exists(log_path) and "exit" in open(log_path).read().split(),
             10, "the fake shim to exit")
    lines = open(log_path).read().splitlines()
    calls = [l.split()[0] for l in lines]
    pid = int(lines[0].split()[1]) if lines and lines[0].startswith("pid ") else 0
    if pid:
        try:  # stopped by PID if it did not exit by itself
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    order = [c for c in calls if c in ("Create", "Start", "Wait", "Delete", "Shutdown")]
    check("containerd called Create, Wait, Start, Delete, Shutdown",
          sorted(order) == sorted(["Create", "Start", "Wait", "Delete", "Shutdown"])
          and order[0] == "Create" and order[-1] == "Shutdown", repr(calls))
    create = next((l for l in lines if l.startswith("Create ")), "")
    check("Create carried the task id and bundle",
          " id=fake1 " in create and "/state/io.containerd.runtime.v2.task/default/fake1" in create,
          create)
    check("containerd's deadlines reached our handlers (timeout_nano)",
          any("deadline=yes" in l for l in lines), repr(lines))
    check("the fake shim's server shut down cleanly", calls[-1] in ("exit", "delete-action"),
          repr(calls))
    # an observation, not a check: containerd 1.6.20 sends shims no ttrpc
    # metadata (the namespace comes from -namespace and the bundle path)
    md = sorted(set(w for l in lines for w in l.split() if w.startswith("md=")))
    print("# metadata entries containerd sent the shim per call: %s" % ", ".join(md))


def main():
    if not shutil.which("containerd") or not shutil.which("ctr"):
        print("SKIP: containerd and ctr are not installed")
        return 77
    if os.geteuid() != 0:
        print("SKIP: containerd needs root")
        return 77
    global TMP
    TMP = tempfile.mkdtemp(prefix="cocoon-ttrpc-")
    try:
        sock = start_containerd(TMP)
        test_forward(sock)
        ours = os.path.join(TMP, "ours.sock")
        srv = subprocess.Popen([PEER, "serve", ours], stdout=subprocess.PIPE, text=True)
        PROCS.append(srv)
        check("our server starts", srv.stdout.readline().strip() == "ready")
        test_raw(sock + ".ttrpc", ours)
        stop(srv)
        check("our server stops on SIGTERM with status 0", srv.returncode == 0,
              str(srv.returncode))
        test_fake_shim(sock)
    except Exception as e:  # a harness failure is a test failure
        check("harness", False, str(e))
    finally:
        for p in reversed(PROCS):
            stop(p)
        mounts = open("/proc/self/mounts").read()
        check("nothing left mounted under the temp dir", TMP not in mounts)
        shutil.rmtree(TMP, ignore_errors=True)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
