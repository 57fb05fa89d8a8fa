/* Bump-pointer arena with a byte limit (value.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

#define CHUNK_MIN (64u * 1024u)
#define ALIGN 16u

struct chunk {
	struct chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct rarena {
	struct chunk *head; /* current chunk (first in list) */
	size_t used;        /* bytes handed out + chunk sizes, for the limit */
	size_t limit;
	int failure;        /* RARENA_* of the last failure */
};

int rarena_failure(const rarena *a) { return a->failure; }
void rarena_set_failure(rarena *a, int why) { a->failure = why; }

rarena *rarena_new(size_t limit)
{
	rarena *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->limit = limit;
	return a;
}

static void free_chunks(struct chunk *c)
{
	while (c) {
		struct chunk *n = c->next;
		free(c);
		c = n;
	}
}

void rarena_free(rarena *a)
{
	if (a == NULL)
		return;
	free_chunks(a->head);
	free(a);
}

static struct chunk *new_chunk(rarena *a, size_t need)
{
	size_t size = need > CHUNK_MIN ? need : CHUNK_MIN;
	/* Grow chunk sizes with the arena so big evaluations make few mallocs. */
	if (a->used / 4 > size && a->used / 4 < 16u * 1024u * 1024u)
		size = a->used / 4;
	size_t total;
	if (__builtin_add_overflow(size, sizeof(struct chunk), &total))
		return NULL;
	if (a->limit != 0 && (a->used > a->limit || size > a->limit - a->used)) {
		if (need > a->limit || a->used > a->limit - need)
			return NULL;
		size = need; /* last chunk that still fits the limit */
		total = size + sizeof(struct chunk);
	}
	struct chunk *c = malloc(total);
	if (c == NULL)
		return NULL;
	c->size = size;
	c->used = 0;
	a->used += size;
	return c;
}

void *rarena_alloc(rarena *a, size_t n)
{
	if (n == 0)
		n = 1;
	size_t need;
	if (__builtin_add_overflow(n, ALIGN - 1, &need)) {
		a->failure = RARENA_OOM;
		return NULL;
	}
	need &= ~(size_t)(ALIGN - 1);
	struct chunk *c = a->head;
	if (c == NULL || c->size - c->used < need) {
		struct chunk *nc = new_chunk(a, need);
		if (nc == NULL) {
			a->failure = RARENA_OOM;
			return NULL;
		}
		if (c != NULL && need > CHUNK_MIN / 4 && c->size - c->used >= CHUNK_MIN / 4) {
			/* Big one-off block: keep filling the current chunk. */
			nc->next = c->next;
			c->next = nc;
			nc->used = need;
			return nc->data;
		}
		nc->next = c;
		a->head = nc;
		c = nc;
	}
	void *p = c->data + c->used;
	c->used += need;
	return p;
}

void *rarena_zalloc(rarena *a, size_t n)
{
	void *p = rarena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *rarena_nalloc(rarena *a, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		a->failure = RARENA_OOM;
		return NULL;
	}
	return rarena_alloc(a, total);
}

void *rarena_dup(rarena *a, const void *p, size_t n)
{
	void *d = rarena_alloc(a, n);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

char *rarena_strndup(rarena *a, const char *s, size_t n)
{
	size_t total;
	if (__builtin_add_overflow(n, 1, &total))
		return NULL;
	char *d = rarena_alloc(a, total);
	if (d == NULL)
		return NULL;
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void rarena_reset(rarena *a)
{
	a->failure = RARENA_OK;
	struct chunk *c = a->head;
	if (c == NULL)
		return;
	/* Keep the most recent chunk only if it is a normal-sized one. */
	free_chunks(c->next);
	c->next = NULL;
	if (c->size > 4u * CHUNK_MIN) {
		free(c);
		a->head = NULL;
		a->used = 0;
		return;
	}
	c->used = 0;
	a->used = c->size;
}

size_t rarena_used(const rarena *a) { return a->used; }
size_t rarena_limit(const rarena *a) { return a->limit; }
void rarena_set_limit(rarena *a, size_t limit) { a->limit = limit; }
