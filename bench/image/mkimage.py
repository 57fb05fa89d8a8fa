"""Test images for the image-service benchmarks (bench/run_image.sh).

- single_layer_layout(): an OCI layout holding one image with one layer of
  pseudo-random bytes (a tar with one file), uncompressed or gzip -1,
  written by streaming (memory stays small whatever the size).
- fill_layer(): populates a directory with one layer's worth of mixed
  content (many small files, a few big random or compressible files), for
  `umoci repack` to turn into a gzip layer.

Every byte of file content comes from random.Random(seed), so the same
arguments give the same files on every machine (single_layer_layout's
blobs are identical too; umoci stamps its layers with the current time). Sizes are in MB = 10^6 bytes, as elsewhere
in the benchmarks."""
import hashlib
import json
import os
import random
import tarfile
import zlib

MB = 1000 * 1000
CHUNK = 1 << 20
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_TGZ = "application/vnd.oci.image.layer.v1.tar+gzip"


class RandomStream:
    """A file-like object giving n pseudo-random bytes (for tarfile)."""

    def __init__(self, n, seed):
        self.left = n
        self.rng = random.Random(seed)

    def read(self, size=-1):
        if size < 0 or size > self.left:
            size = self.left
        self.left -= size
        return self.rng.randbytes(size)


class HashingWriter:
    """Writes to a file, optionally through zlib (gzip framing), hashing
    what goes in (the diff_id) and what comes out (the blob digest)."""

    def __init__(self, path, gzip_level):
        self.f = open(path, "wb")
        self.plain = hashlib.sha256()
        self.blob = hashlib.sha256()
        self.size = 0
        # wbits 31 = gzip header and trailer, as `gzip -1` writes
        self.z = zlib.compressobj(gzip_level, zlib.DEFLATED, 31) if gzip_level else None

    def _out(self, b):
        if b:
            self.f.write(b)
            self.blob.update(b)
            self.size += len(b)

    def write(self, b):
        self.plain.update(b)
        self._out(self.z.compress(b) if self.z else b)
        return len(b)

    def close(self):
        if self.z:
            self._out(self.z.flush())
        self.f.close()


def _put_blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}


def _init_layout(layout):
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def single_layer_layout(layout, tag, nbytes, gzip_level=0, seed=1):
    """Creates the OCI layout `layout` with image `tag`: one layer holding
    the file /data (nbytes pseudo-random bytes). gzip_level 0 writes an
    uncompressed tar layer. Returns the layer descriptor."""
    _init_layout(layout)
    tmp = os.path.join(layout, "blobs", "layer.tmp")
    w = HashingWriter(tmp, gzip_level)
    with tarfile.open(fileobj=w, mode="w|", format=tarfile.PAX_FORMAT, bufsize=CHUNK) as tf:
        ti = tarfile.TarInfo("data")
        ti.size = nbytes
        ti.mode = 0o644
        ti.mtime = 1700000000
        tf.addfile(ti, RandomStream(nbytes, seed))
    w.close()
    digest = w.blob.hexdigest()
    os.rename(tmp, os.path.join(layout, "blobs", "sha256", digest))
    layer = {"mediaType": LAYER_TGZ if gzip_level else LAYER_TAR,
             "digest": "sha256:" + digest, "size": w.size}
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers",
                                 "diff_ids": ["sha256:" + w.plain.hexdigest()]}}).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": dict(mediaType="application/vnd.oci.image.config.v1+json",
                                     **_put_blob(layout, cfg)),
                      "layers": [layer]}).encode()
    mdesc = dict(mediaType="application/vnd.oci.image.manifest.v1+json", **_put_blob(layout, man),
                 annotations={"org.opencontainers.image.ref.name": tag})
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [mdesc]}, f)
    return layer


def _write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


WORDS = ("error warn info debug request response latency bytes user session token "
         "cache miss hit backend frontend retry timeout connection closed opened "
         "GET POST PUT /api/v1/items /healthz /metrics status=200 status=404 "
         "status=500 kernel module loaded config reload").split()


def _text(rng, n):
    """About n bytes of log-like text (gzip shrinks it about 4-5x)."""
    lines = []
    size = 0
    while size < n:
        line = "%010d %s %s\n" % (rng.randrange(10 ** 10),
                                  " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 14))),
                                  rng.randbytes(6).hex())
        lines.append(line)
        size += len(line)
    return "".join(lines).encode()[:n]


def _big_file(path, nbytes, rng, compressible):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        # the text pattern is made once per MB and varied: building every
        # byte in Python would dominate the setup time
        base = _text(rng, CHUNK) if compressible else None
        left = nbytes
        while left > 0:
            n = min(CHUNK, left)
            if compressible:
                cut = rng.randrange(CHUNK)
                f.write((base[cut:] + base[:cut])[:n])
            else:
                f.write(rng.randbytes(n))
            left -= n


def fill_layer(root, index, scale, seed=7):
    """Adds layer `index` (0-3) of the pull benchmark's image to the
    directory root. scale 1.0 gives about 140 MB of gzip layers in all;
    --quick uses a smaller scale. Returns a one-line description."""
    rng = random.Random(seed * 100 + index)
    small = int({0: 4000, 1: 1000, 2: 2500, 3: 2500}[index] * max(scale, 0.2))
    base = os.path.join(root, ["usr/lib/base", "opt/app", "usr/share/data", "srv/www"][index])
    for i in range(small):
        n = int(rng.paretovariate(1.2) * 300) % 65536
        data = _text(rng, n) if i % 3 else rng.randbytes(n)
        _write(os.path.join(base, "d%02d" % (i % 40), "f%05d" % i), data, 0o755 if i % 17 == 0 else 0o644)
    bigs = {0: [], 1: [("bin/server", 40, False), ("bin/worker", 40, False)],
            2: [("logs/a.log", 50, True), ("logs/b.log", 50, True)],
            3: [("assets/blob.bin", 30, False), ("assets/site.txt", 20, True)]}[index]
    for name, mb, compressible in bigs:
        _big_file(os.path.join(base, name), int(mb * scale * MB), rng, compressible)
    if index == 3:
        # a few symlinks and a hard link, so the trees compared are not
        # only regular files
        os.symlink("bin/server", os.path.join(root, "opt/app/current"))
        os.link(os.path.join(base, "assets/site.txt"), os.path.join(base, "assets/site-copy.txt"))
    big_desc = ", ".join("%s %d MB %s" % (n, int(mb * scale), "text" if c else "random")
                         for n, mb, c in bigs)
    return "%d small files%s" % (small, "; " + big_desc if big_desc else "")
