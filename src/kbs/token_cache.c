/* Verified tokens per worker thread (token_cache.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "cocoon/limits.h"
#include "jose_jwt.h"
#include "token_cache.h"

_Static_assert(CC_KBS_TOKEN_CACHE_MAX_TOKEN_BYTES <= CC_KBS_TOKEN_CACHE_BYTES,
               "a cacheable token must fit the cache");

struct kbs_token_entry {
	bool used;
	uint8_t digest[KBS_TOKEN_DIGEST_LEN];
	uint64_t id;
	uint64_t last_use;
	size_t len;      /* the token's bytes */
	int64_t until;   /* its key's endorsement ends (x5c notAfter) */
	int64_t expires; /* min(until, exp): for eviction only, get checks in full */
	json_t *claims;
	char *input; /* claims as compact JSON, made on first use */
	size_t input_len;
	cj_jwk *teekey;
};

struct kbs_token_cache {
	EVP_MD *sha256;
	uint64_t gen;
	uint64_t next_id;
	uint64_t tick;
	size_t count;
	size_t bytes;
	struct kbs_token_entry e[CC_KBS_TOKEN_CACHE_ENTRIES];
	struct kbs_token_entry side; /* a token too long to keep */
};

int kbs_token_cache_new(kbs_token_cache **ret, cc_error **err)
{
	kbs_token_cache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (c->sha256 == NULL) {
		ERR_clear_error();
		free(c);
		return cc_error_set(err, -EIO, "token cache: no SHA-256 in OpenSSL");
	}
	*ret = c;
	return 0;
}

static void entry_clear(kbs_token_cache *c, struct kbs_token_entry *e)
{
	if (e->used && e != &c->side) {
		c->count--;
		c->bytes -= e->len;
	}
	json_decref(e->claims);
	free(e->input);
	cj_jwk_free(e->teekey);
	memset(e, 0, sizeof(*e));
}

void kbs_token_cache_clear(kbs_token_cache *c)
{
	for (size_t i = 0; i < CC_KBS_TOKEN_CACHE_ENTRIES; i++)
		entry_clear(c, &c->e[i]);
	entry_clear(c, &c->side);
}

void kbs_token_cache_free(kbs_token_cache *c)
{
	if (c == NULL)
		return;
	kbs_token_cache_clear(c);
	EVP_MD_free(c->sha256);
	free(c);
}

size_t kbs_token_cache_count(const kbs_token_cache *c) { return c->count; }

int kbs_token_cache_digest(kbs_token_cache *c, const char *token, size_t len,
                           uint8_t out[KBS_TOKEN_DIGEST_LEN], cc_error **err)
{
	unsigned n = 0;
	if (EVP_Digest(token, len, out, &n, c->sha256, NULL) != 1 || n != KBS_TOKEN_DIGEST_LEN) {
		ERR_clear_error();
		return cc_error_set(err, -EIO, "token cache: SHA-256 failed");
	}
	return 0;
}

/* A new trust generation empties the cache. */
static void check_gen(kbs_token_cache *c, uint64_t gen)
{
	if (c->gen != gen) {
		kbs_token_cache_clear(c);
		c->gen = gen;
	}
}

/* Whether the entry may still serve at now: the same time checks as a full
 * verification (exp required, nbf, no leeway), before its chain ends. */
static bool still_good(const struct kbs_token_entry *e, int64_t now)
{
	return now < e->until && cj_jwt_check_claims(e->claims, now, 0, 0, NULL) == 0;
}

struct kbs_token_entry *kbs_token_cache_get(kbs_token_cache *c,
                                            const uint8_t digest[KBS_TOKEN_DIGEST_LEN],
                                            uint64_t gen, int64_t now)
{
	check_gen(c, gen);
	for (size_t i = 0; i < CC_KBS_TOKEN_CACHE_ENTRIES; i++) {
		struct kbs_token_entry *e = &c->e[i];
		if (!e->used || memcmp(e->digest, digest, KBS_TOKEN_DIGEST_LEN) != 0)
			continue;
		if (!still_good(e, now)) {
			entry_clear(c, e);
			return NULL;
		}
		e->last_use = ++c->tick;
		return e;
	}
	return NULL;
}

/* When an entry stops being good at the latest: its chain's end or its
 * exp (INT64_MIN when exp is not a number: a lookup would drop it). Only
 * for choosing what to evict; lookups check the claims in full. */
static int64_t expires(const json_t *claims, int64_t until)
{
	const json_t *exp = json_object_get(claims, "exp");
	int64_t t = INT64_MIN;
	if (json_is_integer(exp))
		t = json_integer_value(exp);
	else if (json_is_real(exp) && json_real_value(exp) > -9.2e18 && json_real_value(exp) < 9.2e18)
		t = (int64_t)json_real_value(exp);
	return t < until ? t : until;
}

/* A slot for a token of len bytes: expired entries go first, then the
 * least recently used until both caps hold. */
static struct kbs_token_entry *make_room(kbs_token_cache *c, size_t len, int64_t now)
{
	if (c->count == CC_KBS_TOKEN_CACHE_ENTRIES || c->bytes + len > CC_KBS_TOKEN_CACHE_BYTES)
		for (size_t i = 0; i < CC_KBS_TOKEN_CACHE_ENTRIES; i++)
			if (c->e[i].used && now >= c->e[i].expires)
				entry_clear(c, &c->e[i]);
	while (c->count == CC_KBS_TOKEN_CACHE_ENTRIES || c->bytes + len > CC_KBS_TOKEN_CACHE_BYTES) {
		struct kbs_token_entry *lru = NULL;
		for (size_t i = 0; i < CC_KBS_TOKEN_CACHE_ENTRIES; i++)
			if (c->e[i].used && (lru == NULL || c->e[i].last_use < lru->last_use))
				lru = &c->e[i];
		entry_clear(c, lru);
	}
	for (size_t i = 0; i < CC_KBS_TOKEN_CACHE_ENTRIES; i++)
		if (!c->e[i].used)
			return &c->e[i];
	return NULL; /* not reached: the loop above freed one */
}

int kbs_token_cache_put(kbs_token_cache *c, const uint8_t digest[KBS_TOKEN_DIGEST_LEN],
                        uint64_t gen, size_t len, json_t *claims, int64_t until, int64_t now,
                        struct kbs_token_entry **ret, cc_error **err)
{
	if (claims == NULL)
		return cc_error_set(err, -EINVAL, "token cache: no claims");
	check_gen(c, gen);
	struct kbs_token_entry *e;
	if (len > CC_KBS_TOKEN_CACHE_MAX_TOKEN_BYTES) {
		e = &c->side;
		entry_clear(c, e);
	} else {
		for (size_t i = 0; i < CC_KBS_TOKEN_CACHE_ENTRIES; i++)
			if (c->e[i].used && memcmp(c->e[i].digest, digest, KBS_TOKEN_DIGEST_LEN) == 0)
				entry_clear(c, &c->e[i]);
		e = make_room(c, len, now);
		c->count++;
		c->bytes += len;
	}
	e->used = true;
	memcpy(e->digest, digest, KBS_TOKEN_DIGEST_LEN);
	e->id = ++c->next_id;
	e->last_use = ++c->tick;
	e->len = len;
	e->until = until;
	e->expires = expires(claims, until);
	e->claims = claims;
	*ret = e;
	return 0;
}

const json_t *kbs_token_entry_claims(const struct kbs_token_entry *e) { return e->claims; }
uint64_t kbs_token_entry_id(const struct kbs_token_entry *e) { return e->id; }
const cj_jwk *kbs_token_entry_teekey(const struct kbs_token_entry *e) { return e->teekey; }

void kbs_token_entry_set_teekey(struct kbs_token_entry *e, cj_jwk *k)
{
	cj_jwk_free(e->teekey);
	e->teekey = k;
}

int kbs_token_entry_input(struct kbs_token_entry *e, const char **ret, size_t *ret_len,
                          cc_error **err)
{
	if (e->input == NULL) {
		e->input = json_dumps(e->claims, JSON_COMPACT);
		if (e->input == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		e->input_len = strlen(e->input);
	}
	*ret = e->input;
	*ret_len = e->input_len;
	return 0;
}
