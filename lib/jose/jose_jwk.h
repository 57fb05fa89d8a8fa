/* libcocoon-jose, part 2: JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037)
 * backed by OpenSSL 3 EVP_PKEY (docs/jose.md).
 *
 * Key types: EC (P-256, P-384, P-521), RSA (CC_JOSE_MIN_RSA_BITS to
 * CC_JOSE_MAX_RSA_BITS, two primes) and OKP Ed25519. Parsing is strict:
 * unknown "kty" and curves are refused, coordinates and private scalars must
 * have their exact length, RSA integers their minimal length, duplicate
 * member names are refused, sizes are capped (include/cocoon/limits.h).
 *
 * A cj_jwk is immutable once built except for its metadata setters (alg,
 * kid, x5c); it may be shared read-only between threads.
 */
#ifndef COCOON_JOSE_JWK_H
#define COCOON_JOSE_JWK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cocoon/error.h"

typedef struct cj_jwk cj_jwk;

enum cj_kty {
	CJ_KTY_EC,
	CJ_KTY_RSA,
	CJ_KTY_OKP,
};

/* Keys cj_jwk_generate makes. */
enum cj_keygen {
	CJ_GEN_P256,
	CJ_GEN_P384,
	CJ_GEN_P521,
	CJ_GEN_RSA2048,
	CJ_GEN_RSA3072,
	CJ_GEN_RSA4096,
	CJ_GEN_ED25519,
};

/* Parses one JWK from len bytes of JSON text (at most CC_JOSE_MAX_JWK_BYTES).
 * Public or private (all of "d", and for RSA "p", "q", "dp", "dq", "qi").
 * *ret is the caller's (cj_jwk_free). */
int cj_jwk_parse(const char *json, size_t len, cj_jwk **ret, cc_error **err);
/* The same from a parsed JSON object (not taken over). */
int cj_jwk_from_json(const json_t *obj, cj_jwk **ret, cc_error **err);

/* Parses a TEE public key as the KBS Attestation carries it in
 * runtime-data.tee-pubkey (trustee.md §1.3): "kty" EC with "crv" P-256 or
 * P-521 and "alg" ECDH-ES+A256KW, or RSA with "alg" RSA-OAEP-256 or RSA1_5.
 * "alg" is required; private members are refused. */
int cj_jwk_from_tee_pubkey(const json_t *obj, cj_jwk **ret, cc_error **err);

/* Wraps an OpenSSL key (EC on a supported curve, RSA, Ed25519; public or
 * private). Takes a new reference: the caller keeps its own. alg may be NULL;
 * otherwise it must suit the key (as for parsing). */
int cj_jwk_from_pkey(EVP_PKEY *pkey, const char *alg, cj_jwk **ret, cc_error **err);
/* Reads a PEM private key (PKCS#8, SEC1 or PKCS#1) or public key
 * (SubjectPublicKeyInfo) of a supported type. */
int cj_jwk_from_pem(const char *pem, size_t len, const char *alg, cj_jwk **ret,
                    cc_error **err);
/* A fresh private key of the given kind; alg as for cj_jwk_from_pkey. */
int cj_jwk_generate(enum cj_keygen kind, const char *alg, cj_jwk **ret, cc_error **err);

/* A second cj_jwk for the same key: it shares k's EVP_PKEY (a new
 * reference) and copies alg, kid, x5c and whether the public key was
 * already checked when it was read, so the copy costs no key check. */
int cj_jwk_dup(const cj_jwk *k, cj_jwk **ret, cc_error **err);

/* Frees k; NULL is a no-op. */
void cj_jwk_free(cj_jwk *k);

/* Accessors (k must not be NULL). pkey is borrowed: valid while k lives. */
EVP_PKEY *cj_jwk_pkey(const cj_jwk *k);
enum cj_kty cj_jwk_kty(const cj_jwk *k);
const char *cj_jwk_kty_name(const cj_jwk *k);   /* "EC", "RSA", "OKP" */
const char *cj_jwk_crv(const cj_jwk *k);        /* "P-256".. "Ed25519"; NULL for RSA */
const char *cj_jwk_alg(const cj_jwk *k);        /* NULL if the key names none */
const char *cj_jwk_kid(const cj_jwk *k);        /* NULL if none */
bool cj_jwk_is_private(const cj_jwk *k);
/* The "x5c" array (strings, base64 DER, leaf first) or NULL. Borrowed. */
const json_t *cj_jwk_x5c(const cj_jwk *k);
/* Whether a and b hold the same public key. */
bool cj_jwk_public_eq(const cj_jwk *a, const cj_jwk *b);

/* Metadata setters; NULL clears. alg must suit the key (-EINVAL naming it). */
int cj_jwk_set_alg(cj_jwk *k, const char *alg, cc_error **err);
int cj_jwk_set_kid(cj_jwk *k, const char *kid, cc_error **err);
/* Sets "x5c" from a PEM certificate chain (leaf first), each certificate as
 * standard base64 of its DER, as Trustee's attestation service does. The
 * leaf's public key must be k's (-EINVAL otherwise). */
int cj_jwk_set_x5c_pem(cj_jwk *k, const char *pem, size_t len, cc_error **err);

/* Flags for cj_jwk_to_json. */
#define CJ_JWK_PRIVATE 1u /* include the private members (refused for a public key) */

/* The JWK as a JSON object, members in the order Rust's jsonwebtoken crate
 * (Trustee) serializes them: "alg", "kid", "x5c", then "kty", "crv", "x",
 * "y" (EC), "kty", "n", "e" (RSA), "kty", "crv", "x" (OKP), then private
 * members. New reference in *ret. */
int cj_jwk_to_json(const cj_jwk *k, unsigned flags, json_t **ret, cc_error **err);

/* The TEE public key object the KBS client sends (trustee.md §1.3):
 * {"kty":"EC","crv":..,"alg":..,"x":..,"y":..} or
 * {"kty":"RSA","alg":..,"n":..,"e":..}. alg is the key's, or when it has none
 * ECDH-ES+A256KW (EC) / RSA-OAEP-256 (RSA). Only what cj_jwk_from_tee_pubkey
 * accepts is emitted (-EINVAL otherwise). */
int cj_jwk_to_tee_pubkey(const cj_jwk *k, json_t **ret, cc_error **err);

/* {"keys":[...]} of the public keys, each as cj_jwk_to_json: the attestation
 * service's JWKS (trustee.md §5.6). */
int cj_jwks_to_json(const cj_jwk *const *keys, size_t n, json_t **ret, cc_error **err);

/* A parsed JWK set: {"keys":[...]} with at most CC_JOSE_MAX_JWKS_KEYS keys;
 * every key must parse. */
typedef struct cj_jwks cj_jwks;
int cj_jwks_parse(const char *json, size_t len, cj_jwks **ret, cc_error **err);
size_t cj_jwks_count(const cj_jwks *s);
const cj_jwk *cj_jwks_at(const cj_jwks *s, size_t i);
/* The first key whose "kid" is kid, or NULL. */
const cj_jwk *cj_jwks_find(const cj_jwks *s, const char *kid);
void cj_jwks_free(cj_jwks *s);

#endif
