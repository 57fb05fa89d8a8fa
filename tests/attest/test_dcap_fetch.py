#!/usr/bin/env python3
"""dcap_collateral_fetch against a loopback PCCS (no network).

Usage: test_dcap_fetch.py FETCH_TOOL COCOON DATA_DIR MAKE_DCAP_PKI

Starts this script with --serve as a PCCS on 127.0.0.1 (PCS v4 paths and
issuer-chain headers, URL-encoded PEM as PCS sends them) serving the DCAP
vector's collateral, and checks: the fetched collateral equals the
vector's byte for byte and `cocoon evidence verify` finds it UpToDate; a
404 is an error; with a cache directory, collateral that is still valid
is answered from the cache once the server is stopped, and stale
collateral (the vector's, from 2025) is never used from the cache.
Every server started is stopped by its PID.
"""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

AT = 1757462400
FMSPC = "20a06f000000"


def serve(root):
    """A minimal PCCS over the files of ROOT; prints its port."""
    def load(name):
        with open(os.path.join(root, name), "rb") as f:
            return f.read()

    routes = {
        "/tdx/certification/v4/tcb": ("tcb.json", "TCB-Info-Issuer-Chain", "tcb.chain"),
        "/tdx/certification/v4/qe/identity": ("qe.json", "SGX-Enclave-Identity-Issuer-Chain",
                                              "qe.chain"),
        "/sgx/certification/v4/pckcrl": ("pckcrl.der", "SGX-PCK-CRL-Issuer-Chain", "pckcrl.chain"),
        "/sgx/certification/v4/rootcacrl": ("rootcrl.hex", None, None),
    }

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(u.query)
            with open(os.path.join(root, "requests.log"), "a") as log:
                log.write(self.path + "\n")
            r = routes.get(u.path)
            if r is None or (u.path.endswith("/tcb") and q.get("fmspc") != [FMSPC]) or \
                    (u.path.endswith("pckcrl") and q.get("ca") != ["platform"]):
                self.send_error(404)
                return
            body = load(r[0])
            self.send_response(200)
            if r[1]:
                chain = load(r[2]).decode()
                self.send_header(r[1], urllib.parse.quote(chain, safe=""))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


def write_site(site, c, tcb_info, qe_identity, pck_crl_der, root_crl_hex):
    os.makedirs(site, exist_ok=True)
    files = {
        "tcb.json": '{"tcbInfo":%s,"signature":"%s"}' % (tcb_info, c["tcb_info_signature"]),
        "qe.json": '{"enclaveIdentity":%s,"signature":"%s"}' % (qe_identity,
                                                               c["qe_identity_signature"]),
        "tcb.chain": c["tcb_info_issuer_chain"],
        "qe.chain": c["qe_identity_issuer_chain"],
        "pckcrl.chain": c["pck_crl_issuer_chain"],
        "rootcrl.hex": root_crl_hex,
    }
    for name, text in files.items():
        with open(os.path.join(site, name), "w") as f:
            f.write(text)
    with open(os.path.join(site, "pckcrl.der"), "wb") as f:
        f.write(pck_crl_der)


class Server:
    def __init__(self, site):
        self.p = subprocess.Popen([sys.executable, __file__, "--serve", site],
                                  stdout=subprocess.PIPE, text=True)
        self.url = "http://127.0.0.1:%d" % int(self.p.stdout.readline())

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=10)
        self.p.stdout.close()


def fetch(tool, url, cache, fmspc=FMSPC):
    return subprocess.run([tool, url, fmspc, "0", "1", cache or "-"], capture_output=True,
                          text=True, timeout=120)


def check(cond, what):
    if not cond:
        sys.exit("test_dcap_fetch: " + what)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
        return
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    tool, cocoon, data, make_pki = sys.argv[1:]
    with open(os.path.join(data, "quote_collateral.json")) as f:
        c = json.load(f)
    with tempfile.TemporaryDirectory(prefix="cocoon-dcap-fetch.") as tmp:
        real = os.path.join(tmp, "real")
        write_site(real, c, c["tcb_info"], c["qe_identity"], bytes.fromhex(c["pck_crl"]),
                   c["root_ca_crl"])
        srv = Server(real)
        try:
            p = fetch(tool, srv.url, None)
            check(p.returncode == 0, "fetch: " + p.stderr)
            got = json.loads(p.stdout)
            for k, v in c.items():
                check(got.get(k, "").lower() == v.lower(), f"fetched {k} differs from the vector")
            out = os.path.join(tmp, "fetched.json")
            with open(out, "w") as f:
                f.write(p.stdout)
            v = subprocess.run([cocoon, "evidence", "verify", "--tee", "tdx", "--evidence",
                                os.path.join(data, "quote_hex.txt"), "--collateral", out,
                                "--at", str(AT)], capture_output=True, text=True, timeout=60)
            check(v.returncode == 0 and json.loads(v.stdout)["tcb_status"] == "UpToDate",
                  "fetched collateral does not verify: " + v.stderr)
            p = fetch(tool, srv.url, None, fmspc="00906ed50000")
            check(p.returncode == 1 and "HTTP status 404" in p.stderr, "404: " + p.stderr)
            stale = os.path.join(tmp, "cache-stale")
            p = fetch(tool, srv.url, stale)
            check(p.returncode == 0 and os.listdir(stale), "fetch into the cache: " + p.stderr)
        finally:
            srv.stop()
        p = fetch(tool, srv.url, stale)
        check(p.returncode == 1 and "collateral fetch" in p.stderr,
              "stale cached collateral was used: " + p.stderr + p.stdout)

        # Collateral still valid today (the signatures do not matter to the
        # cache): a second fetch is answered from the cache, the server gone.
        pki = os.path.join(tmp, "pki")
        os.mkdir(pki)
        subprocess.run([sys.executable, make_pki, pki], check=True)
        with open(os.path.join(pki, "pck_crl_far.der"), "rb") as f:
            pck_far = f.read()
        with open(os.path.join(pki, "root_crl_far.der"), "rb") as f:
            root_far = f.read().hex()
        fresh = os.path.join(tmp, "fresh")
        write_site(fresh, c,
                   c["tcb_info"].replace('"nextUpdate":"2025-10-02', '"nextUpdate":"2038-10-02'),
                   c["qe_identity"].replace('"nextUpdate":"2025-10-02', '"nextUpdate":"2038-10-02'),
                   pck_far, root_far)
        cache = os.path.join(tmp, "cache")
        srv = Server(fresh)
        try:
            p1 = fetch(tool, srv.url, cache)
            check(p1.returncode == 0, "fetch (fresh): " + p1.stderr)
        finally:
            srv.stop()
        with open(os.path.join(fresh, "requests.log")) as f:
            check(len(f.read().splitlines()) == 4, "a fetch is not 4 requests")
        p2 = fetch(tool, srv.url, cache)
        check(p2.returncode == 0 and p2.stdout == p1.stdout,
              "the cache did not answer: " + p2.stderr)
    print("test_dcap_fetch: ok")


if __name__ == "__main__":
    main()
