/* libcocoon-jose, part 4: JWS compact serialization (RFC 7515 §7.1), JWT
 * claim checks (RFC 7519) and the KBS token verifier
 * (../shared/reference/trustee.md §1.7, §3.5; docs/jose.md).
 *
 * Signature algorithms: ES256, ES384, ES512 (raw r||s signatures), RS256,
 * RS384, RS512, PS256, PS384, PS512 (salt = hash length), EdDSA (Ed25519).
 * "none", HMAC and anything else is refused with an error naming it. The
 * token's "alg" must suit the key and, when the key names an "alg", equal it.
 */
#ifndef COCOON_JOSE_JWT_H
#define COCOON_JOSE_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cocoon/error.h"
#include "jose_jwk.h"

/* Flags for cj_jws_sign. */
#define CJ_JWS_EMBED_JWK 1u /* header "jwk": the public key (with its x5c), as EAR tokens */
#define CJ_JWS_KID 2u       /* header "kid": the key's kid (which must exist) */

/* Signs len payload bytes with the private key. alg NULL means the key's
 * "alg". The header is {"typ":"JWT","alg":..[,"jwk":{..}][,"kid":..]} in
 * that order, the order jsonwebtoken (Trustee's EAR broker) writes; the jwk
 * as cj_jwk_to_json. *ret: "header.payload.signature", malloc'd. */
int cj_jws_sign(const cj_jwk *key, const char *alg, unsigned flags, const void *payload,
                size_t len, char **ret, cc_error **err);
/* cj_jws_sign of the compact JSON text of claims (members in their order). */
int cj_jwt_sign(const cj_jwk *key, const char *alg, unsigned flags, const json_t *claims,
                char **ret, cc_error **err);

/* Splits a compact JWS (at most CC_JOSE_MAX_TOKEN_BYTES) and returns its
 * decoded header (a JSON object, duplicate names refused) without checking
 * anything else. For choosing a key. */
int cj_jws_peek_header(const char *token, size_t len, json_t **ret, cc_error **err);

/* Verifies a compact JWS with key: strict base64url, header checks (alg
 * allowed and suiting key, no "crit", no "b64"), signature. On success the
 * header (if ret_header) and the payload bytes (NUL-terminated, malloc'd; if
 * ret_payload) are returned. A bad signature gives -EBADMSG. */
int cj_jws_verify(const cj_jwk *key, const char *token, size_t len, json_t **ret_header,
                  char **ret_payload, size_t *ret_payload_len, cc_error **err);

/* Flags for cj_jwt_check_claims. */
#define CJ_JWT_EXP_OPTIONAL 1u /* accept a token without "exp" */

/* RFC 7519 time checks at unix time now: "exp" (required unless flagged)
 * must be a number with now < exp + leeway; "nbf", if present, a number
 * with nbf - leeway <= now; "iat", if present, a number. -EKEYEXPIRED for
 * an expired token, -EINVAL otherwise. */
int cj_jwt_check_claims(const json_t *claims, int64_t now, int64_t leeway, unsigned flags,
                        cc_error **err);

/* ---- the KBS token verifier (Trustee's JwtVerifier) ---------------------
 *
 * A token's key is chosen as Trustee does:
 *  1. the header has "jwk": used as is when insecure_header_jwk is set;
 *     otherwise its "x5c" must chain to a trusted certificate and the leaf's
 *     public key must equal the jwk;
 *  2. else the header's "kid" is looked up in the trusted JWK sets;
 *  3. else (or when 1/2 find no key) each trusted PEM public key is tried.
 * The key's "alg" decides the algorithm (a header jwk or JWK-set key without
 * "alg" is refused, as in Trustee); PEM keys take the header's "alg" if it
 * suits them. Then the claims are checked with cj_jwt_check_claims.
 */
typedef struct cj_verifier cj_verifier;

int cj_verifier_new(cj_verifier **ret, cc_error **err);
void cj_verifier_free(cj_verifier *v);
/* Adds every certificate of a PEM file's text as a trust anchor. */
int cj_verifier_add_trust_pem(cj_verifier *v, const char *pem, size_t len, cc_error **err);
/* Adds the keys of a JWK set ({"keys":[...]}) for "kid" lookups. */
int cj_verifier_add_jwks(cj_verifier *v, const char *json, size_t len, cc_error **err);
/* Adds a PEM public key (EC, RSA or Ed25519) tried for any token. */
int cj_verifier_add_pem_key(cj_verifier *v, const char *pem, size_t len, cc_error **err);
/* Trust a header jwk without x5c (Trustee's insecure_header_jwk: tests only). */
void cj_verifier_set_insecure_header_jwk(cj_verifier *v, bool on);
/* Seconds of clock skew allowed on exp/nbf (default 0). */
void cj_verifier_set_leeway(cj_verifier *v, int64_t seconds);
/* Fixed unix time for the checks (tests); 0 = the real clock (default). */
void cj_verifier_set_time(cj_verifier *v, int64_t now);

/* Checks that jwk's x5c chains to the trust anchors and that its leaf holds
 * jwk's key (Trustee's verify_jwk_endorsement). -EPERM naming the reason. */
int cj_verifier_check_jwk(const cj_verifier *v, const cj_jwk *jwk, cc_error **err);

/* Verifies a compact JWT and returns its claims (a JSON object) in *ret.
 * -EBADMSG bad signature, -EKEYEXPIRED expired, -EPERM no trusted key,
 * -EINVAL malformed or refused algorithm, -E2BIG over the caps. */
int cj_verifier_verify(const cj_verifier *v, const char *token, size_t len, json_t **ret,
                       cc_error **err);
/* cj_verifier_verify, also giving in *ret_until the unix time until which
 * the key's endorsement holds: the earliest notAfter of the x5c chain
 * (leaf to trust anchor) that vouched for a header jwk, INT64_MAX when no
 * certificate was involved (JWK set, PEM key, insecure header jwk),
 * INT64_MIN when a notAfter could not be read. A cache of verified tokens
 * must not serve one at or past that time (nor past the claims' own
 * exp/nbf, which the caller checks again on each use). */
int cj_verifier_verify_until(const cj_verifier *v, const char *token, size_t len,
                             json_t **ret, int64_t *ret_until, cc_error **err);

#endif
