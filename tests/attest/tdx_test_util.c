/* tdx_test_util.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_test_util.h"

uint8_t *tdx_test_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	p[n] = 0;
	*len = (size_t)n;
	return p;
}

void tdx_test_json_equal(const json_t *want, const json_t *got, const char *path)
{
	if (json_is_object(want) && json_is_object(got)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)want, k, v) {
			char sub[512];
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			json_t *g = json_object_get(got, k);
			if (g == NULL)
				fail_msg("%s: missing", sub);
			tdx_test_json_equal(v, g, sub);
		}
		json_object_foreach((json_t *)got, k, v) {
			if (json_object_get(want, k) == NULL)
				fail_msg("%s.%s: not expected", path, k);
		}
		return;
	}
	if (!json_equal(want, got)) {
		char *a = json_dumps(want, JSON_ENCODE_ANY), *b = json_dumps(got, JSON_ENCODE_ANY);
		fail_msg("%s: want %s, got %s", path, a, b);
	}
}

static EVP_PKEY *p256(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

static void raw_xy(EVP_PKEY *k, uint8_t xy[64])
{
	uint8_t pt[65];
	size_t n;
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt,
	                                                 sizeof(pt), &n),
	                 1);
	assert_int_equal(n, 65);
	memcpy(xy, pt + 1, 64);
}

tdx_test_keys *tdx_test_keys_new(void)
{
	tdx_test_keys *k = calloc(1, sizeof(*k));
	assert_non_null(k);
	k->att = p256();
	k->pck = p256();
	EVP_PKEY *o = p256();
	raw_xy(o, k->other_key_xy);
	EVP_PKEY_free(o);
	X509 *c = X509_new();
	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
	X509_NAME *n = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Test SGX PCK",
	                           -1, -1, 0);
	X509_set_issuer_name(c, n);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	X509_set_pubkey(c, k->pck);
	assert_true(X509_sign(c, k->pck, EVP_sha256()) > 0);
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, c);
	char *p;
	long len = BIO_get_mem_data(b, &p);
	k->pck_pem = strndup(p, (size_t)len);
	BIO_free(b);
	X509_free(c);
	return k;
}

void tdx_test_keys_free(tdx_test_keys *k)
{
	EVP_PKEY_free(k->att);
	EVP_PKEY_free(k->pck);
	free(k->pck_pem);
	free(k);
}

void tdx_test_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	uint8_t der[128];
	size_t der_len = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, der, &der_len, msg, len), 1);
	EVP_MD_CTX_free(md);
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	assert_non_null(s);
	BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32);
	ECDSA_SIG_free(s);
}

static uint8_t *put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 4;
}

uint8_t *tdx_test_quote(const tdx_test_keys *k, unsigned version, unsigned body_type,
                        const uint8_t *pck, size_t pck_len, size_t *ret_len)
{
	if (pck == NULL) {
		pck = (const uint8_t *)k->pck_pem;
		pck_len = strlen(k->pck_pem);
	}
	size_t body = version == 3 ? 384 : (version == 5 && body_type == 3) ? 648 : 584;
	size_t head = 48 + (version == 5 ? 6 : 0);
	size_t qe_part = 384 + 64 + 2 + 32 + 6 + pck_len;
	size_t sig_len = 128 + (version == 3 ? 0 : 6) + qe_part;
	size_t len = head + body + 4 + sig_len;
	uint8_t *q = calloc(1, len), *p = q;
	assert_non_null(q);
	p = put16(p, version);
	p = put16(p, 2);
	p = put32(p, version == 3 ? 0 : 0x81);
	p = put16(p, 1);
	p = put16(p, 2);
	static const uint8_t intel[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
	                                  0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
	memcpy(p, intel, 16);
	p += 16 + 20;
	if (version == 5) {
		p = put16(p, body_type);
		p = put32(p, (uint32_t)body);
	}
	for (size_t i = 0; i < body; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	if (version != 3)
		memset(p + TDX_TD_ATTRIBUTES_OFF, 0, 8);
	p += body;
	p = put32(p, (uint32_t)sig_len);
	uint8_t *sig = p;
	p += 64;
	uint8_t xy[64];
	raw_xy(k->att, xy);
	memcpy(p, xy, 64);
	p += 64;
	if (version != 3) {
		p = put16(p, 6);
		p = put32(p, (uint32_t)qe_part);
	}
	uint8_t *qe = p;
	for (size_t i = 0; i < 384; i++)
		qe[i] = (uint8_t)(i * 3);
	p += 384 + 64;
	p = put16(p, 32);
	uint8_t *auth = p;
	for (size_t i = 0; i < 32; i++)
		auth[i] = (uint8_t)i;
	p += 32;
	p = put16(p, 5);
	p = put32(p, (uint32_t)pck_len);
	memcpy(p, pck, pck_len);
	p += pck_len;
	assert_int_equal((size_t)(p - q), len);
	/* QE binding, QE report signature, quote signature */
	uint8_t buf[96];
	memcpy(buf, xy, 64);
	memcpy(buf + 64, auth, 32);
	SHA256(buf, 96, qe + 320);
	memset(qe + 352, 0, 32);
	tdx_test_sign(k->pck, qe, 384, qe + 384);
	tdx_test_sign(k->att, q, head + body, sig);
	*ret_len = len;
	return q;
}

void tdx_test_resign_qe(const tdx_test_keys *k, uint8_t *q, const dcap_quote *dq)
{
	(void)q;
	tdx_test_sign(k->pck, dq->qe_report, 384, (uint8_t *)dq->qe_report_sig);
}
