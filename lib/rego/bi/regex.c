/* Regular-expression builtins (OPA v1/topdown/regex.go, regex_template.go):
 * regex.match, regex.is_valid, regex.find_n,
 * regex.find_all_string_submatch_n, regex.replace, regex.split,
 * regex.template_match, regex.globs_match.
 *
 * OPA uses Go's regexp package (RE2 syntax, leftmost-first matching). We
 * parse the Go syntax ourselves (rejecting what RE2 rejects, with Go's
 * error texts) and emit an equivalent PCRE2 pattern: every literal is
 * escaped, \s is spelled out (Go's \s has no \v), classes are explicit,
 * named groups become plain groups (names are kept here for "${name}").
 * PCRE2 runs in UTF mode with '$' only at the very end
 * (PCRE2_DOLLAR_ENDONLY, as Go) and (?m)^ after a final newline
 * (PCRE2_ALT_CIRCUMFLEX, as Go); subjects with invalid UTF-8 are matched
 * with each bad byte read as U+FFFD, as Go reads them. Go's match iteration
 * (FindAll, ReplaceAll, Split, Expand) is reproduced on top.
 *
 * Files: bi/regex_syntax.c translates the Go syntax, bi/regex_cache.c
 * keeps compiled patterns per engine, bi/regex_globs.c implements
 * regex.globs_match; this file matches and holds the group table.
 *
 * Unlike Go, PCRE2 backtracks: a match that exceeds PCRE2's match limit
 * fails with a builtin error instead of running for a very long time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rctx.h"
#include "../utf8.h"
#include "abuf.h"
#include "cocoon/limits.h"
#include "regex_int.h"

#define OUT_MAX ((size_t)CC_REGO_MAX_BUILTIN_ELEMS)

/* ---- matching --------------------------------------------------------- */

/* Go reads each invalid UTF-8 byte as the rune U+FFFD, which '.', classes
 * and \x{fffd} match; PCRE2 cannot match invalid bytes. A subject with
 * invalid bytes is therefore matched in a copy where each such byte is
 * replaced by U+FFFD's encoding; match offsets map back to the argument,
 * whose bytes are what results are made of (as in Go). Rune steps are the
 * same in both. */
struct matcher {
	rctx *cx;
	struct recache *c;
	struct rentry *e;
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	const char *s;    /* subject as PCRE2 sees it: valid UTF-8 */
	size_t n;
	const char *orig; /* the argument */
	size_t *map;      /* offset in s -> offset in orig; NULL if s == orig */
};

static void *arena_malloc(PCRE2_SIZE n, void *a) { return rarena_alloc(a, n); }
static void arena_free(void *p, void *a)
{
	(void)p;
	(void)a;
}

static int prepare_subject(rctx *cx, struct matcher *m, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t bad = 0;
	uint32_t r;
	for (size_t i = 0; i < n;) {
		size_t w = u[i] < 0x80 ? 1 : rutf8_decode(u + i, n - i, &r);
		if (w == 1 && u[i] >= 0x80)
			bad++;
		i += w;
	}
	m->orig = s;
	m->s = s;
	m->n = n;
	m->map = NULL;
	if (bad == 0)
		return 0;
	size_t tn;
	if (__builtin_mul_overflow(bad, 2, &tn) || __builtin_add_overflow(tn, n, &tn) || tn > OUT_MAX)
		return rbi_oom(cx);
	char *t = rarena_alloc(rctx_arena(cx), tn + 1);
	size_t *map = rarena_nalloc(rctx_arena(cx), tn + 1, sizeof(*map));
	if (t == NULL || map == NULL)
		return rbi_oom(cx);
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		size_t w = u[i] < 0x80 ? 1 : rutf8_decode(u + i, n - i, &r);
		if (w == 1 && u[i] >= 0x80) {
			memcpy(t + k, "\xef\xbf\xbd", 3);
			map[k] = map[k + 1] = map[k + 2] = i;
			k += 3;
		} else {
			memcpy(t + k, s + i, w);
			for (size_t j = 0; j < w; j++)
				map[k + j] = i + j;
			k += w;
		}
		i += w;
	}
	map[k] = n;
	t[k] = '\0';
	m->s = t;
	m->n = k;
	m->map = map;
	return 0;
}

static size_t orig_off(const struct matcher *m, size_t off) { return m->map ? m->map[off] : off; }

static int matcher_init(rctx *cx, struct matcher *m, struct recache *c, struct rentry *e, const char *s, size_t n)
{
	m->cx = cx;
	m->c = c;
	m->e = e;
	/* Match data comes from the evaluation arena: nothing to free. */
	pcre2_general_context *gc = pcre2_general_context_create(arena_malloc, arena_free, rctx_arena(cx));
	m->md = gc ? pcre2_match_data_create(e->ncap + 1, gc) : NULL;
	if (m->md == NULL)
		return rbi_oom(cx);
	m->ov = pcre2_get_ovector_pointer(m->md);
	return prepare_subject(cx, m, s, n);
}

/* Leftmost match at or after start: 1 found (m->ov filled), 0 none. */
static int match_at(struct matcher *m, size_t start)
{
	pcre2_match_context *mc = m->c ? m->c->mctx : NULL;
	int r = pcre2_match(m->e->code, (PCRE2_SPTR)m->s, m->n, start, PCRE2_NO_UTF_CHECK, m->md, mc);
	if (r == PCRE2_ERROR_JIT_STACKLIMIT)
		r = pcre2_match(m->e->code, (PCRE2_SPTR)m->s, m->n, start, PCRE2_NO_JIT | PCRE2_NO_UTF_CHECK, m->md,
		                mc);
	if (r >= 0)
		return 1;
	if (r == PCRE2_ERROR_NOMATCH)
		return 0;
	if (r == PCRE2_ERROR_MATCHLIMIT || r == PCRE2_ERROR_DEPTHLIMIT || r == PCRE2_ERROR_HEAPLIMIT)
		return rbi_limit(m->cx, "regular expression match limit exceeded");
	if (r == PCRE2_ERROR_NOMEMORY)
		return rbi_oom(m->cx);
	PCRE2_UCHAR msg[256];
	pcre2_get_error_message(r, msg, sizeof(msg));
	return rbi_err(m->cx, "regular expression match failed: %s", (const char *)msg);
}

/* Width of the rune at s[pos] (pos < n). */
static size_t rune_width(const struct matcher *m, size_t pos)
{
	uint32_t rr;
	return rutf8_decode((const unsigned char *)m->s + pos, m->n - pos, &rr);
}

/* Go Regexp.allMatches: calls each(m, arg) for up to limit matches
 * (limit < 0: all). Empty matches right after a match are skipped. */
typedef int (*match_fn)(struct matcher *m, void *arg);

static int all_matches(struct matcher *m, int64_t limit, match_fn each, void *arg)
{
	size_t n = m->n;
	if (limit < 0)
		limit = (int64_t)n + 1;
	size_t pos = 0;
	long prev_end = -1;
	for (int64_t i = 0; i < limit && pos <= n;) {
		int r = match_at(m, pos);
		if (r <= 0)
			return r;
		size_t ms = m->ov[0], me = m->ov[1];
		bool accept = true;
		if (me == pos) {
			if ((long)ms == prev_end)
				accept = false;
			pos = pos < n ? pos + rune_width(m, pos) : n + 1;
		} else {
			pos = me;
		}
		prev_end = (long)me;
		if (accept) {
			if ((r = each(m, arg)) < 0)
				return r;
			i++;
		}
	}
	return 0;
}

/* The argument's bytes between two subject offsets. */
static const rv *sub_str(struct matcher *m, PCRE2_SIZE a, PCRE2_SIZE b)
{
	if (a == PCRE2_UNSET || b <= a)
		return rv_empty_str();
	size_t oa = orig_off(m, a), ob = orig_off(m, b);
	return rv_str(rctx_arena(m->cx), m->orig + oa, ob - oa);
}

/* ---- builtins ----------------------------------------------------------- */

static int bi_regex_match(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *p, *s;
	size_t pn, sn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &p, &pn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0)
		return r;
	struct recache *c = rre_get_cache(cx);
	struct rentry *e;
	if ((r = rre_regex_get(cx, c, p, pn, &e)) < 0)
		return r;
	struct matcher m;
	r = matcher_init(cx, &m, c, e, s, sn);
	if (r == 0)
		r = match_at(&m, 0);
	rre_entry_release(c, e);
	if (r < 0)
		return r;
	*ret = rv_bool(r == 1);
	return 0;
}

static int bi_regex_is_valid(rctx *cx, const rv *const *args, const rv **ret)
{
	if (args[0]->t != RV_STR) {
		*ret = rv_false();
		return 0;
	}
	struct recache *c = rre_get_cache(cx);
	struct rentry *e;
	int r = rre_regex_get(cx, c, args[0]->u.s.p, args[0]->u.s.n, &e);
	if (r == -ENOMEM)
		return r;
	if (r == 0)
		rre_entry_release(c, e);
	/* An invalid pattern is not an error here. */
	cc_error_free(cx->err);
	cx->err = NULL;
	*ret = rv_bool(r == 0);
	return 0;
}

/* OPA builtins.IntOperand */
static int arg_goint(rctx *cx, const rv *const *args, int i, int64_t *out)
{
	int r = rbi_arg_num(cx, args, i);
	if (r < 0)
		return r;
	if (args[i]->nk != RN_INT)
		return rbi_type_errf(cx, "operand %d must be integer number but got floating-point number",
		                     i + 1);
	*out = args[i]->u.i;
	return 0;
}

struct collect {
	rvec v;
	bool submatches;
};

static int collect_match(struct matcher *m, void *arg)
{
	struct collect *col = arg;
	rctx *cx = m->cx;
	const rv *x;
	if (!col->submatches) {
		x = sub_str(m, m->ov[0], m->ov[1]);
	} else {
		uint32_t ng = m->e->ncap + 1;
		const rv **g = rarena_nalloc(rctx_arena(cx), ng, sizeof(*g));
		if (g == NULL)
			return rbi_oom(cx);
		for (uint32_t k = 0; k < ng; k++) {
			g[k] = sub_str(m, m->ov[2 * k], m->ov[2 * k + 1]);
			if (g[k] == NULL)
				return rbi_oom(cx);
		}
		x = rv_arr(rctx_arena(cx), g, ng);
	}
	if (x == NULL || col->v.n >= OUT_MAX || rvec_push(&col->v, x) < 0)
		return rbi_oom(cx);
	return 0;
}

static int find_common(rctx *cx, const rv *const *args, const rv **ret, bool submatches)
{
	const char *p, *s;
	size_t pn, sn;
	int64_t lim = 0;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &p, &pn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0 ||
	    (r = arg_goint(cx, args, 2, &lim)) < 0)
		return r;
	struct recache *c = rre_get_cache(cx);
	struct rentry *e;
	if ((r = rre_regex_get(cx, c, p, pn, &e)) < 0)
		return r;
	struct matcher m;
	struct collect col = {.submatches = submatches};
	rvec_init(&col.v, rctx_arena(cx));
	r = matcher_init(cx, &m, c, e, s, sn);
	if (r == 0)
		r = all_matches(&m, lim, collect_match, &col);
	rre_entry_release(c, e);
	if (r < 0)
		return r;
	*ret = rvec_to_arr(&col.v);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_regex_find_n(rctx *cx, const rv *const *args, const rv **ret)
{
	return find_common(cx, args, ret, false);
}

static int bi_regex_find_all_submatch(rctx *cx, const rv *const *args, const rv **ret)
{
	return find_common(cx, args, ret, true);
}

/* ---- regex.split ---- */

struct splitter {
	rvec v;
	size_t beg;
	size_t end;
};

static int split_match(struct matcher *m, void *arg)
{
	struct splitter *sp = arg;
	sp->end = m->ov[0];
	if (m->ov[1] != 0) {
		const rv *x = sub_str(m, sp->beg, sp->end);
		if (x == NULL || sp->v.n >= OUT_MAX || rvec_push(&sp->v, x) < 0)
			return rbi_oom(m->cx);
	}
	sp->beg = m->ov[1];
	return 0;
}

static int bi_regex_split(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *p, *s;
	size_t pn, sn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &p, &pn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0)
		return r;
	struct recache *c = rre_get_cache(cx);
	struct rentry *e;
	if ((r = rre_regex_get(cx, c, p, pn, &e)) < 0)
		return r;
	struct splitter sp = {.beg = 0, .end = 0};
	rvec_init(&sp.v, rctx_arena(cx));
	if (pn > 0 && sn == 0) {
		rre_entry_release(c, e);
		r = rvec_push(&sp.v, rv_empty_str());
	} else {
		struct matcher m;
		r = matcher_init(cx, &m, c, e, s, sn);
		if (r == 0)
			r = all_matches(&m, -1, split_match, &sp);
		rre_entry_release(c, e);
		if (r == 0 && sp.end != m.n) {
			const rv *x = sub_str(&m, sp.beg, m.n);
			r = x == NULL ? -ENOMEM : rvec_push(&sp.v, x);
		}
	}
	if (r == -ENOMEM)
		return rbi_oom(cx);
	if (r < 0)
		return r;
	*ret = rvec_to_arr(&sp.v);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- regex.replace ---- */

/* Go regexp extract: "name" or "{name}" after a '$'. */
static bool expand_name(const char *t, size_t n, size_t *namelen, size_t *off, size_t *rest, long *num)
{
	size_t i = 0;
	bool brace = false;
	if (n == 0)
		return false;
	if (t[0] == '{') {
		brace = true;
		i = 1;
	}
	size_t start = i;
	while (i < n) {
		uint32_t r;
		size_t w = rutf8_decode((const unsigned char *)t + i, n - i, &r);
		if (r != '_' && !rre_letter_or_digit(r))
			break;
		i += w;
	}
	if (i == start)
		return false;
	*off = start;
	*namelen = i - start;
	if (brace) {
		if (i >= n || t[i] != '}')
			return false;
		i++;
	}
	long v = 0;
	for (size_t k = start; k < start + *namelen; k++) {
		if (t[k] < '0' || t[k] > '9' || v >= 100000000) {
			v = -1;
			break;
		}
		v = v * 10 + (t[k] - '0');
	}
	if (t[start] == '0' && *namelen > 1)
		v = -1;
	*num = v;
	*rest = i;
	return true;
}

/* Go Regexp.expand of template for the current match. */
static void expand(struct matcher *m, struct abuf *b, const char *tpl, size_t tn)
{
	size_t i = 0;
	while (i < tn) {
		const char *d = memchr(tpl + i, '$', tn - i);
		if (d == NULL)
			break;
		size_t at = (size_t)(d - tpl);
		abuf_add(b, tpl + i, at - i);
		i = at + 1;
		if (i < tn && tpl[i] == '$') {
			abuf_add(b, "$", 1);
			i++;
			continue;
		}
		size_t nl, off, rest;
		long num;
		if (!expand_name(tpl + i, tn - i, &nl, &off, &rest, &num)) {
			abuf_add(b, "$", 1);
			continue;
		}
		const char *name = tpl + i + off;
		i += rest;
		uint32_t g = UINT32_MAX;
		if (num >= 0) {
			if ((uint64_t)num <= m->e->ncap)
				g = (uint32_t)num;
		} else {
			for (uint32_t k = 1; k <= m->e->ncap; k++) {
				const char *nk = m->e->names ? m->e->names[k] : NULL;
				if (nk && strlen(nk) == nl && memcmp(nk, name, nl) == 0) {
					g = k;
					break;
				}
			}
		}
		if (g != UINT32_MAX && m->ov[2 * g] != PCRE2_UNSET) {
			size_t ga = orig_off(m, m->ov[2 * g]), gb = orig_off(m, m->ov[2 * g + 1]);
			abuf_add(b, m->orig + ga, gb - ga);
		}
	}
	abuf_add(b, tpl + i, tn - i);
}

static int bi_regex_replace(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *p, *v;
	size_t sn, pn, vn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &sn)) < 0 || (r = rbi_arg_str(cx, args, 1, &p, &pn)) < 0 ||
	    (r = rbi_arg_str(cx, args, 2, &v, &vn)) < 0)
		return r;
	struct recache *c = rre_get_cache(cx);
	struct rentry *e;
	if ((r = rre_regex_get(cx, c, p, pn, &e)) < 0)
		return r;
	struct matcher m;
	struct abuf b;
	abuf_init(&b, rctx_arena(cx), 0, OUT_MAX - 1); /* room for the NUL */
	bool changed = false;
	r = matcher_init(cx, &m, c, e, s, sn);
	/* Go Regexp.replaceAll, in subject offsets; text comes from s. */
	size_t last = 0, search = 0;
	while (r == 0 && search <= m.n && !b.err) {
		int k = match_at(&m, search);
		if (k <= 0) {
			r = k;
			break;
		}
		size_t ms = m.ov[0], me = m.ov[1];
		abuf_add(&b, s + orig_off(&m, last), orig_off(&m, ms) - orig_off(&m, last));
		if (me > last || ms == 0) {
			expand(&m, &b, v, vn);
			changed = true;
		}
		last = me;
		size_t w = search < m.n ? rune_width(&m, search) : 1;
		if (search + w > me)
			search += w;
		else if (search + 1 > me)
			search++;
		else
			search = me;
	}
	rre_entry_release(c, e);
	if (r < 0)
		return r;
	if (!changed) {
		*ret = args[0];
		return 0;
	}
	abuf_add(&b, s + orig_off(&m, last), sn - orig_off(&m, last));
	return abuf_finish(cx, &b, ret);
}

/* ---- regex.template_match ---- */

/* Go regexp.QuoteMeta */
static int quote_meta(cc_buf *b, const char *s, size_t n)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (s[i] != '\0' && strchr("\\.+*?()|[]{}^$", s[i]))
			r = cc_buf_addc(b, '\\');
		if (r == 0)
			r = cc_buf_addc(b, s[i]);
	}
	return r;
}

struct tmpl_src {
	const char *tpl;
	size_t n;
	char ds, de;
};

/* delimiterIndices: first-level delimiter pairs (start, end+1) into idxs;
 * false if unbalanced. */
static bool tmpl_indices(const struct tmpl_src *ts, size_t *idxs, size_t *ni)
{
	int level = 0;
	size_t idx = 0;
	*ni = 0;
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->tpl[i] == ts->ds) {
			if (++level == 1)
				idx = i;
		} else if (ts->tpl[i] == ts->de) {
			if (--level == 0) {
				idxs[(*ni)++] = idx;
				idxs[(*ni)++] = i + 1;
			} else if (level < 0) {
				return false;
			}
		}
	}
	return level == 0;
}

/* Each template variable must compile on its own as ^patt$; on failure
 * its error becomes e's. */
static bool tmpl_part_ok(struct rentry *e, const char *patt, size_t n)
{
	cc_buf one;
	cc_buf_init(&one, 0);
	struct rentry probe = {0};
	if (cc_buf_addc(&one, '^') < 0 || cc_buf_add(&one, patt, n) < 0 || cc_buf_addc(&one, '$') < 0)
		probe.oom = true;
	else
		rre_compile_go(&probe, one.p, one.len);
	cc_buf_free(&one);
	bool ok = probe.code != NULL;
	if (!ok) {
		e->err = probe.err;
		e->oom = probe.oom;
		probe.err = NULL;
	}
	pcre2_code_free(probe.code);
	rre_free_names(probe.names, probe.ncap);
	free(probe.err);
	return ok;
}

static void tmpl_unbalanced(struct rentry *e, const struct tmpl_src *ts)
{
	cc_buf q;
	cc_buf_init(&q, 0);
	const rv sv = {.t = RV_STR, .u.s = {ts->tpl, ts->n}};
	if (rv_to_rego(&sv, &q) < 0 || asprintf(&e->err, "unbalanced braces in %s", q.p) < 0) {
		e->err = NULL;
		e->oom = true;
	}
	cc_buf_free(&q);
}

/* compileRegexTemplate: "^" + QuoteMeta(raw) + "(" + var + ")" ... + "$". */
static void build_template(struct rentry *e, const char *src, size_t srcn)
{
	const struct tmpl_src *ts = (const struct tmpl_src *)(const void *)src;
	(void)srcn;
	size_t *idxs = calloc(ts->n + 2, sizeof(*idxs));
	size_t ni;
	if (idxs == NULL) {
		e->oom = true;
		return;
	}
	if (!tmpl_indices(ts, idxs, &ni)) {
		tmpl_unbalanced(e, ts);
		free(idxs);
		return;
	}
	cc_buf pat;
	cc_buf_init(&pat, 0);
	int r = cc_buf_addc(&pat, '^');
	size_t end = 0;
	for (size_t k = 0; r == 0 && k < ni; k += 2) {
		const char *raw = ts->tpl + end;
		size_t rawn = idxs[k] - end;
		end = idxs[k + 1];
		const char *patt = ts->tpl + idxs[k] + 1;
		size_t pattn = end - 1 - (idxs[k] + 1);
		r = quote_meta(&pat, raw, rawn);
		if (r == 0)
			r = cc_buf_addc(&pat, '(');
		if (r == 0)
			r = cc_buf_add(&pat, patt, pattn);
		if (r == 0)
			r = cc_buf_addc(&pat, ')');
		if (r == 0 && !tmpl_part_ok(e, patt, pattn)) {
			free(idxs);
			cc_buf_free(&pat);
			return;
		}
	}
	if (r == 0)
		r = quote_meta(&pat, ts->tpl + end, ts->n - end);
	if (r == 0)
		r = cc_buf_addc(&pat, '$');
	if (r < 0)
		e->oom = true;
	else
		rre_compile_go(e, pat.p, pat.len);
	free(idxs);
	cc_buf_free(&pat);
}

static int bi_regex_template_match(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *tpl, *s, *ds, *de;
	size_t tn, sn, dsn, den;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &tpl, &tn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0 ||
	    (r = rbi_arg_str(cx, args, 2, &ds, &dsn)) < 0 || (r = rbi_arg_str(cx, args, 3, &de, &den)) < 0)
		return r;
	if (dsn != 1)
		return rbi_err(cx, "start delimiter has to be exactly one character long but is %zu long", dsn);
	if (den != 1) /* OPA reports the start delimiter's length here */
		return rbi_err(cx, "end delimiter has to be exactly one character long but is %zu long", dsn);
	size_t kn;
	if (__builtin_add_overflow(tn, 3, &kn))
		return rbi_oom(cx);
	char *key = rarena_alloc(rctx_arena(cx), kn);
	if (key == NULL)
		return rbi_oom(cx);
	key[0] = 't';
	key[1] = ds[0];
	key[2] = de[0];
	memcpy(key + 3, tpl, tn);
	struct tmpl_src src = {tpl, tn, ds[0], de[0]};
	struct recache *c = rre_get_cache(cx);
	struct rentry *e = rre_entry_get(c, key, kn, build_template, (const char *)&src, sizeof(src));
	if (e == NULL)
		return rbi_oom(cx);
	if (e->code == NULL) {
		r = rbi_err(cx, "%s", e->err);
		rre_entry_release(c, e);
		return r;
	}
	struct matcher m;
	r = matcher_init(cx, &m, c, e, s, sn);
	if (r == 0)
		r = match_at(&m, 0);
	rre_entry_release(c, e);
	if (r < 0)
		return r;
	*ret = rv_bool(r == 1);
	return 0;
}

const struct rbi rbi_group_regex[] = {
    {"regex.match", 2, bi_regex_match, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"regex.is_valid", 1, bi_regex_is_valid, NULL, 0, {RT_STR}, RT_BOOL},
    {"regex.find_n", 3, bi_regex_find_n, NULL, 0, {RT_STR, RT_STR, RT_NUM}, RT_ARR},
    {"regex.find_all_string_submatch_n", 3, bi_regex_find_all_submatch, NULL, 0, {RT_STR, RT_STR, RT_NUM},
     RT_ARR},
    {"regex.replace", 3, bi_regex_replace, NULL, 0, {RT_STR, RT_STR, RT_STR}, RT_STR},
    {"regex.split", 2, bi_regex_split, NULL, 0, {RT_STR, RT_STR}, RT_ARR},
    {"regex.template_match", 4, bi_regex_template_match, NULL, 0, {RT_STR, RT_STR, RT_STR, RT_STR},
     RT_BOOL},
    {"regex.globs_match", 2, rre_globs_match, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
