/* The RCAR protocol 0.4.0 (trustee.md §1.1-§1.5): the Request and
 * Attestation payloads (rcar_parse.c, fuzzed by fuzz_kbs_request and
 * fuzz_kbs_attestation), the runtime-data binding, and the /auth and
 * /attest handlers (rcar.c). */
#ifndef COCOON_KBS_RCAR_H
#define COCOON_KBS_RCAR_H

#include <jansson.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "jose_jwk.h"
#include "kbs.h"

#define KBS_PROTOCOL_VERSION "0.4.0"

/* The request body caps (the HTTP layer caps bodies first). */
#define KBS_MAX_JSON_BODY (64u * 1024u * 1024u)

/* Parses a Request ({"version","tee","extra-params"}) and checks the
 * protocol version (=0.4.0, Trustee's words on a mismatch). *ret_json is
 * the parsed object (caller decrefs); *ret_tee points into it. */
int kbs_rcar_parse_request(const uint8_t *body, size_t len, json_t **ret_json,
                           const char **ret_tee, cc_error **err);

/* kbs-types' Tee names; true if tee is one of them. */
bool kbs_rcar_known_tee(const char *tee);

/* A parsed Attestation. Pointers point into json. */
struct kbs_attestation {
	json_t *json;
	const char *nonce;
	const json_t *tee_pubkey;
	const json_t *primary_evidence;
	const char *additional_evidence; /* "" when none */
	const char *init_data_format;    /* NULL: no init-data */
	const char *init_data_body;
	size_t init_data_body_len;
};

/* Parses an Attestation: {"init-data": null | {"format","body"},
 * "runtime-data": {"nonce","tee-pubkey"}, "tee-evidence":
 * {"primary_evidence", "additional_evidence"}}. Members are checked for
 * presence and JSON type; unknown members are ignored, as serde does. */
int kbs_rcar_parse_attestation(const uint8_t *body, size_t len, struct kbs_attestation *ret,
                               cc_error **err);
void kbs_attestation_clear(struct kbs_attestation *a);

/* cj_jwk_from_tee_pubkey with the KBS's own checks first: an RSA "n"
 * must be minimal (no leading zero byte, RFC 7518 §6.3.1.1). */
int kbs_tee_pubkey_parse(const json_t *k, cj_jwk **ret, cc_error **err);

/* The runtime data the primary evidence binds (trustee.md §1.4):
 * {"tee-pubkey":..,"nonce":..,"additional-evidence":..}, or for device
 * evidence (additional == NULL) {"tee-pubkey":..,"nonce":..}; *ret_obj is
 * the object (caller decrefs) and digest its JCS SHA-384 (48 bytes). */
int kbs_runtime_data(const json_t *tee_pubkey, const char *nonce, const char *additional,
                     json_t **ret_obj, uint8_t digest[48], cc_error **err);

/* The handlers: POST /kbs/v0/auth and POST /kbs/v0/attest. */
void kbs_rcar_auth(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep);
void kbs_rcar_attest(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep);

#endif
