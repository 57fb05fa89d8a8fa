/* The KBS token verifier (trustee.md §1.7; Trustee's kbs/src/crypto/jwt.rs
 * JwtVerifier): which key verifies a token, the x5c chain check against the
 * trust anchors (OpenSSL X509_STORE), then signature and claim checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cocoon/limits.h"
#include "jose_util.h"
#include "jose_jwt.h"

struct cj_verifier {
	X509_STORE *store;
	size_t ncerts;
	cj_jwks **sets;
	size_t nsets;
	cj_jwk **pem_keys;
	size_t npem;
	bool insecure;
	int64_t leeway;
	int64_t now;
};

int cj_verifier_new(cj_verifier **ret, cc_error **err)
{
	cj_verifier *v = calloc(1, sizeof(*v));
	if (v == NULL || (v->store = X509_STORE_new()) == NULL) {
		free(v);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = v;
	return 0;
}

void cj_verifier_free(cj_verifier *v)
{
	if (v == NULL)
		return;
	X509_STORE_free(v->store);
	for (size_t i = 0; i < v->nsets; i++)
		cj_jwks_free(v->sets[i]);
	for (size_t i = 0; i < v->npem; i++)
		cj_jwk_free(v->pem_keys[i]);
	free(v->sets);
	free(v->pem_keys);
	free(v);
}

void cj_verifier_set_insecure_header_jwk(cj_verifier *v, bool on) { v->insecure = on; }
void cj_verifier_set_leeway(cj_verifier *v, int64_t seconds) { v->leeway = seconds; }
void cj_verifier_set_time(cj_verifier *v, int64_t now) { v->now = now; }

int cj_verifier_add_trust_pem(cj_verifier *v, const char *pem, size_t len, cc_error **err)
{
	if (len > CC_JOSE_MAX_JWK_BYTES || len > INT32_MAX)
		return cc_error_set(err, -E2BIG, "trust anchors: more than %u bytes",
		                    CC_JOSE_MAX_JWK_BYTES);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t added = 0;
	X509 *cert;
	int r = 0;
	while (r == 0 && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(v->store, cert) != 1)
			r = cc_error_set(err, -ENOMEM, "trust anchors: cannot add certificate %zu",
			                 added + 1);
		else
			added++;
		X509_free(cert);
	}
	BIO_free(bio);
	ERR_clear_error();
	if (r == 0 && added == 0)
		r = cc_error_set(err, -EINVAL, "trust anchors: no PEM certificate found");
	v->ncerts += added;
	return r;
}

static int grow(void *arrp, size_t n, size_t size)
{
	void **arr = arrp;
	void *p = realloc(*arr, (n + 1) * size);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	return 0;
}

int cj_verifier_add_jwks(cj_verifier *v, const char *json, size_t len, cc_error **err)
{
	cj_jwks *s = NULL;
	int r = cj_jwks_parse(json, len, &s, err);
	if (r == 0 && grow(&v->sets, v->nsets, sizeof(*v->sets)) < 0)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		cj_jwks_free(s);
		return r;
	}
	v->sets[v->nsets++] = s;
	return 0;
}

int cj_verifier_add_pem_key(cj_verifier *v, const char *pem, size_t len, cc_error **err)
{
	cj_jwk *k = NULL;
	int r = cj_jwk_from_pem(pem, len, NULL, &k, err);
	if (r == 0 && grow(&v->pem_keys, v->npem, sizeof(*v->pem_keys)) < 0)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		cj_jwk_free(k);
		return r;
	}
	v->pem_keys[v->npem++] = k;
	return 0;
}

/* ---- x5c ------------------------------------------------------------------- */

/* One x5c entry: standard base64 (RFC 7517 §4.7), or base64url as older
 * Trustee attestation services wrote; line breaks are dropped as Trustee
 * does. */
static X509 *x5c_cert(const json_t *s)
{
	size_t n = json_string_length(s), k = 0;
	const char *in = json_string_value(s);
	char *t = malloc(n + 1);
	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (in[i] != '\n' && in[i] != '\r')
			t[k++] = in[i];
	unsigned char *der = NULL;
	size_t len = 0;
	if (cj_b64_decode(t, k, CC_JOSE_MAX_JWK_BYTES, &der, &len, "x5c", NULL) < 0)
		cj_b64url_decode(t, k, CC_JOSE_MAX_JWK_BYTES, &der, &len, "x5c", NULL);
	free(t);
	const unsigned char *p = der;
	X509 *cert = der ? d2i_X509(NULL, &p, (long)len) : NULL;
	if (cert != NULL && p != der + len) { /* trailing bytes */
		X509_free(cert);
		cert = NULL;
	}
	free(der);
	ERR_clear_error();
	return cert;
}

/* The earliest notAfter of the certificates in chain, as unix time
 * (INT64_MAX if none can be read). */
static int64_t chain_not_after(STACK_OF(X509) *chain)
{
	int64_t until = INT64_MAX;
	for (int i = 0; i < sk_X509_num(chain); i++) {
		struct tm tm;
		const ASN1_TIME *t = X509_get0_notAfter(sk_X509_value(chain, i));
		if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
			return INT64_MIN; /* unreadable: never cache past now */
		time_t u = timegm(&tm);
		if ((int64_t)u < until)
			until = (int64_t)u;
	}
	return until;
}

static int chain_verify(const cj_verifier *v, X509 *leaf, STACK_OF(X509) *chain,
                        int64_t *ret_until, cc_error **err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, v->store, leaf, chain) != 1) {
		X509_STORE_CTX_free(ctx);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (v->now != 0)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)v->now);
	int ok = X509_verify_cert(ctx);
	int e = X509_STORE_CTX_get_error(ctx);
	if (ok == 1)
		*ret_until = chain_not_after(X509_STORE_CTX_get0_chain(ctx));
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	if (ok != 1)
		return cc_error_set(err, -EPERM, "jwk: x5c does not chain to a trust anchor (%s)",
		                    X509_verify_cert_error_string(e));
	return 0;
}

/* cj_verifier_check_jwk, also giving the verified chain's earliest
 * notAfter. */
static int check_jwk_until(const cj_verifier *v, const cj_jwk *jwk, int64_t *ret_until,
                           cc_error **err)
{
	const json_t *x5c = cj_jwk_x5c(jwk);
	size_t n = json_array_size(x5c);
	if (n == 0)
		return cc_error_set(err, -EPERM, "jwk: no x5c certificate chain to check the key");
	if (v->ncerts == 0)
		return cc_error_set(err, -EPERM, "jwk: no trusted certificates to check x5c against");
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *leaf = x5c_cert(json_array_get(x5c, 0));
	int r = chain ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && leaf == NULL)
		r = cc_error_set(err, -EPERM, "jwk: x5c[0] is not a base64 DER certificate");
	if (r == 0 && EVP_PKEY_eq(X509_get0_pubkey(leaf), cj_jwk_pkey(jwk)) != 1)
		r = cc_error_set(err, -EPERM, "jwk: the key is not the x5c leaf certificate's");
	for (size_t i = 1; r == 0 && i < n; i++) {
		X509 *c = x5c_cert(json_array_get(x5c, i));
		if (c == NULL)
			r = cc_error_set(err, -EPERM, "jwk: x5c[%zu] is not a base64 DER certificate",
			                 i);
		else if (sk_X509_push(chain, c) <= 0) {
			X509_free(c);
			r = cc_error_set(err, -ENOMEM, "out of memory");
		}
	}
	if (r == 0)
		r = chain_verify(v, leaf, chain, ret_until, err);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return r;
}

int cj_verifier_check_jwk(const cj_verifier *v, const cj_jwk *jwk, cc_error **err)
{
	int64_t until;
	return check_jwk_until(v, jwk, &until, err);
}

/* ---- tokens ------------------------------------------------------------------ */

/* The key named by the header (jwk or kid); *owned is set when the caller
 * must free it. */
static int header_key(const cj_verifier *v, const json_t *hdr, const cj_jwk **ret,
                      cj_jwk **owned, int64_t *until, cc_error **err)
{
	const json_t *hjwk = json_object_get(hdr, "jwk");
	if (hjwk != NULL) {
		int r = cj_jwk_from_json(hjwk, owned, err);
		if (r < 0)
			return cc_error_wrap(err, "token header");
		if (!v->insecure && (r = check_jwk_until(v, *owned, until, err)) < 0)
			return r;
		*ret = *owned;
	} else {
		const char *kid = json_string_value(json_object_get(hdr, "kid"));
		if (v->nsets == 0)
			return cc_error_set(err, -EPERM, "token: no header jwk and no trusted JWK set");
		if (kid == NULL)
			return cc_error_set(err, -EPERM, "token: no \"jwk\" nor \"kid\" in the header");
		for (size_t i = 0; *ret == NULL && i < v->nsets; i++)
			*ret = cj_jwks_find(v->sets[i], kid);
		if (*ret == NULL)
			return cc_error_set(err, -EPERM, "token: no trusted key with kid \"%.64s\"", kid);
	}
	if (cj_jwk_alg(*ret) == NULL)
		return cc_error_set(err, -EPERM, "token: the verification key names no \"alg\"");
	return 0;
}

static int payload_claims(const char *p, size_t n, json_t **ret, cc_error **err)
{
	json_t *c = NULL;
	int r = cj_json_parse(p, n, CC_JOSE_MAX_TOKEN_BYTES, &c, "jwt claims", err);
	if (r == 0 && !json_is_object(c)) {
		json_decref(c);
		return cc_error_set(err, -EINVAL, "jwt: the claims are not a JSON object");
	}
	if (r == 0)
		*ret = c;
	return r;
}

/* Signature with the header's key, or else with each trusted PEM key. */
static int verify_sig(const cj_verifier *v, const char *token, size_t len, const json_t *hdr,
                      char **pl, size_t *pl_len, int64_t *ret_until, cc_error **err)
{
	const cj_jwk *key = NULL;
	cj_jwk *owned = NULL;
	cc_error *herr = NULL;
	int64_t until = INT64_MAX;
	int r = header_key(v, hdr, &key, &owned, &until, &herr);
	if (r == 0)
		r = cj_jws_verify(key, token, len, NULL, pl, pl_len, &herr);
	cj_jwk_free(owned);
	if (r == 0)
		*ret_until = until;
	if (r == 0 || v->npem == 0) {
		cc_error_move(err, &herr);
		return r;
	}
	cc_error_free(herr);
	*ret_until = INT64_MAX;
	for (size_t i = 0; i < v->npem; i++)
		if (cj_jws_verify(v->pem_keys[i], token, len, NULL, pl, pl_len, NULL) == 0)
			return 0;
	return cc_error_set(err, -EPERM, "token: no trusted key verifies it");
}

int cj_verifier_verify(const cj_verifier *v, const char *token, size_t len, json_t **ret,
                       cc_error **err)
{
	int64_t until;
	return cj_verifier_verify_until(v, token, len, ret, &until, err);
}

int cj_verifier_verify_until(const cj_verifier *v, const char *token, size_t len,
                             json_t **ret, int64_t *ret_until, cc_error **err)
{
	json_t *hdr = NULL, *claims = NULL;
	char *pl = NULL;
	size_t pl_len = 0;
	int64_t until = INT64_MAX;
	int r = cj_jws_peek_header(token, len, &hdr, err);
	if (r == 0)
		r = verify_sig(v, token, len, hdr, &pl, &pl_len, &until, err);
	json_decref(hdr);
	if (r == 0)
		r = payload_claims(pl, pl_len, &claims, err);
	free(pl);
	int64_t now = v->now != 0 ? v->now : (int64_t)time(NULL);
	if (r == 0)
		r = cj_jwt_check_claims(claims, now, v->leeway, 0, err);
	if (r < 0) {
		json_decref(claims);
		return r;
	}
	*ret = claims;
	*ret_until = until;
	return 0;
}
