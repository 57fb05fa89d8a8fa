/* Unit tests for the regex builtins (lib/rego/bi/regex*.c): Go (RE2)
 * syntax and errors, Go match iteration, the compiled-pattern cache. */
#include <pthread.h>

#include "bi_test.h"

#define EQ(name, args, want) T_EQ(rbi_group_regex, name, args, want)

static void test_match(void **state)
{
	(void)state;
	EQ("regex.match", "[\"^[a-z]+\\\\[[0-9]+\\\\]$\", \"foo[1]\"]", "true");
	EQ("regex.match", "[\"^$\", \"\"]", "true");
	EQ("regex.match", "[\"\", \"x\"]", "true");
	EQ("regex.match", "[\"^$\", \"something\"]", "false");
	EQ("regex.match", "[\"b\", \"abc\"]", "true"); /* unanchored search */
	/* '$' is end of text only, as in Go; (?m) makes it a line end */
	EQ("regex.match", "[\"a$\", \"a\\n\"]", "false");
	EQ("regex.match", "[\"(?m)a$\", \"a\\nb\"]", "true");
	EQ("regex.match", "[\"(?m)^$\", \"a\\n\"]", "true");
	/* Go's \s has no \v; \d and \w are ASCII */
	EQ("regex.match", "[\"\\\\s\", \"\\x0b\"]", "false");
	EQ("regex.match", "[\"\\\\S\", \"\\x0b\"]", "true");
	EQ("regex.match", "[\"^\\\\D$\", \"\\xe2\\x98\\xba\"]", "true");
	EQ("regex.match", "[\"\\\\w\", \"\\xc3\\xa9\"]", "false");
	EQ("regex.match", "[\"(?i)k\", \"\\xe2\\x84\\xaa\"]", "true");
	EQ("regex.match", "[\"\\\\p{Greek}+\", \"\\xce\\xb1\"]", "true");
	EQ("regex.match", "[\"[[:alpha:]]+x\", \"abx\"]", "true");
	EQ("regex.match", "[\"\\\\Q.*\\\\E\", \"a.*\"]", "true");
	EQ("regex.match", "[\"a{,3}\", \"a{,3}\"]", "true"); /* not a repeat in Go */
	EQ("regex.match", "[\"(?P<x>a)(?<y>b)\", \"ab\"]", "true");
	EQ("regex.match", "[\"^*a\", \"a\"]", "true");
	EQ("regex.match", "[\".\", \"\\xff\"]", "true");
	EQ("regex.match", "[1, \"a\"]", "ERR eval_type_error: regex.match: operand 1 must be string but got number");
	/* catastrophic backtracking stops at CC_REGO_REGEX_MATCH_LIMIT */
	EQ("regex.match", "[\"^(a+)+$\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"]",
	   "ERR eval_builtin_error: regex.match: regular expression match limit exceeded");
}

#define BAD(pat, msg) EQ("regex.match", "[\"" pat "\", \"\"]", "ERR eval_builtin_error: regex.match: " msg)

static void test_syntax_errors(void **state)
{
	(void)state;
	BAD("$^[[[", "error parsing regexp: missing closing ]: `[[[`");
	BAD("a**", "error parsing regexp: invalid nested repetition operator: `**`");
	BAD("x{2}{3}", "error parsing regexp: invalid nested repetition operator: `{2}{3}`");
	BAD("*a", "error parsing regexp: missing argument to repetition operator: `*`");
	BAD("(?P=x)", "error parsing regexp: invalid named capture: `(?P=x)`");
	BAD("(?<=a)", "error parsing regexp: invalid named capture: `(?<=a)`");
	BAD("(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`");
	BAD("(?x)a", "error parsing regexp: invalid or unsupported Perl syntax: `(?x`");
	BAD("\\\\1", "error parsing regexp: invalid escape sequence: `\\1`");
	BAD("\\\\Z", "error parsing regexp: invalid escape sequence: `\\Z`");
	BAD("\\\\x{110000}", "error parsing regexp: invalid escape sequence: `\\x{110000`");
	BAD("a{1001}", "error parsing regexp: invalid repeat count: `{1001}`");
	BAD("(x{500}){3}", "error parsing regexp: invalid repeat count: `{3}`");
	BAD("(a", "error parsing regexp: missing closing ): `(a`");
	BAD("a)", "error parsing regexp: unexpected ): `a)`");
	BAD("[z-a]", "error parsing regexp: invalid character class range: `z-a`");
	BAD("[[:foo:]]", "error parsing regexp: invalid character class range: `[:foo:]`");
	BAD("\\\\p{Foo}", "error parsing regexp: invalid character class range: `\\p{Foo}`");
	BAD("a\\\\", "error parsing regexp: trailing backslash at end of expression: ``");
	BAD("\\xff", "error parsing regexp: invalid UTF-8: `\xff`");
	EQ("regex.is_valid", "[\"++\"]", "false");
	EQ("regex.is_valid", "[\".+\"]", "true");
	EQ("regex.is_valid", "[10]", "false");
	EQ("regex.is_valid", "[\"(?i)[a-z]+\\\\d{2,3}$\"]", "true");
}

static void test_find(void **state)
{
	(void)state;
	EQ("regex.find_n", "[\"a.\", \"paranormal\", -1]", "[\"ar\", \"an\", \"al\"]");
	EQ("regex.find_n", "[\"a.\", \"paranormal\", 2]", "[\"ar\", \"an\"]");
	EQ("regex.find_n", "[\"a.\", \"paranormal\", 0]", "[]");
	EQ("regex.find_n", "[\"^a.\", \"abacadaeaf\", -1]", "[\"ab\"]");
	EQ("regex.find_n", "[\"a*\", \"baaab\", -1]", "[\"\", \"aaa\", \"\"]");
	EQ("regex.find_n", "[\"\", \"\\xc3\\xa9x\", -1]", "[\"\", \"\", \"\"]");
	/* invalid UTF-8: each bad byte is one U+FFFD rune; results keep the bytes */
	EQ("regex.find_n", "[\".\", \"a\\xffb\", -1]", "[\"a\", \"\\xff\", \"b\"]");
	EQ("regex.find_n", "[\"\\\\x{fffd}\", \"\\xe2\\x98x\", -1]", "[\"\\xe2\", \"\\x98\"]");
	EQ("regex.replace", "[\"a\\xffb\", \".\", \"<$0>\"]", "\"<a><\\xff><b>\"");
	EQ("regex.split", "[\"b\", \"\\xffb\\xfe\"]", "[\"\\xff\", \"\\xfe\"]");
	EQ("regex.find_all_string_submatch_n", "[\"(.)(b)\", \"\\xffb\", -1]", "[[\"\\xffb\", \"\\xff\", \"b\"]]");
	EQ("regex.find_n", "[\"a\", \"a\", 1.5]",
	   "ERR eval_type_error: regex.find_n: operand 3 must be integer number but got floating-point number");
	EQ("regex.find_all_string_submatch_n", "[\"a(x*)b\", \"-ab-axb-\", -1]", "[[\"ab\", \"\"], [\"axb\", \"x\"]]");
	EQ("regex.find_all_string_submatch_n", "[\"[^aouiye]([aouiye])([^aouiye])?\", \"somestri\", -1]",
	   "[[\"som\", \"o\", \"m\"], [\"ri\", \"i\", \"\"]]");
	EQ("regex.find_all_string_submatch_n", "[\"a(x*)b\", \"-\", -1]", "[]");
}

static void test_replace_split(void **state)
{
	(void)state;
	EQ("regex.replace", "[\"-wy-wxxy-\", \"w(x*)y\", \"0\"]", "\"-0-0-\"");
	EQ("regex.replace", "[\"foo\", \"(foo)\", \"$1$1\"]", "\"foofoo\"");
	EQ("regex.replace", "[\"foo\", \"^[a-z]\", \"F\"]", "\"Foo\"");
	EQ("regex.replace", "[\"foo barx\", \"[a-z]{2}\", \"_\"]", "\"_o __\"");
	EQ("regex.replace", "[\"abc\", \"\", \"-\"]", "\"-a-b-c-\"");
	EQ("regex.replace", "[\"baaac\", \"a*\", \"-\"]", "\"-b-c-\"");
	EQ("regex.replace", "[\"abc\", \"(b)\", \"[$1x]\"]", "\"a[]c\"");
	EQ("regex.replace", "[\"abc\", \"(b)\", \"[${1}x]\"]", "\"a[bx]c\"");
	EQ("regex.replace", "[\"abc\", \"(?P<n>b)\", \"[$n|${n}]\"]", "\"a[b|b]c\"");
	EQ("regex.replace", "[\"abc\", \"(b)\", \"$$1 $ ${\"]", "\"a$1 $ ${c\"");
	EQ("regex.replace", "[\"foo\", \"[\", \"x\"]",
	   "ERR eval_builtin_error: regex.replace: error parsing regexp: missing closing ]: `[`");
	EQ("regex.split", "[\"a\", \"banana\"]", "[\"b\", \"n\", \"n\", \"\"]");
	EQ("regex.split", "[\"^[a-z ]+$\", \"foobar baz\"]", "[\"\", \"\"]");
	EQ("regex.split", "[\"x*\", \"axbxc\"]", "[\"a\", \"b\", \"c\"]");
	EQ("regex.split", "[\"a\", \"\"]", "[\"\"]");
	EQ("regex.split", "[\"\", \"\"]", "[]");
}

static void test_template(void **state)
{
	(void)state;
	EQ("regex.template_match", "[\"urn:foo:{.*}\", \"urn:foo:bar:baz\", \"{\", \"}\"]", "true");
	EQ("regex.template_match", "[\"urn:foo.bar:<[0-9]{2}>\", \"urn:fooxbar:12\", \"<\", \">\"]", "false");
	EQ("regex.template_match", "[\"a<b\", \"ab\", \"<\", \">\"]",
	   "ERR eval_builtin_error: regex.template_match: unbalanced braces in \"a<b\"");
	EQ("regex.template_match", "[\"a<[>\", \"a\", \"<\", \">\"]",
	   "ERR eval_builtin_error: regex.template_match: error parsing regexp: missing closing ]: `[$`");
	EQ("regex.template_match", "[\"a\", \"a\", \"{{\", \"}\"]",
	   "ERR eval_builtin_error: regex.template_match: start delimiter has to be exactly one character long but "
	   "is 2 long");
	EQ("regex.template_match", "[\"a\", \"a\", \"{\", \"\"]",
	   "ERR eval_builtin_error: regex.template_match: end delimiter has to be exactly one character long but is "
	   "1 long");
}

static void test_globs_match(void **state)
{
	(void)state;
	EQ("regex.globs_match", "[\"a.a.[0-9]+z\", \".b.b2359825792*594823z\"]", "true");
	EQ("regex.globs_match", "[\"[a-z]+\", \"[0-9]*\"]", "false");
	EQ("regex.globs_match", "[\"[a-z]+\\\\[[0-9]+\\\\]\", \"foo\\\\[1\\\\]\"]", "true");
	EQ("regex.globs_match", "[\"ab*c\", \"a.*c\"]", "true");
	EQ("regex.globs_match", "[\"\", \"\"]", "true");
	EQ("regex.globs_match", "[\"pqrs]\", \"[a-b]+\"]",
	   "ERR eval_builtin_error: regex.globs_match: input:pqrs], pos:5, set-close ']' with no preceding '[': the "
	   "input provided is invalid");
	EQ("regex.globs_match", "[\"a**\", \"a\"]",
	   "ERR eval_builtin_error: regex.globs_match: input:a**, pos:3, flag '*' must be preceded by a non-flag: "
	   "the input provided is invalid");
	EQ("regex.globs_match", "[\"[b-a]\", \"a\"]",
	   "ERR eval_builtin_error: regex.globs_match: input:[b-a], pos:4, range is out of order: 'a' comes before "
	   "'b' in Unicode: the input provided is invalid");
}

/* ---- the cache, with engine state ----------------------------------- */

static const char *call_with(rctx *cx, const char *name, const rv *const *args)
{
	const struct rbi *b = t_find(rbi_group_regex, name);
	cc_error_free(cx->err);
	cx->err = NULL;
	cx->fname = name;
	const rv *ret = NULL;
	if (b->fn(cx, args, &ret) < 0)
		return cc_error_message(cx->err);
	return ret == rv_true() ? "true" : ret == rv_false() ? "false" : "other";
}

static void test_cache(void **state)
{
	(void)state;
	struct rstate st;
	memset(&st, 0, sizeof(st));
	rctx cx;
	rctx_init(&cx, t_arena, &st);
	char pat[32], subj[32];
	/* More patterns than the cache holds: evictions must keep results right. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 600; i++) {
			snprintf(pat, sizeof(pat), "^p%d$", i);
			snprintf(subj, sizeof(subj), "p%d", i);
			const rv *args[2] = {rv_cstr(t_arena, pat), rv_cstr(t_arena, subj)};
			assert_string_equal(call_with(&cx, "regex.match", args), "true");
			args[1] = rv_cstr(t_arena, "q");
			assert_string_equal(call_with(&cx, "regex.match", args), "false");
		}
	}
	/* Invalid patterns are cached with their error. */
	for (int i = 0; i < 2; i++) {
		const rv *args[2] = {rv_cstr(t_arena, "(a"), rv_cstr(t_arena, "a")};
		assert_string_equal(call_with(&cx, "regex.match", args),
		                    "regex.match: error parsing regexp: missing closing ): `(a`");
	}
	rctx_fini(&cx);
	rstate_fini(&st);
}

struct worker {
	struct rstate *st;
	int id;
	int failures;
};

static void *work(void *p)
{
	struct worker *w = p;
	rarena *a = rarena_new(0);
	rctx cx;
	rctx_init(&cx, a, w->st);
	char pat[32], subj[32];
	for (int i = 0; i < 2000; i++) {
		int k = (i * 7 + w->id) % 400;
		snprintf(pat, sizeof(pat), "^(x|y)%d$", k);
		snprintf(subj, sizeof(subj), "y%d", k);
		const rv *args[2] = {rv_cstr(a, pat), rv_cstr(a, subj)};
		if (strcmp(call_with(&cx, "regex.match", args), "true") != 0)
			w->failures++;
		if (i % 100 == 99)
			rarena_reset(a);
	}
	rctx_fini(&cx);
	rarena_free(a);
	return NULL;
}

static void test_cache_threads(void **state)
{
	(void)state;
	struct rstate st;
	memset(&st, 0, sizeof(st));
	/* Create the state once, as the engine would before sharing it. */
	rctx cx;
	rctx_init(&cx, t_arena, &st);
	const rv *args[2] = {rv_cstr(t_arena, "a"), rv_cstr(t_arena, "a")};
	assert_string_equal(call_with(&cx, "regex.match", args), "true");
	rctx_fini(&cx);
	pthread_t th[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.st = &st, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	rstate_fini(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_replace_split),
	    cmocka_unit_test(test_template),
	    cmocka_unit_test(test_globs_match),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_cache_threads),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
