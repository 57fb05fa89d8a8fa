/* The resource plugin (trustee.md §2.1): resources in the store's
 * repository namespace under "repo/type/tag". GET needs an attestation
 * token the resource policy allows and answers with a JWE to the token's
 * TEE key; POST (raw bytes) and DELETE are admin calls. */
#ifndef COCOON_KBS_RESOURCE_H
#define COCOON_KBS_RESOURCE_H

#include <stdbool.h>

#include "kbs.h"

/* Trustee's check of a resource path: exactly three segments, each
 * ^[A-Za-z0-9_-][A-Za-z0-9_.-]*$ (so no "." or ".." segment, no empty
 * one). */
bool kbs_resource_path_ok(const char *path);

/* The handlers; path is what follows /kbs/v0/resource/. query is the
 * request's query as a JSON object (the policy's data.query). */
void kbs_resource_get(kbs_ctx *ctx, const struct kbs_request *req, const char *path,
                      const json_t *query, struct kbs_reply *rep);
void kbs_resource_post(kbs_ctx *ctx, const struct kbs_request *req, const char *path,
                       struct kbs_reply *rep);
void kbs_resource_delete(kbs_ctx *ctx, const char *path, struct kbs_reply *rep);

#endif
