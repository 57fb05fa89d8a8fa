/* Internal to libcocoon-jose: the fields of a cj_jwk (jwk.c owns them;
 * jwk_parse.c builds keys, jwk_emit.c writes them) and the curve table. */
#ifndef COCOON_JOSE_JWK_INT_H
#define COCOON_JOSE_JWK_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "jose_jwk.h"

struct cj_curve {
	const char *jwk_name; /* "P-256", ..., "Ed25519" */
	const char *ossl_name; /* OpenSSL's group name ("prime256v1", ...) */
	size_t len;           /* bytes of a coordinate / private scalar */
	enum cj_kty kty;
};

struct cj_jwk {
	EVP_PKEY *pkey;
	enum cj_kty kty;
	const struct cj_curve *curve; /* NULL for RSA */
	bool priv;
	/* The public key passed the public key check when it was read from
	 * JSON (jwk_parse.c's fromdata()): ECDH then need not check it again. */
	bool checked;
	char *alg;
	char *kid;
	json_t *x5c; /* array of strings or NULL */
};

/* The curve named name in a JWK ("P-256"...), NULL if unsupported. */
const struct cj_curve *cj_curve_by_jwk_name(const char *name);

/* Checks that alg suits a key of type kty on curve (NULL for RSA): "-EINVAL"
 * naming alg otherwise. */
int cj_alg_suits(const char *alg, enum cj_kty kty, const struct cj_curve *curve,
                 cc_error **err);

/* A cj_jwk around pkey (reference taken over by the new key on success;
 * the caller still frees its own on failure). Finds type, curve and
 * whether it is private; checks the RSA size. */
int cj_jwk_wrap(EVP_PKEY *pkey, cj_jwk **ret, cc_error **err);

/* A BIGNUM parameter of pkey as big-endian bytes: exactly len bytes
 * (left-padded) if len != 0, else minimal. malloc'd in *ret. */
int cj_pkey_bn(const EVP_PKEY *pkey, const char *param, size_t len, unsigned char **ret,
               size_t *ret_len);

#endif
