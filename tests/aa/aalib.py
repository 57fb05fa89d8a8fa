"""Helpers for the attestation-agent tests (tests/aa): cocoon-kbs started
with tests/kbssrv's KbsServer (stopped by PID), set up with an allow-all
resource policy and a few resources, and its RCAR counter read from
/metrics (kbs_attestation_requests_total)."""
import http.client
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kbssrv"))
from kbsclient import KbsServer, policy_body  # noqa: E402

POLICIES = os.path.join(HERE, "..", "..", "src", "kbs", "policies")


def start_kbs(exe, state, resources):
    """cocoon-kbs on 127.0.0.1 with resources {path: bytes} released to
    any attested TEE (allow_all.rego). Returns the KbsServer."""
    srv = KbsServer(exe, state, log_level="info").start()
    with open(os.path.join(state, "admin-token")) as f:
        admin = srv.client(admin_token=f.read())
    for path, value in resources.items():
        r = admin.admin("POST", "/kbs/v0/resource/" + path, value)
        assert r.status == 200, r
    with open(os.path.join(POLICIES, "allow_all.rego")) as f:
        r = admin.admin("POST", "/kbs/v0/resource-policy", policy_body(f.read()))
    assert r.status == 200, r
    return srv


def rcars(srv):
    """kbs_attestation_requests_total: the /attest calls the KBS served."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        c.request("GET", "/metrics")
        body = c.getresponse().read().decode()
    finally:
        c.close()
    m = re.search(r"^kbs_attestation_requests_total(?:\{[^}]*\})? (\d+)", body, re.M)
    assert m, body[:2000]
    return int(m.group(1))
