#!/usr/bin/env python3
"""Guest pull through the agent runtime (kata.md §5.1): starts a
docker-registry on 127.0.0.1, pushes a small busybox image to it (an OCI
layout written here, copied with skopeo), then runs test_rt_runc with
COCOON_RT_TEST_IMAGE=127.0.0.1:PORT/bb:1, which creates containers whose
spec carries only the annotation io.kubernetes.cri.image-name: the runtime
pulls, checks and unpacks the image itself (lib/image/pull) and runs it
with runc, the image config filling args, env and cwd as Kata does.

Usage: rt_pull.py TEST_RT_RUNC. Skips (77) without root, runc,
docker-registry or skopeo. Every process it starts is stopped by PID
(itlib.finish)."""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "image"))
from itlib import TMP, check, finish, run, sh, start_registry  # noqa: E402

APPLETS = ["sh", "echo", "pwd", "true", "cat"]


def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", d)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def layer_tar():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in ["bin", "work", "tmp", "proc", "dev", "sys", "etc"]:
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            t.addfile(ti)
        with open("/bin/busybox", "rb") as f:
            data = f.read()
        ti = tarfile.TarInfo("bin/busybox")
        ti.size, ti.mode = len(data), 0o755
        t.addfile(ti, io.BytesIO(data))
        for a in APPLETS:
            ti = tarfile.TarInfo("bin/" + a)
            ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
            t.addfile(ti)
    return buf.getvalue()


def make_layout(layout):
    """An OCI layout with one image, ref name "1"."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    tar = layer_tar()
    gz = gzip.compress(tar, mtime=0)
    layer_digest, layer_size = blob(layout, gz)
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {
            "Cmd": ["/bin/sh", "-c", "echo pulled $FROM_IMAGE spec=$FROM_SPEC $(pwd)"],
            "Env": ["PATH=/usr/bin:/bin", "FROM_IMAGE=image-env"],
            "WorkingDir": "/work",
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
    }
    cfg_digest, cfg_size = blob(layout, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": cfg_digest, "size": cfg_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest, "size": layer_size}],
    }
    man_digest, man_size = blob(layout, json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man_digest,
        "size": man_size, "annotations": {"org.opencontainers.image.ref.name": "1"}}]}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def main():
    test = sys.argv[1]
    port = start_registry("reg", lambda p: {})
    layout = os.path.join(TMP, "layout")
    make_layout(layout)
    ref = "127.0.0.1:%d/bb:1" % port
    sh("skopeo", "copy", "--dest-tls-verify=false", "oci:%s:1" % layout, "docker://" + ref)
    rc, out, err = run(test, env={"COCOON_RT_TEST_IMAGE": ref}, timeout=500)
    sys.stdout.write(out)
    sys.stdout.write(err)
    check("guest pull tests (test_rt_runc with COCOON_RT_TEST_IMAGE)", rc == 0,
          "exit status %d" % rc)
    check("the pull tests ran, not skipped", "[  PASSED  ] 2 test(s)" in out + err)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: rt_pull.py TEST_RT_RUNC")
    missing = [p for p in ("runc", "docker-registry", "skopeo") if shutil.which(p) is None]
    if os.getuid() != 0 or missing or not os.access("/bin/busybox", os.X_OK):
        print("rt_pull: needs root, /bin/busybox and %s; skipped" % (missing or "runc"))
        shutil.rmtree(TMP, ignore_errors=True)
        sys.exit(77)
    finish(main)
