"""The guest kernel from Debian's linux-image-*-amd64 package: which version,
the uncompressed PVH vmlinux inside its bzImage, the date of its
changelog (the default SOURCE_DATE_EPOCH), and the modules the guest loads
with their dependencies in load order.
"""
import email.utils
import gzip
import hashlib
import lzma
import os
import re
import shutil
import struct
import zlib


class KernelError(Exception):
    pass


def find_version(boot="/boot", modules="/lib/modules"):
    """The newest installed Debian amd64 kernel that has both a bzImage in
    boot and a module tree, e.g. "6.1.0-56-amd64"."""
    found = []
    for name in os.listdir(boot) if os.path.isdir(boot) else []:
        m = re.fullmatch(r"vmlinuz-(.+-amd64)", name)
        if m and os.path.isdir(os.path.join(modules, m.group(1))):
            found.append(m.group(1))
    if not found:
        raise KernelError("no /boot/vmlinuz-*-amd64 with modules in %s "
                          "(apt-get install linux-image-amd64)" % modules)

    def key(v):  # numbers compare as numbers, and always below words
        return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"[.-]", v)]
    return max(found, key=key)


def _payload(bz, path):
    """The compressed kernel inside a bzImage, located through the setup
    header (Documentation/x86/boot.rst: "HdrS" at 0x202, setup_sects at
    0x1f1, payload_offset/payload_length at 0x248/0x24c, boot protocol
    2.08 or later), not by searching for a magic number."""
    if len(bz) < 0x250 or bz[0x202:0x206] != b"HdrS":
        raise KernelError("%s: not a bzImage (no HdrS setup header)" % path)
    version = struct.unpack_from("<H", bz, 0x206)[0]
    if version < 0x208:
        raise KernelError("%s: boot protocol %#x has no payload fields"
                          % (path, version))
    setup_sects = bz[0x1F1] or 4
    offset, length = struct.unpack_from("<II", bz, 0x248)
    start = (setup_sects + 1) * 512 + offset
    if start + length > len(bz):
        raise KernelError("%s: payload runs past the end of the file" % path)
    return bz[start:start + length]


def _decompress(payload, path):
    if payload.startswith(b"\xfd7zXZ\x00"):
        d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    elif payload.startswith(b"\x1f\x8b"):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif payload.startswith(b"\x5d\x00\x00"):
        d = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    else:
        raise KernelError("%s: kernel payload compression %s not supported "
                          "(xz, gzip, lzma are)" % (path, payload[:6].hex()))
    out = d.decompress(payload)
    if not out.startswith(b"\x7fELF"):
        raise KernelError("%s: decompressed payload is not an ELF file" % path)
    return out


def extract_vmlinux(vmlinuz, dest, cache=None):
    """Writes the uncompressed ELF kernel (it carries the PVH entry note
    QEMU's microvm needs) of the bzImage vmlinuz to dest. With a cache
    directory, the result is kept there under the bzImage's sha256 and
    copied from there on the next call (the extraction takes about 1 s)."""
    with open(vmlinuz, "rb") as f:
        bz = f.read()
    cached = None
    if cache:
        os.makedirs(cache, exist_ok=True)
        cached = os.path.join(cache, "vmlinux-" + hashlib.sha256(bz).hexdigest())
        if os.path.exists(cached):
            shutil.copyfile(cached, dest)
            return
    elf = _decompress(_payload(bz, vmlinuz), vmlinuz)
    tmp = (cached or dest) + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(elf)
    os.replace(tmp, cached or dest)
    if cached:
        shutil.copyfile(cached, dest)


def changelog_epoch(version, doc="/usr/share/doc"):
    """Seconds since the epoch of the newest entry in the kernel package's
    changelog: fixed for a given package version, so it suits as the
    archive's mtime (SOURCE_DATE_EPOCH)."""
    for name in ("changelog.Debian.gz", "changelog.gz"):
        path = os.path.join(doc, "linux-image-" + version, name)
        if not os.path.exists(path):
            continue
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(" -- ") and "  " in line[4:]:
                    date = line.rsplit("  ", 1)[1].strip()
                    return int(email.utils.parsedate_to_datetime(date).timestamp())
    raise KernelError("no changelog for linux-image-%s in %s; set "
                      "SOURCE_DATE_EPOCH" % (version, doc))


def _read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def module_order(version, wanted, modules="/lib/modules"):
    """Resolves module names (as in modules.txt; a trailing "?" marks one
    that may be missing) to paths relative to the module tree, each after
    the modules it depends on (modules.dep), without duplicates. Built-in
    modules (modules.builtin) are left out: there is nothing to load.
    Returns (paths in load order, names skipped as built in or missing)."""
    root = os.path.join(modules, version)
    deps = {}
    for line in _read_lines(os.path.join(root, "modules.dep")):
        if ":" in line:
            mod, rest = line.split(":", 1)
            deps[mod] = rest.split()
    by_name = {}
    for mod in deps:
        base = os.path.basename(mod).split(".ko")[0].replace("-", "_")
        by_name[base] = mod
    builtin = set()
    for line in _read_lines(os.path.join(root, "modules.builtin")):
        builtin.add(os.path.basename(line).split(".ko")[0].replace("-", "_"))

    order, seen, skipped = [], set(), []

    def visit(mod, stack):
        if mod in seen:
            return
        if mod in stack:
            raise KernelError("module dependency loop at %s" % mod)
        for dep in reversed(deps.get(mod, [])):
            visit(dep, stack + [mod])
        seen.add(mod)
        order.append(mod)

    for name in wanted:
        optional = name.endswith("?")
        name = name.rstrip("?").replace("-", "_")
        if name in builtin:
            skipped.append(name + " (built in)")
        elif name in by_name:
            visit(by_name[name], [])
        elif optional:
            skipped.append(name + " (not in this kernel)")
        else:
            raise KernelError("module %s is neither in %s/modules.dep nor "
                              "built in" % (name, root))
    return order, skipped
