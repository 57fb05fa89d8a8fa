/* The resource policy (trustee.md §2.3): one Rego module, stored in the
 * store's kbs namespace under "resource-policy", evaluated as
 * data.policy.allow (true, or the request is denied) with the verified
 * token claims as input and {"plugin":..,"resource-path":[segments],
 * "query":{..}} as data. Installed at first start (the
 * [policy_engine] policy_path file, else Trustee's default.rego) and never
 * overwritten by a restart; set by the admin API after it compiles. */
#ifndef COCOON_KBS_RES_POLICY_H
#define COCOON_KBS_RES_POLICY_H

#include <stdbool.h>

#include "kbs.h"
#include "worker.h"

#define KBS_RES_POLICY_KEY "resource-policy"

int kbs_res_policy_install(const struct kbs_config *c, kbs_store *st, cc_error **err);

/* Compiles src without storing it (ParsePolicyError when it does not). */
int kbs_res_policy_check(const char *src, size_t len, cc_error **err);

/* Evaluates the stored policy, compiled once per worker and policy
 * generation: *ret_allow true only when data.policy.allow is exactly
 * true. input_id names the claims (kbs_token_entry_id, or 0): when the
 * worker's engine already holds the input of that id, or the same data
 * text, it is not parsed again. */
int kbs_res_policy_eval(struct kbs_worker *w, uint64_t input_id, const char *claims_json,
                        size_t claims_len, const char *data_json, bool *ret_allow,
                        cc_error **err);

/* POST /kbs/v0/resource-policy {"policy":"<base64url rego>"} and GET (the
 * policy ids, ["resource-policy"], as Trustee's code answers); admin
 * checked by the router. */
void kbs_res_policy_post(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep);
void kbs_res_policy_get(kbs_ctx *ctx, struct kbs_reply *rep);

/* Parses the POST body: the decoded policy in *ret (caller frees). */
int kbs_res_policy_parse(const uint8_t *body, size_t len, char **ret, size_t *ret_len,
                         cc_error **err);

#endif
