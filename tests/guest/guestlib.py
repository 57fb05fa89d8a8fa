"""Shared helpers of the guest image tests (test_boot.py, test_channel.py,
test_reproducible.py): skipping when the Debian packages are missing,
building the image with guest/build.py, choosing the accelerator, and
starting QEMU so that every VM is stopped by its PID at the end.

Accelerator choice (accel()): COCOON_GUEST_ACCEL=tcg|kvm forces one.
Otherwise KVM is tried only when a cheap check says it can work:
/dev/kvm is readable and writable, the host kernel has no kvm_pvm module
(/sys/module/kvm_pvm: PVM runs only guest kernels built for it, and a
stock Debian kernel crawls through its instruction emulator and dies;
../shared/reference/machine.md section 1.2), and the CPU shows vmx or svm.
Then one marker boot under KVM must print the marker within 10 s, or TCG
is used. The answer is kept in the kernel cache directory, so one test run
probes at most once. On the CI machine the cheap check already says PVM,
so no KVM boot is attempted and TCG is the normal path.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GUEST = os.path.join(ROOT, "guest")
sys.path.insert(0, GUEST)
import kernel  # noqa: E402

SKIP = 77
QEMU = "qemu-system-x86_64"
KVM_PROBE_TIMEOUT = 10
FAILS = []
VMS = []


def check(name, cond, detail=""):
    if cond:
        print("ok - " + name)
    else:
        FAILS.append(name)
        print("not ok - " + name + (": " + detail if detail else ""))
    return cond


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def require(need_qemu=True):
    """Exits 77 (meson's skip) when something the guest tests need is not
    installed; returns the kernel version."""
    missing = []
    if need_qemu and shutil.which(QEMU) is None:
        missing.append("qemu-system-x86 (%s)" % QEMU)
    for path, pkg in (("/bin/busybox", "busybox-static"), ("/usr/bin/crun", "crun")):
        if not os.path.exists(path):
            missing.append("%s (%s)" % (pkg, path))
    try:
        version = kernel.find_version()
    except kernel.KernelError as e:
        missing.append("linux-image-amd64 (%s)" % e)
        version = None
    if missing:
        skip("not installed: " + ", ".join(missing))
    return version


def setup(name, need_qemu=True):
    """Skips unless everything is installed (require), then returns the
    kernel cache directory and a fresh scratch directory for test name,
    from the command line: KERNEL_CACHE_DIR SCRATCH_DIR."""
    require(need_qemu)
    if len(sys.argv) != 3:
        print("usage: %s KERNEL_CACHE_DIR SCRATCH_DIR" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    cache = os.path.abspath(sys.argv[1])
    scratch = os.path.join(os.path.abspath(sys.argv[2]), name)
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    return cache, scratch


def build(outdir, *args, cache, env=None):
    """Runs guest/build.py OUTDIR ARGS; returns the paths of its outputs."""
    e = dict(os.environ)
    e.update(env or {})
    cmd = [sys.executable, os.path.join(GUEST, "build.py"), outdir,
           "--kernel-cache", cache, "--quiet"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("build.py failed (%d): %s%s" % (p.returncode, p.stdout, p.stderr))
    initrd = [n for n in os.listdir(outdir) if n.startswith("initramfs.cpio.")]
    return {"dir": outdir, "vmlinux": os.path.join(outdir, "vmlinux"),
            "vmlinuz": os.path.join(outdir, "vmlinuz"),
            "initrd": os.path.join(outdir, initrd[0])}


def read_newc(data):
    """[(name, fields dict, body)] of a newc archive, trailer excluded."""
    names = ("ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor",
             "devminor", "rdevmajor", "rdevminor", "namesize", "check")
    out, off = [], 0
    while True:
        if data[off:off + 6] != b"070701":
            raise ValueError("bad magic at %d" % off)
        f = {n: int(data[off + 6 + 8 * i:off + 14 + 8 * i], 16) for i, n in enumerate(names)}
        off += 110
        name = data[off:off + f["namesize"] - 1].decode()
        off = (off + f["namesize"] + 3) & ~3
        body = data[off:off + f["filesize"]]
        off = (off + f["filesize"] + 3) & ~3
        if name == "TRAILER!!!":
            return out, off
        out.append((name, f, body))


def tsc_khz():
    """The host's TSC frequency in kHz for tsc_early_khz= (a microvm guest
    under TCG sometimes fails to calibrate its TSC against the PIT and
    hangs; machine.md section 1.3): from the kernel log when readable, else
    /proc/cpuinfo."""
    p = subprocess.run(["dmesg"], capture_output=True, text=True)
    for pat in (r"tsc: Refined TSC clocksource calibration: ([0-9.]+) MHz",
                r"tsc: Detected ([0-9.]+) MHz"):
        m = re.search(pat, p.stdout)
        if m:
            return int(float(m.group(1)) * 1000)
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        m = re.search(r"cpu MHz\s*:\s*([0-9.]+)", f.read())
    return int(float(m.group(1)) * 1000) if m else 2000000


# Kernel parameters of every test boot: the serial console, power off on a
# panic (with -no-reboot QEMU then exits), the TSC hint, and the speed-ups
# Kata's runtime adds (kata.md section 3.4; here about 0.7 s of a 3 s boot,
# mostly the crypto self-tests under TCG).
KERNEL_PARAMS = ["console=ttyS0", "quiet", "panic=1", "no_timer_check", "tsc=reliable",
                 "cryptomgr.notests", "rcupdate.rcu_expedited=1", "i8042.noaux=1",
                 "i8042.nopnp=1", "i8042.dumbkbd=1", "i8042.direct=1", "noreplace-smp"]


def append_line(*opts):
    return " ".join(KERNEL_PARAMS + ["tsc_early_khz=%d" % tsc_khz()] + list(opts))


def kvm_candidate():
    """(True, why) when KVM may run a stock guest kernel here."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "no usable /dev/kvm"
    if os.path.exists("/sys/module/kvm_pvm"):
        return False, "/dev/kvm is PVM (kvm_pvm): it runs only PVM guest kernels"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        flags = set(re.findall(r"^flags\s*:(.*)$", f.read(), re.M)[0].split())
    if not flags & {"vmx", "svm"}:
        return False, "the CPU shows neither vmx nor svm"
    return True, "/dev/kvm with vmx/svm"


class VM:
    """One QEMU process: its console goes to a file, it is remembered in VMS
    and killed by PID in stop_all() if it is still running at the end."""

    def __init__(self, argv, console):
        self.console = console
        self.log = open(console + ".qemu", "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.started = time.monotonic()
        VMS.append(self)

    def text(self):
        try:
            with open(self.console, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_for(self, pattern, timeout):
        """The first match of the regex pattern on the console, or None
        after timeout seconds or when QEMU exits without it."""
        end = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.text())
            if m or time.monotonic() > end:
                return m
            if self.proc.poll() is not None:
                return re.search(pattern, self.text())
            time.sleep(0.05)

    def wait_exit(self, timeout):
        """QEMU's exit status, or None if it is still running after timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def elapsed(self):
        return time.monotonic() - self.started

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def qemu_output(self):
        with open(self.console + ".qemu", encoding="utf-8", errors="replace") as f:
            return f.read()


def stop_all():
    for vm in VMS:
        vm.stop()


def qemu_argv(image, accel, append, console, machine="microvm", extra=(), memory=256):
    """A QEMU command line for the image, its serial console written to the
    file console, memory MiB of guest memory. microvm boots the PVH
    vmlinux, q35 the bzImage (a PVH vmlinux on q35 loses its ACPI tables
    with a large initrd: machine.md section 1.3)."""
    kernel_file = image["vmlinux"] if machine == "microvm" else image["vmlinuz"]
    return [QEMU, "-accel", accel, "-M", machine, "-m", str(memory), "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-serial", "file:" + console,
            "-kernel", kernel_file, "-initrd", image["initrd"],
            "-append", append] + list(extra)


def boot(image, accel, append, console, machine="microvm", extra=(), memory=256):
    return VM(qemu_argv(image, accel, append, console, machine, extra, memory), console)


def accel(image, scratch, cache):
    """"kvm" or "tcg", and why (see the module comment)."""
    forced = os.environ.get("COCOON_GUEST_ACCEL")
    if forced in ("kvm", "tcg"):
        return forced, "COCOON_GUEST_ACCEL=" + forced
    ok, why = kvm_candidate()
    if not ok:
        return "tcg", why
    memo = os.path.join(cache, "accel")
    if os.path.exists(memo):
        with open(memo, encoding="utf-8") as f:
            return f.read().strip(), "probed earlier (%s)" % memo
    vm = boot(image, "kvm", append_line("cocoon.test=kvm-probe"),
              os.path.join(scratch, "kvm-probe.console"))
    got = vm.wait_for(r"COCOON-TEST kvm-probe ", KVM_PROBE_TIMEOUT)
    vm.stop()
    result = "kvm" if got else "tcg"
    with open(memo, "w", encoding="utf-8") as f:
        f.write(result + "\n")
    return result, "probe boot under KVM %s" % ("worked" if got else "failed within %d s"
                                                % KVM_PROBE_TIMEOUT)


def finish():
    stop_all()
    if FAILS:
        print("FAILED: " + ", ".join(FAILS))
        return 1
    return 0
