/* Compiled regex patterns of the regex builtins, cached per engine
 * (RBI_STATE_REGEX): an LRU table of RE_CACHE_MAX entries guarded by a
 * mutex; entries are reference counted so an eviction never frees a
 * pattern another thread is using. */
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "regex_int.h"

#define RE_CACHE_MAX CC_REGO_REGEX_CACHE /* limits.h */

static void entry_free(struct rentry *e)
{
	if (e == NULL)
		return;
	pcre2_code_free(e->code);
	free(e->err);
	rre_free_names(e->names, e->ncap);
	free(e->key);
	free(e);
}

static void *cache_new(void)
{
	struct recache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->lru.lnext = c->lru.lprev = &c->lru;
	c->mctx = pcre2_match_context_create(NULL);
	if (c->mctx != NULL) {
		pcre2_set_match_limit(c->mctx, CC_REGO_REGEX_MATCH_LIMIT);
		pcre2_set_heap_limit(c->mctx, CC_REGO_REGEX_HEAP_KIB);
	}
	return c;
}

static void cache_free(void *p)
{
	struct recache *c = p;
	if (c == NULL)
		return;
	for (struct rentry *e = c->lru.lnext; e != &c->lru;) {
		struct rentry *nx = e->lnext;
		entry_free(e); /* no evaluation runs while the engine is freed */
		e = nx;
	}
	pcre2_match_context_free(c->mctx);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Hash of a cache key, 8 bytes at a time (keys are patterns, often long). */
static uint64_t key_hash(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

static struct rentry *entry_new(const char *key, size_t keylen)
{
	struct rentry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->key = malloc(keylen ? keylen : 1);
	if (e->key == NULL) {
		free(e);
		return NULL;
	}
	memcpy(e->key, key, keylen);
	e->keylen = keylen;
	e->hash = key_hash(key, keylen);
	e->refs = 1;
	return e;
}

static void lru_unlink(struct rentry *e)
{
	e->lprev->lnext = e->lnext;
	e->lnext->lprev = e->lprev;
}

static void lru_front(struct recache *c, struct rentry *e)
{
	e->lnext = c->lru.lnext;
	e->lprev = &c->lru;
	c->lru.lnext->lprev = e;
	c->lru.lnext = e;
}

static struct rentry *table_find(struct recache *c, uint64_t h, const char *key, size_t keylen)
{
	for (struct rentry *e = c->buckets[h % RE_CACHE_BUCKETS]; e; e = e->hnext)
		if (e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
			return e;
	return NULL;
}

static void table_remove(struct recache *c, struct rentry *e)
{
	struct rentry **pp = &c->buckets[e->hash % RE_CACHE_BUCKETS];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(e);
	c->count--;
	e->cached = false;
	if (--e->refs == 0)
		entry_free(e);
}

/* Drops a reference (entries not in the cache die with their last user). */
void rre_entry_release(struct recache *c, struct rentry *e)
{
	if (e == NULL)
		return;
	if (c == NULL) {
		entry_free(e);
		return;
	}
	pthread_mutex_lock(&c->mu);
	if (--e->refs == 0)
		entry_free(e);
	pthread_mutex_unlock(&c->mu);
}

/* The compiled form of key: from the cache, or built by build(). Returns
 * NULL on OOM. The caller releases it with rre_entry_release(). */
struct rentry *rre_entry_get(struct recache *c, const char *key, size_t keylen,
                                void (*build)(struct rentry *, const char *, size_t), const char *src,
                                size_t srcn)
{
	uint64_t h = key_hash(key, keylen);
	if (c) {
		pthread_mutex_lock(&c->mu);
		struct rentry *e = table_find(c, h, key, keylen);
		if (e) {
			e->refs++;
			lru_unlink(e);
			lru_front(c, e);
			/* JIT once the pattern proves hot, and only while no other
			 * user holds it (the cache's reference and ours). */
			if (++e->uses == RE_JIT_AFTER && e->code && e->refs == 2)
				(void)pcre2_jit_compile(e->code, PCRE2_JIT_COMPLETE);
		}
		pthread_mutex_unlock(&c->mu);
		if (e)
			return e;
	}
	struct rentry *e = entry_new(key, keylen);
	if (e == NULL)
		return NULL;
	build(e, src, srcn);
	if (e->oom) {
		entry_free(e);
		return NULL;
	}
	if (c == NULL)
		return e;
	pthread_mutex_lock(&c->mu);
	struct rentry *other = table_find(c, h, key, keylen);
	if (other) {
		other->refs++;
		pthread_mutex_unlock(&c->mu);
		entry_free(e);
		return other;
	}
	if (c->count >= RE_CACHE_MAX)
		table_remove(c, c->lru.lprev);
	e->hnext = c->buckets[h % RE_CACHE_BUCKETS];
	c->buckets[h % RE_CACHE_BUCKETS] = e;
	lru_front(c, e);
	c->count++;
	e->cached = true;
	e->refs++; /* the cache's own reference */
	pthread_mutex_unlock(&c->mu);
	return e;
}

struct recache *rre_get_cache(rctx *cx)
{
	return rctx_state(cx, RBI_STATE_REGEX, cache_new, cache_free);
}

static void build_plain(struct rentry *e, const char *pat, size_t n) { rre_compile_go(e, pat, n); }

/* Compiled regex for pattern (a Go regexp), or a builtin error. */
int rre_regex_get(rctx *cx, struct recache *c, const char *pat, size_t n, struct rentry **out)
{
	char stackkey[256];
	char *key = stackkey;
	size_t kn;
	if (__builtin_add_overflow(n, 1, &kn))
		return rbi_oom(cx);
	if (kn > sizeof(stackkey)) {
		key = rarena_alloc(rctx_arena(cx), kn);
		if (key == NULL)
			return rbi_oom(cx);
	}
	key[0] = 'r';
	memcpy(key + 1, pat, n);
	struct rentry *e = rre_entry_get(c, key, kn, build_plain, pat, n);
	if (e == NULL)
		return rbi_oom(cx);
	if (e->code == NULL) {
		int r = rbi_err(cx, "%s", e->err);
		rre_entry_release(c, e);
		return r;
	}
	*out = e;
	return 0;
}
