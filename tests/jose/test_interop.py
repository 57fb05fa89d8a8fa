#!/usr/bin/env python3
"""Interop of libcocoon-jose with an independent JOSE implementation,
Debian's python3-jwcrypto, driven through tests/jose/jose_tool:

- a JWE made by cocoon (P-256, P-521, RSA-OAEP-256, RSA1_5) is decrypted by
  jwcrypto, and one made by jwcrypto is decrypted by cocoon; tampered
  ciphertext, tag, IV, wrapped key or header fail on both sides;
- a JWT signed by cocoon verifies with jwcrypto and one signed by jwcrypto
  verifies with cocoon (ES256, ES384, ES512, RS256, PS256, EdDSA); tampered
  signatures and payloads, "none" and expired tokens fail;
- the tee-pubkey cocoon's client would send works as jwcrypto's recipient;
- ECMAScript number text (JCS) agrees with node for random doubles, when
  node is installed.

Usage: test_interop.py JOSE_TOOL. Exit 77 (skip) without jwcrypto.
"""
import base64
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

try:
    from jwcrypto import jwe, jwk, jws, jwt
    from jwcrypto.common import json_encode
except ImportError:
    print("SKIP: python3-jwcrypto is not installed (scripts/deps.sh)")
    sys.exit(77)

TOOL = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="jose-interop-")
FAILS = []
CHECKS = 0


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def tool(*args, data=b""):
    p = subprocess.run([TOOL, *args], input=data, capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def cocoon_key(kind, alg=None):
    """A private key made by cocoon: (path of its JWK, jwcrypto JWK)."""
    rc, out, err = tool("genkey", kind, *([alg] if alg else []))
    assert rc == 0, err
    path = write(f"{kind}-{alg}.jwk", out.decode())
    return path, jwk.JWK.from_json(out.decode())


def jwc_key_file(key, name):
    return write(name, key.export_private())


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def flip(s, at):
    """Flips the bits of one decoded byte of a base64url member."""
    raw = bytearray(unb64u(s))
    raw[at % len(raw)] ^= 0x01
    return b64u(bytes(raw))


def tampered_jwes(text):
    o = json.loads(text)
    for member in ("ciphertext", "tag", "iv", "encrypted_key"):
        t = dict(o)
        t[member] = flip(o[member], 5)
        yield member, json.dumps(t)
    # the protected header: same meaning, other bytes (a space) -> other AAD
    hdr = unb64u(o["protected"]).decode()
    t = dict(o)
    t["protected"] = b64u(hdr.replace(",", ", ", 1).encode())
    yield "protected", json.dumps(t)


def jwe_cocoon_to_jwcrypto():
    plain = os.urandom(200) + b"resource"
    for kind, alg in (("p256", None), ("p521", "ECDH-ES+A256KW"), ("rsa2048", None),
                      ("rsa2048", "RSA1_5")):
        path, key = cocoon_key(kind, alg)
        rc, pub, err = tool("public", path)
        check(rc == 0, f"public {kind}: {err}")
        pub_path = write(f"{kind}-{alg}.pub", pub.decode())
        rc, text, err = tool("encrypt", pub_path, data=plain)
        check(rc == 0, f"cocoon encrypt {kind} {alg}: {err}")
        check(("legacy" in err) == (alg == "RSA1_5"), f"legacy flag {kind} {alg}")
        algs = ["RSA1_5", "A256GCM"] if alg == "RSA1_5" else None
        tok = jwe.JWE(algs=algs)
        try:
            tok.deserialize(text.decode(), key=key)
            check(tok.payload == plain, f"jwcrypto decrypts cocoon's {kind} {alg}")
        except Exception as e:  # noqa: BLE001
            check(False, f"jwcrypto decrypt {kind} {alg}: {e!r}")
        for member, bad in tampered_jwes(text.decode()):
            tok = jwe.JWE(algs=algs)
            try:
                tok.deserialize(bad, key=key)
                ok = False
            except Exception:  # noqa: BLE001
                ok = True
            check(ok, f"jwcrypto refuses cocoon's {kind} JWE with modified {member}")


def jwe_jwcrypto_to_cocoon():
    plain = b'{"secret":"' + os.urandom(16).hex().encode() + b'"}'
    cases = (
        (jwk.JWK.generate(kty="EC", crv="P-256"), "ECDH-ES+A256KW"),
        (jwk.JWK.generate(kty="EC", crv="P-521"), "ECDH-ES+A256KW"),
        (jwk.JWK.generate(kty="RSA", size=2048), "RSA-OAEP-256"),
    )
    for key, alg in cases:
        name = f"jwc-{key['kty']}-{key.get('crv', 'rsa')}"
        path = jwc_key_file(key, name + ".jwk")
        tok = jwe.JWE(plain, protected=json_encode({"alg": alg, "enc": "A256GCM"}))
        tok.add_recipient(jwk.JWK.from_json(key.export_public()))
        text = tok.serialize(compact=False)
        rc, out, err = tool("decrypt", path, data=text.encode())
        check(rc == 0 and out == plain, f"cocoon decrypts jwcrypto's {name}: {err}")
        for member, bad in tampered_jwes(text):
            rc, out, err = tool("decrypt", path, data=bad.encode())
            check(rc == 1 and out == b"", f"cocoon refuses jwcrypto's {name} with modified "
                                          f"{member}")
        # the KBS client's own key: tee-pubkey out, jwcrypto encrypts to it
    path, key = cocoon_key("p256")
    rc, tee, err = tool("tee-pubkey", path)
    check(rc == 0 and list(json.loads(tee)) == ["kty", "crv", "alg", "x", "y"],
          f"tee-pubkey shape: {tee!r} {err}")
    tok = jwe.JWE(plain, protected=json_encode({"alg": "ECDH-ES+A256KW", "enc": "A256GCM"}))
    tok.add_recipient(jwk.JWK.from_json(tee.decode()))
    rc, out, err = tool("decrypt", path, data=tok.serialize(compact=False).encode())
    check(rc == 0 and out == plain, f"cocoon decrypts a JWE to its tee-pubkey: {err}")
    # algorithms cocoon refuses even from a well-formed peer
    for alg, enc, key in (("RSA-OAEP", "A256GCM", cases[2][0]),
                          ("ECDH-ES", "A256GCM", cases[0][0]),
                          ("ECDH-ES+A128KW", "A256GCM", cases[0][0]),
                          ("RSA-OAEP-256", "A128GCM", cases[2][0])):
        tok = jwe.JWE(plain, protected=json_encode({"alg": alg, "enc": enc}))
        tok.add_recipient(jwk.JWK.from_json(key.export_public()))
        path = jwc_key_file(key, "refuse.jwk")
        rc, out, err = tool("decrypt", path, data=tok.serialize(compact=False).encode())
        check(rc == 1 and (alg in err or enc in err), f"cocoon refuses {alg}/{enc}: {err}")


def claims(exp_in=300):
    now = int(time.time())
    return {"iss": "interop", "iat": now, "exp": now + exp_in, "submods": {"cpu0": {}}}


JWS_KINDS = (("p256", "ES256"), ("p384", "ES384"), ("p521", "ES512"), ("rsa2048", "RS256"),
             ("rsa2048", "PS256"), ("ed25519", "EdDSA"))


def jwt_cocoon_to_jwcrypto():
    for kind, alg in JWS_KINDS:
        path, key = cocoon_key(kind, alg)
        c = claims()
        rc, token, err = tool("sign", path, "--embed", data=json.dumps(c).encode())
        check(rc == 0, f"cocoon signs {alg}: {err}")
        token = token.decode()
        pub = jwk.JWK.from_json(key.export_public())
        try:
            t = jwt.JWT(jwt=token, key=pub, algs=[alg])
            check(json.loads(t.claims) == c, f"jwcrypto verifies cocoon's {alg}")
            hdr = json.loads(t.token.objects["protected"])
            check(list(hdr)[:3] == ["typ", "alg", "jwk"], f"{alg} header order {hdr}")
        except Exception as e:  # noqa: BLE001
            check(False, f"jwcrypto verify {alg}: {e!r}")
        h, p, s = token.split(".")
        for what, bad in (("signature", f"{h}.{p}.{flip(s, 3)}"),
                          ("payload", f"{h}.{b64u(json.dumps(claims(9999)).encode())}.{s}")):
            try:
                jwt.JWT(jwt=bad, key=pub, algs=[alg])
                ok = False
            except Exception:  # noqa: BLE001
                ok = True
            check(ok, f"jwcrypto refuses cocoon's {alg} token with modified {what}")


def jwt_jwcrypto_to_cocoon():
    gens = {"ES256": dict(kty="EC", crv="P-256"), "ES384": dict(kty="EC", crv="P-384"),
            "ES512": dict(kty="EC", crv="P-521"), "RS256": dict(kty="RSA", size=2048),
            "PS256": dict(kty="RSA", size=2048), "EdDSA": dict(kty="OKP", crv="Ed25519")}
    for alg, gen in gens.items():
        key = jwk.JWK.generate(**gen)
        path = write(f"jwc-{alg}.pub", key.export_public())
        t = jwt.JWT(header={"alg": alg, "typ": "JWT"}, claims=claims())
        t.make_signed_token(key)
        token = t.serialize()
        rc, out, err = tool("verify", path, data=token.encode())
        check(rc == 0 and json.loads(out)["iss"] == "interop",
              f"cocoon verifies jwcrypto's {alg}: {err}")
        h, p, s = token.split(".")
        rc, _, err = tool("verify", path, data=f"{h}.{p}.{flip(s, 7)}".encode())
        check(rc == 1, f"cocoon refuses jwcrypto's {alg} with a modified signature")
        rc, _, err = tool("verify", path,
                          data=f"{h}.{b64u(json.dumps(claims(999)).encode())}.{s}".encode())
        check(rc == 1, f"cocoon refuses jwcrypto's {alg} with a modified payload")
        expired = jwt.JWT(header={"alg": alg}, claims=claims(-10))
        expired.make_signed_token(key)
        rc, _, err = tool("verify", path, data=expired.serialize().encode())
        check(rc == 1 and "expired" in err, f"cocoon refuses an expired {alg} token: {err}")
    none_hdr = b64u(b'{"alg":"none"}')
    none = f"{none_hdr}.{b64u(json.dumps(claims()).encode())}."
    rc, _, err = tool("verify", path, data=none.encode())
    check(rc == 1 and '"none"' in err, f"cocoon refuses alg none: {err}")


def es6_numbers_against_node():
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        print("note: node not installed, ES6 number check skipped")
        return
    rnd = random.Random(8785)
    bits = []
    for _ in range(3000):
        b = rnd.getrandbits(64)
        if (b >> 52) & 0x7FF == 0x7FF:
            continue  # NaN and infinities are not JSON
        bits.append(f"{b:016x}")
    for v in (1e21, 1e-7, 123456789012345680000.0, 5e-324, 0.1, 1 / 3, 2**53 + 2):
        bits.append(struct.pack(">d", v).hex())
    rc, out, err = tool("es6", *bits)
    ours = out.decode().split("\n")[:-1]
    script = ("for (const h of process.argv.slice(1)) console.log(String("
              "Buffer.from(h, 'hex').readDoubleBE(0)))")
    theirs = subprocess.run([node, "-e", script, *bits], capture_output=True, text=True,
                            timeout=60).stdout.split("\n")[:-1]
    theirs = ["0" if t == "-0" else t for t in theirs]
    bad = [(b, o, t) for b, o, t in zip(bits, ours, theirs) if o != t]
    check(rc == 0 and len(ours) == len(bits) == len(theirs) and not bad,
          f"ES6 number text agrees with node ({len(bad)} differ: {bad[:3]})")


def main():
    try:
        jwe_cocoon_to_jwcrypto()
        jwe_jwcrypto_to_cocoon()
        jwt_cocoon_to_jwcrypto()
        jwt_jwcrypto_to_cocoon()
        es6_numbers_against_node()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print(f"{CHECKS - len(FAILS)} of {CHECKS} checks passed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
