/* Attestation policies (as_policy.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_policy.h"
#include "cocoon/limits.h"
#include "embedded.h"
#include "errors.h"
#include "jose_util.h"
#include "rvps.h"

bool kbs_as_policy_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* query_reference_value(id): the RVPS value, or null. ctx is the worker
 * (NULL while a policy is only being checked). */
static int query_reference_value(void *ctx, const char *const *args, size_t nargs, char **ret,
                                 cc_error **err)
{
	struct kbs_worker *w = ctx;
	json_t *id = nargs == 1 ? json_loads(args[0], JSON_DECODE_ANY, NULL) : NULL;
	if (!json_is_string(id)) {
		json_decref(id);
		return cc_error_set(err, -EINVAL, "query_reference_value: the id must be a string");
	}
	json_t *v = NULL;
	int r = w != NULL ? kbs_rvps_query(w->store, json_string_value(id), json_string_length(id),
	                                   &v, err)
	                  : -ENOENT;
	json_decref(id);
	if (r < 0 && r != -ENOENT)
		return r;
	*ret = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("null");
	json_decref(v);
	return *ret != NULL ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
}

static int engine_new(struct kbs_worker *w, const char *id, const char *src, size_t len,
                      rego_engine **ret, cc_error **err)
{
	char name[160];
	snprintf(name, sizeof(name), "%s.rego", id);
	return kbs_rego_compile(name, src, len, query_reference_value, w, ret, err);
}

int kbs_as_policy_check(const char *id, const char *src, size_t len, cc_error **err)
{
	rego_engine *e = NULL;
	int r = engine_new(NULL, id, src, len, &e, err);
	rego_engine_free(e);
	return r;
}

int kbs_as_policy_install_defaults(kbs_store *st, cc_error **err)
{
	static const struct {
		const char *id;
		const char *src;
		const size_t *len;
	} d[] = {{"default_cpu", kbs_policy_ear_cpu, &kbs_policy_ear_cpu_len},
	         {"default_gpu", kbs_policy_ear_gpu, &kbs_policy_ear_gpu_len}};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		cc_error *e = NULL;
		int r = kbs_store_put(st, KBS_NS_ATTESTATION_POLICY, d[i].id, strlen(d[i].id), d[i].src,
		                      *d[i].len, 0, KBS_PUT_CREATE, &e);
		if (r == -EEXIST) { /* installed before: never overwritten */
			cc_error_free(e);
			continue;
		}
		cc_error_move(err, &e);
		if (r < 0)
			return cc_error_wrap(err, "installing attestation policy %s", d[i].id);
	}
	return 0;
}

/* The worker's compiled engine for id, (re)built when a policy changed. */
static int engine_for(struct kbs_worker *w, const char *id, rego_engine **ret, cc_error **err)
{
	uint64_t gen = atomic_load(&w->ctx->as_policy_gen);
	struct kbs_as_engine *slot = NULL;
	for (size_t i = 0; i < CC_KBS_MAX_CACHED_POLICIES && slot == NULL; i++)
		if (w->as[i].policy_id != NULL && strcmp(w->as[i].policy_id, id) == 0)
			slot = &w->as[i];
	if (slot != NULL && slot->gen == gen) {
		*ret = slot->engine;
		return 0;
	}
	for (size_t i = 0; i < CC_KBS_MAX_CACHED_POLICIES && slot == NULL; i++)
		if (w->as[i].policy_id == NULL)
			slot = &w->as[i];
	if (slot == NULL)
		slot = &w->as[CC_KBS_MAX_CACHED_POLICIES - 1];
	free(slot->policy_id);
	rego_engine_free(slot->engine);
	memset(slot, 0, sizeof(*slot));
	uint8_t *src = NULL;
	size_t len = 0;
	int r = kbs_store_get(w->store, KBS_NS_ATTESTATION_POLICY, id, strlen(id), &src, &len, NULL,
	                      err);
	if (r == -ENOENT)
		return cc_error_set(err, r, "no attestation policy %.128s", id);
	if (r == 0)
		r = engine_new(w, id, (const char *)src, len, &slot->engine, err);
	kbs_store_value_free(src, len);
	if (r == 0 && (slot->policy_id = strdup(id)) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		rego_engine_free(slot->engine);
		memset(slot, 0, sizeof(*slot));
		return cc_error_wrap(err, "attestation policy %.128s", id);
	}
	slot->gen = gen;
	*ret = slot->engine;
	return 0;
}

/* data.policy.<rule> as JSON, NULL when undefined. */
static int eval_rule(rego_engine *e, const char *query, json_t **ret, cc_error **err)
{
	const rego_result *res;
	int r = rego_engine_eval(e, query, &res, err);
	if (r < 0)
		return r;
	*ret = NULL;
	if (rego_result_rows(res) == 0)
		return 0;
	char *s = rego_result_value_json(res, 0, 0);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = json_loads(s, JSON_DECODE_ANY, NULL);
	free(s);
	return *ret != NULL ? 0 : cc_error_set(err, -EINVAL, "%s: not JSON", query);
}

int kbs_as_policy_eval(struct kbs_worker *w, const char *id, const char *input_json,
                       json_t **ret_claims, json_t **ret_ext, cc_error **err)
{
	rego_engine *e;
	json_t *claims = NULL, *ext = NULL;
	int r = engine_for(w, id, &e, err);
	if (r == 0)
		r = rego_engine_set_input_json(e, input_json, strlen(input_json), err);
	if (r == 0)
		r = eval_rule(e, "data.policy.trust_claims", &claims, err);
	if (r == 0)
		r = eval_rule(e, "data.policy.extensions", &ext, err);
	rego_engine_clear_input(e);
	if (r == 0 && !json_is_object(claims))
		r = cc_error_set(err, -EINVAL, "data.policy.trust_claims is %s",
		                 claims == NULL ? "undefined" : "not an object");
	if (r == 0 && ext != NULL && !json_is_array(ext))
		r = cc_error_set(err, -EINVAL, "data.policy.extensions is not an array");
	if (r < 0) {
		json_decref(claims);
		json_decref(ext);
		return cc_error_wrap(err, "attestation policy %.128s", id);
	}
	*ret_claims = claims;
	*ret_ext = ext;
	return 0;
}

int kbs_as_policy_parse(const uint8_t *body, size_t len, char **ret_id, char **ret_src,
                        size_t *ret_len, cc_error **err)
{
	json_t *j = NULL;
	int r = cj_json_parse(body, len, CC_KBS_MAX_VALUE_BYTES, &j, "set policy request", err);
	if (r < 0)
		return r;
	const char *id = json_string_value(json_object_get(j, "policy_id"));
	const json_t *pol = json_object_get(j, "policy");
	const json_t *type = json_object_get(j, "type");
	uint8_t *src = NULL;
	size_t n = 0;
	if (!json_is_object(j) || id == NULL || !json_is_string(pol))
		r = cc_error_set(err, -EINVAL, "parse set policy request: needs string `policy_id` "
		                               "and `policy`");
	else if (type != NULL && !json_is_string(type))
		r = cc_error_set(err, -EINVAL, "parse set policy request: `type` is not a string");
	else if (!kbs_as_policy_id_ok(id))
		r = cc_error_set(err, -EINVAL, "policy_id \"%.64s\" is not 1 to 128 of [A-Za-z0-9_.-]",
		                 id);
	else
		r = cj_b64url_decode(json_string_value(pol), json_string_length(pol),
		                     CC_KBS_MAX_POLICY_BYTES, &src, &n, "policy", err);
	char *idc = r == 0 ? strdup(id) : NULL;
	json_decref(j);
	if (r == 0 && idc == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		free(src);
		return r;
	}
	*ret_id = idc;
	*ret_src = (char *)src;
	*ret_len = n;
	return 0;
}

void kbs_as_policy_post(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep)
{
	cc_error *e = NULL;
	char *id = NULL, *src = NULL;
	size_t len = 0;
	struct kbs_worker *w;
	int r = kbs_as_policy_parse(req->body, req->body_len, &id, &src, &len, &e);
	if (r == 0)
		r = kbs_as_policy_check(id, src, len, &e);
	if (r == 0)
		r = kbs_worker_get(ctx, &w, &e);
	if (r == 0)
		r = kbs_store_put(w->store, KBS_NS_ATTESTATION_POLICY, id, strlen(id), src, len, 0,
		                  KBS_PUT_OVERWRITE, &e);
	if (r == 0)
		atomic_fetch_add(&ctx->as_policy_gen, 1);
	free(id);
	free(src);
	if (r < 0)
		kbs_fail_err(rep, KBS_E_ATTESTATION, "Set Attestation Policy failed", e);
}
