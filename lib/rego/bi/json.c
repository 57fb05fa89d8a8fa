/* Builtins: json.* and yaml.* (OPA v1/topdown/encoding.go, json.go). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../convert.h"
#include "../jsonpatch.h"
#include "../rctx.h"
#include "cocoon/limits.h"

/* ---- output strings ---- */

static void out_init(rctx *cx, cc_buf *b)
{
	size_t lim = rarena_limit(rctx_arena(cx));
	cc_buf_init(b, lim ? lim : CC_REGO_MAX_EVAL_MEMORY);
}

/* Turns buffer b (after a producer returned r) into the string result. */
static int out_finish(rctx *cx, cc_buf *b, int r, const rv **ret)
{
	if (r == 0) {
		*ret = rv_str(rctx_arena(cx), b->p ? b->p : "", b->len);
		r = *ret ? 0 : rbi_oom(cx);
	} else if (r == -ELOOP) {
		r = rbi_limit(cx, "value nested too deeply");
	} else {
		r = rbi_oom(cx);
	}
	cc_buf_free(b);
	return r;
}

/* Converts a conversion error into OPA's builtin error (or OOM). */
static int conv_err(rctx *cx, int r, cc_error *e)
{
	if (r == -ENOMEM)
		r = rbi_oom(cx);
	else
		r = rbi_err(cx, "%s", cc_error_message(e));
	cc_error_free(e);
	return r;
}

/* ---- json.marshal, json.marshal_with_options ---- */

static int bi_json_marshal(rctx *cx, const rv *const *args, const rv **ret)
{
	cc_buf b;
	out_init(cx, &b);
	return out_finish(cx, &b, rv_to_go_json(args[0], &b, "", NULL), ret);
}

struct marshal_opts {
	const char *prefix;
	const char *indent;
	bool pretty;
};

static bool key_is(const rv *k, const char *s)
{
	size_t n = strlen(s);
	return k->u.s.n == n && memcmp(k->u.s.p, s, n) == 0;
}

/* OPA's option checks, in key order; all failures are operand errors. */
static int marshal_opt(rctx *cx, const rv *k, const rv *v, size_t idx, struct marshal_opts *o,
                       bool *implicit, bool *explicit_pretty)
{
	cc_buf kb;
	cc_buf_init(&kb, 0);
	int r = 0;
	if (k->t != RV_STR) {
		r = rv_to_rego(k, &kb);
		r = r < 0 ? rbi_oom(cx)
		          : rbi_type_errf(cx, "operand 2 failed to stringify key %s at index %zu: operand %zu must be string but got %s",
		                          kb.p, idx, idx, rv_type_name(k));
	} else if (key_is(k, "prefix") || key_is(k, "indent")) {
		bool is_prefix = key_is(k, "prefix");
		if (v->t != RV_STR)
			r = rbi_type_errf(cx, "operand 2 key \"%s\" failed cast to string: operand %zu must be string but got %s",
			                  is_prefix ? "prefix" : "indent", idx, rv_type_name(v));
		else if (is_prefix)
			o->prefix = v->u.s.p;
		else
			o->indent = v->u.s.p;
		*implicit = true;
	} else if (key_is(k, "pretty")) {
		*explicit_pretty = true;
		if (v->t != RV_BOOL)
			r = rbi_type_errf(cx, "operand 2 key \"pretty\" failed cast to bool");
		else
			o->pretty = v->u.b;
	} else {
		r = rv_to_rego(k, &kb);
		r = r < 0 ? rbi_oom(cx) : rbi_type_errf(cx, "operand 2 object contained unknown key %s", kb.p);
	}
	cc_buf_free(&kb);
	return r;
}

static int bi_json_marshal_with_options(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *opts = args[1];
	if (opts->t != RV_OBJ)
		return rbi_type_err(cx, 2, RT_OBJ, opts);
	struct marshal_opts o = {"", "\t", false};
	bool implicit = false, explicit_pretty = false;
	for (size_t i = 0; i < opts->u.o.n; i++) {
		int r = marshal_opt(cx, opts->u.o.k[i], opts->u.o.v[i], i, &o, &implicit,
		                    &explicit_pretty);
		if (r < 0)
			return r;
	}
	if (!explicit_pretty)
		o.pretty = implicit;
	cc_buf b;
	out_init(cx, &b);
	if (!o.pretty)
		return out_finish(cx, &b, rv_to_go_json(args[0], &b, "", NULL), ret);
	int r = cc_buf_adds(&b, o.prefix); /* MarshalIndent leaves the first line bare */
	if (r == 0)
		r = rv_to_go_json(args[0], &b, o.prefix, o.indent);
	return out_finish(cx, &b, r, ret);
}

/* ---- json.unmarshal, json.is_valid ---- */

static int bi_json_unmarshal(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	cc_error *e = NULL;
	r = rv_from_json_text(rctx_arena(cx), s, n, ret, &e);
	return r < 0 ? conv_err(cx, r, e) : 0;
}

static int bi_json_is_valid(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	*ret = rv_bool(args[0]->t == RV_STR && rv_json_valid(args[0]->u.s.p, args[0]->u.s.n));
	return 0;
}

/* ---- json.filter, json.remove ----
 * The paths become sorted arrays of segments. Paths sharing their first d
 * segments are adjacent, so each level of OPA's "paths to object" tree is
 * a range of the sorted list; a key whose group holds a path ending at
 * that key is a leaf (everything below it is selected or removed). */

struct jpaths {
	const rv **p;
	size_t n;
};

static int cmp_rvp(const void *a, const void *b)
{
	return rv_cmp(*(const rv *const *)a, *(const rv *const *)b);
}

static int collect_paths(rctx *cx, const rv *arg, struct jpaths *out)
{
	if (arg->t != RV_ARR && arg->t != RV_SET)
		return rbi_type_errf(cx, "operand 2 must be one of {set, array} but got %s",
		                     rv_type_name(arg));
	rarena *a = rctx_arena(cx);
	out->p = rarena_nalloc(a, arg->u.a.n ? arg->u.a.n : 1, sizeof(*out->p));
	if (out->p == NULL)
		return rbi_oom(cx);
	out->n = 0;
	for (size_t i = 0; i < arg->u.a.n; i++) {
		const rv *segs;
		int r = rv_json_path(a, arg->u.a.v[i], &segs);
		if (r == -ENOMEM)
			return rbi_oom(cx);
		if (r < 0)
			return rbi_type_errf(cx, "operand 2 must be one of {set, array} containing string paths or array of path segments but got %s",
			                     rv_type_name(arg->u.a.v[i]));
		if (segs->u.a.n > 0) /* empty paths select nothing */
			out->p[out->n++] = segs;
	}
	qsort(out->p, out->n, sizeof(*out->p), cmp_rvp);
	return 0;
}

/* Range of paths in [lo,hi) whose segment d equals key. *leaf: one of them
 * ends there. */
static bool group_find(const struct jpaths *ps, size_t lo, size_t hi, size_t d, const rv *key,
                       size_t *glo, size_t *ghi, bool *leaf)
{
	size_t l = lo, h = hi;
	while (l < h) {
		size_t m = l + (h - l) / 2;
		if (rv_cmp(ps->p[m]->u.a.v[d], key) < 0)
			l = m + 1;
		else
			h = m;
	}
	if (l == hi || rv_cmp(ps->p[l]->u.a.v[d], key) != 0)
		return false;
	size_t e = l, eh = hi;
	while (e < eh) {
		size_t m = e + (eh - e) / 2;
		if (rv_cmp(ps->p[m]->u.a.v[d], key) <= 0)
			e = m + 1;
		else
			eh = m;
	}
	*glo = l;
	*ghi = e;
	*leaf = ps->p[l]->u.a.n == d + 1;
	return true;
}

enum jsel { JSEL_FILTER, JSEL_REMOVE };

struct jwalk {
	rctx *cx;
	const struct jpaths *ps;
	enum jsel mode;
};

/* Child selection: returns the child's new value, or NULL (dropped). */
static int jw_node(struct jwalk *w, const rv *v, size_t lo, size_t hi, size_t d, const rv **out);

static int jw_child(struct jwalk *w, const rv *key, const rv *child, size_t lo, size_t hi,
                    size_t d, const rv **out)
{
	size_t glo, ghi;
	bool leaf;
	if (!group_find(w->ps, lo, hi, d, key, &glo, &ghi, &leaf)) {
		*out = w->mode == JSEL_FILTER ? NULL : child;
		return 0;
	}
	if (leaf) {
		*out = w->mode == JSEL_FILTER ? child : NULL;
		return 0;
	}
	return jw_node(w, child, glo, ghi, d + 1, out);
}

static int jw_node(struct jwalk *w, const rv *v, size_t lo, size_t hi, size_t d, const rv **out)
{
	rarena *a = rctx_arena(w->cx);
	rvec ks, vs;
	rvec_init(&ks, a);
	rvec_init(&vs, a);
	int r = 0;
	switch (v->t) {
	case RV_ARR:
		for (size_t i = 0; r == 0 && i < v->u.a.n; i++) {
			char buf[24];
			int kn = snprintf(buf, sizeof(buf), "%zu", i);
			rv key = {.t = RV_STR, .u.s = {buf, (size_t)kn}};
			const rv *c;
			r = jw_child(w, &key, v->u.a.v[i], lo, hi, d, &c);
			if (r == 0 && c && rvec_push(&vs, c) < 0)
				r = rbi_oom(w->cx);
		}
		*out = r == 0 ? rvec_to_arr(&vs) : NULL;
		break;
	case RV_SET:
		for (size_t i = 0; r == 0 && i < v->u.a.n; i++) {
			const rv *c;
			r = jw_child(w, v->u.a.v[i], v->u.a.v[i], lo, hi, d, &c);
			if (r == 0 && c && rvec_push(&vs, c) < 0)
				r = rbi_oom(w->cx);
		}
		*out = r == 0 ? rvec_to_set(&vs) : NULL;
		break;
	case RV_OBJ:
		for (size_t i = 0; r == 0 && i < v->u.o.n; i++) {
			const rv *c;
			r = jw_child(w, v->u.o.k[i], v->u.o.v[i], lo, hi, d, &c);
			if (r == 0 && c && (rvec_push(&ks, v->u.o.k[i]) < 0 || rvec_push(&vs, c) < 0))
				r = rbi_oom(w->cx);
		}
		*out = r == 0 ? rv_obj(a, ks.v, vs.v, ks.n, NULL) : NULL;
		break;
	default:
		*out = v;
		return 0;
	}
	return r < 0 ? r : *out ? 0 : rbi_oom(w->cx);
}

static int json_select(rctx *cx, const rv *const *args, enum jsel mode, const rv **ret)
{
	if (args[0]->t != RV_OBJ)
		return rbi_type_err(cx, 1, RT_OBJ, args[0]);
	struct jpaths ps;
	int r = collect_paths(cx, args[1], &ps);
	if (r < 0)
		return r;
	struct jwalk w = {cx, &ps, mode};
	return jw_node(&w, args[0], 0, ps.n, 0, ret);
}

static int bi_json_filter(rctx *cx, const rv *const *args, const rv **ret)
{
	return json_select(cx, args, JSEL_FILTER, ret);
}

static int bi_json_remove(rctx *cx, const rv *const *args, const rv **ret)
{
	return json_select(cx, args, JSEL_REMOVE, ret);
}

/* ---- json.patch ---- */

static int bi_json_patch(rctx *cx, const rv *const *args, const rv **ret)
{
	if (args[1]->t != RV_ARR)
		return rbi_type_err(cx, 2, RT_ARR, args[1]);
	cc_error *e = NULL;
	int r = rv_json_patch(rctx_arena(cx), args[0], args[1], ret, &e);
	cc_error_free(e);
	if (r == -ENOMEM)
		return rbi_oom(cx);
	if (r < 0)
		*ret = NULL; /* OPA: any failing operation makes the result undefined */
	return 0;
}

/* ---- yaml.* ---- */

static int bi_yaml_marshal(rctx *cx, const rv *const *args, const rv **ret)
{
	cc_buf b;
	out_init(cx, &b);
	return out_finish(cx, &b, rv_to_yaml(args[0], &b), ret);
}

static int bi_yaml_unmarshal(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	cc_error *e = NULL;
	r = rv_from_yaml_text(rctx_arena(cx), s, n, ret, &e);
	return r < 0 ? conv_err(cx, r, e) : 0;
}

static int bi_yaml_is_valid(rctx *cx, const rv *const *args, const rv **ret)
{
	if (args[0]->t != RV_STR) {
		*ret = rv_false();
		return 0;
	}
	const rv *v;
	cc_error *e = NULL;
	int r = rv_from_yaml_text(rctx_arena(cx), args[0]->u.s.p, args[0]->u.s.n, &v, &e);
	cc_error_free(e);
	if (r == -ENOMEM)
		return rbi_oom(cx);
	*ret = rv_bool(r == 0);
	return 0;
}

const struct rbi rbi_group_json[] = {
    {"json.marshal", 1, bi_json_marshal, NULL, 0, {RT_ANY}, RT_STR},
    {"json.marshal_with_options", 2, bi_json_marshal_with_options, NULL, 0, {RT_ANY, RT_OBJ}, RT_STR},
    {"json.unmarshal", 1, bi_json_unmarshal, NULL, 0, {RT_STR}, RT_ANY},
    {"json.is_valid", 1, bi_json_is_valid, NULL, 0, {RT_STR}, RT_BOOL},
    {"json.filter", 2, bi_json_filter, NULL, 0, {RT_OBJ, RT_ARR | RT_SET}, RT_ANY},
    {"json.remove", 2, bi_json_remove, NULL, 0, {RT_OBJ, RT_ARR | RT_SET}, RT_ANY},
    {"json.patch", 2, bi_json_patch, NULL, 0, {RT_ANY, RT_ARR}, RT_ANY},
    {"yaml.marshal", 1, bi_yaml_marshal, NULL, 0, {RT_ANY}, RT_STR},
    {"yaml.unmarshal", 1, bi_yaml_unmarshal, NULL, 0, {RT_STR}, RT_ANY},
    {"yaml.is_valid", 1, bi_yaml_is_valid, NULL, 0, {RT_STR}, RT_BOOL},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
