/* Unit tests for the metadata builtin group: METADATA annotations
 * (lib/rego/annotations.c), rego.metadata.chain/rule (lib/rego/bi/metadata.c),
 * rego.parse_module (lib/rego/ast_json.c) and opa.runtime
 * (lib/rego/bi/runtime.c), with OPA's outputs and error texts and hostile
 * input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cocoon/error.h"
#include "cocoon/rego.h"

/* Evaluates query over the modules; returns the first value as JSON (or
 * NULL) and the formatted error in *errp (or NULL). */
static char *eval_mods(const char *const *mods, size_t n, const char *query, bool strict, char **errp)
{
	struct rego_options o;
	rego_options_default(&o);
	o.strict_builtin_errors = strict;
	rego_engine *e = rego_engine_new(&o);
	assert_non_null(e);
	cc_error *err = NULL;
	char *out = NULL;
	*errp = NULL;
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "m%zu.rego", i);
		r = rego_engine_add_policy(e, name, mods[i], strlen(mods[i]), &err);
	}
	const rego_result *res = NULL;
	if (r == 0)
		r = rego_engine_eval(e, query, &res, &err);
	if (r == 0 && rego_result_rows(res) > 0)
		out = rego_result_value_json(res, 0, 0);
	if (r < 0)
		*errp = cc_error_format(err);
	cc_error_free(err);
	rego_engine_free(e);
	return out;
}

static void want_json(const char *got, const char *want)
{
	if (got == NULL)
		fail_msg("undefined, want %s", want);
	json_t *g = json_loads(got, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	json_t *w = json_loads(want, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(g);
	assert_non_null(w);
	if (!json_equal(g, w))
		fail_msg("got %s\nwant %s", got, want);
	json_decref(g);
	json_decref(w);
}

#define WANT1(mod, query, want)                                                                    \
	do {                                                                                       \
		const char *ms_[] = {mod};                                                         \
		char *e_;                                                                          \
		char *v_ = eval_mods(ms_, 1, query, true, &e_);                                    \
		if (e_)                                                                            \
			fail_msg("error: %s", e_);                                                 \
		want_json(v_, want);                                                               \
		free(v_);                                                                          \
	} while (0)

/* The error text (formatted) must contain want. */
static void want_err(const char *const *mods, size_t n, const char *query, const char *want)
{
	char *e;
	char *v = eval_mods(mods, n, query, true, &e);
	if (e == NULL)
		fail_msg("no error, got %s, want %s", v ? v : "undefined", want);
	if (strstr(e, want) == NULL)
		fail_msg("error %s\nwant %s", e, want);
	free(e);
	free(v);
}

#define WANT_ERR1(mod, query, want)                                                                \
	do {                                                                                       \
		const char *ms_[] = {mod};                                                         \
		want_err(ms_, 1, query, want);                                             \
	} while (0)

static void test_chain_rule(void **state)
{
	(void)state;
	WANT1("# METADATA\n# description: The Rego test suite\npackage testing\n\n"
	      "# METADATA\n# title: Testing annotations\n# authors:\n# - The OPA contributors\n"
	      "p := x if {\n\tx := rego.metadata.chain()\n}\n",
	      "data.testing.p",
	      "[{\"annotations\": {\"authors\": [{\"name\": \"The OPA contributors\"}], \"scope\": \"rule\", "
	      "\"title\": \"Testing annotations\"}, \"path\": [\"testing\", \"p\"]}, {\"annotations\": "
	      "{\"description\": \"The Rego test suite\", \"scope\": \"package\"}, \"path\": [\"testing\"]}]");
	/* rule() is the closest rule-scope block only; no block gives {} */
	WANT1("package t\n# METADATA\n# title: far\n\n# METADATA\n# title: near\n"
	      "p := rego.metadata.rule()\nq := rego.metadata.rule()\n",
	      "data.t", "{\"p\": {\"scope\": \"rule\", \"title\": \"near\"}, \"q\": {}}");
	/* the output form, comprehensions, else branches and functions */
	WANT1("package t\n# METADATA\n# title: f\nf(x) := y if { x > 0; rego.metadata.rule(y) } "
	      "else := [m | m := rego.metadata.rule()]\nr := [f(1), f(0)]\n",
	      "data.t.r", "[{\"scope\": \"rule\", \"title\": \"f\"}, [{\"scope\": \"rule\", \"title\": \"f\"}]]");
	/* two rule blocks in the chain: the closest first */
	WANT1("package t\n# METADATA\n# title: a\n\n# METADATA\n# title: b\np := rego.metadata.chain()\n",
	      "[x | x := data.t.p[_].annotations.title]", "[\"b\", \"a\"]");
}

static void test_scopes(void **state)
{
	(void)state;
	const char *mods[] = {
	    "# METADATA\n# scope: subpackages\n# title: root\npackage a\n",
	    "# METADATA\n# scope: subpackages\n# title: ab\npackage a.b\n\n"
	    "# METADATA\n# scope: document\n# description: doc\n\n"
	    "# METADATA\n# custom: {k: [1, true]}\n# related_resources:\n# - https://example.com/x\n"
	    "# - {ref: ' https://e.org ', description: ' d '}\n"
	    "# organizations: [ACME, 7]\n# entrypoint: true\n"
	    "# schemas:\n# - input.x: schema.s\n# - input: {type: object}\n"
	    "p := rego.metadata.chain()\n",
	};
	char *e;
	char *v = eval_mods(mods, 2, "data.a.b.p", true, &e);
	assert_null(e);
	want_json(v,
	          "[{\"path\": [\"a\", \"b\", \"p\"], \"annotations\": {\"scope\": \"rule\", \"entrypoint\": true, "
	          "\"custom\": {\"k\": [1, true]}, \"organizations\": [\"ACME\", \"7\"], "
	          "\"related_resources\": [{\"ref\": \"https://example.com/x\"}, {\"ref\": \"https://e.org\", "
	          "\"description\": \"d\"}], \"schemas\": [{\"path\": [\"input\", \"x\"], \"schema\": [\"schema\", "
	          "\"s\"]}, {\"path\": [\"input\"], \"definition\": {\"type\": \"object\"}}]}}, "
	          "{\"path\": [\"a\", \"b\", \"p\"], \"annotations\": {\"scope\": \"document\", \"description\": \"doc\"}}, "
	          "{\"path\": [\"a\", \"b\"], \"annotations\": {\"scope\": \"subpackages\", \"title\": \"ab\"}}, "
	          "{\"path\": [\"a\"], \"annotations\": {\"scope\": \"subpackages\", \"title\": \"root\"}}]");
	free(v);
	/* authors: "Name <email>", maps, extra white space */
	WANT1("package t\n# METADATA\n# authors:\n# - '  Jane   Q  Doe <j@x.org> '\n# - <only@mail>\n"
	      "# - {name: Nora}\np := rego.metadata.rule().authors\n",
	      "data.t.p",
	      "[{\"name\": \"Jane Q Doe\", \"email\": \"j@x.org\"}, {\"email\": \"only@mail\"}, {\"name\": \"Nora\"}]");
	/* `#` inside strings and template strings is no comment */
	WANT1("package t\nx := \"# METADATA\"\ny := $\"{x}# METADATA{ {1: 2}[1] }\"\n"
	      "# METADATA\n# title: after\np := rego.metadata.rule().title\n",
	      "data.t.p", "\"after\"");
	/* a block that is not followed by a column-1 comment ends there */
	WANT1("package t\n# METADATA\n# title: one\n  # title: two\np := rego.metadata.rule()\n", "data.t.p",
	      "{\"scope\": \"rule\", \"title\": \"one\"}");
}

static void test_annotation_errors(void **state)
{
	(void)state;
	WANT_ERR1("package t\n# METADATA\n# title: [\np := 1\n", "data.t",
	          "m0.rego:2:1: rego_parse_error: yaml: line");
	WANT_ERR1("package t\n# METADATA\n#   \np := 1\n", "data.t",
	          "rego_parse_error: expected METADATA block, found whitespace");
	WANT_ERR1("package t\n# METADATA\n# scope: package\np := 1\n", "data.t",
	          "rego_parse_error: annotation scope 'package' must be applied to package (have rule)");
	WANT_ERR1("# METADATA\n# scope: rule\npackage t\n", "data.t",
	          "rego_parse_error: annotation scope 'rule' must be applied to rule (have package)");
	WANT_ERR1("package t\np := 1\n# METADATA\n# title: end\n", "data.t",
	          "rego_parse_error: invalid annotation scope ''. Use one of 'rule', 'document', 'package', or "
	          "'subpackages'");
	WANT_ERR1("package t\n# METADATA\n# scope: nope\np := 1\n", "data.t",
	          "invalid annotation scope 'nope'");
	WANT_ERR1("package t\n# METADATA\n# scope: document\n# entrypoint: true\np := 1\n", "data.t",
	          "annotation entrypoint applied to non-rule or package scope 'document'");
	WANT_ERR1("package t\n# METADATA\n# authors: [{email: 3}]\np := 1\n", "data.t", "'email' must be a string");
	WANT_ERR1("package t\n# METADATA\n# authors: ['   ']\np := 1\n", "data.t", "author is an empty string");
	WANT_ERR1("package t\n# METADATA\n# related_resources: [{description: x}]\np := 1\n", "data.t",
	          "'ref' value required in object");
	WANT_ERR1("package t\n# METADATA\n# schemas: [{input: notschema.x}]\np := 1\n", "data.t",
	          "invalid schema reference \"notschema.x\"");
	WANT_ERR1("package t\n# METADATA\n# schemas: [{'1 +': schema.x}]\np := 1\n", "data.t",
	          "invalid document reference");
	WANT_ERR1("package t\n# METADATA\n# schemas: [{input: 5}]\np := 1\n", "data.t",
	          "invalid schema declaration for path \"input\"");
	WANT_ERR1("package t\n# METADATA\n# title: {a: b}\np := 1\n", "data.t", "cannot unmarshal !!map into string");
	WANT_ERR1("package t\n# METADATA\n# - a\np := 1\n", "data.t", "cannot unmarshal !!seq into ast.rawAnnotation");
	const char *two[] = {"# METADATA\n# title: a\npackage t\n", "# METADATA\n# title: b\npackage t\n"};
	want_err(two, 2, "data.t", "m1.rego:1:1: rego_type_error: package annotation redeclared: m0.rego:1");
	/* the metadata calls in a query are OPA's unsupported built-in, even
	 * with non-strict builtin errors */
	char *e;
	char *v = eval_mods(NULL, 0, "x := rego.metadata.chain()", false, &e);
	assert_null(v);
	assert_non_null(e);
	assert_non_null(strstr(e, "eval_internal_error: unsupported built-in"));
	free(e);
}

/* Hostile METADATA: deep YAML, many blocks, long blocks, aliases. */
static void test_annotation_hostile(void **state)
{
	(void)state;
	size_t cap = 1 << 20;
	char *src = malloc(cap);
	assert_non_null(src);
	/* 5,000 nested flow sequences */
	int o = snprintf(src, cap, "package t\n# METADATA\n# custom: {a: ");
	for (int i = 0; i < 5000; i++)
		src[o++] = '[';
	for (int i = 0; i < 5000; i++)
		src[o++] = ']';
	snprintf(src + o, cap - (size_t)o, "}\np := 1\n");
	WANT_ERR1(src, "data.t", "rego_parse_error");
	/* 2,000 blocks, each on its own rule */
	o = snprintf(src, cap, "package t\n");
	for (int i = 0; i < 2000; i++)
		o += snprintf(src + o, cap - (size_t)o, "# METADATA\n# title: r%d\np%d := rego.metadata.rule().title\n", i, i);
	WANT1(src, "data.t.p1999", "\"r1999\"");
	/* a billion-laughs alias bomb stays bounded (an error or a value) */
	snprintf(src, cap,
	         "package t\n# METADATA\n# custom:\n#  a: &a [x, x, x, x, x, x, x, x, x]\n"
	         "#  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n#  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	         "#  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n#  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	         "#  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n#  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	         "#  h: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\np := 1\n");
	const char *ms[] = {src};
	char *e;
	char *v = eval_mods(ms, 1, "data.t.p", true, &e);
	assert_true(e != NULL || v != NULL);
	free(e);
	free(v);
	/* NUL-free binary noise in a block */
	o = snprintf(src, cap, "package t\n# METADATA\n# title: ");
	for (int i = 1; i < 255; i++)
		if (i != '\n')
			src[o++] = (char)(i < 128 ? i : '?');
	snprintf(src + o, cap - (size_t)o, "\np := 1\n");
	v = eval_mods(ms, 1, "data.t.p", true, &e);
	assert_true(e != NULL || v != NULL);
	free(e);
	free(v);
	free(src);
}

static void test_parse_module(void **state)
{
	(void)state;
	WANT1("package t\np := rego.parse_module(\"x.rego\", \"package foo.bar\\n\\nimport rego.v1\\nimport data.a\\n\\np if { a = true }\")\n",
	      "data.t.p.package.path[1].value", "\"foo\"");
	WANT1("package t\np := rego.parse_module(\"x.rego\", \"package x\\nimport data.y as z\\n"
	      "f(a) := b if { b := a + 1; not a }\\nd contains 1\\ndefault g := 1\")\n",
	      "data.t.p",
	      "{\"package\": {\"path\": [{\"type\": \"var\", \"value\": \"data\"}, {\"type\": \"string\", \"value\": \"x\"}]},"
	      " \"imports\": [{\"path\": {\"type\": \"ref\", \"value\": [{\"type\": \"var\", \"value\": \"data\"}, "
	      "{\"type\": \"string\", \"value\": \"y\"}]}, \"alias\": \"z\"}],"
	      " \"rules\": ["
	      "{\"head\": {\"name\": \"f\", \"ref\": [{\"type\": \"var\", \"value\": \"f\"}], \"args\": [{\"type\": \"var\", "
	      "\"value\": \"a\"}], \"value\": {\"type\": \"var\", \"value\": \"b\"}, \"assign\": true}, \"body\": ["
	      "{\"index\": 0, \"terms\": [{\"type\": \"ref\", \"value\": [{\"type\": \"var\", \"value\": \"assign\"}]}, "
	      "{\"type\": \"var\", \"value\": \"b\"}, {\"type\": \"call\", \"value\": [{\"type\": \"ref\", \"value\": "
	      "[{\"type\": \"var\", \"value\": \"plus\"}]}, {\"type\": \"var\", \"value\": \"a\"}, {\"type\": \"number\", "
	      "\"value\": 1}]}]}, {\"index\": 1, \"negated\": true, \"terms\": {\"type\": \"var\", \"value\": \"a\"}}]},"
	      "{\"head\": {\"name\": \"d\", \"ref\": [{\"type\": \"var\", \"value\": \"d\"}], \"key\": {\"type\": "
	      "\"number\", \"value\": 1}}, \"body\": [{\"index\": 0, \"terms\": {\"type\": \"boolean\", \"value\": true}}]},"
	      "{\"default\": true, \"head\": {\"name\": \"g\", \"ref\": [{\"type\": \"var\", \"value\": \"g\"}], "
	      "\"value\": {\"type\": \"number\", \"value\": 1}, \"assign\": true}, \"body\": [{\"index\": 0, "
	      "\"terms\": {\"type\": \"boolean\", \"value\": true}}]}]}");
	/* annotations are not processed (OPA's ParseModule): a bad block parses */
	WANT1("package t\np := rego.parse_module(\"x.rego\", \"# METADATA\\n# scope: rule\\npackage x\")"
	      ".package.path[1].value\n",
	      "data.t.p", "\"x\"");
	WANT_ERR1("package t\np := rego.parse_module(\"x.rego\", \"package foo.\")\n", "data.t.p",
	          "eval_builtin_error: rego.parse_module: 1 error occurred: x.rego:1: rego_parse_error: unexpected eof "
	          "token: expected ident");
	WANT_ERR1("package t\np := rego.parse_module(1, \"package foo\")\n", "data.t.p", "rego_type_error");
	WANT_ERR1("package t\np := rego.parse_module(\"a\\u0000b\", \"package foo\")\n", "data.t.p",
	          "rego.parse_module: file name contains a NUL byte");
	WANT_ERR1("package t\np := rego.parse_module(\"x\", \"package foo\\np := \\\"\\u0000\\\"\")\n", "data.t.p",
	          "rego_parse_error");
	/* deep nesting in the parsed text is the parser's depth error */
	size_t cap = 1 << 16;
	char *src = malloc(cap), *inner = malloc(cap);
	assert_non_null(src);
	assert_non_null(inner);
	int o = snprintf(inner, cap, "package x\\np := ");
	for (int i = 0; i < 5000; i++)
		inner[o++] = '[';
	inner[o] = '\0';
	snprintf(src, cap, "package t\np := rego.parse_module(\"x.rego\", \"%s\")\n", inner);
	WANT_ERR1(src, "data.t.p", "rego.parse_module: 1 error occurred: x.rego:");
	free(src);
	free(inner);
}

static void test_runtime(void **state)
{
	(void)state;
	WANT1("package t\np := opa.runtime()\n", "data.t.p", "{}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_rule),
	    cmocka_unit_test(test_scopes),
	    cmocka_unit_test(test_annotation_errors),
	    cmocka_unit_test(test_annotation_hostile),
	    cmocka_unit_test(test_parse_module),
	    cmocka_unit_test(test_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
