/* The Rego engine: policies, documents, compiled queries, results
 * (cocoon/rego.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/clocale.h"
#include "cocoon/limits.h"
#include "convert.h"
#include "engine_int.h"
#include "eval.h"
#include "jsonpatch.h"
#include "parser.h"

#define QCACHE_MAX CC_REGO_QUERY_CACHE

struct policy_src {
	char *name;
	char *src;
	size_t len;
};

struct qcache_entry {
	char *text;
	ast_body *body;
	const char **names;
	size_t nexprs;
	ast_loc *locs;
};

struct rego_engine {
	struct rego_options o;
	struct policy_src *srcs;
	size_t nsrcs, capsrcs;
	rarena *parena;        /* parsed modules, compiled program, query cache */
	ast_module **mods;
	size_t nmods, capmods;
	bool compiled;
	bool need_reparse;     /* modules were compiled and then more were added */
	rprog prog;
	struct rhostfn *hostfns;
	size_t nhostfns;
	struct qcache_entry qc[QCACHE_MAX];
	size_t nqc;
	size_t nqfailed;       /* queries that failed to parse or compile (their
	                        * allocations stay in parena until a reset) */
	rarena *darena;        /* base data document */
	const rv *data;
	rarena *iarena;        /* input document */
	rarena *ispare;        /* the next input is parsed here, then swapped */
	const rv *input;
	rarena *earena;        /* evaluation (reset per query) */
	struct rstate st;      /* builtin caches (compiled regexes) */
	cc_buf prints;
	cc_buf trace; /* --explain events of the last evaluation */
	rego_result result;
};

void rego_options_default(struct rego_options *o)
{
	memset(o, 0, sizeof(*o));
	o->early_exit = REGO_EARLY_EXIT_RULE;
	o->max_steps = CC_REGO_MAX_STEPS;
	o->max_memory = CC_REGO_MAX_EVAL_MEMORY;
	o->max_depth = CC_REGO_MAX_EVAL_DEPTH;
	o->max_stack = CC_REGO_MAX_STACK_BYTES;
	o->max_policy_bytes = CC_REGO_MAX_POLICY_BYTES;
}

rego_engine *rego_engine_new(const struct rego_options *o)
{
	rego_engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	if (o)
		e->o = *o;
	else
		rego_options_default(&e->o);
	e->parena = rarena_new(0);
	e->darena = rarena_new(0);
	e->iarena = rarena_new(0);
	e->earena = rarena_new(e->o.max_memory);
	if (!e->parena || !e->darena || !e->iarena || !e->earena) {
		rego_engine_free(e);
		return NULL;
	}
	e->data = rv_empty_obj();
	cc_buf_init(&e->prints, CC_REGO_MAX_PRINT_BYTES);
	cc_buf_init(&e->trace, CC_REGO_MAX_TRACE_BYTES);
	return e;
}

static void qcache_clear(rego_engine *e)
{
	for (size_t i = 0; i < e->nqc; i++)
		free(e->qc[i].text);
	e->nqc = 0;
}

void rego_engine_free(rego_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nsrcs; i++) {
		free(e->srcs[i].name);
		free(e->srcs[i].src);
	}
	free(e->srcs);
	free(e->mods);
	for (size_t i = 0; i < e->nhostfns; i++)
		free((char *)e->hostfns[i].name);
	free(e->hostfns);
	qcache_clear(e);
	rstate_fini(&e->st);
	rarena_free(e->parena);
	rarena_free(e->darena);
	rarena_free(e->iarena);
	rarena_free(e->ispare);
	rarena_free(e->earena);
	cc_buf_free(&e->prints);
	cc_buf_free(&e->trace);
	free(e);
}

/* ---- policies ---- */

/* OPA ends a parse error with the source line and a caret under the
 * error's column (ParserErrorDetail.Lines: the line without its leading
 * tabs, then spaces up to the byte index): adds them to a parse error the
 * parser has just set in *err (fresh: it was NULL before the parse). A
 * query has no file in OPA's errors (row:col); its AST keeps the name
 * "query" for traces, as OPA's explain output prints it. */
static void parse_detail(cc_error **err, bool fresh, const char *src, size_t len, bool query)
{
	if (err == NULL || *err == NULL || !fresh || cc_error_kind(*err) == NULL ||
	    strcmp(cc_error_kind(*err), "rego_parse_error") != 0)
		return;
	int line = cc_error_line(*err), col = cc_error_col(*err);
	const char *msg = cc_error_message(*err);
	if (line <= 0 || col <= 0 || len == 0 || strchr(msg, '\n') != NULL)
		return;
	/* the error's byte offset, as newParserErrorDetail takes it: at most
	 * the last byte, moved back over white space */
	size_t off = 0;
	for (int l = 1; l < line && off < len; off++)
		if (src[off] == '\n')
			l++;
	off = (size_t)col - 1 < len - off ? off + (size_t)col - 1 : len - 1;
	while (off > 0 && (src[off] == ' ' || (src[off] >= '\t' && src[off] <= '\r')))
		off--;
	size_t begin = off, end = off;
	while (begin > 0 && src[begin] != '\n' && src[begin] != '\r')
		begin--;
	if (src[begin] == '\n' || src[begin] == '\r')
		begin++;
	while (end < len && src[end] != '\n' && src[end] != '\r')
		end++;
	if (begin > end)
		begin = end;
	size_t tabs = 0;
	while (begin + tabs < end && src[begin + tabs] == '\t')
		tabs++;
	size_t idx = off >= begin ? off - begin : 0;
	size_t pad = idx > tabs ? idx - tabs : 0;
	size_t off0 = begin + tabs;
	if (end - off0 > CC_REGO_MAX_LINE_BYTES || pad > CC_REGO_MAX_LINE_BYTES)
		return;
	cc_error *n = NULL;
	cc_error_set_at(&n, cc_error_code(*err), "rego_parse_error", query ? NULL : cc_error_file(*err), line, col,
	                "%s\n\t%.*s\n\t%*s^", msg, (int)(end - off0), src + off0, (int)pad, "");
	if (n != NULL && strcmp(cc_error_message(n), "out of memory") != 0) {
		cc_error_free(*err);
		*err = n;
	} else {
		cc_error_free(n);
	}
}

static int parse_into(rego_engine *e, const struct policy_src *s, ast_module **ret, cc_error **err)
{
	struct rparse_opts po = {.v0 = e->o.v0, .max_bytes = e->o.max_policy_bytes};
	bool fresh = err != NULL && *err == NULL;
	int r = rparse_module(e->parena, s->name, s->src, s->len, &po, ret, err);
	if (r < 0)
		parse_detail(err, fresh, s->src, s->len, false);
	return r;
}

static int mods_push(rego_engine *e, ast_module *m)
{
	if (e->nmods == e->capmods) {
		size_t ncap = e->capmods ? e->capmods * 2 : 8;
		ast_module **nm = realloc(e->mods, ncap * sizeof(*nm));
		if (nm == NULL)
			return -ENOMEM;
		e->mods = nm;
		e->capmods = ncap;
	}
	e->mods[e->nmods++] = m;
	return 0;
}

/* Drops parsed/compiled state; the next compile reparses every source.
 * The last result refers to the compiled query: it is dropped too. */
static void reset_program(rego_engine *e)
{
	qcache_clear(e);
	memset(&e->result, 0, sizeof(e->result));
	e->nqfailed = 0;
	rarena_reset(e->parena);
	e->nmods = 0;
	e->compiled = false;
	memset(&e->prog, 0, sizeof(e->prog));
}

static int add_policy_c(rego_engine *e, const char *name, const char *src, size_t len,
                           cc_error **err)
{
	if (e->nsrcs == e->capsrcs) {
		size_t ncap = e->capsrcs ? e->capsrcs * 2 : 8;
		struct policy_src *ns = realloc(e->srcs, ncap * sizeof(*ns));
		if (ns == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		e->srcs = ns;
		e->capsrcs = ncap;
	}
	struct policy_src s = {strdup(name ? name : "policy.rego"), malloc(len + 1), len};
	if (s.name == NULL || s.src == NULL) {
		free(s.name);
		free(s.src);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (len)
		memcpy(s.src, src, len);
	s.src[len] = '\0';
	if (e->compiled) {
		reset_program(e);
		e->need_reparse = true;
	}
	int r = 0;
	if (!e->need_reparse) {
		ast_module *m;
		r = parse_into(e, &s, &m, err);
		if (r == 0)
			r = mods_push(e, m);
	} else {
		/* Check the syntax now, in a scratch arena. */
		rarena *tmp = rarena_new(0);
		struct rparse_opts po = {.v0 = e->o.v0, .max_bytes = e->o.max_policy_bytes};
		ast_module *m;
		bool fresh = err != NULL && *err == NULL;
		r = tmp ? rparse_module(tmp, s.name, s.src, s.len, &po, &m, err) : -ENOMEM;
		if (r < 0)
			parse_detail(err, fresh, s.src, s.len, false);
		rarena_free(tmp);
	}
	if (r < 0) {
		free(s.name);
		free(s.src);
		return r;
	}
	e->srcs[e->nsrcs++] = s;
	return 0;
}

void rego_engine_clear_policies(rego_engine *e)
{
	for (size_t i = 0; i < e->nsrcs; i++) {
		free(e->srcs[i].name);
		free(e->srcs[i].src);
	}
	e->nsrcs = 0;
	reset_program(e);
	e->need_reparse = false;
}

static int compile_c(rego_engine *e, cc_error **err)
{
	if (e->compiled)
		return 0;
	if (e->need_reparse) {
		reset_program(e);
		for (size_t i = 0; i < e->nsrcs; i++) {
			ast_module *m;
			int r = parse_into(e, &e->srcs[i], &m, err);
			if (r == 0)
				r = mods_push(e, m);
			if (r < 0)
				return r;
		}
		e->need_reparse = false;
	}
	int r = rcompile(e->parena, e->mods, e->nmods, e->hostfns, e->nhostfns, &e->prog, err);
	if (r < 0) {
		/* The ASTs were partly rewritten: reparse before the next try. */
		reset_program(e);
		e->need_reparse = true;
		return r;
	}
	e->compiled = true;
	return 0;
}

int rego_engine_register_function(rego_engine *e, const char *name, size_t arity,
                                  rego_host_fn fn, void *ctx, cc_error **err)
{
	struct rhostfn *nh = realloc(e->hostfns, (e->nhostfns + 1) * sizeof(*nh));
	if (nh == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	e->hostfns = nh;
	char *n = strdup(name);
	if (n == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	e->hostfns[e->nhostfns++] = (struct rhostfn){n, arity, fn, ctx};
	if (e->compiled) {
		reset_program(e);
		e->need_reparse = true;
	}
	return 0;
}

size_t rego_engine_module_count(const rego_engine *e) { return e->nmods; }

const ast_module *rego_engine_module(const rego_engine *e, size_t i)
{
	return i < e->nmods ? e->mods[i] : NULL;
}

/* ---- documents ---- */

/* Replaces the data document with a deep copy of v in a fresh arena. */
static int data_replace(rego_engine *e, const rv *v, cc_error **err)
{
	rarena *na = rarena_new(0);
	const rv *copy = na ? rv_copy(na, v) : NULL;
	if (copy == NULL) {
		rarena_free(na);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	rarena_free(e->darena);
	e->darena = na;
	e->data = copy;
	return 0;
}

int rego_engine_set_data_value(rego_engine *e, const rv *data, cc_error **err)
{
	if (data->t != RV_OBJ)
		return cc_error_set(err, -EINVAL, "data must be a JSON object, not %s", rv_type_name(data));
	return data_replace(e, data, err);
}

int rego_engine_add_data_value(rego_engine *e, const rv *data, cc_error **err)
{
	if (data->t != RV_OBJ)
		return cc_error_set(err, -EINVAL, "data must be a JSON object, not %s", rv_type_name(data));
	rarena *tmp = rarena_new(0);
	if (tmp == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	bool conflict = false;
	const rv *m = rv_merge(tmp, e->data, data, &conflict);
	int r;
	if (m == NULL)
		r = conflict ? cc_error_set(err, -EINVAL, "data merge error: conflicting values for the same path")
		             : cc_error_set(err, -ENOMEM, "out of memory");
	else
		r = data_replace(e, m, err);
	rarena_free(tmp);
	return r;
}

static int json_to_value(rarena *a, const char *json, size_t len, const char *what,
                         const rv **out, cc_error **err)
{
	int r = rv_from_json_text(a, json, len, out, err);
	if (r < 0)
		cc_error_wrap(err, "%s", what);
	return r;
}

/* Parses a JSON data document into a scratch arena and hands it to apply
 * (which copies what it keeps). */
static int with_json_doc(rego_engine *e, const char *json, size_t len, cc_error **err,
                         int (*apply)(rego_engine *, const rv *, cc_error **))
{
	rarena *tmp = rarena_new(CC_REGO_MAX_JSON_BYTES * 8);
	if (tmp == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const rv *v;
	int r = json_to_value(tmp, json, len, "data", &v, err);
	if (r == 0)
		r = apply(e, v, err);
	rarena_free(tmp);
	return r;
}

static int add_data_json_c(rego_engine *e, const char *json, size_t len, cc_error **err)
{
	return with_json_doc(e, json, len, err, rego_engine_add_data_value);
}

static int set_data_json_c(rego_engine *e, const char *json, size_t len, cc_error **err)
{
	return with_json_doc(e, json, len, err, rego_engine_set_data_value);
}

static int patch_data_json_c(rego_engine *e, const char *ops, size_t len, cc_error **err)
{
	rarena *tmp = rarena_new(CC_REGO_MAX_JSON_BYTES * 8);
	if (tmp == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const rv *v, *patched;
	int r = json_to_value(tmp, ops, len, "patch", &v, err);
	if (r == 0)
		r = rv_json_patch(tmp, e->data, v, &patched, err);
	if (r == 0 && patched->t != RV_OBJ)
		r = cc_error_set(err, -EINVAL, "patch: the data document must stay an object");
	if (r == 0)
		r = data_replace(e, patched, err);
	rarena_free(tmp);
	return r;
}

static char *data_json_c(rego_engine *e)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	if (rv_to_json(e->data, &b, false) < 0) {
		cc_buf_free(&b);
		return NULL;
	}
	return cc_buf_steal(&b, NULL);
}

int rego_engine_set_input_value(rego_engine *e, const rv *input, cc_error **err)
{
	if (input == NULL) {
		rego_engine_clear_input(e);
		return 0;
	}
	rarena *na = rarena_new(0);
	const rv *copy = na ? rv_copy(na, input) : NULL;
	if (copy == NULL) {
		rarena_free(na);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	rarena_free(e->iarena);
	e->iarena = na;
	e->input = copy;
	return 0;
}

static int set_input_json_c(rego_engine *e, const char *json, size_t len, cc_error **err)
{
	/* Parse into the spare arena and swap only on success: a bad document
	 * leaves the previous input in place (docs/errors.md). */
	if (e->ispare == NULL && (e->ispare = rarena_new(0)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	rarena_reset(e->ispare);
	const rv *v;
	int r = json_to_value(e->ispare, json, len, "input", &v, err);
	if (r < 0)
		return r;
	rarena *old = e->iarena;
	e->iarena = e->ispare;
	e->ispare = old;
	e->input = v;
	return 0;
}

void rego_engine_clear_input(rego_engine *e)
{
	rarena_reset(e->iarena);
	e->input = NULL;
}

rarena *rego_engine_eval_arena(rego_engine *e) { return e->earena; }

/* ---- queries ---- */

static int qcache_get(rego_engine *e, const char *query, struct qcache_entry **ret, cc_error **err)
{
	for (size_t i = 0; i < e->nqc; i++) {
		if (strcmp(e->qc[i].text, query) == 0) {
			*ret = &e->qc[i];
			return 0;
		}
	}
	if (e->nqc + e->nqfailed >= QCACHE_MAX) {
		/* Full: compiled queries live in the policy arena, so start over
		 * by recompiling (rare: callers use a handful of queries). */
		reset_program(e);
		e->need_reparse = true;
		int r = rego_engine_compile(e, err);
		if (r < 0)
			return r;
	}
	struct rparse_opts po = {.v0 = e->o.v0, .max_bytes = e->o.max_policy_bytes};
	ast_body *q;
	bool fresh = err != NULL && *err == NULL;
	int r = rparse_query(e->parena, "query", query, strlen(query), &po, &q, err);
	if (r < 0) {
		parse_detail(err, fresh, query, strlen(query), true);
		e->nqfailed++;
		return r;
	}
	ast_loc *locs = rarena_nalloc(e->parena, q->n + 1, sizeof(*locs));
	if (locs == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < q->n; i++) {
		q->exprs[i]->qidx = (uint32_t)(i + 1);
		locs[i] = q->exprs[i]->loc;
	}
	size_t nexprs = q->n;
	const char **names;
	r = rcompile_query(e->parena, &e->prog, q, &names, err);
	if (r < 0) {
		e->nqfailed++;
		return r;
	}
	struct qcache_entry *qe = &e->qc[e->nqc];
	qe->text = strdup(query);
	if (qe->text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	qe->body = q;
	qe->names = names;
	qe->nexprs = nexprs;
	qe->locs = locs;
	e->nqc++;
	*ret = qe;
	return 0;
}

struct rowctx {
	rego_engine *e;
	struct qcache_entry *qe;
};

static int on_row(void *arg, const rv *const *slots, const rv *const *exprvals)
{
	struct rowctx *rc = arg;
	rego_result *res = &rc->e->result;
	rarena *a = rc->e->earena;
	for (size_t i = 0; i < rc->qe->nexprs; i++)
		if (rvec_push(&res->vals, exprvals[i] ? exprvals[i] : rv_true()) < 0)
			return -ENOMEM;
	rvec keys, vals;
	rvec_init(&keys, a);
	rvec_init(&vals, a);
	for (uint32_t i = 0; i < rc->qe->body->nslots; i++) {
		const char *n = rc->qe->names[i];
		if (n == NULL || slots[i] == NULL)
			continue;
		const rv *k = rv_str_ref(a, n, strlen(n));
		if (k == NULL || rvec_push(&keys, k) < 0 || rvec_push(&vals, slots[i]) < 0)
			return -ENOMEM;
	}
	const rv *b = rv_obj(a, keys.v, vals.v, keys.n, NULL);
	if (b == NULL || rvec_push(&res->bindings, b) < 0)
		return -ENOMEM;
	res->nrows++;
	return 0;
}

static int eval_c(rego_engine *e, const char *query, const rego_result **ret, cc_error **err)
{
	rarena_reset(e->earena);
	e->prints.len = 0;
	if (e->prints.p)
		e->prints.p[0] = '\0';
	e->trace.len = 0;
	if (e->trace.p)
		e->trace.p[0] = '\0';
	memset(&e->result, 0, sizeof(e->result));
	int r = rego_engine_compile(e, err);
	struct qcache_entry *qe = NULL;
	if (r == 0)
		r = qcache_get(e, query, &qe, err);
	if (r < 0)
		return r;
	rvec_init(&e->result.vals, e->earena);
	rvec_init(&e->result.bindings, e->earena);
	e->result.nexprs = qe->nexprs;
	e->result.query = qe->body;
	e->result.query_src = qe->text;
	e->result.locs = qe->locs;
	struct reval_opts eo = {
	    .strict = e->o.strict_builtin_errors,
	    .early_exit = e->o.early_exit,
	    .max_steps = e->o.max_steps,
	    .max_depth = e->o.max_depth,
	    .max_stack = e->o.max_stack,
	    .print_locations = e->o.print_locations,
	    .explain = e->o.explain,
	    .trace = e->o.explain != REGO_EXPLAIN_OFF ? &e->trace : NULL,
	};
	struct rowctx rc = {e, qe};
	r = reval_query(&e->prog, e->earena, &e->st, e->data, e->input, qe->body, qe->nexprs, &eo,
	                &e->prints, on_row, &rc, err);
	if (r < 0)
		return r;
	*ret = &e->result;
	return 0;
}

const char *rego_engine_prints(const rego_engine *e, size_t *len)
{
	if (len)
		*len = e->prints.len;
	return e->prints.p ? e->prints.p : "";
}

const char *rego_engine_trace(const rego_engine *e, size_t *len)
{
	if (len)
		*len = e->trace.len;
	return e->trace.p ? e->trace.p : "";
}

void rego_engine_set_explain(rego_engine *e, enum rego_explain mode)
{
	e->o.explain = mode;
}

/* ---- results ---- */

size_t rego_result_rows(const rego_result *r) { return r->nrows; }
size_t rego_result_exprs(const rego_result *r) { return r->nexprs; }

const rv *rego_result_value(const rego_result *r, size_t row, size_t expr)
{
	if (row >= r->nrows || expr >= r->nexprs)
		return NULL;
	return r->vals.v[row * r->nexprs + expr];
}

const rv *rego_result_bindings(const rego_result *r, size_t row)
{
	return row < r->nrows ? r->bindings.v[row] : NULL;
}

static char *to_json(const rv *v)
{
	if (v == NULL)
		return NULL;
	cc_buf b;
	cc_buf_init(&b, 0);
	if (rv_to_json(v, &b, false) < 0) {
		cc_buf_free(&b);
		return NULL;
	}
	return cc_buf_steal(&b, NULL);
}

static char *result_value_json_c(const rego_result *r, size_t row, size_t expr)
{
	return to_json(rego_result_value(r, row, expr));
}

static char *result_binding_json_c(const rego_result *r, size_t row, const char *name)
{
	const rv *b = rego_result_bindings(r, row);
	return b ? to_json(rv_obj_gets(b, name, strlen(name))) : NULL;
}

bool rego_result_is_true(const rego_result *r)
{
	if (r->nrows != 1 || r->nexprs != 1)
		return false;
	const rv *v = rego_result_value(r, 0, 0);
	return v && v->t == RV_BOOL && v->u.b;
}

const ast_loc *rego_result_expr_locs(const rego_result *r, size_t *n)
{
	*n = r->nexprs;
	return r->locs;
}

/* ---- public entry points: numbers parse and print in the C locale
 * (cocoon/clocale.h), whatever locale the embedding program set ---- */

int rego_engine_add_policy(rego_engine *e, const char *name, const char *src, size_t len,
                           cc_error **err)
{
	locale_t old = cc_locale_enter();
	int r = add_policy_c(e, name, src, len, err);
	cc_locale_leave(old);
	return r;
}

int rego_engine_compile(rego_engine *e, cc_error **err)
{
	locale_t old = cc_locale_enter();
	int r = compile_c(e, err);
	cc_locale_leave(old);
	return r;
}

int rego_engine_add_data_json(rego_engine *e, const char *json, size_t len, cc_error **err)
{
	locale_t old = cc_locale_enter();
	int r = add_data_json_c(e, json, len, err);
	cc_locale_leave(old);
	return r;
}

int rego_engine_set_data_json(rego_engine *e, const char *json, size_t len, cc_error **err)
{
	locale_t old = cc_locale_enter();
	int r = set_data_json_c(e, json, len, err);
	cc_locale_leave(old);
	return r;
}

int rego_engine_patch_data_json(rego_engine *e, const char *ops, size_t len, cc_error **err)
{
	locale_t old = cc_locale_enter();
	int r = patch_data_json_c(e, ops, len, err);
	cc_locale_leave(old);
	return r;
}

int rego_engine_set_input_json(rego_engine *e, const char *json, size_t len, cc_error **err)
{
	locale_t old = cc_locale_enter();
	int r = set_input_json_c(e, json, len, err);
	cc_locale_leave(old);
	return r;
}

int rego_engine_eval(rego_engine *e, const char *query, const rego_result **ret, cc_error **err)
{
	locale_t old = cc_locale_enter();
	int r = eval_c(e, query, ret, err);
	cc_locale_leave(old);
	return r;
}

char *rego_engine_data_json(rego_engine *e)
{
	locale_t old = cc_locale_enter();
	char *j = data_json_c(e);
	cc_locale_leave(old);
	return j;
}

char *rego_result_value_json(const rego_result *r, size_t row, size_t expr)
{
	locale_t old = cc_locale_enter();
	char *j = result_value_json_c(r, row, expr);
	cc_locale_leave(old);
	return j;
}

char *rego_result_binding_json(const rego_result *r, size_t row, const char *name)
{
	locale_t old = cc_locale_enter();
	char *j = result_binding_json_c(r, row, name);
	cc_locale_leave(old);
	return j;
}
