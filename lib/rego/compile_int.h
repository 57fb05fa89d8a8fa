/* Shared state of the compiler's passes (internal to compile*.c). */
#ifndef COCOON_REGO_COMPILE_INT_H
#define COCOON_REGO_COMPILE_INT_H

#include <string.h>

#include "compile.h"

/* A variable name known in a scope. */
struct cvar {
	const char *name;
	uint32_t len;
	int32_t slot;
	bool declared; /* by :=, some, every, some-in, or a function argument */
	int32_t decl_pos; /* index of the declaring expression (-1: from the start) */
	uint32_t uses; /* occurrences resolved to it (the declaration counts) */
};

/* One body level: a rule body, an else body, a comprehension or every body.
 * Closure scopes see the vars of their ancestors. */
struct cscope {
	struct cscope *parent;
	struct cvar *vars;
	size_t nvars, capvars;
	uint32_t id;
	int32_t cur_pos; /* expression being resolved (closures see `:=` vars
	                  * of their ancestors only after the declaration) */
};

/* Per-package names: first segments of rule heads (to resolve `p` to
 * data.pkg.p). */
struct cpkg {
	const rv *path; /* array of keys below data */
	rnode *node;
	const char **names;
	size_t nnames, capnames;
};

struct cctx {
	rarena *a;
	rprog *prog;
	cc_error **err;
	ast_module *mod;
	struct cpkg *pkg;
	struct cpkg **pkgs;
	size_t npkgs, cappkgs;
	rgroup *cur;          /* group whose rules are being compiled (deps) */
	uint32_t nslots;      /* slots used in the current frame */
	uint32_t nscopes;     /* scope ids used in the current frame */
	int32_t *slot_scope;  /* scope id owning each slot (grown with nslots) */
	const char **slot_name;
	uint32_t capslots;
	bool query;           /* compiling an ad-hoc query */
	uint32_t nhoist;      /* generated variables ($hN) so far */
	const ast_term *output_call; /* the call that is the whole expression being resolved */
};

const rv *cconst_value(rarena *a, const ast_term *t);
rnode *ctree_node(rarena *a, rnode *root, const rv *const *path, size_t n);
int cgroup_add_dep(rarena *a, rgroup *g, rgroup *dep);
int cgroup_add_subtree_deps(rarena *a, rgroup *g, const rnode *n);
int ccheck_recursion(rprog *p, cc_error **err);

/* compile_scope.c: resolves names in a body and its closures. */
/* Resolves body b in a new scope under parent; extra terms (a rule head's
 * key/value/ref) are resolved in the same scope after the body. */
int cresolve_body(struct cctx *c, ast_body *b, struct cscope *parent,
                  ast_term **extra, size_t nextra, struct cscope **ret);
int cresolve_term(struct cctx *c, ast_term *t, struct cscope *sc);
struct cscope *cscope_new(struct cctx *c, struct cscope *parent);
int cscope_declare(struct cctx *c, struct cscope *sc, ast_term *var);
/* Declares every variable of a pattern term (function args). */
int cscope_declare_pattern(struct cctx *c, struct cscope *sc, ast_term *t);

static inline bool cname_is(const ast_term *v, const char *s)
{
	return v->u.var.name[0] == s[0] && strcmp(v->u.var.name, s) == 0;
}
struct cvar *cscope_find(struct cscope *sc, const char *name, size_t len);

/* compile_names.c: globals and dependencies. */
const ast_import *cimport_find(struct cctx *c, const char *name, size_t len);
bool cpkg_has_name(const struct cpkg *pkg, const char *name, size_t len);
bool cis_global_name(struct cctx *c, const ast_term *v);
/* A local var visible from sc (ancestors' := vars only after their
 * declaration), or NULL. */
struct cvar *cscope_lookup(struct cscope *sc, const char *name, size_t len);
/* The items [root, k1, ...] that replace a global name. */
int cglobal_prefix(struct cctx *c, const ast_term *v, ast_term ***ret, size_t *ret_n);
int cadd_ref_deps(struct cctx *c, const ast_term *ref);

/* compile_calls.c: call targets and `with`. */
int cresolve_call(struct cctx *c, ast_term *t, struct cscope *sc);
int cresolve_with(struct cctx *c, ast_with *w, struct cscope *sc);
/* Whether term t names a function or builtin (a `with` value). */
bool cnames_function(struct cctx *c, ast_term *t, struct cscope *sc);
int cresolve_list(struct cctx *c, ast_term **items, size_t n, struct cscope *sc);

/* compile_types.c: builtin argument types through local variables
 * (after safety, on the reordered body and its closures). */
int ctypes_body(struct cctx *c, const ast_body *b);
/* The same check for one resolved builtin call, without variable types
 * (calls anywhere, rule heads included). */
int ctypes_call(struct cctx *c, const ast_term *call);
/* rego_type_error "<name>: arity mismatch" with OPA's have/want details;
 * 1 if OPA's signature of name is not known (the caller words its own). */
int ctypes_arity_err(struct cctx *c, const ast_term *call, const char *name);

/* compile_safety.c: reorders bodies and checks that vars are bound. */
/* Reorders b (and, recursively, its closures) so that each expression's
 * vars are bound before use; then checks that the vars of the extra terms
 * (rule head) are bound by the body. Needs c->nslots final. */
int csafety_body(struct cctx *c, ast_body *b, ast_term **extra, size_t nextra);

int cerr(struct cctx *c, ast_loc loc, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
