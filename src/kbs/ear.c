/* EAR tokens (ear.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_policy.h"
#include "ear.h"

/* rust-ear's trust vector, in its serialization order (claim keys 0..7). */
static const char *const claim_names[] = {
	"instance-identity", "configuration", "executables",    "file-system",
	"hardware",          "runtime-opaque", "storage-opaque", "sourced-data",
};
#define N_CLAIMS (sizeof(claim_names) / sizeof(claim_names[0]))

const char *kbs_ear_tier(int v)
{
	if (v >= -1 && v <= 1)
		return "none";
	if (v >= -32 && v <= 31)
		return "affirming";
	if (v >= -96 && v <= 95)
		return "warning";
	return "contraindicated";
}

static int tier_rank(int v)
{
	const char *t = kbs_ear_tier(v);
	return strcmp(t, "none") == 0 ? 0 : strcmp(t, "affirming") == 0 ? 1
	                                   : strcmp(t, "warning") == 0   ? 2
	                                                                 : 3;
}

/* The trust vector object (set claims only) and the worst tier. */
static int trust_vector(const json_t *tc, json_t **ret_tv, const char **ret_status,
                        cc_error **err)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)tc, k, v) {
		bool known = false;
		for (size_t i = 0; i < N_CLAIMS; i++)
			known = known || strcmp(k, claim_names[i]) == 0;
		if (!known)
			return cc_error_set(err, -EINVAL, "trust_claims: unknown claim \"%.64s\"", k);
		if (!json_is_integer(v) || json_integer_value(v) < -128 || json_integer_value(v) > 127)
			return cc_error_set(err, -EINVAL,
			                    "trust_claims: %s is not an integer in -128..127", k);
	}
	json_t *tv = json_object();
	int worst = -1, worst_v = 0;
	for (size_t i = 0; tv != NULL && i < N_CLAIMS; i++) {
		json_t *c = json_object_get(tc, claim_names[i]);
		if (c == NULL)
			continue;
		int val = (int)json_integer_value(c);
		if (json_object_set_new(tv, claim_names[i], json_integer(val)) < 0) {
			json_decref(tv);
			tv = NULL;
		}
		if (tier_rank(val) > worst) {
			worst = tier_rank(val);
			worst_v = val;
		}
	}
	if (tv == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (worst < 0) {
		json_decref(tv);
		return cc_error_set(err, -EINVAL, "At least one policy claim must be set.");
	}
	*ret_tv = tv;
	*ret_status = kbs_ear_tier(worst_v);
	return 0;
}

static bool reserved_name(const char *n)
{
	return strcmp(n, "ear.status") == 0 || strcmp(n, "ear.trustworthiness-vector") == 0 ||
	       strcmp(n, "ear.appraisal-policy-id") == 0 ||
	       strcmp(n, "ear.veraison.annotated-evidence") == 0;
}

static int add_extensions(json_t *sub, const json_t *ext, cc_error **err)
{
	size_t i;
	json_t *e;
	json_array_foreach((json_t *)ext, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *key = json_object_get(e, "key"), *val = json_object_get(e, "value");
		if (name == NULL || !json_is_integer(key) || val == NULL)
			return cc_error_set(err, -EINVAL, "extensions[%zu]: needs string name, integer "
			                                  "key and a value", i);
		if (reserved_name(name) || json_object_get(sub, name) != NULL)
			return cc_error_set(err, -EINVAL, "extensions[%zu]: \"%.64s\" is taken", i, name);
		if (json_object_set(sub, name, val) < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int kbs_ear_appraisal(const json_t *trust_claims, const json_t *extensions, json_t *annotated,
                      json_t **ret, cc_error **err)
{
	json_t *tv = NULL;
	const char *status;
	int r = trust_vector(trust_claims, &tv, &status, err);
	if (r < 0)
		return r;
	json_t *sub = json_pack("{s:s,s:o,s:s,s:O}", "ear.status", status,
	                        "ear.trustworthiness-vector", tv, "ear.appraisal-policy-id", "default",
	                        "ear.veraison.annotated-evidence", annotated);
	if (sub == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (extensions != NULL && (r = add_extensions(sub, extensions, err)) < 0) {
		json_decref(sub);
		return r;
	}
	*ret = sub;
	return 0;
}

/* The submodule of ev: policy default_<class> on its annotated evidence. */
static int appraise(struct kbs_worker *w, const struct kbs_ear_evidence *ev, json_t **ret,
                    cc_error **err)
{
	char id[64];
	snprintf(id, sizeof(id), "default_%s", ev->tee_class);
	char *input = json_dumps(ev->annotated, JSON_COMPACT);
	if (input == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	json_t *tc = NULL, *ext = NULL;
	int r = kbs_as_policy_eval(w, id, input, &tc, &ext, err);
	free(input);
	if (r == 0 && (r = kbs_ear_appraisal(tc, ext, ev->annotated, ret, err)) < 0)
		cc_error_wrap(err, "attestation policy %s", id);
	json_decref(tc);
	json_decref(ext);
	return r;
}

static int submods(struct kbs_worker *w, const struct kbs_ear_evidence *ev, size_t n,
                   json_t **ret, cc_error **err)
{
	json_t *subs = json_object();
	if (subs == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		/* index = how many earlier pieces share the class */
		unsigned idx = 0;
		for (size_t j = 0; j < i; j++)
			idx += strcmp(ev[j].tee_class, ev[i].tee_class) == 0;
		char name[64];
		snprintf(name, sizeof(name), "%s%u", ev[i].tee_class, idx);
		json_t *sub = NULL;
		int r = appraise(w, &ev[i], &sub, err);
		if (r == 0 && json_object_set_new(subs, name, sub) < 0)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		if (r < 0) {
			json_decref(subs);
			return r;
		}
	}
	*ret = subs;
	return 0;
}

int kbs_ear_issue(struct kbs_worker *w, const struct kbs_ear_evidence *ev, size_t n,
                  char **ret_token, cc_error **err)
{
	const struct kbs_config *c = &w->ctx->cfg;
	json_t *subs = NULL;
	int r = submods(w, ev, n, &subs, err);
	if (r < 0)
		return r;
	int64_t iat = kbs_ctx_now(w->ctx);
	json_t *ear = json_pack("{s:s,s:I,s:{s:s,s:s},s:o,s:I,s:s}", "eat_profile", c->profile_name,
	                        "iat", (json_int_t)iat, "ear.verifier-id", "developer",
	                        c->developer_name, "build", c->build_name, "submods", subs, "exp",
	                        (json_int_t)(iat + (int64_t)c->token_duration_min * 60), "iss",
	                        c->issuer_name);
	if (ear == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	r = cj_jwt_sign(w->ctx->signer, "ES256", CJ_JWS_EMBED_JWK, ear, ret_token, err);
	json_decref(ear);
	return r < 0 ? cc_error_wrap(err, "signing the EAR token") : 0;
}
