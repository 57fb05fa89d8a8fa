#!/usr/bin/env python3
"""The real `cocoon evidence verify --tee tdx` on the DCAP vector of data/dcap/.

Usage: test_dcap_cli.py COCOON DATA_DIR

UpToDate at the vector's time (2025-09-10) with the collateral in
dcap-qvl's QuoteCollateralV3 shape and restated as PCS/PCCS bodies;
rejected before the window ("collateral not yet valid") and after it
("CRL expired": the PCK CRL's nextUpdate is the first to pass); a flipped
byte in each signed collateral part names its check.
"""
import json
import os
import subprocess
import sys
import tempfile

AT = 1757462400


def run(cocoon, quote, collateral, at):
    p = subprocess.run([cocoon, "evidence", "verify", "--tee", "tdx", "--evidence", quote,
                        "--collateral", collateral, "--at", str(at)],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def expect_ok(cocoon, quote, collateral, what):
    rc, out, err = run(cocoon, quote, collateral, AT)
    if rc != 0:
        sys.exit(f"{what}: exit {rc}: {err}")
    claims = json.loads(out)
    if claims.get("tcb_status") != "UpToDate" or claims.get("advisory_ids") != []:
        sys.exit(f"{what}: tcb_status {claims.get('tcb_status')!r}, "
                 f"advisory_ids {claims.get('advisory_ids')!r}")


def expect_fail(cocoon, quote, collateral, at, want, what):
    rc, _, err = run(cocoon, quote, collateral, at)
    if rc != 1 or want not in err:
        sys.exit(f"{what}: want exit 1 naming {want!r}, got {rc}: {err}")


def pcs_shape(c):
    """The same collateral as PCS/PCCS bodies (the signed values spliced in
    as raw JSON, never re-serialised), URL-encoded issuer chain, PEM CRL."""
    der = bytes.fromhex(c["pck_crl"])
    pem = subprocess.run(["openssl", "crl", "-inform", "DER", "-outform", "PEM"], input=der,
                         capture_output=True, check=True).stdout.decode()
    enc = "".join(f"%{ord(ch):02X}" if ch in "-\n+/= " else ch
                  for ch in c["tcb_info_issuer_chain"])
    return ('{"tcb_info":{"tcbInfo":%s,"signature":"%s"},'
            '"qe_identity":{"enclaveIdentity":%s,"signature":"%s"},'
            '"pck_crl":%s,"root_ca_crl":%s,"tcb_info_issuer_chain":%s,'
            '"qe_identity_issuer_chain":%s,"pck_crl_issuer_chain":%s}') % (
        c["tcb_info"], c["tcb_info_signature"], c["qe_identity"], c["qe_identity_signature"],
        json.dumps(pem), json.dumps(c["root_ca_crl"]), json.dumps(enc),
        json.dumps(c["qe_identity_issuer_chain"]), json.dumps(c["pck_crl_issuer_chain"]))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cocoon, data = sys.argv[1], sys.argv[2]
    quote = os.path.join(data, "quote_hex.txt")
    coll = os.path.join(data, "quote_collateral.json")
    with open(coll) as f:
        c = json.load(f)
    expect_ok(cocoon, quote, coll, "QuoteCollateralV3")
    expect_fail(cocoon, quote, coll, 1756798918, "collateral not yet valid", "before the window")
    expect_fail(cocoon, quote, coll, 1759388631, "CRL expired", "after the window")
    with tempfile.TemporaryDirectory(prefix="cocoon-dcap-cli.") as tmp:
        pcs = os.path.join(tmp, "pcs.json")
        with open(pcs, "w") as f:
            f.write(pcs_shape(c))
        expect_ok(cocoon, quote, pcs, "PCS bodies")
        flips = [("tcb_info", 100, "tcb_info signature"),
                 ("tcb_info_signature", 10, "tcb_info signature"),
                 ("qe_identity", 50, "qe_identity signature"),
                 ("qe_identity_signature", 100, "qe_identity signature"),
                 ("pck_crl", 200, "CRL signature"),
                 ("root_ca_crl", 200, "CRL signature")]
        for field, at, want in flips:
            d = dict(c)
            s = d[field]
            ch = s[at]
            # a different character of the same kind (hex stays hex; JSON text
            # stays valid JSON only sometimes, which must not matter)
            repl = {"0": "1", "a": "b", "A": "B", "1": "0"}.get(ch, "0" if ch != "0" else "1")
            d[field] = s[:at] + repl + s[at + 1:]
            bad = os.path.join(tmp, f"flip-{field}.json")
            with open(bad, "w") as f:
                json.dump(d, f)
            expect_fail(cocoon, quote, bad, AT, want, f"flip in {field}")
    print("test_dcap_cli: ok")


if __name__ == "__main__":
    main()
