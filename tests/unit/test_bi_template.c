/* Unit tests for strings.render_template (lib/rego/bi/template.c): the Go
 * text/template subset, fmt's %v printing, missing keys, errors and bounds. */
#include "bi_test.h"

#define RENDER(args, want) T_EQ(rbi_group_template, "strings.render_template", args, want)

static void test_render(void **state)
{
	(void)state;
	RENDER("[\"{{.test}}\", {\"test\": \"hello world\"}]", "\"hello world\"");
	RENDER("[\"{{.n}} {{.f}}\", {\"n\": 2023, \"f\": 1.50}]", "\"2023 1.50\"");
	RENDER("[\"{{range $i, $name := .l}}{{if $i}},{{end}}hello {{$name}}{{end}}\", "
	       "{\"l\": [\"a\", \"b\"]}]",
	       "\"hello a,hello b\"");
	RENDER("[\"test {{.foo}} {{.baz}}\", {\"baz\": 1}]", "\"test <undefined> 1\"");
	RENDER("[\"{{.a.b}}|{{.m}}|{{.l}}|{{.z}}\", {\"a\": {\"b\": true}, \"m\": {\"k\": null, \"j\": [1]}, "
	       "\"l\": [1, \"x\"], \"z\": null}]",
	       "\"true|map[j:[1] k:<nil>]|[1 x]|<nil>\"");
	RENDER("[\"a  {{- .x -}}  b\", {\"x\": 1}]", "\"a1b\"");
	RENDER("[\"{{/* c */}}{{range .e}}x{{else}}empty{{end}}\", {\"e\": []}]", "\"empty\"");
	RENDER("[\"{{if .f}}F{{else if .t}}T{{else}}E{{end}}\", {\"f\": false, \"t\": 0}]", "\"T\"");
	RENDER("[\"{{with .o}}{{.k}}{{end}}{{$v := .o.k}}{{$v}}\", {\"o\": {\"k\": \"v\"}}]", "\"vv\"");
	RENDER("[\"{{range $k, $v := .}}{{$k}}={{$v}};{{end}}\", {\"b\": 2, \"a\": 1}]", "\"a=1;b=2;\"");
}

static void test_errors(void **state)
{
	(void)state;
	RENDER("[\"{{if .a}}\", {}]",
	       "ERR eval_builtin_error: strings.render_template: template: template:1: unexpected EOF");
	RENDER("[\"{{end}}\", {}]",
	       "ERR eval_builtin_error: strings.render_template: template: template:1: unexpected {{end}}");
	RENDER("[\"{{.a | printf}}\", {}]",
	       "ERR eval_builtin_error: strings.render_template: template: template:1: pipelines are not supported");
	RENDER("[\"{{.a\", {}]",
	       "ERR eval_builtin_error: strings.render_template: template: template:1: unclosed action");
	RENDER("[\"{{$x}}\", {}]",
	       "ERR eval_builtin_error: strings.render_template: template: template:1: undefined variable");
	RENDER("[1, {}]", "ERR eval_type_error: strings.render_template: operand 1 must be string but got number");
}

/* Nested ranges multiply: the step bound ends them with an error. */
static void test_limits(void **state)
{
	(void)state;
	char args[4096];
	int o = snprintf(args, sizeof(args), "[\"");
	for (int i = 0; i < 6; i++)
		o += snprintf(args + o, sizeof(args) - (size_t)o, "{{range $.l}}");
	for (int i = 0; i < 6; i++)
		o += snprintf(args + o, sizeof(args) - (size_t)o, "{{end}}");
	o += snprintf(args + o, sizeof(args) - (size_t)o, "\", {\"l\": [");
	for (int i = 0; i < 30; i++)
		o += snprintf(args + o, sizeof(args) - (size_t)o, "%s%d", i ? "," : "", i);
	snprintf(args + o, sizeof(args) - (size_t)o, "]}]");
	RENDER(args, "ERR eval_cancel_error: strings.render_template: template execution step limit "
	             "exceeded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
