#!/usr/bin/env python3
"""Writes the seed corpus of the ttrpc_frame fuzz target
(fuzz/corpus/ttrpc_frame/): the kata.md §1.5 byte vectors, one Request per
agent RPC cocoon serves with a realistic payload (field numbers from
proto/agent.proto, oci.proto, types.proto), shim and events calls, and the
hostile shapes the server must answer (oversized, even and re-used ids,
Data, garbage, truncated frames). Rerun after changing it; the seeds are
committed.

Usage: make_fuzz_seeds.py [OUT_DIR]
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ttrpcwire import (DATA, REQUEST, RESPONSE, fbytes, forward_request,  # noqa: E402
                       frame, fvarint, header, request, response)

AGENT = "grpc.AgentService"
TASK = "containerd.task.v2.Task"
EVENTS = "containerd.services.events.ttrpc.v1.Events"
NS = [("containerd-namespace-ttrpc", "default")]


def oci_spec():
    user = fvarint(1, 0) + fvarint(2, 0)
    caps = b"".join(fbytes(n, "CAP_CHOWN") for n in (1, 2, 4))
    process = (fbytes(3, user) + fbytes(4, "/bin/sh") + fbytes(4, "-c") + fbytes(4, "echo hi")
               + fbytes(5, "PATH=/usr/bin:/bin") + fbytes(6, "/") + fbytes(7, caps)
               + fvarint(9, 1))
    root = fbytes(1, "/run/kata-containers/shared/containers/c1/rootfs")
    mount = fbytes(1, "/proc") + fbytes(2, "proc") + fbytes(3, "proc") + fbytes(4, "nosuid")
    ann = fbytes(7, fbytes(1, "io.kubernetes.cri.image-name") + fbytes(2, "registry/busybox:1"))
    ns = fbytes(6, fbytes(1, "pid")) + fbytes(6, fbytes(1, "mount"))
    mem = fbytes(4, fbytes(2, fvarint(1, 64 << 20)))
    seccomp = fbytes(8, fbytes(1, "SCMP_ACT_ERRNO") + fbytes(4, fbytes(1, "read") + fbytes(2, "SCMP_ACT_ALLOW") + fvarint(3, 1)))
    linux = fbytes(8, mem + fbytes(5, "/kubepods/c1") + ns + seccomp + fbytes(10, "/proc/kcore"))
    return fbytes(1, "1.1.0") + fbytes(2, process) + fbytes(3, root) + fbytes(4, "pod") + fbytes(5, mount) + ann + linux


def storage():
    return (fbytes(1, "local") + fbytes(3, "local") + fbytes(4, "local")
            + fbytes(5, "mode=0777") + fbytes(6, "/run/kata-containers/shared/containers/c1")
            + fbytes(7, fvarint(2, 1000) + fvarint(3, 1)))


def iface():
    addr = fvarint(1, 0) + fbytes(2, "10.244.0.17") + fbytes(3, "24")
    return (fbytes(1, "eth0") + fbytes(2, "eth0") + fbytes(3, addr) + fvarint(4, 1500)
            + fbytes(5, "46:7c:91:8d:d4:20"))


SEEDS = {
    # kata.md §1.5
    "vec-connect": bytes.fromhex(
        "000000560000000101000a17636f6e7461696e6572642e7461736b2e76322e5461736b1207436f6e6e"
        "6563741a050a03666f6f2080c8afa0252a250a1a636f6e7461696e6572642d6e616d6573706163652d"
        "7474727063120764656661756c74"),
    "vec-check": bytes.fromhex("000000140000000301000a0b677270632e4865616c74681205436865636b"),
    "vec-reply-go": bytes.fromhex("000000060000000302000a0012020801"),
    "vec-reply-nostatus": bytes.fromhex("0000000400000003020012020801"),
    # the agent API
    "agent-create-sandbox": request(1, AGENT, "CreateSandbox", fbytes(1, "pod") + fbytes(2, "nameserver 10.0.0.10") + fbytes(3, storage()) + fvarint(4, 1) + fbytes(5, "sb1") + fbytes(7, fbytes(1, "virtio_net"))),
    "agent-create-container": request(3, AGENT, "CreateContainer", fbytes(1, "c1") + fbytes(3, fbytes(1, "0") + fbytes(2, "0")) + fbytes(4, fbytes(1, "vda") + fbytes(2, "blk") + fbytes(4, "/dev/vda")) + fbytes(5, storage()) + fbytes(6, oci_spec()) + fvarint(7, 1) + fbytes(8, fbytes(1, "m") + fbytes(2, "c0")) + fvarint(9, 0), timeout_ns=60 * 10**9),
    "agent-start-wait": request(5, AGENT, "StartContainer", fbytes(1, "c1")) + request(7, AGENT, "WaitProcess", fbytes(1, "c1") + fbytes(2, "")),
    "agent-exec": request(9, AGENT, "ExecProcess", fbytes(1, "c1") + fbytes(2, "e1") + fbytes(4, fbytes(4, "/bin/ls") + fvarint(1, 1) + fbytes(2, fvarint(1, 24) + fvarint(2, 80)))),
    "agent-signal-remove": request(11, AGENT, "SignalProcess", fbytes(1, "c1") + fvarint(3, 15)) + request(13, AGENT, "RemoveContainer", fbytes(1, "c1") + fvarint(2, 10)),
    "agent-stdio": request(15, AGENT, "WriteStdin", fbytes(1, "c1") + fbytes(2, "e1") + fbytes(3, b"\x00\xffdata")) + request(17, AGENT, "ReadStdout", fbytes(1, "c1") + fvarint(3, 32768)) + request(19, AGENT, "ReadStderr", fbytes(1, "c1") + fvarint(3, 32768)) + request(21, AGENT, "CloseStdin", fbytes(1, "c1")) + request(23, AGENT, "TtyWinResize", fbytes(1, "c1") + fvarint(3, 24) + fvarint(4, 80)),
    "agent-network": request(25, AGENT, "UpdateInterface", fbytes(1, iface())) + request(27, AGENT, "UpdateRoutes", fbytes(1, fbytes(1, fbytes(2, "10.244.0.1") + fbytes(3, "eth0")))) + request(29, AGENT, "ListInterfaces") + request(31, AGENT, "ListRoutes"),
    "agent-copyfile": request(33, AGENT, "CopyFile", fbytes(1, "/run/kata-containers/shared/containers/c1-resolv.conf") + fvarint(2, 21) + fvarint(3, 0o100644) + fvarint(4, 0x80000000 | 0o750) + fvarint(7, 0) + fbytes(8, "nameserver 10.0.0.10\n")),
    "agent-copyfile-hostile": request(35, AGENT, "CopyFile", fbytes(1, "/run/../etc/shadow") + fvarint(2, -1) + fvarint(7, -5)),
    "agent-misc": request(37, AGENT, "GetGuestDetails", fvarint(1, 1) + fvarint(2, 1)) + request(39, AGENT, "GetOOMEvent") + request(41, AGENT, "StatsContainer", fbytes(1, "c1")) + request(43, AGENT, "PauseContainer", fbytes(1, "c1")) + request(45, AGENT, "ResumeContainer", fbytes(1, "c1")) + request(47, AGENT, "DestroySandbox"),
    "agent-setpolicy": request(49, AGENT, "SetPolicy", fbytes(1, "package agent_policy\ndefault CreateContainerRequest := true\n")),
    "agent-unimplemented": request(51, AGENT, "AddSwap", fbytes(1, b"\x01\x02")) + request(53, "grpc.Health", "Version"),
    # containerd <-> shim
    "task-create": request(1, TASK, "Create", fbytes(1, "c1") + fbytes(2, "/run/containerd/io.containerd.runtime.v2.task/default/c1") + fbytes(3, fbytes(1, "overlay") + fbytes(2, "overlay") + fbytes(4, "lowerdir=/a")) + fbytes(6, "/run/containerd/fifo/1/c1-stdout") + fbytes(10, fbytes(1, "type") + fbytes(2, b"v")), metadata=NS, timeout_ns=10**9),
    "task-exec-state-wait": request(3, TASK, "Exec", fbytes(1, "c1") + fbytes(2, "e1") + fbytes(7, fbytes(1, "types.containerd.io/opencontainers/runtime-spec/1/Process") + fbytes(2, '{"args":["ls"],"cwd":"/"}'))) + request(5, TASK, "State", fbytes(1, "c1")) + request(7, TASK, "Wait", fbytes(1, "c1")),
    "task-update": request(9, TASK, "Update", fbytes(1, "c1") + fbytes(3, fbytes(1, "k") + fbytes(2, "v")) + fbytes(3, fbytes(1, "k2"))),
    "events-forward": request(1, EVENTS, "Forward", forward_request(ts=1700000000)),
    # hostile shapes
    "oversized-then-ok": header(4 * 1024 * 1024 + 1, 1, REQUEST) + b"\x00" * 64 + request(3, "grpc.Health", "Check"),
    "ids-even-reused": request(2, "grpc.Health", "Check") + request(5, "grpc.Health", "Check") + request(3, "grpc.Health", "Check") + request(5, "grpc.Health", "Check"),
    "data-frames": request(1, AGENT, "WaitProcess", fbytes(1, "c1")) + frame(1, DATA, b"\x08\x01") + frame(3, DATA, b"", 5) + frame(5, DATA, b"x", 1),
    "types-ignored": frame(1, RESPONSE, b"junk") + frame(3, 0x7F, b"", 0xFF) + frame(5, 0, b"") + request(7, "grpc.Health", "Check"),
    "garbage-request": frame(1, REQUEST, b"\xff\xff\xff\xff"),
    "nul-utf8-names": request(1, "grpc.Health\x00x", "Check") + frame(3, REQUEST, fbytes(1, b"\xc0\xaf") + fbytes(2, "Check")),
    "metadata-many": request(1, "grpc.Health", "Check", metadata=[("k%d" % i, "v") for i in range(70)]),
    "timeout-negative": request(1, "grpc.Health", "Check", timeout_ns=-1),
    "truncated-frame": request(1, "grpc.Health", "Check")[:-3],
    "truncated-header": b"\x00\x00\x00",
    "responses": response(1, 0) + response(3) + response(5, 12, "method X") + response(7, 0, "", b"\x08\x01"),
    "payload-wrong-type": request(1, AGENT, "CreateContainer", b"\x32\x03\x12\x01\xff") + request(3, AGENT, "CopyFile", b"\x0a\x05/r"),
    "empty": b"",
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "fuzz", "corpus", "ttrpc_frame")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(SEEDS), os.path.normpath(out)))


if __name__ == "__main__":
    main()
