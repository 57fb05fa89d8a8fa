/* Unit tests of the DCAP quote side (lib/attest/tdx_*.c, tdx.h): Trustee's
 * TDX quotes v4/v5 and the Occlum SGX quote v3 (argv[1]: data/tdx) parse,
 * their signatures and QE binding verify and their claims equal Trustee's
 * field by field; byte flips in every signed region fail with the check's
 * name; truncated and oversized quotes are refused; synthetic quotes
 * signed with keys made here (an attestation key and a test "PCK" leaf)
 * exercise each quote-side failure before the collateral side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest_registry.h"
#include "cocoon/limits.h"
#include "tdx.h"
#include "eventlog.h"
#include "tdx_test_util.h"
#include "tpm_int.h"

static const char *data_dir, *dcap_dir, *eventlog_dir;

static uint8_t *load(const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	return tdx_test_read(path, len);
}

static void expect_fail(const uint8_t *q, size_t len, const char *prefix)
{
	dcap_quote dq;
	cc_error *err = NULL;
	int r = dcap_quote_parse(q, len, &dq, &err);
	if (r == 0)
		r = dcap_quote_check_signatures(&dq, &err);
	if (r == 0)
		fail_msg("accepted; expected '%s'", prefix);
	if (strncmp(cc_error_message(err), prefix, strlen(prefix)) != 0)
		fail_msg("got '%s', expected '%s...'", cc_error_message(err), prefix);
	cc_error_free(err);
}

static void expect_ok(const uint8_t *q, size_t len, dcap_quote *dq)
{
	cc_error *err = NULL;
	int r = dcap_quote_parse(q, len, dq, &err);
	if (r == 0)
		r = dcap_quote_check_signatures(dq, &err);
	if (r != 0)
		fail_msg("refused: %s", cc_error_message(err));
}

static void test_vectors_parse_and_verify(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		unsigned version, body_type, body_size;
		size_t trailing;
	} v[] = {
		{"tdx_quote_4.dat", 4, 0, 584, 0},
		{"tdx_quote_5.dat", 5, 3, 648, 0},
		{"tdx_quote_6.dat", 4, 0, 584, 70},
		{"occlum_quote.dat", 3, 0, 384, 0},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *q = load(v[i].name, &len);
		dcap_quote dq;
		expect_ok(q, len, &dq);
		assert_int_equal(dq.version, v[i].version);
		assert_int_equal(dq.body_type, v[i].body_type);
		assert_int_equal(dq.body_size, v[i].body_size);
		assert_int_equal(dq.trailing, v[i].trailing);
		assert_int_equal(dq.att_key_type, 2);
		assert_int_equal(dq.auth_data_len, 32);
		assert_true(dq.pck_chain_len > 1000);
		free(q);
	}
}

/* Trustee's parse_tdx_claims_expected.json, without the event log part
 * (test_tdx_ccel compares uefi_event_logs). */
static void test_claims_quote4(void **state)
{
	(void)state;
	size_t len;
	uint8_t *q = load("tdx_quote_4.dat", &len);
	dcap_quote dq;
	expect_ok(q, len, &dq);
	json_t *claims;
	assert_int_equal(dcap_quote_claims(&dq, &claims, NULL), 0);
	char piid[33];
	assert_int_equal(dcap_quote_platform_instance_id(&dq, piid, NULL), 0);
	json_object_set_new(claims, "platform_instance_id", json_string(piid));

	char path[4096];
	snprintf(path, sizeof(path), "%s/parse_tdx_claims_expected.json", data_dir);
	json_t *want = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(want);
	json_object_del(want, "uefi_event_logs");
	tdx_test_json_equal(want, claims, "");
	json_decref(want);
	json_decref(claims);
	free(q);
}

/* Trustee's sgx claims test (deps/verifier/src/sgx/claims.rs). */
static void test_claims_sgx(void **state)
{
	(void)state;
	size_t len;
	uint8_t *q = load("occlum_quote.dat", &len);
	dcap_quote dq;
	expect_ok(q, len, &dq);
	json_t *claims;
	assert_int_equal(dcap_quote_claims(&dq, &claims, NULL), 0);
	const char *z64 = "0000000000000000000000000000000000000000000000000000000000000000";
	char rd[129], cfg[129], r4[85];
	snprintf(rd, sizeof(rd), "74657374%.56s%s", z64, z64);
	snprintf(cfg, sizeof(cfg), "%s%s", z64, z64);
	snprintf(r4, sizeof(r4), "%s%.20s", z64, z64);
	json_t *want = json_pack(
	    "{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
	    " s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
	    " s:s, s:s}",
	    "header", "version", "0300", "att_key_type", "0200", "att_key_data_0", "00000000",
	    "qe_svn", "0800", "pce_svn", "0d00", "vendor_id", "939a7233f79c4ca9940a0db3957f0607",
	    "user_data", "dccde9b31ce8860548173bb4a2a57a1600000000", "body", "cpu_svn",
	    "06060c0cffff00000000000000000000", "misc_select", "01000000", "reserved1",
	    "000000000000000000000000", "isv_ext_prod_id", "00000000000000000000000000000000",
	    "attributes.flags", "0700000000000000", "attributes.xfrm", "e700000000000000",
	    "mr_enclave", "8f173e4613ff05c52aaf04162d234edae8c9977eae47eb2299ae16a553011c68",
	    "reserved2", z64, "mr_signer",
	    "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e", "reserved3", z64,
	    "config_id", cfg, "isv_prod_id", "0000", "isv_svn", "0000", "config_svn", "0000",
	    "reserved4", r4, "isv_family_id", "00000000000000000000000000000000", "report_data", rd,
	    "report_data", rd, "init_data", cfg);
	assert_non_null(want);
	tdx_test_json_equal(want, claims, "");
	json_decref(want);
	json_decref(claims);
	free(q);
}

/* v5 claims: type and size, TD 1.5 fields (Trustee's claims.rs). */
static void test_claims_quote5(void **state)
{
	(void)state;
	size_t len;
	uint8_t *q = load("tdx_quote_5.dat", &len);
	dcap_quote dq;
	expect_ok(q, len, &dq);
	json_t *claims;
	assert_int_equal(dcap_quote_claims(&dq, &claims, NULL), 0);
	json_t *quote = json_object_get(claims, "quote");
	assert_string_equal(json_string_value(json_object_get(quote, "type")), "0300");
	assert_string_equal(json_string_value(json_object_get(quote, "size")), "88020000");
	json_t *body = json_object_get(quote, "body");
	assert_string_equal(json_string_value(json_object_get(body, "mr_td")),
	                    "dfba221b48a22af8511542ee796603f37382800840dcd978703909bf8e64d4c8"
	                    "a1e9de86e7c9638bfcba422f3886400a");
	assert_non_null(json_object_get(body, "tee_tcb_svn2"));
	assert_non_null(json_object_get(body, "mr_servicetd"));
	assert_int_equal(json_object_size(body), 17);
	assert_string_equal(json_string_value(json_object_get(json_object_get(quote, "header"),
	                                                      "version")),
	                    "0500");
	json_decref(claims);
	free(q);
}

/* Where each signed region of a TD quote v4 is, and the check a flip in
 * it must fail. */
static void test_flips_quote4(void **state)
{
	(void)state;
	size_t len;
	uint8_t *q = load("tdx_quote_4.dat", &len);
	dcap_quote dq;
	expect_ok(q, len, &dq);
	size_t sig = (size_t)(dq.signature - q), key = (size_t)(dq.att_key - q);
	size_t qe = (size_t)(dq.qe_report - q), qes = (size_t)(dq.qe_report_sig - q);
	size_t auth = (size_t)(dq.auth_data - q);
	struct {
		size_t off;
		const char *want;
	} flips[] = {
		{12, "quote signature"},                      /* header: vendor id */
		{28, "quote signature"},                      /* header: user data */
		{48, "quote signature"},                      /* body: TEE_TCB_SVN */
		{48 + TDX_MR_CONFIG_ID_OFF, "quote signature"},
		{48 + TDX_REPORT_DATA_OFF + 63, "quote signature"},
		{sig, "quote signature"},
		{sig + 63, "quote signature"},
		{key + 5, "quote signature"},
		{qe, "QE report signature"},
		{qe + SGX_REPORT_DATA_OFF, "QE report signature"},
		{qe + 383, "QE report signature"},
		{qes, "QE report signature"},
		{qes + 40, "QE report signature"},
		{auth, "QE report binding"},
		{auth + 31, "QE report binding"},
	};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		q[flips[i].off] ^= 0x01;
		expect_fail(q, len, flips[i].want);
		q[flips[i].off] ^= 0x01;
	}
	/* The version, key type, TEE type and lengths are refused by name. */
	q[0] ^= 0x0f;
	expect_fail(q, len, "unsupported quote version");
	q[0] ^= 0x0f;
	q[2] = 3;
	expect_fail(q, len, "unsupported attestation key type");
	q[2] = 2;
	q[4] = 0;
	expect_fail(q, len, "unsupported quote");
	q[4] = 0x81;
	free(q);
}

/* Padding after the declared signature data: changes are not refused (as
 * Intel's QVL and Trustee), everything before it is. */
static void test_padding(void **state)
{
	(void)state;
	size_t len;
	uint8_t *q = load("tdx_quote_6.dat", &len);
	dcap_quote dq;
	expect_ok(q, len, &dq);
	assert_int_equal(dq.trailing, 70);
	for (size_t i = len - 70; i < len; i++) {
		q[i] ^= 0xa5;
		expect_ok(q, len, &dq);
	}
	expect_ok(q, len - 70, &dq);
	assert_int_equal(dq.trailing, 0);
	free(q);
}

/* Every shorter prefix of each vector is refused as truncated. */
static void test_truncated(void **state)
{
	(void)state;
	const char *names[] = {"tdx_quote_4.dat", "tdx_quote_5.dat", "occlum_quote.dat"};
	for (size_t n = 0; n < 3; n++) {
		size_t len;
		uint8_t *q = load(names[n], &len);
		for (size_t cut = 0; cut < len; cut++) {
			uint8_t *p = malloc(cut + 1);
			memcpy(p, q, cut);
			dcap_quote dq;
			cc_error *err = NULL;
			assert_int_not_equal(dcap_quote_parse(p, cut, &dq, &err), 0);
			if (strncmp(cc_error_message(err), "truncated", 9) != 0)
				fail_msg("%s cut at %zu: %s", names[n], cut, cc_error_message(err));
			cc_error_free(err);
			free(p);
		}
		free(q);
	}
}

/* A length field that claims more or less than is there. */
static void test_length_fields(void **state)
{
	(void)state;
	size_t len;
	uint8_t *q = load("tdx_quote_4.dat", &len);
	dcap_quote dq;
	expect_ok(q, len, &dq);
	size_t sl = dq.signed_len;
	/* signature data length + 1: truncated; - 1: the certification data
	 * no longer fits */
	q[sl] = (uint8_t)(q[sl] + 1);
	expect_fail(q, len, "truncated signature data");
	q[sl] = (uint8_t)(q[sl] - 2);
	expect_fail(q, len, "truncated QE report certification data");
	q[sl] = (uint8_t)(q[sl] + 1);
	/* a larger buffer with the signature data grown by 8 bytes inside it */
	uint8_t *big = calloc(1, len + 8);
	memcpy(big, q, len);
	big[sl] = (uint8_t)(big[sl] + 8);
	expect_fail(big, len + 8, "oversized QE report certification data");
	/* QE certification data type and size */
	size_t t6 = sl + 4 + 128;
	big[t6] = 7;
	expect_fail(big, len + 8, "unsupported QE report certification data");
	free(big);
	size_t t5 = (size_t)(dq.pck_chain - q) - 6;
	q[t5] = 4;
	expect_fail(q, len, "unsupported PCK certification data");
	q[t5] = 5;
	q[t5 + 2] = (uint8_t)(q[t5 + 2] + 1);
	expect_fail(q, len, "truncated PCK certification data");
	q[t5 + 2] = (uint8_t)(q[t5 + 2] - 2);
	expect_fail(q, len, "oversized PCK certification data");
	q[t5 + 2] = (uint8_t)(q[t5 + 2] + 1);
	/* QE authentication data size */
	size_t al = (size_t)(dq.auth_data - q) - 2;
	q[al] = 0xff;
	q[al + 1] = 0xff;
	expect_fail(q, len, "truncated QE authentication data");
	free(q);

	/* v5 body size disagreeing with the body type */
	q = load("tdx_quote_5.dat", &len);
	q[50] = 0x48; /* 648 -> 584 with type 3 */
	expect_fail(q, len, "truncated quote body: size 584");
	q[50] = 0x88;
	q[48] = 9;
	expect_fail(q, len, "unsupported quote body type 9");
	free(q);

	/* over the cap */
	uint8_t *huge = calloc(1, CC_TDX_MAX_QUOTE_BYTES + 1);
	expect_fail(huge, CC_TDX_MAX_QUOTE_BYTES + 1, "oversized quote");
	free(huge);
}

/* Synthetic quotes signed with keys made here. */
static void test_synthetic(void **state)
{
	(void)state;
	tdx_test_keys *k = tdx_test_keys_new();
	for (unsigned version = 3; version <= 5; version++) {
		size_t len;
		uint8_t *q = tdx_test_quote(k, version, version == 5 ? 3 : 0, NULL, 0, &len);
		dcap_quote dq;
		expect_ok(q, len, &dq);
		assert_int_equal(dq.version, version);
		json_t *c;
		assert_int_equal(dcap_quote_claims(&dq, &c, NULL), 0);
		json_decref(c);
		/* a QE report not bound to the attestation key, re-signed by
		 * the PCK: binding fails, signature passes */
		size_t qe = (size_t)(dq.qe_report - q);
		q[qe + SGX_REPORT_DATA_OFF + 40] ^= 1;
		tdx_test_resign_qe(k, q, &dq);
		expect_fail(q, len, "QE report binding");
		q[qe + SGX_REPORT_DATA_OFF + 40] ^= 1;
		tdx_test_resign_qe(k, q, &dq);
		expect_ok(q, len, &dq);
		/* the attestation key swapped for another valid point: the
		 * quote signature fails first */
		memcpy((uint8_t *)dq.att_key, k->other_key_xy, 64);
		expect_fail(q, len, "quote signature");
		/* an attestation key that is not on the curve */
		memset((uint8_t *)dq.att_key, 0x11, 64);
		expect_fail(q, len, "quote signature: the attestation key is not a P-256 point");
		free(q);
	}
	/* a TD 1.0 body inside a v5 quote */
	size_t len;
	uint8_t *q = tdx_test_quote(k, 5, 2, NULL, 0, &len);
	dcap_quote dq;
	expect_ok(q, len, &dq);
	assert_int_equal(dq.body_size, 584);
	free(q);
	/* a PCK "chain" that is not PEM */
	q = tdx_test_quote(k, 4, 0, (const uint8_t *)"not a certificate", 17, &len);
	expect_fail(q, len, "PCK chain");
	free(q);
	tdx_test_keys_free(k);
}

/* The verifier without collateral fails closed, naming what is missing;
 * evidence JSON errors. */
static void test_verifier_no_collateral(void **state)
{
	(void)state;
	attest_verifier *v;
	assert_int_equal(attest_verifier_new_for("tdx", NULL, &v, NULL), 0);
	size_t len;
	uint8_t *q = load("tdx_quote_4.dat", &len);
	json_t *claims = NULL;
	cc_error *err = NULL;
	assert_int_not_equal(tdx_verify_quote(v, q, len, NULL, 0, &claims, &err), 0);
	assert_string_equal(cc_error_message(err), "collateral: none given (--collateral FILE)");
	cc_error_free(err);
	err = NULL;

	json_t *ev;
	assert_int_equal(attest_verifier_wrap_raw(v, q, len, &ev, NULL), 0);
	assert_int_not_equal(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err), 0);
	assert_string_equal(cc_error_message(err), "collateral: none given (--collateral FILE)");
	cc_error_free(err);
	err = NULL;
	json_decref(ev);

	const char *bad[] = {"{}", "{\"quote\": 5}", "{\"quote\": \"\"}", "{\"quote\": \"@@@@\"}",
	                     "{\"quote\": \"AAAA\"}", "[]",
	                     "{\"quote\": \"AAAA\", \"cc_eventlog\": 1}"};
	const char *want[] = {"evidence: quote is missing", "evidence: quote is not a string",
	                      "evidence: quote is missing", "evidence: quote is not canonical",
	                      "truncated quote header", "evidence: not a JSON object",
	                      "evidence: cc_eventlog is not a string"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ev = json_loads(bad[i], JSON_REJECT_DUPLICATES, NULL);
		assert_non_null(ev);
		assert_int_not_equal(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err),
		                     0);
		if (strncmp(cc_error_message(err), want[i], strlen(want[i])) != 0)
			fail_msg("%s: got '%s'", bad[i], cc_error_message(err));
		cc_error_free(err);
		err = NULL;
		json_decref(ev);
	}
	/* an SGX quote given to tdx, a TD quote to sgx */
	uint8_t *s = load("occlum_quote.dat", &len);
	assert_int_not_equal(tdx_verify_quote(v, s, len, NULL, 0, &claims, &err), 0);
	assert_string_equal(cc_error_message(err), "quote: version 3 is an SGX quote, not a TD one");
	cc_error_free(err);
	err = NULL;
	attest_verifier *sv;
	assert_int_equal(attest_verifier_new_for("sgx", NULL, &sv, NULL), 0);
	assert_int_not_equal(tdx_verify_quote(sv, s, len, NULL, 0, &claims, &err), 0);
	assert_string_equal(cc_error_message(err), "tdx_verify_quote: not a tdx verifier");
	cc_error_free(err);
	attest_verifier_free(sv);
	free(s);
	free(q);
	attest_verifier_free(v);
}


/* Trustee's parse_tdx_claims: quote 4 with CCEL_data gives the expected
 * uefi_event_logs (Trustee's claims test does not replay: the log is not
 * this quote's); the replay check on a synthetic TD quote whose RTMRs are
 * the log's. */
static void test_ccel(void **state)
{
	(void)state;
	size_t clen;
	char path[4096];
	snprintf(path, sizeof(path), "%s/CCEL_data", eventlog_dir);
	uint8_t *ccel = tdx_test_read(path, &clen);
	eventlog *l;
	cc_error *err = NULL;
	if (eventlog_parse(ccel, clen, EVENTLOG_CCEL, &l, &err) != 0)
		fail_msg("%s", cc_error_message(err));
	json_t *logs;
	assert_int_equal(eventlog_to_json(l, &logs, NULL), 0);
	snprintf(path, sizeof(path), "%s/parse_tdx_claims_expected.json", data_dir);
	json_t *want = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(want);
	tdx_test_json_equal(json_object_get(want, "uefi_event_logs"),
	                    json_object_get(logs, "uefi_event_logs"), "uefi_event_logs");
	json_decref(want);
	json_decref(logs);

	/* a TD quote carrying the log's RTMRs */
	tdx_test_keys *k = tdx_test_keys_new();
	size_t len;
	uint8_t *q = tdx_test_quote(k, 4, 0, NULL, 0, &len);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(eventlog_replay(l, EVENTLOG_ALG_SHA384, i,
		                                 q + 48 + TDX_RTMR0_OFF + 48 * i, NULL, NULL),
		                 0);
	tdx_test_sign(k->att, q, 48 + 584, q + 48 + 584 + 4);
	eventlog_free(l);
	dcap_quote dq;
	expect_ok(q, len, &dq);
	json_t *claims;
	assert_int_equal(dcap_quote_claims(&dq, &claims, NULL), 0);
	if (tdx_ccel_check(&dq, ccel, clen, claims, &err) != 0)
		fail_msg("%s", cc_error_message(err));
	assert_int_equal(json_array_size(json_object_get(claims, "uefi_event_logs")), 5);
	json_decref(claims);
	/* an RTMR that the log does not give */
	q[48 + TDX_RTMR0_OFF + 48 + 7] ^= 1;
	assert_int_equal(dcap_quote_claims(&dq, &claims, NULL), 0);
	assert_int_not_equal(tdx_ccel_check(&dq, ccel, clen, claims, &err), 0);
	if (strncmp(cc_error_message(err), "event log replay: RTMR 1", 24) != 0)
		fail_msg("%s", cc_error_message(err));
	cc_error_free(err);
	err = NULL;
	/* a truncated log */
	assert_int_not_equal(tdx_ccel_check(&dq, ccel, 100, claims, &err), 0);
	assert_non_null(strstr(cc_error_message(err), "cc_eventlog"));
	cc_error_free(err);
	json_decref(claims);
	free(q);
	tdx_test_keys_free(k);
	free(ccel);
}

static attest_verifier *dcap_verifier(const char *tee, int64_t at)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/quote_collateral.json", dcap_dir);
	attest_verifier_opts o = {.at = at, .collateral = path};
	attest_verifier *v;
	cc_error *err = NULL;
	if (attest_verifier_new_for(tee, &o, &v, &err) != 0)
		fail_msg("%s", cc_error_message(err));
	return v;
}

static uint8_t *dcap_quote_bytes(size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/quote_hex.txt", dcap_dir);
	size_t n;
	char *hex = (char *)tdx_test_read(path, &n);
	while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
		n--;
	uint8_t *q = malloc(n / 2);
	assert_non_null(q);
	assert_int_equal(tpm_hex_decode(hex, n, q, n / 2), 0);
	free(hex);
	*len = n / 2;
	return q;
}

/* The real DCAP vector through tdx_verify_quote and evaluate(): UpToDate
 * at its time, report_data and init_data bindings, every evidence key. */
static void test_dcap_vector(void **state)
{
	(void)state;
	attest_verifier *v = dcap_verifier("tdx", 1757462400);
	size_t len;
	uint8_t *q = dcap_quote_bytes(&len);
	json_t *claims = NULL;
	cc_error *err = NULL;
	if (tdx_verify_quote(v, q, len, NULL, 0, &claims, &err) != 0)
		fail_msg("%s", cc_error_message(err));
	assert_string_equal(json_string_value(json_object_get(claims, "tcb_status")), "UpToDate");
	assert_int_equal(json_array_size(json_object_get(claims, "advisory_ids")), 0);
	json_decref(claims);

	dcap_quote dq;
	expect_ok(q, len, &dq);
	uint8_t rd[64];
	memcpy(rd, dq.body + TDX_REPORT_DATA_OFF, 64);
	assert_int_equal(tdx_verify_quote(v, q, len, rd, 64, &claims, NULL), 0);
	json_decref(claims);
	/* the vector's REPORTDATA is 50 bytes then zeros: a 50-byte value
	 * is compared zero-padded */
	assert_int_equal(tdx_verify_quote(v, q, len, rd, 50, &claims, NULL), 0);
	json_decref(claims);
	assert_int_not_equal(tdx_verify_quote(v, q, len, rd, 48, &claims, &err), 0);
	cc_error_free(err);
	err = NULL;
	rd[47] ^= 1;
	assert_int_not_equal(tdx_verify_quote(v, q, len, rd, 50, &claims, &err), 0);
	assert_memory_equal(cc_error_message(err), "report_data mismatch: ", 22);
	cc_error_free(err);
	err = NULL;
	rd[47] ^= 1;
	uint8_t long_rd[65] = {0};
	memcpy(long_rd, rd, 64);
	assert_int_not_equal(tdx_verify_quote(v, q, len, long_rd, 65, &claims, &err), 0);
	assert_string_equal(cc_error_message(err),
	                    "report_data mismatch: the expected value is 65 bytes, REPORTDATA has 64");
	cc_error_free(err);
	err = NULL;

	/* evaluate(): init_data is MRCONFIGID, zero-padded to 48 */
	json_t *ev;
	assert_int_equal(attest_verifier_wrap_raw(v, q, len, &ev, NULL), 0);
	const uint8_t *cfg = dq.body + TDX_MR_CONFIG_ID_OFF;
	assert_int_equal(attest_verifier_evaluate(v, ev, rd, 64, cfg, 33, &claims, NULL), 0);
	json_decref(claims);
	uint8_t other[32] = {0};
	assert_int_not_equal(attest_verifier_evaluate(v, ev, rd, 64, other, 32, &claims, &err), 0);
	assert_memory_equal(cc_error_message(err), "init_data mismatch: ", 20);
	cc_error_free(err);
	err = NULL;
	/* a CCEL that is not this TD's */
	char path[4096];
	snprintf(path, sizeof(path), "%s/CCEL_data", eventlog_dir);
	size_t clen;
	uint8_t *ccel = tdx_test_read(path, &clen);
	char *b64 = tpm_b64_encode(ccel, clen);
	json_object_set_new(ev, "cc_eventlog", json_string(b64));
	assert_int_not_equal(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err), 0);
	assert_memory_equal(cc_error_message(err), "event log replay: RTMR 0", 24);
	cc_error_free(err);
	err = NULL;
	/* null and "" mean no log, as Trustee */
	json_object_set_new(ev, "cc_eventlog", json_null());
	assert_int_equal(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, NULL), 0);
	json_decref(claims);
	json_object_set_new(ev, "cc_eventlog", json_string(""));
	assert_int_equal(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, NULL), 0);
	json_decref(claims);
	free(b64);
	free(ccel);
	json_decref(ev);
	attest_verifier_free(v);

	/* outside the collateral window */
	v = dcap_verifier("tdx", 1756798918);
	assert_int_not_equal(tdx_verify_quote(v, q, len, NULL, 0, &claims, &err), 0);
	assert_memory_equal(cc_error_message(err), "collateral not yet valid", 24);
	cc_error_free(err);
	attest_verifier_free(v);
	free(q);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s DATA_TDX DATA_DCAP DATA_EVENTLOG\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	dcap_dir = argv[2];
	eventlog_dir = argv[3];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_parse_and_verify),
		cmocka_unit_test(test_claims_quote4),
		cmocka_unit_test(test_claims_sgx),
		cmocka_unit_test(test_claims_quote5),
		cmocka_unit_test(test_flips_quote4),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_length_fields),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_verifier_no_collateral),
		cmocka_unit_test(test_ccel),
		cmocka_unit_test(test_dcap_vector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
