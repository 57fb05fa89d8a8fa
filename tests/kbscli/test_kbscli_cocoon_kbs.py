#!/usr/bin/env python3
"""`cocoon kbs` end to end with `cocoon-kbs` (issue 6, "Done means"):

Starts cocoon-kbs with its zero-config defaults (SQLite in a temporary
state directory, plain HTTP on 127.0.0.1, an ephemeral port) and, with the
admin token it writes, drives it with the client only:

  - the sample attester: the default resource policy refuses it, allow-all
    releases the resource (decrypted from the JWE), a token from `attest`
    fetches it again in passport mode; an affirming-only policy refuses the
    sample TEE until the sample reference values make its EAR status
    affirming; delete-resource; a wrong admin token;
  - the tpm attester on swtpm: with the affirming policy, the resource is
    released only when the reference values name the AK and PCR 11 as
    they are, and refused when PCR 11 differs (wrong reference value, or
    the PCR extended afterwards).

Every process started (cocoon-kbs, swtpm) is stopped by PID.

Usage: test_kbscli_cocoon_kbs.py COCOON COCOON_KBS. Exit 77 (skip) when
COCOON_KBS is missing.
"""
import base64
import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kbsclilib import COCOON, kbs_cli, keyfile, start_swtpm  # noqa: E402
from itlib import PROCS, TMP, check, finish  # noqa: E402

KBS = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else ""
if not KBS or not os.access(KBS, os.X_OK):
    print("SKIP: no cocoon-kbs binary")
    sys.exit(77)


def start_kbs(state):
    """cocoon-kbs --state-dir STATE --listen 127.0.0.1:0: (process, URL,
    log lines). The port is read from its "event=listening" log line."""
    lines = []
    p = subprocess.Popen([KBS, "--state-dir", state, "--listen", "127.0.0.1:0",
                          "--log-level", "info"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    PROCS.append(p)
    found = threading.Event()
    port = []

    def reader():
        for line in p.stderr:
            lines.append(line.rstrip("\n"))
            m = re.search(r"event=listening \S+ port=(\d+)", line)
            if m and not port:
                port.append(int(m.group(1)))
                found.set()
        found.set()

    threading.Thread(target=reader, daemon=True).start()
    found.wait(30)
    if not port:
        raise RuntimeError("cocoon-kbs did not start:\n" + "\n".join(lines))
    return p, "http://127.0.0.1:%d" % port[0], lines


def sample(url, admin):
    secret = os.urandom(40)
    res = os.path.join(TMP, "secret.bin")
    with open(res, "wb") as f:
        f.write(secret)
    rc, out, err = kbs_cli(*admin, "set-resource", "--path", "default/key/1",
                           "--resource-file", res)
    check("set-resource with DIR/admin-token", rc == 0, err)
    if rc != 0:
        raise RuntimeError("cocoon-kbs does not serve admin calls; the rest would only time out")
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1")
    check("the default resource policy refuses the sample TEE",
          rc == 1 and "PolicyDeny" in err and out == "", err)
    rc, out, err = kbs_cli(*admin, "set-resource-policy", "--allow-all")
    check("set-resource-policy --allow-all", rc == 0, err)
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1",
                           "--output", "-", raw=True)
    check("sample attester: the resource, decrypted from the JWE", rc == 0 and out == secret,
          err)
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1")
    check("get-resource prints it in base64", rc == 0 and base64.b64decode(out) == secret, err)

    # passport mode: a token now (RSA TEE key), the resource later
    key = keyfile("tee-rsa.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    rc, out, err = kbs_cli("--url", url, "attest", "--tee-key-file", key)
    check("attest: an EAR token", rc == 0 and out.count(".") == 2, err)
    tok = os.path.join(TMP, "token")
    with open(tok, "w") as f:
        f.write(out)
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1",
                           "--attestation-token", tok, "--tee-key-file", key)
    check("the token as Bearer (RSA-OAEP-256 JWE)", rc == 0 and
          base64.b64decode(out) == secret, err)

    # affirming only: the sample TEE's status is a warning until the
    # sample reference values of the default attestation policy are there
    rc, out, err = kbs_cli(*admin, "set-resource-policy", "--affirming")
    check("set-resource-policy --affirming", rc == 0, err)
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1")
    check("affirming policy, no reference values: refused", rc == 1 and "PolicyDeny" in err, err)
    for args in (["launch_digest", "abcde"], ["svn", "1"],
                 ["major_version", "1", "--as-integer", "--as-single-value"],
                 ["minimum_minor_version", "4", "--as-integer", "--as-single-value"]):
        rc, out, err = kbs_cli(*admin, "set-sample-reference-value", *args)
        check("set-sample-reference-value %s" % " ".join(args), rc == 0, err)
    rc, out, err = kbs_cli(*admin, "get-reference-value", "--id", "svn")
    check("get-reference-value --id svn", rc == 0 and out.strip() == '["1"]', err + out)
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1")
    check("affirming policy with the reference values: released",
          rc == 0 and base64.b64decode(out) == secret, err)

    rc, out, err = kbs_cli(*admin, "delete-resource", "--path", "default/key/1")
    check("delete-resource", rc == 0, err)
    rc, out, err = kbs_cli("--url", url, "get-resource", "--path", "default/key/1")
    check("a deleted resource is gone", rc == 1 and "not found" in err, err)
    bad = os.path.join(TMP, "bad-token")
    with open(bad, "w") as f:
        f.write("eyJhbGciOiJFZERTQSJ9.e30.c2ln")
    rc, out, err = kbs_cli("--url", url, "config", "--admin-token-file", bad,
                           "set-resource-policy", "--allow-all")
    check("a wrong admin token: refused with the KBS's detail", rc == 1 and "HTTP 401" in err, err)
    return secret


def tpm(url, admin):
    started = start_swtpm("swtpm")
    if started is None or shutil.which("tpm2_readpublic") is None:
        print("# swtpm or tpm2-tools not installed: the tpm part is skipped")
        return
    p, tcti = started
    data = b"for the TPM guest only"
    res = os.path.join(TMP, "tpm-secret.bin")
    with open(res, "wb") as f:
        f.write(data)
    kbs_cli(*admin, "set-resource", "--path", "tpm/key/1", "--resource-file", res)
    get = ["--url", url, "get-resource", "--path", "tpm/key/1", "--tee", "tpm",
           "--tpm-tcti", tcti]
    rc, out, err = kbs_cli(*get, "--tpm-create-ak")
    check("tpm attester, affirming policy, no reference values: refused",
          rc == 1 and "PolicyDeny" in err, err)
    der = os.path.join(TMP, "ak.der")
    subprocess.run(["tpm2_readpublic", "-T", tcti, "-c", "0x81010002", "-f", "der", "-o", der],
                   check=True, capture_output=True)
    ak = base64.b64encode(open(der, "rb").read()).decode()
    kbs_cli(*admin, "set-sample-reference-value", "trusted_aks", ak)
    kbs_cli(*admin, "set-sample-reference-value", "tpm_pcr11", "ff" * 32)
    rc, out, err = kbs_cli(*get)
    check("PCR 11 differs from its reference value: refused", rc == 1 and "PolicyDeny" in err,
          err)
    kbs_cli(*admin, "set-sample-reference-value", "tpm_pcr11", "00" * 32)
    rc, out, err = kbs_cli(*get)
    check("AK and PCR 11 as the reference values say: released",
          rc == 0 and base64.b64decode(out) == data, err)
    subprocess.run(["tpm2_pcrextend", "-T", tcti, "11:sha256=" + "11" * 32], check=True,
                   capture_output=True)
    rc, out, err = kbs_cli(*get)
    check("PCR 11 extended since: refused", rc == 1 and "PolicyDeny" in err, err)
    p.terminate()


def main():
    if not COCOON:
        raise RuntimeError("usage: test_kbscli_cocoon_kbs.py COCOON COCOON_KBS")
    state = os.path.join(TMP, "kbs-state")
    kbs, url, lines = start_kbs(state)
    token = os.path.join(state, "admin-token")
    check("cocoon-kbs wrote DIR/admin-token", os.path.exists(token))
    admin = ["--url", url, "config", "--admin-token-file", token]
    t0 = time.time()
    try:
        secret = sample(url, admin)
        tpm(url, admin)
    finally:
        print("# client runs took %.1f s; cocoon-kbs's log ends:" % (time.time() - t0))
        for line in lines[-15:]:
            print("#   " + line[:300])
    log = "\n".join(lines)
    check("no resource bytes, token or key in the KBS's log",
          base64.b64encode(secret).decode() not in log and
          open(token).read().strip() not in log)
    kbs.terminate()
    check("cocoon-kbs stops on SIGTERM", kbs.wait(30) == 0)


finish(main)
