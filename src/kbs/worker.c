/* Per-thread state of the threads that serve requests (worker.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	int r = kbs_store_sqlite_open(ctx->store_path, NULL, &w->store, err);
	if (r == 0 && pthread_setspecific(ctx->worker_key, w) != 0)
		r = cc_error_set(err, -ENOMEM, "pthread_setspecific failed");
	if (r < 0) {
		worker_free(w);
		return r;
	}
	*ret = w;
	return 0;
}
