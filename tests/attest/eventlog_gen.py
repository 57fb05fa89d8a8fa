"""Builds TCG event logs for the event log tests (docs/attest-eventlog.md):
a TCG2 crypto-agile log (Spec ID Event03 header, StartupLocality, several
banks) and a legacy SHA-1 log, plus the replay a correct reader must give.
Usable as a module and as a script: eventlog_gen.py OUTDIR writes
tcg2.bin, tcg2_loc.bin, legacy.bin and their expected replays as JSON."""
import hashlib
import json
import os
import struct
import sys

ALGS = {0x0004: ('sha1', 20), 0x000B: ('sha256', 32), 0x000C: ('sha384', 48),
        0x000D: ('sha512', 64)}
EV_NO_ACTION, EV_SEPARATOR, EV_EVENT_TAG, EV_IPL = 3, 4, 6, 0xD
EV_EFI_ACTION = 0x80000007


def spec_id(algs, vendor=b''):
    body = b'Spec ID Event03\0' + struct.pack('<IBBBB', 0, 0, 2, 0, 2)
    body += struct.pack('<I', len(algs))
    for a in algs:
        body += struct.pack('<HH', a, ALGS[a][1])
    body += struct.pack('<B', len(vendor)) + vendor
    return struct.pack('<II', 0, EV_NO_ACTION) + b'\0' * 20 + struct.pack('<I', len(body)) + body


def event2(pcr, etype, data, algs, digests=None):
    out = struct.pack('<III', pcr, etype, len(algs))
    for a in algs:
        d = digests[a] if digests else hashlib.new(ALGS[a][0], data).digest()
        out += struct.pack('<H', a) + d
    return out + struct.pack('<I', len(data)) + data


def legacy_event(pcr, etype, data, digest=None):
    d = digest if digest is not None else hashlib.sha1(data).digest()
    return struct.pack('<II', pcr, etype) + d + struct.pack('<I', len(data)) + data


EVENTS = [(0, 0x80000008, struct.pack('<QQ', 0xFFC00000, 0x400000)), (0, EV_SEPARATOR, b'\0\0\0\0'),
          (1, EV_EFI_ACTION, b'Calling EFI Application from Boot Option'),
          (7, EV_SEPARATOR, b'\0\0\0\0'), (4, EV_IPL, b'grub_cmd linux /vmlinuz\0'),
          (9, EV_IPL, b'(hd0,gpt2)/initrd.img\0'), (14, EV_IPL, b'MokList\0'),
          (8, EV_EVENT_TAG, struct.pack('<II', 0x4141454C, 12) + b'd op content')]


def replay(events, algs, locality=None, legacy=False):
    out = {}
    for a in algs:
        name, size = ALGS[a]
        regs = {}
        for pcr, etype, data in events:
            if etype == EV_NO_ACTION:
                continue
            if pcr not in regs:
                init = bytearray(size)
                if pcr == 0 and locality is not None:
                    init[-1] = locality
                regs[pcr] = bytes(init)
            d = hashlib.new(name, data).digest()
            regs[pcr] = hashlib.new(name, regs[pcr] + d).digest()
        out[name] = {str(k): v.hex() for k, v in sorted(regs.items())}
    return out


def tcg2(algs=(0x0004, 0x000B, 0x000C), locality=None, events=EVENTS):
    log = spec_id(list(algs))
    if locality is not None:
        log += event2(0, EV_NO_ACTION, b'StartupLocality\0' + bytes([locality]), list(algs),
                      {a: b'\0' * ALGS[a][1] for a in algs})
    for pcr, etype, data in events:
        log += event2(pcr, etype, data, list(algs))
    return log, replay(events, algs, locality)


def legacy(events=EVENTS):
    log = b''.join(legacy_event(p, t, d) for p, t, d in events)
    return log, replay(events, [0x0004])


if __name__ == '__main__':
    d = sys.argv[1]
    for name, (log, want) in {'tcg2': tcg2(), 'tcg2_loc': tcg2(locality=3),
                              'tcg2_sha512': tcg2(algs=(0x000B, 0x000D)),
                              'legacy': legacy()}.items():
        with open(os.path.join(d, name + '.bin'), 'wb') as f:
            f.write(log)
        with open(os.path.join(d, name + '.json'), 'w') as f:
            json.dump(want, f, indent=1, sort_keys=True)
