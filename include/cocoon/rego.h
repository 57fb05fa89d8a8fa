/* libcocoon-rego: a Rego (OPA policy language) engine in C.
 *
 * One engine holds policies (Rego modules), a base data document, an input
 * document and host functions, and evaluates queries against them. It is
 * not thread-safe: use one engine per thread. Errors follow
 * cocoon/error.h; error kinds are OPA's codes (rego_parse_error,
 * rego_compile_error, rego_unsafe_var_error, rego_recursion_error,
 * rego_type_error, eval_conflict_error, eval_type_error,
 * eval_builtin_error, eval_cancel_error for limits).
 *
 *   rego_engine *e = rego_engine_new(NULL);
 *   rego_engine_add_policy(e, "p.rego", src, len, &err);
 *   rego_engine_set_input_json(e, json, jlen, &err);
 *   const rego_result *res;
 *   rego_engine_eval(e, "data.p.allow", &res, &err);
 *   char *v = rego_result_value_json(res, 0, 0);   // "true"
 */
#ifndef COCOON_REGO_H
#define COCOON_REGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

typedef struct rego_engine rego_engine;
typedef struct rego_result rego_result;

/* When a rule whose value is a constant (`allow if {...}`) may stop
 * enumerating solutions after its first success. */
enum rego_early_exit {
	REGO_EARLY_EXIT_OFF = 0,  /* every solution of every body (--disable-early-exit) */
	REGO_EARLY_EXIT_BODY = 1, /* each body stops at its first success, every body runs
	                           * (regorus, hence the Kata agent's recorded prints) */
	REGO_EARLY_EXIT_RULE = 2, /* the first success ends the whole rule (OPA's default) */
};

/* What an evaluation records in its trace (rego_engine_trace), as opa
 * eval --explain: nothing, the expressions that failed, or every rule
 * entered, expression evaluated, expression failed and rule exited. */
enum rego_explain {
	REGO_EXPLAIN_OFF = 0,
	REGO_EXPLAIN_FAILS = 1,
	REGO_EXPLAIN_FULL = 2,
};

struct rego_options {
	bool v0;                    /* parse modules as Rego v0 (opa --v0-compatible) */
	bool strict_builtin_errors; /* builtin errors abort evaluation */
	enum rego_early_exit early_exit; /* default REGO_EARLY_EXIT_RULE */
	bool print_locations;       /* prefix print lines with "file:line: " (regorus gather_prints) */
	uint64_t max_steps;         /* evaluation steps per query */
	size_t max_memory;          /* bytes an evaluation may allocate */
	uint32_t max_depth;         /* nested rule/function evaluations */
	size_t max_stack;           /* C stack bytes an evaluation may use */
	size_t max_policy_bytes;    /* per module */
	enum rego_explain explain;  /* trace of each evaluation; default off */
};

/* Fills o with the defaults from cocoon/limits.h (v1, non-strict, early
 * exit on, no print locations). */
void rego_options_default(struct rego_options *o);

/* New engine with options o (NULL = defaults). NULL on OOM. */
rego_engine *rego_engine_new(const struct rego_options *o);
/* Frees the engine and every result it returned. NULL is a no-op. */
void rego_engine_free(rego_engine *e);

/* Adds a module; `name` names it in errors and print locations. The
 * source is parsed at once (parse errors are reported here); compile
 * errors are reported by rego_engine_compile() or the next eval. */
int rego_engine_add_policy(rego_engine *e, const char *name, const char *src, size_t len,
                           cc_error **err);
/* Removes every module (Kata's SetPolicy replaces the whole policy). */
void rego_engine_clear_policies(rego_engine *e);
/* Compiles the modules added so far. */
int rego_engine_compile(rego_engine *e, cc_error **err);

/* Merges a JSON object into the base data document (objects merge
 * recursively; a conflicting non-object value is an error and leaves the
 * document unchanged). */
int rego_engine_add_data_json(rego_engine *e, const char *json, size_t len, cc_error **err);
/* Replaces the base data document with a JSON object. */
int rego_engine_set_data_json(rego_engine *e, const char *json, size_t len, cc_error **err);
/* Applies an RFC 6902 JSON Patch (a JSON array of operations) to the base
 * data document, as the Kata agent does with a policy's `ops`. On error
 * the document is unchanged. */
int rego_engine_patch_data_json(rego_engine *e, const char *ops, size_t len, cc_error **err);
/* Returns the base data document as JSON (caller frees). NULL on OOM. */
char *rego_engine_data_json(rego_engine *e);

/* Sets the input document (any JSON value). */
int rego_engine_set_input_json(rego_engine *e, const char *json, size_t len, cc_error **err);
/* Makes input undefined. */
void rego_engine_clear_input(rego_engine *e);

/* Host function: receives its arguments as JSON texts and returns its
 * result as a newly allocated JSON text in *ret_json (the engine frees it;
 * NULL = undefined). Returns 0 or a negative code with *err set. */
typedef int (*rego_host_fn)(void *ctx, const char *const *args_json, size_t nargs,
                            char **ret_json, cc_error **err);
/* Registers `name` (e.g. "query_reference_value") with a fixed arity.
 * Must happen before the policies that call it are compiled. */
int rego_engine_register_function(rego_engine *e, const char *name, size_t arity,
                                  rego_host_fn fn, void *ctx, cc_error **err);

/* Evaluates a query (e.g. "data.agent_policy.CreateContainerRequest" or
 * "x := data.p.q[_]"). *ret points to a result owned by the engine, valid
 * until the next evaluation, a change of the policies or host functions,
 * or rego_engine_free(). Compiled queries are cached per engine. */
int rego_engine_eval(rego_engine *e, const char *query, const rego_result **ret, cc_error **err);

/* Print output of the last evaluation, one line per print call
 * (NUL-terminated; *len may be NULL). */
const char *rego_engine_prints(const rego_engine *e, size_t *len);
/* The trace of the last evaluation (options.explain), one event per line:
 * "<file>:<line>  | | <Op> <expression or rule>", Op one of Enter, Eval,
 * Fail, Exit; bounded by CC_REGO_MAX_TRACE_BYTES (then "... trace
 * truncated"). "" when explain is off. *len (if len) gets the length. */
const char *rego_engine_trace(const rego_engine *e, size_t *len);
/* Changes options.explain for the next evaluations (e.g. to re-run a
 * denied request with a trace). */
void rego_engine_set_explain(rego_engine *e, enum rego_explain mode);

/* Results: rows (solutions), each with one value per query expression
 * and the bindings of the query's variables. */
size_t rego_result_rows(const rego_result *r);
size_t rego_result_exprs(const rego_result *r);
/* JSON text of expression `expr` of row `row` (caller frees), NULL if out
 * of range or OOM. */
char *rego_result_value_json(const rego_result *r, size_t row, size_t expr);
/* JSON text of the binding of var `name` in row `row` (caller frees). */
char *rego_result_binding_json(const rego_result *r, size_t row, const char *name);
/* Formats a Rego module as `opa fmt` does (OPA v1 canonical style,
 * comments kept). name labels errors; v0: the source is Rego v0 (not
 * supported yet: -ENOTSUP). On success *ret (NUL-terminated, free()) holds
 * *ret_len bytes. A parse error is OPA's rego_parse_error; a construct the
 * formatter cannot lay out exactly as opa fmt is -ENOTSUP. */
int rego_format(const char *name, const char *src, size_t len, bool v0, char **ret,
                size_t *ret_len, cc_error **err);

/* true if the query has exactly one row whose single expression is the
 * boolean true (how the KBS reads data.policy.allow). */
bool rego_result_is_true(const rego_result *r);

#endif
