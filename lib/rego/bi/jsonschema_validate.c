/* JSON Schema validation (jsonschema_int.h): gojsonschema's
 * validateRecursive and its helpers, with its error types, English
 * descriptions (locales.go), error order and "score" (which failed anyOf/
 * oneOf/contains branch reports its errors). Objects are walked in sorted
 * key order (Go walks its maps in random order). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cocoon/limits.h"
#include "../convert.h"
#include "../utf8.h"
#include "jsonschema_int.h"

static const char *const type_names[] = {"array", "boolean", "integer", "number",
                                         "null", "object", "string"};

/* A path segment (gojsonschema's JsonContext). */
struct jctx {
	const struct jctx *up;
	const char *p;
	size_t n;
};

struct jres {
	rvec errs;
	long score;
};

struct jsv {
	rarena *a;
	const struct js_schema *s;
	unsigned depth;
	unsigned long steps;
	const char *msg; /* limit hit */
};

static int rec(struct jsv *v, const struct js_node *n, const rv *d, struct jres *res,
               const struct jctx *cx);

static int ctx_text(const struct jctx *cx, cc_buf *b)
{
	if (cx->up) {
		int r = ctx_text(cx->up, b);
		if (r == 0)
			r = cc_buf_addc(b, '.');
		return r < 0 ? r : cc_buf_add(b, cx->p, cx->n);
	}
	return cc_buf_add(b, cx->p, cx->n);
}

/* Adds {desc, error, field, type}; fmt formats the description. */
static int add(struct jsv *v, struct jres *res, const struct jctx *cx, const char *type,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int add(struct jsv *v, struct jres *res, const struct jctx *cx, const char *type,
               const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int need = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	char *desc = need < 0 ? NULL : rarena_alloc(v->a, (size_t)need + 1);
	if (desc)
		vsnprintf(desc, (size_t)need + 1, fmt, ap);
	va_end(ap);
	if (desc == NULL)
		return -ENOMEM;
	cc_buf b;
	cc_buf_init(&b, 0);
	int r = ctx_text(cx, &b);
	size_t skip = b.len > 7 && memcmp(b.p, "(root).", 7) == 0 ? 7 : 0;
	const rv *fv = r == 0 ? rv_str(v->a, b.p + skip, b.len - skip) : NULL;
	if (r == 0)
		r = cc_buf_adds(&b, ": ");
	if (r == 0)
		r = cc_buf_adds(&b, desc);
	const rv *ev = r == 0 ? rv_str(v->a, b.p + skip, b.len - skip) : NULL;
	cc_buf_free(&b);
	const rv *keys[4] = {rv_cstr(v->a, "desc"), rv_cstr(v->a, "error"), rv_cstr(v->a, "field"),
	                     rv_cstr(v->a, "type")};
	const rv *vals[4] = {rv_str(v->a, desc, (size_t)need), ev, fv, rv_cstr(v->a, type)};
	for (int i = 0; i < 4; i++)
		if (!keys[i] || !vals[i])
			return -ENOMEM;
	const rv *o = rv_obj(v->a, keys, vals, 4, NULL);
	return o ? rvec_push(&res->errs, o) : -ENOMEM;
}

/* The field text (for Enum/Const descriptions). */
static const char *field_of(struct jsv *v, const struct jctx *cx)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	const char *out = NULL;
	if (ctx_text(cx, &b) == 0) {
		size_t skip = b.len > 7 && memcmp(b.p, "(root).", 7) == 0 ? 7 : 0;
		out = rarena_strndup(v->a, b.p + skip, b.len - skip);
	}
	cc_buf_free(&b);
	return out;
}

static const char *json_of(struct jsv *v, const rv *x)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	const char *out = NULL;
	if (rv_to_go_json(x, &b, "", NULL) == 0)
		out = rarena_strndup(v->a, b.p ? b.p : "", b.len);
	cc_buf_free(&b);
	return out;
}

/* big.Float's %v: Text('g', 10). */
static void num_text(const rv *x, char *buf, size_t n)
{
	snprintf(buf, n, "%.10Lg", rv_num_ld(x));
}

static void merge(struct jres *dst, struct jres *src, int *r)
{
	for (size_t i = 0; *r == 0 && i < src->errs.n; i++)
		*r = rvec_push(&dst->errs, src->errs.v[i]);
	dst->score += src->score;
}

static int sub(struct jsv *v, const struct js_node *n, const rv *d, const struct jctx *cx,
               struct jres *out)
{
	rvec_init(&out->errs, v->a);
	out->score = 0;
	return rec(v, n, d, out, cx);
}

static int re_match(struct jsv *v, const struct js_pattern *p, const rv *s, bool *m)
{
	int rc = pcre2_match(p->re, (PCRE2_SPTR)s->u.s.p, s->u.s.n, 0, 0, v->s->md, v->s->mctx);
	if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH) {
		*m = rc >= 0;
		return 0;
	}
	v->msg = "regular expression match limit exceeded";
	return -ELOOP;
}

static int v_schema(struct jsv *v, const struct js_node *n, const rv *d, struct jres *res,
                    const struct jctx *cx)
{
	int r = 0;
	struct jres t, best = {{0}, 0};
	if (n->any_of.n) {
		bool ok = false, have = false;
		for (size_t i = 0; r == 0 && !ok && i < n->any_of.n; i++) {
			if ((r = sub(v, n->any_of.v[i], d, cx, &t)) < 0)
				return r;
			ok = t.errs.n == 0;
			if (!ok && (!have || t.score > best.score))
				best = t, have = true;
		}
		if (!ok) {
			r = add(v, res, cx, "number_any_of", "Must validate at least one schema (anyOf)");
			if (have)
				merge(res, &best, &r);
		}
	}
	if (r == 0 && n->one_of.n) {
		size_t nv = 0;
		bool have = false;
		for (size_t i = 0; r == 0 && i < n->one_of.n; i++) {
			if ((r = sub(v, n->one_of.v[i], d, cx, &t)) < 0)
				return r;
			if (t.errs.n == 0)
				nv++;
			else if (nv == 0 && (!have || t.score > best.score))
				best = t, have = true;
		}
		if (nv != 1) {
			r = add(v, res, cx, "number_one_of", "Must validate one and only one schema (oneOf)");
			if (nv == 0 && have)
				merge(res, &best, &r);
		}
	}
	if (r == 0 && n->all_of.n) {
		size_t nv = 0;
		for (size_t i = 0; r == 0 && i < n->all_of.n; i++) {
			if ((r = sub(v, n->all_of.v[i], d, cx, &t)) < 0)
				return r;
			nv += t.errs.n == 0;
			merge(res, &t, &r);
		}
		if (r == 0 && nv != n->all_of.n)
			r = add(v, res, cx, "number_all_of", "Must validate all the schemas (allOf)");
	}
	if (r == 0 && n->not_) {
		if ((r = sub(v, n->not_, d, cx, &t)) < 0)
			return r;
		if (t.errs.n == 0)
			r = add(v, res, cx, "number_not", "Must not validate the schema (not)");
	}
	if (r == 0 && n->dep_keys && d->t == RV_OBJ) {
		for (size_t i = 0; r == 0 && i < d->u.o.n; i++) {
			ptrdiff_t k = rv_find(n->dep_keys, d->u.o.k[i]);
			if (k < 0)
				continue;
			if (n->dep_nodes[k]) {
				r = rec(v, n->dep_nodes[k], d, res, cx);
				continue;
			}
			const rv *need = n->dep_keys->u.o.v[k];
			for (size_t j = 0; r == 0 && j < need->u.a.n; j++)
				if (rv_obj_get(d, need->u.a.v[j]) == NULL)
					r = add(v, res, cx, "missing_dependency", "Has a dependency on %s",
					        need->u.a.v[j]->u.s.p);
		}
	}
	if (r == 0 && n->if_) {
		struct jres ti;
		if ((r = sub(v, n->if_, d, cx, &ti)) < 0)
			return r;
		const struct js_node *br = ti.errs.n == 0 ? n->then_ : n->else_;
		if (br) {
			if ((r = sub(v, br, d, cx, &t)) < 0)
				return r;
			if (t.errs.n) {
				r = ti.errs.n == 0
				        ? add(v, res, cx, "condition_then", "Must validate \"then\" as \"if\" was valid")
				        : add(v, res, cx, "condition_else",
				              "Must validate \"else\" as \"if\" was not valid");
				merge(res, &t, &r);
			}
		}
	}
	res->score++;
	return r;
}

static int v_common(struct jsv *v, const struct js_node *n, const rv *d, struct jres *res,
                    const struct jctx *cx)
{
	int r = 0;
	if (n->constv && !rv_eq(n->constv, d)) {
		const char *f = field_of(v, cx), *j = json_of(v, n->constv);
		if (!f || !j)
			return -ENOMEM;
		r = add(v, res, cx, "const", "%s does not match: %s", f, j);
	}
	if (r == 0 && n->enumv) {
		bool has = false;
		for (size_t i = 0; !has && i < n->enumv->u.a.n; i++)
			has = rv_eq(n->enumv->u.a.v[i], d);
		if (!has) {
			cc_buf b;
			cc_buf_init(&b, 0);
			for (size_t i = 0; r == 0 && i < n->enumv->u.a.n; i++) {
				if (i)
					r = cc_buf_adds(&b, ", ");
				if (r == 0)
					r = rv_to_go_json(n->enumv->u.a.v[i], &b, "", NULL);
			}
			const char *f = field_of(v, cx);
			const char *al = r == 0 ? rarena_strndup(v->a, b.p ? b.p : "", b.len) : NULL;
			cc_buf_free(&b);
			if (!f || !al)
				return r < 0 ? r : -ENOMEM;
			r = add(v, res, cx, "enum", "%s must be one of the following: %s", f,
			        n->enumv->u.a.n ? al : "(none)");
		}
	}
	res->score++;
	return r;
}

static size_t runes(const rv *s)
{
	size_t cnt = 0;
	const unsigned char *p = (const unsigned char *)s->u.s.p;
	for (size_t i = 0; i < s->u.s.n; cnt++) {
		uint32_t c;
		i += rutf8_decode(p + i, s->u.s.n - i, &c);
	}
	return cnt;
}

static int v_string(struct jsv *v, const struct js_node *n, const rv *d, struct jres *res,
                    const struct jctx *cx)
{
	int r = 0;
	size_t len = (n->min_len >= 0 || n->max_len >= 0) ? runes(d) : 0;
	if (n->min_len >= 0 && len < (uint64_t)n->min_len)
		r = add(v, res, cx, "string_gte", "String length must be greater than or equal to %lld",
		        (long long)n->min_len);
	if (r == 0 && n->max_len >= 0 && len > (uint64_t)n->max_len)
		r = add(v, res, cx, "string_lte", "String length must be less than or equal to %lld",
		        (long long)n->max_len);
	if (r == 0 && n->pattern.re) {
		bool m;
		if ((r = re_match(v, &n->pattern, d, &m)) == 0 && !m)
			r = add(v, res, cx, "pattern", "Does not match pattern '%s'", n->pattern.src->u.s.p);
	}
	res->score++;
	return r;
}

/* Whether d / m is an integer (exactly for int64 operands). */
static bool multiple(const rv *d, const rv *m)
{
	int64_t a, b;
	if (rv_num_as_i64(d, &a) && rv_num_as_i64(m, &b) && b > 0)
		return a % b == 0;
	long double q = rv_num_ld(d) / rv_num_ld(m);
	return q == (long double)(int64_t)q || (q > 9e18L || q < -9e18L);
}

static int v_number(struct jsv *v, const struct js_node *n, const rv *d, struct jres *res,
                    const struct jctx *cx)
{
	int r = 0;
	char b[64];
	if (n->multiple_of && !multiple(d, n->multiple_of)) {
		num_text(n->multiple_of, b, sizeof(b));
		r = add(v, res, cx, "multiple_of", "Must be a multiple of %s", b);
	}
	if (r == 0 && n->maximum && rv_num_cmp(d, n->maximum) > 0) {
		num_text(n->maximum, b, sizeof(b));
		r = add(v, res, cx, "number_lte", "Must be less than or equal to %s", b);
	}
	if (r == 0 && n->excl_max && rv_num_cmp(d, n->excl_max) >= 0) {
		num_text(n->excl_max, b, sizeof(b));
		r = add(v, res, cx, "number_lt", "Must be less than %s", b);
	}
	if (r == 0 && n->minimum && rv_num_cmp(d, n->minimum) < 0) {
		num_text(n->minimum, b, sizeof(b));
		r = add(v, res, cx, "number_gte", "Must be greater than or equal to %s", b);
	}
	if (r == 0 && n->excl_min && rv_num_cmp(d, n->excl_min) <= 0) {
		num_text(n->excl_min, b, sizeof(b));
		r = add(v, res, cx, "number_gt", "Must be greater than %s", b);
	}
	res->score++;
	return r;
}

static int v_array(struct jsv *v, const struct js_node *n, const rv *d, struct jres *res,
                   const struct jctx *cx)
{
	int r = 0;
	size_t nv = d->u.a.n;
	char idx[32];
	struct jres t, best = {{0}, 0};
	for (size_t i = 0; r == 0 && i < nv && n->items.n; i++) {
		const struct js_node *it = n->items_single ? n->items.v[0]
		                           : i < n->items.n ? n->items.v[i] : n->ai;
		if (it == NULL)
			break;
		int len = snprintf(idx, sizeof(idx), "%zu", i);
		struct jctx sc = {cx, idx, (size_t)len};
		if ((r = sub(v, it, d->u.a.v[i], &sc, &t)) < 0)
			return r;
		merge(res, &t, &r);
	}
	if (r == 0 && !n->items_single && n->items.n && n->items.n < nv && n->ai_false)
		r = add(v, res, cx, "array_no_additional_items", "No additional items allowed on array");
	if (r == 0 && n->min_items >= 0 && nv < (uint64_t)n->min_items)
		r = add(v, res, cx, "array_min_items", "Array must have at least %lld items",
		        (long long)n->min_items);
	if (r == 0 && n->max_items >= 0 && nv > (uint64_t)n->max_items)
		r = add(v, res, cx, "array_max_items", "Array must have at most %lld items",
		        (long long)n->max_items);
	for (size_t j = 0; r == 0 && n->unique && j < nv; j++) {
		/* gojsonschema reports each later duplicate against the last equal item before it */
		for (size_t i = j; i-- > 0;)
			if (rv_eq(d->u.a.v[i], d->u.a.v[j])) {
				r = add(v, res, cx, "unique", "array items[%zu,%zu] must be unique", i, j);
				break;
			}
		if (++v->steps > CC_REGO_MAX_SCHEMA_STEPS) {
			v->msg = "schema validation step limit exceeded";
			return -ELOOP;
		}
	}
	if (r == 0 && n->contains) {
		bool ok = false, have = false;
		for (size_t i = 0; r == 0 && !ok && i < nv; i++) {
			int len = snprintf(idx, sizeof(idx), "%zu", i);
			struct jctx sc = {cx, idx, (size_t)len};
			if ((r = sub(v, n->contains, d->u.a.v[i], &sc, &t)) < 0)
				return r;
			ok = t.errs.n == 0;
			if (!ok && (!have || t.score > best.score))
				best = t, have = true;
		}
		if (r == 0 && !ok) {
			r = add(v, res, cx, "contains", "At least one of the items must match");
			if (have)
				merge(res, &best, &r);
		}
	}
	res->score++;
	return r;
}

static int v_object(struct jsv *v, const struct js_node *n, const rv *d, struct jres *res,
                    const struct jctx *cx)
{
	int r = 0;
	size_t np = d->u.o.n;
	if (n->min_props >= 0 && np < (uint64_t)n->min_props)
		r = add(v, res, cx, "array_min_properties", "Must have at least %lld properties",
		        (long long)n->min_props);
	if (r == 0 && n->max_props >= 0 && np > (uint64_t)n->max_props)
		r = add(v, res, cx, "array_max_properties", "Must have at most %lld properties",
		        (long long)n->max_props);
	for (size_t i = 0; r == 0 && n->required && i < n->required->u.a.n; i++) {
		if (rv_obj_get(d, n->required->u.a.v[i]))
			res->score++;
		else
			r = add(v, res, cx, "required", "%s is required", n->required->u.a.v[i]->u.s.p);
	}
	for (size_t i = 0; r == 0 && i < np; i++) {
		const rv *k = d->u.o.k[i];
		if (k->t != RV_STR)
			continue;
		bool found = n->prop_keys && rv_obj_get(n->prop_keys, k);
		bool pp = false;
		struct jctx sc = {cx, k->u.s.p, k->u.s.n};
		for (size_t j = 0; r == 0 && j < n->npp; j++) {
			bool m;
			if ((r = re_match(v, &n->pp[j], k, &m)) < 0)
				return r;
			if (!m)
				continue;
			pp = true;
			struct jres t;
			if ((r = sub(v, n->pp_nodes[j], d->u.o.v[i], &sc, &t)) < 0)
				return r;
			merge(res, &t, &r);
		}
		if (pp)
			res->score++;
		if (r == 0 && !found && !pp) {
			if (n->ap_false) {
				r = add(v, res, cx, "additional_property_not_allowed",
				        "Additional property %s is not allowed", k->u.s.p);
			} else if (n->ap) {
				struct jres t;
				if ((r = sub(v, n->ap, d->u.o.v[i], &sc, &t)) < 0)
					return r;
				merge(res, &t, &r);
			}
		}
	}
	for (size_t i = 0; r == 0 && n->propnames && i < np; i++) {
		struct jres t;
		if ((r = sub(v, n->propnames, d->u.o.k[i], cx, &t)) < 0)
			return r;
		if (t.errs.n) {
			r = add(v, res, cx, "invalid_property_name", "Property name of \"%s\" does not match",
			        d->u.o.k[i]->t == RV_STR ? d->u.o.k[i]->u.s.p : "");
			merge(res, &t, &r);
		}
	}
	res->score++;
	return r;
}

static bool has_type(const struct js_node *n, int t)
{
	for (size_t i = 0; i < n->ntypes; i++)
		if (n->types[i] == t)
			return true;
	return false;
}

static int type_err(struct jsv *v, const struct js_node *n, struct jres *res,
                    const struct jctx *cx, int given)
{
	char exp[128];
	size_t o = 0;
	if (n->ntypes == 1) {
		snprintf(exp, sizeof(exp), "%s", type_names[n->types[0]]);
	} else {
		exp[o++] = '[';
		for (size_t i = 0; i < n->ntypes; i++)
			o += (size_t)snprintf(exp + o, sizeof(exp) - o, "%s%s", i ? "," : "",
			                      type_names[n->types[i]]);
		snprintf(exp + o, sizeof(exp) - o, "]");
	}
	return add(v, res, cx, "invalid_type", "Invalid type. Expected: %s, given: %s", exp,
	           type_names[given]);
}

static int rec(struct jsv *v, const struct js_node *n, const rv *d, struct jres *res,
               const struct jctx *cx)
{
	if (++v->steps > CC_REGO_MAX_SCHEMA_STEPS) {
		v->msg = "schema validation step limit exceeded";
		return -ELOOP;
	}
	if (v->depth >= CC_REGO_MAX_SCHEMA_DEPTH) {
		v->msg = "schema validation nested too deep ($ref cycle?)";
		return -ELOOP;
	}
	if (n->pass >= 0)
		return n->pass ? 0 : add(v, res, cx, "false", "False always fails validation");
	if (n->ref) {
		v->depth++;
		int r = rec(v, n->ref, d, res, cx);
		v->depth--;
		return r;
	}
	int given;
	switch (d->t) {
	case RV_NULL: given = JT_NULL; break;
	case RV_BOOL: given = JT_BOOLEAN; break;
	case RV_NUM: given = rv_num_is_integral(d) ? JT_INTEGER : JT_NUMBER; break;
	case RV_STR: given = JT_STRING; break;
	case RV_OBJ: given = JT_OBJECT; break;
	default: given = JT_ARRAY; break; /* arrays, and sets as OPA marshals them */
	}
	bool ok = has_type(n, given) || (given == JT_INTEGER && has_type(n, JT_NUMBER));
	if (n->ntypes && !ok)
		return type_err(v, n, res, cx, given);
	v->depth++;
	int r = v_schema(v, n, d, res, cx);
	if (r == 0 && d->t == RV_NUM)
		r = v_number(v, n, d, res, cx);
	if (r == 0 && (d->t == RV_ARR || d->t == RV_SET))
		r = v_array(v, n, d, res, cx);
	if (r == 0 && d->t == RV_OBJ)
		r = v_object(v, n, d, res, cx);
	if (r == 0)
		r = v_common(v, n, d, res, cx);
	if (r == 0 && d->t == RV_STR)
		r = v_string(v, n, d, res, cx);
	for (size_t i = 0; r == 0 && d->t == RV_OBJ && n->prop_keys && i < n->prop_keys->u.o.n; i++) {
		const rv *k = n->prop_keys->u.o.k[i];
		const rv *x = rv_obj_get(d, k);
		if (x == NULL || k->t != RV_STR)
			continue;
		struct jctx sc = {cx, k->u.s.p, k->u.s.n};
		r = rec(v, n->prop_nodes[i], x, res, &sc);
	}
	v->depth--;
	res->score++;
	return r;
}

int js_schema_validate(rarena *a, const struct js_schema *s, const rv *doc, const rv **ret,
                       const char **msg)
{
	struct jsv v = {.a = a, .s = s};
	struct jres res;
	rvec_init(&res.errs, a);
	res.score = 0;
	struct jctx root = {NULL, "(root)", 6};
	int r = rec(&v, s->root, doc, &res, &root);
	if (r == -ELOOP && msg)
		*msg = v.msg;
	if (r < 0)
		return r;
	const rv *arr = rvec_to_arr(&res.errs);
	if (arr == NULL)
		return -ENOMEM;
	*ret = arr;
	return 0;
}
