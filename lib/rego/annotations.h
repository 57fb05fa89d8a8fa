/* rego.metadata.* at compile time (internal to libcocoon-rego; the metadata
 * builtin group). The parser attaches METADATA blocks to modules
 * (annotations.c, rannot_module in parser.h); the compiler then replaces
 * every rego.metadata.chain() and rego.metadata.rule() call in a rule by
 * its constant value, as OPA's compiler does (rewriteRegoMetadataCalls). */
#ifndef COCOON_REGO_ANNOTATIONS_H
#define COCOON_REGO_ANNOTATIONS_H

#include "ast.h"
#include "cocoon/error.h"

/* Builds the annotation set of all modules (package, document and
 * subpackages scopes are keyed by path: a second one at the same path is
 * OPA's rego_type_error "<scope> annotation redeclared: <file>:<line>")
 * and rewrites the calls in every rule. Values live in arena a. */
int rmeta_rewrite(rarena *a, ast_module **mods, size_t nmods, cc_error **err);

#endif
