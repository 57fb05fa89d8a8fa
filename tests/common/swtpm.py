"""swtpm as a TPM on 127.0.0.1 and a throw-away test CA, for the integration
tests that attest with a TPM or check certificates (tests/attest/test_tpm_*.py,
tests/kbscli/). Every swtpm started is put in itlib's PROCS, so the test's
finish() stops it by PID; state and keys live under itlib's TMP."""
import os
import shutil
import socket
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "image"))
from itlib import PROCS, TMP, wait_port  # noqa: E402


def free_port_pair():
    """A port P with P+1 also free (swtpm's TCTI puts the control port at P+1)."""
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p >= 65535:
            continue
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", p + 1))
            return p
        except OSError:
            continue
        finally:
            t.close()
    raise RuntimeError("no free port pair on 127.0.0.1")


def start_swtpm(name):
    """swtpm on 127.0.0.1 with its state in TMP/name and its log in
    TMP/name.log: (process, TCTI string), or None when swtpm is not
    installed."""
    if shutil.which("swtpm") is None:
        return None
    state = os.path.join(TMP, name)
    os.makedirs(state)
    port = free_port_pair()
    log = open(os.path.join(TMP, name + ".log"), "w")
    p = subprocess.Popen(
        ["swtpm", "socket", "--tpm2",
         "--server", "type=tcp,port=%d,bindaddr=127.0.0.1" % port,
         "--ctrl", "type=tcp,port=%d,bindaddr=127.0.0.1" % (port + 1),
         "--tpmstate", "dir=" + state, "--flags", "not-need-init,startup-clear"],
        stdout=log, stderr=subprocess.STDOUT)
    PROCS.append(p)
    wait_port(port, p)
    return p, "swtpm:host=127.0.0.1,port=%d" % port


def openssl(*args):
    """Runs the openssl CLI; raises RuntimeError naming the command on failure."""
    p = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (args[0], p.stderr))


def make_ca(d, cn, key_usage="keyCertSign,cRLSign"):
    """A self-signed P-256 test CA valid for two days: DIR/ca.key and
    DIR/ca.pem (DIR is made). Returns DIR."""
    os.makedirs(d)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", os.path.join(d, "ca.key"), "-out", os.path.join(d, "ca.pem"),
            "-subj", "/CN=" + cn, "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical," + key_usage)
    return d


def issue(ca, out, cn, days, *x509_args):
    """A certificate OUT issued by the CA in directory ca for a new P-256
    key (OUT.key; its request OUT.csr) with subject CN; x509_args go to
    `openssl x509 -req` (-force_pubkey, -extfile, ...)."""
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", out + ".key", "-out", out + ".csr", "-subj", "/CN=" + cn)
    openssl("x509", "-req", "-in", out + ".csr", "-CA", os.path.join(ca, "ca.pem"),
            "-CAkey", os.path.join(ca, "ca.key"), "-days", str(days), *x509_args, "-out", out)
