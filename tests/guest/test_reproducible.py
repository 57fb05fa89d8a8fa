#!/usr/bin/env python3
"""Reproducibility test of guest/build.py: two builds from the same inputs
give the same bytes (kernel, initramfs, manifest, SHA256SUMS), although the
extra files given to the second build have other mtimes and were created in
the other order. The archive is then read back independently of the
writer (a newc reader here, and GNU cpio): entries sorted, owned by 0:0,
all with the build's SOURCE_DATE_EPOCH as mtime, the same list as the
manifest, /init byte for byte guest/init. A third build with another
SOURCE_DATE_EPOCH must differ, and only by that. Bad arguments fail with a
message naming them.

No VM is started. The extracted vmlinux comes from the kernel cache, so
this takes a few seconds.

Usage: test_reproducible.py KERNEL_CACHE_DIR SCRATCH_DIR   (run by meson;
exits 77 when the Debian packages are missing)
"""
import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guestlib as g  # noqa: E402

OUTPUTS = ("vmlinux", "vmlinuz", "initramfs.cpio.zst", "manifest.txt", "SHA256SUMS")
EXTRA_FILES = {"conf/a.txt": (b"alpha\n", 0o644), "conf/sub/b.sh": (b"#!/bin/sh\necho b\n", 0o755)}


def make_extras(path, mtime, reverse):
    """The same extra tree, written in a given order with a given mtime."""
    shutil.rmtree(path, ignore_errors=True)
    items = sorted(EXTRA_FILES.items(), reverse=reverse)
    for rel, (data, mode) in items:
        full = os.path.join(path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        os.chmod(full, mode)
    os.symlink("a.txt", os.path.join(path, "conf", "link"))
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            os.utime(os.path.join(root, n), (mtime, mtime), follow_symlinks=False)


def manifest(outdir):
    with open(os.path.join(outdir, "manifest.txt"), encoding="utf-8") as f:
        return f.read().splitlines()


def check_archive(outdir, epoch):
    cpio = subprocess.run(["zstd", "-dc", os.path.join(outdir, "initramfs.cpio.zst")],
                          capture_output=True, check=True).stdout
    entries, end = g.read_newc(cpio)
    names = [e[0] for e in entries]
    g.check("archive ends with the trailer and nothing after it", end == len(cpio))
    g.check("entries sorted by path components", names == sorted(names, key=lambda n: n.split("/")))
    g.check("every entry owned by 0:0", all(f["uid"] == 0 and f["gid"] == 0 for _, f, _ in entries))
    g.check("every mtime is SOURCE_DATE_EPOCH %d" % epoch,
            all(f["mtime"] == epoch for _, f, _ in entries))
    g.check("inode numbers unique", len({f["ino"] for _, f, _ in entries}) == len(entries))
    listed = [line.split(" /", 1)[1].split("  <- ")[0].split(" -> ")[0]
              for line in manifest(outdir) if line.split(" ", 1)[0] in ("file", "dir", "symlink", "chr")]
    g.check("the manifest lists every entry", listed == names,
            "%s" % sorted(set(listed) ^ set(names))[:10])
    body = {n: b for n, _, b in entries}
    with open(os.path.join(g.GUEST, "init"), "rb") as f:
        g.check("/init is guest/init", body.get("init") == f.read())
    g.check("/dev/console is the console device",
            [(f["mode"], f["rdevmajor"], f["rdevminor"]) for n, f, _ in entries if n == "dev/console"]
            == [(0o20600, 5, 1)])
    p = subprocess.run(["cpio", "-it", "--quiet"], input=cpio, capture_output=True)
    g.check("GNU cpio reads the archive", p.returncode == 0 and
            p.stdout.decode().split("\n")[:-1] == names, p.stderr.decode()[:200])
    sums = {}
    for name in OUTPUTS[:-1]:
        with open(os.path.join(outdir, name), "rb") as f:
            sums[name] = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(outdir, "SHA256SUMS"), encoding="utf-8") as f:
        listed_sums = dict(reversed(line.split("  ")) for line in f.read().splitlines())
    g.check("SHA256SUMS matches the files", listed_sums == sums)


def dpkg_md5sums(packages):
    """{installed path: md5} from dpkg's lists of the packages."""
    sums = {}
    for pkg in packages:
        for name in (pkg, pkg + ":amd64"):
            path = "/var/lib/dpkg/info/%s.md5sums" % name
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    for line in f:
                        md5, _, rel = line.rstrip("\n").partition("  ")
                        sums["/" + rel] = md5
    return sums


def check_debian_bytes(outdir, stripped):
    """Every file that came from a Debian package (and was not stripped) is
    byte for byte the file dpkg installed: its md5 is in the package's
    md5sums list."""
    cpio = subprocess.run(["zstd", "-dc", os.path.join(outdir, "initramfs.cpio.zst")],
                          capture_output=True, check=True).stdout
    body = {"/" + n: b for n, _, b in g.read_newc(cpio)[0]}
    lines = manifest(outdir)
    packages = {x.split()[1] for x in lines if x.startswith("package ")}
    sums = dpkg_md5sums(packages)
    checked, bad = 0, []
    for line in lines:
        if not line.startswith("file ") or " <- " not in line:
            continue
        path = line.split()[4]
        origin, _, pkg = line.split(" <- ", 1)[1].rpartition(" (")
        if pkg[:-1] not in packages or path in stripped:
            continue
        real = os.path.realpath(origin)
        alias = real[4:] if real.startswith("/usr/") else "/usr" + real
        want = sums.get(real) or sums.get(alias)
        if want != hashlib.md5(body[path]).hexdigest():
            bad.append(path)
        checked += 1
    g.check("%d packaged files are byte for byte as dpkg installed them" % checked,
            checked > 20 and not bad, "differ or unlisted: %s" % bad[:5])


def same_bytes(a, b):
    diff = []
    for name in OUTPUTS:
        with open(os.path.join(a, name), "rb") as fa, open(os.path.join(b, name), "rb") as fb:
            if fa.read() != fb.read():
                diff.append(name)
    return diff


def bad_arguments(scratch, cache):
    cases = [(["--agent", "/nonexistent/agent"], "--agent /nonexistent/agent: not a file"),
             (["--extra", "/etc/hostname:relative/path"], "DEST must be an absolute path"),
             (["--extra", "/nonexistent/x"], "/nonexistent/x: no such file or directory")]
    for args, want in cases:
        cmd = [sys.executable, os.path.join(g.GUEST, "build.py"), os.path.join(scratch, "bad"),
               "--kernel-cache", cache] + args
        p = subprocess.run(cmd, capture_output=True, text=True)
        g.check("build.py %s fails naming it" % " ".join(args),
                p.returncode == 1 and want in p.stderr, "rc %d: %s" % (p.returncode, p.stderr))


def main():
    cache, scratch = g.setup("repro", need_qemu=False)
    extras = os.path.join(scratch, "extras")
    common = ["--level", "3", "--agent", os.path.join(HERE, "echo-agent.sh"),
              "--extra", extras + ":/etc/extra", "--extra", "/usr/bin/zstd"]
    env = {"SOURCE_DATE_EPOCH": ""}  # the kernel changelog's date

    make_extras(extras, 1000000000, reverse=False)
    a = g.build(os.path.join(scratch, "a"), *common, cache=cache, env=env)["dir"]
    make_extras(extras, 1700000000, reverse=True)
    b = g.build(os.path.join(scratch, "b"), *common, cache=cache, env=env)["dir"]
    diff = same_bytes(a, b)
    g.check("two builds give the same bytes", not diff, "differ: %s" % diff)

    epoch = int([x for x in manifest(a) if x.startswith("source_date_epoch ")][0].split()[1])
    check_archive(a, epoch)
    g.check("the zstd extra came with its libraries",
            any(" /usr/lib/x86_64-linux-gnu/libzstd.so.1 " in x for x in manifest(a)))
    check_debian_bytes(a, stripped={"/usr/bin/zstd"})
    g.check("the manifest names the packages",
            any(x.startswith("package crun ") for x in manifest(a)) and
            any(x.startswith("package linux-image-") for x in manifest(a)))

    c = g.build(os.path.join(scratch, "c"), *common, cache=cache,
                env={"SOURCE_DATE_EPOCH": "1234567890"})["dir"]
    g.check("another SOURCE_DATE_EPOCH changes the initramfs, not the kernel",
            same_bytes(a, c) == ["initramfs.cpio.zst", "manifest.txt", "SHA256SUMS"],
            "%s" % same_bytes(a, c))
    check_archive(c, 1234567890)
    bad_arguments(scratch, cache)
    return g.finish()


if __name__ == "__main__":
    sys.exit(main())
