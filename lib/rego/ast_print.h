/* Debug printer for the Rego AST (internal to libcocoon-rego).
 *
 * Produces readable Rego-like text in a canonical v1 form: calls print in
 * OPA's prefix form (`plus(1, mul(2, 3))`), so precedence is explicit;
 * generated wildcards print as their generated names (`$0`). Used by the
 * unit tests, error messages and `cocoon policy parse`.
 *
 * All functions append to `out` and return 0, or a negative errno from
 * cc_buf (-ENOMEM, -E2BIG). A NULL node prints as `<nil>`.
 */
#ifndef COCOON_REGO_AST_PRINT_H
#define COCOON_REGO_AST_PRINT_H

#include "ast.h"
#include "cocoon/buf.h"

int ast_print_module(const ast_module *m, cc_buf *out);
int ast_print_rule(const ast_rule *r, cc_buf *out);
/* Expressions separated by "; ". */
int ast_print_body(const ast_body *b, cc_buf *out);
int ast_print_expr(const ast_expr *e, cc_buf *out);
int ast_print_term(const ast_term *t, cc_buf *out);

#endif
