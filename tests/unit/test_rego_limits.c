/* Unit tests: the engine's limits, proven (issue 7). Each hostile policy
 * (deep call chains, exponential comprehensions, huge strings and numbers,
 * regex catastrophic backtracking, a policy that allocates without end)
 * must end with a limit error (eval_cancel_error or
 * eval_memory_limit_error) in bounded time and memory, with the default
 * limits and with tight ones. The same limit reached under `not`, in a
 * comprehension, under `with`, in a function, in `every` and in a rule
 * with a default value is an error for the query, never undefined, false
 * or true: regorus once turned a regex limit under `not regex.match` into
 * "undefined", and so into "allow". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cocoon/buf.h"
#include "cocoon/rego.h"

/* Loose bounds: they catch hangs and runaway memory, not slowness. */
#define WALL_LIMIT_S 10.0
#define RSS_LIMIT_KIB (1536L * 1024L)

enum lim { DEFAULTS, TIGHT };

static void options_for(enum lim l, struct rego_options *o)
{
	rego_options_default(o);
	if (l == TIGHT) {
		o->max_steps = 1000000;
		o->max_memory = 32u << 20;
		o->max_depth = 200;
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_limit_kind(const char *kind)
{
	return kind && (strcmp(kind, "eval_cancel_error") == 0 ||
	                strcmp(kind, "eval_memory_limit_error") == 0);
}

/* A limit error: the engine's (steps, depth, stack, memory, value size)
 * or a builtin's own cap (eval_builtin_error with code -E2BIG, which
 * stops the evaluation in non-strict mode too). */
static bool is_limit(int rc, const cc_error *err)
{
	const char *kind = cc_error_kind(err);
	return is_limit_kind(kind) ||
	       (rc == -E2BIG && kind && strcmp(kind, "eval_builtin_error") == 0);
}

/* Evaluates query on policy (and input, may be NULL) and requires a
 * limit error, within the wall-clock and RSS bounds. Strict and
 * non-strict builtin errors alike: a limit is never a builtin's error. */
static void expect_limit_opts(const struct rego_options *o, const char *policy, const char *input,
                              const char *query)
{
	rego_engine *e = rego_engine_new(o);
	assert_non_null(e);
	cc_error *err = NULL;
	if (rego_engine_add_policy(e, "t.rego", policy, strlen(policy), &err) < 0 ||
	    rego_engine_compile(e, &err) < 0)
		fail_msg("policy does not compile: %s\n%s", cc_error_message(err), policy);
	if (input && rego_engine_set_input_json(e, input, strlen(input), &err) < 0)
		fail_msg("input: %s", cc_error_message(err));
	const rego_result *r = NULL;
	double t0 = now_s();
	int rc = rego_engine_eval(e, query, &r, &err);
	double dt = now_s() - t0;
	if (rc == 0) {
		char *v = rego_result_rows(r) ? rego_result_value_json(r, 0, 0) : NULL;
		fail_msg("%s: no limit error but %s (rows %zu)\n%s", query, v ? v : "undefined",
		         rego_result_rows(r), policy);
	}
	if (!is_limit(rc, err))
		fail_msg("%s: error %s: %s, not a limit error\n%s", query,
		         cc_error_kind(err) ? cc_error_kind(err) : "(none)", cc_error_message(err), policy);
	if (dt > WALL_LIMIT_S)
		fail_msg("%s: %.1f s to reach the limit\n%s", query, dt, policy);
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	if (ru.ru_maxrss > RSS_LIMIT_KIB)
		fail_msg("%s: max RSS %ld KiB\n%s", query, ru.ru_maxrss, policy);
	cc_error_free(err);
	rego_engine_free(e);
}

static void expect_limit(enum lim l, const char *policy, const char *input, const char *query)
{
	struct rego_options o;
	options_for(l, &o);
	expect_limit_opts(&o, policy, input, query);
	o.strict_builtin_errors = true;
	expect_limit_opts(&o, policy, input, query);
}

/* expect_limit on "package t" followed by pre. */
static void expect_limit_pre(enum lim l, const char *pre, const char *input, const char *query)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	cc_buf_adds(&b, "package t\n");
	cc_buf_adds(&b, pre);
	char *pol = cc_buf_steal(&b, NULL);
	assert_non_null(pol);
	expect_limit(l, pol, input, query);
	free(pol);
}

/* Appends tmpl to b with every "$A" replaced by a (templates are not
 * printf formats, so -Wformat-nonliteral stays on). */
static void put_tmpl(cc_buf *b, const char *tmpl, const char *a)
{
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '$' && p[1] == 'A') {
			cc_buf_adds(b, a);
			p++;
		} else {
			cc_buf_addc(b, *p);
		}
	}
}

/* The contexts a limit must cross as an error: EXPR is one body
 * expression that hits a limit; PRE holds extra rules it needs. */
static const char *const wrappers[] = {
    "p if { $A }\n",
    "default p := false\np if { not $A }\n",
    "p := [1 | $A]\n",
    "p := {w | w := 1; $A}\n",
    "q if { $A }\np if { q with input.unused as 1 }\n",
    "f(w) if { w == 1; $A }\np if f(1)\n",
    "p if { every i in [1] { i == 1; $A } }\n",
    "default p := false\np if { $A }\n",
    "default p := true\np := false if { $A }\n",
    "p if { not q }\nq if { $A }\n",
};

static void limit_everywhere(enum lim l, const char *pre, const char *expr, const char *input)
{
	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++) {
		cc_buf b;
		cc_buf_init(&b, 0);
		cc_buf_adds(&b, "package t\n");
		cc_buf_adds(&b, pre);
		put_tmpl(&b, wrappers[i], expr);
		char *pol = cc_buf_steal(&b, NULL);
		assert_non_null(pol);
		expect_limit(l, pol, input, "data.t.p");
		free(pol);
	}
}

/* ---- deep recursion ---- */

/* Rego forbids recursion: mutual recursion through functions and through
 * rules is a compile error, so depth comes only from long chains. */
static void test_recursion_refused(void **state)
{
	(void)state;
	static const char *const pols[] = {
	    "package t\nf(x) := g(x)\ng(x) := f(x)\np := f(1)\n",
	    "package t\np if q\nq if p\n",
	    "package t\np contains x if { some x in q }\nq contains x if { some x in p }\n",
	};
	for (size_t i = 0; i < sizeof(pols) / sizeof(pols[0]); i++) {
		rego_engine *e = rego_engine_new(NULL);
		cc_error *err = NULL;
		assert_int_equal(rego_engine_add_policy(e, "t.rego", pols[i], strlen(pols[i]), &err), 0);
		assert_true(rego_engine_compile(e, &err) < 0);
		assert_string_equal(cc_error_kind(err), "rego_recursion_error");
		cc_error_free(err);
		rego_engine_free(e);
	}
}

/* f0 -> f1 -> ... -> fn (functions) or r0 -> r1 -> ... (rules), deeper
 * than the depth and stack limits. */
static char *chain(int n, bool rules)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	for (int i = 0; i < n; i++) {
		if (rules)
			cc_buf_printf(&b, "r%d := r%d + 1\n", i, i + 1);
		else
			cc_buf_printf(&b, "f%d(x) := y if { y := f%d(x + 1) }\n", i, i + 1);
	}
	cc_buf_printf(&b, rules ? "r%d := 0\n" : "f%d(x) := x\n", n);
	return cc_buf_steal(&b, NULL);
}

static void test_deep_chains(void **state)
{
	(void)state;
	char *fchain = chain(3000, false), *rchain = chain(3000, true);
	for (int l = DEFAULTS; l <= TIGHT; l++) {
		limit_everywhere(l, fchain, "f0(0) > 0", NULL);
		limit_everywhere(l, rchain, "r0 > 0", NULL);
	}
	/* a tight C stack, before the depth limit */
	struct rego_options o;
	rego_options_default(&o);
	o.max_stack = 32 * 1024;
	cc_buf b;
	cc_buf_init(&b, 0);
	cc_buf_printf(&b, "package t\n%sp if f0(0) > 0\n", fchain);
	char *pol = cc_buf_steal(&b, NULL);
	expect_limit_opts(&o, pol, NULL, "data.t.p");
	free(pol);
	free(fchain);
	free(rchain);
}

/* ---- exponential comprehensions ---- */

static void test_exponential_comprehensions(void **state)
{
	(void)state;
	/* 1000^3 combinations */
	const char *cube =
	    "count([s | some a in numbers.range(1, 1000); some b in numbers.range(1, 1000);"
	    " some c in numbers.range(1, 1000); s := a + b + c]) > 0";
	/* each level iterates the one below: 50^5 */
	const char *nested = "n5 > 0";
	const char *pre = "r := numbers.range(1, 50)\n"
	                  "n1 := count([x | some x in r])\n"
	                  "n2 := sum([n1 | some _ in r])\n"
	                  "n3 := sum([y | some _ in r; y := sum([n1 | some _ in r])])\n"
	                  "n4 := sum([y | some _ in r; y := sum([z | some _ in r; z := sum([n1 | some _ in r])])])\n"
	                  "n5 := sum([y | some _ in r; y := sum([z | some _ in r;"
	                  " z := sum([w | some _ in r; w := sum([n1 | some _ in r])])])])\n";
	limit_everywhere(TIGHT, "", cube, NULL);
	limit_everywhere(TIGHT, pre, nested, NULL);
	expect_limit(DEFAULTS, "package t\np if { count([s | some a in numbers.range(1, 100000);"
	                       " some b in numbers.range(1, 100000); s := a + b]) > 0 }\n",
	             NULL, "data.t.p");
}

/* ---- huge strings and numbers ---- */

/* "<v>0 := first" then "<v>(i+1) := step" with $A the previous
 * variable, n times: values that double (or square) without end. */
static char *var_chain(char v, const char *first, const char *step, int n)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	cc_buf_printf(&b, "%c0 := %s\n", v, first);
	for (int i = 0; i < n; i++) {
		char prev[16];
		snprintf(prev, sizeof(prev), "%c%d", v, i);
		cc_buf_printf(&b, "%c%d := ", v, i + 1);
		put_tmpl(&b, step, prev);
		cc_buf_adds(&b, "\n");
	}
	return cc_buf_steal(&b, NULL);
}

static char *doubling(const char *step, int n) { return var_chain('s', "input.s", step, n); }

/* {"s": "aaa...a!"}: (a+)+$ backtracks exponentially on it in PCRE2. */
static char *hostile_subject(void)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	cc_buf_adds(&b, "{\"s\": \"");
	for (int i = 0; i < 64; i++)
		cc_buf_adds(&b, "a");
	cc_buf_adds(&b, "!\"}");
	return cc_buf_steal(&b, NULL);
}

static void test_huge_strings(void **state)
{
	(void)state;
	const char *in = "{\"s\": \"abcdefghijklmnop\"}";
	static const char *const steps[] = {
	    "concat(\"\", [$A, $A])",
	    "sprintf(\"%s%s\", [$A, $A])",
	    "strings.replace_n({\"a\": $A}, $A)",
	    "replace($A, \"a\", $A)",
	    "concat($A, [\"x\", \"y\", $A])",
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *pre = doubling(steps[i], 40);
		limit_everywhere(TIGHT, pre, "count(s40) > 0", in);
		expect_limit_pre(DEFAULTS, pre, in, "x := count(data.t.s40)");
		free(pre);
	}
	/* widths: Go (and so OPA) caps one width at 10^6, so many widths in
	 * one call, and calls doubling their own output */
	cc_buf b;
	cc_buf_init(&b, 0);
	cc_buf_adds(&b, "count(sprintf(\"");
	for (int i = 0; i < 40; i++)
		cc_buf_adds(&b, "%999999d");
	cc_buf_adds(&b, "\", [");
	for (int i = 0; i < 40; i++)
		cc_buf_adds(&b, i ? ", 1" : "1");
	cc_buf_adds(&b, "])) > 0");
	char *widths = cc_buf_steal(&b, NULL);
	limit_everywhere(TIGHT, "", widths, NULL);
	free(widths);
	char *pre = doubling("sprintf(\"%999999s%s\", [$A, $A])", 40);
	limit_everywhere(TIGHT, pre, "count(s40) > 0", in);
	free(pre);
	/* replace with one call: many matches times a long new */
	limit_everywhere(TIGHT, "big := concat(\"\", [\"a\" | some _ in numbers.range(1, 100000)])\n",
	                 "count(replace(big, \"a\", big)) > 0", NULL);
}

static void test_huge_numbers(void **state)
{
	(void)state;
	/* squaring: 2^(2^n) */
	char *sq = var_chain('n', "3", "$A * $A", 40);
	limit_everywhere(TIGHT, sq, "n40 > 0", NULL);
	expect_limit_pre(DEFAULTS, sq, NULL, "x := data.t.n40");
	free(sq);
	limit_everywhere(TIGHT, "", "bits.lsh(1, 100000000) > 0", NULL);
	/* to_number keeps 300 digits exactly (OPA refuses past float64's
	 * range); squaring that grows past the integer cap */
	char *tn = var_chain('m', "to_number(concat(\"\", [\"7\" | some _ in numbers.range(1, 300)]))",
	                     "$A * $A", 12);
	limit_everywhere(TIGHT, tn, "m12 > 0", NULL);
	free(tn);
	limit_everywhere(TIGHT, "hx := bits.lsh(1, 200000)\n", "hx * hx * hx > 0", NULL);
	limit_everywhere(TIGHT, "hx := bits.lsh(1, 200000)\n", "product([hx, hx, hx]) > 0", NULL);
}

/* ---- regex catastrophic backtracking ---- */

static void test_regex_backtracking(void **state)
{
	(void)state;
	char *in = hostile_subject();
	static const char *const exprs[] = {
	    "regex.match(\"(a+)+$\", input.s)",
	    "count(regex.find_n(\"(a+)+$\", input.s, -1)) >= 0",
	    "regex.match(\"(a|aa)+$\", input.s)",
	    "count(regex.split(\"(a+)+$\", input.s)) > 0",
	    "count(regex.find_all_string_submatch_n(\"(a*)*$\", input.s, -1)) >= 0",
	    "regex.replace(input.s, \"(a+)+$\", \"x\") != \"\"",
	};
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++)
		for (int l = DEFAULTS; l <= TIGHT; l++)
			limit_everywhere(l, "", exprs[i], in);
	free(in);
}

/* glob.match translates to an automaton: a hostile pattern is either
 * answered in bounded time or stopped by a limit, never hangs. */
static void test_glob_bounded(void **state)
{
	(void)state;
	cc_buf b;
	cc_buf_init(&b, 0);
	cc_buf_adds(&b, "package t\np := glob.match(\"");
	for (int i = 0; i < 30; i++)
		cc_buf_adds(&b, "*a");
	cc_buf_adds(&b, "*b\", [], concat(\"\", [\"a\" | some _ in numbers.range(1, 3000)]))\n");
	char *pol = cc_buf_steal(&b, NULL);
	rego_engine *e = rego_engine_new(NULL);
	cc_error *err = NULL;
	assert_int_equal(rego_engine_add_policy(e, "t.rego", pol, strlen(pol), &err), 0);
	const rego_result *r = NULL;
	double t0 = now_s();
	int rc = rego_engine_eval(e, "data.t.p", &r, &err);
	assert_true(now_s() - t0 < WALL_LIMIT_S);
	if (rc == 0) {
		char *v = rego_result_value_json(r, 0, 0);
		assert_string_equal(v, "false");
		free(v);
	} else {
		assert_true(is_limit(rc, err));
	}
	cc_error_free(err);
	rego_engine_free(e);
	free(pol);
}

/* ---- allocation without end ---- */

static void test_allocation_without_end(void **state)
{
	(void)state;
	/* each level holds the one below twice: arrays, objects, sets */
	static const char *const steps[] = {
	    "[$A, $A, 1]",
	    "{\"l\": $A, \"r\": $A}",
	    "{$A, [$A]}",
	    "array.concat($A, $A)",
	    "object.union({\"k\": $A}, {\"j\": $A})",
	    "array.concat([$A], [[$A]])",
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *pre = var_chain('a', "[1, 2, 3, 4]", steps[i], 80);
		limit_everywhere(TIGHT, pre, "count(json.marshal(a80)) > 0", NULL);
		free(pre);
	}
	/* a function chain that grows an array of arrays at every call */
	cc_buf b;
	cc_buf_init(&b, 0);
	for (int k = 0; k < 150; k++)
		cc_buf_printf(&b, "g%d(x) := g%d([x | some _ in numbers.range(1, 4)])\n", k, k + 1);
	cc_buf_adds(&b, "g150(x) := x\n");
	char *pre = cc_buf_steal(&b, NULL);
	limit_everywhere(TIGHT, pre, "count(g0([1])) > 0", NULL);
	expect_limit_pre(DEFAULTS, pre, NULL, "x := data.t.g0([1])");
	free(pre);
	/* one comprehension that allocates a big set of big strings */
	limit_everywhere(TIGHT, "",
	                 "count({s | some i in numbers.range(1, 10000000); s := sprintf(\"%0100d\", [i])}) > 0",
	                 NULL);
}

/* ---- builtins' own caps: never undefined ---- */

static void test_builtin_caps(void **state)
{
	(void)state;
	/* a number whose decimal expansion is beyond the integer cap: OPA
	 * would print all 5,100 digits; cocoon stops with a limit error */
	limit_everywhere(DEFAULTS, "x := 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300 * 1e300\n", "format_int(x, 10) != \"\"", NULL);
}

/* ---- the regorus bug: `not regex.match` over a limit is an error ---- */

static void test_not_regex_match_is_error(void **state)
{
	(void)state;
	const char *pol = "package t\n"
	                  "default allow := false\n"
	                  "allow if { not regex.match(\"^(a+)+$\", input.s) }\n";
	char *in = hostile_subject();
	for (int l = DEFAULTS; l <= TIGHT; l++)
		expect_limit(l, pol, in, "data.t.allow");
	/* a subject that does not backtrack decides normally */
	rego_engine *e = rego_engine_new(NULL);
	cc_error *err = NULL;
	assert_int_equal(rego_engine_add_policy(e, "t.rego", pol, strlen(pol), &err), 0);
	assert_int_equal(rego_engine_set_input_json(e, "{\"s\": \"b\"}", 10, &err), 0);
	const rego_result *r = NULL;
	assert_int_equal(rego_engine_eval(e, "data.t.allow", &r, &err), 0);
	assert_true(rego_result_is_true(r));
	rego_engine_free(e);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recursion_refused),
	    cmocka_unit_test(test_deep_chains),
	    cmocka_unit_test(test_exponential_comprehensions),
	    cmocka_unit_test(test_huge_strings),
	    cmocka_unit_test(test_huge_numbers),
	    cmocka_unit_test(test_regex_backtracking),
	    cmocka_unit_test(test_glob_bounded),
	    cmocka_unit_test(test_allocation_without_end),
	    cmocka_unit_test(test_builtin_caps),
	    cmocka_unit_test(test_not_regex_match_is_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
