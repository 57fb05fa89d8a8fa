/* cmocka tests of cocoon-kbs's cache of verified tokens (src/kbs/token_cache.c,
 * docs/kbs.md "Token cache"): a hit only for the exact token bytes, exp and
 * nbf checked again on every lookup and the x5c chain's end honoured, an
 * expired entry dropped, everything dropped when the trust generation
 * moves, the entry and byte caps with least-recently-used eviction
 * (expired entries first), the side slot of a token too long to keep, and
 * the lazily made policy input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cocoon/limits.h"
#include "token_cache.h"

#define NOW 1760000000

static kbs_token_cache *cache_new(void)
{
	kbs_token_cache *c = NULL;
	assert_int_equal(kbs_token_cache_new(&c, NULL), 0);
	return c;
}

/* The digest of "token-<n>". */
static void digest_of(kbs_token_cache *c, unsigned n, uint8_t d[KBS_TOKEN_DIGEST_LEN])
{
	char t[32];
	int len = snprintf(t, sizeof(t), "token-%u", n);
	assert_int_equal(kbs_token_cache_digest(c, t, (size_t)len, d, NULL), 0);
}

static json_t *claims_exp(int64_t exp)
{
	return json_pack("{s:s,s:I}", "iss", "test", "exp", (json_int_t)exp);
}

/* Puts token n with these claims; the entry. */
static struct kbs_token_entry *put(kbs_token_cache *c, unsigned n, uint64_t gen, size_t len,
                                   json_t *claims, int64_t until, int64_t now)
{
	uint8_t d[KBS_TOKEN_DIGEST_LEN];
	struct kbs_token_entry *e = NULL;
	digest_of(c, n, d);
	assert_int_equal(kbs_token_cache_put(c, d, gen, len, claims, until, now, &e, NULL), 0);
	assert_non_null(e);
	return e;
}

static struct kbs_token_entry *get(kbs_token_cache *c, unsigned n, uint64_t gen, int64_t now)
{
	uint8_t d[KBS_TOKEN_DIGEST_LEN];
	digest_of(c, n, d);
	return kbs_token_cache_get(c, d, gen, now);
}

static void exact_bytes(void **state)
{
	(void)state;
	kbs_token_cache *c = cache_new();
	uint8_t a[KBS_TOKEN_DIGEST_LEN], b[KBS_TOKEN_DIGEST_LEN];
	assert_int_equal(kbs_token_cache_digest(c, "aaa.bbb.ccc", 11, a, NULL), 0);
	assert_int_equal(kbs_token_cache_digest(c, "aaa.bbb.ccd", 11, b, NULL), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_null(get(c, 1, 0, NOW));
	struct kbs_token_entry *e = put(c, 1, 0, 100, claims_exp(NOW + 60), INT64_MAX, NOW);
	assert_ptr_equal(get(c, 1, 0, NOW), e);
	assert_null(get(c, 2, 0, NOW)); /* another token: not found */
	assert_string_equal(json_string_value(json_object_get(kbs_token_entry_claims(e), "iss")),
	                    "test");
	assert_int_equal(kbs_token_cache_count(c), 1);
	kbs_token_cache_free(c);
	kbs_token_cache_free(NULL);
}

static void times_checked_on_every_hit(void **state)
{
	(void)state;
	kbs_token_cache *c = cache_new();
	put(c, 1, 0, 100, claims_exp(NOW + 60), INT64_MAX, NOW);
	assert_non_null(get(c, 1, 0, NOW + 59));
	assert_null(get(c, 1, 0, NOW + 60)); /* now >= exp: expired, dropped */
	assert_int_equal(kbs_token_cache_count(c), 0);
	assert_null(get(c, 1, 0, NOW)); /* gone even for an earlier clock */
	/* nbf */
	json_t *cl = claims_exp(NOW + 600);
	json_object_set_new(cl, "nbf", json_integer(NOW + 10));
	put(c, 2, 0, 100, cl, INT64_MAX, NOW + 20);
	assert_non_null(get(c, 2, 0, NOW + 20));
	assert_null(get(c, 2, 0, NOW + 9)); /* the clock went back before nbf */
	/* the x5c chain's end */
	put(c, 3, 0, 100, claims_exp(NOW + 600), NOW + 30, NOW);
	assert_non_null(get(c, 3, 0, NOW + 29));
	assert_null(get(c, 3, 0, NOW + 30));
	/* no exp: a full verification refuses it, so the cache never serves it */
	put(c, 4, 0, 100, json_pack("{s:s}", "iss", "x"), INT64_MAX, NOW);
	assert_null(get(c, 4, 0, NOW));
	/* an unreadable chain end (INT64_MIN) serves nothing */
	put(c, 5, 0, 100, claims_exp(NOW + 600), INT64_MIN, NOW);
	assert_null(get(c, 5, 0, NOW));
	kbs_token_cache_free(c);
}

static void trust_generation(void **state)
{
	(void)state;
	kbs_token_cache *c = cache_new();
	put(c, 1, 7, 100, claims_exp(NOW + 60), INT64_MAX, NOW);
	put(c, 2, 7, 100, claims_exp(NOW + 60), INT64_MAX, NOW);
	assert_non_null(get(c, 1, 7, NOW));
	assert_null(get(c, 2, 8, NOW)); /* the trust moved: all dropped */
	assert_int_equal(kbs_token_cache_count(c), 0);
	assert_null(get(c, 1, 7, NOW)); /* and not back */
	kbs_token_cache_free(c);
}

static void entry_cap_lru(void **state)
{
	(void)state;
	kbs_token_cache *c = cache_new();
	for (unsigned i = 0; i < CC_KBS_TOKEN_CACHE_ENTRIES; i++) {
		put(c, i, 0, 100, claims_exp(NOW + 60), INT64_MAX, NOW);
		if (i > 0)
			assert_non_null(get(c, 0, 0, NOW)); /* 0 stays the most recent */
	}
	assert_int_equal(kbs_token_cache_count(c), CC_KBS_TOKEN_CACHE_ENTRIES);
	put(c, 1000, 0, 100, claims_exp(NOW + 60), INT64_MAX, NOW);
	assert_int_equal(kbs_token_cache_count(c), CC_KBS_TOKEN_CACHE_ENTRIES);
	assert_null(get(c, 1, 0, NOW)); /* the least recently used went */
	assert_non_null(get(c, 0, 0, NOW));
	assert_non_null(get(c, 2, 0, NOW));
	assert_non_null(get(c, 1000, 0, NOW));
	kbs_token_cache_free(c);
}

static void expired_go_first(void **state)
{
	(void)state;
	kbs_token_cache *c = cache_new();
	for (unsigned i = 0; i < CC_KBS_TOKEN_CACHE_ENTRIES; i++)
		put(c, i, 0, 100, claims_exp(i == 5 ? NOW + 10 : NOW + 600), INT64_MAX, NOW);
	/* token 0 is the least recently used, but 5 has expired by now */
	put(c, 1000, 0, 100, claims_exp(NOW + 600), INT64_MAX, NOW + 20);
	assert_int_equal(kbs_token_cache_count(c), CC_KBS_TOKEN_CACHE_ENTRIES);
	assert_non_null(get(c, 0, 0, NOW + 20));
	assert_null(get(c, 5, 0, NOW + 20));
	kbs_token_cache_free(c);
}

static void byte_cap(void **state)
{
	(void)state;
	kbs_token_cache *c = cache_new();
	const size_t big = CC_KBS_TOKEN_CACHE_MAX_TOKEN_BYTES;
	const size_t fit = CC_KBS_TOKEN_CACHE_BYTES / big;
	for (unsigned i = 0; i <= fit; i++)
		put(c, i, 0, big, claims_exp(NOW + 60), INT64_MAX, NOW);
	assert_int_equal(kbs_token_cache_count(c), fit);
	assert_null(get(c, 0, 0, NOW));
	assert_non_null(get(c, (unsigned)fit, 0, NOW));
	kbs_token_cache_free(c);
}

static void too_long_to_keep(void **state)
{
	(void)state;
	kbs_token_cache *c = cache_new();
	struct kbs_token_entry *a = put(c, 1, 0, 100, claims_exp(NOW + 60), INT64_MAX, NOW);
	uint64_t id_a = kbs_token_entry_id(a);
	struct kbs_token_entry *s = put(c, 2, 0, CC_KBS_TOKEN_CACHE_MAX_TOKEN_BYTES + 1,
	                                claims_exp(NOW + 60), INT64_MAX, NOW);
	assert_non_null(kbs_token_entry_claims(s));
	uint64_t id_s = kbs_token_entry_id(s);
	assert_true(id_s != 0 && id_a != 0 && id_s != id_a);
	assert_null(get(c, 2, 0, NOW)); /* never found */
	assert_int_equal(kbs_token_cache_count(c), 1);
	/* the next long one takes the slot, with a new id */
	s = put(c, 2, 0, CC_KBS_TOKEN_CACHE_MAX_TOKEN_BYTES + 1, claims_exp(NOW + 60), INT64_MAX,
	        NOW);
	assert_true(kbs_token_entry_id(s) != id_s && kbs_token_entry_id(s) != id_a);
	kbs_token_cache_free(c);
}

static void input_and_teekey(void **state)
{
	(void)state;
	kbs_token_cache *c = cache_new();
	struct kbs_token_entry *e = put(c, 1, 0, 100, claims_exp(NOW + 60), INT64_MAX, NOW);
	const char *in = NULL, *in2 = NULL;
	size_t len = 0;
	assert_int_equal(kbs_token_entry_input(e, &in, &len, NULL), 0);
	assert_string_equal(in, "{\"iss\":\"test\",\"exp\":1760000060}");
	assert_int_equal(len, strlen(in));
	assert_int_equal(kbs_token_entry_input(e, &in2, &len, NULL), 0);
	assert_ptr_equal(in, in2); /* made once */
	assert_null(kbs_token_entry_teekey(e));
	cj_jwk *k = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P256, NULL, &k, NULL), 0);
	kbs_token_entry_set_teekey(e, k);
	assert_ptr_equal(kbs_token_entry_teekey(get(c, 1, 0, NOW)), k);
	/* a re-put of the same token replaces the entry (freeing its key) */
	struct kbs_token_entry *e2 = put(c, 1, 0, 100, claims_exp(NOW + 90), INT64_MAX, NOW);
	assert_null(kbs_token_entry_teekey(e2));
	assert_int_equal(kbs_token_cache_count(c), 1);
	/* NULL claims are refused */
	uint8_t d[KBS_TOKEN_DIGEST_LEN];
	struct kbs_token_entry *none = NULL;
	digest_of(c, 9, d);
	assert_int_equal(kbs_token_cache_put(c, d, 0, 10, NULL, INT64_MAX, NOW, &none, NULL),
	                 -EINVAL);
	assert_null(none);
	kbs_token_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_bytes),      cmocka_unit_test(times_checked_on_every_hit),
		cmocka_unit_test(trust_generation), cmocka_unit_test(entry_cap_lru),
		cmocka_unit_test(expired_go_first), cmocka_unit_test(byte_cap),
		cmocka_unit_test(too_long_to_keep), cmocka_unit_test(input_and_teekey),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
