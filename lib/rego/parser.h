/* Rego lexer and parser (internal to libcocoon-rego).
 *
 * Source text is untrusted: the parser reads it through explicit lengths
 * (embedded NULs are an error), bounds its recursion (CC_REGO_MAX_PARSE_DEPTH)
 * and the sizes in cocoon/limits.h, and fails with a rego_parse_error that
 * names file:line:col. It allocates only from the given arena.
 */
#ifndef COCOON_REGO_PARSER_H
#define COCOON_REGO_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "cocoon/error.h"

struct rparse_opts {
	bool v0;              /* Rego v0 syntax (opa --v0-compatible) */
	size_t max_bytes;     /* 0 = CC_REGO_MAX_POLICY_BYTES */
	size_t max_line;      /* 0 = CC_REGO_MAX_LINE_BYTES */
	size_t max_lines;     /* 0 = CC_REGO_MAX_LINES */
	bool no_annotations;  /* skip METADATA blocks (OPA's ParseModule without
	                       * ProcessAnnotation, as rego.parse_module does) */
};

#ifdef COCOON_REGO_BI_METADATA
/* Finds the `# METADATA` comment blocks of a parsed module's source, parses
 * their YAML and attaches them to the package or rule that follows, as OPA
 * does (lib/rego/annotations.c). A bad block is a rego_parse_error at the
 * block's METADATA line. */
int rannot_module(rarena *a, ast_module *m, const char *src, size_t len, cc_error **err);
#endif

/* Parses one module. `file` names the source in errors and rule
 * locations (copied into the arena). On success *ret points into arena a. */
int rparse_module(rarena *a, const char *file, const char *src, size_t len,
                  const struct rparse_opts *opts, ast_module **ret, cc_error **err);

/* Parses a query: one or more expressions separated by `;` or newlines. In
 * a query, the future keywords are always enabled. */
int rparse_query(rarena *a, const char *file, const char *src, size_t len,
                 const struct rparse_opts *opts, ast_body **ret, cc_error **err);

/* Parses a single Rego term (used for `input_term` in conformance cases). */
int rparse_term(rarena *a, const char *file, const char *src, size_t len,
                const struct rparse_opts *opts, ast_term **ret, cc_error **err);

#endif
