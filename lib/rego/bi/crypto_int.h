/* Shared helpers of the crypto builtin group (lib/rego/bi/crypto*.c):
 * Go-compatible base64 and PEM reading, and builders for the JSON shapes
 * Go's encoding/json gives x509 certificates and keys (OPA marshals Go
 * structs into Rego values). Everything allocates in the evaluation arena. */
#ifndef COCOON_REGO_BI_CRYPTO_INT_H
#define COCOON_REGO_BI_CRYPTO_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../bi.h"
#include "cocoon/limits.h"

/* Largest PEM/DER input a crypto builtin reads (bytes). */
#define RCR_MAX_INPUT ((size_t)CC_REGO_CRYPTO_MAX_INPUT_BYTES)
/* Most fields of one Go struct the builders hold. */
#define RCR_OB_MAX 64

/* Object under construction: put keys, then ob_done(). A NULL value
 * marks the builder failed (out of memory), reported by ob_done. */
struct rcr_ob {
	rarena *a;
	const rv *k[RCR_OB_MAX];
	const rv *v[RCR_OB_MAX];
	size_t n;
	bool bad;
};
void rcr_ob_init(struct rcr_ob *o, rarena *a);
void rcr_ob_put(struct rcr_ob *o, const char *key, const rv *val);
/* The object, or NULL on OOM. */
const rv *rcr_ob_done(struct rcr_ob *o);

/* Go's base64.StdEncoding.DecodeString: padding required, '\r' and '\n'
 * ignored. Returns 0 and an arena buffer, or an eval_builtin_error
 * "illegal base64 data at input byte N". */
int rcr_b64_decode(rctx *cx, const char *s, size_t n, unsigned char **out, size_t *outn);
/* The same without recording an error: 0, -EINVAL (*bad is the byte Go
 * names), -E2BIG or -ENOMEM. */
int rcr_b64_try(rarena *a, const char *s, size_t n, unsigned char **out, size_t *outn, size_t *bad);
/* Bytes as Go marshals []byte: a standard base64 string; NULL for none. */
const rv *rcr_bytes(rarena *a, const unsigned char *p, size_t n);
/* Bytes as base64url without padding (JWK members). */
const rv *rcr_bytes_url(rarena *a, const unsigned char *p, size_t n);
/* A BIGNUM as a Rego number (Go marshals *big.Int as a JSON number). */
const rv *rcr_bn(rarena *a, const BIGNUM *bn);
/* A BIGNUM as unpadded base64url of its big-endian bytes (JWK). */
const rv *rcr_bn_url(rarena *a, const BIGNUM *bn);

/* One PEM block found in [p, p+n) from *off on: type name and decoded
 * body (arena). Returns 1 with a block, 0 when none is left (Go's
 * pem.Decode returning nil), negative on OOM. */
struct rcr_pem {
	char type[64];
	unsigned char *der;
	size_t len;
};
int rcr_pem_next(rctx *cx, const char *p, size_t n, size_t *off, struct rcr_pem *blk);

/* A certificate as Go's encoding/json marshals OPA's extended
 * x509.Certificate (with URIStrings); NULL on OOM (crypto_cert.c). */
const rv *rcr_cert_value(rarena *a, X509 *x);
/* The first list field over the per-field item cap, or NULL. */
const char *rcr_cert_over_cap(X509 *x);
/* A certificate request as Go marshals x509.CertificateRequest. */
const rv *rcr_csr_value(rarena *a, X509_REQ *req);
/* An OID as Go marshals asn1.ObjectIdentifier: an array of numbers. */
const rv *rcr_oid(rarena *a, const ASN1_OBJECT *obj);

/* Go's x509.PublicKeyAlgorithm number of a key (crypto_keys.c). */
int rcr_pubkey_alg(const EVP_PKEY *pk);
/* A public key as Go marshals *rsa.PublicKey, *ecdsa.PublicKey or
 * ed25519.PublicKey; NULL on OOM. */
const rv *rcr_pubkey_value(rarena *a, const EVP_PKEY *pk);
/* A private key as Go marshals *rsa.PrivateKey, *ecdsa.PrivateKey or
 * ed25519.PrivateKey; NULL on OOM or an unsupported key. */
const rv *rcr_privkey_value(rarena *a, const EVP_PKEY *pk);
/* Reads the private keys of PEM text the way OPA's
 * getPrivateKeysFromPEMData does (RSA PRIVATE KEY, PRIVATE KEY, EC PRIVATE
 * KEY blocks; others skipped). Fills keys[] (caller frees each with
 * EVP_PKEY_free), sets *nkeys; returns 0 or a builtin error. */
#define RCR_MAX_KEYS ((int)CC_REGO_CRYPTO_MAX_KEYS)
/* A private key from DER (structure "type-specific" with type "RSA"/"EC",
 * "PrivateKeyInfo", or NULL for any); NULL if it is not one. */
EVP_PKEY *rcr_decode_key(const unsigned char *der, size_t len, const char *structure, const char *type);
int rcr_read_private_keys(rctx *cx, const char *p, size_t n, EVP_PKEY **keys, size_t *nkeys);

/* x509 builtins (crypto_x509.c) and key builtins (crypto_keys.c). */
int rcr_x509_parse_certificates(rctx *cx, const rv *const *args, const rv **ret);
int rcr_x509_parse_and_verify(rctx *cx, const rv *const *args, const rv **ret);
int rcr_x509_parse_csr(rctx *cx, const rv *const *args, const rv **ret);
int rcr_x509_parse_keypair(rctx *cx, const rv *const *args, const rv **ret);
int rcr_parse_rsa_private_key(rctx *cx, const rv *const *args, const rv **ret);
int rcr_parse_private_keys(rctx *cx, const rv *const *args, const rv **ret);

#endif
