/* libcocoon-toml internals: the node layout (toml_tree.c), the parser state
 * shared by the statement parser (toml_parse.c) and the scalar parsers
 * (toml_scalar.c). Not installed; include only from lib/toml/. */
#ifndef COCOON_TOML_INT_H
#define COCOON_TOML_INT_H

#include <stdint.h>
#include <string.h>

#include "cocoon/buf.h"
#include "toml.h"

/* Node flags, with the meaning tomllib gives its path flags. */
enum {
	/* a table declared with [header] (or the key of an [[array]]), or a
	 * table a dotted key made or went through in an earlier section: it
	 * cannot be declared again, and no dotted key may go through it */
	TN_EXPLICIT = 1u << 0,
	/* an inline table or a static array: nothing may be added below it */
	TN_FROZEN = 1u << 1,
	/* an array made by [[header]]: later [[header]]s append to it, headers
	 * below it go into its last table */
	TN_AOT = 1u << 2,
	/* on the current section's pending list (becomes EXPLICIT at the next
	 * header) */
	TN_PENDING = 1u << 3,
};

struct toml_entry {
	char *key;
	size_t key_len;
	toml_value *v;
};

struct toml_value {
	enum toml_type type;
	unsigned line;
	unsigned flags;
	unsigned depth; /* 0 for the root; bounded by CC_TOML_MAX_DEPTH */
	union {
		struct {
			char *p; /* NUL-terminated, may hold NULs */
			size_t len;
		} s;
		int64_t i;
		double f;
		bool b;
		toml_datetime dt;
		struct {
			toml_value **items;
			size_t len, cap;
		} a;
		struct {
			struct toml_entry *e;
			size_t len, cap;
			uint32_t *slots; /* open addressing: entry index + 1, 0 = empty */
			size_t nslots;   /* 0 or a power of two */
		} t;
	} u;
};

struct toml_doc {
	toml_value *root;
};

/* ---- toml_tree.c ------------------------------------------------------ */

/* A new node of type t at depth d (NULL on OOM). */
toml_value *tn_new(enum toml_type t, unsigned line, unsigned depth);
/* Frees v and everything below it; NULL is a no-op. */
void tn_free(toml_value *v);
/* The value under key in table t, or NULL. */
toml_value *tn_find(const toml_value *t, const char *key, size_t key_len);
/* Adds key (copied) -> v (owned from now on, also on failure) to table t,
 * which must not have key yet. 0 or -ENOMEM. */
int tn_add(toml_value *t, const char *key, size_t key_len, toml_value *v);
/* Appends v (owned from now on, also on failure) to array a. */
int tn_push(toml_value *a, toml_value *v);

/* ---- parser state ----------------------------------------------------- */

struct tp {
	const char *s; /* the document, CRLF turned into LF, NUL-terminated */
	size_t n;
	size_t pos;
	const char *name;
	cc_error **err;
	/* line counting: line number of line_pos (moves forward only) */
	size_t line_pos;
	unsigned line;
	toml_value *root;
	toml_value *cur; /* the current section's table */
	/* tables dotted keys made or went through in this section */
	toml_value **pending;
	size_t n_pending, cap_pending;
};

/* The 1-based line of p->pos. */
unsigned tp_line(struct tp *p);
/* Fails with a toml_parse_error at byte offset at: -EINVAL. */
int tp_fail(struct tp *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Fails with code and a message naming the line (caps: -E2BIG, -ELOOP,
 * -ENOMEM). */
int tp_fail_code(struct tp *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int tp_peek(const struct tp *p, size_t ahead)
{
	return p->pos + ahead < p->n ? (unsigned char)p->s[p->pos + ahead] : -1;
}

static inline bool tp_at(const struct tp *p, const char *lit)
{
	size_t l = strlen(lit);
	return p->n - p->pos >= l && memcmp(p->s + p->pos, lit, l) == 0;
}

/* A character tomllib calls ASCII_CTRL: 0x00-0x1F and 0x7F. */
static inline bool tp_is_ctrl(int c)
{
	return (c >= 0 && c < 0x20) || c == 0x7f;
}

/* ---- toml_scalar.c ---------------------------------------------------- */

/* Strings at p->pos (the opening quote): one-line basic "...", literal
 * '...', and the multi-line forms. The text goes into out (appended). */
int tp_basic_string(struct tp *p, cc_buf *out);
int tp_literal_string(struct tp *p, cc_buf *out);
int tp_multiline_string(struct tp *p, bool literal, cc_buf *out);
/* A date, time, date-time or number at p->pos, if one starts there: 1 and
 * *ret filled (a DATETIME, INTEGER or FLOAT node at depth d), 0 if none
 * starts there (p->pos unchanged), or a negative error. */
int tp_scalar(struct tp *p, unsigned depth, toml_value **ret);

#endif
