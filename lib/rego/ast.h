/* Rego abstract syntax tree (internal to libcocoon-rego).
 *
 * The parser (parser.c) builds it in the module's arena from source text;
 * the compiler (compile.c) then resolves names and variables in place and
 * the evaluator (eval.c) walks it. Every node carries its source location.
 * Nothing here is freed individually: the arena owns it all.
 *
 * Operators are calls: `a + b` is AT_CALL with op name "plus", `a == b`
 * is "equal", `x in xs` is "internal.member_2", `k, v in xs` is
 * "internal.member_3" (OPA's names, see ast_op_name table in parser.c).
 * Unification `a = b` and assignment `a := b` are expressions, not calls.
 */
#ifndef COCOON_REGO_AST_H
#define COCOON_REGO_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

typedef struct ast_term ast_term;
typedef struct ast_expr ast_expr;
typedef struct ast_body ast_body;
typedef struct ast_rule ast_rule;
typedef struct ast_module ast_module;

typedef struct ast_loc {
	uint32_t line; /* 1-based */
	uint32_t col;  /* 1-based, in bytes */
} ast_loc;

typedef enum ast_term_kind {
	AT_VALUE,    /* scalar literal (null, bool, number, string): u.val */
	AT_VAR,      /* variable or name: u.var */
	AT_REF,      /* u.list: items[0] is the head (AT_VAR such as input, data,
	              * a local or rule name; or any term, e.g. a call or a
	              * composite); items[1..] are the path operands: `.x` gives
	              * an AT_VALUE string "x", `[t]` gives term t */
	AT_ARR,      /* u.list */
	AT_SET,      /* u.list (`set()` is an empty AT_SET) */
	AT_OBJ,      /* u.obj */
	AT_ARR_COMP, /* u.comp: [val | body] */
	AT_SET_COMP, /* u.comp: {val | body} */
	AT_OBJ_COMP, /* u.comp: {key: val | body} */
	AT_CALL,     /* u.call: op(args...) */
	AT_TEMPLATE, /* u.list: $"..." string interpolation; each item is an
	              * AT_VALUE string (literal part) or any term (an
	              * interpolated {expr}) */
} ast_term_kind;

struct ast_var {
	const char *name; /* NUL-terminated, in the arena */
	uint32_t len;
	/* Filled by the compiler. */
	int32_t slot;  /* frame slot for locals, -1 otherwise */
	uint8_t scope; /* enum ast_var_scope */
	bool wildcard; /* `_` (the parser renames each to a unique name) */
};

enum ast_var_scope {
	AV_UNRESOLVED = 0,
	AV_LOCAL,  /* slot in the current frame */
	AV_INPUT,  /* the root `input` */
	AV_DATA,   /* the root `data` */
};

struct ast_term {
	uint8_t kind; /* ast_term_kind */
	ast_loc loc;
	union {
		const rv *val; /* AT_VALUE */
		struct ast_var var;
		struct {
			ast_term **items;
			size_t n;
			/* AT_TEMPLATE only (NULL otherwise): exprs[i] is the
			 * interpolated `{expr}` whose term is items[i], kept
			 * because it may carry `with` modifiers
			 * ($"{x with input as 1}"); NULL for literal parts and
			 * for scalar literals such as {42}, which OPA inlines.
			 * (Added by the parser author; see parser.c.) */
			ast_expr **exprs;
		} list;
		struct {
			ast_term **keys;
			ast_term **vals;
			size_t n;
		} obj;
		struct {
			ast_term *key; /* AT_OBJ_COMP only */
			ast_term *val;
			ast_body *body;
		} comp;
		struct {
			/* Operator: an AT_REF or AT_VAR naming a builtin or a
			 * function (`count`, `data.lib.f`, `lib.f`, `f`). The
			 * parser stores the dotted name in `name` too. */
			ast_term *op;
			const char *name; /* e.g. "plus", "regex.match", "lib.f" */
			ast_term **args;
			size_t nargs;
			/* Filled by the compiler: what the call resolves to. */
			const void *target;
			uint8_t target_kind; /* 0 unresolved, 1 builtin, 2 user function, 3 host function */
		} call;
	} u;
};

typedef enum ast_expr_kind {
	AE_TERM,     /* a: the expression is true when a is defined and not false */
	AE_UNIFY,    /* a = b */
	AE_ASSIGN,   /* a := b (declares the vars of a) */
	AE_SOME,     /* some x, y (declaration only): vars in some.vars */
	AE_SOME_IN,  /* some [key,] val in coll */
	AE_EVERY,    /* every [key,] val in coll { body } */
} ast_expr_kind;

typedef struct ast_with {
	ast_term *target; /* input..., data..., or a function/builtin ref */
	ast_term *value;
	ast_loc loc;
} ast_with;

struct ast_expr {
	uint8_t kind; /* ast_expr_kind */
	bool negated; /* `not expr` */
	ast_loc loc;
	ast_term *a; /* AE_TERM, AE_UNIFY, AE_ASSIGN: left side / the term */
	ast_term *b; /* AE_UNIFY, AE_ASSIGN: right side */
	struct {
		ast_term *key;  /* may be NULL */
		ast_term *val;
		ast_term *coll;
		ast_body *body; /* AE_EVERY */
		ast_term **vars; /* AE_SOME: AT_VAR terms */
		size_t nvars;
	} some;
	ast_with *withs;
	size_t nwiths;
	/* Set by the engine for top-level query expressions: 1-based position
	 * in the query as written (results report values in that order). */
	uint32_t qidx;
};

struct ast_body {
	ast_expr **exprs;
	size_t n;
	ast_loc loc;
	/* Filled by the compiler. */
	uint32_t nslots; /* frame size for the rule body / query */
	uint32_t scope;  /* id of the scope owning this body's own vars */
};

typedef enum ast_rule_kind {
	AR_COMPLETE,    /* p := v / p = v / p if {...} / p.q.r := v */
	AR_MULTI,       /* partial set: p contains x if {...}; v0 p[x] {...} */
	AR_OBJECT,      /* partial object / ref head with variable key:
	                 * p[k] := v; v1 `p[x] if {...}` (value true);
	                 * p.q[k].r := v */
	AR_FUNCTION,    /* f(args) := v if {...} */
} ast_rule_kind;

struct ast_rule {
	uint8_t kind; /* ast_rule_kind */
	bool is_default;
	bool is_assign; /* head used := (checked by the compiler) */
	ast_loc loc;
	const char *file;
	/* Head reference: an AT_REF whose items[0] is the AT_VAR rule name and
	 * items[1..] the rest of the head (`p.q[x]`). A plain name `p` is an
	 * AT_REF with n == 1. The compiler splits the items into a constant
	 * prefix (the rule's node in the data namespace) and the key path after
	 * it (see keypos); for AR_MULTI the element is `key`. */
	ast_term *head;
	ast_term *key;   /* AR_MULTI: the element */
	ast_term *value; /* value term; for `p if {...}` and `f(x) if`, true */
	ast_term **args; /* AR_FUNCTION */
	size_t nargs;
	ast_body *body;  /* never NULL: a rule without a body gets a single
	                  * `true` expression */
	ast_rule *els;   /* else chain (AR_COMPLETE / AR_FUNCTION only) */
	/* Filled by the compiler. */
	void *group;     /* the rule group this rule belongs to */
	uint32_t keypos; /* AR_OBJECT: index of the first head item that is
	                  * part of the key path below the group's node */
};

/* A `# METADATA` annotation block (lib/rego/annotations.c; only with the
 * metadata builtin group). obj is the value rego.metadata.* gives for it
 * (OPA's Annotations.toObject, scope filled in). */
enum ast_annot_scope { AN_RULE = 1, AN_DOCUMENT, AN_PACKAGE, AN_SUBPACKAGES };

typedef struct ast_annot {
	const rv *obj;
	ast_loc loc;         /* the `# METADATA` comment */
	uint8_t scope;       /* enum ast_annot_scope */
	const ast_rule *rule; /* AN_RULE, AN_DOCUMENT: the rule it is attached to */
} ast_annot;

typedef struct ast_import {
	ast_term *path;    /* AT_REF starting at data or input (or future/rego) */
	const char *alias; /* NULL if none */
	ast_loc loc;
} ast_import;

struct ast_module {
	const char *file;
	ast_term *package; /* AT_REF: data.<package path> (head AT_VAR "data") */
	ast_import *imports;
	size_t nimports;
	ast_rule **rules;
	size_t nrules;
	bool v1;          /* parsed as Rego v1 (or v0 with import rego.v1) */
	ast_annot *annots; /* METADATA blocks, in source order */
	size_t nannots;
};

/* A parsed ad-hoc query (`opa eval QUERY`): a body. */

#endif
