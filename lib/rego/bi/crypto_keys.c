/* Keys for the crypto builtins: crypto.x509.parse_rsa_private_key (a JWK,
 * as OPA's internal jwx gives it), crypto.parse_private_keys (Go's JSON of
 * *rsa.PrivateKey / *ecdsa.PrivateKey / ed25519.PrivateKey), and the
 * public-key shapes certificates carry. Keys are read by OpenSSL 3. */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "../rctx.h"
#include "crypto_int.h"

int rcr_pubkey_alg(const EVP_PKEY *pk)
{
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA: return 1;
	case EVP_PKEY_DSA: return 2;
	case EVP_PKEY_EC: return 3;
	case EVP_PKEY_ED25519: return 4;
	default: return 0;
	}
}

/* An integer parameter of a key as a number (or JWK base64url). */
static const rv *bn_param(rarena *a, const EVP_PKEY *pk, const char *name, bool url)
{
	BIGNUM *bn = NULL;
	if (!EVP_PKEY_get_bn_param(pk, name, &bn))
		return NULL;
	const rv *v = url ? rcr_bn_url(a, bn) : rcr_bn(a, bn);
	BN_clear_free(bn);
	return v;
}

static const rv *raw_key(rarena *a, const EVP_PKEY *pk, bool priv)
{
	unsigned char buf[64];
	size_t n = 32;
	if (priv) {
		/* Go's ed25519.PrivateKey is seed || public key. */
		if (!EVP_PKEY_get_raw_private_key(pk, buf, &n) || n != 32)
			return NULL;
		n = 32;
		if (!EVP_PKEY_get_raw_public_key(pk, buf + 32, &n) || n != 32)
			return NULL;
		return rcr_bytes(a, buf, 64);
	}
	if (!EVP_PKEY_get_raw_public_key(pk, buf, &n))
		return NULL;
	return rcr_bytes(a, buf, n);
}

/* Fills the members of an EC key Go's ecdsa.PublicKey has. */
static void ec_public(struct rcr_ob *o, const EVP_PKEY *pk)
{
	/* elliptic.Curve values have unexported fields only (Go >= 1.20,
	 * which the OPA v0.47 oracle shows): {}. */
	rcr_ob_put(o, "Curve", rv_empty_obj());
	rcr_ob_put(o, "X", bn_param(o->a, pk, OSSL_PKEY_PARAM_EC_PUB_X, false));
	rcr_ob_put(o, "Y", bn_param(o->a, pk, OSSL_PKEY_PARAM_EC_PUB_Y, false));
}

const rv *rcr_pubkey_value(rarena *a, const EVP_PKEY *pk)
{
	struct rcr_ob o;
	rcr_ob_init(&o, a);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		rcr_ob_put(&o, "N", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_N, false));
		rcr_ob_put(&o, "E", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_E, false));
		return rcr_ob_done(&o);
	case EVP_PKEY_EC:
		ec_public(&o, pk);
		return rcr_ob_done(&o);
	case EVP_PKEY_ED25519:
		return raw_key(a, pk, false);
	default:
		return rv_null();
	}
}

const rv *rcr_privkey_value(rarena *a, const EVP_PKEY *pk)
{
	struct rcr_ob o, pre;
	rcr_ob_init(&o, a);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA: {
		rcr_ob_put(&o, "N", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_N, false));
		rcr_ob_put(&o, "E", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_E, false));
		rcr_ob_put(&o, "D", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_D, false));
		const rv *primes[2] = {bn_param(a, pk, OSSL_PKEY_PARAM_RSA_FACTOR1, false),
		                       bn_param(a, pk, OSSL_PKEY_PARAM_RSA_FACTOR2, false)};
		rcr_ob_put(&o, "Primes", primes[0] && primes[1] ? rv_arr(a, primes, 2) : NULL);
		rcr_ob_init(&pre, a);
		rcr_ob_put(&pre, "Dp", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_EXPONENT1, false));
		rcr_ob_put(&pre, "Dq", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_EXPONENT2, false));
		rcr_ob_put(&pre, "Qinv", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, false));
		rcr_ob_put(&pre, "CRTValues", rv_empty_arr());
		rcr_ob_put(&o, "Precomputed", rcr_ob_done(&pre));
		return rcr_ob_done(&o);
	}
	case EVP_PKEY_EC:
		ec_public(&o, pk);
		rcr_ob_put(&o, "D", bn_param(a, pk, OSSL_PKEY_PARAM_PRIV_KEY, false));
		return rcr_ob_done(&o);
	case EVP_PKEY_ED25519:
		return raw_key(a, pk, true);
	default:
		return NULL;
	}
}

/* The JWK OPA's jwx library gives a private key (members sorted as any
 * Rego object is). */
static const rv *jwk_value(rarena *a, const EVP_PKEY *pk)
{
	struct rcr_ob o;
	rcr_ob_init(&o, a);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		rcr_ob_put(&o, "kty", rv_cstr(a, "RSA"));
		rcr_ob_put(&o, "n", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_N, true));
		rcr_ob_put(&o, "e", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_E, true));
		rcr_ob_put(&o, "d", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_D, true));
		rcr_ob_put(&o, "p", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_FACTOR1, true));
		rcr_ob_put(&o, "q", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_FACTOR2, true));
		rcr_ob_put(&o, "dp", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_EXPONENT1, true));
		rcr_ob_put(&o, "dq", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_EXPONENT2, true));
		rcr_ob_put(&o, "qi", bn_param(a, pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, true));
		return rcr_ob_done(&o);
	case EVP_PKEY_EC:
		/* OPA's internal jwx marshals an EC private key as its key
		 * type only (its ecdsa key type has no JSON members). */
		rcr_ob_put(&o, "kty", rv_cstr(a, "EC"));
		return rcr_ob_done(&o);
	default:
		return NULL;
	}
}

/* DER of one PEM block to a key: PKCS#1 RSA, PKCS#8, or SEC 1 EC. */
EVP_PKEY *rcr_decode_key(const unsigned char *der, size_t len, const char *structure, const char *type)
{
	EVP_PKEY *pk = NULL;
	OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&pk, "DER", structure, type,
	                                                       EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL)
		return NULL;
	const unsigned char *p = der;
	if (!OSSL_DECODER_from_data(dctx, &p, &len) || len != 0) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	ERR_clear_error();
	return pk;
}

int rcr_read_private_keys(rctx *cx, const char *p, size_t n, EVP_PKEY **keys, size_t *nkeys)
{
	if (n > RCR_MAX_INPUT)
		return rbi_limit(cx, "input is larger than %zu bytes", RCR_MAX_INPUT);
	/* Base64 of PEM is accepted too (getPrivateKeysFromPEMData). */
	unsigned char *dec;
	size_t decn, bad;
	int r = rcr_b64_try(rctx_arena(cx), p, n, &dec, &decn, &bad);
	if (r == -ENOMEM)
		return rbi_oom(cx);
	if (r == 0) {
		p = (const char *)dec;
		n = decn;
	}
	size_t off = 0, k = 0;
	struct rcr_pem blk;
	while ((r = rcr_pem_next(cx, p, n, &off, &blk)) > 0) {
		const char *structure, *type = NULL, *what;
		if (strcmp(blk.type, "RSA PRIVATE KEY") == 0) {
			structure = "type-specific";
			type = "RSA";
			what = "x509: failed to parse RSA private key";
		} else if (strcmp(blk.type, "PRIVATE KEY") == 0) {
			structure = "PrivateKeyInfo";
			what = "x509: failed to parse private key";
		} else if (strcmp(blk.type, "EC PRIVATE KEY") == 0) {
			structure = "type-specific";
			type = "EC";
			what = "x509: failed to parse EC private key";
		} else {
			continue;
		}
		if (k >= RCR_MAX_KEYS) {
			r = rbi_limit(cx, "more than %d private keys", RCR_MAX_KEYS);
			break;
		}
		EVP_PKEY *pk = rcr_decode_key(blk.der, blk.len, structure, type);
		if (pk == NULL) {
			r = rbi_err(cx, "%s", what);
			break;
		}
		keys[k++] = pk;
	}
	if (r < 0) {
		while (k > 0)
			EVP_PKEY_free(keys[--k]);
		return r;
	}
	*nkeys = k;
	return 0;
}

static void free_keys(EVP_PKEY **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(keys[i]);
}

/* crypto.x509.parse_rsa_private_key(pem): the first key as a JWK. */
int rcr_parse_rsa_private_key(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	if (n == 0)
		return rbi_err(cx, "input PEM data was empty");
	if (n < 10 || memcmp(s, "-----BEGIN", 10) != 0) {
		unsigned char *dec;
		size_t decn;
		r = rcr_b64_decode(cx, s, n, &dec, &decn);
		if (r < 0)
			return r;
		s = (const char *)dec;
		n = decn;
	}
	EVP_PKEY *keys[RCR_MAX_KEYS];
	size_t nk = 0;
	r = rcr_read_private_keys(cx, s, n, keys, &nk);
	if (r < 0)
		return r;
	if (nk == 0) {
		*ret = rv_null();
		return 0;
	}
	const rv *v = jwk_value(rctx_arena(cx), keys[0]);
	int unsupported = EVP_PKEY_get_base_id(keys[0]) != EVP_PKEY_RSA && EVP_PKEY_get_base_id(keys[0]) != EVP_PKEY_EC;
	free_keys(keys, nk);
	if (v == NULL)
		return unsupported ? rbi_err(cx, "invalid key type") : rbi_oom(cx);
	*ret = v;
	return 0;
}

/* crypto.parse_private_keys(pem): every key, as Go marshals them. */
int rcr_parse_private_keys(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		*ret = rv_null();
		return 0;
	}
	EVP_PKEY *keys[RCR_MAX_KEYS];
	size_t nk = 0;
	r = rcr_read_private_keys(cx, s, n, keys, &nk);
	if (r < 0)
		return r;
	const rv *vals[RCR_MAX_KEYS];
	bool bad = false;
	for (size_t i = 0; i < nk; i++)
		bad |= (vals[i] = rcr_privkey_value(rctx_arena(cx), keys[i])) == NULL;
	free_keys(keys, nk);
	if (bad)
		return rbi_oom(cx);
	*ret = nk ? rv_arr(rctx_arena(cx), vals, nk) : rv_empty_arr();
	return *ret ? 0 : rbi_oom(cx);
}
