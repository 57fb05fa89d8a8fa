/* POST /kbs/v0/auth and POST /kbs/v0/attest (rcar.h; trustee.md §1.3-§1.5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "as.h"
#include "cocoon/limits.h"
#include "errors.h"
#include "jose_util.h"
#include "metrics.h"
#include "rcar.h"
#include "session.h"

static int json_reply(struct kbs_reply *rep, json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	int r = s != NULL ? cc_buf_adds(&rep->body, s) : -ENOMEM;
	if (s != NULL)
		cj_free_secret(s, strlen(s));
	rep->content_type = "application/json";
	return r;
}

static int set_cookie(struct kbs_reply *rep, const struct kbs_session *s)
{
	rep->set_cookie = kbs_session_cookie(s);
	return rep->set_cookie != NULL ? 0 : -ENOMEM;
}

void kbs_rcar_auth(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep)
{
	cc_error *e = NULL;
	json_t *request = NULL;
	const char *tee = NULL;
	struct kbs_session s = {0};
	struct kbs_worker *w;
	kbs_metrics_inc(ctx->metrics, KBS_M_AUTH_REQUESTS);
	int r = kbs_rcar_parse_request(req->body, req->body_len, &request, &tee, &e);
	if (r == 0 && atomic_load(&ctx->live_sessions) >= CC_KBS_MAX_SESSIONS)
		r = cc_error_set(&e, -EBUSY, "%u sessions are live already: try again later",
		                 CC_KBS_MAX_SESSIONS);
	if (r == 0)
		r = kbs_session_new(request, tee, kbs_ctx_now(ctx),
		                    (int64_t)ctx->cfg.session_timeout_min * 60, &s, &e);
	if (r == 0)
		r = kbs_worker_get(ctx, &w, &e);
	if (r == 0)
		r = kbs_session_put(w->store, &s, &e);
	if (r == 0) {
		atomic_fetch_add(&ctx->live_sessions, 1);
		rep->tee = kbs_metrics_tee_label(tee);
		/* extra-params is "" for every TEE this KBS verifies (se aside) */
		r = json_reply(rep, json_pack("{s:s,s:s}", "nonce", s.nonce, "extra-params", ""));
		if (r == 0)
			r = set_cookie(rep, &s);
		if (r < 0)
			r = cc_error_set(&e, r, "out of memory");
	}
	json_decref(request);
	kbs_session_clear(&s);
	if (r < 0) {
		kbs_metrics_inc(ctx->metrics, KBS_M_AUTH_ERRORS);
		kbs_fail_err(rep, KBS_E_ATTESTATION, "RCAR handshake Auth failed", e);
		return;
	}
	kbs_metrics_inc(ctx->metrics, KBS_M_AUTH_SUCCESSES);
}

/* The nonce must be the session's (a foreign or replayed one fails). */
static bool same_nonce(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* Verifies the evidence and turns the session Attested. */
static int attest(struct kbs_worker *w, struct kbs_session *s, const struct kbs_attestation *a,
                  struct kbs_reply *rep, bool *ret_failed, cc_error **err)
{
	kbs_ctx *ctx = w->ctx;
	char *token = NULL;
	if (!same_nonce(s->nonce, a->nonce))
		return cc_error_set(err, -EPERM,
		                    "the nonce in the handshake session is different from the client "
		                    "side in KBS protocol's Attestation message");
	rep->tee = kbs_metrics_tee_label(s->tee);
	int r = kbs_as_evaluate(w, s->tee, a, &token, err);
	if (r < 0) {
		*ret_failed = true; /* counted as a failure of the tee, not an error */
		kbs_metrics_tee(ctx->metrics, KBS_M_ATTESTATION_FAILURES, s->tee);
		/* a nonce is good for one attempt: a failed one ends the session */
		bool existed = false;
		kbs_store_delete(w->store, KBS_NS_SESSION, s->id, KBS_SESSION_ID_LEN, &existed, NULL);
		uint_fast64_t live = atomic_load(&ctx->live_sessions);
		while (existed && live > 0 &&
		       !atomic_compare_exchange_weak(&ctx->live_sessions, &live, live - 1))
			;
		return cc_error_wrap(err, "verify TEE evidence failed");
	}
	kbs_metrics_tee(ctx->metrics, KBS_M_ATTESTATION_SUCCESSES, s->tee);
	r = kbs_session_attest(s, token, err);
	if (r == 0)
		r = kbs_session_put(w->store, s, err);
	cj_free_secret(token, strlen(token));
	return r;
}

void kbs_rcar_attest(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep)
{
	cc_error *e = NULL;
	struct kbs_attestation a = {0};
	struct kbs_session s = {0};
	struct kbs_worker *w = NULL;
	bool failed = false;
	kbs_metrics_inc(ctx->metrics, KBS_M_ATTESTATION_REQUESTS);
	int r = req->session_id != NULL
	                ? 0
	                : cc_error_set(&e, -ENOENT, "no " KBS_SESSION_COOKIE " cookie: POST "
	                                            "/kbs/v0/auth first");
	if (r == 0)
		r = kbs_rcar_parse_attestation(req->body, req->body_len, &a, &e);
	if (r == 0)
		r = kbs_worker_get(ctx, &w, &e);
	if (r == 0)
		r = kbs_session_get(w->store, req->session_id, req->session_id_len, kbs_ctx_now(ctx), &s,
		                    &e);
	/* an attested session answers with its token, as Trustee does */
	if (r == 0 && !s.attested)
		r = attest(w, &s, &a, rep, &failed, &e);
	if (r == 0) {
		r = json_reply(rep, json_pack("{s:s}", "token", s.token));
		if (r == 0)
			r = set_cookie(rep, &s);
		if (r < 0)
			r = cc_error_set(&e, r, "out of memory");
	}
	kbs_attestation_clear(&a);
	kbs_session_clear(&s);
	if (r < 0) {
		if (!failed)
			kbs_metrics_inc(ctx->metrics, KBS_M_ATTESTATION_ERRORS);
		kbs_fail_err(rep, KBS_E_ATTESTATION, "RCAR handshake Attest failed", e);
	}
}
