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
  replays, with --ccel, to the CCEL's RTMRs plus the AAEL's RTMR 3.
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
finally:
    shutil.rmtree(tmp)

if failures:
    print('%d failure(s)' % len(failures))
    sys.exit(1)
print('ok')
