/* Unit tests of the DCAP collateral side (lib/attest/dcap_*.c, dcap.h):
 * the real TDX quote and collateral of data/dcap/ (argv[1]) verify
 * UpToDate at their time and fail outside their window and on byte flips;
 * a test PKI (make_dcap_pki.py, argv[2], run here into a temporary
 * directory) with tcbInfo / enclaveIdentity texts this test signs covers
 * every status of the matching algorithm, revocation, CRL and collateral
 * windows, wrong FMSPC, wrong root and hostile JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dcap_test_util.h"

static const char *data_dir, *gen_script;
static char pki_dir[64];

#define REAL_AT 1757462400 /* 2025-09-10T00:00:00Z */
#define TEST_AT 1757462400

/* `e` is read after the call that fills it (argument order is unspecified). */
static void expect_fail(int rc, cc_error **e, const char *prefix)
{
	if (rc == 0 || strncmp(cc_error_message(*e), prefix, strlen(prefix)) != 0)
		fail_msg("want \"%s...\", got rc %d \"%s\"", prefix, rc, cc_error_message(*e));
	cc_error_free(*e);
	*e = NULL;
}

/* ---- the real vector -------------------------------------------------- */

static void test_real_uptodate(void **state)
{
	(void)state;
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	struct dcap_verify_in in = dcap_real_in(&r, REAL_AT);
	struct dcap_verify_out out;
	cc_error *e = NULL;
	if (dcap_verify(r.c, &in, &out, &e) < 0)
		fail_msg("%s", cc_error_message(e));
	assert_string_equal(out.tcb_status, "UpToDate");
	assert_string_equal(out.qe_tcb_status, "UpToDate");
	assert_int_equal(json_array_size(out.advisory_ids), 0);
	assert_int_equal(out.tcb_date, 1710288000); /* 2024-03-13 */
	assert_memory_equal(out.pck.fmspc, "\x20\xa0\x6f\x00\x00\x00", 6);
	assert_int_equal(out.pck.pcesvn, 13);
	assert_int_equal(out.pck.processor_ca, 0);
	assert_memory_equal(out.pck.cpusvn, "\x04\x04\x02\x02\x05\xff\x00\x02", 8);
	json_decref(out.advisory_ids);
	/* the window's edges are inside it, except the PCK CRL's nextUpdate
	 * second itself, which OpenSSL (X509_cmp_time) counts as expired */
	in.at = 1756798919;
	assert_int_equal(dcap_verify(r.c, &in, &out, NULL), 0);
	json_decref(out.advisory_ids);
	in.at = 1759388630;
	assert_int_equal(dcap_verify(r.c, &in, &out, NULL), 0);
	json_decref(out.advisory_ids);
	dcap_collateral_free(r.c);
}

static int real_verify(struct dcap_real *r, struct dcap_verify_in *in, cc_error **e)
{
	struct dcap_verify_out out;
	int rc = dcap_verify(r->c, in, &out, e);
	if (rc == 0)
		json_decref(out.advisory_ids);
	return rc;
}

static void test_real_window(void **state)
{
	(void)state;
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	static const struct {
		int64_t at;
		const char *want;
	} cases[] = {
		{1756798918, "collateral not yet valid: tcb_info issueDate"},
		{1756796630, "collateral not yet valid: the PCK CRL"}, /* before its thisUpdate */
		{1759388631, "CRL expired: the PCK CRL"},
		{1790000000, "CRL expired"},
		{1500000000, "collateral not yet valid"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dcap_verify_in in = dcap_real_in(&r, cases[i].at);
		cc_error *e = NULL;
		expect_fail(real_verify(&r, &in, &e), &e, cases[i].want);
	}
	dcap_collateral_free(r.c);
}

/* Flips one bit at every `step`-th byte of a buffer; each must fail with `want`. */
static void flip_all(struct dcap_real *r, uint8_t *buf, size_t len, size_t step, const char *want)
{
	for (size_t i = 0; i < len; i += step) {
		buf[i] ^= 0x01;
		struct dcap_verify_in in = dcap_real_in(r, REAL_AT);
		cc_error *e = NULL;
		int rc = real_verify(r, &in, &e);
		buf[i] ^= 0x01;
		if (rc == 0)
			fail_msg("a flip at byte %zu was accepted (want %s)", i, want);
		if (strncmp(cc_error_message(e), want, strlen(want)) != 0)
			fail_msg("flip at %zu: want \"%s\", got \"%s\"", i, want, cc_error_message(e));
		cc_error_free(e);
	}
}

static void test_real_flips(void **state)
{
	(void)state;
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	dcap_collateral *c = r.c;
	flip_all(&r, (uint8_t *)c->tcb_info, c->tcb_info_len, 7, "tcb_info signature");
	flip_all(&r, c->tcb_info_sig, DCAP_SIG_LEN, 1, "tcb_info signature");
	flip_all(&r, (uint8_t *)c->qe_identity, c->qe_identity_len, 3, "qe_identity signature");
	flip_all(&r, c->qe_identity_sig, DCAP_SIG_LEN, 1, "qe_identity signature");
	/* the CRLs' signed TBS (the outer header and the signature are checked too) */
	flip_all(&r, c->root_ca_crl, c->root_ca_crl_len, 5, "CRL signature");
	flip_all(&r, c->pck_crl + 8, 400, 9, "CRL signature");
	dcap_collateral_free(r.c);
}

static void test_real_pck_chain_flips(void **state)
{
	(void)state;
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	/* flip a base64 character of each certificate's signature area */
	char *chain = (char *)r.chain;
	const char *p = chain;
	for (int k = 0; k < 3; k++) {
		const char *end = strstr(p, "-----END CERTIFICATE-----");
		assert_non_null(end);
		char *at = (char *)end - 20;
		char saved = *at;
		*at = *at == 'A' ? 'B' : 'A';
		struct dcap_verify_in in = dcap_real_in(&r, REAL_AT);
		cc_error *e = NULL;
		expect_fail(real_verify(&r, &in, &e), &e, "PCK chain");
		*at = saved;
		p = end + 10;
	}
	dcap_collateral_free(r.c);
}

static void test_real_bindings(void **state)
{
	(void)state;
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	struct dcap_verify_in in = dcap_real_in(&r, REAL_AT);
	struct dcap_verify_out out;
	cc_error *e = NULL;
	/* QE identity */
	r.qe.mrsigner[5] ^= 1;
	expect_fail(real_verify(&r, &in, &e), &e, "QE identity: MRSIGNER");
	r.qe.mrsigner[5] ^= 1;
	r.qe.isvsvn = 3;
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "QE identity: ISVSVN 3 is below every");
	r.qe.isvsvn = 6;
	r.qe.isvprodid = 1;
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "QE identity: ISVPRODID");
	r.qe.isvprodid = 2;
	r.qe.attributes[0] ^= 0x01; /* 0x15 -> 0x14: masked 0x10, not 0x11 */
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "QE identity: ATTRIBUTES");
	r.qe.attributes[0] = 0x11; /* bit 2 is outside the mask FB */
	assert_int_equal(real_verify(&r, &in, NULL), 0);
	r.qe.attributes[0] = 0x15;
	r.qe.miscselect = 1;
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "QE identity: MISCSELECT");
	r.qe.miscselect = 0;
	/* TDX module: major version 2 has no identity; SVN 3 of TDX_01 is OutOfDate */
	r.tee_tcb_svn[1] = 2;
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "TDX module identity: tcb_info has no TDX_02");
	r.tee_tcb_svn[1] = 1;
	r.tee_tcb_svn[0] = 3;
	assert_int_equal(dcap_verify(r.c, &in, &out, NULL), 0);
	assert_string_equal(out.tcb_status, "OutOfDate");
	json_decref(out.advisory_ids);
	r.tee_tcb_svn[0] = 1;
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "no matching TCB level: TDX module TDX_01");
	r.tee_tcb_svn[0] = 6;
	r.mrsignerseam[0] = 1;
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "TDX module identity: MRSIGNERSEAM");
	r.mrsignerseam[0] = 0;
	r.seam_attr[0] = 1;
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "TDX module identity: SEAMATTRIBUTES");
	r.seam_attr[0] = 0;
	/* TDX components: [2] below every level */
	r.tee_tcb_svn[2] = 1;
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "no matching TCB level");
	r.tee_tcb_svn[2] = 4;
	/* major version 0: the first two components count, tdxModule is used */
	r.tee_tcb_svn[1] = 0;
	r.tee_tcb_svn[0] = 4; /* below level 0's 5 and level 1's 5 */
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "no matching TCB level");
	r.tee_tcb_svn[0] = 5;
	assert_int_equal(dcap_verify(r.c, &in, &out, NULL), 0);
	assert_string_equal(out.tcb_status, "UpToDate");
	json_decref(out.advisory_ids);
	r.tee_tcb_svn[0] = 6;
	r.tee_tcb_svn[1] = 1;
	/* an SGX quote with TDX collateral */
	in.is_tdx = 0;
	e = NULL;
	expect_fail(real_verify(&r, &in, &e), &e, "tcb_info binding");
	dcap_collateral_free(r.c);
}

/* QVL's supplemental values for the real vector: Intel's root key id as
 * Trustee's claims test has it, the window's dates, the PCK leaf's PPID,
 * SGX type and configuration flags. */
static void test_real_supplemental(void **state)
{
	(void)state;
	static const uint8_t root_key_id[48] = {
		0x46, 0xe4, 0x03, 0xbd, 0x34, 0xf0, 0x5a, 0x3f, 0x28, 0x17, 0xab, 0x9b, 0xad, 0xca, 0xac, 0xc7,
		0xff, 0xc9, 0x8e, 0x0f, 0x26, 0x10, 0x08, 0xcd, 0x30, 0xda, 0xe9, 0x36, 0xca, 0xce, 0x18, 0xd5,
		0xdc, 0xf5, 0x8e, 0xef, 0x31, 0x46, 0x36, 0x13, 0xde, 0x15, 0x70, 0xd5, 0x16, 0x20, 0x09, 0x93};
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	struct dcap_verify_in in = dcap_real_in(&r, REAL_AT);
	struct dcap_verify_out out;
	cc_error *e = NULL;
	if (dcap_verify(r.c, &in, &out, &e) < 0)
		fail_msg("%s", cc_error_message(e));
	assert_int_equal(out.supp.earliest_issue_date, 1526899510);      /* the root's notBefore */
	assert_int_equal(out.supp.latest_issue_date, 1756798919);        /* tcbInfo issueDate */
	assert_int_equal(out.supp.earliest_expiration_date, 1759388631); /* PCK CRL nextUpdate */
	assert_int_equal(out.supp.tcb_level_date_tag, 1710288000);
	assert_int_equal(out.supp.pck_crl_num, 1);
	assert_int_equal(out.supp.root_ca_crl_num, 1);
	assert_int_equal(out.supp.tcb_eval_num, 17);
	assert_memory_equal(out.supp.root_key_id, root_key_id, 48);
	assert_memory_equal(out.pck.ppid,
	                    "\x35\x4e\x2a\x1c\x79\xc9\x8e\x81\x72\x3e\xab\x4b\x78\xb9\x90\xa7", 16);
	assert_int_equal(out.pck.sgx_type, 1);
	assert_int_equal(out.pck.has_config, 1);
	assert_true(out.pck.dynamic_platform && out.pck.cached_keys && out.pck.smt_enabled);
	json_decref(out.advisory_ids);
	dcap_collateral_free(r.c);
}

static const char *real_status(struct dcap_real *r, const uint8_t *svn2, cc_error **e)
{
	static char st[40];
	struct dcap_verify_in in = dcap_real_in(r, REAL_AT);
	in.tee_tcb_svn2 = svn2;
	struct dcap_verify_out out;
	if (dcap_verify(r->c, &in, &out, e) < 0)
		return NULL;
	snprintf(st, sizeof(st), "%s", out.tcb_status);
	json_decref(out.advisory_ids);
	return st;
}

/* TD 1.5: a TD launched on TDX_01 SVN 3 (OutOfDate) whose module is now at
 * the latest level is advised to relaunch (Intel-signed collateral). */
static void test_real_relaunch(void **state)
{
	(void)state;
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	uint8_t now[16];
	memcpy(now, r.tee_tcb_svn, 16);
	cc_error *e = NULL;
	assert_string_equal(real_status(&r, now, &e), "UpToDate"); /* launched up to date */
	r.tee_tcb_svn[0] = 3;
	assert_string_equal(real_status(&r, NULL, &e), "OutOfDate"); /* TD 1.0: no relaunch */
	assert_string_equal(real_status(&r, now, &e), "TDRelaunchAdvised");
	uint8_t old[16];
	memcpy(old, r.tee_tcb_svn, 16);
	assert_string_equal(real_status(&r, old, &e), "OutOfDate"); /* still on the old module */
	now[1] = 2; /* the current module's major version has no identity */
	expect_fail(real_status(&r, now, &e) ? 0 : -1, &e, "TDX module identity: tcb_info has no TDX_02");
	dcap_collateral_free(r.c);
}

struct cache_run {
	dcap_cache *cache;
	struct dcap_real *r;
	int fails;
};

static void *cache_thread(void *arg)
{
	struct cache_run *c = arg;
	for (int i = 0; i < 40; i++) {
		struct dcap_verify_in in = dcap_real_in(c->r, REAL_AT + i % 5);
		struct dcap_verify_out out;
		if (dcap_verify_cached(c->cache, c->r->c, &in, &out, NULL) < 0 ||
		    strcmp(out.tcb_status, "UpToDate") != 0)
			c->fails++;
		else
			json_decref(out.advisory_ids);
	}
	return NULL;
}

static void expect_same(const struct dcap_verify_out *a, const struct dcap_verify_out *b)
{
	assert_string_equal(a->tcb_status, b->tcb_status);
	assert_string_equal(a->qe_tcb_status, b->qe_tcb_status);
	assert_true(json_equal(a->advisory_ids, b->advisory_ids));
	assert_int_equal(a->tcb_date, b->tcb_date);
	assert_memory_equal(&a->pck, &b->pck, sizeof(a->pck));
	assert_memory_equal(&a->supp, &b->supp, sizeof(a->supp));
}

/* The cache gives dcap_verify's result on a hit, and never lets through
 * what dcap_verify refuses: another time outside the window, collateral
 * bytes changed after they were cached, another chain, another QE. */
static void test_real_cache(void **state)
{
	(void)state;
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	dcap_cache *cache = NULL;
	assert_int_equal(dcap_cache_new(&cache, NULL), 0);
	struct dcap_verify_in in = dcap_real_in(&r, REAL_AT);
	struct dcap_verify_out plain, a, b;
	assert_int_equal(dcap_verify(r.c, &in, &plain, NULL), 0);
	assert_int_equal(dcap_verify_cached(cache, r.c, &in, &a, NULL), 0);
	in.at = REAL_AT + 3600;
	assert_int_equal(dcap_verify_cached(cache, r.c, &in, &b, NULL), 0);
	unsigned long hits, misses;
	dcap_cache_stats(cache, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);
	expect_same(&plain, &a);
	expect_same(&plain, &b);
	json_decref(plain.advisory_ids);
	json_decref(a.advisory_ids);
	json_decref(b.advisory_ids);
	/* the clock past the PCK CRL's nextUpdate, and before the window */
	cc_error *e = NULL;
	in.at = 1759388631;
	expect_fail(dcap_verify_cached(cache, r.c, &in, &a, &e), &e, "CRL expired: the PCK CRL");
	in.at = 1756798918;
	expect_fail(dcap_verify_cached(cache, r.c, &in, &a, &e), &e, "collateral not yet valid");
	in.at = REAL_AT;
	/* the collateral changed after it was cached (a new file's bytes) */
	r.c->tcb_info[40] ^= 1;
	expect_fail(dcap_verify_cached(cache, r.c, &in, &a, &e), &e, "tcb_info signature");
	r.c->tcb_info[40] ^= 1;
	r.c->pck_crl[20] ^= 1;
	expect_fail(dcap_verify_cached(cache, r.c, &in, &a, &e), &e, "CRL signature");
	r.c->pck_crl[20] ^= 1;
	/* another PCK chain: a flipped certificate signature */
	char *chain = (char *)r.chain;
	char *end = strstr(chain, "-----END CERTIFICATE-----") - 20;
	char saved = *end;
	*end = *end == 'A' ? 'B' : 'A';
	expect_fail(dcap_verify_cached(cache, r.c, &in, &a, &e), &e, "PCK chain");
	*end = saved;
	/* the quote-dependent checks still run on a hit */
	r.qe.isvprodid = 1;
	expect_fail(dcap_verify_cached(cache, r.c, &in, &a, &e), &e, "QE identity: ISVPRODID");
	r.qe.isvprodid = 2;
	r.tee_tcb_svn[2] = 1;
	expect_fail(dcap_verify_cached(cache, r.c, &in, &a, &e), &e, "no matching TCB level");
	r.tee_tcb_svn[2] = 4;
	in.is_tdx = 0;
	expect_fail(dcap_verify_cached(cache, r.c, &in, &a, &e), &e, "tcb_info binding");
	in.is_tdx = 1;
	assert_int_equal(dcap_verify_cached(cache, r.c, &in, &a, NULL), 0);
	json_decref(a.advisory_ids);
	dcap_cache_stats(cache, &hits, &misses);
	assert_true(hits >= 4);
	/* several threads on one cache (cocoon-kbs workers share a verifier) */
	pthread_t t[4];
	struct cache_run runs[4];
	for (int i = 0; i < 4; i++) {
		runs[i] = (struct cache_run){cache, &r, 0};
		assert_int_equal(pthread_create(&t[i], NULL, cache_thread, &runs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(runs[i].fails, 0);
	}
	dcap_cache_free(cache);
	dcap_collateral_free(r.c);
}

/* The real collateral, restated as PCS/PCCS bodies (objects, body strings,
 * URL-encoded chains, PEM CRL), gives the same result. */
static char *pcs_shape(const dcap_collateral *c, int as_strings)
{
	json_t *o = json_object();
	char sig[129];
	for (int i = 0; i < 64; i++)
		snprintf(sig + 2 * i, 3, "%02x", c->tcb_info_sig[i]);
	size_t cap = c->tcb_info_len + c->qe_identity_len + 1024;
	char *tb = malloc(cap), *qb = malloc(cap);
	snprintf(tb, cap, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", c->tcb_info, sig);
	for (int i = 0; i < 64; i++)
		snprintf(sig + 2 * i, 3, "%02x", c->qe_identity_sig[i]);
	snprintf(qb, cap, "{\"enclaveIdentity\" : %s , \"signature\":\"%s\"}", c->qe_identity, sig);
	if (as_strings) {
		json_object_set_new(o, "tcb_info", json_string(tb));
		json_object_set_new(o, "qe_identity", json_string(qb));
	} else {
		json_object_set_new(o, "tcb_info", json_string("@T"));
		json_object_set_new(o, "qe_identity", json_string("@Q"));
	}
	char *h = malloc(c->pck_crl_len * 2 + 1);
	for (size_t i = 0; i < c->pck_crl_len; i++)
		snprintf(h + 2 * i, 3, "%02X", c->pck_crl[i]);
	json_object_set_new(o, "pck_crl", json_string(h));
	free(h);
	h = malloc(c->root_ca_crl_len * 2 + 3);
	h[0] = '0';
	h[1] = 'x';
	for (size_t i = 0; i < c->root_ca_crl_len; i++)
		snprintf(h + 2 + 2 * i, 3, "%02x", c->root_ca_crl[i]);
	json_object_set_new(o, "root_ca_crl", json_string(h));
	free(h);
	/* URL-encoded as in PCS's headers */
	const char *chain = c->tcb_info_issuer_chain;
	char *enc = malloc(strlen(chain) * 3 + 1), *w = enc;
	for (const char *p = chain; *p; p++)
		if (*p == '-' || *p == '\n' || *p == ' ' || *p == '+' || *p == '/' || *p == '=')
			w += snprintf(w, 4, "%%%02X", (unsigned char)*p);
		else
			*w++ = *p;
	*w = '\0';
	json_object_set_new(o, "tcb_info_issuer_chain", json_string(enc));
	free(enc);
	json_object_set_new(o, "qe_identity_issuer_chain", json_string(c->qe_identity_issuer_chain));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!as_strings) { /* splice the bodies in as raw JSON objects */
		size_t n = strlen(s) + strlen(tb) + strlen(qb) + 1;
		char *out = malloc(n), *t = strstr(s, "\"@T\""), *q = strstr(s, "\"@Q\"");
		assert_true(t && q && t < q);
		*t = '\0';
		*q = '\0';
		snprintf(out, n, "%s%s%s%s%s", s, tb, t + 4, qb, q + 4);
		free(s);
		s = out;
	}
	free(tb);
	free(qb);
	return s;
}

static void test_real_pcs_shape(void **state)
{
	(void)state;
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	for (int as_strings = 0; as_strings < 2; as_strings++) {
		char *s = pcs_shape(r.c, as_strings);
		dcap_collateral *c = NULL;
		cc_error *e = NULL;
		if (dcap_collateral_parse(s, strlen(s), &c, &e) < 0)
			fail_msg("%s", cc_error_message(e));
		assert_int_equal(c->tcb_info_len, r.c->tcb_info_len);
		assert_memory_equal(c->tcb_info, r.c->tcb_info, c->tcb_info_len);
		assert_memory_equal(c->qe_identity, r.c->qe_identity, c->qe_identity_len);
		assert_string_equal(c->tcb_info_issuer_chain, r.c->tcb_info_issuer_chain);
		assert_null(c->pck_crl_issuer_chain);
		struct dcap_verify_in in = dcap_real_in(&r, REAL_AT);
		struct dcap_verify_out out;
		if (dcap_verify(c, &in, &out, &e) < 0)
			fail_msg("%s", cc_error_message(e));
		assert_string_equal(out.tcb_status, "UpToDate");
		json_decref(out.advisory_ids);
		dcap_collateral_free(c);
		free(s);
	}
	dcap_collateral_free(r.c);
}

static void test_parse_hostile(void **state)
{
	(void)state;
	size_t len = 0;
	char *json = dcap_test_slurp(data_dir, "quote_collateral.json", &len);
	dcap_collateral *c = NULL;
	cc_error *e = NULL;
	/* every truncation fails, none crashes */
	for (size_t n = 0; n < len; n += 97) {
		e = NULL;
		assert_true(dcap_collateral_parse(json, n, &c, &e) < 0);
		assert_true(strncmp(cc_error_message(e), "collateral: ", 12) == 0);
		cc_error_free(e);
	}
	char *big = malloc(CC_DCAP_MAX_COLLATERAL_BYTES + 2);
	memset(big, ' ', CC_DCAP_MAX_COLLATERAL_BYTES + 1);
	e = NULL;
	expect_fail(dcap_collateral_parse(big, CC_DCAP_MAX_COLLATERAL_BYTES + 1, &c, &e), &e,
	            "oversized collateral");
	free(big);
	static const char *bad[] = {
		"[]",
		"{\"tcb_info\":1}",
		"{\"tcb_info\":\"{}\",\"tcb_info\":\"{}\"}", /* duplicate */
		"{\"tcb_info\":\"{}\",\"tcb_info_signature\":\"00\"}",
		"{\"tcb_info\":{\"tcbInfo\":{},\"signature\":\"zz\"}}",
		"{\"tcb_info\":{\"tcbInfo\":[],\"signature\":\"00\"}}",
		"{\"tcb_info\":\"{\\\"tcbInfo\\\":{}}\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = NULL;
		expect_fail(dcap_collateral_parse(bad[i], strlen(bad[i]), &c, &e), &e, "collateral: ");
	}
	free(json);
}

static void test_root_crl_url(void **state)
{
	(void)state;
	char url[256];
	assert_int_equal(dcap_root_crl_url("https://api.trustedservices.intel.com", url, sizeof(url)), 0);
	assert_string_equal(url, "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der");
	assert_int_equal(dcap_root_crl_url("http://127.0.0.1:8081", url, sizeof(url)), 0);
	assert_string_equal(url, "http://127.0.0.1:8081/sgx/certification/v4/rootcacrl");
	assert_true(dcap_root_crl_url("http://127.0.0.1:8081", url, 20) < 0);
}

static void test_member_span(void **state)
{
	(void)state;
	static const char s[] =
		" { \"a\" : [1, {\"x\": \"}\"}], \"b\\\"\": \"q\\\\\" ,\"tcbInfo\":{\"k\":\"v}\"} } ";
	size_t off, len;
	assert_int_equal(dcap_json_member_span(s, sizeof(s) - 1, "tcbInfo", &off, &len), 0);
	assert_int_equal(len, strlen("{\"k\":\"v}\"}"));
	assert_memory_equal(s + off, "{\"k\":\"v}\"}", len);
	assert_int_equal(dcap_json_member_span(s, sizeof(s) - 1, "a", &off, &len), 0);
	assert_memory_equal(s + off, "[1, {\"x\": \"}\"}]", len);
	assert_int_equal(dcap_json_member_span(s, sizeof(s) - 1, "zz", &off, &len), -ENOENT);
	assert_int_equal(dcap_json_member_span("{\"a\":", 5, "a", &off, &len), -EINVAL);
}

/* ---- the test PKI ----------------------------------------------------- */

static EVP_PKEY *tcb_key(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/tcb_key.pem", pki_dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static void sign_hex(const char *text, char out[129])
{
	EVP_PKEY *k = tcb_key();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[128];
	size_t n = sizeof(der);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, der, &n, (const unsigned char *)text, strlen(text)), 1);
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)n);
	uint8_t raw[64];
	BN_bn2binpad(ECDSA_SIG_get0_r(s), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(s), raw + 32, 32);
	for (int i = 0; i < 64; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
}

static char *file_hex(const char *name)
{
	size_t n = 0;
	char *b = dcap_test_slurp(pki_dir, name, &n);
	char *h = malloc(2 * n + 1);
	for (size_t i = 0; i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", (unsigned char)b[i]);
	free(b);
	return h;
}

struct syn {
	const char *tcb_info, *qe_identity;
	const char *root_crl, *pck_crl; /* file names */
	const char *pck_chain;
	int test_root; /* 1: root.der (0: the built-in Intel root) */
};

static char *root_der;
static size_t root_len;

static dcap_collateral *syn_collateral(const struct syn *s)
{
	char ts[129], qs[129];
	sign_hex(s->tcb_info, ts);
	sign_hex(s->qe_identity, qs);
	json_t *o = json_object();
	json_object_set_new(o, "tcb_info", json_string(s->tcb_info));
	json_object_set_new(o, "tcb_info_signature", json_string(ts));
	json_object_set_new(o, "qe_identity", json_string(s->qe_identity));
	json_object_set_new(o, "qe_identity_signature", json_string(qs));
	char *h = file_hex(s->root_crl ? s->root_crl : "root_crl.der");
	json_object_set_new(o, "root_ca_crl", json_string(h));
	free(h);
	h = file_hex(s->pck_crl ? s->pck_crl : "pck_crl.der");
	json_object_set_new(o, "pck_crl", json_string(h));
	free(h);
	char *chain = dcap_test_slurp(pki_dir, "tcb_chain.pem", NULL);
	json_object_set_new(o, "tcb_info_issuer_chain", json_string(chain));
	json_object_set_new(o, "qe_identity_issuer_chain", json_string(chain));
	free(chain);
	chain = dcap_test_slurp(pki_dir, "pck_crl_issuer_chain.pem", NULL);
	json_object_set_new(o, "pck_crl_issuer_chain", json_string(chain));
	free(chain);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	dcap_collateral *c = NULL;
	cc_error *e = NULL;
	if (dcap_collateral_parse(text, strlen(text), &c, &e) < 0)
		fail_msg("%s", cc_error_message(e));
	free(text);
	if (s->test_root) {
		c->test_root_der = (const uint8_t *)root_der;
		c->test_root_len = root_len;
	}
	return c;
}

/* An SGX quote's QE report matching syn_qe(). */
static struct dcap_qe_report syn_report(void)
{
	struct dcap_qe_report q = {0};
	memset(q.mrsigner, 0xab, 32);
	q.isvprodid = 1;
	q.isvsvn = 8;
	q.attributes[0] = 0x15;
	return q;
}

static const char syn_qe_fmt[] =
	"{\"id\":\"%s\",\"version\":2,\"issueDate\":\"2025-09-01T00:00:00Z\","
	"\"nextUpdate\":\"2025-10-01T00:00:00Z\",\"tcbEvaluationDataNumber\":17,"
	"\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
	"\"attributes\":\"11000000000000000000000000000000\","
	"\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
	"\"mrsigner\":\"ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB\","
	"\"isvprodid\":1,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":8},\"tcbDate\":\"2024-03-13T00:00:00Z\","
	"\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":6},\"tcbDate\":\"2023-02-15T00:00:00Z\","
	"\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00999\"]}]}";

static char *syn_qe(const char *id)
{
	char *s = malloc(2048);
	snprintf(s, 2048, syn_qe_fmt, id);
	return s;
}

static void add(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);
	snprintf(buf + n, cap - n, "%s", s);
}

/* An SGX v3 level: 16 components all `svn`, then pcesvn, status. */
static void level(char *buf, size_t cap, int svn, int pcesvn, const char *status, const char *adv)
{
	size_t n = strlen(buf);
	n += (size_t)snprintf(buf + n, cap - n, "%s{\"tcb\":{\"sgxtcbcomponents\":[", n && buf[n - 1] != '[' ? "," : "");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s{\"svn\":%d}", i ? "," : "", i < 6 ? svn : 0);
	snprintf(buf + n, cap - n, "],\"pcesvn\":%d},\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"%s%s%s}",
	         pcesvn, status, adv ? ",\"advisoryIDs\":[\"" : "", adv ? adv : "", adv ? "\"]" : "");
}

/* An SGX tcbInfo v3 for FMSPC 00906ED50000 with `levels` ("[...]"). */
static char *syn_tcb(const char *issue, const char *next, const char *levels)
{
	char *s = malloc(16384);
	snprintf(s, 16384,
	         "{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
	         "\"fmspc\":\"00906ED50000\",\"pceId\":\"0000\",\"tcbType\":0,"
	         "\"tcbEvaluationDataNumber\":17,\"tcbLevels\":%s}",
	         issue, next, levels);
	return s;
}

static int syn_verify(const struct syn *s, struct dcap_qe_report *qe, struct dcap_verify_out *out,
                      cc_error **e)
{
	dcap_collateral *c = syn_collateral(s);
	char *chain = dcap_test_slurp(pki_dir, s->pck_chain ? s->pck_chain : "pck_chain.pem", NULL);
	struct dcap_qe_report q = syn_report();
	struct dcap_verify_in in = {.at = TEST_AT, .pck_chain_pem = chain,
	                            .pck_chain_len = strlen(chain), .qe = qe ? qe : &q};
	struct dcap_verify_out tmp;
	int rc = dcap_verify(c, &in, out ? out : &tmp, e);
	if (rc == 0 && !out)
		json_decref(tmp.advisory_ids);
	free(chain);
	dcap_collateral_free(c);
	return rc;
}

/* The leaf has components 5,5,2,2,3,1,0,3 and PCESVN 11. */
static void test_syn_statuses(void **state)
{
	(void)state;
	static const char *statuses[] = {"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
	                                 "ConfigurationAndSWHardeningNeeded", "OutOfDate",
	                                 "OutOfDateConfigurationNeeded"};
	char *qe = syn_qe("QE");
	for (size_t i = 0; i < 6; i++) {
		/* a level above the platform (component 6 too high), then a
		 * level above on PCESVN, then the matching one, then a lower one */
		char lv[8192] = "[";
		level(lv, sizeof(lv), 6, 11, "UpToDate", NULL);
		level(lv, sizeof(lv), 0, 12, "UpToDate", NULL);
		level(lv, sizeof(lv), 0, 11, statuses[i], "INTEL-SA-00001");
		level(lv, sizeof(lv), 0, 0, "OutOfDate", NULL);
		add(lv, sizeof(lv), "]");
		char *t = syn_tcb("2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z", lv);
		struct syn s = {.tcb_info = t, .qe_identity = qe, .test_root = 1};
		struct dcap_verify_out out;
		cc_error *e = NULL;
		if (syn_verify(&s, NULL, &out, &e) < 0)
			fail_msg("%s: %s", statuses[i], cc_error_message(e));
		assert_string_equal(out.tcb_status, statuses[i]);
		assert_string_equal(out.qe_tcb_status, "UpToDate");
		assert_int_equal(json_array_size(out.advisory_ids), 1);
		assert_string_equal(json_string_value(json_array_get(out.advisory_ids, 0)), "INTEL-SA-00001");
		assert_int_equal(out.tcb_date, 1704067200);
		assert_memory_equal(out.pck.fmspc, "\x00\x90\x6e\xd5\x00\x00", 6);
		assert_int_equal(out.pck.pcesvn, 11);
		json_decref(out.advisory_ids);
		free(t);
	}
	/* Revoked, and no level at all */
	char lv[4096] = "[";
	level(lv, sizeof(lv), 6, 11, "UpToDate", NULL);
	level(lv, sizeof(lv), 1, 11, "Revoked", NULL);
	level(lv, sizeof(lv), 0, 0, "OutOfDate", NULL);
	add(lv, sizeof(lv), "]");
	char *t = syn_tcb("2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z", lv);
	struct syn s = {.tcb_info = t, .qe_identity = qe, .test_root = 1};
	cc_error *e = NULL;
	expect_fail(syn_verify(&s, NULL, NULL, &e), &e, "TCB revoked");
	free(t);
	lv[0] = '\0';
	add(lv, sizeof(lv), "[");
	level(lv, sizeof(lv), 6, 11, "UpToDate", NULL);
	level(lv, sizeof(lv), 0, 12, "UpToDate", NULL);
	add(lv, sizeof(lv), "]");
	t = syn_tcb("2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z", lv);
	s.tcb_info = t;
	e = NULL;
	expect_fail(syn_verify(&s, NULL, NULL, &e), &e, "no matching TCB level");
	free(t);
	free(qe);
}

/* The QE at an OutOfDate level turns UpToDate/SWHardeningNeeded into
 * OutOfDate and Configuration* into OutOfDateConfigurationNeeded; its
 * advisory IDs join the platform's. */
static void test_syn_qe_converge(void **state)
{
	(void)state;
	static const char *in[] = {"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
	                           "ConfigurationAndSWHardeningNeeded", "OutOfDate"};
	static const char *want[] = {"OutOfDate", "OutOfDate", "OutOfDateConfigurationNeeded",
	                             "OutOfDateConfigurationNeeded", "OutOfDate"};
	char *qe = syn_qe("QE");
	struct dcap_qe_report q = syn_report();
	q.isvsvn = 7;
	for (size_t i = 0; i < 5; i++) {
		char lv[4096] = "[";
		level(lv, sizeof(lv), 1, 1, in[i], "INTEL-SA-00999");
		add(lv, sizeof(lv), "]");
		char *t = syn_tcb("2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z", lv);
		struct syn s = {.tcb_info = t, .qe_identity = qe, .test_root = 1};
		struct dcap_verify_out out;
		cc_error *e = NULL;
		if (syn_verify(&s, &q, &out, &e) < 0)
			fail_msg("%s", cc_error_message(e));
		assert_string_equal(out.tcb_status, want[i]);
		assert_string_equal(out.qe_tcb_status, "OutOfDate");
		assert_int_equal(json_array_size(out.advisory_ids), 1); /* deduplicated */
		json_decref(out.advisory_ids);
		free(t);
	}
	q.isvsvn = 5;
	char lv[4096] = "[";
	level(lv, sizeof(lv), 1, 1, "UpToDate", NULL);
	add(lv, sizeof(lv), "]");
	char *t = syn_tcb("2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z", lv);
	struct syn s = {.tcb_info = t, .qe_identity = qe, .test_root = 1};
	cc_error *e = NULL;
	expect_fail(syn_verify(&s, &q, NULL, &e), &e, "QE identity: ISVSVN 5 is below every");
	free(qe);
	qe = syn_qe("TD_QE");
	s.qe_identity = qe;
	e = NULL;
	expect_fail(syn_verify(&s, NULL, NULL, &e), &e, "QE identity: id \"TD_QE\"");
	free(t);
	free(qe);
}

/* A TDX v3 tcbInfo for the test leaf (FMSPC 00906ED50000): `levels` as
 * tdx_level() writes them, TDX_01 (ISVSVN 4 UpToDate, 2 OutOfDate) and
 * TDX_03 (ISVSVN 3 UpToDate), all-zero MRSIGNER and attributes. */
static char *syn_tdx_tcb(const char *levels)
{
	char signer[97], *s = malloc(16384);
	memset(signer, '0', 96);
	signer[96] = '\0';
	snprintf(s, 16384,
	         "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"2025-09-01T00:00:00Z\","
	         "\"nextUpdate\":\"2025-10-01T00:00:00Z\",\"fmspc\":\"00906ED50000\",\"pceId\":\"0000\","
	         "\"tcbType\":0,\"tcbEvaluationDataNumber\":17,"
	         "\"tdxModule\":{\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
	         "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},\"tdxModuleIdentities\":["
	         "{\"id\":\"TDX_01\",\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
	         "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":["
	         "{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
	         "{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2023-08-09T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
	         "\"advisoryIDs\":[\"INTEL-SA-00960\"]}]},"
	         "{\"id\":\"TDX_03\",\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
	         "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":["
	         "{\"tcb\":{\"isvsvn\":3},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]}],"
	         "\"tcbLevels\":%s}",
	         signer, signer, signer, levels);
	return s;
}

/* A TDX level: SGX components 0, pcesvn, TDX components t0,t1,t2,0..., status. */
static void tdx_level(char *buf, size_t cap, int pcesvn, int t0, int t2, const char *status)
{
	size_t n = strlen(buf);
	n += (size_t)snprintf(buf + n, cap - n, "%s{\"tcb\":{\"sgxtcbcomponents\":[", buf[n - 1] != '[' ? "," : "");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s{\"svn\":0}", i ? "," : "");
	n += (size_t)snprintf(buf + n, cap - n, "],\"pcesvn\":%d,\"tdxtcbcomponents\":[", pcesvn);
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s{\"svn\":%d}", i ? "," : "",
		                      i == 0 ? t0 : i == 2 ? t2 : 0);
	snprintf(buf + n, cap - n, "]},\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"}", status);
}

/* TEE_TCB_SVN and TEE_TCB_SVN2 (NULL: TD 1.0) against `tcb`; the status or
 * the failure message. */
static const char *syn_tdx_status(const char *tcb, const uint8_t svn[3], const uint8_t *svn2,
                                  uint16_t qe_svn, struct dcap_verify_out *ret)
{
	static char msg[256];
	char *qe = syn_qe("TD_QE");
	struct syn s = {.tcb_info = tcb, .qe_identity = qe, .test_root = 1};
	dcap_collateral *c = syn_collateral(&s);
	char *chain = dcap_test_slurp(pki_dir, "pck_chain.pem", NULL);
	struct dcap_qe_report q = syn_report();
	q.isvsvn = qe_svn;
	uint8_t tee[16] = {0}, tee2[16] = {0}, zero[48] = {0};
	memcpy(tee, svn, 3);
	if (svn2)
		memcpy(tee2, svn2, 3);
	struct dcap_verify_in in = {.at = TEST_AT, .pck_chain_pem = chain, .pck_chain_len = strlen(chain),
	                            .qe = &q, .is_tdx = 1, .tee_tcb_svn = tee, .mr_signer_seam = zero,
	                            .seam_attributes = zero, .tee_tcb_svn2 = svn2 ? tee2 : NULL};
	struct dcap_verify_out out;
	cc_error *e = NULL;
	if (dcap_verify(c, &in, &out, &e) < 0) {
		snprintf(msg, sizeof(msg), "%s", cc_error_message(e));
		cc_error_free(e);
	} else {
		snprintf(msg, sizeof(msg), "%s", out.tcb_status);
		if (ret)
			*ret = out;
		else
			json_decref(out.advisory_ids);
	}
	free(chain);
	dcap_collateral_free(c);
	free(qe);
	return msg;
}

/* QVL's TD relaunch check (TDRelaunchCheck.cpp) on test-signed TDX
 * collateral: each branch of its table. */
static void test_syn_tdx_relaunch(void **state)
{
	(void)state;
	static const struct {
		const char *platform; /* the first level's status */
		uint8_t svn[3], svn2[3];
		int td15;
		uint16_t qe_svn;
		const char *want;
	} cases[] = {
		{"UpToDate", {3, 1, 3}, {0}, 0, 8, "OutOfDate"},           /* TD 1.0: module OutOfDate */
		{"UpToDate", {3, 1, 3}, {6, 1, 3}, 1, 8, "TDRelaunchAdvised"},
		{"UpToDate", {3, 1, 3}, {3, 3, 3}, 1, 8, "TDRelaunchAdvised"}, /* TDX_03's latest */
		{"UpToDate", {3, 1, 3}, {4, 1, 2}, 1, 8, "TDRelaunchAdvised"}, /* the edges */
		{"SWHardeningNeeded", {3, 1, 3}, {6, 1, 3}, 1, 8, "TDRelaunchAdvised"},
		{"ConfigurationNeeded", {3, 1, 3}, {6, 1, 3}, 1, 8, "TDRelaunchAdvisedConfigurationNeeded"},
		{"ConfigurationAndSWHardeningNeeded", {3, 1, 3}, {6, 1, 3}, 1, 8,
		 "TDRelaunchAdvisedConfigurationNeeded"},
		{"UpToDate", {6, 1, 3}, {3, 1, 3}, 1, 8, "UpToDate"},      /* launched current */
		{"UpToDate", {3, 1, 3}, {3, 1, 3}, 1, 8, "OutOfDate"},     /* still old: 3 < 4 */
		{"UpToDate", {3, 1, 3}, {6, 1, 1}, 1, 8, "OutOfDate"},     /* component 2 below */
		{"UpToDate", {3, 1, 3}, {5, 0, 2}, 1, 8, "TDRelaunchAdvised"}, /* major 0: level 0's 5,_,2 */
		{"UpToDate", {3, 1, 3}, {4, 0, 2}, 1, 8, "OutOfDate"},
		{"OutOfDate", {3, 1, 3}, {6, 1, 3}, 1, 8, "OutOfDate"},    /* the SGX level is not current */
		{"UpToDate", {3, 1, 3}, {6, 1, 3}, 1, 7, "OutOfDate"},     /* an OutOfDate QE */
		{"UpToDate", {3, 1, 3}, {6, 2, 3}, 1, 8, "TDX module identity: tcb_info has no TDX_02"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char lv[8192] = "[";
		tdx_level(lv, sizeof(lv), 11, 5, 2, cases[i].platform);
		tdx_level(lv, sizeof(lv), 5, 5, 2, "OutOfDate");
		add(lv, sizeof(lv), "]");
		char *t = syn_tdx_tcb(lv);
		const char *got = syn_tdx_status(t, cases[i].svn, cases[i].td15 ? cases[i].svn2 : NULL,
		                                 cases[i].qe_svn, NULL);
		if (strncmp(got, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, cases[i].want, got);
		free(t);
	}
	/* the supplemental tcb date is the earliest of the platform, module and
	 * QE levels' (2023-08-09: TDX_01's OutOfDate level), advisory IDs the
	 * module level's */
	char lv[8192] = "[";
	tdx_level(lv, sizeof(lv), 11, 5, 2, "UpToDate");
	add(lv, sizeof(lv), "]");
	char *t = syn_tdx_tcb(lv);
	struct dcap_verify_out out;
	static const uint8_t svn[3] = {3, 1, 3};
	assert_string_equal(syn_tdx_status(t, svn, NULL, 8, &out), "OutOfDate");
	assert_int_equal(out.supp.tcb_level_date_tag, 1691539200);
	assert_int_equal(out.tcb_date, 1704067200);
	assert_int_equal(json_array_size(out.advisory_ids), 1);
	assert_string_equal(json_string_value(json_array_get(out.advisory_ids, 0)), "INTEL-SA-00960");
	assert_int_equal(out.supp.tcb_eval_num, 17);
	assert_int_equal(out.pck.sgx_type, 0);
	assert_int_equal(out.pck.has_config, 0);
	json_decref(out.advisory_ids);
	free(t);
	/* a level may not carry a computed status */
	lv[0] = '\0';
	add(lv, sizeof(lv), "[");
	tdx_level(lv, sizeof(lv), 11, 5, 2, "TDRelaunchAdvised");
	add(lv, sizeof(lv), "]");
	t = syn_tdx_tcb(lv);
	static const uint8_t cur[3] = {6, 1, 3};
	const char *got = syn_tdx_status(t, cur, NULL, 8, NULL);
	if (strncmp(got, "tcb_info: tcbLevels[0].tcbStatus", 32) != 0)
		fail_msg("got \"%s\"", got);
	free(t);
}

static void test_syn_pki_failures(void **state)
{
	(void)state;
	char *qe = syn_qe("QE");
	char lv[4096] = "[";
	level(lv, sizeof(lv), 1, 1, "UpToDate", NULL);
	add(lv, sizeof(lv), "]");
	char *t = syn_tcb("2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z", lv);
	static const struct {
		const char *root_crl, *pck_crl, *chain;
		int test_root;
		const char *want;
	} cases[] = {
		{NULL, NULL, NULL, 1, NULL},
		{NULL, "pck_crl_revoked_leaf.der", NULL, 1, "certificate revoked: PCK chain"},
		{"root_crl_revoked_ca.der", NULL, NULL, 1, "certificate revoked: PCK chain"},
		{"root_crl_expired.der", NULL, NULL, 1, "CRL expired: the root CA CRL"},
		{NULL, "pck_crl_expired.der", NULL, 1, "CRL expired: the PCK CRL"},
		{NULL, NULL, "pck_chain_other_root.pem", 1, "PCK chain: the chain's root is not"},
		{NULL, NULL, NULL, 0, "PCK chain: the chain's root is not"}, /* built-in Intel root */
		{NULL, NULL, "pck_chain_fmspc.pem", 1, "tcb_info binding: tcb_info FMSPC 00906ed50000"},
		/* X509_V_FLAG_X509_STRICT: a leaf without key identifiers */
		{NULL, NULL, "pck_chain_no_key_ids.pem", 1, "PCK chain: \"Intel SGX PCK Certificate\""},
		{"pck_crl.der", NULL, NULL, 1, "CRL signature: the root CA CRL"},
		{NULL, "root_crl.der", NULL, 1, "CRL signature: the PCK CRL"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct syn s = {.tcb_info = t, .qe_identity = qe, .root_crl = cases[i].root_crl,
		                .pck_crl = cases[i].pck_crl, .pck_chain = cases[i].chain,
		                .test_root = cases[i].test_root};
		cc_error *e = NULL;
		int rc = syn_verify(&s, NULL, NULL, &e);
		if (!cases[i].want) {
			if (rc < 0)
				fail_msg("case %zu: %s", i, cc_error_message(e));
			continue;
		}
		expect_fail(rc, &e, cases[i].want);
	}
	free(t);
	/* collateral windows */
	static const struct {
		const char *issue, *next, *want;
	} win[] = {
		{"2025-09-11T00:00:00Z", "2025-10-01T00:00:00Z", "collateral not yet valid: tcb_info"},
		{"2025-08-01T00:00:00Z", "2025-09-09T23:59:59Z", "collateral expired: tcb_info"},
	};
	for (size_t i = 0; i < 2; i++) {
		t = syn_tcb(win[i].issue, win[i].next, lv);
		struct syn s = {.tcb_info = t, .qe_identity = qe, .test_root = 1};
		cc_error *e = NULL;
		expect_fail(syn_verify(&s, NULL, NULL, &e), &e, win[i].want);
		free(t);
	}
	free(qe);
}

/* A signed body that is not what the checks read is refused after its
 * signature verified, naming the field. */
static void test_syn_bodies(void **state)
{
	(void)state;
	char *qe = syn_qe("QE");
	static const char *bad[] = {
		"{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"2025-09-01T00:00:00Z\",\"nextUpdate\":\"2025-10-01T00:00:00Z\",\"fmspc\":\"00906ED50000\",\"pceId\":\"0000\",\"tcbLevels\":[]}",
		"{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"2025-09-01 00:00:00\",\"nextUpdate\":\"2025-10-01T00:00:00Z\",\"fmspc\":\"00906ED50000\",\"pceId\":\"0000\",\"tcbLevels\":[]}",
		"{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"2025-09-01T00:00:00Z\",\"nextUpdate\":\"2025-10-01T00:00:00Z\",\"fmspc\":\"00906ED500\",\"pceId\":\"0000\",\"tcbLevels\":[]}",
		"{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"2025-09-01T00:00:00Z\",\"nextUpdate\":\"2025-10-01T00:00:00Z\",\"fmspc\":\"00906ED50000\",\"pceId\":\"0000\",\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":[],\"pcesvn\":1},\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]}",
		"{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"2025-09-01T00:00:00Z\",\"nextUpdate\":\"2025-10-01T00:00:00Z\",\"fmspc\":\"00906ED50000\",\"pceId\":\"0000\",\"tcbType\":1,\"tcbLevels\":[]}",
		"{\"id\":\"XYZ\",\"version\":3}",
		"[1]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct syn s = {.tcb_info = bad[i], .qe_identity = qe, .test_root = 1};
		cc_error *e = NULL;
		expect_fail(syn_verify(&s, NULL, NULL, &e), &e, "tcb_info: ");
	}
	/* an unknown status */
	char lv[4096] = "[";
	level(lv, sizeof(lv), 1, 1, "Fine", NULL);
	add(lv, sizeof(lv), "]");
	char *t = syn_tcb("2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z", lv);
	struct syn s = {.tcb_info = t, .qe_identity = qe, .test_root = 1};
	cc_error *e = NULL;
	expect_fail(syn_verify(&s, NULL, NULL, &e), &e, "tcb_info: tcbLevels[0].tcbStatus");
	free(t);
	/* SGX v2 levels (sgxtcbcompNNsvn) */
	t = strdup("{\"version\":2,\"issueDate\":\"2025-09-01T00:00:00Z\",\"nextUpdate\":\"2025-10-01T00:00:00Z\","
	           "\"fmspc\":\"00906ed50000\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":5,"
	           "\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomp01svn\":5,\"sgxtcbcomp02svn\":5,\"sgxtcbcomp03svn\":2,"
	           "\"sgxtcbcomp04svn\":2,\"sgxtcbcomp05svn\":3,\"sgxtcbcomp06svn\":1,\"sgxtcbcomp07svn\":0,"
	           "\"sgxtcbcomp08svn\":3,\"sgxtcbcomp09svn\":0,\"sgxtcbcomp10svn\":0,\"sgxtcbcomp11svn\":0,"
	           "\"sgxtcbcomp12svn\":0,\"sgxtcbcomp13svn\":0,\"sgxtcbcomp14svn\":0,\"sgxtcbcomp15svn\":0,"
	           "\"sgxtcbcomp16svn\":0,\"pcesvn\":11},\"tcbDate\":\"2024-01-01T00:00:00Z\","
	           "\"tcbStatus\":\"SWHardeningNeeded\"}]}");
	s.tcb_info = t;
	struct dcap_verify_out out;
	e = NULL;
	if (syn_verify(&s, NULL, &out, &e) < 0)
		fail_msg("%s", cc_error_message(e));
	assert_string_equal(out.tcb_status, "SWHardeningNeeded");
	json_decref(out.advisory_ids);
	free(t);
	free(qe);
}

static void test_pck_ext(void **state)
{
	(void)state;
	size_t n = 0;
	char *der = dcap_test_slurp(pki_dir, "pck_ext.der", &n);
	struct dcap_pck_ext x = {0};
	cc_error *e = NULL;
	if (dcap_pck_ext_parse((const uint8_t *)der, n, &x, &e) < 0)
		fail_msg("%s", cc_error_message(e));
	assert_memory_equal(x.cpusvn, "\x05\x05\x02\x02\x03\x01\x00\x03\x00", 9);
	assert_int_equal(x.pcesvn, 11);
	assert_memory_equal(x.fmspc, "\x00\x90\x6e\xd5\x00\x00", 6);
	for (size_t k = 0; k < n; k++) {
		e = NULL;
		assert_true(dcap_pck_ext_parse((const uint8_t *)der, k, &x, &e) < 0);
		cc_error_free(e);
	}
	e = NULL;
	expect_fail(dcap_pck_ext_parse((const uint8_t *)der, CC_DCAP_MAX_PCK_EXT_BYTES + 1, &x, &e), &e,
	            "oversized PCK extension");
	free(der);
}

/* Runs argv to its end; 0 if it exited 0. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	snprintf(pki_dir, sizeof(pki_dir), "/tmp/cocoon-dcap-test.XXXXXX");
	if (!mkdtemp(pki_dir))
		return -1;
	char *gen[] = {"python3", (char *)gen_script, pki_dir, NULL};
	if (run(gen) < 0)
		return -1;
	root_der = dcap_test_slurp(pki_dir, "root.der", &root_len);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(root_der);
	char *rm[] = {"rm", "-rf", "--", pki_dir, NULL};
	return run(rm);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DATA_DIR make_dcap_pki.py\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	gen_script = argv[2];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_uptodate),
		cmocka_unit_test(test_real_window),
		cmocka_unit_test(test_real_flips),
		cmocka_unit_test(test_real_pck_chain_flips),
		cmocka_unit_test(test_real_bindings),
		cmocka_unit_test(test_real_supplemental),
		cmocka_unit_test(test_real_relaunch),
		cmocka_unit_test(test_real_cache),
		cmocka_unit_test(test_real_pcs_shape),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_member_span),
		cmocka_unit_test(test_root_crl_url),
		cmocka_unit_test(test_syn_statuses),
		cmocka_unit_test(test_syn_qe_converge),
		cmocka_unit_test(test_syn_tdx_relaunch),
		cmocka_unit_test(test_syn_pki_failures),
		cmocka_unit_test(test_syn_bodies),
		cmocka_unit_test(test_pck_ext),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
