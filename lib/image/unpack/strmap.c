/* String-keyed hash map (strmap.h). */
#include "strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct slot {
	char *key; /* NULL: empty */
	size_t n;
	uint64_t h;
	void *value;
};

struct strmap {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t size;
	uint64_t seed;
};

static uint64_t strmap_hash(uint64_t seed, const char *key, size_t n)
{
	/* FNV-1a over the bytes from a random basis, then a murmur3
	 * finaliser so the low bits used for the bucket depend on all of it. */
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

struct strmap *strmap_new(void)
{
	struct strmap *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->cap = 64;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (m->slots == NULL) {
		free(m);
		return NULL;
	}
	if (getrandom(&m->seed, sizeof(m->seed), GRND_NONBLOCK) != (ssize_t)sizeof(m->seed))
		m->seed = (uint64_t)(uintptr_t)m ^ 0x9e3779b97f4a7c15ull;
	return m;
}

void strmap_free(struct strmap *m, void (*free_value)(void *))
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		free(m->slots[i].key);
		if (free_value != NULL)
			free_value(m->slots[i].value);
	}
	free(m->slots);
	free(m);
}

static struct slot *strmap_find(const struct strmap *m, const char *key, size_t n, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->slots[i];
		if (s->key == NULL)
			return s;
		if (s->h == h && s->n == n && memcmp(s->key, key, n) == 0)
			return s;
	}
}

void *strmap_get(const struct strmap *m, const char *key, size_t n)
{
	struct slot *s = strmap_find(m, key, n, strmap_hash(m->seed, key, n));
	return s->key != NULL ? s->value : NULL;
}

static int strmap_grow(struct strmap *m)
{
	size_t ncap = m->cap * 2;
	if (ncap < m->cap || ncap > SIZE_MAX / sizeof(struct slot))
		return -ENOMEM;
	struct slot *ns = calloc(ncap, sizeof(*ns));
	if (ns == NULL)
		return -ENOMEM;
	struct slot *old = m->slots;
	size_t ocap = m->cap;
	m->slots = ns;
	m->cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].key != NULL)
			*strmap_find(m, old[i].key, old[i].n, old[i].h) = old[i];
	}
	free(old);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, size_t n, void *value, void **ret_old)
{
	uint64_t h = strmap_hash(m->seed, key, n);
	struct slot *s = strmap_find(m, key, n, h);
	if (s->key != NULL) {
		if (ret_old != NULL)
			*ret_old = s->value;
		s->value = value;
		return 0;
	}
	/* Keep the load factor under 1/2. */
	if ((m->size + 1) * 2 > m->cap) {
		if (strmap_grow(m) < 0)
			return -ENOMEM;
		s = strmap_find(m, key, n, h);
	}
	char *k = malloc(n + 1);
	if (k == NULL)
		return -ENOMEM;
	memcpy(k, key, n);
	k[n] = '\0';
	*s = (struct slot){k, n, h, value};
	m->size++;
	if (ret_old != NULL)
		*ret_old = NULL;
	return 0;
}

size_t strmap_size(const struct strmap *m)
{
	return m->size;
}

int strmap_each(const struct strmap *m, int (*fn)(const char *key, void *value, void *ctx),
                void *ctx)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		int r = fn(m->slots[i].key, m->slots[i].value, ctx);
		if (r != 0)
			return r;
	}
	return 0;
}
