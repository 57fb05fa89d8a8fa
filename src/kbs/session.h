/* RCAR sessions (trustee.md §1.5): kept in the store's
 * kbs_protocol_session namespace under the cookie's id, as Trustee
 * serializes its SessionStatus, so that replicas sharing a store share the
 * sessions:
 *
 *   {"Authed":{"request":{...},"challenge":{"nonce":"..","extra-params":""},
 *              "id":"<32 hex>","timeout":"<RFC 3339>"}}
 *   {"Attested":{"token":"<EAR JWT>","id":"<32 hex>","timeout":"<RFC 3339>"}}
 *
 * The lifetime is fixed at /auth ([attestation_service] timeout minutes)
 * and not extended by /attest. Expired sessions are absent (the store
 * drops them on read) and swept every CC_KBS_SWEEP_INTERVAL_S. */
#ifndef COCOON_KBS_SESSION_H
#define COCOON_KBS_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "store.h"

#define KBS_SESSION_COOKIE "kbs-session-id"
#define KBS_SESSION_ID_LEN 32 /* UUIDv4 "simple": 32 lowercase hex */

struct kbs_session {
	char id[KBS_SESSION_ID_LEN + 1];
	int64_t expires; /* unix time */
	bool attested;
	/* Authed: */
	json_t *request; /* the Request as received (version, tee, extra-params) */
	char *tee;       /* request.tee */
	char *nonce;     /* base64 of 32 random bytes */
	/* Attested: */
	char *token;
};

/* A new Authed session for request (a reference is taken), expiring
 * timeout_s from now: a fresh UUIDv4 id and a 32-byte nonce. */
int kbs_session_new(json_t *request, const char *tee, int64_t now, int64_t timeout_s,
                    struct kbs_session *ret, cc_error **err);

/* Parses a stored session (bytes from the store); -EINVAL naming what is
 * wrong. */
int kbs_session_parse(const uint8_t *p, size_t len, struct kbs_session *ret, cc_error **err);

/* Stores s (create or replace) with the store expiry s->expires. */
int kbs_session_put(kbs_store *st, const struct kbs_session *s, cc_error **err);

/* Loads the live session id (id_len bytes, checked to be 32 lowercase hex
 * first): -ENOENT when absent or expired. */
int kbs_session_get(kbs_store *st, const char *id, size_t id_len, int64_t now,
                    struct kbs_session *ret, cc_error **err);

/* The Set-Cookie value: kbs-session-id=<id>; Expires=<HTTP date>. */
char *kbs_session_cookie(const struct kbs_session *s);

/* Moves an Authed session to Attested with token (copied). */
int kbs_session_attest(struct kbs_session *s, const char *token, cc_error **err);

void kbs_session_clear(struct kbs_session *s);

#endif
