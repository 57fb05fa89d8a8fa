"""Helpers of the `cocoon kbs` integration tests (test_kbscli_python.py,
test_kbscli_cocoon_kbs.py): running the client in a clean environment and
keys made with the openssl CLI; swtpm as a TPM on 127.0.0.1 (stopped by PID
through itlib's PROCS) and the openssl runner come from tests/common/swtpm.py."""
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "image"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itlib import TMP  # noqa: E402
from swtpm import openssl, start_swtpm  # noqa: E402,F401  (re-exported to the tests)

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


def keyfile(name, *genpkey_args):
    """A new private key in TMP/name, made by `openssl genpkey ARGS`."""
    path = os.path.join(TMP, name)
    openssl("genpkey", *genpkey_args, "-out", path)
    return path
