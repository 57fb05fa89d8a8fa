#!/usr/bin/env python3
"""RCAR with SNP evidence (issue 8): cocoon-kbs's snp verifier behind
/attest, with synthetic Milan reports whose report_data is the runtime-data
digest, signed by the test AMD PKI (tests/attest/data/snp/testchain) that a
test build of the KBS trusts (kbs-testroots). Checks the EAR claims carry
the report's fields, that the resource is released, and that a report bound
to another nonce, another TEE key or changed after signing is refused with
no token and no resource.

Usage: test_kbs_snp_rcar.py KBS_TESTROOTS SNP_EVIDENCE_TOOL TESTCHAIN_DIR
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kbsclient import KbsServer, ear_verify, policy_body  # noqa: E402

EXE, TOOL, CHAIN = sys.argv[1:4]
ALLOW_ALL = "package policy\ndefault allow := true\n"
STORE_CONFIG = """
[http_server]
sockets = ["127.0.0.1:0"]
insecure_http = true

[attestation_service.verifier_config.snp_verifier]
vcek_sources = [{ type = "OfflineStore" }]
kds_store_dir = "%s"
"""
failures = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else "  " + str(detail)[:2000]))
    if not cond:
        failures.append(name)


def evidence(report_data, host_data=None):
    args = [TOOL, CHAIN, report_data.hex()] + ([host_data.hex()] if host_data else [])
    p = subprocess.run(args, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    return json.loads(p.stdout)


def main():
    with tempfile.TemporaryDirectory(prefix="kbs-snp-") as d:
        state = os.path.join(d, "state")
        env = dict(os.environ, COCOON_TEST_SNP_ROOTS_DIR=CHAIN)
        srv = KbsServer(EXE, state, env=env).start()
        try:
            with open(os.path.join(state, "admin-token")) as f:
                admin = srv.client(admin_token=f.read())
            r = admin.admin("POST", "/kbs/v0/resource/default/key/snp", b"snp secret")
            check("resource stored", r.status == 200, r)
            r = admin.admin("POST", "/kbs/v0/resource-policy", policy_body(ALLOW_ALL))
            check("allow-all resource policy", r.status == 200, r)
            with open(os.path.join(state, "token-signer.pub"), "rb") as f:
                signer = f.read()

            # the good flow: report_data = SHA-384(JCS(runtime data))
            c = srv.client()
            r = c.auth(tee="snp")
            check("auth snp", r.status == 200, r)
            nonce = r.json()["nonce"]
            ev = evidence(c.report_data(nonce))
            r = c.attest(ev, nonce)
            check("attest snp", r.status == 200, r)
            if r.status == 200:
                _, claims = ear_verify(r.json()["token"], signer)
                ae = claims["submods"]["cpu0"]["ear.veraison.annotated-evidence"]
                snp = ae.get("snp", {})
                check("EAR claims: the report's fields", snp.get("chip_id") ==
                      bytes(range(0x40, 0x80)).hex() and
                      snp.get("measurement") == bytes(range(0xA0, 0xD0)).hex() and
                      snp.get("reported_tcb_snp") == 8 and snp.get("platform_smt_enabled") is not None,
                      json.dumps(snp)[:1500])
                check("EAR claims: runtime data", ae.get("runtime_data_claims", {}).get("nonce") == nonce, ae)
                r = c.get_resource("default/key/snp")
                check("resource released to the attested TEE key",
                      r.status == 200 and c.decrypt(r) == b"snp secret", r)

            # replay: the same evidence for a new nonce
            c2 = srv.client(tee_key=c.key)
            r = c2.auth(tee="snp")
            nonce2 = r.json()["nonce"]
            r = c2.attest(ev, nonce2)
            check("replayed evidence refused", r.status == 401 and b"report_data" in r.body, r)
            check("no resource after a refusal", c2.get_resource("default/key/snp").status == 401)

            # another TEE key in the runtime data than the report binds
            c3 = srv.client()
            nonce3 = c3.auth(tee="snp").json()["nonce"]
            ev3 = evidence(c.report_data(nonce3))  # digest over c's key, sent with c3's key
            r = c3.attest(ev3, nonce3)
            check("evidence bound to another TEE key refused", r.status == 401, r)

            # the report changed after signing (measurement) -> signature
            c4 = srv.client()
            nonce4 = c4.auth(tee="snp").json()["nonce"]
            ev4 = evidence(c4.report_data(nonce4))
            m = ev4["attestation_report"]["measurement"]
            ev4["attestation_report"]["measurement"] = [m[0] ^ 1] + m[1:] if isinstance(m, list) else m
            r = c4.attest(ev4, nonce4)
            check("tampered report refused", r.status == 401 and b"report signature" in r.body, r)

            # init-data: the report's host_data must carry its digest
            c5 = srv.client()
            nonce5 = c5.auth(tee="snp").json()["nonce"]
            toml = 'version = "0.1.0"\nalgorithm = "sha256"\n[data]\n"aa.toml" = "x"\n'
            digest = hashlib.sha256(toml.encode()).digest()
            r = c5.attest(evidence(c5.report_data(nonce5), digest), nonce5, init_data=toml)
            check("init-data bound through host_data", r.status == 200, r)
            c6 = srv.client()
            nonce6 = c6.auth(tee="snp").json()["nonce"]
            r = c6.attest(evidence(c6.report_data(nonce6), b"\x01" * 32), nonce6, init_data=toml)
            check("init-data with another host_data refused", r.status == 401, r)
        finally:
            rc = srv.stop()
            check("kbs stopped cleanly", rc == 0, srv.log()[-2000:])

        # the VCEK from the offline store (Trustee's OfflineStore layout)
        # named by the configuration, evidence without a certificate table
        store = os.path.join(d, "kds-store")
        vdir = os.path.join(store, "vcek", bytes(range(0x40, 0x80)).hex())
        os.makedirs(vdir)
        with open(os.path.join(CHAIN, "milan_vcek.der"), "rb") as f:
            vcek = f.read()
        with open(os.path.join(vdir, "bl03_tee00_snp08_ucode115_vcek.der"), "wb") as f:
            f.write(vcek)
        conf = os.path.join(d, "kbs.toml")
        with open(conf, "w") as f:
            f.write(STORE_CONFIG % store)
        srv = KbsServer(EXE, os.path.join(d, "state2"), config=conf, env=env).start()
        try:
            c = srv.client()
            nonce = c.auth(tee="snp").json()["nonce"]
            ev = evidence(c.report_data(nonce))
            ev["cert_chain"] = None
            r = c.attest(ev, nonce)
            check("VCEK from the configured OfflineStore", r.status == 200, r)
            os.unlink(os.path.join(vdir, "bl03_tee00_snp08_ucode115_vcek.der"))
            c = srv.client()
            nonce = c.auth(tee="snp").json()["nonce"]
            ev = evidence(c.report_data(nonce))
            ev["cert_chain"] = None
            r = c.attest(ev, nonce)
            check("no VCEK in the store, no fetching: refused", r.status == 401 and b"VCEK" in r.body, r)
        finally:
            rc = srv.stop()
            check("kbs (store config) stopped cleanly", rc == 0, srv.log()[-2000:])
        bad = os.path.join(d, "bad.toml")
        with open(bad, "w") as f:
            f.write(STORE_CONFIG.replace('{ type = "OfflineStore" }', '{ type = "Cloud" }') % store)
        rc = KbsServer(EXE, os.path.join(d, "state3"), config=bad, env=env).start(expect_fail=True)
        check("unknown vcek source refused at start", rc != 0)
    print("%d failed" % len(failures))
    return 1 if failures else 0


sys.exit(main())
