#!/usr/bin/env python3
"""`cocoon evidence verify --tee tdx|sgx` end to end (docs/attest-tdx.md).

argv: COCOON DATA_TDX DATA_DCAP. The real DCAP vector (data/dcap: a TDX
quote v4 with 70 bytes of padding and its QuoteCollateralV3 collateral)
verifies UpToDate at its time as hex, raw and Trustee JSON; it is refused
outside the collateral window; a byte flipped in each signed region of
the quote and in each collateral body is refused with that check's name;
padding changes are not. Trustee's quotes (data/tdx) parse as evidence
and fail closed without collateral. Nothing is fetched: no network.
"""
import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

COCOON, TDX, DCAP = sys.argv[1], sys.argv[2], sys.argv[3]
AT = "1757462400"  # 2025-09-10T00:00:00Z, inside 1756798919 .. 1759388631
FAILS = []
TMP = tempfile.mkdtemp(prefix="cocoon-tdx-cli.")


def run(evidence, tee="tdx", collateral=None, at=AT, extra=()):
    path = os.path.join(TMP, "evidence")
    with open(path, "wb") as f:
        f.write(evidence)
    args = [COCOON, "evidence", "verify", "--tee", tee, "--evidence", path]
    if collateral is not None:
        cpath = os.path.join(TMP, "collateral.json")
        with open(cpath, "w") as f:
            json.dump(collateral, f)
        args += ["--collateral", cpath]
    if at is not None:
        args += ["--at", at]
    args += list(extra)
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
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


with open(os.path.join(DCAP, "quote_hex.txt")) as f:
    hex_text = f.read().strip()
quote = bytes.fromhex(hex_text[2:] if hex_text.startswith("0x") else hex_text)
with open(os.path.join(DCAP, "quote_collateral.json")) as f:
    coll = json.load(f)

# ---- the DCAP vector verifies, in every evidence form ----------------------
claims = expect_ok("dcap hex", run(hex_text.encode(), collateral=coll))
if claims is not None:
    check("dcap tcb_status", claims.get("tcb_status") == "UpToDate", claims.get("tcb_status"))
    check("dcap advisory_ids", claims.get("advisory_ids") == [], claims.get("advisory_ids"))
    check("dcap version", claims["quote"]["header"]["version"] == "0400")
    check("dcap report_data", claims["report_data"] == claims["quote"]["body"]["report_data"])
    check("dcap init_data", claims["init_data"] == claims["quote"]["body"]["mr_config_id"])
    # QVL's supplemental claims under Trustee's names and JSON types
    # (intel_dcap/claims.rs, parse_supplemental_data's expected object has the
    # same keys); values from QVL's computation over this collateral
    supp = {
        "advisory_ids": [],
        "collateral_expiration_status": "0",
        "earliest_expiration_date": "2025-10-02T07:03:51Z",
        "earliest_issue_date": "2018-05-21T10:45:10Z",
        "is_cached_keys": True,
        "is_dynamic_platform": True,
        "is_smt_enabled": True,
        "latest_issue_date": "2025-09-02T07:41:59Z",
        "pck_crl_num": 1,
        "platform_provider_id": "354e2a1c79c98e81723eab4b78b990a7",
        "root_ca_crl_num": 1,
        "root_key_id": "46e403bd34f05a3f2817ab9badcaacc7ffc98e0f261008cd30dae936cace18d5"
                       "dcf58eef31463613de1570d516200993",
        "sgx_type": "Scalable",
        "tcb_date": "2024-03-13T00:00:00Z",
        "tcb_eval_num": 17,
        "tcb_status": "UpToDate",
    }
    for k, v in supp.items():
        check("dcap supplemental " + k, claims.get(k) == v and type(claims.get(k)) is type(v),
              "%r, want %r" % (claims.get(k), v))
# the verifier's collateral cache: repeated verifications give the same claims
rc, out, err = run(hex_text.encode(), collateral=coll, extra=["--repeat", "20"])
check("dcap repeat", rc == 0 and json.loads(out) == claims and "repeat: 20 verifications" in err,
      "rc=%d err=%r" % (rc, err))
for form, ev in [
    ("0x hex", ("0x" + quote.hex()).encode()),
    ("raw", quote),
    ("trustee json", json.dumps({"cc_eventlog": None,
                                 "quote": base64.b64encode(quote).decode()}).encode()),
]:
    other = expect_ok("dcap " + form, run(ev, collateral=coll))
    check("dcap %s claims" % form, other == claims)

# report_data and init_data: zero-padded prefixes pass, anything else fails
rd = bytes.fromhex(claims["report_data"]).rstrip(b"\0") if claims else b""
cfg = bytes.fromhex(claims["init_data"]).rstrip(b"\0") if claims else b""
expect_ok("report_data prefix", run(quote, collateral=coll, extra=["--report-data", rd.hex()]))
bad_rd = bytearray(rd)
bad_rd[0] ^= 1
expect_fail("report_data flipped", run(quote, collateral=coll,
                                       extra=["--report-data", bad_rd.hex()]),
            "report_data mismatch")
expect_ok("init_data prefix", run(quote, collateral=coll, extra=["--init-data", cfg.hex()]))
expect_fail("init_data other", run(quote, collateral=coll, extra=["--init-data", "00" * 48]),
            "init_data mismatch")

# ---- the collateral window ----------------------------------------------
expect_fail("before the window", run(quote, collateral=coll, at="1756798918"),
            "collateral not yet valid")
rc, _, err = run(quote, collateral=coll, at="1759388632")
check("after the window", rc == 1 and ("CRL expired" in err or "collateral expired" in err), err)
expect_ok("window start", run(quote, collateral=coll, at="1756798919"))
expect_ok("window end", run(quote, collateral=coll, at="1759388630"))
expect_fail("no collateral", run(quote), "collateral: none given (--collateral FILE)")

# ---- byte flips in every signed region of the quote -----------------------
sig_off = 632 + 4
key_off = sig_off + 64
qe_off = key_off + 64 + 6
qe_sig_off = qe_off + 384
auth_len = struct.unpack_from("<H", quote, qe_sig_off + 64)[0]
auth_off = qe_sig_off + 64 + 2
pem = quote.index(b"-----BEGIN CERTIFICATE-----")
inter = quote.index(b"-----BEGIN CERTIFICATE-----", pem + 1)
sig_end = 632 + 4 + struct.unpack_from("<I", quote, 632)[0]
flips = [
    ("header version 4 -> 5", 0, "unsupported quote body type"),
    ("header vendor_id", 12, "quote signature"),
    ("header user_data", 40, "quote signature"),
    ("body tcb_svn", 48, "quote signature"),
    ("body mr_td", 48 + 136 + 5, "quote signature"),
    ("body report_data", 48 + 520 + 1, "quote signature"),
    ("quote signature", sig_off + 10, "quote signature"),
    ("attestation key", key_off + 63, "quote signature"),
    ("QE report cpusvn", qe_off, "QE report signature"),
    ("QE report mrsigner", qe_off + 128, "QE report signature"),
    ("QE report data", qe_off + 320, "QE report signature"),
    ("QE report signature", qe_sig_off + 33, "QE report signature"),
    ("QE auth data", auth_off + auth_len - 1, "QE report binding"),
    ("PCK leaf", pem + 600, "PCK chain"),
    ("PCK leaf signature", inter - 80, "PCK chain"),
    ("PCK intermediate", inter + 500, "PCK chain"),
    ("signature data length", 632, "oversized QE report certification data"),
]
for name, off, want in flips:
    b = bytearray(quote)
    b[off] ^= 1
    expect_fail("flip " + name, run(bytes(b), collateral=coll), want)
# padding after the declared signature data: changes are not refused
check("padding present", len(quote) - sig_end == 70, len(quote) - sig_end)
for off in (sig_end, sig_end + 35, len(quote) - 1):
    b = bytearray(quote)
    b[off] ^= 0xff
    expect_ok("padding byte %d" % (off - sig_end), run(bytes(b), collateral=coll))
expect_ok("padding removed", run(quote[:sig_end], collateral=coll))
expect_fail("truncated quote", run(quote[:sig_end - 1], collateral=coll), "truncated")

# ---- byte flips in each collateral body -----------------------------------
coll_flips = [
    ("tcb_info", "tcb_info signature"),
    ("tcb_info_signature", "tcb_info signature"),
    ("qe_identity", "qe_identity signature"),
    ("qe_identity_signature", "qe_identity signature"),
    ("pck_crl", "CRL signature"),
    ("root_ca_crl", "CRL signature"),
]
for key, want in coll_flips:
    c = dict(coll)
    v = c[key]
    i = len(v) // 2
    c[key] = v[:i] + ("1" if v[i] != "1" else "2") + v[i + 1:]
    expect_fail("collateral flip " + key, run(quote, collateral=c), want)

# ---- collateral fetched from a loopback PCCS (the collateral side's test
# server, tests/attest/test_dcap_fetch.py --serve), never from the network --
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dcap_fetch  # noqa: E402

site = os.path.join(TMP, "pccs")
test_dcap_fetch.write_site(site, coll, coll["tcb_info"], coll["qe_identity"],
                           bytes.fromhex(coll["pck_crl"]), coll["root_ca_crl"])
srv = test_dcap_fetch.Server(site)
try:
    fetched = expect_ok("fetch from PCCS", run(quote, extra=["--fetch", "--pccs-url", srv.url]))
    check("fetched claims", fetched == claims)
    b = bytearray(quote)
    b[48 + 520] ^= 1
    expect_fail("fetch, flipped body", run(bytes(b), extra=["--fetch", "--pccs-url", srv.url]),
                "quote signature")
    expect_fail("fetch, window", run(quote, at="1756798918",
                                     extra=["--fetch", "--pccs-url", srv.url]),
                "collateral not yet valid")
finally:
    srv.stop()
expect_fail("PCCS gone", run(quote, extra=["--fetch", "--pccs-url", srv.url]), "collateral fetch")
expect_fail("cache only, empty", run(quote, extra=["--cache-dir", os.path.join(TMP, "cache")]),
            "collateral fetch")
with open(os.path.join(site, "requests.log")) as f:
    check("PCCS requests", len(f.read().splitlines()) == 8)  # 2 fetches of 4 parts

# ---- Trustee's quotes: evidence forms, fail closed without collateral ------
for name, tee in [("tdx_quote_4.dat", "tdx"), ("tdx_quote_5.dat", "tdx"),
                  ("tdx_quote_6.dat", "tdx"), ("occlum_quote.dat", "sgx")]:
    with open(os.path.join(TDX, name), "rb") as f:
        q = f.read()
    expect_fail(name + " raw", run(q, tee=tee), "collateral: none given")
    ev = json.dumps({"quote": base64.b64encode(q).decode()}).encode()
    expect_fail(name + " json", run(ev, tee=tee), "collateral: none given")
    other = "sgx" if tee == "tdx" else "tdx"
    expect_fail(name + " as " + other, run(q, tee=other), "quote: version")
expect_fail("sgx quote with tdx collateral", run(
    open(os.path.join(TDX, "occlum_quote.dat"), "rb").read(), tee="sgx", collateral=coll),
    "")

shutil.rmtree(TMP)
if FAILS:
    print("%d failed: %s" % (len(FAILS), ", ".join(FAILS)))
    sys.exit(1)
print("all passed")
