/* cj_jwk -> JSON: the JWK as Trustee's Rust code writes it (jsonwebtoken's
 * Jwk: the common parameters first, then the key's), the TEE public key of
 * the KBS Attestation (kbs-types TeePubKey), and a JWK set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "jose_util.h"
#include "jwk_int.h"

static int set_b64(json_t *o, const char *name, const unsigned char *p, size_t n)
{
	char *s = cj_b64url_encode(p, n);
	int r = s != NULL && json_object_set_new(o, name, json_string(s)) == 0 ? 0 : -ENOMEM;
	free(s);
	return r;
}

/* A BIGNUM parameter of the key, fixed-length (len) or minimal (len 0). */
static int set_bn(json_t *o, const char *name, const cj_jwk *k, const char *param, size_t len)
{
	unsigned char *p = NULL;
	size_t n = 0;
	int r = cj_pkey_bn(k->pkey, param, len, &p, &n);
	if (r == 0)
		r = set_b64(o, name, p, n);
	cj_free_secret(p, n);
	return r;
}

static int set_raw(json_t *o, const char *name, const cj_jwk *k, bool priv)
{
	unsigned char buf[64];
	size_t n = sizeof(buf);
	int ok = priv ? EVP_PKEY_get_raw_private_key(k->pkey, buf, &n)
	              : EVP_PKEY_get_raw_public_key(k->pkey, buf, &n);
	int r = ok == 1 ? set_b64(o, name, buf, n) : -EIO;
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

static int set_str(json_t *o, const char *name, const char *s)
{
	return json_object_set_new(o, name, json_string(s)) == 0 ? 0 : -ENOMEM;
}

static const char *const rsa_priv[][2] = {
	{"d", OSSL_PKEY_PARAM_RSA_D},           {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
	{"q", OSSL_PKEY_PARAM_RSA_FACTOR2},     {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
	{"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},  {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
};

/* "kty" and the key's own members (RFC 7518 §6, RFC 8037 §2). */
static int key_members(json_t *o, const cj_jwk *k, bool priv)
{
	int r = set_str(o, "kty", cj_jwk_kty_name(k));
	switch (k->kty) {
	case CJ_KTY_EC:
		if (r == 0)
			r = set_str(o, "crv", k->curve->jwk_name);
		if (r == 0)
			r = set_bn(o, "x", k, OSSL_PKEY_PARAM_EC_PUB_X, k->curve->len);
		if (r == 0)
			r = set_bn(o, "y", k, OSSL_PKEY_PARAM_EC_PUB_Y, k->curve->len);
		if (r == 0 && priv)
			r = set_bn(o, "d", k, OSSL_PKEY_PARAM_PRIV_KEY, k->curve->len);
		break;
	case CJ_KTY_RSA:
		if (r == 0)
			r = set_bn(o, "n", k, OSSL_PKEY_PARAM_RSA_N, 0);
		if (r == 0)
			r = set_bn(o, "e", k, OSSL_PKEY_PARAM_RSA_E, 0);
		for (size_t i = 0; r == 0 && priv && i < sizeof(rsa_priv) / sizeof(*rsa_priv); i++)
			r = set_bn(o, rsa_priv[i][0], k, rsa_priv[i][1], 0);
		break;
	case CJ_KTY_OKP:
		if (r == 0)
			r = set_str(o, "crv", k->curve->jwk_name);
		if (r == 0)
			r = set_raw(o, "x", k, false);
		if (r == 0 && priv)
			r = set_raw(o, "d", k, true);
		break;
	}
	ERR_clear_error();
	return r;
}

static int finish(json_t *o, int r, json_t **ret, cc_error **err)
{
	if (r < 0) {
		json_decref(o);
		return cc_error_set(err, r, "jwk: %s", r == -ENOMEM ? "out of memory"
		                                                    : "cannot read the key (OpenSSL)");
	}
	*ret = o;
	return 0;
}

int cj_jwk_to_json(const cj_jwk *k, unsigned flags, json_t **ret, cc_error **err)
{
	bool priv = flags & CJ_JWK_PRIVATE;
	if (priv && !k->priv)
		return cc_error_set(err, -EINVAL, "jwk: a public key has no private members");
	json_t *o = json_object();
	int r = o ? 0 : -ENOMEM;
	if (r == 0 && k->alg)
		r = set_str(o, "alg", k->alg);
	if (r == 0 && k->kid)
		r = set_str(o, "kid", k->kid);
	if (r == 0 && k->x5c && json_object_set_new(o, "x5c", json_deep_copy(k->x5c)) != 0)
		r = -ENOMEM;
	if (r == 0)
		r = key_members(o, k, priv);
	return finish(o, r, ret, err);
}

int cj_jwk_to_tee_pubkey(const cj_jwk *k, json_t **ret, cc_error **err)
{
	const char *alg = k->alg ? k->alg : k->kty == CJ_KTY_RSA ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
	bool ok = k->kty == CJ_KTY_RSA
	              ? strcmp(alg, "RSA-OAEP-256") == 0 || strcmp(alg, "RSA1_5") == 0
	              : k->kty == CJ_KTY_EC && strcmp(alg, "ECDH-ES+A256KW") == 0 &&
	                    strcmp(k->curve->jwk_name, "P-384") != 0;
	if (!ok)
		return cc_error_set(err, -EINVAL, "tee-pubkey: a %s %s key with alg \"%s\" is not "
		                                  "one the KBS accepts",
		                    cj_jwk_kty_name(k), k->curve ? k->curve->jwk_name : "", alg);
	json_t *o = json_object();
	int r = o ? set_str(o, "kty", cj_jwk_kty_name(k)) : -ENOMEM;
	if (r == 0 && k->kty == CJ_KTY_EC)
		r = set_str(o, "crv", k->curve->jwk_name);
	if (r == 0)
		r = set_str(o, "alg", alg);
	if (r == 0 && k->kty == CJ_KTY_EC) {
		r = set_bn(o, "x", k, OSSL_PKEY_PARAM_EC_PUB_X, k->curve->len);
		if (r == 0)
			r = set_bn(o, "y", k, OSSL_PKEY_PARAM_EC_PUB_Y, k->curve->len);
	} else if (r == 0) {
		r = set_bn(o, "n", k, OSSL_PKEY_PARAM_RSA_N, 0);
		if (r == 0)
			r = set_bn(o, "e", k, OSSL_PKEY_PARAM_RSA_E, 0);
	}
	ERR_clear_error();
	return finish(o, r, ret, err);
}

int cj_jwks_to_json(const cj_jwk *const *keys, size_t n, json_t **ret, cc_error **err)
{
	json_t *arr = json_array();
	json_t *o = arr ? json_pack("{s:o}", "keys", arr) : NULL;
	if (o == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *k = NULL;
		int r = cj_jwk_to_json(keys[i], 0, &k, err);
		if (r == 0 && json_array_append_new(arr, k) != 0)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		if (r < 0) {
			json_decref(o);
			return r;
		}
	}
	*ret = o;
	return 0;
}
