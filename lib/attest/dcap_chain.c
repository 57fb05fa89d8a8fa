/* Certificates, CRLs and signatures of the DCAP collateral side, all on
 * OpenSSL 3: PEM chains of an exact length, the pinned root compared byte
 * for byte, X509_verify_cert at the caller's time with only the pinned root
 * trusted and every certificate checked against the CRLs, CRLs checked for
 * their issuer's signature and validity window before use, and Intel's raw
 * r||s ECDSA P-256 signatures. */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "dcap_int.h"

static size_t count_begin(const char *s, size_t len)
{
	static const char tag[] = "-----BEGIN CERTIFICATE-----";
	size_t n = 0;
	for (size_t i = 0; i + sizeof(tag) - 1 <= len; i++)
		if (memcmp(s + i, tag, sizeof(tag) - 1) == 0)
			n++;
	return n;
}

int dcap_chain_load(const char *what, const char *pem, size_t len, size_t want,
                    STACK_OF(X509) **ret, cc_error **err)
{
	while (len > 0 && (pem[len - 1] == '\0' || pem[len - 1] == '\n' || pem[len - 1] == ' '))
		len--;
	if (len > CC_DCAP_MAX_CHAIN_PEM_BYTES)
		return cc_error_set(err, -E2BIG, "%s: oversized PEM chain (%zu bytes)", what, len);
	if (count_begin(pem, len) != want)
		return cc_error_set(err, -EINVAL, "%s: the PEM chain does not hold exactly %zu certificates",
		                    what, want);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	STACK_OF(X509) *sk = sk_X509_new_null();
	for (size_t i = 0; b && sk && i < want; i++) {
		X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		if (!x || !sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	}
	BIO_free(b);
	ERR_clear_error();
	if (!sk || (size_t)sk_X509_num(sk) != want) {
		int parsed = sk ? sk_X509_num(sk) : 0; /* read before the stack is freed */
		sk_X509_pop_free(sk, X509_free);
		return cc_error_set(err, -EINVAL, "%s: certificate %d of the PEM chain does not parse", what,
		                    parsed + 1);
	}
	*ret = sk;
	return 0;
}

static int der_equal(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int na = i2d_X509(a, &da), nb = i2d_X509(b, &db);
	int eq = na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

int dcap_chain_root_is(const char *what, STACK_OF(X509) *chain, X509 *root, cc_error **err)
{
	if (!der_equal(sk_X509_value(chain, sk_X509_num(chain) - 1), root))
		return cc_error_set(err, -EINVAL, "%s: the chain's root is not the Intel SGX Root CA", what);
	return 0;
}

static const char *cn_of(X509 *x, char *buf, size_t size)
{
	if (!x || X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)size) <= 0)
		snprintf(buf, size, "?");
	return buf;
}

static int verify_error(const char *what, X509_STORE_CTX *ctx, cc_error **err)
{
	int e = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
	char cn[80];
	cn_of(X509_STORE_CTX_get_current_cert(ctx), cn, sizeof(cn));
	const char *s = X509_verify_cert_error_string(e);
	if (e == X509_V_ERR_CERT_REVOKED)
		return cc_error_set(err, -EACCES, "certificate revoked: %s: \"%s\" (depth %d) is on its issuer's CRL",
		                    what, cn, depth);
	if (e == X509_V_ERR_CRL_HAS_EXPIRED)
		return cc_error_set(err, -EACCES, "CRL expired: %s: the CRL for \"%s\": %s", what, cn, s);
	if (e == X509_V_ERR_CRL_NOT_YET_VALID)
		return cc_error_set(err, -EACCES, "collateral not yet valid: %s: the CRL for \"%s\": %s", what,
		                    cn, s);
	return cc_error_set(err, -EACCES, "%s: \"%s\" (depth %d): %s", what, cn, depth, s);
}

int dcap_chain_verify(const char *what, STACK_OF(X509) *chain, X509 *root,
                      STACK_OF(X509_CRL) *crls, int64_t at, cc_error **err)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int r = -ENOMEM;
	if (!st || !ctx || !untrusted || !X509_STORE_add_cert(st, root))
		goto out;
	for (int i = 1; i < sk_X509_num(chain) - 1; i++)
		if (!sk_X509_push(untrusted, sk_X509_value(chain, i)))
			goto out;
	if (!X509_STORE_CTX_init(ctx, st, sk_X509_value(chain, 0), untrusted))
		goto out;
	X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
	X509_STORE_CTX_set0_crls(ctx, crls);
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
	                                 X509_V_FLAG_X509_STRICT);
	r = X509_verify_cert(ctx) == 1 ? 0 : verify_error(what, ctx, err);
out:
	ERR_clear_error();
	if (r == -ENOMEM)
		cc_error_set(err, r, "%s: out of memory", what);
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return r;
}

int dcap_crl_load(const char *what, const uint8_t *der, size_t len, X509 *issuer, int64_t at,
                  X509_CRL **ret, cc_error **err)
{
	const unsigned char *p = der;
	X509_CRL *crl = len <= CC_DCAP_MAX_CRL_BYTES ? d2i_X509_CRL(NULL, &p, (long)len) : NULL;
	char cn[80];
	int r = 0;
	ERR_clear_error();
	if (!crl || p != der + len)
		r = cc_error_set(err, -EINVAL, "CRL signature: the %s is not one DER CRL", what);
	else if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 ||
	         X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1)
		r = cc_error_set(err, -EACCES, "CRL signature: the %s is not signed by \"%s\"", what,
		                 cn_of(issuer, cn, sizeof(cn)));
	else if (ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), (time_t)at) > 0)
		r = cc_error_set(err, -EACCES, "collateral not yet valid: the %s's thisUpdate is after %lld",
		                 what, (long long)at);
	else if (!X509_CRL_get0_nextUpdate(crl) ||
	         ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), (time_t)at) <= 0)
		r = cc_error_set(err, -EACCES, "CRL expired: the %s's nextUpdate is not after %lld", what,
		                 (long long)at);
	ERR_clear_error();
	if (r < 0) {
		X509_CRL_free(crl);
		return r;
	}
	*ret = crl;
	return 0;
}

int dcap_sig_verify(X509 *cert, const uint8_t *msg, size_t len, const uint8_t sig[DCAP_SIG_LEN])
{
	EVP_PKEY *key = X509_get0_pubkey(cert);
	if (!key || !EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_bits(key) != 256)
		return -EINVAL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char *der = NULL;
	int n = -1, ok = 0;
	if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
		r = s = NULL;
		n = i2d_ECDSA_SIG(es, &der);
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (n > 0 && md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1)
		ok = EVP_DigestVerify(md, der, (size_t)n, msg, len) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return ok ? 0 : -EACCES;
}
