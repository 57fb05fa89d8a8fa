/* A parsed module as OPA's AST JSON value (internal to libcocoon-rego; the
 * metadata builtin group's rego.parse_module). */
#ifndef COCOON_REGO_AST_JSON_H
#define COCOON_REGO_AST_JSON_H

#include "ast.h"

/* The module as the value OPA's rego.parse_module gives (built in arena a),
 * or NULL when the arena is out of memory. */
const rv *rast_module_json(rarena *a, const ast_module *m);

#endif
