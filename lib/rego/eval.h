/* Top-down Rego evaluator (internal to libcocoon-rego).
 *
 * Continuation-passing over the compiled AST: every generator (a ref with
 * unbound variables, `some ... in`, a relation builtin) calls its
 * continuation once per solution, binding frame slots before and
 * unbinding after. Rule values are computed once per query and cached;
 * function calls are re-evaluated on every call (as regorus does, so
 * `print` in a function fires on every call, which Kata's recorded
 * outputs depend on). All values live in the evaluation arena.
 */
#ifndef COCOON_REGO_EVAL_H
#define COCOON_REGO_EVAL_H

#include "cocoon/rego.h"
#include "compile.h"
#include "rctx.h"

struct reval_opts {
	bool strict;          /* strict builtin errors */
	enum rego_early_exit early_exit;
	uint64_t max_steps;
	uint32_t max_depth;
	size_t max_stack;
	bool print_locations; /* prefix print lines with "file:line: " (regorus gather_prints) */
	size_t max_print;
	enum rego_explain explain;
	cc_buf *trace;        /* where explain events go (NULL: none) */
};

/* Called once per query solution; slots holds the query frame. Return 0
 * to continue, >0 to stop, <0 on error. */
typedef int (*reval_row_fn)(void *arg, const rv *const *slots, const rv *const *exprvals);

/* Evaluates query q (compiled with rcompile_query) against prog with base
 * document data and input (NULL = undefined). nexprs is the number of
 * top-level query expressions (ast_expr.qidx 1..nexprs). Print output
 * goes to prints (may be NULL). Returns 0 or a negative code with err
 * filled (eval_conflict_error, eval_type_error, ...). */
int reval_query(const rprog *prog, rarena *a, struct rstate *st, const rv *data,
                const rv *input, ast_body *q, size_t nexprs,
                const struct reval_opts *opts, cc_buf *prints,
                reval_row_fn row, void *row_arg, cc_error **err);

#endif
