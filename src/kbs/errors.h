/* Trustee's KBS error replies (trustee.md §1.8; docs/kbs.md, "Errors"):
 *
 *   {"type":"https://github.com/confidential-containers/kbs/errors/<Variant>",
 *    "detail":"<text>"}
 *
 * with status 404 for InvalidRequestPath and PluginNotFound and 401 for
 * every other variant, policy denials and missing resources included, as
 * Trustee's code answers (its protocol document promises 403 and 404;
 * guest-components' client re-runs RCAR on a 401). */
#ifndef COCOON_KBS_ERRORS_H
#define COCOON_KBS_ERRORS_H

#include "kbs.h"

enum kbs_errv {
	KBS_E_ADMIN_AUTH_ACCESS,
	KBS_E_ATTESTATION,
	KBS_E_INVALID_REQUEST_PATH,
	KBS_E_JWE,
	KBS_E_PLUGIN_NOT_FOUND,
	KBS_E_PLUGIN_INTERNAL,
	KBS_E_POLICY_DENY,
	KBS_E_PARSE_POLICY,
	KBS_E_POLICY_ENGINE,
	KBS_E_RVPS,
	KBS_E_SERDE,
	KBS_E_TOKEN_NOT_FOUND,
	KBS_E_TOKEN_VERIFIER,
};

/* The variant's name ("PolicyDeny") and status (401 or 404). */
const char *kbs_errv_name(enum kbs_errv v);
int kbs_errv_status(enum kbs_errv v);

/* Replaces the reply with the error: status, body, content type. The
 * detail is Trustee's text for the variant ("Access denied by policy",
 * "Attestation error: ...") followed by the formatted text. The detail
 * must name what was wrong and never carry a secret (a token, a nonce, a
 * key, resource bytes). Returns -1 so handlers can `return kbs_fail(...)`. */
int kbs_fail(struct kbs_reply *rep, enum kbs_errv v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* kbs_fail with an error object's message (and frees it). */
int kbs_fail_err(struct kbs_reply *rep, enum kbs_errv v, const char *what, cc_error *e);

#endif
