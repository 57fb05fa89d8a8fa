/* The built-in attestation service's evaluation (as.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "ear.h"
#include "initdata.h"
#include "jose_util.h"
#include "verifiers.h"

/* Additional device evidence an Attestation may carry. */
#define MAX_DEVICES 16

/* Moves claims[key] (a string) to out[key] and sets out[extra] = extra_v
 * (null when NULL). Nothing when claims has no key. */
static int lift(json_t *claims, json_t *out, const char *key, const char *extra,
                json_t *extra_v, cc_error **err)
{
	json_t *v = json_object_get(claims, key);
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "verifier claim %s is not a string", key);
	if (json_object_set(out, key, v) < 0 ||
	    json_object_set(out, extra, extra_v != NULL ? extra_v : json_null()) < 0 ||
	    json_object_del(claims, key) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int kbs_as_annotate(json_t *claims, const char *tee, json_t *runtime_data,
                    json_t *init_data_claims, json_t **ret, cc_error **err)
{
	json_t *out = json_object();
	int r = out != NULL ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && !json_is_object(claims))
		r = cc_error_set(err, -EINVAL, "verifier claims are not an object");
	if (r == 0)
		r = lift(claims, out, "report_data", "runtime_data_claims", runtime_data, err);
	if (r == 0)
		r = lift(claims, out, "init_data", "init_data_claims", init_data_claims, err);
	if (r == 0 && json_object_set(out, tee, claims) < 0)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	json_decref(claims);
	if (r < 0) {
		json_decref(out);
		return r;
	}
	*ret = out;
	return 0;
}

/* Verifies one piece of evidence and annotates its claims. */
static int verify_one(struct kbs_worker *w, const char *tee, const json_t *evidence,
                      json_t *runtime_data, const uint8_t digest[48],
                      const struct kbs_initdata *init, struct kbs_ear_evidence *ret,
                      cc_error **err)
{
	attest_verifier *v = kbs_verifiers_get(w->ctx->verifiers, tee);
	if (v == NULL)
		return cc_error_set(err, -ENOTSUP, "this KBS has no verifier for tee %.32s", tee);
	json_t *claims = NULL;
	int r = attest_verifier_evaluate(v, evidence, digest, 48,
	                                 init != NULL ? init->digest : NULL,
	                                 init != NULL ? init->digest_len : 0, &claims, err);
	if (r < 0)
		return cc_error_wrap(err, "Verifier evaluate failed");
	if (!w->ctx->cfg.verbose_token)
		json_object_del(runtime_data, "additional-evidence");
	r = kbs_as_annotate(claims, tee, runtime_data, init != NULL ? init->claims : NULL,
	                    &ret->annotated, err);
	ret->tee_class = attest_verifier_tee_class(v);
	return r;
}

/* The additional_evidence string: a JSON object tee -> evidence, each
 * bound to {"tee-pubkey","nonce"}. */
static int verify_devices(struct kbs_worker *w, const struct kbs_attestation *a,
                          struct kbs_ear_evidence *ev, size_t *n, cc_error **err)
{
	json_t *map = NULL;
	int r = cj_json_parse(a->additional_evidence, strlen(a->additional_evidence),
	                      KBS_MAX_JSON_BODY, &map, "additional_evidence", err);
	if (r == 0 && !json_is_object(map))
		r = cc_error_set(err, -EINVAL, "additional_evidence is not a JSON object");
	if (r == 0 && json_object_size(map) > MAX_DEVICES)
		r = cc_error_set(err, -E2BIG, "additional_evidence has more than %d entries",
		                 MAX_DEVICES);
	const char *tee;
	json_t *evid;
	if (r == 0)
		json_object_foreach(map, tee, evid) {
			json_t *rd = NULL;
			uint8_t dg[48];
			if (!kbs_rcar_known_tee(tee))
				r = cc_error_set(err, -EINVAL, "additional_evidence: unknown tee \"%.32s\"",
				                 tee);
			if (r == 0)
				r = kbs_runtime_data(a->tee_pubkey, a->nonce, NULL, &rd, dg, err);
			if (r == 0)
				r = verify_one(w, tee, evid, rd, dg, NULL, &ev[*n], err);
			json_decref(rd);
			if (r < 0) {
				cc_error_wrap(err, "additional evidence %.32s", tee);
				break;
			}
			(*n)++;
		}
	json_decref(map);
	return r;
}

int kbs_as_evaluate(struct kbs_worker *w, const char *tee, const struct kbs_attestation *a,
                    char **ret_token, cc_error **err)
{
	struct kbs_ear_evidence ev[1 + MAX_DEVICES] = {{0}};
	size_t n = 0;
	struct kbs_initdata init = {0};
	json_t *rd = NULL;
	uint8_t dg[48];
	/* (the tee-pubkey was checked when the Attestation was parsed) */
	int r = kbs_runtime_data(a->tee_pubkey, a->nonce, a->additional_evidence, &rd, dg, err);
	if (r == 0 && a->init_data_format != NULL)
		r = kbs_initdata_parse(a->init_data_format, a->init_data_body, a->init_data_body_len,
		                       &init, err);
	if (r == 0)
		r = verify_one(w, tee, a->primary_evidence, rd, dg,
		               a->init_data_format != NULL ? &init : NULL, &ev[n], err);
	if (r == 0)
		n++;
	if (r == 0 && a->additional_evidence[0] != '\0')
		r = verify_devices(w, a, ev, &n, err);
	if (r == 0)
		r = kbs_ear_issue(w, ev, n, ret_token, err);
	for (size_t i = 0; i < n; i++)
		json_decref(ev[i].annotated);
	json_decref(rd);
	kbs_initdata_clear(&init);
	return r;
}
