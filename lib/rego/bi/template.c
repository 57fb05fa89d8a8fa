/* strings.render_template (OPA v1/topdown/template.go): a Go text/template
 * subset, written here because no C library speaks Go's template language.
 *
 * Supported: text, {{pipeline}} where a pipeline is one operand (".",
 * ".a.b", "$", "$x", "$x.a", a string, number or boolean literal),
 * {{if}}/{{else if}}/{{else}}/{{end}}, {{with}}, {{range pipeline}} and
 * {{range $v := ...}} / {{range $i, $v := ...}} with {{else}}, {{$x := p}},
 * comments and the "{{- " / " -}}" trim markers. Functions, pipes and
 * templates definitions are refused with a parse error.
 *
 * Values print as Go's fmt %v prints what OPA hands the template (JSON
 * numbers are json.Number strings: they print as written and are always
 * "true" in if/with; range indexes are ints). A missing map key prints
 * "<no value>", which OPA then rewrites to "<undefined>". Output, nesting
 * and steps are bounded (CC_REGO_MAX_TEMPLATE_*).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cocoon/limits.h"
#include "../rctx.h"

enum tk { TN_TEXT, TN_PRINT, TN_IF, TN_RANGE, TN_WITH, TN_SET };

struct toper {
	int kind;          /* 0 dot-chain, 1 variable chain, 2 literal */
	const char *var;   /* "$" or "$name" */
	size_t varn;
	const char **fields;
	size_t *fieldn;
	size_t nfields;
	const rv *lit;
};

struct tnode {
	int kind;
	const char *text;
	size_t textn;
	struct toper op;
	const char *v1, *v2; /* range/assign variables */
	size_t v1n, v2n;
	struct tnode *body, *els; /* lists */
	struct tnode *next;
};

struct tparse {
	rarena *a;
	const char *s, *end;
	const char *err;
	unsigned depth;
	bool trim_next; /* the previous action ended with " -}}" */
};

/* ---- parsing --------------------------------------------------------- */

static int perr(struct tparse *p, const char *m)
{
	if (p->err == NULL)
		p->err = m;
	return -EINVAL;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool ident_char(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Splits an action's words: returns the next word in [*b, e). */
static bool word(const char **b, const char *e, const char **w, size_t *wn)
{
	const char *p = *b;
	while (p < e && is_space(*p))
		p++;
	if (p == e)
		return false;
	const char *q = p;
	if (*q == '"') {
		q++;
		while (q < e && *q != '"')
			q += *q == '\\' && q + 1 < e ? 2 : 1;
		q = q < e ? q + 1 : q;
	} else {
		while (q < e && !is_space(*q) && *q != ',')
			q++;
		if (q == p && *q == ',')
			q++;
	}
	*w = p;
	*wn = (size_t)(q - p);
	*b = q;
	return true;
}

static int operand(struct tparse *p, const char *w, size_t n, struct toper *o)
{
	memset(o, 0, sizeof(*o));
	if (n == 0)
		return perr(p, "missing value for command");
	if (w[0] == '"' || (w[0] >= '0' && w[0] <= '9') || w[0] == '-' ||
	    (n == 4 && memcmp(w, "true", 4) == 0) || (n == 5 && memcmp(w, "false", 5) == 0)) {
		o->kind = 2;
		if (w[0] == '"') {
			if (n < 2 || w[n - 1] != '"' || memchr(w + 1, '\\', n - 2))
				return perr(p, "unsupported string literal");
			o->lit = rv_str(p->a, w + 1, n - 2);
		} else if (w[0] == 't' || w[0] == 'f') {
			o->lit = rv_bool(w[0] == 't');
		} else {
			o->lit = rv_num_parse(p->a, w, n);
			if (o->lit == NULL)
				return perr(p, "bad number syntax");
		}
		return o->lit ? 0 : -ENOMEM;
	}
	const char *q = w, *e = w + n;
	if (*q == '$') {
		o->kind = 1;
		q++;
		while (q < e && ident_char(*q))
			q++;
		o->var = w;
		o->varn = (size_t)(q - w);
	} else if (*q != '.') {
		return perr(p, "function calls are not supported");
	}
	size_t cnt = 0;
	for (const char *t = q; t < e; t++)
		cnt += *t == '.';
	o->fields = rarena_nalloc(p->a, cnt + 1, sizeof(*o->fields));
	o->fieldn = rarena_nalloc(p->a, cnt + 1, sizeof(*o->fieldn));
	if (!o->fields || !o->fieldn)
		return -ENOMEM;
	if (o->kind == 0 && n == 1)
		return 0; /* "." */
	while (q < e) {
		if (*q != '.')
			return perr(p, "unexpected character in operand");
		const char *f = ++q;
		while (q < e && ident_char(*q))
			q++;
		if (q == f)
			return perr(p, "unexpected . after term");
		o->fields[o->nfields] = f;
		o->fieldn[o->nfields++] = (size_t)(q - f);
	}
	return 0;
}

static int parse_list(struct tparse *p, struct tnode **out, const char **stop, size_t *stopn);

/* The action text in [b, e) (trim markers removed). */
static int action(struct tparse *p, const char *b, const char *e, struct tnode **out,
                  const char **stop, size_t *stopn, bool *ended)
{
	const char *w;
	size_t wn;
	*out = NULL;
	*ended = false;
	const char *cur = b;
	if (!word(&cur, e, &w, &wn))
		return perr(p, "missing value for command");
	if ((wn == 3 && memcmp(w, "end", 3) == 0) || (wn == 4 && memcmp(w, "else", 4) == 0)) {
		*stop = w;
		*stopn = (size_t)(e - w);
		*ended = true;
		return 0;
	}
	struct tnode *n = rarena_zalloc(p->a, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	int kind = TN_PRINT;
	if (wn == 2 && memcmp(w, "if", 2) == 0)
		kind = TN_IF;
	else if (wn == 5 && memcmp(w, "range", 5) == 0)
		kind = TN_RANGE;
	else if (wn == 4 && memcmp(w, "with", 4) == 0)
		kind = TN_WITH;
	else if ((wn == 6 && memcmp(w, "define", 6) == 0) || (wn == 8 && memcmp(w, "template", 8) == 0) ||
	         (wn == 5 && memcmp(w, "block", 5) == 0))
		return perr(p, "template definitions are not supported");
	n->kind = kind;
	if (kind != TN_PRINT && !word(&cur, e, &w, &wn))
		return perr(p, "missing value for command");
	/* "$a :=", "$a, $b :=" */
	const char *save = cur, *w2, *w3;
	size_t w2n, w3n;
	if (w[0] == '$' && word(&cur, e, &w2, &w2n)) {
		if (w2n == 2 && memcmp(w2, ":=", 2) == 0) {
			n->v1 = w, n->v1n = wn;
			if (kind == TN_PRINT)
				n->kind = TN_SET;
			if (!word(&cur, e, &w, &wn))
				return perr(p, "missing value for command");
		} else if (kind == TN_RANGE && w2n == 1 && w2[0] == ',' && word(&cur, e, &w3, &w3n) &&
		           word(&cur, e, &w2, &w2n) && w2n == 2 && memcmp(w2, ":=", 2) == 0) {
			n->v1 = w, n->v1n = wn;
			n->v2 = w3, n->v2n = w3n;
			if (!word(&cur, e, &w, &wn))
				return perr(p, "missing value for command");
		} else {
			cur = save;
		}
	}
	int r = operand(p, w, wn, &n->op);
	if (r < 0)
		return r;
	if (word(&cur, e, &w, &wn))
		return perr(p, wn == 1 && w[0] == '|' ? "pipelines are not supported"
		                                      : "function calls are not supported");
	*out = n;
	if (kind == TN_PRINT || n->kind == TN_SET)
		return 0;
	if (++p->depth > CC_REGO_MAX_PARSE_DEPTH)
		return perr(p, "template nested too deep");
	const char *st;
	size_t stn;
	if ((r = parse_list(p, &n->body, &st, &stn)) < 0)
		return r;
	if (st == NULL)
		return perr(p, "unexpected EOF");
	if (stn > 4 && memcmp(st, "else", 4) == 0 && kind == TN_IF) {
		/* "else if ...": a nested if in the else list, sharing our {{end}} */
		struct tnode *nested;
		bool e2;
		p->depth--;
		const char *inner = st + 4;
		r = action(p, inner, st + stn, &nested, &st, &stn, &e2);
		if (r < 0)
			return r;
		if (nested == NULL || nested->kind != TN_IF)
			return perr(p, "unexpected else");
		n->els = nested;
		return 0;
	}
	if (stn == 4 && memcmp(st, "else", 4) == 0) {
		if ((r = parse_list(p, &n->els, &st, &stn)) < 0)
			return r;
		if (st == NULL)
			return perr(p, "unexpected EOF");
	}
	if (!(stn == 3 && memcmp(st, "end", 3) == 0))
		return perr(p, "unexpected else");
	p->depth--;
	return 0;
}

/* Reads text and actions up to an {{end}}/{{else}} (returned in *stop) or
 * the end of input (*stop = NULL). */
static int parse_list(struct tparse *p, struct tnode **out, const char **stop, size_t *stopn)
{
	struct tnode *head = NULL, **tail = &head;
	*stop = NULL;
	while (p->s < p->end) {
		const char *open = p->s;
		while (open + 1 < p->end && !(open[0] == '{' && open[1] == '{'))
			open++;
		if (open + 1 >= p->end)
			open = p->end;
		const char *tb = p->s, *te = open;
		if (p->trim_next)
			while (tb < te && is_space(*tb))
				tb++;
		p->trim_next = false;
		const char *ab = open + 2;
		bool ltrim = open < p->end && ab + 1 < p->end && ab[0] == '-' && is_space(ab[1]);
		if (ltrim) {
			ab += 2;
			while (te > tb && is_space(te[-1]))
				te--;
		}
		if (te > tb) {
			struct tnode *t = rarena_zalloc(p->a, sizeof(*t));
			if (t == NULL)
				return -ENOMEM;
			t->kind = TN_TEXT;
			t->text = tb;
			t->textn = (size_t)(te - tb);
			*tail = t;
			tail = &t->next;
		}
		if (open >= p->end) {
			p->s = p->end;
			break;
		}
		const char *close = ab;
		while (close + 1 < p->end && !(close[0] == '}' && close[1] == '}')) {
			if (close[0] == '"')
				for (close++; close < p->end && *close != '"'; close += *close == '\\' ? 2 : 1)
					;
			close++;
		}
		if (close + 1 >= p->end)
			return perr(p, "unclosed action");
		const char *ae = close;
		if (ae - ab >= 2 && ae[-1] == '-' && is_space(ae[-2])) {
			ae -= 2;
			p->trim_next = true;
		}
		p->s = close + 2;
		const char *cb = ab;
		while (cb < ae && is_space(*cb))
			cb++;
		if (ae - cb >= 4 && memcmp(cb, "/*", 2) == 0 && memcmp(ae - 2, "*/", 2) == 0)
			continue;
		struct tnode *n;
		bool ended;
		int r = action(p, ab, ae, &n, stop, stopn, &ended);
		if (r < 0)
			return r;
		if (ended)
			break;
		*tail = n;
		tail = &n->next;
	}
	*out = head;
	return 0;
}

/* ---- execution -------------------------------------------------------- */

#define T_MISSING ((const rv *)&t_missing_marker)
static const int t_missing_marker;

struct tvar {
	const char *name;
	size_t n;
	const rv *v;
	bool goint; /* a range index: an int, false when 0 */
};

struct texec {
	rctx *cx;
	cc_buf out;
	struct tvar vars[64];
	size_t nvars;
	unsigned long steps;
	const char *err;
	int code;
};

static int xerr(struct texec *x, int code, const char *m)
{
	x->err = m;
	x->code = code;
	return code;
}

static int lookup(struct texec *x, const struct toper *o, const rv *dot, const rv **out, bool *goint)
{
	*goint = false;
	const rv *v = dot;
	if (o->kind == 2) {
		*out = o->lit;
		return 0;
	}
	if (o->kind == 1) {
		size_t i = x->nvars;
		while (i > 0 && !(x->vars[i - 1].n == o->varn && memcmp(x->vars[i - 1].name, o->var, o->varn) == 0))
			i--;
		if (i == 0)
			return xerr(x, -EINVAL, "undefined variable");
		v = x->vars[i - 1].v;
		*goint = x->vars[i - 1].goint && o->nfields == 0;
	}
	for (size_t i = 0; i < o->nfields; i++) {
		if (v == T_MISSING || v->t == RV_NULL) {
			v = T_MISSING;
			continue;
		}
		if (v->t != RV_OBJ)
			return xerr(x, -EINVAL, "can't evaluate field in a non-map value");
		const rv *nx = rv_obj_gets(v, o->fields[i], o->fieldn[i]);
		v = nx ? nx : T_MISSING;
	}
	*out = v;
	return 0;
}

static bool truth(const rv *v, bool goint)
{
	if (v == T_MISSING)
		return false;
	switch (v->t) {
	case RV_NULL: return false;
	case RV_BOOL: return v->u.b;
	case RV_NUM: return !goint || !(v->nk == RN_INT && v->u.i == 0);
	case RV_STR: return v->u.s.n > 0;
	default: return rv_len(v) > 0;
	}
}

/* fmt's %v of the Go value OPA passes. */
static int print_value(cc_buf *b, const rv *v, bool top)
{
	int r = 0;
	if (v == T_MISSING)
		return cc_buf_adds(b, top ? "<no value>" : "<nil>");
	switch (v->t) {
	case RV_NULL: return cc_buf_adds(b, "<nil>");
	case RV_BOOL: return cc_buf_adds(b, v->u.b ? "true" : "false");
	case RV_NUM: return rv_num_to_text(v, b);
	case RV_STR: return cc_buf_add(b, v->u.s.p, v->u.s.n);
	case RV_OBJ:
		r = cc_buf_adds(b, "map[");
		for (size_t i = 0; r == 0 && i < v->u.o.n; i++) {
			if (i)
				r = cc_buf_addc(b, ' ');
			if (r == 0)
				r = print_value(b, v->u.o.k[i], false);
			if (r == 0)
				r = cc_buf_addc(b, ':');
			if (r == 0)
				r = print_value(b, v->u.o.v[i], false);
		}
		return r ? r : cc_buf_addc(b, ']');
	default:
		r = cc_buf_addc(b, '[');
		for (size_t i = 0; r == 0 && i < v->u.a.n; i++) {
			if (i)
				r = cc_buf_addc(b, ' ');
			if (r == 0)
				r = print_value(b, v->u.a.v[i], false);
		}
		return r ? r : cc_buf_addc(b, ']');
	}
}

static int set_var(struct texec *x, const char *name, size_t n, const rv *v, bool goint)
{
	if (name == NULL)
		return 0;
	if (x->nvars == sizeof(x->vars) / sizeof(x->vars[0]))
		return xerr(x, -E2BIG, "too many template variables");
	x->vars[x->nvars++] = (struct tvar){name, n, v, goint};
	return 0;
}

static int exec_list(struct texec *x, const struct tnode *n, const rv *dot);

static int exec_range(struct texec *x, const struct tnode *n, const rv *v, const rv *dot)
{
	size_t cnt = v == T_MISSING || v->t == RV_NULL ? 0 : rv_len(v);
	if (v != T_MISSING && v->t != RV_NULL && v->t != RV_ARR && v->t != RV_OBJ && v->t != RV_SET)
		return xerr(x, -EINVAL, "range can't iterate over value");
	if (cnt == 0)
		return n->els ? exec_list(x, n->els, dot) : 0;
	size_t base = x->nvars;
	int r = 0;
	for (size_t i = 0; r == 0 && i < cnt; i++) {
		const rv *key, *elem;
		bool kint = v->t != RV_OBJ;
		if (v->t == RV_OBJ) {
			key = v->u.o.k[i];
			elem = v->u.o.v[i];
		} else {
			key = rv_int(rctx_arena(x->cx), (int64_t)i);
			elem = v->u.a.v[i];
		}
		if (key == NULL)
			return -ENOMEM;
		x->nvars = base;
		if (n->v2)
			r = set_var(x, n->v1, n->v1n, key, kint);
		if (r == 0)
			r = set_var(x, n->v2 ? n->v2 : n->v1, n->v2 ? n->v2n : n->v1n, elem, false);
		if (r == 0)
			r = exec_list(x, n->body, elem);
	}
	x->nvars = base;
	return r;
}

static int exec_node(struct texec *x, const struct tnode *n, const rv *dot)
{
	if (++x->steps > CC_REGO_MAX_TEMPLATE_STEPS)
		return xerr(x, -ETIME, "template execution step limit exceeded");
	if (n->kind == TN_TEXT) {
		int r = cc_buf_add(&x->out, n->text, n->textn);
		return r < 0 ? xerr(x, r == -ENOMEM ? r : -E2BIG, "template output too large") : 0;
	}
	const rv *v;
	bool goint;
	int r = lookup(x, &n->op, dot, &v, &goint);
	if (r < 0)
		return r;
	switch (n->kind) {
	case TN_PRINT:
		r = print_value(&x->out, v, true);
		return r < 0 ? xerr(x, r == -ENOMEM ? r : -E2BIG, "template output too large") : 0;
	case TN_SET:
		return set_var(x, n->v1, n->v1n, v, goint);
	case TN_IF:
		if (truth(v, goint))
			return exec_list(x, n->body, dot);
		return n->els ? exec_list(x, n->els, dot) : 0;
	case TN_WITH:
		if (truth(v, goint)) {
			size_t base = x->nvars;
			r = set_var(x, n->v1, n->v1n, v, goint);
			if (r == 0)
				r = exec_list(x, n->body, v);
			x->nvars = base;
			return r;
		}
		return n->els ? exec_list(x, n->els, dot) : 0;
	default:
		return exec_range(x, n, v, dot);
	}
}

static int exec_list(struct texec *x, const struct tnode *n, const rv *dot)
{
	size_t base = x->nvars; /* variables set in a block end with it */
	int r = 0;
	for (; r == 0 && n; n = n->next)
		r = exec_node(x, n, dot);
	x->nvars = base;
	return r;
}

static int bi_render_template(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_type(cx, args, 1, RT_OBJ)) < 0)
		return r;
	struct tparse p = {.a = rctx_arena(cx), .s = s, .end = s + n};
	struct tnode *root;
	const char *stop;
	size_t stopn;
	r = parse_list(&p, &root, &stop, &stopn);
	if (r == 0 && stop)
		r = perr(&p, stopn >= 4 && memcmp(stop, "else", 4) == 0 ? "unexpected {{else}}"
		                                                        : "unexpected {{end}}");
	if (r == -ENOMEM)
		return rbi_oom(cx);
	if (r < 0)
		return rbi_err(cx, "template: template:1: %s", p.err);
	struct texec x = {.cx = cx};
	cc_buf_init(&x.out, CC_REGO_MAX_TEMPLATE_OUTPUT);
	x.vars[0] = (struct tvar){"$", 1, args[1], false};
	x.nvars = 1;
	r = exec_list(&x, root, args[1]);
	if (r == 0) {
		/* OPA: strings.ReplaceAll(out, "<no value>", "<undefined>") */
		cc_buf o;
		cc_buf_init(&o, 0);
		const char *b = x.out.p ? x.out.p : "", *e = b + x.out.len;
		while (r == 0 && b < e) {
			const char *hit = memmem(b, (size_t)(e - b), "<no value>", 10);
			if (hit == NULL) {
				r = cc_buf_add(&o, b, (size_t)(e - b));
				break;
			}
			r = cc_buf_add(&o, b, (size_t)(hit - b));
			if (r == 0)
				r = cc_buf_adds(&o, "<undefined>");
			b = hit + 10;
		}
		*ret = r == 0 ? rv_str(rctx_arena(cx), o.p ? o.p : "", o.len) : NULL;
		cc_buf_free(&o);
		cc_buf_free(&x.out);
		return *ret ? 0 : rbi_oom(cx);
	}
	cc_buf_free(&x.out);
	if (r == -ENOMEM && x.err == NULL)
		return rbi_oom(cx);
	if (r == -ETIME || r == -E2BIG) {
		/* a bound, not the template's fault: never swallowed as undefined */
		cc_error_free(cx->err);
		cx->err = NULL;
		cc_error_set_at(&cx->err, r, "eval_cancel_error", NULL, 0, 0, "%s: %s", rctx_fname(cx),
		                x.err ? x.err : "template limit exceeded");
		return r;
	}
	return rbi_err(cx, "template: template:1: %s", x.err ? x.err : "execution failed");
}

const struct rbi rbi_group_template[] = {
    {"strings.render_template", 2, bi_render_template, NULL, 0, {RT_STR, RT_OBJ}, RT_STR},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
