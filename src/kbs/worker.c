/* Per-thread state of the threads that serve requests (worker.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rcar.h"
#include "worker.h"

int kbs_rego_compile(const char *name, const char *src, size_t len, rego_host_fn host,
                     void *host_ctx, rego_engine **ret, cc_error **err)
{
	struct rego_options o;
	rego_options_default(&o);
	o.max_steps = CC_KBS_POLICY_MAX_STEPS;
	o.max_memory = CC_KBS_POLICY_MAX_MEMORY;
	o.max_policy_bytes = CC_KBS_MAX_POLICY_BYTES;
	rego_engine *e = rego_engine_new(&o);
	if (e == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = host != NULL ? rego_engine_register_function(e, "query_reference_value", 1, host,
	                                                     host_ctx, err)
	                     : 0;
	if (r == 0)
		r = rego_engine_add_policy(e, name, src, len, err);
	if (r == 0)
		r = rego_engine_compile(e, err);
	if (r < 0) {
		rego_engine_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

static void worker_free(void *p)
{
	struct kbs_worker *w = p;
	if (w == NULL)
		return;
	kbs_store_free(w->store);
	rego_engine_free(w->res_engine);
	free(w->res_data);
	kbs_token_cache_free(w->tokens);
	for (size_t i = 0; i < KBS_TEEKEY_CACHE; i++) {
		free(w->teekeys[i].json);
		cj_jwk_free(w->teekeys[i].key);
	}
	for (size_t i = 0; i < CC_KBS_MAX_CACHED_POLICIES; i++) {
		free(w->as[i].policy_id);
		rego_engine_free(w->as[i].engine);
	}
	free(w);
}

int kbs_worker_key_create(kbs_ctx *ctx, cc_error **err)
{
	int r = pthread_key_create(&ctx->worker_key, worker_free);
	if (r != 0)
		return cc_error_set(err, -r, "pthread_key_create: %s", strerror(r));
	ctx->worker_key_made = true;
	return 0;
}

void kbs_worker_release(kbs_ctx *ctx)
{
	if (!ctx->worker_key_made)
		return;
	worker_free(pthread_getspecific(ctx->worker_key));
	pthread_setspecific(ctx->worker_key, NULL);
}

void kbs_worker_key_delete(kbs_ctx *ctx)
{
	if (!ctx->worker_key_made)
		return;
	kbs_worker_release(ctx);
	pthread_key_delete(ctx->worker_key);
	ctx->worker_key_made = false;
}

int kbs_worker_teekey(struct kbs_worker *w, const json_t *pub, const cj_jwk **ret,
                      cc_error **err)
{
	char *text = json_dumps(pub, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < KBS_TEEKEY_CACHE; i++)
		if (w->teekeys[i].json != NULL && strcmp(w->teekeys[i].json, text) == 0) {
			free(text);
			*ret = w->teekeys[i].key;
			return 0;
		}
	cj_jwk *k = NULL;
	int r = kbs_tee_pubkey_parse(pub, &k, err);
	if (r < 0) {
		free(text);
		return r;
	}
	struct kbs_teekey *slot = &w->teekeys[w->teekey_next++ % KBS_TEEKEY_CACHE];
	free(slot->json);
	cj_jwk_free(slot->key);
	slot->json = text;
	slot->key = k;
	*ret = k;
	return 0;
}

int kbs_worker_get(kbs_ctx *ctx, struct kbs_worker **ret, cc_error **err)
{
	struct kbs_worker *w = pthread_getspecific(ctx->worker_key);
	if (w != NULL) {
		*ret = w;
		return 0;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	w->ctx = ctx;
	/* Sessions commit with synchronous=NORMAL: they survive a crash of the
	 * server, not a power loss (a lost one costs the guest a new RCAR);
	 * resources, policies and reference values stay FULL. */
	struct kbs_store_sqlite_options o;
	kbs_store_sqlite_options_default(&o);
	o.relaxed_sessions = true;
	int r = kbs_store_sqlite_open(ctx->store_path, &o, &w->store, err);
	if (r == 0)
		r = kbs_token_cache_new(&w->tokens, err);
	if (r == 0 && pthread_setspecific(ctx->worker_key, w) != 0)
		r = cc_error_set(err, -ENOMEM, "pthread_setspecific failed");
	if (r < 0) {
		worker_free(w);
		return r;
	}
	*ret = w;
	return 0;
}
