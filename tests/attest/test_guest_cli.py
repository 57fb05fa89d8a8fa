#!/usr/bin/env python3
"""The AA event log our writer makes, read by the real `cocoon evidence
replay-eventlog` (docs/attest-guest.md):
- events logged by guest-tool (the writer on a file-backed SHA-384
  register) replay, with --aael, to the register's value; --parsed lists
  them by domain and operation;
- a write-ahead file left as a crash before the register extension would
  leave it is finished on the next start: register extended once, record
  written once, the replay still equals the register;
- the TDX cc_eventlog built from Trustee's CCEL vector and that AAEL
  replays, with --ccel, to the CCEL's RTMRs plus the AAEL's RTMR 3;
- `cocoon evidence detect --root` on scratch trees; `cocoon evidence get`
  falls back to the sample attester, whose evidence `cocoon evidence verify`
  accepts, and names the missing device for snp and tdx.
Usage: test_guest_cli.py COCOON GUEST_TOOL EVENTLOG_DATA_DIR"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

COCOON, TOOL, EVDATA = sys.argv[1:4]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL:', what)


def run(*args):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def replay(*args):
    rc, out, err = run(COCOON, 'evidence', 'replay-eventlog', *args)
    check(rc == 0, 'replay-eventlog %s: rc %d %s' % (args, rc, err))
    return json.loads(out) if rc == 0 else {}


def tagged(text):
    t = text.encode()
    return struct.pack('<II', 0x4141454C, len(t)) + t


tmp = tempfile.mkdtemp(prefix='cocoon-guest-cli-')
try:
    d = os.path.join(tmp, 'aa')
    rc, out, err = run(TOOL, 'aael', d, 'domain operation content',
                       'github.com/confidential-containers PullImage {"image":"a", "digest":"b"}')
    check(rc == 0, 'guest-tool aael: %s' % err)
    reg = out.strip()
    log = os.path.join(d, 'eventlog')
    check(replay('--aael', log) == {'sha384': {'4': reg}}, 'AAEL replay equals the register')
    parsed = replay('--aael', '--parsed', log)
    check(parsed.get('aael') == {'domain': {'operation': ['content']},
                                 'github.com/confidential-containers':
                                     {'PullImage': ['{"image":"a", "digest":"b"}']}},
          'parsed AAEL entries: %s' % parsed.get('aael'))

    # a crash after the WAL was written, before the register was extended
    text = 'x y z'
    digest = hashlib.sha384(tagged(text)).digest()
    expected = hashlib.sha384(bytes.fromhex(reg) + digest).digest()
    with open(os.path.join(d, '.wal_event_entry'), 'wb') as f:
        f.write(struct.pack('>Q', os.path.getsize(log)) + expected + text.encode())
    rc, out, err = run(TOOL, 'aael', d)
    check(rc == 0, 'recovery: %s' % err)
    check(out.strip() == expected.hex(), 'recovery extended the register once')
    check(not os.path.exists(os.path.join(d, '.wal_event_entry')), 'recovery removed the WAL')
    check(replay('--aael', log) == {'sha384': {'4': expected.hex()}},
          'replay after recovery equals the register')
    # the same WAL again with the register already extended and the record
    # there: nothing changes (upstream would append the record twice)
    with open(os.path.join(d, '.wal_event_entry'), 'wb') as f:
        f.write(struct.pack('>Q', os.path.getsize(log) - len(tagged(text)) - 66)
                + expected + text.encode())
    rc, out, err = run(TOOL, 'aael', d)
    check(rc == 0 and out.strip() == expected.hex(), 'second recovery is a no-op: %s' % err)
    check(replay('--aael', log) == {'sha384': {'4': expected.hex()}}, 'no record twice')
    # a WAL the register disagrees with: the writer refuses to start
    with open(os.path.join(d, '.wal_event_entry'), 'wb') as f:
        f.write(struct.pack('>Q', os.path.getsize(log)) + b'\1' * 48 + b'x y z')
    rc, out, err = run(TOOL, 'aael', d)
    check(rc == 1 and 'AAEL recovery: register 17' in err, 'bad WAL refused: %s' % err)
    os.unlink(os.path.join(d, '.wal_event_entry'))

    # TDX cc_eventlog: Trustee's CCEL vector and our AAEL
    el = os.path.join(tmp, 'cc_eventlog')
    ccel = os.path.join(EVDATA, 'CCEL_data')
    rc, out, err = run(TOOL, 'cc-eventlog', ccel, log, el)
    check(rc == 0, 'cc-eventlog: %s' % err)
    base = replay('--ccel', ccel)['sha384']
    got = replay('--ccel', el)['sha384']
    check(all(got.get(k) == v for k, v in base.items() if k != '3'), 'CCEL RTMRs kept')
    check(got.get('3') == expected.hex() and '3' not in base, 'AAEL in RTMR 3: %s' % got)
    # AAEL alone: the fixed Spec ID header goes first
    rc, out, err = run(TOOL, 'cc-eventlog', '-', log, el)
    check(rc == 0, 'cc-eventlog without CCEL: %s' % err)
    got = replay('--ccel', el)
    check(got.get('sha384') == {'3': expected.hex()} and got.get('sha256') == {}
          and got.get('sm3') == {}, 'AAEL-only cc_eventlog: %s' % got)

    # detect and get on scratch trees (no hardware: sample, or clear errors)
    root = os.path.join(tmp, 'root')
    os.makedirs(root)
    rc, out, err = run(COCOON, 'evidence', 'detect', '--root', root)
    check(rc == 0 and out.strip() == 'sample', 'detect on an empty tree: %r %s' % (out, err))
    os.makedirs(os.path.join(root, 'dev'))
    open(os.path.join(root, 'dev', 'tpm0'), 'w').close()
    rc, out, err = run(COCOON, 'evidence', 'detect', '--root', root)
    check(out.strip() == 'tpm', 'detect /dev/tpm0: %r' % out)
    os.makedirs(os.path.join(root, 'sys', 'devices', 'platform', 'sev-guest'))
    rc, out, err = run(COCOON, 'evidence', 'detect', '--root', root)
    check(out.strip() == 'snp', 'detect sev-guest before tpm: %r' % out)
    rc, out, err = run(COCOON, 'evidence', 'get', '--root', root, '--report-data', '0102')
    check(rc == 1 and 'snp: SNP: ' in err and '/dev/sev-guest' in err,
          'get on an snp tree without the device: %s' % err)
    rc, out, err = run(COCOON, 'evidence', 'get', '--tee', 'tdx', '--root', root)
    check(rc == 1 and 'TDX quote: neither configfs-tsm' in err, 'get tdx: %s' % err)
    empty = os.path.join(tmp, 'empty')
    os.makedirs(empty)
    rd = '11' * 48
    rc, out, err = run(COCOON, 'evidence', 'get', '--root', empty, '--report-data', rd)
    check(rc == 0 and json.loads(out) == {'svn': '1', 'report_data':
                                          'ERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERER'},
          'get falls back to sample: %r %s' % (out, err))
    ev = os.path.join(tmp, 'sample.json')
    with open(ev, 'w') as f:
        f.write(out)
    rc, out, err = run(COCOON, 'evidence', 'verify', '--tee', 'sample', '--evidence', ev,
                       '--report-data', rd)
    check(rc == 0, 'verify accepts get\'s sample evidence: %s' % err)
    rc, out, err = run(COCOON, 'evidence', 'get', '--tee', 'csv')
    check(rc == 1 and "no attester for TEE 'csv'" in err, 'get csv: %s' % err)
    rc, out, err = run(COCOON, 'evidence', 'get', '--tee', 'sample', '--report-data', '11' * 65)
    check(rc == 1 and 'more than 64' in err, 'get with 65 bytes: %s' % err)
finally:
    shutil.rmtree(tmp)

if failures:
    print('%d failure(s)' % len(failures))
    sys.exit(1)
print('ok')
