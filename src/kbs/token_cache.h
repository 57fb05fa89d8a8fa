/* Verified tokens, kept per worker thread (docs/kbs.md, "Token cache").
 *
 * A resource request's token (a Bearer token or an attested session's) is
 * looked up by the SHA-256 of its exact bytes. A hit skips the signature
 * and trust-chain check and the claims parse, never the time checks: the
 * claims' "exp" and "nbf" are checked again (cj_jwt_check_claims) on every
 * lookup, and the entry is dropped once expired or once the x5c chain that
 * vouched for its signer expires. Only tokens that verified in full get
 * in; a token with another signature (even with the same claims) has
 * another digest and is verified in full. Everything is dropped when the
 * trust generation (kbs_ctx.token_trust_gen) moves.
 *
 * Bounded: CC_KBS_TOKEN_CACHE_ENTRIES entries and CC_KBS_TOKEN_CACHE_BYTES
 * of token bytes, least recently used out first; a token longer than
 * CC_KBS_TOKEN_CACHE_MAX_TOKEN_BYTES goes into a side slot that lookups
 * never find (it serves its own request only). Not thread-safe: one cache
 * per worker. */
#ifndef COCOON_KBS_TOKEN_CACHE_H
#define COCOON_KBS_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cocoon/error.h"
#include "jose_jwk.h"

#define KBS_TOKEN_DIGEST_LEN 32

typedef struct kbs_token_cache kbs_token_cache;
struct kbs_token_entry;

int kbs_token_cache_new(kbs_token_cache **ret, cc_error **err);
/* NULL is a no-op. */
void kbs_token_cache_free(kbs_token_cache *c);

/* SHA-256 of the token's bytes. */
int kbs_token_cache_digest(kbs_token_cache *c, const char *token, size_t len,
                           uint8_t out[KBS_TOKEN_DIGEST_LEN], cc_error **err);

/* The entry of the token with this digest, verified under trust generation
 * gen and still good at now (claims' exp/nbf, the chain's end); NULL
 * otherwise (an entry no longer good is dropped). Borrowed until the next
 * put or clear. */
struct kbs_token_entry *kbs_token_cache_get(kbs_token_cache *c,
                                            const uint8_t digest[KBS_TOKEN_DIGEST_LEN],
                                            uint64_t gen, int64_t now);

/* Keeps the claims (the reference is taken, also on failure) of a token of
 * len bytes that verified in full under generation gen; until is when its
 * key's endorsement ends (cj_verifier_verify_until). *ret is borrowed as
 * for get. */
int kbs_token_cache_put(kbs_token_cache *c, const uint8_t digest[KBS_TOKEN_DIGEST_LEN],
                        uint64_t gen, size_t len, json_t *claims, int64_t until, int64_t now,
                        struct kbs_token_entry **ret, cc_error **err);

/* Drops every entry. */
void kbs_token_cache_clear(kbs_token_cache *c);
/* Entries cached (the side slot not counted). */
size_t kbs_token_cache_count(const kbs_token_cache *c);

/* The verified claims. */
const json_t *kbs_token_entry_claims(const struct kbs_token_entry *e);
/* A number no other entry of this cache ever had (never 0): the resource
 * policy's engine keeps the input of the last entry it was given. */
uint64_t kbs_token_entry_id(const struct kbs_token_entry *e);
/* The claims as compact JSON text (the policy's input), made once. */
int kbs_token_entry_input(struct kbs_token_entry *e, const char **ret, size_t *ret_len,
                          cc_error **err);
/* The TEE key found in the claims, once the caller has set it (NULL
 * before); borrowed as the entry. */
const cj_jwk *kbs_token_entry_teekey(const struct kbs_token_entry *e);
/* Sets it; the entry takes k (a previous key is freed). */
void kbs_token_entry_set_teekey(struct kbs_token_entry *e, cj_jwk *k);

#endif
