/* Rego parser (parser.h): the driver. Module statements (package,
 * imports, rules), the entry points, and the state every parser file
 * shares: arena memory, errors, token scanning and the recursion bound.
 *
 * The grammar and its quirks follow OPA's parser (v1/ast/parser.go and
 * parser_ext.go, OPA 1.x), which is the reference: a recursive-descent
 * parser that backtracks by saving and restoring its state (struct pstate:
 * lexer position, current token, wildcard counter, first error). Like OPA,
 * it memoises rp_parse_term() results by source offset so that the
 * speculative parses (comprehension or list? set literal or body?) stay
 * linear instead of exponential on nested input.
 *
 * Errors: the first error recorded in the state wins; restoring a state
 * drops the errors recorded since, exactly as OPA's restore() does. Module
 * level checks that OPA runs after parsing (parseModule, CheckRegoV1) are
 * reported after the parse errors, in the same order.
 *
 * Recursion is bounded by CC_REGO_MAX_PARSE_DEPTH, counted in
 * rp_parse_term(), rp_parse_ref() and rp_parse_body(): every recursive cycle
 * of the grammar passes through one of them, so hostile nesting gives an
 * error, never a stack overflow.
 *
 * The other parts: parser_terms.c (terms, refs, composites, templates,
 * operators), parser_body.c (body expressions), parser_rules.c (rule heads,
 * bodies, else, default), parser_ast.c (node constructors and copies);
 * parser_int.h holds what they share.
 */
#include "names.h"
#include "parser.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "parser_int.h"

#define KW_ALL 0xFu

/* ---- memory ------------------------------------------------------------ */

void *rp_pz(struct parser *p, size_t n)
{
	void *x = rarena_zalloc(p->a, n);
	if (x == NULL)
		p->oom = true;
	return x;
}

void *rp_pnz(struct parser *p, size_t n, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes)) {
		p->oom = true;
		return NULL;
	}
	return rp_pz(p, bytes);
}

char *rp_pstrndup(struct parser *p, const char *s, size_t n)
{
	char *d = rarena_strndup(p->a, s, n);
	if (d == NULL)
		p->oom = true;
	return d;
}

bool rp_pv_push(struct parser *p, struct pvec *pv, void *x)
{
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 4;
		if (cap < pv->cap) {
			p->oom = true;
			return false;
		}
		void **v = rp_pnz(p, cap, sizeof(*v));
		if (v == NULL)
			return false;
		if (pv->n)
			memcpy(v, pv->v, pv->n * sizeof(*v));
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = x;
	return true;
}

/* ---- errors ------------------------------------------------------------ */

static const struct perr oom_err = {{0, 0}, "out of memory", false};

__attribute__((format(printf, 3, 0)))
static const struct perr *mk_err(struct parser *p, ast_loc loc, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	struct perr *e = rp_pz(p, sizeof(*e));
	if (e == NULL)
		return &oom_err;
	e->loc = loc;
	e->msg = rp_pstrndup(p, buf, strlen(buf));
	if (e->msg == NULL)
		return &oom_err;
	return e;
}

/* Records a parse error at loc unless one is already recorded. */
__attribute__((format(printf, 3, 4)))
void rp_perr_at(struct parser *p, ast_loc loc, const char *fmt, ...)
{
	if (p->s.err != NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	p->s.err = mk_err(p, loc, fmt, ap);
	va_end(ap);
}

/* Records a module-level error (reported only if parsing succeeds). */
__attribute__((format(printf, 3, 4)))
void rp_conv_err_at(struct parser *p, ast_loc loc, const char *fmt, ...)
{
	if (p->conv_err != NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	p->conv_err = mk_err(p, loc, fmt, ap);
	va_end(ap);
}

/* ---- tokens ------------------------------------------------------------ */

void rp_scan(struct parser *p)
{
	rlex_scan(&p->s.lx, &p->s.cur);
	p->nscan++;
	if (p->s.cur.kind == RT_ILLEGAL && p->s.cur.err != NULL)
		rp_perr_at(p, cur_loc(p), "%s", p->s.cur.err);
}

/* True if the next token is `.` or `[` with no space before it. */
static bool next_is_ref_start(const struct parser *p)
{
	struct rlexer lx = p->s.lx;
	struct rtoken t;
	rlex_scan(&lx, &t);
	int k = kind_of(p, &t);
	return !(t.flags & RTF_WS) && (k == RT_DOT || k == RT_LBRACK);
}

/* OPA's scanAheadRef: a keyword directly followed by `.` or `[` starts a
 * ref (`if.x`, `not[0]`), so it is read as an identifier. */
bool rp_scan_ahead_ref(struct parser *p)
{
	if (is_kw_kind(tk(p)) && next_is_ref_start(p)) {
		p->s.cur.flags |= RTF_IDENT;
		return true;
	}
	return false;
}

/* OPA's illegal(): "unexpected <tok> token|keyword[: note]". */
__attribute__((format(printf, 2, 3)))
void rp_illegal(struct parser *p, const char *fmt, ...)
{
	if (p->s.err != NULL)
		return;
	int k = tk(p);
	if (k == RT_ILLEGAL) {
		rp_perr_at(p, cur_loc(p), "illegal token");
		return;
	}
	const char *type = is_kw_kind(k) ? "keyword" : "token";
	if (fmt == NULL) {
		rp_perr_at(p, cur_loc(p), "unexpected %s %s", rlex_kind_name(k), type);
		return;
	}
	char note[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	rp_perr_at(p, cur_loc(p), "unexpected %s %s: %s", rlex_kind_name(k), type, note);
}

bool rp_enter(struct parser *p)
{
	if (p->depth >= CC_REGO_MAX_PARSE_DEPTH) {
		if (p->s.err == NULL) {
			rp_perr_at(p, cur_loc(p), "max parsing recursion depth exceeded");
			if (p->s.err != &oom_err)
				((struct perr *)p->s.err)->depth = true;
		}
		return false;
	}
	p->depth++;
	return true;
}

void rp_leave(struct parser *p) { p->depth--; }

/* ---- module statements ------------------------------------------------- */

static bool keyword_v(const char *s, size_t n, bool v1)
{
	for (int k = RT_KW_FIRST; k <= RT_KW_LAST; k++) {
		if (!v1 && k >= RT_IN)
			break;
		const char *name = rlex_kind_name(k);
		if (n > 0 && rname_eq(name, s, n))
			return true;
	}
	return false;
}

/* `package a.b["c"]` → data.a.b.c */
static int parse_package(struct parser *p, ast_term **out)
{
	if (tk(p) != RT_PACKAGE || next_is_ref_start(p))
		return 0;
	rp_scan(p);
	int k = tk(p);
	if (k != RT_IDENT && !is_kw_kind(k)) {
		rp_illegal(p, NULL);
		return 0;
	}
	p->s.cur.flags |= RTF_IDENT;
	ast_term *t = rp_parse_term(p);
	if (t == NULL) {
		rp_perr_at(p, cur_loc(p), "expected path");
		return 0;
	}
	ast_term **src = &t;
	size_t n = 1;
	if (t->kind == AT_REF) {
		src = t->u.list.items;
		n = t->u.list.n;
	} else if (t->kind != AT_VAR) {
		rp_illegal(p, NULL);
		return 0;
	}
	if (src[0]->kind != AT_VAR) {
		rp_perr_at(p, src[0]->loc, "unexpected %s token: expecting var", rp_value_name(src[0]));
		return 0;
	}
	ast_term **path = rp_pnz(p, n + 1, sizeof(*path));
	if (path == NULL)
		return 0;
	path[0] = rp_mk_var(p, src[0]->loc, "data", 4);
	path[1] = rp_mk_str(p, src[0]->loc, src[0]->u.var.name, src[0]->u.var.len);
	for (size_t i = 1; i < n; i++) {
		if (!rp_is_str_value(src[i])) {
			rp_perr_at(p, src[i]->loc, "unexpected %s token: expecting string", rp_value_name(src[i]));
			return 0;
		}
		path[i + 1] = src[i];
	}
	*out = rp_mk_ref_n(p, t->loc, path, n + 1);
	return *out != NULL;
}

static bool import_root_ok(struct parser *p, const ast_term *path)
{
	const ast_term *h = path->u.list.items[0];
	if (rp_is_var_named(h, "data") || rp_is_var_named(h, "input") || rp_is_var_named(h, "future") ||
	    rp_is_var_named(h, "rego"))
		return true;
	char buf[128];
	rp_term_text(h, buf, sizeof(buf));
	rp_perr_at(p, path->loc,
	        "unexpected import path, must begin with one of: {data, future, input, rego}, "
	        "got: %s (hint: if this is unexpected, try updating OPA)", buf);
	return false;
}

/* OPA: an import without alias must not end with a keyword. */
static void import_tail_check(struct parser *p, const ast_term *path)
{
	size_t n = path->u.list.n;
	const ast_term *last = path->u.list.items[n - 1];
	const char *s;
	size_t len;
	if (n == 1) {
		s = last->u.var.name;
		len = last->u.var.len;
	} else if (!rp_is_var_named(path->u.list.items[0], "future")) {
		s = last->u.val->u.s.p;
		len = last->u.val->u.s.n;
	} else {
		return;
	}
	if (keyword_v(s, len, p->v1))
		rp_perr_at(p, last->loc, "unexpected import path, must not end with a keyword, got: %.*s "
		        "(hint: import a different path or use an alias)", (int)(len > 64 ? 64 : len), s);
}

static ast_term *parse_import_path(struct parser *p)
{
	uint32_t mask = p->kwmask;
	p->kwmask = 0; /* OPA's presentParser: no future keywords in the path */
	ast_term *t = rp_parse_term(p);
	p->kwmask = mask;
	if (t == NULL)
		return NULL;
	if (t->kind == AT_VAR) {
		ast_term **it = rp_pnz(p, 1, sizeof(*it));
		if (it == NULL)
			return NULL;
		it[0] = t;
		return rp_mk_ref_n(p, t->loc, it, 1);
	}
	if (t->kind != AT_REF)
		return NULL;
	for (size_t i = 1; i < t->u.list.n; i++) {
		if (!rp_is_str_value(t->u.list.items[i])) {
			rp_perr_at(p, t->u.list.items[i]->loc, "unexpected %s token: expecting string",
			        rp_value_name(t->u.list.items[i]));
			return NULL;
		}
	}
	return t;
}

static int parse_import(struct parser *p, ast_import *imp)
{
	if (tk(p) != RT_IMPORT || next_is_ref_start(p))
		return 0;
	memset(imp, 0, sizeof(*imp));
	imp->loc = cur_loc(p);
	rp_scan(p);
	int k = tk(p);
	if (k != RT_IDENT && !is_kw_kind(k)) {
		rp_illegal(p, NULL);
		return 0;
	}
	p->s.cur.flags |= RTF_IDENT;
	imp->path = parse_import_path(p);
	if (imp->path == NULL || imp->path->u.list.items[0]->kind != AT_VAR) {
		rp_perr_at(p, cur_loc(p), "expected path");
		return 0;
	}
	if (!import_root_ok(p, imp->path))
		return 0;
	if (tk(p) == RT_AS) {
		rp_scan(p);
		if (tk(p) != RT_IDENT) {
			rp_illegal(p, "expected var");
			return 0;
		}
		ast_term *alias = rp_parse_term(p);
		if (alias == NULL || alias->kind != AT_VAR) {
			rp_illegal(p, "expected var");
			return 0;
		}
		imp->alias = alias->u.var.name;
		return 1;
	}
	import_tail_check(p, imp->path);
	return 1;
}

static uint32_t kw_bit(int kind) { return 1u << (kind - RT_IN); }

/* `import future.keywords[.kw]` enables keywords (Rego v0). */
static void future_import(struct parser *p, const ast_import *imp)
{
	ast_term *const *it = imp->path->u.list.items;
	size_t n = imp->path->u.list.n;
	if (n == 1 || !rp_is_str_equal(it[1], "keywords")) {
		rp_perr_at(p, imp->path->loc, "invalid import, must be `future.keywords`");
		return;
	}
	if (imp->alias != NULL) {
		rp_perr_at(p, imp->path->loc, "`future` imports cannot be aliased");
		return;
	}
	if (n != 3) {
		p->kwmask = KW_ALL;
		return;
	}
	for (int k = RT_IN; k <= RT_IF; k++) {
		if (rp_is_str_equal(it[2], rlex_kind_name(k))) {
			p->kwmask |= kw_bit(k);
			if (k == RT_EVERY)
				p->kwmask |= kw_bit(RT_IN);
			return;
		}
	}
	rp_perr_at(p, imp->path->loc, "unexpected keyword, must be one of [contains every if in]");
}

static void rego_import(struct parser *p, const ast_import *imp)
{
	ast_term *const *it = imp->path->u.list.items;
	size_t n = imp->path->u.list.n;
	if (n != 2 || !rp_is_str_equal(it[1], "v1")) {
		char buf[128];
		rp_term_text(imp->path, buf, sizeof(buf));
		rp_perr_at(p, imp->path->loc, "invalid import `%s`, must be `rego.v1`", buf);
		return;
	}
	if (p->v1)
		return;
	if (imp->alias != NULL) {
		rp_perr_at(p, imp->path->loc, "`rego` imports cannot be aliased");
		return;
	}
	p->kwmask = KW_ALL;
	p->rego_v1_import = true;
}

/* Module being built. */
struct mbuild {
	ast_term *package;
	struct pvec imports; /* ast_import * */
	struct pvec rules;
	size_t nstmts;
};

static void stmt_seen(struct parser *p, struct mbuild *mb, ast_loc loc, bool is_package)
{
	if (mb->nstmts == 0 && !is_package)
		rp_conv_err_at(p, loc, "package expected");
	else if (mb->nstmts > 0 && is_package)
		rp_conv_err_at(p, loc, "unexpected package");
	mb->nstmts++;
}

static bool add_rules(struct parser *p, struct mbuild *mb, const struct rlist *rl)
{
	for (size_t i = 0; i < rl->rules.n; i++) {
		if (!rp_pv_push(p, &mb->rules, rl->rules.v[i]) || !rp_pv_push(p, &p->metas, rl->metas.v[i]))
			return false;
	}
	return true;
}

static int stmt_import(struct parser *p, struct mbuild *mb, ast_loc loc)
{
	ast_import *imp = rp_pz(p, sizeof(*imp));
	if (imp == NULL)
		return -1;
	int r = parse_import(p, imp);
	if (r <= 0)
		return r;
	const ast_term *h = imp->path->u.list.items[0];
	if (rp_is_var_named(h, "rego"))
		rego_import(p, imp);
	if (rp_is_var_named(h, "future"))
		future_import(p, imp);
	stmt_seen(p, mb, loc, false);
	return rp_pv_push(p, &mb->imports, imp) ? 1 : -1;
}

/* One statement; returns false to stop (error or end). */
static bool parse_statement(struct parser *p, struct mbuild *mb)
{
	ast_loc loc = cur_loc(p);
	struct pstate s = p->s;
	ast_term *pkg = NULL;
	if (parse_package(p, &pkg) > 0) {
		stmt_seen(p, mb, loc, true);
		if (mb->package == NULL)
			mb->package = pkg;
		return true;
	}
	if (p->s.err != NULL)
		return false;
	p->s = s;
	int r = stmt_import(p, mb, loc);
	if (r != 0)
		return r > 0;
	if (p->s.err != NULL)
		return false;
	p->s = s;
	struct rlist rl = {{0}, {0}};
	if (rp_parse_rules(p, &rl) > 0) {
		stmt_seen(p, mb, loc, false);
		return add_rules(p, mb, &rl);
	}
	if (p->s.err != NULL)
		return false;
	p->s = s;
	ast_body *b = rp_parse_query_body(p, true, RT_EOF);
	if (b == NULL)
		return false;
	stmt_seen(p, mb, loc, false);
	rl = (struct rlist){{0}, {0}};
	if (rp_rule_from_body(p, b, &rl))
		return add_rules(p, mb, &rl);
	return true;
}

/* OPA's checkRegoV1Rule. */
static void check_v1_rule(struct parser *p, const struct rmeta *m)
{
	const ast_rule *r = m->rule;
	const char *t = (m->flags & RM_FUNC) ? "function" : "rule";
	const ast_term *name = r->head->u.list.items[0];
	if (r->head->u.list.n < 2 && keyword_v(name->u.var.name, name->u.var.len, true))
		rp_conv_err_at(p, r->loc, "%s keyword cannot be used for rule name", name->u.var.name);
	if ((m->flags & RM_GEN_BODY) && (m->flags & RM_GEN_VALUE))
		rp_conv_err_at(p, r->loc, "%s must have value assignment and/or body declaration", t);
	if (!(m->flags & RM_GEN_BODY) && !(m->flags & RM_IF) && !r->is_default)
		rp_conv_err_at(p, r->loc, "`if` keyword is required before %s body", t);
	if (r->kind == AR_MULTI && !(m->flags & RM_CONTAINS))
		rp_conv_err_at(p, r->loc, "`contains` keyword is required for partial set rules");
}

static void check_v1(struct parser *p)
{
	for (size_t i = 0; i < p->metas.n; i++) {
		for (const struct rmeta *m = p->metas.v[i]; m != NULL; m = m->els)
			check_v1_rule(p, m);
	}
}

/* ---- entry points ---------------------------------------------------- */

static void parser_init(struct parser *p, rarena *a, const char *src, size_t len, bool v1)
{
	memset(p, 0, sizeof(*p));
	p->a = a;
	p->v1 = v1;
	p->kwmask = v1 ? KW_ALL : 0;
	p->memo.gen = 1;
	rlex_init(&p->s.lx, src, len);
}

static void parser_fini(struct parser *p) { free(p->memo.v); }

static int fail_with(struct parser *p, const struct perr *e, cc_error **err)
{
	if (p->oom)
		return cc_error_set_at(err, -ENOMEM, "rego_parse_error", p->file, 0, 0,
		                       "out of memory while parsing");
	return cc_error_set_at(err, -EINVAL, "rego_parse_error", p->file, (int)e->loc.line,
	                       (int)e->loc.col, "%s", e->msg);
}

/* Size, line and encoding limits, checked before any parsing. */
static int check_input(const char *file, const char *src, size_t *lenp,
                       const struct rparse_opts *opts, cc_error **err)
{
	size_t max_bytes = CC_REGO_MAX_POLICY_BYTES, max_line = CC_REGO_MAX_LINE_BYTES;
	size_t max_lines = CC_REGO_MAX_LINES, len = *lenp;
	if (opts != NULL) {
		if (opts->max_bytes)
			max_bytes = opts->max_bytes;
		if (opts->max_line)
			max_line = opts->max_line;
		if (opts->max_lines)
			max_lines = opts->max_lines;
	}
	if (src == NULL && len != 0)
		return cc_error_set_at(err, -EINVAL, "rego_parse_error", file, 0, 0, "no source");
	/* Trailing NUL bytes end the text (C callers passing the terminator;
	 * regorus reads NUL as end of input, and Kata's large.rego has one).
	 * A NUL followed by anything else is rejected below. */
	while (len > 0 && src[len - 1] == '\0')
		len--;
	if (len > max_bytes)
		return cc_error_set_at(err, -E2BIG, "rego_parse_error", file, 0, 0,
		                       "source too large: %zu bytes (limit %zu)", len, max_bytes);
	*lenp = len;
	const char *msg;
	uint32_t line, col;
	if (rlex_check_source(src, len, max_line, max_lines, &msg, &line, &col) < 0)
		return cc_error_set_at(err, -EINVAL, "rego_parse_error", file, (int)line, (int)col,
		                       "%s", msg);
	return 0;
}

static int setup(struct parser *p, rarena *a, const char *file, const char *src, size_t len,
                 const struct rparse_opts *opts, bool v1, cc_error **err)
{
	const char *fname = file ? file : "";
	int r = check_input(fname, src, &len, opts, err);
	if (r < 0)
		return r;
	parser_init(p, a, src ? src : "", len, v1);
	p->file = rarena_strndup(a, fname, strlen(fname));
	if (p->file == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory while parsing");
	rp_scan(p);
	return 0;
}

static ast_module *build_module(struct parser *p, struct mbuild *mb)
{
	ast_module *m = rp_pz(p, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->file = p->file;
	m->package = mb->package;
	m->v1 = p->v1 || p->rego_v1_import;
	m->rules = (ast_rule **)mb->rules.v;
	m->nrules = mb->rules.n;
	if (mb->imports.n) {
		m->imports = rp_pnz(p, mb->imports.n, sizeof(*m->imports));
		if (m->imports == NULL)
			return NULL;
		for (size_t i = 0; i < mb->imports.n; i++)
			m->imports[i] = *(ast_import *)mb->imports.v[i];
		m->nimports = mb->imports.n;
	}
	return m;
}

int rparse_module(rarena *a, const char *file, const char *src, size_t len,
                  const struct rparse_opts *opts, ast_module **ret, cc_error **err)
{
	struct parser p;
	int r = setup(&p, a, file, src, len, opts, !(opts && opts->v0), err);
	if (r < 0)
		return r;
	struct mbuild mb;
	memset(&mb, 0, sizeof(mb));
	while (tk(&p) != RT_EOF && !p.oom) {
		rp_memo_reset(&p);
		if (!parse_statement(&p, &mb))
			break;
	}
	if (p.s.err == NULL && tk(&p) != RT_EOF && !p.oom)
		rp_illegal(&p, NULL);
	ast_module *m = NULL;
	if (p.s.err == NULL && !p.oom) {
		if (mb.nstmts == 0) {
			r = cc_error_set_at(err, -EINVAL, "rego_parse_error", p.file, 0, 0, "empty module");
			parser_fini(&p);
			return r;
		}
		if (p.conv_err == NULL && (p.v1 || p.rego_v1_import))
			check_v1(&p);
		if (p.conv_err == NULL)
			m = build_module(&p, &mb);
	}
	parser_fini(&p);
	if (m == NULL)
		return fail_with(&p, p.s.err ? p.s.err : p.conv_err ? p.conv_err : &oom_err, err);
#ifdef COCOON_REGO_BI_METADATA
	/* METADATA comment blocks (OPA's ProcessAnnotation): annotations.c. */
	if (opts == NULL || !opts->no_annotations) {
		r = rannot_module(a, m, p.s.lx.src, p.s.lx.len, err);
		if (r < 0)
			return r;
	}
#endif
	*ret = m;
	return 0;
}

/* Appends the statements of a query (`;`/newline separated). */
static ast_body *parse_query_stmts(struct parser *p)
{
	struct pvec exprs = {0};
	ast_loc loc = cur_loc(p);
	while (tk(p) != RT_EOF && !p->oom) {
		rp_memo_reset(p);
		int k = tk(p);
		if ((k == RT_PACKAGE || k == RT_IMPORT) && !next_is_ref_start(p)) {
			rp_illegal(p, NULL);
			return NULL;
		}
		ast_body *b = rp_parse_query_body(p, true, RT_EOF);
		if (b == NULL)
			return NULL;
		for (size_t i = 0; i < b->n; i++)
			if (!rp_pv_push(p, &exprs, b->exprs[i]))
				return NULL;
	}
	if (exprs.n == 0) {
		rp_perr_at(p, loc, "empty query");
		return NULL;
	}
	ast_body *body = rp_pz(p, sizeof(*body));
	if (body == NULL)
		return NULL;
	body->exprs = (ast_expr **)exprs.v;
	body->n = exprs.n;
	body->loc = loc;
	return body;
}

int rparse_query(rarena *a, const char *file, const char *src, size_t len,
                 const struct rparse_opts *opts, ast_body **ret, cc_error **err)
{
	struct parser p;
	int r = setup(&p, a, file, src, len, opts, !(opts && opts->v0), err);
	if (r < 0)
		return r;
	p.kwmask = KW_ALL; /* queries always have the future keywords */
	ast_body *b = parse_query_stmts(&p);
	parser_fini(&p);
	if (b == NULL || p.s.err != NULL || p.oom)
		return fail_with(&p, p.s.err ? p.s.err : &oom_err, err);
	*ret = b;
	return 0;
}

int rparse_term(rarena *a, const char *file, const char *src, size_t len,
                const struct rparse_opts *opts, ast_term **ret, cc_error **err)
{
	ast_body *b = NULL;
	int r = rparse_query(a, file, src, len, opts, &b, err);
	if (r < 0)
		return r;
	const ast_expr *e = b->exprs[0];
	if (b->n != 1)
		return cc_error_set_at(err, -EINVAL, "rego_parse_error", file, (int)e->loc.line,
		                       (int)e->loc.col, "expected exactly one term");
	if (e->kind != AE_TERM || e->negated || e->nwiths || e->a->kind == AT_CALL)
		return cc_error_set_at(err, -EINVAL, "rego_parse_error", file, (int)e->loc.line,
		                       (int)e->loc.col, "expected term");
	*ret = e->a;
	return 0;
}
