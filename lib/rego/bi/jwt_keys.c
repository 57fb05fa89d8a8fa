/* Keys for io.jwt.*: a PEM certificate or public key (OPA's
 * getKeysFromCertOrJWK), or a JWK / JWK set (RFC 7517; RFC 7518 §6 for
 * RSA, EC and oct keys, RFC 8037 for Ed25519), read into OpenSSL 3 keys.
 *
 * JWK text is parsed by jansson with JSON_REJECT_DUPLICATES and capped at
 * RJWT_MAX_KEY_TEXT bytes and RJWT_MAX_KEYS keys. Members are base64url
 * (standard base64 and padding are tolerated, as lestrrat-go/jwx does).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "jwt_int.h"

void rjwt_keys_fini(struct rjwt_keys *ks)
{
	for (size_t i = 0; i < ks->n; i++) {
		EVP_PKEY_free(ks->k[i].pk);
		if (ks->k[i].secret) {
			OPENSSL_cleanse(ks->k[i].secret, ks->k[i].secret_len);
			free(ks->k[i].secret);
		}
	}
	ks->n = 0;
}

/* ---- JWK members ---------------------------------------------------------- */

/* Member `name` of o decoded into a malloc'd buffer; -ENOENT if absent. */
static int member_bytes(const json_t *o, const char *name, unsigned char **out, size_t *outn)
{
	const json_t *v = json_object_get(o, name);
	if (v == NULL)
		return -ENOENT;
	if (!json_is_string(v))
		return -EINVAL;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -EINVAL;
	unsigned char *b = malloc(n / 4 * 3 + 3);
	if (b == NULL)
		return -ENOMEM;
	size_t o_ = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		int d = rjwt_b64_digit((unsigned char)s[i], true);
		if (d < 0) {
			free(b);
			return -EINVAL;
		}
		acc = (acc << 6 | (uint32_t)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			b[o_++] = (unsigned char)(acc >> bits);
		}
	}
	*out = b;
	*outn = o_;
	return 0;
}

static int push_bn(OSSL_PARAM_BLD *bld, const json_t *o, const char *member, const char *param,
                   bool required, BIGNUM **keep)
{
	unsigned char *b = NULL;
	size_t n = 0;
	int r = member_bytes(o, member, &b, &n);
	if (r == -ENOENT && !required)
		return 0;
	if (r < 0)
		return r == -ENOENT ? -EINVAL : r;
	BIGNUM *bn = BN_bin2bn(b, (int)n, NULL);
	OPENSSL_cleanse(b, n);
	free(b);
	if (bn == NULL || OSSL_PARAM_BLD_push_BN(bld, param, bn) != 1) {
		BN_clear_free(bn);
		return -ENOMEM;
	}
	*keep = bn; /* the builder refers to it until the params are built */
	return 1;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld, bool priv)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;
	if (params && pc && EVP_PKEY_fromdata_init(pc) == 1)
		EVP_PKEY_fromdata(pc, &pk, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	return pk;
}

static int jwk_rsa(const json_t *o, EVP_PKEY **ret)
{
	static const char *const members[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
	static const char *const params[] = {
	    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_D,
	    OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
	BIGNUM *keep[8] = {NULL};
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	int r = bld ? 0 : -ENOMEM;
	/* n and e always; d alone, or d with all five CRT values. */
	bool crt = json_object_get(o, "p") && json_object_get(o, "q") && json_object_get(o, "dp") &&
	           json_object_get(o, "dq") && json_object_get(o, "qi");
	size_t last = crt ? 8 : 3;
	for (size_t i = 0; r >= 0 && i < last; i++) {
		r = push_bn(bld, o, members[i], params[i], i < 2, &keep[i]);
	}
	bool priv = keep[2] != NULL;
	/* OpenSSL refuses public operations past OPENSSL_RSA_MAX_MODULUS_BITS but
	 * not private ones: a huge "n" and "d" would make encode_sign run for
	 * hours. */
	if (r >= 0 && BN_num_bits(keep[0]) > OPENSSL_RSA_MAX_MODULUS_BITS)
		r = -EINVAL;
	EVP_PKEY *pk = r >= 0 ? from_params("RSA", bld, priv) : NULL;
	for (size_t i = 0; i < 8; i++)
		BN_clear_free(keep[i]);
	OSSL_PARAM_BLD_free(bld);
	if (pk == NULL)
		return r < 0 ? r : -EINVAL;
	*ret = pk;
	return 0;
}

static const char *ec_group(const char *crv, size_t *flen)
{
	if (strcmp(crv, "P-256") == 0)
		return *flen = 32, "prime256v1";
	if (strcmp(crv, "P-384") == 0)
		return *flen = 48, "secp384r1";
	if (strcmp(crv, "P-521") == 0)
		return *flen = 66, "secp521r1";
	return NULL;
}

static int jwk_ec(const json_t *o, const char *crv, EVP_PKEY **ret)
{
	size_t flen = 0;
	const char *group = ec_group(crv, &flen);
	if (group == NULL)
		return -EINVAL;
	unsigned char *x = NULL, *y = NULL;
	size_t xn = 0, yn = 0;
	unsigned char pt[1 + 2 * 66];
	int r = member_bytes(o, "x", &x, &xn);
	if (r == 0)
		r = member_bytes(o, "y", &y, &yn);
	if (r == 0 && (xn > flen || yn > flen))
		r = -EINVAL;
	if (r == 0) {
		memset(pt, 0, sizeof(pt));
		pt[0] = 4;
		memcpy(pt + 1 + flen - xn, x, xn);
		memcpy(pt + 1 + 2 * flen - yn, y, yn);
	}
	free(x);
	free(y);
	if (r < 0)
		return r == -ENOENT ? -EINVAL : r;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *d = NULL;
	if (bld == NULL)
		return -ENOMEM;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * flen) != 1)
		r = -ENOMEM;
	if (r == 0)
		r = push_bn(bld, o, "d", OSSL_PKEY_PARAM_PRIV_KEY, false, &d);
	EVP_PKEY *pk = r >= 0 ? from_params("EC", bld, d != NULL) : NULL;
	BN_clear_free(d);
	OSSL_PARAM_BLD_free(bld);
	if (pk == NULL)
		return r < 0 ? r : -EINVAL;
	*ret = pk;
	return 0;
}

static int jwk_okp(const json_t *o, const char *crv, EVP_PKEY **ret)
{
	if (strcmp(crv, "Ed25519") != 0)
		return -EINVAL;
	unsigned char *b = NULL;
	size_t n = 0;
	bool priv = json_object_get(o, "d") != NULL;
	int r = member_bytes(o, priv ? "d" : "x", &b, &n);
	if (r < 0)
		return r == -ENOENT ? -EINVAL : r;
	EVP_PKEY *pk = n != 32 ? NULL
	               : priv  ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, b, n)
	                       : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, b, n);
	OPENSSL_cleanse(b, n);
	free(b);
	if (pk == NULL)
		return -EINVAL;
	*ret = pk;
	return 0;
}

/* One JWK object into k (kid copied into the arena). */
static int jwk_one(rctx *cx, const json_t *o, struct rjwt_key *k)
{
	const char *kty = json_string_value(json_object_get(o, "kty"));
	const char *crv = json_string_value(json_object_get(o, "crv"));
	int r;
	memset(k, 0, sizeof(*k));
	if (kty == NULL)
		return -EINVAL;
	if (strcmp(kty, "RSA") == 0)
		r = jwk_rsa(o, &k->pk);
	else if (strcmp(kty, "EC") == 0 && crv)
		r = jwk_ec(o, crv, &k->pk);
	else if (strcmp(kty, "OKP") == 0 && crv)
		r = jwk_okp(o, crv, &k->pk);
	else if (strcmp(kty, "oct") == 0)
		r = member_bytes(o, "k", &k->secret, &k->secret_len);
	else
		r = -EINVAL;
	if (r < 0)
		return r == -ENOENT ? -EINVAL : r;
	const json_t *alg = json_object_get(o, "alg");
	if (json_is_string(alg) && json_string_length(alg) < sizeof(k->alg))
		memcpy(k->alg, json_string_value(alg), json_string_length(alg) + 1);
	else if (alg != NULL)
		k->alg[0] = '?'; /* present but not an algorithm OPA knows */
	const json_t *kid = json_object_get(o, "kid");
	if (json_is_string(kid)) {
		const rv *s = rv_str(rctx_arena(cx), json_string_value(kid), json_string_length(kid));
		if (s == NULL) {
			EVP_PKEY_free(k->pk);
			free(k->secret);
			return -ENOMEM;
		}
		k->kid = s->u.s.p;
	}
	return 0;
}

/* Parses a JWK or a JWKS; first_only keeps the first key (encode_sign).
 * Keys with an "alg" OPA does not know are skipped (verification only). */
static int jwk_text(rctx *cx, const char *s, size_t n, struct rjwt_keys *out, bool first_only,
                    const char **why)
{
	json_error_t je;
	*why = "invalid JWK";
	if (n > RJWT_MAX_KEY_TEXT)
		return *why = "key text too large", -E2BIG;
	json_t *root = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(root)) {
		*why = root ? "not a JSON object" : "invalid JSON";
		json_decref(root);
		return -EINVAL;
	}
	const json_t *set = json_object_get(root, "keys");
	size_t count = set ? json_array_size(set) : 1;
	int r = 0;
	if (set && !json_is_array(set))
		r = -EINVAL;
	if (count > RJWT_MAX_KEYS)
		r = -E2BIG, *why = "too many keys";
	for (size_t i = 0; r == 0 && i < count && !(first_only && out->n == 1); i++) {
		const json_t *o = set ? json_array_get(set, i) : root;
		struct rjwt_key *k = &out->k[out->n];
		r = json_is_object(o) ? jwk_one(cx, o, k) : -EINVAL;
		if (r < 0)
			break;
		if (!first_only && k->alg[0] && !rjwt_alg_known(k->alg, strlen(k->alg))) {
			EVP_PKEY_free(k->pk);
			free(k->secret);
			continue;
		}
		out->n++;
	}
	json_decref(root);
	ERR_clear_error();
	if (r < 0)
		rjwt_keys_fini(out);
	return r;
}

int rjwt_key_from_jwk_text(rctx *cx, const char *s, size_t n, struct rjwt_keys *out)
{
	const char *why;
	int r = jwk_text(cx, s, n, out, true, &why);
	if (r == -ENOMEM)
		return rbi_oom(cx);
	if (r < 0)
		return rbi_err(cx, "failed to parse jwk key: %s", why);
	if (out->n == 0)
		return rbi_err(cx, "no keys found in JWK set");
	return 0;
}

/* ---- PEM -------------------------------------------------------------------- */

/* 1 and the key if s holds a PEM block, 0 if it holds none, or an error. */
static int pem_key(rctx *cx, const char *s, size_t n, EVP_PKEY **ret)
{
	BIO *bio = BIO_new_mem_buf(s, (int)n);
	char *name = NULL, *hdr = NULL;
	unsigned char *der = NULL;
	long dern = 0;
	if (bio == NULL)
		return rbi_oom(cx);
	if (PEM_read_bio(bio, &name, &hdr, &der, &dern) != 1) {
		BIO_free(bio);
		ERR_clear_error();
		return 0;
	}
	int r = 1;
	const unsigned char *p = der;
	if (BIO_pending(bio) > 0) {
		r = rbi_err(cx, "extra data after a PEM certificate block");
	} else if (strcmp(name, "CERTIFICATE") == 0) {
		X509 *c = d2i_X509(NULL, &p, dern);
		if (c == NULL || p != der + dern || (*ret = X509_get_pubkey(c)) == NULL)
			r = rbi_err(cx, "failed to parse a PEM certificate: x509: malformed certificate");
		X509_free(c);
	} else if (strcmp(name, "PUBLIC KEY") == 0) {
		*ret = d2i_PUBKEY(NULL, &p, dern);
		if (*ret == NULL)
			r = rbi_err(cx, "failed to parse a PEM public key: x509: malformed public key");
	} else {
		r = rbi_err(cx, "failed to extract a Key from the PEM certificate");
	}
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(der);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

int rjwt_keys_from_text(rctx *cx, const char *s, size_t n, struct rjwt_keys *out)
{
	EVP_PKEY *pk = NULL;
	if (n > RJWT_MAX_KEY_TEXT)
		return rbi_err(cx, "failed to parse a JWK key (set): key text over %u bytes",
		               RJWT_MAX_KEY_TEXT);
	int r = pem_key(cx, s, n, &pk);
	if (r < 0)
		return r;
	if (r == 1) {
		memset(&out->k[0], 0, sizeof(out->k[0]));
		out->k[0].pk = pk;
		out->n = 1;
		return 0;
	}
	const char *why;
	r = jwk_text(cx, s, n, out, false, &why);
	if (r == -ENOMEM)
		return rbi_oom(cx);
	if (r < 0)
		return rbi_err(cx, "failed to parse a JWK key (set): %s", why);
	return 0;
}
