"""Tree comparison for the unpack tests: two directory trees are equal when
they hold the same paths with the same type, mode, owner, link target,
device number, content hash, xattrs and hard-link groups (and, optionally,
the same mtimes)."""
import hashlib
import os
import stat

IGNORED_XATTRS = {"security.selinux"}


def _xattrs(p):
    try:
        names = os.listxattr(p, follow_symlinks=False)
    except OSError:
        return {}
    out = {}
    for n in names:
        if n in IGNORED_XATTRS:
            continue
        out[n] = os.getxattr(p, n, follow_symlinks=False)
    return out


def _digest(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def describe(root):
    """{relative path: (fields...)}, {path: mtime_ns} and the hard-link
    groups of a tree."""
    info, times, inodes = {}, {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames + ([] if dirpath != root else ["."]):
            p = os.path.join(dirpath, name) if name != "." else root
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            fields = [stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid]
            if stat.S_ISREG(st.st_mode):
                fields += [st.st_size, _digest(p)]
            elif stat.S_ISLNK(st.st_mode):
                fields.append(os.readlink(p))
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                fields.append((os.major(st.st_rdev), os.minor(st.st_rdev)))
            times[rel] = st.st_mtime_ns
            fields.append(sorted(_xattrs(p).items()))
            info[rel] = tuple(fields)
            if not stat.S_ISDIR(st.st_mode):
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
    links = sorted(tuple(sorted(v)) for v in inodes.values() if len(v) > 1)
    return info, times, links


def compare(a, b, mtimes_after=None):
    """A list of differences between trees a and b (empty when equal).
    mtimes_after: compare mtimes too, except where a's mtime is at or after
    this time (ns): a was stamped "now" while unpacking (a directory made
    without an entry of its own), which no second run can reproduce."""
    ia, ta, la = describe(a)
    ib, tb, lb = describe(b)
    diffs = []
    if mtimes_after is not None:
        for p in sorted(set(ta) & set(tb)):
            if ta[p] != tb[p] and ta[p] < mtimes_after:
                diffs.append(f"{p}: mtime {ta[p]} != {tb[p]}")
    for p in sorted(set(ia) | set(ib)):
        if p not in ia:
            diffs.append(f"only in {b}: {p}")
        elif p not in ib:
            diffs.append(f"only in {a}: {p}")
        elif ia[p] != ib[p]:
            diffs.append(f"{p}: {ia[p]} != {ib[p]}")
    if la != lb:
        diffs.append(f"hard links: {la} != {lb}")
    return diffs
