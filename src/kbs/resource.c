/* The resource plugin (resource.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "errors.h"
#include "jose_jwe.h"
#include "jose_util.h"
#include "metrics.h"
#include "res_policy.h"
#include "resource.h"
#include "session.h"
#include "token.h"
#include "worker.h"

static bool seg_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || (!first && c == '.');
}

bool kbs_resource_path_ok(const char *path)
{
	if (strlen(path) >= CC_KBS_MAX_KEY_BYTES)
		return false;
	int segs = 0;
	const char *p = path;
	for (;;) {
		if (!seg_char(*p, true))
			return false;
		for (p++; seg_char(*p, false); p++)
			;
		segs++;
		if (*p == '\0')
			return segs == 3;
		if (*p != '/' || segs == 3)
			return false;
		p++;
	}
}

/* The token of the request: the session's when its cookie names a live
 * attested session, else the Bearer token. *ret is a new string. */
static int request_token(struct kbs_worker *w, const struct kbs_request *req, char **ret)
{
	if (req->session_id != NULL) {
		struct kbs_session s;
		if (kbs_session_get(w->store, req->session_id, req->session_id_len,
		                    kbs_ctx_now(w->ctx), &s, NULL) == 0) {
			char *t = s.attested ? strdup(s.token) : NULL;
			kbs_session_clear(&s);
			if (t != NULL) {
				*ret = t;
				return 0;
			}
		}
	}
	if (req->bearer == NULL)
		return -ENOENT;
	*ret = strndup(req->bearer, req->bearer_len);
	return *ret != NULL ? 0 : -ENOMEM;
}

static json_t *policy_data(const char *path, const json_t *query)
{
	char a[1024];
	snprintf(a, sizeof(a), "%s", path);
	char *s1 = strchr(a, '/'), *s2 = s1 != NULL ? strchr(s1 + 1, '/') : NULL;
	if (s2 == NULL)
		return NULL;
	*s1 = *s2 = '\0';
	json_t *q = query != NULL ? json_incref((json_t *)query) : json_object();
	return json_pack("{s:s,s:[s,s,s],s:o}", "plugin", "resource", "resource-path", a, s1 + 1,
	                 s2 + 1, "query", q);
}

/* data.policy.allow for the token's claims and this request. */
static int authorize(struct kbs_worker *w, struct kbs_token_entry *tok, const char *path,
                     const json_t *query, struct kbs_reply *rep)
{
	struct kbs_metrics *m = w->ctx->metrics;
	cc_error *e = NULL;
	json_t *data = policy_data(path, query);
	char *dj = data != NULL ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	const char *cj = NULL;
	size_t cj_len = 0;
	bool allow = false;
	kbs_metrics_inc(m, KBS_M_POLICY_EVALUATIONS);
	int r = dj != NULL ? kbs_token_entry_input(tok, &cj, &cj_len, &e)
	                   : cc_error_set(&e, -ENOMEM, "out of memory");
	if (r == 0)
		r = kbs_res_policy_eval(w, kbs_token_entry_id(tok), cj, cj_len, dj, &allow, &e);
	free(dj);
	if (r < 0) {
		kbs_metrics_inc(m, KBS_M_POLICY_ERRORS);
		return kbs_fail_err(rep, KBS_E_POLICY_ENGINE, "resource policy", e);
	}
	if (!allow) {
		kbs_metrics_inc(m, KBS_M_POLICY_VIOLATIONS);
		return kbs_fail(rep, KBS_E_POLICY_DENY, "%s", "");
	}
	kbs_metrics_inc(m, KBS_M_POLICY_APPROVALS);
	return 0;
}

/* The TEE key of the token's claims: the entry's, or parsed (through the
 * worker's cache of parsed keys) and kept in the entry. */
static int teekey(struct kbs_worker *w, struct kbs_token_entry *tok, const cj_jwk **ret,
                  cc_error **err)
{
	const cj_jwk *k = kbs_token_entry_teekey(tok);
	if (k != NULL) {
		*ret = k;
		return 0;
	}
	const struct kbs_config *c = &w->ctx->cfg;
	const json_t *pub = NULL;
	cj_jwk *own = NULL;
	int r = kbs_token_teekey_json(kbs_token_entry_claims(tok), c->extra_teekey_paths,
	                              c->n_extra_teekey_paths, &pub, err);
	if (r < 0)
		return r;
	if ((r = kbs_worker_teekey(w, pub, &k, err)) < 0)
		return cc_error_wrap(err, "Failed to extract Tee public key from claims");
	if ((r = cj_jwk_dup(k, &own, err)) < 0)
		return r;
	kbs_token_entry_set_teekey(tok, own);
	*ret = own;
	return 0;
}

/* The resource encrypted to the token's TEE key. */
static int answer(struct kbs_worker *w, struct kbs_token_entry *tok, const char *path,
                  struct kbs_reply *rep)
{
	cc_error *e = NULL;
	uint8_t *val = NULL;
	size_t len = 0;
	int r = kbs_store_get(w->store, KBS_NS_REPOSITORY, path, strlen(path), &val, &len, NULL, &e);
	if (r == -ENOENT) {
		cc_error_free(e);
		return kbs_fail(rep, KBS_E_PLUGIN_INTERNAL, "resource %s not found", path);
	}
	if (r < 0)
		return kbs_fail_err(rep, KBS_E_PLUGIN_INTERNAL, "reading the resource", e);
	const cj_jwk *k = NULL;
	char *jwe = NULL;
	size_t jwe_len = 0;
	r = teekey(w, tok, &k, &e);
	if (r < 0) {
		kbs_store_value_free(val, len);
		return kbs_fail_err(rep, KBS_E_TOKEN_VERIFIER, NULL, e);
	}
	r = cj_jwe_encrypt(k, val, len, &jwe, &jwe_len, NULL, &e);
	kbs_store_value_free(val, len);
	if (r < 0)
		return kbs_fail_err(rep, KBS_E_JWE, NULL, e);
	r = cc_buf_add(&rep->body, jwe, jwe_len);
	free(jwe);
	if (r < 0)
		return kbs_fail(rep, KBS_E_JWE, "out of memory");
	rep->content_type = "application/json";
	kbs_metrics_resource(w->ctx->metrics, KBS_M_RESOURCE_READS, path);
	return 0;
}

/* The verified claims of token: from the worker's cache when this very
 * token verified before and its times still hold (checked again here),
 * else verified in full and cached. */
static int verified(struct kbs_worker *w, const char *token, size_t len,
                    struct kbs_token_entry **ret, cc_error **err)
{
	kbs_ctx *ctx = w->ctx;
	uint8_t digest[KBS_TOKEN_DIGEST_LEN];
	uint64_t gen = atomic_load(&ctx->token_trust_gen);
	int64_t now = kbs_ctx_now(ctx);
	int r = kbs_token_cache_digest(w->tokens, token, len, digest, err);
	if (r < 0)
		return r;
	struct kbs_token_entry *tok = kbs_token_cache_get(w->tokens, digest, gen, now);
	if (tok != NULL) {
		*ret = tok;
		return 0;
	}
	json_t *claims = NULL;
	int64_t until = INT64_MAX;
	r = kbs_token_verify(ctx->token_verifier, ctx->signer, ctx->signer_x, ctx->signer_y, token,
	                     len, now, &claims, &until, err);
	if (r < 0)
		return r;
	return kbs_token_cache_put(w->tokens, digest, gen, len, claims, until, now, ret, err);
}

void kbs_resource_get(kbs_ctx *ctx, const struct kbs_request *req, const char *path,
                      const json_t *query, struct kbs_reply *rep)
{
	cc_error *e = NULL;
	struct kbs_worker *w;
	if (kbs_worker_get(ctx, &w, &e) < 0) {
		kbs_fail_err(rep, KBS_E_PLUGIN_INTERNAL, NULL, e);
		return;
	}
	char *token = NULL;
	int r = request_token(w, req, &token);
	if (r < 0) {
		kbs_fail(rep, KBS_E_TOKEN_NOT_FOUND, "%s", "");
		return;
	}
	struct kbs_token_entry *tok = NULL;
	size_t len = strlen(token);
	r = verified(w, token, len, &tok, &e);
	cj_free_secret(token, len);
	if (r < 0) {
		kbs_fail_err(rep, KBS_E_TOKEN_VERIFIER, NULL, e);
		return;
	}
	if (authorize(w, tok, path, query, rep) == 0)
		answer(w, tok, path, rep);
}

void kbs_resource_post(kbs_ctx *ctx, const struct kbs_request *req, const char *path,
                       struct kbs_reply *rep)
{
	cc_error *e = NULL;
	struct kbs_worker *w;
	int r = kbs_worker_get(ctx, &w, &e);
	if (r == 0)
		r = kbs_store_put(w->store, KBS_NS_REPOSITORY, path, strlen(path), req->body,
		                  req->body_len, 0, KBS_PUT_OVERWRITE, &e);
	if (r < 0) {
		kbs_fail_err(rep, KBS_E_PLUGIN_INTERNAL, "writing the resource", e);
		return;
	}
	kbs_metrics_resource(ctx->metrics, KBS_M_RESOURCE_WRITES, path);
}

void kbs_resource_delete(kbs_ctx *ctx, const char *path, struct kbs_reply *rep)
{
	cc_error *e = NULL;
	struct kbs_worker *w;
	int r = kbs_worker_get(ctx, &w, &e);
	if (r == 0)
		r = kbs_store_delete(w->store, KBS_NS_REPOSITORY, path, strlen(path), NULL, &e);
	if (r < 0) {
		kbs_fail_err(rep, KBS_E_PLUGIN_INTERNAL, "deleting the resource", e);
		return;
	}
	kbs_metrics_resource(ctx->metrics, KBS_M_RESOURCE_DELETES, path);
}
