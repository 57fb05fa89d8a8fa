#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_guest_answers.c into DIR (usage:
make_guest_seeds.py SNP_DATA_DIR EVENTLOG_DATA_DIR DIR). Each seed's first
byte picks the parser (see the target's comment)."""
import os
import hashlib
import struct
import sys
import uuid

snp, evlog, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)


def table(entries):
    """A GHCB certificate table: (guid text, bytes) entries."""
    head = len(entries) * 24 + 24
    body, rows, off = b"", b"", head
    for g, data in entries:
        rows += uuid.UUID(g).bytes + struct.pack("<II", off, len(data))
        body += data
        off += len(data)
    return rows + b"\0" * 24 + body


def put(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


vcek = open(os.path.join(snp, "testchain/milan_vcek.der"), "rb").read()
vlek = open(os.path.join(snp, "testchain/milan_vlek.der"), "rb").read()
t = table([("63da758d-e664-4564-adc5-f4b93be8accd", vcek),
           ("4ab7b379-bbac-4fe4-a02f-05aef327c782", vlek[:200]),
           ("11111111-2222-3333-4444-555555555555", b"x")])
put("certtable-3", b"\0" + t)
put("certtable-empty", b"\0" + b"\0" * 24)

rep = bytearray(1024)
rep[0] = 0x81
for i in range(64):
    rep[128 + i] = i
for i in range(48):
    rep[576 + i] = 0xC0 + (i & 0x3F)
put("tdreport", b"\1" + bytes(rep))

ccel = open(os.path.join(evlog, "CCEL_data_ovmf"), "rb").read()
put("ccel-ovmf", b"\2" + ccel[:16384])

report = bytearray(open(os.path.join(snp, "test-report.bin"), "rb").read())
report[0x50:0x90] = b"\0" * 64   # report_data: the zeros the target asks for
report[0x30:0x34] = b"\0" * 4    # VMPL 0
rsp = struct.pack("<II", 0, len(report)) + b"\0" * 24 + bytes(report)
rsp += b"\0" * (4000 - len(rsp))
put("sev-guest-answer", b"\3" + rsp + t)


def aael_record(text):
    """A TDX AAEL record (MR 4, SHA-384) and its digest."""
    t = text.encode()
    ev = struct.pack("<II", 0x4141454C, len(t)) + t
    d = hashlib.sha384(ev).digest()
    return struct.pack("<IIIH", 4, 6, 1, 0x000C) + d + struct.pack("<I", len(ev)) + ev, d


# a WAL after one logged event, register still at zero (the first event)
first, d1 = aael_record("d o first")
expected = hashlib.sha384(b"\0" * 48 + d1).digest()
wal = struct.pack(">Q", 0) + expected + b"d o first"
put("aael-wal-pending", b"\4" + struct.pack("<H", 0) + wal)
put("aael-wal-torn", b"\4" + struct.pack("<H", len(first) // 2) + first[:len(first) // 2] + wal)
put("aael-wal-written", b"\4" + struct.pack("<H", len(first)) + first + wal)
