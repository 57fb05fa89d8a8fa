/* The server's state (server.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "as_policy.h"
#include "kbs_util.h"
#include "keys.h"
#include "metrics.h"
#include "res_policy.h"
#include "server.h"
#include "state.h"
#include "token.h"
#include "verifiers.h"
#include "worker.h"

int64_t kbs_ctx_now(const kbs_ctx *ctx)
{
	return ctx->fixed_now != 0 ? ctx->fixed_now : kbs_now();
}

static int count_sessions(kbs_store *st, uint64_t *ret, cc_error **err)
{
	uint64_t n = 0;
	char after[CC_KBS_MAX_KEY_BYTES];
	size_t after_len = 0;
	for (;;) {
		kbs_keylist *l = NULL;
		int r = kbs_store_list(st, KBS_NS_SESSION, after_len ? after : NULL, after_len, 0, &l,
		                       err);
		if (r < 0)
			return r;
		size_t c = kbs_keylist_count(l);
		n += c;
		bool more = kbs_keylist_more(l) && c > 0;
		if (more) {
			const uint8_t *k = kbs_keylist_key(l, c - 1, &after_len);
			memcpy(after, k, after_len);
		}
		kbs_keylist_free(l);
		if (!more)
			break;
	}
	*ret = n;
	return 0;
}

int kbs_ctx_sweep(kbs_ctx *ctx, uint64_t *ret_removed, cc_error **err)
{
	uint64_t removed = 0, live = 0;
	int r = kbs_store_sweep_expired(ctx->store, kbs_ctx_now(ctx), &removed, err);
	if (r == 0)
		r = count_sessions(ctx->store, &live, err);
	if (r < 0)
		return r;
	atomic_store(&ctx->live_sessions, live);
	if (ret_removed != NULL)
		*ret_removed = removed;
	return 0;
}

/* The admin identity: the state directory's key (also made when a
 * configured [admin] section does not use it, so that `admin-token`
 * exists as documented) and the authorization backend. */
static int admin_init(kbs_ctx *ctx, cc_error **err)
{
	char *pub = NULL;
	int r = kbs_keys_admin(ctx->state_fd, ctx->state_dir, &pub, err);
	if (r == 0)
		r = kbs_admin_new(&ctx->cfg, pub, &ctx->admin, err);
	free(pub);
	return r;
}

static int store_init(kbs_ctx *ctx, cc_error **err)
{
	if (asprintf(&ctx->store_path, "%s/%s", ctx->state_dir, KBS_STORE_FILE) < 0) {
		ctx->store_path = NULL;
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	struct kbs_store_sqlite_options o;
	kbs_store_sqlite_options_default(&o);
	o.relaxed_sessions = true;
	int r = kbs_store_sqlite_open(ctx->store_path, &o, &ctx->store, err);
	if (r == 0)
		r = kbs_as_policy_install_defaults(ctx->store, err);
	if (r == 0)
		r = kbs_res_policy_install(&ctx->cfg, ctx->store, err);
	uint64_t live = 0;
	if (r == 0)
		r = count_sessions(ctx->store, &live, err);
	atomic_store(&ctx->live_sessions, live);
	return r;
}

/* The signer's x and y, which its tokens' header jwk carries. */
static int signer_coords(kbs_ctx *ctx, cc_error **err)
{
	json_t *j = NULL;
	int r = cj_jwk_to_json(ctx->signer, 0, &j, err);
	if (r < 0)
		return r;
	ctx->signer_x = strdup(json_string_value(json_object_get(j, "x")));
	ctx->signer_y = strdup(json_string_value(json_object_get(j, "y")));
	json_decref(j);
	return ctx->signer_x != NULL && ctx->signer_y != NULL
	               ? 0
	               : cc_error_set(err, -ENOMEM, "out of memory");
}

int kbs_ctx_init(kbs_ctx *ctx, struct kbs_config *cfg, const char *state_dir, cc_log *log,
                 cc_error **err)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	ctx->state_fd = -1;
	ctx->log = log;
	ctx->state_dir = strdup(state_dir);
	ctx->metrics = kbs_metrics_new();
	if (ctx->state_dir == NULL || ctx->metrics == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = kbs_state_open(state_dir, &ctx->state_fd, err);
	if (r == 0)
		r = store_init(ctx, err);
	if (r == 0)
		r = admin_init(ctx, err);
	if (r == 0)
		r = kbs_keys_signer(&ctx->cfg, ctx->state_fd, ctx->state_dir, &ctx->signer, err);
	if (r == 0)
		r = signer_coords(ctx, err);
	if (r == 0)
		r = kbs_token_verifier_new(&ctx->cfg, ctx->signer, &ctx->token_verifier, err);
	if (r == 0)
		r = kbs_verifiers_new(&ctx->cfg, &ctx->verifiers, err);
	if (r == 0)
		r = kbs_worker_key_create(ctx, err);
	return r;
}

void kbs_ctx_fini(kbs_ctx *ctx)
{
	kbs_worker_key_delete(ctx);
	kbs_verifiers_free(ctx->verifiers);
	cj_verifier_free(ctx->token_verifier);
	cj_jwk_free(ctx->signer);
	free(ctx->signer_x);
	free(ctx->signer_y);
	kbs_admin_free(ctx->admin);
	kbs_store_free(ctx->store);
	kbs_metrics_free(ctx->metrics);
	if (ctx->state_fd >= 0)
		close(ctx->state_fd);
	free(ctx->store_path);
	free(ctx->state_dir);
	kbs_config_free(&ctx->cfg);
	memset(ctx, 0, sizeof(*ctx));
	ctx->state_fd = -1;
}
