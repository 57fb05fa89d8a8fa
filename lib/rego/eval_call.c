/* Calls: builtins, user functions, host functions, print and string
 * templates (eval.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "convert.h"
#include "eval_int.h"

static size_t declared_arity(const ast_term *t)
{
	switch (t->u.call.target_kind) {
	case CALL_BUILTIN:
		return ((const struct rbi *)t->u.call.target)->arity;
	case CALL_FUNC:
		return ((const rgroup *)t->u.call.target)->nargs;
	case CALL_HOST:
		return ((const struct rhostfn *)t->u.call.target)->arity;
	default:
		return SIZE_MAX;
	}
}

bool call_has_output(const ast_term *t)
{
	return t->kind == AT_CALL && t->u.call.target_kind != CALL_PRINT &&
	       t->u.call.nargs == declared_arity(t) + 1;
}

/* ---- delivering results ---- */

struct kdeliver {
	kont k;
	const ast_term *call;
	bool out; /* match the result against the output argument */
	kont *next;
};

static int deliver_k(struct ev *ev, kont *k, const rv *v)
{
	struct kdeliver *kd = (struct kdeliver *)k;
	if (kd->out)
		return eval_match(ev, kd->call->u.call.args[kd->call->u.call.nargs - 1], v, kd->next);
	return kcall(ev, kd->next, v);
}

/* ---- builtins ---- */

static int builtin_failed(struct ev *ev, const ast_term *call, int rc)
{
	cc_error *e = ev->cx.err;
	ev->cx.err = NULL;
	const char *kind = cc_error_kind(e);
	/* Limits are never a builtin's error to swallow (non-strict mode),
	 * nor is OPA's eval_internal_error ("unsupported built-in"), which
	 * OPA raises outside its builtin error handling. */
	bool fatal = rc == -ENOMEM || rc == -E2BIG || (kind && (strcmp(kind, "eval_memory_limit_error") == 0 ||
	                                        strcmp(kind, "eval_cancel_error") == 0 ||
	                                        strcmp(kind, "eval_internal_error") == 0));
	if (fatal || ev->o->strict) {
		int code = ev_errf(ev, rc, kind ? kind : "eval_builtin_error", call->loc, "%s",
		                   cc_error_message(e));
		cc_error_free(e);
		return code;
	}
	cc_error_free(e);
	return 0; /* non-strict: the call is undefined */
}

struct kemit {
	struct ev *ev;
	kont *next;
};

static int emit_rel(rctx *cx, const rv *out, void *arg)
{
	(void)cx;
	struct kemit *ke = arg;
	return kcall(ke->ev, ke->next, out);
}

static int call_builtin(struct ev *ev, const struct rbi *b, const ast_term *call,
                        const rv *const *args, kont *k)
{
	const char *saved = ev->cx.fname;
	ev->cx.fname = b->name;
	int rc;
	if (b->flags & RBI_REL) {
		struct kemit ke = {ev, k};
		rc = b->rel(&ev->cx, args, emit_rel, &ke);
		ev->cx.fname = saved;
		if (rc < 0 && ev->cx.err)
			return builtin_failed(ev, call, rc);
		return rc;
	}
	const rv *res = NULL;
	rc = b->fn(&ev->cx, args, &res);
	ev->cx.fname = saved;
	if (rc < 0)
		return builtin_failed(ev, call, rc);
	if (res == NULL)
		return 0;
	return kcall(ev, k, res);
}

/* ---- host functions (JSON in, JSON out) ---- */

static int call_host(struct ev *ev, const struct rhostfn *h, const ast_term *call,
                     const rv *const *args, kont *k)
{
	char **jargs = calloc(h->arity + 1, sizeof(*jargs));
	if (jargs == NULL)
		return ev_oom(ev);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < h->arity; i++) {
		cc_buf b;
		cc_buf_init(&b, CC_REGO_MAX_JSON_BYTES);
		rc = rv_to_json(args[i], &b, false);
		jargs[i] = rc == 0 ? cc_buf_steal(&b, NULL) : NULL;
		if (rc == 0 && jargs[i] == NULL)
			rc = -ENOMEM;
		cc_buf_free(&b);
	}
	char *ret = NULL;
	cc_error *herr = NULL;
	if (rc == 0)
		rc = h->fn(h->ctx, (const char *const *)jargs, h->arity, &ret, &herr);
	for (size_t i = 0; i < h->arity; i++)
		free(jargs[i]);
	free(jargs);
	if (rc < 0) {
		int code = ev_errf(ev, rc, "eval_builtin_error", call->loc, "%s: %s", h->name,
		                   cc_error_message(herr));
		cc_error_free(herr);
		free(ret);
		return ev->o->strict ? code : (cc_error_free(ev->err), ev->err = NULL, 0);
	}
	cc_error_free(herr);
	if (ret == NULL)
		return 0;
	const rv *v;
	cc_error *perr = NULL;
	rc = rv_from_json_text(ev->a, ret, strlen(ret), &v, &perr);
	free(ret);
	if (rc < 0) {
		int code = ev_errf(ev, rc, "eval_builtin_error", call->loc, "%s: bad result: %s",
		                   h->name, cc_error_message(perr));
		cc_error_free(perr);
		return code;
	}
	return kcall(ev, k, v);
}

/* ---- dispatch (with mocks) ---- */

static int dispatch(struct ev *ev, const ast_term *call, const void *target, int kind,
                    const rv *const *args, kont *k, int mockdepth)
{
	for (const struct wmock *m = ev->mocks; m; m = m->next) {
		if (m->target != target)
			continue;
		if (m->repl == NULL)
			return kcall(ev, k, m->value);
		if (mockdepth > 8)
			break;
		/* Inside a replacement no mock applies: it may call the
		 * original (OPA evaluates mocks in the scope they were set). */
		struct wmock *saved = ev->mocks;
		ev->mocks = NULL;
		int r = dispatch(ev, call, m->repl->u.call.target, m->repl->u.call.target_kind, args,
		                 k, mockdepth + 1);
		ev->mocks = saved;
		return r;
	}
	switch (kind) {
	case CALL_BUILTIN:
		return call_builtin(ev, target, call, args, k);
	case CALL_FUNC:
		return eval_func(ev, target, args, call, k);
	case CALL_HOST:
		return call_host(ev, target, call, args, k);
	default:
		return ev_errf(ev, -EINVAL, "eval_internal_error", call->loc, "unsupported built-in");
	}
}

/* ---- argument evaluation ---- */

struct kargs {
	kont k;
	const ast_term *call;
	size_t n; /* inputs to evaluate */
	const rv **vals;
	kont *next; /* the kdeliver continuation */
	const uint32_t *perm; /* evaluation order (NULL = left to right) */
	size_t i;
};

static int args_step(struct ev *ev, const struct kargs *ka, size_t i);

static int arg_k(struct ev *ev, kont *k, const rv *v)
{
	struct kargs *ka = (struct kargs *)k;
	ka->vals[ka->perm ? ka->perm[ka->i] : ka->i] = v;
	return args_step(ev, ka, ka->i + 1);
}

static int args_step(struct ev *ev, const struct kargs *ka, size_t i)
{
	const ast_term *const *args = (const ast_term *const *)ka->call->u.call.args;
	for (; i < ka->n; i++) {
		const rv *v;
		size_t at = ka->perm ? ka->perm[i] : i;
		if (!ev_term_fast(ev, args[at], &v)) {
			if (!ev_single_valued(ev, args[at]))
				break;
			int r = ev_eval_single(ev, args[at], &v);
			if (r < 0)
				return r;
		}
		if (v == NULL)
			return 0;
		ka->vals[at] = v;
	}
	if (i >= ka->n)
		return dispatch(ev, ka->call, ka->call->u.call.target, ka->call->u.call.target_kind,
		                ka->vals, ka->next, 0);
	struct kargs next = *ka;
	next.i = i;
	return eval_term(ev, args[ka->perm ? ka->perm[i] : i], &next.k);
}

static int eval_print(struct ev *ev, const ast_term *t, kont *k);

static int call_common(struct ev *ev, const ast_term *t, bool out, kont *k)
{
	if (t->u.call.target_kind == CALL_PRINT)
		return eval_print(ev, t, k);
	size_t n = t->u.call.nargs - (out ? 1 : 0);
	const rv **vals = rarena_nalloc(ev->a, n + 1, sizeof(*vals));
	if (vals == NULL)
		return ev_oom(ev);
	struct kdeliver kd = {{deliver_k}, t, out, k};
	const uint32_t *perm = NULL;
	int r = ev_eval_order(ev, (const ast_term *const *)t->u.call.args, n, &perm);
	if (r < 0)
		return r;
	struct kargs ka = {{arg_k}, t, n, vals, &kd.k, perm, 0};
	return args_step(ev, &ka, 0);
}

int eval_call(struct ev *ev, const ast_term *t, kont *k)
{
	return call_common(ev, t, false, k);
}

int eval_call_out(struct ev *ev, const ast_term *t, kont *k)
{
	return call_common(ev, t, true, k);
}

/* ---- print ---- */

struct kcollect {
	kont k;
	rvec out;
};

static int collect_k(struct ev *ev, kont *k, const rv *v)
{
	struct kcollect *kc = (struct kcollect *)k;
	return rvec_push(&kc->out, v) < 0 ? ev_oom(ev) : 0;
}

/* All values of t, as a set (OPA rewrites each print operand into a set
 * comprehension). */
static int collect_set(struct ev *ev, const ast_term *t, const rv **out)
{
	struct kcollect kc = {{collect_k}, {0}};
	rvec_init(&kc.out, ev->a);
	int rc = eval_term(ev, t, &kc.k);
	if (rc < 0)
		return rc;
	*out = rvec_to_set(&kc.out);
	return *out ? 0 : ev_oom(ev);
}

static int term_of_expr(struct ev *ev, const ast_expr *e, kont *k)
{
	return eval_term(ev, e->a, k);
}

/* All values of an expression's term under the expression's `with`s. */
static int collect_expr_set(struct ev *ev, const ast_expr *e, const rv **out)
{
	struct kcollect kc = {{collect_k}, {0}};
	rvec_init(&kc.out, ev->a);
	int rc = eval_with(ev, e, &kc.k, term_of_expr);
	if (rc < 0)
		return rc;
	*out = rvec_to_set(&kc.out);
	return *out ? 0 : ev_oom(ev);
}

static int fmt_operand(const rv *v, cc_buf *b)
{
	if (v->t == RV_STR)
		return cc_buf_add(b, v->u.s.p, v->u.s.n);
	return rv_to_rego(v, b);
}

/* Print output is bounded (CC_REGO_MAX_PRINT_BYTES per evaluation): going
 * over it stops the evaluation, as every other limit does. */
static int print_failed(struct ev *ev, const ast_term *t, int rc)
{
	if (rc == -E2BIG)
		return ev_errf(ev, -E2BIG, "eval_cancel_error", t->loc,
		               "print output limit exceeded (%u bytes)", CC_REGO_MAX_PRINT_BYTES);
	if (rc == -ENOMEM)
		return ev_oom(ev);
	return rc;
}

static int print_lines(struct ev *ev, const ast_term *t, const rv *const *sets, size_t i,
                       cc_buf *line)
{
	size_t n = t->u.call.nargs;
	if (i >= n) {
		int rc = ev_check(ev, t->loc); /* one step per line printed */
		if (rc < 0 || ev->prints == NULL)
			return rc;
		if (ev->o->print_locations)
			rc = cc_buf_printf(ev->prints, "%s:%u: ", ev->file ? ev->file : "", t->loc.line);
		if (rc == 0)
			rc = cc_buf_add(ev->prints, line->p ? line->p : "", line->len);
		if (rc == 0)
			rc = cc_buf_addc(ev->prints, '\n');
		return rc < 0 ? print_failed(ev, t, rc) : 0;
	}
	size_t mark = line->len;
	int rc = 0;
	if (i > 0)
		rc = cc_buf_addc(line, ' ');
	const rv *s = sets[i];
	if (rc == 0 && s->u.a.n == 0) {
		rc = cc_buf_adds(line, "<undefined>");
		rc = rc < 0 ? print_failed(ev, t, rc) : print_lines(ev, t, sets, i + 1, line);
	}
	for (size_t j = 0; rc == 0 && j < s->u.a.n; j++) {
		size_t m2 = line->len;
		rc = fmt_operand(s->u.a.v[j], line);
		rc = rc < 0 ? print_failed(ev, t, rc) : print_lines(ev, t, sets, i + 1, line);
		line->len = m2;
	}
	if (rc < 0 && ev->err == NULL)
		rc = print_failed(ev, t, rc);
	line->len = mark;
	if (line->p)
		line->p[mark] = '\0';
	return rc;
}

static int eval_print(struct ev *ev, const ast_term *t, kont *k)
{
	size_t n = t->u.call.nargs;
	const rv **sets = rarena_nalloc(ev->a, n + 1, sizeof(*sets));
	if (sets == NULL)
		return ev_oom(ev);
	for (size_t i = 0; i < n; i++) {
		int rc = collect_set(ev, t->u.call.args[i], &sets[i]);
		if (rc < 0)
			return rc;
	}
	cc_buf line;
	cc_buf_init(&line, CC_REGO_MAX_PRINT_BYTES);
	int rc = print_lines(ev, t, sets, 0, &line);
	cc_buf_free(&line);
	if (rc < 0)
		return rc;
	return kcall(ev, k, rv_true());
}

/* ---- string interpolation ---- */

int eval_template(struct ev *ev, const ast_term *t, kont *k)
{
	cc_buf b;
	cc_buf_init(&b, CC_REGO_MAX_PRINT_BYTES);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < t->u.list.n; i++) {
		const ast_term *part = t->u.list.items[i];
		if (part->kind == AT_VALUE && part->u.val->t == RV_STR) {
			rc = cc_buf_add(&b, part->u.val->u.s.p, part->u.val->u.s.n);
			continue;
		}
		const rv *set;
		const ast_expr *pe = t->u.list.exprs ? t->u.list.exprs[i] : NULL;
		if (pe && pe->nwiths)
			rc = collect_expr_set(ev, pe, &set);
		else
			rc = collect_set(ev, part, &set);
		if (rc < 0)
			break;
		if (set->u.a.n == 0)
			rc = cc_buf_adds(&b, "<undefined>");
		else if (set->u.a.n > 1)
			rc = ev_errf(ev, -EINVAL, "eval_conflict_error", part->loc,
			             "template-strings must not produce multiple outputs");
		else
			rc = fmt_operand(set->u.a.v[0], &b);
	}
	if (rc < 0) {
		cc_buf_free(&b);
		return ev->err ? rc : ev_oom(ev);
	}
	const rv *s = rv_str(ev->a, b.p ? b.p : "", b.len);
	cc_buf_free(&b);
	if (s == NULL)
		return ev_oom(ev);
	return kcall(ev, k, s);
}
