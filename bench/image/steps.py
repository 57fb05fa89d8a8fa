"""The benchmark steps of bench/run_image.sh; each writes STEP.json into
the results directory (summary.py turns them into the table).

  decrypt  layer decryption, `cocoon image copy` vs `skopeo copy`
  floor    OpenSSL's single-core speed of the primitives decryption needs
  pull     pull + unpack from the loopback registry, cocoon vs skopeo+umoci
  rss      peak RSS of pulls of one-layer images of growing size

Usage: steps.py STEP --cocoon BIN --work DIR --out DIR [options]
(run_image.sh passes them; see --help)."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "image", "unpack"))
import measure  # noqa: E402
import mkimage  # noqa: E402
import perfsplit  # noqa: E402
import treecmp  # noqa: E402
from measure import StepError  # noqa: E402

MB = mkimage.MB


def layers_of(layout, tag):
    """The layer descriptors of image tag in an OCI layout."""
    with open(os.path.join(layout, "index.json")) as f:
        idx = json.load(f)
    for m in idx["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            with open(os.path.join(layout, "blobs", "sha256", m["digest"][7:])) as f:
                return json.load(f)["layers"]
    raise StepError("%s: no image tagged %s" % (layout, tag))


def fresh(*paths):
    for p in paths:
        shutil.rmtree(p, ignore_errors=True)


class Trash:
    """Outputs of earlier runs are moved aside, not deleted, until the step
    ends: this machine's ext4 has no journal, and then every new inode
    allocation scans past the inodes deleted in the last minutes
    (recently_deleted() in fs/ext4/ialloc.c), which made unpacking after
    deleting the previous bundle several times slower for every tool."""

    def __init__(self, work):
        self.dir = os.path.join(work, "trash")
        self.n = 0

    def put(self, *paths):
        for p in paths:
            if os.path.lexists(p):
                os.makedirs(self.dir, exist_ok=True)
                os.rename(p, os.path.join(self.dir, str(self.n)))
                self.n += 1

    def empty(self):
        fresh(self.dir)


def timed_rounds(a, tools, runs, log, settle=None):
    """Runs each tool's command list once per round, warm-up round first
    (discarded), alternating the order between rounds so that neither tool
    always runs right after the other. tools: {name: (prepare, [argv...])}
    where the argvs run one after the other (their figures are kept apart
    as name:0, name:1 and summed as name). Before each run, prepare() and
    then `settle` seconds of waiting (default --settle): memory freed by
    prepare() and by the previous run goes back to the hypervisor within a
    few seconds on this VM (free page reporting), so waiting puts every run
    in the same state. Returns {name: [result...]}."""
    settle = a.settle if settle is None else settle
    names = list(tools)
    res = {}
    for rnd in range(runs + 1):
        order = names if rnd % 2 == 0 else names[::-1]
        for name in order:
            prepare, cmds = tools[name]
            prepare()
            time.sleep(settle)
            parts = [measure.run_timed(c, log, env=a.env) for c in cmds]
            if rnd == 0:
                continue
            res.setdefault(name, []).append(measure.merge(*parts))
            if len(parts) > 1:
                for i, p in enumerate(parts):
                    res.setdefault("%s:%d" % (name, i), []).append(p)
    return res


def stats(res):
    return {name: {"runs": rs, "wall": measure.summarize(rs, "wall"), "cpu": measure.summarize(rs, "cpu"),
                   "rss_kib": measure.summarize(rs, "rss_kib")} for name, rs in res.items()}


# ---- 1. layer decryption ------------------------------------------------------


def make_keys(work, log):
    k = os.path.join(work, "keys")
    if not os.path.exists(os.path.join(k, "pub.pem")):
        os.makedirs(k, exist_ok=True)
        measure.run(["openssl", "genrsa", "-out", k + "/priv.pem", "2048"], log)
        measure.run(["openssl", "rsa", "-in", k + "/priv.pem", "-pubout", "-out", k + "/pub.pem"], log)
    return k + "/priv.pem", k + "/pub.pem"


def step_decrypt(a, log):
    w = os.path.join(a.work, "decrypt")
    fresh(w)
    os.makedirs(w)
    priv, pub = make_keys(a.work, log)
    plain, enc = w + "/plain", w + "/enc"
    size = int(a.layer_mb * MB)
    # gzip -1 of random bytes: the size stays the same, and skopeo keeps
    # the layer as it is. From an uncompressed tar layer skopeo 1.9 would
    # gzip the layer while encrypting it and record the tar's digest as the
    # plaintext digest, which cocoon (rightly or not) rejects; see
    # docs/benchmarks.md.
    player = mkimage.single_layer_layout(plain, "t", size, gzip_level=1)
    measure.run(["skopeo", "copy", "-q", "--encryption-key", "jwe:" + pub, "oci:%s:t" % plain,
                 "oci:%s:t" % enc], log, env=a.env)
    elayer = layers_of(enc, "t")[0]
    if not elayer["mediaType"].endswith("+encrypted"):
        raise StepError("skopeo did not encrypt the layer: %s" % elayer["mediaType"])
    fresh(plain)  # only the encrypted image is read from now on
    outs = {"skopeo": w + "/out-skopeo", "cocoon": w + "/out-cocoon"}
    tools = {
        "skopeo": (lambda: a.trash.put(outs["skopeo"]),
                   [["skopeo", "copy", "-q", "--decryption-key", priv, "oci:%s:t" % enc,
                     "oci:%s:t" % outs["skopeo"]]]),
        "cocoon": (lambda: a.trash.put(outs["cocoon"]),
                   [[a.cocoon, "image", "copy", "-q", "--decryption-key", priv, "oci:%s:t" % enc,
                     "oci:%s:t" % outs["cocoon"]]]),
    }
    res = timed_rounds(a, tools, a.runs, log)
    # The same, with the previous output deleted right before each run, so
    # that the tools write into memory the guest has just freed (the state
    # of a guest that has pulled before) instead of new memory.
    reused = {name + "/reused": ((lambda o=outs[name]: fresh(o)), cmds) for name, (_, cmds) in tools.items()}
    res.update(timed_rounds(a, reused, a.runs, log, settle=0))
    for name, out in outs.items():  # the last run of each must give the plaintext layer back
        got = layers_of(out, "t")[0]
        if got["digest"] != player["digest"] or got["mediaType"] != mkimage.LAYER_TGZ:
            raise StepError("%s: decrypted layer %s %s, expected %s" % (name, got["mediaType"], got["digest"],
                                                                       player["digest"]))
    if a.perf:
        perf_profile(a, "decrypt", tools["cocoon"], log)
        perf_profile(a, "decrypt-reused", reused["cocoon/reused"], log, settle=0)
    a.trash.empty()
    fresh(w)
    return {"layer_bytes": elayer["size"], "tools": stats(res)}


# ---- OpenSSL floor ----------------------------------------------------------------


def openssl_speed(args, label, secs):
    """Bytes/s of one `openssl speed` run at 16 KiB blocks (one core)."""
    p = subprocess.run(["openssl", "speed", "-bytes", "16384", "-seconds", str(secs)] + args,
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"^%s\s+([0-9.]+)k\s*$" % re.escape(label), p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise StepError("openssl speed %s: no figure for %s in: %s" % (" ".join(args), label, p.stdout[-300:]))
    return float(m.group(1)) * 1000


def write_speed(path, nbytes):
    """Bytes/s of write() of nbytes into the new file path (page cache
    only, no fsync)."""
    buf = bytes(256 * 1024)
    t0 = time.monotonic()
    with open(path, "wb", buffering=0) as f:
        left = nbytes
        while left > 0:
            left -= f.write(buf[:min(len(buf), left)])
    return nbytes / (time.monotonic() - t0)


def write_speeds(a, nbytes):
    """The machine's cost of the memory a tool writes into: new files
    while the earlier ones are kept (as the timed runs do, see Trash),
    after `settle` seconds; and a file rewritten right after deleting it
    (memory the guest has just used). Median of 3 each."""
    new, reused = [], []
    for i in range(3):
        time.sleep(a.settle)
        new.append(write_speed(os.path.join(a.work, "write-%d" % i), nbytes))
    for i in range(3):
        os.unlink(os.path.join(a.work, "write-%d" % i))
        reused.append(write_speed(os.path.join(a.work, "write-%d" % i), nbytes))
    for i in range(3):
        os.unlink(os.path.join(a.work, "write-%d" % i))
    return measure.statistics.median(new), measure.statistics.median(reused)


def step_floor(a, log):
    secs = 1 if a.quick else 3
    r = {"aes_256_ctr": openssl_speed(["-evp", "aes-256-ctr"], "AES-256-CTR", secs),
         "sha256": openssl_speed(["-evp", "sha256"], "sha256", secs),
         "hmac_sha256": openssl_speed(["-hmac", "sha256"], "hmac(sha256)", secs),
         "seconds": secs, "block": 16384}
    n = int(a.layer_mb * MB)
    r["write_new"], r["write_reused"] = write_speeds(a, n)
    r["write_bytes"] = n
    log.write(json.dumps(r) + "\n")
    return r


# ---- 2. pull + unpack -----------------------------------------------------------------


def build_pull_image(a, w, log):
    """Four gzip layers made by umoci, pushed to the registry as
    bench/img:t. Returns (reference, compressed layer bytes, layer notes)."""
    lay, b = w + "/src", w + "/build"
    measure.run(["umoci", "init", "--layout", lay], log)
    measure.run(["umoci", "new", "--image", lay + ":base"], log)
    measure.run(["umoci", "unpack", "--image", lay + ":base", b], log)
    notes = []
    tag = "base"
    for i in range(4):
        notes.append(mkimage.fill_layer(b + "/rootfs", i, a.scale))
        tag = "l%d" % (i + 1)
        measure.run(["umoci", "repack", "--refresh-bundle", "--image", "%s:%s" % (lay, tag), b], log)
    ref = "docker://%s/bench/img:t" % a.registry
    measure.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:%s:%s" % (lay, tag), ref], log,
                env=a.env)
    layers = layers_of(lay, tag)
    if len(layers) != 4 or not all(l["mediaType"].endswith("+gzip") for l in layers):
        raise StepError("umoci made %d layers (%s), expected 4 gzip layers" %
                        (len(layers), [l["mediaType"] for l in layers]))
    a.trash.put(lay, b)
    return ref, [l["size"] for l in layers], notes


def same_rootfs(a_root, b_root):
    diffs = treecmp.compare(a_root, b_root)
    if diffs:
        raise StepError("the bundles differ (%d differences): %s" % (len(diffs), "; ".join(diffs[:5])))


def pull_tools(a, ref, cb, sl, sb):
    """cocoon's pull and the skopeo + umoci pair, each into a fresh place."""
    return {
        "cocoon": (lambda: a.trash.put(cb),
                   [[a.cocoon, "image", "pull", "-q", "--tls-verify=false", "--insecure-policy", ref, cb]]),
        "skopeo+umoci": (lambda: a.trash.put(sl, sb),
                         [["skopeo", "copy", "-q", "--src-tls-verify=false", ref, "oci:%s:t" % sl],
                          ["umoci", "unpack", "--image", sl + ":t", sb]]),
    }


def step_pull(a, log):
    w = os.path.join(a.work, "pull")
    fresh(w)
    os.makedirs(w)
    ref, sizes, notes = build_pull_image(a, w, log)
    cb, sl, sb = w + "/cocoon-bundle", w + "/skopeo-layout", w + "/umoci-bundle"
    tools = pull_tools(a, ref, cb, sl, sb)
    res = timed_rounds(a, tools, a.runs, log)
    same_rootfs(cb + "/rootfs", sb + "/rootfs")  # the last run of each
    if a.perf:
        perf_profile(a, "pull", tools["cocoon"], log)
    a.trash.empty()
    fresh(w)
    return {"compressed_bytes": sum(sizes), "layer_bytes": sizes, "layers": notes, "scale": a.scale,
            "tools": stats(res)}


# ---- 3. peak RSS against layer size -----------------------------------------------------------


def step_rss(a, log):
    w = os.path.join(a.work, "rss")
    out = {"gzip_level": 1, "sizes": {}}
    for mb in a.sizes:
        fresh(w)
        os.makedirs(w)
        lay = w + "/layout"
        layer = mkimage.single_layer_layout(lay, "t", mb * MB, gzip_level=1, seed=mb)
        ref = "docker://%s/bench/big:%d" % (a.registry, mb)
        measure.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:%s:t" % lay, ref], log, env=a.env)
        fresh(lay)
        cb, sl, sb = w + "/cocoon-bundle", w + "/skopeo-layout", w + "/umoci-bundle"
        res = timed_rounds(a, pull_tools(a, ref, cb, sl, sb), a.rss_runs, log)
        for b in (cb, sb):
            if os.path.getsize(b + "/rootfs/data") != mb * MB:
                raise StepError("%s: /data is not %d bytes" % (b, mb * MB))
        out["sizes"][str(mb)] = {"compressed_bytes": layer["size"], "tools": stats(res)}
        a.trash.empty()
        fresh(w)
    return out


# ---- perf profile (optional) --------------------------------------------------------------------


def perf_profile(a, name, tool, log, settle=None):
    """One more run of the cocoon command under `perf record`: where its
    CPU time goes (perfsplit.py) in perf-NAME.json and perf-NAME.txt, with
    perf's own inclusive report below. A perf failure is noted, not fatal."""
    prepare, cmds = tool
    prepare()
    time.sleep(a.settle if settle is None else settle)
    data = os.path.join(a.work, "perf-%s.data" % name)
    rec = subprocess.run(["perf", "record", "-q", "-F", "2000", "--call-graph", "dwarf,16384", "-o", data,
                          "--"] + cmds[0], stdout=log, stderr=log, env=a.env, timeout=600)
    if rec.returncode != 0:
        log.write("perf record failed (%d); no profile\n" % rec.returncode)
        return
    r = perfsplit.split(data)
    r["command"] = " ".join(cmds[0])
    with open(os.path.join(a.out, "perf-%s.json" % name), "w") as f:
        json.dump(r, f, indent=1)
    with open(os.path.join(a.out, "perf-%s.txt" % name), "w") as f:
        f.write("# %s\n# where the CPU time goes (bench/image/perfsplit.py)\n" % r["command"])
        for p in r["parts"]:
            f.write("%6.1f%%  %5d  %s\n" % (100 * p["share"], p["samples"], p["what"]))
        f.write("%6s   %5d  samples in all\n\n# perf report --children\n" % ("", r["samples"]))
        f.flush()
        subprocess.run(["perf", "report", "-i", data, "--stdio", "--children", "-g", "none",
                        "--percent-limit", "1", "--sort", "dso,symbol"], stdout=f, stderr=log, timeout=600)
    os.unlink(data)


STEPS = {"decrypt": step_decrypt, "floor": step_floor, "pull": step_pull, "rss": step_rss}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("step", choices=sorted(STEPS))
    p.add_argument("--cocoon", required=True)
    p.add_argument("--work", required=True, help="scratch directory (big files; emptied after)")
    p.add_argument("--out", required=True, help="results directory (STEP.json, STEP.log)")
    p.add_argument("--registry", help="HOST:PORT of the plain-http docker-registry")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--runs", type=int, default=5, help="timed runs per tool (after a warm-up)")
    p.add_argument("--rss-runs", type=int, default=3, help="runs per tool and size in the rss step")
    p.add_argument("--layer-mb", type=float, default=200, help="decrypt: layer size")
    p.add_argument("--scale", type=float, default=1.0, help="pull: content scale (1.0: ~140 MB gzip)")
    p.add_argument("--sizes", default="10,50,200,500", help="rss: layer sizes in MB")
    p.add_argument("--settle", type=float, default=3.0, help="seconds to wait before each timed run")
    p.add_argument("--perf", action="store_true", help="profile one cocoon run with perf")
    a = p.parse_args()
    a.sizes = [int(s) for s in a.sizes.split(",")]
    a.cocoon = os.path.abspath(a.cocoon)
    a.trash = Trash(a.work)
    a.env = dict(os.environ, TMPDIR=os.path.join(a.work, "tmp"))
    os.makedirs(a.env["TMPDIR"], exist_ok=True)
    with open(os.path.join(a.out, a.step + ".log"), "w") as log:
        try:
            r = STEPS[a.step](a, log)
        except (StepError, subprocess.TimeoutExpired, OSError) as e:
            print("%s: %s" % (a.step, e), file=sys.stderr)
            sys.exit(1)
    with open(os.path.join(a.out, a.step + ".json"), "w") as f:
        json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
