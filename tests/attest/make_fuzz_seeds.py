#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_tpm_evidence.c from a real swtpm
quote: the evidence JSON our attester makes (and with init-data bound in
PCR 8), Trustee's own evidence (tests/attest/vectors), and the raw
TPMS_ATTEST and TPMT_SIGNATURE behind byte 0x00 / 0x01 as the target's raw
mode reads them.

Usage: make_fuzz_seeds.py TPM_TOOL OUTDIR   (OUTDIR: fuzz/corpus/tpm_evidence)
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "image"))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from itlib import PROCS, TMP, run  # noqa: E402
from swtpm import start_swtpm  # noqa: E402


def main(tool, out):
    _, tcti = start_swtpm("seed-tpm")
    rd = hashlib.sha384(b"seed").digest()
    rc, ev, err = run(tool, "evidence", "--tcti", tcti, "--create-ak", "--report-data", rd.hex())
    if rc != 0:
        raise RuntimeError(err)
    digest = hashlib.sha256(b"init-data").hexdigest()
    run(tool, "extend", "--tcti", tcti, "--pcr", "8", "--digest", digest)
    rc, ev8, err = run(tool, "evidence", "--tcti", tcti, "--report-data", rd.hex())
    if rc != 0:
        raise RuntimeError(err)
    os.makedirs(out, exist_ok=True)
    q = json.loads(ev)["tpm_quote"]
    seeds = {
        "swtpm_evidence.json": ev.strip().encode(),
        "swtpm_evidence_pcr8.json": ev8.strip().encode(),
        "raw_attest.bin": b"\x00" + base64.b64decode(q["message"]),
        "raw_signature.bin": b"\x01" + base64.b64decode(q["signature"]),
    }
    with open(os.path.join(HERE, "vectors", "trustee_tpm_evidence.json"), "rb") as f:
        seeds["trustee_evidence.json"] = f.read()
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    finally:
        for p in PROCS:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(TMP, ignore_errors=True)
