#!/usr/bin/env python3
"""RCAR with TDX evidence (issue 8): cocoon-kbs's tdx verifier behind
/attest, with synthetic TD quotes (v4; v5 with TD 1.0 and TD 1.5 bodies)
whose REPORTDATA is the runtime-data digest, made by tdx_evidence_tool
(tests/attest/tdx_test_util.c) with a DCAP test PKI this test makes with
make_dcap_pki.py's builders (plus the PCK leaf's key, which the tool signs
the QE report with), and collateral (tcbInfo and QE identity signed by the
test TCB signing key, CRLs valid today) in the KBS's collateral_dir, in
the cache layout dcap_collateral_fetch reads. A test build of the KBS
(kbs-testroots) trusts the test root (COCOON_TEST_DCAP_ROOT).

Checks the EAR claims carry the quote's fields and tcb_status, that the
resource is released (also to an SGX quote v3 through the sgx verifier,
whose collateral sits beside), and that each of these is refused with no
token and no resource: an SGX quote sent as tdx evidence, evidence
replayed for another nonce, a quote bound to another TEE key, a quote body
changed after signing, no collateral in collateral_dir, an expired or
not yet valid tcbInfo there, a PCK certificate the PCK CRL revokes, the
test PKI on a KBS without the root hook. Then what Trustee's
default EAR policy makes of tcb_status: UpToDate with the mr_td reference
value gives hardware 2, OutOfDate hardware 97 (the token is still issued:
the policy grades, it does not refuse), so a resource policy requiring the
hardware claim 2 releases to the first and refuses the second. Last, with
fetch = true and pccs_url a loopback PCCS (test_dcap_fetch.py's, run by
this script with --serve SITE MAKE_DCAP_PKI and stopped by its PID), the
KBS fetches the collateral, keeps it in an empty collateral_dir, and
answers from there once the PCCS is gone.

Usage: test_kbs_tdx_rcar.py KBS_TESTROOTS TDX_EVIDENCE_TOOL MAKE_DCAP_PKI
"""
import base64
import datetime
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def attest_test(make_pki, name):
    """A module of tests/attest/ (beside make_dcap_pki.py)."""
    return load(name, os.path.join(os.path.dirname(os.path.abspath(make_pki)), name + ".py"))


# --serve SITE MAKE_DCAP_PKI: test_dcap_fetch.py's loopback PCCS for this
# test PKI's FMSPC (it answers 404 to any other FMSPC or CA type).
if len(sys.argv) == 4 and sys.argv[1] == "--serve":
    pccs = attest_test(sys.argv[3], "test_dcap_fetch")
    pccs.FMSPC = attest_test(sys.argv[3], "make_dcap_pki").FMSPC.hex()
    pccs.serve(sys.argv[2])
    sys.exit(0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kbsclient import KbsServer, ear_verify, policy_body, sample_rv_message  # noqa: E402

EXE, TOOL, MAKE_PKI = sys.argv[1:4]
mk = load("make_dcap_pki", MAKE_PKI)

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: E402

ALLOW_ALL = "package policy\ndefault allow := true\n"
# The default EAR policy's verdict on the hardware (tcb_status UpToDate,
# mr_td a reference value, collateral not expired) is the hardware claim 2.
HARDWARE_2 = """package policy
default allow := false
allow if {
	input.submods.cpu0["ear.trustworthiness-vector"].hardware == 2
}
"""
CONFIG = """
[http_server]
sockets = ["127.0.0.1:0"]
insecure_http = true

[attestation_service.verifier_config.tdx_verifier]
collateral_dir = "%s"

[[plugins]]
name = "resource"
"""
FETCH = """
fetch = true
pccs_url = "%s"
"""
UTC = datetime.timezone.utc
NOW = datetime.datetime.now(UTC).replace(microsecond=0)
failures = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else "  " + str(detail)[:2000]))
    if not cond:
        failures.append(name)


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


class Pki:
    """make_dcap_pki.py's certificates, its CRLs valid today, and the leaf's key."""

    def __init__(self, d):
        k = lambda: ec.generate_private_key(ec.SECP256R1())  # noqa: E731
        self.root_k, self.ca_k, self.leaf_k, self.tcb_k = k(), k(), k(), k()
        root = mk.cert("Intel SGX Root CA", self.root_k, "Intel SGX Root CA", self.root_k, True, 1)
        ca = mk.cert("Intel SGX PCK Platform CA", self.ca_k, "Intel SGX Root CA", self.root_k,
                     True, 2)
        leaf = mk.cert("Intel SGX PCK Certificate", self.leaf_k, "Intel SGX PCK Platform CA",
                       self.ca_k, False, 3, mk.sgx_extension())
        tcb = mk.cert("Intel SGX TCB Signing", self.tcb_k, "Intel SGX Root CA", self.root_k,
                      False, 5)
        pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()  # noqa: E731
        self.dir = d
        os.makedirs(d)
        write(os.path.join(d, "root.der"), root.public_bytes(serialization.Encoding.DER))
        write(os.path.join(d, "pck_chain.pem"), pem(leaf) + pem(ca) + pem(root))
        write(os.path.join(d, "pck_key.pem"), self.leaf_k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        self.tcb_chain = pem(tcb) + pem(root)
        self.crl_chain = pem(ca) + pem(root)

    def crl(self, issuer, key, revoked=()):
        c = mk.crl(issuer, key, list(revoked), this=NOW - datetime.timedelta(days=1),
                   nxt=NOW + datetime.timedelta(days=30))
        return c.public_bytes(serialization.Encoding.DER).hex()

    def sign(self, text):
        r, s = decode_dss_signature(self.tcb_k.sign(text.encode(), ec.ECDSA(hashes.SHA256())))
        return (r.to_bytes(32, "big") + s.to_bytes(32, "big")).hex()


def quote_fields(quote):
    """What the collateral must match in a quote of tdx_test_util.c."""
    version = struct.unpack_from("<H", quote, 0)[0]
    head = 48 + (6 if version == 5 else 0)
    size = {3: 384, 4: 584}.get(version) or struct.unpack_from("<I", quote, 50)[0]
    body = quote[head:head + size]
    # signature, key, then (v4/v5) the certification data type 6 header
    qe = quote[head + size + 4 + (128 if version == 3 else 134):][:384]
    return {"tee_tcb_svn": body[0:16], "mrsignerseam": body[64:112], "mr_td": body[136:184],
            "qe_mrsigner": qe[128:160], "isvprodid": struct.unpack_from("<H", qe, 256)[0],
            "isvsvn": struct.unpack_from("<H", qe, 258)[0], "body": body}


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def tcb_level(tdx_svns, status):
    comps = lambda v: [{"svn": x} for x in v]  # noqa: E731
    tcb = {"sgxtcbcomponents": comps(mk.COMPS), "pcesvn": mk.PCESVN}
    if tdx_svns is not None:
        tcb["tdxtcbcomponents"] = comps(tdx_svns)
    return {"tcb": tcb, "tcbDate": "2025-01-01T00:00:00Z", "tcbStatus": status}


def collateral(pki, f, out_of_date=False, revoked_leaf=False, sgx=False, shift=0):
    """Signed tcbInfo (TDX v3, or SGX v3) and TD_QE (QE) identity for the
    quote fields f, with the CRLs, as dcap_collateral_parse's flat JSON;
    the tcbInfo's window moved by `shift` days."""
    svn = None if sgx else list(f["tee_tcb_svn"])
    levels = [tcb_level(svn, "UpToDate")]
    if out_of_date:  # the UpToDate level wants a higher TDX component 2
        levels = [tcb_level(svn[:2] + [svn[2] + 1] + svn[3:], "UpToDate"),
                  tcb_level(svn, "OutOfDate")]
    issue, nxt = iso(NOW - datetime.timedelta(days=1)), iso(NOW + datetime.timedelta(days=30))
    t_issue = iso(NOW + datetime.timedelta(days=shift - 1))
    t_next = iso(NOW + datetime.timedelta(days=shift + 30))
    zeros = "00" * 8
    info = {
        "id": "SGX" if sgx else "TDX", "version": 3, "issueDate": t_issue, "nextUpdate": t_next,
        "fmspc": mk.FMSPC.hex().upper(), "pceId": mk.PCEID.hex().upper(), "tcbType": 0,
        "tcbEvaluationDataNumber": 17}
    if not sgx:
        info["tdxModule"] = {"mrsigner": f["mrsignerseam"].hex().upper(), "attributes": zeros,
                             "attributesMask": zeros}
        info["tdxModuleIdentities"] = [{
            "id": "TDX_%02X" % svn[1], "mrsigner": f["mrsignerseam"].hex().upper(),
            "attributes": zeros, "attributesMask": zeros,
            "tcbLevels": [{"tcb": {"isvsvn": svn[0]}, "tcbDate": "2025-01-01T00:00:00Z",
                           "tcbStatus": "UpToDate"}]}]
    info["tcbLevels"] = levels
    tcb_info = json.dumps(info, separators=(",", ":"))
    qe_identity = json.dumps({
        "id": "QE" if sgx else "TD_QE", "version": 2, "issueDate": issue, "nextUpdate": nxt,
        "tcbEvaluationDataNumber": 17, "miscselect": "00000000", "miscselectMask": "00000000",
        "attributes": "00" * 16, "attributesMask": "00" * 16,
        "mrsigner": f["qe_mrsigner"].hex().upper(), "isvprodid": f["isvprodid"],
        "tcbLevels": [{"tcb": {"isvsvn": f["isvsvn"]}, "tcbDate": "2025-01-01T00:00:00Z",
                       "tcbStatus": "UpToDate"}]}, separators=(",", ":"))
    return json.dumps({
        "tcb_info": tcb_info, "tcb_info_signature": pki.sign(tcb_info),
        "qe_identity": qe_identity, "qe_identity_signature": pki.sign(qe_identity),
        "root_ca_crl": pki.crl("Intel SGX Root CA", pki.root_k),
        "pck_crl": pki.crl("Intel SGX PCK Platform CA", pki.ca_k, [3] if revoked_leaf else []),
        "tcb_info_issuer_chain": pki.tcb_chain, "qe_identity_issuer_chain": pki.tcb_chain,
        "pck_crl_issuer_chain": pki.crl_chain})


def evidence(pki, report_data, version=4, body_type=2):
    p = subprocess.run([TOOL, pki.dir, report_data.hex(), str(version), str(body_type)],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    return json.loads(p.stdout)


def quote_of(ev):
    return base64.b64decode(ev["quote"])


def refused(c, r, name, want):
    check(name + ": refused", r.status == 401 and want.encode() in r.body, r)
    check(name + ": no token", b"token" not in r.body, r)
    check(name + ": no resource", c.get_resource("default/key/tdx").status == 401)


def attest(srv, pki, tee="tdx", **kw):
    c = srv.client()
    nonce = c.auth(tee=tee).json()["nonce"]
    return c, nonce, c.attest(evidence(pki, c.report_data(nonce), **kw), nonce)


def fetch_through_pccs(d, pki, f, env):
    """fetch = true: the KBS gets the collateral from a loopback PCCS and
    keeps it in collateral_dir, which answers once the PCCS is gone."""
    site, cdir = os.path.join(d, "pccs"), os.path.join(d, "collateral-fetched")
    c = json.loads(collateral(pki, f))
    attest_test(MAKE_PKI, "test_dcap_fetch").write_site(
        site, c, c["tcb_info"], c["qe_identity"], bytes.fromhex(c["pck_crl"]), c["root_ca_crl"])
    os.makedirs(cdir)
    pccs = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", site, MAKE_PKI],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = "http://127.0.0.1:%d" % int(pccs.stdout.readline())
        conf = os.path.join(d, "kbs-fetch.toml")
        write(conf, CONFIG.replace("[[plugins]]", FETCH % url + "\n[[plugins]]") % cdir)
        srv = KbsServer(EXE, os.path.join(d, "state3"), config=conf, env=env).start()
        try:
            c, _, r = attest(srv, pki)
            check("fetch = true: collateral from the loopback PCCS", r.status == 200, r)
            with open(os.path.join(site, "requests.log")) as log:
                reqs = log.read()
            check("PCCS asked for the leaf's FMSPC and CA type",
                  "fmspc=%s" % mk.FMSPC.hex() in reqs and "ca=platform" in reqs, reqs)
            check("fetched collateral kept in collateral_dir", os.listdir(cdir) ==
                  ["dcap-tdx-%s-platform.json" % mk.FMSPC.hex()], os.listdir(cdir))
            pccs.terminate()
            pccs.wait(timeout=10)
            c, _, r = attest(srv, pki)
            check("PCCS gone: collateral_dir answers", r.status == 200, r)
        finally:
            rc = srv.stop()
            check("kbs (fetch) stopped cleanly", rc == 0, srv.log()[-2000:])
    finally:
        if pccs.poll() is None:
            pccs.terminate()
            pccs.wait(timeout=10)
        pccs.stdout.close()


def main():
    with tempfile.TemporaryDirectory(prefix="kbs-tdx-") as d:
        pki = Pki(os.path.join(d, "pki"))
        cdir = os.path.join(d, "collateral")
        os.makedirs(cdir)
        cfile = os.path.join(cdir, "dcap-tdx-%s-platform.json" % mk.FMSPC.hex())
        f = quote_fields(quote_of(evidence(pki, b"")))
        write(cfile, collateral(pki, f))
        conf = os.path.join(d, "kbs.toml")
        write(conf, CONFIG % cdir)
        state = os.path.join(d, "state")
        env = dict(os.environ, COCOON_TEST_DCAP_ROOT=os.path.join(pki.dir, "root.der"))
        srv = KbsServer(EXE, state, config=conf, env=env).start()
        try:
            with open(os.path.join(state, "admin-token")) as fh:
                admin = srv.client(admin_token=fh.read())
            r = admin.admin("POST", "/kbs/v0/resource/default/key/tdx", b"tdx secret")
            check("resource stored", r.status == 200, r)
            r = admin.admin("POST", "/kbs/v0/resource-policy", policy_body(ALLOW_ALL))
            check("allow-all resource policy", r.status == 200, r)
            with open(os.path.join(state, "token-signer.pub"), "rb") as fh:
                signer = fh.read()

            # the good flow, quote v4: REPORTDATA = SHA-384(JCS(runtime data))
            c = srv.client()
            r = c.auth(tee="tdx")
            check("auth tdx", r.status == 200, r)
            nonce = r.json()["nonce"]
            ev = evidence(pki, c.report_data(nonce))
            r = c.attest(ev, nonce)
            check("attest tdx (quote v4)", r.status == 200, r)
            if r.status == 200:
                _, claims = ear_verify(r.json()["token"], signer)
                ae = claims["submods"]["cpu0"]["ear.veraison.annotated-evidence"]
                tdx = ae.get("tdx", {})
                body = tdx.get("quote", {}).get("body", {})
                check("EAR claims: the quote's fields",
                      body.get("mr_td") == f["mr_td"].hex() and
                      body.get("tcb_svn") == f["tee_tcb_svn"].hex() and
                      tdx.get("quote", {}).get("header", {}).get("tee_type") == "81000000",
                      json.dumps(tdx)[:1500])
                check("EAR claims: tcb_status UpToDate", tdx.get("tcb_status") == "UpToDate",
                      json.dumps(tdx)[:1500])
                check("EAR claims: runtime data",
                      ae.get("runtime_data_claims", {}).get("nonce") == nonce and
                      ae.get("report_data") == c.report_data(nonce).hex() + "00" * 16, ae)
                r = c.get_resource("default/key/tdx")
                check("resource released to the attested TEE key",
                      r.status == 200 and c.decrypt(r) == b"tdx secret", r)

            # quote v5: TD 1.0 and TD 1.5 bodies
            for bt, name in ((2, "TD 1.0"), (3, "TD 1.5")):
                c5, _, r = attest(srv, pki, version=5, body_type=bt)
                check("attest tdx (quote v5, %s body)" % name, r.status == 200, r)
                if r.status == 200:
                    _, claims = ear_verify(r.json()["token"], signer)
                    tdx = claims["submods"]["cpu0"]["ear.veraison.annotated-evidence"]["tdx"]
                    check("EAR claims (v5 %s): version and mr_td" % name,
                          tdx["quote"]["header"]["version"] == "0500" and
                          tdx["quote"]["body"]["mr_td"] == f["mr_td"].hex(), json.dumps(tdx)[:1500])
                    check("resource released (v5 %s)" % name,
                          c5.get_resource("default/key/tdx").status == 200)

            # sgx through the same KBS: quote v3, its collateral beside
            fs = quote_fields(quote_of(evidence(pki, b"", version=3)))
            write(os.path.join(cdir, "dcap-sgx-%s-platform.json" % mk.FMSPC.hex()),
                  collateral(pki, fs, sgx=True))
            cs, nonce_s, r = attest(srv, pki, tee="sgx", version=3)
            check("attest sgx (quote v3)", r.status == 200, r)
            if r.status == 200:
                _, claims = ear_verify(r.json()["token"], signer)
                ae = claims["submods"]["cpu0"]["ear.veraison.annotated-evidence"]
                sgx = ae.get("sgx", {})
                check("EAR claims (sgx): mr_enclave, tcb_status, runtime data",
                      sgx.get("body", {}).get("mr_enclave") == fs["body"][64:96].hex() and
                      sgx.get("tcb_status") == "UpToDate" and
                      ae.get("runtime_data_claims", {}).get("nonce") == nonce_s, ae)
                check("resource released (sgx)", cs.get_resource("default/key/tdx").status == 200)
            cx = srv.client()
            nonce_x = cx.auth(tee="tdx").json()["nonce"]
            refused(cx, cx.attest(evidence(pki, cx.report_data(nonce_x), version=3), nonce_x),
                    "an SGX quote as tdx evidence", "quote: version 3")

            # replay: the same evidence for a new nonce
            c2 = srv.client(tee_key=c.key)
            nonce2 = c2.auth(tee="tdx").json()["nonce"]
            refused(c2, c2.attest(ev, nonce2), "replayed evidence", "report_data mismatch")

            # another TEE key in the runtime data than the quote binds
            c3 = srv.client()
            nonce3 = c3.auth(tee="tdx").json()["nonce"]
            ev3 = evidence(pki, c.report_data(nonce3))  # digest over c's key, sent with c3's
            refused(c3, c3.attest(ev3, nonce3), "quote bound to another TEE key",
                    "report_data mismatch")

            # the quote body changed after signing (MRTD) -> quote signature
            c4 = srv.client()
            nonce4 = c4.auth(tee="tdx").json()["nonce"]
            ev4 = evidence(pki, c4.report_data(nonce4))
            q = bytearray(quote_of(ev4))
            q[48 + 136] ^= 1
            ev4["quote"] = base64.b64encode(bytes(q)).decode()
            refused(c4, c4.attest(ev4, nonce4), "tampered quote body", "quote signature")

            # no collateral in collateral_dir (and no fetching)
            shutil.move(cfile, cfile + ".away")
            c6, _, r = attest(srv, pki)
            refused(c6, r, "collateral missing from collateral_dir", "collateral")
            shutil.move(cfile + ".away", cfile)

            # the PCK CRL revokes the PCK leaf
            write(cfile, collateral(pki, f, revoked_leaf=True))
            c7, _, r = attest(srv, pki)
            refused(c7, r, "revoked PCK certificate", "certificate revoked")
            # a tcbInfo past its nextUpdate: the cache entry is stale, not used
            write(cfile, collateral(pki, f, shift=-40))
            c12, _, r = attest(srv, pki)
            refused(c12, r, "expired tcbInfo in collateral_dir", "no valid cached collateral")
            # a tcbInfo issued tomorrow
            write(cfile, collateral(pki, f, shift=2))
            c13, _, r = attest(srv, pki)
            refused(c13, r, "tcbInfo not yet valid", "collateral not yet valid")
            write(cfile, collateral(pki, f))
            c8, _, r = attest(srv, pki)
            check("the good collateral back: accepted", r.status == 200, r)

            # Trustee's default EAR policy on tcb_status: with the mr_td
            # reference value, UpToDate is hardware 2 and OutOfDate 97.
            r = admin.admin("POST", "/kbs/v0/reference-value",
                            sample_rv_message({"mr_td": [f["mr_td"].hex()]}))
            check("mr_td reference value", r.status == 200, r)
            r = admin.admin("POST", "/kbs/v0/resource-policy", policy_body(HARDWARE_2))
            check("resource policy: hardware 2", r.status == 200, r)
            c9, _, r = attest(srv, pki)
            hw, tdx = None, {}
            if r.status == 200:
                _, claims = ear_verify(r.json()["token"], signer)
                hw = claims["submods"]["cpu0"]["ear.trustworthiness-vector"]["hardware"]
                tdx = claims["submods"]["cpu0"]["ear.veraison.annotated-evidence"]["tdx"]
            # the policy also needs collateral_expiration_status "0"; a
            # verifier without that claim can never reach hardware 2
            want = 2 if tdx.get("collateral_expiration_status") == "0" else 97
            if want != 2:
                print("note: no collateral_expiration_status claim: UpToDate is hardware 97 too")
            check("UpToDate under the default EAR policy: hardware %d" % want, hw == want, r)
            check("UpToDate: resource %s" % ("released" if want == 2 else "refused"),
                  c9.get_resource("default/key/tdx").status == (200 if want == 2 else 401))
            write(cfile, collateral(pki, f, out_of_date=True))
            c10, _, r = attest(srv, pki)
            hw, st, cpu = None, None, {}
            if r.status == 200:
                _, claims = ear_verify(r.json()["token"], signer)
                cpu = claims["submods"]["cpu0"]
                hw = cpu["ear.trustworthiness-vector"]["hardware"]
                st = cpu["ear.veraison.annotated-evidence"]["tdx"].get("tcb_status")
            check("OutOfDate: a token, tcb_status OutOfDate, hardware 97, contraindicated",
                  st == "OutOfDate" and hw == 97 and
                  cpu.get("ear.status") == "contraindicated", r)
            check("OutOfDate: no resource under a policy that needs hardware 2",
                  c10.get_resource("default/key/tdx").status == 401)
        finally:
            rc = srv.stop()
            check("kbs stopped cleanly", rc == 0, srv.log()[-2000:])

        # without the hook, the pinned Intel root: the test PCK chain fails
        write(cfile, collateral(pki, f))
        srv = KbsServer(EXE, os.path.join(d, "state2"), config=conf).start()
        try:
            c11, _, r = attest(srv, pki)
            refused(c11, r, "the test PKI without COCOON_TEST_DCAP_ROOT", "PCK chain")
        finally:
            rc = srv.stop()
            check("kbs (Intel root) stopped cleanly", rc == 0, srv.log()[-2000:])
        fetch_through_pccs(d, pki, f, env)
    print("%d failed" % len(failures))
    return 1 if failures else 0


sys.exit(main())
