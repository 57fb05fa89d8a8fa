/* Unit tests: Rego values (lib/rego/value.c, value_text.c, arena.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "rego/value.h"

static rarena *A;

static const rv *num(const char *t)
{
	const rv *v = rv_num_parse(A, t, strlen(t));
	assert_non_null(v);
	return v;
}

static const rv *str(const char *s) { return rv_cstr(A, s); }

static char *json(const rv *v)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rv_to_json(v, &b, false), 0);
	return cc_buf_steal(&b, NULL);
}

static char *rego(const rv *v)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rv_to_rego(v, &b), 0);
	return cc_buf_steal(&b, NULL);
}

static void expect_json(const rv *v, const char *want)
{
	char *s = json(v);
	assert_string_equal(s, want);
	free(s);
}

static void test_type_order(void **state)
{
	(void)state;
	const rv *items[] = {rv_empty_set(), rv_empty_obj(), rv_empty_arr(), str("a"), num("1"),
	                     rv_true(), rv_false(), rv_null()};
	/* OPA order: null < false < true < numbers < strings < arrays < objects < sets */
	assert_true(rv_cmp(rv_null(), rv_false()) < 0);
	assert_true(rv_cmp(rv_false(), rv_true()) < 0);
	assert_true(rv_cmp(rv_true(), num("-100")) < 0);
	assert_true(rv_cmp(num("1e9"), str("")) < 0);
	assert_true(rv_cmp(str("zzz"), rv_empty_arr()) < 0);
	assert_true(rv_cmp(rv_empty_arr(), rv_empty_obj()) < 0);
	assert_true(rv_cmp(rv_empty_obj(), rv_empty_set()) < 0);
	const rv *s = rv_set(A, items, 8);
	expect_json(s, "[null,false,true,1,\"a\",[],{},[]]");
}

static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(rv_cmp(num("1"), num("1.0")), 0);
	assert_true(rv_eq(num("1000"), num("1e3")));
	assert_true(rv_cmp(num("28857836529306024611913"), num("28857836529306024611912")) > 0);
	assert_true(rv_cmp(num("-28857836529306024611913"), num("-2")) < 0);
	assert_true(rv_cmp(num("18446744073709551614"), num("1.8e19")) > 0);
	assert_null(rv_num_parse(A, "01", 2));
	assert_null(rv_num_parse(A, "1.", 2));
	assert_null(rv_num_parse(A, "1e999999", 8));
	/* Literals keep their spelling; big integers stay exact. */
	expect_json(num("1.0"), "1.0");
	expect_json(num("18446744073709551614"), "18446744073709551614");
	expect_json(num("-0"), "-0");
	assert_true(rv_eq(num("-0"), num("0")));
	/* Arithmetic results print like OPA's big.Float text. */
	expect_json(rv_float(A, 1.0L / 3.0L), "0.33333333333333333334");
	expect_json(rv_float(A, 0.1L + 0.2L), "0.3");
	expect_json(rv_float(A, 1000000.5L), "1.0000005e+06");
	expect_json(rv_float(A, 0.00001L), "1e-05");
	expect_json(rv_float(A, 2.5L * 2.0L), "5");
	int64_t i;
	assert_true(rv_num_as_i64(num("42.0"), &i));
	assert_int_equal(i, 42);
	assert_false(rv_num_as_i64(num("4.2"), &i));
	assert_false(rv_num_as_i64(num("9223372036854775808"), &i));
}

static void test_strings_and_text(void **state)
{
	(void)state;
	const rv *s = rv_str(A, "a\"b\\c\n\x01\xff", 8);
	expect_json(s, "\"a\\\"b\\\\c\\n\\u0001\\ufffd\"");
	char *r = rego(s);
	assert_string_equal(r, "\"a\\\"b\\\\c\\n\\x01\\xff\"");
	free(r);
	/* Embedded NULs are part of the value. */
	const rv *z1 = rv_str(A, "a\0b", 3), *z2 = rv_str(A, "a\0c", 3);
	assert_true(rv_cmp(z1, z2) < 0);
	assert_int_equal(rv_len(z1), 3);
}

static void test_collections(void **state)
{
	(void)state;
	const rv *dup[] = {num("2"), num("1"), num("2.0"), num("1")};
	const rv *set = rv_set(A, dup, 4);
	assert_int_equal(rv_len(set), 2);
	assert_true(rv_set_has(set, num("2")));
	char *r = rego(set);
	assert_string_equal(r, "{1, 2}");
	free(r);
	r = rego(rv_empty_set());
	assert_string_equal(r, "set()");
	free(r);
	const rv *k[] = {str("b"), str("a"), num("1")};
	const rv *v[] = {num("2"), num("1"), str("x")};
	bool conflict = true;
	const rv *o = rv_obj(A, k, v, 3, &conflict);
	assert_false(conflict);
	/* Non-string keys become their JSON text, as OPA does. */
	expect_json(o, "{\"1\":\"x\",\"a\":1,\"b\":2}");
	assert_true(rv_eq(rv_obj_gets(o, "b", 1), num("2")));
	assert_null(rv_obj_gets(o, "c", 1));
	const rv *k2[] = {str("a"), str("a")};
	const rv *v2[] = {num("1"), num("2")};
	assert_null(rv_obj(A, k2, v2, 2, &conflict));
	assert_true(conflict);
	/* Pretty JSON is Go's MarshalIndent layout. */
	cc_buf b;
	cc_buf_init(&b, 0);
	const rv *arr_items[] = {num("1"), rv_empty_obj()};
	const rv *ok[] = {str("a")};
	const rv *ov[] = {rv_arr(A, arr_items, 2)};
	assert_int_equal(rv_to_json(rv_obj(A, ok, ov, 1, NULL), &b, true), 0);
	assert_string_equal(b.p, "{\n  \"a\": [\n    1,\n    {}\n  ]\n}");
	cc_buf_free(&b);
}

static void test_get_and_merge(void **state)
{
	(void)state;
	const rv *items[] = {str("x"), str("y")};
	const rv *arr = rv_arr(A, items, 2);
	assert_true(rv_eq(rv_get(arr, num("1")), str("y")));
	assert_null(rv_get(arr, num("2")));
	assert_null(rv_get(arr, num("-1")));
	assert_null(rv_get(arr, num("1.0"))); /* OPA: 1.0 is not an index */
	const rv *k1[] = {str("a")}, *k2[] = {str("b")};
	const rv *inner1 = rv_obj(A, k1, (const rv *[]){num("1")}, 1, NULL);
	const rv *inner2 = rv_obj(A, k2, (const rv *[]){num("2")}, 1, NULL);
	const rv *x = rv_obj(A, k1, (const rv *[]){inner1}, 1, NULL);
	const rv *y = rv_obj(A, k1, (const rv *[]){inner2}, 1, NULL);
	bool conflict = false;
	const rv *m = rv_merge(A, x, y, &conflict);
	assert_false(conflict);
	expect_json(m, "{\"a\":{\"a\":1,\"b\":2}}");
	const rv *z = rv_obj(A, k1, (const rv *[]){num("3")}, 1, NULL);
	assert_null(rv_merge(A, x, z, &conflict));
	assert_true(conflict);
	const rv *c = rv_copy(A, m);
	assert_true(rv_eq(c, m));
}

static void test_depth_limit(void **state)
{
	(void)state;
	rarena *a = rarena_new(0);
	const rv *v = rv_int(a, 1);
	size_t depth = 0;
	for (;;) {
		const rv *next = (depth % 3 == 0) ? rv_arr(a, &v, 1)
		                 : (depth % 3 == 1) ? rv_set(a, &v, 1)
		                                    : rv_obj(a, &v, &v, 1, NULL);
		if (next == NULL)
			break;
		v = next;
		depth++;
	}
	/* Comparison and printing recurse: nesting stops at the cap. (Objects
	 * use v as key and value, so shared nodes also hit the node cap.) */
	assert_true(depth > 20 && depth <= CC_REGO_MAX_VALUE_DEPTH);
	assert_true(v->nodes <= CC_REGO_MAX_VALUE_NODES);
	assert_int_equal(rarena_failure(a), RARENA_DEPTH);
	assert_int_equal(rv_cmp(v, v), 0);
	/* A plain chain reaches the depth cap exactly. */
	const rv *w = rv_int(a, 1);
	size_t d2 = 0;
	for (const rv *next; (next = rv_arr(a, &w, 1)) != NULL; d2++)
		w = next;
	assert_int_equal(d2, CC_REGO_MAX_VALUE_DEPTH);
	assert_non_null(rv_copy(a, w));
	rarena_free(a);
}

static void test_arena_limit(void **state)
{
	(void)state;
	rarena *small = rarena_new(100000);
	size_t ok = 0;
	while (rarena_alloc(small, 1000) != NULL)
		ok++;
	assert_true(ok > 0 && ok <= 100);
	char big[2000];
	memset(big, 'x', sizeof(big));
	assert_null(rv_str(small, big, sizeof(big)));
	rarena_reset(small);
	assert_non_null(rarena_alloc(small, 1000));
	assert_null(rarena_nalloc(small, SIZE_MAX / 2, 4));
	rarena_free(small);
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_type_order),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_strings_and_text),
	    cmocka_unit_test(test_collections),
	    cmocka_unit_test(test_get_and_merge),
	    cmocka_unit_test(test_arena_limit),
	    cmocka_unit_test(test_depth_limit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
