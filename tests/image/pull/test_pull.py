#!/usr/bin/env python3
"""Integration tests of `cocoon image pull` (lib/image/pull) and of layer
encryption in `cocoon image copy`, against real peers started here:
docker-registry on 127.0.0.1, umoci (builds the image, and unpacks it for
the equivalence check), skopeo (pushes, encrypts and decrypts with
--encryption-key/--decryption-key, signs with --sign-by), gpg (a throwaway
signing key).

Checked: the bundle equals `umoci unpack` of the same image (tree and
config.json); encrypted images need the key, and a cached plaintext copy of
the same layer never stands in for the encrypted one; signature policies
(reject, insecureAcceptAnything, signedBy with a lookaside signature);
every failure leaves no bundle and no staging directory behind; cocoon's
encryption is read by skopeo and skopeo's by cocoon.

Usage: test_pull.py COCOON COCOON_KEYPROVIDER   (run by meson; needs root
for umoci)
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "unpack"))
from itlib import TMP, check, finish, manifest_digest, run, sh, start_registry  # noqa: E402
import treecmp  # noqa: E402
import umoci_equiv  # noqa: E402

COCOON = os.path.abspath(sys.argv[1])
KEYPROVIDER = os.path.abspath(sys.argv[2])


def pull(*args, env=None):
    return run(COCOON, "image", "pull", *args, env=env, timeout=300)


def leftovers(parent):
    """Staging or temporary cache directories a pull left in parent."""
    return [n for n in os.listdir(parent) if ".pull-" in n or ".cache-" in n]


def build_image():
    """The three-layer image of the umoci equivalence test: files, links,
    devices, xattrs, owners; whiteouts, opaque directories, hard links
    across layers (tag t3)."""
    lay = os.path.join(TMP, "src")
    b = os.path.join(TMP, "b")
    umoci_equiv.umoci("init", "--layout", lay)
    umoci_equiv.umoci("new", "--image", lay + ":base")
    umoci_equiv.umoci("unpack", "--image", lay + ":base", b)
    umoci_equiv.layer1(b + "/rootfs")
    umoci_equiv.umoci("repack", "--image", lay + ":t1", b)
    umoci_equiv.umoci("config", "--image", lay + ":t1", "--config.user", "app",
                      "--config.entrypoint", "/bin/tool", "--config.cmd", "--serve",
                      "--config.env", "LANG=C.UTF-8", "--config.workingdir", "/srv")
    shutil.rmtree(b)
    umoci_equiv.umoci("unpack", "--image", lay + ":t1", b)
    umoci_equiv.layer2(b + "/rootfs")
    umoci_equiv.umoci("repack", "--image", lay + ":t2", b)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        umoci_equiv.crafted_layer(tf)
    umoci_equiv.add_layer(lay, "t2", "t3", buf.getvalue())
    shutil.rmtree(b)
    return lay


def same_tree(a, b):
    diffs = treecmp.compare(a, b)
    return not diffs, "; ".join(diffs[:5])


def config_subset(path):
    with open(path) as f:
        c = json.load(f)
    p = c["process"]
    return {"args": p.get("args"), "env": p.get("env"), "cwd": p.get("cwd"), "user": p.get("user"),
            "root": c.get("root"), "mounts": c.get("mounts")}


def layers_of(layout, name):
    d = manifest_digest(layout, name).split(":")[1]
    with open(os.path.join(layout, "blobs/sha256", d)) as f:
        return json.load(f)["layers"]


def gpg_key(home):
    os.makedirs(home, mode=0o700)
    env = {"GNUPGHOME": home}
    rc, so, se = run("gpg", "--batch", "--passphrase", "", "--quick-gen-key", "cocoon-test@example.com",
                     "rsa2048", "sign", "1d", env=env)
    if rc != 0:
        raise RuntimeError("gpg: " + se)
    rc, so, se = run("gpg", "--batch", "--with-colons", "--list-keys", env=env)
    fpr = [l.split(":")[9] for l in so.splitlines() if l.startswith("fpr:")][0]
    pub = os.path.join(home, "pub.gpg")
    rc, so, se = run("gpg", "--batch", "--export", "--output", pub, fpr, env=env)
    return env, fpr, pub


def hostile_layout():
    """An OCI layout whose one layer escapes with ../ and through an
    absolute symlink, and a second image whose diff_id is wrong."""
    lay = os.path.join(TMP, "hostile")
    os.makedirs(lay + "/blobs/sha256")

    def blob(b):
        d = hashlib.sha256(b).hexdigest()
        with open(lay + "/blobs/sha256/" + d, "wb") as f:
            f.write(b)
        return "sha256:" + d

    def tar(entries):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            for name, kind, data in entries:
                ti = tarfile.TarInfo(name)
                if kind == "sym":
                    ti.type = tarfile.SYMTYPE
                    ti.linkname = data
                    t.addfile(ti)
                else:
                    ti.size = len(data)
                    t.addfile(ti, io.BytesIO(data))
        return raw.getvalue()

    def image(tarbytes, diff_id=None, docker=False, sizes=(0,), oci_tar=False):
        """A one-layer image (the layer listed once per entry of sizes,
        each entry added to its true size)."""
        layer = tarbytes if docker or oci_tar else gzip.compress(tarbytes, mtime=0)
        did = diff_id or "sha256:" + hashlib.sha256(tarbytes).hexdigest()
        cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                          "rootfs": {"type": "layers", "diff_ids": [did] * len(sizes)}}).encode()
        mt = ("application/vnd.docker.distribution.manifest.v2+json" if docker
              else "application/vnd.oci.image.manifest.v1+json")
        ct = ("application/vnd.docker.container.image.v1+json" if docker
              else "application/vnd.oci.image.config.v1+json")
        lt = ("application/vnd.docker.image.rootfs.diff.tar" if docker
              else "application/vnd.oci.image.layer.v1.tar" if oci_tar
              else "application/vnd.oci.image.layer.v1.tar+gzip")
        m = json.dumps({"schemaVersion": 2, "mediaType": mt,
                        "config": {"mediaType": ct, "digest": blob(cfg), "size": len(cfg)},
                        "layers": [{"mediaType": lt, "digest": blob(layer), "size": len(layer) + s}
                                   for s in sizes]}).encode()
        return {"mediaType": mt, "digest": blob(m), "size": len(m)}

    escape = image(tar([("ok", "file", b"fine\n"), ("../../escaped-file", "file", b"x"),
                        ("link", "sym", TMP + "/outside"), ("link/through", "file", b"x")]))
    escape["annotations"] = {"org.opencontainers.image.ref.name": "escape"}
    bad = image(tar([("ok", "file", b"fine\n")]), diff_id="sha256:" + "0" * 64)
    bad["annotations"] = {"org.opencontainers.image.ref.name": "baddiff"}
    dup = image(tar([("ok", "file", b"fine\n")]), sizes=(0, 1))
    dup["annotations"] = {"org.opencontainers.image.ref.name": "dupsize"}
    plain_docker = image(tar([("secret.txt", "file", b"top secret\n")]), docker=True)
    plain_docker["annotations"] = {"org.opencontainers.image.ref.name": "dockertar"}
    ocitar = image(tar([("plain.txt", "file", b"uncompressed\n")]), oci_tar=True)
    ocitar["annotations"] = {"org.opencontainers.image.ref.name": "ocitar"}
    with open(lay + "/oci-layout", "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(lay + "/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [escape, bad, dup, plain_docker, ocitar]}, f)
    os.makedirs(TMP + "/outside")
    return lay


def main():
    src = build_image()
    reg = start_registry("plain", lambda p: {})
    R = "127.0.0.1:%d" % reg
    sh("skopeo", "copy", "--dest-tls-verify=false", "oci:%s:t3" % src, "docker://%s/test/img:plain" % R)
    ubundle = os.path.join(TMP, "umoci-bundle")
    sh("umoci", "unpack", "--image", src + ":t3", ubundle)
    work = os.path.join(TMP, "work")
    os.makedirs(work)

    # 1. plain image from the registry == umoci unpack
    b1 = os.path.join(work, "b1")
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "docker://%s/test/img:plain" % R, b1)
    check("pull from the registry", rc == 0, se)
    check("progress: a line per blob and per layer",
          so.count("Copying blob") == 3 and so.count("Applied layer") == 3, so)
    ok, why = same_tree(ubundle + "/rootfs", b1 + "/rootfs") if rc == 0 else (False, se)
    check("rootfs equals umoci unpack (whiteouts, opaque dirs, hard links)", ok, why)
    check("config.json: process, root and mounts as umoci's",
          rc == 0 and config_subset(b1 + "/config.json") == config_subset(ubundle + "/config.json"))
    check("no staging left behind", leftovers(work) == [], str(leftovers(work)))
    rc, so, se = pull("--insecure-policy", "docker://%s/test/img:plain" % R, os.path.join(work, "b1x"))
    check("plain http refused without --tls-verify=false", rc != 0 and not os.path.exists(work + "/b1x"), se)
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "docker://%s/test/img:plain" % R, b1)
    check("an existing non-empty bundle is refused", rc != 0 and "not empty" in se, se)
    rc, so, se = pull("--tls-verify=false", "docker://%s/test/img:plain" % R, os.path.join(work, "b1y"),
                      env={"HOME": TMP + "/nohome"})
    if os.path.exists("/etc/containers/policy.json"):
        check("no --policy: /etc/containers/policy.json is used", rc == 0 and "Signature policy" in so, se)
    else:
        check("no policy and no --insecure-policy: clear error",
              rc != 0 and "--insecure-policy" in se, se)

    # 2. Docker schema 2 media types (skopeo --format v2s2) and an index
    sh("skopeo", "copy", "--dest-tls-verify=false", "--format", "v2s2", "oci:%s:t3" % src,
       "docker://%s/test/img:docker" % R)
    b2 = os.path.join(work, "b2")
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "%s/test/img:docker" % R, b2)
    ok, why = same_tree(ubundle + "/rootfs", b2 + "/rootfs") if rc == 0 else (False, se)
    check("docker schema 2 image, plain HOST/REPO:TAG reference", ok, why)

    # 3. encryption: skopeo encrypts, cocoon decrypts; cocoon encrypts, skopeo decrypts
    keys = os.path.join(TMP, "keys")
    os.makedirs(keys)
    sh("openssl", "genrsa", "-out", keys + "/priv.pem", "2048")
    sh("openssl", "rsa", "-in", keys + "/priv.pem", "-pubout", "-out", keys + "/pub.pem")
    sh("openssl", "genrsa", "-out", keys + "/other.pem", "2048")
    # PKCS#8: Debian's skopeo (ocicrypt 1.0.3) takes no SEC1 "EC PRIVATE KEY"
    sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-out", keys + "/ec.pem")
    sh("openssl", "pkey", "-in", keys + "/ec.pem", "-pubout", "-out", keys + "/ecpub.pem")
    sh("skopeo", "copy", "--dest-tls-verify=false", "--encryption-key", "jwe:" + keys + "/pub.pem",
       "oci:%s:t3" % src, "docker://%s/test/img:enc" % R)
    cache = os.path.join(TMP, "cache")
    b3 = os.path.join(work, "b3")
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--cache-dir", cache,
                      "docker://%s/test/img:plain" % R, os.path.join(work, "b3p"))
    check("pull with a blob cache", rc == 0, se)
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--cache-dir", cache,
                      "docker://%s/test/img:plain" % R, os.path.join(work, "b3q"))
    check("second pull comes from the cache", rc == 0 and so.count("already cached") == 3
          and "0 B fetched" in so, so + se)
    sh("skopeo", "copy", "--dest-tls-verify=false", "oci:%s:t1" % src, "docker://%s/test/other:t1" % R)
    cache2 = os.path.join(TMP, "cache2")
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--cache-dir", cache2,
                      "docker://%s/test/other:t1" % R, os.path.join(work, "b3s"))
    rc2, so2, se2 = pull("--tls-verify=false", "--insecure-policy", "--cache-dir", cache2,
                         "docker://%s/test/img:plain" % R, os.path.join(work, "b3t"))
    check("an image sharing a layer with a cached one fetches only the other two",
          rc == 0 and rc2 == 0 and so2.count("already cached") == 1
          and so2.count("Copying blob") == 3, so2 + se + se2)
    # a tampered cache entry (same size, one byte changed) is caught when it
    # is applied, and dropped: that pull fails, the next one fetches again
    blobs = os.path.join(cache, "blobs/sha256")
    victim = os.path.join(blobs, layers_of(src, "t3")[0]["digest"].split(":")[1])
    with open(victim, "r+b") as f:
        f.seek(100)
        c = f.read(1)
        f.seek(100)
        f.write(bytes([c[0] ^ 1]))
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--cache-dir", cache,
                      "docker://%s/test/img:plain" % R, os.path.join(work, "b3r"))
    check("tampered cache entry: digest mismatch, no bundle",
          rc != 0 and "cached blob changed" in se and "digest mismatch" in se
          and not os.path.exists(work + "/b3r"), se)
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--cache-dir", cache,
                      "docker://%s/test/img:plain" % R, os.path.join(work, "b3r"))
    check("tampered cache entry was dropped and fetched again",
          rc == 0 and so.count("already cached") == 2, so + se)
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--cache-dir", cache,
                      "docker://%s/test/img:enc" % R, b3)
    check("encrypted image without a key fails, although its plaintext layers are cached",
          rc != 0 and "encrypted" in se and "no decryption key" in se and not os.path.exists(b3), se)
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--cache-dir", cache,
                      "--decryption-key", keys + "/other.pem", "docker://%s/test/img:enc" % R, b3)
    check("wrong key: clear error, no bundle", rc != 0 and not os.path.exists(b3), se)
    check("wrong key: no staging left behind", leftovers(work) == [], str(leftovers(work)))
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--cache-dir", cache,
                      "--decryption-key", keys + "/priv.pem", "docker://%s/test/img:enc" % R, b3)
    ok, why = same_tree(ubundle + "/rootfs", b3 + "/rootfs") if rc == 0 else (False, se)
    check("skopeo-encrypted image: cocoon decrypts, tree equals umoci's", ok, why)

    rc, so, se = run(COCOON, "image", "copy", "-q", "--dest-tls-verify=false",
                     "--encryption-key", "jwe:" + keys + "/pub.pem",
                     "--encryption-key", "jwe:" + keys + "/ecpub.pem",
                     "oci:%s:t3" % src, "docker://%s/test/img:cenc" % R)
    check("cocoon image copy --encryption-key to a registry", rc == 0, se)
    for k in ("priv.pem", "ec.pem"):
        out = os.path.join(TMP, "sdec-" + k)
        rc, so, se = run("skopeo", "copy", "--src-tls-verify=false", "--decryption-key", keys + "/" + k,
                         "docker://%s/test/img:cenc" % R, "oci:%s:x" % out)
        check("skopeo decrypts cocoon's layers with %s" % k, rc == 0, se)
        if rc == 0:
            check("plaintext layer digests match (%s)" % k,
                  [l["digest"] for l in layers_of(out, "x")] == [l["digest"] for l in layers_of(src, "t3")])
    rc, so, se = run("skopeo", "copy", "--src-tls-verify=false", "docker://%s/test/img:cenc" % R,
                     "oci:%s:x" % os.path.join(TMP, "nokey"))
    check("cocoon's encrypted layers are encrypted (skopeo copies them as they are)",
          rc == 0 and all(l["mediaType"].endswith("+encrypted")
                          for l in layers_of(os.path.join(TMP, "nokey"), "x")), se)
    b4 = os.path.join(work, "b4")
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--decryption-key", keys + "/ec.pem",
                      "docker://%s/test/img:cenc" % R, b4)
    ok, why = same_tree(ubundle + "/rootfs", b4 + "/rootfs") if rc == 0 else (False, se)
    check("cocoon-encrypted image pulled with the EC key", ok, why)
    rc, so, se = run(COCOON, "image", "copy", "-q", "--decryption-key", keys + "/priv.pem",
                     "oci:%s:x" % os.path.join(TMP, "nokey"), "oci:%s:dec" % os.path.join(TMP, "cdec"))
    check("cocoon image copy --decryption-key restores the plaintext layers",
          rc == 0 and [l["digest"] for l in layers_of(os.path.join(TMP, "cdec"), "dec")]
          == [l["digest"] for l in layers_of(src, "t3")], se)

    # the keyprovider protocol: cocoon-keyprovider wraps the layer keys with a
    # KEK under a kbs:/// key id, as CoCo's coco_keyprovider does
    kpconf = os.path.join(TMP, "ocicrypt_keyprovider.conf")
    with open(kpconf, "w") as f:
        json.dump({"key-providers": {"cocoon": {"cmd": {
            "path": KEYPROVIDER, "args": ["--keys-dir", os.path.join(TMP, "keks")]}}}}, f)
    kpenv = {"OCICRYPT_KEYPROVIDER_CONFIG": kpconf}
    rc, so, se = run(COCOON, "image", "copy", "-q", "--dest-tls-verify=false", "--encryption-key",
                     "provider:cocoon:keyid=kbs:///default/image-kek/app", "oci:%s:t3" % src,
                     "docker://%s/test/img:kp" % R, env=kpenv)
    check("copy --encryption-key provider:cocoon", rc == 0
          and os.path.getsize(os.path.join(TMP, "keks/default/image-kek/app")) == 32, se)
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "docker://%s/test/img:kp" % R,
                      os.path.join(work, "bkp0"), env=kpenv)
    check("provider-wrapped layers need --decryption-key provider:NAME",
          rc != 0 and "encrypted" in se and not os.path.exists(work + "/bkp0"), se)
    bkp = os.path.join(work, "bkp")
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--decryption-key", "provider:cocoon",
                      "docker://%s/test/img:kp" % R, bkp, env=kpenv)
    ok, why = same_tree(ubundle + "/rootfs", bkp + "/rootfs") if rc == 0 else (False, se)
    check("pull --decryption-key provider:cocoon", ok, why)
    os.rename(os.path.join(TMP, "keks/default/image-kek/app"), os.path.join(TMP, "kek.moved"))
    rc, so, se = pull("--tls-verify=false", "--insecure-policy", "--decryption-key", "provider:cocoon",
                      "docker://%s/test/img:kp" % R, os.path.join(work, "bkp2"), env=kpenv)
    check("provider without the KEK: clear error naming the key id",
          rc != 0 and "default/image-kek/app" in se and not os.path.exists(work + "/bkp2"), se)

    # 4. signature policy
    def policy(reqs, name):
        p = os.path.join(TMP, name)
        with open(p, "w") as f:
            json.dump({"default": [{"type": "reject"}],
                       "transports": {"docker": {R + "/test": reqs}}}, f)
        return p

    rc, so, se = pull("--tls-verify=false", "--policy", policy([{"type": "reject"}], "reject.json"),
                      "docker://%s/test/img:plain" % R, os.path.join(work, "b5"))
    check("policy 'reject': refused, no bundle",
          rc != 0 and "signature policy" in se and not os.path.exists(work + "/b5"), se)
    rc, so, se = pull("--tls-verify=false", "--policy",
                      policy([{"type": "insecureAcceptAnything"}], "accept.json"),
                      "docker://%s/test/img:plain" % R, os.path.join(work, "b6"))
    check("policy 'insecureAcceptAnything' for the scope", rc == 0 and "Signature policy accepted" in so, se)

    genv, fpr, pub = gpg_key(os.path.join(TMP, "gnupg"))
    sigstore = os.path.join(TMP, "sigstore")
    regd = os.path.join(TMP, "registries.d")
    os.makedirs(regd)
    with open(regd + "/test.yaml", "w") as f:
        f.write("docker:\n  %s:\n    lookaside: file://%s\n    lookaside-staging: file://%s\n"
                % (R, sigstore, sigstore))
    rc, so, se = run("skopeo", "copy", "--dest-tls-verify=false", "--registries.d", regd,
                     "--sign-by", fpr, "oci:%s:t3" % src, "docker://%s/test/img:signed" % R, env=genv)
    check("skopeo signs into the lookaside", rc == 0, se)
    signed = policy([{"type": "signedBy", "keyType": "GPGKeys", "keyPath": pub}], "signed.json")
    b7 = os.path.join(work, "b7")
    rc, so, se = pull("--tls-verify=false", "--policy", signed, "--registries.d", regd,
                      "docker://%s/test/img:signed" % R, b7)
    check("signedBy: skopeo's signature accepted", rc == 0 and os.path.isdir(b7 + "/rootfs"), se)
    rc, so, se = run("skopeo", "inspect", "--tls-verify=false", "docker://%s/test/img:signed" % R)
    dg = json.loads(so)["Digest"] if rc == 0 else "sha256:" + "0" * 64
    rc, so, se = pull("--tls-verify=false", "--policy", signed, "--registries.d", regd,
                      "docker://%s/test/img:signed@%s" % (R, dg), os.path.join(work, "b7d"))
    check("signedBy: name:tag@digest is checked as name@digest", rc == 0, se)
    rc, so, se = pull("--tls-verify=false", "--policy", signed, "--registries.d", regd,
                      "docker://%s/test/img:plain" % R, os.path.join(work, "b8"))
    check("signedBy: an image whose manifest has no signature is refused",
          rc != 0 and not os.path.exists(work + "/b8"), se)
    genv2, fpr2, pub2 = gpg_key(os.path.join(TMP, "gnupg2"))
    other = policy([{"type": "signedBy", "keyType": "GPGKeys", "keyPath": pub2}], "other.json")
    rc, so, se = pull("--tls-verify=false", "--policy", other, "--registries.d", regd,
                      "docker://%s/test/img:signed" % R, os.path.join(work, "b9"))
    check("signedBy: a signature by another key is refused",
          rc != 0 and not os.path.exists(work + "/b9"), se)

    # 5. hostile layouts: nothing outside the bundle, no bundle on failure
    hl = hostile_layout()
    b10 = os.path.join(work, "b10")
    rc, so, se = pull("--insecure-policy", "oci:%s:escape" % hl, b10)
    check("escaping tar: refused or contained",
          not os.path.exists(os.path.join(TMP, "escaped-file"))
          and not os.path.exists(os.path.join(work, "escaped-file"))
          and os.listdir(TMP + "/outside") == [], se)
    check("escaping tar: no partial bundle when refused", rc == 0 or not os.path.exists(b10), se)
    b11 = os.path.join(work, "b11")
    rc, so, se = pull("--insecure-policy", "oci:%s:baddiff" % hl, b11)
    check("diff_id mismatch: clear error, no bundle",
          rc != 0 and "diff_id" in se and not os.path.exists(b11), se)
    rc, so, se = pull("--insecure-policy", "oci:%s:dupsize" % hl, os.path.join(work, "b12"))
    check("one digest listed with two sizes: refused before any download",
          rc != 0 and "same digest" in se and not os.path.exists(work + "/b12"), se)
    check("no staging left behind after failures", leftovers(work) == [], str(leftovers(work)))

    # 6. an uncompressed Docker layer is encrypted too (never left in plaintext)
    encd = os.path.join(TMP, "enc-docker")
    rc, so, se = run(COCOON, "image", "copy", "-q", "--encryption-key", "jwe:" + keys + "/pub.pem",
                     "oci:%s:dockertar" % hl, "oci:%s:x" % encd)
    ls = layers_of(encd, "x") if rc == 0 else []
    blob_bytes = b""
    if ls:
        with open(os.path.join(encd, "blobs/sha256", ls[0]["digest"].split(":")[1]), "rb") as f:
            blob_bytes = f.read()
    check("docker rootfs.diff.tar layer: encrypted as OCI tar+encrypted",
          rc == 0 and ls and ls[0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+encrypted"
          and b"top secret" not in blob_bytes, se)
    b13 = os.path.join(work, "b13")
    rc, so, se = pull("--insecure-policy", "--decryption-key", keys + "/priv.pem", "oci:%s:x" % encd, b13)
    check("and pulled back with the key",
          rc == 0 and open(b13 + "/rootfs/secret.txt").read() == "top secret\n", se)

    # 7. skopeo gzips an uncompressed layer while encrypting it and records
    # the uncompressed digest in the key options: cocoon reads it as skopeo
    sk = os.path.join(TMP, "skopeo-tar-enc")
    sh("skopeo", "copy", "-q", "--encryption-key", "jwe:" + keys + "/pub.pem", "oci:%s:ocitar" % hl,
       "oci:%s:x" % sk)
    skd = os.path.join(TMP, "skopeo-tar-dec")
    sh("skopeo", "copy", "-q", "--decryption-key", keys + "/priv.pem", "oci:%s:x" % sk, "oci:%s:x" % skd)
    cd = os.path.join(TMP, "cocoon-tar-dec")
    rc, so, se = run(COCOON, "image", "copy", "-q", "--decryption-key", keys + "/priv.pem",
                     "oci:%s:x" % sk, "oci:%s:x" % cd)
    check("skopeo-encrypted uncompressed layer: decrypted to the same blob as skopeo's",
          rc == 0 and [l["digest"] for l in layers_of(cd, "x")] == [l["digest"] for l in layers_of(skd, "x")],
          se)
    b14 = os.path.join(work, "b14")
    rc, so, se = pull("--insecure-policy", "--decryption-key", keys + "/priv.pem", "oci:%s:x" % sk, b14)
    check("and pulled (diff_id checked)",
          rc == 0 and open(b14 + "/rootfs/plain.txt").read() == "uncompressed\n", se)


if os.geteuid() != 0 or not all(shutil.which(p) for p in ("umoci", "skopeo", "docker-registry", "gpg")):
    print("skip: needs root, umoci, skopeo, docker-registry and gpg")
    sys.exit(77)
finish(main)
