/* Start-up and shutdown of the server's state (server.c): the state
 * directory, the store, the keys, the admin identity, the verifiers, the
 * default policies; and the periodic session sweep. The HTTP side is
 * http.c; main.c ties them. */
#ifndef COCOON_KBS_SERVER_H
#define COCOON_KBS_SERVER_H

#include "kbs.h"

/* Takes over *cfg (left zeroed). state_dir is created if missing. Every
 * start-up error names what was wrong. On failure ctx is left for
 * kbs_ctx_fini(). */
int kbs_ctx_init(kbs_ctx *ctx, struct kbs_config *cfg, const char *state_dir, cc_log *log,
                 cc_error **err);
void kbs_ctx_fini(kbs_ctx *ctx);

/* Deletes expired sessions and recounts the live ones. */
int kbs_ctx_sweep(kbs_ctx *ctx, uint64_t *ret_removed, cc_error **err);

/* The store file in the state directory. */
#define KBS_STORE_FILE "kbs.sqlite3"

#endif
