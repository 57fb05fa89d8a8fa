/* A KBS session shared by everything in the guest that fetches from one
 * KBS: the attestation agent's GetToken, the confidential data hub's
 * resources, keys and secrets (docs/aa.md, "Token and session cache").
 *
 * One object holds the TEE key (in memory only: never written to disk,
 * never formatted into an error or a log line), the KBS session cookie and
 * the attestation token. The token and cookie are reused until the token's
 * "exp" minus a margin; only then, or when the KBS answers a resource GET
 * with 401 (once per call), does a new RCAR run. So a pod start costs one
 * RCAR however many resources it fetches, where guest-components pays one
 * per resource (guest-components.md §2.5).
 *
 * Thread safety: every call may come from any thread. Calls are serialized
 * on one lock held across the HTTP exchange, so concurrent callers that find
 * the token stale wait for the first one's RCAR and then use its token: one
 * RCAR in flight at a time, never one per caller.
 *
 * Errors per docs/errors.md; nothing is printed.
 */
#ifndef COCOON_KBS_SESSION_H
#define COCOON_KBS_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "attest.h"
#include "cocoon/error.h"
#include "jose_jwk.h"

/* Seconds before the token's exp at which it counts as expired (the
 * default margin). */
#define KBS_SESSION_MARGIN_S 10u

typedef struct kbs_session kbs_session;

struct kbs_session_opts {
	const char *url;           /* the KBS, http:// or https:// */
	const char *ca_pem;        /* extra roots for HTTPS as PEM text, or NULL */
	size_t ca_pem_len;
	attest_attester *attester; /* borrowed; must outlive the session */
	const char *tee_key_algorithm; /* kbs_tee_key_new's names; NULL: P-256 */
	const char *init_data;     /* init-data TOML text sent in each RCAR, or NULL */
	size_t init_data_len;
	unsigned margin_s;         /* 0: KBS_SESSION_MARGIN_S */
};

/* A session with a fresh TEE key; no request is made yet. Strings in o are
 * copied. Errors: a bad url (-EINVAL), an unsupported key algorithm
 * (-ENOTSUP naming it). */
int kbs_session_new(const struct kbs_session_opts *o, kbs_session **ret, cc_error **err);
/* Frees s, wiping the token, cookie and TEE key; NULL is a no-op. */
void kbs_session_free(kbs_session *s);

/* The current attestation token (RCAR first when there is none or it
 * expired). *ret_token is malloc'd; free it with cj_free_secret. */
int kbs_session_token(kbs_session *s, char **ret_token, cc_error **err);

/* The plaintext of resource PATH (repository/type/tag) decrypted with the
 * TEE key; a 401 drops the token and retries once after a new RCAR.
 * *ret (NUL-terminated, not counted in *ret_len) is freed with
 * cj_free_secret. -ENOENT when the KBS has no such resource. */
int kbs_session_get_resource(kbs_session *s, const char *path, unsigned char **ret,
                             size_t *ret_len, cc_error **err);

/* The private TEE key (borrowed; valid while s lives). For a caller that
 * must hand it on as guest-components' GetToken does. */
const cj_jwk *kbs_session_tee_key(const kbs_session *s);

/* RCAR handshakes this session has started (for tests and metrics). */
uint64_t kbs_session_rcars(const kbs_session *s);

#endif
