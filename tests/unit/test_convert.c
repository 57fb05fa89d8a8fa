/* Unit tests: JSON / YAML conversions (lib/rego/convert_*.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rego/convert.h"

static rarena *A;

static int setup(void **state)
{
	(void)state;
	A = rarena_new(0);
	return A ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rarena_free(A);
	return 0;
}

/* Go json.Marshal text of v (freed at teardown via a static buffer). */
static const char *gj(const rv *v)
{
	static char out[8192];
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rv_to_go_json(v, &b, "", NULL), 0);
	snprintf(out, sizeof(out), "%s", b.p ? b.p : "");
	cc_buf_free(&b);
	return out;
}

static const rv *json(const char *t)
{
	const rv *v = NULL;
	cc_error *e = NULL;
	int r = rv_from_json_text(A, t, strlen(t), &v, &e);
	if (r)
		fail_msg("json %s: %s", t, cc_error_message(e));
	return v;
}

static int json_err(const char *t, size_t n, char *msg, size_t msgn)
{
	const rv *v = NULL;
	cc_error *e = NULL;
	int r = rv_from_json_text(A, t, n, &v, &e);
	if (msg) {
		char *f = cc_error_format(e); /* line:col: message */
		snprintf(msg, msgn, "%s", f ? f : "");
		free(f);
	}
	cc_error_free(e);
	return r;
}

static const rv *yaml(const char *t)
{
	const rv *v = NULL;
	cc_error *e = NULL;
	int r = rv_from_yaml_text(A, t, strlen(t), &v, &e);
	if (r)
		fail_msg("yaml %s: %s", t, cc_error_message(e));
	return v;
}

static const char *yaml_err(const char *t)
{
	static char msg[512];
	const rv *v = NULL;
	cc_error *e = NULL;
	int r = rv_from_yaml_text(A, t, strlen(t), &v, &e);
	assert_true(r < 0);
	snprintf(msg, sizeof(msg), "%s", cc_error_message(e));
	cc_error_free(e);
	return msg;
}

static const char *to_yaml(const rv *v)
{
	static char out[8192];
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rv_to_yaml(v, &b), 0);
	snprintf(out, sizeof(out), "%s", b.p ? b.p : "");
	cc_buf_free(&b);
	return out;
}

/* ---- JSON in ---- */

static void test_json_numbers_keep_spelling(void **state)
{
	(void)state;
	assert_string_equal(gj(json("[1, 1.0, -0.0, 1e2, 1E+2, 0.1, 18446744073709551614, "
	                            "-9223372036854775809, 123456789012345678901234567890]")),
	                    "[1,1.0,-0.0,1e2,1E+2,0.1,18446744073709551614,-9223372036854775809,"
	                    "123456789012345678901234567890]");
	const rv *v = json("9223372036854775808");
	assert_int_equal(v->t, RV_NUM);
	assert_int_equal(v->nk, RN_BIG);
	v = json("9223372036854775807");
	assert_int_equal(v->nk, RN_INT);
	assert_true(v->u.i == INT64_MAX);
}

static void test_json_overflowing_reals(void **state)
{
	(void)state;
	/* jansson refuses 1e400; Go (and OPA) keep it as a number. */
	assert_string_equal(gj(json("{\"a\": [1e400, \"x1e400\", -2e500, 3]}")),
	                    "{\"a\":[1e400,\"x1e400\",-2e500,3]}");
	assert_true(rv_json_valid("[1e400]", 7));
}

static void test_json_strings(void **state)
{
	(void)state;
	const rv *v = json("\"a\\u0000b\\n\\u00e9\"");
	assert_int_equal(v->u.s.n, 6);
	assert_memory_equal(v->u.s.p, "a\0b\n\xc3\xa9", 6);
	/* Invalid UTF-8 becomes U+FFFD byte by byte, as Go's decoder does. */
	v = json("\"a\xff\xc3\"");
	assert_int_equal(v->u.s.n, 7);
	assert_memory_equal(v->u.s.p, "a\xef\xbf\xbd\xef\xbf\xbd", 7);
	/* Unpaired surrogate escapes also read as U+FFFD (jansson alone would
	 * refuse them); pairs stay pairs. */
	v = json("[\"\\ud800\", \"\\udc00\\uD800x\", \"\\ud83d\\ude00\", \"\\\\ud800\"]");
	assert_string_equal(gj(v), "[\"\xef\xbf\xbd\",\"\xef\xbf\xbd\xef\xbf\xbdx\",\"\xf0\x9f\x98\x80\",\"\\\\ud800\"]");
	assert_true(rv_json_valid("\"\\ud800\"", 8));
}

static void test_json_errors(void **state)
{
	(void)state;
	char msg[256];
	assert_int_equal(json_err("{\"a\":1,\"a\":2}", 13, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "duplicate"));
	assert_int_equal(json_err("[1,", 3, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "1:3: "));
	assert_int_equal(json_err("1 2", 3, NULL, 0), -EINVAL);
	assert_int_equal(json_err("", 0, NULL, 0), -EINVAL);
	/* Nesting beyond CC_REGO_MAX_JSON_DEPTH. */
	char deep[600];
	memset(deep, '[', 300);
	memset(deep + 300, ']', 300);
	assert_int_equal(json_err(deep, 600, msg, sizeof(msg)), -ELOOP);
	memset(deep, '[', 200);
	memset(deep + 200, ']', 200);
	assert_int_equal(json_err(deep, 400, NULL, 0), 0);
}

static void test_json_valid(void **state)
{
	(void)state;
	assert_true(rv_json_valid("{\"a\":1,\"a\":2}", 13)); /* Go's json.Valid */
	assert_true(rv_json_valid(" null ", 6));
	assert_false(rv_json_valid("{", 1));
	assert_false(rv_json_valid("plainstring", 11));
	assert_false(rv_json_valid("", 0));
}

static void test_jansson_roundtrip(void **state)
{
	(void)state;
	json_error_t je;
	json_t *j = json_loads("{\"r\": 0.1, \"i\": 5, \"b\": 1e21, \"s\": [true, null]}", 0, &je);
	assert_non_null(j);
	const rv *v = NULL;
	assert_int_equal(rv_from_jansson(A, j, &v, NULL), 0);
	json_decref(j);
	assert_string_equal(gj(v), "{\"b\":1e+21,\"i\":5,\"r\":0.1,\"s\":[true,null]}");

	/* Sets become arrays, non-string keys their JSON text. */
	const rv *k[2] = {rv_int(A, 1), rv_cstr(A, "x")};
	const rv *items[2] = {rv_cstr(A, "b"), rv_cstr(A, "a")};
	const rv *vals[2] = {rv_set(A, items, 2), rv_null()};
	const rv *o = rv_obj(A, k, vals, 2, NULL);
	json_t *out = rv_to_jansson(o);
	assert_non_null(out);
	char *txt = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(txt, "{\"1\":[\"a\",\"b\"],\"x\":null}");
	free(txt);
	json_decref(out);
}

/* ---- JSON out ---- */

static void test_go_json_escaping(void **state)
{
	(void)state;
	const rv *s = rv_str(A, "<a href=\"x\">&\b\f\x01\x7f\xe2\x80\xa8\xff", 21);
	assert_string_equal(gj(s), "\"\\u003ca href=\\\"x\\\"\\u003e\\u0026\\b\\f\\u0001\x7f\\u2028\\ufffd\"");
}

static void test_go_json_keys(void **state)
{
	(void)state;
	/* Keys sort by their text: "10" < "9"; 1 and "1" collide, last wins. */
	const rv *k[4] = {rv_int(A, 9), rv_int(A, 10), rv_int(A, 1), rv_cstr(A, "1")};
	const rv *v[4] = {rv_int(A, 0), rv_int(A, 1), rv_cstr(A, "num"), rv_cstr(A, "str")};
	assert_string_equal(gj(rv_obj(A, k, v, 4, NULL)), "{\"1\":\"str\",\"10\":1,\"9\":0}");
	const rv *sk[1] = {rv_set(A, k, 2)};
	assert_string_equal(gj(rv_obj(A, sk, v, 1, NULL)), "{\"[9,10]\":0}");
}

static void test_go_json_indent(void **state)
{
	(void)state;
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rv_to_go_json(json("{\"a\":[1,[],{}],\"b\":{\"c\":null}}"), &b, "P", "\t"), 0);
	assert_string_equal(b.p, "{\nP\t\"a\": [\nP\t\t1,\nP\t\t[],\nP\t\t{}\nP\t],\nP\t\"b\": {\nP\t\t\"c\": null\nP\t}\nP}");
	cc_buf_free(&b);
}

/* ---- YAML in ---- */

static void test_yaml_scalars(void **state)
{
	(void)state;
	assert_string_equal(gj(yaml("[yes, No, on, OFF, y, true, False, ~, null, '', \"x\"]")),
	                    "[true,false,true,false,true,true,false,null,null,\"\",\"x\"]");
	assert_string_equal(gj(yaml("[0x1f, 0o17, 0777, 1_000, +12, -0b101, 08, .5, 1e3, 1.0, 1e400, "
	                            "18446744073709551615, +18446744073709551615, -1.5e-7]")),
	                    "[31,15,511,1000,12,-5,8,0.5,1000,1,\"1e400\",18446744073709551615,"
	                    "18446744073709552000,-1.5e-7]");
	assert_string_equal(gj(yaml("[2001-12-14, 2001-12-14t21:59:43.10-05:00, 12:30, yes please, "
	                            "\"yes\", '1', !!str 1, !!float 1, !!int \"7\", !!null '', "
	                            "!!binary aGVsbG8=, !custom 5]")),
	                    "[\"2001-12-14\",\"2001-12-14t21:59:43.10-05:00\",\"12:30\",\"yes please\","
	                    "\"yes\",\"1\",\"1\",1,7,null,\"hello\",\"5\"]");
}

static void test_yaml_scalar_errors(void **state)
{
	(void)state;
	assert_string_equal(yaml_err("!!int abc"), "yaml: cannot decode !!str `abc` as a !!int");
	assert_string_equal(yaml_err("[.nan]"), "json: unsupported value: NaN");
	assert_string_equal(yaml_err("a: -.inf"), "json: unsupported value: -Inf");
	assert_string_equal(yaml_err("!!binary '!!'"), "yaml: !!binary value contains invalid base64 data");
}

static void test_yaml_keys(void **state)
{
	(void)state;
	assert_string_equal(gj(yaml("{1: a, true: b, 1.5: c, 123456789.0: d, 0.1: e, .inf: f, 2001-01-01: g}")),
	                    "{\".inf\":\"f\",\"0.1\":\"e\",\"1\":\"a\",\"1.2345679e+08\":\"d\",\"1.5\":\"c\","
	                    "\"2001-01-01\":\"g\",\"true\":\"b\"}");
	assert_string_equal(yaml_err("~: 1"), "unsupported map key of type: <nil>");
	assert_string_equal(yaml_err("18446744073709551615: 1"), "unsupported map key of type: uint64");
	assert_string_equal(yaml_err("? [1]\n: 2"), "yaml: invalid map key");
	/* Duplicate keys: the last one wins (go-yaml v2). */
	assert_string_equal(gj(yaml("a: 1\na: 2\n")), "{\"a\":2}");
}

static void test_yaml_anchors_and_merge(void **state)
{
	(void)state;
	assert_string_equal(gj(yaml("base: &b {x: 1, z: 2}\nuse:\n  <<: *b\n  z: 3\n")),
	                    "{\"base\":{\"x\":1,\"z\":2},\"use\":{\"x\":1,\"z\":3}}");
	/* go-yaml v2 reads a plain y as true, also as a key. */
	assert_string_equal(gj(yaml("{y: 1, n: 2}")), "{\"false\":2,\"true\":1}");
	/* The merge overwrites keys given before it; earlier maps of a merged
	 * sequence win over later ones. */
	assert_string_equal(gj(yaml("- &a {k: a, p: 1}\n- &b {k: b, q: 2}\n- {k: own, <<: [*a, *b]}\n")),
	                    "[{\"k\":\"a\",\"p\":1},{\"k\":\"b\",\"q\":2},{\"k\":\"a\",\"p\":1,\"q\":2}]");
	assert_string_equal(yaml_err("a: &x [1, *x]"), "yaml: anchor 'x' value contains itself");
	assert_string_equal(yaml_err("a: *nope"), "yaml: unknown anchor 'nope' referenced");
	assert_string_equal(yaml_err("<<: 1"), "yaml: map merge requires map or sequence of maps as the value");
}

static void test_yaml_alias_bomb(void **state)
{
	(void)state;
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(cc_buf_adds(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"), 0);
	for (int i = 1; i < 10; i++) {
		assert_true(cc_buf_printf(&b, "a%d: &a%d [", i, i) == 0);
		for (int j = 0; j < 10; j++)
			assert_true(cc_buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1) == 0);
		assert_int_equal(cc_buf_adds(&b, "]\n"), 0);
	}
	const rv *v = NULL;
	cc_error *e = NULL;
	assert_int_equal(rv_from_yaml_text(A, b.p, b.len, &v, &e), -ELOOP);
	assert_string_equal(cc_error_message(e), "yaml: document contains excessive aliasing");
	cc_error_free(e);
	cc_buf_free(&b);
}

static void test_yaml_documents_and_errors(void **state)
{
	(void)state;
	assert_int_equal(yaml("")->t, RV_NULL);
	assert_int_equal(yaml("# only a comment\n")->t, RV_NULL);
	assert_string_equal(gj(yaml("a: 1\n---\nb: 2\n")), "{\"a\":1}");
	assert_string_equal(yaml_err("[1,2,3"), "yaml: line 1: did not find expected ',' or ']'");
	assert_string_equal(yaml_err("foo:\n  - qux: bar\n  - baz: {"),
	                    "yaml: line 3: did not find expected node content");
	assert_string_equal(yaml_err("a: \"unterminated"), "yaml: found unexpected end of stream");
	assert_string_equal(yaml_err("a:\tb\n\x01"), "yaml: control characters are not allowed");
	char deep[700];
	memset(deep, '[', 300);
	memset(deep + 300, ']', 300);
	deep[600] = '\0';
	assert_non_null(strstr(yaml_err(deep), "nesting deeper"));
}

/* ---- YAML document nodes (conformance runner) ---- */

static const rv *yaml_doc(const char *t)
{
	yaml_parser_t p;
	yaml_document_t d;
	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)t, strlen(t));
	assert_true(yaml_parser_load(&p, &d));
	const rv *v = NULL;
	cc_error *e = NULL;
	int r = rv_from_yaml_node(A, &d, yaml_document_get_root_node(&d), &v, &e);
	if (r)
		fail_msg("%s", cc_error_message(e));
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	return v;
}

static void test_yaml_node_exact(void **state)
{
	(void)state;
	const rv *v = yaml_doc("data: {\"a\": [18446744073709551614, 9223372036854775808, 1.0, 1e2, "
	                       "0x10, \"1\", yes, null]}\ninput: &i {x: 1}\nagain: *i\n");
	assert_string_equal(gj(v), "{\"again\":{\"x\":1},\"data\":{\"a\":[18446744073709551614,"
	                           "9223372036854775808,1.0,1e2,16,\"1\",true,null]},"
	                           "\"input\":{\"x\":1}}");
	const rv *big = rv_obj_gets(v, "data", 4)->u.o.v[0]->u.a.v[0];
	assert_int_equal(big->nk, RN_BIG);
}

/* ---- YAML out ---- */

static void test_yaml_marshal(void **state)
{
	(void)state;
	assert_string_equal(to_yaml(json("[{\"foo\": [1, 2, 3]}]")), "- foo:\n  - 1\n  - 2\n  - 3\n");
	assert_string_equal(to_yaml(json("{\"b\": \"yes\", \"a\": \"1\", \"c\": \"x: y\", \"d\": \"a\\nb\","
	                                 " \"e\": 1.0, \"f\": 1e6, \"g\": [], \"h\": {}, \"i\": \"2001-01-01\","
	                                 " \"j\": 18446744073709551615, \"k\": \"\"}")),
	                    "a: \"1\"\nb: \"yes\"\nc: 'x: y'\nd: |-\n  a\n  b\ne: 1\nf: 1e+06\ng: []\nh: {}\n"
	                    "i: \"2001-01-01\"\nj: 18446744073709551615\nk: \"\"\n");
	/* go-yaml's natural key order: digits compare as numbers. */
	assert_string_equal(to_yaml(json("{\"a10\": 1, \"a9\": 2, \"B\": 3, \"a\": 4}")),
	                    "B: 3\na: 4\na9: 2\na10: 1\n");
	assert_string_equal(to_yaml(rv_cstr(A, "foo")), "foo\n");
	assert_string_equal(to_yaml(rv_null()), "null\n");
}

static void test_yaml_roundtrip(void **state)
{
	(void)state;
	const rv *v = json("{\"a\": [1, \"two\", {\"three\": [true, null, 4.5]}], \"b\": \"on\","
	                   " \"c\": \"multi\\nline\\n\", \"d\": \"\\u00e9\\t\"}");
	assert_string_equal(gj(yaml(to_yaml(v))), gj(v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_numbers_keep_spelling),
	    cmocka_unit_test(test_json_overflowing_reals),
	    cmocka_unit_test(test_json_strings),
	    cmocka_unit_test(test_json_errors),
	    cmocka_unit_test(test_json_valid),
	    cmocka_unit_test(test_jansson_roundtrip),
	    cmocka_unit_test(test_go_json_escaping),
	    cmocka_unit_test(test_go_json_keys),
	    cmocka_unit_test(test_go_json_indent),
	    cmocka_unit_test(test_yaml_scalars),
	    cmocka_unit_test(test_yaml_scalar_errors),
	    cmocka_unit_test(test_yaml_keys),
	    cmocka_unit_test(test_yaml_anchors_and_merge),
	    cmocka_unit_test(test_yaml_alias_bomb),
	    cmocka_unit_test(test_yaml_documents_and_errors),
	    cmocka_unit_test(test_yaml_node_exact),
	    cmocka_unit_test(test_yaml_marshal),
	    cmocka_unit_test(test_yaml_roundtrip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
