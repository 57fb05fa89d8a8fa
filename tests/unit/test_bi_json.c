/* Unit tests: json.* and yaml.* builtins (lib/rego/bi/json.c) and JSON
 * Patch (lib/rego/jsonpatch.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rego/convert.h"
#include "rego/jsonpatch.h"
#include "rego/rctx.h"

static rarena *A;
static rctx CX;

static int setup(void **state)
{
	(void)state;
	A = rarena_new(0);
	rctx_init(&CX, A, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rctx_fini(&CX);
	rarena_free(A);
	return 0;
}

static const rv *J(const char *t)
{
	const rv *v = NULL;
	cc_error *e = NULL;
	if (rv_from_json_text(A, t, strlen(t), &v, &e))
		fail_msg("bad test JSON %s: %s", t, cc_error_message(e));
	return v;
}

static const rv *S(const char *s) { return rv_cstr(A, s); }

/* Set of the JSON array's items. */
static const rv *SET(const char *t)
{
	const rv *a = J(t);
	return rv_set(A, a->u.a.v, a->u.a.n);
}

static const char *gj(const rv *v)
{
	static char out[4096];
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rv_to_go_json(v, &b, "", NULL), 0);
	snprintf(out, sizeof(out), "%s", b.p ? b.p : "");
	cc_buf_free(&b);
	return out;
}

static int call(const char *name, const rv *a0, const rv *a1, const rv **ret)
{
	const struct rbi *b;
	for (b = rbi_group_json; b->name; b++)
		if (strcmp(b->name, name) == 0)
			break;
	assert_non_null(b->name);
	const rv *args[2] = {a0, a1};
	rctx_fini(&CX);
	CX.fname = name;
	*ret = NULL;
	return b->fn(&CX, args, ret);
}

/* Calls and expects success; returns the Go JSON of the result ("undefined"
 * when there is none). */
static const char *ok(const char *name, const rv *a0, const rv *a1)
{
	const rv *r;
	int rc = call(name, a0, a1, &r);
	if (rc)
		fail_msg("%s failed: %s", name, cc_error_message(CX.err));
	return r ? gj(r) : "undefined";
}

static void expect_err(const char *name, const rv *a0, const rv *a1, const char *kind,
                       const char *msg)
{
	const rv *r;
	assert_true(call(name, a0, a1, &r) < 0);
	assert_string_equal(cc_error_kind(CX.err), kind);
	assert_string_equal(cc_error_message(CX.err), msg);
}

/* ---- json.marshal ---- */

static void test_marshal(void **state)
{
	(void)state;
	const rv *set = SET("[3, 1, 2]");
	const rv *k[1] = {S("foo")};
	const rv *obj = rv_obj(A, k, &set, 1, NULL);
	assert_string_equal(ok("json.marshal", rv_arr(A, &obj, 1), NULL),
	                    "\"[{\\\"foo\\\":[1,2,3]}]\"");
	assert_string_equal(ok("json.marshal", S("<&>"), NULL), "\"\\\"\\\\u003c\\\\u0026\\\\u003e\\\"\"");
}

static void test_marshal_with_options(void **state)
{
	(void)state;
	const rv *x = J("[1234567890, 2000000, 1000000000]");
	assert_string_equal(ok("json.marshal_with_options", x, J("{\"indent\": \"  \"}")),
	                    "\"[\\n  1234567890,\\n  2000000,\\n  1000000000\\n]\"");
	assert_string_equal(ok("json.marshal_with_options", x, J("{}")),
	                    "\"[1234567890,2000000,1000000000]\"");
	assert_string_equal(ok("json.marshal_with_options", x, J("{\"pretty\": true}")),
	                    "\"[\\n\\t1234567890,\\n\\t2000000,\\n\\t1000000000\\n]\"");
	assert_string_equal(ok("json.marshal_with_options", x,
	                       J("{\"pretty\": false, \"prefix\": \"NO!\", \"indent\": \"BAD!\"}")),
	                    "\"[1234567890,2000000,1000000000]\"");
	const rv *r;
	assert_int_equal(call("json.marshal_with_options", J("{\"foo\": \"bar\", \"bar\": \"baz\"}"),
	                      J("{\"prefix\": \"JSON => \"}"), &r),
	                 0);
	assert_string_equal(r->u.s.p, "JSON => {\nJSON => \t\"bar\": \"baz\",\nJSON => \t\"foo\": \"bar\"\nJSON => }");
	assert_string_equal(ok("json.marshal_with_options", J("[]"),
	                       J("{\"indent\": \"    \", \"prefix\": \"---\"}")),
	                    "\"---[]\"");
	expect_err("json.marshal_with_options", J("[]"),
	           J("{\"indent\": \"    \", \"include_winning_lottery_numbers\": true}"), "eval_type_error",
	           "json.marshal_with_options: operand 2 object contained unknown key "
	           "\"include_winning_lottery_numbers\"");
	expect_err("json.marshal_with_options", J("[]"), J("{\"pretty\": 1}"), "eval_type_error",
	           "json.marshal_with_options: operand 2 key \"pretty\" failed cast to bool");
	expect_err("json.marshal_with_options", J("[]"), J("{\"prefix\": 1}"), "eval_type_error",
	           "json.marshal_with_options: operand 2 key \"prefix\" failed cast to string: "
	           "operand 0 must be string but got number");
	expect_err("json.marshal_with_options", J("[]"), J("[]"), "eval_type_error",
	           "json.marshal_with_options: operand 2 must be object but got array");
}

/* ---- json.unmarshal, json.is_valid ---- */

static void test_unmarshal(void **state)
{
	(void)state;
	assert_string_equal(ok("json.unmarshal", S("[{\"foo\":[1,2,3]}]"), NULL), "[{\"foo\":[1,2,3]}]");
	assert_string_equal(ok("json.unmarshal", S("18446744073709551616"), NULL), "18446744073709551616");
	expect_err("json.unmarshal", J("1"), NULL, "eval_type_error",
	           "json.unmarshal: operand 1 must be string but got number");
	const rv *r;
	assert_true(call("json.unmarshal", S("{"), NULL, &r) < 0);
	assert_string_equal(cc_error_kind(CX.err), "eval_builtin_error");
}

static void test_is_valid(void **state)
{
	(void)state;
	assert_string_equal(ok("json.is_valid", S("plainstring"), NULL), "false");
	assert_string_equal(ok("json.is_valid", S("{"), NULL), "false");
	assert_string_equal(ok("json.is_valid", S("{\"json\": \"ok\"}"), NULL), "true");
	assert_string_equal(ok("json.is_valid", J("1"), NULL), "false");
	assert_string_equal(ok("yaml.is_valid", S("foo:\n  - qux: bar\n  - baz: 2"), NULL), "true");
	assert_string_equal(ok("yaml.is_valid", S("foo:\n  - qux: bar\n  - baz: {"), NULL), "false");
	assert_string_equal(ok("yaml.is_valid", S("{\"json\": \"ok\"}"), NULL), "true");
	assert_string_equal(ok("yaml.is_valid", J("1"), NULL), "false");
	assert_string_equal(ok("yaml.is_valid", S(".nan"), NULL), "false");
}

/* ---- json.filter, json.remove ---- */

static void test_filter(void **state)
{
	(void)state;
	const rv *doc = J("{\"a\": {\"b\": {\"c\": 7, \"d\": 8}}, \"e\": 9}");
	assert_string_equal(ok("json.filter", doc, SET("[\"a/b/c\"]")), "{\"a\":{\"b\":{\"c\":7}}}");
	assert_string_equal(ok("json.filter", doc, J("[\"a/b/c\", \"e\"]")), "{\"a\":{\"b\":{\"c\":7}},\"e\":9}");
	assert_string_equal(ok("json.filter", J("{\"a\": {\"b\": 7}}"), SET("[\"a\", \"a/b\"]")),
	                    "{\"a\":{\"b\":7}}");
	assert_string_equal(ok("json.filter", J("{\"a\": 7}"), rv_empty_set()), "{}");
	assert_string_equal(ok("json.filter", J("{\"a\": [{\"b\": 7, \"c\": 8}, {\"d\": 9}]}"),
	                       SET("[\"a/0/b\", \"a/1\"]")),
	                    "{\"a\":[{\"b\":7},{\"d\":9}]}");
	assert_string_equal(ok("json.filter", J("{\"a\": [{\"1\": [\"b\", \"c\", \"d\"]}, {\"x\": \"y\"}]}"),
	                       SET("[\"a/0/1/2\"]")),
	                    "{\"a\":[{\"1\":[\"d\"]}]}");
	assert_string_equal(ok("json.filter", J("{\"a\": {\"b\": {\"c\": 7, \"d\": 8, \"x\": 0}}, \"e\": 9}"),
	                       SET("[\"a/b/d\", [\"a\", \"b\", \"c\"]]")),
	                    "{\"a\":{\"b\":{\"c\":7,\"d\":8}}}");
	/* Sets are filtered by member; "~1" is "/", "~0" is "~"; leading slashes
	 * are optional. */
	const rv *set = SET("[\"x/y\", \"z~\"]");
	const rv *k[1] = {S("s")};
	assert_string_equal(ok("json.filter", rv_obj(A, k, &set, 1, NULL), J("[\"//s/x~1y\", \"s/z~0\"]")),
	                    "{\"s\":[\"x/y\",\"z~\"]}");
}

static void test_remove(void **state)
{
	(void)state;
	const rv *doc = J("{\"a\": {\"b\": {\"c\": 7, \"d\": 8}}, \"e\": 9}");
	assert_string_equal(ok("json.remove", doc, SET("[\"a/b/c\"]")), "{\"a\":{\"b\":{\"d\":8}},\"e\":9}");
	assert_string_equal(ok("json.remove", doc, SET("[\"a/b/c\", \"e\"]")), "{\"a\":{\"b\":{\"d\":8}}}");
	assert_string_equal(ok("json.remove", J("{\"a\": {\"b\": 7}, \"c\": 1}"), SET("[\"a\", \"a/b\"]")),
	                    "{\"c\":1}");
	assert_string_equal(ok("json.remove", J("{\"a\": 7}"), rv_empty_set()), "{\"a\":7}");
	assert_string_equal(ok("json.remove", J("{\"a\": [{\"b\": 7, \"c\": 8}, {\"d\": 9}]}"),
	                       SET("[\"a/0/b\", \"a/1\"]")),
	                    "{\"a\":[{\"c\":8}]}");
	assert_string_equal(ok("json.remove", J("{\"a\": [{\"1\": [\"b\", \"c\", \"d\"]}, {\"x\": \"y\"}]}"),
	                       SET("[\"a/0/1/2\"]")),
	                    "{\"a\":[{\"1\":[\"b\",\"c\"]},{\"x\":\"y\"}]}");
	expect_err("json.remove", S("foo"), SET("[\"a/b/c\"]"), "eval_type_error",
	           "json.remove: operand 1 must be object but got string");
	expect_err("json.remove", J("{}"), S("foo"), "eval_type_error",
	           "json.remove: operand 2 must be one of {set, array} but got string");
	expect_err("json.remove", J("{}"), J("[\"a\", 1]"), "eval_type_error",
	           "json.remove: operand 2 must be one of {set, array} containing string paths or "
	           "array of path segments but got number");
	expect_err("json.filter", J("{}"), SET("[\"a\", {\"x\": 1}]"), "eval_type_error",
	           "json.filter: operand 2 must be one of {set, array} containing string paths or "
	           "array of path segments but got object");
}

/* ---- json.patch ---- */

static const char *patch(const char *doc, const char *ops)
{
	return ok("json.patch", J(doc), J(ops));
}

static void test_patch_rfc6902(void **state)
{
	(void)state;
	assert_string_equal(patch("{\"foo\": \"bar\"}", "[{\"op\": \"add\", \"path\": \"/baz\", \"value\": \"qux\"}]"),
	                    "{\"baz\":\"qux\",\"foo\":\"bar\"}");
	assert_string_equal(patch("{\"foo\": [\"bar\", \"baz\"]}", "[{\"op\": \"add\", \"path\": \"/foo/1\", \"value\": \"qux\"}]"),
	                    "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
	assert_string_equal(patch("{\"foo\": [\"bar\", \"qux\", \"baz\"]}", "[{\"op\": \"remove\", \"path\": \"/foo/1\"}]"),
	                    "{\"foo\":[\"bar\",\"baz\"]}");
	assert_string_equal(patch("{\"baz\": \"qux\"}", "[{\"op\": \"replace\", \"path\": \"/baz\", \"value\": \"boo\"}]"),
	                    "{\"baz\":\"boo\"}");
	assert_string_equal(patch("{\"foo\": {\"bar\": \"baz\", \"waldo\": \"fred\"}, \"qux\": {\"corge\": \"grault\"}}",
	                          "[{\"op\": \"move\", \"from\": \"/foo/waldo\", \"path\": \"/qux/thud\"}]"),
	                    "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
	assert_string_equal(patch("{\"foo\": [\"all\", \"grass\", \"cows\", \"eat\"]}",
	                          "[{\"op\": \"move\", \"from\": \"/foo/1\", \"path\": \"/foo/3\"}]"),
	                    "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
	assert_string_equal(patch("{\"/\": 9, \"~1\": 10}", "[{\"op\": \"test\", \"path\": \"/~01\", \"value\": 10}]"),
	                    "{\"/\":9,\"~1\":10}");
	assert_string_equal(patch("{\"/\": 9, \"~1\": 10}", "[{\"op\": \"test\", \"path\": \"/~01\", \"value\": \"10\"}]"),
	                    "undefined");
	assert_string_equal(patch("{\"foo\": [\"bar\"]}", "[{\"op\": \"add\", \"path\": \"/foo/-\", \"value\": [\"abc\"]}]"),
	                    "{\"foo\":[\"bar\",[\"abc\"]]}");
	assert_string_equal(patch("{\"q\": {\"bar\": 2}}", "[{\"op\": \"add\", \"path\": \"/a/b\", \"value\": 1}]"),
	                    "undefined");
	assert_string_equal(patch("{}", "[{\"op\": \"add\", \"path\": \"\", \"value\": []}]"), "[]");
	assert_string_equal(patch("{}", "[{\"op\": \"add\", \"path\": \"/\", \"value\": 1}]"), "{\"\":1}");
	assert_string_equal(patch("{\"foo\": {}}", "[{\"op\": \"add\", \"path\": \"/foo/\", \"value\": 1}]"),
	                    "{\"foo\":{\"\":1}}");
	assert_string_equal(patch("{\"foo\": 1}", "[{\"op\": \"copy\", \"from\": \"/foo\", \"path\": \"/bar\"}]"),
	                    "{\"bar\":1,\"foo\":1}");
	assert_string_equal(patch("{\"foo\": 1}", "[{\"op\": \"test\", \"path\": \"/foo\", \"value\": 1, \"spurious\": 1}]"),
	                    "{\"foo\":1}");
}

static void test_patch_failures(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
	    {"{\"bar\": [1, 2]}", "[{\"op\": \"add\", \"path\": \"/bar/8\", \"value\": \"5\"}]"},
	    {"{\"bar\": [1, 2]}", "[{\"op\": \"add\", \"path\": \"/bar/-1\", \"value\": \"5\"}]"},
	    {"[\"foo\", \"bar\"]", "[{\"op\": \"test\", \"path\": \"/1e0\", \"value\": \"bar\"}]"},
	    {"[\"foo\", \"sil\"]", "[{\"op\": \"add\", \"path\": \"/bar\", \"value\": 42}]"},
	    {"[\"foo\", \"bar\"]", "[{\"op\": \"test\", \"path\": \"/00\", \"value\": \"foo\"}]"},
	    {"[\"foo\", \"bar\"]", "[{\"op\": \"remove\", \"path\": \"/2\"}]"},
	    {"{\"foo\": \"bar\"}", "[{\"op\": \"remove\", \"path\": \"/missing1/missing2\"}]"},
	    {"{}", "[{\"op\": \"add\", \"value\": \"bar\"}]"},
	    {"{}", "[{\"op\": \"add\", \"path\": null, \"value\": \"bar\"}]"},
	    {"[1]", "[{\"op\": \"add\", \"path\": \"/-\"}]"},
	    {"[1]", "[{\"op\": \"copy\", \"path\": \"/-\"}]"},
	    {"{\"foo\": 1}", "[{\"op\": \"move\", \"from\": \"/bar\", \"path\": \"/foo\"}]"},
	    {"{\"foo\": 1}", "[{\"op\": \"spam\", \"path\": \"/foo\", \"value\": 1}]"},
	    {"{\"foo\": 1}", "[1]"},
	    {"{\"foo\": 1}", "[{\"op\": \"remove\", \"path\": \"\"}]"},
	    {"[1, 2, 3]", "[{\"op\": \"add\", \"path\": \"1.2\", \"value\": \"foo\"}]"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(patch(bad[i][0], bad[i][1]), "undefined");
	expect_err("json.patch", J("{}"), J("{}"), "eval_type_error",
	           "json.patch: operand 2 must be array but got object");
}

static void test_patch_sets(void **state)
{
	(void)state;
	const rv *k[2] = {S("bar"), S("foo")};
	const rv *v[2] = {SET("[\"c\", \"d\"]"), SET("[\"a\", \"b\"]")};
	const rv *doc = rv_obj(A, k, v, 2, NULL);
	assert_string_equal(ok("json.patch", doc, J("[{\"op\": \"remove\", \"path\": \"foo/b\"}]")),
	                    "{\"bar\":[\"c\",\"d\"],\"foo\":[\"a\"]}");
	assert_string_equal(ok("json.patch", doc, J("[{\"op\": \"add\", \"path\": \"foo/e\", \"value\": \"e\"}]")),
	                    "{\"bar\":[\"c\",\"d\"],\"foo\":[\"a\",\"b\",\"e\"]}");
	assert_string_equal(ok("json.patch", doc, J("[{\"op\": \"add\", \"path\": \"foo/d\", \"value\": \"e\"}]")),
	                    "undefined");
	assert_string_equal(ok("json.patch", doc, J("[{\"op\": \"move\", \"from\": \"foo/a\", \"path\": \"bar/a\"}]")),
	                    "{\"bar\":[\"a\",\"c\",\"d\"],\"foo\":[\"b\"]}");
	const rv *inner = J("[1]");
	const rv *sdoc = rv_set(A, &inner, 1);
	assert_string_equal(ok("json.patch", sdoc, J("[{\"op\": \"add\", \"path\": [[1], 1], \"value\": 2}]")),
	                    "[[1,2]]");
}

static void test_patch_api(void **state)
{
	(void)state;
	const rv *out = NULL;
	cc_error *e = NULL;
	assert_int_equal(rv_json_patch(A, J("{\"a\": 1}"), J("[{\"op\": \"remove\", \"path\": \"/b\"}]"), &out, &e),
	                 -EINVAL);
	assert_string_equal(cc_error_message(e), "json patch operation 0: cannot remove a key that does not exist");
	cc_error_free(e);
	e = NULL;
	assert_int_equal(rv_json_patch(A, J("{\"a\": 1}"),
	                               J("[{\"op\": \"replace\", \"path\": \"\", \"value\": {\"b\": 2}},"
	                                 " {\"op\": \"add\", \"path\": \"/c\", \"value\": [1]}]"),
	                               &out, &e),
	                 0);
	assert_string_equal(gj(out), "{\"b\":2,\"c\":[1]}");
	const rv *segs;
	assert_int_equal(rv_json_path(A, S("//a/~1b~0/"), &segs), 0);
	assert_string_equal(gj(segs), "[\"a\",\"/b~\",\"\"]");
	assert_int_equal(rv_json_path(A, J("1"), &segs), -EINVAL);
}

/* ---- yaml.* ---- */

static void test_yaml_builtins(void **state)
{
	(void)state;
	const rv *set = SET("[3, 1, 2]");
	const rv *k[1] = {S("foo")};
	const rv *obj = rv_obj(A, k, &set, 1, NULL);
	const rv *r;
	assert_int_equal(call("yaml.marshal", rv_arr(A, &obj, 1), NULL, &r), 0);
	assert_string_equal(r->u.s.p, "- foo:\n  - 1\n  - 2\n  - 3\n");
	assert_string_equal(ok("yaml.unmarshal", r, NULL), "[{\"foo\":[1,2,3]}]");
	assert_true(call("yaml.unmarshal", S("[1,2,3"), NULL, &r) < 0);
	assert_string_equal(cc_error_kind(CX.err), "eval_builtin_error");
	assert_string_equal(cc_error_message(CX.err),
	                    "yaml.unmarshal: yaml: line 1: did not find expected ',' or ']'");
	expect_err("yaml.unmarshal", J("[]"), NULL, "eval_type_error",
	           "yaml.unmarshal: operand 1 must be string but got array");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_marshal),
	    cmocka_unit_test(test_marshal_with_options),
	    cmocka_unit_test(test_unmarshal),
	    cmocka_unit_test(test_is_valid),
	    cmocka_unit_test(test_filter),
	    cmocka_unit_test(test_remove),
	    cmocka_unit_test(test_patch_rfc6902),
	    cmocka_unit_test(test_patch_failures),
	    cmocka_unit_test(test_patch_sets),
	    cmocka_unit_test(test_patch_api),
	    cmocka_unit_test(test_yaml_builtins),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
