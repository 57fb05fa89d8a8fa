/* Unit tests for the Rego lexer and parser (lib/rego/lexer.c, parser*.c,
 * ast_print.c), plus a corpus run: every module, query and input_term of
 * the OPA conformance suite (v1), the Kata agent policies (v0) and the
 * Trustee policies (v1) must parse.
 *
 * Corpus locations (a missing directory skips that part):
 *   REGO_CONFORMANCE_DIR  default /work/shared/vectors/rego/opa/v1
 *   REGO_KATA_DIR         default /work/shared/vectors/rego/kata-agent-policy
 *   REGO_TRUSTEE_DIR      default /work/shared/vectors/rego/trustee
 * or as command-line arguments: test_parser [CONFORMANCE [KATA [TRUSTEE]]].
 * REGO_CORPUS_VERBOSE=1 lists every failure.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <yaml.h>

#include "rego/ast_print.h"
#include "rego/lexer.h"
#include "rego/parser.h"

/* ---- helpers ------------------------------------------------------------ */

struct res {
	int rc;
	char text[4096]; /* printed AST, or "line:col: message" */
	ast_module *mod;
	ast_body *body;
	rarena *a;
};

static struct res R;

static void res_reset(void)
{
	if (R.a != NULL)
		rarena_free(R.a);
	memset(&R, 0, sizeof(R));
	R.a = rarena_new(0);
	assert_non_null(R.a);
}

static void res_error(cc_error *err)
{
	snprintf(R.text, sizeof(R.text), "%d:%d: %s", cc_error_line(err), cc_error_col(err),
	         cc_error_message(err));
	assert_string_equal(cc_error_kind(err), "rego_parse_error");
	cc_error_free(err);
}

static void res_print(int r, cc_buf *out)
{
	assert_int_equal(r, 0);
	snprintf(R.text, sizeof(R.text), "%s", out->p ? out->p : "");
	cc_buf_free(out);
}

static struct res *mod_opts(const char *src, const struct rparse_opts *o)
{
	res_reset();
	cc_error *err = NULL;
	R.rc = rparse_module(R.a, "t.rego", src, strlen(src), o, &R.mod, &err);
	if (R.rc < 0) {
		res_error(err);
	} else {
		cc_buf out;
		cc_buf_init(&out, 0);
		res_print(ast_print_module(R.mod, &out), &out);
	}
	return &R;
}

static struct res *mod1(const char *src) { return mod_opts(src, NULL); }

static struct res *mod0(const char *src)
{
	struct rparse_opts o = {.v0 = true};
	return mod_opts(src, &o);
}

static struct res *query(const char *src)
{
	res_reset();
	cc_error *err = NULL;
	R.rc = rparse_query(R.a, "q", src, strlen(src), NULL, &R.body, &err);
	if (R.rc < 0) {
		res_error(err);
	} else {
		cc_buf out;
		cc_buf_init(&out, 0);
		res_print(ast_print_body(R.body, &out), &out);
	}
	return &R;
}

/* Module text after the package line. */
static const char *rules_text(void)
{
	const char *nl = strchr(R.text, '\n');
	return nl ? nl + 1 : R.text;
}

#define ASSERT_RULES(src, want)                             \
	do {                                                    \
		struct res *r_ = mod1(src);                         \
		if (r_->rc != 0)                                    \
			fail_msg("parse failed: %s", r_->text);         \
		assert_string_equal(rules_text(), want);            \
	} while (0)

#define ASSERT_RULES0(src, want)                            \
	do {                                                    \
		struct res *r_ = mod0(src);                         \
		if (r_->rc != 0)                                    \
			fail_msg("parse failed: %s", r_->text);         \
		assert_string_equal(rules_text(), want);            \
	} while (0)

#define ASSERT_QUERY(src, want)                             \
	do {                                                    \
		struct res *r_ = query(src);                        \
		if (r_->rc != 0)                                    \
			fail_msg("parse failed: %s", r_->text);         \
		assert_string_equal(r_->text, want);                \
	} while (0)

#define ASSERT_MOD_ERR(expr, want)                           \
	do {                                                    \
		struct res *r_ = (expr);                            \
		assert_true(r_->rc < 0);                            \
		assert_string_equal(r_->text, want);                \
	} while (0)

static int teardown(void **state)
{
	(void)state;
	if (R.a != NULL)
		rarena_free(R.a);
	memset(&R, 0, sizeof(R));
	return 0;
}

/* ---- lexer -------------------------------------------------------------- */

static void test_lexer_tokens(void **state)
{
	(void)state;
	const char *src = "a.b := [1.5e3, \"x\"] # c\n  != `r` $\"t{";
	struct rlexer lx;
	struct rtoken t;
	rlex_init(&lx, src, strlen(src));
	static const int want[] = {RT_IDENT, RT_DOT, RT_IDENT, RT_ASSIGN, RT_LBRACK, RT_NUMBER,
	                           RT_COMMA, RT_STRING, RT_RBRACK, RT_NEQ, RT_STRING, RT_TPART,
	                           RT_EOF};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		rlex_scan(&lx, &t);
		assert_int_equal(t.kind, want[i]);
		if (want[i] == RT_NEQ) {
			assert_true(t.flags & RTF_NL);
			assert_int_equal(t.line, 2);
			assert_int_equal(t.col, 3);
		}
	}
	rlex_init(&lx, "if in every contains foo", 24);
	rlex_scan(&lx, &t);
	assert_int_equal(t.kind, RT_IDENT);
	assert_int_equal(t.kw, RT_IF);
	rlex_scan(&lx, &t);
	assert_int_equal(t.kw, RT_IN);
	rlex_scan(&lx, &t);
	assert_int_equal(t.kw, RT_EVERY);
	rlex_scan(&lx, &t);
	assert_int_equal(t.kw, RT_CONTAINS);
	rlex_scan(&lx, &t);
	assert_int_equal(t.kw, 0);
}

static void test_lexer_unescape(void **state)
{
	(void)state;
	char out[64];
	size_t n;
	const char *in = "a\\n\\u00e9\\ud83d\\ude00\\ud800x\\/";
	assert_int_equal(rlex_unescape(in, strlen(in), false, out, &n), 0);
	assert_int_equal(n, 1 + 1 + 2 + 4 + 3 + 1 + 1);
	assert_memory_equal(out, "a\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx/", n);
	assert_int_equal(rlex_unescape("\\q", 2, false, out, &n), -EINVAL);
	assert_int_equal(rlex_unescape("\\u12g4", 6, false, out, &n), -EINVAL);
	assert_int_equal(rlex_unescape("a\t\\n", 4, false, out, &n), -EINVAL);
	assert_int_equal(rlex_unescape("a\\{b", 4, true, out, &n), 0);
	assert_memory_equal(out, "a{b", 3);
}

/* ---- terms and precedence ------------------------------------------------ */

static void test_precedence(void **state)
{
	(void)state;
	ASSERT_QUERY("x := 1 + 2 * 3 - 4 / 2 % 3",
	             "x := minus(plus(1, mul(2, 3)), rem(div(4, 2), 3))");
	ASSERT_QUERY("a == b + 1 | c & d", "equal(a, or(plus(b, 1), and(c, d)))");
	ASSERT_QUERY("a < b == c != d", "neq(equal(lt(a, b), c), d)");
	ASSERT_QUERY("x in xs == true", "internal.member_2(x, equal(xs, true))");
	ASSERT_QUERY("k, v in xs", "internal.member_3(k, v, xs)");
	ASSERT_QUERY("x in y in z", "internal.member_2(internal.member_2(x, y), z)");
	ASSERT_QUERY("[k, v in xs]", "[k, internal.member_2(v, xs)]");
	ASSERT_QUERY("f(k, v in xs)", "f(k, internal.member_2(v, xs))");
	ASSERT_QUERY("x = (1 + 2) * 3", "x = mul(plus(1, 2), 3)");
	ASSERT_QUERY("x := -1; y := 3 - -2; z := - 1.5", "x := -1; y := minus(3, -2); z := -1.5");
	ASSERT_QUERY("x := a-1", "x := minus(a, 1)");
	ASSERT_QUERY("x := .5", "x := 0.5");
}

static void test_terms(void **state)
{
	(void)state;
	ASSERT_QUERY("x := {}", "x := {}");
	ASSERT_QUERY("x := set()", "x := set()");
	ASSERT_QUERY("x := {1, 2,}", "x := {1, 2}");
	ASSERT_QUERY("x := {\"a\": 1, \"b\": [true, null]}",
	             "x := {\"a\": 1, \"b\": [true, null]}");
	ASSERT_QUERY("x := [y | y := input[_]]", "x := [y | y := input[$0]]");
	ASSERT_QUERY("x := {y | y := 1}", "x := {y | y := 1}");
	ASSERT_QUERY("x := {k: v | some k, v in input}", "x := {k: v | some k, v in input}");
	ASSERT_QUERY("x := [a | b]", "x := [a | b]");
	ASSERT_QUERY("x := [a | b, c]", "x := [or(a, b), c]");
	ASSERT_QUERY("x := [1 + 2 | true]", "x := [or(plus(1, 2), true)]");
	ASSERT_QUERY("x := {1 | 2}", "x := {1 | 2}");
	ASSERT_QUERY("x := {a + 1: b | true}", "x := {plus(a, 1): b | true}");
	ASSERT_QUERY("a.b[x][_][\"k\"].c", "a.b[x][$0].k.c");
	ASSERT_QUERY("f(x).y", "f(x).y");
	ASSERT_QUERY("[1, 2][0]", "[1, 2][0]");
	ASSERT_QUERY("a.b.c(x)", "a.b.c(x)");
	ASSERT_QUERY("data.lib[\"f\"](1)", "data.lib.f(1)");
	ASSERT_QUERY("x := \"a\\tb\\u00e9\"", "x := \"a\\tb\xc3\xa9\"");
	ASSERT_QUERY("x := `raw\\n`", "x := \"raw\\\\n\"");
	ASSERT_QUERY("input", "input");
	ASSERT_QUERY("x := 123456789012345678901234567890",
	             "x := 123456789012345678901234567890");
	ASSERT_QUERY("x = y\n  z", "x = y; z");
	ASSERT_QUERY("_ = 1; _ = 2", "$0 = 1; $1 = 2");
	/* a space ends a ref: `a [1]` is not an index but a new statement */
	ASSERT_QUERY("x := a [1]", "x := a; [1]");
}

/* ---- rules ----------------------------------------------------------------- */

static const ast_rule *rule_at(size_t i)
{
	assert_true(R.rc == 0);
	assert_true(i < R.mod->nrules);
	return R.mod->rules[i];
}

static void test_rules_v1(void **state)
{
	(void)state;
	ASSERT_RULES("package p\np := 1\n", "p := 1 if { true }\n");
	assert_int_equal(rule_at(0)->kind, AR_COMPLETE);
	assert_true(rule_at(0)->is_assign);
	ASSERT_RULES("package p\np if { true }\n", "p = true if { true }\n");
	ASSERT_RULES("package p\np if input.x > 1\n", "p = true if { gt(input.x, 1) }\n");
	ASSERT_RULES("package p\np if {}\n", "p = true if { {} }\n");
	ASSERT_RULES("package p\np.q.r := 1 if true\n", "p.q.r := 1 if { true }\n");
	assert_int_equal(rule_at(0)->kind, AR_COMPLETE);
	assert_int_equal(rule_at(0)->head->u.list.n, 3);
	ASSERT_RULES("package p\np contains x if { x := 1 }\n",
	             "p contains x if { x := 1 }\n");
	assert_int_equal(rule_at(0)->kind, AR_MULTI);
	ASSERT_RULES("package p\np.q contains 1\n", "p.q contains 1 if { true }\n");
	assert_int_equal(rule_at(0)->kind, AR_MULTI);
	assert_int_equal(rule_at(0)->head->u.list.n, 2);
	ASSERT_RULES("package p\np[x] if { x := 1 }\n", "p[x] = true if { x := 1 }\n");
	assert_int_equal(rule_at(0)->kind, AR_OBJECT);
	ASSERT_RULES("package p\np[k] := v if { k := 1; v := 2 }\n",
	             "p[k] := v if { k := 1; v := 2 }\n");
	assert_int_equal(rule_at(0)->kind, AR_OBJECT);
	ASSERT_RULES("package p\np.q[k].r := 1 if { k := 1 }\n",
	             "p.q[k].r := 1 if { k := 1 }\n");
	assert_int_equal(rule_at(0)->kind, AR_OBJECT);
	ASSERT_RULES("package p\np[\"a\"] := 1\n", "p.a := 1 if { true }\n");
	assert_int_equal(rule_at(0)->kind, AR_COMPLETE);
	ASSERT_RULES("package p\nf(x, [y, _]) := v if { v := x + y }\n",
	             "f(x, [y, $0]) := v if { v := plus(x, y) }\n");
	assert_int_equal(rule_at(0)->kind, AR_FUNCTION);
	assert_int_equal(rule_at(0)->nargs, 2);
	ASSERT_RULES("package p\nf(x) if x > 1\n", "f(x) = true if { gt(x, 1) }\n");
	ASSERT_RULES("package p\na.b.f(x) := 1\n", "a.b.f(x) := 1 if { true }\n");
	assert_int_equal(rule_at(0)->kind, AR_FUNCTION);
	ASSERT_RULES("package p\ndefault allow := false\ndefault f(_) := 1\n",
	             "default allow := false\ndefault f($0) := 1\n");
	assert_true(rule_at(0)->is_default);
	ASSERT_RULES("package p\np := x if { x := 1 } else := 2 if { true } else := 3\n",
	             "p := x if { x := 1 } else := 2 if { true } else := 3 if { true }\n");
	assert_non_null(rule_at(0)->els);
	assert_non_null(rule_at(0)->els->els);
	assert_null(rule_at(0)->els->els->els);
	ASSERT_RULES("package p\nf(_) := 1 if false else := 2\n",
	             "f($0) := 1 if { false } else := 2 if { true }\n");
	/* the else branch gets its own argument terms */
	assert_ptr_not_equal(rule_at(0)->args[0], rule_at(0)->els->args[0]);
	assert_string_equal(rule_at(0)->els->args[0]->u.var.name, "$1");
	assert_int_equal(rule_at(0)->els->kind, AR_FUNCTION);
	ASSERT_RULES("package p\np if false else if true\n",
	             "p = true if { false } else = true if { true }\n");
	ASSERT_RULES("package p\nimport rego.v1\nimport data.x.y as z\nimport input.foo\n"
	             "import future.keywords.in\np := z\n",
	             "import rego.v1\nimport data.x.y as z\nimport input.foo\n"
	             "import future.keywords.in\np := z if { true }\n");
	assert_true(R.mod->v1);
	assert_string_equal(R.mod->imports[1].alias, "z");
}

static void test_rules_v0(void **state)
{
	(void)state;
	ASSERT_RULES0("package p\np { true }\n", "p = true if { true }\n");
	assert_false(R.mod->v1);
	ASSERT_RULES0("package p\np[x] { x := 1 }\n", "p contains x if { x := 1 }\n");
	assert_int_equal(rule_at(0)->kind, AR_MULTI);
	assert_int_equal(rule_at(0)->head->u.list.n, 1);
	ASSERT_RULES0("package p\np[k] = v { k := 1; v := 2 }\n",
	              "p[k] = v if { k := 1; v := 2 }\n");
	assert_int_equal(rule_at(0)->kind, AR_OBJECT);
	ASSERT_RULES0("package p\np.q { true }\n", "p contains \"q\" if { true }\n");
	ASSERT_RULES0("package p\nf(x) = y { y := x }\nf(x) { x }\n",
	              "f(x) = y if { y := x }\nf(x) = true if { x }\n");
	ASSERT_RULES0("package p\np { 1 } { 2 }\n", "p = true if { 1 }\np = true if { 2 }\n");
	assert_int_equal(R.mod->nrules, 2);
	assert_ptr_not_equal(rule_at(0)->head, rule_at(1)->head);
	ASSERT_RULES0("package p\np = 1 { false } else = 2 { true } else { true }\n",
	              "p = 1 if { false } else = 2 if { true } else = true if { true }\n");
	ASSERT_RULES0("package p\np[x]\n", "p contains x if { true }\n");
	ASSERT_RULES0("package p\np = 1\nq[\"a\"] = 2\n", "p = 1 if { true }\nq.a = 2 if { true }\n");
	/* in v0, the future keywords are identifiers until imported */
	ASSERT_RULES0("package p\ncontains := 1\nif := 2\n", "contains := 1 if { true }\nif := 2 if { true }\n");
	ASSERT_RULES0("package p\nimport future.keywords.in\np { 1 in [1] }\n",
	              "import future.keywords.in\np = true if { internal.member_2(1, [1]) }\n");
	ASSERT_RULES0("package p\nimport future.keywords\np contains 1 if true\n",
	              "import future.keywords\np contains 1 if { true }\n");
	ASSERT_RULES0("package p\nimport future.keywords.every\np { every x in [1] { x } }\n",
	              "import future.keywords.every\np = true if { every x in [1] { x } }\n");
	ASSERT_MOD_ERR(mod0("package p\np { 1 in [1] }\n"),
	               "2:7: unexpected identifier token: expected \\n or ; or }");
	/* import rego.v1 makes the module v1 */
	ASSERT_MOD_ERR(mod0("package p\nimport rego.v1\np { true }\n"),
	               "3:1: `if` keyword is required before rule body");
	ASSERT_RULES0("package p\nimport rego.v1\np if { true }\n",
	              "import rego.v1\np = true if { true }\n");
	assert_true(R.mod->v1);
}

/* ---- expressions ---------------------------------------------------------- */

static void test_some_every_with(void **state)
{
	(void)state;
	ASSERT_QUERY("some x, y", "some x, y");
	assert_int_equal(R.body->exprs[0]->kind, AE_SOME);
	assert_int_equal(R.body->exprs[0]->some.nvars, 2);
	ASSERT_QUERY("some x in xs", "some x in xs");
	assert_int_equal(R.body->exprs[0]->kind, AE_SOME_IN);
	assert_null(R.body->exprs[0]->some.key);
	ASSERT_QUERY("some k, v in xs", "some k, v in xs");
	assert_non_null(R.body->exprs[0]->some.key);
	ASSERT_QUERY("some [a, b] in xs", "some [a, b] in xs");
	ASSERT_QUERY("every x in xs { x > 1; x < 5 }", "every x in xs { gt(x, 1); lt(x, 5) }");
	assert_int_equal(R.body->exprs[0]->kind, AE_EVERY);
	assert_int_equal(R.body->exprs[0]->some.body->n, 2);
	ASSERT_QUERY("every k, v in xs { k == v }", "every k, v in xs { equal(k, v) }");
	ASSERT_QUERY("x with input as 1 with data.a.b as {\"c\": 2} with count as mock",
	             "x with input as 1 with data.a.b as {\"c\": 2} with count as mock");
	assert_int_equal(R.body->exprs[0]->nwiths, 3);
	ASSERT_QUERY("not x with input as 1", "not x with input as 1");
	assert_true(R.body->exprs[0]->negated);
	ASSERT_QUERY("not x in xs", "not internal.member_2(x, xs)");
	ASSERT_QUERY("x = 1; y := 2", "x = 1; y := 2");
	assert_int_equal(R.body->exprs[0]->kind, AE_UNIFY);
	assert_int_equal(R.body->exprs[1]->kind, AE_ASSIGN);
	assert_true(query("not some x")->rc < 0);
	assert_string_equal(R.text, "1:5: unexpected some keyword: illegal negation of 'some'");
	assert_true(query("every [a] in xs { a }")->rc < 0);
	assert_string_equal(R.text, "1:17: unexpected { token: expected value to be a variable");
	assert_true(query("every x in xs")->rc < 0);
	assert_string_equal(R.text, "1:14: unexpected eof token: missing body");
}

static void test_templates(void **state)
{
	(void)state;
	ASSERT_QUERY("x := $\"\"", "x := $\"\"");
	/* inlined scalar parts print as text */
	ASSERT_QUERY("x := $\"a{1 + y}b{\"s\"}c\\{d}\"", "x := $\"a{plus(1, y)}bsc\\{d}\"");
	const ast_term *t = R.body->exprs[0]->b;
	assert_int_equal(t->kind, AT_TEMPLATE);
	assert_int_equal(t->u.list.n, 5); /* a, expr, b, "s" (inlined), "c{d" */
	assert_non_null(t->u.list.exprs);
	assert_non_null(t->u.list.exprs[1]);
	assert_null(t->u.list.exprs[3]);
	ASSERT_QUERY("x := $\"{$\"{a}\"} {b}\"", "x := $\"{$\"{a}\"} {b}\"");
	ASSERT_QUERY("x := $`multi\nline {y} \\n`", "x := $\"multi\\nline {y} \\\\n\"");
	ASSERT_QUERY("x := $\"{a with input as {\"a\": 1}}\"",
	             "x := $\"{a with input as {\"a\": 1}}\"");
	assert_int_equal(R.body->exprs[0]->b->u.list.exprs[0]->nwiths, 1);
	ASSERT_QUERY("x := $\"{[y | some y in a]} {{1}}\"",
	             "x := $\"{[y | some y in a]} {{1}}\"");
	assert_true(query("x := $\"{y := 1}\"")->rc < 0);
	assert_string_equal(R.text,
	                    "1:9: unexpected assignment (':=') in template-string expression");
	assert_true(query("x := $\"{not y}\"")->rc < 0);
	assert_string_equal(R.text,
	                    "1:9: unexpected negation ('not') in template-string expression");
	assert_true(query("x := $\"{y\"")->rc < 0);
}

static void test_keyword_refs(void **state)
{
	(void)state;
	ASSERT_RULES("package foo.in.bar\nbaz := 42\n", "baz := 42 if { true }\n");
	assert_string_equal(R.text, "package foo.in.bar\nbaz := 42 if { true }\n");
	ASSERT_RULES("package test\nin.foo := 1\nfoo.in := 2\nnot.bar contains 1\n"
	             "true.f(x) := x if x\np if { in.foo == 1; null.x; data.every.x }\n",
	             "in.foo := 1 if { true }\nfoo.in := 2 if { true }\n"
	             "not.bar contains 1 if { true }\ntrue.f(x) := x if { x }\n"
	             "p = true if { equal(in.foo, 1); null.x; data.every.x }\n");
	ASSERT_RULES("package test\nimport data.foo.in.bar\nimport data.foo.if as my_if\n"
	             "as.foo := 1 if { input.x == 1 } else := 2\n",
	             "import data.foo.in.bar\nimport data.foo.if as my_if\n"
	             "as.foo := 1 if { equal(input.x, 1) } else := 2 if { true }\n");
	ASSERT_MOD_ERR(mod1("package test\nimport data.foo.in\n"),
	               "2:17: unexpected import path, must not end with a keyword, got: in "
	               "(hint: import a different path or use an alias)");
}

/* ---- errors ------------------------------------------------------------------ */

static void test_errors(void **state)
{
	(void)state;
	ASSERT_MOD_ERR(mod1("package p\np if { x := 1 }}\n"), "2:16: unexpected } token");
	ASSERT_MOD_ERR(mod1("package p\nx\n"), "2:1: var cannot be used for rule name");
	ASSERT_MOD_ERR(mod1("package p\n\"s\"\n"), "2:1: string cannot be used for rule name");
	ASSERT_MOD_ERR(mod1("package p\np { true }\n"),
	               "2:1: `if` keyword is required before rule body");
	ASSERT_MOD_ERR(mod1("package p\nf(x) { true }\n"),
	               "2:1: `if` keyword is required before function body");
	ASSERT_MOD_ERR(mod1("package p\np[x] { x := 1 }\n"),
	               "2:1: `if` keyword is required before rule body");
	ASSERT_MOD_ERR(mod1("package p\np[x]\n"),
	               "2:1: `contains` keyword is required for partial set rules");
	ASSERT_MOD_ERR(mod1("package p\np.q.r\n"),
	               "2:1: rule must have value assignment and/or body declaration");
	ASSERT_MOD_ERR(mod1("p := 1\n"), "1:1: package expected");
	ASSERT_MOD_ERR(mod1("package p\npackage q\n"), "2:1: unexpected package");
	ASSERT_MOD_ERR(mod1("# only a comment\n"), "0:0: empty module");
	ASSERT_MOD_ERR(mod1("package p\np := \"abc\n"), "2:6: non-terminated string");
	ASSERT_MOD_ERR(mod1("package p\np := 01\n"),
	               "2:6: unexpected number token: expected number without leading zero");
	ASSERT_MOD_ERR(mod1("package p\np := 1.\n"), "2:6: expected fraction");
	ASSERT_MOD_ERR(mod1("package p\np := \"\\q\"\n"), "2:6: illegal escape sequence");
	ASSERT_MOD_ERR(mod1("package p\np := \"\\u12\"\n"), "2:6: non-terminated string");
	ASSERT_MOD_ERR(mod1("package p\np := x ! y\n"), "2:8: illegal ! character");
	ASSERT_MOD_ERR(mod1("package p\np := [1 2]\n"),
	               "2:9: unexpected number token: expected \",\" or \"]\"");
	ASSERT_MOD_ERR(mod1("package p\np if {\n  x := 1 y := 2\n}\n"),
	               "3:10: unexpected identifier token: expected \\n or ; or }");
	/* `p if {}` is a rule whose body is the empty object, as in OPA */
	ASSERT_RULES("package p\np if { }\n", "p = true if { {} }\n");
	ASSERT_MOD_ERR(mod0("package p\np { }\n"), "2:5: found empty body");
	ASSERT_MOD_ERR(mod1("package p\ndefault p := x\n"),
	               "2:1: illegal default rule (value cannot contain var)");
	/* as in OPA, `default p` means `default p = true`, but p[x] has no value */
	ASSERT_RULES("package p\ndefault p\n", "default p = true\n");
	ASSERT_MOD_ERR(mod1("package p\ndefault p[x]\n"),
	               "2:1: illegal default rule (must have a value)");
	ASSERT_MOD_ERR(mod1("package p\ndefault f(x, x) := 1\n"),
	               "2:1: illegal default rule (arguments cannot be repeated x)");
	ASSERT_MOD_ERR(mod1("package p\np[x] := 1 if true else := 2\n"),
	               "2:19: else keyword cannot be used on rules with variables in head");
	ASSERT_MOD_ERR(mod1("package p\nimport foo.bar\n"),
	               "2:8: unexpected import path, must begin with one of: {data, future, input, "
	               "rego}, got: foo (hint: if this is unexpected, try updating OPA)");
	ASSERT_MOD_ERR(mod1("package p\nimport future.keywords.foo\n"),
	               "2:8: unexpected keyword, must be one of [contains every if in]");
	ASSERT_MOD_ERR(mod1("package p\nimport rego.v2\n"),
	               "2:8: invalid import `rego.v2`, must be `rego.v1`");
	ASSERT_MOD_ERR(mod1("package p\nx == 1\n"), "2:1: rule name conflicts with built-in function");
	ASSERT_MOD_ERR(mod1("package p\np := a .b\n"), "2:9: unexpected identifier token: expected number");
	ASSERT_MOD_ERR(mod1("package p\np := a. b\n"),
	               "2:8: unexpected whitespace token: expected identifier");
	ASSERT_MOD_ERR(mod1("package p\np := \"a\"[0]\n"), "2:6: illegal ref (head cannot be string)");
	ASSERT_MOD_ERR(mod1("package p\np := x @ y\n"), "2:8: illegal token");
	ASSERT_MOD_ERR(mod1("package p\np := (1 + 2\n"), "3:1: non-terminated expression");
	ASSERT_MOD_ERR(mod1("package p\np := 1e999999\n"), "2:6: number too big");
	ASSERT_MOD_ERR(mod1("package p\np contains\n"),
	               "3:1: unexpected eof token");
	ASSERT_MOD_ERR(mod1("package p\nf(x) contains 1\n"),
	               "2:6: unexpected contains keyword: the contains keyword can only be used with "
	               "multi-value rule definitions (e.g., f contains <VALUE> { ... })");
	ASSERT_MOD_ERR(mod1("package p\np := {\"a\": 1, \"b\": [1 2]}\n"),
	               "2:12: unexpected number token: non-terminated object");
	assert_true(query("")->rc < 0);
	assert_string_equal(R.text, "1:1: empty query");
	assert_true(query("package x")->rc < 0);
}

static void test_limits(void **state)
{
	(void)state;
	struct rparse_opts o = {.max_bytes = 16};
	ASSERT_MOD_ERR(mod_opts("package p\np := 1234567\n", &o),
	               "0:0: source too large: 23 bytes (limit 16)");
	assert_int_equal(R.rc, -E2BIG);
	struct rparse_opts ol = {.max_line = 8};
	ASSERT_MOD_ERR(mod_opts("package p\np := 1\n", &ol), "1:9: line too long");
	/* a bad character at the limit is reported before the length; a
	 * character that starts inside the limit is read whole */
	ASSERT_MOD_ERR(mod_opts("package \xff\n", &ol), "1:9: illegal utf-8 character");
	ASSERT_MOD_ERR(mod_opts("p := \"\xc3\xa9\"x\n", &ol), "1:9: line too long");
	struct rparse_opts o9 = {.max_line = 9};
	assert_int_equal(mod_opts("package p\n# \xc3\xa9\xc3\xa9\xc3\xa9\n#23456789", &o9)->rc, 0);
	assert_int_equal(mod_opts("package p\n#2345678\xc3\xa9\n", &o9)->rc, 0);
	ASSERT_MOD_ERR(mod_opts("package p\n#2345678\xc3\xa9x\n", &o9), "2:11: line too long");
	struct rparse_opts on = {.max_lines = 2};
	ASSERT_MOD_ERR(mod_opts("package p\np := 1\nq := 2\n", &on), "3:1: too many lines");
	assert_int_equal(mod_opts("package p\np := 1\n", &on)->rc, 0);
	/* embedded NUL, bad UTF-8, stray BOM */
	res_reset();
	cc_error *err = NULL;
	ast_module *m;
	assert_int_equal(rparse_module(R.a, "t", "package p\np := \"a\0b\"\n", 21, NULL, &m, &err),
	                 -EINVAL);
	assert_string_equal(cc_error_message(err), "illegal null character");
	assert_int_equal(cc_error_line(err), 2);
	assert_int_equal(cc_error_col(err), 8);
	cc_error_free(err);
	/* trailing NULs end the text (C strings passed with their terminator) */
	res_reset();
	err = NULL;
	assert_int_equal(rparse_module(R.a, "t", "package p\np := 1\n\0\0", 19, NULL, &m, &err), 0);
	assert_int_equal(rparse_module(R.a, "t", "package p\0\np := 1\n", 19, NULL, &m, &err),
	                 -EINVAL);
	assert_string_equal(cc_error_message(err), "illegal null character");
	cc_error_free(err);
	ASSERT_MOD_ERR(mod1("package p\np := \"\xff\"\n"), "2:7: illegal utf-8 character");
	ASSERT_MOD_ERR(mod1("package p\np := \"\xed\xa0\x80\"\n"), "2:7: illegal utf-8 character");
	ASSERT_MOD_ERR(mod1("package p\np := 1 \xef\xbb\xbf\n"), "2:8: illegal byte-order mark");
	ASSERT_RULES("\xef\xbb\xbfpackage p\np := \"\xc3\xa9\"\n", "p := \"\xc3\xa9\" if { true }\n");
}

static void test_depth(void **state)
{
	(void)state;
	/* Deep nesting must fail cleanly, never overflow the stack. */
	const size_t depth = 100000;
	char *src = malloc(depth * 3 + 32);
	assert_non_null(src);
	const char *shapes[] = {"[", "{", "(", "f(", "{\"a\":", "a[", "$\"{", "[x | "};
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		size_t o = (size_t)snprintf(src, 32, "x := ");
		size_t w = strlen(shapes[s]);
		for (size_t i = 0; i < depth / w; i++) {
			memcpy(src + o, shapes[s], w);
			o += w;
			if (i % 64 == 63)
				src[o++] = '\n';
		}
		src[o] = '\0';
		if (query(src)->rc == 0 || strstr(R.text, "max parsing recursion depth exceeded") == NULL)
			fail_msg("shape %s: %s", shapes[s], R.text);
	}
	/* bodies nested through every */
	size_t o = 0;
	for (size_t i = 0; i < 2000; i++)
		o += (size_t)snprintf(src + o, 64, "every x in y { ");
	src[o] = '\0';
	assert_true(query(src)->rc < 0);
	assert_non_null(strstr(R.text, "max parsing recursion depth exceeded"));
	/* moderate nesting is fine */
	o = (size_t)snprintf(src, 32, "x := ");
	for (size_t i = 0; i < 100; i++)
		src[o++] = '[';
	for (size_t i = 0; i < 100; i++)
		src[o++] = ']';
	src[o] = '\0';
	assert_int_equal(query(src)->rc, 0);
	free(src);
}

/* Nested terms that OPA's parser re-parses speculatively must stay linear
 * (memoised), not exponential. */
static void test_backtracking_linear(void **state)
{
	(void)state;
	size_t n = 150;
	char *src = malloc(n * 8 + 32);
	assert_non_null(src);
	size_t o = (size_t)snprintf(src, 32, "x := ");
	for (size_t i = 0; i < n; i++)
		src[o++] = '[';
	src[o++] = '1';
	for (size_t i = 0; i < n; i++) {
		memcpy(src + o, "]+1", 3);
		o += 3;
	}
	src[o] = '\0';
	assert_int_equal(query(src)->rc, 0);
	o = (size_t)snprintf(src, 32, "x := ");
	for (size_t i = 0; i < n; i++) {
		memcpy(src + o, "{a: ", 4);
		o += 4;
	}
	src[o++] = '1';
	for (size_t i = 0; i < n; i++) {
		memcpy(src + o, "+1}", 3);
		o += 3;
	}
	src[o] = '\0';
	assert_int_equal(query(src)->rc, 0);
	free(src);
}

/* A fuzzer find: after an error, OPA-style recovery keeps parsing and its
 * speculative attempts must still be memoised (was 9 MB of arena for
 * these 1100 bytes, growing exponentially). */
static void test_backtracking_after_error(void **state)
{
	(void)state;
	static const char src[] =
	    "pac ; y  in input\nne(((((mount.typon ==  p_mou((on ==  p_mount.typon ==  p_moun"
	    "t.type(((((mount.typon ==  p_mou(((((((((((((ation == i_mount(,((e(((((((((((z(("
	    "(((((((((((((((((ation == i_/mount.d(== i_mount.d((typon ==  p_mypon ==  p_mou(("
	    "on ==  p_mount.typon ==  p_mount.type(((((mount.typon ==  p_mou(((((((((((((atio"
	    "n == i_mount(,((e(((((((((((z(((((((((((((((((((ation == i_/mount.d(== i_mount.d"
	    "((typon ==  p_mount.type(((((mou((((((((((((((((((ation == i_/mount.d(== i_mount"
	    ".d((typon ==  p_mypon ==  p_mou((on ==  p_mount.typon ==  p_mount.type(((((mount"
	    ".typon ==  p_mou(((((((((((((ation == i_mount(,((e(((((((((((z(((((((((((((((((("
	    "(ation == i_/mount.d(== i_mount.d((typon ==  p_mount.type(((((mount.tpe(((((moun"
	    "t.typon ==  p_mou(((((((((((((ation == i_mount(,((e(((((((((((z((((((((((((((((("
	    "((ation == i_/mount.d(== i_mount.d((typon ==  p_mount.type(((((mount.typon ==  p"
	    "_mou((((((((((()((ation == i_mount(,((e(((((((((((z(ation == i_/mount.d(== i_mou"
	    "nt.d((typon ==  p_mount.type(((((mount.typon ==  p_mou((((((((((()((ation == i_m"
	    "ount(,((e(((((((((((z((((((((((((((((ypon ==  p_mou((((((((((";
	rarena *a = rarena_new(2u << 20);
	assert_non_null(a);
	cc_error *err = NULL;
	ast_body *b;
	assert_int_equal(rparse_query(a, "q", src, sizeof(src) - 1, NULL, &b, &err), -EINVAL);
	cc_error_free(err);
	rarena_free(a);
}

static void test_term_api(void **state)
{
	(void)state;
	res_reset();
	cc_error *err = NULL;
	ast_term *t;
	const char *s = "{\"a\": {1, 2}, \"b\": [null]}";
	assert_int_equal(rparse_term(R.a, "t", s, strlen(s), NULL, &t, &err), 0);
	assert_int_equal(t->kind, AT_OBJ);
	assert_int_equal(rparse_term(R.a, "t", "x = 1", 5, NULL, &t, &err), -EINVAL);
	assert_string_equal(cc_error_message(err), "expected term");
	cc_error_free(err);
	err = NULL;
	assert_int_equal(rparse_term(R.a, "t", "1; 2", 4, NULL, &t, &err), -EINVAL);
	cc_error_free(err);
}

static void test_oom(void **state)
{
	(void)state;
	/* Every arena limit below the needed size fails with -ENOMEM, cleanly. */
	const char *src = "package p\nimport future.keywords.in\n"
	                  "p[x] := y if { some x in input; y := [z | z := x[_]]; f(y) }\n"
	                  "f(a) := $\"{a}\" if true else := 1\n";
	size_t need = 0;
	for (size_t limit = 1024; limit < (1u << 20); limit += 1024) {
		rarena *a = rarena_new(limit);
		assert_non_null(a);
		cc_error *err = NULL;
		ast_module *m;
		int r = rparse_module(a, "t", src, strlen(src), NULL, &m, &err);
		rarena_free(a);
		if (r == 0) {
			need = limit;
			break;
		}
		assert_int_equal(r, -ENOMEM);
		cc_error_free(err);
	}
	assert_true(need > 0);
}

/* ---- corpus ---------------------------------------------------------------- */

struct corpus {
	size_t ok, fail;
	size_t kind_ok[3];
	const char *what;
	bool verbose;
};

static struct corpus C;
static bool corpus_v0;

static int parse_src(const char *name, const char *src, size_t len, int kind, char *msg, size_t n)
{
	rarena *a = rarena_new(0);
	if (a == NULL)
		return -ENOMEM;
	cc_error *err = NULL;
	struct rparse_opts o = {.v0 = corpus_v0};
	int r;
	if (kind == 0) {
		ast_module *m;
		r = rparse_module(a, name, src, len, &o, &m, &err);
	} else if (kind == 1) {
		ast_body *b;
		r = rparse_query(a, name, src, len, &o, &b, &err);
	} else {
		ast_term *t;
		r = rparse_term(a, name, src, len, &o, &t, &err);
	}
	if (r < 0) {
		char *f = cc_error_format(err);
		snprintf(msg, n, "%s", f ? f : "?");
		free(f);
		cc_error_free(err);
	}
	rarena_free(a);
	return r;
}

static void corpus_one(const char *name, const char *src, size_t len, int kind)
{
	static const char *const kinds[] = {"module", "query", "input_term"};
	char msg[512];
	if (parse_src(name, src, len, kind, msg, sizeof(msg)) == 0) {
		C.ok++;
		C.kind_ok[kind]++;
		return;
	}
	C.fail++;
	if (C.verbose || C.fail <= 50)
		printf("  FAIL %s (%s): %s\n", name, kinds[kind], msg);
}

static const yaml_node_t *map_get(yaml_document_t *d, const yaml_node_t *m, const char *key)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (const yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static void corpus_yaml_case(yaml_document_t *d, const yaml_node_t *c, const char *path)
{
	char name[1024];
	const yaml_node_t *mods = map_get(d, c, "modules");
	if (mods != NULL && mods->type == YAML_SEQUENCE_NODE) {
		int i = 0;
		for (yaml_node_item_t *it = mods->data.sequence.items.start;
		     it < mods->data.sequence.items.top; it++, i++) {
			const yaml_node_t *s = yaml_document_get_node(d, *it);
			if (s == NULL || s->type != YAML_SCALAR_NODE)
				continue;
			const yaml_node_t *note = map_get(d, c, "note");
			snprintf(name, sizeof(name), "%s [%s] module %d", path,
			         note ? (const char *)note->data.scalar.value : "?", i);
			corpus_one(name, (const char *)s->data.scalar.value, s->data.scalar.length, 0);
		}
	}
	static const char *const keys[] = {"query", "input_term"};
	for (int k = 0; k < 2; k++) {
		const yaml_node_t *q = map_get(d, c, keys[k]);
		if (q == NULL || q->type != YAML_SCALAR_NODE)
			continue;
		snprintf(name, sizeof(name), "%s %s", path, keys[k]);
		corpus_one(name, (const char *)q->data.scalar.value, q->data.scalar.length, k + 1);
	}
}

static void corpus_yaml(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return;
	yaml_parser_t yp;
	yaml_document_t d;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_file(&yp, f);
	if (!yaml_parser_load(&yp, &d)) {
		printf("  YAML error in %s\n", path);
		C.fail++;
		yaml_parser_delete(&yp);
		fclose(f);
		return;
	}
	const yaml_node_t *cases = map_get(&d, yaml_document_get_root_node(&d), "cases");
	if (cases != NULL && cases->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = cases->data.sequence.items.start;
		     it < cases->data.sequence.items.top; it++)
			corpus_yaml_case(&d, yaml_document_get_node(&d, *it), path);
	}
	yaml_document_delete(&d);
	yaml_parser_delete(&yp);
	fclose(f);
}

static void corpus_rego(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap);
			assert_non_null(nb);
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	corpus_one(path, buf ? buf : "", len, 0);
	free(buf);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int corpus_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	if (ends_with(path, ".yaml") || ends_with(path, ".yml"))
		corpus_yaml(path);
	else if (ends_with(path, ".rego"))
		corpus_rego(path);
	return 0;
}

static const char *corpus_dirs[3];

static void run_corpus(const char *what, const char *dir, bool v0, size_t *ok, size_t *fail)
{
	struct stat st;
	if (dir == NULL || stat(dir, &st) != 0) {
		printf("[corpus] %s: %s not found, skipped\n", what, dir ? dir : "(unset)");
		return;
	}
	memset(&C, 0, sizeof(C));
	C.what = what;
	C.verbose = getenv("REGO_CORPUS_VERBOSE") != NULL;
	corpus_v0 = v0;
	nftw(dir, corpus_visit, 16, FTW_PHYS);
	printf("[corpus] %s (%s, %s): %zu parsed (%zu modules, %zu queries, %zu input_terms), "
	       "%zu failed\n", what, dir, v0 ? "v0" : "v1", C.ok, C.kind_ok[0], C.kind_ok[1],
	       C.kind_ok[2], C.fail);
	*ok += C.ok;
	*fail += C.fail;
}

static void test_corpus(void **state)
{
	(void)state;
	size_t ok = 0, fail = 0;
	run_corpus("OPA conformance v1", corpus_dirs[0], false, &ok, &fail);
	run_corpus("Kata agent policies", corpus_dirs[1], true, &ok, &fail);
	run_corpus("Trustee policies", corpus_dirs[2], false, &ok, &fail);
	printf("[corpus] total: %zu parsed, %zu failed\n", ok, fail);
	assert_int_equal(fail, 0);
}

static const char *arg_or_env(int argc, char **argv, int i, const char *env, const char *def)
{
	if (argc > i)
		return argv[i];
	const char *v = getenv(env);
	return v ? v : def;
}

int main(int argc, char **argv)
{
	corpus_dirs[0] = arg_or_env(argc, argv, 1, "REGO_CONFORMANCE_DIR",
	                            "/work/shared/vectors/rego/opa/v1");
	corpus_dirs[1] = arg_or_env(argc, argv, 2, "REGO_KATA_DIR",
	                            "/work/shared/vectors/rego/kata-agent-policy");
	corpus_dirs[2] = arg_or_env(argc, argv, 3, "REGO_TRUSTEE_DIR",
	                            "/work/shared/vectors/rego/trustee");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_lexer_tokens, teardown),
	    cmocka_unit_test_teardown(test_lexer_unescape, teardown),
	    cmocka_unit_test_teardown(test_precedence, teardown),
	    cmocka_unit_test_teardown(test_terms, teardown),
	    cmocka_unit_test_teardown(test_rules_v1, teardown),
	    cmocka_unit_test_teardown(test_rules_v0, teardown),
	    cmocka_unit_test_teardown(test_some_every_with, teardown),
	    cmocka_unit_test_teardown(test_templates, teardown),
	    cmocka_unit_test_teardown(test_keyword_refs, teardown),
	    cmocka_unit_test_teardown(test_errors, teardown),
	    cmocka_unit_test_teardown(test_limits, teardown),
	    cmocka_unit_test_teardown(test_depth, teardown),
	    cmocka_unit_test_teardown(test_backtracking_linear, teardown),
	    cmocka_unit_test_teardown(test_backtracking_after_error, teardown),
	    cmocka_unit_test_teardown(test_term_api, teardown),
	    cmocka_unit_test_teardown(test_oom, teardown),
	    cmocka_unit_test_teardown(test_corpus, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
