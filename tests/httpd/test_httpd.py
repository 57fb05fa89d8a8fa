#!/usr/bin/env python3
"""lib/httpd against real clients over loopback (docs/httpd.md).

Starts httpd-test-server (test_server.c) with various options and drives it
with curl (HTTP and HTTPS, a test CA and server certificate made here with
the openssl CLI), `openssl s_client` and raw sockets: basic requests,
keep-alive, IPv6, TLS versions, the body and head caps (413, 431), a
slowloris head and a stalled body cut at their deadlines, the connection
cap (503), start-up errors (non-loopback plain HTTP, bad certificate and key
files, bad addresses, a port in use), graceful shutdown with a request in
flight and one cut at the end of the grace, the request parsers through the
server, and the debug log (no query, cookie or token in it).

Every server is stopped by PID. Usage: test_httpd.py PATH/TO/httpd-test-server
"""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SERVER = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="cocoon-httpd-")
FAILS = []
PROCS = []


def check(name, cond, detail=""):
    print(("ok - " if cond else "not ok - ") + name + ("" if cond else ": " + str(detail)))
    if not cond:
        FAILS.append(name)


# ---- the server ------------------------------------------------------------

class Server:
    def __init__(self, *args, expect_fail=False):
        self.err_path = os.path.join(TMP, "server-%d.err" % len(PROCS))
        self.err = open(self.err_path, "w")
        self.p = subprocess.Popen([SERVER] + list(args), stdout=subprocess.PIPE,
                                  stderr=self.err, text=True)
        PROCS.append(self.p)
        self.ports = []
        if expect_fail:
            self.p.wait(timeout=10)
            return
        line = self._line(10)
        if not line.startswith("ready"):
            raise RuntimeError("server did not start: %r %s" % (line, self.stderr()))
        self.ports = [int(x) for x in line.split()[1:]]
        self.port = self.ports[0]

    def _line(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        return self.p.stdout.readline().strip() if r else ""

    def stderr(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def stop(self, timeout=15):
        """SIGTERM; returns (the shutdown line, seconds until exit)."""
        t = time.time()
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return "killed", time.time() - t
        rest = self.p.stdout.read().strip()
        took = time.time() - t
        check("server %s exits 0" % os.path.basename(self.err_path), self.p.returncode == 0,
              "exit %s: %s" % (self.p.returncode, self.stderr()[-2000:]))
        return rest, took


def curl(*args, timeout=20):
    p = subprocess.run(["curl", "-sS", "--max-time", "15"] + list(args),
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def status_of(*args):
    rc, out, err = curl("-o", "/dev/null", "-w", "%{http_code}", *args)
    return out.decode()


def url(s, path, scheme="http", host="127.0.0.1", i=0):
    return "%s://%s:%d%s" % (scheme, host, s.ports[i], path)


def raw(port, data, read=True, timeout=5, host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    if data:
        s.sendall(data)
    if not read:
        return s
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    s.close()
    return out


def closed_within(sock, seconds):
    """Reads until EOF or reset; returns the time it took, None if the
    peer still had not closed after `seconds`."""
    t = time.time()
    sock.settimeout(0.2)
    while time.time() - t < seconds:
        try:
            if sock.recv(4096) == b"":
                return time.time() - t
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t
    return None


def trickle(port, first, piece, every, pieces=40):
    """Sends first, then piece(i) every `every` seconds: the seconds until
    the server cut the connection, None if it never did."""
    sock = raw(port, first, read=False)
    t = time.time()
    cut = None
    for i in range(pieces):
        try:
            sock.sendall(piece(i))
        except OSError:
            cut = time.time() - t
            break
        time.sleep(every)
    if cut is None:
        cut = closed_within(sock, 3)
    sock.close()
    return cut


# ---- certificates ----------------------------------------------------------

def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60)


def make_pki():
    d = os.path.join(TMP, "pki")
    os.mkdir(d)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "2", "-subj", "/CN=cocoon test CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", p("srv.key"), "-out", p("srv.csr"), "-subj", "/CN=localhost")
    with open(p("ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n")
    openssl("x509", "-req", "-in", p("srv.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-out", p("srv.pem"), "-days", "2", "-extfile", p("ext.cnf"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("other.key"),
            "-out", p("other.csr"), "-subj", "/CN=other")
    openssl("pkey", "-in", p("srv.key"), "-aes256", "-passout", "pass:secret",
            "-out", p("enc.key"))
    return p


# ---- cases -----------------------------------------------------------------

def test_startup_errors(pki):
    cases = [
        (["--listen", "0.0.0.0:0"], "0.0.0.0:0: plain HTTP is served on loopback addresses only"),
        (["--listen", "[::]:0"], "plain HTTP is served on loopback addresses only"),
        (["--listen", "127.0.0.1:0", "--cert", pki("nope.pem"), "--key", pki("srv.key")],
         "certificate %s: No such file or directory" % pki("nope.pem")),
        (["--listen", "127.0.0.1:0", "--cert", pki("srv.pem"), "--key", pki("nope.key")],
         "private key %s: No such file or directory" % pki("nope.key")),
        (["--listen", "127.0.0.1:0", "--cert", pki("srv.key"), "--key", pki("srv.key")],
         "certificate %s: not a PEM certificate chain" % pki("srv.key")),
        (["--listen", "127.0.0.1:0", "--cert", pki("srv.pem"), "--key", pki("other.key")],
         "private key %s does not match certificate %s" % (pki("other.key"), pki("srv.pem"))),
        (["--listen", "127.0.0.1:0", "--cert", pki("srv.pem"), "--key", pki("enc.key")],
         "private key %s: not an unencrypted PEM private key" % pki("enc.key")),
        (["--listen", "127.0.0.1:0", "--cert", pki("srv.pem")],
         "HTTPS needs both a certificate and a private key"),
        (["--listen", "127.0.0.1:0", "--cert", TMP, "--key", pki("srv.key")],
         "not a regular file"),
        (["--listen", "localhost:8080"], 'socket "localhost:8080": expected IPv4:port'),
        (["--listen", "127.0.0.1:65536"], "expected IPv4:port or [IPv6]:port"),
        (["--listen", "::1:80"], "expected IPv4:port or [IPv6]:port"),
    ]
    for args, want in cases:
        s = Server(*args, expect_fail=True)
        err = s.stderr()
        check("start-up error: " + want[:60], s.p.returncode == 1 and want in err,
              "rc=%s stderr=%r" % (s.p.returncode, err))
    # the same address twice: the second server must not share the port
    a = Server("--listen", "127.0.0.1:0")
    b = Server("--listen", "127.0.0.1:%d" % a.port, expect_fail=True)
    check("start-up error: port in use", b.p.returncode == 1 and "Address already in use" in
          b.stderr(), b.stderr())
    a.stop()
    # the explicit insecure flag allows a non-loopback address
    s = Server("--listen", "0.0.0.0:0", "--insecure")
    check("insecure_non_loopback serves plain HTTP on 0.0.0.0", status_of(url(s, "/hello")) == "200")
    s.stop()


def test_http_basic():
    s = Server("--listen", "127.0.0.1:0", "--listen", "[::1]:0", "--workers", "2")
    rc, out, err = curl("-i", url(s, "/hello"))
    check("GET /hello", rc == 0 and out.startswith(b"HTTP/1.1 200 OK") and
          out.endswith(b"\r\n\r\nhello\n"), out)
    rc, out, err = curl("-i", url(s, "/hello", host="[::1]", i=1))
    check("GET over IPv6 on the second socket", rc == 0 and b" 200 " in out.split(b"\r\n")[0])
    body = os.urandom(100000)
    path = os.path.join(TMP, "body.bin")
    with open(path, "wb") as f:
        f.write(body)
    rc, out, err = curl("-D", "-", "--data-binary", "@" + path, "-H",
                        "Content-Type: application/octet-stream", url(s, "/echo"))
    check("POST /echo returns the body", rc == 0 and out.endswith(body) and
          b"X-Body-Len: 100000" in out)
    rc, out, err = curl("-T", path, url(s, "/echo"))
    check("PUT /echo", rc == 0 and out == body)
    rc, out, err = curl("-v", url(s, "/hello"), url(s, "/hello"), url(s, "/hello"))
    check("keep-alive: three requests on one connection",
          rc == 0 and out == b"hello\n" * 3 and err.count("Re-using existing connection") == 2, err)
    rc, out, err = curl("-I", url(s, "/hello"))
    check("HEAD: 200 without a body", rc == 0 and out.startswith(b"HTTP/1.1 200") and
          out.endswith(b"\r\n\r\n") and b"hello" not in out, out)
    check("unknown path 404", status_of(url(s, "/nothing")) == "404")
    check("DELETE on /hello 405 (the handler's answer)",
          status_of("-X", "DELETE", url(s, "/hello")) == "405")
    out = raw(s.port, b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
    check("unknown method answered 501 by libevent", out.startswith(b"HTTP/1.1 501"), out[:40])
    out = raw(s.port, b"TRACE /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    check("TRACE answered 501 by libevent", out.startswith(b"HTTP/1.1 501"), out[:40])
    out = raw(s.port, b"GARBAGE\r\n\r\n")
    check("malformed request line 400", out.startswith(b"HTTP/1.1 400"), out[:40])
    out = raw(s.port, b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /path HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n\r\n")
    check("pipelined requests answered in order",
          out.count(b"HTTP/1.1 200 OK") == 2 and out.index(b"hello\n") < out.index(b"/path"),
          out)
    line, took = s.stop()
    check("stops on SIGTERM", line == "shutdown ok", line)


def test_https(pki):
    s = Server("--listen", "127.0.0.1:0", "--listen", "[::1]:0", "--cert", pki("srv.pem"),
               "--key", pki("srv.key"))
    ca = pki("ca.pem")
    rc, out, err = curl("--cacert", ca, url(s, "/hello", "https"))
    check("HTTPS GET with the test CA", rc == 0 and out == b"hello\n", err)
    rc, out, err = curl("--cacert", ca, url(s, "/hello", "https", "[::1]", 1))
    check("HTTPS over IPv6", rc == 0 and out == b"hello\n", err)
    rc, out, err = curl("-v", "--cacert", ca, url(s, "/hello", "https"), url(s, "/hello", "https"))
    check("HTTPS keep-alive", rc == 0 and "Re-using existing connection" in err, err)
    rc, out, err = curl("-v", "--cacert", ca, "--tls-max", "1.2", url(s, "/hello", "https"))
    check("TLS 1.2 accepted", rc == 0 and "TLSv1.2" in err, err)
    rc, out, err = curl("-v", "--cacert", ca, url(s, "/hello", "https"))
    check("TLS 1.3 by default", "TLSv1.3" in err, err)
    rc, out, err = curl("--cacert", ca, "--tlsv1.0", "--tls-max", "1.1", url(s, "/hello", "https"))
    check("TLS 1.1 refused", rc != 0, rc)
    rc, out, err = curl(url(s, "/hello", "https"))
    check("unknown CA refused by the client", rc == 60, err)
    rc, out, err = curl(url(s, "/hello"))
    check("plain HTTP on the HTTPS port is not served", rc != 0 and out == b"", out)
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % s.port,
                        "-tls1_2", "-cipher", "AES128-SHA", "-CAfile", ca],
                       input=b"", capture_output=True, timeout=20)
    check("a TLS 1.2 suite without forward secrecy is refused", p.returncode != 0,
          p.stdout[-300:])
    big = "a" * 5000
    rc, out, err = curl("--cacert", ca, "-o", "/dev/null", "-w", "%{http_code}",
                        "-H", "X-Big: " + big, url(s, "/hello", "https"))
    check("HTTPS head under the cap 200", out == b"200", out)
    s.stop()


def test_limits(pki):
    s = Server("--listen", "127.0.0.1:0", "--max-body", "1000", "--max-header", "4096",
               "--workers", "2")
    ok = os.path.join(TMP, "b1000")
    over = os.path.join(TMP, "b1001")
    huge = os.path.join(TMP, "b5m")
    with open(ok, "wb") as f:
        f.write(b"x" * 1000)
    with open(over, "wb") as f:
        f.write(b"x" * 1001)
    with open(huge, "wb") as f:
        f.write(b"x" * (5 << 20))
    check("body at the cap 200", status_of("--data-binary", "@" + ok, url(s, "/echo")) == "200")
    check("body one byte over 413", status_of("--data-binary", "@" + over, url(s, "/echo")) == "413")
    check("5 MiB body 413 (drained, not reset)",
          status_of("-H", "Expect:", "--data-binary", "@" + huge, url(s, "/echo")) == "413")
    check("chunked body over the cap 413",
          status_of("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + over,
                    url(s, "/echo")) == "413")
    rc, out, err = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + ok,
                        url(s, "/echo"))
    check("chunked body at the cap 200", out == b"x" * 1000, err)
    # head cap: request line + fields + line ends <= 4096
    small = "a" * 3800
    check("head under the cap 200", status_of("-H", "X-A: " + small, url(s, "/hello")) == "200")
    big = "a" * 5000
    rc, out, err = curl("-i", "-H", "X-A: " + big, url(s, "/hello"))
    check("head over the cap 431", out.startswith(b"HTTP/1.1 431 "), out[:60])
    many = []
    for i in range(200):
        many += ["-H", "X-F%d: %s" % (i, "v" * 20)]
    check("many small fields over the cap 431", status_of(*many, url(s, "/hello")) == "431")
    out = raw(s.port, b"GET /" + b"a" * 8000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check("request line over the cap 431", out.startswith(b"HTTP/1.1 431"), out[:40])
    # exact boundary: a head of exactly 4096 bytes passes, 4097 does not
    def head_of(n):
        base = b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-P: \r\n\r\n"
        return base.replace(b"X-P: ", b"X-P: " + b"p" * (n - len(base)))
    out = raw(s.port, head_of(4096))
    check("head of exactly 4096 bytes 200", out.startswith(b"HTTP/1.1 200"), out[:40])
    out = raw(s.port, head_of(4097))
    check("head of 4097 bytes 431", out.startswith(b"HTTP/1.1 431"), out[:40])
    check("server still serves after the caps", status_of(url(s, "/hello")) == "200")
    s.stop()
    s = Server("--listen", "127.0.0.1:0", "--max-header", "4096", "--cert", pki("srv.pem"),
               "--key", pki("srv.key"))
    rc, out, err = curl("-i", "--cacert", pki("ca.pem"), "-H", "X-A: " + big,
                        url(s, "/hello", "https"))
    check("HTTPS head over the cap 431", out.startswith(b"HTTP/1.1 431 "), (rc, out[:60], err))
    s.stop()


def test_deadlines():
    s = Server("--listen", "127.0.0.1:0", "--header-timeout", "1000", "--body-timeout", "1500")
    # slowloris: a field line every 200 ms never finishes the head
    cut = trickle(s.port, b"GET /hello HTTP/1.1\r\n", lambda i: b"X-%d: y\r\n" % i, 0.2)
    check("slowloris head cut at the 1 s head deadline", cut is not None and 0.8 <= cut <= 3.0,
          cut)
    # a head that never starts (and a TLS-less idle connection)
    sock = raw(s.port, b"", read=False)
    took = closed_within(sock, 4)
    sock.close()
    check("silent connection closed at the head deadline",
          took is not None and 0.8 <= took <= 2.5, took)
    # a body that stalls
    sock = raw(s.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
               read=False)
    took = closed_within(sock, 5)
    sock.close()
    check("stalled body cut at the 1.5 s body deadline", took is not None and 1.2 <= took <= 3.5,
          took)
    # a slow but steady body is cut at the body deadline too (a total)
    cut = trickle(s.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
                  lambda i: b"z", 0.1)
    check("trickled body cut at the body deadline", cut is not None and cut <= 4.0, cut)
    # idle keep-alive closes after the head deadline
    sock = raw(s.port, b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", read=False)
    first = sock.recv(4096)
    took = closed_within(sock, 4)
    sock.close()
    check("idle keep-alive closed after the head deadline",
          first.startswith(b"HTTP/1.1 200") and took is not None and took <= 2.5, took)
    check("server still serves after the deadlines", status_of(url(s, "/hello")) == "200")
    s.stop()


def test_connection_cap():
    s = Server("--listen", "127.0.0.1:0", "--max-conns", "3", "--workers", "2")
    held = [raw(s.port, b"", read=False) for _ in range(3)]
    time.sleep(0.2)
    extra = raw(s.port, b"", read=False)
    extra.settimeout(5)
    try:
        ans = extra.recv(4096)
    except OSError as e:
        ans = repr(e).encode()
    extra.close()
    check("connection over the cap answered 503", ans.startswith(b"HTTP/1.1 503 ") and
          b"Retry-After: 1" in ans, ans[:80])
    check("curl over the cap sees 503", status_of(url(s, "/hello")) == "503")
    for h in held:
        h.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answers = [h.recv(4096) for h in held]
    check("the held connections are served", all(a.startswith(b"HTTP/1.1 200") for a in answers),
          answers)
    for h in held:
        h.close()
    ok = False
    end = time.time() + 5
    while time.time() < end and not ok:
        ok = status_of(url(s, "/hello")) == "200"
        time.sleep(0.05)
    check("a slot freed is used again", ok)
    # far over the cap: 3 served (silent until they send), the next 64 (the
    # slack) answered 503 at once, the rest closed at once without a word
    time.sleep(0.3)
    many = [raw(s.port, b"", read=False) for _ in range(3 + 64 + 5)]
    time.sleep(0.7)
    kinds = {"503": 0, "closed": 0, "silent": 0, "other": 0}
    for m in many:
        m.setblocking(False)
        try:
            d = m.recv(4096)
            kinds["503" if d.startswith(b"HTTP/1.1 503") else "closed" if d == b"" else
                  "other"] += 1
        except BlockingIOError:
            kinds["silent"] += 1
        except OSError:
            kinds["closed"] += 1
        m.close()
    check("past the cap: 3 served, 64 answered 503, 5 closed",
          kinds == {"503": 64, "closed": 5, "silent": 3, "other": 0}, kinds)
    s.stop()


def test_tls_edges(pki):
    import ssl
    s = Server("--listen", "127.0.0.1:0", "--cert", pki("srv.pem"), "--key", pki("srv.key"),
               "--max-conns", "1", "--header-timeout", "1000")
    held = raw(s.port, b"", read=False)  # TCP only, never a ClientHello
    time.sleep(0.2)
    ctx = ssl.create_default_context(cafile=pki("ca.pem"))
    tls = ctx.wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=5),
                          server_hostname="localhost")
    ans = tls.recv(4096)
    tls.close()
    check("over the cap over TLS: 503 after the handshake", ans.startswith(b"HTTP/1.1 503"), ans)
    took = closed_within(held, 4)
    held.close()
    check("a connection that never starts TLS is cut at the head deadline",
          took is not None and took <= 2.5, took)
    check("the slot is free again", status_of("--cacert", pki("ca.pem"),
                                             url(s, "/hello", "https")) == "200")
    s.stop()


def test_shutdown():
    s = Server("--listen", "127.0.0.1:0", "--workers", "2", "--grace", "5000")
    slow = subprocess.Popen(["curl", "-sS", "--max-time", "15", "-w", " %{http_code}",
                             url(s, "/slow?ms=1500")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    PROCS.append(slow)
    time.sleep(0.4)
    s.p.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    rc, out, err = curl("--max-time", "3", url(s, "/hello"))
    check("no new request served once shutdown began", rc != 0 or out != b"hello\n", (rc, out))
    out, _ = slow.communicate(timeout=20)
    check("the request in flight finishes with 200", out.decode() == "slept\n 200", out)
    line, took = s.stop()
    check("shutdown ok (nothing cut)", line == "shutdown ok", line)
    # a request that never completes is cut at the end of the grace
    s = Server("--listen", "127.0.0.1:0", "--grace", "1000", "--body-timeout", "20000")
    sock = raw(s.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
               read=False)
    time.sleep(0.2)
    line, took = s.stop()
    sock.close()
    check("a stalled request is cut after the 1 s grace", line == "shutdown cut" and
          0.8 <= took <= 4.0, (line, took))
    # idle keep-alive connections do not hold shutdown up
    s = Server("--listen", "127.0.0.1:0", "--grace", "10000")
    sock = raw(s.port, b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", read=False)
    sock.recv(4096)
    line, took = s.stop()
    sock.close()
    check("idle keep-alive closed at once on shutdown", line == "shutdown ok" and took < 2,
          (line, took))


def test_parsers_through_server():
    s = Server("--listen", "127.0.0.1:0")
    rc, out, err = curl("-H", "Cookie: a=b; kbs-session-id=0123456789abcdef0123456789abcdef; c=d",
                        url(s, "/cookie"))
    check("kbs-session-id cookie found", out == b"0123456789abcdef0123456789abcdef", out)
    rc, out, err = curl("-H", "Cookie: a=b", "-H", "Cookie: kbs-session-id=\"00ff\"",
                        url(s, "/cookie"))
    check("cookie in a second Cookie field, quotes removed", out == b"00ff", out)
    check("no cookie 401", status_of(url(s, "/cookie")) == "401")
    check("malformed cookie 400", status_of("-H", "Cookie: novalue", url(s, "/cookie")) == "400")
    rc, out, err = curl("-H", "Authorization: Bearer abc.def-ghi_jkl~", url(s, "/bearer"))
    check("Bearer token", out == b"token of 16 bytes\n", out)
    rc, out, err = curl("-H", "Authorization: bearer   abc==", url(s, "/bearer"))
    check("bearer scheme in any case, trailing '='", out == b"token of 5 bytes\n", out)
    check("Basic is not Bearer 400",
          status_of("-H", "Authorization: Basic dXNlcjpwYXNz", url(s, "/bearer")) == "400")
    check("two Authorization fields 400",
          status_of("-H", "Authorization: Bearer a", "-H", "Authorization: Bearer b",
                    url(s, "/bearer")) == "400")
    check("no Authorization 401", status_of(url(s, "/bearer")) == "401")
    rc, out, err = curl(url(s, "/query?name=x%20y&x+y=v%26w%3D"))
    check("query parameter decoded", out == b"v&w=", out)
    check("query parameter twice 400", status_of(url(s, "/query?name=a&a=1&a=2")) == "400")
    rc, out, err = curl("--path-as-is", url(s, "/pa%74h"))
    check("path percent-decoded", out == b"/path", out)
    check("%00 in the path 400", status_of(url(s, "/pa%00th")) == "400")
    check("encoded slash in the path 400", status_of(url(s, "/a%2Fb")) == "400")
    check("bad escape in the path 400", status_of(url(s, "/a%zz")) == "400")
    rc, out, err = curl("-i", url(s, "/a%2Fb"))
    check("a 400 says why and closes", b"escaped '/'" in out and b"Connection: close" in out, out)
    out = raw(s.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
              b"Content-Length: 3\r\n\r\nabc")
    check("Content-Length twice 400", out.startswith(b"HTTP/1.1 400"), out[:60])
    out = raw(s.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    check("Content-Length with Transfer-Encoding 400", out.startswith(b"HTTP/1.1 400"), out[:60])
    rc, out, err = curl("-i", url(s, "/badstatus"))
    check("handler status 99 becomes 500 and its body is dropped",
          out.startswith(b"HTTP/1.1 500") and b"should not be seen" not in out, out)
    rc, out, err = curl("-i", url(s, "/badheader"))
    check("CR LF in a response header refused", b"refused" in out and b"Injected" not in out, out)
    rc, out, err = curl("-i", url(s, "/setcookie"))
    check("two Set-Cookie fields", out.count(b"Set-Cookie: ") == 2 and
          b"kbs-session-id=00ff; Expires=" in out, out)
    rc, out, err = curl(url(s, "/header?name=x-dup"), "-H", "X-Dup: 1", "-H", "X-Dup: 2")
    check("header lookup: first value and count", out == b"2 1\n", out)
    s.stop()


def test_log():
    s = Server("--listen", "127.0.0.1:0", "--verbose")
    secret = "s3cr3t-t0ken-value"
    curl("-H", "Authorization: Bearer " + secret, "-H", "Cookie: kbs-session-id=" + secret,
         url(s, "/bearer?token=" + secret))
    curl(url(s, "/pa%0d%0ath"))
    s.stop()
    log = s.stderr()
    check("one debug line per request: method, path, status, duration",
          re.search(r"debug: GET /bearer 200 [0-9.]+ ms", log) is not None, log)
    check("no token, cookie or query in the log", secret not in log, log)
    check("control characters in a logged path escaped", "/pa\\x0d\\x0ath 404" in log, log)


def sanitizer_reports():
    """Every server's stderr is free of ASan/UBSan/LSan reports."""
    bad = []
    for name in sorted(os.listdir(TMP)):
        if name.endswith(".err"):
            with open(os.path.join(TMP, name), errors="replace") as f:
                text = f.read()
            if re.search(r"Sanitizer|runtime error:", text):
                bad.append(name + ": " + text[-3000:])
    check("no sanitizer report from any server", not bad, "\n".join(bad))


def main():
    if shutil.which("curl") is None or shutil.which("openssl") is None:
        print("SKIP: needs curl and openssl")
        sys.exit(77)
    try:
        pki = make_pki()
        test_startup_errors(pki)
        test_http_basic()
        test_https(pki)
        test_limits(pki)
        test_deadlines()
        test_connection_cap()
        test_tls_edges(pki)
        test_shutdown()
        test_parsers_through_server()
        test_log()
        sanitizer_reports()
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(TMP, ignore_errors=True)
    if FAILS:
        print("%d failed: %s" % (len(FAILS), ", ".join(FAILS)))
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
