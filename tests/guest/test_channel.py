#!/usr/bin/env python3
"""Channel test of the guest image: /init finds the virtio-serial port the
host named "agent.v1" and starts the agent on it the way
docs/guest-image.md says; the host talks to it over QEMU's unix-socket
chardev; the guest has cgroup2, a working OCI runtime (crun runs a busybox
container) and eth0 configured from cocoon.net=; when the agent exits the
VM powers off by itself.

The agent is tests/guest/echo-agent.sh, given to guest/build.py as --agent.

Boot 1 (microvm, virtio-serial-device, virtio-net-device on QEMU user
networking with restrict=on: no traffic leaves the VM): HELLO (channel path
as argument and in COCOON_AGENT_CHANNEL, parent PID 1, oom_score_adj -997),
echoed lines, CGROUP, CRUN, NET, RUN, QUIT; QEMU exits with status 0 and the
console says the agent exited with status 0.
Boot 2: cocoon.agent= names a missing file: /init says why on the console
and powers off.

Usage: test_channel.py KERNEL_CACHE_DIR SCRATCH_DIR   (run by meson; exits
77 when QEMU or the Debian packages are missing)
"""
import os
import shutil
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guestlib as g  # noqa: E402

HELLO_TIMEOUT = 90  # s from launch to the first line (TCG: 4 s; 5x on a loaded machine)
REPLY_TIMEOUT = 60  # s per command (RUN: about 1 s under TCG)
EXIT_TIMEOUT = 30
NET = "10.0.2.15/24,10.0.2.2,10.0.2.3"


def connect(path, vm, timeout=20):
    """Connects to QEMU's listening chardev socket (QEMU creates it, then
    waits for this connection before it starts the guest: wait=on)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if vm.proc.poll() is not None:
            raise RuntimeError("QEMU exited: " + vm.qemu_output())
        if os.path.exists(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
        time.sleep(0.02)
    raise RuntimeError("QEMU did not open %s" % path)


class Channel:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self, timeout):
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def ask(self, text, timeout=REPLY_TIMEOUT):
        self.sock.sendall(text.encode() + b"\n")
        return self.line(timeout)


def talk(ch):
    hello = ch.line(HELLO_TIMEOUT) or ""
    words = hello.split()
    g.check("agent says HELLO", words[:1] == ["HELLO"], repr(hello))
    if words[:1] != ["HELLO"]:
        return
    port = words[1] if len(words) > 1 else ""
    g.check("--channel is the agent.v1 port's /dev/vportNpM",
            port.startswith("/dev/vport") and "p" in port[len("/dev/vport"):], port)
    g.check("COCOON_AGENT_CHANNEL names the same port", words[2:3] == [port], hello)
    g.check("the agent is a child of init (ppid=1)", "ppid=1" in words, hello)
    g.check("the agent has oom_score_adj -997", "oom=-997" in words, hello)

    lines = ["hello", "a b  c", "x" * 3000, "ünïcode ✓"]
    t = time.monotonic()
    got = [ch.ask(x) for x in lines]
    g.check("lines come back over the port", got == ["ECHO " + x for x in lines],
            repr([x[:40] if x else x for x in got]))
    print("# %d echo round trips in %.3f s" % (len(lines), time.monotonic() - t))

    cg = (ch.ask("CGROUP") or "").split()
    g.check("cgroup2 is mounted at /sys/fs/cgroup", cg[:2] == ["CGROUP", "cgroup2"], repr(cg))
    g.check("cgroup2 has the memory and pids controllers",
            "memory" in cg and "pids" in cg, repr(cg))
    crun = ch.ask("CRUN") or ""
    g.check("crun --version runs in the guest", crun.startswith("CRUN crun version "), crun)
    net = ch.ask("NET") or ""
    g.check("cocoon.net= configured eth0, the route and the resolver",
            net == "NET 10.0.2.15/24 10.0.2.2 10.0.2.3", net)
    t = time.monotonic()
    run = ch.ask("RUN") or ""
    g.check("crun runs a container in the guest (pivot_root works)",
            run == "RUN rc=0 hello-from-container pid=1", run)
    print("# container bundle made and run in %.2f s" % (time.monotonic() - t))
    g.check("QUIT is answered", ch.ask("QUIT") == "BYE")


def boot_with_agent(image, accel, scratch, sockdir):
    sock_path = os.path.join(sockdir, "agent.sock")
    console = os.path.join(scratch, "agent.console")
    extra = ["-chardev", "socket,id=agent,path=%s,server=on,wait=on" % sock_path,
             "-device", "virtio-serial-device",
             "-device", "virtserialport,chardev=agent,name=agent.v1",
             "-netdev", "user,id=n0,restrict=on",
             "-device", "virtio-net-device,netdev=n0"]
    vm = g.boot(image, accel, g.append_line("cocoon.net=" + NET), console, extra=extra)
    sock = connect(sock_path, vm)
    try:
        talk(Channel(sock))
        rc = vm.wait_exit(EXIT_TIMEOUT)
    finally:
        sock.close()
    g.check("QEMU exits by itself after the agent exits", rc == 0,
            "status %s; console:\n%s" % (rc, vm.text()[-3000:]))
    g.check("the console says the agent exited with status 0",
            "cocoon-init: agent exited with status 0; powering off" in vm.text(),
            vm.text()[-2000:])
    print("# boot with agent: %.2f s launch to exit (%s)" % (vm.elapsed(), accel))
    vm.stop()


def boot_without_agent(image, accel, scratch):
    console = os.path.join(scratch, "noagent.console")
    vm = g.boot(image, accel, g.append_line("cocoon.agent=/missing/agent"), console)
    rc = vm.wait_exit(HELLO_TIMEOUT)
    g.check("a missing agent: QEMU exits by itself", rc == 0, "status %s" % rc)
    g.check("a missing agent: the console says why",
            "cocoon-init: FATAL: agent /missing/agent is not an executable file; "
            "powering off" in vm.text(), vm.text()[-2000:])
    print("# boot without agent: %.2f s launch to exit" % vm.elapsed())
    vm.stop()


def main():
    cache, scratch = g.setup("channel")
    # sun_path holds 108 bytes: the socket lives in a short directory.
    sockdir = tempfile.mkdtemp(prefix="cocoon-guest-")
    try:
        image = g.build(os.path.join(scratch, "image"), "--level", "3",
                        "--agent", os.path.join(HERE, "echo-agent.sh"), cache=cache)
        accel, why = g.accel(image, scratch, cache)
        print("# accelerator: %s (%s)" % (accel, why))
        boot_with_agent(image, accel, scratch, sockdir)
        boot_without_agent(image, accel, scratch)
    finally:
        rc = g.finish()
        shutil.rmtree(sockdir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
