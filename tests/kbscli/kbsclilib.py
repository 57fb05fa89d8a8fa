"""Helpers of the `cocoon kbs` integration tests (test_kbscli_python.py,
test_kbscli_cocoon_kbs.py): running the client in a clean environment,
keys made with the openssl CLI, and swtpm as a TPM on 127.0.0.1 (stopped
by PID through itlib's PROCS)."""
import os
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "image"))
from itlib import PROCS, TMP  # noqa: E402

COCOON = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else ""
# A HOME and a working directory without admin tokens in them, so that the
# client's default token places are empty unless a test fills them.
CLEAN_HOME = os.path.join(TMP, "home")
CLEAN_CWD = os.path.join(TMP, "cwd")
os.makedirs(CLEAN_HOME, exist_ok=True)
os.makedirs(CLEAN_CWD, exist_ok=True)


def kbs_cli(*args, cwd=None, home=None, raw=False):
    """Runs `cocoon kbs ARGS`: (exit status, stdout, stderr); stdout as
    bytes when raw. No proxy variables reach it."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["HOME"] = home or CLEAN_HOME
    p = subprocess.run([COCOON, "kbs"] + list(args), capture_output=True, env=env,
                       cwd=cwd or CLEAN_CWD, timeout=120)
    if raw:
        return p.returncode, p.stdout, p.stderr.decode(errors="replace")
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def keyfile(name, *genpkey_args):
    """A new private key in TMP/name, made by `openssl genpkey ARGS`."""
    path = os.path.join(TMP, name)
    openssl("genpkey", *genpkey_args, "-out", path)
    return path


def _free_port_pair():
    """A port P with P+1 also free (swtpm's control port is P+1)."""
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
        finally:
            t.close()
    raise RuntimeError("no free port pair on 127.0.0.1")


def start_swtpm(name):
    """swtpm on 127.0.0.1 with its state in TMP/name: (process, TCTI
    string), or None when swtpm is not installed."""
    if shutil.which("swtpm") is None:
        return None
    state = os.path.join(TMP, name)
    os.makedirs(state)
    port = _free_port_pair()
    log = open(os.path.join(TMP, name + ".log"), "w")
    p = subprocess.Popen(["swtpm", "socket", "--tpm2",
                          "--server", "type=tcp,port=%d,bindaddr=127.0.0.1" % port,
                          "--ctrl", "type=tcp,port=%d,bindaddr=127.0.0.1" % (port + 1),
                          "--tpmstate", "dir=" + state, "--flags", "not-need-init,startup-clear"],
                         stdout=log, stderr=subprocess.STDOUT)
    PROCS.append(p)
    for _ in range(200):
        if p.poll() is not None:
            raise RuntimeError("swtpm exited at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    return p, "swtpm:host=127.0.0.1,port=%d" % port
