/* Services for builtins: context, errors, argument checks (bi.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../rctx.h"
#include "cocoon/limits.h"

void rctx_init(rctx *cx, rarena *a, struct rstate *st)
{
	memset(cx, 0, sizeof(*cx));
	cx->arena = a;
	cx->st = st;
	rvec_init(&cx->memo_keys, a);
	rvec_init(&cx->memo_vals, a);
}

void rctx_fini(rctx *cx)
{
	cc_error_free(cx->err);
	cx->err = NULL;
}

void rstate_fini(struct rstate *st)
{
	for (int i = 0; i < RBI_STATE_MAX; i++) {
		if (st->slot[i] && st->slot_free[i])
			st->slot_free[i](st->slot[i]);
		st->slot[i] = NULL;
	}
}

rarena *rctx_arena(rctx *cx) { return cx->arena; }

const char *rctx_fname(rctx *cx) { return cx->fname ? cx->fname : "builtin"; }

int64_t rctx_now_ns(rctx *cx)
{
	if (cx->now_ns == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		cx->now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	return cx->now_ns;
}

const rv *rctx_memo_get(rctx *cx, const rv *key)
{
	for (size_t i = 0; i < cx->memo_keys.n; i++)
		if (rv_eq(cx->memo_keys.v[i], key))
			return cx->memo_vals.v[i];
	return NULL;
}

int rctx_memo_put(rctx *cx, const rv *key, const rv *val)
{
	if (rvec_push(&cx->memo_keys, key) < 0)
		return -ENOMEM;
	if (rvec_push(&cx->memo_vals, val) < 0) {
		cx->memo_keys.n--;
		return -ENOMEM;
	}
	return 0;
}

void *rctx_state(rctx *cx, enum rbi_state_id id, void *(*new_fn)(void),
                 void (*free_fn)(void *))
{
	if (cx->st == NULL || id >= RBI_STATE_MAX)
		return NULL;
	if (cx->st->slot[id] == NULL) {
		cx->st->slot[id] = new_fn();
		cx->st->slot_free[id] = free_fn;
	}
	return cx->st->slot[id];
}

__attribute__((format(printf, 4, 0))) static int verr_code(rctx *cx, int code, const char *kind,
                                                            const char *fmt, va_list ap)
{
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	cc_error_free(cx->err);
	cx->err = NULL;
	cc_error_set_at(&cx->err, code, kind, NULL, 0, 0, "%s: %s", rctx_fname(cx),
	                msg ? msg : "out of memory");
	free(msg);
	return code;
}

__attribute__((format(printf, 3, 0))) static int verr(rctx *cx, const char *kind, const char *fmt,
                                                       va_list ap)
{
	return verr_code(cx, -EINVAL, kind, fmt, ap);
}

int rbi_err(rctx *cx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = verr(cx, "eval_builtin_error", fmt, ap);
	va_end(ap);
	return r;
}

int rbi_limit(rctx *cx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = verr_code(cx, -E2BIG, "eval_builtin_error", fmt, ap);
	va_end(ap);
	return r;
}

int rbi_type_errf(rctx *cx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = verr(cx, "eval_type_error", fmt, ap);
	va_end(ap);
	return r;
}

int rbi_oom(rctx *cx)
{
	cc_error_free(cx->err);
	cx->err = NULL;
	if (rarena_failure(cx->arena) == RARENA_DEPTH) {
		cc_error_set_at(&cx->err, -ELOOP, "eval_cancel_error", NULL, 0, 0,
		                "%s: value too large (deeper than %u levels or over %u nodes)",
		                rctx_fname(cx), CC_REGO_MAX_VALUE_DEPTH, CC_REGO_MAX_VALUE_NODES);
		return -ELOOP;
	}
	cc_error_set_at(&cx->err, -ENOMEM, "eval_memory_limit_error", NULL, 0, 0,
	                "%s: evaluation memory limit exceeded", rctx_fname(cx));
	return -ENOMEM;
}

/* OPA prints type sets in this order ("one of {array, object, ...}"). */
static void types_text(unsigned mask, char *out, size_t outn)
{
	static const struct {
		unsigned bit;
		const char *name;
	} order[] = {
	    {RT_ARR, "array"}, {RT_BOOL, "boolean"}, {RT_NULL, "null"}, {RT_NUM, "number"},
	    {RT_OBJ, "object"}, {RT_SET, "set"},     {RT_STR, "string"},
	};
	int count = 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (mask & order[i].bit)
			count++;
	size_t off = 0;
	if (count > 1)
		off += (size_t)snprintf(out + off, outn - off, "one of {");
	int k = 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && off < outn; i++) {
		if (!(mask & order[i].bit))
			continue;
		off += (size_t)snprintf(out + off, outn - off, "%s%s", k++ ? ", " : "", order[i].name);
	}
	if (count > 1 && off < outn)
		snprintf(out + off, outn - off, "}");
}

int rbi_type_err(rctx *cx, int argn, unsigned accepted, const rv *got)
{
	char t[128];
	types_text(accepted, t, sizeof(t));
	return rbi_type_errf(cx, "operand %d must be %s but got %s", argn, t, rv_type_name(got));
}

int rbi_arg_type(rctx *cx, const rv *const *args, int i, unsigned accepted)
{
	if ((1u << args[i]->t) & accepted)
		return 0;
	return rbi_type_err(cx, i + 1, accepted, args[i]);
}

int rbi_arg_str(rctx *cx, const rv *const *args, int i, const char **p, size_t *n)
{
	if (args[i]->t != RV_STR)
		return rbi_type_err(cx, i + 1, RT_STR, args[i]);
	*p = args[i]->u.s.p;
	*n = args[i]->u.s.n;
	return 0;
}

int rbi_arg_num(rctx *cx, const rv *const *args, int i)
{
	return rbi_arg_type(cx, args, i, RT_NUM);
}

int rbi_arg_int(rctx *cx, const rv *const *args, int i, int64_t *out)
{
	int r = rbi_arg_num(cx, args, i);
	if (r < 0)
		return r;
	if (!rv_num_as_i64(args[i], out))
		return rbi_err(cx, "operand %d must be an integer number that fits 64 bits", i + 1);
	return 0;
}
