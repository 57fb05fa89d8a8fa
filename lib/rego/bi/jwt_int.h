/* The io.jwt.* builtin group (internal): keys, signatures and base64url
 * shared by bi/jwt.c (decode, verify_*, decode_verify), bi/jwt_sign.c
 * (encode_sign, encode_sign_raw) and bi/jwt_keys.c (PEM, JWK, OpenSSL).
 *
 * Semantics follow OPA v1/topdown/tokens.go; the cryptography is OpenSSL 3.
 */
#ifndef COCOON_REGO_BI_JWT_INT_H
#define COCOON_REGO_BI_JWT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "../rctx.h"
#include "cocoon/limits.h"

/* Caps: docs/limits.md. */
#define RJWT_MAX_KEY_TEXT CC_REGO_JWT_MAX_KEY_BYTES
#define RJWT_MAX_KEYS CC_REGO_JWT_MAX_KEYS

/* One verification or signing key. pk is NULL for an "oct" key (secret). */
struct rjwt_key {
	EVP_PKEY *pk;
	unsigned char *secret; /* oct "k" (malloc'd, wiped on free) */
	size_t secret_len;
	char alg[8];           /* the JWK's "alg" if one of OPA's, else "" */
	const char *kid;       /* arena string or NULL */
};

struct rjwt_keys {
	struct rjwt_key k[RJWT_MAX_KEYS];
	size_t n;
};

/* Frees every key (the struct itself is the caller's). */
void rjwt_keys_fini(struct rjwt_keys *ks);

/* OPA's getKeysFromCertOrJWK: a PEM CERTIFICATE or PUBLIC KEY block, else
 * a JWK or JWKS. 0, or a builtin error with OPA's text. */
int rjwt_keys_from_text(rctx *cx, const char *s, size_t n, struct rjwt_keys *out);
/* OPA's jwk.Parse for encode_sign: a JWK or JWKS; the first key. */
int rjwt_key_from_jwk_text(rctx *cx, const char *s, size_t n, struct rjwt_keys *out);

/* Whether alg is one OPA knows (RS*, PS*, ES*, HS*, EdDSA). */
bool rjwt_alg_known(const char *alg, size_t n);

/* Verifies sig over msg with key k (an EVP_PKEY or a secret) and JWS
 * algorithm alg: true only on a valid signature. A key of the wrong type,
 * an unknown algorithm or any OpenSSL failure is false. */
bool rjwt_verify(const struct rjwt_key *k, const char *alg, const void *msg, size_t n,
                 const unsigned char *sig, size_t sign);
/* Signs msg; *sig is malloc'd. 0, or a builtin error. */
int rjwt_sign(rctx *cx, const struct rjwt_key *k, const char *alg, const void *msg, size_t n,
              unsigned char **sig, size_t *sign);

/* OPA's base64url.decode (padding added back when missing, Go's decoder
 * errors). *out lives in the arena, NUL-terminated. */
int rjwt_b64url_decode(rctx *cx, const char *s, size_t n, char **out, size_t *outn,
                       const char *what);
/* The value of a base64url digit (std_too: also '+' and '/'), or -1. */
int rjwt_b64_digit(unsigned char c, bool std_too);
/* base64url without padding into the arena. NULL on OOM / over the cap. */
char *rjwt_b64url_encode(rctx *cx, const void *p, size_t n, size_t *outn);

/* encode_sign and encode_sign_raw (bi/jwt_sign.c), for bi/jwt.c's table. */
int rjwt_bi_encode_sign(rctx *cx, const rv *const *args, const rv **ret);
int rjwt_bi_encode_sign_raw(rctx *cx, const rv *const *args, const rv **ret);

#endif
