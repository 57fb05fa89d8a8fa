/* Unit tests: compile-time checks (lib/rego/compile*.c) through the engine
 * API: each bad policy gives OPA's error kind and a message naming what is
 * wrong, with its location; good policies around the edge compile and give
 * OPA's answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/rego.h"

/* Compiles src (Rego v1) and returns the formatted error, or NULL. */
static char *compile_error(const char *src)
{
	rego_engine *e = rego_engine_new(NULL);
	assert_non_null(e);
	cc_error *err = NULL;
	int r = rego_engine_add_policy(e, "t.rego", src, strlen(src), &err);
	if (r == 0)
		r = rego_engine_compile(e, &err);
	char *msg = r < 0 ? cc_error_format(err) : NULL;
	cc_error_free(err);
	rego_engine_free(e);
	return msg;
}

static void expect_error(const char *src, const char *want)
{
	char *msg = compile_error(src);
	if (msg == NULL || strstr(msg, want) == NULL)
		fail_msg("policy:\n%s\nwant error containing: %s\ngot: %s", src, want, msg ? msg : "(compiled)");
	free(msg);
}

/* Evaluates query against src with input (JSON, may be NULL); returns the
 * JSON of the single expression value, "undefined", or "error: ...". */
static char *eval(const char *src, const char *input, const char *query)
{
	rego_engine *e = rego_engine_new(NULL);
	cc_error *err = NULL;
	const rego_result *res;
	assert_int_equal(rego_engine_add_policy(e, "t.rego", src, strlen(src), &err), 0);
	if (input)
		assert_int_equal(rego_engine_set_input_json(e, input, strlen(input), &err), 0);
	char *out;
	if (rego_engine_eval(e, query, &res, &err) < 0) {
		char *m = cc_error_format(err);
		out = NULL;
		if (asprintf(&out, "error: %s", m ? m : "?") < 0)
			out = NULL;
		free(m);
	} else if (rego_result_rows(res) == 0) {
		out = strdup("undefined");
	} else {
		out = rego_result_value_json(res, 0, 0);
	}
	cc_error_free(err);
	rego_engine_free(e);
	return out;
}

static void expect_eval(const char *src, const char *input, const char *query, const char *want)
{
	char *got = eval(src, input, query);
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("policy:\n%s\nquery %s: want %s, got %s", src, query, want, got ? got : "NULL");
	free(got);
}

static void test_safety(void **state)
{
	(void)state;
	expect_error("package t\np if { x > 1 }\n", "t.rego:2:8: rego_unsafe_var_error: var x is unsafe");
	expect_error("package t\np := y if { true }\n", "rego_unsafe_var_error: var y is unsafe");
	expect_error("package t\np if { not q[x] }\nq := {1}\n", "var x is unsafe");
	/* Reordering makes these safe. */
	expect_eval("package t\np := x if { x > 1; x := 5 }\n", NULL, "data.t.p", "5");
	expect_eval("package t\np := [x, y] if { [x, y] = [y, 1] }\n", NULL, "data.t.p", "[1,1]");
}

static void test_recursion_and_names(void **state)
{
	(void)state;
	expect_error("package t\np if q\nq if p\n", "rego_recursion_error: rule data.t.p is recursive: data.t.p -> data.t.q -> data.t.p");
	expect_error("package t\nf(x) := f(x)\n", "rego_recursion_error");
	expect_error("package t\np := nosuch(1)\n", "rego_type_error: undefined function nosuch");
	expect_error("package t\np := 1\np contains 2\n", "rego_type_error: conflicting rules data.t.p found");
	expect_error("package t\ndefault p := 1\ndefault p := 2\n", "multiple default rules data.t.p found");
	expect_error("package t\nf(x) := 1\nf(x, y) := 2\n", "conflicting rules data.t.f found");
	/* OPA's words: no rule kinds, and a with target that names nothing */
	char *m = compile_error("package t\np := 1\np contains 2\n");
	assert_non_null(m);
	assert_non_null(strstr(m, "conflicting rules data.t.p found"));
	assert_null(strstr(m, "found ("));
	free(m);
	/* parse errors end with OPA's source line and caret (leading tabs
	 * dropped, the caret under the last non-space byte at or before the
	 * error) */
	expect_error("package t\np if {\n\tx := [1, 2\n", "rego_parse_error: unexpected eof token: expected \",\" or \"]\"\n\tx := [1, 2\n\t         ^");
	expect_error("package t\np if { true with foo as 2 }\n",
	             "rego_type_error: with keyword target must reference existing input, data, or a function");
	expect_error("package t\np := {\"a\": 1}\nq := x if { p = x with p.a as 2 }\n",
	             "t.rego:3:19: rego_compile_error: with keyword cannot partially replace virtual document(s)");
	expect_eval("package t\np := {\"a\": 1}\nq := x if { x := p with p as 5 }\n", NULL, "data.t.q", "5");
	/* A reference through a variable is not recursion (OPA's dynamic lookup). */
	expect_eval("package t\np := data[k].allow if k := \"u\"\n", NULL, "data.t.p", "undefined");
}

static void test_types_and_arity(void **state)
{
	(void)state;
	expect_error("package t\np := count(1)\n", "rego_type_error: count: invalid argument(s)");
	expect_error("package t\np if { x := 1; upper(x) }\n", "rego_type_error: upper: invalid argument(s)");
	/* OPA's details: the operands' types as its checker spells them, and the
	 * builtin's declared signature (compile_sigs.inc) */
	expect_error("package t\np := count(1)\n",
	             "count: invalid argument(s)\n\thave: (number, ??\?)\n"
	             "\twant: (collection: any<string, array[any], object[any: any], set[any]>, n: number)");
	expect_error("package t\np if { x := 1; upper(x) }\n",
	             "upper: invalid argument(s)\n\thave: (number)\n\twant: (x: string, y: string)");
	expect_error("package t\np := trim({1: \"a\", null: [[], {}], \"a\": null}, set())\n",
	             "have: (object<<nil>: array<array[any], object[any: any]>, 1: string, a: null>, set[any], ??\?)");
	expect_error("package t\np := trim({\"a\": {1, \"b\"}}, \"\")\n",
	             "have: (object<a: set[any<number, string>]>, string, ??\?)");
	expect_error("package t\np := count([1], 2)\n",
	             "count: arity mismatch\n\thave: (array<number>, number, ??\?)\n"
	             "\twant: (collection: any<string, array[any], object[any: any], set[any]>)");
	expect_error("package t\np := count([1], 2)\n", "rego_type_error: count: arity mismatch");
	/* user functions: OPA's checkUndefinedFuncs text, the function's full path */
	expect_error("package t\nf(x) := x\np := f(1, 2)\n",
	             "rego_type_error: function data.t.f has arity 1, got 2 arguments");
	expect_error("package t\nf(x, y) := x\np := f(1)\n",
	             "rego_type_error: function data.t.f has arity 2, got 1 argument");
	/* As a whole expression the extra argument is the output. */
	expect_eval("package t\np := n if { count([1, 2], n) }\n", NULL, "data.t.p", "2");
	/* A type only known at run time is not a compile error. */
	expect_eval("package t\np if { upper(input.x) }\n", "{\"x\": 1}", "data.t.p", "undefined");
}

static void test_negation_hoisting(void **state)
{
	(void)state;
	/* OPA evaluates the arguments before the negation: an undefined
	 * argument fails the body instead of making `not` succeed. */
	expect_eval("package t\np if { not startswith(input.x, \"a\") }\n", "{}", "data.t.p", "undefined");
	expect_eval("package t\np if { not count(input.x) == 1 }\n", "{}", "data.t.p", "undefined");
	expect_eval("package t\np if { not input.x == 1 }\n", "{}", "data.t.p", "true");
	expect_eval("package t\np if { not input.x }\n", "{}", "data.t.p", "true");
	expect_eval("package t\np if { not startswith(input.x, \"a\") }\n", "{\"x\": \"b\"}", "data.t.p", "true");
	expect_eval("package t\nf(_) := 1 if { not startswith(input.q, \"a\") }\nf(_) := 2\np := f(1)\n", "{}",
	            "data.t.p", "2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_safety),
	    cmocka_unit_test(test_recursion_and_names),
	    cmocka_unit_test(test_types_and_arity),
	    cmocka_unit_test(test_negation_hoisting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
