/* SemVer builtins (OPA v1/topdown/semver.go, internal/semver):
 * semver.is_valid and semver.compare.
 *
 * OPA's parser: an optional leading "v" is dropped; "+metadata" and then
 * "-prerelease" are cut off (each, when non-empty, must match
 * ^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$); the rest must be exactly
 * major.minor.patch, each accepted by strconv.ParseInt(s, 10, 64) (so a
 * sign and leading zeros are allowed). Comparison follows semver.org
 * item 11; numeric pre-release fields compare as integers (strconv.Atoi,
 * saturating), the rest bytewise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../rctx.h"

struct semver {
	int64_t major, minor, patch;
	const char *pre;
	size_t pren;
};

/* ^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$ */
static bool ident_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (run == 0)
				return false;
			run = 0;
		} else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-') {
			run++;
		} else {
			return false;
		}
	}
	return run > 0;
}

/* strconv.ParseInt(s, 10, 64) */
static bool parse_i64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i >= n)
		return false;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool semver_parse(const char *s, size_t n, struct semver *v)
{
	if (n > 0 && s[0] == 'v')
		s++, n--;
	const char *plus = memchr(s, '+', n);
	if (plus) {
		size_t mn = n - (size_t)(plus - s) - 1;
		if (mn > 0 && !ident_ok(plus + 1, mn))
			return false;
		n = (size_t)(plus - s);
	}
	const char *dash = memchr(s, '-', n);
	v->pre = "";
	v->pren = 0;
	if (dash) {
		v->pre = dash + 1;
		v->pren = n - (size_t)(dash - s) - 1;
		if (v->pren > 0 && !ident_ok(v->pre, v->pren))
			return false;
		n = (size_t)(dash - s);
	}
	const char *d1 = memchr(s, '.', n);
	if (d1 == NULL)
		return false;
	const char *d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s));
	if (d2 == NULL || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - s)))
		return false;
	return parse_i64(s, (size_t)(d1 - s), &v->major) &&
	       parse_i64(d1 + 1, (size_t)(d2 - d1 - 1), &v->minor) &&
	       parse_i64(d2 + 1, n - (size_t)(d2 + 1 - s), &v->patch);
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* strconv.Atoi of a digit string, saturating like Go's on overflow. */
static int64_t atoi_sat(const char *s, size_t n)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return INT64_MAX;
		v = v * 10 + d;
	}
	return v;
}

static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

/* Go's cut(s, '.'): the part before the first dot and the rest (empty
 * when there is no dot). */
struct part {
	const char *p;
	size_t n;
};

static void cut_dot(struct part s, struct part *before, struct part *after)
{
	const char *dot = memchr(s.p, '.', s.n);
	if (dot == NULL) {
		*before = s;
		*after = (struct part){"", 0};
		return;
	}
	*before = (struct part){s.p, (size_t)(dot - s.p)};
	*after = (struct part){dot + 1, s.n - before->n - 1};
}

static int field_cmp(struct part a, struct part b)
{
	bool ia = all_digits(a.p, a.n), ib = all_digits(b.p, b.n);
	if (ia != ib)
		return ia ? -1 : 1;
	if (ia)
		return cmp_i64(atoi_sat(a.p, a.n), atoi_sat(b.p, b.n));
	size_t m = a.n < b.n ? a.n : b.n;
	int c = m ? memcmp(a.p, b.p, m) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return a.n < b.n ? -1 : a.n > b.n;
}

static int semver_cmp(const struct semver *x, const struct semver *y)
{
	int c;
	if ((c = cmp_i64(x->major, y->major)) || (c = cmp_i64(x->minor, y->minor)) ||
	    (c = cmp_i64(x->patch, y->patch)))
		return c;
	if (x->pren == y->pren && memcmp(x->pre, y->pre, x->pren) == 0)
		return 0;
	if (x->pren == 0)
		return 1;
	if (y->pren == 0)
		return -1;
	struct part a, b, ra, rb;
	cut_dot((struct part){x->pre, x->pren}, &a, &ra);
	cut_dot((struct part){y->pre, y->pren}, &b, &rb);
	for (;;) {
		if (a.n == 0 && b.n != 0)
			return -1;
		if (a.n != 0 && b.n == 0)
			return 1;
		if (a.n == 0 && b.n == 0)
			return 0; /* fields equal but spelled differently ("01" vs "1"): OPA loops forever */
		if ((c = field_cmp(a, b)))
			return c;
		if (ra.n != 0 && rb.n == 0)
			return 1;
		if (ra.n == 0 && rb.n != 0)
			return -1;
		cut_dot(ra, &a, &ra);
		cut_dot(rb, &b, &rb);
	}
}

/* The string as OPA's ast.String prints it (Go quoted). */
static int invalid(rctx *cx, int argn, const rv *s)
{
	cc_buf q;
	cc_buf_init(&q, 0);
	if (rv_to_rego(s, &q) < 0) {
		cc_buf_free(&q);
		return rbi_oom(cx);
	}
	int r = rbi_err(cx, "operand %d: string %s is not a valid SemVer", argn, q.p);
	cc_buf_free(&q);
	return r;
}

static int bi_semver_compare(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *a, *b;
	size_t an, bn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &a, &an)) < 0 || (r = rbi_arg_str(cx, args, 1, &b, &bn)) < 0)
		return r;
	struct semver va, vb;
	if (!semver_parse(a, an, &va))
		return invalid(cx, 1, args[0]);
	if (!semver_parse(b, bn, &vb))
		return invalid(cx, 2, args[1]);
	*ret = rv_int(rctx_arena(cx), semver_cmp(&va, &vb));
	return 0;
}

static int bi_semver_is_valid(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	struct semver v;
	*ret = rv_bool(args[0]->t == RV_STR && semver_parse(args[0]->u.s.p, args[0]->u.s.n, &v));
	return 0;
}

const struct rbi rbi_group_semver[] = {
    {"semver.compare", 2, bi_semver_compare, NULL, 0, {RT_STR, RT_STR}, RT_NUM},
    {"semver.is_valid", 1, bi_semver_is_valid, NULL, 0, {0}, RT_BOOL},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
