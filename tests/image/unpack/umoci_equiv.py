#!/usr/bin/env python3
"""Unpack equivalence with the real umoci (0.4.7): images built with
`umoci init/new/unpack/repack/config` (and one layer crafted with tarfile,
for opaque whiteouts and entry orders umoci never writes) are unpacked by
`umoci unpack` and by unpack-tool (lib/image/unpack in flatten mode); the
rootfs trees and the runtime config.json must be equal.

Usage: umoci_equiv.py UNPACK_TOOL. Needs root and umoci (exit 77 to skip).
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecmp  # noqa: E402

TOOL = sys.argv[1] if len(sys.argv) > 1 else None
FAILS = []


def run(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, timeout=120,
                          **kw)


def umoci(*args):
    return run("umoci", *args)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def write(p, data, mode=0o644, uid=0, gid=0):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    os.chown(p, uid, gid)
    os.chmod(p, mode)


def layer1(r):
    """Files, dirs, symlinks, hard links, devices, FIFOs, xattrs, owners, modes."""
    write(f"{r}/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
          b"app:x:1000:1000:App:/home/app:/bin/sh\n")
    write(f"{r}/etc/group", b"root:x:0:\napp:x:1000:\nwheel:x:10:app\n")
    write(f"{r}/bin/tool", os.urandom(300000), 0o755)
    write(f"{r}/bin/suid", b"#!/bin/sh\n", 0o4755)
    write(f"{r}/bin/sgid", b"#!/bin/sh\n", 0o2711)
    os.makedirs(f"{r}/tmp")
    os.chmod(f"{r}/tmp", 0o1777)
    write(f"{r}/home/app/.profile", b"export X=1\n", 0o600, 1000, 1000)
    os.chown(f"{r}/home/app", 1000, 1000)
    write(f"{r}/srv/empty", b"", 0o640, 65534, 65534)
    write(f"{r}/srv/name with spaces \u00e9", b"utf8\n")
    os.symlink("tool", f"{r}/bin/rel-link")
    os.symlink("/etc/passwd", f"{r}/bin/abs-link")
    os.symlink("../../nowhere", f"{r}/bin/dangling")
    os.link(f"{r}/bin/tool", f"{r}/bin/tool-hard")
    os.link(f"{r}/bin/tool", f"{r}/srv/tool-hard2")
    os.makedirs(f"{r}/dev")
    os.mknod(f"{r}/dev/null", 0o666 | 0o020000, os.makedev(1, 3))
    os.mknod(f"{r}/dev/loop0", 0o660 | 0o060000, os.makedev(7, 0))
    os.mkfifo(f"{r}/srv/fifo", 0o600)
    os.setxattr(f"{r}/bin/tool", "user.origin", b"layer1")
    os.setxattr(f"{r}/srv", "trusted.note", b"dir-xattr")
    os.setxattr(f"{r}/bin/suid", "security.capability",
                bytes.fromhex("0100000200100000000000000000000000000000"))
    for d in ("a", "a/b", "a/b/c"):
        write(f"{r}/tree/{d}/f", d.encode())
    write(f"{r}/replace/dir-to-file/x", b"x")
    write(f"{r}/replace/file-to-dir", b"f")
    write(f"{r}/replace/file-to-link", b"f")
    os.symlink("/tmp", f"{r}/replace/link-to-dir")
    write(f"{r}/gone/file", b"bye")
    write(f"{r}/gone/dir/deep/file", b"bye")
    write(f"{r}/opq/old1", b"old")
    write(f"{r}/opq/sub/old2", b"old")


def layer2(r):
    """Deletions (whiteouts), type changes, cross-layer hard links, new modes."""
    os.unlink(f"{r}/gone/file")
    shutil.rmtree(f"{r}/gone/dir")
    shutil.rmtree(f"{r}/replace/dir-to-file")
    write(f"{r}/replace/dir-to-file", b"now a file")
    os.unlink(f"{r}/replace/file-to-dir")
    write(f"{r}/replace/file-to-dir/inner", b"now a dir")
    os.unlink(f"{r}/replace/file-to-link")
    os.symlink("../bin/tool", f"{r}/replace/file-to-link")
    os.unlink(f"{r}/replace/link-to-dir")
    write(f"{r}/replace/link-to-dir/inner", b"now a dir")
    os.link(f"{r}/srv/empty", f"{r}/srv/empty-hard")  # links to a lower file
    os.chmod(f"{r}/bin/tool", 0o700)
    os.setxattr(f"{r}/srv/empty", "user.added", b"2")
    shutil.rmtree(f"{r}/tree/a/b")
    write(f"{r}/tree/a/b/new", b"recreated")


def crafted_layer(tf):
    """Entries in orders umoci never writes: an opaque whiteout after new
    content of its directory, a whiteout after a same-layer file, a whiteout
    of a path that does not exist, a directory replacing a symlink."""
    def add(name, data=None, kind=tarfile.REGTYPE, mode=0o644, **kw):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.mtime = kind, mode, 1700000000
        for k, v in kw.items():
            setattr(ti, k, v)
        if data is not None:
            ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data) if data is not None else None)

    add("opq/new1", b"new")
    add("opq/.wh..wh..opq", b"")
    add("opq/sub2/", kind=tarfile.DIRTYPE, mode=0o750)
    add("srv/kept", b"same layer")
    add("srv/.wh.kept", b"")
    add("srv/.wh.not-there", b"")
    add("tree/.wh.a", b"")
    add("tree/a/b/again", b"again")
    add("bin/abs-link/", kind=tarfile.DIRTYPE, mode=0o755)
    add("srv/link-to-hard", kind=tarfile.LNKTYPE, linkname="bin/tool")


def add_layer(layout, tag, newtag, tarbytes):
    """Appends a gzip layer to image tag as image newtag (a new index entry)."""
    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        with open(f"{layout}/blobs/sha256/{d}", "wb") as f:
            f.write(data)
        return "sha256:" + d

    index = json.load(open(f"{layout}/index.json"))
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    man = json.load(open(f"{layout}/blobs/sha256/{desc['digest'][7:]}"))
    cfg = json.load(open(f"{layout}/blobs/sha256/{man['config']['digest'][7:]}"))
    gz = gzip.compress(tarbytes)
    cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(tarbytes).hexdigest())
    cfgb = json.dumps(cfg).encode()
    man["config"] = {"mediaType": man["config"]["mediaType"], "digest": blob(cfgb),
                     "size": len(cfgb)}
    man["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                          "digest": blob(gz), "size": len(gz)})
    manb = json.dumps(man).encode()
    index["manifests"].append({"mediaType": desc["mediaType"], "digest": blob(manb),
                               "size": len(manb),
                               "annotations": {"org.opencontainers.image.ref.name": newtag}})
    json.dump(index, open(f"{layout}/index.json", "w"))


def layer_names(layout, tag):
    """Entry names of the last layer of tag (to see what umoci wrote)."""
    index = json.load(open(f"{layout}/index.json"))
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    man = json.load(open(f"{layout}/blobs/sha256/{desc['digest'][7:]}"))
    data = open(f"{layout}/blobs/sha256/{man['layers'][-1]['digest'][7:]}", "rb").read()
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tf:
        return tf.getnames()


def compare_tag(work, layout, tag):
    ub, cb = f"{work}/umoci-{tag}", f"{work}/cocoon-{tag}"
    start = time.time_ns()
    umoci("unpack", "--image", f"{layout}:{tag}", ub)
    out = subprocess.run([TOOL, "layout", layout, tag, cb], capture_output=True, text=True,
                         timeout=120)
    check(out.returncode == 0, f"{tag}: unpack-tool layout: {out.stdout.strip()} "
          f"{out.stderr.strip()}")
    if out.returncode != 0:
        return
    diffs = treecmp.compare(f"{ub}/rootfs", f"{cb}/rootfs", mtimes_after=start)
    for d in diffs[:20]:
        print("     " + d)
    check(not diffs, f"{tag}: rootfs trees equal (paths, types, modes, owners, contents, "
          f"links, devices, xattrs, hard links, mtimes)")
    cu, cc = (json.load(open(f"{d}/config.json")) for d in (ub, cb))
    cu.pop("hostname")
    cc.pop("hostname")
    check(cu == cc, f"{tag}: config.json equal but for the hostname")
    if cu != cc:
        print(json.dumps(cu, sort_keys=True)[:2000])
        print(json.dumps(cc, sort_keys=True)[:2000])


def main():
    if os.geteuid() != 0 or shutil.which("umoci") is None or TOOL is None:
        print("skip: needs root, umoci and the unpack-tool path")
        return 77
    work = tempfile.mkdtemp(prefix="cocoon-umoci-")
    try:
        layout = f"{work}/layout"
        umoci("init", "--layout", layout)
        umoci("new", "--image", f"{layout}:base")
        umoci("unpack", "--image", f"{layout}:base", f"{work}/b")
        layer1(f"{work}/b/rootfs")
        umoci("repack", "--image", f"{layout}:t1", f"{work}/b")
        umoci("config", "--image", f"{layout}:t1", "--config.user", "app",
              "--config.env", "PATH=/bin", "--config.env", "LANG=C.UTF-8",
              "--config.entrypoint", "/bin/tool", "--config.cmd", "--serve",
              "--config.workingdir", "/srv", "--config.label", "org.example=1",
              "--config.exposedports", "8080/tcp", "--config.volume", "/data",
              "--config.stopsignal", "SIGINT")
        shutil.rmtree(f"{work}/b")
        umoci("unpack", "--image", f"{layout}:t1", f"{work}/b")
        layer2(f"{work}/b/rootfs")
        umoci("repack", "--image", f"{layout}:t2", f"{work}/b")
        names = layer_names(layout, "t2")
        check(any(n.endswith(".wh.file") for n in names), "umoci repack wrote .wh. whiteouts")
        print("     umoci wrote opaque whiteouts: "
              f"{any(n.endswith('.wh..wh..opq') for n in names)}")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
            crafted_layer(tf)
        add_layer(layout, "t2", "t3", buf.getvalue())
        for tag in ("t1", "t2", "t3"):
            compare_tag(work, layout, tag)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
