"""An independent KBS client for cocoon-kbs's tests (docs/kbs.md, "Tests").

Written from Trustee's wire format (../shared/reference/trustee.md §1),
not from cocoon's code: http.client for HTTP, its own JCS (json.dumps
with sorted keys and no spaces, which is RFC 8785 for the documents used
here: strings and small integers), hashlib for the runtime-data digest,
Debian's python3-jwcrypto for the tee key, the JWE decryption and the
EAR token's signature.

Also starts cocoon-kbs as a real process (KbsServer) and stops it by PID.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time

from jwcrypto import jwe as jjwe
from jwcrypto import jwk as jjwk
from jwcrypto import jws as jjws

PROTOCOL = "0.4.0"
ERR_PREFIX = "https://github.com/confidential-containers/kbs/errors/"


def b64(b):
    return base64.b64encode(b).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jcs(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class KbsServer:
    """cocoon-kbs on 127.0.0.1 with an ephemeral port."""

    def __init__(self, exe, state_dir, config=None, extra=(), env=None, log_level="debug"):
        self.exe, self.state_dir, self.config = exe, state_dir, config
        self.extra, self.env, self.log_level = list(extra), env, log_level
        self.proc, self.port, self.lines = None, None, []
        self._lock = threading.Lock()
        # exit statuses of every run that was not meant to fail
        self.exits = []

    def start(self, timeout=20, expect_fail=False):
        cmd = [self.exe, "--state-dir", self.state_dir, "--log-level", self.log_level]
        if self.config is not None:
            cmd += ["--config", self.config]
        else:
            cmd += ["--listen", "127.0.0.1:0"]
        cmd += self.extra
        self.lines = []
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=self.env, text=True)
        ready = threading.Event()

        def reader(p):
            for line in p.stderr:
                with self._lock:
                    self.lines.append(line.rstrip("\n"))
                m = re.search(r"event=listening socket=\S+ port=(\d+)", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        self.port = None
        self._thread = threading.Thread(target=reader, args=(self.proc,), daemon=True)
        self._thread.start()
        ready.wait(timeout)
        if expect_fail:
            rc = self.proc.wait(timeout)
            self._thread.join(5)
            self.proc = None
            return rc
        if self.port is None:
            self.stop()
            raise RuntimeError("cocoon-kbs did not start:\n" + "\n".join(self.lines))
        return self

    def log(self):
        with self._lock:
            return "\n".join(self.lines)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            rc = self.proc.wait(timeout)
        self._thread.join(5)
        self.proc = None
        if sig == signal.SIGTERM:
            self.exits.append(rc)
        return rc

    def client(self, **kw):
        return KbsClient("127.0.0.1", self.port, **kw)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def error(self):
        """(variant, detail) of a Trustee error body."""
        j = self.json()
        assert set(j) == {"type", "detail"}, j
        assert j["type"].startswith(ERR_PREFIX), j
        return j["type"][len(ERR_PREFIX):], j["detail"]

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


class KbsClient:
    """One client: a cookie jar of one kbs-session-id, and a tee key."""

    def __init__(self, host, port, admin_token=None, tee_key=None):
        self.host, self.port, self.admin_token = host, port, admin_token
        self.cookie = None
        self.key = tee_key or jjwk.JWK.generate(kty="EC", crv="P-256")

    def request(self, method, path, body=None, headers=None, cookie=True):
        h = dict(headers or {})
        if cookie and self.cookie is not None:
            h["Cookie"] = "kbs-session-id=" + self.cookie
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            resp = Response(r.status, r.getheaders(), data)
        finally:
            c.close()
        for k, v in resp.headers:
            if k.lower() == "set-cookie":
                m = re.match(r"kbs-session-id=([0-9a-f]{32}); Expires=(.+)$", v)
                assert m, "bad Set-Cookie: " + v
                self.cookie = m.group(1)
                resp.cookie_expires = m.group(2)
        return resp

    def admin(self, method, path, body=None, token=None):
        tok = token if token is not None else self.admin_token
        h = {"Authorization": "Bearer " + tok} if tok else {}
        return self.request(method, path, body, headers=h, cookie=False)

    # ---- RCAR ----------------------------------------------------------

    def tee_pubkey(self):
        pub = json.loads(self.key.export_public())
        return {"kty": "EC", "crv": pub["crv"], "alg": "ECDH-ES+A256KW",
                "x": pub["x"], "y": pub["y"]}

    def auth(self, tee="sample", version=PROTOCOL):
        return self.request("POST", "/kbs/v0/auth", {
            "version": version, "tee": tee,
            "extra-params": {"supported-hash-algorithms": ["sha384", "sha256"]}})

    def report_data(self, nonce, tee_pubkey=None, additional=""):
        rd = {"tee-pubkey": tee_pubkey or self.tee_pubkey(), "nonce": nonce,
              "additional-evidence": additional}
        return hashlib.sha384(jcs(rd).encode()).digest()

    def attestation(self, nonce, evidence, init_data=None, tee_pubkey=None):
        return {"init-data": {"format": "toml", "body": init_data} if init_data else None,
                "runtime-data": {"nonce": nonce, "tee-pubkey": tee_pubkey or self.tee_pubkey()},
                "tee-evidence": {"primary_evidence": evidence, "additional_evidence": ""}}

    def sample_evidence(self, nonce, svn="1"):
        return {"svn": svn, "report_data": b64(self.report_data(nonce))}

    def attest(self, evidence=None, nonce=None, init_data=None, body=None):
        if body is None:
            body = self.attestation(nonce, evidence, init_data)
        return self.request("POST", "/kbs/v0/attest", body)

    def rcar(self, init_data=None):
        """auth + attest with sample evidence; returns the EAR token."""
        r = self.auth()
        assert r.status == 200, r
        nonce = r.json()["nonce"]
        r = self.attest(self.sample_evidence(nonce), nonce, init_data=init_data)
        assert r.status == 200, r
        return r.json()["token"]

    def get_resource(self, path, bearer=None, cookie=True):
        h = {"Authorization": "Bearer " + bearer} if bearer else {}
        return self.request("GET", "/kbs/v0/resource/" + path, headers=h, cookie=cookie)

    def decrypt(self, resp):
        """The plaintext of a resource response (flattened JSON JWE)."""
        body = resp.json()
        assert set(body) == {"protected", "encrypted_key", "iv", "ciphertext", "tag"}, body
        hdr = json.loads(b64url_dec(body["protected"]))
        # the header as serde_json writes kbs-types' ProtectedHeader
        assert list(hdr) == ["alg", "enc", "epk"], hdr
        assert list(hdr["epk"]) == ["crv", "kty", "x", "y"], hdr
        e = jjwe.JWE()
        e.deserialize(resp.body.decode(), key=self.key)
        return e.payload


def ear_verify(token, signer_pem):
    """Verifies an EAR token with jwcrypto: the header's jwk must be the
    KBS's signer (signer_pem); returns (header, claims)."""
    hdr = json.loads(b64url_dec(token.split(".")[0]))
    assert hdr["typ"] == "JWT" and hdr["alg"] == "ES256", hdr
    signer = jjwk.JWK.from_pem(signer_pem)
    header_key = jjwk.JWK(**hdr["jwk"])
    assert header_key.thumbprint() == signer.thumbprint(), "header jwk is not the signer"
    s = jjws.JWS()
    s.deserialize(token)
    s.verify(signer, alg="ES256")
    return hdr, json.loads(s.payload)


def sample_rv_message(values):
    """An RVPS registration message of the sample provider (§3.6)."""
    return {"version": "0.1.0", "type": "sample", "payload": b64(json.dumps(values).encode())}


def policy_body(rego):
    return {"policy": b64url(rego.encode())}
