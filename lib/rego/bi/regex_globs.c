/* regex.globs_match (regex group): github.com/yashtewari/glob-intersection
 * NonEmpty. Globs: literal runes, '.' (any rune), [set] with ranges, each
 * optionally followed by '+' or '*'; '\' escapes. The algorithm (including
 * its approximations) follows the library; work is bounded by
 * GI_MAX_STEPS. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "../rctx.h"
#include "../utf8.h"
#include "regex_int.h"

enum { GT_CHAR, GT_DOT, GT_SET };
enum { GF_NONE, GF_PLUS, GF_STAR };

#define GI_MAX_STEPS CC_REGO_GLOBS_STEPS /* limits.h */

struct grange {
	uint32_t lo, hi;
};

struct gtok {
	int type;
	int flag;
	uint32_t r;
	struct grange *set; /* sorted, merged */
	size_t nset;
};

struct gi {
	rctx *cx;
	const uint32_t *in; /* runes of the glob being tokenized */
	size_t n;
	const char *src;    /* its text, for messages */
	size_t srcn;
	long steps;
	bool too_complex;
};

#define GI_EOF 1

static int gi_err(struct gi *g, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int gi_err(struct gi *g, size_t pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* string([]rune(input)) re-encodes invalid bytes as U+FFFD. */
	return rbi_err(g->cx, "input:%.*s, pos:%zu, %s: the input provided is invalid", (int)g->srcn, g->src,
	               pos, msg);
}

/* nextRune: 0 with the rune, GI_EOF at the end, or an error. */
static int gi_next(struct gi *g, size_t idx, size_t *ni, uint32_t *r, bool *esc)
{
	*esc = false;
	*r = 0;
	if (idx >= g->n) {
		*ni = idx;
		return GI_EOF;
	}
	if (g->in[idx] == '\\') {
		if (idx + 1 < g->n) {
			*ni = idx + 2;
			*r = g->in[idx + 1];
			*esc = true;
			return 0;
		}
		*ni = 0;
		return gi_err(g, idx, "input ends with a \\ (escape) character");
	}
	*ni = idx + 1;
	*r = g->in[idx];
	return 0;
}

/* r as NUL-terminated UTF-8 text in buf. */
static char *rune_text(uint32_t r, char buf[8])
{
	buf[rutf8_encode(r, buf)] = '\0';
	return buf;
}

static int range_cmp(const void *a, const void *b)
{
	const struct grange *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int set_add(struct gi *g, struct gtok *t, size_t *cap, uint32_t lo, uint32_t hi)
{
	if (t->nset == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct grange *ns = rarena_nalloc(rctx_arena(g->cx), nc, sizeof(*ns));
		if (ns == NULL)
			return rbi_oom(g->cx);
		if (t->nset)
			memcpy(ns, t->set, t->nset * sizeof(*ns));
		t->set = ns;
		*cap = nc;
	}
	t->set[t->nset++] = (struct grange){lo, hi};
	return 0;
}

static void set_normalize(struct gtok *t)
{
	if (t->nset < 2)
		return;
	qsort(t->set, t->nset, sizeof(*t->set), range_cmp);
	size_t m = 0;
	for (size_t i = 1; i < t->nset; i++) {
		if (t->set[i].lo <= t->set[m].hi + 1) {
			if (t->set[i].hi > t->set[m].hi)
				t->set[m].hi = t->set[i].hi;
		} else {
			t->set[++m] = t->set[i];
		}
	}
	t->nset = m + 1;
}

/* nextTokenSet: after '['. */
static int gi_set(struct gi *g, size_t idx, size_t *ni, struct gtok *t)
{
	size_t cap = 0, nidx;
	uint32_t r, prev = 0;
	bool esc, prev_exists = false, complete = false;
	t->type = GT_SET;
	int e = gi_next(g, idx, &nidx, &r, &esc);
	if (e < 0)
		return e;
	for (; e != GI_EOF; e = gi_next(g, nidx, &nidx, &r, &esc)) {
		if (e < 0)
			return e;
		if (!esc && r == '-') {
			if (!prev_exists)
				return gi_err(g, nidx, "range character '-' must be preceded by a Unicode character");
			if (nidx + 1 >= g->n)
				return gi_err(g, nidx, "range character '-' must be followed by a Unicode character");
			gi_next(g, nidx, &nidx, &r, &esc);
			if (!esc && (r == ']' || r == '-'))
				return gi_err(g, nidx, "range character '-' cannot be followed by a special symbol");
			if (r < prev) {
				char a[8], b[8];
				return gi_err(g, nidx, "range is out of order: '%s' comes before '%s' in Unicode",
				              rune_text(r, a), rune_text(prev, b));
			}
			if ((e = set_add(g, t, &cap, prev, r)) < 0)
				return e;
			prev_exists = false;
		} else if (!esc && r == ']') {
			complete = true;
			break;
		} else {
			if ((e = set_add(g, t, &cap, r, r)) < 0)
				return e;
			prev = r;
			prev_exists = true;
		}
	}
	if (!complete)
		return gi_err(g, nidx, "found [ without matching ]");
	set_normalize(t);
	*ni = nidx;
	return 0;
}

static bool tok_equal(const struct gtok *a, const struct gtok *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == GT_CHAR)
		return a->r == b->r;
	if (a->type == GT_DOT)
		return true;
	if (a->nset != b->nset)
		return false;
	for (size_t i = 0; i < a->nset; i++)
		if (a->set[i].lo != b->set[i].lo || a->set[i].hi != b->set[i].hi)
			return false;
	return true;
}

/* Tokenize + Simplify. */
static int gi_tokenize(struct gi *g, struct gtok **out, size_t *outn)
{
	struct gtok *v = rarena_nalloc(rctx_arena(g->cx), g->n ? g->n : 1, sizeof(*v));
	if (v == NULL)
		return rbi_oom(g->cx);
	size_t k = 0, i = 0;
	for (;;) {
		size_t ni;
		uint32_t r;
		bool esc;
		int e = gi_next(g, i, &ni, &r, &esc);
		if (e == GI_EOF)
			break;
		if (e < 0)
			return e;
		struct gtok t = {.type = GT_CHAR, .flag = GF_NONE, .r = r};
		if (!esc && r == '.') {
			t.type = GT_DOT;
		} else if (!esc && r == ']') {
			return gi_err(g, ni, "set-close ']' with no preceding '['");
		} else if (!esc && r == '[') {
			if ((e = gi_set(g, ni, &ni, &t)) < 0)
				return e;
		} else if (!esc && (r == '+' || r == '*')) {
			return gi_err(g, ni, "flag '%c' must be preceded by a non-flag", (char)r);
		}
		/* nextFlag */
		size_t fi;
		uint32_t fr;
		bool fesc;
		e = gi_next(g, ni, &fi, &fr, &fesc);
		if (e < 0)
			return e;
		if (e == 0 && !fesc && (fr == '+' || fr == '*')) {
			t.flag = fr == '+' ? GF_PLUS : GF_STAR;
			ni = fi;
		}
		/* Simplify: merge equal flagged neighbours (+ wins). */
		if (k > 0 && t.flag != GF_NONE && v[k - 1].flag != GF_NONE && tok_equal(&t, &v[k - 1])) {
			if (t.flag == GF_PLUS)
				v[k - 1].flag = GF_PLUS;
		} else {
			v[k++] = t;
		}
		i = ni;
	}
	*out = v;
	*outn = k;
	return 0;
}

static bool set_has(const struct gtok *t, uint32_t r)
{
	for (size_t i = 0; i < t->nset; i++)
		if (r >= t->set[i].lo && r <= t->set[i].hi)
			return true;
	return false;
}

static bool tok_match(const struct gtok *a, const struct gtok *b)
{
	if (a->type > b->type) {
		const struct gtok *x = a;
		a = b;
		b = x;
	}
	if (a->type == GT_CHAR) {
		if (b->type == GT_CHAR)
			return a->r == b->r;
		if (b->type == GT_DOT)
			return true;
		return set_has(b, a->r);
	}
	if (a->type == GT_DOT)
		return true;
	for (size_t i = 0; i < a->nset; i++)
		for (size_t k = 0; k < b->nset; k++)
			if (a->set[i].lo <= b->set[k].hi && b->set[k].lo <= a->set[i].hi)
				return true;
	return false;
}

static bool gi_normal(struct gi *g, const struct gtok *a, size_t an, const struct gtok *b, size_t bn);

static bool gi_budget(struct gi *g)
{
	if (++g->steps > GI_MAX_STEPS) {
		g->too_complex = true;
		return false;
	}
	return true;
}

static bool gi_star(struct gi *g, const struct gtok *st, size_t sn, const struct gtok *o, size_t on)
{
	if (!gi_budget(g))
		return false;
	const struct gtok *next = sn > 1 ? &st[1] : NULL;
	for (size_t i = 0; i < on; i++) {
		if (next && tok_match(&o[i], next)) {
			if (gi_normal(g, st + 1, sn - 1, o + i, on - i))
				return true;
			if (g->too_complex || !tok_match(&o[i], &st[0]))
				return false;
		} else if (!tok_match(&o[i], &st[0])) {
			return false;
		}
	}
	return next == NULL;
}

static bool gi_plus(struct gi *g, const struct gtok *pl, size_t pn, const struct gtok *o, size_t on)
{
	if (!gi_budget(g) || !tok_match(&pl[0], &o[0]))
		return false;
	if (gi_star(g, pl, pn, o + 1, on - 1))
		return true;
	return o[0].flag != GF_NONE && gi_normal(g, pl + 1, pn - 1, o, on);
}

static bool gi_special(struct gi *g, const struct gtok *a, size_t an, const struct gtok *b, size_t bn)
{
	if (a[0].flag != GF_NONE)
		return a[0].flag == GF_PLUS ? gi_plus(g, a, an, b, bn) : gi_star(g, a, an, b, bn);
	return b[0].flag == GF_PLUS ? gi_plus(g, b, bn, a, an) : gi_star(g, b, bn, a, an);
}

static bool gi_normal(struct gi *g, const struct gtok *a, size_t an, const struct gtok *b, size_t bn)
{
	if (!gi_budget(g))
		return false;
	size_t i;
	for (i = 0; i < an && i < bn; i++) {
		if (a[i].flag == GF_NONE && b[i].flag == GF_NONE) {
			if (!tok_match(&a[i], &b[i]))
				return false;
		} else {
			return gi_special(g, a + i, an - i, b + i, bn - i);
		}
	}
	return i == an && i == bn;
}

static int gi_parse(rctx *cx, struct gi *g, const char *s, size_t n, struct gtok **t, size_t *tn)
{
	size_t cnt;
	uint32_t *runes = rarena_nalloc(rctx_arena(cx), n ? n : 1, sizeof(*runes));
	if (runes == NULL)
		return rbi_oom(cx);
	cnt = 0;
	for (size_t i = 0; i < n;)
		i += rutf8_decode((const unsigned char *)s + i, n - i, &runes[cnt++]);
	g->in = runes;
	g->n = cnt;
	g->src = s;
	g->srcn = n;
	return gi_tokenize(g, t, tn);
}

int rre_globs_match(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *a, *b;
	size_t an, bn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &a, &an)) < 0 || (r = rbi_arg_str(cx, args, 1, &b, &bn)) < 0)
		return r;
	struct gi g = {.cx = cx};
	struct gtok *g1, *g2;
	size_t n1, n2;
	if ((r = gi_parse(cx, &g, a, an, &g1, &n1)) < 0 || (r = gi_parse(cx, &g, b, bn, &g2, &n2)) < 0)
		return r;
	/* trimGlobs */
	long l = 0, r1, r2;
	bool ok = true;
	for (l = 0; l < (long)n1 && l < (long)n2 && g1[l].flag == GF_NONE && g2[l].flag == GF_NONE; l++)
		if (!tok_match(&g1[l], &g2[l])) {
			ok = false;
			break;
		}
	if (ok) {
		if (l > 0)
			l--;
		for (r1 = (long)n1 - 1, r2 = (long)n2 - 1; r1 >= 0 && r1 >= l && r2 >= 0 && r2 >= l &&
		                                            g1[r1].flag == GF_NONE && g2[r2].flag == GF_NONE;
		     r1--, r2--)
			if (!tok_match(&g1[r1], &g2[r2])) {
				ok = false;
				break;
			}
		if (ok && r1 < (long)n1 - 1) {
			r1++;
			r2++;
		}
		if (ok)
			ok = gi_normal(&g, g1 + l, (size_t)(r1 + 1 - l), g2 + l, (size_t)(r2 + 1 - l));
	}
	if (g.too_complex)
		return rbi_limit(cx, "glob intersection too complex");
	*ret = rv_bool(ok);
	return 0;
}
