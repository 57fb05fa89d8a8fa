#!/usr/bin/env python3
"""kill -9 durability of cocoon-kbs (docs/kbs.md, "Tests").

Two writers set resources over HTTP (new paths, overwrites of earlier ones,
deletes) and record every acknowledged write. At a random moment the
server is SIGKILLed (by PID), then restarted on the same state directory:
the store must pass PRAGMA integrity_check, and every acknowledged
resource must be served (through RCAR, the resource policy and the JWE,
decrypted by jwcrypto) with exactly its acknowledged bytes; a deleted one
must be gone. A write in flight when the kill came may have landed or not.

Usage: test_kbs_durability.py COCOON_KBS [ROUNDS] [SEED]
"""

import hashlib
import os
import random
import signal
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kbsclient import KbsServer, policy_body  # noqa: E402

ROUNDS = 12
MAX_DELAY = 0.6
ALLOW_ALL = "package policy\ndefault allow = false\nallow if { data.plugin == \"resource\" }\n"


class Writer(threading.Thread):
    """Writes under dur/w<n>/..., keeping what each path must hold:
    acked[path] = bytes or None (deleted); inflight = (path, bytes|None)."""

    def __init__(self, n, client, rng, acked):
        super().__init__(daemon=True)
        self.n, self.client, self.rng, self.acked = n, client, rng, acked
        self.inflight = None
        self.stop = False
        self.count = 0

    def value(self, path):
        # (not 0: jwcrypto 1.1 refuses a JWE with an empty plaintext)
        size = self.rng.choice([1, 64, 4096, 70000])
        seed = ("%s/%d" % (path, self.rng.getrandbits(32))).encode()
        out = b""
        while len(out) < size:
            seed = hashlib.sha256(seed).digest()
            out += seed
        return out[:size]

    def run(self):
        while not self.stop:
            live = [p for p, v in self.acked.items() if v is not None and
                    p.startswith("dur/w%d/" % self.n)]
            roll = self.rng.random()
            if live and roll < 0.2:
                path, val, method = self.rng.choice(live), None, "DELETE"
            elif live and roll < 0.4:
                path = self.rng.choice(live)
                val, method = self.value(path), "POST"
            else:
                path = "dur/w%d/r%d" % (self.n, self.count)
                val, method = self.value(path), "POST"
            self.count += 1
            self.inflight = (path, val)
            try:
                r = self.client.admin(method, "/kbs/v0/resource/" + path, val)
            except OSError:
                return  # the server is gone
            if r.status != 200:
                raise AssertionError("write %s %s: %r" % (method, path, r))
            self.acked[path] = val
            self.inflight = None


def check(server, state, acked, inflight):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "kbs.sqlite3"), uri=True)
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    assert ok == "ok", ok
    c = server.client()
    c.rcar()
    checked = 0
    for path, val in acked.items():
        allowed = {val}
        for p, v in inflight:
            if p == path:
                allowed.add(v)
        r = c.get_resource(path)
        if r.status == 200:
            got = c.decrypt(r)
        else:
            assert r.status == 401 and b"not found" in r.body, (path, r)
            got = None
        assert got in allowed, "%s: got %r bytes, want one of %r" % (
            path, None if got is None else len(got),
            [None if a is None else len(a) for a in allowed])
        checked += 1
    return checked


def main():
    exe = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else random.randrange(1 << 30)
    print("seed %d, %d rounds" % (seed, rounds), flush=True)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="kbsdur-") as d:
        state = os.path.join(d, "state")
        srv = KbsServer(exe, state, log_level="info").start()
        token = open(os.path.join(state, "admin-token")).read()
        admin = srv.client(admin_token=token)
        assert admin.admin("POST", "/kbs/v0/resource-policy",
                           policy_body(ALLOW_ALL)).status == 200
        acked = {}
        total_writes = total_checked = 0
        for rnd in range(rounds):
            writers = [Writer(n, srv.client(admin_token=token), random.Random(rng.random()),
                              acked) for n in range(2)]
            for w in writers:
                w.start()
            time.sleep(rng.uniform(0.05, MAX_DELAY))
            os.kill(srv.proc.pid, signal.SIGKILL)
            srv.proc.wait(20)
            for w in writers:
                w.stop = True
                w.join(30)
                assert not w.is_alive()
            inflight = [w.inflight for w in writers if w.inflight is not None]
            srv.proc = None
            total_writes += sum(w.count for w in writers)
            srv = KbsServer(exe, state, log_level="info").start()
            n = check(srv, state, acked, inflight)
            total_checked += n
            # the in-flight writes are settled now: record what landed
            c = srv.client()
            c.rcar()
            for path, _ in inflight:
                r = c.get_resource(path)
                acked[path] = c.decrypt(r) if r.status == 200 else None
            print("round %d: %d writes so far, %d resources checked" % (
                rnd + 1, total_writes, n), flush=True)
        assert srv.stop() == 0, srv.log()
        files = sorted(os.listdir(state))
        want = sorted(["admin-key.pem", "admin-key.pub", "admin-token", "kbs.sqlite3",
                       "token-signer.pem", "token-signer.pub"])
        assert [f for f in files if not f.startswith("kbs.sqlite3-")] == want, files
    print("ok: %d rounds, %d writes, %d checks" % (rounds, total_writes, total_checked))
    return 0


if __name__ == "__main__":
    sys.exit(main())
