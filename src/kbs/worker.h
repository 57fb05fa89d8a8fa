/* What each thread that serves requests keeps for itself (worker.c): its
 * own store handle (SQLite reads then run in parallel), the Rego engines
 * of the resource policy and the attestation policies it compiled,
 * recompiled when a policy changes (the ctx's generation counters move),
 * and the tokens it verified (token_cache.h).
 * Rego engines are not thread-safe, hence one set per thread. Freed when
 * the thread exits (a pthread key destructor) or with the ctx. */
#ifndef COCOON_KBS_WORKER_H
#define COCOON_KBS_WORKER_H

#include "cocoon/limits.h"
#include "cocoon/rego.h"
#include "kbs.h"
#include "token_cache.h"

struct kbs_as_engine {
	char *policy_id;
	rego_engine *engine;
	uint64_t gen;
};

/* TEE keys parsed from tokens, kept by their JSON text: a guest asks for
 * several resources with one token, and parsing (with OpenSSL 3's point
 * checks) is a good part of a request's cost. */
#define KBS_TEEKEY_CACHE 8u

struct kbs_teekey {
	char *json;
	cj_jwk *key;
};

struct kbs_worker {
	kbs_ctx *ctx;
	kbs_store *store;
	rego_engine *res_engine; /* the resource policy, compiled */
	uint64_t res_gen;
	/* What res_engine holds from the last evaluation, so that the next
	 * one with the same token (kbs_token_entry_id; 0 = none) or the same
	 * data text does not parse it again. */
	uint64_t res_input_id;
	char *res_data;
	kbs_token_cache *tokens; /* verified tokens (token_cache.h) */
	struct kbs_as_engine as[CC_KBS_MAX_CACHED_POLICIES];
	struct kbs_teekey teekeys[KBS_TEEKEY_CACHE];
	unsigned teekey_next;
};

/* The calling thread's worker for ctx, made on first use. */
int kbs_worker_get(kbs_ctx *ctx, struct kbs_worker **ret, cc_error **err);

/* The parsed TEE key of tee-pubkey object pub (cj_jwk_from_tee_pubkey),
 * from the worker's cache; *ret is borrowed until the next call. */
int kbs_worker_teekey(struct kbs_worker *w, const json_t *pub, const cj_jwk **ret,
                      cc_error **err);

/* Creates ctx->worker_key (kbs_worker_get needs it) / deletes it. */
int kbs_worker_key_create(kbs_ctx *ctx, cc_error **err);
void kbs_worker_key_delete(kbs_ctx *ctx);

/* Frees the calling thread's worker now (the main thread, before the ctx
 * goes away). */
void kbs_worker_release(kbs_ctx *ctx);

/* A new engine for the KBS's policies (v1, the KBS's step and memory
 * caps) holding module name compiled from src; host (may be NULL) is
 * registered as query_reference_value(id) with host_ctx first. */
int kbs_rego_compile(const char *name, const char *src, size_t len, rego_host_fn host,
                     void *host_ctx, rego_engine **ret, cc_error **err);

#endif
