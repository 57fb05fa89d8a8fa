#!/usr/bin/env python3
"""Builds cocoon's guest image from Debian packages: a kernel and an
initramfs, reproducibly (the same inputs give the same bytes).

Usage: build.py OUTDIR [--agent PATH] [--extra SRC[:DEST]]...
                [--compress zstd|gzip] [--level N] [--kernel-version VER]
                [--kernel-cache DIR] [--no-strip] [--quiet]

Writes to OUTDIR:
  vmlinux              uncompressed ELF kernel with the PVH entry (QEMU microvm)
  vmlinuz              Debian's bzImage as installed (QEMU q35, OVMF)
  initramfs.cpio.zst   the initramfs (initramfs.cpio.gz with --compress gzip)
  manifest.txt         every file in the initramfs (type, mode, size, sha256,
                       where it came from), the Debian packages and the tools
                       the bytes depend on, and what takes the space
  SHA256SUMS           sha256sum(1) format, of the four files above

Inputs: linux-image-amd64 (/boot/vmlinuz-VER, /lib/modules/VER), busybox-static,
crun and its libraries (programs.txt), the modules in modules.txt, the applets
in applets.txt, /init (init), the files under rootfs/, --agent (installed
as /usr/bin/cocoon-agent; a placeholder that fails when it is not given) and
every --extra (a file or directory of the build host, at DEST in the image, or
at the same path). ELF files among the agent and extras get their libraries
and are stripped unless --no-strip.

Reproducible: every entry's mtime is SOURCE_DATE_EPOCH when set, else the
date of the kernel package's changelog; entries are sorted, owned by 0:0,
numbered in order (newc.py); zstd runs at level 19 (or --level) with one
thread, gzip (level 9) writes no name and mtime 0. The bytes then depend
only on the input files and on the compressor's version, which the
manifest records. The recipe and how to check it: docs/guest-image.md.
"""
import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import debian  # noqa: E402
import kernel  # noqa: E402
import manifest  # noqa: E402
import newc  # noqa: E402
import programs  # noqa: E402
from newc import Entry  # noqa: E402

AGENT_PATH = "/usr/bin/cocoon-agent"
PLACEHOLDER_AGENT = b"""#!/bin/sh
echo "cocoon-agent: this image was built without an agent (build.py --agent)" >&2
exit 1
"""
DIRS = {"dev": 0o755, "proc": 0o555, "sys": 0o555, "run": 0o755,
        "tmp": 0o1777, "root": 0o700, "mnt": 0o755, "etc": 0o755,
        "etc/cocoon": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755,
        "usr/lib": 0o755, "usr/lib64": 0o755, "var": 0o755}
SYMLINKS = {"var/run": "../run", "var/tmp": "../tmp"}


class BuildError(Exception):
    pass


def read_list(path):
    """The non-comment lines of a list file, split into words."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line.split())
    return out


def symlink(target, group="base"):
    return Entry("symlink", 0o777, target.encode(), group=group)


def add_base(tree):
    """Directories, the merged-/usr symlinks, /dev/console (the kernel opens
    it for /init before any devtmpfs exists), rootfs/ and /init."""
    for path, mode in DIRS.items():
        tree.add(path, Entry("dir", mode))
    for name, target in sorted(programs.ALIASES.items()):
        tree.add(name, symlink(target))
    for name, target in SYMLINKS.items():
        tree.add(name, symlink(target))
    tree.add("dev/console", Entry("chr", 0o600, rdev=(5, 1)))
    skel = os.path.join(HERE, "rootfs")
    for root, dirs, files in os.walk(skel):
        dirs.sort()
        for name in sorted(files):
            src = os.path.join(root, name)
            rel = os.path.relpath(src, skel)
            tree.add(rel, Entry("file", 0o644, programs.read_file(src),
                                origin="guest/rootfs/" + rel))
    tree.add("init", Entry("file", 0o755,
                           programs.read_file(os.path.join(HERE, "init")),
                           origin="guest/init"))


def add_modules(tree, version, sources):
    wanted = [w[0] for w in read_list(os.path.join(HERE, "modules.txt"))]
    order, skipped = kernel.module_order(version, wanted)
    lines = []
    for rel in order:
        host = os.path.join("/lib/modules", version, rel)
        dest = "usr/lib/modules/%s/%s" % (version, rel)
        tree.add(dest, Entry("file", 0o644, programs.read_file(host),
                             origin=host, group="modules"))
        sources.append(host)
        lines.append("/" + dest)
    listing = "".join(line + "\n" for line in lines)
    tree.add("etc/cocoon/modules", Entry("file", 0o644, listing.encode(),
                                         origin="build.py: module load order",
                                         group="modules"))
    return order, skipped


def add_programs(tree, sources):
    for words in read_list(os.path.join(HERE, "programs.txt")):
        host = words[0]
        dest = words[1] if len(words) > 1 else host
        if not os.path.isfile(host):
            raise BuildError("programs.txt: %s is not installed" % host)
        group = os.path.basename(dest)
        programs.add_program(tree, host, dest, group, sources=sources)
    for (name,) in read_list(os.path.join(HERE, "applets.txt")):
        tree.add("usr/bin/" + name, symlink("busybox", "busybox"))


def add_agent(tree, agent, strip, sources):
    if agent is None:
        tree.add(programs.image_path(AGENT_PATH),
                 Entry("file", 0o755, PLACEHOLDER_AGENT,
                       origin="build.py: placeholder agent", group="agent"))
        return
    if not os.path.isfile(agent):
        raise BuildError("--agent %s: not a file" % agent)
    programs.add_program(tree, os.path.abspath(agent), AGENT_PATH, "agent",
                         strip=strip, sources=sources)


def add_extra(tree, spec, strip, sources):
    """--extra SRC[:DEST]: a file or a directory tree (regular files and
    symlinks) of the build host, at DEST or at the same path."""
    src, _, dest = spec.partition(":")
    src = os.path.abspath(src)
    dest = dest or src
    if not dest.startswith("/"):
        raise BuildError("--extra %s: DEST must be an absolute path" % spec)
    if os.path.isfile(src):
        programs.add_program(tree, src, dest, "extra", strip=strip,
                             sources=sources)
        return
    if not os.path.isdir(src):
        raise BuildError("--extra %s: no such file or directory" % spec)
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files + [d for d in dirs
                                    if os.path.islink(os.path.join(root, d))]):
            host = os.path.join(root, name)
            rel = os.path.relpath(host, src)
            target = programs.image_path(os.path.join(dest, rel))
            if os.path.islink(host):
                tree.add(target, symlink(os.readlink(host), "extra"))
            elif os.path.isfile(host):
                programs.add_program(tree, host, "/" + target, "extra",
                                     strip=strip, sources=sources)


def compress(data, method, level):
    """(bytes, file suffix, the tool and its options, the tool's path)."""
    if method == "gzip":
        level = level or 9
        out = gzip.compress(data, compresslevel=level, mtime=0)
        return (out, "gz", "python %s gzip level %d, mtime 0 (zlib %s)"
                % (sys.version.split()[0], level, zlib.ZLIB_VERSION), sys.executable)
    level = level or 19
    tool = shutil.which("zstd")
    if tool is None:
        raise BuildError("zstd not found (apt-get install zstd), or use --compress gzip")
    p = subprocess.run([tool, "-%d" % level, "-T1", "-q", "-c", "--no-progress"],
                       input=data, capture_output=True)
    if p.returncode != 0:
        raise BuildError("zstd failed: %s" % p.stderr.decode().strip())
    ver = subprocess.run([tool, "-V"], capture_output=True, text=True).stdout
    return p.stdout, "zst", "zstd -%d -T1 (%s)" % (level, ver.strip()), tool


def write(path, data, epoch):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    os.utime(path, (epoch, epoch))


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Build cocoon's guest kernel and initramfs.")
    ap.add_argument("outdir")
    ap.add_argument("--agent", help="the agent binary, installed as " + AGENT_PATH)
    ap.add_argument("--extra", action="append", default=[], metavar="SRC[:DEST]",
                    help="a file or directory to add (repeatable)")
    ap.add_argument("--compress", choices=("gzip", "zstd"), default="zstd")
    ap.add_argument("--level", type=int, choices=range(1, 20), metavar="1..19",
                    help="compression level (default: zstd 19, gzip 9)")
    ap.add_argument("--kernel-version", help="default: the newest installed *-amd64")
    ap.add_argument("--kernel-cache", help="keep the extracted vmlinux here across builds")
    ap.add_argument("--no-strip", action="store_true",
                    help="copy the agent and ELF extras with their symbols")
    ap.add_argument("--quiet", action="store_true")
    return ap.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    version = args.kernel_version or kernel.find_version()
    env_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    epoch = int(env_epoch) if env_epoch else kernel.changelog_epoch(version)
    strip = not args.no_strip
    os.makedirs(args.outdir, exist_ok=True)

    vmlinuz = "/boot/vmlinuz-" + version
    sources = [vmlinuz]
    tree = newc.Tree()
    add_base(tree)
    order, skipped = add_modules(tree, version, sources)
    add_programs(tree, sources)
    add_agent(tree, args.agent, strip, sources)
    for spec in args.extra:
        add_extra(tree, spec, strip, sources)
    problems = programs.check_interpreters(tree)
    if problems:
        raise BuildError("; ".join(problems))

    cpio = newc.archive(tree, epoch)
    packed, suffix, tool, tool_path = compress(cpio, args.compress, args.level)
    initrd = "initramfs.cpio." + suffix
    for stale in ("initramfs.cpio.gz", "initramfs.cpio.zst"):
        if stale != initrd and os.path.exists(os.path.join(args.outdir, stale)):
            os.unlink(os.path.join(args.outdir, stale))

    out = lambda name: os.path.join(args.outdir, name)  # noqa: E731
    kernel.extract_vmlinux(vmlinuz, out("vmlinux"), args.kernel_cache)
    os.utime(out("vmlinux"), (epoch, epoch))
    write(out("vmlinuz"), programs.read_file(vmlinuz), epoch)
    write(out(initrd), packed, epoch)

    tools = [tool_path]
    if strip and (args.agent or args.extra) and shutil.which("strip"):
        tools.append(shutil.which("strip"))
    info = {"kernel": version, "epoch": epoch, "initrd": initrd, "compression": tool,
            "modules": " ".join(os.path.basename(m)[:-3] for m in order),
            "skipped": ", ".join(skipped) or "-"}
    text, space = manifest.render(tree, info, debian.owners(sources), debian.owners(tools),
                                  len(packed), len(cpio))
    write(out("manifest.txt"), text.encode(), epoch)

    sums = ""
    for name in ("vmlinux", "vmlinuz", initrd, "manifest.txt"):
        with open(out(name), "rb") as f:
            sums += "%s  %s\n" % (hashlib.file_digest(f, "sha256").hexdigest(), name)
    write(out("SHA256SUMS"), sums.encode(), epoch)
    if not args.quiet:
        print("guest image in %s (kernel %s)" % (args.outdir, version))
        print("\n".join(space))
        print(sums, end="")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (BuildError, kernel.KernelError, programs.ProgramError,
            ValueError, OSError) as e:
        print("build.py: %s" % e, file=sys.stderr)
        sys.exit(1)
