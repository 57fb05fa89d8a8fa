/* JWK JSON -> cj_jwk (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2), strictly:
 * exact coordinate lengths (RFC 7518 §6.2.1.2), minimal RSA integers
 * (§6.3.1.1), a public key that is a valid point, a private key that
 * matches its public half. Members this library does not use are ignored
 * as RFC 7517 §4 asks, but the ones it knows must have the right type. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "cocoon/limits.h"
#include "jose_util.h"
#include "jwk_int.h"

/* One base64url member: required or not, exactly `exact` bytes when that is
 * not 0, else a minimal unsigned integer of at most max bytes. *ret stays
 * NULL when an optional member is absent. */
static int get_b64(const json_t *o, const char *name, bool required, size_t exact, size_t max,
                   unsigned char **ret, size_t *ret_len, cc_error **err)
{
	const json_t *v = json_object_get(o, name);
	if (v == NULL && !required)
		return 0;
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "jwk: \"%s\" %s", name,
		                    v ? "is not a string" : "is missing");
	char what[32];
	snprintf(what, sizeof(what), "jwk: \"%s\"", name);
	unsigned char *p = NULL;
	size_t n = 0;
	int r = cj_b64url_decode(json_string_value(v), json_string_length(v), exact ? exact + 8 : max,
	                         &p, &n, what, err);
	if (r < 0)
		return r;
	if (exact ? n != exact : (n == 0 || (n > 1 && p[0] == 0))) {
		cj_free_secret(p, n);
		if (exact)
			return cc_error_set(err, -EINVAL, "jwk: \"%s\" is %zu bytes, not %zu", name, n,
			                    exact);
		return cc_error_set(err, -EINVAL, "jwk: \"%s\" is not a minimal integer", name);
	}
	*ret = p;
	*ret_len = n;
	return 0;
}

/* OpenSSL's fromdata, then the key checks: public (point on the curve, RSA
 * sanity) and, for a private key, that both halves belong together. For EC
 * the public check is OpenSSL's quick one, SP 800-56A §5.6.2.3.4 partial
 * validation (not the point at infinity, coordinates in range, on the
 * curve): the full check adds n*Q == O, a scalar multiplication that
 * proves nothing more on P-256, P-384 and P-521, whose cofactor is 1 (every
 * point on them but O has order n), and cost more than the rest of a parse. */
static int fromdata(const char *type, OSSL_PARAM_BLD *bld, bool priv, EVP_PKEY **ret,
                    cc_error **err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *c = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
	EVP_PKEY *pkey = NULL;
	bool ok = c != NULL && EVP_PKEY_fromdata_init(c) == 1 &&
	          EVP_PKEY_fromdata(c, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
	                            params) == 1;
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	c = ok ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
	bool ec = strcmp(type, "EC") == 0;
	bool valid = c != NULL &&
	             (ec ? EVP_PKEY_public_check_quick(c) : EVP_PKEY_public_check(c)) == 1 &&
	             (!priv || EVP_PKEY_pairwise_check(c) == 1);
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	if (!valid) {
		EVP_PKEY_free(pkey);
		return cc_error_set(err, -EINVAL, "jwk: not a valid %s %s key", type,
		                    priv ? "private" : "public");
	}
	*ret = pkey;
	return 0;
}

static int ec_key(const json_t *o, const struct cj_curve *cv, EVP_PKEY **ret, cc_error **err)
{
	unsigned char *x = NULL, *y = NULL, *d = NULL, pub[1 + 2 * 66];
	size_t xl = 0, yl = 0, dl = 0;
	int r = get_b64(o, "x", true, cv->len, 0, &x, &xl, err);
	if (r == 0)
		r = get_b64(o, "y", true, cv->len, 0, &y, &yl, err);
	if (r == 0)
		r = get_b64(o, "d", false, cv->len, 0, &d, &dl, err);
	OSSL_PARAM_BLD *bld = r == 0 ? OSSL_PARAM_BLD_new() : NULL;
	BIGNUM *bn = d ? BN_secure_new() : NULL;
	if (r == 0) {
		pub[0] = 0x04; /* uncompressed point */
		memcpy(pub + 1, x, xl);
		memcpy(pub + 1 + xl, y, yl);
		if (bld == NULL || (d && (bn == NULL || !BN_bin2bn(d, (int)dl, bn))) ||
		    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, cv->ossl_name,
		                                     0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + xl + yl) ||
		    (d && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn)))
			r = cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (r == 0)
		r = fromdata("EC", bld, d != NULL, ret, err);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
	free(x);
	free(y);
	cj_free_secret(d, dl);
	return r;
}

static const char *const rsa_members[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
static const char *const rsa_params[] = {
	OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_D,
	OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};
#define RSA_NMEMB 8

static int rsa_check_public(const unsigned char *const *v, const size_t *len, cc_error **err)
{
	/* RFC 7518 6.3.1: n and e are minimal big-endian integers; a leading
	 * zero byte would also stop the bit count below from ending */
	if (len[0] == 0 || v[0][0] == 0 || len[1] == 0 || v[1][0] == 0)
		return cc_error_set(err, -EINVAL, "jwk: RSA \"%s\" has a leading zero byte (not a "
		                                  "minimal integer)",
		                    len[0] == 0 || v[0][0] == 0 ? "n" : "e");
	size_t bits = len[0] * 8;
	for (unsigned char top = v[0][0]; !(top & 0x80); top = (unsigned char)(top << 1))
		bits--;
	if (bits < CC_JOSE_MIN_RSA_BITS || bits > CC_JOSE_MAX_RSA_BITS)
		return cc_error_set(err, -EINVAL, "jwk: RSA key of %zu bits (%u to %u accepted)", bits,
		                    CC_JOSE_MIN_RSA_BITS, CC_JOSE_MAX_RSA_BITS);
	if (len[1] > 8 || !(v[1][len[1] - 1] & 1) || (len[1] == 1 && v[1][0] < 3))
		return cc_error_set(err, -EINVAL, "jwk: RSA exponent \"e\" is not an odd number "
		                                  "from 3 to 2^64");
	return 0;
}

static int rsa_key(const json_t *o, EVP_PKEY **ret, cc_error **err)
{
	unsigned char *v[RSA_NMEMB] = {0};
	size_t len[RSA_NMEMB] = {0};
	size_t max = CC_JOSE_MAX_RSA_BITS / 8;
	int r = json_object_get(o, "oth") ? cc_error_set(err, -EINVAL, "jwk: multi-prime RSA "
	                                                               "keys (\"oth\") are not "
	                                                               "supported")
	                                  : 0;
	size_t present = 0;
	for (size_t i = 0; r == 0 && i < RSA_NMEMB; i++) {
		r = get_b64(o, rsa_members[i], i < 2, 0, max, &v[i], &len[i], err);
		present += i >= 2 && v[i] != NULL;
	}
	if (r == 0 && present != 0 && present != RSA_NMEMB - 2)
		r = cc_error_set(err, -EINVAL, "jwk: RSA private key needs all of d, p, q, dp, dq, "
		                               "qi");
	if (r == 0)
		r = rsa_check_public((const unsigned char *const *)v, len, err);
	OSSL_PARAM_BLD *bld = r == 0 ? OSSL_PARAM_BLD_new() : NULL;
	BIGNUM *bn[RSA_NMEMB] = {0};
	for (size_t i = 0; r == 0 && i < (present ? RSA_NMEMB : 2); i++) {
		bn[i] = i < 2 ? BN_new() : BN_secure_new();
		if (bld == NULL || bn[i] == NULL || !BN_bin2bn(v[i], (int)len[i], bn[i]) ||
		    !OSSL_PARAM_BLD_push_BN(bld, rsa_params[i], bn[i]))
			r = cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (r == 0)
		r = fromdata("RSA", bld, present != 0, ret, err);
	OSSL_PARAM_BLD_free(bld);
	for (size_t i = 0; i < RSA_NMEMB; i++) {
		BN_clear_free(bn[i]);
		cj_free_secret(v[i], len[i]);
	}
	return r;
}

static int okp_key(const json_t *o, const struct cj_curve *cv, EVP_PKEY **ret, cc_error **err)
{
	unsigned char *x = NULL, *d = NULL, derived[32];
	size_t xl = 0, dl = 0, dn = sizeof(derived);
	int r = get_b64(o, "x", true, cv->len, 0, &x, &xl, err);
	if (r == 0)
		r = get_b64(o, "d", false, cv->len, 0, &d, &dl, err);
	EVP_PKEY *pkey = NULL;
	if (r == 0)
		pkey = d ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, dl)
		         : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl);
	if (r == 0 && pkey == NULL)
		r = cc_error_set(err, -EINVAL, "jwk: not a valid Ed25519 key");
	if (r == 0 && d != NULL &&
	    (EVP_PKEY_get_raw_public_key(pkey, derived, &dn) != 1 || dn != xl ||
	     CRYPTO_memcmp(derived, x, xl) != 0))
		r = cc_error_set(err, -EINVAL, "jwk: Ed25519 \"d\" does not match \"x\"");
	ERR_clear_error();
	if (r < 0)
		EVP_PKEY_free(pkey);
	else
		*ret = pkey;
	free(x);
	cj_free_secret(d, dl);
	return r;
}

/* The members every JWK may have (RFC 7517 §4): right type when present. */
static int check_common(const json_t *o, cc_error **err)
{
	static const char *const strings[] = {"alg", "kid", "use", "x5u", "x5t", "x5t#S256"};
	for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++) {
		const json_t *v = json_object_get(o, strings[i]);
		if (v != NULL && !json_is_string(v))
			return cc_error_set(err, -EINVAL, "jwk: \"%s\" is not a string", strings[i]);
	}
	static const char *const arrays[] = {"key_ops", "x5c"};
	for (size_t i = 0; i < 2; i++) {
		const json_t *a = json_object_get(o, arrays[i]), *e;
		size_t j;
		if (a != NULL && !json_is_array(a))
			return cc_error_set(err, -EINVAL, "jwk: \"%s\" is not an array", arrays[i]);
		json_array_foreach(a, j, e) {
			if (!json_is_string(e))
				return cc_error_set(err, -EINVAL, "jwk: \"%s\"[%zu] is not a string",
				                    arrays[i], j);
		}
	}
	size_t nx5c = json_array_size(json_object_get(o, "x5c"));
	if (nx5c > CC_JOSE_MAX_X5C_CERTS)
		return cc_error_set(err, -E2BIG, "jwk: \"x5c\" has %zu certificates, more than %u",
		                    nx5c, CC_JOSE_MAX_X5C_CERTS);
	return 0;
}

static int build_pkey(const json_t *o, const char *kty, EVP_PKEY **ret, cc_error **err)
{
	if (strcmp(kty, "RSA") == 0)
		return rsa_key(o, ret, err);
	bool ec = strcmp(kty, "EC") == 0;
	if (!ec && strcmp(kty, "OKP") != 0)
		return cc_error_set(err, -EINVAL, "jwk: unsupported kty \"%.32s\"", kty);
	const json_t *crv = json_object_get(o, "crv");
	if (!json_is_string(crv))
		return cc_error_set(err, -EINVAL, "jwk: \"crv\" %s",
		                    crv ? "is not a string" : "is missing");
	const struct cj_curve *cv = cj_curve_by_jwk_name(json_string_value(crv));
	if (cv == NULL || cv->kty != (ec ? CJ_KTY_EC : CJ_KTY_OKP))
		return cc_error_set(err, -EINVAL, "jwk: unsupported %s curve \"%.32s\"", kty,
		                    json_string_value(crv));
	return ec ? ec_key(o, cv, ret, err) : okp_key(o, cv, ret, err);
}

int cj_jwk_from_json(const json_t *o, cj_jwk **ret, cc_error **err)
{
	if (!json_is_object(o))
		return cc_error_set(err, -EINVAL, "jwk: not a JSON object");
	const json_t *kty = json_object_get(o, "kty");
	if (!json_is_string(kty))
		return cc_error_set(err, -EINVAL, "jwk: \"kty\" %s",
		                    kty ? "is not a string" : "is missing");
	int r = check_common(o, err);
	EVP_PKEY *pkey = NULL;
	if (r == 0)
		r = build_pkey(o, json_string_value(kty), &pkey, err);
	cj_jwk *k = NULL;
	if (r == 0 && (r = cj_jwk_wrap(pkey, &k, err)) < 0)
		EVP_PKEY_free(pkey);
	if (r == 0) /* EC and RSA keys went through fromdata()'s public check */
		k->checked = k->kty != CJ_KTY_OKP;
	if (r == 0)
		r = cj_jwk_set_alg(k, json_string_value(json_object_get(o, "alg")), err);
	if (r == 0)
		r = cj_jwk_set_kid(k, json_string_value(json_object_get(o, "kid")), err);
	const json_t *x5c = json_object_get(o, "x5c");
	if (r == 0 && x5c != NULL && (k->x5c = json_deep_copy(x5c)) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		cj_jwk_free(k);
		return r;
	}
	*ret = k;
	return 0;
}

int cj_jwk_parse(const char *json, size_t len, cj_jwk **ret, cc_error **err)
{
	json_t *o = NULL;
	int r = cj_json_parse(json, len, CC_JOSE_MAX_JWK_BYTES, &o, "jwk", err);
	if (r == 0)
		r = cj_jwk_from_json(o, ret, err);
	json_decref(o);
	return r;
}

int cj_jwk_from_tee_pubkey(const json_t *o, cj_jwk **ret, cc_error **err)
{
	const char *kty = json_string_value(json_object_get(o, "kty"));
	const char *alg = json_string_value(json_object_get(o, "alg"));
	const char *crv = json_string_value(json_object_get(o, "crv"));
	if (!json_is_object(o) || kty == NULL || alg == NULL)
		return cc_error_set(err, -EINVAL, "tee-pubkey: needs \"kty\" and \"alg\"");
	if (json_object_get(o, "d") != NULL)
		return cc_error_set(err, -EINVAL, "tee-pubkey: holds a private key (\"d\")");
	if (strcmp(kty, "EC") == 0) {
		if (strcmp(alg, "ECDH-ES+A256KW") != 0)
			return cc_error_set(err, -EINVAL, "tee-pubkey: EC alg \"%.32s\" (only "
			                                  "ECDH-ES+A256KW)", alg);
		if (crv == NULL || (strcmp(crv, "P-256") != 0 && strcmp(crv, "P-521") != 0))
			return cc_error_set(err, -EINVAL, "tee-pubkey: curve \"%.32s\" (only P-256 "
			                                  "and P-521)", crv ? crv : "");
	} else if (strcmp(kty, "RSA") == 0) {
		if (strcmp(alg, "RSA-OAEP-256") != 0 && strcmp(alg, "RSA1_5") != 0)
			return cc_error_set(err, -EINVAL, "tee-pubkey: RSA alg \"%.32s\" (only "
			                                  "RSA-OAEP-256 and RSA1_5)", alg);
	} else {
		return cc_error_set(err, -EINVAL, "tee-pubkey: unsupported kty \"%.32s\"", kty);
	}
	int r = cj_jwk_from_json(o, ret, err);
	return r < 0 ? cc_error_wrap(err, "tee-pubkey") : 0;
}
