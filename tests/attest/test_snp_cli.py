#!/usr/bin/env python3
"""`cocoon evidence verify --tee snp` on Trustee's SNP vectors
(docs/attest-snp.md): the raw Milan report with --vcek (binary and hex),
the Genoa evidence JSON, the VLEK report, refusals naming the failed
check, and --fetch against a loopback KDS (snp_kds_server.py, stopped by
PID) with the VCEK written to and then read from --cache-dir.
Usage: test_snp_cli.py COCOON DATA_DIR"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

COCOON, DATA = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
failures = []

MILAN_MEASUREMENT = ('a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c'
                     '23500644e0e692e6be917f9050d3d38c')
MILAN_RD = 'ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2'
GENOA_RD = ('7e7320889600c7ac133aea7b896c51f41026002982292a7369559796999c1bf9'
            '29eef3ff23c46e858f0b1982f9a92b17c51b578d958cde6b0c92978f150cf9b0')


def d(name):
    return os.path.join(DATA, name)


def verify(*args, env=None):
    p = subprocess.run([COCOON, 'evidence', 'verify', '--tee', 'snp'] + list(args),
                       capture_output=True, text=True, timeout=60, env=env)
    return p.returncode, p.stdout, p.stderr


def expect_ok(label, *args, env=None, claims=None):
    rc, out, err = verify(*args, env=env)
    if rc != 0:
        failures.append('%s: exit %d: %s' % (label, rc, err.strip()))
        return None
    got = json.loads(out)
    for k, v in (claims or {}).items():
        if got.get(k) != v:
            failures.append('%s: claim %s = %r, want %r' % (label, k, got.get(k), v))
    return got


def expect_fail(label, prefix, *args, env=None):
    rc, out, err = verify(*args, env=env)
    msg = err.strip().split(': ', 1)[-1] if err.startswith('cocoon evidence verify: ') else err
    if rc != 1 or not msg.startswith(prefix):
        failures.append('%s: exit %d, %r (want 1 and %r)' % (label, rc, err.strip(), prefix))


MILAN_CLAIMS = {
    'measurement': MILAN_MEASUREMENT, 'report_data': MILAN_RD + '0' * 64,
    'init_data': '0' * 64, 'reported_tcb_bootloader': 3, 'reported_tcb_tee': 0,
    'reported_tcb_snp': 8, 'reported_tcb_microcode': 115, 'policy_abi_major': 0,
    'policy_abi_minor': 31, 'policy_smt_allowed': True, 'policy_migrate_ma': False,
    'policy_debug_allowed': False, 'policy_single_socket': False,
    'platform_smt_enabled': True, 'platform_tsme_enabled': False,
}

tmp = tempfile.mkdtemp(prefix='cocoon-snp-cli.')
server = None
try:
    # the raw report, binary and hex
    got = expect_ok('milan raw', '--evidence', d('test-report.bin'), '--vcek', d('test-vcek.der'),
                    '--report-data', MILAN_RD, claims=MILAN_CLAIMS)
    if got is not None and len(got) != 16:
        failures.append('milan raw: %d claims, want 16' % len(got))
    with open(d('test-report.bin'), 'rb') as f:
        raw = f.read()
    hexfile = os.path.join(tmp, 'report.hex')
    with open(hexfile, 'w') as f:
        f.write('0x' + raw.hex() + '\n')
    expect_ok('milan hex', '--evidence', hexfile, '--vcek', d('test-vcek.der'), claims=MILAN_CLAIMS)
    expect_fail('milan report_data', 'report_data mismatch', '--evidence', d('test-report.bin'),
                '--vcek', d('test-vcek.der'), '--report-data', 'ff' + MILAN_RD[2:])
    expect_fail('milan init_data', 'init_data mismatch', '--evidence', d('test-report.bin'),
                '--vcek', d('test-vcek.der'), '--init-data', '01' * 32)
    for bad in ('test-vcek-invalid-legacy.der', 'test-vcek-invalid-new.der'):
        expect_fail(bad, 'VCEK chain', '--evidence', d('test-report.bin'), '--vcek', d(bad))
    expect_fail('milan vlek as vcek', 'VCEK chain', '--evidence', d('test-report.bin'),
                '--vcek', d('test-vlek.der'))
    flipped = bytearray(raw)
    flipped[0x90] ^= 1
    flipfile = os.path.join(tmp, 'flipped.bin')
    with open(flipfile, 'wb') as f:
        f.write(flipped)
    expect_fail('milan flipped', 'report signature', '--evidence', flipfile, '--vcek',
                d('test-vcek.der'))
    with open(flipfile, 'wb') as f:
        f.write(raw[:-1])
    expect_fail('milan truncated', 'truncated', '--evidence', flipfile, '--vcek', d('test-vcek.der'))
    # --cert-chain: Milan's ASK and ARK from the built-in file; Genoa's ARK is refused
    for prod in ('milan', 'genoa'):
        with open(os.path.join(HERE, '..', '..', 'lib', 'attest', 'snp_certs',
                               prod + '_ask_ark_asvk.pem')) as f:
            pems = f.read().split('-----END CERTIFICATE-----')
        with open(os.path.join(tmp, prod + '_chain.pem'), 'w') as f:
            f.write(pems[0] + '-----END CERTIFICATE-----' + pems[1] + '-----END CERTIFICATE-----\n')
    expect_ok('milan --cert-chain', '--evidence', d('test-report.bin'), '--vcek', d('test-vcek.der'),
              '--cert-chain', os.path.join(tmp, 'milan_chain.pem'), claims=MILAN_CLAIMS)
    expect_fail('milan --cert-chain genoa', 'VCEK chain', '--evidence', d('test-report.bin'),
                '--vcek', d('test-vcek.der'), '--cert-chain', os.path.join(tmp, 'genoa_chain.pem'))
    # Genoa evidence JSON (VCEK in its cert_chain)
    expect_ok('genoa json', '--evidence', d('evidence-genoa.json'), '--report-data', GENOA_RD,
              '--init-data', '00' * 32,
              claims={'reported_tcb_bootloader': 10, 'reported_tcb_snp': 23,
                      'reported_tcb_microcode': 25, 'report_data': GENOA_RD})
    expect_fail('genoa json rd', 'report_data mismatch', '--evidence', d('evidence-genoa.json'),
                '--report-data', '00' * 48)
    # VLEK: VMPL 1 is refused by Trustee's rule; expired after 2025-12-10
    expect_fail('vlek vmpl', 'VMPL', '--evidence', d('test-vlek-report.bin'), '--vcek',
                d('test-vlek.der'), '--at', '1735689600')
    expect_fail('vlek expired', 'VLEK chain', '--evidence', d('test-vlek-report.bin'), '--vcek',
                d('test-vlek.der'))

    # --fetch from a loopback KDS, the cache written, then used offline
    kds = os.path.join(tmp, 'kds')
    os.mkdir(kds)
    hwid = raw[0x1A0:0x1E0].hex()
    shutil.copy(d('test-vcek.der'), os.path.join(
        kds, 'vcek_v1_Milan_%s_blSPL=03_teeSPL=00_snpSPL=08_ucodeSPL=115' % hwid))
    server = subprocess.Popen([sys.executable, os.path.join(HERE, 'snp_kds_server.py'), kds],
                              stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    env = dict(os.environ, COCOON_SNP_KDS_URL='http://127.0.0.1:%d' % port)
    cache = os.path.join(tmp, 'cache')
    expect_fail('no fetch, no cache', 'VCEK chain: no VCEK', '--evidence', d('test-report.bin'),
                '--cache-dir', cache, env=env)
    expect_ok('fetch', '--evidence', d('test-report.bin'), '--cache-dir', cache, '--fetch',
              env=env, claims=MILAN_CLAIMS)
    cached = os.path.join(cache, 'vcek', hwid, 'bl03_tee00_snp08_ucode115_vcek.der')
    if not os.path.isfile(cached):
        failures.append('fetch: %s not written' % cached)
    with open(os.path.join(kds, 'requests.log')) as f:
        reqs = f.read().split()
    want = '/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115' % hwid
    if want not in reqs:
        failures.append('fetch: KDS saw %r, want %r' % (reqs, want))
    if '/vcek/v1/Milan/crl' not in reqs:
        failures.append('fetch: the CRL was not asked for: %r' % reqs)
    server.kill()
    server.wait(timeout=10)
    server = None
    expect_ok('cache', '--evidence', d('test-report.bin'), '--cache-dir', cache, env=env,
              claims=MILAN_CLAIMS)
    expect_fail('fetch, KDS down', 'VCEK chain', '--evidence', d('test-report.bin'),
                '--cache-dir', os.path.join(tmp, 'cache2'), '--fetch', env=env)
finally:
    if server is not None:
        server.kill()
        server.wait(timeout=10)
    shutil.rmtree(tmp, ignore_errors=True)

for f in failures:
    print('FAIL', f)
print('%d failure(s)' % len(failures))
sys.exit(1 if failures else 0)
