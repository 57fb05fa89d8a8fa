#!/usr/bin/env python3
"""A DCAP test PKI with keys the tests control (tests/attest/test_dcap_collateral.c).

Writes into OUTDIR: a test root CA (root.der, and other_root.der for a
chain that ends in another self-signed root), a PCK Platform CA, a PCK leaf
carrying Intel's SGX extension (OID 1.2.840.113741.1.13.1) built here in
DER, a TCB signing certificate and its key (tcb_key.pem, which the C test
uses to sign its own tcbInfo / enclaveIdentity texts), and CRLs: good ones,
one revoking the PCK leaf, one revoking the Platform CA, an expired one.
Every certificate is valid 2020..2040; the CRLs' window is 2025-01-01 ..
2026-01-01 (the expired one ends 2025-06-01); tests run at 2025-09-10.
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SGX = "1.2.840.113741.1.13.1"
UTC = datetime.timezone.utc
NB = datetime.datetime(2020, 1, 1, tzinfo=UTC)
NA = datetime.datetime(2040, 1, 1, tzinfo=UTC)
CRL_THIS = datetime.datetime(2025, 1, 1, tzinfo=UTC)
CRL_NEXT = datetime.datetime(2026, 1, 1, tzinfo=UTC)
CRL_OLD = datetime.datetime(2025, 6, 1, tzinfo=UTC)
CRL_FAR = datetime.datetime(2039, 1, 1, tzinfo=UTC)  # still valid today (fetch cache test)

# The leaf's TCB: FMSPC, PCE-ID, component SVNs 1..16, PCESVN.
FMSPC = bytes.fromhex("00906ed50000")
PCEID = bytes.fromhex("0000")
COMPS = [5, 5, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]
PCESVN = 11


def der(tag, body):
    n = len(body)
    if n < 128:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    out = bytes([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(enc))
    return der(0x06, out)


def integer(v):
    b = v.to_bytes((v.bit_length() + 8) // 8 or 1, "big")
    return der(0x02, b)


def seq(*items):
    return der(0x30, b"".join(items))


def sgx_extension(fmspc=FMSPC, comps=COMPS, pcesvn=PCESVN):
    tcb = [seq(oid(f"{SGX}.2.{i + 1}"), integer(c)) for i, c in enumerate(comps)]
    tcb.append(seq(oid(f"{SGX}.2.17"), integer(pcesvn)))
    tcb.append(seq(oid(f"{SGX}.2.18"), der(0x04, bytes(comps))))
    return seq(
        seq(oid(f"{SGX}.1"), der(0x04, bytes(range(16)))),
        seq(oid(f"{SGX}.2"), seq(*tcb)),
        seq(oid(f"{SGX}.3"), der(0x04, PCEID)),
        seq(oid(f"{SGX}.4"), der(0x04, fmspc)),
        seq(oid(f"{SGX}.5"), der(0x0A, b"\x00")),
    )


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cocoon test")])


def cert(subject, key, issuer, issuer_key, ca, serial, ext=None, key_ids=True):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(NB).not_valid_after(NA)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    # key identifiers, as Intel's certificates have them (X509_V_FLAG_X509_STRICT)
    if key_ids:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                            critical=False)
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                          False), critical=True)
    if ext is not None:
        b = b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(SGX), ext),
                            critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def crl(issuer, issuer_key, revoked, this=CRL_THIS, nxt=CRL_NEXT):
    b = (x509.CertificateRevocationListBuilder().issuer_name(name(issuer))
         .last_update(this).next_update(nxt)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer_key.public_key()), critical=False)
         .add_extension(x509.CRLNumber(1), critical=False))
    for serial in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(this).build())
    return b.sign(issuer_key, hashes.SHA256())


def main(out):
    k = lambda: ec.generate_private_key(ec.SECP256R1())
    root_k, ca_k, leaf_k, tcb_k, other_k = k(), k(), k(), k(), k()
    root = cert("Intel SGX Root CA", root_k, "Intel SGX Root CA", root_k, True, 1)
    other = cert("Intel SGX Root CA", other_k, "Intel SGX Root CA", other_k, True, 1)
    ca = cert("Intel SGX PCK Platform CA", ca_k, "Intel SGX Root CA", root_k, True, 2)
    ca_other = cert("Intel SGX PCK Platform CA", ca_k, "Intel SGX Root CA", other_k, True, 2)
    leaf = cert("Intel SGX PCK Certificate", leaf_k, "Intel SGX PCK Platform CA", ca_k, False, 3,
                sgx_extension())
    leaf_fmspc = cert("Intel SGX PCK Certificate", leaf_k, "Intel SGX PCK Platform CA", ca_k,
                      False, 4, sgx_extension(fmspc=bytes.fromhex("00906ed50001")))
    leaf_no_ids = cert("Intel SGX PCK Certificate", leaf_k, "Intel SGX PCK Platform CA", ca_k,
                       False, 6, sgx_extension(), key_ids=False)
    tcb = cert("Intel SGX TCB Signing", tcb_k, "Intel SGX Root CA", root_k, False, 5)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)
    w = lambda n, b: open(f"{out}/{n}", "wb").write(b)
    w("root.der", root.public_bytes(serialization.Encoding.DER))
    w("other_root.der", other.public_bytes(serialization.Encoding.DER))
    w("pck_chain.pem", pem(leaf) + pem(ca) + pem(root))
    w("pck_chain_fmspc.pem", pem(leaf_fmspc) + pem(ca) + pem(root))
    w("pck_chain_no_key_ids.pem", pem(leaf_no_ids) + pem(ca) + pem(root))
    w("pck_chain_other_root.pem", pem(leaf) + pem(ca_other) + pem(other))
    w("pck_crl_issuer_chain.pem", pem(ca) + pem(root))
    w("tcb_chain.pem", pem(tcb) + pem(root))
    w("tcb_key.pem", tcb_k.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    w("pck_ext.der", sgx_extension())
    cd = lambda c: c.public_bytes(serialization.Encoding.DER)
    w("root_crl.der", cd(crl("Intel SGX Root CA", root_k, [])))
    w("root_crl_revoked_ca.der", cd(crl("Intel SGX Root CA", root_k, [2])))
    w("root_crl_expired.der", cd(crl("Intel SGX Root CA", root_k, [], nxt=CRL_OLD)))
    w("pck_crl.der", cd(crl("Intel SGX PCK Platform CA", ca_k, [])))
    w("pck_crl_revoked_leaf.der", cd(crl("Intel SGX PCK Platform CA", ca_k, [3])))
    w("pck_crl_expired.der", cd(crl("Intel SGX PCK Platform CA", ca_k, [], nxt=CRL_OLD)))
    w("root_crl_far.der", cd(crl("Intel SGX Root CA", root_k, [], nxt=CRL_FAR)))
    w("pck_crl_far.der", cd(crl("Intel SGX PCK Platform CA", ca_k, [], nxt=CRL_FAR)))
    w("pck_crl.pem", crl("Intel SGX PCK Platform CA", ca_k, []).public_bytes(
        serialization.Encoding.PEM))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_dcap_pki.py OUTDIR")
    main(sys.argv[1])


# ---- SGX quote v3 test PKI (tests/attest/data/sgx/, test_sgx_quote.c,
# test_sgx_cli.py): the same shapes with every private key written out, so
# the tests sign their own QE reports, quotes, tcbInfo and QE identities.
# Made once and committed:
#   python3 -c 'import sys; sys.path.insert(0, "tests/attest"); \
#       import make_dcap_pki as m; m.sgx_pki("tests/attest/data/sgx")'
SGX_PIID = bytes(range(0xa0, 0xb0))  # PlatformInstanceID of the Platform CA leaf


def sgx_platform_extension():
    """sgx_extension() plus PlatformInstanceID (.6) and Configuration (.7)."""
    body = sgx_extension()
    inner = body[2:] if body[1] < 0x80 else body[2 + (body[1] & 0x7F):]
    conf = seq(seq(oid(f"{SGX}.7.1"), der(0x01, b"\x00")),
               seq(oid(f"{SGX}.7.2"), der(0x01, b"\x00")),
               seq(oid(f"{SGX}.7.3"), der(0x01, b"\xff")))
    return seq(inner, seq(oid(f"{SGX}.6"), der(0x04, SGX_PIID)), seq(oid(f"{SGX}.7"), conf))


def sgx_pki(out):
    k = lambda: ec.generate_private_key(ec.SECP256R1())
    root_k, ca_k, leaf_k, tcb_k, other_k, att_k = k(), k(), k(), k(), k(), k()
    root = cert("Intel SGX Root CA", root_k, "Intel SGX Root CA", root_k, True, 1)
    other = cert("Intel SGX Root CA", other_k, "Intel SGX Root CA", other_k, True, 1)
    ca = cert("Intel SGX PCK Platform CA", ca_k, "Intel SGX Root CA", root_k, True, 2)
    ca_other = cert("Intel SGX PCK Platform CA", ca_k, "Intel SGX Root CA", other_k, True, 2)
    leaf = cert("Intel SGX PCK Certificate", leaf_k, "Intel SGX PCK Platform CA", ca_k, False, 3,
                sgx_platform_extension())
    tcb = cert("Intel SGX TCB Signing", tcb_k, "Intel SGX Root CA", root_k, False, 5)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)
    cd = lambda c: c.public_bytes(serialization.Encoding.DER)
    key = lambda x: x.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    w = lambda n, b: open(f"{out}/{n}", "wb").write(b)
    w("root.der", cd(root))
    w("pck_chain.pem", pem(leaf) + pem(ca) + pem(root))
    w("pck_chain_other_root.pem", pem(leaf) + pem(ca_other) + pem(other))
    w("pck_crl_issuer_chain.pem", pem(ca) + pem(root))
    w("tcb_chain.pem", pem(tcb) + pem(root))
    w("pck_key.pem", key(leaf_k))
    w("tcb_key.pem", key(tcb_k))
    w("att_key.pem", key(att_k))
    w("root_crl.der", cd(crl("Intel SGX Root CA", root_k, [])))
    w("pck_crl.der", cd(crl("Intel SGX PCK Platform CA", ca_k, [])))
    w("pck_crl_revoked_leaf.der", cd(crl("Intel SGX PCK Platform CA", ca_k, [3])))
