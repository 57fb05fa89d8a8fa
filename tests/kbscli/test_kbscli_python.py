#!/usr/bin/env python3
"""`cocoon kbs` against an independent KBS written here in Python
(docs/man/cocoon-kbs-client.md).

The KBS below is not cocoon code: http.server on 127.0.0.1, Debian's
python3-jwcrypto and python3-cryptography. It checks what the client sends
against Trustee's shapes (../shared/reference/trustee.md §1, kbs-types):

  - the Request and Attestation bodies byte for byte, as serde_json writes
    kbs-types' structs (compact, members in declaration order, kebab-case
    outside and snake_case inside tee-evidence);
  - the session cookie set on /auth comes back on /attest and on the GET;
  - the nonce echoed, the tee-pubkey's members and lengths;
  - the runtime-data digest recomputed here: JCS as
    json.dumps(sort_keys=True, separators=(",", ":")), then SHA-384 (or the
    hash the challenge selected), equal to the sample evidence's
    report_data; for the tpm attester on swtpm, the quote's extraData (the
    digest zero-padded to 64) and its RSASSA signature by ak_public;
  - admin calls: the Bearer token, content types and bodies (policies in
    base64url, the RVPS sample message), EdDSA admin JWTs verified with the
    public key.

It answers with a JWE that jwcrypto encrypts to the client's tee-pubkey
(ECDH-ES+A256KW on P-256/P-521, RSA-OAEP-256), or one built as Trustee
builds it (epk in the protected header), and with Trustee error bodies for
the failure cases. Every process started is stopped by PID.

Usage: test_kbscli_python.py COCOON. Exit 77 (skip) without jwcrypto.
"""
import base64
import datetime
import hashlib
import http.server
import json
import os
import shutil
import socket
import ssl
import struct
import sys
import threading
import time
import uuid

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap
    from jwcrypto import jwe, jwk, jwt
    from jwcrypto.common import json_encode
except ImportError:
    print("SKIP: python3-jwcrypto is not installed (scripts/deps.sh)")
    sys.exit(77)

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kbsclilib import COCOON, kbs_cli, keyfile, openssl, start_swtpm  # noqa: E402
from swtpm import issue, make_ca  # noqa: E402  (kbsclilib put tests/common on the path)
from itlib import TMP, check, finish  # noqa: E402
ERR_PREFIX = "https://github.com/confidential-containers/kbs/errors/"
HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def compact(v):
    """serde_json's compact form (members in the order given)."""
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def no_dups(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate member")
    return dict(pairs)


class Refusal(Exception):
    """A Trustee error answer: status, variant, detail."""

    def __init__(self, status, variant, detail):
        super().__init__(detail)
        self.status, self.variant, self.detail = status, variant, detail


# ---- the KBS ----------------------------------------------------------


class PyKBS:
    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = {}
        self.resources = {}
        self.rvs = {}
        self.policies = {}
        self.log = []          # (method, path) of every request
        self.problems = []     # what the checks found wrong
        self.token_key = jwk.JWK.generate(kty="EC", crv="P-256")
        self.admin_token = "admin-" + uuid.uuid4().hex
        self.admin_pub = None  # jwk of the Ed25519 admin key, when set
        self.admin_seen = []   # Authorization headers of admin calls
        self.reset()

    def reset(self):
        """Scenario knobs, back to a well-behaved KBS."""
        self.select_hash = None      # None: extra-params "", else the name
        self.challenge_body = None   # raw challenge answer instead
        self.fail_gets = 0           # GETs answered 401 before serving
        self.fail_auth_5xx = 0       # /auth answered 503 first
        self.attest_refusal = None   # a Refusal for /attest
        self.get_refusal = None      # a Refusal for the GET
        self.jwe_style = "jwcrypto"  # or "trustee", "tampered", "huge"
        self.expect_init = None      # init-data text expected (None: null)
        self.expect_tee = "sample"
        self.log.clear()
        self.problems.clear()
        self.admin_seen.clear()

    def problem(self, what):
        with self.lock:
            self.problems.append(what)

    # -- RCAR --

    def auth(self, h, body):
        tee = self.expect_tee
        want = compact({"version": "0.4.0", "tee": tee, "extra-params": {
            "supported-hash-algorithms": ["sha256", "sha384", "sha512"]}})
        if body.decode() != want:
            self.problem("auth: body %r, expected %r" % (body[:300], want))
        if h.headers.get("Content-Type") != "application/json":
            self.problem("auth: Content-Type %r" % h.headers.get("Content-Type"))
        if self.fail_auth_5xx > 0:
            self.fail_auth_5xx -= 1
            raise Refusal(503, "HTTPFailed", "busy, try again")
        nonce = base64.b64encode(os.urandom(32)).decode()
        sid = uuid.uuid4().hex
        extra = "" if self.select_hash is None else {"selected-hash-algorithm": self.select_hash}
        with self.lock:
            self.sessions[sid] = {"nonce": nonce, "hash": (self.select_hash or "sha384").lower(),
                                  "token": None, "pub": None}
        answer = self.challenge_body or compact({"nonce": nonce, "extra-params": extra}).encode()
        return 200, answer, {"Set-Cookie": cookie(sid)}

    def session(self, h):
        c = h.headers.get("Cookie", "")
        for part in c.split(";"):
            k, _, v = part.strip().partition("=")
            if k == "kbs-session-id" and v in self.sessions:
                return v, self.sessions[v]
        return None, None

    def attest(self, h, body):
        sid, s = self.session(h)
        if s is None:
            raise Refusal(401, "InvalidRequest", "no kbs-session-id cookie of a live session")
        if self.attest_refusal is not None:
            raise self.attest_refusal
        try:
            req = json.loads(body, object_pairs_hook=no_dups)
        except ValueError as e:
            self.problem("attest: body is not JSON: %s" % e)
            raise Refusal(401, "SerdeError", "bad JSON")
        pub = req.get("runtime-data", {}).get("tee-pubkey", {})
        ev = req.get("tee-evidence", {}).get("primary_evidence", {})
        # the exact bytes serde_json writes for kbs-types' Attestation
        if pub.get("kty") == "EC":
            pub_o = {k: pub.get(k) for k in ("kty", "crv", "alg", "x", "y")}
        else:
            pub_o = {k: pub.get(k) for k in ("kty", "alg", "n", "e")}
        if self.expect_tee == "sample":
            ev_o = {"svn": ev.get("svn"), "report_data": ev.get("report_data")}
        else:
            ev_o = ev
        init = None
        if self.expect_init is not None:
            init = {"format": "toml", "body": self.expect_init}
        want = compact({"init-data": init,
                        "runtime-data": {"nonce": s["nonce"], "tee-pubkey": pub_o},
                        "tee-evidence": {"primary_evidence": ev_o, "additional_evidence": ""}})
        if body.decode() != want:
            self.problem("attest: body not as Trustee's shapes:\n got  %s\n want %s"
                         % (body[:600], want[:600]))
        check_pubkey(self, pub)
        rd = {"tee-pubkey": pub, "nonce": s["nonce"], "additional-evidence": ""}
        jcs = json.dumps(rd, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = HASHES[s["hash"]](jcs.encode()).digest()
        if self.expect_tee == "sample":
            if base64.b64decode(ev.get("report_data", ""), validate=True) != digest:
                self.problem("attest: sample report_data is not the runtime-data digest")
            if ev.get("svn") != "1":
                self.problem("attest: sample svn %r" % ev.get("svn"))
        else:
            check_tpm_evidence(self, ev, digest)
        now = int(time.time())
        claims = {"eat_profile": "tag:github.com,2024:confidential-containers/Trustee",
                  "iat": now, "exp": now + 300, "iss": "py-kbs",
                  "submods": {"cpu0": {"ear.status": "affirming",
                                       "ear.veraison.annotated-evidence": {
                                           self.expect_tee: {},
                                           "runtime_data_claims": {"nonce": s["nonce"],
                                                                   "tee-pubkey": pub}}}}}
        tok = jwt.JWT(header={"typ": "JWT", "alg": "ES256"}, claims=claims)
        tok.make_signed_token(self.token_key)
        token = tok.serialize()
        with self.lock:
            s["token"], s["pub"] = token, pub
        return 200, compact({"token": token}).encode(), {"Set-Cookie": cookie(sid)}

    # -- resources --

    def get_resource(self, h, path):
        auth = h.headers.get("Authorization")
        pub = None
        if auth is not None:
            if not auth.startswith("Bearer "):
                raise Refusal(401, "TokenNotFound", "not a Bearer token")
            try:
                t = jwt.JWT(jwt=auth[7:], key=self.token_key, algs=["ES256"])
                claims = json.loads(t.claims)
                pub = claims["submods"]["cpu0"]["ear.veraison.annotated-evidence"][
                    "runtime_data_claims"]["tee-pubkey"]
            except Exception as e:  # noqa: BLE001 (any verification failure)
                raise Refusal(401, "TokenVerifierError", "token: %s" % type(e).__name__)
        else:
            _, s = self.session(h)
            if s is None or s["token"] is None:
                raise Refusal(401, "UnAuthorized", "no attested session")
            pub = s["pub"]
        if self.fail_gets > 0:
            self.fail_gets -= 1
            raise Refusal(401, "PolicyDeny", "denied for this round")
        if self.get_refusal is not None:
            raise self.get_refusal
        if path not in self.resources:
            raise Refusal(404, "PluginNotFound", "no resource " + path)
        return 200, self.encrypt(pub, self.resources[path]), {"Content-Type": "application/json"}

    def encrypt(self, pub, data):
        style = self.jwe_style
        if style == "huge":
            return b"{" + b" " * (25 * 1024 * 1024) + b"}"
        if style == "trustee" and pub["kty"] == "EC":
            out = trustee_jwe(pub, data)
        else:
            key = jwk.JWK(**pub)
            tok = jwe.JWE(data, protected=json_encode({"alg": pub["alg"], "enc": "A256GCM"}))
            tok.add_recipient(key)
            out = tok.serialize(compact=False)
        if style == "tampered":
            o = json.loads(out)
            ct = bytearray(unb64u(o["ciphertext"]))
            ct[0] ^= 1
            o["ciphertext"] = b64u(bytes(ct))
            out = json.dumps(o)
        return out.encode()

    # -- admin --

    def admin_check(self, h):
        auth = h.headers.get("Authorization")
        with self.lock:
            self.admin_seen.append(auth)
        if auth == "Bearer " + self.admin_token:
            return
        if auth is not None and auth.startswith("Bearer ") and self.admin_pub is not None:
            try:
                t = jwt.JWT(jwt=auth[7:], key=self.admin_pub, algs=["EdDSA"])
                c = json.loads(t.claims)
                if c.get("role") != "admin" or c["exp"] - c["iat"] != 7200:
                    raise ValueError("claims %r" % c)
                return
            except Exception as e:  # noqa: BLE001
                raise Refusal(401, "AdminAuthAccess", "admin JWT refused: %s" % e)
        if auth is None and getattr(self, "anonymous_admin", False):
            return
        raise Refusal(401, "AdminAuthAccess", "admin token is not valid")

    def admin(self, h, method, path, body):
        self.admin_check(h)
        ctype = h.headers.get("Content-Type")
        if path.startswith("resource/"):
            rp = path[len("resource/"):]
            if method == "DELETE":
                if rp not in self.resources:
                    raise Refusal(401, "PluginInternalError", "no resource " + rp)
                del self.resources[rp]
            else:
                if ctype != "application/octet-stream":
                    self.problem("set-resource: Content-Type %r" % ctype)
                self.resources[rp] = body
            return 200, b"", {}
        if path in ("resource-policy", "attestation-policy"):
            if ctype != "application/json":
                self.problem("%s: Content-Type %r" % (path, ctype))
            req = json.loads(body, object_pairs_hook=no_dups)
            if path == "resource-policy":
                want = compact({"policy": req.get("policy")})
            else:
                want = compact({"type": req.get("type"), "policy_id": req.get("policy_id"),
                                "policy": req.get("policy")})
            if body.decode() != want:
                self.problem("%s: body %r" % (path, body[:200]))
            if "=" in req["policy"] or "+" in req["policy"] or "/" in req["policy"]:
                self.problem("%s: policy is not base64url without padding" % path)
            self.policies[path] = (req.get("type"), req.get("policy_id"),
                                   unb64u(req["policy"]).decode())
            return 200, b"", {}
        if path == "reference-value" and method == "POST":
            req = json.loads(body, object_pairs_hook=no_dups)
            want = compact({"version": "0.1.0", "type": "sample", "payload": req.get("payload")})
            if body.decode() != want:
                self.problem("reference-value: body %r" % body[:200])
            for k, v in json.loads(base64.b64decode(req["payload"], validate=True)).items():
                self.rvs[k] = v
            return 200, b"", {}
        if path.startswith("reference-value/") and method == "GET":
            rid = urllib_unquote(path[len("reference-value/"):])
            if rid not in self.rvs:
                raise Refusal(401, "RvpsError", "reference value %s not found" % rid)
            return 200, compact(self.rvs[rid]).encode(), {"Content-Type": "application/json"}
        raise Refusal(404, "InvalidRequestPath", "no such admin path " + path)


def urllib_unquote(s):
    from urllib.parse import unquote
    return unquote(s)


def cookie(sid):
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
    return "kbs-session-id=%s; Expires=%s" % (sid, exp.strftime("%a, %d %b %Y %H:%M:%S GMT"))


def check_pubkey(kbs, pub):
    kty = pub.get("kty")
    if kty == "EC":
        n = {"P-256": 32, "P-521": 66}.get(pub.get("crv"))
        if list(pub) != ["kty", "crv", "alg", "x", "y"] or n is None or \
                pub.get("alg") != "ECDH-ES+A256KW" or len(unb64u(pub["x"])) != n or \
                len(unb64u(pub["y"])) != n:
            kbs.problem("tee-pubkey: bad EC key %r" % pub)
    elif kty == "RSA":
        if list(pub) != ["kty", "alg", "n", "e"] or pub.get("alg") != "RSA-OAEP-256" or \
                len(unb64u(pub["n"])) < 256:
            kbs.problem("tee-pubkey: bad RSA key %r" % pub)
    else:
        kbs.problem("tee-pubkey: kty %r" % kty)


def check_tpm_evidence(kbs, ev, digest):
    """Trustee's TPM evidence: the quote's extraData is the digest
    zero-padded to 64, signed (RSASSA-SHA256) by ak_public."""
    try:
        q = ev["tpm_quote"]
        msg = base64.b64decode(q["message"], validate=True)
        sig = base64.b64decode(q["signature"], validate=True)
        ak = serialization.load_der_public_key(base64.b64decode(ev["ak_public"], validate=True))
        magic, typ = struct.unpack(">IH", msg[:6])
        off = 6
        (n,) = struct.unpack(">H", msg[off:off + 2])   # qualifiedSigner
        off += 2 + n
        (n,) = struct.unpack(">H", msg[off:off + 2])   # extraData
        extra = msg[off + 2:off + 2 + n]
        if magic != 0xff544347 or typ != 0x8018:
            kbs.problem("tpm: not a quote (magic %x type %x)" % (magic, typ))
        if extra != digest + b"\0" * (64 - len(digest)):
            kbs.problem("tpm: extraData is not the runtime-data digest padded to 64")
        alg, halg, slen = struct.unpack(">HHH", sig[:6])
        if alg != 0x0014 or halg != 0x000b:
            kbs.problem("tpm: signature scheme %x/%x" % (alg, halg))
        ak.verify(sig[6:6 + slen], msg, padding.PKCS1v15(), hashes.SHA256())
        if len(q["pcrs"]) != 24:
            kbs.problem("tpm: %d PCRs" % len(q["pcrs"]))
    except Exception as e:  # noqa: BLE001
        kbs.problem("tpm evidence: %r" % e)


def trustee_jwe(pub, data):
    """A JWE as Trustee's KBS writes it: ECDH-ES+A256KW (Concat KDF,
    SHA-256, empty PartyU/PartyV), A256GCM, epk in the protected header,
    the header in serde's order, no "aad"."""
    curve = {"P-256": ec.SECP256R1(), "P-521": ec.SECP521R1()}[pub["crv"]]
    n = {"P-256": 32, "P-521": 66}[pub["crv"]]
    peer = ec.EllipticCurvePublicNumbers(int.from_bytes(unb64u(pub["x"]), "big"),
                                         int.from_bytes(unb64u(pub["y"]), "big"),
                                         curve).public_key()
    eph = ec.generate_private_key(curve)
    z = eph.exchange(ec.ECDH(), peer)
    alg = b"ECDH-ES+A256KW"
    other = struct.pack(">I", len(alg)) + alg + struct.pack(">III", 0, 0, 256)
    kek = ConcatKDFHash(algorithm=hashes.SHA256(), length=32, otherinfo=other).derive(z)
    cek = os.urandom(32)
    nums = eph.public_key().public_numbers()
    hdr = compact({"alg": "ECDH-ES+A256KW", "enc": "A256GCM",
                   "epk": {"crv": pub["crv"], "kty": "EC",
                           "x": b64u(nums.x.to_bytes(n, "big")),
                           "y": b64u(nums.y.to_bytes(n, "big"))}})
    protected = b64u(hdr.encode())
    iv = os.urandom(12)
    ct = AESGCM(cek).encrypt(iv, data, protected.encode())
    return compact({"protected": protected, "encrypted_key": b64u(aes_key_wrap(kek, cek)),
                    "iv": b64u(iv), "ciphertext": b64u(ct[:-16]), "tag": b64u(ct[-16:])})


def make_handler(kbs):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body, headers):
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            path = self.path
            with kbs.lock:
                kbs.log.append((method, path))
            try:
                if not path.startswith("/kbs/v0/"):
                    raise Refusal(404, "InvalidRequestPath", "not under /kbs/v0")
                p = path[len("/kbs/v0/"):]
                if method == "POST" and p == "auth":
                    r = kbs.auth(self, body)
                elif method == "POST" and p == "attest":
                    r = kbs.attest(self, body)
                elif method == "GET" and p.startswith("resource/"):
                    r = kbs.get_resource(self, p[len("resource/"):])
                else:
                    r = kbs.admin(self, method, p, body)
                self.answer(*r)
            except Refusal as e:
                self.answer(e.status, compact({"type": ERR_PREFIX + e.variant,
                                               "detail": e.detail}).encode(),
                            {"Content-Type": "application/json"})

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_DELETE(self):
            self.handle_any("DELETE")
    return H


def serve(kbs, tls=None):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(kbs))
    srv.daemon_threads = True
    srv.handle_error = lambda *a: None  # clients that hang up are part of the tests
    if tls is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


# ---- checks -------------------------------------------------------------


def no_problems(kbs, name):
    check(name + ": the KBS found the requests as Trustee's", not kbs.problems,
          "; ".join(kbs.problems))


def count(kbs, method, prefix):
    return sum(1 for m, p in kbs.log if m == method and p.startswith(prefix))


# ---- scenarios ----------------------------------------------------------


def rcar_and_resources(kbs, url):
    secret = b"resource \x00\x01 bytes " + os.urandom(16)
    kbs.resources["default/key/1"] = secret
    b64 = base64.b64encode(secret).decode()

    rc, out, err = kbs_cli("--url", url, "attest")
    check("attest: exit 0", rc == 0, err)
    tok = out.strip()
    sess = [s for s in kbs.sessions.values() if s["token"] == tok]
    check("attest: prints the token the KBS issued", len(sess) == 1, out[:80])
    check("attest: one /auth and one /attest", count(kbs, "POST", "/kbs/v0/auth") == 1 and
          count(kbs, "POST", "/kbs/v0/attest") == 1, repr(kbs.log))
    no_problems(kbs, "attest sample")

    for style in ("jwcrypto", "trustee"):
        kbs.reset()
        kbs.jwe_style = style
        rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1")
        check("get-resource (%s JWE, EC P-256): base64 of the resource" % style,
              rc == 0 and out == b64 + "\n", err)
        check("get-resource: auth, attest, GET", kbs.log == [
            ("POST", "/kbs/v0/auth"), ("POST", "/kbs/v0/attest"),
            ("GET", "/kbs/v0/resource/default/key/1")], repr(kbs.log))
        no_problems(kbs, "get-resource %s" % style)

    # global options after the verb, as kbs-client's docs spell them
    kbs.reset()
    rc, out, err = kbs_cli("get-resource", "--url", url, "--path", "default/key/1")
    check("get-resource: --url after the verb", rc == 0 and out == b64 + "\n", err)

    # TEE keys from PEM files: RSA-OAEP-256 and P-521
    rsa = keyfile("tee-rsa.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    p521 = keyfile("tee-p521.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521")
    for name, path, style in (("RSA-OAEP-256", rsa, "jwcrypto"), ("P-521", p521, "jwcrypto"),
                              ("P-521", p521, "trustee")):
        kbs.reset()
        kbs.jwe_style = style
        rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1",
                               "--tee-key-file", path)
        check("get-resource --tee-key-file %s (%s JWE)" % (name, style),
              rc == 0 and out == b64 + "\n", err)
        no_problems(kbs, "tee key %s" % name)
    p384 = keyfile("tee-p384.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384")
    kbs.reset()
    rc, out, err = kbs_cli("--url", url, "attest", "--tee-key-file", p384)
    check("attest --tee-key-file P-384: refused before any request",
          rc == 1 and "P-384" in err and not kbs.log, err)

    # raw bytes to a file, mode 0600
    kbs.reset()
    dst = os.path.join(TMP, "out.bin")
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1",
                           "--output", dst)
    ok = rc == 0 and out == "" and open(dst, "rb").read() == secret
    check("get-resource --output FILE: the raw bytes, mode 0600",
          ok and (os.stat(dst).st_mode & 0o777) == 0o600, err)
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1",
                           "--output", "-", raw=True)
    check("get-resource --output -: raw bytes on standard output", rc == 0 and out == secret,
          err)

    # the hash the challenge selects
    for h in ("sha512", "sha256", "SHA512"):
        kbs.reset()
        kbs.select_hash = h
        rc, out, err = kbs_cli("--url", url, "attest")
        check("attest with selected-hash-algorithm %s" % h, rc == 0, err)
        no_problems(kbs, "hash %s" % h)

    # init-data, from a file and as INIT_DATA text
    toml = ('version = "0.1.0"\nalgorithm = "sha384"\n[data]\n"aa.toml" = \'\'\'\n'
            '[token_configs]\n[token_configs.kbs]\nurl = "http://127.0.0.1:8080"\n\'\'\'\n')
    path = os.path.join(TMP, "initdata.toml")
    with open(path, "w") as f:
        f.write(toml)
    kbs.reset()
    kbs.expect_init = toml
    rc, out, err = kbs_cli("--url", url, "attest", "--init-data", path)
    check("attest --init-data FILE: sent as {format: toml, body}", rc == 0, err)
    no_problems(kbs, "init-data file")
    kbs.reset()
    kbs.expect_init = toml
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1", toml)
    check("get-resource INIT_DATA: sent as {format: toml, body}", rc == 0, err)
    no_problems(kbs, "init-data text")
    rc, out, err = kbs_cli("--url", url, "attest", "--init-data", path, toml)
    check("attest: --init-data and INIT_DATA together is a usage error", rc == 2, err)

    # passport mode: the token of `attest` as a Bearer token, with its key
    kbs.reset()
    rc, out, err = kbs_cli("--url", url, "attest", "--tee-key-file", rsa)
    token = out.strip()
    tokfile = os.path.join(TMP, "token")
    with open(tokfile, "w") as f:
        f.write("\n" + token + "\n\n")  # kbs-client trims the file
    kbs.reset()
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1",
                           "--attestation-token", tokfile, "--tee-key-file", rsa)
    check("get-resource --attestation-token: Bearer, no attestation",
          rc == 0 and out == b64 + "\n" and kbs.log == [
              ("GET", "/kbs/v0/resource/default/key/1")], err + repr(kbs.log))
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1",
                           "--attestation-token", tokfile)
    check("get-resource --attestation-token without --tee-key-file: usage error", rc == 2, err)
    kbs.reset()
    with open(tokfile, "w") as f:
        f.write(token[:-8] + "AAAAAAAA")
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1",
                           "--attestation-token", tokfile, "--tee-key-file", rsa)
    check("a token the KBS refuses: one GET, its detail shown",
          rc == 1 and "TokenVerifierError" in err and count(kbs, "GET", "/") == 1, err)


def failures(kbs, url):
    secret = b"top secret value 42"
    kbs.resources["default/key/2"] = secret
    b64 = base64.b64encode(secret).decode()

    # 401 on the GET starts a new RCAR: twice, then the resource
    kbs.reset()
    kbs.fail_gets = 2
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/2")
    check("two 401s, then the resource: three RCARs, three GETs",
          rc == 0 and out == b64 + "\n" and count(kbs, "POST", "/kbs/v0/auth") == 3 and
          count(kbs, "GET", "/kbs/v0/resource") == 3, err + repr(kbs.log))
    no_problems(kbs, "401 retries")
    kbs.reset()
    kbs.fail_gets = 3
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/2")
    check("three 401s: fails after three GETs with the KBS's detail",
          rc == 1 and "PolicyDeny" in err and "denied for this round" in err and
          count(kbs, "GET", "/kbs/v0/resource") == 3 and out == "", err)

    kbs.reset()
    kbs.get_refusal = Refusal(401, "PolicyDeny", "Resource policy denies this request")
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/2")
    check("policy deny: exit 1, Trustee's detail shown",
          rc == 1 and "Resource policy denies this request" in err, err)
    kbs.reset()
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/nope/2")
    check("404: exit 1 at once, the detail shown",
          rc == 1 and "no resource default/nope/2" in err and
          count(kbs, "GET", "/kbs/v0/resource") == 1, err)

    kbs.reset()
    kbs.attest_refusal = Refusal(401, "AttestationError",
                                 "Verifier evaluate failed: REPORT_DATA is different")
    rc, out, err = kbs_cli("--url", url, "attest")
    check("attestation refused: exit 1, the detail, no second attempt",
          rc == 1 and "REPORT_DATA is different" in err and
          count(kbs, "POST", "/kbs/v0/auth") == 1, err)

    kbs.reset()
    kbs.fail_auth_5xx = 1
    t0 = time.time()
    rc, out, err = kbs_cli("--url", url, "attest")
    check("a 503 on /auth is retried a second later",
          rc == 0 and count(kbs, "POST", "/kbs/v0/auth") == 2 and time.time() - t0 >= 0.9, err)

    bad_challenges = [
        (b'{"nonce":"a","nonce":"b","extra-params":""}', "duplicate"),
        (b'{"nonce":7,"extra-params":""}', "nonce"),
        (b'{"nonce":"abc"}', "extra-params"),
        (b'not json', "challenge"),
        (b'{"nonce":"abc","extra-params":{"selected-hash-algorithm":"sm3"}}', "sm3"),
    ]
    for body, word in bad_challenges:
        kbs.reset()
        kbs.challenge_body = body
        rc, out, err = kbs_cli("--url", url, "attest")
        check("bad challenge (%s): exit 1, named, not retried" % word,
              rc == 1 and word in err and count(kbs, "POST", "/kbs/v0/auth") == 1, err)
    kbs.reset()
    kbs.challenge_body = b'{"nonce":"' + b"A" * (5 * 1024 * 1024) + b'","extra-params":""}'
    rc, out, err = kbs_cli("--url", url, "attest")
    check("an oversized challenge is cut off", rc == 1 and "larger than" in err, err)

    for style, word in (("huge", "larger than"), ("tampered", "JWE")):
        kbs.reset()
        kbs.jwe_style = style
        rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/2")
        check("resource answer %s: exit 1, nothing printed" % style,
              rc == 1 and word in err and out == "", err)

    kbs.reset()
    for bad in ("../etc/passwd", "a/b", "a/b/c/d", "a/b/c?x=1"):
        rc, out, err = kbs_cli("--url", url, "get-resource", "--path", bad)
        check("resource path %r refused before any request" % bad,
              rc == 1 and "resource path" in err and not kbs.log, err)
    rc, out, err = kbs_cli("--url", url, "attest", "--tee", "snp")
    check("--tee snp: not an attester here", rc == 1 and "--tee snp" in err, err)
    rc, out, err = kbs_cli("--url", "ftp://127.0.0.1/", "attest")
    check("--url ftp://: refused", rc == 1 and "scheme" in err, err)

    # closed port: five attempts a second apart, then the transport error
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t0 = time.time()
    rc, out, err = kbs_cli("--url", "http://127.0.0.1:%d" % port, "attest")
    check("connection refused: five attempts, then exit 1",
          rc == 1 and "onnect" in err and 3.5 < time.time() - t0 < 30, err)

    # nothing secret in what the failures printed
    check("no resource bytes in error output", secret.decode() not in err and b64 not in err)


def admin(kbs, url):
    tokfile = os.path.join(TMP, "admin-token")
    with open(tokfile, "w") as f:
        f.write(kbs.admin_token + "\n")
    os.chmod(tokfile, 0o600)
    res = os.path.join(TMP, "res.bin")
    data = os.urandom(300) + b"\x00end"
    with open(res, "wb") as f:
        f.write(data)
    A = ["--url", url, "config", "--admin-token-file", tokfile]

    kbs.reset()
    rc, out, err = kbs_cli(*A, "set-resource", "--path", "repo/type/tag", "--resource-file", res)
    check("set-resource: stored byte for byte, as octet-stream",
          rc == 0 and kbs.resources.get("repo/type/tag") == data and
          kbs.admin_seen == ["Bearer " + kbs.admin_token], err)
    check("set-resource: the resource is not echoed",
          base64.b64encode(data).decode() not in out and "success" in out, out)
    no_problems(kbs, "set-resource")
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "repo/type/tag",
                           "--output", "-", raw=True)
    check("the resource set reads back through RCAR", rc == 0 and out == data, err)
    rc, out, err = kbs_cli(*A, "delete-resource", "--path", "repo/type/tag")
    check("delete-resource", rc == 0 and "repo/type/tag" not in kbs.resources, err)
    rc, out, err = kbs_cli(*A, "delete-resource", "--path", "repo/type/tag")
    check("delete-resource of a missing one: the detail", rc == 1 and "no resource" in err, err)

    pol = os.path.join(TMP, "policy.rego")
    with open(pol, "w") as f:
        f.write("package policy\n\ndefault allow := false\n# ~~~ ???\n")
    rc, out, err = kbs_cli(*A, "set-resource-policy", "--policy-file", pol)
    check("set-resource-policy --policy-file: the text in base64url",
          rc == 0 and kbs.policies["resource-policy"][2] == open(pol).read(), err)
    check("set-resource-policy: kbs-client's confirmation",
          out.startswith("Set resource policy success \n policy: "), out)
    texts = {}
    for flag in ("--allow-all", "--deny-all", "--affirming", "--default"):
        rc, out, err = kbs_cli(*A, "set-resource-policy", flag)
        texts[flag] = kbs.policies.get("resource-policy", (0, 0, ""))[2]
        check("set-resource-policy %s" % flag,
              rc == 0 and "package policy" in texts[flag], err)
    check("four different built-in policies", len(set(texts.values())) == 4)
    rc, out, err = kbs_cli(*A, "set-resource-policy", "--allow-all", "--deny-all")
    check("two policies at once: usage error", rc == 2, err)
    rc, out, err = kbs_cli(*A, "set-attestation-policy", "--policy-file", pol)
    check("set-attestation-policy: type rego, id default_cpu by default",
          rc == 0 and kbs.policies["attestation-policy"][:2] == ("rego", "default_cpu"), err)
    rc, out, err = kbs_cli(*A, "set-attestation-policy", "--type", "rego", "--id", "default_gpu",
                           "--policy-file", pol)
    check("set-attestation-policy --id default_gpu",
          rc == 0 and kbs.policies["attestation-policy"][1] == "default_gpu", err)

    cases = [(["svn", "1"], ["1"]), (["svn", "1", "--as-integer"], [1]),
             (["debug", "false", "--as-bool", "--as-single-value"], False),
             (["launch_digest", "abcde", "--as-single-value"], "abcde")]
    for args, want in cases:
        rc, out, err = kbs_cli(*A, "set-sample-reference-value", *args)
        check("set-sample-reference-value %s" % " ".join(args),
              rc == 0 and kbs.rvs.get(args[0]) == want and "Reference Values Updated" in out,
              err + repr(kbs.rvs))
    rc, out, err = kbs_cli(*A, "set-sample-reference-value", "svn", "x", "--as-integer")
    check("set-sample-reference-value x --as-integer: refused", rc == 1, err)
    kbs.rvs["rvps:///ns/a b"] = ["v1", 2]
    rc, out, err = kbs_cli(*A, "get-reference-value", "--id", "rvps:///ns/a b")
    check("get-reference-value --id (escaped in the URL): the JSON",
          rc == 0 and json.loads(out) == ["v1", 2], err + out)
    no_problems(kbs, "admin calls")

    # a wrong token: the KBS's detail; the token itself never printed
    bad = os.path.join(TMP, "bad-token")
    with open(bad, "w") as f:
        f.write("wrong-token-value")
    rc, out, err = kbs_cli("--url", url, "config", "--admin-token-file", bad, "delete-resource",
                           "--path", "a/b/c")
    check("a wrong admin token: exit 1, AdminAuthAccess",
          rc == 1 and "AdminAuthAccess" in err and "wrong-token-value" not in err, err)
    with open(bad, "w") as f:
        f.write("two words")
    kbs.reset()
    rc, out, err = kbs_cli("--url", url, "config", "--admin-token-file", bad, "delete-resource",
                           "--path", "a/b/c")
    check("an admin token with a space: refused before sending",
          rc == 1 and not kbs.log and "two words" not in err, err)

    # the default places: ./kbs/config/docker-compose/admin-token, then
    # ~/.trustee/admin-token, then anonymous
    cwd = os.path.join(TMP, "compose")
    os.makedirs(os.path.join(cwd, "kbs/config/docker-compose"))
    shutil.copy(tokfile, os.path.join(cwd, "kbs/config/docker-compose/admin-token"))
    home = os.path.join(TMP, "home2")
    os.makedirs(os.path.join(home, ".trustee"))
    with open(os.path.join(home, ".trustee/admin-token"), "w") as f:
        f.write("home-token\n")
    for where, c, hm, want in (("./kbs/config/docker-compose/admin-token", cwd, home,
                                "Bearer " + kbs.admin_token),
                               ("~/.trustee/admin-token", None, home, "Bearer home-token"),
                               ("none: anonymous", None, None, None)):
        kbs.reset()
        kbs_cli("--url", url, "config", "set-resource-policy", "--deny-all", cwd=c, home=hm)
        check("admin token from %s" % where, kbs.admin_seen == [want], repr(kbs.admin_seen))

    # --auth-private-key: an EdDSA JWT signed here, verified by jwcrypto
    key = keyfile("admin-ed25519.pem", "-algorithm", "ED25519")
    pub = os.path.join(TMP, "admin-ed25519.pub")
    openssl("pkey", "-in", key, "-pubout", "-out", pub)
    kbs.admin_pub = jwk.JWK.from_pem(open(pub, "rb").read())
    kbs.reset()
    rc, out, err = kbs_cli("--url", url, "config", "--auth-private-key", key,
                           "set-resource-policy", "--allow-all")
    check("--auth-private-key: an EdDSA admin JWT the KBS verifies",
          rc == 0 and kbs.admin_seen[0].startswith("Bearer ey"), err)
    other = keyfile("other-ed25519.pem", "-algorithm", "ED25519")
    rc, out, err = kbs_cli("--url", url, "config", "--auth-private-key", other,
                           "set-resource-policy", "--allow-all")
    check("--auth-private-key with another key: refused", rc == 1 and "AdminAuthAccess" in err,
          err)
    rsa = keyfile("admin-rsa.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    rc, out, err = kbs_cli("--url", url, "config", "--auth-private-key", rsa,
                           "set-resource-policy", "--allow-all")
    check("--auth-private-key RSA: refused (Ed25519 only)", rc == 1, err)
    rc, out, err = kbs_cli("--url", url, "config", "--auth-private-key", key,
                           "--admin-token-file", tokfile, "set-resource-policy", "--allow-all")
    check("--auth-private-key with --admin-token-file: usage error", rc == 2, err)


def https(kbs):
    d = make_ca(os.path.join(TMP, "tls"), "kbscli test CA", key_usage="keyCertSign")
    p = lambda n: os.path.join(d, n)  # noqa: E731
    with open(p("ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    issue(d, p("srv.pem"), "127.0.0.1", 2, "-CAcreateserial", "-extfile", p("ext"))
    srv, port = serve(kbs, tls=(p("srv.pem"), p("srv.pem.key")))
    url = "https://127.0.0.1:%d" % port
    kbs.reset()
    kbs.resources["tls/key/1"] = b"over TLS"
    rc, out, err = kbs_cli("--url", url, "--cert-file", p("ca.pem"), "get-resource",
                           "--path", "tls/key/1")
    check("HTTPS with --cert-file: the resource", rc == 0 and
          base64.b64decode(out) == b"over TLS", err)
    no_problems(kbs, "https")
    kbs.reset()
    rc, out, err = kbs_cli("--url", url, "attest")
    check("HTTPS without --cert-file: the certificate is refused", rc == 1 and
          count(kbs, "POST", "/") == 0, err)
    rc, out, err = kbs_cli("--url", url, "--cert-file", p("missing.pem"), "attest")
    check("--cert-file missing: named", rc == 1 and "missing.pem" in err, err)
    srv.shutdown()


def tpm(kbs, url):
    started = start_swtpm("swtpm")
    if started is None:
        print("# swtpm not installed: the tpm attester part is skipped")
        return
    p, tcti = started
    kbs.reset()
    kbs.expect_tee = "tpm"
    kbs.resources["tpm/key/1"] = b"for the TPM guest"
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "tpm/key/1", "--tee", "tpm",
                           "--tpm-tcti", tcti, "--tpm-create-ak")
    check("tpm attester on swtpm: the resource", rc == 0 and
          base64.b64decode(out) == b"for the TPM guest", err)
    no_problems(kbs, "tpm evidence (extraData, RSASSA signature by ak_public)")
    kbs.reset()
    kbs.expect_tee = "tpm"
    kbs.select_hash = "sha512"
    rc, out, err = kbs_cli("--url", url, "attest", "--tee", "tpm", "--tpm-tcti", tcti)
    check("tpm attester with a SHA-512 digest (64 bytes of extraData)", rc == 0, err)
    no_problems(kbs, "tpm sha512")
    rc, out, err = kbs_cli("--url", url, "attest", "--tee", "tpm", "--tpm-tcti", tcti,
                           "--tpm-ak-handle", "0x81010009")
    check("tpm attester without an AK at the handle: refused, named",
          rc == 1 and "0x81010009" in err, err)
    p.terminate()


def main():
    if not COCOON:
        raise RuntimeError("usage: test_kbscli_python.py COCOON")
    kbs = PyKBS()
    srv, port = serve(kbs)
    url = "http://127.0.0.1:%d" % port
    rc, out, err = kbs_cli("--help")
    check("cocoon kbs --help", rc == 0 and "get-resource" in out, err)
    for verb in (["attest"], ["get-resource"], ["config"], ["config", "set-resource"],
                 ["config", "delete-resource"], ["config", "set-resource-policy"],
                 ["config", "set-attestation-policy"], ["config", "set-sample-reference-value"],
                 ["config", "get-reference-value"]):
        rc, out, err = kbs_cli(*verb, "--help")
        check("cocoon kbs %s --help" % " ".join(verb), rc == 0 and "Usage:" in out, err)
    rcar_and_resources(kbs, url)
    failures(kbs, url)
    admin(kbs, url)
    https(kbs)
    tpm(kbs, url)
    srv.shutdown()


finish(main)
