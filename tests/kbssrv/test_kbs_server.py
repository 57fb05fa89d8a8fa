#!/usr/bin/env python3
"""cocoon-kbs driven as a real process on loopback by an independent client
(kbsclient.py: http.client, its own JCS, python3-jwcrypto), docs/kbs.md
"Tests".

Usage: test_kbs_server.py COCOON_KBS DATA_DIR [TEST...]
(DATA_DIR: tests/kbssrv/data, Trustee's fixtures; see its README.md)
Exit 0 iff every test passed. Each test starts its own server(s) in a
fresh temporary state directory and stops them by PID.
"""

import base64
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kbsclient import (KbsServer, b64, b64url, b64url_dec, ear_verify, jcs,  # noqa: E402
                       policy_body, sample_rv_message)
from jwcrypto import jwk as jjwk  # noqa: E402
from jwcrypto import jws as jjws  # noqa: E402

EXE = None
DATA = None
HERE = os.path.dirname(os.path.abspath(__file__))
POLICIES = os.path.join(HERE, "..", "..", "src", "kbs", "policies")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def policy(name):
    with open(os.path.join(POLICIES, name)) as f:
        return f.read()


class Env:
    """A temp dir, servers started in it, all stopped at the end."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="kbssrv-")
        self.dir = self.tmp.name
        self.state = os.path.join(self.dir, "state")
        self.servers = []

    def server(self, config=None, state=None, **kw):
        s = KbsServer(EXE, state or self.state, config=config, **kw)
        self.servers.append(s)
        return s.start()

    def admin_token(self, state=None):
        with open(os.path.join(state or self.state, "admin-token")) as f:
            return f.read()

    def signer_pem(self, state=None):
        with open(os.path.join(state or self.state, "token-signer.pub"), "rb") as f:
            return f.read()

    def write(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def close(self):
        """Stops every server; the exit statuses of SIGTERM stops that
        were not 0 (a sanitizer report, a crash) in a list."""
        bad = []
        for s in self.servers:
            s.stop()
            bad += [(s.state_dir, rc, s.log()[-3000:]) for rc in s.exits if rc != 0]
        self.tmp.cleanup()
        return bad


def snapshot(state, sessions=False):
    """Every stored entry (ns, key, value), sessions left out unless asked."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "kbs.sqlite3"), uri=True)
    try:
        rows = db.execute("SELECT ns, key, value FROM kv ORDER BY ns, key").fetchall()
    finally:
        db.close()
    return [r for r in rows if sessions or r[0] != "kbs_protocol_session"]


def expect_error(resp, status, variant, *words):
    assert resp.status == status, "want %d %s, got %r" % (status, variant, resp)
    got_v, detail = resp.error()
    assert got_v == variant, "want %s, got %s: %s" % (variant, got_v, detail)
    for w in words:
        assert w in detail, "detail %r lacks %r" % (detail, w)
    return detail


def admin_setup(c, resource=b"the secret", path="default/key/1", pol="allow_all.rego"):
    r = c.admin("POST", "/kbs/v0/resource/" + path, resource)
    assert r.status == 200 and r.body == b"", r
    r = c.admin("POST", "/kbs/v0/resource-policy", policy_body(policy(pol)))
    assert r.status == 200, r


# ---- start-up and the admin identity --------------------------------------------


@test
def zero_config_start_and_admin_token(env):
    srv = env.server()
    st = os.stat(env.state)
    assert stat.S_IMODE(st.st_mode) == 0o700, oct(st.st_mode)
    for f in os.listdir(env.state):
        m = stat.S_IMODE(os.stat(os.path.join(env.state, f)).st_mode)
        assert m == 0o600, (f, oct(m))
    tok = env.admin_token()
    h, p, s = tok.split(".")
    assert b64url_dec(h) == b'{"alg":"EdDSA","typ":"JWT"}', b64url_dec(h)
    claims = json.loads(b64url_dec(p))
    assert claims["iss"] == "cocoon-kbs" and claims["sub"] == "admin", claims
    assert claims["aud"] == ["KBS"] and claims["role"] == "admin", claims
    assert claims["exp"] - claims["iat"] == 10 * 365 * 24 * 3600, claims
    assert abs(claims["iat"] - time.time()) < 120, claims
    # the token verifies with the admin public key (jwcrypto, EdDSA)
    with open(os.path.join(env.state, "admin-key.pub"), "rb") as f:
        pub = jjwk.JWK.from_pem(f.read())
    j = jjws.JWS()
    j.deserialize(tok)
    j.verify(pub, alg="EdDSA")
    # /healthz, /metrics
    c = srv.client()
    assert c.request("GET", "/healthz").status == 200
    m = c.request("GET", "/metrics")
    assert m.status == 200 and b"kbs_build_info" in m.body, m
    assert c.request("POST", "/metrics").status == 405
    # a restart keeps the admin identity and the signer
    signer = env.signer_pem()
    assert srv.stop() == 0
    assert "event=stopped" in srv.log(), srv.log()
    env.server()
    assert env.admin_token() == tok and env.signer_pem() == signer


@test
def non_loopback_without_tls_refused(env):
    s = KbsServer(EXE, env.state, extra=["--listen", "0.0.0.0:0"])
    s.extra = ["--listen", "0.0.0.0:0"]
    # --listen given twice: the last one wins
    rc = s.start(expect_fail=True)
    assert rc == 1, (rc, s.log())
    assert "needs HTTPS" in s.log(), s.log()


@test
def state_dir_open_to_others_refused(env):
    os.mkdir(env.state, 0o755)
    os.chmod(env.state, 0o755)
    s = KbsServer(EXE, env.state)
    assert s.start(expect_fail=True) == 1
    assert "chmod 700" in s.log(), s.log()
    assert os.listdir(env.state) == []


# ---- RCAR, resources, policies --------------------------------------------------------


@test
def rcar_and_resource_with_cookie_and_bearer(env):
    srv = env.server()
    admin = srv.client(admin_token=env.admin_token())
    admin_setup(admin, b"\x00\x01 binary secret \xff")
    c = srv.client()
    r = c.auth()
    assert r.status == 200, r
    ch = r.json()
    assert list(ch) == ["nonce", "extra-params"] and ch["extra-params"] == "", ch
    assert len(base64.b64decode(ch["nonce"], validate=True)) == 32, ch
    exp = time.mktime(time.strptime(r.cookie_expires, "%a, %d %b %Y %H:%M:%S GMT")) - time.timezone
    assert 240 < exp - time.time() <= 301, r.cookie_expires
    r = c.attest(c.sample_evidence(ch["nonce"]), ch["nonce"])
    assert r.status == 200, r
    token = r.json()["token"]
    hdr, claims = ear_verify(token, env.signer_pem())
    assert list(hdr) == ["typ", "alg", "jwk"], hdr
    cpu = claims["submods"]["cpu0"]
    ae = cpu["ear.veraison.annotated-evidence"]
    assert ae["sample"] == {"svn": "1", "launch_digest": "abcde",
                            "platform_version": {"major": 1, "minor": 4}, "debug": False}, ae
    assert ae["runtime_data_claims"] == {"tee-pubkey": c.tee_pubkey(), "nonce": ch["nonce"],
                                         "additional-evidence": ""}, ae
    assert claims["exp"] - claims["iat"] == 300 and claims["iss"] == "CoCo-Attestation-Service"
    assert claims["eat_profile"] == "tag:github.com,2024:confidential-containers/Trustee"
    assert cpu["ear.appraisal-policy-id"] == "default"
    # no reference values: executables 33, hardware 97 -> contraindicated
    assert cpu["ear.status"] == "contraindicated", cpu
    assert cpu["ear.trustworthiness-vector"]["hardware"] == 97
    # the attested session answers /attest again with the same token
    r = c.attest(c.sample_evidence(ch["nonce"]), ch["nonce"])
    assert r.status == 200 and r.json()["token"] == token, r
    # cookie flow
    r = c.get_resource("default/key/1")
    assert r.status == 200 and r.headers and c.decrypt(r) == b"\x00\x01 binary secret \xff"
    # Bearer (passport) flow from a client without a session
    c2 = srv.client(tee_key=c.key)
    r = c2.get_resource("default/key/1", bearer=token)
    assert r.status == 200 and c2.decrypt(r) == b"\x00\x01 binary secret \xff", r
    # the default policy denies the sample TEE (Trustee's default.rego)
    r = admin.admin("POST", "/kbs/v0/resource-policy", policy_body(policy("default.rego")))
    assert r.status == 200
    expect_error(c.get_resource("default/key/1"), 401, "PolicyDeny", "Access denied by policy")
    # a missing resource: 401 as Trustee answers
    admin_setup(admin)
    expect_error(c.get_resource("default/key/2"), 401, "PluginInternalError", "not found")
    # no token at all
    expect_error(srv.client().get_resource("default/key/1"), 401, "TokenNotFound")
    # GET /resource-policy lists the policy ids, as Trustee's code does
    r = admin.admin("GET", "/kbs/v0/resource-policy")
    assert r.status == 200 and r.json() == ["resource-policy"], r


@test
def rsa_tee_key(env):
    srv = env.server()
    admin_setup(srv.client(admin_token=env.admin_token()))
    key = jjwk.JWK.generate(kty="RSA", size=2048)
    c = srv.client(tee_key=key)
    pub = json.loads(key.export_public())
    tp = {"kty": "RSA", "alg": "RSA-OAEP-256", "n": pub["n"], "e": pub["e"]}
    c.tee_pubkey = lambda: tp
    c.rcar()
    r = c.get_resource("default/key/1")
    assert r.status == 200, r
    hdr = json.loads(b64url_dec(r.json()["protected"]))
    assert hdr == {"alg": "RSA-OAEP-256", "enc": "A256GCM"}, hdr
    from jwcrypto import jwe as jjwe
    e = jjwe.JWE()
    e.deserialize(r.body.decode(), key=key)
    assert e.payload == b"the secret"


@test
def affirming_policy_and_reference_values(env):
    srv = env.server()
    admin = srv.client(admin_token=env.admin_token())
    admin_setup(admin, pol="affirming.rego")
    good = {"svn": ["1"], "launch_digest": ["abcde"], "major_version": 1,
            "minimum_minor_version": 4}
    r = admin.admin("POST", "/kbs/v0/reference-value", sample_rv_message(good))
    assert r.status == 200, r
    r = admin.admin("GET", "/kbs/v0/reference-value/launch_digest")
    assert r.status == 200 and r.json() == ["abcde"], r
    c = srv.client()
    _, claims = ear_verify(c.rcar(), env.signer_pem())
    cpu = claims["submods"]["cpu0"]
    assert cpu["ear.status"] == "affirming", cpu
    assert cpu["ear.trustworthiness-vector"] == {
        "instance-identity": 0, "configuration": 2, "executables": 3, "file-system": 0,
        "hardware": 2, "runtime-opaque": 0, "storage-opaque": 0, "sourced-data": 0}, cpu
    r = c.get_resource("default/key/1")
    assert r.status == 200 and c.decrypt(r) == b"the secret", r
    # the reference values change: a new session is no longer affirming
    bad = dict(good, launch_digest=["0123456789"])
    assert admin.admin("POST", "/kbs/v0/reference-value", sample_rv_message(bad)).status == 200
    c2 = srv.client()
    _, claims = ear_verify(c2.rcar(), env.signer_pem())
    assert claims["submods"]["cpu0"]["ear.status"] == "warning", claims
    expect_error(c2.get_resource("default/key/1"), 401, "PolicyDeny")
    # a minor version under the minimum: hardware 97
    assert admin.admin("POST", "/kbs/v0/reference-value",
                       sample_rv_message(dict(good, minimum_minor_version=5))).status == 200
    c3 = srv.client()
    _, claims = ear_verify(c3.rcar(), env.signer_pem())
    assert claims["submods"]["cpu0"]["ear.trustworthiness-vector"]["hardware"] == 97
    expect_error(c3.get_resource("default/key/1"), 401, "PolicyDeny")


@test
def attestation_policy_set_by_admin(env):
    srv = env.server()
    admin = srv.client(admin_token=env.admin_token())
    admin_setup(admin, pol="affirming.rego")
    rego = ("package policy\nimport rego.v1\n"
            "trust_claims := {\"executables\": 2, \"hardware\": 2, \"configuration\": 2}\n"
            "extensions := [{\"name\": \"example.svn\", \"key\": -70000,"
            " \"value\": input.sample.svn}]\n")
    body = {"type": "rego", "policy_id": "default_cpu", "policy": b64url(rego.encode())}
    assert admin.admin("POST", "/kbs/v0/attestation-policy", body).status == 200
    c = srv.client()
    _, claims = ear_verify(c.rcar(), env.signer_pem())
    cpu = claims["submods"]["cpu0"]
    assert cpu["ear.status"] == "affirming" and cpu["example.svn"] == "1", cpu
    assert cpu["ear.trustworthiness-vector"] == {"configuration": 2, "executables": 2,
                                                 "hardware": 2}, cpu
    assert c.decrypt(c.get_resource("default/key/1")) == b"the secret"
    # a policy that does not compile is refused and the old one stays
    before = snapshot(env.state)
    bad = dict(body, policy=b64url(b"package policy\ntrust_claims := {"))
    expect_error(admin.admin("POST", "/kbs/v0/attestation-policy", bad), 401,
                 "AttestationError", "Set Attestation Policy failed")
    assert snapshot(env.state) == before


@test
def init_data_trustee_fixture(env):
    srv = env.server()
    with open(os.path.join(DATA, "init-data-with-policy.toml")) as f:
        toml = f.read()
    c = srv.client()
    _, claims = ear_verify(c.rcar(init_data=toml), env.signer_pem())
    cpu = claims["submods"]["cpu0"]
    ae = cpu["ear.veraison.annotated-evidence"]
    # the sample verifier echoes base64(SHA-256(toml)) (the TOML's algorithm)
    assert ae["init_data"] == b64(hashlib.sha256(toml.encode()).digest()), ae["init_data"]
    apc = ae["init_data_claims"]["agent_policy_claims"]
    assert apc["containers"][1]["OCI"]["Process"]["Args"][0] == \
        "/opt/bitnami/scripts/nginx/entrypoint.sh"
    assert "policy.rego" not in ae["init_data_claims"]
    # Trustee's check_validated_identifiers
    assert cpu["ear.trustee.identifiers"]["validated"] == {
        "container_images": ["bitnami/nginx:latest"], "container_uids": [65535, 1001]}, cpu
    # cdh.toml / aa.toml are TOML turned into JSON
    small = ("version = \"0.1.0\"\nalgorithm = \"sha384\"\n[data]\n"
             "\"cdh.toml\" = '''\n[kbc]\nname = \"cc_kbc\"\nurl = \"http://1.2.3.4:8080\"\n'''\n")
    c2 = srv.client()
    _, claims = ear_verify(c2.rcar(init_data=small), env.signer_pem())
    ae = claims["submods"]["cpu0"]["ear.veraison.annotated-evidence"]
    assert ae["init_data_claims"] == {"cdh.toml": {"kbc": {"name": "cc_kbc",
                                                          "url": "http://1.2.3.4:8080"}}}, ae
    assert ae["init_data"] == b64(hashlib.sha384(small.encode()).digest())


@test
def additional_device_evidence(env):
    """Device evidence in additional_evidence binds {"tee-pubkey","nonce"};
    the primary binds the additional_evidence string (trustee.md §1.4)."""
    srv = env.server()
    c = srv.client()
    nonce = c.auth().json()["nonce"]
    dev_rd = {"tee-pubkey": c.tee_pubkey(), "nonce": nonce}
    dev = {"svn": "7", "report_data": b64(hashlib.sha384(jcs(dev_rd).encode()).digest())}
    add = json.dumps({"sample": dev})
    body = c.attestation(nonce, {"svn": "1", "report_data": b64(c.report_data(nonce,
                                                                             additional=add))})
    body["tee-evidence"]["additional_evidence"] = add
    r = c.attest(body=body)
    assert r.status == 200, r
    _, claims = ear_verify(r.json()["token"], env.signer_pem())
    subs = claims["submods"]
    assert sorted(subs) == ["cpu0", "cpu1"], subs
    assert subs["cpu1"]["ear.veraison.annotated-evidence"]["sample"]["svn"] == "7"
    assert subs["cpu1"]["ear.veraison.annotated-evidence"]["runtime_data_claims"] == dev_rd
    assert subs["cpu0"]["ear.veraison.annotated-evidence"]["runtime_data_claims"][
        "additional-evidence"] == add
    # device evidence bound to the primary's runtime data does not verify
    c2 = srv.client()
    nonce = c2.auth().json()["nonce"]
    bad_dev = {"svn": "7", "report_data": b64(c2.report_data(nonce))}
    add = json.dumps({"sample": bad_dev})
    body = c2.attestation(nonce, {"svn": "1", "report_data": b64(c2.report_data(
        nonce, additional=add))})
    body["tee-evidence"]["additional_evidence"] = add
    expect_error(c2.attest(body=body), 401, "AttestationError", "additional evidence sample")


# ---- bad input: the right 4xx, a clear message, nothing stored changes --------------------


@test
def bad_rcar_input(env):
    srv = env.server()
    admin = srv.client(admin_token=env.admin_token())
    admin_setup(admin)
    start = snapshot(env.state)
    before = snapshot(env.state, sessions=True)
    c = srv.client()
    # malformed, wrong type, duplicate keys, wrong version, unknown tee
    cases = [
        (b"{", "Auth failed"),
        (b"[1,2]", "not a JSON object"),
        (b'{"version":"0.4.0","version":"0.4.0","tee":"sample","extra-params":""}',
         "duplicate"),
        (b'{"version":"0.4.0","tee":"sample"}', "extra-params"),
        (b'{"version":"0.3.0","tee":"sample","extra-params":""}',
         "KBS Client Protocol Version Mismatch: expect =0.4.0 while the request is 0.3.0"),
        (b'{"version":"0.4.0-rc1","tee":"sample","extra-params":""}', "Mismatch"),
        (b'{"version":"four","tee":"sample","extra-params":""}', "failed to parse KBS version"),
        (b'{"version":"0.4.0","tee":"sgx2","extra-params":""}', "unknown tee"),
    ]
    for body, word in cases:
        expect_error(c.request("POST", "/kbs/v0/auth", body), 401, "AttestationError", word)
    assert snapshot(env.state, sessions=True) == before
    # oversized: the HTTP layer refuses past payload_request_size (2 MiB)
    big = b'{"version":"0.4.0","tee":"sample","extra-params":"' + b"a" * (3 << 20) + b'"}'
    r = c.request("POST", "/kbs/v0/auth", big)
    assert r.status == 413, r
    assert snapshot(env.state, sessions=True) == before
    # /attest without a session
    expect_error(c.request("POST", "/kbs/v0/attest", b"{}"), 401, "AttestationError", "cookie")
    r = c.auth()
    nonce = r.json()["nonce"]
    before = snapshot(env.state, sessions=True)
    for body, word in [(b"{", "Attestation"),
                       (b'{"runtime-data":{},"runtime-data":{}}', "duplicate"),
                       (b'{"runtime-data":{"nonce":"x"},"tee-evidence":{}}', "tee-pubkey"),
                       (json.dumps({"runtime-data": {"nonce": nonce, "tee-pubkey": {}},
                                    "tee-evidence": {"primary_evidence": {}}}).encode(),
                        "tee-pubkey"),
                       # an RSA modulus with a leading zero byte (a worker hang before)
                       (json.dumps({"runtime-data": {"nonce": nonce, "tee-pubkey": {
                           "kty": "RSA", "alg": "RSA-OAEP-256", "e": "AQAB",
                           "n": b64url(b"\x00" + b"\xc3" * 255)}},
                           "tee-evidence": {"primary_evidence": {}}}).encode(),
                        "not minimal")]:
        expect_error(c.request("POST", "/kbs/v0/attest", body), 401, "AttestationError", word)
    assert snapshot(env.state, sessions=True) == before
    # a foreign nonce
    foreign = b64(os.urandom(32))
    expect_error(c.attest(c.sample_evidence(foreign), foreign), 401, "AttestationError",
                 "nonce in the handshake session is different")
    # evidence bound to another key
    other = srv.client()
    r = c.auth()
    nonce = r.json()["nonce"]
    ev = {"svn": "1", "report_data": b64(other.report_data(nonce))}
    expect_error(c.attest(ev, nonce), 401, "AttestationError", "REPORT_DATA is different")
    # a failed attempt ends the session: its nonce is not tried again
    expect_error(c.attest(c.sample_evidence(nonce), nonce), 401, "AttestationError",
                 "no such session")
    # a nonce replayed from another session
    r = c.auth()
    n1 = r.json()["nonce"]
    c_old = srv.client()
    c_old.auth()
    expect_error(c_old.attest(c_old.sample_evidence(n1), n1), 401, "AttestationError",
                 "nonce in the handshake session is different")
    # an unknown cookie
    c.cookie = "0" * 32
    expect_error(c.attest(c.sample_evidence(n1), n1), 401, "AttestationError", "no such session")
    c.cookie = "../../etc"
    expect_error(c.attest(c.sample_evidence(n1), n1), 401, "AttestationError",
                 "not a session id")
    # init-data in another format, or TOML that does not parse
    c = srv.client()
    nonce = c.auth().json()["nonce"]
    body = c.attestation(nonce, c.sample_evidence(nonce))
    body["init-data"] = {"format": "json", "body": "{}"}
    expect_error(c.attest(body=body), 401, "AttestationError", "Unsupported initdata format")
    nonce = c.auth().json()["nonce"]
    expect_error(c.attest(c.sample_evidence(nonce), nonce, init_data="version = "), 401,
                 "AttestationError", "init-data")
    # nothing but sessions changed
    assert snapshot(env.state) == start


@test
def expired_session(env):
    srv = env.server()
    admin_setup(srv.client(admin_token=env.admin_token()))
    c = srv.client()
    nonce = c.auth().json()["nonce"]
    # time passes: the store's expiry of the session moves into the past
    db = sqlite3.connect(os.path.join(env.state, "kbs.sqlite3"), timeout=10)
    db.execute("UPDATE kv SET expires = 1 WHERE ns = 'kbs_protocol_session'")
    db.commit()
    db.close()
    expect_error(c.attest(c.sample_evidence(nonce), nonce), 401, "AttestationError",
                 "no such session")
    # an attested session that expires no longer yields its token
    c = srv.client()
    c.rcar()
    assert c.get_resource("default/key/1").status == 200
    db = sqlite3.connect(os.path.join(env.state, "kbs.sqlite3"), timeout=10)
    db.execute("UPDATE kv SET expires = 1 WHERE ns = 'kbs_protocol_session'")
    db.commit()
    db.close()
    expect_error(c.get_resource("default/key/1"), 401, "TokenNotFound")


def sign(key, claims, header=None):
    s = jjws.JWS(json.dumps(claims).encode())
    s.add_signature(key, alg="ES256", protected=json.dumps(header or {"alg": "ES256",
                                                                       "typ": "JWT"}))
    return s.serialize(compact=True)


@test
def bad_tokens(env):
    srv = env.server()
    admin_setup(srv.client(admin_token=env.admin_token()))
    c = srv.client()
    token = c.rcar()
    _, claims = ear_verify(token, env.signer_pem())
    h, p, s = token.split(".")
    c2 = srv.client(tee_key=c.key)
    # alg none
    none = b64url(b'{"alg":"none","typ":"JWT"}') + "." + p + "."
    expect_error(c2.get_resource("default/key/1", bearer=none), 401, "TokenVerifierError")
    # a changed payload: the signature no longer verifies
    forged = dict(claims, exp=claims["exp"] + 3600)
    bad = h + "." + b64url(json.dumps(forged).encode()) + "." + s
    expect_error(c2.get_resource("default/key/1", bearer=bad), 401, "TokenVerifierError")
    # signed by another key, with that key in the header
    other = jjwk.JWK.generate(kty="EC", crv="P-256")
    hj = json.loads(other.export_public())
    hj["alg"] = "ES256"
    tok = sign(other, claims, {"typ": "JWT", "alg": "ES256", "jwk": hj})
    expect_error(c2.get_resource("default/key/1", bearer=tok), 401, "TokenVerifierError")
    # the KBS's own key, but expired
    with open(os.path.join(env.state, "token-signer.pem"), "rb") as f:
        signer = jjwk.JWK.from_pem(f.read())
    old = dict(claims, iat=claims["iat"] - 7200, exp=claims["iat"] - 3600)
    expect_error(c2.get_resource("default/key/1", bearer=sign(signer, old)), 401,
                 "TokenVerifierError", "expired")
    # the same key and a valid exp passes (the token verifier's trust is the signer)
    assert c2.get_resource("default/key/1", bearer=sign(signer, claims)).status == 200
    # garbage in the Authorization field
    r = c2.request("GET", "/kbs/v0/resource/default/key/1",
                   headers={"Authorization": "Basic Zm9vOmJhcg=="}, cookie=False)
    expect_error(r, 401, "TokenNotFound")


ONE_WORKER = """
[http_server]
sockets = ["127.0.0.1:0"]
insecure_http = true
worker_count = 1

[[plugins]]
name = "resource"
"""

# Allows tag "1" only, and only to tokens whose "iss" is "cache-test".
PATH_AND_ISS_POLICY = """package policy

default allow = false

allow if {
	data["resource-path"][2] == "1"
	input.iss == "cache-test"
}
"""


@test
def token_cache(env):
    """The worker's cache of verified tokens (docs/kbs.md, "Token cache"), one
    worker so that every request meets the same cache: a token's exp still
    ends it while it is cached, a new policy and other claims or paths apply
    to the very next GET, and a token with the same claims but another
    signature is verified in full, not served from the cache."""
    srv = env.server(config=env.write("one.toml", ONE_WORKER))
    admin = srv.client(admin_token=env.admin_token())
    admin_setup(admin)
    assert admin.admin("POST", "/kbs/v0/resource/default/key/2", b"two").status == 200
    c = srv.client()
    token = c.rcar()
    _, claims = ear_verify(token, env.signer_pem())
    with open(os.path.join(env.state, "token-signer.pem"), "rb") as f:
        signer = jjwk.JWK.from_pem(f.read())
    c2 = srv.client(tee_key=c.key)

    def get(tok, tag="1"):
        return c2.get_resource("default/key/" + tag, bearer=tok)

    # exp: served (and cached) while valid, refused once it has passed
    end = int(time.time()) + 3
    short = sign(signer, dict(claims, exp=end))
    for _ in range(3):
        r = get(short)
        assert r.status == 200 and c2.decrypt(r) == b"the secret", r
    while time.time() < end + 0.2:
        time.sleep(0.1)
    expect_error(get(short), 401, "TokenVerifierError", "expired")
    # nbf in the future: refused, and still refused on the next request
    later = sign(signer, dict(claims, nbf=int(time.time()) + 3600))
    for _ in range(2):
        expect_error(get(later), 401, "TokenVerifierError", "not valid before")
    # the same claims with another signature: verified in full every time
    assert get(token).status == 200
    h, p, sig = token.split(".")
    raw = bytearray(b64url_dec(sig))
    raw[5] ^= 1
    flipped = h + "." + p + "." + b64url(bytes(raw))
    other = jjwk.JWK.generate(kty="EC", crv="P-256")
    by_other = h + "." + p + "." + sign(other, claims).split(".")[2]
    for forged in (flipped, by_other, flipped):
        expect_error(get(forged), 401, "TokenVerifierError")
        assert get(token).status == 200
    # a policy change applies to the next GET of a cached token
    r = admin.admin("POST", "/kbs/v0/resource-policy", policy_body(policy("deny_all.rego")))
    assert r.status == 200, r
    expect_error(get(token), 401, "PolicyDeny")
    r = admin.admin("POST", "/kbs/v0/resource-policy", policy_body(PATH_AND_ISS_POLICY))
    assert r.status == 200, r
    # claims and path change between requests: each GET is judged on its own
    mine = sign(signer, dict(claims, iss="cache-test"))
    for _ in range(2):
        assert get(mine).status == 200
        expect_error(get(mine, "2"), 401, "PolicyDeny")
        expect_error(get(token), 401, "PolicyDeny")
        assert get(mine).status == 200
        expect_error(get(token, "2"), 401, "PolicyDeny")


@test
def bad_resource_paths(env):
    srv = env.server()
    admin = srv.client(admin_token=env.admin_token())
    admin_setup(admin)
    before = snapshot(env.state)
    c = srv.client()
    c.rcar()
    for path in ["default/../key", "default/key/../1", "default/key/1/2", "default/key",
                 ".hidden/key/1", "default/key/%2e%2e", "default//1", "a/b/c/d/e"]:
        expect_error(c.get_resource(path), 404, "InvalidRequestPath", "invalid")
        expect_error(admin.admin("POST", "/kbs/v0/resource/" + path, b"x"), 404,
                     "InvalidRequestPath")
        expect_error(admin.admin("DELETE", "/kbs/v0/resource/" + path), 404,
                     "InvalidRequestPath")
    assert snapshot(env.state) == before
    expect_error(c.request("GET", "/kbs/v0/nosuch/x"), 404, "PluginNotFound", "nosuch")
    expect_error(c.request("GET", "/kbs/v0/auth"), 404, "PluginNotFound")
    expect_error(c.request("GET", "/elsewhere"), 404, "InvalidRequestPath")


@test
def bad_admin_calls(env):
    srv = env.server()
    admin = srv.client(admin_token=env.admin_token())
    admin_setup(admin)
    before = snapshot(env.state)
    other_key = jjwk.JWK.generate(kty="OKP", crv="Ed25519")
    now = int(time.time())
    good = {"iss": "cocoon-kbs", "sub": "admin", "aud": ["KBS"], "role": "admin", "iat": now,
            "exp": now + 600}

    def ed(key, claims):
        s = jjws.JWS(json.dumps(claims).encode())
        s.add_signature(key, alg="EdDSA", protected='{"alg":"EdDSA","typ":"JWT"}')
        return s.serialize(compact=True)

    with open(os.path.join(env.state, "admin-key.pem"), "rb") as f:
        admin_key = jjwk.JWK.from_pem(f.read())
    tokens = {
        "none": None,
        "wrong key": ed(other_key, good),
        "expired": ed(admin_key, dict(good, exp=now - 10)),
        "no role": ed(admin_key, {k: v for k, v in good.items() if k != "role"}),
        "other role": ed(admin_key, dict(good, role="reader")),
        "alg none": b64url(b'{"alg":"none"}') + "." + b64url(json.dumps(good).encode()) + ".",
        "garbage": "not.a.token",
    }
    calls = [("POST", "/kbs/v0/resource/default/key/1", b"changed"),
             ("DELETE", "/kbs/v0/resource/default/key/1", None),
             ("POST", "/kbs/v0/resource-policy", policy_body(policy("deny_all.rego"))),
             ("GET", "/kbs/v0/resource-policy", None),
             ("POST", "/kbs/v0/attestation-policy",
              {"policy_id": "default_cpu", "policy": b64url(b"package policy")}),
             ("POST", "/kbs/v0/reference-value", sample_rv_message({"svn": ["9"]})),
             ("GET", "/kbs/v0/reference-value/svn", None)]
    for what, tok in tokens.items():
        for method, path, body in calls:
            if tok is None:
                r = admin.request(method, path, body, cookie=False)
            else:
                r = admin.admin(method, path, body, token=tok)
            d = expect_error(r, 401, "AdminAuthAccess", "admin access denied for endpoint")
            assert tok is None or tok not in d
    # a valid admin token made with the admin key works (as `cocoon kbs` may make one)
    assert admin.admin("GET", "/kbs/v0/resource-policy", token=ed(admin_key, good)).status == 200
    assert snapshot(env.state) == before
    # bad admin bodies: refused, nothing changes
    for path, body, variant, word in [
            ("/kbs/v0/resource-policy", b"{", "ParsePolicyError", "policy"),
            ("/kbs/v0/resource-policy", {"policy": "not base64url!"}, "ParsePolicyError",
             "policy"),
            ("/kbs/v0/resource-policy", policy_body("package policy\nallow if {"),
             "ParsePolicyError", "rego_parse_error"),
            ("/kbs/v0/resource-policy", b'{"policy":"","policy":""}', "ParsePolicyError",
             "duplicate"),
            ("/kbs/v0/attestation-policy", {"policy_id": "../x", "policy": ""},
             "AttestationError", "policy_id"),
            ("/kbs/v0/reference-value", {"version": "0.2.0", "type": "sample", "payload": ""},
             "RvpsError", "Version unmatched"),
            ("/kbs/v0/reference-value", {"type": "swid", "payload": ""}, "RvpsError",
             "not supported"),
            ("/kbs/v0/reference-value", {"type": "sample", "payload": "%%%"}, "RvpsError",
             "base64"),
            ("/kbs/v0/reference-value",
             {"type": "sample", "payload": b64(b'{"a":1,"a":2}')}, "RvpsError", "duplicate")]:
        expect_error(admin.admin("POST", path, body), 401, variant, word)
    assert snapshot(env.state) == before
    expect_error(admin.admin("GET", "/kbs/v0/reference-value/nosuch"), 401, "RvpsError",
                 "no reference value")


# ---- configuration --------------------------------------------------------------------


CONFIG = """
[http_server]
sockets = ["127.0.0.1:0"]
insecure_http = true

[admin]
authorization_mode = "AuthenticatedAuthorization"

[admin.authentication.bearer_jwt]
identity_providers = [{{ issuer = "cocoon-kbs", audience = "KBS", public_key_uri = "{pub}" }}]

[admin.authorization.regex_acl]
acls = [{{ role = "admin", allowed_endpoints = "^/kbs/v0/resource/.+$" }}]

[attestation_token]
insecure_header_jwk = false

[attestation_service]
type = "coco_as_builtin"
timeout = 5

[attestation_service.attestation_token_broker]
duration_min = 7
issuer_name = "test-issuer"

[[plugins]]
name = "resource"
"""


@test
def config_file(env):
    # a first zero-config start makes the admin key the config then names
    srv = env.server()
    srv.stop()
    pub = os.path.join(env.state, "admin-key.pub")
    cfg = env.write("kbs.toml", CONFIG.format(pub=pub))
    srv = env.server(config=cfg)
    admin = srv.client(admin_token=env.admin_token())
    assert admin.admin("POST", "/kbs/v0/resource/default/key/1", b"v").status == 200
    # the ACL allows /resource only
    expect_error(admin.admin("GET", "/kbs/v0/resource-policy"), 401, "AdminAuthAccess",
                 "may not access")
    c = srv.client()
    _, claims = ear_verify(c.rcar(), env.signer_pem())
    assert claims["iss"] == "test-issuer" and claims["exp"] - claims["iat"] == 420, claims
    srv.stop()
    # no [[plugins]]: no resource plugin (as Trustee)
    cfg2 = env.write("noplugin.toml", CONFIG.format(pub=pub).split("[[plugins]]")[0])
    srv = env.server(config=cfg2)
    expect_error(srv.client().get_resource("default/key/1"), 404, "PluginNotFound")
    srv.stop()
    # KBS_CONFIG_FILE
    env_vars = dict(os.environ, KBS_CONFIG_FILE=cfg)
    s = KbsServer(EXE, env.state, env=env_vars)
    s.config = None
    s.extra = []
    env.servers.append(s)
    s.start()
    assert "port=" in s.log()


BAD_CONFIGS = [
    ("[http_server]\nsockets = [\"127.0.0.1:0\"]\ninsecure_http = true\nworkers = 2\n",
     ":4", "unknown key \"workers\""),
    ("[http_server]\nsockets = [\"127.0.0.1:0\"]\n", ":1", "HTTPS (the default) needs"),
    ("[http_server]\ninsecure_http = true\npayload_request_size = 0\n", ":3",
     "payload_request_size: 0 is out of range"),
    ("[http_server]\ninsecure_http = true\n[storage_backend]\nstorage_type = \"Memory\"\n",
     ":3", "storage_backend"),
    ("[http_server]\ninsecure_http = true\n[admin]\ninsecure_api = true\n", ":4",
     "before v0.21"),
    ("[http_server]\ninsecure_http = true\n[admin]\nauthorization_mode = \"Maybe\"\n", ":4",
     "unknown value \"Maybe\""),
    ("[http_server]\ninsecure_http = true\n[admin]\n"
     "authorization_mode = \"AuthenticatedAuthorization\"\n", ":3", "needs [admin.authentication"),
    ("[http_server]\ninsecure_http = true\n[attestation_service]\ntype = \"coco_as_grpc\"\n",
     ":4", "coco_as_grpc"),
    ("[http_server]\ninsecure_http = true\n[attestation_service]\ntimeout = \"5\"\n", ":4",
     "expected integer, not string"),
    ("[http_server]\ninsecure_http = true\n[[plugins]]\nname = \"nebula-ca\"\n", ":4",
     "only the resource plugin"),
    ("[http_server]\ninsecure_http = true\n[admin]\nauthorization_mode = "
     "\"AuthenticatedAuthorization\"\n[admin.authentication.bearer_jwt]\n"
     "identity_providers = [{ public_key_uri = \"https://example.com/k.pem\" }]\n"
     "[admin.authorization.regex_acl]\nacls = [{ role = \"a\", allowed_endpoints = \".*\" }]\n",
     ":6", "only local files"),
    ("[http_server]\ninsecure_http = true\nsockets = [\"127.0.0.1:0\"\n", ":4", "toml_parse_error"),
]


@test
def bad_config_files(env):
    for i, (text, line, word) in enumerate(BAD_CONFIGS):
        cfg = env.write("bad%d.toml" % i, text)
        s = KbsServer(EXE, os.path.join(env.dir, "st%d" % i), config=cfg)
        rc = s.start(expect_fail=True)
        log = s.log()
        assert rc == 1, (text, rc, log)
        assert cfg + line in log and word in log, (text, log)
        # nothing was made for a configuration that does not load
        assert not os.path.exists(os.path.join(env.dir, "st%d" % i)), text


@test
def https_and_passport_with_trustee_signer_fixture(env):
    """KBS A signs EARs with Trustee's AS fixture key and cert (x5c in the
    header equals expected-jwks.json); KBS B, a resource-only KBS trusting
    the fixture certificate, serves a resource for A's token over HTTPS."""
    key = os.path.join(DATA, "as-signing-key.pem")
    chain = os.path.join(DATA, "as-cert-chain.pem")
    with open(os.path.join(DATA, "as-expected-jwks.json")) as f:
        want = json.load(f)["keys"][0]
    srv = env.server()  # makes the admin key
    srv.stop()
    pub = os.path.join(env.state, "admin-key.pub")
    a_text = CONFIG.format(pub=pub).replace(
        "issuer_name = \"test-issuer\"\n",
        "issuer_name = \"test-issuer\"\n\n[attestation_service.attestation_token_broker.signer]\n"
        "key_path = \"%s\"\ncert_path = \"%s\"\n" % (key, chain))
    a_cfg = env.write("a.toml", a_text)
    a = env.server(config=a_cfg)
    c = a.client()
    token = c.rcar()
    hdr = json.loads(b64url_dec(token.split(".")[0]))
    assert hdr["jwk"] == want, (hdr["jwk"], want)
    # B: TLS with a self-signed certificate, trusts the fixture's cert
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", os.path.join(env.dir, "tls.key"),
                    "-out", os.path.join(env.dir, "tls.crt")],
                   check=True, capture_output=True)
    b_state = os.path.join(env.dir, "b")
    b0 = env.server(state=b_state)
    b0.stop()
    b_text = CONFIG.format(pub=os.path.join(b_state, "admin-key.pub")).replace(
        "insecure_http = true", "private_key = \"%s\"\ncertificate = \"%s\"" % (
            os.path.join(env.dir, "tls.key"), os.path.join(env.dir, "tls.crt"))).replace(
        "insecure_header_jwk = false", "trusted_certs_paths = [\"%s\"]" % chain).replace(
        "^/kbs/v0/resource/.+$", "^/kbs/.+$")
    b = env.server(config=env.write("b.toml", b_text), state=b_state)
    import http.client
    import ssl
    ctx = ssl.create_default_context(cafile=os.path.join(env.dir, "tls.crt"))

    def https(method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", b.port, context=ctx, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        out = (r.status, r.read())
        conn.close()
        return out

    bearer = {"Authorization": "Bearer " + env.admin_token(b_state)}
    st, _ = https("POST", "/kbs/v0/resource/default/key/1", b"from B", bearer)
    assert st == 200
    st, _ = https("POST", "/kbs/v0/resource-policy",
                  json.dumps(policy_body(policy("allow_all.rego"))).encode(), bearer)
    assert st == 200
    st, body = https("GET", "/kbs/v0/resource/default/key/1",
                     headers={"Authorization": "Bearer " + token})
    assert st == 200, body
    from jwcrypto import jwe as jjwe
    e = jjwe.JWE()
    e.deserialize(body.decode(), key=c.key)
    assert e.payload == b"from B"
    # B does not trust a header jwk without x5c (A's tokens from its own key)
    st, body = https("GET", "/kbs/v0/resource/default/key/1",
                     headers={"Authorization": "Bearer " + srv_token_without_x5c(env)})
    assert st == 401 and b"TokenVerifierError" in body, body


def srv_token_without_x5c(env):
    other = os.path.join(env.dir, "plain")
    s = env.server(state=other)
    t = s.client().rcar()
    s.stop()
    return t


# ---- operations ------------------------------------------------------------------------


@test
def metrics_and_logs(env):
    srv = env.server()
    admin = srv.client(admin_token=env.admin_token())
    admin_setup(admin, b"SECRET-BYTES-1234")
    c = srv.client()
    token = c.rcar()
    nonce_seen = c.cookie
    assert c.decrypt(c.get_resource("default/key/1")) == b"SECRET-BYTES-1234"
    expect_error(srv.client().get_resource("default/key/1"), 401, "TokenNotFound")
    m = c.request("GET", "/metrics").body.decode()
    for name in ["kbs_http_requests_total", "kbs_http_request_duration_seconds_bucket",
                 "kbs_http_request_size_bytes_bucket", "kbs_http_response_size_bytes_bucket",
                 "kbs_http_active_connections", "kbs_policy_evaluations_total 1",
                 "kbs_policy_approvals_total 1", "kbs_policy_violations_total 0",
                 "kbs_attestation_requests_total 1", "kbs_auth_requests_total 1",
                 "kbs_auth_successes_total 1",
                 'kbs_attestation_successes_total{tee_type="sample"} 1',
                 'kbs_resource_reads_total{resource_path="default/key/1"} 1',
                 'kbs_resource_writes_total{resource_path="default/key/1"} 1',
                 "kbs_build_info{"]:
        assert name in m, (name, m)
    srv.stop()
    log = srv.log()
    for secret in [token, env.admin_token(), "SECRET-BYTES-1234", nonce_seen,
                   json.loads(c.key.export_public())["x"]]:
        assert secret not in log, "a secret is in the log"
    assert "event=request method=GET path=/kbs/v0/resource/default/key/1 status=401" in log


@test
def sigterm_with_requests_in_flight(env):
    srv = env.server()
    admin_setup(srv.client(admin_token=env.admin_token()))
    import threading
    errors = []

    def load():
        c = srv.client()
        for _ in range(20):
            try:
                c.rcar()
            except (AssertionError, OSError):
                return
            except Exception as e:  # noqa: BLE001
                errors.append(e)
                return

    ts = [threading.Thread(target=load) for _ in range(4)]
    for t in ts:
        t.start()
    time.sleep(0.3)
    rc = srv.stop()
    for t in ts:
        t.join(30)
    assert rc == 0, (rc, srv.log()[-2000:])
    assert not errors, errors
    # the store is sound afterwards
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(env.state, "kbs.sqlite3"), uri=True)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def main():
    global EXE, DATA
    EXE, DATA = sys.argv[1], sys.argv[2]
    only = set(sys.argv[3:])
    passed = failed = 0
    for t in TESTS:
        if only and t.__name__ not in only:
            continue
        env = Env()
        t0 = time.time()
        try:
            t(env)
            bad = env.close()
            assert not bad, "a server did not exit 0 on SIGTERM: %r" % (bad,)
            passed += 1
            print("PASS: %s (%.1f s)" % (t.__name__, time.time() - t0), flush=True)
        except Exception:  # noqa: BLE001
            failed += 1
            print("FAIL: %s" % t.__name__, flush=True)
            traceback.print_exc()
            for s in env.servers:
                print("--- server log ---\n" + s.log()[-4000:])
            env.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
