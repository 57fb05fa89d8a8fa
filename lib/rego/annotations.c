/* METADATA annotations (OPA's ast/parser.go parseAnnotations and
 * ast/annotations.go): comment blocks that start with `# METADATA` hold YAML
 * (read with libyaml through rv_from_yaml_text) describing the package or
 * rule that follows. Part of the metadata builtin group: without it the
 * parser skips them, as OPA does when annotations are not processed.
 *
 * The module has parsed already, so its source is known to be valid Rego:
 * the comments are found by running the lexer over it again and looking at
 * the gaps between tokens (a `#` inside a string is part of the token). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "convert.h"
#include "lexer.h"
#include "parser.h"

struct comment {
	const char *text; /* after the '#', up to the end of the line */
	size_t len;
	ast_loc loc;
};

struct clist {
	struct comment *v;
	size_t n, cap;
};

static int clist_push(struct clist *cl, const struct comment *c)
{
	if (cl->n == cl->cap) {
		size_t ncap = cl->cap ? cl->cap * 2 : 32;
		struct comment *nv = reallocarray(cl->v, ncap, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		cl->v = nv;
		cl->cap = ncap;
	}
	cl->v[cl->n++] = *c;
	return 0;
}

/* Records the comments in src[from, to), which holds only whitespace and
 * comments; (line, col) is the position of `from`. */
static int gap_comments(struct clist *cl, const char *src, size_t from, size_t to,
                        uint32_t line, uint32_t col)
{
	size_t off = from;
	while (off < to) {
		char c = src[off];
		if (c == '\n') {
			line++;
			col = 1;
			off++;
		} else if (c == '#') {
			const char *nl = memchr(src + off, '\n', to - off);
			size_t end = nl ? (size_t)(nl - src) : to;
			struct comment cm = {src + off + 1, end - off - 1, {line, col}};
			if (cm.len > 0 && cm.text[cm.len - 1] == '\r')
				cm.len--;
			if (clist_push(cl, &cm) < 0)
				return -ENOMEM;
			col += (uint32_t)(end - off);
			off = end;
		} else {
			col++;
			off++;
		}
	}
	return 0;
}

/* All comments of src, in order. Template strings (`$"..{x}.."`) continue
 * with rlex_template after the `}` that closes an interpolation. */
static int scan_comments(const char *src, size_t len, struct clist *cl)
{
	struct rlexer lx;
	rlex_init(&lx, src, len);
	/* Open interpolations: brace depth inside each, and its raw flag. */
	uint32_t depth[CC_REGO_MAX_PARSE_DEPTH];
	bool raw[CC_REGO_MAX_PARSE_DEPTH];
	size_t ntpl = 0;
	for (;;) {
		size_t from = lx.off;
		uint32_t line = lx.line, col = lx.col;
		struct rtoken t;
		bool cont = ntpl > 0 && depth[ntpl - 1] == 0;
		if (cont) {
			/* the previous token was the closing `}`: the lexer sits
			 * right after it, inside the string */
			rlex_template(&lx, &t, raw[ntpl - 1]);
			ntpl--;
		} else {
			rlex_scan(&lx, &t);
			if (gap_comments(cl, src, from, t.off, line, col) < 0)
				return -ENOMEM;
		}
		if (t.kind == RT_EOF || t.kind == RT_ILLEGAL)
			return 0;
		if (t.kind == RT_TPART) {
			if (ntpl == CC_REGO_MAX_PARSE_DEPTH)
				return 0;
			depth[ntpl] = 1;
			raw[ntpl] = (t.flags & RTF_RAW) != 0;
			ntpl++;
		} else if (ntpl > 0 && t.kind == RT_LBRACE) {
			depth[ntpl - 1]++;
		} else if (ntpl > 0 && t.kind == RT_RBRACE) {
			depth[ntpl - 1]--;
		}
	}
}

/* ---- one block ---- */

struct ablock {
	ast_loc loc; /* the METADATA comment */
	size_t first, n; /* comments after it, in the list */
};

static bool has_metadata_hint(const struct comment *c)
{
	size_t i = 0;
	while (i < c->len && (c->text[i] == ' ' || c->text[i] == '\t' || c->text[i] == '\r'))
		i++;
	return c->len - i >= 8 && memcmp(c->text + i, "METADATA", 8) == 0;
}

struct actx {
	rarena *a;
	const char *file;
	ast_loc loc;
	cc_error **err;
};

__attribute__((format(printf, 2, 3)))
static int aerr(struct actx *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cc_error_set_at(x->err, -EINVAL, "rego_parse_error", x->file, (int)x->loc.line,
	                       (int)x->loc.col, "%s", msg);
}

static const char *yaml_kind(const rv *v)
{
	switch (v->t) {
	case RV_ARR: return "!!seq";
	case RV_OBJ: return "!!map";
	case RV_BOOL: return "!!bool";
	case RV_NUM: return "!!int";
	default: return "!!str";
	}
}

/* A YAML scalar read into a Go string field (go-yaml v2 keeps the text). */
static int want_string(struct actx *x, const rv *v, const rv **ret)
{
	if (v->t == RV_STR) {
		*ret = v;
		return 0;
	}
	if (v->t == RV_NULL) {
		*ret = rv_empty_str();
		return 0;
	}
	if (v->t == RV_BOOL) {
		*ret = rv_cstr(x->a, v->u.b ? "true" : "false");
		return *ret ? 0 : -ENOMEM;
	}
	if (v->t == RV_NUM) {
		cc_buf b = {0};
		int r = rv_num_to_text(v, &b);
		*ret = r == 0 ? rv_str(x->a, b.p ? b.p : "", b.len) : NULL;
		cc_buf_free(&b);
		return *ret ? 0 : -ENOMEM;
	}
	return aerr(x, "yaml: unmarshal errors:\n  cannot unmarshal %s into string", yaml_kind(v));
}

static const rv *sget(const rv *obj, const char *k)
{
	return obj->t == RV_OBJ ? rv_obj_gets(obj, k, strlen(k)) : NULL;
}

/* Collects key/value pairs of the result object. */
struct kv {
	const rv *k[10];
	const rv *v[10];
	size_t n;
};

static int kv_add(struct actx *x, struct kv *o, const char *k, const rv *v)
{
	const rv *key = rv_cstr(x->a, k);
	if (key == NULL || v == NULL || o->n == 10)
		return -ENOMEM;
	o->k[o->n] = key;
	o->v[o->n++] = v;
	return 0;
}

static const rv *kv_obj(struct actx *x, const struct kv *o)
{
	return rv_obj(x->a, o->k, o->v, o->n, NULL);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const rv *trimmed(struct actx *x, const rv *s)
{
	const char *p = s->u.s.p;
	size_t n = s->u.s.n;
	while (n > 0 && is_space(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && is_space(p[n - 1]))
		n--;
	return rv_str(x->a, p, n);
}

/* An author: "Name <email>" or {name, email} (OPA's parseAuthor). */
static int parse_author(struct actx *x, const rv *v, const rv **ret)
{
	struct kv o = {0};
	if (v->t == RV_STR) {
		/* strings.Fields: words separated by white space */
		const char *p = v->u.s.p, *end = p + v->u.s.n;
		const char *words[64];
		size_t wl[64], nw = 0;
		while (p < end) {
			while (p < end && is_space(*p))
				p++;
			const char *w = p;
			while (p < end && !is_space(*p))
				p++;
			if (p > w) {
				if (nw == 64)
					return aerr(x, "invalid author definition %s: too many words", v->u.s.p);
				words[nw] = w;
				wl[nw++] = (size_t)(p - w);
			}
		}
		if (nw == 0)
			return aerr(x, "invalid author definition %s: author is an empty string", v->u.s.p);
		size_t namew = nw;
		const char *last = words[nw - 1];
		size_t ll = wl[nw - 1];
		if (ll >= 2 && last[0] == '<' && last[ll - 1] == '>') {
			int r = kv_add(x, &o, "email", rv_str(x->a, last + 1, ll - 2));
			if (r < 0)
				return r;
			namew--;
		}
		if (namew > 0) {
			size_t nl = (size_t)(words[namew - 1] + wl[namew - 1] - words[0]);
			/* rejoin with single spaces */
			char *buf = rarena_alloc(x->a, nl + 1);
			if (buf == NULL)
				return -ENOMEM;
			size_t bl = 0;
			for (size_t i = 0; i < namew; i++) {
				if (i)
					buf[bl++] = ' ';
				memcpy(buf + bl, words[i], wl[i]);
				bl += wl[i];
			}
			int r = kv_add(x, &o, "name", rv_str(x->a, buf, bl));
			if (r < 0)
				return r;
		}
	} else if (v->t == RV_OBJ) {
		const rv *name = sget(v, "name"), *email = sget(v, "email");
		if (name && name->t != RV_STR)
			return aerr(x, "invalid author definition: 'name' must be a string");
		if (email && email->t != RV_STR)
			return aerr(x, "invalid author definition: 'email' must be a string");
		if ((name == NULL || name->u.s.n == 0) && (email == NULL || email->u.s.n == 0))
			return aerr(x, "invalid author definition: 'name' and/or 'email' values required in object");
		int r = 0;
		if (name && name->u.s.n)
			r = kv_add(x, &o, "name", name);
		if (r == 0 && email && email->u.s.n)
			r = kv_add(x, &o, "email", email);
		if (r < 0)
			return r;
	} else {
		return aerr(x, "invalid author definition: author is not a string or map");
	}
	*ret = kv_obj(x, &o);
	return *ret ? 0 : -ENOMEM;
}

/* A related resource: a URL string or {ref, description}. */
static int parse_related(struct actx *x, const rv *v, const rv **ret)
{
	struct kv o = {0};
	if (v->t == RV_STR) {
		if (v->u.s.n == 0)
			return aerr(x, "invalid related-resource definition : ref URL may not be empty string");
		int r = kv_add(x, &o, "ref", v);
		if (r < 0)
			return r;
	} else if (v->t == RV_OBJ) {
		const rv *ref = sget(v, "ref"), *desc = sget(v, "description");
		ref = ref && ref->t == RV_STR ? trimmed(x, ref) : rv_empty_str();
		desc = desc && desc->t == RV_STR ? trimmed(x, desc) : rv_empty_str();
		if (ref == NULL || desc == NULL)
			return -ENOMEM;
		if (ref->u.s.n == 0)
			return aerr(x, "invalid related-resource definition: 'ref' value required in object");
		int r = kv_add(x, &o, "ref", ref);
		if (r == 0 && desc->u.s.n)
			r = kv_add(x, &o, "description", desc);
		if (r < 0)
			return r;
	} else {
		return aerr(x, "invalid related-resource definition: invalid value type, must be string or map");
	}
	*ret = kv_obj(x, &o);
	return *ret ? 0 : -ENOMEM;
}

/* A Rego reference in text, as an array of its parts (Ref.toArray: the
 * head variable becomes a string). NULL if the text is no plain ref. */
static const rv *ref_array(struct actx *x, const char *s, size_t n)
{
	ast_term *t;
	if (rparse_term(x->a, "", s, n, NULL, &t, NULL) < 0)
		return NULL;
	if (t->kind == AT_VAR)
		return rv_arr(x->a, (const rv *[]){rv_str(x->a, t->u.var.name, t->u.var.len)}, 1);
	if (t->kind != AT_REF || t->u.list.items[0]->kind != AT_VAR)
		return NULL;
	size_t k = t->u.list.n;
	const rv **items = rarena_nalloc(x->a, k, sizeof(*items));
	if (items == NULL)
		return NULL;
	const ast_term *h = t->u.list.items[0];
	items[0] = rv_str(x->a, h->u.var.name, h->u.var.len);
	for (size_t i = 1; i < k; i++) {
		const ast_term *it = t->u.list.items[i];
		if (it->kind == AT_VAR)
			items[i] = rv_str(x->a, it->u.var.name, it->u.var.len);
		else if (it->kind == AT_VALUE)
			items[i] = it->u.val;
		else
			return NULL;
	}
	return rv_arr(x->a, items, k);
}

static int parse_schema(struct actx *x, const rv *item, const rv **ret)
{
	if (item->t != RV_OBJ || item->u.o.n == 0)
		return aerr(x, "yaml: unmarshal errors:\n  cannot unmarshal %s into map[string]interface {}",
		            yaml_kind(item));
	const rv *k = item->u.o.k[0], *v = item->u.o.v[0];
	struct kv o = {0};
	const rv *path = k->t == RV_STR ? ref_array(x, k->u.s.p, k->u.s.n) : NULL;
	if (path == NULL)
		return aerr(x, "invalid document reference");
	int r = kv_add(x, &o, "path", path);
	if (r < 0)
		return r;
	if (v->t == RV_STR) {
		const rv *sref = ref_array(x, v->u.s.p, v->u.s.n);
		if (sref == NULL || sref->u.a.n == 0 || sref->u.a.v[0]->t != RV_STR ||
		    strcmp(sref->u.a.v[0]->u.s.p, "schema") != 0)
			return aerr(x, "invalid schema reference \"%s\"", v->u.s.p);
		r = kv_add(x, &o, "schema", sref);
	} else if (v->t == RV_OBJ) {
		r = kv_add(x, &o, "definition", v);
	} else {
		return aerr(x, "invalid schema declaration for path \"%s\"", k->u.s.p);
	}
	if (r < 0)
		return r;
	*ret = kv_obj(x, &o);
	return *ret ? 0 : -ENOMEM;
}

/* Maps a list field through fn (a null field is an empty list). */
static int map_list(struct actx *x, const rv *v, int (*fn)(struct actx *, const rv *, const rv **),
                    const rv **ret)
{
	if (v->t == RV_NULL) {
		*ret = rv_empty_arr();
		return 0;
	}
	if (v->t != RV_ARR)
		return aerr(x, "yaml: unmarshal errors:\n  cannot unmarshal %s into []interface {}", yaml_kind(v));
	const rv **items = rarena_nalloc(x->a, v->u.a.n + 1, sizeof(*items));
	if (items == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < v->u.a.n; i++) {
		int r = fn(x, v->u.a.v[i], &items[i]);
		if (r < 0)
			return r;
	}
	*ret = rv_arr(x->a, items, v->u.a.n);
	return *ret ? 0 : -ENOMEM;
}

static int org_item(struct actx *x, const rv *v, const rv **ret) { return want_string(x, v, ret); }

/* Parses a block's YAML into the rego.metadata object; *scope gets the
 * scope text (empty if none). */
static int parse_block(struct actx *x, const char *yaml, size_t n, const rv **ret, const rv **scope)
{
	size_t i = 0;
	while (i < n && is_space(yaml[i]))
		i++;
	if (i == n)
		return aerr(x, "expected METADATA block, found whitespace");
	const rv *doc;
	cc_error *yerr = NULL;
	int r = rv_from_yaml_text(x->a, yaml, n, &doc, &yerr);
	if (r < 0) {
		r = r == -ENOMEM ? r : aerr(x, "%s", yerr ? cc_error_message(yerr) : "yaml: invalid document");
		cc_error_free(yerr);
		return r;
	}
	if (doc->t == RV_NULL)
		doc = rv_empty_obj();
	if (doc->t != RV_OBJ)
		return aerr(x, "yaml: unmarshal errors:\n  line 1: cannot unmarshal %s into ast.rawAnnotation",
		            yaml_kind(doc));
	struct kv o = {0};
	const rv *f, *s;
	*scope = rv_empty_str();
	if ((f = sget(doc, "scope")) != NULL) {
		if ((r = want_string(x, f, scope)) < 0)
			return r;
		if ((*scope)->u.s.n && (r = kv_add(x, &o, "scope", *scope)) < 0)
			return r;
	}
	static const char *const str_fields[] = {"title", "description"};
	for (size_t k = 0; k < 2; k++) {
		if ((f = sget(doc, str_fields[k])) == NULL)
			continue;
		if ((r = want_string(x, f, &s)) < 0)
			return r;
		if (s->u.s.n && (r = kv_add(x, &o, str_fields[k], s)) < 0)
			return r;
	}
	if ((f = sget(doc, "entrypoint")) != NULL && f->t != RV_NULL) {
		if (f->t != RV_BOOL)
			return aerr(x, "yaml: unmarshal errors:\n  cannot unmarshal %s into bool", yaml_kind(f));
		if (f->u.b && (r = kv_add(x, &o, "entrypoint", rv_true())) < 0)
			return r;
	}
	static const struct {
		const char *name;
		int (*fn)(struct actx *, const rv *, const rv **);
	} lists[] = {
	    {"organizations", org_item},
	    {"related_resources", parse_related},
	    {"authors", parse_author},
	    {"schemas", parse_schema},
	};
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		if ((f = sget(doc, lists[k].name)) == NULL)
			continue;
		if ((r = map_list(x, f, lists[k].fn, &s)) < 0)
			return r;
		if (s->u.a.n && (r = kv_add(x, &o, lists[k].name, s)) < 0)
			return r;
	}
	if ((f = sget(doc, "custom")) != NULL && f->t != RV_NULL) {
		if (f->t != RV_OBJ)
			return aerr(x, "yaml: unmarshal errors:\n  cannot unmarshal %s into map[string]interface {}",
			            yaml_kind(f));
		if (f->u.o.n && (r = kv_add(x, &o, "custom", f)) < 0)
			return r;
	}
	*ret = kv_obj(x, &o);
	return *ret ? 0 : -ENOMEM;
}

/* ---- attaching blocks to statements ---- */

/* Index of the first of n line-sorted items whose line is after `line`
 * (n if none). */
#define FIRST_AFTER(items, n, line_of, line, ret)                                                  \
	do {                                                                                       \
		size_t lo_ = 0, hi_ = (n);                                                         \
		while (lo_ < hi_) {                                                                \
			size_t mid_ = lo_ + (hi_ - lo_) / 2;                                       \
			if (line_of((items), mid_) > (line))                                       \
				hi_ = mid_;                                                        \
			else                                                                       \
				lo_ = mid_ + 1;                                                    \
		}                                                                                  \
		(ret) = lo_;                                                                       \
	} while (0)
#define IMPORT_LINE(v, i) ((v)[i].loc.line)
#define RULE_LINE(v, i) ((v)[i]->loc.line)

/* The first statement (package, import, rule) on a line after `line`:
 * 1 package, 2 import, 3 rule (*rule set), 0 none. Imports and rules are
 * in source order, so this is a binary search (a module may hold a block
 * per rule: no quadratic scan). */
static int next_stmt(const ast_module *m, uint32_t line, const ast_rule **rule)
{
	uint32_t best = UINT32_MAX;
	int kind = 0;
	size_t i;
	*rule = NULL;
	if (m->package && m->package->loc.line > line) {
		best = m->package->loc.line;
		kind = 1;
	}
	FIRST_AFTER(m->imports, m->nimports, IMPORT_LINE, line, i);
	if (i < m->nimports && m->imports[i].loc.line < best) {
		best = m->imports[i].loc.line;
		kind = 2;
	}
	FIRST_AFTER(m->rules, m->nrules, RULE_LINE, line, i);
	if (i < m->nrules && m->rules[i]->loc.line < best) {
		kind = 3;
		*rule = m->rules[i];
	}
	return kind;
}

static const char *const kind_names[] = {"", "package", "import", "rule"};

static int attach(struct actx *x, const ast_module *m, ast_annot *an, const rv *scope, const rv **obj)
{
	const ast_rule *rule;
	int kind = next_stmt(m, an->loc.line, &rule);
	const char *sc = scope->u.s.p;
	if (scope->u.s.n == 0) {
		sc = kind ? kind_names[kind] : "";
		if (kind) {
			/* OPA fills in the default scope before toObject */
			struct kv o = {0};
			const rv *v = *obj;
			for (size_t i = 0; i < v->u.o.n && o.n < 9; i++) {
				o.k[o.n] = v->u.o.k[i];
				o.v[o.n++] = v->u.o.v[i];
			}
			int r = kv_add(x, &o, "scope", rv_cstr(x->a, sc));
			if (r < 0)
				return r;
			if ((*obj = kv_obj(x, &o)) == NULL)
				return -ENOMEM;
		}
	}
	const char *want = NULL;
	if (!strcmp(sc, "rule") || !strcmp(sc, "document")) {
		an->scope = sc[0] == 'r' ? AN_RULE : AN_DOCUMENT;
		if (kind != 3)
			want = "rule";
	} else if (!strcmp(sc, "package") || !strcmp(sc, "subpackages")) {
		an->scope = sc[0] == 'p' ? AN_PACKAGE : AN_SUBPACKAGES;
		if (kind != 1)
			want = "package";
	} else {
		return aerr(x, "invalid annotation scope '%s'. Use one of 'rule', 'document', 'package', or 'subpackages'",
		            sc);
	}
	if (want) {
		if (kind)
			return aerr(x, "annotation scope '%s' must be applied to %s (have %s)", sc, want,
			            kind_names[kind]);
		return aerr(x, "annotation scope '%s' must be applied to %s", sc, want);
	}
	const rv *ep = sget(*obj, "entrypoint");
	if (ep && an->scope != AN_RULE && an->scope != AN_PACKAGE)
		return aerr(x, "annotation entrypoint applied to non-rule or package scope '%s'", sc);
	an->rule = rule;
	return 0;
}

int rannot_module(rarena *a, ast_module *m, const char *src, size_t len, cc_error **err)
{
	/* Quick exit: no METADATA anywhere in the text. */
	if (memmem(src, len, "METADATA", 8) == NULL)
		return 0;
	struct clist cl = {0};
	struct ablock *blocks = NULL;
	size_t nb = 0;
	char *buf = NULL;
	int r = scan_comments(src, len, &cl);
	if (r < 0)
		goto out;
	/* Group: a METADATA comment and the comments on the following lines
	 * that start in column 1. */
	blocks = calloc(cl.n + 1, sizeof(*blocks));
	if (blocks == NULL) {
		r = -ENOMEM;
		goto out;
	}
	struct ablock *cur = NULL;
	for (size_t i = 0; i < cl.n; i++) {
		if (cur != NULL) {
			if (cl.v[i].loc.line == cl.v[i - 1].loc.line + 1 && cl.v[i].loc.col == 1) {
				cur->n++;
				continue;
			}
			cur = NULL;
		}
		if (has_metadata_hint(&cl.v[i])) {
			cur = &blocks[nb++];
			*cur = (struct ablock){cl.v[i].loc, i + 1, 0};
		}
	}
	if (nb == 0)
		goto out;
	m->annots = rarena_nalloc(a, nb, sizeof(*m->annots));
	buf = malloc(len + 1);
	const rv **objs = rarena_nalloc(a, nb, sizeof(*objs));
	const rv **scopes = rarena_nalloc(a, nb, sizeof(*scopes));
	if (m->annots == NULL || buf == NULL || objs == NULL || scopes == NULL) {
		r = -ENOMEM;
		goto out;
	}
	struct actx x = {.a = a, .file = m->file, .err = err};
	/* Every block parses first (OPA reports YAML errors before attachment
	 * errors). */
	for (size_t b = 0; b < nb; b++) {
		size_t bl = 0;
		for (size_t i = 0; i < blocks[b].n; i++) {
			const struct comment *c = &cl.v[blocks[b].first + i];
			const char *t = c->text;
			size_t tl = c->len;
			if (tl > 0 && t[0] == ' ') {
				t++;
				tl--;
			}
			memcpy(buf + bl, t, tl); /* fits: each comment is part of src */
			bl += tl;
			buf[bl++] = '\n';
		}
		x.loc = blocks[b].loc;
		r = parse_block(&x, buf, bl, &objs[b], &scopes[b]);
		if (r < 0)
			goto out;
	}
	for (size_t b = 0; b < nb; b++) {
		ast_annot *an = &m->annots[b];
		memset(an, 0, sizeof(*an));
		an->loc = blocks[b].loc;
		x.loc = an->loc;
		r = attach(&x, m, an, scopes[b], &objs[b]);
		if (r < 0)
			goto out;
		an->obj = objs[b];
	}
	m->nannots = nb;
out:
	if (r == -ENOMEM)
		cc_error_set_at(err, -ENOMEM, "rego_parse_error", m->file, 0, 0, "out of memory while parsing");
	free(buf);
	free(blocks);
	free(cl.v);
	return r;
}
