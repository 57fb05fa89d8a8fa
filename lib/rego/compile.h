/* Rego compiler: rule tree, name resolution, safety, recursion checks
 * (internal to libcocoon-rego). See docs/rego.md for the design.
 *
 * The compiler works in place on parsed modules: it resolves every AT_VAR
 * to a frame slot or a root (input/data), rewrites references to rules and
 * imports into absolute `data` refs, reorders body expressions so that
 * every variable is bound before it is read (OPA's reorderBodyForSafety),
 * resolves calls to builtins, user functions or host functions, and builds
 * the tree of rule groups that `data` refs are evaluated against.
 */
#ifndef COCOON_REGO_COMPILE_H
#define COCOON_REGO_COMPILE_H

#include "ast.h"
#include "bi.h"
#include "cocoon/error.h"

typedef struct rnode rnode;
typedef struct rgroup rgroup;

typedef enum rgroup_kind {
	RG_COMPLETE = AR_COMPLETE,
	RG_MULTI = AR_MULTI,
	RG_OBJECT = AR_OBJECT,
	RG_FUNCTION = AR_FUNCTION,
} rgroup_kind;

/* All rules whose head's ground prefix is the same path. */
struct rgroup {
	uint8_t kind;
	uint32_t id;        /* index into per-evaluation caches */
	rnode *node;        /* where it sits in the tree */
	ast_rule **rules;   /* non-default rules, in source order */
	size_t nrules;
	ast_rule *deflt;    /* default rule or NULL */
	size_t nargs;       /* functions */
	const rv *path;     /* array of the path keys below data (for messages) */
	const char *name;   /* "data.pkg.p" */
	/* Early exit is possible: every rule has the same constant value. */
	bool const_value;
	/* Recursion check state. */
	uint8_t mark;
	/* Dependencies (other groups referenced from bodies). */
	rgroup **deps;
	size_t ndeps, capdeps;
};

/* A node of the data namespace: packages and rule paths. */
struct rnode {
	const rv *key;     /* segment (usually a string); NULL at the root */
	rnode *parent;
	rnode **kids;      /* sorted by key */
	size_t nkids, capkids;
	rgroup *group;     /* rules defined exactly at this path, or NULL */
	bool has_funcs_only; /* subtree holds only functions (excluded from extents) */
	/* Object groups whose head continues below this node with variables
	 * (p[x].q := ...) sit at the node of their ground prefix. */
};

/* Host-registered function (Trustee's query_reference_value). */
struct rhostfn {
	const char *name;
	size_t arity;
	int (*fn)(void *ctx, const char *const *args_json, size_t nargs,
	          char **ret_json, cc_error **err);
	void *ctx;
};

typedef struct rprog {
	rarena *a;
	rnode *root;
	rgroup **groups;
	size_t ngroups, capgroups;
	ast_module **mods;
	size_t nmods;
	const struct rhostfn *hostfns;
	size_t nhostfns;
} rprog;

enum { CALL_UNRESOLVED = 0, CALL_BUILTIN = 1, CALL_FUNC = 2, CALL_HOST = 3, CALL_PRINT = 4 };

/* Compiles modules (parsed into arena a) into prog. On error returns a
 * negative code with a rego_compile_error / rego_unsafe_var_error /
 * rego_recursion_error / rego_type_error naming file:line:col. */
int rcompile(rarena *a, ast_module **mods, size_t nmods,
             const struct rhostfn *hostfns, size_t nhostfns,
             rprog *prog, cc_error **err);

/* Compiles an ad-hoc query against a compiled program (same arena rules:
 * the query body must live in arena a). Vars of the query are reported by
 * *ret_names (array of nslots names, NULL for generated vars). */
int rcompile_query(rarena *a, rprog *prog, ast_body *q, const char ***ret_names,
                   cc_error **err);

/* Looks up a child node by key (NULL if absent). */
rnode *rnode_child(const rnode *n, const rv *key);

#endif
