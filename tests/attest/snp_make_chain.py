#!/usr/bin/env python3
"""Makes the snp tests' own AMD-like PKI (tests/attest/data/snp/testchain/):
per product an ARK, ASK and ASVK (RSA-4096, RSASSA-PSS SHA-384 salt 48,
the names AMD uses), a VCEK (P-384, AMD's hwID and SPL extensions) and a
VLEK, their private keys (for the tests to sign synthetic reports), and
CRLs. Run once; the output is committed (keys are test keys only).

Usage: snp_make_chain.py OUTDIR
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
NB = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
NA = datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)
AMD = '1.3.6.1.4.1.3704.1.'

# chip_id of the synthetic reports (tests/attest/test_snp_verify.c).
CHIP_ID = bytes(range(0x40, 0x80))
# reported TCB the VCEKs certify: bl, tee, snp, ucode (Turin: + fmc).
TCB = dict(bl=3, tee=0, snp=8, ucode=115, fmc=2)


def name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, 'Engineering'),
        x509.NameAttribute(NameOID.COUNTRY_NAME, 'US'),
        x509.NameAttribute(NameOID.LOCALITY_NAME, 'Santa Clara'),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, 'CA'),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Advanced Micro Devices'),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def der_int(v):
    body = v.to_bytes(1, 'big') if v < 128 else b'\x00' + v.to_bytes(1, 'big')
    return b'\x02' + bytes([len(body)]) + body


def ext(oid, value):
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(AMD + oid), value)


def cert(subject, issuer, pub, key, serial, ca, extra=()):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(pub).serial_number(serial).not_valid_before(NB).not_valid_after(NA))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                          False), critical=True)
    for e in extra:
        b = b.add_extension(e, critical=False)
    return b.sign(key, hashes.SHA384(), rsa_padding=PSS)


def pem(c):
    return c.public_bytes(serialization.Encoding.PEM)


def der(c):
    return c.public_bytes(serialization.Encoding.DER)


def key_pem(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def vek_exts(turin, hwid):
    e = [ext('3.1', der_int(TCB['bl'])), ext('3.2', der_int(TCB['tee'])),
         ext('3.3', der_int(TCB['snp'])), ext('3.8', der_int(TCB['ucode']))]
    if turin:
        e.append(ext('3.9', der_int(TCB['fmc'])))
    if hwid is not None:
        e.append(ext('4', hwid))
    return e


def crl(issuer_cn, key, serials, last, nxt):
    b = (x509.CertificateRevocationListBuilder().issuer_name(name(issuer_cn))
         .last_update(last).next_update(nxt))
    for s in serials:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(s)
                                      .revocation_date(last).build())
    return b.sign(key, hashes.SHA384(), rsa_padding=PSS)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    def write(fn, data):
        with open(os.path.join(out, fn), 'wb') as f:
            f.write(data)

    for prod in ('Milan', 'Genoa', 'Turin'):
        low = prod.lower()
        ark_k = rsa.generate_private_key(65537, 4096)
        ask_k = rsa.generate_private_key(65537, 4096)
        asvk_k = rsa.generate_private_key(65537, 4096)
        ark = cert('ARK-' + prod, 'ARK-' + prod, ark_k.public_key(), ark_k, 1, True)
        ask = cert('SEV-' + prod, 'ARK-' + prod, ask_k.public_key(), ark_k, 2, True)
        asvk = cert('SEV-VLEK-' + prod, 'ARK-' + prod, asvk_k.public_key(), ark_k, 3, True)
        write(low + '_ask_ark_asvk.pem', pem(ask) + pem(ark) + pem(asvk))
        write(low + '_ask_ark.pem', pem(ask) + pem(ark))
        turin = prod == 'Turin'
        vcek_k = ec.generate_private_key(ec.SECP384R1())
        vlek_k = ec.generate_private_key(ec.SECP384R1())
        hwid = CHIP_ID[:8] if turin else CHIP_ID
        vcek = cert('SEV-VCEK', 'SEV-' + prod, vcek_k.public_key(), ask_k, 100,
                    False, vek_exts(turin, hwid))
        vlek = cert('SEV-VLEK', 'SEV-VLEK-' + prod, vlek_k.public_key(), asvk_k, 101,
                    False, vek_exts(turin, None))
        write(low + '_vcek.der', der(vcek))
        write(low + '_vcek_key.pem', key_pem(vcek_k))
        write(low + '_vlek.der', der(vlek))
        write(low + '_vlek_key.pem', key_pem(vlek_k))
        if prod == 'Milan':
            # hwID as a DER OCTET STRING (newer KDS certificates)
            wrapped = cert('SEV-VCEK', 'SEV-Milan', vcek_k.public_key(), ask_k, 102, False,
                           vek_exts(False, b'\x04\x40' + CHIP_ID))
            write('milan_vcek_octet.der', der(wrapped))
            # a VCEK signed with PKCS#1 v1.5 instead of PSS
            b = (x509.CertificateBuilder().subject_name(name('SEV-VCEK'))
                 .issuer_name(name('SEV-Milan')).public_key(vcek_k.public_key())
                 .serial_number(103).not_valid_before(NB).not_valid_after(NA))
            for e in vek_exts(False, CHIP_ID):
                b = b.add_extension(e, critical=False)
            write('milan_vcek_pkcs1.der', der(b.sign(ask_k, hashes.SHA384())))
            now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
            write('milan_crl_revoked.pem', crl('SEV-Milan', ask_k, [100], now - datetime.timedelta(days=1), NA)
                  .public_bytes(serialization.Encoding.PEM))
            write('milan_crl_clean.pem', crl('ARK-Milan', ark_k, [77], now - datetime.timedelta(days=1), NA)
                  .public_bytes(serialization.Encoding.PEM))
            write('milan_crl_expired.pem', crl('ARK-Milan', ark_k, [], NB, NB + datetime.timedelta(days=30))
                  .public_bytes(serialization.Encoding.PEM))


if __name__ == '__main__':
    main()
