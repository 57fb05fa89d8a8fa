"""The summary table of bench/run_image.sh, from the STEP.json files of one
results directory (steps.py writes them). Prints Markdown.

Usage: summary.py RESULTS_DIR"""
import json
import os
import sys

D = sys.argv[1]
MB = 1e6
rows = []


def load(name):
    try:
        with open(os.path.join(D, name)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def row(*cells):
    rows.append([str(c) for c in cells])


def mbs(nbytes, secs):
    return nbytes / secs / MB if secs > 0 else float("inf")


def met(ok):
    return "**met**" if ok else "**not met**"


def wall(t):
    w = t["wall"]
    return "%.2f s (min %.2f, max %.2f)" % (w["median"], w["min"], w["max"])


def cpu(t):
    """Median user+sys seconds, with the medians of each."""
    med = lambda k: measure_median([r[k] for r in t["runs"]])
    return "%.2f s (user %.2f + sys %.2f)" % (t["cpu"]["median"], med("user"), med("sys"))


def measure_median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def mib(kib):
    return "%.1f MiB" % (kib / 1024)


def floor_rows(fl, dec):
    aes, sha, hmac = fl["aes_256_ctr"] / MB, fl["sha256"] / MB, fl["hmac_sha256"] / MB
    row("OpenSSL, one core, 16 KiB blocks", "AES-256-CTR %.0f MB/s, SHA-256 %.0f MB/s, HMAC-SHA256 %.0f MB/s"
        % (aes, sha, hmac), "", "`openssl speed -seconds %d`" % fl["seconds"])
    # What a verified decrypting copy computes per byte of the layer
    # (docs/benchmarks.md): AES-CTR, the HMAC of the ciphertext, SHA-256 of
    # the ciphertext (the source blob's digest) and of the plaintext
    # (ocicrypt's digest, which is also the new blob's digest).
    need = 1 / (1 / aes + 1 / hmac + 2 / sha)
    note = ""
    if dec:
        n = dec["layer_bytes"]
        rates = ["%.0f MB/s (%.0f%%) %s" % (mbs(n, t["cpu"]["median"]), 100 * mbs(n, t["cpu"]["median"]) / need,
                                            label)
                 for key, label in (("cocoon", "into new memory"), ("cocoon/reused", "into memory just freed"))
                 for t in [dec["tools"].get(key)] if t]
        note = "cocoon's layer bytes per CPU-second: " + ", ".join(rates)
    row("Decryption floor on one core: 1 / (1/AES + 1/HMAC + 2/SHA-256)", "%.0f MB/s" % need, "", note)
    row("write() of %d MB into the page cache (this VM)" % round(fl["write_bytes"] / MB),
        "%.0f MB/s into new memory; %.0f MB/s into memory just freed" % (fl["write_new"] / MB, fl["write_reused"] / MB),
        "", "the timed runs write into new memory: each tool pays the first rate for each byte it writes")


def decrypt_rows(dec):
    n = dec["layer_bytes"]
    c, s = dec["tools"]["cocoon"], dec["tools"]["skopeo"]
    cw, sw = c["wall"]["median"], s["wall"]["median"]
    row("Layer decryption, %d MB, into new memory, wall (median of %d)" % (round(n / MB), c["wall"]["n"]),
        "%.0f MB/s, %s" % (mbs(n, cw), wall(c)), "skopeo %.0f MB/s, %s" % (mbs(n, sw), wall(s)),
        "cocoon %.2fx skopeo; target >= 5x: %s" % (sw / cw, met(sw / cw >= 5)))
    cc, sc = c["cpu"]["median"], s["cpu"]["median"]
    row("Layer decryption, CPU (median)", "%s; %.0f MB per CPU-second" % (cpu(c), mbs(n, cc)),
        "skopeo %s; %.0f MB per CPU-second" % (cpu(s), mbs(n, sc)), "cocoon uses %.2fx less CPU" % (sc / cc))
    row("Layer decryption, peak RSS", mib(c["rss_kib"]["median"]), "skopeo " + mib(s["rss_kib"]["median"]), "")
    c, s = dec["tools"].get("cocoon/reused"), dec["tools"].get("skopeo/reused")
    if c and s:
        cw, sw = c["wall"]["median"], s["wall"]["median"]
        row("Layer decryption, output deleted right before (memory just freed), wall",
            "%.0f MB/s, %s; CPU %s" % (mbs(n, cw), wall(c), cpu(c)),
            "skopeo %.0f MB/s, %s; CPU %s" % (mbs(n, sw), wall(s), cpu(s)),
            "cocoon %.2fx skopeo; target >= 5x: %s" % (sw / cw, met(sw / cw >= 5)))


def pull_rows(pl):
    n = pl["compressed_bytes"]
    t = pl["tools"]
    c, p, sk, um = t["cocoon"], t["skopeo+umoci"], t["skopeo+umoci:0"], t["skopeo+umoci:1"]
    cw, pw = c["wall"]["median"], p["wall"]["median"]
    row("Pull + unpack, 4 gzip layers, %.0f MB compressed, wall (median of %d)" % (n / MB, c["wall"]["n"]),
        "%.0f MB/s, %s" % (mbs(n, cw), wall(c)),
        "skopeo+umoci %.0f MB/s, %s = skopeo %.2f + umoci %.2f (medians)"
        % (mbs(n, pw), wall(p), sk["wall"]["median"], um["wall"]["median"]),
        "cocoon %.2fx faster; target faster than skopeo+umoci: %s" % (pw / cw, met(cw < pw)))
    row("Pull + unpack, CPU (median)", cpu(c), "skopeo %s + umoci %s" % (cpu(sk), cpu(um)),
        "cocoon uses %.2fx less CPU" % ((sk["cpu"]["median"] + um["cpu"]["median"]) / c["cpu"]["median"]))
    row("Pull + unpack, peak RSS", mib(c["rss_kib"]["median"]),
        "skopeo %s, umoci %s" % (mib(sk["rss_kib"]["median"]), mib(um["rss_kib"]["median"])),
        "rootfs trees equal (treecmp.py)")


def rss_rows(rs):
    sizes = sorted(rs["sizes"], key=int)
    peaks = []
    for mb in sizes:
        t = rs["sizes"][mb]["tools"]
        c, sk, um = t["cocoon"], t["skopeo+umoci:0"], t["skopeo+umoci:1"]
        peaks.append(c["rss_kib"]["max"])
        row("Peak RSS, one %s MB layer (gzip -1)" % mb,
            "%s (pull %.2f s, %.0f MB/s)" % (mib(c["rss_kib"]["max"]), c["wall"]["median"],
                                              mbs(rs["sizes"][mb]["compressed_bytes"], c["wall"]["median"])),
            "skopeo %s, umoci %s" % (mib(sk["rss_kib"]["max"]), mib(um["rss_kib"]["max"])), "")
    grow = (max(peaks) - min(peaks)) / min(peaks)
    row("Peak RSS growth, %s -> %s MB" % (sizes[0], sizes[-1]), "%+.1f%% (%s -> %s)" % (
        100 * (peaks[-1] - peaks[0]) / peaks[0], mib(peaks[0]), mib(peaks[-1])), "",
        "target flat (largest within 10%% of smallest): %s" % met(grow <= 0.10))


def perf_rows():
    for name, what in (("decrypt", "Layer decryption"), ("decrypt-reused", "Layer decryption, memory just freed"),
                       ("pull", "Pull + unpack")):
        pf = load("perf-%s.json" % name)
        if pf:
            top = "; ".join("%s %.0f%%" % (p["what"], 100 * p["share"]) for p in pf["parts"][:5])
            row("%s: where cocoon's CPU time goes (perf)" % what, top, "",
                "%d samples; perf-%s.txt" % (pf["samples"], name))


def main():
    try:
        with open(os.path.join(D, "machine.txt")) as f:
            machine = f.read().strip()
    except FileNotFoundError:
        machine = ""
    fl, dec, pl, rs = load("floor.json"), load("decrypt.json"), load("pull.json"), load("rss.json")
    if dec:
        decrypt_rows(dec)
    if fl:
        floor_rows(fl, dec)
    if pl:
        pull_rows(pl)
    if rs:
        rss_rows(rs)
    perf_rows()
    print("# Image-service benchmarks\n")
    print("```\n%s\n```\n" % machine)
    print("MB = 10^6 bytes; MB/s = layer (or compressed image) bytes / wall seconds. "
          "Timings: median of the runs after a warm-up, tools interleaved.\n")
    hdr = ("figure", "cocoon", "peer", "note")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "|".join("---" for _ in hdr) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


main()
