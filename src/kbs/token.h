/* Attestation tokens on resource requests (trustee.md §1.5-§1.7): the
 * session's token or a Bearer token is verified for every request
 * (signature against the KBS's own EAR signer or [attestation_token]'s
 * trust anchors, JWK sets and header-jwk mode; "exp"), in full or, for a
 * token that verified before, from the worker's cache with its times
 * checked again (token_cache.h); the TEE key the resource is encrypted to
 * is read from the verified claims. */
#ifndef COCOON_KBS_TOKEN_H
#define COCOON_KBS_TOKEN_H

#include <jansson.h>

#include "config.h"
#include "jose_jwk.h"
#include "jose_jwt.h"

/* The verifier: the signer's public key always (so the cookie flow works
 * with no [attestation_token] configuration), plus the configuration's
 * trusted_certs_paths, trusted_jwk_sets and insecure_header_jwk. */
int kbs_token_verifier_new(const struct kbs_config *c, const cj_jwk *signer, cj_verifier **ret,
                           cc_error **err);

/* Verifies a token for a resource request and returns its claims: a
 * token whose header "jwk" is this KBS's own signer is verified with that
 * key directly (signature, then "exp"/"nbf"); any other goes through v
 * (trust anchors, JWK sets, PEM keys, header-jwk mode). The token is
 * verified in full on every call (resource.c keeps the results in the
 * worker's token cache, token_cache.h). *ret_until: when the signer's
 * endorsement ends (cj_verifier_verify_until; INT64_MAX for our own
 * signer). signer_x/signer_y are the signer's public coordinates
 * (base64url). */
int kbs_token_verify(const cj_verifier *v, const cj_jwk *signer, const char *signer_x,
                     const char *signer_y, const char *token, size_t len, int64_t now,
                     json_t **ret, int64_t *ret_until, cc_error **err);

/* The TEE public key in verified claims: the first of extra_teekey_paths,
 * then Trustee's pointers (/tdx/attester_runtime_data/tee-pubkey,
 * /tdx/attester_user_data/tee-pubkey,
 * /customized_claims/runtime_data/tee-pubkey,
 * /submods/cpu0/ear.veraison.annotated-evidence/runtime_data_claims/tee-pubkey,
 * /tee-pubkey) that holds an object. */
int kbs_token_teekey(const json_t *claims, char *const *extra, size_t n_extra, cj_jwk **ret,
                     cc_error **err);
/* The same, returning the tee-pubkey object itself (borrowed). */
int kbs_token_teekey_json(const json_t *claims, char *const *extra, size_t n_extra,
                          const json_t **ret, cc_error **err);

/* RFC 6901 JSON pointer lookup; NULL when absent or malformed. */
const json_t *kbs_json_pointer(const json_t *doc, const char *ptr);

#endif
