/* Key lists returned by kbs_store_list (store.h): copies of the keys of one
 * page, each with a NUL after it, and whether more keys follow. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cocoon/limits.h>

#include "store_backend.h"

struct kbs_key {
	uint8_t *p;
	size_t len;
};

struct kbs_keylist {
	struct kbs_key *keys;
	size_t n, cap;
	bool more;
};

kbs_keylist *kbs_keylist_new(void)
{
	return calloc(1, sizeof(struct kbs_keylist));
}

int kbs_keylist_add(kbs_keylist *l, const uint8_t *key, size_t key_len)
{
	/* A back end adds at most one page; the cap also bounds the array. */
	if (l->n >= CC_KBS_MAX_LIST_KEYS || key_len > CC_KBS_MAX_KEY_BYTES)
		return -E2BIG;
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 16 : l->cap * 2;
		if (cap > CC_KBS_MAX_LIST_KEYS)
			cap = CC_KBS_MAX_LIST_KEYS;
		struct kbs_key *k = realloc(l->keys, cap * sizeof(*k));
		if (k == NULL)
			return -ENOMEM;
		l->keys = k;
		l->cap = cap;
	}
	uint8_t *p = malloc(key_len + 1);
	if (p == NULL)
		return -ENOMEM;
	if (key_len > 0)
		memcpy(p, key, key_len);
	p[key_len] = '\0';
	l->keys[l->n].p = p;
	l->keys[l->n].len = key_len;
	l->n++;
	return 0;
}

void kbs_keylist_set_more(kbs_keylist *l, bool more)
{
	l->more = more;
}

size_t kbs_keylist_count(const kbs_keylist *l)
{
	return l != NULL ? l->n : 0;
}

const uint8_t *kbs_keylist_key(const kbs_keylist *l, size_t i, size_t *ret_len)
{
	if (l == NULL || i >= l->n)
		return NULL;
	if (ret_len != NULL)
		*ret_len = l->keys[i].len;
	return l->keys[i].p;
}

bool kbs_keylist_more(const kbs_keylist *l)
{
	return l != NULL && l->more;
}

void kbs_keylist_free(kbs_keylist *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->keys[i].p);
	free(l->keys);
	free(l);
}
