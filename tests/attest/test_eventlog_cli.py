#!/usr/bin/env python3
"""`cocoon evidence replay-eventlog` on Trustee's CCEL vectors and on TCG2 /
legacy logs built by eventlog_gen.py (docs/attest-eventlog.md):
- --ccel replays give deps/eventlog's test_rtmr_integrity values;
- --ccel --parsed gives the vectors' *_out.json (Trustee's parsed log),
  equal as JSON;
- TCG2 and legacy replays equal the generator's and tpm2-tools'
  tpm2_eventlog's (when installed; see the doc for tpm2-tools 5.4 and
  StartupLocality);
- malformed logs exit 1 naming what is wrong.
Usage: test_eventlog_cli.py COCOON DATA_DIR"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eventlog_gen  # noqa: E402

COCOON, DATA = sys.argv[1], sys.argv[2]
failures = []

RTMRS = {  # deps/eventlog/src/lib.rs test_rtmr_integrity (RTMR 0..3; zero ones not touched)
    'CCEL_data': ['2dc712306a963eadb894ad47dbaa17df44814151555aee11cbb843becca88950ffd079664902e6f22c66f7c8213543f4',
                  '0fa3be56af61208bbd179dc7b124988eb929319154663c539d6f46445ecac2fec287075047ff7bd1922829fec28cd3cf'],
    'CCEL_data_ovmf': ['8566f998798db09443b244c62de9a3041fb02e2e6936c4396d784bba2e90177329ec5aba3bb484404f2ab9cc90abe193',
                       '775b9f6bfe99f8a31396f0d0218e67ffa796d3b96ccf961cbb0deba48c79c00f082cda1a5567c1c16305f1fc210c13c6',
                       '94eaf7a7bf398ed8d888c91057ae0261802e4f3df084213a76ca7f0b5055ac9d2241de43cd58d9e8b49c503bbf25f34a'],
    'CCEL_data_grub': ['cec0a104f691f60da2387fea3c2de00c4ac035e2bb479ff02edcce69039d9e9907f0b3e55031da3dc7038f423adebd79',
                       '6c289e0c62182d41ebe97bdbc9872d10998a08eaa86adcdc684001a363207ee72942c7522cdf00a4bbc3d784bed7b670',
                       '08919d017ba0e52cd6d966351c7de16fe76c1d3d3d3da4554239e4c7d16cb8b82a94e7eaea3a0e6e18eb690b999fd31e'],
    'CCEL_data_gcp': ['3300980705adf09d28b707b79699d9874892164280832be2c386a715b6e204e0897fb564a064f810659207ba862b304f',
                      '204d49f78d29918fe7b2f694e76653861a0c2a018987d2c3a54266eff737232524cf0af68c4d180e2f8c2c0937f21967'],
    'CCEL_data_grub_gke': ['bc9945139042cf2cc75caf920aa57f14884ecfd7e893bccc51250c8ce90eb53ce72741e6adaa18183eb1331a87d4544a',
                           'c17cb288a4dee302bb9ed8d27257a168f3264ad68cab53757f37eeaa7039657fa887cad65cf910e0fdc435ff110f8a7b',
                           '334aeba2c985f8886cea97d1ecffbd512769d528b9a94009583db667ad7d2faa7d37fa145d75b192ceee2d2f10b2eb6d'],
}


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)


def run(*args):
    return subprocess.run([COCOON, 'evidence', 'replay-eventlog', *args], capture_output=True,
                          text=True, timeout=60)


def replay_from_parsed(entries):
    """Independent replay of Trustee's parsed entries (index 1..4 -> RTMR 0..3)."""
    import hashlib
    names = {'SHA-384': 'sha384', 'SHA-256': 'sha256', 'SM3': 'sm3', 'SHA-512': 'sha512'}
    out = {}
    for e in entries:
        if e['index'] == 0 or e['type_name'] == 'EV_NO_ACTION':
            continue
        for d in e['digests']:
            alg = names[d['alg']]
            bank = out.setdefault(alg, {})
            key = str(e['index'] - 1)
            cur = bytes.fromhex(bank.get(key, '00' * (len(d['digest']) // 2)))
            bank[key] = hashlib.new(alg, cur + bytes.fromhex(d['digest'])).hexdigest()
    return out


def tpm2_eventlog_pcrs(path):
    """The pcrs: section of tpm2_eventlog's YAML as {bank: {index: hex}}."""
    p = subprocess.run(['tpm2_eventlog', path], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return None
    out, bank, inside = {}, None, False
    for line in p.stdout.splitlines():
        if line.startswith('pcrs:'):
            inside = True
            continue
        if not inside:
            continue
        m = re.match(r'^  (\w+):\s*$', line)
        if m:
            bank = out.setdefault(m.group(1), {})
            continue
        m = re.match(r'^    (\d+)\s*:\s*0x([0-9a-fA-F]+)', line)
        if m and bank is not None:
            bank[m.group(1)] = m.group(2).lower()
    return out


# 1. CCEL replays and parsed logs
for name in sorted(os.listdir(DATA)):
    if not name.startswith('CCEL_') or name.endswith('.json'):
        continue
    path = os.path.join(DATA, name)
    p = run('--ccel', path)
    check(p.returncode == 0, f'{name}: --ccel replay exits 0 ({p.stderr.strip()})')
    if p.returncode != 0:
        continue
    got = json.loads(p.stdout)
    if name in RTMRS:
        want = {str(i): v for i, v in enumerate(RTMRS[name])}
        check(got == {'sha384': want}, f'{name}: RTMRs equal upstream test_rtmr_integrity')
    out_json = path + '_out.json'
    if os.path.exists(out_json):
        with open(out_json) as f:
            want = json.load(f)
        p = run('--ccel', '--parsed', path)
        parsed = json.loads(p.stdout) if p.returncode == 0 else {}
        ours = parsed.get('uefi_event_logs', [])
        theirs = want['uefi_event_logs']
        same = len(ours) == len(theirs) and all(a == b for a, b in zip(ours, theirs))
        if not same:
            for i, (a, b) in enumerate(zip(ours, theirs)):
                if a != b:
                    print(f'  first difference at entry {i}:\n  ours   {json.dumps(a)[:300]}\n'
                          f'  theirs {json.dumps(b)[:300]}')
                    break
        check(same, f'{name}: --parsed equals {name}_out.json ({len(theirs)} entries)')
        check(replay_from_parsed(theirs) == got,
              f'{name}: replay equals an independent replay of _out.json')
        if name == 'CCEL_AAEL_alibabacloud':
            check(parsed.get('aael') == {'coco.com': {'some-operation': [
                'some-content', '{"key": "value", "nested-key": {"sub-key": "value"}}']}},
                  f'{name}: AAEL entries')

# 2. TCG2 and legacy logs: generator and tpm2_eventlog agree with us
have_tools = shutil.which('tpm2_eventlog') is not None
with tempfile.TemporaryDirectory(prefix='cocoon-evlog-') as tmp:
    logs = {'tcg2': eventlog_gen.tcg2(), 'tcg2_loc': eventlog_gen.tcg2(locality=3),
            'tcg2_sha512': eventlog_gen.tcg2(algs=(0x000B, 0x000D)),
            'legacy': eventlog_gen.legacy()}
    for name, (log, want) in logs.items():
        path = os.path.join(tmp, name + '.bin')
        with open(path, 'wb') as f:
            f.write(log)
        p = run(path)
        got = json.loads(p.stdout) if p.returncode == 0 else None
        check(got == want, f'{name}: replay equals the generator\'s ({p.stderr.strip()})')
        if not have_tools:
            print(f'skip {name}: tpm2_eventlog not installed')
            continue
        peer = tpm2_eventlog_pcrs(path)
        if name == 'tcg2_loc' and peer is not None:
            # tpm2-tools 5.4 extends the StartupLocality EV_NO_ACTION record's
            # zero digests into PCR 0 and ignores the locality (fixed upstream
            # later, whose rule is ours): compare the other PCRs.
            for bank in peer.values():
                bank.pop('0', None)
            for bank in got.values():
                bank.pop('0', None)
        check(peer == got, f'{name}: replay equals tpm2_eventlog\'s pcrs')

    # AA event log file (guest-components' format: records, no header); the
    # digest of "domain operation content" is the one guest-components'
    # eventlog test gives (../shared/reference/guest-components.md §1.5).
    import hashlib
    tagged = struct.pack('<II', 0x4141454C, 24) + b'domain operation content'
    aael = eventlog_gen.event2(4, 6, tagged, [0x000C])
    check(hashlib.sha384(tagged).hexdigest() == 'dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a2'
          '2990cf04d5692440fb00f3aa0609db7e49cd8d793f670d02', 'AAEL entry digest = guest-components\'')
    path = os.path.join(tmp, 'aael.bin')
    with open(path, 'wb') as f:
        f.write(aael + aael)
    p = run('--aael', path)
    d = hashlib.sha384(tagged).digest()
    want = hashlib.sha384(hashlib.sha384(b'\0' * 48 + d).digest() + d).hexdigest()
    check(p.returncode == 0 and json.loads(p.stdout) == {'sha384': {'4': want}},
          f'AAEL file replays register 4 ({p.stderr.strip()})')
    p = run('--aael', '--parsed', path)
    parsed = json.loads(p.stdout) if p.returncode == 0 else {}
    check(parsed.get('aael') == {'domain': {'operation': ['content', 'content']}}
          and all(e['digest_matches_event'] for e in parsed['uefi_event_logs']),
          'AAEL file: entries and digests')
    open(os.path.join(tmp, 'empty'), 'wb').close()
    p = run('--aael', os.path.join(tmp, 'empty'))
    check(p.returncode == 0 and json.loads(p.stdout) == {}, 'empty AAEL file: no registers')

    # 3. malformed logs exit 1 and name the problem
    log, _ = eventlog_gen.tcg2()
    bad = {
        'truncated': (log[:-3], 'truncated'),
        'unknown-alg': (log.replace(struct.pack('<HH', 0x000C, 48), struct.pack('<HH', 0x0099, 48), 1),
                        'unknown algorithm'),
        'wrong-size': (log.replace(struct.pack('<HH', 0x000B, 32), struct.pack('<HH', 0x000B, 31), 1),
                       'not 32'),
    }
    for name, (data, msg) in bad.items():
        path = os.path.join(tmp, name + '.bin')
        with open(path, 'wb') as f:
            f.write(data)
        p = run(path)
        check(p.returncode == 1 and msg in p.stderr, f'{name}: exit 1 with "{msg}" ({p.stderr.strip()})')
    ccel = open(os.path.join(DATA, 'CCEL_data_ovmf'), 'rb').read()
    path = os.path.join(tmp, 'ccel-garbage')
    with open(path, 'wb') as f:
        f.write(ccel[:-1] + b'\x01')
    p = run('--ccel', path)
    check(p.returncode == 1 and 'CCEL padding' in p.stderr,
          f'CCEL bytes after the padding: exit 1 ({p.stderr.strip()})')
    p = run('--nope')
    check(p.returncode == 2, 'unknown option: exit 2')

print(f'{len(failures)} failure(s)')
sys.exit(1 if failures else 0)
