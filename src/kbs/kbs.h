/* cocoon-kbs internals: the server's shared state, a request as the
 * handlers see it, and the reply they fill (docs/kbs.md, "Design").
 *
 * The HTTP adapter (http.c) turns a lib/httpd request into a kbs_request
 * and a kbs_reply into the answer; everything between (router.c and the
 * handlers) is plain C over these structs, so that the fuzz targets and
 * unit tests drive it without a socket. Handlers run on the HTTP worker
 * threads; what they need per thread (a store handle, compiled policies)
 * is in the kbs_worker worker.c keeps for each. */
#ifndef COCOON_KBS_H
#define COCOON_KBS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/buf.h"
#include "cocoon/error.h"
#include "cocoon/log.h"
#include "config.h"
#include "jose_jwk.h"
#include "jose_jwt.h"
#include "store.h"

struct kbs_admin;
struct kbs_metrics;
struct kbs_verifiers;
struct kbs_worker;

typedef struct kbs_ctx {
	struct kbs_config cfg;
	char *state_dir;
	int state_fd;
	char *store_path;
	kbs_store *store; /* the main thread's handle (start-up, sweeps) */
	cc_log *log;

	cj_jwk *signer;               /* EAR signing key */
	char *signer_x, *signer_y;    /* its public coordinates (base64url) */
	cj_verifier *token_verifier;  /* resource GET: our signer + [attestation_token] */
	struct kbs_admin *admin;
	struct kbs_verifiers *verifiers;
	struct kbs_metrics *metrics;

	pthread_key_t worker_key;
	bool worker_key_made;
	/* Bumped when a policy is stored, so every worker recompiles. */
	atomic_uint_fast64_t res_policy_gen;
	atomic_uint_fast64_t as_policy_gen;
	/* Bumped when token_verifier, signer or extra_teekey_paths change, so
	 * every worker empties its token cache (token_cache.h). All three
	 * are fixed at start today; whatever replaces one must bump this. */
	atomic_uint_fast64_t token_trust_gen;
	/* Sessions this process knows to be live (sweeps recount them). */
	atomic_uint_fast64_t live_sessions;
	/* Tests: a fixed clock (0 = the real one). */
	int64_t fixed_now;
} kbs_ctx;

/* A request as handlers see it. Strings are NUL-terminated and borrowed
 * for the duration of the call. */
struct kbs_request {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* percent-decoded, starts with '/' */
	const char *query;  /* as sent, or NULL */
	const uint8_t *body;
	size_t body_len;
	/* The kbs-session-id cookie (NULL: none or unparsable). */
	const char *session_id;
	size_t session_id_len;
	/* The Bearer token (NULL: none); bearer_err < 0 when an Authorization
	 * field was there but not a usable Bearer token. */
	const char *bearer;
	size_t bearer_len;
	int bearer_err;
};

/* What a handler answers. */
struct kbs_reply {
	int status;               /* 200 unless an error set it */
	const char *content_type; /* static, or NULL for none */
	cc_buf body;
	char *set_cookie; /* Set-Cookie value, owned */
	/* The error, for the log line (never a secret). */
	const char *err_variant;
	char *err_detail;
	/* Metrics labels filled by handlers. */
	const char *tee; /* static */
};

void kbs_reply_init(struct kbs_reply *r);
void kbs_reply_free(struct kbs_reply *r);

/* Time now: ctx->fixed_now or the real clock. */
int64_t kbs_ctx_now(const kbs_ctx *ctx);

/* Routes one request (router.c). Never fails: errors become Trustee
 * error replies. */
void kbs_route(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep);

#endif
