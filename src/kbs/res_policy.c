/* The resource policy (res_policy.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "embedded.h"
#include "errors.h"
#include "jose_util.h"
#include "kbs_util.h"
#include "res_policy.h"

static int compile(const char *src, size_t len, rego_engine **ret, cc_error **err)
{
	return kbs_rego_compile("resource-policy.rego", src, len, NULL, NULL, ret, err);
}

int kbs_res_policy_check(const char *src, size_t len, cc_error **err)
{
	rego_engine *e = NULL;
	int r = compile(src, len, &e, err);
	rego_engine_free(e);
	return r;
}

int kbs_res_policy_install(const struct kbs_config *c, kbs_store *st, cc_error **err)
{
	char *text = NULL;
	size_t len = kbs_policy_resource_default_len;
	const char *src = kbs_policy_resource_default;
	int r = 0;
	if (c->policy_path != NULL) {
		r = cc_read_file(c->policy_path, CC_KBS_MAX_POLICY_BYTES, CC_READ_REGULAR, &text, &len, err);
		if (r == 0 && (r = kbs_res_policy_check(text, len, err)) < 0)
			cc_error_wrap(err, "[policy_engine] policy_path");
		src = text;
	}
	cc_error *e = NULL;
	if (r == 0)
		r = kbs_store_put(st, KBS_NS_KBS, KBS_RES_POLICY_KEY, strlen(KBS_RES_POLICY_KEY), src, len,
		                  0, KBS_PUT_CREATE, &e);
	free(text);
	if (r == -EEXIST) { /* installed before: never overwritten */
		cc_error_free(e);
		return 0;
	}
	cc_error_move(err, &e);
	return r < 0 ? cc_error_wrap(err, "installing the resource policy") : 0;
}

static int engine(struct kbs_worker *w, rego_engine **ret, cc_error **err)
{
	uint64_t gen = atomic_load(&w->ctx->res_policy_gen);
	if (w->res_engine != NULL && w->res_gen == gen) {
		*ret = w->res_engine;
		return 0;
	}
	rego_engine_free(w->res_engine);
	w->res_engine = NULL;
	w->res_input_id = 0;
	free(w->res_data);
	w->res_data = NULL;
	uint8_t *src = NULL;
	size_t len = 0;
	int r = kbs_store_get(w->store, KBS_NS_KBS, KBS_RES_POLICY_KEY, strlen(KBS_RES_POLICY_KEY),
	                      &src, &len, NULL, err);
	if (r == -ENOENT)
		return cc_error_set(err, r, "no resource policy is set");
	if (r == 0)
		r = compile((const char *)src, len, &w->res_engine, err);
	kbs_store_value_free(src, len);
	if (r < 0)
		return r;
	w->res_gen = gen;
	*ret = w->res_engine;
	return 0;
}

/* Sets the data document unless the engine holds this very text. */
static int set_data(struct kbs_worker *w, rego_engine *e, const char *data, cc_error **err)
{
	if (w->res_data != NULL && strcmp(w->res_data, data) == 0)
		return 0;
	free(w->res_data);
	w->res_data = NULL;
	int r = rego_engine_set_data_json(e, data, strlen(data), err);
	if (r == 0 && (w->res_data = strdup(data)) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	return r;
}

int kbs_res_policy_eval(struct kbs_worker *w, uint64_t input_id, const char *claims_json,
                        size_t claims_len, const char *data_json, bool *ret_allow,
                        cc_error **err)
{
	rego_engine *e;
	const rego_result *res;
	int r = engine(w, &e, err);
	if (r == 0)
		r = set_data(w, e, data_json, err);
	if (r == 0 && (input_id == 0 || input_id != w->res_input_id)) {
		w->res_input_id = 0;
		r = rego_engine_set_input_json(e, claims_json, claims_len, err);
		if (r == 0)
			w->res_input_id = input_id;
	}
	if (r == 0)
		r = rego_engine_eval(e, "data.policy.allow", &res, err);
	if (r == 0)
		*ret_allow = rego_result_is_true(res);
	return r;
}

int kbs_res_policy_parse(const uint8_t *body, size_t len, char **ret, size_t *ret_len,
                         cc_error **err)
{
	json_t *j = NULL;
	int r = cj_json_parse(body, len, CC_KBS_MAX_VALUE_BYTES, &j, "set resource policy request",
	                      err);
	if (r < 0)
		return r;
	const json_t *p = json_object_get(j, "policy");
	uint8_t *src = NULL;
	size_t n = 0;
	if (!json_is_object(j) || !json_is_string(p))
		r = cc_error_set(err, -EINVAL, "set resource policy request: needs a string `policy`");
	else
		r = cj_b64url_decode(json_string_value(p), json_string_length(p), CC_KBS_MAX_POLICY_BYTES,
		                     &src, &n, "policy", err);
	json_decref(j);
	if (r < 0)
		return r;
	*ret = (char *)src;
	*ret_len = n;
	return 0;
}

void kbs_res_policy_post(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep)
{
	cc_error *e = NULL;
	char *src = NULL;
	size_t len = 0;
	struct kbs_worker *w;
	int r = kbs_res_policy_parse(req->body, req->body_len, &src, &len, &e);
	if (r == 0)
		r = kbs_res_policy_check(src, len, &e);
	if (r < 0) {
		free(src);
		kbs_fail_err(rep, KBS_E_PARSE_POLICY, NULL, e);
		return;
	}
	r = kbs_worker_get(ctx, &w, &e);
	if (r == 0)
		r = kbs_store_put(w->store, KBS_NS_KBS, KBS_RES_POLICY_KEY, strlen(KBS_RES_POLICY_KEY),
		                  src, len, 0, KBS_PUT_OVERWRITE, &e);
	free(src);
	if (r < 0) {
		kbs_fail_err(rep, KBS_E_POLICY_ENGINE, "storing the resource policy", e);
		return;
	}
	atomic_fetch_add(&ctx->res_policy_gen, 1);
}

void kbs_res_policy_get(kbs_ctx *ctx, struct kbs_reply *rep)
{
	(void)ctx;
	rep->content_type = "application/json";
	if (cc_buf_adds(&rep->body, "[\"" KBS_RES_POLICY_KEY "\"]") < 0)
		kbs_fail(rep, KBS_E_POLICY_ENGINE, "out of memory");
}
