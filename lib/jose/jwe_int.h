/* Internal to libcocoon-jose: JWE key management (jwe_keys.c) under the
 * flattened-JSON framing (jwe.c). */
#ifndef COCOON_JOSE_JWE_INT_H
#define COCOON_JOSE_JWE_INT_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "cocoon/error.h"
#include "jose_jwk.h"

#define CJ_CEK_LEN 32 /* A256GCM */
#define CJ_GCM_IV 12
#define CJ_GCM_TAG 16

enum cj_kalg {
	CJ_ECDH_ES_A256KW,
	CJ_RSA_OAEP_256,
	CJ_RSA1_5,
};

/* The allowed key-management algorithm named s; -EINVAL naming s if it is
 * not on the allow-list. */
int cj_kalg_parse(const char *s, enum cj_kalg *ret, cc_error **err);
const char *cj_kalg_name(enum cj_kalg a);

/* Wraps cek (CJ_CEK_LEN bytes) to key `to` with alg a: the encrypted key in
 * *ek (malloc'd) and for ECDH the ephemeral public key in *epk (a JSON
 * object with members in serde's sorted order: crv, kty, x, y). */
int cj_key_wrap(enum cj_kalg a, const cj_jwk *to, const unsigned char *cek, unsigned char **ek,
                size_t *ek_len, json_t **epk, cc_error **err);

/* Unwraps the CEK into cek (CJ_CEK_LEN bytes) with the private key k. hdr is
 * the protected header (for "epk"). -EBADMSG when the wrapped key does not
 * open; for RSA1_5 a random CEK is put in its place instead (RFC 7516
 * §11.5), so that the failure only shows as a bad tag. */
int cj_key_unwrap(enum cj_kalg a, const cj_jwk *k, const json_t *hdr, const unsigned char *ek,
                  size_t ek_len, unsigned char *cek, cc_error **err);

/* AES-256-GCM, AES-256-WRAP (RFC 3394) and SSKDF (the Concat KDF),
 * fetched from the default provider once per process (jwe_algs.c) and
 * shared by every thread; NULL if OpenSSL does not have one (the caller
 * then fails as the operation would). */
const EVP_CIPHER *cj_alg_aes256_gcm(void);
const EVP_CIPHER *cj_alg_aes256_wrap(void);
EVP_KDF *cj_alg_sskdf(void);

#endif
