/* The built-in reference value provider (trustee.md §3.6): registration
 * messages {"version":"0.1.0","type":"sample","payload":"<base64 of a
 * JSON object name -> value>"}, stored per name in the store's
 * reference_value namespace as Trustee's ReferenceValue
 * {"version":"0.1.0","name":..,"expiration":"<now + 12 months>","value":..};
 * queries return the value only (the expiration is kept but, as in
 * Trustee, not enforced). */
#ifndef COCOON_KBS_RVPS_H
#define COCOON_KBS_RVPS_H

#include <jansson.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "kbs.h"
#include "store.h"

/* Parses and checks a message; *ret is the name -> value object it
 * registers (caller decrefs). Nothing is stored. */
int kbs_rvps_parse(const uint8_t *body, size_t len, json_t **ret, cc_error **err);

/* Stores every value of a parsed message. */
int kbs_rvps_register(kbs_store *st, const json_t *values, int64_t now, cc_error **err);

/* The value stored for id in *ret (a new reference), or -ENOENT. */
int kbs_rvps_query(kbs_store *st, const char *id, size_t id_len, json_t **ret, cc_error **err);

/* POST /kbs/v0/reference-value and GET /kbs/v0/reference-value/<id>
 * (admin checked by the router). */
void kbs_rvps_post(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep);
void kbs_rvps_get(kbs_ctx *ctx, const char *id, struct kbs_reply *rep);

#endif
