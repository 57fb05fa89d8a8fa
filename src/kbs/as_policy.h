/* Attestation policies (trustee.md §2.4): Rego modules in the store's
 * attestation_service_policy namespace, keyed by policy id. The AS
 * evaluates "default_<tee class>" (the KBS always asks for "default") with
 * the verifier's claims as input and reads data.policy.trust_claims and
 * data.policy.extensions. query_reference_value(id) answers from the
 * RVPS (null when the id has no value). Policies are compiled before they
 * are stored; Trustee's default_cpu and default_gpu are installed at first
 * start and never overwritten by a restart. */
#ifndef COCOON_KBS_AS_POLICY_H
#define COCOON_KBS_AS_POLICY_H

#include <jansson.h>

#include "kbs.h"
#include "worker.h"

/* Installs default_cpu and default_gpu when absent. */
int kbs_as_policy_install_defaults(kbs_store *st, cc_error **err);

/* Whether id is a policy id this KBS accepts: [A-Za-z0-9_.-], 1..128. */
bool kbs_as_policy_id_ok(const char *id);

/* Compiles src (with query_reference_value declared) without storing it. */
int kbs_as_policy_check(const char *id, const char *src, size_t len, cc_error **err);

/* Evaluates policy id on input (JSON text): *ret_claims the trust_claims
 * object, *ret_ext the extensions array (NULL when undefined). */
int kbs_as_policy_eval(struct kbs_worker *w, const char *id, const char *input_json,
                       json_t **ret_claims, json_t **ret_ext, cc_error **err);

/* POST /kbs/v0/attestation-policy {"type":"rego","policy_id":..,
 * "policy":"<base64url>"} (admin checked by the router). */
void kbs_as_policy_post(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep);

/* Parses the POST body: *ret_id and *ret_src are new strings. */
int kbs_as_policy_parse(const uint8_t *body, size_t len, char **ret_id, char **ret_src,
                        size_t *ret_len, cc_error **err);

#endif
