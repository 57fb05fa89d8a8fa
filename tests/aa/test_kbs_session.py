#!/usr/bin/env python3
"""lib/kbsclient's shared KBS session (kbs_session.h, docs/aa.md "Token
and session cache") against a real cocoon-kbs on loopback, counting RCARs
with the KBS's own counter (kbs_attestation_requests_total):

  - 12 resource fetches from 1 thread, then from 6 threads started
    together: 1 RCAR each time (no thundering herd);
  - a token that expires (margin 290 s on the KBS's 5 min tokens, so it
    is stale 10 s later): after the sleep, exactly one more RCAR;
  - a missing resource: -ENOENT's message, the token kept (no new RCAR).

Usage: test_kbs_session.py COCOON_KBS KBS_SESSION_TOOL. Every process
started is stopped by PID."""
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aalib import rcars, start_kbs  # noqa: E402

KBS, TOOL = sys.argv[1], sys.argv[2]
SECRET = bytes(range(32))


def tool(url, *args):
    p = subprocess.run([TOOL, url, *map(str, args)], capture_output=True, text=True,
                       timeout=300)
    return p.returncode, p.stdout, p.stderr


def main():
    failures = 0
    with tempfile.TemporaryDirectory(prefix="aa-session-") as tmp:
        srv = start_kbs(KBS, os.path.join(tmp, "state"), {"default/key/1": SECRET})
        url = "http://127.0.0.1:%d" % srv.port
        try:
            cases = [
                ("12 fetches, 1 thread: 1 RCAR", ("default/key/1", 12, 1), 1),
                ("12 fetches, 6 threads: 1 RCAR", ("default/key/1", 12, 6), 1),
                ("expired token: exactly 1 more RCAR", ("default/key/1", 4, 2, 290, 11, 3), 2),
            ]
            for name, args, want in cases:
                before = rcars(srv)
                rc, out, err = tool(url, *args)
                got = rcars(srv) - before
                ok = (rc == 0 and "resource " + SECRET.hex() in out and "token OK" in out
                      and got == want and "rcars %d" % want in out)
                print("%s: %s (KBS counted %d RCARs)" % ("PASS" if ok else "FAIL", name, got))
                if not ok:
                    failures += 1
                    print(out, err)
            before = rcars(srv)
            rc, out, err = tool(url, "default/key/nope", 1, 1)
            ok = rc == 1 and "resource default/key/nope" in err and "not found" in err
            ok = ok and rcars(srv) - before == 1 and "PluginInternalError" in err
            print("%s: missing resource named, one RCAR" % ("PASS" if ok else "FAIL"))
            failures += 0 if ok else 1
            if not ok:
                print(out, err)
        finally:
            rc = srv.stop()
            if rc != 0:
                print("FAIL: cocoon-kbs exited %r\n%s" % (rc, srv.log()[-3000:]))
                failures += 1
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
