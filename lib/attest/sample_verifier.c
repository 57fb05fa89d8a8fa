/* The `sample` verifier (sample_verifier.h): Trustee's
 * deps/verifier/src/sample, which only checks that the evidence carries the
 * expected report data. Evidence comes from the network: every member is
 * type-checked and the base64 is decoded strictly and bounded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sample_verifier.h"
#include "tpm_int.h"

struct sample_verifier {
	attest_verifier base;
};

/* A string member, NULL when absent; -EINVAL for another JSON type. */
static int opt_string(const json_t *ev, const char *key, const char **ret, cc_error **err)
{
	const json_t *v = json_object_get(ev, key);
	if (v == NULL) {
		*ret = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "sample evidence: \"%s\" is not a string", key);
	*ret = json_string_value(v);
	return 0;
}

/* Upstream: "REPORT_DATA is different from that in Sample Quote". */
static int check_report_data(const char *b64, const uint8_t *want, size_t want_len,
                             cc_error **err)
{
	uint8_t *got = NULL;
	size_t got_len = 0;
	int r = tpm_b64_decode(b64, strlen(b64), SAMPLE_MAX_REPORT_DATA, &got, &got_len);
	if (r == -ENOMEM)
		return cc_error_set(err, r, "out of memory");
	if (r < 0)
		return cc_error_set(err, r == -E2BIG ? -E2BIG : -EINVAL,
		                    "sample evidence: report_data is not standard base64%s",
		                    r == -E2BIG ? " of at most 4096 bytes" : "");
	bool same = got_len == want_len && CRYPTO_memcmp(got, want, want_len) == 0;
	free(got);
	if (!same)
		return cc_error_set(err, -EPERM, "REPORT_DATA is different from that in Sample Quote");
	return 0;
}

static int add(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0 ? 0 : -ENOMEM;
}

static int claims_of(const char *svn, const char *report_data, const uint8_t *init_data,
                     size_t init_data_len, json_t **ret, cc_error **err)
{
	json_t *c = json_object();
	json_t *pv = json_pack("{s:i,s:i}", "major", 1, "minor", 4);
	int r = c != NULL && pv != NULL ? 0 : -ENOMEM;
	if (r == 0)
		r = add(c, "svn", json_string(svn));
	if (r == 0)
		r = add(c, "report_data", json_string(report_data));
	if (r == 0)
		r = add(c, "launch_digest", json_string("abcde"));
	if (r == 0) {
		r = add(c, "platform_version", pv);
		pv = NULL;
	}
	if (r == 0)
		r = add(c, "debug", json_false());
	if (r == 0 && init_data != NULL) {
		char *b = tpm_b64_encode(init_data, init_data_len);
		r = b != NULL ? add(c, "init_data", json_string(b)) : -ENOMEM;
		free(b);
	}
	json_decref(pv);
	if (r < 0) {
		json_decref(c);
		return cc_error_set(err, r, "out of memory");
	}
	*ret = c;
	return 0;
}

static int sample_evaluate(attest_verifier *v, const json_t *evidence, const uint8_t *report_data,
                           size_t report_data_len, const uint8_t *init_data,
                           size_t init_data_len, json_t **ret_claims, cc_error **err)
{
	(void)v;
	if (!json_is_object(evidence))
		return cc_error_set(err, -EINVAL, "sample evidence: not a JSON object");
	const char *svn = NULL, *rd = NULL;
	int r = opt_string(evidence, "svn", &svn, err);
	if (r == 0)
		r = opt_string(evidence, "report_data", &rd, err);
	if (r < 0)
		return r;
	if (svn == NULL)
		return cc_error_set(err, -EINVAL, "sample evidence: missing field `svn`");
	if (rd == NULL)
		rd = ""; /* serde default */
	if (report_data != NULL && (r = check_report_data(rd, report_data, report_data_len, err)) < 0)
		return r;
	return claims_of(svn, rd, init_data, init_data_len, ret_claims, err);
}

static void sample_free(attest_verifier *v)
{
	free(v);
}

static const attest_verifier_ops sample_ops = {
	.tee = "sample",
	.tee_class = "cpu",
	.evaluate = sample_evaluate,
	.free = sample_free,
};

int sample_verifier_new(attest_verifier **ret, cc_error **err)
{
	struct sample_verifier *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	s->base.ops = &sample_ops;
	*ret = &s->base;
	return 0;
}
