/* lib/toml: the TOML 1.0 parser (lib/toml/toml.h). Spec cases written from
 * the TOML 1.0.0 text, table/key redefinition rules, errors with their
 * line and column, caps and hostile input. test_toml_diff.py compares the
 * parser with Python's tomllib on many more documents. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cocoon/limits.h"
#include "toml.h"

static toml_doc *parse_ok(const char *src)
{
	toml_doc *d = NULL;
	cc_error *err = NULL;
	int r = toml_parse(src, strlen(src), "t.toml", &d, &err);
	if (r != 0)
		fail_msg("parse failed: %s\n--- doc:\n%s", cc_error_message(err), src);
	cc_error_free(err);
	return d;
}

/* Parses src expecting failure with code; returns the formatted error. */
static char *parse_bad(const char *src, size_t len, int code)
{
	toml_doc *d = (toml_doc *)0x1;
	cc_error *err = NULL;
	int r = toml_parse(src, len, "t.toml", &d, &err);
	if (r == 0)
		fail_msg("parse accepted:\n%s", src);
	assert_int_equal(r, code);
	assert_ptr_equal(d, (toml_doc *)0x1); /* output untouched */
	assert_string_equal(cc_error_kind(err), "toml_parse_error");
	char *m = cc_error_format(err);
	cc_error_free(err);
	return m;
}

static void bad(const char *src)
{
	free(parse_bad(src, strlen(src), -EINVAL));
}

static const toml_value *at(const toml_doc *d, const char *path)
{
	const toml_value *v = toml_table_path(toml_doc_root(d), path);
	if (v == NULL)
		fail_msg("no %s", path);
	return v;
}

static void test_scalars(void **state)
{
	(void)state;
	toml_doc *d = parse_ok("# comment\n"
	                       "s = \"tab\\there \\u00e9 \\U0001F600 \\\"q\\\" \\\\\"\n"
	                       "lit = 'C:\\Users\\x'\n"
	                       "i1 = +99\ni2 = -17\ni3 = 1_000\ni4 = 0xDEAD_beef\ni5 = 0o755\n"
	                       "i6 = 0b1101\ni7 = -9223372036854775808\ni8 = 9223372036854775807\n"
	                       "f1 = 3.1415\nf2 = -0.01\nf3 = 5e+22\nf4 = 6.626e-34\nf5 = 224_617.445_991\n"
	                       "f6 = inf\nf7 = -inf\nf8 = nan\nf9 = 1E6\n"
	                       "t = true\nf = false\n");
	size_t n;
	assert_string_equal(toml_string(at(d, "s"), &n), "tab\there \xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\");
	assert_string_equal(toml_string(at(d, "lit"), NULL), "C:\\Users\\x");
	assert_int_equal(toml_integer(at(d, "i1")), 99);
	assert_int_equal(toml_integer(at(d, "i2")), -17);
	assert_int_equal(toml_integer(at(d, "i3")), 1000);
	assert_int_equal(toml_integer(at(d, "i4")), 0xDEADBEEF);
	assert_int_equal(toml_integer(at(d, "i5")), 0755);
	assert_int_equal(toml_integer(at(d, "i6")), 13);
	assert_true(toml_integer(at(d, "i7")) == INT64_MIN);
	assert_true(toml_integer(at(d, "i8")) == INT64_MAX);
	assert_true(toml_float(at(d, "f1")) == 3.1415);
	assert_true(toml_float(at(d, "f3")) == 5e22);
	assert_true(toml_float(at(d, "f5")) == 224617.445991);
	assert_true(isinf(toml_float(at(d, "f6"))) && toml_float(at(d, "f6")) > 0);
	assert_true(isinf(toml_float(at(d, "f7"))) && toml_float(at(d, "f7")) < 0);
	assert_true(isnan(toml_float(at(d, "f8"))));
	assert_true(toml_float(at(d, "f9")) == 1e6);
	assert_int_equal(toml_type(at(d, "f9")), TOML_FLOAT);
	assert_true(toml_boolean(at(d, "t")));
	assert_false(toml_boolean(at(d, "f")));
	/* typed accessors refuse other types */
	assert_null(toml_string(at(d, "i1"), NULL));
	assert_int_equal(toml_integer(at(d, "s")), 0);
	assert_int_equal(toml_line(at(d, "lit")), 3);
	toml_doc_free(d);
}

static void test_strings(void **state)
{
	(void)state;
	toml_doc *d = parse_ok("a = \"\"\"\nRoses\r\nViolets\"\"\"\n"
	                       "b = \"\"\"The quick \\\n\n   brown \\   \n  fox\"\"\"\n"
	                       "c = \"\"\"Here are two quotation marks: \"\". Simple.\"\"\"\n"
	                       "d = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n"
	                       "e = '''\nThe first newline is\ntrimmed.'''\n"
	                       "f = ''''That,' she said, 'is still pointless.''''\n"
	                       "g = \"nul\\u0000inside\"\n"
	                       "h = '''a''''' \n");
	assert_string_equal(toml_string(at(d, "a"), NULL), "Roses\nViolets");
	assert_string_equal(toml_string(at(d, "b"), NULL), "The quick brown fox");
	assert_string_equal(toml_string(at(d, "c"), NULL), "Here are two quotation marks: \"\". Simple.");
	assert_string_equal(toml_string(at(d, "d"), NULL),
	                    "\"This,\" she said, \"is just a pointless statement.\"");
	assert_string_equal(toml_string(at(d, "e"), NULL), "The first newline is\ntrimmed.");
	assert_string_equal(toml_string(at(d, "f"), NULL), "'That,' she said, 'is still pointless.'");
	size_t n;
	const char *g = toml_string(at(d, "g"), &n);
	assert_int_equal(n, 10);
	assert_memory_equal(g, "nul\0inside", 10);
	assert_string_equal(toml_string(at(d, "h"), NULL), "a''");
	toml_doc_free(d);
}

static void test_datetimes(void **state)
{
	(void)state;
	toml_doc *d = parse_ok("odt1 = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00-07:00\n"
	                       "odt3 = 1979-05-27 00:32:00.999999123+05:30\n"
	                       "ldt = 1979-05-27T07:32:00\nld = 2000-02-29\nlt = 00:32:00.5\n");
	const toml_datetime *t = toml_dt(at(d, "odt1"));
	assert_int_equal(t->kind, TOML_OFFSET_DATETIME);
	assert_int_equal(t->year, 1979);
	assert_int_equal(t->hour, 7);
	assert_int_equal(t->offset_minutes, 0);
	assert_int_equal(toml_dt(at(d, "odt2"))->offset_minutes, -420);
	t = toml_dt(at(d, "odt3"));
	assert_int_equal(t->nanosecond, 999999123);
	assert_int_equal(t->offset_minutes, 330);
	assert_int_equal(toml_dt(at(d, "ldt"))->kind, TOML_LOCAL_DATETIME);
	assert_int_equal(toml_dt(at(d, "ld"))->kind, TOML_LOCAL_DATE);
	assert_int_equal(toml_dt(at(d, "ld"))->day, 29);
	t = toml_dt(at(d, "lt"));
	assert_int_equal(t->kind, TOML_LOCAL_TIME);
	assert_int_equal(t->nanosecond, 500000000);
	toml_doc_free(d);
	bad("d = 2001-02-29\n");
	bad("d = 1979-13-01\n");
	bad("d = 0000-01-01\n");
	bad("t = 24:00:00\n");
	bad("t = 07:32\n");
	bad("d = 1979-05-27T07:32:00Zjunk\n");
}

static void test_tables(void **state)
{
	(void)state;
	toml_doc *d = parse_ok("title = \"x\"\n"
	                       "[hypervisor.qemu]\npath = \"/usr/bin/qemu\"\nkernel_params = \"\"\n"
	                       "[ hypervisor . 'none' ]\n\"agent\" = 1\n"
	                       "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n"
	                       "[fruit.apple.texture]\nsmooth = true\n"
	                       "[[products]]\nname = \"Hammer\"\n[[products]]\n[[products]]\nname = \"Nail\"\n"
	                       "[[fruits]]\nname = \"apple\"\n[fruits.physical]\ncolor = \"red\"\n"
	                       "[[fruits.varieties]]\nname = \"red delicious\"\n"
	                       "[[fruits]]\nname = \"banana\"\n"
	                       "[x.y.z.w]\n[x]\n"
	                       "[inline]\npoint = { x = 1, y = 2, a.b = 3 }\narr = [ 1, 'two', [3], {four = 4}, ]\n"
	                       "empty = []\nnested = [ # comment\n  1,\n  2 # two\n]\n");
	const toml_value *root = toml_doc_root(d);
	assert_int_equal(toml_table_len(root), 7);
	const char *k;
	toml_table_at(root, 1, &k, NULL);
	assert_string_equal(k, "hypervisor");
	assert_string_equal(toml_string(at(d, "hypervisor.qemu.path"), NULL), "/usr/bin/qemu");
	assert_int_equal(toml_integer(at(d, "hypervisor.none.agent")), 1);
	assert_true(toml_boolean(at(d, "fruit.apple.taste.sweet")));
	assert_true(toml_boolean(at(d, "fruit.apple.texture.smooth")));
	const toml_value *p = at(d, "products");
	assert_int_equal(toml_type(p), TOML_ARRAY);
	assert_int_equal(toml_array_len(p), 3);
	assert_int_equal(toml_table_len(toml_array_at(p, 1)), 0);
	assert_string_equal(toml_string(toml_table_get(toml_array_at(p, 2), "name"), NULL), "Nail");
	const toml_value *f = at(d, "fruits");
	assert_int_equal(toml_array_len(f), 2);
	assert_string_equal(toml_string(toml_table_path(toml_array_at(f, 0), "physical.color"), NULL),
	                    "red");
	assert_int_equal(toml_array_len(toml_table_get(toml_array_at(f, 0), "varieties")), 1);
	assert_int_equal(toml_integer(at(d, "inline.point.a.b")), 3);
	const toml_value *arr = at(d, "inline.arr");
	assert_int_equal(toml_array_len(arr), 4);
	assert_int_equal(toml_type(toml_array_at(arr, 2)), TOML_ARRAY);
	assert_int_equal(toml_integer(toml_table_get(toml_array_at(arr, 3), "four")), 4);
	assert_int_equal(toml_array_len(at(d, "inline.empty")), 0);
	assert_int_equal(toml_array_len(at(d, "inline.nested")), 2);
	assert_null(toml_table_path(root, "hypervisor.qemu.path.x"));
	assert_null(toml_table_path(root, "nope"));
	assert_int_equal(toml_line(at(d, "hypervisor.qemu")), 2);
	toml_doc_free(d);
}

static void test_big_table(void **state)
{
	(void)state;
	/* past the linear search: the hash index finds every key, duplicates fail */
	char *src = malloc(20000 * 16);
	size_t n = 0;
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(src + n, 16, "k%d = %d\n", i, i);
	toml_doc *d = NULL;
	assert_int_equal(toml_parse(src, n, NULL, &d, NULL), 0);
	char key[16];
	for (int i = 0; i < 20000; i += 7) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(toml_integer(toml_table_get(toml_doc_root(d), key)), i);
	}
	toml_doc_free(d);
	n += (size_t)snprintf(src + n, 16, "k12345 = 1\n");
	free(parse_bad(src, n, -EINVAL));
	free(src);
}

static void test_redefinitions(void **state)
{
	(void)state;
	bad("a = 1\na = 2\n");
	bad("[a]\n[a]\n");
	bad("[a]\nb = 1\n[a.b]\n");
	bad("a = 1\n[a]\n");
	bad("a.b = 1\n[a]\n");
	bad("[fruit]\napple.color = 'red'\n[fruit.apple]\n");
	bad("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n");
	bad("a = {x = 1}\na.y = 2\n");
	bad("a = {x = 1}\n[a]\n");
	bad("a = {x = 1}\n[a.b]\n");
	bad("a = []\n[[a]]\n");
	bad("[[a]]\n[a]\n");
	bad("[a]\n[[a]]\n");
	bad("a = [{}]\n[a.b]\n");
	bad("p = {a = {b = 1}, a.c = 2}\n");
	bad("p = {a = 1, a = 2}\n");
	bad("p = {a.b = 1, a.b.c = 2}\n");
	bad("[[a.b]]\n[a]\nb.c = 1\n");
	/* what the rules allow */
	toml_doc_free(parse_ok("[a.b.c]\nz = 9\n[a]\nb.x = 1\n"));
	toml_doc_free(parse_ok("a.b = 1\na.c = 2\n"));
	toml_doc_free(parse_ok("[a.b]\n[a]\n"));
	toml_doc_free(parse_ok("[[a]]\nb.c = 1\n[[a]]\n[a.b]\n"));
	toml_doc_free(parse_ok("p = {a.b = 1, a.c = 2}\n"));
}

static void test_syntax_errors(void **state)
{
	(void)state;
	bad("a = \n");
	bad("a = 1 b = 2\n");
	bad("= 1\n");
	bad("a = \"unterminated\n");
	bad("a = 'x\n");
	bad("a = \"\\x\"\n");
	bad("a = \"\\ud800\"\n");
	bad("a = \"\\U00110000\"\n");
	bad("a = \"tab\x01\"\n");
	bad("a = 1 # bad \x7f\n");
	bad("a = 01\n");
	bad("a = 1__0\n");
	bad("a = _1\n");
	bad("a = 1_\n");
	bad("a = 1.\n");
	bad("a = .5\n");
	bad("a = 1.e5\n");
	bad("a = +0x10\n");
	bad("a = 0X10\n");
	bad("a = 9223372036854775808\n");
	bad("a = 0x8000000000000000\n");
	bad("a = [1 2]\n");
	bad("a = [1,,]\n");
	bad("a = {x = 1,}\n");
	bad("a = {x = 1\n}\n");
	bad("a = True\n");
	bad("[a\n");
	bad("[[a]\n");
	bad("[]\n");
	bad("a.\n");
	bad("a = 1\r2\n");
	bad("\xff = 1\n");
	bad("k = \"\xc0\xaf\"\n");
	bad("k = \"\xed\xa0\x80\"\n");
	bad("k = '''\x01'''\n");
	bad("k = \"\"\"a\\ b\"\"\"\n");
	bad("\"\"\"k\"\"\" = 1\n");
}

static void test_error_position(void **state)
{
	(void)state;
	char *m = parse_bad("a = 1\n\n[t]\nb = @\n", 17, -EINVAL);
	assert_string_equal(m, "t.toml:4:5: toml_parse_error: invalid value");
	free(m);
	m = parse_bad("a = 1\n[t]\n[t]\n", 14, -EINVAL);
	assert_string_equal(m, "t.toml:3:2: toml_parse_error: table 't' is defined twice");
	free(m);
	m = parse_bad("x = \"\xc3\xa9\xc3\xa9\" y\n", 13, -EINVAL);
	assert_string_equal(m, "t.toml:1:10: toml_parse_error: expected a newline or the end of the document");
	free(m);
}

static void test_caps(void **state)
{
	(void)state;
	size_t big = CC_TOML_MAX_BYTES + 1;
	char *src = malloc(big);
	memset(src, '\n', big);
	free(parse_bad(src, big, -E2BIG));
	/* nesting: arrays, inline tables, headers and dotted keys */
	size_t n = 0;
	n += (size_t)snprintf(src, 8, "a = ");
	for (int i = 0; i < 100; i++)
		src[n++] = '[';
	for (int i = 0; i < 100; i++)
		src[n++] = ']';
	src[n++] = '\n';
	free(parse_bad(src, n, -ELOOP));
	n = 0;
	src[n++] = '[';
	for (int i = 0; i < 100; i++) {
		src[n++] = 'a';
		src[n++] = '.';
	}
	memcpy(src + n, "a]\n", 3);
	free(parse_bad(src, n + 3, -ELOOP));
	n = 0;
	for (int i = 0; i < 70; i++) {
		src[n++] = 'a';
		src[n++] = '.';
	}
	memcpy(src + n, "a = 1\n", 6);
	free(parse_bad(src, n + 6, -ELOOP));
	/* at the cap exactly: 63 levels below the root is fine */
	toml_doc *d = NULL;
	n = 0;
	src[n++] = '[';
	for (int i = 0; i < (int)CC_TOML_MAX_DEPTH - 1; i++) {
		src[n++] = 'a';
		src[n++] = '.';
	}
	memcpy(src + n, "a]\n", 3);
	assert_int_equal(toml_parse(src, n + 3, NULL, &d, NULL), 0);
	toml_doc_free(d);
	free(src);
}

static void test_hostile(void **state)
{
	(void)state;
	/* empty, whitespace, comments only */
	toml_doc *d = parse_ok("");
	assert_int_equal(toml_table_len(toml_doc_root(d)), 0);
	toml_doc_free(d);
	toml_doc_free(parse_ok("  \t\n# c\r\n\n"));
	/* a NUL byte outside a string */
	free(parse_bad("a = 1\0", 6, -EINVAL));
	free(parse_bad("a = \"x\0\"", 8, -EINVAL));
	/* truncated everywhere: every prefix of a rich document parses or
	 * fails cleanly */
	const char *doc = "[a.b]\nx = \"\"\"m\\\n  l\"\"\"\ny = [1, {z = 1979-05-27T07:32:00.5+01:00}]\n"
	                  "[[c]]\nw = 0x1f\nv = 'lit'\nu = -inf\n";
	for (size_t i = 0; i <= strlen(doc); i++) {
		toml_doc *x = NULL;
		cc_error *err = NULL;
		int r = toml_parse(doc, i, NULL, &x, &err);
		assert_true(r == 0 || r == -EINVAL);
		assert_true((r == 0) == (x != NULL));
		toml_doc_free(x);
		cc_error_free(err);
	}
	toml_doc_free(NULL);
	assert_null(toml_doc_root(NULL));
	assert_int_equal(toml_table_len(NULL), 0);
	assert_null(toml_array_at(NULL, 0));
	assert_null(toml_table_get(NULL, "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scalars),        cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_datetimes),      cmocka_unit_test(test_tables),
	    cmocka_unit_test(test_big_table),      cmocka_unit_test(test_redefinitions),
	    cmocka_unit_test(test_syntax_errors),  cmocka_unit_test(test_error_position),
	    cmocka_unit_test(test_caps),           cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
