/* Builtin function interface (internal to libcocoon-rego).
 *
 * Each builtin group lives in lib/rego/bi/<group>.c and exports one table
 * `const struct rbi rbi_group_<group>[]` terminated by {NULL}. Groups are
 * build options (meson -Drego_builtins=...); lib/rego/bi/registry.c joins the
 * enabled tables. A builtin:
 *   - receives its arguments already evaluated (ground values);
 *   - returns 0 and sets *ret to the result, or *ret = NULL for "undefined"
 *     (OPA builtins that are undefined on some inputs, e.g. object.get misses
 *     are not undefined; only a few are);
 *   - on bad arguments returns rbi_type_err()/rbi_err(), which record an OPA
 *     error (eval_type_error / eval_builtin_error). The evaluator makes the
 *     expression undefined unless strict builtin errors are on, as OPA does.
 *   - allocates results only with rctx_arena(cx): everything dies with the
 *     evaluation, so there is nothing to free;
 *   - must stay bounded: check sizes against CC_REGO_MAX_BUILTIN_ELEMS and
 *     use checked arithmetic.
 */
#ifndef COCOON_REGO_BI_H
#define COCOON_REGO_BI_H

#include <stdarg.h>

#include "value.h"

typedef struct rctx rctx;

typedef int (*rbi_fn)(rctx *cx, const rv *const *args, const rv **ret);

/* Relations (OPA: builtins with several outputs, e.g. walk) call emit for
 * each output; a non-zero return from emit must be returned at once. */
typedef int (*rbi_emit)(rctx *cx, const rv *out, void *arg);
typedef int (*rbi_rel)(rctx *cx, const rv *const *args, rbi_emit emit, void *arg);

enum {
	RBI_NONDET = 1u << 0, /* result may differ between evaluations (time.now_ns, rand.*) */
	RBI_REL = 1u << 1,    /* relation: use .rel, not .fn */
};

/* Type masks for declared argument/result types (compile-time checks and
 * operand type error messages). */
enum {
	RT_NULL = 1u << RV_NULL,
	RT_BOOL = 1u << RV_BOOL,
	RT_NUM = 1u << RV_NUM,
	RT_STR = 1u << RV_STR,
	RT_ARR = 1u << RV_ARR,
	RT_OBJ = 1u << RV_OBJ,
	RT_SET = 1u << RV_SET,
	RT_ANY = 0x7f,
};

#define RBI_MAX_ARGS 6

struct rbi {
	const char *name;  /* "count", "regex.match", "internal.member_2", ... */
	unsigned arity;    /* number of arguments (not counting the output) */
	rbi_fn fn;
	rbi_rel rel;
	unsigned flags;
	/* Declared type of each argument (RT_* mask; 0 = any) and of the
	 * result: used by the compiler's type checks. */
	uint8_t argt[RBI_MAX_ARGS];
	uint8_t rett;
};

/* ---- services the evaluator offers to builtins ---------------------- */

rarena *rctx_arena(rctx *cx);
/* Name of the builtin being called (for messages). */
const char *rctx_fname(rctx *cx);
/* Nanoseconds since the epoch, fixed for one evaluation (OPA's time.now_ns). */
int64_t rctx_now_ns(rctx *cx);
/* Per-evaluation memo for nondeterministic builtins (rand.intn must return
 * the same value for the same arguments within one query). NULL if absent. */
const rv *rctx_memo_get(rctx *cx, const rv *key);
int rctx_memo_put(rctx *cx, const rv *key, const rv *val);
/* Engine-lifetime state for a builtin group (e.g. compiled regex cache),
 * created by new_fn() on first use and freed by free_fn() with the engine.
 * id is a small constant from enum rbi_state_id. NULL on OOM. */
enum rbi_state_id { RBI_STATE_REGEX = 0, RBI_STATE_GLOB, RBI_STATE_MAX };
void *rctx_state(rctx *cx, enum rbi_state_id id, void *(*new_fn)(void),
                 void (*free_fn)(void *));

/* eval_type_error "<fname>: operand <argn> must be <types> but got <type>".
 * argn is 1-based; accepted is an RT_* mask. Returns a negative code. */
int rbi_type_err(rctx *cx, int argn, unsigned accepted, const rv *got);
/* eval_type_error with a free-form message, prefixed with "<fname>: ". */
int rbi_type_errf(rctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* eval_builtin_error "<fname>: <message>". Returns a negative code. */
int rbi_err(rctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A builtin's own cap (result size, integer size, regex match limit):
 * eval_builtin_error "<fname>: <message>" with code -E2BIG, returned.
 * The evaluator never turns it into "undefined", strict or not. */
int rbi_limit(rctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Out of memory / over the evaluation memory limit. */
int rbi_oom(rctx *cx);

/* Argument helpers: check the type of args[i] (0-based index, messages use
 * i+1) and extract it, or return rbi_type_err(). */
int rbi_arg_str(rctx *cx, const rv *const *args, int i, const char **p, size_t *n);
int rbi_arg_num(rctx *cx, const rv *const *args, int i);
/* Integral number that fits int64 (else a builtin error naming the operand). */
int rbi_arg_int(rctx *cx, const rv *const *args, int i, int64_t *out);
int rbi_arg_type(rctx *cx, const rv *const *args, int i, unsigned accepted);

/* Looks up an enabled builtin by name (NULL if unknown). */
const struct rbi *rbi_lookup(const char *name, size_t len);
/* The i-th enabled builtin (in group order), NULL past the last. */
const struct rbi *rbi_at(size_t i);

/* Group tables (defined in lib/rego/bi/<group>.c). */
extern const struct rbi rbi_group_core[];
extern const struct rbi rbi_group_jsonschema[];
extern const struct rbi rbi_group_template[];
extern const struct rbi rbi_group_graphql[];
extern const struct rbi rbi_group_metadata[];
extern const struct rbi rbi_group_runtime[];
extern const struct rbi rbi_group_crypto[];
extern const struct rbi rbi_group_jwt[];
extern const struct rbi rbi_group_strings[];
extern const struct rbi rbi_group_regex[];
extern const struct rbi rbi_group_encoding[];
extern const struct rbi rbi_group_aggregates[];
extern const struct rbi rbi_group_arrays[];
extern const struct rbi rbi_group_sets[];
extern const struct rbi rbi_group_objects[];
extern const struct rbi rbi_group_types[];
extern const struct rbi rbi_group_numbers[];
extern const struct rbi rbi_group_bits[];
extern const struct rbi rbi_group_json[];
extern const struct rbi rbi_group_time[];
extern const struct rbi rbi_group_units[];
extern const struct rbi rbi_group_semver[];
extern const struct rbi rbi_group_glob[];
extern const struct rbi rbi_group_net[];
extern const struct rbi rbi_group_uuid[];
extern const struct rbi rbi_group_graph[];

#endif
