#!/usr/bin/env python3
"""Hostile layers against lib/image/unpack (through unpack-tool): escapes by
"..", absolute paths, symlinks and hard links, whiteout tricks, bombs,
truncation, long names, xattr floods, devices in overlay mode. Each case
must end in the expected error or in safe clamping inside the root, and
nothing outside the root may change: a sentinel tree next to it (and the
host's /etc/passwd) is compared before and after every case.

Usage: hostile.py UNPACK_TOOL. Needs root (mknod, chown): exit 77 to skip.
"""
import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecmp  # noqa: E402

TOOL = sys.argv[1] if len(sys.argv) > 1 else None
FAILS = []


def tar(*entries, fmt=tarfile.PAX_FORMAT):
    """entries: (name, kind, extra dict) with data= for file contents."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, kind, kw in entries:
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.mtime = kind, kw.pop("mode", 0o644), 1700000000
            data = kw.pop("data", None)
            for k, v in kw.items():
                setattr(ti, k, v)
            if data is not None:
                ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def f(name, data=b"x", **kw):
    return (name, tarfile.REGTYPE, dict(data=data, **kw))


def d(name, **kw):
    return (name, tarfile.DIRTYPE, dict(mode=0o755, **kw))


def sl(name, target):
    return (name, tarfile.SYMTYPE, dict(linkname=target))


def hl(name, target):
    return (name, tarfile.LNKTYPE, dict(linkname=target))


def raw_file(name, declared, data):
    """A ustar header claiming `declared` bytes followed by data (no end)."""
    ti = tarfile.TarInfo(name)
    ti.size = declared
    hdr = ti.tobuf(format=tarfile.GNU_FORMAT)
    return hdr + data


class Env:
    """work/{sentinel, a/b/root}: the root sits two levels below work."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="cocoon-hostile-")
        self.root = f"{self.work}/a/b/root"
        os.makedirs(self.root)
        os.makedirs(f"{self.work}/sentinel/dir")
        for p, data in (("sentinel/secret", b"secret"), ("sentinel/dir/x", b"x"),
                        ("a/b/beside", b"beside")):
            with open(f"{self.work}/{p}", "wb") as fh:
                fh.write(data)
        os.symlink("../sentinel", f"{self.work}/a/link-out")

    def reset_root(self, lower=()):
        shutil.rmtree(self.root)
        os.makedirs(self.root)
        for p, data in lower:
            os.makedirs(os.path.dirname(f"{self.root}/{p}"), exist_ok=True)
            with open(f"{self.root}/{p}", "wb") as fh:
                fh.write(data)

    def outside(self):
        """Everything in work but the root, and the host's /etc/passwd."""
        info, times, links = treecmp.describe(self.work)
        keep = {p: v for p, v in info.items()
                if not (p == "a/b/root" or p.startswith("a/b/root/"))}
        st = os.lstat("/etc/passwd")
        return keep, (st.st_nlink, st.st_mtime_ns, st.st_size)


def run_tool(env, data, opts=(), compression=None):
    path = f"{env.work}/layer"
    with open(path, "wb") as fh:
        fh.write(data)
    args = [TOOL, "tar", *opts]
    if compression:
        args += ["--compression", compression]
    p = subprocess.run(args + [path, env.root], capture_output=True, text=True, timeout=60)
    os.unlink(path)
    return p.returncode, (p.stdout + p.stderr).strip()


def case(env, name, data, ok, msg=None, opts=(), compression=None, lower=(), check=None):
    env.reset_root(lower)
    before = env.outside()
    rc, out = run_tool(env, data, opts, compression)
    after = env.outside()
    good = (rc == 0) == ok and (msg is None or msg in out) and before == after
    if good and check is not None:
        good = check(env.root)
    print(("ok   " if good else "FAIL ") + f"{name}: rc={rc} {out[:160]}")
    if before != after:
        print("     the outside of the root changed!")
    if not good:
        FAILS.append(name)


def exists(*paths):
    return lambda r: all(os.path.lexists(f"{r}/{p}") for p in paths)


def absent(*paths):
    return lambda r: not any(os.path.lexists(f"{r}/{p}") for p in paths)


def both(*checks):
    return lambda r: all(c(r) for c in checks)


def path_cases(env):
    case(env, "dot-dot path is clamped to the root", tar(f("../../escape")), True,
         check=exists("escape"))
    case(env, "absolute path is taken from the root", tar(f("/abs/file")), True,
         check=exists("abs/file"))
    case(env, "dot-dot inside a path", tar(f("x/../../../../y/z")), True, check=exists("y/z"))
    case(env, "absolute symlink then a file through it", tar(sl("lnk", "/"), f("lnk/through")),
         True, check=exists("through"))
    case(env, "climbing symlink then a file through it",
         tar(sl("up", "../../../sentinel"), f("up/secret", b"owned")), True,
         lower=[("sentinel/secret", b"lower")],
         check=lambda r: open(f"{r}/sentinel/secret", "rb").read() == b"owned")
    case(env, "symlink to an absolute host path, written through",
         tar(sl("s", env.work + "/sentinel"), f("s/secret", b"owned")), True,
         check=exists(env.work.lstrip("/") + "/sentinel/secret"))
    case(env, "symlink replaces a directory mid-layer, entries follow",
         tar(d("dir"), f("dir/a"), sl("dir", "../../.."), f("dir/b")), True,
         check=lambda r: os.path.islink(f"{r}/dir") and os.path.isfile(f"{r}/b"))
    case(env, "dangling symlink as a parent: its target is made in the root",
         tar(sl("p", "/no/such/dir"), f("p/file")), True, check=exists("no/such/dir/file"))
    case(env, "dangling relative symlink climbing out as a parent",
         tar(d("x"), sl("x/p", "../../../../made"), f("x/p/file")), True,
         check=exists("made/file"))
    case(env, "symlink loop as a parent", tar(sl("l1", "l2"), sl("l2", "l1"), f("l1/x")), False,
         msg="parent directory")
    case(env, "root entry as a symlink", tar(sl("./", "/")), False,
         msg="refusing to change the type of the root directory")
    case(env, "root entry as a file", tar(f("..")), False,
         msg="refusing to change the type of the root directory")
    case(env, "magic link as a parent", tar(sl("m", "/proc/self/root"), f("m/x")), True,
         check=exists("proc/self/root/x"))
    case(env, "non-ASCII and control bytes in names", tar(f("caf\u00e9/\u00fc\x01")), True,
         check=exists("caf\u00e9/\u00fc\x01"))


def link_cases(env):
    case(env, "hard link to the host's /etc/passwd", tar(hl("h", "/etc/passwd")), False,
         msg="link")
    case(env, "hard link climbing out", tar(hl("h", "../../../sentinel/secret")), False,
         msg="link")
    case(env, "hard link through a climbing symlink",
         tar(sl("up", "../../.."), hl("h", "up/sentinel/secret")), False, msg="link")
    case(env, "hard link to a planted symlink links the symlink",
         tar(sl("s", "/etc/passwd"), hl("h", "s")), True,
         check=lambda r: os.readlink(f"{r}/h") == "/etc/passwd")
    case(env, "hard link to a lower-layer file", tar(hl("h", "lower")), True,
         lower=[("lower", b"L")], check=lambda r: os.stat(f"{r}/h").st_nlink == 2)
    case(env, "hard link to a directory", tar(d("dd"), hl("h", "dd")), False, msg="link")
    case(env, "hard link to the root", tar(hl("h", "../")), False, msg="hard link to the root")


def whiteout_cases(env):
    for n in (".wh..", "a/.wh...", ".wh."):
        case(env, f"whiteout name {n!r}", tar(d("a"), f(n, b"")), False,
             msg="invalid whiteout name")
    case(env, "whiteout climbing with .. removes only inside",
         tar(f("../../.wh.sentinel", b"")), True, lower=[("sentinel/secret", b"in root")],
         check=absent("sentinel"))
    case(env, "whiteout through a symlink to outside",
         tar(sl("s", env.work + "/sentinel"), f("s/.wh.secret", b"")), True)
    case(env, "opaque whiteout through a climbing symlink",
         tar(sl("s", "../../.."), f("s/.wh..wh..opq", b"")), True, lower=[("keep", b"k")],
         check=absent("keep"))
    case(env, "overlay: whiteout becomes a 0/0 char device",
         tar(d("dir"), f("dir/.wh.gone", b""), f("dir/.wh..wh..opq", b"")), True,
         opts=["--overlay"],
         check=lambda r: os.major(os.lstat(f"{r}/dir/gone").st_rdev) == 0 and
         os.getxattr(f"{r}/dir", "trusted.overlay.opaque") == b"y")
    case(env, "overlay: a literal 0/0 char device is refused",
         tar(("c", tarfile.CHRTYPE, dict(devmajor=0, devminor=0))), False,
         opts=["--overlay"], msg="overlayfs whiteout")
    case(env, "overlay: other devices are made",
         tar(("null", tarfile.CHRTYPE, dict(devmajor=1, devminor=3))), True,
         opts=["--overlay"], check=exists("null"))
    case(env, "overlay: trusted.overlay.* xattrs are escaped",
         tar(d("d", pax_headers={"SCHILY.xattr.trusted.overlay.redirect": "/x"})), True,
         opts=["--overlay"],
         check=lambda r: os.getxattr(f"{r}/d", "trusted.overlay.overlay.redirect") == b"/x")


def bomb_cases(env):
    big = tar(*[f(f"zeros{i}", b"\0" * (8 << 20)) for i in range(8)])
    case(env, "gzip bomb over the byte cap", gzip.compress(big, 9), False,
         msg="over the 16777216-byte cap", compression="gzip",
         opts=["--max-bytes", str(16 << 20)])
    case(env, "gzip with trailing garbage", gzip.compress(tar(f("a"))) + b"junk", False,
         msg="gzip", compression="gzip")
    case(env, "multi-member gzip", gzip.compress(tar(f("a"))[:1024]) +
         gzip.compress(tar(f("a"))[1024:]), True, compression="gzip", check=exists("a"))
    case(env, "truncated gzip", gzip.compress(tar(f("a", b"y" * 5000)))[:-12], False,
         msg="gzip", compression="gzip")
    case(env, "entry count bomb", tar(*[f(f"e{i}", b"") for i in range(1100)]), False,
         msg="more than 1000 entries", opts=["--max-entries", "1000"])
    case(env, "huge declared size", raw_file("big", 1 << 40, b""), False,
         msg="over the layer cap", opts=["--max-bytes", str(1 << 30)])
    case(env, "declared size longer than the data (truncated)",
         raw_file("t", 10 << 20, b"z" * 4096), False, msg="runcated")
    case(env, "truncated in the middle of file data", tar(f("a", b"q" * 20000))[:6000], False,
         msg="runcated")
    case(env, "stream over the byte cap", tar(f("a", b"q" * 20000)), False,
         msg="more than 8192 bytes", opts=["--max-bytes", "8192"])
    case(env, "not a tar archive", b"hello world, not a tar" * 40, False,
         msg="not a tar archive")
    case(env, "empty stream is an empty layer", b"", True)
    case(env, "trailing bytes after the end of the archive are drained",
         tar(f("a")) + b"\0" * 10000 + b"junk", True, check=exists("a"))


def name_cases(env):
    case(env, "PAX path over 4096 bytes", tar(f("d/" * 2100 + "x")), False,
         msg="path is longer than 4096 bytes")
    case(env, "GNU long name over 4096 bytes", tar(f("n" * 5000), fmt=tarfile.GNU_FORMAT), False,
         msg="path is longer than 4096 bytes")
    case(env, "component over NAME_MAX", tar(f("c" * 300)), False, msg="File name too long")
    case(env, "symlink target over 4096 bytes", tar(sl("s", "t" * 5000)), False,
         msg="symlink target is longer")
    case(env, "PAX header over libarchive's limit",
         tar(f("p", pax_headers={"comment": "A" * (2 << 20)})), False, msg="too large")
    case(env, "xattr flood", tar(f("x", pax_headers={f"SCHILY.xattr.user.a{i}": "v"
                                                     for i in range(300)})), False,
         msg="more than 256 xattrs")
    case(env, "xattr value over 64 KiB",
         tar(f("x", pax_headers={"SCHILY.xattr.user.big": "v" * 70000})), False,
         msg="value over 65536 bytes")
    case(env, "forbidden xattr is skipped",
         tar(f("x", pax_headers={"SCHILY.xattr.security.selinux": "system_u:object_r:x"})),
         True, check=lambda r: "security.selinux" not in os.listxattr(f"{r}/x") or
         os.getxattr(f"{r}/x", "security.selinux") != b"system_u:object_r:x")
    case(env, "uid that chown would read as 'unchanged'",
         tar(f("u", pax_headers={"uid": "4294967295"})), False, msg="out of range")
    case(env, "setuid file owned by another user",
         tar(f("s", mode=0o4755, uid=1234, gid=99)), True,
         check=lambda r: os.stat(f"{r}/s").st_mode & 0o7777 == 0o4755 and
         os.stat(f"{r}/s").st_uid == 1234)
    case(env, "fifo then a file of the same name", tar((
        "p", tarfile.FIFOTYPE, {}), f("p", b"file now")), True,
        check=lambda r: open(f"{r}/p", "rb").read() == b"file now")
    case(env, "file replaces a lower directory tree", tar(f("t", b"file")), True,
         lower=[("t/a/b/c", b"deep")],
         check=lambda r: open(f"{r}/t", "rb").read() == b"file")


def main():
    if os.geteuid() != 0 or TOOL is None:
        print("skip: needs root and the unpack-tool path")
        return 77
    env = Env()
    try:
        path_cases(env)
        link_cases(env)
        whiteout_cases(env)
        bomb_cases(env)
        name_cases(env)
    finally:
        shutil.rmtree(env.work, ignore_errors=True)
    print(f"{len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
