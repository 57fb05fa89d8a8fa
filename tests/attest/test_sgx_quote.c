/* The sgx verifier (sgx.h) on a synthetic SGX quote v3 whose every key the
 * test holds (data/sgx/, make_dcap_pki.py's sgx_pki; sgx_test_util.h):
 * the claims Trustee's sgx verifier gives, field by field, with UpToDate,
 * SWHardeningNeeded and OutOfDate from the test tcbInfo; each check's
 * failure by its name; an SGX quote refused by tdx and a TD quote by sgx.
 *
 * The verifiers trust the test root through tdx_verifier_set_test_root
 * (tdx_int.h), which nothing outside tests/ calls: the shipped `cocoon
 * evidence verify` never trusts it (test_sgx_cli.py checks that).
 *
 * argv: DATA_SGX DATA_TDX (Trustee's occlum_quote.dat). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sgx.h"
#include "sgx_test_util.h"
#include "tdx.h"
#include "tdx_int.h"

static const char *sgx_dir, *tdx_dir;
static sgx_test_pki *pki;
static uint8_t *quote;   /* the synthetic quote: REPORTDATA RD, CONFIGID CFG */
static size_t quote_len;
static char *good_coll;  /* its collateral: one UpToDate level at the leaf's TCB */

static const uint8_t RD[64] = "cocoon sgx report data";
static const uint8_t CFG[64] = "cocoon sgx config id";
/* The PCK leaf's TCB (make_dcap_pki.py): components and PCESVN. */
static const uint8_t LEAF[16] = {5, 5, 2, 2, 3, 1, 0, 3};
static const uint8_t HIGHER[16] = {6, 6, 2, 2, 3, 1, 0, 3};
#define LEAF_PCESVN 11


/* An sgx (or tdx) verifier at the test time with the collateral text
 * coll (through a temporary file, as --collateral) and the test root. */
static attest_verifier *verifier(int tdx, const char *coll)
{
	char path[] = "/tmp/cocoon-sgx-collateral.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(coll);
	assert_int_equal(write(fd, coll, n), (ssize_t)n);
	close(fd);
	attest_verifier_opts o = {.at = SGX_TEST_AT, .collateral = path};
	attest_verifier *v = NULL;
	cc_error *e = NULL;
	int r = tdx ? tdx_verifier_new(&o, &v, &e) : sgx_verifier_new(&o, &v, &e);
	unlink(path);
	if (r < 0)
		fail_msg("verifier: %s", cc_error_message(e));
	assert_int_equal(tdx_verifier_set_test_root(v, pki->root_der, pki->root_len, NULL), 0);
	return v;
}

/* An SGX tcbInfo: an UpToDate level at `above` first when not NULL, then
 * one at comps / pcesvn with status and advisory (NULL: none). */
static char *tcb_info(const uint8_t *above, const uint8_t *comps, unsigned pcesvn,
                      const char *status, const char *advisory)
{
	char levels[16384] = "[";
	if (above != NULL)
		sgx_test_level(levels, sizeof(levels), above, LEAF_PCESVN, "UpToDate", NULL);
	sgx_test_level(levels, sizeof(levels), comps, pcesvn, status, advisory);
	size_t n = strlen(levels);
	assert_true(n + 1 < sizeof(levels));
	snprintf(levels + n, sizeof(levels) - n, "]");
	return sgx_test_tcb_info(levels);
}

/* Collateral with tcb_info(above, LEAF, ...) and the QE identity "QE". */
static char *collateral_with(const uint8_t *above, unsigned pcesvn, const char *status,
                             const char *advisory)
{
	char *ti = tcb_info(above, LEAF, pcesvn, status, advisory), *qe = sgx_test_qe_identity("QE");
	char *c = sgx_test_collateral(pki, ti, qe, NULL);
	free(ti);
	free(qe);
	return c;
}

static int setup(void **state)
{
	(void)state;
	pki = sgx_test_pki_load(sgx_dir);
	quote = sgx_test_quote(pki, RD, CFG, NULL, &quote_len);
	good_coll = collateral_with(NULL, LEAF_PCESVN, "UpToDate", NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(good_coll);
	free(quote);
	sgx_test_pki_free(pki);
	return 0;
}

/* evaluate() on quote q with report_data / init_data (NULL: not given). */
static int evaluate(attest_verifier *v, const uint8_t *q, size_t len, const uint8_t *rd,
                    size_t rd_len, const uint8_t *id, size_t id_len, json_t **claims,
                    cc_error **e)
{
	json_t *ev = NULL;
	assert_int_equal(attest_verifier_wrap_raw(v, q, len, &ev, NULL), 0);
	*claims = NULL;
	int r = attest_verifier_evaluate(v, ev, rd, rd_len, id, id_len, claims, e);
	json_decref(ev);
	return r;
}

static void expect_fail(attest_verifier *v, const uint8_t *q, size_t len, const uint8_t *rd,
                        size_t rd_len, const uint8_t *id, size_t id_len, const char *want)
{
	json_t *claims;
	cc_error *e = NULL;
	int r = evaluate(v, q, len, rd, rd_len, id, id_len, &claims, &e);
	if (r == 0)
		fail_msg("want '%s', verified", want);
	assert_null(claims);
	if (strncmp(cc_error_message(e), want, strlen(want)) != 0)
		fail_msg("want '%s...', got '%s'", want, cc_error_message(e));
	cc_error_free(e);
}

static char *hex(const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);
	assert_non_null(h);
	for (size_t i = 0; i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", p[i]);
	return h;
}

/* Trustee's sgx claims for the synthetic quote (sgx/claims.rs), the
 * platform_instance_id of its Platform CA leaf, the collateral's status. */
static json_t *expected_claims(const char *status, json_t *advisories)
{
	char *rd = hex(RD, 64), *cfg = hex(CFG, 64);
	const char *z = "0000000000000000000000000000000000000000000000000000000000000000";
	char r1[25], r4[85];
	snprintf(r1, sizeof(r1), "%.24s", z);
	snprintf(r4, sizeof(r4), "%s%.20s", z, z);
	json_t *w = json_pack(
	    "{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
	    " s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
	    " s:s, s:s, s:s, s:s, s:o}",
	    "header", "version", "0300", "att_key_type", "0200", "att_key_data_0", "00000000",
	    "qe_svn", "0800", "pce_svn", "0b00", "vendor_id", "939a7233f79c4ca9940a0db3957f0607",
	    "user_data", "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a00000000", "body", "cpu_svn",
	    SGX_TEST_CPU_SVN, "misc_select", "00000000", "reserved1", r1, "isv_ext_prod_id",
	    SGX_TEST_EXT_PROD_ID, "attributes.flags", SGX_TEST_FLAGS, "attributes.xfrm",
	    SGX_TEST_XFRM, "mr_enclave", SGX_TEST_MR_ENCLAVE, "reserved2", z, "mr_signer",
	    SGX_TEST_MR_SIGNER, "reserved3", z, "config_id", cfg, "isv_prod_id",
	    SGX_TEST_ISV_PROD_ID, "isv_svn", SGX_TEST_ISV_SVN, "config_svn", SGX_TEST_CONFIG_SVN,
	    "reserved4", r4, "isv_family_id", SGX_TEST_FAMILY_ID, "report_data", rd,
	    "report_data", rd, "init_data", cfg, "platform_instance_id", SGX_TEST_PIID,
	    "tcb_status", status, "advisory_ids", advisories);
	assert_non_null(w);
	free(rd);
	free(cfg);
	return w;
}

/* QVL's supplemental claims (Trustee's intel_dcap/claims.rs) that the
 * verifier may add next to the sgx claims; each, when there, must have
 * the value this quote and collateral give. */
static const struct {
	const char *name, *value; /* value NULL: any */
} supplemental[] = {
	{"earliest_issue_date", NULL},
	{"latest_issue_date", NULL},
	{"earliest_expiration_date", NULL},
	{"tcb_date", "\"2024-03-13T00:00:00Z\""},
	{"pck_crl_num", "1"},
	{"root_ca_crl_num", "1"},
	{"tcb_eval_num", "17"},
	{"platform_provider_id", "\"000102030405060708090a0b0c0d0e0f\""},
	{"sgx_type", "\"Standard\""},
	{"root_key_id", NULL},
	{"collateral_expiration_status", "\"0\""},
	{"is_dynamic_platform", "false"},
	{"is_cached_keys", "false"},
	{"is_smt_enabled", "true"},
};

/* want's every member equal in got, field by field; a member of got that
 * want lacks must be one of the supplemental claims above. */
static void claims_equal(const json_t *want, const json_t *got, const char *what)
{
	json_t *rest = json_deep_copy(got);
	assert_non_null(rest);
	for (size_t i = 0; i < sizeof(supplemental) / sizeof(supplemental[0]); i++) {
		json_t *v = json_object_get(rest, supplemental[i].name);
		if (v == NULL || json_object_get(want, supplemental[i].name) != NULL)
			continue;
		if (supplemental[i].value != NULL) {
			json_t *w = json_loads(supplemental[i].value, JSON_DECODE_ANY, NULL);
			assert_non_null(w);
			tdx_test_json_equal(w, v, supplemental[i].name);
			json_decref(w);
		}
		json_object_del(rest, supplemental[i].name);
	}
	tdx_test_json_equal(want, rest, what);
	json_decref(rest);
}

/* UpToDate: every claim as Trustee's, report_data and init_data bound
 * (zero-padded prefixes pass). */
static void test_up_to_date(void **state)
{
	(void)state;
	const uint8_t *q = quote;
	size_t len = quote_len;
	const char *coll = good_coll;
	attest_verifier *v = verifier(0, coll);
	json_t *claims;
	cc_error *e = NULL;
	if (evaluate(v, q, len, RD, 22, CFG, 20, &claims, &e) != 0)
		fail_msg("%s", cc_error_message(e));
	json_t *want = expected_claims("UpToDate", json_array());
	claims_equal(want, claims, "");
	json_decref(want);
	json_decref(claims);
	/* without report_data / init_data: the same claims */
	assert_int_equal(evaluate(v, q, len, NULL, 0, NULL, 0, &claims, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(claims, "tcb_status")), "UpToDate");
	json_decref(claims);
	attest_verifier_free(v);
}

/* The status and advisories come from the first level at or below the
 * leaf's TCB, converged with the QE identity's level. */
static void test_statuses(void **state)
{
	(void)state;
	const uint8_t *q = quote;
	size_t len = quote_len;
	static const struct {
		const char *status, *advisory;
		int higher_first; /* 1: an UpToDate level above the leaf comes first */
	} cases[] = {
		{"UpToDate", NULL, 0},
		{"SWHardeningNeeded", "INTEL-SA-00615", 0},
		{"OutOfDate", "INTEL-SA-00837", 1},
		{"ConfigurationNeeded", "INTEL-SA-00289", 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *coll = collateral_with(cases[i].higher_first ? HIGHER : NULL, LEAF_PCESVN,
		                             cases[i].status, cases[i].advisory);
		attest_verifier *v = verifier(0, coll);
		json_t *claims;
		cc_error *e = NULL;
		if (evaluate(v, q, len, RD, 64, NULL, 0, &claims, &e) != 0)
			fail_msg("%s: %s", cases[i].status, cc_error_message(e));
		json_t *adv = cases[i].advisory ? json_pack("[s]", cases[i].advisory) : json_array();
		json_t *want = expected_claims(cases[i].status, adv);
		claims_equal(want, claims, cases[i].status);
		json_decref(want);
		json_decref(claims);
		attest_verifier_free(v);
		free(coll);
	}
}

/* A byte changed in each signed part of the quote fails that part's check. */
static void test_quote_checks(void **state)
{
	(void)state;
	const uint8_t *q = quote;
	size_t len = quote_len;
	const char *coll = good_coll;
	attest_verifier *v = verifier(0, coll);
	dcap_quote dq;
	assert_int_equal(dcap_quote_parse(q, len, &dq, NULL), 0);
	size_t body = (size_t)(dq.body - q), qe = (size_t)(dq.qe_report - q);
	size_t auth = (size_t)(dq.auth_data - q), sig = (size_t)(dq.signature - q);
	size_t key = (size_t)(dq.att_key - q), qes = (size_t)(dq.qe_report_sig - q);
	static const struct {
		int part; /* 0 header, 1 body, 2 signature, 3 key, 4 QE report, 5 its sig, 6 auth */
		size_t off;
		const char *want;
	} flips[] = {
		{0, 8, "quote signature"},          {1, 64, "quote signature"},
		{1, 320, "quote signature"},        {2, 5, "quote signature"},
		{3, 7, "quote signature"},          {4, 128, "QE report signature"},
		{4, 258, "QE report signature"},    {5, 40, "QE report signature"},
		{6, 3, "QE report binding"},
	};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		size_t base[] = {0, body, sig, key, qe, qes, auth};
		uint8_t *c = malloc(len);
		assert_non_null(c);
		memcpy(c, q, len);
		c[base[flips[i].part] + flips[i].off] ^= 0x01;
		expect_fail(v, c, len, NULL, 0, NULL, 0, flips[i].want);
		free(c);
	}
	/* QE report data that is not SHA-256(key || auth data), signed by the
	 * PCK key: the binding, not the signature, fails */
	uint8_t *c = malloc(len);
	assert_non_null(c);
	memcpy(c, q, len);
	c[qe + SGX_REPORT_DATA_OFF + 40] = 1;
	sgx_test_resign(pki, c, len);
	expect_fail(v, c, len, NULL, 0, NULL, 0, "QE report binding: QE report data bytes 32..63");
	memcpy(c, q, len);
	c[qe + SGX_REPORT_DATA_OFF] ^= 0x80;
	sgx_test_resign(pki, c, len);
	expect_fail(v, c, len, NULL, 0, NULL, 0, "QE report binding: QE report data is not");
	free(c);
	/* report_data and init_data bindings */
	uint8_t other[64];
	memcpy(other, RD, 64);
	other[0] ^= 1;
	expect_fail(v, q, len, other, 64, NULL, 0, "report_data mismatch");
	expect_fail(v, q, len, RD, 21, NULL, 0, "report_data mismatch"); /* a shorter prefix */
	uint8_t longer[65] = {0};
	memcpy(longer, RD, 64);
	expect_fail(v, q, len, longer, 65, NULL, 0, "report_data mismatch");
	expect_fail(v, q, len, RD, 64, RD, 64, "init_data mismatch");
	attest_verifier_free(v);
}

/* Replaces key of collateral text c with value (a string). */
static char *coll_set(const char *c, const char *key, const char *value)
{
	json_t *o = json_loads(c, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(o);
	assert_int_equal(json_object_set_new(o, key, json_string(value)), 0);
	char *t = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return t;
}

static void expect_coll_fail(const uint8_t *q, size_t len, const char *coll, const char *want)
{
	attest_verifier *v = verifier(0, coll);
	expect_fail(v, q, len, RD, 64, NULL, 0, want);
	attest_verifier_free(v);
}

/* The collateral side on the SGX quote: chain, signatures, binding of
 * the tcbInfo to SGX, QE identity, TCB level. */
static void test_collateral_checks(void **state)
{
	(void)state;
	const uint8_t *q = quote;
	size_t len = quote_len;
	const char *good = good_coll;

	/* a PCK chain to another root */
	char *other = NULL;
	{
		char path[4096];
		size_t n;
		snprintf(path, sizeof(path), "%s/pck_chain_other_root.pem", sgx_dir);
		other = (char *)tdx_test_read(path, &n);
	}
	size_t olen;
	uint8_t *oq = sgx_test_quote(pki, RD, CFG, other, &olen);
	expect_coll_fail(oq, olen, good, "PCK chain");
	free(oq);
	free(other);

	/* the leaf revoked */
	char *revoked_hex = sgx_test_file_hex(sgx_dir, "pck_crl_revoked_leaf.der");
	char *ti = tcb_info(NULL, LEAF, LEAF_PCESVN, "UpToDate", NULL);
	char *qe = sgx_test_qe_identity("QE");
	char *c = sgx_test_collateral(pki, ti, qe, revoked_hex);
	expect_coll_fail(q, len, c, "certificate revoked");
	free(c);
	free(revoked_hex);

	/* signatures over the tcbInfo and QE identity texts */
	json_t *g = json_loads(good, JSON_REJECT_DUPLICATES, NULL);
	const char *qsig = json_string_value(json_object_get(g, "qe_identity_signature"));
	const char *tsig = json_string_value(json_object_get(g, "tcb_info_signature"));
	c = coll_set(good, "tcb_info_signature", qsig);
	expect_coll_fail(q, len, c, "tcb_info signature");
	free(c);
	c = coll_set(good, "qe_identity_signature", tsig);
	expect_coll_fail(q, len, c, "qe_identity signature");
	free(c);
	json_decref(g);
	char *changed = strdup(ti);
	assert_non_null(changed);
	changed[strlen(changed) - 3] = '9'; /* inside "tcbStatus" text or levels: still JSON */
	c = coll_set(good, "tcb_info", changed);
	expect_coll_fail(q, len, c, "tcb_info signature");
	free(c);
	free(changed);

	/* the DCAP vector's TDX tcbInfo (signed here) for an SGX quote */
	char *dcap = NULL;
	{
		char path[4096];
		size_t n;
		snprintf(path, sizeof(path), "%s/../dcap/quote_collateral.json", sgx_dir);
		dcap = (char *)tdx_test_read(path, &n);
	}
	json_t *d = json_loads(dcap, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(d);
	const char *tdx_ti = json_string_value(json_object_get(d, "tcb_info"));
	assert_non_null(strstr(tdx_ti, "\"id\":\"TDX\""));
	c = sgx_test_collateral(pki, tdx_ti, qe, NULL);
	expect_coll_fail(q, len, c, "tcb_info binding: tcb_info TDX version 3 is not for SGX");
	free(c);
	/* and the TD QE's identity */
	char *tdqe = sgx_test_qe_identity("TD_QE");
	c = sgx_test_collateral(pki, ti, tdqe, NULL);
	expect_coll_fail(q, len, c, "QE identity");
	free(c);
	free(tdqe);
	json_decref(d);
	free(dcap);

	/* no level at or below the leaf's TCB */
	char *high = tcb_info(HIGHER, LEAF, LEAF_PCESVN + 1, "OutOfDate", NULL);
	c = sgx_test_collateral(pki, high, qe, NULL);
	expect_coll_fail(q, len, c, "no matching TCB level");
	free(c);
	free(high);
	/* a Revoked level */
	high = tcb_info(NULL, LEAF, LEAF_PCESVN, "Revoked", NULL);
	c = sgx_test_collateral(pki, high, qe, NULL);
	expect_coll_fail(q, len, c, "TCB revoked");
	free(c);
	free(high);

	free(ti);
	free(qe);
}

/* tdx refuses the SGX quote, sgx a TD quote, by name. */
static void test_kinds(void **state)
{
	(void)state;
	const uint8_t *q = quote;
	size_t len = quote_len;
	const char *coll = good_coll;
	attest_verifier *t = verifier(1, coll), *s = verifier(0, coll);
	expect_fail(t, q, len, NULL, 0, NULL, 0, "quote: version 3 is an SGX quote, not a TD one");
	size_t tlen;
	uint8_t *td = tdx_test_quote(&pki->keys, 4, 0, NULL, 0, &tlen);
	expect_fail(s, td, tlen, NULL, 0, NULL, 0, "quote: version 4 is a TD quote, not an SGX one");
	free(td);
	attest_verifier_free(t);
	attest_verifier_free(s);
}

/* Trustee's parse_sgx_claims expects platform_instance_id
 * 7a3a6941065cd5060bd93d3db2cfc0c8 for occlum_quote.dat's Platform CA
 * leaf; the synthetic leaf's a0..af reads reversed. */
static void test_platform_instance_id(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s/occlum_quote.dat", tdx_dir);
	size_t len;
	uint8_t *q = tdx_test_read(path, &len);
	dcap_quote dq;
	assert_int_equal(dcap_quote_parse(q, len, &dq, NULL), 0);
	char piid[33];
	assert_int_equal(dcap_quote_platform_instance_id(&dq, piid, NULL), 0);
	assert_string_equal(piid, "7a3a6941065cd5060bd93d3db2cfc0c8");
	free(q);
	q = sgx_test_quote(pki, RD, CFG, NULL, &len);
	assert_int_equal(dcap_quote_parse(q, len, &dq, NULL), 0);
	assert_int_equal(dcap_quote_platform_instance_id(&dq, piid, NULL), 0);
	assert_string_equal(piid, SGX_TEST_PIID);
	free(q);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DATA_SGX DATA_TDX\n", argv[0]);
		return 2;
	}
	sgx_dir = argv[1];
	tdx_dir = argv[2];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_to_date),       cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_quote_checks),     cmocka_unit_test(test_collateral_checks),
		cmocka_unit_test(test_kinds),            cmocka_unit_test(test_platform_instance_id),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
