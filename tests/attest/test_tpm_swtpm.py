#!/usr/bin/env python3
"""TPM attester -> verifier round trips on swtpm, with tpm2-tools as the peer
(docs/attest-tpm.md).

Starts two swtpm instances on 127.0.0.1 (free ports, temporary state
directories; each stopped by PID at the end), then:
  - our attester's evidence verifies with our verifier, and its shape is
    upstream's (members, encodings, extraData = digest zero-padded to 64);
  - wrong report data, a changed PCR value, a tampered message, a tampered
    or truncated signature, a foreign AK, an AK missing from the trusted
    list, a wrong init-data digest: each fails with upstream's words;
  - init-data bound in PCR 8 (extend, then quote) verifies;
  - tpm2_checkquote verifies a quote our attester made (PCR values converted
    to tpm2-tools' serialized PCR file), and our verifier verifies a quote
    tpm2_quote made; an AK provisioned with tpm2_createak/tpm2_evictcontrol
    serves our attester;
  - timings of our quote and verify against tpm2_quote and tpm2_checkquote.

Usage: test_tpm_swtpm.py TPM_TOOL
Exit 0 when every check passed, 1 otherwise, 77 (skip) without swtpm or
tpm2-tools.
"""
import base64
import hashlib
import json
import os
import shutil
import statistics
import struct
import sys
import time

TOOL = sys.argv[1] if len(sys.argv) > 1 else ""
if not TOOL or shutil.which("swtpm") is None or shutil.which("tpm2_quote") is None:
    print("SKIP: needs tpm-tool, swtpm and tpm2-tools")
    sys.exit(77)

# The integration tests' helpers: results, run(), processes stopped by PID,
# the temporary directory and the summary (tests/image/itlib.py).
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "image"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itlib import TMP, check, finish, run  # noqa: E402
import swtpm  # noqa: E402  (swtpm on 127.0.0.1, stopped by PID)

ALL_PCRS = "sha256:" + ",".join(str(i) for i in range(24))


def tool(*args):
    return run(TOOL, *args)


def evidence(tcti, rd, *extra):
    rc, out, err = tool("evidence", "--tcti", tcti, "--report-data", rd.hex(), *extra)
    if rc != 0:
        raise RuntimeError("evidence failed: " + err)
    return json.loads(out)


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def verify(ev, rd=None, init_data=None, trusted=None):
    path = write("ev.json", json.dumps(ev))
    args = ["verify", "--evidence", path]
    if rd is not None:
        args += ["--report-data", rd.hex()]
    if init_data is not None:
        args += ["--init-data", init_data.hex()]
    if trusted is not None:
        args += ["--trusted-ak-dir", trusted]
    rc, out, err = tool(*args)
    return rc, (json.loads(out) if rc == 0 else None), err.strip()


def expect_fail(name, ev, rd, want, **kw):
    rc, _, err = verify(ev, rd, **kw)
    check(name, rc == 1 and want in err, "rc=%d err=%r" % (rc, err))


def b64(data):
    return base64.b64encode(data).decode()


def unb64(s):
    return base64.b64decode(s, validate=True)


def tampered(ev, where, mutate):
    ev = json.loads(json.dumps(ev))
    q = ev["tpm_quote"]
    if where == "ak_public":
        ev["ak_public"] = mutate(ev["ak_public"])
    else:
        q[where] = mutate(q[where])
    return ev


def flip(offset):
    def f(s):
        b = bytearray(unb64(s))
        b[offset] ^= 1
        return b64(bytes(b))
    return f


def serialized_pcrs(pcrs):
    """tpm2-tools' serialized PCR file (tpm2_quote -o, the default -F):
    TPML_PCR_SELECTION, a count, then that many TPML_DIGEST, each a C struct
    dumped little-endian with its padding."""
    out = struct.pack("<I", 1) + struct.pack("<HB4sx", 0x000B, 3, b"\xff\xff\xff\x00")
    out += b"\0" * 8 * 15
    chunks = [pcrs[i:i + 8] for i in range(0, 24, 8)]
    out += struct.pack("<I", len(chunks))
    for ch in chunks:
        out += struct.pack("<I", len(ch))
        for d in ch:
            out += struct.pack("<H", 32) + d + b"\0" * 32
        out += (struct.pack("<H", 0) + b"\0" * 64) * (8 - len(ch))
    return out


def checkquote(ev, qual_hex, tcti, ak_pem=None):
    """Runs tpm2_checkquote on our evidence."""
    q = ev["tpm_quote"]
    msg = write("cq.msg", unb64(q["message"]))
    sig = write("cq.sig", unb64(q["signature"]))
    pcrs = write("cq.pcrs", serialized_pcrs([bytes.fromhex(p) for p in q["pcrs"]]))
    if ak_pem is None:
        der = write("cq.der", unb64(ev["ak_public"]))
        ak_pem = os.path.join(TMP, "cq.pem")
        rc, _, err = run("openssl", "pkey", "-pubin", "-inform", "DER", "-in", der, "-out", ak_pem)
        if rc != 0:
            raise RuntimeError("openssl: " + err)
    return run("tpm2_checkquote", "-u", ak_pem, "-m", msg, "-s", sig, "-f", pcrs,
               "-q", qual_hex, "-g", "sha256", env={"TPM2TOOLS_TCTI": tcti})


def main():
    _, tpm_a = swtpm.start_swtpm("tpm-a")
    _, tpm_b = swtpm.start_swtpm("tpm-b")
    rd = hashlib.sha384(b"runtime data").digest()
    rd64 = rd + b"\0" * 16

    # --- the AK: none at the handle until asked to create one
    rc, _, err = tool("evidence", "--tcti", tpm_a, "--report-data", rd.hex())
    check("no AK at 0x81010002 without --create-ak",
          rc == 1 and "no AK at persistent handle 0x81010002" in err, err)
    ev = evidence(tpm_a, rd, "--create-ak")
    ev_again = evidence(tpm_a, rd)
    check("the AK persists across calls", ev_again["ak_public"] == ev["ak_public"])

    # --- evidence shape, as upstream's attester writes it
    q = ev["tpm_quote"]
    msg, sig = unb64(q["message"]), unb64(q["signature"])
    check("evidence members", sorted(ev) == ["ak_public", "tpm_quote"]
          and sorted(q) == ["message", "pcrs", "signature"], str(sorted(ev)))
    check("24 lower-case hex SHA-256 PCRs",
          len(q["pcrs"]) == 24 and all(len(p) == 64 and p == p.lower() for p in q["pcrs"]))
    check("message is a TPMS_ATTEST quote (magic, type)", msg[:6] == bytes.fromhex("ff5443478018"))
    signer_len = struct.unpack(">H", msg[6:8])[0]
    extra = msg[8 + signer_len:8 + signer_len + 2 + 64]
    check("extraData = SHA-384 digest zero-padded to 64",
          extra == struct.pack(">H", 64) + rd64, extra.hex())
    check("signature is an RSASSA-SHA256 TPMT_SIGNATURE (2048 bits)",
          sig[:6] == bytes.fromhex("0014000b0100") and len(sig) == 262)
    check("ak_public is an RSA SubjectPublicKeyInfo",
          unb64(ev["ak_public"])[:15] == bytes.fromhex("30820122300d06092a864886f70d01"))

    # --- round trip
    rc, claims, err = verify(ev, rd)
    check("good evidence verifies", rc == 0, err)
    if claims:
        want = {"ak_public", "init_data", "report_data"} | {"pcr%02d" % i for i in range(24)}
        check("claims are upstream's (+ ak_public)", set(claims) == want, str(sorted(claims)))
        check("claim report_data is the padded nonce", claims["report_data"] == rd64.hex())
        check("claim init_data is PCR 8", claims["init_data"] == claims["pcr08"])
        check("claim ak_public is the evidence's", claims["ak_public"] == ev["ak_public"])
        check("claim pcr17 from the quote", claims["pcr17"] == q["pcrs"][17])
    rc, _, err = verify(ev, None)
    check("verifies with no report data expected", rc == 0, err)

    # --- what must fail
    expect_fail("wrong report data", ev, hashlib.sha384(b"other").digest(),
                "TPM quote nonce doesn't match expected report_data")
    expect_fail("report data truncated to 32 (not upstream's rule)", ev, rd[:32],
                "TPM quote nonce doesn't match expected report_data")
    bad_pcr = tampered(ev, "pcrs", lambda p: p[:11] + ["11" * 32] + p[12:])
    expect_fail("a modified PCR value", bad_pcr, rd, "Digest of PCRs does not match digest in Quote")
    expect_fail("a tampered message (clockInfo)", tampered(ev, "message", flip(8 + signer_len + 66 + 3)),
                rd, "TPM quote signature verification failed")
    expect_fail("a tampered message (extraData, nonce swap)",
                tampered(ev, "message", flip(8 + signer_len + 2)), rd,
                "TPM quote signature verification failed")
    expect_fail("a tampered signature", tampered(ev, "signature", flip(200)), rd,
                "TPM quote signature verification failed")
    expect_fail("a truncated signature", tampered(ev, "signature", lambda s: b64(unb64(s)[:100])),
                rd, "TPMT_SIGNATURE: malformed")
    expect_fail("a message that is not base64", tampered(ev, "message", lambda s: s[:-1] + "!"),
                rd, "tpm_quote.message: not canonical standard base64")
    ev_b = evidence(tpm_b, rd, "--create-ak")
    foreign = dict(ev, ak_public=ev_b["ak_public"])
    expect_fail("a foreign AK (another TPM's)", foreign, rd,
                "TPM quote signature verification failed")

    # --- trusted AKs (Trustee's trusted_ak_keys_dir)
    trust = os.path.join(TMP, "trusted")
    os.makedirs(trust)
    der = write("a.der", unb64(ev["ak_public"]))
    run("openssl", "pkey", "-pubin", "-inform", "DER", "-in", der, "-out",
        os.path.join(trust, "tpm-a.pub"))
    rc, _, err = verify(ev, rd, trusted=trust)
    check("trusted AK directory: TPM A's evidence verifies", rc == 0, err)
    expect_fail("trusted AK directory: TPM B's (valid) evidence is refused", ev_b, rd,
                "The provided AK public key is not in the list of trusted keys", trusted=trust)

    # --- init-data bound in PCR 8 (TPM B: PCR 8 is still zero)
    init_digest = hashlib.sha256(b"algorithm = \"sha256\"\nversion = \"0.1.0\"\n").digest()
    rc, _, err = tool("extend", "--tcti", tpm_b, "--pcr", "8", "--digest", init_digest.hex())
    check("extend PCR 8 with the init-data digest", rc == 0, err)
    rc, out, err = tool("read-pcr", "--tcti", tpm_b, "--pcr", "8")
    pcr8 = hashlib.sha256(b"\0" * 32 + init_digest).hexdigest()
    check("PCR 8 = SHA-256(32 zero bytes || digest)", rc == 0 and out.strip() == pcr8, out + err)
    ev_b = evidence(tpm_b, rd)
    rc, claims, err = verify(ev_b, rd, init_data=init_digest)
    check("init-data binding verifies", rc == 0 and claims["init_data"] == pcr8, err)
    expect_fail("another init-data digest", ev_b, rd,
                "TPM PCR[8] doesn't match expected initdata hash",
                init_data=hashlib.sha256(b"other").digest())
    expect_fail("an init-data digest that is not SHA-256", ev_b, rd, "init-data digest is 48 bytes",
                init_data=hashlib.sha384(b"x").digest())

    # --- tpm2-tools as the peer
    env_a = {"TPM2TOOLS_TCTI": tpm_a}
    rc, out, err = checkquote(ev, rd64.hex(), tpm_a)
    check("tpm2_checkquote verifies our quote", rc == 0, err)
    rc, out, err = checkquote(ev, hashlib.sha384(b"other").hexdigest() + "00" * 16, tpm_a)
    check("tpm2_checkquote refuses our quote for another nonce", rc != 0)
    rc, out, err = checkquote(bad_pcr, rd64.hex(), tpm_a)
    check("tpm2_checkquote refuses our quote with a modified PCR", rc != 0)

    paths = {k: os.path.join(TMP, "tq." + k) for k in ("msg", "sig", "pcrs", "der")}
    rc, out, err = run("tpm2_quote", "-c", "0x81010002", "-l", ALL_PCRS, "-q", rd64.hex(),
                       "-m", paths["msg"], "-s", paths["sig"], "-o", paths["pcrs"],
                       "-F", "values", "-g", "sha256", env=env_a)
    check("tpm2_quote with our AK", rc == 0, err)
    rc2, _, err2 = run("tpm2_readpublic", "-c", "0x81010002", "-f", "der", "-o", paths["der"],
                       env=env_a)
    if rc == 0 and rc2 == 0:
        with open(paths["pcrs"], "rb") as f:
            vals = f.read()
        with open(paths["msg"], "rb") as f:
            tmsg = f.read()
        with open(paths["sig"], "rb") as f:
            tsig = f.read()
        with open(paths["der"], "rb") as f:
            tder = f.read()
        check("tpm2_readpublic's DER is our ak_public", b64(tder) == ev["ak_public"])
        peer_ev = {"ak_public": b64(tder), "tpm_quote": {
            "message": b64(tmsg), "signature": b64(tsig),
            "pcrs": [vals[i * 32:(i + 1) * 32].hex() for i in range(24)]}}
        rc, claims, err = verify(peer_ev, rd)
        check("our verifier verifies tpm2_quote's quote", rc == 0, err)
        expect_fail("our verifier refuses tpm2_quote's quote for another nonce", peer_ev,
                    hashlib.sha384(b"other").digest(), "nonce doesn't match")

    # An AK provisioned by tpm2-tools (tpm2_createek + tpm2_createak +
    # tpm2_evictcontrol at 0x81010003) serves our attester.
    ctx = {k: os.path.join(TMP, k) for k in ("ek.ctx", "ak.ctx", "ak.pem", "ak.name")}
    # swtpm has no resource manager and three object slots: flush what
    # each tool leaves loaded (the saved contexts load again when needed).
    steps = [
        ("tpm2_createek", "-c", ctx["ek.ctx"], "-G", "rsa"),
        ("tpm2_flushcontext", "-t"),
        ("tpm2_createak", "-C", ctx["ek.ctx"], "-c", ctx["ak.ctx"], "-G", "rsa", "-g", "sha256",
         "-s", "rsassa", "-u", ctx["ak.pem"], "-f", "pem", "-n", ctx["ak.name"]),
        ("tpm2_flushcontext", "-t"),
        ("tpm2_evictcontrol", "-C", "o", "-c", ctx["ak.ctx"], "0x81010003"),
        ("tpm2_flushcontext", "-t"),
    ]
    ok, err = True, ""
    for s in steps:
        rc, _, e = run(*s, env=env_a)
        if rc != 0:
            ok, err = False, " ".join(s[:1]) + ": " + e
            break
    check("tpm2-tools provisions an AK at 0x81010003", ok, err)
    if ok:
        ev3 = evidence(tpm_a, rd, "--ak-handle", "81010003")
        rc, _, err = verify(ev3, rd)
        check("our attester quotes with tpm2-tools' AK; our verifier verifies", rc == 0, err)
        rc, _, err = checkquote(ev3, rd64.hex(), tpm_a, ak_pem=ctx["ak.pem"])
        check("tpm2_checkquote verifies it with tpm2_createak's PEM", rc == 0, err)
    rc, _, err = tool("evidence", "--tcti", tpm_a, "--ak-handle", "81000001")
    check("an empty handle is reported", rc == 1 and "no AK at persistent handle 0x81000001" in err,
          err)

    # --- a TPM that is not there
    dead = "swtpm:host=127.0.0.1,port=%d" % swtpm.free_port_pair()
    rc, _, err = tool("evidence", "--tcti", dead, "--report-data", rd.hex())
    check("an unreachable TPM fails with the TCTI named", rc == 1 and dead in err, err)

    timings(tpm_a, rd64, env_a)


def timed(*args, env=None):
    t0 = time.monotonic()
    rc = run(*args, env=env)[0]
    return rc, (time.monotonic() - t0) * 1e3


def timings(tcti, rd64, env, rounds=10):
    """Our quote and verify, in-process (tpm-tool time) and as a process
    each (tpm-tool evidence / verify), against tpm2_quote and
    tpm2_checkquote (a process each): same TPM, same AK, same PCRs."""
    rc, out, err = tool("time", "--tcti", tcti, "--rounds", str(rounds), "--report-data",
                        rd64[:48].hex())
    if rc != 0:
        check("timing run", False, err)
        return
    ours = [tuple(float(x) for x in line.split()) for line in out.splitlines()]
    m, s, p, e = (os.path.join(TMP, "t." + k) for k in ("msg", "sig", "pcrs", "json"))
    pem = os.path.join(TMP, "t.pem")
    run("tpm2_readpublic", "-c", "0x81010002", "-f", "pem", "-o", pem, env=env)
    res = {k: [] for k in ("pq", "pv", "tq", "tc")}
    for _ in range(rounds):
        t0 = time.monotonic()
        rc1, out, _ = run(TOOL, "evidence", "--tcti", tcti, "--report-data", rd64[:48].hex())
        res["pq"].append((time.monotonic() - t0) * 1e3)
        with open(e, "w") as f:
            f.write(out)
        rc2, t = timed(TOOL, "verify", "--evidence", e, "--report-data", rd64[:48].hex())
        res["pv"].append(t)
        rc3, t = timed("tpm2_quote", "-c", "0x81010002", "-l", ALL_PCRS, "-q", rd64.hex(),
                       "-m", m, "-s", s, "-o", p, "-g", "sha256", env=env)
        res["tq"].append(t)
        rc4, t = timed("tpm2_checkquote", "-u", pem, "-m", m, "-s", s, "-f", p, "-q",
                       rd64.hex(), "-g", "sha256", env=env)
        res["tc"].append(t)
        if (rc1, rc2, rc3, rc4) != (0, 0, 0, 0):
            check("timing run", False, "exit codes %r" % ((rc1, rc2, rc3, rc4),))
            return
    med = statistics.median
    print("# timing, median of %d, ms: quote: cocoon %.2f in-process, %.2f as a process; "
          "tpm2_quote %.2f | verify: cocoon %.3f in-process, %.2f as a process; "
          "tpm2_checkquote %.2f"
          % (rounds, med([o[0] for o in ours]), med(res["pq"]), med(res["tq"]),
             med([o[1] for o in ours]), med(res["pv"]), med(res["tc"])))
    check("timing run", len(ours) == rounds)


if __name__ == "__main__":
    finish(main)
