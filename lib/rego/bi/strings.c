/* String builtins (OPA v1/topdown/strings.go): concat, contains, endswith,
 * startswith, format_int, indexof, indexof_n, lower, upper, replace, split,
 * sprintf, strings.any_prefix_match, strings.any_suffix_match,
 * strings.count, strings.reverse, strings.replace_n, substring, trim,
 * trim_left, trim_prefix, trim_right, trim_suffix, trim_space.
 *
 * Strings are UTF-8 byte strings with explicit length. Where OPA works on
 * runes, invalid UTF-8 behaves as Go does: each bad byte is one rune
 * U+FFFD. sprintf reproduces Go's fmt.Sprintf over the argument kinds OPA
 * passes to it (int, *big.Int, float64, string); see the "sprintf" section.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "../rctx.h"
#include "../utf8.h"
#include "cocoon/limits.h"

/* Results that can grow beyond their input (concat, replace, sprintf, ...)
 * are capped at this many bytes; element counts likewise (limits.h). */
#define STR_MAX ((size_t)CC_REGO_MAX_BUILTIN_ELEMS)

/* ---- arena-backed growable buffer ----------------------------------- */

/* Failures are sticky: callers append freely and check ab.err once. */
struct abuf {
	rarena *a;
	char *p;
	size_t n;
	size_t cap;
	size_t max;
	int err;
};

static void ab_init(struct abuf *b, rarena *a, size_t hint, size_t max)
{
	b->a = a;
	b->p = NULL;
	b->n = 0;
	b->cap = 0;
	b->max = max;
	b->err = 0;
	if (hint > 0 && hint < max) {
		b->p = rarena_alloc(a, hint + 1);
		if (b->p == NULL)
			b->err = -ENOMEM;
		else
			b->cap = hint + 1;
	}
}

/* Makes room for extra more bytes plus a terminating NUL. */
static bool ab_reserve(struct abuf *b, size_t extra)
{
	size_t need;
	if (b->err)
		return false;
	if (__builtin_add_overflow(b->n, extra, &need) || need > b->max) {
		b->err = -E2BIG;
		return false;
	}
	if (need < b->cap)
		return true;
	size_t ncap = b->cap ? b->cap : 32;
	while (ncap <= need) {
		if (__builtin_mul_overflow(ncap, 2, &ncap)) {
			b->err = -E2BIG;
			return false;
		}
	}
	char *np = rarena_alloc(b->a, ncap);
	if (np == NULL) {
		b->err = -ENOMEM;
		return false;
	}
	if (b->n)
		memcpy(np, b->p, b->n);
	b->p = np;
	b->cap = ncap;
	return true;
}

static void ab_add(struct abuf *b, const void *p, size_t n)
{
	if (n == 0 || !ab_reserve(b, n))
		return;
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void ab_adds(struct abuf *b, const char *s) { ab_add(b, s, strlen(s)); }

static void ab_addc(struct abuf *b, char c)
{
	if (!ab_reserve(b, 1))
		return;
	b->p[b->n++] = c;
}

static void ab_fill(struct abuf *b, char c, size_t n)
{
	if (n == 0 || !ab_reserve(b, n))
		return;
	memset(b->p + b->n, c, n);
	b->n += n;
}

/* The buffer as a string value (or the error as a builtin error). */
static int ab_finish(rctx *cx, struct abuf *b, const rv **ret)
{
	if (b->err)
		return rbi_oom(cx);
	if (b->n == 0) {
		*ret = rv_empty_str();
		return 0;
	}
	b->p[b->n] = '\0';
	*ret = rv_str_ref(b->a, b->p, b->n);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- UTF-8 as Go sees it (utf8.h) ---------------------------------- */

static void ab_rune(struct abuf *b, uint32_t r)
{
	char e[4];
	ab_add(b, e, rutf8_encode(r, e));
}

static bool is_ascii(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return false;
	return true;
}

/* The C.UTF-8 locale gives Unicode case mappings and printability (glibc
 * and musl both carry it built in). NULL if unavailable: then only ASCII
 * is case-mapped. */
static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t get_utf8_locale(void)
{
	pthread_once(&utf8_locale_once, utf8_locale_init);
	return utf8_locale;
}

/* ---- argument helpers ----------------------------------------------- */

/* OPA builtins.IntOperand: only plain integers (json.Number Int()). */
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

/* OPA NewOperandElementErr(pos, coll, elem, want). */
static int elem_err(rctx *cx, int argn, const rv *coll, const rv *elem, const char *want)
{
	const char *t = rv_type_name(coll);
	return rbi_type_errf(cx, "operand %d must be %s of %ss but got %s containing %s", argn, t, want, t,
	                     rv_type_name(elem));
}

static const rv *str_copy(rctx *cx, const char *p, size_t n)
{
	return rv_str(rctx_arena(cx), p, n);
}

/* A substring of an argument shares its bytes when it ends the string (the
 * NUL is already there); otherwise it is copied. */
static int ret_sub(rctx *cx, const rv *s, size_t off, size_t n, const rv **ret)
{
	if (off == 0 && n == s->u.s.n) {
		*ret = s;
		return 0;
	}
	if (n == 0) {
		*ret = rv_empty_str();
		return 0;
	}
	if (off + n == s->u.s.n)
		*ret = rv_str_ref(rctx_arena(cx), s->u.s.p + off, n);
	else
		*ret = str_copy(cx, s->u.s.p + off, n);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- simple predicates ---------------------------------------------- */

static const char *find_bytes(const char *h, size_t hn, const char *nd, size_t nn)
{
	if (nn == 0)
		return h;
	if (nn > hn)
		return NULL;
	return memmem(h, hn, nd, nn);
}

static int bi_contains(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *sub;
	size_t n, m;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_str(cx, args, 1, &sub, &m)) < 0)
		return r;
	*ret = rv_bool(find_bytes(s, n, sub, m) != NULL);
	return 0;
}

static int bi_startswith(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *pre;
	size_t n, m;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_str(cx, args, 1, &pre, &m)) < 0)
		return r;
	*ret = rv_bool(m <= n && memcmp(s, pre, m) == 0);
	return 0;
}

static int bi_endswith(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *suf;
	size_t n, m;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_str(cx, args, 1, &suf, &m)) < 0)
		return r;
	*ret = rv_bool(m <= n && memcmp(s + n - m, suf, m) == 0);
	return 0;
}

/* strings.Count: non-overlapping occurrences; "" counts runes + 1. */
static int bi_count(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *sub;
	size_t n, m;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_str(cx, args, 1, &sub, &m)) < 0)
		return r;
	size_t k = 0;
	if (m == 0) {
		k = rutf8_count(s, n) + 1;
	} else {
		const char *p = s, *end = s + n;
		const char *hit;
		while ((hit = find_bytes(p, (size_t)(end - p), sub, m)) != NULL) {
			k++;
			p = hit + m;
		}
	}
	*ret = rv_int(rctx_arena(cx), (int64_t)k);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- concat --------------------------------------------------------- */

static int bi_concat(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *sep;
	size_t sepn;
	int r = rbi_arg_str(cx, args, 0, &sep, &sepn);
	if (r < 0)
		return r;
	const rv *coll = args[1];
	if (coll->t != RV_ARR && coll->t != RV_SET)
		return rbi_type_errf(cx, "operand 2 must be one of {set, array} but got %s",
		                     rv_type_name(coll));
	size_t cnt = coll->u.a.n;
	size_t total = 0;
	for (size_t i = 0; i < cnt; i++) {
		const rv *e = coll->u.a.v[i];
		if (e->t != RV_STR)
			return elem_err(cx, 2, coll, e, "string");
		if (__builtin_add_overflow(total, e->u.s.n, &total))
			return rbi_oom(cx);
	}
	if (cnt == 0) {
		*ret = rv_empty_str();
		return 0;
	}
	if (cnt == 1) {
		*ret = coll->u.a.v[0];
		return 0;
	}
	size_t seps;
	if (__builtin_mul_overflow(sepn, cnt - 1, &seps) || __builtin_add_overflow(total, seps, &total))
		return rbi_oom(cx);
	struct abuf b;
	ab_init(&b, rctx_arena(cx), total, STR_MAX);
	for (size_t i = 0; i < cnt; i++) {
		if (i)
			ab_add(&b, sep, sepn);
		ab_add(&b, coll->u.a.v[i]->u.s.p, coll->u.a.v[i]->u.s.n);
	}
	return ab_finish(cx, &b, ret);
}

/* ---- indexof, indexof_n --------------------------------------------- */

/* Decodes s into runes (arena). */
static uint32_t *to_runes(rarena *a, const char *p, size_t n, size_t *cnt)
{
	uint32_t *v = rarena_nalloc(a, n ? n : 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	const unsigned char *s = (const unsigned char *)p;
	size_t k = 0;
	for (size_t i = 0; i < n; k++)
		i += rutf8_decode(s + i, n - i, &v[k]);
	*cnt = k;
	return v;
}

/* Calls hit(pos) for each rune index where search occurs in base (Go's
 * rune-by-rune comparison, overlapping); stops when hit returns false. */
typedef bool (*index_hit)(void *arg, size_t pos);

static int rune_search(rctx *cx, const char *b, size_t bn, const char *s, size_t sn, index_hit hit,
                       void *arg)
{
	if (rutf8_valid(b, bn) && rutf8_valid(s, sn)) {
		/* Valid UTF-8 is self-synchronising: byte matches are rune
		 * matches; count runes up to each hit. */
		size_t runes = 0, from = 0;
		const char *h;
		while (from <= bn && (h = find_bytes(b + from, bn - from, s, sn)) != NULL) {
			size_t at = (size_t)(h - b);
			runes += rutf8_count(b + from, at - from);
			if (!hit(arg, runes))
				return 0;
			uint32_t r;
			size_t w = rutf8_decode((const unsigned char *)b + at, bn - at, &r);
			from = at + w;
			runes++;
		}
		return 0;
	}
	size_t nb, ns;
	uint32_t *rb = to_runes(rctx_arena(cx), b, bn, &nb);
	uint32_t *rs = to_runes(rctx_arena(cx), s, sn, &ns);
	if (rb == NULL || rs == NULL)
		return rbi_oom(cx);
	for (size_t i = 0; i + ns <= nb; i++)
		if (memcmp(rb + i, rs, ns * sizeof(*rs)) == 0 && !hit(arg, i))
			break;
	return 0;
}

static bool first_hit(void *arg, size_t pos)
{
	*(int64_t *)arg = (int64_t)pos;
	return false;
}

static int bi_indexof(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *b, *s;
	size_t bn, sn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &b, &bn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0)
		return r;
	if (sn == 0)
		return rbi_err(cx, "empty search character");
	int64_t pos = -1;
	if (is_ascii(b, bn) && is_ascii(s, sn)) {
		const char *h = find_bytes(b, bn, s, sn);
		pos = h ? (int64_t)(h - b) : -1;
	} else if ((r = rune_search(cx, b, bn, s, sn, first_hit, &pos)) < 0) {
		return r;
	}
	*ret = rv_int(rctx_arena(cx), pos);
	return *ret ? 0 : rbi_oom(cx);
}

struct hits {
	rctx *cx;
	rvec v;
	int err;
};

static bool collect_hit(void *arg, size_t pos)
{
	struct hits *h = arg;
	const rv *x = rv_int(rctx_arena(h->cx), (int64_t)pos);
	if (x == NULL || h->v.n >= STR_MAX || rvec_push(&h->v, x) < 0) {
		h->err = -ENOMEM;
		return false;
	}
	return true;
}

static int bi_indexof_n(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *b, *s;
	size_t bn, sn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &b, &bn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0)
		return r;
	if (sn == 0)
		return rbi_err(cx, "empty search character");
	struct hits h = {.cx = cx};
	rvec_init(&h.v, rctx_arena(cx));
	if ((r = rune_search(cx, b, bn, s, sn, collect_hit, &h)) < 0)
		return r;
	if (h.err)
		return rbi_oom(cx);
	*ret = rvec_to_arr(&h.v);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- substring ------------------------------------------------------ */

static int bi_substring(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int64_t start = 0, len = 0;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = arg_goint(cx, args, 1, &start)) < 0 ||
	    (r = arg_goint(cx, args, 2, &len)) < 0)
		return r;
	if (start < 0)
		return rbi_err(cx, "negative offset");
	if (n == 0) {
		*ret = rv_empty_str();
		return 0;
	}
	if (is_ascii(s, n)) {
		if ((uint64_t)start >= n) {
			*ret = rv_empty_str();
			return 0;
		}
		size_t from = (size_t)start;
		size_t cnt = n - from;
		if (len >= 0 && (uint64_t)len < cnt)
			cnt = (size_t)len;
		return ret_sub(cx, args[0], from, cnt, ret);
	}
	size_t runes = rutf8_count(s, n);
	if (start == 0 && len >= 0 && (uint64_t)len >= runes) {
		*ret = args[0];
		return 0;
	}
	if ((uint64_t)start >= runes) {
		*ret = rv_empty_str();
		return 0;
	}
	size_t upto = runes;
	if (len >= 0 && (uint64_t)len < runes - (size_t)start)
		upto = (size_t)start + (size_t)len;
	/* Go goes through []rune, so invalid bytes come out as U+FFFD. */
	struct abuf b;
	ab_init(&b, rctx_arena(cx), n, SIZE_MAX);
	const unsigned char *u = (const unsigned char *)s;
	size_t k = 0;
	for (size_t i = 0; i < n && k < upto; k++) {
		uint32_t rr;
		size_t w = rutf8_decode(u + i, n - i, &rr);
		if (k >= (size_t)start)
			ab_rune(&b, rr);
		i += w;
	}
	return ab_finish(cx, &b, ret);
}

/* ---- lower, upper --------------------------------------------------- */

static int map_case(rctx *cx, const rv *const *args, const rv **ret, bool upper)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	bool changed = false;
	bool ascii = true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			ascii = false;
			break;
		}
		if (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z'))
			changed = true;
	}
	if (ascii && !changed) {
		*ret = args[0];
		return 0;
	}
	struct abuf b;
	ab_init(&b, rctx_arena(cx), n, SIZE_MAX);
	if (ascii) {
		ab_add(&b, s, n);
		for (size_t i = 0; b.err == 0 && i < n; i++) {
			char c = b.p[i];
			if (upper && c >= 'a' && c <= 'z')
				b.p[i] = (char)(c - 32);
			else if (!upper && c >= 'A' && c <= 'Z')
				b.p[i] = (char)(c + 32);
		}
		return ab_finish(cx, &b, ret);
	}
	/* strings.Map(unicode.ToLower/ToUpper): invalid bytes become U+FFFD. */
	locale_t loc = get_utf8_locale();
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t rr;
		size_t w = rutf8_decode(u + i, n - i, &rr);
		uint32_t m = rr;
		if (rr < 0x80)
			m = upper ? (rr >= 'a' && rr <= 'z' ? rr - 32 : rr) : (rr >= 'A' && rr <= 'Z' ? rr + 32 : rr);
		else if (loc != (locale_t)0 && rr != RUTF8_ERROR)
			m = (uint32_t)(upper ? towupper_l((wint_t)rr, loc) : towlower_l((wint_t)rr, loc));
		ab_rune(&b, m);
		i += w;
	}
	if (b.err == 0 && b.n == n && memcmp(b.p, s, n) == 0) {
		*ret = args[0];
		return 0;
	}
	return ab_finish(cx, &b, ret);
}

static int bi_lower(rctx *cx, const rv *const *args, const rv **ret)
{
	return map_case(cx, args, ret, false);
}

static int bi_upper(rctx *cx, const rv *const *args, const rv **ret)
{
	return map_case(cx, args, ret, true);
}

/* ---- split ---------------------------------------------------------- */

static int bi_split(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *d;
	size_t n, dn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_str(cx, args, 1, &d, &dn)) < 0)
		return r;
	rarena *a = rctx_arena(cx);
	if (find_bytes(s, n, d, dn) == NULL) {
		*ret = rv_arr(a, &args[0], 1);
		return *ret ? 0 : rbi_oom(cx);
	}
	rvec v;
	rvec_init(&v, a);
	const unsigned char *u = (const unsigned char *)s;
	if (dn == 0) {
		/* explode: one piece per rune; invalid bytes individually. */
		for (size_t i = 0; i < n;) {
			uint32_t rr;
			size_t w = rutf8_decode(u + i, n - i, &rr);
			const rv *x = i + w == n ? rv_str_ref(a, s + i, w) : rv_str(a, s + i, w);
			if (x == NULL || v.n >= STR_MAX || rvec_push(&v, x) < 0)
				return rbi_oom(cx);
			i += w;
		}
	} else {
		size_t from = 0;
		const char *h;
		while ((h = find_bytes(s + from, n - from, d, dn)) != NULL) {
			size_t at = (size_t)(h - s);
			const rv *x = str_copy(cx, s + from, at - from);
			if (x == NULL || v.n >= STR_MAX || rvec_push(&v, x) < 0)
				return rbi_oom(cx);
			from = at + dn;
		}
		const rv *x = n - from ? rv_str_ref(a, s + from, n - from) : rv_empty_str();
		if (x == NULL || rvec_push(&v, x) < 0)
			return rbi_oom(cx);
	}
	*ret = rvec_to_arr(&v);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- replace, strings.replace_n ------------------------------------- */

/* Go strings.Replacer semantics. pairs[2i] (old) in priority order: at each
 * position the first old that matches wins (not the longest). An empty old
 * matches everywhere, between bytes, but not twice at the same position. */
struct repl_pair {
	const char *old;
	size_t oldn;
	const char *new_;
	size_t newn;
};

static void replace_all(const char *s, size_t n, const struct repl_pair *pr, size_t np,
                        struct abuf *b)
{
	bool first[256] = {false};
	bool has_empty = false;
	for (size_t k = 0; k < np; k++) {
		if (pr[k].oldn == 0)
			has_empty = true;
		else
			first[(unsigned char)pr[k].old[0]] = true;
	}
	size_t last = 0;
	bool prev_empty = false;
	for (size_t i = 0; i <= n;) {
		if (i != n && !has_empty && !first[(unsigned char)s[i]]) {
			i++;
			continue;
		}
		const struct repl_pair *m = NULL;
		for (size_t k = 0; k < np; k++) {
			if (pr[k].oldn == 0 && prev_empty)
				continue;
			if (pr[k].oldn <= n - i && memcmp(s + i, pr[k].old, pr[k].oldn) == 0) {
				m = &pr[k];
				break;
			}
		}
		prev_empty = m != NULL && m->oldn == 0;
		if (m == NULL) {
			i++;
			continue;
		}
		ab_add(b, s + last, i - last);
		ab_add(b, m->new_, m->newn);
		i += m->oldn;
		last = i;
		if (b->err)
			break;
	}
	if (last != n)
		ab_add(b, s + last, n - last);
}

static int bi_replace(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *o, *nw;
	size_t n, on, nn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_str(cx, args, 1, &o, &on)) < 0 ||
	    (r = rbi_arg_str(cx, args, 2, &nw, &nn)) < 0)
		return r;
	if (on > 0 && find_bytes(s, n, o, on) == NULL) {
		*ret = args[0];
		return 0;
	}
	struct repl_pair p = {o, on, nw, nn};
	struct abuf b;
	ab_init(&b, rctx_arena(cx), n, STR_MAX > n ? STR_MAX : n);
	replace_all(s, n, &p, 1, &b);
	return ab_finish(cx, &b, ret);
}

static int bi_replace_n(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_OBJ);
	if (r < 0)
		return r;
	const char *s;
	size_t n;
	if ((r = rbi_arg_str(cx, args, 1, &s, &n)) < 0)
		return r;
	const rv *obj = args[0];
	/* Object keys are stored sorted (ast.Compare order), as OPA sorts them. */
	struct repl_pair *pr = rarena_nalloc(rctx_arena(cx), obj->u.o.n ? obj->u.o.n : 1, sizeof(*pr));
	if (pr == NULL)
		return rbi_oom(cx);
	for (size_t i = 0; i < obj->u.o.n; i++) {
		const rv *k = obj->u.o.k[i], *v = obj->u.o.v[i];
		if (k->t != RV_STR)
			return rbi_type_errf(cx, "operand 1 non-string key found in pattern object");
		if (v->t != RV_STR)
			return rbi_type_errf(cx, "operand 1 non-string value found in pattern object");
		pr[i] = (struct repl_pair){k->u.s.p, k->u.s.n, v->u.s.p, v->u.s.n};
	}
	struct abuf b;
	ab_init(&b, rctx_arena(cx), n, STR_MAX > n ? STR_MAX : n);
	replace_all(s, n, pr, obj->u.o.n, &b);
	return ab_finish(cx, &b, ret);
}

/* ---- trim family ---------------------------------------------------- */

static bool cutset_has(const char *cut, size_t cn, uint32_t r)
{
	const unsigned char *c = (const unsigned char *)cut;
	for (size_t i = 0; i < cn;) {
		uint32_t x;
		i += rutf8_decode(c + i, cn - i, &x);
		if (x == r)
			return true;
	}
	return false;
}

/* unicode.IsSpace */
static bool go_isspace(uint32_t r)
{
	if (r < 0x80)
		return r == ' ' || (r >= '\t' && r <= '\r');
	switch (r) {
	case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202F: case 0x205F: case 0x3000:
		return true;
	default:
		return r >= 0x2000 && r <= 0x200A;
	}
}

/* Trims runes from the left/right of s[*off, *off+*len) while keep() says
 * so; cut = cutset or NULL for unicode.IsSpace. */
static void trim_left_runes(const char *s, size_t *off, size_t *len, const char *cut, size_t cn)
{
	const unsigned char *u = (const unsigned char *)s;
	while (*len > 0) {
		uint32_t r;
		size_t w = rutf8_decode(u + *off, *len, &r);
		if (cut ? !cutset_has(cut, cn, r) : !go_isspace(r))
			break;
		*off += w;
		*len -= w;
	}
}

static void trim_right_runes(const char *s, size_t off, size_t *len, const char *cut, size_t cn)
{
	const unsigned char *u = (const unsigned char *)s + off;
	while (*len > 0) {
		uint32_t r;
		size_t w = rutf8_decode_last(u, *len, &r);
		if (cut ? !cutset_has(cut, cn, r) : !go_isspace(r))
			break;
		*len -= w;
	}
}

static int trim_common(rctx *cx, const rv *const *args, const rv **ret, bool left, bool right)
{
	const char *s, *c;
	size_t n, cn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_str(cx, args, 1, &c, &cn)) < 0)
		return r;
	size_t off = 0, len = n;
	if (cn > 0) {
		if (left)
			trim_left_runes(s, &off, &len, c, cn);
		if (right)
			trim_right_runes(s, off, &len, c, cn);
	}
	return ret_sub(cx, args[0], off, len, ret);
}

static int bi_trim(rctx *cx, const rv *const *args, const rv **ret)
{
	return trim_common(cx, args, ret, true, true);
}

static int bi_trim_left(rctx *cx, const rv *const *args, const rv **ret)
{
	return trim_common(cx, args, ret, true, false);
}

static int bi_trim_right(rctx *cx, const rv *const *args, const rv **ret)
{
	return trim_common(cx, args, ret, false, true);
}

static int bi_trim_space(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	size_t off = 0, len = n;
	trim_left_runes(s, &off, &len, NULL, 0);
	trim_right_runes(s, off, &len, NULL, 0);
	return ret_sub(cx, args[0], off, len, ret);
}

static int bi_trim_prefix(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *p;
	size_t n, pn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_str(cx, args, 1, &p, &pn)) < 0)
		return r;
	if (pn <= n && memcmp(s, p, pn) == 0)
		return ret_sub(cx, args[0], pn, n - pn, ret);
	*ret = args[0];
	return 0;
}

static int bi_trim_suffix(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *p;
	size_t n, pn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &n)) < 0 || (r = rbi_arg_str(cx, args, 1, &p, &pn)) < 0)
		return r;
	if (pn <= n && memcmp(s + n - pn, p, pn) == 0)
		return ret_sub(cx, args[0], 0, n - pn, ret);
	*ret = args[0];
	return 0;
}

/* ---- strings.reverse ------------------------------------------------ */

/* Reverses rune order. Go's reverseString misbehaves on invalid UTF-8
 * (it writes 3-byte U+FFFD into 1-byte slots); here invalid bytes are
 * kept as single bytes. */
static int bi_reverse(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		*ret = args[0];
		return 0;
	}
	char *out = rarena_alloc(rctx_arena(cx), n + 1);
	if (out == NULL)
		return rbi_oom(cx);
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t rr;
		size_t w = rutf8_decode(u + i, n - i, &rr);
		memcpy(out + n - i - w, s + i, w);
		i += w;
	}
	out[n] = '\0';
	*ret = rv_str_ref(rctx_arena(cx), out, n);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- strings.any_prefix_match / any_suffix_match --------------------- */

/* builtins.StringSliceOperand over a string, array or set. */
static int str_list(rctx *cx, const rv *const *args, int i, const rv *const **v, size_t *n)
{
	const rv *x = args[i];
	if (x->t == RV_STR) {
		*v = &args[i];
		*n = 1;
		return 0;
	}
	if (x->t != RV_ARR && x->t != RV_SET)
		return rbi_type_errf(cx, "operand %d must be one of {string, set, array} but got %s", i + 1,
		                     rv_type_name(x));
	for (size_t k = 0; k < x->u.a.n; k++)
		if (x->u.a.v[k]->t != RV_STR)
			return elem_err(cx, i + 1, x, x->u.a.v[k], "string");
	*v = x->u.a.v;
	*n = x->u.a.n;
	return 0;
}

static int any_affix_match(rctx *cx, const rv *const *args, const rv **ret, bool suffix)
{
	const rv *const *sv, *const *pv;
	size_t sn, pn;
	int r;
	if ((r = str_list(cx, args, 0, &sv, &sn)) < 0 || (r = str_list(cx, args, 1, &pv, &pn)) < 0)
		return r;
	bool found = false;
	for (size_t i = 0; i < sn && !found; i++) {
		const rv *s = sv[i];
		for (size_t k = 0; k < pn && !found; k++) {
			const rv *p = pv[k];
			if (p->u.s.n > s->u.s.n)
				continue;
			size_t off = suffix ? s->u.s.n - p->u.s.n : 0;
			found = memcmp(s->u.s.p + off, p->u.s.p, p->u.s.n) == 0;
		}
	}
	*ret = rv_bool(found);
	return 0;
}

static int bi_any_prefix_match(rctx *cx, const rv *const *args, const rv **ret)
{
	return any_affix_match(cx, args, ret, false);
}

static int bi_any_suffix_match(rctx *cx, const rv *const *args, const rv **ret)
{
	return any_affix_match(cx, args, ret, true);
}

/* ---- big integers in any base ---------------------------------------- */

/* Appends |x| in base 2, 8, 10 or 16 (lower or upper case digits). */
static void big_digits(const BIGNUM *x, int base, bool upper, struct abuf *b)
{
	if (BN_is_zero(x)) {
		ab_addc(b, '0');
		return;
	}
	if (base == 10) {
		char *d = BN_bn2dec(x);
		if (d == NULL) {
			b->err = -ENOMEM;
			return;
		}
		ab_adds(b, d[0] == '-' ? d + 1 : d);
		OPENSSL_free(d);
		return;
	}
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int bits = base == 2 ? 1 : base == 8 ? 3 : 4;
	int nbits = BN_num_bits(x);
	int nd = (nbits + bits - 1) / bits;
	for (int d = nd - 1; d >= 0; d--) {
		unsigned v = 0;
		for (int k = bits - 1; k >= 0; k--)
			v = v << 1 | (unsigned)BN_is_bit_set(x, d * bits + k);
		ab_addc(b, digits[v]);
	}
}

/* ---- format_int ------------------------------------------------------ */

static int bi_format_int(rctx *cx, const rv *const *args, const rv **ret)
{
	int r;
	if ((r = rbi_arg_num(cx, args, 0)) < 0 || (r = rbi_arg_num(cx, args, 1)) < 0)
		return r;
	const rv *bv = args[1];
	int base = 0;
	/* OPA compares the number's text with "2", "8", "10", "16". */
	if (bv->nk == RN_INT && (bv->u.i == 2 || bv->u.i == 8 || bv->u.i == 10 || bv->u.i == 16))
		base = (int)bv->u.i;
	if (base == 0)
		return rbi_type_errf(cx, "operand 2 must be one of {2, 8, 10, 16}");
	const rv *x = args[0];
	struct abuf b;
	ab_init(&b, rctx_arena(cx), 32, SIZE_MAX);
	if (x->nk == RN_INT) {
		int64_t i = x->u.i;
		uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
		char tmp[72];
		size_t k = sizeof(tmp);
		do {
			tmp[--k] = "0123456789abcdef"[u % (unsigned)base];
			u /= (unsigned)base;
		} while (u);
		if (i < 0)
			ab_addc(&b, '-');
		ab_add(&b, tmp + k, sizeof(tmp) - k);
		return ab_finish(cx, &b, ret);
	}
	/* big.Float (64-bit mantissa, like long double) truncated to an int. */
	long double f = truncl(rv_num_ld(x));
	if (isinf(f) || isnan(f))
		return rbi_err(cx, "number too large");
	char dec[5000];
	int k = snprintf(dec, sizeof(dec), "%.0Lf", f);
	if (k < 0 || (size_t)k >= sizeof(dec))
		return rbi_err(cx, "number too large");
	BIGNUM *bn = NULL;
	const char *digits = dec[0] == '-' ? dec + 1 : dec;
	if (BN_dec2bn(&bn, digits) == 0)
		return rbi_oom(cx);
	if (dec[0] == '-' && !BN_is_zero(bn))
		ab_addc(&b, '-');
	big_digits(bn, base, false, &b);
	BN_free(bn);
	return ab_finish(cx, &b, ret);
}

/* ====================================================================
 * sprintf: Go's fmt.Sprintf as OPA calls it.
 *
 * OPA converts each array element: a number that parses as int64 becomes
 * an int, else one that parses as a decimal big integer a *big.Int, else
 * one that ParseFloat accepts a float64, else (e.g. 2e308) its text as a
 * string; strings stay strings; anything else becomes its Rego text
 * (Term.String()) as a string. The code below follows Go's fmt/print.go
 * and fmt/format.go (doPrintf, printArg, fmtInteger, fmtFloat, fmtString)
 * and big.Int.Format; floats are formatted like strconv.AppendFloat.
 * ==================================================================== */

enum gkind { GA_INT, GA_BIG, GA_FLT, GA_STR };

struct garg {
	enum gkind k;
	int64_t i;
	double f;
	const char *s; /* GA_STR text; GA_BIG decimal digits without sign */
	size_t n;
	bool neg;      /* GA_BIG */
};

struct gflags {
	bool wid_present, prec_present, minus, plus, sharp, space, zero, plusv, sharpv;
	int wid, prec;
};

struct pp {
	struct abuf *b;
	struct gflags f;
	const struct garg *args;
	size_t nargs;
	bool reordered, good_argnum;
};

#define GO_TOO_LARGE 1000000

static const char ldigits[] = "0123456789abcdefx";
static const char udigits[] = "0123456789ABCDEFX";

static const char *gtype_name(const struct garg *a)
{
	static const char *const names[] = {"int", "*big.Int", "float64", "string"};
	return names[a->k];
}

static void pp_rune(struct pp *p, uint32_t r) { ab_rune(p->b, r); }

static void write_padding(struct pp *p, long n)
{
	if (n <= 0)
		return;
	ab_fill(p->b, p->f.zero ? '0' : ' ', (size_t)n);
}

/* fmt.pad / padString: pads to the width counting runes. */
static void pad(struct pp *p, const char *s, size_t n)
{
	if (!p->f.wid_present || p->f.wid == 0) {
		ab_add(p->b, s, n);
		return;
	}
	long w = (long)p->f.wid - (long)rutf8_count(s, n);
	if (!p->f.minus) {
		write_padding(p, w);
		ab_add(p->b, s, n);
	} else {
		ab_add(p->b, s, n);
		write_padding(p, w);
	}
}

/* Printable per Go's unicode.IsPrint (letters, marks, numbers,
 * punctuation, symbols and ASCII space): the C.UTF-8 locale minus spaces,
 * format and private-use characters. */
static bool go_isprint(uint32_t r)
{
	if (r < 0x20)
		return false;
	if (r < 0x7F)
		return true;
	if (r < 0xA1 || r == 0xAD)
		return false;
	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF) || (r >= 0xE000 && r <= 0xF8FF) || r >= 0xE0000)
		return false;
	static const uint32_t np[][2] = {
	    {0x600, 0x605},     {0x61C, 0x61C},     {0x6DD, 0x6DD},     {0x70F, 0x70F},
	    {0x890, 0x891},     {0x8E2, 0x8E2},     {0x1680, 0x1680},   {0x180E, 0x180E},
	    {0x2000, 0x200F},   {0x2028, 0x202F},   {0x205F, 0x2064},   {0x2066, 0x206F},
	    {0x3000, 0x3000},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
	    {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
	};
	for (size_t i = 0; i < sizeof(np) / sizeof(np[0]); i++)
		if (r >= np[i][0] && r <= np[i][1])
			return false;
	locale_t loc = get_utf8_locale();
	return loc == (locale_t)0 || iswprint_l((wint_t)r, loc);
}

/* strconv appendEscapedRune */
static void esc_rune(struct abuf *b, uint32_t r, char quote, bool ascii_only)
{
	if (r == (uint32_t)quote || r == '\\') {
		ab_addc(b, '\\');
		ab_rune(b, r);
		return;
	}
	if (ascii_only ? (r < 0x80 && go_isprint(r)) : go_isprint(r)) {
		ab_rune(b, r);
		return;
	}
	char t[16];
	switch (r) {
	case '\a': ab_adds(b, "\\a"); return;
	case '\b': ab_adds(b, "\\b"); return;
	case '\f': ab_adds(b, "\\f"); return;
	case '\n': ab_adds(b, "\\n"); return;
	case '\r': ab_adds(b, "\\r"); return;
	case '\t': ab_adds(b, "\\t"); return;
	case '\v': ab_adds(b, "\\v"); return;
	default: break;
	}
	if (r < ' ' || r == 0x7F)
		snprintf(t, sizeof(t), "\\x%02x", (unsigned)r);
	else if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		snprintf(t, sizeof(t), "\\ufffd");
	else if (r < 0x10000)
		snprintf(t, sizeof(t), "\\u%04x", (unsigned)r);
	else
		snprintf(t, sizeof(t), "\\U%08x", (unsigned)r);
	ab_adds(b, t);
}

/* strconv.Quote / QuoteToASCII */
static void go_quote(struct abuf *b, const char *s, size_t n, bool ascii_only)
{
	const unsigned char *u = (const unsigned char *)s;
	ab_addc(b, '"');
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w = rutf8_decode(u + i, n - i, &r);
		if (w == 1 && r == RUTF8_ERROR) {
			char t[8];
			snprintf(t, sizeof(t), "\\x%02x", u[i]);
			ab_adds(b, t);
		} else {
			esc_rune(b, r, '"', ascii_only);
		}
		i += w;
	}
	ab_addc(b, '"');
}

static bool can_backquote(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w = rutf8_decode(u + i, n - i, &r);
		i += w;
		if (w > 1) {
			if (r == 0xFEFF)
				return false;
			continue;
		}
		if (r == RUTF8_ERROR || (r < ' ' && r != '\t') || r == '`' || r == 0x7F)
			return false;
	}
	return true;
}

/* fmt.truncateString: at most prec runes. */
static size_t truncate_len(struct pp *p, const char *s, size_t n)
{
	if (!p->f.prec_present)
		return n;
	const unsigned char *u = (const unsigned char *)s;
	long left = p->f.prec;
	for (size_t i = 0; i < n;) {
		if (left-- <= 0)
			return i;
		uint32_t r;
		i += rutf8_decode(u + i, n - i, &r);
	}
	return n;
}

static void fmt_s(struct pp *p, const char *s, size_t n) { pad(p, s, truncate_len(p, s, n)); }

static void fmt_q(struct pp *p, const char *s, size_t n)
{
	n = truncate_len(p, s, n);
	struct abuf q;
	ab_init(&q, p->b->a, n + 2, SIZE_MAX);
	if (p->f.sharp && can_backquote(s, n)) {
		ab_addc(&q, '`');
		ab_add(&q, s, n);
		ab_addc(&q, '`');
	} else {
		go_quote(&q, s, n, p->f.plus);
	}
	if (q.err) {
		p->b->err = q.err;
		return;
	}
	pad(p, q.p, q.n);
}

/* fmt.fmtSbx for strings. */
static void fmt_sx(struct pp *p, const char *s, size_t n, const char *digits)
{
	size_t length = n;
	if (p->f.prec_present && (size_t)p->f.prec < length)
		length = (size_t)p->f.prec;
	size_t width = 2 * length;
	if (width > 0) {
		if (p->f.space) {
			if (p->f.sharp)
				width *= 2;
			width += length - 1;
		} else if (p->f.sharp) {
			width += 2;
		}
	} else {
		if (p->f.wid_present)
			write_padding(p, p->f.wid);
		return;
	}
	if (p->f.wid_present && (size_t)p->f.wid > width && !p->f.minus)
		write_padding(p, (long)((size_t)p->f.wid - width));
	if (p->f.sharp) {
		ab_addc(p->b, '0');
		ab_addc(p->b, digits[16]);
	}
	for (size_t i = 0; i < length; i++) {
		if (p->f.space && i > 0) {
			ab_addc(p->b, ' ');
			if (p->f.sharp) {
				ab_addc(p->b, '0');
				ab_addc(p->b, digits[16]);
			}
		}
		unsigned char c = (unsigned char)s[i];
		ab_addc(p->b, digits[c >> 4]);
		ab_addc(p->b, digits[c & 0xF]);
	}
	if (p->f.wid_present && (size_t)p->f.wid > width && p->f.minus)
		write_padding(p, (long)((size_t)p->f.wid - width));
}

/* Writes [sign][prefix][zeros][digits] padded with spaces (the zero flag
 * was already turned into zeros), as fmt.fmtInteger / big.Int.Format. */
static void emit_number(struct pp *p, const char *sign, const char *prefix, size_t zeros,
                        const char *digits, size_t dn)
{
	size_t len = strlen(sign) + strlen(prefix) + zeros + dn;
	long padn = 0;
	if (p->f.wid_present && (size_t)p->f.wid > len)
		padn = (long)((size_t)p->f.wid - len);
	if (!p->f.minus)
		ab_fill(p->b, ' ', (size_t)padn);
	ab_adds(p->b, sign);
	ab_adds(p->b, prefix);
	ab_fill(p->b, '0', zeros);
	ab_add(p->b, digits, dn);
	if (p->f.minus)
		ab_fill(p->b, ' ', (size_t)padn);
}

/* fmt.fmtInteger */
static void fmt_integer(struct pp *p, uint64_t u, int base, bool is_signed, uint32_t verb,
                        const char *digits)
{
	bool negative = is_signed && (int64_t)u < 0;
	if (negative)
		u = 0 - u;
	long prec = 0;
	if (p->f.prec_present) {
		prec = p->f.prec;
		if (prec == 0 && u == 0) {
			bool oz = p->f.zero;
			p->f.zero = false;
			write_padding(p, p->f.wid_present ? p->f.wid : 0);
			p->f.zero = oz;
			return;
		}
	} else if (p->f.zero && p->f.wid_present) {
		prec = p->f.wid;
		if (negative || p->f.plus || p->f.space)
			prec--;
	}
	char tmp[72];
	size_t k = sizeof(tmp);
	do {
		tmp[--k] = digits[u % (unsigned)base];
		u /= (unsigned)base;
	} while (u);
	size_t dn = sizeof(tmp) - k;
	size_t zeros = prec > (long)dn ? (size_t)prec - dn : 0;
	const char *prefix = "";
	if (p->f.sharp) {
		if (base == 2)
			prefix = "0b";
		else if (base == 8 && zeros == 0 && tmp[k] != '0')
			prefix = "0";
		else if (base == 16)
			prefix = digits[16] == 'x' ? "0x" : "0X";
	}
	if (verb == 'O')
		prefix = p->f.sharp && base == 8 && zeros == 0 && tmp[k] != '0' ? "0o0" : "0o";
	const char *sign = negative ? "-" : p->f.plus ? "+" : p->f.space ? " " : "";
	emit_number(p, sign, prefix, zeros, tmp + k, dn);
}

/* fmt.fmtUnicode */
static void fmt_unicode(struct pp *p, uint64_t u)
{
	char hex[24];
	int k = snprintf(hex, sizeof(hex), "%llX", (unsigned long long)u);
	long prec = 4;
	if (p->f.prec_present && p->f.prec > 4)
		prec = p->f.prec;
	struct abuf t;
	ab_init(&t, p->b->a, 32, SIZE_MAX);
	ab_adds(&t, "U+");
	if (prec > k)
		ab_fill(&t, '0', (size_t)(prec - k));
	ab_add(&t, hex, (size_t)k);
	if (p->f.sharp && u <= 0x10FFFF && go_isprint((uint32_t)u)) {
		ab_adds(&t, " '");
		ab_rune(&t, (uint32_t)u);
		ab_addc(&t, '\'');
	}
	if (t.err) {
		p->b->err = t.err;
		return;
	}
	bool oz = p->f.zero;
	p->f.zero = false;
	pad(p, t.p, t.n);
	p->f.zero = oz;
}

static void bad_verb(struct pp *p, const struct garg *a, uint32_t verb);

static void fmt_int_verb(struct pp *p, const struct garg *a, uint32_t verb)
{
	uint64_t v = (uint64_t)a->i;
	char e[16];
	switch (verb) {
	case 'v':
	case 'd':
		fmt_integer(p, v, 10, true, verb, ldigits);
		return;
	case 'b':
		fmt_integer(p, v, 2, true, verb, ldigits);
		return;
	case 'o':
	case 'O':
		fmt_integer(p, v, 8, true, verb, ldigits);
		return;
	case 'x':
		fmt_integer(p, v, 16, true, verb, ldigits);
		return;
	case 'X':
		fmt_integer(p, v, 16, true, verb, udigits);
		return;
	case 'c':
		pad(p, e, rutf8_encode(v > 0x10FFFF ? RUTF8_ERROR : (uint32_t)v, e));
		return;
	case 'q':
		if (v <= 0x10FFFF) {
			struct abuf q;
			ab_init(&q, p->b->a, 16, SIZE_MAX);
			ab_addc(&q, '\'');
			uint32_t r = (uint32_t)v;
			if (r >= 0xD800 && r <= 0xDFFF)
				r = RUTF8_ERROR;
			esc_rune(&q, r, '\'', p->f.plus);
			ab_addc(&q, '\'');
			if (q.err)
				p->b->err = q.err;
			else
				pad(p, q.p, q.n);
			return;
		}
		break;
	case 'U':
		fmt_unicode(p, v);
		return;
	default:
		break;
	}
	bad_verb(p, a, verb);
}

/* ---- floats: strconv.AppendFloat(f, fmt, prec, 64) ---- */

struct decimal {
	char *d;  /* significant digits, no leading/trailing zeros */
	int nd;
	int dp;   /* decimal point position */
	bool neg;
};

/* Parses printf output "[-]d.ddde±x" or "[-]ddd.ddd" into digits. */
static void parse_decimal(const char *t, struct decimal *dec, char *dst)
{
	bool neg = false;
	if (*t == '-') {
		neg = true;
		t++;
	}
	int nd = 0, intdigits = -1;
	for (; *t && *t != 'e'; t++) {
		if (*t == '.')
			intdigits = nd;
		else
			dst[nd++] = *t;
	}
	if (intdigits < 0)
		intdigits = nd;
	int dp = intdigits;
	if (*t == 'e')
		dp = (int)strtol(t + 1, NULL, 10) + 1;
	int lead = 0;
	while (lead < nd && dst[lead] == '0')
		lead++;
	if (lead == nd) {
		dec->d = dst;
		dec->nd = 0;
		dec->dp = 0;
		dec->neg = neg;
		return;
	}
	if (*t != 'e')
		dp -= lead;
	memmove(dst, dst + lead, (size_t)(nd - lead));
	nd -= lead;
	while (nd > 0 && dst[nd - 1] == '0')
		nd--;
	dec->d = dst;
	dec->nd = nd;
	dec->dp = dp;
	dec->neg = neg;
}

static void fmt_e(struct abuf *b, const struct decimal *d, int prec, char fmt)
{
	if (d->neg)
		ab_addc(b, '-');
	ab_addc(b, d->nd ? d->d[0] : '0');
	if (prec > 0) {
		ab_addc(b, '.');
		int m = d->nd < prec + 1 ? d->nd : prec + 1;
		int i = 1;
		if (i < m) {
			ab_add(b, d->d + 1, (size_t)(m - 1));
			i = m;
		}
		if (i <= prec)
			ab_fill(b, '0', (size_t)(prec - i + 1));
	}
	ab_addc(b, fmt);
	int exp = d->nd == 0 ? 0 : d->dp - 1;
	ab_addc(b, exp < 0 ? '-' : '+');
	if (exp < 0)
		exp = -exp;
	char t[16];
	snprintf(t, sizeof(t), "%02d", exp);
	ab_adds(b, t);
}

static void fmt_f(struct abuf *b, const struct decimal *d, int prec)
{
	if (d->neg)
		ab_addc(b, '-');
	if (d->dp > 0) {
		int m = d->nd < d->dp ? d->nd : d->dp;
		ab_add(b, d->d, (size_t)m);
		if (m < d->dp)
			ab_fill(b, '0', (size_t)(d->dp - m));
	} else {
		ab_addc(b, '0');
	}
	if (prec > 0) {
		ab_addc(b, '.');
		for (int i = 1; i <= prec; i++) {
			int j = d->dp + i - 1;
			ab_addc(b, j >= 0 && j < d->nd ? d->d[j] : '0');
		}
	}
}

/* %b: mantissa "p" binary exponent. */
static void fmt_b(struct abuf *b, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	int exp = (int)(bits >> 52 & 0x7FF);
	uint64_t mant = bits & ((1ull << 52) - 1);
	if (exp == 0)
		exp++;
	else
		mant |= 1ull << 52;
	exp += -1023 - 52;
	char t[64];
	snprintf(t, sizeof(t), "%s%llup%c%d", bits >> 63 ? "-" : "", (unsigned long long)mant,
	         exp >= 0 ? '+' : '-', exp < 0 ? -exp : exp);
	ab_adds(b, t);
}

/* %x/%X: hexadecimal mantissa and binary exponent (strconv fmtX). */
static void fmt_x(struct abuf *b, double v, int prec, char fmt)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	bool neg = bits >> 63;
	int exp = (int)(bits >> 52 & 0x7FF);
	uint64_t mant = bits & ((1ull << 52) - 1);
	if (exp == 0)
		exp++;
	else
		mant |= 1ull << 52;
	exp -= 1023;
	if (mant == 0)
		exp = 0;
	mant <<= 60 - 52;
	while (mant != 0 && (mant & (1ull << 60)) == 0) {
		mant <<= 1;
		exp--;
	}
	if (prec >= 0 && prec < 15) {
		unsigned shift = (unsigned)prec * 4;
		uint64_t extra = (mant << shift) & ((1ull << 60) - 1);
		mant >>= 60 - shift;
		if ((extra | (mant & 1)) > (1ull << 59))
			mant++;
		mant <<= 60 - shift;
		if (mant & (1ull << 61)) {
			mant >>= 1;
			exp++;
		}
	}
	const char *hex = fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	if (neg)
		ab_addc(b, '-');
	ab_addc(b, '0');
	ab_addc(b, fmt);
	ab_addc(b, (char)('0' + (mant >> 60 & 1)));
	mant <<= 4;
	if (prec < 0 && mant != 0) {
		ab_addc(b, '.');
		while (mant != 0) {
			ab_addc(b, hex[mant >> 60 & 15]);
			mant <<= 4;
		}
	} else if (prec > 0) {
		ab_addc(b, '.');
		for (int i = 0; i < prec; i++) {
			ab_addc(b, hex[mant >> 60 & 15]);
			mant <<= 4;
		}
	}
	ab_addc(b, fmt == 'X' ? 'P' : 'p');
	ab_addc(b, exp < 0 ? '-' : '+');
	if (exp < 0)
		exp = -exp;
	char t[16];
	snprintf(t, sizeof(t), "%02d", exp);
	ab_adds(b, t);
}

/* Decimal digits of v: shortest round-trip (prec < 0) or correctly
 * rounded to prec digits after the point ('e') or point ('f'). */
static int float_digits(rarena *a, double v, char mode, int prec, struct decimal *d)
{
	char stack[64];
	char *t = stack;
	size_t tn = sizeof(stack);
	double av = fabs(v);
	if (prec < 0) {
		for (int p = 0; p < 17; p++) {
			snprintf(t, tn, "%.*e", p, av);
			if (strtod(t, NULL) == av)
				break;
		}
	} else {
		int need = mode == 'e' ? snprintf(NULL, 0, "%.*e", prec, av) : snprintf(NULL, 0, "%.*f", prec, av);
		if (need < 0)
			return -ENOMEM;
		if ((size_t)need >= tn) {
			tn = (size_t)need + 1;
			t = rarena_alloc(a, tn);
			if (t == NULL)
				return -ENOMEM;
		}
		if (mode == 'e')
			snprintf(t, tn, "%.*e", prec, av);
		else
			snprintf(t, tn, "%.*f", prec, av);
	}
	size_t tl = strlen(t);
	char *dst = rarena_alloc(a, tl + 1);
	if (dst == NULL)
		return -ENOMEM;
	parse_decimal(t, d, dst);
	d->neg = signbit(v) != 0;
	return 0;
}

static int go_ftoa(struct abuf *b, double v, char fmt, int prec)
{
	if (isnan(v)) {
		ab_adds(b, "NaN");
		return 0;
	}
	if (isinf(v)) {
		ab_adds(b, v > 0 ? "+Inf" : "-Inf");
		return 0;
	}
	if (fmt == 'b') {
		fmt_b(b, v);
		return 0;
	}
	if (fmt == 'x' || fmt == 'X') {
		fmt_x(b, v, prec, fmt);
		return 0;
	}
	bool shortest = prec < 0;
	struct decimal d;
	int r;
	if (shortest) {
		r = float_digits(b->a, v, 'e', -1, &d);
	} else if (fmt == 'e' || fmt == 'E') {
		r = float_digits(b->a, v, 'e', prec, &d);
	} else if (fmt == 'f') {
		r = float_digits(b->a, v, 'f', prec, &d);
	} else {
		if (prec == 0)
			prec = 1;
		r = float_digits(b->a, v, 'e', prec - 1, &d);
	}
	if (r < 0)
		return r;
	if (shortest) {
		if (fmt == 'e' || fmt == 'E')
			prec = d.nd - 1 > 0 ? d.nd - 1 : 0;
		else if (fmt == 'f')
			prec = d.nd - d.dp > 0 ? d.nd - d.dp : 0;
		else
			prec = d.nd;
	}
	switch (fmt) {
	case 'e':
	case 'E':
		fmt_e(b, &d, prec, fmt);
		return 0;
	case 'f':
		fmt_f(b, &d, prec);
		return 0;
	default: {
		int eprec = prec;
		if (eprec > d.nd && d.nd >= d.dp)
			eprec = d.nd;
		if (shortest)
			eprec = 6;
		int exp = d.dp - 1;
		if (exp < -4 || exp >= eprec) {
			if (prec > d.nd)
				prec = d.nd;
			fmt_e(b, &d, prec - 1, (char)(fmt + 'e' - 'g'));
			return 0;
		}
		if (prec > d.dp)
			prec = d.nd;
		fmt_f(b, &d, prec - d.dp > 0 ? prec - d.dp : 0);
		return 0;
	}
	}
}

/* fmt.fmtFloat */
static void fmt_float(struct pp *p, double v, char verb, int prec)
{
	if (p->f.prec_present)
		prec = p->f.prec;
	struct abuf nb;
	ab_init(&nb, p->b->a, 40, SIZE_MAX);
	ab_addc(&nb, '+');
	if (go_ftoa(&nb, v, verb, prec) < 0 || nb.err) {
		p->b->err = -ENOMEM;
		return;
	}
	char *num = nb.p;
	size_t n = nb.n;
	if (num[1] == '-' || num[1] == '+') {
		num++;
		n--;
	}
	if (p->f.space && num[0] == '+' && !p->f.plus)
		num[0] = ' ';
	if (num[1] == 'I' || num[1] == 'N') {
		bool oz = p->f.zero;
		p->f.zero = false;
		if (num[1] == 'N' && !p->f.space && !p->f.plus) {
			num++;
			n--;
		}
		pad(p, num, n);
		p->f.zero = oz;
		return;
	}
	if (p->f.sharp && verb != 'b') {
		int digits = 0;
		if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x')
			digits = prec == -1 ? 6 : prec;
		char tail[16];
		size_t tl = 0;
		bool has_point = false, nonzero = false;
		for (size_t i = 1; i < n; i++) {
			char c = num[i];
			if (c == '.') {
				has_point = true;
			} else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
				tl = n - i < sizeof(tail) ? n - i : sizeof(tail);
				memcpy(tail, num + i, tl);
				n = i;
				break;
			} else {
				if (c != '0')
					nonzero = true;
				if (nonzero)
					digits--;
			}
		}
		struct abuf nb2;
		ab_init(&nb2, p->b->a, n + 16, SIZE_MAX);
		ab_add(&nb2, num, n);
		if (!has_point) {
			if (n == 2 && num[1] == '0')
				digits--;
			ab_addc(&nb2, '.');
		}
		if (digits > 0)
			ab_fill(&nb2, '0', (size_t)digits);
		ab_add(&nb2, tail, tl);
		if (nb2.err) {
			p->b->err = nb2.err;
			return;
		}
		num = nb2.p;
		n = nb2.n;
	}
	if (p->f.plus || num[0] != '+') {
		if (p->f.zero && !p->f.minus && p->f.wid_present && (size_t)p->f.wid > n) {
			ab_addc(p->b, num[0]);
			write_padding(p, (long)((size_t)p->f.wid - n));
			ab_add(p->b, num + 1, n - 1);
			return;
		}
		pad(p, num, n);
		return;
	}
	pad(p, num + 1, n - 1);
}

static void fmt_float_verb(struct pp *p, const struct garg *a, uint32_t verb)
{
	switch (verb) {
	case 'v':
		fmt_float(p, a->f, 'g', -1);
		return;
	case 'b':
	case 'g':
	case 'G':
	case 'x':
	case 'X':
		fmt_float(p, a->f, (char)verb, -1);
		return;
	case 'f':
	case 'e':
	case 'E':
		fmt_float(p, a->f, (char)verb, 6);
		return;
	case 'F':
		fmt_float(p, a->f, 'f', 6);
		return;
	default:
		bad_verb(p, a, verb);
	}
}

static void fmt_string_verb(struct pp *p, const struct garg *a, uint32_t verb)
{
	switch (verb) {
	case 'v':
		if (p->f.sharpv)
			fmt_q(p, a->s, a->n);
		else
			fmt_s(p, a->s, a->n);
		return;
	case 's':
		fmt_s(p, a->s, a->n);
		return;
	case 'x':
		fmt_sx(p, a->s, a->n, ldigits);
		return;
	case 'X':
		fmt_sx(p, a->s, a->n, udigits);
		return;
	case 'q':
		fmt_q(p, a->s, a->n);
		return;
	default:
		bad_verb(p, a, verb);
	}
}

/* big.Int.Format */
static void fmt_big(struct pp *p, const struct garg *a, uint32_t verb)
{
	int base;
	switch (verb) {
	case 'b': base = 2; break;
	case 'o': case 'O': base = 8; break;
	case 'd': case 's': case 'v': base = 10; break;
	case 'x': case 'X': base = 16; break;
	default:
		ab_adds(p->b, "%!");
		pp_rune(p, verb);
		ab_adds(p->b, "(big.Int=");
		if (a->neg)
			ab_addc(p->b, '-');
		ab_add(p->b, a->s, a->n);
		ab_addc(p->b, ')');
		return;
	}
	bool plus = p->f.plus || p->f.plusv, sharp = p->f.sharp || p->f.sharpv;
	const char *sign = a->neg ? "-" : plus ? "+" : p->f.space ? " " : "";
	const char *prefix = "";
	if (sharp) {
		if (verb == 'b')
			prefix = "0b";
		else if (verb == 'o')
			prefix = "0";
		else if (verb == 'x')
			prefix = "0x";
		else if (verb == 'X')
			prefix = "0X";
	}
	if (verb == 'O')
		prefix = "0o";
	struct abuf d;
	ab_init(&d, p->b->a, a->n + 8, SIZE_MAX);
	if (base == 10) {
		ab_add(&d, a->s, a->n);
	} else {
		BIGNUM *bn = NULL;
		char *txt = rarena_strndup(p->b->a, a->s, a->n);
		if (txt == NULL || BN_dec2bn(&bn, txt) == 0) {
			p->b->err = -ENOMEM;
			return;
		}
		big_digits(bn, base, verb == 'X', &d);
		BN_free(bn);
	}
	if (d.err) {
		p->b->err = d.err;
		return;
	}
	size_t zeros = 0;
	if (p->f.prec_present) {
		if (d.n < (size_t)p->f.prec)
			zeros = (size_t)p->f.prec - d.n;
		else if (d.n == 1 && d.p[0] == '0' && p->f.prec == 0)
			return;
	}
	size_t length = strlen(sign) + strlen(prefix) + zeros + d.n;
	if (p->f.wid_present && length < (size_t)p->f.wid) {
		size_t dd = (size_t)p->f.wid - length;
		if (p->f.minus) {
			ab_adds(p->b, sign);
			ab_adds(p->b, prefix);
			ab_fill(p->b, '0', zeros);
			ab_add(p->b, d.p, d.n);
			ab_fill(p->b, ' ', dd);
			return;
		}
		if (p->f.zero && !p->f.prec_present)
			zeros += dd;
		else
			ab_fill(p->b, ' ', dd);
	}
	ab_adds(p->b, sign);
	ab_adds(p->b, prefix);
	ab_fill(p->b, '0', zeros);
	ab_add(p->b, d.p, d.n);
}

static void print_arg(struct pp *p, const struct garg *a, uint32_t verb)
{
	if (verb == 'T') {
		const char *t = gtype_name(a);
		fmt_s(p, t, strlen(t));
		return;
	}
	if (verb == 'p') {
		/* Go prints an address for *big.Int; nothing stable to mimic. */
		bad_verb(p, a, verb);
		return;
	}
	switch (a->k) {
	case GA_INT:
		fmt_int_verb(p, a, verb);
		return;
	case GA_FLT:
		fmt_float_verb(p, a, verb);
		return;
	case GA_STR:
		fmt_string_verb(p, a, verb);
		return;
	case GA_BIG:
		fmt_big(p, a, verb);
		return;
	}
}

static void bad_verb(struct pp *p, const struct garg *a, uint32_t verb)
{
	ab_adds(p->b, "%!");
	pp_rune(p, verb);
	ab_addc(p->b, '(');
	ab_adds(p->b, gtype_name(a));
	ab_addc(p->b, '=');
	print_arg(p, a, 'v');
	ab_addc(p->b, ')');
}

static void clear_flags(struct gflags *f) { memset(f, 0, sizeof(*f)); }

/* fmt parsenum: digits at s[start, end). */
static int parsenum(const char *s, size_t start, size_t end, bool *isnum, size_t *newi)
{
	int num = 0;
	*isnum = false;
	if (start >= end) {
		*newi = end;
		return 0;
	}
	size_t i;
	for (i = start; i < end && s[i] >= '0' && s[i] <= '9'; i++) {
		if (num > GO_TOO_LARGE || num < -GO_TOO_LARGE) {
			*isnum = false;
			*newi = end;
			return 0;
		}
		num = num * 10 + (s[i] - '0');
		*isnum = true;
	}
	*newi = i;
	return num;
}

/* fmt argNumber: an explicit "[n]" argument index at fmt[*i]. */
static size_t arg_number(struct pp *p, size_t argnum, const char *fmt, size_t end, size_t *i, bool *found)
{
	*found = false;
	if (*i >= end || fmt[*i] != '[')
		return argnum;
	p->reordered = true;
	const char *s = fmt + *i;
	size_t n = end - *i;
	size_t wid = 1;
	bool ok = false;
	int index = 0;
	if (n >= 3) {
		for (size_t j = 1; j < n; j++) {
			if (s[j] != ']')
				continue;
			bool isnum;
			size_t newi;
			int w = parsenum(s, 1, j, &isnum, &newi);
			wid = j + 1;
			if (isnum && newi == j) {
				ok = true;
				index = w - 1;
			}
			break;
		}
	}
	*i += wid;
	if (ok && index >= 0 && (size_t)index < p->nargs) {
		*found = true;
		return (size_t)index;
	}
	p->good_argnum = false;
	*found = ok;
	return argnum;
}

/* fmt intFromArg */
static int int_from_arg(struct pp *p, size_t *argnum, bool *isint)
{
	*isint = false;
	if (*argnum >= p->nargs)
		return 0;
	const struct garg *a = &p->args[*argnum];
	(*argnum)++;
	if (a->k != GA_INT || a->i > GO_TOO_LARGE || a->i < -GO_TOO_LARGE)
		return 0;
	*isint = true;
	return (int)a->i;
}

/* The flags after '%'. Returns true when Go's fast path applied (a
 * lower-case verb right after the flags, with an argument left): the verb
 * has then been printed. */
static bool printf_flags(struct pp *p, const char *fmt, size_t end, size_t *i, size_t *argnum)
{
	for (; *i < end; (*i)++) {
		char c = fmt[*i];
		if (c == '#') {
			p->f.sharp = true;
		} else if (c == '0') {
			p->f.zero = !p->f.minus;
		} else if (c == '+') {
			p->f.plus = true;
		} else if (c == '-') {
			p->f.minus = true;
			p->f.zero = false;
		} else if (c == ' ') {
			p->f.space = true;
		} else {
			if (c < 'a' || c > 'z' || *argnum >= p->nargs)
				return false;
			if (c == 'v') {
				p->f.sharpv = p->f.sharp;
				p->f.sharp = false;
				p->f.plusv = p->f.plus;
				p->f.plus = false;
			}
			print_arg(p, &p->args[(*argnum)++], (uint32_t)c);
			(*i)++;
			return true;
		}
	}
	return false;
}

/* Width and precision, each a number, '*' or after an "[n]" index. */
static void printf_width_prec(struct pp *p, const char *fmt, size_t end, size_t *i, size_t *argnum,
                              bool *after_index)
{
	*argnum = arg_number(p, *argnum, fmt, end, i, after_index);
	if (*i < end && fmt[*i] == '*') {
		(*i)++;
		p->f.wid = int_from_arg(p, argnum, &p->f.wid_present);
		if (!p->f.wid_present)
			ab_adds(p->b, "%!(BADWIDTH)");
		if (p->f.wid < 0) {
			p->f.wid = -p->f.wid;
			p->f.minus = true;
			p->f.zero = false;
		}
		*after_index = false;
	} else {
		p->f.wid = parsenum(fmt, *i, end, &p->f.wid_present, i);
		if (*after_index && p->f.wid_present)
			p->good_argnum = false;
	}
	if (*i + 1 < end && fmt[*i] == '.') {
		(*i)++;
		if (*after_index)
			p->good_argnum = false;
		*argnum = arg_number(p, *argnum, fmt, end, i, after_index);
		if (*i < end && fmt[*i] == '*') {
			(*i)++;
			p->f.prec = int_from_arg(p, argnum, &p->f.prec_present);
			if (p->f.prec < 0) {
				p->f.prec = 0;
				p->f.prec_present = false;
			}
			if (!p->f.prec_present)
				ab_adds(p->b, "%!(BADPREC)");
			*after_index = false;
		} else {
			p->f.prec = parsenum(fmt, *i, end, &p->f.prec_present, i);
			if (!p->f.prec_present) {
				p->f.prec = 0;
				p->f.prec_present = true;
			}
		}
	}
	if (!*after_index)
		*argnum = arg_number(p, *argnum, fmt, end, i, after_index);
}

static void printf_verb(struct pp *p, uint32_t verb, size_t *argnum)
{
	if (verb == '%') {
		ab_addc(p->b, '%'); /* takes no operand, ignores width and precision */
	} else if (!p->good_argnum) {
		ab_adds(p->b, "%!");
		pp_rune(p, verb);
		ab_adds(p->b, "(BADINDEX)");
	} else if (*argnum >= p->nargs) {
		ab_adds(p->b, "%!");
		pp_rune(p, verb);
		ab_adds(p->b, "(MISSING)");
	} else {
		if (verb == 'v') {
			p->f.sharpv = p->f.sharp;
			p->f.sharp = false;
			p->f.plusv = p->f.plus;
			p->f.plus = false;
		}
		print_arg(p, &p->args[(*argnum)++], verb);
	}
}

/* fmt doPrintf */
static void do_printf(struct pp *p, const char *fmt, size_t end)
{
	size_t argnum = 0;
	bool after_index = false;
	p->reordered = false;
	for (size_t i = 0; i < end && p->b->err == 0;) {
		p->good_argnum = true;
		size_t lasti = i;
		while (i < end && fmt[i] != '%')
			i++;
		if (i > lasti)
			ab_add(p->b, fmt + lasti, i - lasti);
		if (i >= end)
			break;
		i++;
		clear_flags(&p->f);
		if (printf_flags(p, fmt, end, &i, &argnum))
			continue;
		printf_width_prec(p, fmt, end, &i, &argnum, &after_index);
		if (i >= end) {
			ab_adds(p->b, "%!(NOVERB)");
			break;
		}
		uint32_t verb;
		i += rutf8_decode((const unsigned char *)fmt + i, end - i, &verb);
		printf_verb(p, verb, &argnum);
	}
	/* Unused operands, unless an explicit index was used. */
	if (!p->reordered && argnum < p->nargs) {
		clear_flags(&p->f);
		ab_adds(p->b, "%!(EXTRA ");
		for (size_t k = argnum; k < p->nargs; k++) {
			if (k > argnum)
				ab_adds(p->b, ", ");
			ab_adds(p->b, gtype_name(&p->args[k]));
			ab_addc(p->b, '=');
			print_arg(p, &p->args[k], 'v');
		}
		ab_addc(p->b, ')');
	}
}

/* Decimal integer text (optional '-', digits): fits big.Int SetString. */
static bool is_dec_int(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i >= n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* OPA's conversion of one sprintf operand (see the section comment). */
static int to_garg(rctx *cx, const rv *x, struct garg *g)
{
	rarena *a = rctx_arena(cx);
	memset(g, 0, sizeof(*g));
	if (x->t == RV_STR) {
		g->k = GA_STR;
		g->s = x->u.s.p;
		g->n = x->u.s.n;
		return 0;
	}
	if (x->t == RV_NUM) {
		if (x->nk == RN_INT) {
			g->k = GA_INT;
			g->i = x->u.i;
			return 0;
		}
		if (x->nk == RN_BIG) {
			g->k = GA_BIG;
			g->neg = x->u.s.p[0] == '-';
			g->s = x->u.s.p + (g->neg ? 1 : 0);
			g->n = x->u.s.n - (g->neg ? 1 : 0);
			return 0;
		}
		if (x->u.fl.txt == NULL) {
			g->k = GA_FLT;
			g->f = (double)x->u.fl.f;
			return 0;
		}
		const char *t = x->u.fl.txt;
		size_t tn = x->u.fl.txtlen;
		if (is_dec_int(t, tn)) {
			/* Cannot happen for parsed literals; keep OPA's order. */
			g->k = GA_BIG;
			g->neg = t[0] == '-';
			g->s = t + (t[0] == '-' || t[0] == '+');
			g->n = tn - (size_t)(t[0] == '-' || t[0] == '+');
			return 0;
		}
		char *z = rarena_strndup(a, t, tn);
		if (z == NULL)
			return -ENOMEM;
		double d = strtod(z, NULL);
		if (isinf(d)) {
			g->k = GA_STR;
			g->s = t;
			g->n = tn;
		} else {
			g->k = GA_FLT;
			g->f = d;
		}
		return 0;
	}
	cc_buf tb;
	cc_buf_init(&tb, STR_MAX);
	int r = rv_to_rego(x, &tb);
	if (r == 0) {
		g->k = GA_STR;
		g->s = rarena_strndup(a, tb.p ? tb.p : "", tb.len);
		g->n = tb.len;
		if (g->s == NULL)
			r = -ENOMEM;
	}
	cc_buf_free(&tb);
	return r;
}

static int bi_sprintf(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *fmt;
	size_t fn;
	int r = rbi_arg_str(cx, args, 0, &fmt, &fn);
	if (r < 0)
		return r;
	if ((r = rbi_arg_type(cx, args, 1, RT_ARR)) < 0)
		return r;
	const rv *arr = args[1];
	size_t na = arr->u.a.n;
	struct garg *ga = rarena_nalloc(rctx_arena(cx), na ? na : 1, sizeof(*ga));
	if (ga == NULL)
		return rbi_oom(cx);
	for (size_t i = 0; i < na; i++)
		if (to_garg(cx, arr->u.a.v[i], &ga[i]) < 0)
			return rbi_oom(cx);
	struct abuf b;
	ab_init(&b, rctx_arena(cx), fn + 16, STR_MAX);
	struct pp p = {.b = &b, .args = ga, .nargs = na};
	do_printf(&p, fmt, fn);
	return ab_finish(cx, &b, ret);
}

/* ---- table ----------------------------------------------------------- */

const struct rbi rbi_group_strings[] = {
    {"concat", 2, bi_concat, NULL, 0, {RT_STR, RT_ARR | RT_SET}, RT_STR},
    {"contains", 2, bi_contains, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"endswith", 2, bi_endswith, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"startswith", 2, bi_startswith, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"format_int", 2, bi_format_int, NULL, 0, {RT_NUM, RT_NUM}, RT_STR},
    {"indexof", 2, bi_indexof, NULL, 0, {RT_STR, RT_STR}, RT_NUM},
    {"indexof_n", 2, bi_indexof_n, NULL, 0, {RT_STR, RT_STR}, RT_ARR},
    {"lower", 1, bi_lower, NULL, 0, {RT_STR}, RT_STR},
    {"upper", 1, bi_upper, NULL, 0, {RT_STR}, RT_STR},
    {"replace", 3, bi_replace, NULL, 0, {RT_STR, RT_STR, RT_STR}, RT_STR},
    {"split", 2, bi_split, NULL, 0, {RT_STR, RT_STR}, RT_ARR},
    {"sprintf", 2, bi_sprintf, NULL, 0, {RT_STR, RT_ARR}, RT_STR},
    {"strings.any_prefix_match", 2, bi_any_prefix_match, NULL, 0,
     {RT_STR | RT_ARR | RT_SET, RT_STR | RT_ARR | RT_SET}, RT_BOOL},
    {"strings.any_suffix_match", 2, bi_any_suffix_match, NULL, 0,
     {RT_STR | RT_ARR | RT_SET, RT_STR | RT_ARR | RT_SET}, RT_BOOL},
    {"strings.count", 2, bi_count, NULL, 0, {RT_STR, RT_STR}, RT_NUM},
    {"strings.reverse", 1, bi_reverse, NULL, 0, {RT_STR}, RT_STR},
    {"strings.replace_n", 2, bi_replace_n, NULL, 0, {RT_OBJ, RT_STR}, RT_STR},
    {"substring", 3, bi_substring, NULL, 0, {RT_STR, RT_NUM, RT_NUM}, RT_STR},
    {"trim", 2, bi_trim, NULL, 0, {RT_STR, RT_STR}, RT_STR},
    {"trim_left", 2, bi_trim_left, NULL, 0, {RT_STR, RT_STR}, RT_STR},
    {"trim_prefix", 2, bi_trim_prefix, NULL, 0, {RT_STR, RT_STR}, RT_STR},
    {"trim_right", 2, bi_trim_right, NULL, 0, {RT_STR, RT_STR}, RT_STR},
    {"trim_suffix", 2, bi_trim_suffix, NULL, 0, {RT_STR, RT_STR}, RT_STR},
    {"trim_space", 1, bi_trim_space, NULL, 0, {RT_STR}, RT_STR},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
