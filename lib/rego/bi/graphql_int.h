/* The GraphQL builtin group's internals (lib/rego/bi/graphql*.c).
 *
 * OPA's graphql.* builtins use gqlparser/v2 (vendored as
 * internal/gqlparser). Debian packages no C GraphQL parser, so the lexer,
 * parser, schema builder and query validator here are written by hand to
 * reproduce gqlparser's documents, AST field names and error texts.
 *
 *   graphql_lex.c      tokens (gqlparser lexer: spans, escapes, block strings)
 *   graphql_parse.c    executable documents (queries, fragments)
 *   graphql_sdl.c      schema documents (SDL)
 *   graphql_ast.c      documents <-> Rego values (OPA's pruned JSON shape)
 *   graphql_schema.c   schema document -> schema (ValidateSchemaDocument)
 *   graphql_validate.c query validation rules against a schema
 *   graphql_overlap.c  the OverlappingFieldsCanBeMerged rule
 *   graphql.c          the builtins
 *
 * Everything is allocated in one arena (the evaluation's), so nothing is
 * freed one by one. Input size, nesting depth and definitions are bounded
 * (CC_REGO_MAX_GRAPHQL_*).
 */
#ifndef COCOON_REGO_BI_GRAPHQL_INT_H
#define COCOON_REGO_BI_GRAPHQL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "../value.h"

/* A string that may hold NUL bytes (values, descriptions). */
struct gq_str {
	const char *p; /* NUL-terminated */
	size_t n;
};

/* Positions are 1-based; line 0 means "none" (documents built from
 * Rego values carry no positions). */
struct gq_pos {
	int line, col;
};

/* A growable array of pointers in the arena. Lists of field and argument
 * definitions in a built schema also carry a name index (graphql_schema.c),
 * valid while n is what it was when indexed. */
struct gq_list {
	void **v;
	size_t n, cap;
	struct gq_index *index;
};

enum gq_vkind {
	GQV_VARIABLE = 0,
	GQV_INT,
	GQV_FLOAT,
	GQV_STRING,
	GQV_BLOCK,
	GQV_BOOLEAN,
	GQV_NULL,
	GQV_ENUM,
	GQV_LIST,
	GQV_OBJECT,
};

struct gq_type {
	const char *named; /* "" for a list */
	struct gq_type *elem;
	bool nonnull;
	struct gq_pos pos;
};

struct gq_value {
	int kind;
	struct gq_str raw;
	struct gq_list children; /* struct gq_child * */
	struct gq_pos pos;
};

struct gq_child {
	const char *name;
	struct gq_value *value;
	struct gq_pos pos;
};

struct gq_arg {
	const char *name;
	struct gq_value *value;
	struct gq_pos pos;
};

struct gq_directive {
	const char *name;
	struct gq_list args; /* struct gq_arg * */
	struct gq_pos pos;
};

struct gq_vardef {
	const char *var;
	struct gq_type *type;
	struct gq_value *defval;
	struct gq_list dirs;
	struct gq_pos pos;
};

enum gq_selkind { GQS_FIELD, GQS_SPREAD, GQS_INLINE };

struct gq_sel {
	int kind;
	const char *alias; /* field */
	const char *name;  /* field, spread */
	const char *typecond; /* inline fragment ("" when absent) */
	struct gq_list args;  /* field: struct gq_arg * */
	struct gq_list dirs;  /* struct gq_directive * */
	struct gq_list sels;  /* struct gq_sel * */
	struct gq_pos pos;
	/* Set by the validator's walk, as gqlparser annotates its AST (a
	 * field's parent type and definition, a spread's fragment); NULL
	 * until the walk reaches the selection. */
	const struct gq_def *objdef;
	const struct gq_fielddef *fdef;
	const struct gq_frag *fragdef;
};

struct gq_op {
	const char *operation; /* "query", "mutation", "subscription" */
	const char *name;
	struct gq_list vardefs;
	struct gq_list dirs;
	struct gq_list sels;
	struct gq_pos pos;
};

struct gq_frag {
	const char *name;
	struct gq_list vardefs;
	const char *typecond;
	struct gq_list dirs;
	struct gq_list sels;
	struct gq_pos pos;
};

struct gq_qdoc {
	struct gq_list ops;   /* struct gq_op * */
	struct gq_list frags; /* struct gq_frag * */
};

/* Field definitions, argument definitions and input fields share one
 * struct (gqlparser's FieldDefinition / ArgumentDefinition). */
struct gq_fielddef {
	struct gq_str desc;
	const char *name;
	struct gq_list args; /* struct gq_fielddef * (argument definitions) */
	struct gq_value *defval;
	struct gq_type *type;
	struct gq_list dirs;
	struct gq_pos pos;
};

struct gq_enumval {
	struct gq_str desc;
	const char *name;
	struct gq_list dirs;
	struct gq_pos pos;
};

struct gq_def {
	const char *kind; /* "SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM", "INPUT_OBJECT" */
	struct gq_str desc;
	const char *name;
	struct gq_list dirs;
	struct gq_list interfaces; /* const char * */
	struct gq_list fields;     /* struct gq_fielddef * */
	struct gq_list types;      /* const char * */
	struct gq_list enumvals;   /* struct gq_enumval * */
	bool builtin;
	struct gq_pos pos;
};

struct gq_dirdef {
	struct gq_str desc;
	const char *name;
	struct gq_list args; /* struct gq_fielddef * */
	struct gq_list locations; /* const char * */
	bool repeatable;
	struct gq_pos pos;
};

struct gq_optype {
	const char *operation;
	const char *type;
	struct gq_pos pos;
};

struct gq_schemadef {
	struct gq_str desc;
	struct gq_list dirs;
	struct gq_list optypes; /* struct gq_optype * */
	struct gq_pos pos;
};

struct gq_sdoc {
	struct gq_list schema;     /* struct gq_schemadef * */
	struct gq_list schemaext;  /* struct gq_schemadef * */
	struct gq_list directives; /* struct gq_dirdef * */
	struct gq_list defs;       /* struct gq_def * */
	struct gq_list exts;       /* struct gq_def * */
};

/* An error: gqlparser's message and location (line 0: none). limit is
 * set when a CC_REGO_MAX_GRAPHQL_* cap was hit (a fatal limit error). */
struct gq_err {
	char msg[512];
	struct gq_pos pos;
	bool limit;
	bool oom;
};

void gq_errf(struct gq_err *e, struct gq_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- arena helpers (graphql_lex.c) ----------------------------------- */
int gq_push(rarena *a, struct gq_list *l, void *item);
void *gq_new(rarena *a, size_t size);
/* A name and its index, ordered by name then index (for sorting). */
struct gq_named {
	const char *name;
	size_t idx;
};
int gq_named_cmp(const void *x, const void *y);
/* Duplicate names in a list, in O(n log n): the index of the second
 * occurrence of the name that repeats first, where "first" is the earliest
 * second occurrence (by_first false: a loop "for i, for j < i") or the
 * earliest first occurrence (by_first true: "for i, for j > i"); -1 when
 * the names are unique, -2 out of memory. *first (may be NULL) gets the
 * index of that name's first occurrence. */
ptrdiff_t gq_first_dup(rarena *a, const struct gq_list *l, const char *(*name)(const void *item), bool by_first,
                       size_t *first);
/* Go's strconv.Quote of s (for messages), NUL-terminated in the arena. */
const char *gq_quote(rarena *a, const char *s, size_t n);


/* ---- tokens and the parser core (graphql_lex.c) ---------------------- */
enum gq_tok {
	GQT_INVALID, GQT_EOF, GQT_BANG, GQT_DOLLAR, GQT_AMP, GQT_PARENL,
	GQT_PARENR, GQT_SPREAD, GQT_COLON, GQT_EQUALS, GQT_AT, GQT_BRACKETL,
	GQT_BRACKETR, GQT_BRACEL, GQT_BRACER, GQT_PIPE, GQT_NAME, GQT_INT,
	GQT_FLOAT, GQT_STRING, GQT_BLOCKSTRING,
};

struct gq_token {
	int kind;
	struct gq_str val;
	struct gq_pos pos;
};

/* gqlparser's parser: one peeked token with its pending lexer error; the
 * first error wins and then every call is a no-op. */
struct gq_parser {
	rarena *a;
	const char *s;
	size_t n;
	size_t end;          /* byte offset */
	long end_runes, line_start_runes;
	int line;
	bool peeked;
	struct gq_token peek_tok, prev;
	struct gq_err peek_err;
	bool peek_failed;
	struct gq_err *err;
	bool failed;
	unsigned depth;
	size_t defs;
};

void gq_parser_init(struct gq_parser *p, rarena *a, const char *s, size_t n, struct gq_err *e);
const char *gq_tok_kind_name(int kind);
struct gq_token gq_peek(struct gq_parser *p);
struct gq_token gq_next(struct gq_parser *p);
void gq_perror(struct gq_parser *p, struct gq_token t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void gq_unexpected(struct gq_parser *p, struct gq_token t);
struct gq_token gq_expect(struct gq_parser *p, int kind);
struct gq_token gq_expect_keyword(struct gq_parser *p, const char *kw);
bool gq_skip(struct gq_parser *p, int kind);
const char *gq_parse_name(struct gq_parser *p);
bool gq_peek_is(struct gq_parser *p, const char *name);
/* Depth guard around recursive productions: false (with a limit error)
 * past CC_REGO_MAX_GRAPHQL_DEPTH. */
bool gq_enter(struct gq_parser *p);
void gq_leave(struct gq_parser *p);
/* Counts a definition or selection against CC_REGO_MAX_GRAPHQL_NODES. */
bool gq_count(struct gq_parser *p);
void gq_oom(struct gq_parser *p);
/* Zeroed node / list append that record out of memory in the parser. */
void *gq_pnode(struct gq_parser *p, size_t size);
void gq_ppush(struct gq_parser *p, struct gq_list *l, void *item);

/* Shared productions (graphql_parse.c), used by the SDL parser too. */
struct gq_value *gq_parse_value(struct gq_parser *p, bool is_const);
struct gq_type *gq_parse_type(struct gq_parser *p);
int gq_parse_directives(struct gq_parser *p, bool is_const, struct gq_list *out);
int gq_parse_arguments(struct gq_parser *p, bool is_const, struct gq_list *out);
const char *gq_parse_operation_type(struct gq_parser *p);

/* ---- parsing (graphql_parse.c, graphql_sdl.c) ------------------------ */
/* 0, or -1 with *e filled. */
int gq_parse_query(rarena *a, const char *src, size_t n, struct gq_qdoc **out, struct gq_err *e);
int gq_parse_schema(rarena *a, const char *src, size_t n, bool builtin,
                    struct gq_sdoc **out, struct gq_err *e);

/* ---- Rego values (graphql_ast.c) -------------------------------------- */
/* OPA's pruned AST objects. NULL on OOM or value limits. */
const rv *gq_qdoc_to_rv(rarena *a, const struct gq_qdoc *d);
const rv *gq_sdoc_to_rv(rarena *a, const struct gq_sdoc *d);
/* Documents from AST objects (as OPA's JSON round trip into gqlparser's
 * structs): 0, or -1 with *e filled. */
int gq_qdoc_from_rv(rarena *a, const rv *obj, struct gq_qdoc **out, struct gq_err *e);
int gq_sdoc_from_rv(rarena *a, const rv *obj, struct gq_sdoc **out, struct gq_err *e);

/* ---- schema and validation (graphql_schema.c, graphql_validate.c) ---- */
struct gq_schema;
/* Merges the prelude and doc and validates the result as gqlparser's
 * ValidateSchemaDocument: 0, or -1 with *e filled. doc is not changed. */
int gq_schema_build(rarena *a, const struct gq_sdoc *doc, struct gq_schema **out, struct gq_err *e);
/* The first validation error of the query (gqlparser's rule order):
 * 0 valid, -1 with *e filled. */
int gq_validate(rarena *a, const struct gq_schema *s, const struct gq_qdoc *q, struct gq_err *e);

/* OverlappingFieldsCanBeMerged (graphql_overlap.c), on the annotations
 * the walk has set so far. steps is the validator's work counter. */
struct gq_overlap;
struct gq_overlap *gq_overlap_new(rarena *a, const struct gq_schema *s, size_t *steps);
/* The first conflict within sels: 1 with *e filled (message and
 * position), 0 none, -1 limit or out of memory (*e filled). */
int gq_overlap_check(struct gq_overlap *o, const struct gq_list *sels, struct gq_err *e);

/* Schema lookups shared by the validator. */
struct gq_def *gq_schema_type(const struct gq_schema *s, const char *name);
struct gq_dirdef *gq_schema_directive(const struct gq_schema *s, const char *name);
struct gq_def *gq_schema_root(const struct gq_schema *s, const char *operation);
/* Possible object types of an abstract type (interface/union) or the
 * type itself. */
const struct gq_list *gq_schema_possible(const struct gq_schema *s, const char *name);
struct gq_fielddef *gq_find_field(const struct gq_list *fields, const char *name);
/* gqlparser's Type.String(): "[Foo!]!". */
const char *gq_type_str(rarena *a, const struct gq_type *t);
const char *gq_type_name(const struct gq_type *t);
/* gqlparser's Type.IsCompatible. */
bool gq_type_compatible(const struct gq_type *t, const struct gq_type *other);

#endif
