/* Engine internals for in-tree users (the CLI, the conformance runner,
 * tests, benchmarks) that work with values rather than JSON text. */
#ifndef COCOON_REGO_ENGINE_INT_H
#define COCOON_REGO_ENGINE_INT_H

#include "ast.h"
#include "cocoon/rego.h"
#include "value.h"

struct rego_result {
	size_t nrows;
	size_t nexprs;
	rvec vals;     /* nrows * nexprs expression values */
	rvec bindings; /* one object per row: var name -> value */
	const ast_body *query;
	const char *query_src;
	const ast_loc *locs; /* per query expression, in query order */
};

/* Sets input/data from values (deep-copied into the engine). input NULL
 * makes input undefined. */
int rego_engine_set_input_value(rego_engine *e, const rv *input, cc_error **err);
int rego_engine_set_data_value(rego_engine *e, const rv *data, cc_error **err);
int rego_engine_add_data_value(rego_engine *e, const rv *data, cc_error **err);
/* Value of row/expr (NULL if out of range). */
const rv *rego_result_value(const rego_result *r, size_t row, size_t expr);
const rv *rego_result_bindings(const rego_result *r, size_t row);
/* The evaluation arena (valid until the next evaluation): for callers
 * that build values to compare with results. */
rarena *rego_engine_eval_arena(rego_engine *e);
/* Number of modules and the parsed module i (NULL if out of range). */
size_t rego_engine_module_count(const rego_engine *e);
const ast_module *rego_engine_module(const rego_engine *e, size_t i);
/* Location (1-based line/col) of each top-level query expression of the
 * last evaluated query, in query order; n is the expression count. */
const ast_loc *rego_result_expr_locs(const rego_result *r, size_t *n);

#endif
