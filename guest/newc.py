"""The initramfs file tree and its cpio "newc" archive, written byte for byte
so that the same tree always gives the same archive.

The format is the one the kernel unpacks (Documentation/driver-api/
early-userspace/buffer-format.rst): per entry a 110-byte ASCII header
"070701" + 13 fields of 8 hex digits (ino, mode, uid, gid, nlink, mtime,
filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check), the
NUL-terminated name padded to a multiple of 4, the data padded to a
multiple of 4; the archive ends with an entry named "TRAILER!!!".

What makes it reproducible: entries sorted by path components (parents
before children, the same order whatever order files were added in),
inode numbers counted from 1 in that order, uid/gid 0, one fixed mtime,
nlink 1 (2 for directories) so the kernel never links entries together,
device numbers 0 except for device nodes.
"""
import stat

MAGIC = b"070701"
TRAILER = "TRAILER!!!"


class Entry:
    """One file in the tree: kind is "file", "dir", "symlink" or "chr";
    data holds the bytes of a file, or the target of a symlink; rdev the
    (major, minor) of a device node; origin says where it came from (for
    the manifest); group names the part of the image it belongs to (for
    the size report)."""

    def __init__(self, kind, mode, data=b"", rdev=(0, 0), origin="",
                 group="base"):
        self.kind = kind
        self.mode = mode
        self.data = data
        self.rdev = rdev
        self.origin = origin
        self.group = group

    def type_bits(self):
        return {"file": stat.S_IFREG, "dir": stat.S_IFDIR,
                "symlink": stat.S_IFLNK, "chr": stat.S_IFCHR}[self.kind]


class Tree:
    """A file tree keyed by relative path ("usr/bin/crun"). Adding a path
    creates its missing parent directories (0755). Adding the same path
    twice with different contents is an error: two sources disagreeing
    about one file is a build bug, not something to resolve silently."""

    def __init__(self):
        self.entries = {}

    def _parents(self, path):
        parts = path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            cur = self.entries.get(parent)
            if cur is None:
                self.entries[parent] = Entry("dir", 0o755)
            elif cur.kind != "dir":
                raise ValueError("%s: parent %s is a %s, not a directory"
                                 % (path, parent, cur.kind))

    def add(self, path, entry):
        path = path.strip("/")
        if not path or ".." in path.split("/") or "//" in path:
            raise ValueError("bad path in image: %r" % path)
        self._parents(path)
        cur = self.entries.get(path)
        if cur is not None:
            same = (cur.kind == entry.kind and cur.mode == entry.mode
                    and cur.data == entry.data and cur.rdev == entry.rdev)
            if cur.kind == "dir" and entry.kind == "dir":
                cur.mode = entry.mode
                return
            if not same:
                raise ValueError("%s: added twice with different contents "
                                 "(%s, %s)" % (path, cur.origin or cur.kind,
                                               entry.origin or entry.kind))
            return
        self.entries[path] = entry

    def get(self, path):
        return self.entries.get(path.strip("/"))

    def sorted_paths(self):
        return sorted(self.entries, key=lambda p: p.split("/"))


def _header(ino, mode, nlink, mtime, size, rdev, namesize):
    fields = (ino, mode, 0, 0, nlink, mtime, size, 0, 0, rdev[0], rdev[1],
              namesize, 0)
    for v in fields:
        if v < 0 or v > 0xFFFFFFFF:
            raise ValueError("cpio field out of range: %d" % v)
    return MAGIC + b"".join(b"%08X" % v for v in fields)


def _pad4(n):
    return b"\0" * ((4 - n % 4) % 4)


def _record(out, ino, mode, nlink, mtime, rdev, name, data):
    nameb = name.encode("utf-8") + b"\0"
    hdr = _header(ino, mode, nlink, mtime, len(data), rdev, len(nameb))
    out += hdr + nameb + _pad4(len(hdr) + len(nameb))
    out += data + _pad4(len(data))


def archive(tree, mtime):
    """Returns the newc archive of tree as bytes, every entry with the
    given mtime (seconds since the epoch)."""
    out = bytearray()
    for ino, path in enumerate(tree.sorted_paths(), 1):
        e = tree.entries[path]
        data = e.data if e.kind in ("file", "symlink") else b""
        nlink = 2 if e.kind == "dir" else 1
        _record(out, ino, e.type_bits() | e.mode, nlink, mtime, e.rdev, path,
                data)
    _record(out, 0, 0, 1, 0, (0, 0), TRAILER, b"")
    return bytes(out)
