/* Rego parser: terms (scalars, strings, template strings, arrays, sets,
 * objects, comprehensions, refs, calls) and the binary and `in` operators
 * above them, with the memo that keeps backtracking over terms linear
 * (parser.c explains the design). */
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "parser_int.h"

#define MEMO_MIN 256u
#define MEMO_MAX CC_REGO_PARSE_MEMO /* limits.h */
#define MEMO_PROBES 8u

/* ---- memo -------------------------------------------------------------- */

static uint64_t memo_key(const struct parser *p)
{
	return ((uint64_t)p->s.cur.off << 1) | ((p->s.cur.flags & RTF_IDENT) ? 1u : 0u);
}

static size_t memo_home(uint64_t key, size_t cap)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ull;
	h ^= h >> 31;
	return (size_t)(h & (uint64_t)(cap - 1));
}

void rp_memo_reset(struct parser *p)
{
	p->memo.n = 0;
	if (++p->memo.gen == 0) {
		if (p->memo.v)
			memset(p->memo.v, 0, p->memo.cap * sizeof(*p->memo.v));
		p->memo.gen = 1;
	}
}

static struct memo_ent *memo_find(struct parser *p, uint64_t key)
{
	struct memo *m = &p->memo;
	if (m->v == NULL)
		return NULL;
	size_t i = memo_home(key, m->cap);
	for (size_t k = 0; k < m->cap; k++) {
		struct memo_ent *e = &m->v[(i + k) & (m->cap - 1)];
		if (e->gen != m->gen)
			return NULL;
		if (e->key == key)
			return e->wild == p->s.wild && (e->clean || p->s.err != NULL) ? e : NULL;
		if (m->cap >= MEMO_MAX && k + 1 >= MEMO_PROBES)
			return NULL;
	}
	return NULL;
}

static bool memo_grow(struct memo *m)
{
	size_t cap = m->cap ? m->cap * 2 : MEMO_MIN;
	struct memo_ent *v = calloc(cap, sizeof(*v));
	if (v == NULL)
		return false;
	for (size_t i = 0; i < m->cap; i++) {
		struct memo_ent *e = &m->v[i];
		if (e->gen != m->gen)
			continue;
		size_t j = memo_home(e->key, cap);
		while (v[j].gen == m->gen)
			j = (j + 1) & (cap - 1);
		v[j] = *e;
	}
	free(m->v);
	m->v = v;
	m->cap = cap;
	return true;
}

static void memo_put(struct parser *p, uint64_t key, uint32_t wild, bool clean, ast_term *t)
{
	struct memo *m = &p->memo;
	if ((m->n + 1) * 2 > m->cap && m->cap < MEMO_MAX && !memo_grow(m))
		return;
	if (m->v == NULL)
		return;
	size_t i = memo_home(key, m->cap);
	struct memo_ent *slot = &m->v[i];
	for (size_t k = 0; k < m->cap; k++) {
		struct memo_ent *e = &m->v[(i + k) & (m->cap - 1)];
		if (e->gen != m->gen || e->key == key) {
			slot = e;
			break;
		}
		if (k + 1 >= MEMO_PROBES && m->cap >= MEMO_MAX)
			break; /* full: replace the entry at the home slot */
	}
	if (slot->gen != m->gen)
		m->n++;
	slot->key = key;
	slot->wild = wild;
	slot->clean = clean;
	slot->gen = m->gen;
	slot->term = t;
	slot->post = p->s;
}

/* ---- literals ----------------------------------------------------------- */

/* JSON number syntax (what big.Float accepts from our tokens). */
static bool number_syntax(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	size_t d = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == d)
		return false;
	if (i < n && s[i] == '.') {
		size_t f = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t e = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e)
			return false;
	}
	return i == n;
}

/* OPA rejects numbers whose binary exponent exceeds +-1e5 ("number too
 * big"); this estimates the decimal exponent (1e5 bits ~ 30103 digits). */
static bool number_too_big(const char *s, size_t n)
{
	long pos = 0, first = -1, exp = 0;
	size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
	bool frac = false;
	long intdigits = 0;
	for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
		if (s[i] == '.') {
			frac = true;
			continue;
		}
		if (!frac)
			intdigits++;
		if (s[i] != '0' && first < 0)
			first = pos;
		pos++;
	}
	if (first < 0)
		return false; /* zero */
	if (i < n) {
		i++;
		bool neg = i < n && s[i] == '-';
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < n; i++) {
			if (exp < 1000000000L)
				exp = exp * 10 + (s[i] - '0');
		}
		if (neg)
			exp = -exp;
	}
	long mag = exp + intdigits - first;
	return mag > 30102 || mag < -30102;
}

static ast_term *parse_number(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	bool neg = false, dot = false;
	if (tk(p) == RT_SUB) {
		neg = true;
		rp_scan(p);
		if (tk(p) != RT_NUMBER && tk(p) != RT_DOT) {
			rp_illegal(p, "expected number");
			return NULL;
		}
	}
	if (tk(p) == RT_DOT) {
		dot = true;
		rp_scan(p);
		if (tk(p) != RT_NUMBER) {
			rp_illegal(p, "expected number");
			return NULL;
		}
	}
	const char *lit = cur_text(p);
	size_t n = p->s.cur.len;
	if (!dot && n > 1 && lit[0] == '0' && lit[1] != '.' &&
	    !(n > 2 && (lit[1] == 'e' || lit[1] == 'E'))) {
		rp_illegal(p, "expected number without leading zero");
		return NULL;
	}
	/* "-" and "0." prefixes (OPA accepts `.5` as 0.5). */
	size_t extra = (neg ? 1u : 0u) + (dot ? 2u : 0u);
	char *txt = rp_pz(p, n + extra + 1);
	if (txt == NULL)
		return NULL;
	size_t o = 0;
	if (neg)
		txt[o++] = '-';
	if (dot) {
		txt[o++] = '0';
		txt[o++] = '.';
	}
	memcpy(txt + o, lit, n);
	o += n;
	if (!number_syntax(txt, o)) {
		rp_illegal(p, "invalid float");
		return NULL;
	}
	if (number_too_big(txt, o)) {
		rp_perr_at(p, cur_loc(p), "number too big");
		return NULL;
	}
	const rv *v = rv_num_parse(p->a, txt, o);
	if (v == NULL) {
		/* Out of range for long double (or out of memory). */
		if (rarena_alloc(p->a, 1) == NULL)
			p->oom = true;
		rp_perr_at(p, cur_loc(p), "number too big");
		return NULL;
	}
	return rp_mk_value(p, loc, v);
}

/* Decoded string value of a "..." body; NULL (with an error) if invalid. */
static const rv *decode_str(struct parser *p, ast_loc loc, const char *s, size_t n,
                            bool tmpl, const char *what)
{
	if (memchr(s, '\\', n) == NULL) {
		const rv *v = rv_str(p->a, s, n);
		if (v == NULL)
			p->oom = true;
		return v;
	}
	char *buf = rp_pz(p, n + 1);
	if (buf == NULL)
		return NULL;
	size_t len;
	if (rlex_unescape(s, n, tmpl, buf, &len) < 0) {
		bool q = what[0] == 's'; /* OPA quotes string literals in the message */
		rp_perr_at(p, loc, "illegal %s: %s%.*s%s", what, q ? "\"" : "", n > 200 ? 200 : (int)n, s,
		        q ? "\"" : "");
		return NULL;
	}
	buf[len] = '\0';
	const rv *v = rv_str_ref(p->a, buf, len);
	if (v == NULL)
		p->oom = true;
	return v;
}

static ast_term *parse_string(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	const char *s = cur_text(p);
	size_t n = p->s.cur.len;
	if (n < 2)
		return NULL;
	if (p->s.cur.flags & RTF_RAW)
		return rp_mk_str(p, loc, s + 1, n - 2);
	const rv *v = decode_str(p, loc, s + 1, n - 2, false, "string literal");
	return v ? rp_mk_value(p, loc, v) : NULL;
}

/* Raw template text: only `\{` is an escape. */
static const rv *decode_raw_tmpl(struct parser *p, const char *s, size_t n)
{
	char *buf = rp_pz(p, n + 1);
	if (buf == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '{')
			continue;
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	const rv *v = rv_str_ref(p->a, buf, o);
	if (v == NULL)
		p->oom = true;
	return v;
}

ast_term *rp_parse_var(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	if (p->s.cur.len == 1 && cur_text(p)[0] == '_')
		return rp_mk_wildcard(p, loc);
	return rp_mk_var(p, loc, cur_text(p), p->s.cur.len);
}

/* ---- template strings ($"...{expr}...") -------------------------------- */

static bool tmpl_expr_ok(struct parser *p, const ast_expr *e)
{
	const char *what = NULL;
	if (e->negated)
		what = "negation ('not')";
	else if (e->kind == AE_UNIFY)
		what = "unification ('=')";
	else if (e->kind == AE_ASSIGN)
		what = "assignment (':=')";
	else if (e->kind == AE_EVERY)
		what = "'every'";
	else if (e->kind == AE_SOME || e->kind == AE_SOME_IN)
		what = "'some'";
	if (what == NULL)
		return true;
	rp_perr_at(p, e->loc, "unexpected %s in template-string expression", what);
	return false;
}

static bool tmpl_add_text(struct parser *p, struct pvec *items, struct pvec *exprs, bool raw)
{
	ast_loc loc = cur_loc(p);
	const char *s = cur_text(p);
	size_t n = p->s.cur.len;
	if (n == 0)
		return true; /* OPA drops empty parts */
	const rv *v = raw ? decode_raw_tmpl(p, s, n)
	                  : decode_str(p, loc, s, n, true, "template-string part");
	ast_term *t = v ? rp_mk_value(p, loc, v) : NULL;
	return t != NULL && rp_pv_push(p, items, t) && rp_pv_push(p, exprs, NULL);
}

/* One {expr} part; on return the current token is the next text part. */
static bool tmpl_add_expr(struct parser *p, struct pvec *items, struct pvec *exprs, bool raw)
{
	rp_scan(p);
	ast_expr *e = rp_parse_literal(p);
	if (e == NULL) {
		rp_perr_at(p, cur_loc(p), "invalid template-string expression");
		return false;
	}
	if (!tmpl_expr_ok(p, e))
		return false;
	bool inline_scalar = e->kind == AE_TERM && e->a->kind == AT_VALUE;
	if (!rp_pv_push(p, items, e->a) || !rp_pv_push(p, exprs, inline_scalar ? NULL : e))
		return false;
	if (tk(p) != RT_RBRACE) {
		rp_perr_at(p, cur_loc(p), "expected } to end template string expression");
		return false;
	}
	rlex_template(&p->s.lx, &p->s.cur, raw);
	p->nscan++;
	if (p->s.cur.kind == RT_ILLEGAL && p->s.cur.err != NULL)
		rp_perr_at(p, cur_loc(p), "%s", p->s.cur.err);
	return true;
}

static ast_term *parse_template(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	bool raw = (p->s.cur.flags & RTF_RAW) != 0;
	struct pvec items = {0}, exprs = {0};
	bool any_expr = false;
	for (;;) {
		int k = tk(p);
		if (k != RT_TPART && k != RT_TEND) {
			rp_illegal(p, NULL);
			return NULL;
		}
		if (!tmpl_add_text(p, &items, &exprs, raw))
			return NULL;
		if (k == RT_TEND)
			break;
		if (!tmpl_add_expr(p, &items, &exprs, raw))
			return NULL;
		any_expr = true;
	}
	ast_term *t = rp_mk_list(p, AT_TEMPLATE, loc, &items);
	if (t != NULL && any_expr)
		t->u.list.exprs = (ast_expr **)exprs.v;
	return t;
}

/* ---- composites ---------------------------------------------------------- */

/* Comma-separated terms up to `end` (trailing comma allowed); on success the
 * current token is `end`. */
static bool parse_term_list(struct parser *p, int end, struct pvec *r)
{
	if (tk(p) == end)
		return true;
	for (;;) {
		ast_term *t = rp_parse_infix(p, false);
		if (t == NULL || !rp_pv_push(p, r, t))
			return false;
		int k = tk(p);
		if (k == end)
			return true;
		if (k != RT_COMMA) {
			rp_illegal(p, "expected \",\" or \"%s\"", rlex_kind_name(end));
			return false;
		}
		rp_scan(p);
		if (tk(p) == end)
			return true;
	}
}

static bool parse_pair_list(struct parser *p, int end, struct pvec *keys, struct pvec *vals)
{
	if (tk(p) == end)
		return true;
	for (;;) {
		ast_term *k = rp_parse_infix(p, false);
		if (k == NULL)
			return false;
		if (tk(p) != RT_COLON) {
			rp_illegal(p, "expected \":\"");
			return false;
		}
		rp_scan(p);
		ast_term *v = rp_parse_infix(p, false);
		if (v == NULL || !rp_pv_push(p, keys, k) || !rp_pv_push(p, vals, v))
			return false;
		int t = tk(p);
		if (t == end)
			return true;
		if (t != RT_COMMA) {
			rp_illegal(p, "expected \",\" or \"%s\"", rlex_kind_name(end));
			return false;
		}
		rp_scan(p);
		if (tk(p) == end)
			return true;
	}
}

static ast_term *mk_comp(struct parser *p, uint8_t kind, ast_loc loc, ast_term *key,
                         ast_term *val, ast_body *body)
{
	ast_term *t = rp_new_term(p, kind, loc);
	if (t == NULL)
		return NULL;
	t->u.comp.key = key;
	t->u.comp.val = val;
	t->u.comp.body = body;
	return t;
}

static ast_term *mk_obj(struct parser *p, ast_loc loc, const struct pvec *keys, const struct pvec *vals)
{
	ast_term *t = rp_new_term(p, AT_OBJ, loc);
	if (t == NULL)
		return NULL;
	t->u.obj.keys = (ast_term **)keys->v;
	t->u.obj.vals = (ast_term **)vals->v;
	t->u.obj.n = keys->n;
	return t;
}

static ast_term *parse_array(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	struct pvec items = {0};
	rp_scan(p);
	if (tk(p) == RT_RBRACK)
		return rp_mk_list(p, AT_ARR, loc, &items);
	bool comp = true;
	if (tk(p) == RT_COMMA) { /* `[, x]` is accepted for compatibility */
		comp = false;
		rp_scan(p);
	}
	struct pstate s = p->s;
	/* A single term first: `[x | body]` is a comprehension, not an `or`. */
	ast_term *head = rp_parse_term(p);
	if (head == NULL)
		return NULL;
	switch (tk(p)) {
	case RT_RBRACK:
		return rp_pv_push(p, &items, head) ? rp_mk_list(p, AT_ARR, loc, &items) : NULL;
	case RT_COMMA:
		rp_scan(p);
		if (!rp_pv_push(p, &items, head) || !parse_term_list(p, RT_RBRACK, &items))
			return NULL;
		return rp_mk_list(p, AT_ARR, loc, &items);
	case RT_OR:
		if (comp) {
			rp_scan(p);
			ast_body *body = rp_parse_body(p, RT_RBRACK);
			if (body != NULL)
				return mk_comp(p, AT_ARR_COMP, loc, NULL, head, body);
			if (tk(p) != RT_COMMA)
				return NULL;
		}
		break;
	default:
		break;
	}
	p->s = s;
	if (!parse_term_list(p, RT_RBRACK, &items))
		return NULL;
	return rp_mk_list(p, AT_ARR, loc, &items);
}

static ast_term *parse_set_rest(struct parser *p, ast_loc loc, const struct pstate *s,
                                ast_term *head, bool comp)
{
	struct pvec items = {0};
	switch (tk(p)) {
	case RT_RBRACE:
		return rp_pv_push(p, &items, head) ? rp_mk_list(p, AT_SET, loc, &items) : NULL;
	case RT_COMMA:
		rp_scan(p);
		if (!rp_pv_push(p, &items, head) || !parse_term_list(p, RT_RBRACE, &items))
			return NULL;
		return rp_mk_list(p, AT_SET, loc, &items);
	case RT_OR:
		if (comp) {
			rp_scan(p);
			ast_body *body = rp_parse_body(p, RT_RBRACE);
			if (body != NULL)
				return mk_comp(p, AT_SET_COMP, loc, NULL, head, body);
			if (tk(p) != RT_COMMA)
				return NULL;
		}
		p->s = *s;
		if (!parse_term_list(p, RT_RBRACE, &items))
			return NULL;
		return rp_mk_list(p, AT_SET, loc, &items);
	default:
		return NULL;
	}
}

static ast_term *parse_object_rest(struct parser *p, ast_loc loc, ast_term *key,
                                   ast_term *val, bool comp)
{
	struct pvec keys = {0}, vals = {0};
	switch (tk(p)) {
	case RT_RBRACE:
		if (!rp_pv_push(p, &keys, key) || !rp_pv_push(p, &vals, val))
			return NULL;
		return mk_obj(p, loc, &keys, &vals);
	case RT_OR:
		if (!comp) {
			rp_illegal(p, "non-terminated object");
			return NULL;
		}
		rp_scan(p);
		ast_body *body = rp_parse_body(p, RT_RBRACE);
		return body ? mk_comp(p, AT_OBJ_COMP, loc, key, val, body) : NULL;
	case RT_COMMA:
		rp_scan(p);
		if (!rp_pv_push(p, &keys, key) || !rp_pv_push(p, &vals, val) ||
		    !parse_pair_list(p, RT_RBRACE, &keys, &vals))
			return NULL;
		return mk_obj(p, loc, &keys, &vals);
	default:
		return NULL;
	}
}

/* After `key :` in `{...}`. */
static ast_term *parse_object(struct parser *p, ast_loc loc, ast_term *key, bool comp)
{
	rp_scan(p); /* the colon */
	struct pstate s = p->s;
	ast_term *v = rp_parse_term(p);
	if (v == NULL)
		return NULL;
	bool relation = true;
	if (comp) {
		int k = tk(p);
		if (k == RT_RBRACE || k == RT_COMMA || k == RT_OR) {
			relation = k == RT_OR;
			ast_term *t = parse_object_rest(p, loc, key, v, true);
			if (t != NULL)
				return t;
		}
	}
	p->s = s;
	if (relation) {
		v = rp_parse_infix(p, false);
		if (v == NULL)
			return NULL;
		if (tk(p) == RT_RBRACE || tk(p) == RT_COMMA)
			return parse_object_rest(p, loc, key, v, false);
	}
	rp_illegal(p, "non-terminated object");
	return NULL;
}

static ast_term *parse_set_or_object(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	rp_scan(p);
	if (tk(p) == RT_RBRACE) {
		struct pvec none = {0};
		return mk_obj(p, loc, &none, &none);
	}
	bool comp = true;
	if (tk(p) == RT_COMMA) {
		comp = false;
		rp_scan(p);
	}
	struct pstate s = p->s;
	ast_term *head = rp_parse_term(p);
	if (head == NULL)
		return NULL;
	switch (tk(p)) {
	case RT_OR:
		if (comp)
			return parse_set_rest(p, loc, &s, head, comp);
		break;
	case RT_RBRACE:
	case RT_COMMA:
		return parse_set_rest(p, loc, &s, head, comp);
	case RT_COLON:
		return parse_object(p, loc, head, comp);
	default:
		break;
	}
	p->s = s;
	head = rp_parse_infix(p, false);
	if (head == NULL)
		return NULL;
	switch (tk(p)) {
	case RT_RBRACE:
	case RT_COMMA:
		return parse_set_rest(p, loc, &s, head, false);
	case RT_COLON:
		return parse_object(p, loc, head, comp);
	default:
		rp_illegal(p, "non-terminated set");
		return NULL;
	}
}

static ast_term *parse_paren(struct parser *p)
{
	rp_scan(p);
	ast_term *r = rp_parse_infix(p, true);
	if (r == NULL)
		return NULL;
	if (tk(p) != RT_RPAREN) {
		rp_perr_at(p, cur_loc(p), "non-terminated expression");
		return NULL;
	}
	return r;
}

/* ---- refs and calls ------------------------------------------------------ */

/* After the operator: `(args)`; `set()` is the empty set. */
static ast_term *parse_call(struct parser *p, ast_term *op, ast_loc loc)
{
	ast_term *t = NULL;
	rp_scan(p);
	if (tk(p) == RT_RPAREN) {
		rp_scan(p);
		if (rp_is_var_named(op, "set")) {
			struct pvec none = {0};
			t = rp_mk_list(p, AT_SET, loc, &none);
		} else {
			t = rp_mk_call(p, loc, op, rp_call_name(p, op), NULL, 0);
		}
	} else {
		struct pvec args = {0};
		if (parse_term_list(p, RT_RPAREN, &args)) {
			rp_scan(p);
			t = rp_mk_call(p, loc, op, rp_call_name(p, op), (ast_term **)args.v, args.n);
		}
	}
	return t;
}

static bool ref_head_ok(const ast_term *t)
{
	switch (t->kind) {
	case AT_VAR: case AT_ARR: case AT_OBJ: case AT_SET: case AT_ARR_COMP:
	case AT_OBJ_COMP: case AT_SET_COMP: case AT_CALL:
		return true;
	default:
		return false;
	}
}

/* `.name` after a ref: keywords are allowed as names (OPA >= 1.6). */
static bool ref_add_field(struct parser *p, struct pvec *items)
{
	ast_loc dot = cur_loc(p);
	rp_scan(p);
	if (cur_ws(p)) {
		ast_loc after = {dot.line, dot.col + 1};
		rp_perr_at(p, after, "unexpected whitespace token: expected identifier");
		return false;
	}
	int k = tk(p);
	if (k != RT_IDENT && !is_kw_kind(k)) {
		rp_illegal(p, "expected identifier");
		return false;
	}
	ast_term *s = rp_mk_str(p, cur_loc(p), cur_text(p), p->s.cur.len);
	if (s == NULL || !rp_pv_push(p, items, s))
		return false;
	rp_scan(p);
	return true;
}

static bool ref_add_index(struct parser *p, struct pvec *items)
{
	rp_scan(p);
	ast_term *t = rp_parse_infix(p, true);
	if (t == NULL)
		return false;
	if (tk(p) != RT_RBRACK) {
		rp_illegal(p, "expected ]");
		return false;
	}
	if (!rp_pv_push(p, items, t))
		return false;
	rp_scan(p);
	return true;
}

/* Continues `head` with `.x`, `[t]` and `(args)`; the current token is the
 * first of these. head_ws_ok: space allowed before it (rule heads). */
static ast_term *parse_ref_body(struct parser *p, ast_term *head, bool head_ws_ok)
{
	ast_loc loc = head->loc;
	if (!ref_head_ok(head))
		rp_perr_at(p, loc, "illegal ref (head cannot be %s)", rp_value_name(head));
	struct pvec items = {0};
	if (!rp_pv_push(p, &items, head))
		return NULL;
	for (bool first = true;; first = false) {
		if (cur_ws(p) && !(first && head_ws_ok))
			return rp_mk_list(p, AT_REF, loc, &items);
		switch (tk(p)) {
		case RT_DOT:
			if (!ref_add_field(p, &items))
				return NULL;
			break;
		case RT_LBRACK:
			if (!ref_add_index(p, &items))
				return NULL;
			break;
		case RT_LPAREN: {
			ast_term *op = items.n == 1 ? head : rp_mk_list(p, AT_REF, loc, &items);
			if (op == NULL)
				return NULL;
			ast_term *t = parse_call(p, op, loc);
			if (t != NULL && !cur_ws(p) && (tk(p) == RT_DOT || tk(p) == RT_LBRACK))
				t = rp_parse_ref(p, t, false);
			return t;
		}
		default:
			return rp_mk_list(p, AT_REF, loc, &items);
		}
	}
}

ast_term *rp_parse_ref(struct parser *p, ast_term *head, bool head_ws_ok)
{
	if (!rp_enter(p))
		return NULL;
	ast_term *t = parse_ref_body(p, head, head_ws_ok);
	rp_leave(p);
	return t;
}

/* ---- terms and operators ------------------------------------------------- */

static ast_term *parse_term_head(struct parser *p)
{
	switch (tk(p)) {
	case RT_NULL:
		return rp_mk_value(p, cur_loc(p), rv_null());
	case RT_TRUE:
		return rp_mk_value(p, cur_loc(p), rv_true());
	case RT_FALSE:
		return rp_mk_value(p, cur_loc(p), rv_false());
	case RT_SUB:
	case RT_DOT:
	case RT_NUMBER:
		return parse_number(p);
	case RT_STRING:
		return parse_string(p);
	case RT_TPART:
	case RT_TEND:
		return parse_template(p);
	case RT_IDENT:
	case RT_CONTAINS: /* `contains(s, x)` outside rule heads */
		return rp_parse_var(p);
	case RT_LBRACK:
		return parse_array(p);
	case RT_LBRACE:
		return parse_set_or_object(p);
	case RT_LPAREN:
		return parse_paren(p);
	default:
		rp_illegal(p, NULL);
		return NULL;
	}
}

/* One term with its ref/call suffix (OPA's parseTerm + parseTermFinish). */
ast_term *rp_parse_term(struct parser *p)
{
	if (!rp_enter(p))
		return NULL;
	uint64_t key = memo_key(p);
	uint32_t wild = p->s.wild;
	const struct perr *err0 = p->s.err;
	struct memo_ent *hit = memo_find(p, key);
	if (hit != NULL) {
		p->s = hit->post;
		if (err0 != NULL)
			p->s.err = err0;
		rp_leave(p);
		return hit->term;
	}
	size_t before = p->nscan;
	ast_term *t = parse_term_head(p);
	if (t != NULL) {
		rp_scan(p);
		if (!cur_ws(p) && (tk(p) == RT_LPAREN || tk(p) == RT_DOT || tk(p) == RT_LBRACK))
			t = rp_parse_ref(p, t, false);
	}
	/* Only multi-token terms are worth it; a failure at the depth limit
	 * depends on the context, not the text. */
	bool depth_fail = err0 == NULL && p->s.err != NULL && p->s.err->depth;
	if (p->nscan - before > 1 && !depth_fail)
		memo_put(p, key, wild, err0 == NULL, t);
	rp_leave(p);
	return t;
}

/* Binary operator levels, loosest first (OPA: parseTermRelation, Or, And,
 * Arith, Factor); all are left-associative. */
enum { LV_REL, LV_OR, LV_AND, LV_ARITH, LV_FACTOR };

static bool op_at_level(int k, int level)
{
	switch (level) {
	case LV_REL:
		return k == RT_EQUAL || k == RT_NEQ || k == RT_LT || k == RT_GT ||
		       k == RT_LTE || k == RT_GTE;
	case LV_OR: return k == RT_OR;
	case LV_AND: return k == RT_AND;
	case LV_ARITH: return k == RT_ADD || k == RT_SUB;
	default: return k == RT_MUL || k == RT_QUO || k == RT_REM;
	}
}

static ast_term *parse_level(struct parser *p, int level)
{
	ast_term *lhs = level == LV_FACTOR ? rp_parse_term(p) : parse_level(p, level + 1);
	while (lhs != NULL && op_at_level(tk(p), level)) {
		int op = tk(p);
		ast_loc oploc = cur_loc(p);
		rp_scan(p);
		ast_term *rhs = level == LV_FACTOR ? rp_parse_term(p) : parse_level(p, level + 1);
		if (rhs == NULL)
			break; /* the error is recorded; OPA returns lhs */
		lhs = rp_mk_opcall(p, op, oploc, lhs, rhs);
	}
	return lhs;
}

/* `k, v in xs` (keyval only) after lhs; NULL (state restored) if absent. */
static ast_term *parse_member3(struct parser *p, ast_term *lhs)
{
	struct pstate s = p->s;
	rp_scan(p);
	ast_term *mhs = parse_level(p, LV_REL);
	if (mhs != NULL && tk(p) == RT_IN) {
		ast_loc oploc = cur_loc(p);
		rp_scan(p);
		ast_term *rhs = parse_level(p, LV_REL);
		if (rhs != NULL)
			return rp_mk_member(p, oploc, lhs, mhs, rhs);
	}
	p->s = s;
	return NULL;
}

/* Full infix term (OPA's parseTermIn): relations, then `in`. keyval allows
 * `k, v in xs`, which is off inside lists where the comma separates. */
ast_term *rp_parse_infix(struct parser *p, bool keyval)
{
	ast_term *lhs = parse_level(p, LV_REL);
	while (lhs != NULL) {
		ast_term *call = NULL;
		if (keyval && tk(p) == RT_COMMA)
			call = parse_member3(p, lhs);
		if (call == NULL) {
			rp_scan_ahead_ref(p);
			if (tk(p) != RT_IN)
				break;
			ast_loc oploc = cur_loc(p);
			rp_scan(p);
			ast_term *rhs = parse_level(p, LV_REL);
			if (rhs == NULL)
				break;
			call = rp_mk_member(p, oploc, NULL, lhs, rhs);
			if (call == NULL)
				break;
		}
		lhs = call;
		if (tk(p) != RT_IN)
			break;
	}
	return lhs;
}
