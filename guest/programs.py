"""Host programs copied into the image with exactly the shared libraries
they load: the list comes from ldd (run with a clean environment, so
LD_LIBRARY_PATH or LD_PRELOAD on the build host cannot add anything), the
bytes from the file each name resolves to, the loader included.

Paths are put in the image's merged-/usr layout (/bin, /sbin, /lib, /lib64
are symlinks into /usr, as on Debian 12), so /lib/x86_64-linux-gnu/libc.so.6
and /usr/lib/x86_64-linux-gnu/libc.so.6 are one file. A library found
outside the system directories (e.g. in a build tree through RUNPATH) goes
to /usr/lib/x86_64-linux-gnu, where the guest's loader looks by default.
"""
import os
import subprocess
import tempfile

from newc import Entry

# The image's top-level symlinks (merged /usr).
ALIASES = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib",
           "lib64": "usr/lib64"}
SYSTEM_DIRS = ("usr/lib/", "usr/lib64/")
LIBDIR = "usr/lib/x86_64-linux-gnu"


class ProgramError(Exception):
    pass


def image_path(path):
    """The canonical image path of an absolute guest path: "/lib/x/libc.so.6"
    -> "usr/lib/x/libc.so.6"."""
    parts = path.strip("/").split("/")
    if parts and parts[0] in ALIASES:
        parts = ALIASES[parts[0]].split("/") + parts[1:]
    return "/".join(parts)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def is_elf(data):
    return data[:4] == b"\x7fELF"


def shebang(data):
    """The interpreter of a "#!" script, or None."""
    if not data.startswith(b"#!"):
        return None
    line = data[2:].split(b"\n", 1)[0].strip()
    return line.split()[0].decode("utf-8", "replace") if line else None


def needed_libraries(path):
    """[(name as the loader asked for it, host path it resolved to)] for a
    dynamic ELF file; [] for a static one."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    p = subprocess.run(["ldd", path], capture_output=True, text=True, env=env)
    out = p.stdout + p.stderr
    if "not a dynamic executable" in out or "statically linked" in out:
        return []
    if p.returncode != 0:
        raise ProgramError("ldd %s failed: %s" % (path, out.strip()))
    libs = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("linux-vdso") or line.startswith("linux-gate"):
            continue
        if "=>" in line:
            name, rest = (s.strip() for s in line.split("=>", 1))
            if rest.startswith("not found"):
                raise ProgramError("%s: library %s not found" % (path, name))
            host = rest.split(" (", 1)[0].strip()
        else:  # the loader: "/lib64/ld-linux-x86-64.so.2 (0x...)"
            host = line.split(" (", 1)[0].strip()
            name = host
        if not host.startswith("/"):
            raise ProgramError("%s: cannot read ldd line %r" % (path, line))
        libs.append((name, host))
    return libs


def library_image_path(name, host):
    """Where a library goes in the image: its own path when that is a system
    directory (the loader's, /lib64/ld-linux-x86-64.so.2, must stay put),
    else LIBDIR/<basename>."""
    canon = image_path(host if not name.startswith("/") else name)
    if canon.startswith(SYSTEM_DIRS):
        return canon
    return LIBDIR + "/" + os.path.basename(name)


def strip_elf(path, data):
    """data with symbols and debug information removed (strip
    --strip-unneeded, which is deterministic)."""
    with tempfile.TemporaryDirectory(prefix="cocoon-strip-") as tmp:
        out = os.path.join(tmp, "out")
        p = subprocess.run(["strip", "--strip-unneeded", "-o", out, path],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise ProgramError("strip %s failed: %s" % (path, p.stderr.strip()))
        return read_file(out)


def add_program(tree, host, dest, group, strip=False, sources=None):
    """Adds the host file host at dest (an absolute guest path) with its
    permission bits; for a dynamic ELF file also every library it loads.
    A script's interpreter must already be in the tree (checked by the
    caller at the end, see check_interpreters). sources, if given, collects
    the host paths read (for the package list)."""
    data = read_file(host)
    mode = os.stat(host).st_mode & 0o777
    if is_elf(data) and strip:
        data = strip_elf(host, data)
    tree.add(image_path(dest), Entry("file", mode, data, origin=host,
                                     group=group))
    if sources is not None:
        sources.append(host)
    if not is_elf(data):
        return
    for name, lib in needed_libraries(host):
        real = os.path.realpath(lib)
        tree.add(library_image_path(name, lib),
                 Entry("file", os.stat(real).st_mode & 0o777, read_file(real),
                       origin=lib, group=group))
        if sources is not None:
            sources.append(lib)


def check_interpreters(tree):
    """Every executable "#!" script's interpreter must exist in the image
    (an ELF file's loader is always there: ldd lists it with the
    libraries); returns the list of problems."""
    problems = []
    for path, e in tree.entries.items():
        if e.kind != "file" or not e.mode & 0o111:
            continue
        interp = shebang(e.data)
        if interp and not _resolves(tree, image_path(interp)):
            problems.append("/%s: interpreter %s is not in the image"
                            % (path, interp))
    return problems


def _resolves(tree, path, depth=0):
    e = tree.get(path)
    if e is None or depth > 8:
        return False
    if e.kind == "symlink":
        target = e.data.decode()
        if not target.startswith("/"):
            target = os.path.join(os.path.dirname("/" + path), target)
        return _resolves(tree, image_path(os.path.normpath(target)), depth + 1)
    return e.kind == "file"
