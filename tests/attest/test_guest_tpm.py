#!/usr/bin/env python3
"""The AA event log writer with a TPM PCR as its register (aael_tpm.c,
docs/attest-guest.md), on swtpm (127.0.0.1, stopped by PID):
- two events logged at PCR 23 (SHA-256): tpm2_pcrread gives the value
  `cocoon evidence replay-eventlog --aael` replays from the file;
- PCR 17, upstream's default init_pcr, is a locality-4 PCR a guest cannot
  extend: the writer fails with the TPM's answer and logs nothing;
- init-data binding on tpm extends PCR 8 with the sha256 digest.
Usage: test_guest_tpm.py COCOON GUEST_TOOL
Exit 77 (skip) without swtpm or tpm2-tools."""
import hashlib
import json
import os
import shutil
import sys

COCOON, TOOL = sys.argv[1], sys.argv[2]
if shutil.which("swtpm") is None or shutil.which("tpm2_pcrread") is None:
    print("SKIP: needs swtpm and tpm2-tools")
    sys.exit(77)

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "image"))
sys.path.insert(0, os.path.join(here, "..", "common"))
from itlib import TMP, check, finish, run  # noqa: E402
import swtpm  # noqa: E402


def pcrread(tcti, pcr):
    rc, out, err = run("tpm2_pcrread", "sha256:%d" % pcr, env={"TPM2TOOLS_TCTI": tcti})
    if rc != 0:
        raise RuntimeError("tpm2_pcrread: " + err)
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("%d" % pcr) and ":" in line:
            return line.split(":", 1)[1].strip().lower().replace("0x", "")
    raise RuntimeError("no PCR %d in %r" % (pcr, out))


def main():
    _, tcti = swtpm.start_swtpm("tpm")
    d = os.path.join(TMP, "aa")
    rc, out, err = run(TOOL, "aael-tpm", tcti, "23", d, "domain operation content",
                       "github.com/confidential-containers PullImage {\"image\":\"a\"}")
    check("two events logged at PCR 23", rc == 0, err)
    pcr = pcrread(tcti, 23)
    check("guest-tool reads the PCR tpm2_pcrread reads", out.strip() == pcr, out + " " + pcr)
    rc, out, err = run(COCOON, "evidence", "replay-eventlog", "--aael",
                       os.path.join(d, "eventlog"))
    check("the log replays to PCR 23",
          rc == 0 and json.loads(out) == {"sha256": {"23": pcr}}, out + err)
    d2 = os.path.join(TMP, "aa17")
    rc, out, err = run(TOOL, "aael-tpm", tcti, "17", d2, "domain operation content")
    check("PCR 17 (locality 4) is refused by the TPM", rc == 1 and "TPM2_PCR_Extend" in err,
          "rc=%d %s" % (rc, err))
    check("nothing logged for the refused event",
          os.path.getsize(os.path.join(d2, "eventlog")) == 0
          and not os.path.exists(os.path.join(d2, ".wal_event_entry")))

    digest = hashlib.sha256(b"init-data").digest()
    before = pcrread(tcti, 8)
    rc, out, err = run(TOOL, "bind", "tpm", tcti, digest.hex())
    check("bind on tpm", rc == 0 and out.strip() == "bound", err)
    want = hashlib.sha256(bytes.fromhex(before) + digest).hexdigest()
    check("PCR 8 extended with the init-data digest", pcrread(tcti, 8) == want)


finish(main)
