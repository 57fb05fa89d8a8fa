#!/usr/bin/env python3
"""Unit tests of guest/build.py's parts on made-up inputs (no Debian
packages, no VM): module load order from a fake modules.dep, bzImage header
checks, the file tree's rules, merged-/usr paths, script interpreters, the
newc archive's exact bytes for a tiny tree.

Usage: test_build_parts.py   (run by meson)
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guestlib as g  # noqa: E402
import kernel  # noqa: E402
import newc  # noqa: E402
import programs  # noqa: E402
from newc import Entry  # noqa: E402

DEP = """kernel/a/ring.ko:
kernel/a/core.ko: kernel/a/ring.ko
kernel/a/pci.ko: kernel/a/pci_modern.ko kernel/a/core.ko kernel/a/ring.ko
kernel/a/pci_modern.ko:
kernel/b/net-drv.ko: kernel/b/failover.ko kernel/a/core.ko kernel/a/ring.ko
kernel/b/failover.ko:
"""


def raises(fn, exc, text):
    try:
        fn()
    except exc as e:
        return text in str(e)
    return False


def module_order():
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "9.9"))
        with open(os.path.join(d, "9.9", "modules.dep"), "w") as f:
            f.write(DEP)
        with open(os.path.join(d, "9.9", "modules.builtin"), "w") as f:
            f.write("kernel/c/builtin.ko\n")
        order, skipped = kernel.module_order("9.9", ["pci", "net_drv", "builtin", "gone?"], d)
        g.check("dependencies load first, each once",
                order == ["kernel/a/ring.ko", "kernel/a/core.ko", "kernel/a/pci_modern.ko",
                          "kernel/a/pci.ko", "kernel/b/failover.ko", "kernel/b/net-drv.ko"],
                repr(order))
        g.check("built-in and optional missing modules are skipped, with why",
                skipped == ["builtin (built in)", "gone (not in this kernel)"], repr(skipped))
        g.check("a missing module fails naming it",
                raises(lambda: kernel.module_order("9.9", ["nosuch"], d),
                       kernel.KernelError, "module nosuch is neither"))


def bzimage():
    g.check("a file that is not a bzImage is refused",
            raises(lambda: kernel._payload(b"\0" * 4096, "x"), kernel.KernelError,
                   "x: not a bzImage"))
    bz = bytearray(4096)
    bz[0x202:0x206] = b"HdrS"
    bz[0x206:0x208] = (0x20F).to_bytes(2, "little")
    bz[0x1F1] = 1
    bz[0x248:0x250] = (0).to_bytes(4, "little") + (100000).to_bytes(4, "little")
    g.check("a payload past the end of the file is refused",
            raises(lambda: kernel._payload(bytes(bz), "y"), kernel.KernelError,
                   "payload runs past the end"))
    bz[0x24C:0x250] = (6).to_bytes(4, "little")
    bz[1024:1030] = b"ABCDEF"
    g.check("an unknown payload compression is named",
            raises(lambda: kernel._decompress(kernel._payload(bytes(bz), "z"), "z"),
                   kernel.KernelError, "compression 414243444546 not supported"))


def tree_rules():
    t = newc.Tree()
    t.add("usr/bin/x", Entry("file", 0o755, b"one"))
    g.check("parents are created as 0755 directories",
            t.get("usr").kind == "dir" and t.get("usr/bin").mode == 0o755)
    t.add("usr/bin/x", Entry("file", 0o755, b"one"))
    g.check("the same file twice is accepted", t.get("usr/bin/x").data == b"one")
    g.check("the same path with other bytes is refused",
            raises(lambda: t.add("usr/bin/x", Entry("file", 0o755, b"two")), ValueError,
                   "added twice with different contents"))
    g.check("a file as a parent is refused",
            raises(lambda: t.add("usr/bin/x/y", Entry("file", 0o644, b"")), ValueError,
                   "is a file, not a directory"))
    g.check("'..' in a path is refused",
            raises(lambda: t.add("a/../b", Entry("file", 0o644, b"")), ValueError, "bad path"))
    g.check("merged /usr: /lib and /lib64 map into /usr",
            programs.image_path("/lib/x86_64-linux-gnu/libc.so.6")
            == "usr/lib/x86_64-linux-gnu/libc.so.6"
            and programs.image_path("/lib64/ld.so") == "usr/lib64/ld.so")
    g.check("a library outside system directories goes to the default path",
            programs.library_image_path("libx.so.1", "/build/lib/libx.so.1")
            == "usr/lib/x86_64-linux-gnu/libx.so.1")
    t.add("usr/bin/s", Entry("file", 0o755, b"#!/bin/sh\necho\n"))
    g.check("a script whose interpreter is missing is reported",
            programs.check_interpreters(t) == ["/usr/bin/s: interpreter /bin/sh is not in the image"],
            repr(programs.check_interpreters(t)))
    t.add("bin", Entry("symlink", 0o777, b"usr/bin"))
    t.add("usr/bin/sh", Entry("symlink", 0o777, b"x"))
    g.check("an interpreter reached through symlinks is found",
            programs.check_interpreters(t) == [])


def archive_bytes():
    t = newc.Tree()
    t.add("b", Entry("file", 0o644, b"hello"))
    t.add("a", Entry("symlink", 0o777, b"b"))
    t.add("d/c", Entry("chr", 0o600, rdev=(5, 1)))
    out = newc.archive(t, 0x5F5E100)

    def hdr(ino, mode, nlink, mtime, size, rmaj, rmin, namesize):
        return ("070701" + "".join("%08X" % v for v in (
            ino, mode, 0, 0, nlink, mtime, size, 0, 0, rmaj, rmin, namesize, 0))).encode()
    want = (hdr(1, 0o120777, 1, 0x5F5E100, 1, 0, 0, 2) + b"a\0" + b"b\0\0\0"
            + hdr(2, 0o100644, 1, 0x5F5E100, 5, 0, 0, 2) + b"b\0" + b"hello\0\0\0"
            + hdr(3, 0o040755, 2, 0x5F5E100, 0, 0, 0, 2) + b"d\0"
            + hdr(4, 0o020600, 1, 0x5F5E100, 0, 5, 1, 4) + b"d/c\0" + b"\0\0"
            + hdr(0, 0, 1, 0, 0, 0, 0, 11) + b"TRAILER!!!\0" + b"\0\0\0")
    g.check("the newc bytes of a tiny tree are exactly as specified", out == want,
            "\n%r\n%r" % (out, want))


def main():
    module_order()
    bzimage()
    tree_rules()
    archive_bytes()
    return g.finish()


if __name__ == "__main__":
    sys.exit(main())
