/* sgx_test_util.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgx_test_util.h"

static char *slurp(const char *dir, const char *name, size_t *ret_len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	size_t len;
	uint8_t *b = tdx_test_read(path, &len);
	if (ret_len != NULL)
		*ret_len = len;
	return (char *)b;
}

static EVP_PKEY *load_key(const char *dir, const char *name)
{
	char *pem = slurp(dir, name, NULL);
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	free(pem);
	if (k == NULL)
		fail_msg("%s/%s: not a PEM private key", dir, name);
	return k;
}

static char *to_hex(const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);
	assert_non_null(h);
	for (size_t i = 0; i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", p[i]);
	h[2 * n] = '\0';
	return h;
}

char *sgx_test_file_hex(const char *dir, const char *name)
{
	size_t n;
	char *b = slurp(dir, name, &n);
	char *h = to_hex((const uint8_t *)b, n);
	free(b);
	return h;
}

sgx_test_pki *sgx_test_pki_load(const char *dir)
{
	sgx_test_pki *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->dir = dir;
	p->keys.att = load_key(dir, "att_key.pem");
	p->keys.pck = load_key(dir, "pck_key.pem");
	p->keys.pck_pem = slurp(dir, "pck_chain.pem", NULL);
	p->tcb = load_key(dir, "tcb_key.pem");
	p->tcb_chain = slurp(dir, "tcb_chain.pem", NULL);
	p->pck_crl_chain = slurp(dir, "pck_crl_issuer_chain.pem", NULL);
	p->root_der = (uint8_t *)slurp(dir, "root.der", &p->root_len);
	p->root_crl_hex = sgx_test_file_hex(dir, "root_crl.der");
	p->pck_crl_hex = sgx_test_file_hex(dir, "pck_crl.der");
	return p;
}

void sgx_test_pki_free(sgx_test_pki *p)
{
	if (p == NULL)
		return;
	EVP_PKEY_free(p->keys.att);
	EVP_PKEY_free(p->keys.pck);
	free(p->keys.pck_pem);
	EVP_PKEY_free(p->tcb);
	free(p->tcb_chain);
	free(p->pck_crl_chain);
	free(p->root_der);
	free(p->root_crl_hex);
	free(p->pck_crl_hex);
	free(p);
}

/* hex (2n digits) into p. */
static void put_hex(uint8_t *p, const char *hex, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		char two[3] = {hex[2 * i], hex[2 * i + 1], 0};
		char *end;
		v = (unsigned)strtoul(two, &end, 16);
		assert_true(*end == '\0');
		p[i] = (uint8_t)v;
	}
}

static void parse(const uint8_t *q, size_t len, dcap_quote *dq)
{
	cc_error *e = NULL;
	if (dcap_quote_parse(q, len, dq, &e) < 0)
		fail_msg("synthetic SGX quote: %s", cc_error_message(e));
}

void sgx_test_resign(const sgx_test_pki *p, uint8_t *q, size_t len)
{
	dcap_quote dq;
	parse(q, len, &dq);
	tdx_test_resign_qe(&p->keys, q, &dq);
	tdx_test_sign(p->keys.att, q, dq.signed_len, (uint8_t *)dq.signature);
}

/* The enclave's report body (Trustee's sgx claims name each field). */
static void fill_body(uint8_t *b, const uint8_t report_data[64], const uint8_t config_id[64])
{
	memset(b, 0, DCAP_SGX_BODY_SIZE);
	put_hex(b, SGX_TEST_CPU_SVN, 16);
	put_hex(b + 32, SGX_TEST_EXT_PROD_ID, 16);
	put_hex(b + 48, SGX_TEST_FLAGS, 8);
	put_hex(b + 56, SGX_TEST_XFRM, 8);
	put_hex(b + 64, SGX_TEST_MR_ENCLAVE, 32);
	put_hex(b + 128, SGX_TEST_MR_SIGNER, 32);
	memcpy(b + SGX_CONFIG_ID_OFF, config_id, 64);
	put_hex(b + 256, SGX_TEST_ISV_PROD_ID, 2);
	put_hex(b + 258, SGX_TEST_ISV_SVN, 2);
	put_hex(b + 260, SGX_TEST_CONFIG_SVN, 2);
	put_hex(b + 304, SGX_TEST_FAMILY_ID, 16);
	memcpy(b + SGX_REPORT_DATA_OFF, report_data, 64);
}

/* The QE's report, keeping its REPORTDATA (the binding). */
static void fill_qe_report(uint8_t *r)
{
	memset(r, 0, SGX_REPORT_DATA_OFF);
	put_hex(r, SGX_TEST_CPU_SVN, 16);
	r[48] = 0x11; /* INIT | PROVISIONKEY */
	r[56] = 0xe7;
	memset(r + 64, 0x9e, 32); /* MRENCLAVE: not checked by the QE identity */
	put_hex(r + 128, SGX_TEST_QE_MRSIGNER, 32);
	r[256] = 1; /* ISVPRODID */
	r[258] = 8; /* ISVSVN */
}

uint8_t *sgx_test_quote(const sgx_test_pki *p, const uint8_t report_data[64],
                        const uint8_t config_id[64], const char *chain, size_t *ret_len)
{
	const char *c = chain != NULL ? chain : p->keys.pck_pem;
	size_t len;
	uint8_t *q = tdx_test_quote(&p->keys, 3, 0, (const uint8_t *)c, strlen(c), &len);
	dcap_quote dq;
	parse(q, len, &dq);
	q[8] = 8;   /* QE SVN */
	q[10] = 11; /* PCE SVN */
	memset(q + 28, 0, 20);
	memset(q + 28, 0x5a, 16); /* user data: QE id, then 4 zero bytes */
	fill_body(q + DCAP_HEADER_SIZE, report_data, config_id);
	fill_qe_report((uint8_t *)dq.qe_report);
	sgx_test_resign(p, q, len);
	*ret_len = len;
	return q;
}

void sgx_test_level(char *buf, size_t cap, const uint8_t comps[16], unsigned pcesvn,
                    const char *status, const char *advisory)
{
	size_t n = strlen(buf);
	n += (size_t)snprintf(buf + n, cap - n, "%s{\"tcb\":{\"sgxtcbcomponents\":[",
	                      buf[n - 1] == '[' ? "" : ",");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s{\"svn\":%u,\"category\":\"BIOS\","
		                      "\"type\":\"Early Microcode Update\"}",
		                      i ? "," : "", comps[i]);
	n += (size_t)snprintf(buf + n, cap - n,
	                      "],\"pcesvn\":%u},\"tcbDate\":\"2024-03-13T00:00:00Z\","
	                      "\"tcbStatus\":\"%s\"",
	                      pcesvn, status);
	if (advisory != NULL)
		n += (size_t)snprintf(buf + n, cap - n, ",\"advisoryIDs\":[\"%s\"]", advisory);
	assert_true(n + 2 < cap);
	snprintf(buf + n, cap - n, "}");
}

char *sgx_test_tcb_info(const char *levels)
{
	size_t cap = strlen(levels) + 512;
	char *s = malloc(cap);
	assert_non_null(s);
	snprintf(s, cap,
	         "{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"2025-09-01T00:00:00Z\","
	         "\"nextUpdate\":\"2025-10-01T00:00:00Z\",\"fmspc\":\"00906ED50000\","
	         "\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17,"
	         "\"tcbLevels\":%s}",
	         levels);
	return s;
}

char *sgx_test_qe_identity(const char *id)
{
	char *s = malloc(2048);
	assert_non_null(s);
	snprintf(s, 2048,
	         "{\"id\":\"%s\",\"version\":2,\"issueDate\":\"2025-09-01T00:00:00Z\","
	         "\"nextUpdate\":\"2025-10-01T00:00:00Z\",\"tcbEvaluationDataNumber\":17,"
	         "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
	         "\"attributes\":\"11000000000000000000000000000000\","
	         "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
	         "\"mrsigner\":\"8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF\","
	         "\"isvprodid\":1,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":8},"
	         "\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
	         "{\"tcb\":{\"isvsvn\":6},\"tcbDate\":\"2023-02-15T00:00:00Z\","
	         "\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00615\"]}]}",
	         id);
	return s;
}

static char *sign_hex(EVP_PKEY *k, const char *text)
{
	uint8_t sig[64];
	tdx_test_sign(k, (const uint8_t *)text, strlen(text), sig);
	return to_hex(sig, 64);
}

char *sgx_test_collateral(const sgx_test_pki *p, const char *tcb_info, const char *qe_identity,
                          const char *pck_crl_hex)
{
	char *ts = sign_hex(p->tcb, tcb_info), *qs = sign_hex(p->tcb, qe_identity);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "tcb_info", tcb_info,
	                      "tcb_info_signature", ts, "qe_identity", qe_identity,
	                      "qe_identity_signature", qs, "root_ca_crl", p->root_crl_hex,
	                      "pck_crl", pck_crl_hex != NULL ? pck_crl_hex : p->pck_crl_hex,
	                      "tcb_info_issuer_chain", p->tcb_chain, "qe_identity_issuer_chain",
	                      p->tcb_chain, "pck_crl_issuer_chain", p->pck_crl_chain);
	assert_non_null(o);
	char *text = json_dumps(o, JSON_COMPACT);
	assert_non_null(text);
	json_decref(o);
	free(ts);
	free(qs);
	return text;
}
