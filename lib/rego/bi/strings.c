/* String builtins (OPA v1/topdown/strings.go): concat, contains, endswith,
 * startswith, format_int, indexof, indexof_n, lower, upper, replace, split,
 * sprintf, strings.any_prefix_match, strings.any_suffix_match,
 * strings.count, strings.reverse, strings.replace_n, substring, trim,
 * trim_left, trim_prefix, trim_right, trim_suffix, trim_space.
 *
 * Strings are UTF-8 byte strings with explicit length. Where OPA works on
 * runes, invalid UTF-8 behaves as Go does: each bad byte is one rune
 * U+FFFD. sprintf lives in bi/sprintf.c (with bi/ftoa.c); this file holds
 * the group's table, rbi_group_strings, for all of them.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <openssl/crypto.h>

#include "../rctx.h"
#include "../utf8.h"
#include "strings_int.h"

/* ---- runes ------------------------------------------------------------ */

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

locale_t rstr_utf8_locale(void)
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
	abuf_init(&b, rctx_arena(cx), total, STR_MAX);
	for (size_t i = 0; i < cnt; i++) {
		if (i)
			abuf_add(&b, sep, sepn);
		abuf_add(&b, coll->u.a.v[i]->u.s.p, coll->u.a.v[i]->u.s.n);
	}
	return abuf_finish(cx, &b, ret);
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
	abuf_init(&b, rctx_arena(cx), n, SIZE_MAX);
	const unsigned char *u = (const unsigned char *)s;
	size_t k = 0;
	for (size_t i = 0; i < n && k < upto; k++) {
		uint32_t rr;
		size_t w = rutf8_decode(u + i, n - i, &rr);
		if (k >= (size_t)start)
			abuf_rune(&b, rr);
		i += w;
	}
	return abuf_finish(cx, &b, ret);
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
	abuf_init(&b, rctx_arena(cx), n, SIZE_MAX);
	if (ascii) {
		abuf_add(&b, s, n);
		for (size_t i = 0; b.err == 0 && i < n; i++) {
			char c = b.p[i];
			if (upper && c >= 'a' && c <= 'z')
				b.p[i] = (char)(c - 32);
			else if (!upper && c >= 'A' && c <= 'Z')
				b.p[i] = (char)(c + 32);
		}
		return abuf_finish(cx, &b, ret);
	}
	/* strings.Map(unicode.ToLower/ToUpper): invalid bytes become U+FFFD. */
	locale_t loc = rstr_utf8_locale();
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t rr;
		size_t w = rutf8_decode(u + i, n - i, &rr);
		uint32_t m = rr;
		if (rr < 0x80)
			m = upper ? (rr >= 'a' && rr <= 'z' ? rr - 32 : rr) : (rr >= 'A' && rr <= 'Z' ? rr + 32 : rr);
		else if (loc != (locale_t)0 && rr != RUTF8_ERROR)
			m = (uint32_t)(upper ? towupper_l((wint_t)rr, loc) : towlower_l((wint_t)rr, loc));
		abuf_rune(&b, m);
		i += w;
	}
	if (b.err == 0 && b.n == n && memcmp(b.p, s, n) == 0) {
		*ret = args[0];
		return 0;
	}
	return abuf_finish(cx, &b, ret);
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
		abuf_add(b, s + last, i - last);
		abuf_add(b, m->new_, m->newn);
		i += m->oldn;
		last = i;
		if (b->err)
			break;
	}
	if (last != n)
		abuf_add(b, s + last, n - last);
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
	struct abuf b;
	abuf_init(&b, rctx_arena(cx), n, STR_MAX > n ? STR_MAX : n);
	if (on == 0) {
		/* OPA calls strings.Replace: an empty old matches at the start
		 * and after each UTF-8 sequence (never inside one). */
		abuf_add(&b, nw, nn);
		for (size_t i = 0; i < n && !b.err;) {
			uint32_t rr;
			size_t w = rutf8_decode((const unsigned char *)s + i, n - i, &rr);
			abuf_add(&b, s + i, w);
			abuf_add(&b, nw, nn);
			i += w;
		}
		return abuf_finish(cx, &b, ret);
	}
	struct repl_pair p = {o, on, nw, nn};
	replace_all(s, n, &p, 1, &b);
	return abuf_finish(cx, &b, ret);
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
	abuf_init(&b, rctx_arena(cx), n, STR_MAX > n ? STR_MAX : n);
	replace_all(s, n, pr, obj->u.o.n, &b);
	return abuf_finish(cx, &b, ret);
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
void rstr_big_digits(const BIGNUM *x, int base, bool upper, struct abuf *b)
{
	if (BN_is_zero(x)) {
		abuf_addc(b, '0');
		return;
	}
	if (base == 10) {
		char *d = BN_bn2dec(x);
		if (d == NULL) {
			b->err = -ENOMEM;
			return;
		}
		abuf_adds(b, d[0] == '-' ? d + 1 : d);
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
		abuf_addc(b, digits[v]);
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
	abuf_init(&b, rctx_arena(cx), 32, SIZE_MAX);
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
			abuf_addc(&b, '-');
		abuf_add(&b, tmp + k, sizeof(tmp) - k);
		return abuf_finish(cx, &b, ret);
	}
	/* big.Float (64-bit mantissa, like long double) truncated to an int. */
	long double f = truncl(rv_num_ld(x));
	if (isinf(f) || isnan(f))
		return rbi_limit(cx, "number too large");
	char dec[5000];
	int k = snprintf(dec, sizeof(dec), "%.0Lf", f);
	if (k < 0 || (size_t)k >= sizeof(dec))
		return rbi_limit(cx, "number too large");
	BIGNUM *bn = NULL;
	const char *digits = dec[0] == '-' ? dec + 1 : dec;
	if (BN_dec2bn(&bn, digits) == 0)
		return rbi_oom(cx);
	if (dec[0] == '-' && !BN_is_zero(bn))
		abuf_addc(&b, '-');
	rstr_big_digits(bn, base, false, &b);
	BN_free(bn);
	return abuf_finish(cx, &b, ret);
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
    {"sprintf", 2, rstr_sprintf, NULL, 0, {RT_STR, RT_ARR}, RT_STR},
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
