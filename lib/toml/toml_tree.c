/* libcocoon-toml: document nodes, tables with a hash index, and the public
 * accessors (toml.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "toml_int.h"

toml_value *tn_new(enum toml_type t, unsigned line, unsigned depth)
{
	toml_value *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->type = t;
	v->line = line;
	v->depth = depth;
	return v;
}

void tn_free(toml_value *v)
{
	if (v == NULL)
		return;
	/* Recursion is bounded: nodes nest at most CC_TOML_MAX_DEPTH deep. */
	switch (v->type) {
	case TOML_STRING:
		free(v->u.s.p);
		break;
	case TOML_ARRAY:
		for (size_t i = 0; i < v->u.a.len; i++)
			tn_free(v->u.a.items[i]);
		free(v->u.a.items);
		break;
	case TOML_TABLE:
		for (size_t i = 0; i < v->u.t.len; i++) {
			free(v->u.t.e[i].key);
			tn_free(v->u.t.e[i].v);
		}
		free(v->u.t.e);
		free(v->u.t.slots);
		break;
	default:
		break;
	}
	free(v);
}

/* FNV-1a over the key bytes. */
static uint32_t key_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

/* Tables up to this many entries are searched linearly, bigger ones
 * through the hash index. */
#define LINEAR_MAX 8u

toml_value *tn_find(const toml_value *t, const char *key, size_t key_len)
{
	if (t == NULL || t->type != TOML_TABLE)
		return NULL;
	const struct toml_entry *e = t->u.t.e;
	if (t->u.t.nslots == 0) {
		for (size_t i = 0; i < t->u.t.len; i++)
			if (e[i].key_len == key_len && memcmp(e[i].key, key, key_len) == 0)
				return e[i].v;
		return NULL;
	}
	size_t mask = t->u.t.nslots - 1;
	for (size_t s = key_hash(key, key_len) & mask;; s = (s + 1) & mask) {
		uint32_t idx = t->u.t.slots[s];
		if (idx == 0)
			return NULL;
		const struct toml_entry *x = &e[idx - 1];
		if (x->key_len == key_len && memcmp(x->key, key, key_len) == 0)
			return x->v;
	}
}

static void slot_put(uint32_t *slots, size_t nslots, const struct toml_entry *e, uint32_t idx)
{
	size_t mask = nslots - 1;
	size_t s = key_hash(e->key, e->key_len) & mask;
	while (slots[s] != 0)
		s = (s + 1) & mask;
	slots[s] = idx;
}

/* Keeps the index at most half full once the table is past LINEAR_MAX. */
static int reindex(toml_value *t, size_t want)
{
	if (want <= LINEAR_MAX || want * 2 <= t->u.t.nslots)
		return 0;
	size_t n = 64;
	while (n < want * 2)
		n *= 2;
	uint32_t *slots = calloc(n, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->u.t.len; i++)
		slot_put(slots, n, &t->u.t.e[i], (uint32_t)(i + 1));
	free(t->u.t.slots);
	t->u.t.slots = slots;
	t->u.t.nslots = n;
	return 0;
}

int tn_add(toml_value *t, const char *key, size_t key_len, toml_value *v)
{
	if (t->u.t.len == t->u.t.cap) {
		size_t cap = t->u.t.cap ? t->u.t.cap * 2 : 4;
		struct toml_entry *e = realloc(t->u.t.e, cap * sizeof(*e));
		if (e == NULL)
			goto oom;
		t->u.t.e = e;
		t->u.t.cap = cap;
	}
	if (reindex(t, t->u.t.len + 1) < 0)
		goto oom;
	char *k = malloc(key_len + 1);
	if (k == NULL)
		goto oom;
	memcpy(k, key, key_len);
	k[key_len] = '\0';
	struct toml_entry *e = &t->u.t.e[t->u.t.len++];
	e->key = k;
	e->key_len = key_len;
	e->v = v;
	if (t->u.t.nslots)
		slot_put(t->u.t.slots, t->u.t.nslots, e, (uint32_t)t->u.t.len);
	return 0;
oom:
	tn_free(v);
	return -ENOMEM;
}

int tn_push(toml_value *a, toml_value *v)
{
	if (a->u.a.len == a->u.a.cap) {
		size_t cap = a->u.a.cap ? a->u.a.cap * 2 : 4;
		toml_value **items = realloc(a->u.a.items, cap * sizeof(*items));
		if (items == NULL) {
			tn_free(v);
			return -ENOMEM;
		}
		a->u.a.items = items;
		a->u.a.cap = cap;
	}
	a->u.a.items[a->u.a.len++] = v;
	return 0;
}

/* ---- public accessors --------------------------------------------------- */

void toml_doc_free(toml_doc *d)
{
	if (d == NULL)
		return;
	tn_free(d->root);
	free(d);
}

const toml_value *toml_doc_root(const toml_doc *d)
{
	return d ? d->root : NULL;
}

enum toml_type toml_type(const toml_value *v)
{
	return v->type;
}

unsigned toml_line(const toml_value *v)
{
	return v ? v->line : 0;
}

const char *toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_STRING:
		return "string";
	case TOML_INTEGER:
		return "integer";
	case TOML_FLOAT:
		return "float";
	case TOML_BOOLEAN:
		return "boolean";
	case TOML_DATETIME:
		return "date-time";
	case TOML_ARRAY:
		return "array";
	case TOML_TABLE:
		return "table";
	}
	return "?";
}

size_t toml_table_len(const toml_value *t)
{
	return t && t->type == TOML_TABLE ? t->u.t.len : 0;
}

const toml_value *toml_table_at(const toml_value *t, size_t i, const char **ret_key,
                                size_t *ret_key_len)
{
	if (t == NULL || t->type != TOML_TABLE || i >= t->u.t.len)
		return NULL;
	if (ret_key)
		*ret_key = t->u.t.e[i].key;
	if (ret_key_len)
		*ret_key_len = t->u.t.e[i].key_len;
	return t->u.t.e[i].v;
}

const toml_value *toml_table_get(const toml_value *t, const char *key)
{
	return key ? tn_find(t, key, strlen(key)) : NULL;
}

const toml_value *toml_table_path(const toml_value *t, const char *path)
{
	const char *p = path;
	while (t != NULL && p != NULL) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		t = tn_find(t, p, n);
		p = dot ? dot + 1 : NULL;
	}
	return t;
}

size_t toml_array_len(const toml_value *a)
{
	return a && a->type == TOML_ARRAY ? a->u.a.len : 0;
}

const toml_value *toml_array_at(const toml_value *a, size_t i)
{
	return a && a->type == TOML_ARRAY && i < a->u.a.len ? a->u.a.items[i] : NULL;
}

const char *toml_string(const toml_value *v, size_t *ret_len)
{
	if (v == NULL || v->type != TOML_STRING)
		return NULL;
	if (ret_len)
		*ret_len = v->u.s.len;
	return v->u.s.p;
}

int64_t toml_integer(const toml_value *v)
{
	return v && v->type == TOML_INTEGER ? v->u.i : 0;
}

double toml_float(const toml_value *v)
{
	return v && v->type == TOML_FLOAT ? v->u.f : 0.0;
}

bool toml_boolean(const toml_value *v)
{
	return v && v->type == TOML_BOOLEAN && v->u.b;
}

const toml_datetime *toml_dt(const toml_value *v)
{
	return v && v->type == TOML_DATETIME ? &v->u.dt : NULL;
}
