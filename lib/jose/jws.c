/* JWS compact serialization (RFC 7515 §7.1) with the signature algorithms
 * of RFC 7518 §3 and RFC 8037 §3.1 on OpenSSL 3. ECDSA signatures travel
 * as fixed-length r||s (RFC 7518 §3.4) and OpenSSL speaks DER, so both
 * directions convert; a DER or wrong-length signature is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "cocoon/limits.h"
#include "jcs_int.h"
#include "jose_util.h"
#include "jwk_int.h"
#include "jose_jwt.h"

enum sigkind { SIG_ECDSA, SIG_PKCS1, SIG_PSS, SIG_EDDSA };

static const struct sigalg {
	const char *name;
	enum sigkind kind;
	const char *md;  /* NULL for EdDSA */
	const char *crv; /* ECDSA and EdDSA: the one curve */
} sigalgs[] = {
	{"ES256", SIG_ECDSA, "SHA256", "P-256"}, {"ES384", SIG_ECDSA, "SHA384", "P-384"},
	{"ES512", SIG_ECDSA, "SHA512", "P-521"}, {"RS256", SIG_PKCS1, "SHA256", NULL},
	{"RS384", SIG_PKCS1, "SHA384", NULL},    {"RS512", SIG_PKCS1, "SHA512", NULL},
	{"PS256", SIG_PSS, "SHA256", NULL},      {"PS384", SIG_PSS, "SHA384", NULL},
	{"PS512", SIG_PSS, "SHA512", NULL},      {"EdDSA", SIG_EDDSA, NULL, "Ed25519"},
};

/* The allowed algorithm alg usable with key k (its type, curve and, when
 * the key names one, its "alg"). */
static int find_alg(const char *alg, const cj_jwk *k, const struct sigalg **ret, cc_error **err)
{
	if (alg == NULL)
		return cc_error_set(err, -EINVAL, "jws: no \"alg\"");
	if (strcmp(alg, "none") == 0)
		return cc_error_set(err, -EINVAL, "jws: alg \"none\" (an unsigned token) is refused");
	const struct sigalg *a = NULL;
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(*sigalgs); i++)
		if (strcmp(alg, sigalgs[i].name) == 0)
			a = &sigalgs[i];
	if (a == NULL)
		return cc_error_set(err, -EINVAL, "jws: algorithm \"%.40s\" is not allowed", alg);
	enum cj_kty want = a->kind == SIG_ECDSA ? CJ_KTY_EC : a->kind == SIG_EDDSA ? CJ_KTY_OKP
	                                                                           : CJ_KTY_RSA;
	const char *crv = cj_jwk_crv(k);
	if (cj_jwk_kty(k) != want || (a->crv && (crv == NULL || strcmp(a->crv, crv) != 0)))
		return cc_error_set(err, -EINVAL, "jws: alg \"%s\" does not suit a %s%s%s key", alg,
		                    cj_jwk_kty_name(k), crv ? " " : "", crv ? crv : "");
	const char *kalg = cj_jwk_alg(k);
	if (kalg != NULL && strcmp(kalg, alg) != 0)
		return cc_error_set(err, -EINVAL, "jws: alg \"%s\", but the key is for \"%s\"", alg,
		                    kalg);
	*ret = a;
	return 0;
}

static EVP_MD_CTX *md_ctx(const struct sigalg *a, const cj_jwk *k, bool sign)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	bool ok = c != NULL &&
	          (sign ? EVP_DigestSignInit_ex(c, &pc, a->md, NULL, NULL, cj_jwk_pkey(k), NULL)
	                : EVP_DigestVerifyInit_ex(c, &pc, a->md, NULL, NULL, cj_jwk_pkey(k),
	                                          NULL)) == 1;
	if (ok && a->kind == SIG_PSS)
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, a->md, NULL) == 1;
	if (!ok) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	return c;
}

/* DER ECDSA-Sig-Value -> r||s of 2*clen bytes. */
static int der_to_raw(const unsigned char *der, size_t n, size_t clen, unsigned char *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)n);
	const BIGNUM *r = NULL, *sv = NULL;
	if (s != NULL)
		ECDSA_SIG_get0(s, &r, &sv);
	bool ok = s != NULL && BN_bn2binpad(r, out, (int)clen) > 0 &&
	          BN_bn2binpad(sv, out + clen, (int)clen) > 0;
	ECDSA_SIG_free(s);
	return ok ? 0 : -EIO;
}

/* r||s (2*clen bytes) -> DER in *der (OPENSSL_malloc'd). */
static int raw_to_der(const unsigned char *raw, size_t clen, unsigned char **der, size_t *n)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)clen, NULL), *sv = BN_bin2bn(raw + clen, (int)clen, NULL);
	int len = -1;
	if (s != NULL && r != NULL && sv != NULL && ECDSA_SIG_set0(s, r, sv) == 1) {
		r = sv = NULL; /* owned by s now */
		*der = NULL;
		len = i2d_ECDSA_SIG(s, der);
	}
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	if (len <= 0)
		return -ENOMEM;
	*n = (size_t)len;
	return 0;
}

static int sign_bytes(const struct sigalg *a, const cj_jwk *k, const char *in, size_t n,
                      unsigned char **ret, size_t *ret_len)
{
	EVP_MD_CTX *c = md_ctx(a, k, true);
	size_t len = 0;
	unsigned char *sig = NULL;
	bool ok = c != NULL &&
	          EVP_DigestSign(c, NULL, &len, (const unsigned char *)in, n) == 1 &&
	          (sig = malloc(len)) != NULL &&
	          EVP_DigestSign(c, sig, &len, (const unsigned char *)in, n) == 1;
	EVP_MD_CTX_free(c);
	if (ok && a->kind == SIG_ECDSA) {
		size_t clen = cj_curve_by_jwk_name(a->crv)->len;
		unsigned char *raw = malloc(2 * clen);
		ok = raw != NULL && der_to_raw(sig, len, clen, raw) == 0;
		free(sig);
		sig = raw;
		len = 2 * clen;
	}
	ERR_clear_error();
	if (!ok) {
		free(sig);
		return -EIO;
	}
	*ret = sig;
	*ret_len = len;
	return 0;
}

static bool verify_bytes(const struct sigalg *a, const cj_jwk *k, const char *in, size_t n,
                         const unsigned char *sig, size_t sig_len)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	if (a->kind == SIG_ECDSA) {
		size_t clen = cj_curve_by_jwk_name(a->crv)->len;
		if (sig_len != 2 * clen || raw_to_der(sig, clen, &der, &der_len) < 0)
			return false;
		sig = der;
		sig_len = der_len;
	} else if (sig_len != (size_t)EVP_PKEY_get_size(cj_jwk_pkey(k))) {
		return false;
	}
	EVP_MD_CTX *c = md_ctx(a, k, false);
	bool ok = c != NULL && EVP_DigestVerify(c, sig, sig_len, (const unsigned char *)in, n) == 1;
	EVP_MD_CTX_free(c);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}

/* {"typ":"JWT","alg":..[,"jwk":..][,"kid":..]} in jsonwebtoken's order. */
static int sign_header(const cj_jwk *key, const char *alg, unsigned flags, json_t **ret,
                       cc_error **err)
{
	json_t *h = json_pack("{s:s,s:s}", "typ", "JWT", "alg", alg);
	json_t *jwk = NULL;
	int r = h ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && (flags & CJ_JWS_EMBED_JWK) && (r = cj_jwk_to_json(key, 0, &jwk, err)) == 0 &&
	    json_object_set_new(h, "jwk", jwk) != 0)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && (flags & CJ_JWS_KID)) {
		const char *kid = cj_jwk_kid(key);
		if (kid == NULL)
			r = cc_error_set(err, -EINVAL, "jws: the key has no kid");
		else if (json_object_set_new(h, "kid", json_string(kid)) != 0)
			r = cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (r < 0) {
		json_decref(h);
		return r;
	}
	*ret = h;
	return 0;
}

int cj_jws_sign(const cj_jwk *key, const char *alg, unsigned flags, const void *payload,
                size_t len, char **ret, cc_error **err)
{
	const struct sigalg *a = NULL;
	if (alg == NULL)
		alg = cj_jwk_alg(key);
	int r = find_alg(alg, key, &a, err);
	if (r == 0 && !cj_jwk_is_private(key))
		r = cc_error_set(err, -EINVAL, "jws: signing needs a private key");
	if (r < 0)
		return r;
	json_t *h = NULL;
	char *htext = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL;
	size_t hlen = 0, sig_len = 0;
	unsigned char *sig = NULL;
	r = sign_header(key, alg, flags, &h, err);
	if (r == 0)
		r = cj_json_dump_ordered(h, &htext, &hlen, err);
	cc_buf b;
	cc_buf_init(&b, 0);
	if (r == 0 && ((h64 = cj_b64url_encode(htext, hlen)) == NULL ||
	               (p64 = cj_b64url_encode(payload, len)) == NULL ||
	               cc_buf_printf(&b, "%s.%s", h64, p64) < 0))
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && sign_bytes(a, key, b.p, b.len, &sig, &sig_len) < 0)
		r = cc_error_set(err, -EIO, "jws: %s signing failed (OpenSSL)", alg);
	if (r == 0 && ((s64 = cj_b64url_encode(sig, sig_len)) == NULL ||
	               cc_buf_printf(&b, ".%s", s64) < 0))
		r = cc_error_set(err, -ENOMEM, "out of memory");
	char *out = r == 0 ? cc_buf_steal(&b, NULL) : NULL;
	if (r == 0 && out == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	cc_buf_free(&b);
	json_decref(h);
	free(htext);
	free(h64);
	free(p64);
	free(s64);
	free(sig);
	if (r == 0)
		*ret = out;
	return r;
}

/* ---- verification ---------------------------------------------------------- */

struct compact {
	const char *h64, *p64, *s64;
	size_t h64_len, p64_len, s64_len;
};

static int split(const char *t, size_t len, struct compact *c, cc_error **err)
{
	if (len > CC_JOSE_MAX_TOKEN_BYTES)
		return cc_error_set(err, -E2BIG, "jws: token of %zu bytes, more than %u", len,
		                    CC_JOSE_MAX_TOKEN_BYTES);
	const char *d1 = memchr(t, '.', len);
	const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - t)) : NULL;
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - t)) != NULL)
		return cc_error_set(err, -EINVAL, "jws: not a compact JWS (three parts)");
	c->h64 = t;
	c->h64_len = (size_t)(d1 - t);
	c->p64 = d1 + 1;
	c->p64_len = (size_t)(d2 - d1 - 1);
	c->s64 = d2 + 1;
	c->s64_len = len - (size_t)(d2 + 1 - t);
	return 0;
}

static int decode_header(const struct compact *c, json_t **ret, cc_error **err)
{
	unsigned char *h = NULL;
	size_t hl = 0;
	int r = cj_b64url_decode(c->h64, c->h64_len, CC_JOSE_MAX_HEADER_BYTES, &h, &hl,
	                         "jws header", err);
	json_t *hdr = NULL;
	if (r == 0)
		r = cj_json_parse(h, hl, CC_JOSE_MAX_HEADER_BYTES, &hdr, "jws header", err);
	free(h);
	if (r == 0 && !json_is_object(hdr))
		r = cc_error_set(err, -EINVAL, "jws header: not a JSON object");
	if (r == 0 && (json_object_get(hdr, "crit") || json_object_get(hdr, "b64")))
		r = cc_error_set(err, -EINVAL, "jws header: \"%s\" is not supported",
		                 json_object_get(hdr, "crit") ? "crit" : "b64");
	if (r < 0) {
		json_decref(hdr);
		return r;
	}
	*ret = hdr;
	return 0;
}

int cj_jws_peek_header(const char *token, size_t len, json_t **ret, cc_error **err)
{
	struct compact c = {0};
	int r = split(token, len, &c, err);
	return r < 0 ? r : decode_header(&c, ret, err);
}

int cj_jws_verify(const cj_jwk *key, const char *token, size_t len, json_t **ret_header,
                  char **ret_payload, size_t *ret_payload_len, cc_error **err)
{
	struct compact c = {0};
	json_t *hdr = NULL;
	const struct sigalg *a = NULL;
	unsigned char *sig = NULL, *pl = NULL;
	size_t sig_len = 0, pl_len = 0;
	int r = split(token, len, &c, err);
	if (r == 0)
		r = decode_header(&c, &hdr, err);
	if (r == 0)
		r = find_alg(json_string_value(json_object_get(hdr, "alg")), key, &a, err);
	if (r == 0)
		r = cj_b64url_decode(c.s64, c.s64_len, CC_JOSE_MAX_RSA_BITS / 8, &sig, &sig_len,
		                     "jws signature", err);
	if (r == 0)
		r = cj_b64url_decode(c.p64, c.p64_len, CC_JOSE_MAX_TOKEN_BYTES, &pl, &pl_len,
		                     "jws payload", err);
	if (r == 0 && !verify_bytes(a, key, token, c.h64_len + 1 + c.p64_len, sig, sig_len))
		r = cc_error_set(err, -EBADMSG, "jws: %s signature does not verify", a->name);
	free(sig);
	if (r < 0) {
		json_decref(hdr);
		free(pl);
		return r;
	}
	if (ret_header)
		*ret_header = hdr;
	else
		json_decref(hdr);
	if (ret_payload) {
		*ret_payload = (char *)pl;
		if (ret_payload_len)
			*ret_payload_len = pl_len;
	} else {
		free(pl);
	}
	return 0;
}
