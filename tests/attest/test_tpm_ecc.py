#!/usr/bin/env python3
"""`cocoon evidence verify --tee tpm` on quotes tpm2-tools makes on swtpm
with ECC AKs (P-256/SHA-256, P-384/SHA-384), the AK sent as TPMT_PUBLIC,
TPM2B_PUBLIC and DER SPKI, a TCG2 event log whose events were extended
into the TPM, and an AK certificate from a test CA (docs/attest-tpm.md):
  - each form verifies; claims carry the quoted PCRs and the parsed log;
  - --nonce other than the qualifying data: "nonce mismatch";
  - a tampered event: "event log replay: PCR 7 sha256 mismatch";
  - a legacy SHA-1 log: "event log replay: the log has no sha256 bank";
  - --ak-ca-dir: the test CA verifies; a foreign CA: "AK chain"; no
    ak_certificate: "AK chain"; a certificate for another key: "AK
    binding"; a revoked certificate (CRL): "certificate revoked"; --at
    after the certificate's end: "AK chain: certificate has expired".
Usage: test_tpm_ecc.py COCOON. Exit 77 without swtpm, tpm2-tools or openssl."""
import base64
import json
import os
import shutil
import sys
import time

COCOON = sys.argv[1]
if not all(shutil.which(t) for t in ("swtpm", "tpm2_quote", "openssl")):
    print("SKIP: needs swtpm, tpm2-tools and openssl")
    sys.exit(77)

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "image"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itlib import TMP, check, finish, run  # noqa: E402
import eventlog_gen  # noqa: E402
from swtpm import issue, make_ca, openssl, start_swtpm  # noqa: E402  (stopped by PID)

ALL = "sha256:" + ",".join(str(i) for i in range(24))
NONCE = bytes(range(64))


def start_own_swtpm():
    return {"TPM2TOOLS_TCTI": start_swtpm("ecc-state")[1]}


def path(name):
    return os.path.join(TMP, name)


def read(name):
    with open(path(name), "rb") as f:
        return f.read()


def b64(b):
    return base64.b64encode(b).decode()


def tools(env, *steps):
    for s in steps:
        rc, _, err = run(*s, env=env)
        if rc != 0:
            return "%s: %s" % (s[0], err.strip())
    return ""


def verify(ev, *args):
    p = path("ev.json")
    with open(p, "w") as f:
        json.dump(ev, f)
    rc, out, err = run(COCOON, "evidence", "verify", "--tee", "tpm", "--evidence", p, *args)
    return rc, (json.loads(out) if rc == 0 else None), err.strip()


def expect_fail(name, ev, want, *args):
    rc, _, err = verify(ev, *args)
    check(name, rc == 1 and want in err, "rc=%d err=%r" % (rc, err))


def make_ak(env, name, curve, hash_):
    err = tools(env,
                ("tpm2_createek", "-c", path("ek.ctx"), "-G", "ecc"),
                ("tpm2_flushcontext", "-t"),
                ("tpm2_createak", "-C", path("ek.ctx"), "-c", path(name + ".ctx"), "-G", curve,
                 "-g", hash_, "-s", "ecdsa", "-u", path(name + ".tss"), "-f", "tss"),
                ("tpm2_flushcontext", "-t"),
                ("tpm2_readpublic", "-c", path(name + ".ctx"), "-f", "der", "-o",
                 path(name + ".der")),
                ("tpm2_readpublic", "-c", path(name + ".ctx"), "-f", "pem", "-o",
                 path(name + ".pem")),
                ("tpm2_flushcontext", "-t"))
    check("tpm2-tools makes an %s AK (%s)" % (curve, hash_), err == "", err)
    return err == ""


def quote(env, name, hash_):
    err = tools(env, ("tpm2_quote", "-c", path(name + ".ctx"), "-l", ALL, "-q", NONCE.hex(),
                      "-m", path("q.msg"), "-s", path("q.sig"), "-o", path("q.pcrs"),
                      "-F", "values", "-g", hash_),
                ("tpm2_flushcontext", "-t"))
    check("tpm2_quote with the %s AK" % name, err == "", err)
    v = read("q.pcrs")
    return {"tpm_quote": {"message": b64(read("q.msg")), "signature": b64(read("q.sig")),
                          "pcrs": [v[i * 32:(i + 1) * 32].hex() for i in range(24)]}}


def ak_cert(ca, pubkey_pem, out, serial):
    """A certificate for pubkey_pem issued by ca (openssl x509 -force_pubkey)."""
    issue(ca, out, "AK", 1, "-set_serial", str(serial), "-force_pubkey", pubkey_pem)
    with open(out) as f:
        return f.read()


def main():
    env = start_own_swtpm()
    # measured boot: the generator's events extended into the TPM (SHA-256)
    log, want = eventlog_gen.tcg2(algs=(0x000B,))
    import hashlib
    for pcr, etype, data in eventlog_gen.EVENTS:
        if etype == eventlog_gen.EV_NO_ACTION:
            continue
        rc, _, err = run("tpm2_pcrextend", "%d:sha256=%s" % (pcr, hashlib.sha256(data).hexdigest()),
                         env=env)
        if rc != 0:
            check("tpm2_pcrextend", False, err)
            return
    for name, curve, hash_ in (("p256", "ecc256", "sha256"), ("p384", "ecc384", "sha384")):
        if not make_ak(env, name, curve, hash_):
            continue
        q = quote(env, name, hash_)
        tss = read(name + ".tss")
        for form, ak in (("TPMT_PUBLIC", tss[2:]), ("TPM2B_PUBLIC", tss),
                         ("SPKI", read(name + ".der"))):
            ev = dict(q, ak_public=b64(ak))
            rc, claims, err = verify(ev, "--nonce", NONCE.hex(), "--report-data", NONCE.hex())
            check("%s AK as %s verifies" % (name, form), rc == 0, err)
        ev = dict(q, ak_public=b64(tss[2:]), eventlog=b64(log))
        rc, claims, err = verify(ev, "--nonce", NONCE.hex())
        check("%s: the event log replays to the quoted PCRs" % name,
              rc == 0 and claims["pcr07"] == want["sha256"]["7"]
              and len(claims.get("uefi_event_logs", [])) == len(eventlog_gen.EVENTS), err)
        expect_fail("%s: another nonce" % name, ev, "nonce mismatch",
                    "--nonce", bytes(64).hex())
        bad_events = [(p, t, d + b"!" if p == 7 else d) for p, t, d in eventlog_gen.EVENTS]
        bad_log, _ = eventlog_gen.tcg2(algs=(0x000B,), events=bad_events)
        expect_fail("%s: a tampered event" % name, dict(ev, eventlog=b64(bad_log)),
                    "event log replay: PCR 7 sha256 mismatch")
        legacy, _ = eventlog_gen.legacy()
        expect_fail("%s: a legacy SHA-1 log" % name, dict(ev, eventlog=b64(legacy)),
                    "event log replay: the log has no sha256 bank")
        expect_fail("%s: a truncated log" % name, dict(ev, eventlog=b64(log[:-5])),
                    "eventlog: truncated")

    # AK certificates (the P-256 AK)
    if not os.path.exists(path("p256.pem")):
        return
    q = quote(env, "p256", "sha256")
    ev = dict(q, ak_public=b64(read("p256.tss")[2:]))
    # the trusted-AK directory compares keys, whatever form ak_public has
    trusted = path("trusted")
    os.makedirs(trusted)
    with open(os.path.join(trusted, "ak.pub"), "wb") as f:
        f.write(read("p256.pem"))
    rc, _, err = verify(ev, "--trusted-ak-dir", trusted)
    check("a TPMT_PUBLIC AK matches its PEM in --trusted-ak-dir", rc == 0, err)
    expect_fail("another AK is not in --trusted-ak-dir", dict(q, ak_public=b64(read("p384.der"))),
                "AK trust:", "--trusted-ak-dir", trusted)
    ca = make_ca(path("ca"), "cocoon test AK CA ca")
    foreign = make_ca(path("foreign"), "cocoon test AK CA foreign")
    cert = ak_cert(ca, path("p256.pem"), path("ak.crt"), 1)
    ok_ev = dict(ev, ak_certificate=cert)
    rc, _, err = verify(ok_ev, "--ak-ca-dir", ca)
    check("AK certificate from the trusted CA verifies", rc == 0, err)
    expect_fail("AK certificate from a foreign CA", ok_ev, "AK chain:", "--ak-ca-dir", foreign)
    expect_fail("no ak_certificate", ev, "AK chain:", "--ak-ca-dir", ca)
    other = ak_cert(ca, path("p384.pem"), path("other.crt"), 2)
    expect_fail("a certificate for another key", dict(ev, ak_certificate=other), "AK binding",
                "--ak-ca-dir", ca)
    expect_fail("--at after the certificate's end", ok_ev, "AK chain: certificate has expired",
                "--ak-ca-dir", ca, "--at", str(int(time.time()) + 10 * 86400))
    # revoke serial 1 with a CRL in the CA directory
    idx = path("ca.index")
    with open(idx, "w") as f:
        f.write("")
    cnf = path("ca.cnf")
    with open(cnf, "w") as f:
        f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ncrlnumber=%s\ndefault_md=sha256\n"
                "default_crl_days=1\n" % (idx, path("crlnum")))
    with open(path("crlnum"), "w") as f:
        f.write("01\n")
    openssl("ca", "-config", cnf, "-revoke", path("ak.crt"), "-keyfile",
            os.path.join(ca, "ca.key"), "-cert", os.path.join(ca, "ca.pem"))
    openssl("ca", "-config", cnf, "-gencrl", "-keyfile", os.path.join(ca, "ca.key"), "-cert",
            os.path.join(ca, "ca.pem"), "-out", os.path.join(ca, "ca.crl"))
    expect_fail("a revoked AK certificate", ok_ev, "certificate revoked", "--ak-ca-dir", ca)


if __name__ == "__main__":
    finish(main)
