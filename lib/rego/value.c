/* Rego values: construction, ordering, lookup (value.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "value.h"

static const rv v_null = {.t = RV_NULL};
static const rv v_true = {.t = RV_BOOL, .u.b = true};
static const rv v_false = {.t = RV_BOOL, .u.b = false};
static const rv v_estr = {.t = RV_STR, .u.s = {"", 0}};
static const rv v_earr = {.t = RV_ARR};
static const rv v_eobj = {.t = RV_OBJ};
static const rv v_eset = {.t = RV_SET};

const rv *rv_null(void) { return &v_null; }
const rv *rv_true(void) { return &v_true; }
const rv *rv_false(void) { return &v_false; }
const rv *rv_bool(bool b) { return b ? &v_true : &v_false; }
const rv *rv_empty_str(void) { return &v_estr; }
const rv *rv_empty_arr(void) { return &v_earr; }
const rv *rv_empty_obj(void) { return &v_eobj; }
const rv *rv_empty_set(void) { return &v_eset; }

static rv *new_val(rarena *a, rv_type t)
{
	rv *v = rarena_alloc(a, sizeof(*v));
	if (v == NULL)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->t = (uint8_t)t;
	return v;
}

#define SMALL(n_) {.t = RV_NUM, .nk = RN_INT, .u.i = (n_)}
#define SMALL4(n_) SMALL(n_), SMALL((n_) + 1), SMALL((n_) + 2), SMALL((n_) + 3)
#define SMALL16(n_) SMALL4(n_), SMALL4((n_) + 4), SMALL4((n_) + 8), SMALL4((n_) + 12)
#define SMALL64(n_) SMALL16(n_), SMALL16((n_) + 16), SMALL16((n_) + 32), SMALL16((n_) + 48)
/* Small integers are shared: counts and indexes are everywhere. */
static const rv small_ints[] = {SMALL(-1), SMALL64(0), SMALL64(64), SMALL64(128), SMALL64(192), SMALL(256)};

/* Shape of a composite over items[0..n) (and vals[0..n) for objects): its
 * nesting (1 + the deepest element) and node count (1 + every element's,
 * shared parts counted each time they appear). Returns false, with
 * RARENA_DEPTH recorded, past CC_REGO_MAX_VALUE_DEPTH or
 * CC_REGO_MAX_VALUE_NODES: comparison, printing and copying recurse over
 * and walk every node. */
struct shape {
	uint16_t depth;
	uint32_t nodes;
};

static inline uint64_t node_count(const rv *x) { return x->nodes ? x->nodes : 1; }

static bool nest_shape(rarena *a, const rv *const *items, const rv *const *vals, size_t n,
                       struct shape *sh)
{
	unsigned d = 0;
	uint64_t nodes = 1;
	for (size_t i = 0; i < n; i++) {
		if (items[i]->depth > d)
			d = items[i]->depth;
		nodes += node_count(items[i]);
		if (vals) {
			if (vals[i]->depth > d)
				d = vals[i]->depth;
			nodes += node_count(vals[i]);
		}
	}
	if (d + 1 > CC_REGO_MAX_VALUE_DEPTH || nodes > CC_REGO_MAX_VALUE_NODES) {
		rarena_set_failure(a, RARENA_DEPTH);
		return false;
	}
	sh->depth = (uint16_t)(d + 1);
	sh->nodes = (uint32_t)nodes;
	return true;
}

const rv *rv_int(rarena *a, int64_t i)
{
	if (i >= -1 && i <= 256)
		return &small_ints[i + 1];
	rv *v = new_val(a, RV_NUM);
	if (v == NULL)
		return NULL;
	v->nk = RN_INT;
	v->u.i = i;
	return v;
}

const rv *rv_float(rarena *a, long double f)
{
	if (isnan(f) || isinf(f))
		return NULL;
	if (f == floorl(f) && f >= -9223372036854775808.0L && f < 9223372036854775808.0L)
		return rv_int(a, (int64_t)f);
	rv *v = new_val(a, RV_NUM);
	if (v == NULL)
		return NULL;
	v->nk = RN_FLT;
	v->u.fl.f = f;
	return v;
}

/* Canonical decimal integer text: optional '-', digits, no leading zeros. */
static bool is_int_text(const char *p, size_t n)
{
	size_t i = 0;
	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return false;
	for (; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static bool parse_i64(const char *p, size_t n, int64_t *out)
{
	bool neg = false;
	size_t i = 0;
	if (n > 0 && p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i >= n)
		return false;
	uint64_t acc = 0;
	for (; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9)
			return false;
		if (acc > (UINT64_MAX - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	if (neg) {
		if (acc > (uint64_t)INT64_MAX + 1)
			return false;
		*out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	} else {
		if (acc > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)acc;
	}
	return true;
}

const rv *rv_bigint(rarena *a, const char *digits, size_t n)
{
	int64_t i;
	if (parse_i64(digits, n, &i))
		return rv_int(a, i);
	rv *v = new_val(a, RV_NUM);
	if (v == NULL)
		return NULL;
	char *p = rarena_strndup(a, digits, n);
	if (p == NULL)
		return NULL;
	v->nk = RN_BIG;
	v->u.s.p = p;
	v->u.s.n = n;
	return v;
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number_syntax(const char *p, size_t n)
{
	size_t i = 0;
	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return false;
	if (p[i] == '0') {
		i++;
	} else if (p[i] >= '1' && p[i] <= '9') {
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	} else {
		return false;
	}
	if (i < n && p[i] == '.') {
		i++;
		size_t s = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == s)
			return false;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		size_t s = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == s)
			return false;
	}
	return i == n;
}

const rv *rv_num_parse(rarena *a, const char *txt, size_t n)
{
	if (!json_number_syntax(txt, n))
		return NULL;
	/* "-0" equals 0 but keeps its spelling, as OPA's json.Number does:
	 * it goes the float way below. */
	if (is_int_text(txt, n) && !(n == 2 && txt[0] == '-' && txt[1] == '0'))
		return rv_bigint(a, txt, n);
	char tmp[128];
	char *buf = tmp;
	if (n >= sizeof(tmp)) {
		buf = rarena_strndup(a, txt, n);
		if (buf == NULL)
			return NULL;
	} else {
		memcpy(tmp, txt, n);
		tmp[n] = '\0';
	}
	errno = 0;
	long double f = strtold(buf, NULL);
	if (isnan(f) || isinf(f))
		return NULL;
	rv *v = new_val(a, RV_NUM);
	if (v == NULL)
		return NULL;
	v->nk = RN_FLT;
	v->u.fl.f = f;
	v->u.fl.txt = rarena_strndup(a, txt, n);
	if (v->u.fl.txt == NULL)
		return NULL;
	v->u.fl.txtlen = n;
	return v;
}

const rv *rv_str(rarena *a, const char *p, size_t n)
{
	if (n == 0)
		return &v_estr;
	char *d = rarena_strndup(a, p, n);
	if (d == NULL)
		return NULL;
	return rv_str_ref(a, d, n);
}

const rv *rv_cstr(rarena *a, const char *s) { return rv_str(a, s, strlen(s)); }

const rv *rv_str_ref(rarena *a, const char *p, size_t n)
{
	rv *v = new_val(a, RV_STR);
	if (v == NULL)
		return NULL;
	v->u.s.p = p;
	v->u.s.n = n;
	return v;
}

const rv *rv_arr(rarena *a, const rv *const *items, size_t n)
{
	if (n == 0)
		return &v_earr;
	struct shape sh;
	if (!nest_shape(a, items, NULL, n, &sh))
		return NULL;
	rv *v = new_val(a, RV_ARR);
	if (v == NULL)
		return NULL;
	const rv **c = rarena_nalloc(a, n, sizeof(*c));
	if (c == NULL)
		return NULL;
	memcpy(c, items, n * sizeof(*c));
	v->u.a.v = c;
	v->u.a.n = n;
	v->depth = sh.depth;
	v->nodes = sh.nodes;
	return v;
}

static int cmp_ptr(const void *x, const void *y)
{
	return rv_cmp(*(const rv *const *)x, *(const rv *const *)y);
}

static bool is_sorted_unique(const rv *const *items, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (rv_cmp(items[i - 1], items[i]) >= 0)
			return false;
	return true;
}

const rv *rv_set(rarena *a, const rv *const *items, size_t n)
{
	if (n == 0)
		return &v_eset;
	struct shape sh;
	if (!nest_shape(a, items, NULL, n, &sh))
		return NULL;
	rv *v = new_val(a, RV_SET);
	if (v == NULL)
		return NULL;
	const rv **c = rarena_nalloc(a, n, sizeof(*c));
	if (c == NULL)
		return NULL;
	memcpy(c, items, n * sizeof(*c));
	size_t m = n;
	if (!is_sorted_unique(c, n)) {
		qsort(c, n, sizeof(*c), cmp_ptr);
		m = 1;
		for (size_t i = 1; i < n; i++)
			if (rv_cmp(c[m - 1], c[i]) != 0)
				c[m++] = c[i];
	}
	v->u.a.v = c;
	v->u.a.n = m;
	v->depth = sh.depth;
	v->nodes = sh.nodes; /* counted before duplicates went: an upper bound */
	return v;
}

struct kvpair {
	const rv *k;
	const rv *v;
	size_t idx; /* original position, for a stable sort */
};

static int cmp_pair(const void *x, const void *y)
{
	const struct kvpair *a = x, *b = y;
	int c = rv_cmp(a->k, b->k);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

const rv *rv_obj(rarena *a, const rv *const *keys, const rv *const *vals,
                 size_t n, bool *conflict)
{
	if (conflict)
		*conflict = false;
	if (n == 0)
		return &v_eobj;
	struct shape sh;
	if (!nest_shape(a, keys, vals, n, &sh))
		return NULL;
	rv *v = new_val(a, RV_OBJ);
	if (v == NULL)
		return NULL;
	const rv **k = rarena_nalloc(a, n, sizeof(*k));
	const rv **vv = rarena_nalloc(a, n, sizeof(*vv));
	if (k == NULL || vv == NULL)
		return NULL;
	size_t m = n;
	if (is_sorted_unique(keys, n)) {
		memcpy(k, keys, n * sizeof(*k));
		memcpy(vv, vals, n * sizeof(*vv));
	} else {
		struct kvpair *tmp = rarena_nalloc(a, n, sizeof(*tmp));
		if (tmp == NULL)
			return NULL;
		for (size_t i = 0; i < n; i++) {
			tmp[i].k = keys[i];
			tmp[i].v = vals[i];
			tmp[i].idx = i;
		}
		qsort(tmp, n, sizeof(*tmp), cmp_pair);
		m = 0;
		for (size_t i = 0; i < n; i++) {
			if (m > 0 && rv_cmp(k[m - 1], tmp[i].k) == 0) {
				if (!rv_eq(vv[m - 1], tmp[i].v)) {
					if (conflict)
						*conflict = true;
					return NULL;
				}
				continue;
			}
			k[m] = tmp[i].k;
			vv[m] = tmp[i].v;
			m++;
		}
	}
	v->u.o.k = k;
	v->u.o.v = vv;
	v->u.o.n = m;
	v->depth = sh.depth;
	v->nodes = sh.nodes;
	return v;
}

static const rv *share(rarena *a, rv_type t, const rv *const *k, const rv *const *items, size_t n)
{
	struct shape sh;
	rv *v = nest_shape(a, k ? k : items, k ? items : NULL, n, &sh) ? new_val(a, t) : NULL;
	if (v == NULL)
		return NULL;
	if (t == RV_OBJ) {
		v->u.o.k = k;
		v->u.o.v = items;
		v->u.o.n = n;
	} else {
		v->u.a.v = items;
		v->u.a.n = n;
	}
	v->depth = sh.depth;
	v->nodes = sh.nodes;
	return v;
}

const rv *rv_arr_share(rarena *a, const rv *const *items, size_t n)
{
	return n ? share(a, RV_ARR, NULL, items, n) : &v_earr;
}

const rv *rv_set_share(rarena *a, const rv *const *items, size_t n)
{
	return n ? share(a, RV_SET, NULL, items, n) : &v_eset;
}

const rv *rv_obj_share(rarena *a, const rv *const *keys, const rv *const *vals, size_t n)
{
	return n ? share(a, RV_OBJ, keys, vals, n) : &v_eobj;
}

/* ---- vectors ---- */

void rvec_init(rvec *vec, rarena *a)
{
	vec->v = NULL;
	vec->n = 0;
	vec->cap = 0;
	vec->a = a;
}

int rvec_push(rvec *vec, const rv *x)
{
	if (vec->n == vec->cap) {
		size_t ncap = vec->cap ? vec->cap * 2 : 8;
		const rv **nv = rarena_nalloc(vec->a, ncap, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		if (vec->n)
			memcpy(nv, vec->v, vec->n * sizeof(*nv));
		vec->v = nv;
		vec->cap = ncap;
	}
	vec->v[vec->n++] = x;
	return 0;
}

const rv *rvec_to_arr(rvec *vec)
{
	if (vec->n == 0)
		return &v_earr;
	struct shape sh;
	rv *v = nest_shape(vec->a, vec->v, NULL, vec->n, &sh) ? new_val(vec->a, RV_ARR) : NULL;
	if (v == NULL)
		return NULL;
	v->u.a.v = vec->v; /* the vector's storage lives in the same arena */
	v->u.a.n = vec->n;
	v->depth = sh.depth;
	v->nodes = sh.nodes;
	vec->v = NULL;
	vec->n = vec->cap = 0;
	return v;
}

const rv *rvec_to_set(rvec *vec)
{
	const rv *s = rv_set(vec->a, vec->v, vec->n);
	vec->n = 0;
	return s;
}

/* ---- numbers ---- */

bool rv_num_as_i64(const rv *x, int64_t *out)
{
	if (x->t != RV_NUM)
		return false;
	if (x->nk == RN_INT) {
		*out = x->u.i;
		return true;
	}
	if (x->nk == RN_FLT) {
		long double f = x->u.fl.f;
		if (f == floorl(f) && f >= -9223372036854775808.0L && f < 9223372036854775808.0L) {
			*out = (int64_t)f;
			return true;
		}
	}
	return false;
}

long double rv_num_ld(const rv *x)
{
	switch (x->nk) {
	case RN_INT:
		return (long double)x->u.i;
	case RN_FLT:
		return x->u.fl.f;
	default:
		return strtold(x->u.s.p, NULL);
	}
}

bool rv_num_is_integral(const rv *x)
{
	if (x->t != RV_NUM)
		return false;
	if (x->nk != RN_FLT)
		return true;
	return x->u.fl.f == floorl(x->u.fl.f);
}

/* Compares two canonical big-integer texts. */
static int big_text_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	bool na = an && a[0] == '-', nb = bn && b[0] == '-';
	if (na != nb)
		return na ? -1 : 1;
	if (na) {
		a++, an--, b++, bn--;
	}
	int c;
	if (an != bn)
		c = an < bn ? -1 : 1;
	else {
		c = memcmp(a, b, an);
		c = c < 0 ? -1 : c > 0;
	}
	return na ? -c : c;
}

static const char *num_int_text(const rv *x, char *tmp, size_t tmpn, size_t *n)
{
	if (x->nk == RN_BIG) {
		*n = x->u.s.n;
		return x->u.s.p;
	}
	int k = snprintf(tmp, tmpn, "%lld", (long long)x->u.i);
	*n = (size_t)k;
	return tmp;
}

int rv_num_cmp(const rv *x, const rv *y)
{
	if (x->nk == RN_INT && y->nk == RN_INT)
		return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
	if (x->nk != RN_FLT && y->nk != RN_FLT) {
		char t1[32], t2[32];
		size_t n1, n2;
		const char *a = num_int_text(x, t1, sizeof(t1), &n1);
		const char *b = num_int_text(y, t2, sizeof(t2), &n2);
		return big_text_cmp(a, n1, b, n2);
	}
	long double a = rv_num_ld(x), b = rv_num_ld(y);
	return a < b ? -1 : a > b;
}

/* ---- ordering ---- */

static inline int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	/* Most keys differ in their first byte: skip the call to memcmp. */
	if (n && a[0] != b[0])
		return (unsigned char)a[0] < (unsigned char)b[0] ? -1 : 1;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

static int cmp_str(const rv *x, const rv *y)
{
	return cmp_bytes(x->u.s.p, x->u.s.n, y->u.s.p, y->u.s.n);
}

static int cmp_list(const rv *const *a, size_t an, const rv *const *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	for (size_t i = 0; i < n; i++) {
		int c = rv_cmp(a[i], b[i]);
		if (c)
			return c;
	}
	return an < bn ? -1 : an > bn;
}

static int cmp_obj(const rv *x, const rv *y)
{
	/* OPA objectCompare: sorted keys pairwise (key, then value), then size. */
	size_t n = x->u.o.n < y->u.o.n ? x->u.o.n : y->u.o.n;
	for (size_t i = 0; i < n; i++) {
		int c = rv_cmp(x->u.o.k[i], y->u.o.k[i]);
		if (c)
			return c;
		c = rv_cmp(x->u.o.v[i], y->u.o.v[i]);
		if (c)
			return c;
	}
	return x->u.o.n < y->u.o.n ? -1 : x->u.o.n > y->u.o.n;
}

int rv_cmp(const rv *x, const rv *y)
{
	if (x == y)
		return 0;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	switch (x->t) {
	case RV_NULL:
		return 0;
	case RV_BOOL:
		return (int)x->u.b - (int)y->u.b;
	case RV_NUM:
		return rv_num_cmp(x, y);
	case RV_STR:
		return cmp_str(x, y);
	case RV_ARR:
	case RV_SET:
		return cmp_list(x->u.a.v, x->u.a.n, y->u.a.v, y->u.a.n);
	case RV_OBJ:
		return cmp_obj(x, y);
	}
	return 0;
}

bool rv_eq(const rv *x, const rv *y)
{
	if (x == y)
		return true;
	if (x->t != y->t)
		return false;
	switch (x->t) {
	case RV_STR:
		return x->u.s.n == y->u.s.n && memcmp(x->u.s.p, y->u.s.p, x->u.s.n) == 0;
	case RV_ARR:
	case RV_SET:
		if (x->u.a.n != y->u.a.n)
			return false;
		for (size_t i = 0; i < x->u.a.n; i++)
			if (!rv_eq(x->u.a.v[i], y->u.a.v[i]))
				return false;
		return true;
	case RV_OBJ:
		if (x->u.o.n != y->u.o.n)
			return false;
		for (size_t i = 0; i < x->u.o.n; i++)
			if (!rv_eq(x->u.o.k[i], y->u.o.k[i]) || !rv_eq(x->u.o.v[i], y->u.o.v[i]))
				return false;
		return true;
	default:
		return rv_cmp(x, y) == 0;
	}
}

/* ---- lookup ---- */

/* Binary search for a string among sorted values (strings sort after
 * null, booleans and numbers and before composites). */
static ptrdiff_t bsearch_str(const rv *const *v, size_t n, const char *k, size_t kn)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const rv *m = v[mid];
		int c = m->t != RV_STR ? (m->t < RV_STR ? -1 : 1) : cmp_bytes(m->u.s.p, m->u.s.n, k, kn);
		if (c == 0)
			return (ptrdiff_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static ptrdiff_t bsearch_idx(const rv *const *v, size_t n, const rv *key)
{
	if (key->t == RV_STR)
		return bsearch_str(v, n, key->u.s.p, key->u.s.n);
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rv_cmp(v[mid], key);
		if (c == 0)
			return (ptrdiff_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

ptrdiff_t rv_find(const rv *coll, const rv *key)
{
	switch (coll->t) {
	case RV_OBJ:
		return bsearch_idx(coll->u.o.k, coll->u.o.n, key);
	case RV_SET:
	case RV_ARR:
		return bsearch_idx(coll->u.a.v, coll->u.a.n, key);
	default:
		return -1;
	}
}

const rv *rv_obj_get(const rv *obj, const rv *key)
{
	if (obj->t != RV_OBJ)
		return NULL;
	ptrdiff_t i = bsearch_idx(obj->u.o.k, obj->u.o.n, key);
	return i < 0 ? NULL : obj->u.o.v[i];
}

const rv *rv_obj_gets(const rv *obj, const char *key, size_t n)
{
	rv k = {.t = RV_STR, .u.s = {key, n}};
	return rv_obj_get(obj, &k);
}

bool rv_set_has(const rv *set, const rv *x)
{
	return set->t == RV_SET && bsearch_idx(set->u.a.v, set->u.a.n, x) >= 0;
}

const rv *rv_get(const rv *coll, const rv *key)
{
	switch (coll->t) {
	case RV_ARR: {
		int64_t i;
		if (key->t != RV_NUM || !rv_num_as_i64(key, &i))
			return NULL;
		if (key->nk == RN_FLT && key->u.fl.txt != NULL)
			return NULL; /* OPA: 1.0 is not an array index */
		if (i < 0 || (uint64_t)i >= coll->u.a.n)
			return NULL;
		return coll->u.a.v[i];
	}
	case RV_OBJ:
		return rv_obj_get(coll, key);
	case RV_SET: {
		ptrdiff_t i = bsearch_idx(coll->u.a.v, coll->u.a.n, key);
		return i < 0 ? NULL : coll->u.a.v[i];
	}
	default:
		return NULL;
	}
}

size_t rv_len(const rv *x)
{
	switch (x->t) {
	case RV_STR:
		return x->u.s.n;
	case RV_ARR:
	case RV_SET:
		return x->u.a.n;
	case RV_OBJ:
		return x->u.o.n;
	default:
		return 0;
	}
}

const char *rv_type_name(const rv *x)
{
	static const char *const names[] = {"null", "boolean", "number", "string",
	                                    "array", "object", "set"};
	return names[x->t];
}

/* ---- deep copy ---- */

const rv *rv_copy(rarena *a, const rv *x)
{
	switch (x->t) {
	case RV_NULL:
	case RV_BOOL:
		return x; /* static singletons */
	case RV_NUM:
		if (x->nk == RN_INT)
			return rv_int(a, x->u.i);
		if (x->nk == RN_BIG)
			return rv_bigint(a, x->u.s.p, x->u.s.n);
		if (x->u.fl.txt)
			return rv_num_parse(a, x->u.fl.txt, x->u.fl.txtlen);
		return rv_float(a, x->u.fl.f);
	case RV_STR:
		return rv_str(a, x->u.s.p, x->u.s.n);
	case RV_ARR:
	case RV_SET: {
		size_t n = x->u.a.n;
		if (n == 0)
			return x->t == RV_ARR ? rv_empty_arr() : rv_empty_set();
		const rv **items = rarena_nalloc(a, n, sizeof(*items));
		if (items == NULL)
			return NULL;
		for (size_t i = 0; i < n; i++)
			if ((items[i] = rv_copy(a, x->u.a.v[i])) == NULL)
				return NULL;
		rv *v = rarena_alloc(a, sizeof(*v));
		if (v == NULL)
			return NULL;
		memset(v, 0, sizeof(*v));
		v->t = x->t;
		v->u.a.v = items;
		v->u.a.n = n;
		v->depth = x->depth;
		v->nodes = x->nodes;
		return v;
	}
	case RV_OBJ: {
		size_t n = x->u.o.n;
		if (n == 0)
			return rv_empty_obj();
		const rv **k = rarena_nalloc(a, n, sizeof(*k));
		const rv **vv = rarena_nalloc(a, n, sizeof(*vv));
		if (k == NULL || vv == NULL)
			return NULL;
		for (size_t i = 0; i < n; i++)
			if ((k[i] = rv_copy(a, x->u.o.k[i])) == NULL || (vv[i] = rv_copy(a, x->u.o.v[i])) == NULL)
				return NULL;
		rv *v = rarena_alloc(a, sizeof(*v));
		if (v == NULL)
			return NULL;
		memset(v, 0, sizeof(*v));
		v->t = RV_OBJ;
		v->u.o.k = k;
		v->u.o.v = vv;
		v->u.o.n = n;
		v->depth = x->depth;
		v->nodes = x->nodes;
		return v;
	}
	}
	return NULL;
}

/* Deep merge of objects: keys of b win unless both values are objects,
 * which merge recursively. NULL with *conflict for object/non-object
 * clashes. */
const rv *rv_merge(rarena *a, const rv *x, const rv *y, bool *conflict)
{
	if (x->t != RV_OBJ || y->t != RV_OBJ) {
		*conflict = true;
		return NULL;
	}
	size_t n = x->u.o.n + y->u.o.n;
	const rv **k = rarena_nalloc(a, n + 1, sizeof(*k));
	const rv **v = rarena_nalloc(a, n + 1, sizeof(*v));
	if (k == NULL || v == NULL)
		return NULL;
	size_t i = 0, j = 0, m = 0;
	while (i < x->u.o.n || j < y->u.o.n) {
		int c = i >= x->u.o.n ? 1 : j >= y->u.o.n ? -1 : rv_cmp(x->u.o.k[i], y->u.o.k[j]);
		if (c < 0) {
			k[m] = x->u.o.k[i];
			v[m++] = x->u.o.v[i++];
		} else if (c > 0) {
			k[m] = y->u.o.k[j];
			v[m++] = y->u.o.v[j++];
		} else {
			const rv *xv = x->u.o.v[i], *yv = y->u.o.v[j];
			k[m] = x->u.o.k[i];
			if (xv->t == RV_OBJ && yv->t == RV_OBJ) {
				v[m] = rv_merge(a, xv, yv, conflict);
				if (v[m] == NULL)
					return NULL;
			} else if (rv_eq(xv, yv)) {
				v[m] = xv;
			} else {
				*conflict = true;
				return NULL;
			}
			m++, i++, j++;
		}
	}
	return rv_obj(a, k, v, m, NULL);
}
