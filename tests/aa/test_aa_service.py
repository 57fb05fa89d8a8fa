#!/usr/bin/env python3
"""cocoon-aa's ttrpc service (docs/aa.md) driven by a real ttrpc client
(tests/ttrpc's ttrpc-peer, lib/ttrpc's client) with the sample attester,
against a real cocoon-kbs on loopback:

  - GetTeeType "sample", GetAdditionalTees [], GetAdditionalEvidence empty;
  - GetEvidence round trip: the report data of a KBS challenge passed raw,
    the evidence sent to cocoon-kbs's /attest, whose sample verifier
    accepts it (a token comes back);
  - GetToken "kbs": {"token","tee_keypair"}, the token verified with the
    KBS's signer key (jwcrypto), its tee-pubkey the key handed out; a
    second GetToken is the same token and costs no RCAR (KBS metrics);
    "coco_as" and unknown types refused with their texts;
  - ExtendRuntimeMeasurement: OK, the AAEL record on disk (TCG2 form, text
    and SHA-384 digest); a newline in Content refused; NOT_ENABLED when
    the eventlog is off;
  - BindInitData NOT_FOUND "/attestation_agent.AttestationAgentService/
    BindInitData is not supported" as ttrpc-aa answers.

Usage: test_aa_service.py COCOON_KBS COCOON_AA TTRPC_PEER. Every process
started is stopped by PID."""
import base64
import hashlib
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ttrpc"))
from aalib import rcars, start_kbs  # noqa: E402
from kbsclient import b64url_dec, ear_verify  # noqa: E402
from ttrpcwire import fbytes, fvarint  # noqa: E402
from jwcrypto import jwk as jjwk  # noqa: E402

KBS, AA, PEER = sys.argv[1], sys.argv[2], sys.argv[3]
SVC = "attestation_agent.AttestationAgentService"
FAILS = []


def check(name, cond, detail=""):
    print("%s: %s" % ("PASS" if cond else "FAIL", name))
    if not cond:
        FAILS.append(name)
        if detail:
            print("   ", str(detail)[:3000])


def fields(b):
    """{field number: [values]} of a protobuf message (varints, bytes)."""
    out, i = {}, 0

    def varint():
        nonlocal i
        n = s = 0
        while True:
            c = b[i]
            i += 1
            n |= (c & 0x7F) << s
            s += 7
            if not c & 0x80:
                return n
    while i < len(b):
        key = varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            out.setdefault(num, []).append(varint())
        elif wt == 2:
            n = varint()
            out.setdefault(num, []).append(bytes(b[i:i + n]))
            i += n
        else:
            raise ValueError("wire type %d" % wt)
    return out


class Agent:
    def __init__(self, tmp, name, config):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.cfg = os.path.join(self.dir, "aa.toml")
        with open(self.cfg, "w") as f:
            f.write(config)
        self.sock = os.path.join(self.dir, "run", "aa.sock")
        self.evdir = os.path.join(self.dir, "aael")
        self.lines = []
        self.proc = subprocess.Popen(
            [AA, "-c", self.cfg, "--attestation_sock", "unix://" + self.sock, "--tee", "sample",
             "--eventlog-dir", self.evdir], stderr=subprocess.PIPE, text=True)
        ready = threading.Event()

        def reader():
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))
                if "listening on" in line:
                    ready.set()
            ready.set()
        threading.Thread(target=reader, daemon=True).start()
        ready.wait(30)
        if not os.path.exists(self.sock):
            self.stop()
            raise RuntimeError("cocoon-aa did not start:\n" + "\n".join(self.lines))

    def call(self, method, payload=b""):
        """("OK", bytes) or (CODE_NAME, message)."""
        args = [PEER, "call", self.sock, SVC, method]
        if payload:
            args.append(payload.hex())
        p = subprocess.run(args, capture_output=True, text=True, timeout=120)
        out = p.stdout.strip()
        if out.startswith("OK"):
            return "OK", bytes.fromhex(out[2:].strip())
        code, _, msg = out.partition(": ")
        return code, msg

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(20)


def main():
    with tempfile.TemporaryDirectory(prefix="aa-svc-") as tmp:
        state = os.path.join(tmp, "kbs")
        srv = start_kbs(KBS, state, {"default/key/1": b"pod secret"})
        url = "http://127.0.0.1:%d" % srv.port
        agents = []
        try:
            a = Agent(tmp, "on", '[token_configs.kbs]\nurl = "%s"\n\n[eventlog_config]\n'
                      'enable_eventlog = true\ninit_pcr = 17\n' % url)
            agents.append(a)
            run(a, srv, state)
            off = Agent(tmp, "off", '[token_configs.kbs]\nurl = "%s"\n' % url)
            agents.append(off)
            code, body = off.call("ExtendRuntimeMeasurement", fbytes(1, "d") + fbytes(2, "o"))
            check("ExtendRuntimeMeasurement with the eventlog off: NOT_ENABLED",
                  code == "OK" and fields(body).get(1) == [2], (code, body))
            check("no AAEL written when off", not os.path.exists(os.path.join(off.evdir, "eventlog")))
        finally:
            for ag in agents:
                rc = ag.stop()
                check("cocoon-aa (%s) exits 0 on SIGTERM" % os.path.basename(ag.dir), rc == 0,
                      "\n".join(ag.lines[-20:]))
            rc = srv.stop()
            check("cocoon-kbs exits 0", rc == 0, srv.log()[-3000:])
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


def run(a, srv, state):
    code, body = a.call("GetTeeType")
    check("GetTeeType sample", code == "OK" and fields(body).get(1) == [b"sample"], (code, body))
    code, body = a.call("GetAdditionalTees")
    check("GetAdditionalTees empty", code == "OK" and body == b"", (code, body))
    code, body = a.call("GetAdditionalEvidence", fbytes(1, b"x" * 48))
    check("GetAdditionalEvidence empty bytes", code == "OK" and body == b"", (code, body))

    # GetEvidence: runtime data passed raw, checked by the KBS's sample verifier
    c = srv.client()
    r = c.auth()
    nonce = r.json()["nonce"]
    rd = c.report_data(nonce)
    code, body = a.call("GetEvidence", fbytes(1, rd))
    ev = json.loads(fields(body)[1][0]) if code == "OK" else None
    check("GetEvidence: sample evidence of the raw runtime data",
          ev == {"svn": "1", "report_data": base64.b64encode(rd).decode()}, (code, body))
    before = rcars(srv)
    r = c.attest(ev, nonce)
    check("the evidence passes cocoon-kbs's sample verifier", r.status == 200 and "token" in r.json(), r)

    # GetToken kbs: an RCAR through the session, then the cached token
    before = rcars(srv)
    code, body = a.call("GetToken", fbytes(1, "kbs"))
    tok = json.loads(fields(body)[1][0]) if code == "OK" else {}
    check("GetToken kbs: token and tee_keypair", set(tok) == {"token", "tee_keypair"}, (code, body))
    if tok:
        with open(os.path.join(state, "token-signer.pub"), "rb") as f:
            signer = f.read()
        try:
            _, claims = ear_verify(tok["token"], signer)
            ok = True
        except Exception as e:  # noqa: BLE001
            ok, claims = False, str(e)
        check("the token verifies with the KBS's signer key", ok, claims)
        key = jjwk.JWK.from_pem(tok["tee_keypair"].encode())
        pub = json.loads(key.export_public())
        dumped = json.dumps(claims)
        check("tee_keypair is the key the token binds (PKCS#8 EC P-256)",
              tok["tee_keypair"].startswith("-----BEGIN PRIVATE KEY-----")
              and pub["x"] in dumped and pub["y"] in dumped, (dumped[:2000], pub))
    check("one RCAR for the first GetToken", rcars(srv) - before == 1, rcars(srv) - before)
    code2, body2 = a.call("GetToken", fbytes(1, "kbs"))
    tok2 = json.loads(fields(body2)[1][0]) if code2 == "OK" else {}
    check("a second GetToken: the same token, no RCAR",
          tok2.get("token") == tok.get("token") and rcars(srv) - before == 1, rcars(srv) - before)
    code, msg = a.call("GetToken", fbytes(1, "coco_as"))
    check("GetToken coco_as refused", code == "INTERNAL" and
          msg == "[ERROR:attestation-agent] get token failed: token type coco_as is not "
                 "supported by cocoon-aa (use kbs)", (code, msg))
    code, msg = a.call("GetToken", fbytes(1, "oidc"))
    check("GetToken of an unknown type refused", code == "INTERNAL" and
          msg == "[ERROR:attestation-agent] get token failed: unsupported token type oidc",
          (code, msg))

    # ExtendRuntimeMeasurement: OK (proto3's default, an empty message)
    code, body = a.call("ExtendRuntimeMeasurement",
                        fbytes(1, "github.com/confidential-containers") + fbytes(2, "PullImage")
                        + fbytes(3, '{"image":"x","digest":"y"}'))
    check("ExtendRuntimeMeasurement OK", code == "OK" and body == b"", (code, body))
    log = os.path.join(a.evdir, "eventlog")
    data = open(log, "rb").read() if os.path.exists(log) else b""
    text = b'github.com/confidential-containers PullImage {"image":"x","digest":"y"}'
    tagged = struct.pack("<II", 0x4141454C, len(text)) + text
    want = (struct.pack("<IIIH", 4, 6, 1, 0x000C) + hashlib.sha384(tagged).digest()
            + struct.pack("<I", len(tagged)) + tagged)
    check("the AAEL holds the TCG2 record (MR 4 for PCR 17, SHA-384)", data.endswith(want),
          data.hex())
    code, body = a.call("ExtendRuntimeMeasurement", fbytes(1, "d") + fbytes(2, "o")
                        + fbytes(3, "two\nlines") + fvarint(4, 9))
    check("a newline in Content refused", code == "INTERNAL" and
          msg_has(body, "must not contain a newline"), (code, body))
    code, body = a.call("ExtendRuntimeMeasurement", fbytes(1, "d") + fbytes(2, "o")
                        + fbytes(3, "c") + fvarint(4, 9))
    check("RegisterIndex 9 OK", code == "OK", (code, body))

    code, msg = a.call("BindInitData", fbytes(1, b"\0" * 32))
    check("BindInitData NOT_FOUND as ttrpc-aa", code == "NOT_FOUND" and
          msg == "/attestation_agent.AttestationAgentService/BindInitData is not supported",
          (code, msg))


def msg_has(body, s):
    return s in (body if isinstance(body, str) else body.decode(errors="replace"))


if __name__ == "__main__":
    sys.exit(main())
