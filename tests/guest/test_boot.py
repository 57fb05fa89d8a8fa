#!/usr/bin/env python3
"""Boot test of the guest image (guest/build.py, guest/init): the image
boots under QEMU, /init sets the guest up and, with cocoon.test=MARKER,
prints the marker line and powers off, so QEMU exits by itself.

Two boots: microvm with the PVH vmlinux and a virtio-mmio device (the shim's
fast path), and q35 with the bzImage and a virtio-pci device (the machine
attestation will use). Each checks the marker, that cgroup2 is mounted at
/sys/fs/cgroup, that every module of /etc/cocoon/modules is loaded, that the
virtio device got its driver, and that QEMU exits with status 0 on its own.
The accelerator is chosen as guestlib.accel() says (TCG on the CI machine).

A third boot gives a 128 MiB guest an image that unpacks to more than its
memory holds (an 80 MB file of zeros, tiny compressed): the kernel stops
unpacking ("Initramfs unpacking failed: write error") and starts /init
anyway; /init must say so and power off instead of going on with files
missing.

Usage: test_boot.py KERNEL_CACHE_DIR SCRATCH_DIR   (run by meson; exits 77
when QEMU or the Debian packages are missing)
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guestlib as g  # noqa: E402

MARKER_TIMEOUT = 90  # s; a TCG boot takes 3-9 s here, 5x that on a loaded machine
EXIT_TIMEOUT = 30
# an /var/zeros this big does not fit a 128 MiB guest's rootfs (tmpfs, half
# the memory)
BIG_FILE_BYTES = 80 * 1000 * 1000


def module_count(image):
    with open(os.path.join(image["dir"], "manifest.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("modules "):
                return len(line.split()) - 1
    return -1


def boot_once(image, accel, scratch, machine, device):
    marker = "boot-%s-%d" % (machine, os.getpid())
    console = os.path.join(scratch, machine + ".console")
    vm = g.boot(image, accel, g.append_line("cocoon.test=" + marker), console,
                machine=machine, extra=["-device", device])
    m = vm.wait_for(r"COCOON-TEST %s uptime=(\S+) cgroup=(\S+) modules=(\d+) "
                    r"virtio_bound=(\d+)" % marker, MARKER_TIMEOUT)
    seen = vm.elapsed()
    if not g.check("%s: marker printed" % machine, m is not None,
                   "console:\n%s\nqemu:\n%s" % (vm.text()[-3000:], vm.qemu_output())):
        vm.stop()
        return
    print("# %s (%s): marker after %.2f s, guest uptime %s s"
          % (machine, accel, seen, m.group(1)))
    g.check("%s: cgroup2 at /sys/fs/cgroup" % machine, m.group(2) == "cgroup2", m.group(2))
    g.check("%s: all %d modules loaded" % (machine, module_count(image)),
            int(m.group(3)) == module_count(image), m.group(3))
    g.check("%s: the %s has its driver" % (machine, device), m.group(4) == "1", m.group(4))
    rc = vm.wait_exit(EXIT_TIMEOUT)
    g.check("%s: QEMU exits by itself with status 0" % machine, rc == 0,
            "status %s after %.1f s" % (rc, vm.elapsed()))
    print("# %s: QEMU exited after %.2f s" % (machine, vm.elapsed()))
    vm.stop()


def too_big(scratch, cache, accel):
    zeros = os.path.join(scratch, "zeros")
    with open(zeros, "wb") as f:
        f.truncate(BIG_FILE_BYTES)
    image = g.build(os.path.join(scratch, "big"), "--level", "3",
                    "--extra", zeros + ":/var/zeros", cache=cache)
    os.unlink(zeros)
    console = os.path.join(scratch, "big.console")
    vm = g.boot(image, accel, g.append_line("cocoon.test=too-big"), console, memory=128)
    rc = vm.wait_exit(MARKER_TIMEOUT)
    text = vm.text()
    g.check("image larger than guest memory: /init says so and powers off",
            rc == 0 and "cocoon-init: FATAL: the initramfs was not unpacked whole "
            "(Initramfs unpacking failed: write error)" in text
            and "COCOON-TEST too-big" not in text,
            "status %s, console:\n%s" % (rc, text[-2000:]))
    print("# image larger than guest memory: QEMU exited after %.2f s" % vm.elapsed())
    vm.stop()


def main():
    cache, scratch = g.setup("boot")
    t = time.monotonic()
    image = g.build(os.path.join(scratch, "image"), "--level", "3", cache=cache)
    print("# image built in %.2f s" % (time.monotonic() - t))
    accel, why = g.accel(image, scratch, cache)
    print("# accelerator: %s (%s)" % (accel, why))
    try:
        boot_once(image, accel, scratch, "microvm", "virtio-rng-device")
        boot_once(image, accel, scratch, "q35", "virtio-rng-pci")
        too_big(scratch, cache, accel)
    finally:
        rc = g.finish()
    return rc


if __name__ == "__main__":
    sys.exit(main())
