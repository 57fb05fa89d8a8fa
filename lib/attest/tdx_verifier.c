/* The `tdx` and `sgx` verifiers (tdx.h, sgx.h): Trustee's
 * deps/verifier/src/{tdx,sgx} steps in C (docs/attest-tdx.md, "Quote
 * checks"): the quote is parsed and its signatures and QE binding checked
 * here, the collateral checks are dcap_verify's (dcap.h), then report_data,
 * init_data and the CC event log. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cocoon/limits.h"
#include "dcap_int.h"
#include "eventlog.h"
#include "sgx.h"
#include "tdx.h"
#include "tdx_int.h"
#include "tpm_int.h"

typedef struct dcap_verifier {
	attest_verifier base;
	int tdx;             /* 1: tdx (quote v4/v5), 0: sgx (quote v3) */
	int64_t at;
	dcap_collateral *coll; /* opts.collateral, parsed; NULL: none */
	char *cache_dir;       /* NULL: none */
	char *fetch_url;       /* NULL: no fetching (allow_fetch off) */
	dcap_cache *cache;     /* verified collateral per (collateral, PCK chain) */
	uint8_t *test_root;    /* tdx_verifier_set_test_root; NULL: Intel's */
	size_t test_root_len;
} dcap_verifier;

/* TD 1.5 body: TEE_TCB_SVN2 follows REPORTDATA (tdx_claims.c's table). */
#define TDX_TEE_TCB_SVN2_OFF 584u

/* Trustee's default collateral service (Intel PCS). */
#define DCAP_PCS_URL "https://api.trustedservices.intel.com"

static const attest_verifier_ops tdx_ops, sgx_ops;

static void dv_free(attest_verifier *base)
{
	dcap_verifier *v = (dcap_verifier *)base;
	dcap_collateral_free(v->coll);
	dcap_cache_free(v->cache);
	free(v->cache_dir);
	free(v->fetch_url);
	free(v->test_root);
	free(v);
}

/* path's bytes (at most max), NUL-terminated. */
static int read_file(const char *path, size_t max, char **ret, size_t *ret_len, cc_error **err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	char *buf = malloc(max + 2);
	size_t n = buf != NULL ? fread(buf, 1, max + 1, f) : 0;
	int bad = buf != NULL && ferror(f);
	fclose(f);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (bad || n > max) {
		free(buf);
		return cc_error_set(err, bad ? -EIO : -E2BIG, bad ? "%s: read error" : "%s: more than %zu bytes",
		                    path, max);
	}
	buf[n] = '\0';
	*ret = buf;
	*ret_len = n;
	return 0;
}

static int dv_new(const attest_verifier_opts *o, int tdx, attest_verifier **ret, cc_error **err)
{
	dcap_verifier *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	v->base.ops = tdx ? &tdx_ops : &sgx_ops;
	v->tdx = tdx;
	v->at = o->at;
	if (dcap_cache_new(&v->cache, err) < 0) {
		free(v);
		return -ENOMEM;
	}
	if ((o->cache_dir != NULL && (v->cache_dir = strdup(o->cache_dir)) == NULL) ||
	    (o->allow_fetch &&
	     (v->fetch_url = strdup(o->pccs_url != NULL ? o->pccs_url : DCAP_PCS_URL)) == NULL)) {
		dv_free(&v->base);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (o->collateral != NULL) {
		char *text;
		size_t len;
		int r = read_file(o->collateral, CC_TDX_MAX_COLLATERAL_FILE_BYTES, &text, &len, err);
		if (r == 0) {
			r = dcap_collateral_parse(text, len, &v->coll, err);
			free(text);
		}
		if (r < 0) {
			dv_free(&v->base);
			return cc_error_wrap(err, "collateral %s", o->collateral);
		}
	}
	*ret = &v->base;
	return 0;
}

int tdx_verifier_new(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err)
{
	return dv_new(o, 1, ret, err);
}

int sgx_verifier_new(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err)
{
	return dv_new(o, 0, ret, err);
}

int tdx_verifier_set_test_root(attest_verifier *base, const uint8_t *der, size_t len,
                               cc_error **err)
{
	if (base == NULL || (base->ops != &tdx_ops && base->ops != &sgx_ops) || len == 0 ||
	    len > CC_DCAP_MAX_CHAIN_PEM_BYTES)
		return cc_error_set(err, -EINVAL,
		                    "tdx_verifier_set_test_root: not a tdx/sgx verifier or no root");
	dcap_verifier *v = (dcap_verifier *)base;
	uint8_t *copy = malloc(len);
	if (copy == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	memcpy(copy, der, len);
	free(v->test_root);
	v->test_root = copy;
	v->test_root_len = len;
	if (v->coll != NULL) {
		v->coll->test_root_der = copy;
		v->coll->test_root_len = len;
	}
	return 0;
}

/* Unix seconds as RFC 3339 UTC ("2025-09-10T00:00:00Z"), as Trustee's
 * format_rfc3339 prints whole seconds. */
static json_t *rfc3339(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&tt, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return json_string(buf);
}

/* QVL's supplemental data as Trustee's claims name them
 * (deps/verifier/src/intel_dcap/claims.rs); collateral_expiration_status
 * is always "0" because expired collateral fails here. */
static int supplemental_claims(const struct dcap_verify_out *o, json_t *claims)
{
	static const char *const types[] = {"Standard", "Scalable", "Scalable with Integrity"};
	const struct dcap_supplemental *s = &o->supp;
	char ppid[33], key[97], type[32];
	tpm_hex_encode(o->pck.ppid, 16, ppid);
	tpm_hex_encode(s->root_key_id, 48, key);
	if (o->pck.sgx_type >= 0 && o->pck.sgx_type <= 2)
		snprintf(type, sizeof(type), "%s", types[o->pck.sgx_type]);
	else
		snprintf(type, sizeof(type), "Unknown (%d)", o->pck.sgx_type < 0 ? 0 : o->pck.sgx_type);
	int bad = json_object_set_new(claims, "earliest_issue_date", rfc3339(s->earliest_issue_date)) < 0 ||
	          json_object_set_new(claims, "latest_issue_date", rfc3339(s->latest_issue_date)) < 0 ||
	          json_object_set_new(claims, "earliest_expiration_date",
	                              rfc3339(s->earliest_expiration_date)) < 0 ||
	          json_object_set_new(claims, "tcb_date", rfc3339(s->tcb_level_date_tag)) < 0 ||
	          json_object_set_new(claims, "pck_crl_num", json_integer(s->pck_crl_num)) < 0 ||
	          json_object_set_new(claims, "root_ca_crl_num", json_integer(s->root_ca_crl_num)) < 0 ||
	          json_object_set_new(claims, "tcb_eval_num", json_integer(s->tcb_eval_num)) < 0 ||
	          json_object_set_new(claims, "platform_provider_id", json_string(ppid)) < 0 ||
	          json_object_set_new(claims, "sgx_type", json_string(type)) < 0 ||
	          json_object_set_new(claims, "root_key_id", json_string(key)) < 0 ||
	          json_object_set_new(claims, "collateral_expiration_status", json_string("0")) < 0;
	if (!bad && o->pck.sgx_type > 0)
		bad = json_object_set_new(claims, "is_dynamic_platform",
		                          json_boolean(o->pck.dynamic_platform)) < 0 ||
		      json_object_set_new(claims, "is_cached_keys", json_boolean(o->pck.cached_keys)) < 0 ||
		      json_object_set_new(claims, "is_smt_enabled", json_boolean(o->pck.smt_enabled)) < 0;
	return bad ? -ENOMEM : 0;
}

/* The collateral side's checks; adds tcb_status, advisory_ids and the
 * supplemental claims. */
static int check_collateral(const dcap_verifier *v, const dcap_quote *q, json_t *claims,
                            cc_error **err)
{
	dcap_collateral *fetched = NULL;
	const dcap_collateral *coll = v->coll;
	if (coll == NULL && v->cache_dir == NULL && v->fetch_url == NULL)
		return cc_error_set(err, -ENOENT, "collateral: none given (--collateral FILE)");
	if (coll == NULL) {
		struct dcap_pck_ext ext;
		int r = dcap_quote_pck_ext(q, &ext, err);
		if (r == 0)
			r = dcap_collateral_fetch(v->fetch_url, ext.fmspc, ext.processor_ca,
			                          q->version != 3, v->cache_dir, &fetched, err);
		if (r < 0)
			return r;
		fetched->test_root_der = v->test_root;
		fetched->test_root_len = v->test_root_len;
		coll = fetched;
	}
	struct dcap_qe_report qe;
	dcap_quote_qe_report(q, &qe);
	struct dcap_verify_in in = {
		.at = v->at,
		.pck_chain_pem = (const char *)q->pck_chain,
		.pck_chain_len = q->pck_chain_len,
		.qe = &qe,
		.is_tdx = q->version != 3,
	};
	if (in.is_tdx) {
		in.tee_tcb_svn = q->body + TDX_TEE_TCB_SVN_OFF;
		in.mr_signer_seam = q->body + TDX_MRSIGNER_SEAM_OFF;
		in.seam_attributes = q->body + TDX_SEAM_ATTRIBUTES_OFF;
		if (q->body_size == DCAP_TD15_BODY_SIZE)
			in.tee_tcb_svn2 = q->body + TDX_TEE_TCB_SVN2_OFF;
	}
	struct dcap_verify_out out;
	memset(&out, 0, sizeof(out));
	int r = dcap_verify_cached(v->cache, coll, &in, &out, err);
	dcap_collateral_free(fetched);
	if (r < 0)
		return r;
	out.tcb_status[sizeof(out.tcb_status) - 1] = '\0';
	json_t *ids = out.advisory_ids != NULL ? out.advisory_ids : json_array();
	if (json_object_set_new(claims, "tcb_status", json_string(out.tcb_status)) < 0 ||
	    json_object_set_new(claims, "advisory_ids", ids) < 0 || supplemental_claims(&out, claims) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* expected (len bytes, at most width) zero-padded to width equals got. */
static int check_padded(const char *check, const char *field, const uint8_t *got, size_t width,
                        const uint8_t *expected, size_t len, cc_error **err)
{
	uint8_t want[64] = {0};
	if (len > width)
		return cc_error_set(err, -EINVAL, "%s: the expected value is %zu bytes, %s has %zu",
		                    check, len, field, width);
	memcpy(want, expected, len);
	if (CRYPTO_memcmp(want, got, width) != 0) {
		char hex[2 * 64 + 1];
		tpm_hex_encode(got, width, hex);
		return cc_error_set(err, -EPERM, "%s: the quote's %s is %s", check, field, hex);
	}
	return 0;
}

/* Parses and checks a quote of the verifier's kind; on success the claims
 * (without the event log ones) and the parsed quote. */
static int verify_quote(dcap_verifier *v, const uint8_t *bytes, size_t len,
                        const uint8_t *report_data, size_t report_data_len, dcap_quote *q,
                        json_t **ret_claims, cc_error **err)
{
	int r = dcap_quote_parse(bytes, len, q, err);
	if (r < 0)
		return r;
	if (v->tdx != (q->version != 3))
		return cc_error_set(err, -EINVAL, "quote: version %u is %s quote, not %s one",
		                    q->version, q->version == 3 ? "an SGX" : "a TD",
		                    v->tdx ? "a TD" : "an SGX");
	r = dcap_quote_check_signatures(q, err);
	if (r < 0)
		return r;
	json_t *claims;
	r = dcap_quote_claims(q, &claims, err);
	if (r < 0)
		return r;
	r = check_collateral(v, q, claims, err);
	if (r == 0 && report_data != NULL)
		r = check_padded("report_data mismatch", "REPORTDATA",
		                 q->body + (v->tdx ? TDX_REPORT_DATA_OFF : SGX_REPORT_DATA_OFF), 64,
		                 report_data, report_data_len, err);
	if (r == 0) { /* tdx and sgx alike (Trustee's sgx/claims.rs too) */
		char piid[33];
		r = dcap_quote_platform_instance_id(q, piid, err);
		if (r == 0 && piid[0] != '\0' &&
		    json_object_set_new(claims, "platform_instance_id", json_string(piid)) < 0)
			r = cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (r < 0) {
		json_decref(claims);
		return r;
	}
	*ret_claims = claims;
	return 0;
}

int tdx_verify_quote(attest_verifier *tdx, const uint8_t *quote, size_t len,
                     const uint8_t *report_data, size_t report_data_len, json_t **ret_claims,
                     cc_error **err)
{
	if (tdx == NULL || tdx->ops != &tdx_ops)
		return cc_error_set(err, -EINVAL, "tdx_verify_quote: not a tdx verifier");
	dcap_quote q;
	return verify_quote((dcap_verifier *)tdx, quote, len, report_data, report_data_len, &q,
	                    ret_claims, err);
}

/* A base64 member of the evidence; *ret NULL when absent, null or "" and
 * not required. */
static int get_b64(const json_t *ev, const char *key, int required, size_t max, uint8_t **ret,
                   size_t *ret_len, cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	json_t *m = json_object_get(ev, key);
	if (m == NULL || json_is_null(m) || (json_is_string(m) && json_string_length(m) == 0)) {
		if (required)
			return cc_error_set(err, -EINVAL, "evidence: %s is missing or empty", key);
		return 0;
	}
	if (!json_is_string(m))
		return cc_error_set(err, -EINVAL, "evidence: %s is not a string", key);
	size_t len = json_string_length(m);
	if (len > (max + 2) / 3 * 4)
		return cc_error_set(err, -E2BIG, "oversized %s: %zu base64 characters, more than %zu bytes",
		                    key, len, max);
	int r = tpm_b64_decode(json_string_value(m), len, max, ret, ret_len);
	if (r == -ENOMEM)
		return cc_error_set(err, r, "out of memory");
	if (r == -E2BIG)
		return cc_error_set(err, r, "oversized %s: more than %zu bytes", key, max);
	if (r < 0)
		return cc_error_set(err, r, "evidence: %s is not canonical standard base64", key);
	return 0;
}

int tdx_ccel_check(const dcap_quote *q, const uint8_t *ccel, size_t len, json_t *claims,
                   cc_error **err)
{
	eventlog *l;
	int r = eventlog_parse(ccel, len, EVENTLOG_CCEL, &l, err);
	if (r < 0)
		return cc_error_wrap(err, "cc_eventlog");
	for (unsigned i = 0; r == 0 && i < EVENTLOG_CCEL_RTMRS; i++)
		r = eventlog_check_register(l, EVENTLOG_ALG_SHA384, i,
		                            q->body + TDX_RTMR0_OFF + 48u * i, 48, err);
	json_t *j = NULL;
	if (r == 0)
		r = eventlog_to_json(l, &j, err);
	eventlog_free(l);
	if (r < 0)
		return r;
	json_t *logs = json_object_get(j, "uefi_event_logs");
	if (logs != NULL && json_object_set(claims, "uefi_event_logs", logs) < 0)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	json_decref(j);
	return r;
}

static int dv_evaluate(attest_verifier *base, const json_t *evidence, const uint8_t *report_data,
                       size_t report_data_len, const uint8_t *init_data, size_t init_data_len,
                       json_t **ret_claims, cc_error **err)
{
	dcap_verifier *v = (dcap_verifier *)base;
	if (!json_is_object(evidence))
		return cc_error_set(err, -EINVAL, "evidence: not a JSON object");
	uint8_t *quote = NULL, *ccel = NULL;
	size_t quote_len, ccel_len;
	int r = get_b64(evidence, "quote", 1, CC_TDX_MAX_QUOTE_BYTES, &quote, &quote_len, err);
	if (r == 0 && v->tdx)
		r = get_b64(evidence, "cc_eventlog", 0, CC_TDX_MAX_CCEL_BYTES, &ccel, &ccel_len, err);
	dcap_quote q;
	json_t *claims = NULL;
	if (r == 0)
		r = verify_quote(v, quote, quote_len, report_data, report_data_len, &q, &claims, err);
	if (r == 0 && init_data != NULL)
		r = check_padded("init_data mismatch", v->tdx ? "MRCONFIGID" : "CONFIGID",
		                 q.body + (v->tdx ? TDX_MR_CONFIG_ID_OFF : SGX_CONFIG_ID_OFF),
		                 v->tdx ? 48 : 64, init_data, init_data_len, err);
	if (r == 0 && ccel != NULL)
		r = tdx_ccel_check(&q, ccel, ccel_len, claims, err);
	free(quote);
	free(ccel);
	if (r < 0) {
		json_decref(claims);
		return r;
	}
	*ret_claims = claims;
	return 0;
}

static int dv_wrap_raw(attest_verifier *base, const uint8_t *raw, size_t len,
                       json_t **ret_evidence, cc_error **err)
{
	(void)base;
	if (len > CC_TDX_MAX_QUOTE_BYTES)
		return cc_error_set(err, -E2BIG, "oversized quote: %zu bytes, more than %u", len,
		                    CC_TDX_MAX_QUOTE_BYTES);
	char *b64 = tpm_b64_encode(raw, len);
	json_t *ev = b64 != NULL ? json_pack("{s:s}", "quote", b64) : NULL;
	free(b64);
	if (ev == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret_evidence = ev;
	return 0;
}

static const attest_verifier_ops tdx_ops = {
	.tee = "tdx",
	.tee_class = "cpu",
	.evaluate = dv_evaluate,
	.wrap_raw = dv_wrap_raw,
	.free = dv_free,
};

static const attest_verifier_ops sgx_ops = {
	.tee = "sgx",
	.tee_class = "cpu",
	.evaluate = dv_evaluate,
	.wrap_raw = dv_wrap_raw,
	.free = dv_free,
};
