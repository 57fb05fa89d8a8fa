#!/usr/bin/env python3
"""Integration tests of the registry client and `cocoon image copy`.

Real peers, started here and stopped by PID: docker-registry (plain HTTP,
TLS with htpasswd Basic auth, and token auth with a token server written
below), umoci (builds the test image), skopeo (pushes it, and reads what
cocoon writes). A hostile registry (written below) answers with wrong
digests, endless or stalled bodies, redirects, wrong media types, truncated
and flaky transfers; each must give a clear error and write nothing.

Usage: test_registry.py COCOON   (run by meson; needs root for umoci)
"""
import base64
import gzip
import hashlib
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from itlib import (FAILS, PASSES, PROCS, TMP, check, finish, free_port, index_refs,  # noqa: E402,F401
                   manifest_digest, run, serve, sh, start_registry, wait_port)

COCOON = os.path.abspath(sys.argv[1])


def cocoon(*args, env=None):
    return run(COCOON, "image", "copy", "-q", *args, env=env)


# ---- certificates ---------------------------------------------------------

def make_certs():
    d = os.path.join(TMP, "certs")
    os.makedirs(d)
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
       "-subj", "/CN=cocoon test CA", "-keyout", d + "/ca.key", "-out", d + "/ca.crt",
       "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
       "-keyout", d + "/server.key", "-out", d + "/server.csr")
    with open(d + "/ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    sh("openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey",
       d + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile", d + "/ext", "-out", d + "/server.crt")
    # token signing key: self-signed, trusted by the token registry
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
       "-subj", "/CN=token signer", "-keyout", d + "/token.key", "-out", d + "/token.crt")
    certdir = os.path.join(TMP, "certs.d")
    os.makedirs(certdir)
    shutil.copy(d + "/ca.crt", certdir + "/ca.crt")
    return d, certdir


# ---- token server -----------------------------------------------------------

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class TokenHandler(http.server.BaseHTTPRequestHandler):
    certs = None
    calls = 0

    def log_message(self, *a):
        pass

    def do_GET(self):
        TokenHandler.calls += 1
        auth = self.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(b"tokuser:tokpass").decode():
            self.send_response(401)
            self.end_headers()
            return
        from urllib.parse import urlparse, parse_qs
        q = parse_qs(urlparse(self.path).query)
        scope = q.get("scope", [""])[0]
        typ, name, actions = scope.split(":")
        der = subprocess.run(["openssl", "x509", "-in", self.certs + "/token.crt", "-outform", "DER"],
                             capture_output=True, check=True).stdout
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": "cocoon-test-issuer", "sub": "tokuser", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(now) + str(self.calls),
                  "access": [{"type": typ, "name": name, "actions": actions.split(",")}]}
        signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.certs + "/token.key"],
                             input=signing.encode(), capture_output=True, check=True).stdout
        body = json.dumps({"token": signing + "." + b64url(sig), "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# ---- test image ---------------------------------------------------------------

def build_image():
    lay = os.path.join(TMP, "src")
    b = os.path.join(TMP, "bundle")
    sh("umoci", "init", "--layout", lay)
    sh("umoci", "new", "--image", lay + ":t")
    sh("umoci", "unpack", "--image", lay + ":t", b)
    os.makedirs(b + "/rootfs/etc", exist_ok=True)
    with open(b + "/rootfs/etc/hello", "w") as f:
        f.write("hello\n")
    with open(b + "/rootfs/data", "wb") as f:
        f.write(os.urandom(300 * 1024))
    sh("umoci", "repack", "--image", lay + ":t", b)
    shutil.rmtree(b)
    sh("umoci", "unpack", "--image", lay + ":t", b)
    os.remove(b + "/rootfs/data")
    with open(b + "/rootfs/two", "w") as f:
        f.write("two\n")
    sh("umoci", "repack", "--image", lay + ":t", b)
    sh("umoci", "config", "--image", lay + ":t", "--config.cmd", "/bin/sh")
    return lay


# ---- hostile registry -------------------------------------------------------------

def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def make_layer(content):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        info = tarfile.TarInfo("file")
        info.size = len(content)
        t.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0), raw.getvalue()


LAYER, LAYER_TAR = make_layer(os.urandom(200 * 1024))
CONFIG = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": [sha(LAYER_TAR)]}}).encode()


def manifest_for(layer_size=None, config_size=None, ctype="application/vnd.oci.image.manifest.v1+json"):
    return json.dumps({
        "schemaVersion": 2, "mediaType": ctype,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(CONFIG),
                   "size": config_size if config_size is not None else len(CONFIG)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(LAYER),
                    "size": layer_size if layer_size is not None else len(LAYER)}]}).encode()


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    other_port = 0
    counts = {}
    lock = threading.Lock()

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/octet-stream", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path
        if p == "/v2/":
            return self.send(200, b"{}", "application/json")
        parts = p.split("/")
        # /v2/<scenario>/img/{manifests|blobs}/<ref>
        if len(parts) != 6:
            return self.send(404)
        scen, kind, ref = parts[2], parts[4], parts[5]
        mt = "application/vnd.oci.image.manifest.v1+json"
        if kind == "manifests":
            if scen == "redirect-manifest":
                return self.send(307, headers=[("Location", "http://127.0.0.1:%d/v2/ok/img/manifests/t" % self.other_port)])
            if scen == "mediatype":
                return self.send(200, manifest_for(), "application/vnd.oci.image.index.v1+json")
            if scen == "flaky" and self.count("flaky-m") < 3:
                return self.send(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}', "application/json")
            if scen == "hugemanifest":
                return self.send(200, b" " * (5 * 1024 * 1024) + manifest_for(), mt)
            if scen == "bigconfig":
                return self.send(200, manifest_for(config_size=9 * 1024 * 1024), mt)
            if scen == "shortdesc":
                return self.send(200, manifest_for(layer_size=len(LAYER) - 10), mt)
            if scen == "missing":
                return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', "application/json")
            return self.send(200, manifest_for(), mt)
        if ref == sha(CONFIG):
            return self.send(200, CONFIG)
        if ref != sha(LAYER):
            return self.send(404)
        if scen == "digest":
            bad = bytearray(LAYER)
            bad[100] ^= 1
            return self.send(200, bytes(bad))
        if scen == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                chunk = b"x" * 65536
                for _ in range(10000):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass
            return
        if scen == "slow":
            self.send_response(200)
            self.send_header("Content-Length", str(len(LAYER)))
            self.end_headers()
            self.wfile.write(LAYER[:1000])
            self.wfile.flush()
            time.sleep(8)
            return
        if scen == "redirect-blob":
            return self.send(307, headers=[("Location", "http://127.0.0.1:%d/v2/digest/img/blobs/%s" % (self.other_port, ref))])
        if scen == "redirect-blob-ok":
            return self.send(307, headers=[("Location", "http://127.0.0.1:%d/v2/ok/img/blobs/%s" % (self.other_port, ref))])
        if scen == "truncate-resume":
            rng = self.headers.get("Range")
            if rng is None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(LAYER)))
                self.end_headers()
                self.wfile.write(LAYER[:len(LAYER) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            start = int(rng.split("=")[1].split("-")[0])
            body = LAYER[start:]
            return self.send(206, body, headers=[("Content-Range", "bytes %d-%d/%d" % (start, len(LAYER) - 1, len(LAYER)))])
        if scen == "truncate-always":
            self.send_response(200)
            self.send_header("Content-Length", str(len(LAYER)))
            self.end_headers()
            self.wfile.write(LAYER[:1000])
            self.close_connection = True
            return
        return self.send(200, LAYER)


def hostile_tests():
    srv, port = serve(Hostile)
    other, oport = serve(Hostile)
    Hostile.other_port = oport
    cases = [
        ("ok", 0, None),
        ("digest", 1, "digest mismatch"),
        ("endless", 1, "more than the %d bytes its descriptor gives" % len(LAYER)),
        ("slow", 1, "Operation too slow"),
        ("redirect-manifest", 1, "do not follow redirects"),
        ("redirect-blob", 1, "digest mismatch"),
        ("redirect-blob-ok", 0, None),
        ("mediatype", 1, "the registry sent it as application/vnd.oci.image.index.v1+json but its mediaType is"),
        ("flaky", 0, None),
        ("hugemanifest", 1, "answer larger than"),
        ("bigconfig", 1, "more than"),
        ("shortdesc", 1, "more than the %d bytes its descriptor gives" % (len(LAYER) - 10)),
        ("truncate-resume", 0, None),
        ("truncate-always", 1, "bytes remaining to read"),
        ("missing", 1, "HTTP 404 MANIFEST_UNKNOWN: manifest unknown"),
    ]
    try:
        for scen, want_rc, want_msg in cases:
            out = os.path.join(TMP, "hostile-" + scen)
            t0 = time.time()
            rc, so, se = cocoon("--src-tls-verify=false", "--idle-timeout", "2", "--retries", "2",
                                "docker://127.0.0.1:%d/%s/img:t" % (port, scen), "oci:%s:t" % out)
            took = time.time() - t0
            ok = rc == want_rc and (want_msg is None or want_msg in se)
            check("hostile registry: %s -> %s" % (scen, "copied" if want_rc == 0 else "clear error"), ok,
                  "rc=%d stderr=%s" % (rc, se.strip()[:400]))
            if want_rc != 0:
                check("hostile registry: %s wrote no image" % scen, "t" not in index_refs(out))
            check("hostile registry: %s finished in bounded time" % scen, took < 30, "%.1fs" % took)
        check("flaky registry was retried", Hostile.counts.get("flaky-m", 0) == 3,
              str(Hostile.counts))
    finally:
        srv.shutdown()
        other.shutdown()


# ---- main ------------------------------------------------------------------------

def main():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt
    certs, certdir = make_certs()
    src = build_image()
    src_digest = manifest_digest(src, "t")

    # 1. plain registry: skopeo pushes, cocoon copies out, back in, and across
    plain = start_registry("plain", lambda p: {})
    sh("skopeo", "copy", "--dest-tls-verify=false", "oci:%s:t" % src, "docker://127.0.0.1:%d/test/bb:plain" % plain)
    out = os.path.join(TMP, "out1")
    rc, so, se = cocoon("--src-tls-verify=false", "docker://127.0.0.1:%d/test/bb:plain" % plain, "oci:%s:bb" % out)
    check("registry -> oci layout", rc == 0, se)
    check("manifest digest kept", manifest_digest(out, "bb") == src_digest)
    rc, so, se = run("umoci", "unpack", "--image", out + ":bb", os.path.join(TMP, "b1"))
    check("umoci unpacks what cocoon wrote", rc == 0, se)
    check("unpacked content", open(os.path.join(TMP, "b1/rootfs/two")).read() == "two\n")
    rc, so, se = cocoon("--dest-tls-verify=false", "oci:%s:bb" % out, "docker://127.0.0.1:%d/test/pushed:v1" % plain)
    check("oci layout -> registry", rc == 0, se)
    rc, so, se = run("skopeo", "inspect", "--tls-verify=false", "docker://127.0.0.1:%d/test/pushed:v1" % plain)
    check("skopeo reads what cocoon pushed", rc == 0 and json.loads(so)["Digest"] == src_digest, se)
    rc, so, se = cocoon("--src-tls-verify=false", "--dest-tls-verify=false",
                        "docker://127.0.0.1:%d/test/pushed:v1" % plain, "docker://127.0.0.1:%d/other/copy@%s" % (plain, src_digest))
    check("registry -> registry by digest", rc == 0, se)
    rc, so, se = cocoon("docker://127.0.0.1:%d/test/bb:plain" % plain, "oci:%s:x" % os.path.join(TMP, "o2"))
    check("plain http refused without --src-tls-verify=false", rc != 0 and "unreachable" in se, se)
    rc, so, se = cocoon("--src-tls-verify=false", "docker://127.0.0.1:%d/test/nothere:x" % plain, "oci:%s:x" % os.path.join(TMP, "o3"))
    check("unknown image: clear error", rc != 0 and "MANIFEST_UNKNOWN" in se and "nothere" in se, se)

    # 2. TLS + htpasswd (Basic)
    with open(os.path.join(TMP, "htpasswd"), "w") as f:
        f.write("alice:" + crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)) + "\n")
    basic = start_registry("basic", lambda p: {
        "http": {"tls": {"certificate": certs + "/server.crt", "key": certs + "/server.key"}},
        "auth": {"htpasswd": {"realm": "basic-realm", "path": os.path.join(TMP, "htpasswd")}}})
    sh("skopeo", "copy", "--dest-cert-dir", certdir, "--dest-creds", "alice:s3cret",
       "oci:%s:t" % src, "docker://127.0.0.1:%d/test/bb:tls" % basic)
    ref = "docker://127.0.0.1:%d/test/bb:tls" % basic
    rc, so, se = cocoon("--src-cert-dir", certdir, "--src-creds", "alice:s3cret", ref, "oci:%s:x" % os.path.join(TMP, "o4"))
    check("TLS + Basic auth with --src-creds", rc == 0, se)
    rc, so, se = cocoon("--src-cert-dir", certdir, ref, "oci:%s:x" % os.path.join(TMP, "o5"),
                        env={"REGISTRY_AUTH_FILE": "/nonexistent"})
    check("Basic auth without credentials: clear error", rc != 0 and "wants a user name and password" in se, se)
    rc, so, se = cocoon("--src-cert-dir", certdir, "--src-creds", "alice:wrong", ref, "oci:%s:x" % os.path.join(TMP, "o6"))
    check("wrong password: HTTP 401", rc != 0 and "HTTP 401" in se, se)
    check("the password is not in the error", "wrong" not in se and "s3cret" not in se)
    authfile = os.path.join(TMP, "auth.json")
    with open(authfile, "w") as f:
        json.dump({"auths": {"127.0.0.1:%d" % basic: {"auth": base64.b64encode(b"alice:s3cret").decode()}}}, f)
    rc, so, se = cocoon("--src-cert-dir", certdir, ref, "oci:%s:x" % os.path.join(TMP, "o7"),
                        env={"REGISTRY_AUTH_FILE": authfile})
    check("credentials from REGISTRY_AUTH_FILE", rc == 0, se)
    rc, so, se = cocoon("--src-creds", "alice:s3cret", ref, "oci:%s:x" % os.path.join(TMP, "o8"))
    check("untrusted certificate refused", rc != 0 and "unreachable" in se, se)
    rc, so, se = cocoon("--src-tls-verify=false", "--src-creds", "alice:s3cret", ref, "oci:%s:x" % os.path.join(TMP, "o9"))
    check("--src-tls-verify=false accepts the certificate", rc == 0, se)

    # 3. token auth
    TokenHandler.certs = certs
    tsrv, tport = serve(TokenHandler)
    try:
        tok = start_registry("token", lambda p: {"auth": {"token": {
            "realm": "http://127.0.0.1:%d/token" % tport, "service": "cocoon-test-registry",
            "issuer": "cocoon-test-issuer", "rootcertbundle": certs + "/token.crt"}}})
        tref = "docker://127.0.0.1:%d/test/bb:tok" % tok
        rc, so, se = cocoon("--dest-tls-verify=false", "--dest-creds", "tokuser:tokpass", "oci:%s:t" % src, tref)
        check("token auth: push (pull,push scope)", rc == 0, se)
        rc, so, se = cocoon("--src-tls-verify=false", "--src-creds", "tokuser:tokpass", tref,
                            "oci:%s:x" % os.path.join(TMP, "o10"))
        check("token auth: pull", rc == 0, se)
        out10 = os.path.join(TMP, "o10")
        check("token auth: digest kept", manifest_digest(out10, "x") == src_digest)
        rc, so, se = run("skopeo", "inspect", "--tls-verify=false", "--creds", "tokuser:tokpass", tref)
        check("skopeo reads what cocoon pushed with a token", rc == 0, se)
        rc, so, se = cocoon("--src-tls-verify=false", "--src-creds", "tokuser:bad", tref,
                            "oci:%s:x" % os.path.join(TMP, "o11"))
        check("token server refuses bad credentials: clear error", rc != 0 and "token server" in se, se)
    finally:
        tsrv.shutdown()

    # 4. hostile registry
    hostile_tests()


finish(main)
