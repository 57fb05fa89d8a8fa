/* Admin API authorization, Trustee v0.21's (trustee.md §2.2):
 *
 *  - InsecureAllowAll: every admin call passes (development only; a
 *    warning is logged at start);
 *  - DenyAll: every admin call is refused;
 *  - AuthenticatedAuthorization: `Authorization: Bearer <JWT>` must verify
 *    with one identity provider's key (PEM public key or JWK set file; iss
 *    and aud checked when configured; exp checked), carry a string "role",
 *    and some ACL rule for that role must match the request path (anchored
 *    regular expressions, ^/kbs...$).
 *
 * Without an [admin] section (zero-config) the state directory's admin
 * key is the one identity provider and the one rule is admin -> ^/kbs/.+$. */
#ifndef COCOON_KBS_ADMIN_H
#define COCOON_KBS_ADMIN_H

#include "config.h"
#include "kbs.h"

struct kbs_admin;

/* state_pub_pem: the state directory's admin public key (used when
 * c->admin_from_state). */
int kbs_admin_new(const struct kbs_config *c, const char *state_pub_pem,
                  struct kbs_admin **ret, cc_error **err);
void kbs_admin_free(struct kbs_admin *a);

/* 0 when req may call the admin endpoint at its path; otherwise -EPERM
 * with the reason (never the token). */
int kbs_admin_check(const struct kbs_admin *a, const struct kbs_request *req, cc_error **err);

/* The mode's name ("AuthenticatedAuthorization", ...). */
const char *kbs_admin_mode_name(const struct kbs_admin *a);

#endif
