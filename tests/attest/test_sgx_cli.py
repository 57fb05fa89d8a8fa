#!/usr/bin/env python3
"""`cocoon evidence verify --tee sgx` on a synthetic SGX quote v3 (docs/attest-tdx.md, "SGX").

argv: COCOON DATA_SGX DATA_TDX [COCOON_TESTROOTS]

The quote and its collateral are built here, in Python, from the keys of
data/sgx/ (make_dcap_pki.py's sgx_pki): an independent writer of the
layout that lib/attest/tdx_quote.c reads and tests/attest/sgx_test_util.c
writes. The real `cocoon` must refuse the test PKI ("PCK chain: ... not
the Intel SGX Root CA": nothing in a shipped binary trusts another root),
and only after the quote's own checks have passed; a byte changed in
each signed part of the quote fails that part's check first; the quote
is refused by `--tee tdx` and a TD quote by `--tee sgx`.

With COCOON_TESTROOTS (a test build of cocoon whose tdx and sgx verifiers
trust the root named by COCOON_TEST_DCAP_ROOT), the same quote verifies:
Trustee's sgx claims field by field in every evidence form, the statuses
of the test tcbInfo, and the collateral checks by name.
Nothing is fetched: no network.
"""
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

COCOON, SGX, TDX = sys.argv[1], sys.argv[2], sys.argv[3]
TESTROOTS = sys.argv[4] if len(sys.argv) > 4 else None
AT = "1757462400"  # 2025-09-10T00:00:00Z
FAILS = []
TMP = tempfile.mkdtemp(prefix="cocoon-sgx-cli.")

INTEL_QE_VENDOR = bytes.fromhex("939a7233f79c4ca9940a0db3957f0607")
QE_MRSIGNER = "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff"
LEAF = [5, 5, 2, 2, 3, 1, 0, 3] + [0] * 8  # the PCK leaf's TCB (make_dcap_pki.py)
HIGHER = [6, 6, 2, 2, 3, 1, 0, 3] + [0] * 8
LEAF_PCESVN = 11
RD = b"cocoon sgx cli report data".ljust(64, b"\0")
CFG = b"cocoon sgx cli config id".ljust(64, b"\0")

# The enclave's report body, field by field (Trustee's sgx claim names).
BODY = [
    ("cpu_svn", bytes(LEAF)),
    ("misc_select", bytes(4)),
    ("reserved1", bytes(12)),
    ("isv_ext_prod_id", bytes(range(0xf0, 0x100))),
    ("attributes.flags", bytes.fromhex("0500000000000000")),
    ("attributes.xfrm", bytes.fromhex("e700000000000000")),
    ("mr_enclave", hashlib.sha256(b"cocoon sgx cli enclave").digest()),
    ("reserved2", bytes(32)),
    ("mr_signer", hashlib.sha256(b"cocoon sgx cli signer").digest()),
    ("reserved3", bytes(32)),
    ("config_id", CFG),
    ("isv_prod_id", struct.pack("<H", 7)),
    ("isv_svn", struct.pack("<H", 4)),
    ("config_svn", struct.pack("<H", 1)),
    ("reserved4", bytes(42)),
    ("isv_family_id", bytes(16)),
    ("report_data", RD),
]
HEADER = [
    ("version", struct.pack("<H", 3)),
    ("att_key_type", struct.pack("<H", 2)),
    ("att_key_data_0", bytes(4)),
    ("qe_svn", struct.pack("<H", 8)),
    ("pce_svn", struct.pack("<H", LEAF_PCESVN)),
    ("vendor_id", INTEL_QE_VENDOR),
    ("user_data", bytes(range(1, 17)) + bytes(4)),
]


def load_key(name):
    with open(os.path.join(SGX, name), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def read(name, mode="rb"):
    with open(os.path.join(SGX, name), mode) as f:
        return f.read()


def sign_raw(key, msg):
    """ECDSA P-256 / SHA-256 as DCAP writes it: raw r || s."""
    r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


ATT, PCK, TCB = load_key("att_key.pem"), load_key("pck_key.pem"), load_key("tcb_key.pem")


def qe_report(att_xy, auth):
    """The QE's report: Intel's QE MRSIGNER, ISVPRODID 1, ISVSVN 8, bound to
    the attestation key by SHA-256(key || auth data) || 32 zero bytes."""
    r = bytearray(384)
    r[0:16] = bytes(LEAF)
    r[48] = 0x11
    r[56] = 0xe7
    r[64:96] = b"\x9e" * 32
    r[128:160] = bytes.fromhex(QE_MRSIGNER)
    struct.pack_into("<HH", r, 256, 1, 8)
    r[320:352] = hashlib.sha256(att_xy + auth).digest()
    return bytes(r)


def make_quote(chain=None):
    header = b"".join(v for _, v in HEADER)
    body = b"".join(v for _, v in BODY)
    assert len(header) == 48 and len(body) == 384
    att_xy = ATT.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)[1:]
    auth = bytes(range(32))
    rep = qe_report(att_xy, auth)
    pem = chain if chain is not None else read("pck_chain.pem")
    sig_data = (sign_raw(ATT, header + body) + att_xy + rep + sign_raw(PCK, rep) +
                struct.pack("<H", len(auth)) + auth + struct.pack("<HI", 5, len(pem)) + pem)
    return header + body + struct.pack("<I", len(sig_data)) + sig_data


def level(comps, pcesvn, status, advisory=None):
    lv = {"tcb": {"sgxtcbcomponents": [{"svn": c} for c in comps], "pcesvn": pcesvn},
          "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": status}
    if advisory:
        lv["advisoryIDs"] = [advisory]
    return lv


def tcb_info(levels, tcb_id="SGX"):
    return json.dumps({"id": tcb_id, "version": 3, "issueDate": "2025-09-01T00:00:00Z",
                       "nextUpdate": "2025-10-01T00:00:00Z", "fmspc": "00906ED50000",
                       "pceId": "0000", "tcbType": 0, "tcbEvaluationDataNumber": 17,
                       "tcbLevels": levels}, separators=(",", ":"))


def qe_identity(qe_id="QE"):
    return json.dumps({
        "id": qe_id, "version": 2, "issueDate": "2025-09-01T00:00:00Z",
        "nextUpdate": "2025-10-01T00:00:00Z", "tcbEvaluationDataNumber": 17,
        "miscselect": "00000000", "miscselectMask": "FFFFFFFF",
        "attributes": "11000000000000000000000000000000",
        "attributesMask": "FBFFFFFFFFFFFFFF0000000000000000",
        "mrsigner": QE_MRSIGNER.upper(), "isvprodid": 1,
        "tcbLevels": [{"tcb": {"isvsvn": 8}, "tcbDate": "2024-03-13T00:00:00Z",
                       "tcbStatus": "UpToDate"}]}, separators=(",", ":"))


def collateral(ti=None, qe=None, pck_crl="pck_crl.der"):
    ti = ti if ti is not None else tcb_info([level(LEAF, LEAF_PCESVN, "UpToDate")])
    qe = qe if qe is not None else qe_identity()
    tcb_chain = read("tcb_chain.pem", "r")
    return {"tcb_info": ti, "tcb_info_signature": sign_raw(TCB, ti.encode()).hex(),
            "qe_identity": qe, "qe_identity_signature": sign_raw(TCB, qe.encode()).hex(),
            "root_ca_crl": read("root_crl.der").hex(), "pck_crl": read(pck_crl).hex(),
            "tcb_info_issuer_chain": tcb_chain, "qe_identity_issuer_chain": tcb_chain,
            "pck_crl_issuer_chain": read("pck_crl_issuer_chain.pem", "r")}


def run(evidence, tee="sgx", coll=None, binary=COCOON, extra=()):
    path = os.path.join(TMP, "evidence")
    with open(path, "wb") as f:
        f.write(evidence)
    args = [binary, "evidence", "verify", "--tee", tee, "--evidence", path, "--at", AT]
    if coll is not None:
        cpath = os.path.join(TMP, "collateral.json")
        with open(cpath, "w") as f:
            json.dump(coll, f)
        args += ["--collateral", cpath]
    env = dict(os.environ, COCOON_TEST_DCAP_ROOT=os.path.join(SGX, "root.der"))
    r = subprocess.run(args + list(extra), capture_output=True, text=True, timeout=60, env=env)
    return r.returncode, r.stdout, r.stderr.strip()


def check(name, cond, detail=""):
    if not cond:
        FAILS.append(name)
        print("FAIL %s %s" % (name, detail))
    else:
        print("ok   %s" % name)


def expect_fail(name, res, prefix):
    rc, _, err = res
    msg = err.split(": ", 1)[1] if err.startswith("cocoon evidence verify: ") else err
    check(name, rc == 1 and msg.startswith(prefix), "rc=%d err=%r want %r" % (rc, err, prefix))


def expect_ok(name, res):
    rc, out, err = res
    check(name, rc == 0, "rc=%d err=%r" % (rc, err))
    return json.loads(out) if rc == 0 else None


quote = make_quote()
coll = collateral()
NOT_INTEL = "PCK chain: the chain's root is not the Intel SGX Root CA"

# ---- the real cocoon: quote checks pass, the test root is refused ---------
for form, ev in [("raw", quote), ("hex", quote.hex().encode()),
                 ("0x hex", ("0x" + quote.hex()).encode()),
                 ("trustee json", json.dumps({"quote": base64.b64encode(quote).decode()}).encode())]:
    expect_fail("real cocoon, " + form, run(ev, coll=coll), NOT_INTEL)
expect_fail("no collateral", run(quote), "collateral: none given")

# ---- a byte changed in each signed part: that part's check fails first -----
SIG = 48 + 384 + 4
KEY, QE = SIG + 64, SIG + 128
QE_SIG, AUTH = QE + 384, QE + 384 + 64 + 2
flips = [
    ("header qe_svn", 8, "quote signature"),
    ("header user_data", 30, "quote signature"),
    ("body mr_enclave", 48 + 64, "quote signature"),
    ("body isv_svn", 48 + 258, "quote signature"),
    ("body report_data", 48 + 320, "quote signature"),
    ("quote signature", SIG + 3, "quote signature"),
    ("attestation key", KEY + 10, "quote signature"),
    ("QE report mrsigner", QE + 128, "QE report signature"),
    ("QE report isvsvn", QE + 258, "QE report signature"),
    ("QE report data", QE + 320, "QE report signature"),
    ("QE report signature", QE_SIG + 40, "QE report signature"),
    ("QE auth data", AUTH + 5, "QE report binding"),
    ("header version 3 -> 2", 0, "unsupported quote version"),
    ("header tee type", 4, "unsupported quote: version 3 with TEE type 0x1"),
    ("signature data length", 48 + 384, "truncated signature data"),
]
for name, off, want in flips:
    b = bytearray(quote)
    b[off] ^= 1
    expect_fail("flip " + name, run(bytes(b), coll=coll), want)
expect_fail("truncated", run(quote[:-1], coll=coll), "truncated")
# the QE report's data not SHA-256(key || auth), the report signed again
b = bytearray(quote)
b[QE + 320] ^= 1
b[QE_SIG:QE_SIG + 64] = sign_raw(PCK, bytes(b[QE:QE + 384]))
expect_fail("QE report data re-signed", run(bytes(b), coll=coll), "QE report binding")

# ---- the kinds: tdx refuses the SGX quote, sgx a TD quote ------------------
expect_fail("sgx quote as tdx", run(quote, tee="tdx", coll=coll),
            "quote: version 3 is an SGX quote, not a TD one")
with open(os.path.join(TDX, "tdx_quote_4.dat"), "rb") as f:
    td = f.read()
expect_fail("td quote as sgx", run(td, tee="sgx", coll=coll),
            "quote: version 4 is a TD quote, not an SGX one")


# ---- the test build trusting the test root ----------------------------------
def expected_claims(status, advisories):
    h = {k: v.hex() for k, v in HEADER}
    b = {k: v.hex() for k, v in BODY}
    return {"header": h, "body": b, "report_data": RD.hex(), "init_data": CFG.hex(),
            "platform_instance_id": "afaeadacabaaa9a8a7a6a5a4a3a2a1a0",
            "tcb_status": status, "advisory_ids": advisories}


# QVL's supplemental claims (Trustee's intel_dcap/claims.rs) that the
# verifier may add; each, when there, must have this value (None: any).
SUPPLEMENTAL = {"earliest_issue_date": None, "latest_issue_date": None,
                "earliest_expiration_date": None, "tcb_date": "2024-03-13T00:00:00Z",
                "pck_crl_num": 1, "root_ca_crl_num": 1, "tcb_eval_num": 17,
                "platform_provider_id": "000102030405060708090a0b0c0d0e0f",
                "sgx_type": "Standard", "root_key_id": None,
                "collateral_expiration_status": "0", "is_dynamic_platform": False,
                "is_cached_keys": False, "is_smt_enabled": True}


def check_claims(name, got, want):
    if got is None:
        return
    for k in sorted(set(got) - set(want)):
        check("%s: %s is a supplemental claim" % (name, k), k in SUPPLEMENTAL)
        if SUPPLEMENTAL.get(k) is not None:
            check("%s: %s" % (name, k), got[k] == SUPPLEMENTAL[k], got[k])
    for k, v in want.items():
        if isinstance(v, dict):
            for f, fv in v.items():
                check("%s: %s.%s" % (name, k, f), got.get(k, {}).get(f) == fv,
                      "%r != %r" % (got.get(k, {}).get(f), fv))
            check("%s: %s fields" % (name, k), set(got.get(k, {})) == set(v))
        else:
            check("%s: %s" % (name, k), got.get(k) == v, "%r != %r" % (got.get(k), v))


if TESTROOTS is not None:
    # the DCAP vector's TDX tcbInfo, signed here, for the SGX quote
    with open(os.path.join(SGX, "..", "dcap", "quote_collateral.json")) as f:
        TDX_TCB_INFO = json.load(f)["tcb_info"]

    def run_t(ev, c=coll, extra=()):
        return run(ev, coll=c, binary=TESTROOTS, extra=extra)

    want = expected_claims("UpToDate", [])
    first = None
    for form, ev in [("raw", quote), ("hex", quote.hex().encode()),
                     ("trustee json",
                      json.dumps({"quote": base64.b64encode(quote).decode()}).encode())]:
        got = expect_ok("test root, " + form, run_t(ev))
        check_claims("test root, " + form, got, want)
        first = first or got
        check("test root, %s: same claims" % form, got == first)
    expect_ok("report_data and init_data bound",
              run_t(quote, extra=["--report-data", RD.rstrip(b"\0").hex(),
                                  "--init-data", CFG.rstrip(b"\0").hex()]))
    expect_fail("report_data mismatch", run_t(quote, extra=["--report-data", "00" * 64]),
                "report_data mismatch")
    expect_fail("init_data mismatch", run_t(quote, extra=["--init-data", RD.hex()]),
                "init_data mismatch")
    for status, adv, higher in [("SWHardeningNeeded", "INTEL-SA-00615", False),
                                ("OutOfDate", "INTEL-SA-00837", True)]:
        levels = ([level(HIGHER, LEAF_PCESVN, "UpToDate")] if higher else []) + \
            [level(LEAF, LEAF_PCESVN, status, adv)]
        got = expect_ok("status " + status, run_t(quote, collateral(tcb_info(levels))))
        check_claims("status " + status, got, expected_claims(status, [adv]))
    negatives = [
        ("no matching TCB level", collateral(tcb_info([level(HIGHER, LEAF_PCESVN, "UpToDate")])),
         "no matching TCB level"),
        ("TDX tcbInfo", collateral(TDX_TCB_INFO),
         "tcb_info binding: tcb_info TDX version 3 is not for SGX"),
        ("TD_QE identity", collateral(qe=qe_identity("TD_QE")), "QE identity"),
        ("revoked leaf", collateral(pck_crl="pck_crl_revoked_leaf.der"), "certificate revoked"),
        ("tcb_info signature", dict(coll, tcb_info_signature=coll["qe_identity_signature"]),
         "tcb_info signature"),
        ("qe_identity signature", dict(coll, qe_identity_signature=coll["tcb_info_signature"]),
         "qe_identity signature"),
    ]
    for name, c, want_err in negatives:
        expect_fail("test root, " + name, run_t(quote, c), want_err)
    other = make_quote(read("pck_chain_other_root.pem"))
    expect_fail("test root, chain to another root", run_t(other), "PCK chain")
else:
    print("skip the test-root half: no test build of cocoon given")

shutil.rmtree(TMP)
if FAILS:
    print("%d failed: %s" % (len(FAILS), ", ".join(FAILS)))
    sys.exit(1)
print("all passed")
