/* libcocoon-toml: the document parser: statements, keys, tables, arrays
 * of tables, arrays and inline tables, with tomllib's rules on what may be
 * defined twice (toml_int.h, the TN_* flags). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "toml_int.h"

unsigned tp_line(struct tp *p)
{
	size_t to = p->pos < p->n ? p->pos : p->n;
	for (; p->line_pos < to; p->line_pos++)
		if (p->s[p->line_pos] == '\n')
			p->line++;
	return p->line;
}

static void line_col(const struct tp *p, size_t at, int *line, int *col)
{
	size_t l = 1, c = 1;
	for (size_t i = 0; i < at && i < p->n; i++) {
		if (p->s[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)p->s[i] & 0xC0) != 0x80) {
			c++; /* columns count characters, not bytes */
		}
	}
	*line = l > 0x7fffffff ? 0x7fffffff : (int)l;
	*col = c > 0x7fffffff ? 0x7fffffff : (int)c;
}

__attribute__((format(printf, 4, 0))) static int vfail(struct tp *p, size_t at, int code,
                                                     const char *fmt, va_list ap)
{
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	int line, col;
	line_col(p, at, &line, &col);
	return cc_error_set_at(p->err, code, "toml_parse_error", p->name, line, col, "%s", msg);
}

int tp_fail(struct tp *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfail(p, at, -EINVAL, fmt, ap);
	va_end(ap);
	return r;
}

int tp_fail_code(struct tp *p, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfail(p, p->pos, code, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- keys ----------------------------------------------------------------- */

struct key {
	cc_buf *parts;
	size_t n, cap;
	size_t at; /* where the key starts, for errors */
};

static void key_free(struct key *k)
{
	for (size_t i = 0; i < k->n; i++)
		cc_buf_free(&k->parts[i]);
	free(k->parts);
	memset(k, 0, sizeof(*k));
}

static bool bare_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static void skip_ws(struct tp *p)
{
	while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

static int key_part(struct tp *p, struct key *k)
{
	if (k->n == CC_TOML_MAX_DEPTH)
		return tp_fail_code(p, -ELOOP, "key has more than %u parts", CC_TOML_MAX_DEPTH);
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4;
		cc_buf *np = realloc(k->parts, cap * sizeof(*np));
		if (np == NULL)
			return tp_fail_code(p, -ENOMEM, "out of memory");
		k->parts = np;
		k->cap = cap;
	}
	cc_buf *b = &k->parts[k->n++];
	cc_buf_init(b, CC_TOML_MAX_BYTES);
	int c = tp_peek(p, 0);
	if (c == '"')
		return tp_basic_string(p, b);
	if (c == '\'')
		return tp_literal_string(p, b);
	size_t start = p->pos;
	while (p->pos < p->n && bare_char((unsigned char)p->s[p->pos]))
		p->pos++;
	if (p->pos == start)
		return tp_fail(p, p->pos, "invalid character at the start of a key");
	int r = cc_buf_add(b, p->s + start, p->pos - start);
	return r < 0 ? tp_fail_code(p, r, "out of memory") : 0;
}

/* key ( ws '.' ws key )* ws */
static int parse_key(struct tp *p, struct key *k)
{
	k->at = p->pos;
	int r = key_part(p, k);
	if (r < 0)
		return r;
	skip_ws(p);
	while (tp_peek(p, 0) == '.') {
		p->pos++;
		skip_ws(p);
		if ((r = key_part(p, k)) < 0)
			return r;
		skip_ws(p);
	}
	return 0;
}

static const char *kpart(const struct key *k, size_t i, size_t *len)
{
	*len = k->parts[i].len;
	return k->parts[i].p ? k->parts[i].p : "";
}

/* ---- tree building ---------------------------------------------------------- */

static int add_pending(struct tp *p, toml_value *t)
{
	if (t->flags & TN_PENDING)
		return 0;
	if (p->n_pending == p->cap_pending) {
		size_t cap = p->cap_pending ? p->cap_pending * 2 : 16;
		toml_value **np = realloc(p->pending, cap * sizeof(*np));
		if (np == NULL)
			return tp_fail_code(p, -ENOMEM, "out of memory");
		p->pending = np;
		p->cap_pending = cap;
	}
	t->flags |= TN_PENDING;
	p->pending[p->n_pending++] = t;
	return 0;
}

static void finalize_pending(struct tp *p)
{
	for (size_t i = 0; i < p->n_pending; i++) {
		p->pending[i]->flags &= ~(unsigned)TN_PENDING;
		p->pending[i]->flags |= TN_EXPLICIT;
	}
	p->n_pending = 0;
}

/* A new node below parent (depth checked). */
static int new_child(struct tp *p, const toml_value *parent, enum toml_type t, toml_value **ret)
{
	if (parent->depth + 1 > CC_TOML_MAX_DEPTH)
		return tp_fail_code(p, -ELOOP, "tables and arrays nest more than %u deep",
		                    CC_TOML_MAX_DEPTH);
	toml_value *v = tn_new(t, tp_line(p), parent->depth + 1);
	if (v == NULL)
		return tp_fail_code(p, -ENOMEM, "out of memory");
	*ret = v;
	return 0;
}

/* The table under key in t, created (flags 0) if missing. */
static int child_table(struct tp *p, toml_value *t, const char *key, size_t len, toml_value **ret)
{
	toml_value *c = tn_find(t, key, len);
	if (c != NULL) {
		*ret = c;
		return 0;
	}
	int r = new_child(p, t, TOML_TABLE, &c);
	if (r == 0 && (r = tn_add(t, key, len, c)) < 0)
		return tp_fail_code(p, r, "out of memory");
	if (r == 0)
		*ret = c;
	return r;
}

/* Walks the first n parts of k from t for a [header] or [[header]]: missing
 * tables are made, arrays of tables lead into their last table. */
static int walk_header(struct tp *p, const struct key *k, size_t n, toml_value **t)
{
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *part = kpart(k, i, &len);
		toml_value *c = NULL;
		int r = child_table(p, *t, part, len, &c);
		if (r < 0)
			return r;
		if (c->flags & TN_FROZEN)
			return tp_fail(p, k->at, "cannot add to the inline table or array '%s'", part);
		if (c->type == TOML_ARRAY) /* not frozen, so an array of tables */
			c = c->u.a.items[c->u.a.len - 1];
		else if (c->type != TOML_TABLE)
			return tp_fail(p, k->at, "key '%s' is not a table", part);
		*t = c;
	}
	return 0;
}

/* The key of a header after its n brackets, and the table its last part
 * goes into. */
static int header_key(struct tp *p, size_t brackets, struct key *k, toml_value **ret_t)
{
	p->pos += brackets;
	skip_ws(p);
	*ret_t = p->root;
	int r = parse_key(p, k);
	return r < 0 ? r : walk_header(p, k, k->n - 1, ret_t);
}

/* [ key ] */
static int table_header(struct tp *p)
{
	struct key k = {0};
	toml_value *t;
	int r = header_key(p, 1, &k, &t);
	if (r == 0) {
		size_t len;
		const char *last = kpart(&k, k.n - 1, &len);
		toml_value *c = tn_find(t, last, len);
		if (c == NULL)
			r = child_table(p, t, last, len, &c);
		else if (c->type != TOML_TABLE || (c->flags & (TN_EXPLICIT | TN_FROZEN)))
			r = tp_fail(p, k.at, "table '%s' is defined twice", last);
		if (r == 0) {
			c->flags |= TN_EXPLICIT;
			c->line = tp_line(p);
			p->cur = c;
		}
	}
	if (r == 0 && tp_peek(p, 0) != ']')
		r = tp_fail(p, p->pos, "expected ']' at the end of a table header");
	p->pos++;
	key_free(&k);
	return r;
}

/* [[ key ]] */
static int array_header(struct tp *p)
{
	struct key k = {0};
	toml_value *t;
	int r = header_key(p, 2, &k, &t);
	if (r == 0) {
		size_t len;
		const char *last = kpart(&k, k.n - 1, &len);
		toml_value *a = tn_find(t, last, len), *e = NULL;
		if (a == NULL) {
			if ((r = new_child(p, t, TOML_ARRAY, &a)) == 0) {
				a->flags = TN_AOT | TN_EXPLICIT;
				if ((r = tn_add(t, last, len, a)) < 0)
					r = tp_fail_code(p, r, "out of memory");
			}
		} else if (a->type != TOML_ARRAY || !(a->flags & TN_AOT)) {
			r = tp_fail(p, k.at, "'%s' is not an array of tables", last);
		}
		if (r == 0 && (r = new_child(p, a, TOML_TABLE, &e)) == 0) {
			if ((r = tn_push(a, e)) < 0)
				r = tp_fail_code(p, r, "out of memory");
			else
				p->cur = e;
		}
	}
	if (r == 0 && !tp_at(p, "]]"))
		r = tp_fail(p, p->pos, "expected ']]' at the end of an array-of-tables header");
	p->pos += 2;
	key_free(&k);
	return r;
}

static int parse_value(struct tp *p, unsigned depth, toml_value **ret);

/* Puts value v (owned) under the key k in t: in a section (inline false)
 * the tables the dotted key goes through must not be EXPLICIT and become
 * pending; in an inline table they only must not be frozen. */
static int put(struct tp *p, toml_value *t, const struct key *k, bool inline_table, toml_value *v)
{
	int r = 0;
	for (size_t i = 0; i + 1 < k->n && r == 0; i++) {
		size_t len;
		const char *part = kpart(k, i, &len);
		toml_value *c;
		if ((r = child_table(p, t, part, len, &c)) < 0)
			break;
		if (c->type != TOML_TABLE)
			r = tp_fail(p, k->at, "key '%s' is already a value, not a table", part);
		else if (!inline_table && (c->flags & TN_EXPLICIT))
			r = tp_fail(p, k->at, "cannot add to table '%s' with a dotted key", part);
		else if (c->flags & TN_FROZEN)
			r = tp_fail(p, k->at, "cannot add to the inline table '%s'", part);
		else if (!inline_table)
			r = add_pending(p, c);
		t = c;
	}
	if (r == 0) {
		size_t len;
		const char *last = kpart(k, k->n - 1, &len);
		if (tn_find(t, last, len) != NULL)
			r = tp_fail(p, k->at, "key '%s' is defined twice", last);
		else if (t->depth + 1 > CC_TOML_MAX_DEPTH)
			r = tp_fail_code(p, -ELOOP, "tables nest more than %u deep", CC_TOML_MAX_DEPTH);
		else if ((r = tn_add(t, last, len, TAKE_PTR(v))) < 0)
			r = tp_fail_code(p, r, "out of memory");
	}
	tn_free(v);
	return r;
}

/* key ws '=' ws value, into table t. */
static int key_value(struct tp *p, toml_value *t, bool inline_table)
{
	struct key k = {0};
	int r = parse_key(p, &k);
	toml_value *v = NULL;
	if (r == 0 && tp_peek(p, 0) != '=')
		r = tp_fail(p, p->pos, "expected '=' after a key");
	if (r == 0) {
		p->pos++;
		skip_ws(p);
		/* the value's depth is that of its key's last part, at most
		 * t->depth + parts (put() checks the exact one) */
		r = parse_value(p, t->depth + (unsigned)k.n, &v);
	}
	if (r == 0)
		r = put(p, t, &k, inline_table, v);
	key_free(&k);
	return r;
}

/* ---- arrays and inline tables -------------------------------------------------- */

/* A comment at p->pos, if any, up to the newline (not consumed). */
static int skip_comment(struct tp *p)
{
	if (tp_peek(p, 0) != '#')
		return 0;
	for (p->pos++; p->pos < p->n && p->s[p->pos] != '\n'; p->pos++) {
		int c = (unsigned char)p->s[p->pos];
		if (tp_is_ctrl(c) && c != '\t')
			return tp_fail(p, p->pos, "control character 0x%02x in a comment", c);
	}
	return 0;
}

static int skip_array_ws(struct tp *p)
{
	for (;;) {
		size_t before = p->pos;
		while (p->pos < p->n && strchr(" \t\n", p->s[p->pos]) != NULL && p->s[p->pos] != '\0')
			p->pos++;
		int r = skip_comment(p);
		if (r < 0)
			return r;
		if (p->pos == before)
			return 0;
	}
}

static int parse_array(struct tp *p, toml_value *a)
{
	p->pos++;
	int r = skip_array_ws(p);
	if (r < 0)
		return r;
	if (tp_peek(p, 0) == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		toml_value *v = NULL;
		if ((r = parse_value(p, a->depth + 1, &v)) < 0)
			return r;
		if ((r = tn_push(a, v)) < 0)
			return tp_fail_code(p, r, "out of memory");
		if ((r = skip_array_ws(p)) < 0)
			return r;
		int c = tp_peek(p, 0);
		if (c == ']') {
			p->pos++;
			return 0;
		}
		if (c != ',')
			return tp_fail(p, p->pos, "expected ',' or ']' in an array");
		p->pos++;
		if ((r = skip_array_ws(p)) < 0)
			return r;
		if (tp_peek(p, 0) == ']') {
			p->pos++;
			return 0;
		}
	}
}

static int parse_inline_table(struct tp *p, toml_value *t)
{
	p->pos++;
	skip_ws(p);
	if (tp_peek(p, 0) == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		int r = key_value(p, t, true);
		if (r < 0)
			return r;
		skip_ws(p);
		int c = tp_peek(p, 0);
		if (c == '}') {
			p->pos++;
			return 0;
		}
		if (c != ',')
			return tp_fail(p, p->pos, "expected ',' or '}' in an inline table");
		p->pos++;
		skip_ws(p);
	}
}

/* Arrays and inline tables are frozen: nothing is added to them later. */
static int container(struct tp *p, enum toml_type type, unsigned depth, toml_value **ret)
{
	if (depth > CC_TOML_MAX_DEPTH)
		return tp_fail_code(p, -ELOOP, "tables and arrays nest more than %u deep",
		                    CC_TOML_MAX_DEPTH);
	toml_value *v = tn_new(type, tp_line(p), depth);
	if (v == NULL)
		return tp_fail_code(p, -ENOMEM, "out of memory");
	int r = type == TOML_ARRAY ? parse_array(p, v) : parse_inline_table(p, v);
	if (r < 0) {
		tn_free(v);
		return r;
	}
	v->flags |= TN_FROZEN;
	*ret = v;
	return 0;
}

static int string_value(struct tp *p, unsigned depth, toml_value **ret)
{
	cc_buf b;
	cc_buf_init(&b, CC_TOML_MAX_BYTES);
	unsigned line = tp_line(p);
	int r;
	if (tp_at(p, "\"\"\""))
		r = tp_multiline_string(p, false, &b);
	else if (tp_at(p, "'''"))
		r = tp_multiline_string(p, true, &b);
	else if (tp_peek(p, 0) == '"')
		r = tp_basic_string(p, &b);
	else
		r = tp_literal_string(p, &b);
	toml_value *v = NULL;
	if (r == 0 && (v = tn_new(TOML_STRING, line, depth)) == NULL)
		r = tp_fail_code(p, -ENOMEM, "out of memory");
	if (r == 0 && (v->u.s.p = cc_buf_steal(&b, &v->u.s.len)) == NULL) {
		tn_free(v);
		r = tp_fail_code(p, -ENOMEM, "out of memory");
	}
	cc_buf_free(&b);
	if (r == 0)
		*ret = v;
	return r;
}

static int parse_value(struct tp *p, unsigned depth, toml_value **ret)
{
	int c = tp_peek(p, 0);
	if (c == '"' || c == '\'')
		return string_value(p, depth, ret);
	if (tp_at(p, "true") || tp_at(p, "false")) {
		toml_value *v = tn_new(TOML_BOOLEAN, tp_line(p), depth);
		if (v == NULL)
			return tp_fail_code(p, -ENOMEM, "out of memory");
		v->u.b = c == 't';
		p->pos += v->u.b ? 4 : 5;
		*ret = v;
		return 0;
	}
	if (c == '[')
		return container(p, TOML_ARRAY, depth, ret);
	if (c == '{')
		return container(p, TOML_TABLE, depth, ret);
	int r = tp_scalar(p, depth, ret);
	if (r > 0)
		return 0;
	return r < 0 ? r : tp_fail(p, p->pos, "invalid value");
}

/* ---- the document ------------------------------------------------------------- */

static int statements(struct tp *p)
{
	for (;;) {
		skip_ws(p);
		if (p->pos >= p->n)
			return 0;
		int c = (unsigned char)p->s[p->pos], r = 0;
		if (c == '\n') {
			p->pos++;
			continue;
		}
		if (bare_char(c) || c == '"' || c == '\'') {
			r = key_value(p, p->cur, false);
			skip_ws(p);
		} else if (c == '[') {
			finalize_pending(p);
			r = tp_peek(p, 1) == '[' ? array_header(p) : table_header(p);
			skip_ws(p);
		} else if (c != '#') {
			r = tp_fail(p, p->pos, "invalid statement");
		}
		if (r == 0)
			r = skip_comment(p);
		if (r < 0)
			return r;
		if (p->pos >= p->n)
			return 0;
		if (p->s[p->pos] != '\n')
			return tp_fail(p, p->pos, "expected a newline or the end of the document");
		p->pos++;
	}
}

/* Go's utf8.Valid: shortest forms of U+0000..U+10FFFF without surrogates.
 * On failure *bad is the offset of the first bad byte. */
static bool utf8_valid(const unsigned char *s, size_t n, size_t *bad)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len, min;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2, min = 0x80, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3, min = 0x800, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4, min = 0x10000, cp = c & 0x07;
		} else {
			*bad = i;
			return false;
		}
		if (n - i < len)
			goto fail;
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto fail;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto fail;
		i += len;
		continue;
	fail:
		*bad = i;
		return false;
	}
	return true;
}

int toml_parse(const char *src, size_t len, const char *name, toml_doc **ret, cc_error **err)
{
	if (len > CC_TOML_MAX_BYTES)
		return cc_error_set_at(err, -E2BIG, "toml_parse_error", name, 0, 0,
		                       "document is %zu bytes, over the %u-byte cap", len,
		                       CC_TOML_MAX_BYTES);
	/* tomllib reads CRLF as LF; a lone CR is a control character */
	char *s = malloc(len + 1);
	toml_doc *d = calloc(1, sizeof(*d));
	if (s == NULL || d == NULL) {
		free(s);
		free(d);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (!(src[i] == '\r' && i + 1 < len && src[i + 1] == '\n'))
			s[n++] = src[i];
	s[n] = '\0';
	struct tp p = {.s = s, .n = n, .name = name, .err = err, .line = 1};
	size_t bad;
	int r;
	if (!utf8_valid((const unsigned char *)s, n, &bad)) {
		r = tp_fail(&p, bad, "invalid UTF-8");
	} else if ((d->root = tn_new(TOML_TABLE, 1, 0)) == NULL) {
		r = cc_error_set(err, -ENOMEM, "out of memory");
	} else {
		p.root = p.cur = d->root;
		r = statements(&p);
	}
	free(p.pending);
	free(s);
	if (r < 0) {
		toml_doc_free(d);
		return r;
	}
	*ret = d;
	return 0;
}
