/* Unit tests for the core builtins (lib/rego/bi/core.c): operators,
 * membership, to_number, template strings. Expected values follow OPA
 * v1/topdown (arithmetic.go, comparison.go, binary.go, casts.go). */
#include "bi_test.h"
#include "rego/bi/num.h"

#define EQ(name, args, want) T_EQ(rbi_group_core, name, args, want)

static void test_plus(void **state)
{
	(void)state;
	EQ("plus", "[1, 2]", "3");
	EQ("plus", "[-1, 1]", "0");
	EQ("plus", "[1.5, 2.25]", "3.75");
	EQ("plus", "[1.0, 2]", "3");
	EQ("plus", "[0.1, 0.2]", "0.3");
	EQ("plus", "[1.1, 2.2]", "3.3000000000000000002");
	EQ("plus", "[49649733057, 1]", "49649733058");
	EQ("plus", "[9223372036854775807, 1]", "9223372036854775808");
	EQ("plus", "[18446744073709551617, 1]", "18446744073709551618");
	EQ("plus", "[-9223372036854775808, -1]", "-9223372036854775809");
	EQ("plus", "[1e3, 1]", "1001");
	EQ("plus", "[1000000.5, 0]", "1.0000005e+06");
	EQ("plus", "[123456.7, 0]", "123456.7");
	EQ("plus", "[0.00001, 0]", "1e-05");
	EQ("plus", "[\"a\", 1]", "ERR eval_type_error: plus: operand 1 must be number but got string");
	EQ("plus", "[1, null]", "ERR eval_type_error: plus: operand 2 must be number but got null");
}

static void test_minus(void **state)
{
	(void)state;
	EQ("minus", "[1, 2]", "-1");
	EQ("minus", "[-9223372036854775808, 1]", "-9223372036854775809");
	EQ("minus", "[2.5, 0.5]", "2");
	EQ("minus", "[s{1, 2, 3}, s{2, 4}]", "{1, 3}");
	EQ("minus", "[s{1}, s{1}]", "set()");
	EQ("minus", "[s{1, 2}, s{}]", "{1, 2}");
	EQ("minus", "[s{1}, 1]", "ERR eval_type_error: minus: operand 2 must be set but got number");
	EQ("minus", "[1, s{1}]", "ERR eval_type_error: minus: operand 2 must be number but got set");
	EQ("minus", "[\"a\", 1]",
	   "ERR eval_type_error: minus: operand 1 must be one of {number, set} but got string");
	EQ("minus", "[s{1}, \"a\"]",
	   "ERR eval_type_error: minus: operand 2 must be number but got string");
}

static void test_mul(void **state)
{
	(void)state;
	EQ("mul", "[3, 4]", "12");
	EQ("mul", "[4294967296, 4294967296]", "18446744073709551616");
	EQ("mul", "[18446744073709551617, 2]", "36893488147419103234");
	EQ("mul", "[2.5, 2]", "5");
	EQ("mul", "[3.14, 2]", "6.28");
	EQ("mul", "[-0.5, 0]", "-0");
	EQ("mul", "[0, -1]", "0");
	EQ("mul", "[0.5, 3e30]", "1500000000000000000000000000000");
}

static void test_div(void **state)
{
	(void)state;
	EQ("div", "[6, 3]", "2");
	EQ("div", "[10, 4]", "2.5");
	EQ("div", "[7, 2]", "3.5");
	EQ("div", "[1, 3]", "0.33333333333333333334");
	EQ("div", "[2, 3]", "0.6666666666666666667");
	EQ("div", "[10, 3]", "3.3333333333333333333");
	EQ("div", "[1, 7]", "0.14285714285714285714");
	EQ("div", "[1, 4]", "0.25");
	EQ("div", "[1, 1024]", "0.0009765625");
	EQ("div", "[2000001, 2]", "1.0000005e+06");
	EQ("div", "[0, 5]", "0");
	EQ("div", "[0, -1]", "-0");
	EQ("div", "[0.0, -7]", "-0");
	EQ("div", "[-9223372036854775808, -1]", "9223372036854775808");
	EQ("div", "[36893488147419103234, 2]", "18446744073709551616"); /* dividend rounds to 2^65 */
	EQ("div", "[1, 0]", "ERR eval_builtin_error: div: divide by zero");
	EQ("div", "[1, 0.0]", "ERR eval_builtin_error: div: divide by zero");
	EQ("div", "[1, \"x\"]", "ERR eval_type_error: div: operand 2 must be number but got string");
}

static void test_rem(void **state)
{
	(void)state;
	EQ("rem", "[7, 4]", "3");
	EQ("rem", "[-7, 4]", "-3");
	EQ("rem", "[7, -4]", "3");
	EQ("rem", "[4.0, 3]", "1");
	EQ("rem", "[-9223372036854775808, -1]", "0");
	EQ("rem", "[18446744073709551617, 10]", "7");
	EQ("rem", "[10, 18446744073709551616]", "10");
	EQ("rem", "[-18446744073709551617, 10]", "-7");
	EQ("rem", "[7, 0]", "ERR eval_builtin_error: rem: modulo by zero");
	EQ("rem", "[5, 0.0]", "ERR eval_builtin_error: rem: modulo by zero");
	EQ("rem", "[1.1, 1]", "ERR eval_builtin_error: rem: modulo on floating-point number");
	EQ("rem", "[1.5, 0]", "ERR eval_builtin_error: rem: modulo on floating-point number");
	EQ("rem", "[true, 1]", "ERR eval_type_error: rem: operand 1 must be number but got boolean");
}

static void test_compare(void **state)
{
	(void)state;
	EQ("equal", "[1, 1.0]", "true");
	EQ("equal", "[[1, {\"a\": s{2}}], [1, {\"a\": s{2.0}}]]", "true");
	EQ("equal", "[1, \"1\"]", "false");
	EQ("neq", "[1, 2]", "true");
	EQ("neq", "[28857836529306024611913, 28857836529306024611912]", "true");
	EQ("lt", "[null, false]", "true");
	EQ("lt", "[\"a\", \"b\"]", "true");
	EQ("lt", "[2, 10]", "true");
	EQ("lte", "[2, 2.0]", "true");
	EQ("gt", "[s{}, {}]", "true");
	EQ("gt", "[[1, 2], [1]]", "true");
	EQ("gte", "[1, 2]", "false");
}

static void test_set_ops(void **state)
{
	(void)state;
	EQ("and", "[s{1, 2, 3}, s{2, 3, 4}]", "{2, 3}");
	EQ("and", "[s{1}, s{2}]", "set()");
	EQ("or", "[s{1, 3}, s{2, 3}]", "{1, 2, 3}");
	EQ("or", "[s{}, s{2}]", "{2}");
	EQ("and", "[s{1}, [1]]", "ERR eval_type_error: and: operand 2 must be set but got array");
	EQ("or", "[1, s{1}]", "ERR eval_type_error: or: operand 1 must be set but got number");
}

static void test_member(void **state)
{
	(void)state;
	EQ("internal.member_2", "[1, [2, 1]]", "true");
	EQ("internal.member_2", "[1.0, s{1}]", "true");
	EQ("internal.member_2", "[1, {\"a\": 1}]", "true");
	EQ("internal.member_2", "[\"a\", {\"a\": 1}]", "false");
	EQ("internal.member_2", "[1, \"1\"]", "false");
	EQ("internal.member_3", "[0, \"a\", [\"a\"]]", "true");
	EQ("internal.member_3", "[1, \"a\", [\"a\"]]", "false");
	EQ("internal.member_3", "[1.0, \"b\", [\"a\", \"b\"]]", "false");
	EQ("internal.member_3", "[\"a\", 1, {\"a\": 1}]", "true");
	EQ("internal.member_3", "[\"a\", 2, {\"a\": 1}]", "false");
	EQ("internal.member_3", "[1, 1, s{1}]", "true");
	EQ("internal.member_3", "[1, 2, s{1}]", "false");
	EQ("internal.member_3", "[0, \"a\", \"abc\"]", "false");
}

static void test_to_number(void **state)
{
	(void)state;
	EQ("to_number", "[null]", "0");
	EQ("to_number", "[true]", "1");
	EQ("to_number", "[false]", "0");
	EQ("to_number", "[100.1]", "100.1");
	EQ("to_number", "[\"3\"]", "3");
	EQ("to_number", "[\"-0\"]", "-0");
	EQ("to_number", "[\"-42.0\"]", "-42.0");
	EQ("to_number", "[\"18446744073709551617\"]", "18446744073709551617");
	EQ("to_number", "[\"1e-400\"]", "1e-400");
	EQ("to_number", "[\"+5\"]", "5");
	EQ("to_number", "[\"00012\"]", "12");
	EQ("to_number", "[\".5\"]", "0.5");
	EQ("to_number", "[\"-.5e1\"]", "-0.5e1");
	EQ("to_number", "[\"5.\"]", "5.0");
	EQ("to_number", "[\"1_000\"]", "1000");
	EQ("to_number", "[\"0x1p4\"]", "16");
	EQ("to_number", "[\"0x1.8p1\"]", "3");
	EQ("to_number", "[\"broken\"]",
	   "ERR eval_builtin_error: to_number: strconv.ParseFloat: parsing \"broken\": invalid syntax");
	EQ("to_number", "[\" 1\"]",
	   "ERR eval_builtin_error: to_number: strconv.ParseFloat: parsing \" 1\": invalid syntax");
	EQ("to_number", "[\"0x10\"]",
	   "ERR eval_builtin_error: to_number: strconv.ParseFloat: parsing \"0x10\": invalid syntax");
	EQ("to_number", "[\"1__0\"]",
	   "ERR eval_builtin_error: to_number: strconv.ParseFloat: parsing \"1__0\": invalid syntax");
	EQ("to_number", "[\"_1\"]",
	   "ERR eval_builtin_error: to_number: strconv.ParseFloat: parsing \"_1\": invalid syntax");
	EQ("to_number", "[\"\\x01\"]",
	   "ERR eval_builtin_error: to_number: strconv.ParseFloat: parsing \"\\x01\": invalid syntax");
	EQ("to_number", "[\"1e400\"]",
	   "ERR eval_builtin_error: to_number: strconv.ParseFloat: parsing \"1e400\": value out of range");
	EQ("to_number", "[\"inf\"]",
	   "ERR eval_type_error: to_number: operand 1 must be valid number string but got string");
	EQ("to_number", "[\"-Infinity\"]",
	   "ERR eval_type_error: to_number: operand 1 must be valid number string but got string");
	EQ("to_number", "[\"+-NaN\"]",
	   "ERR eval_type_error: to_number: operand 1 must be valid number string but got string");
	EQ("to_number", "[\"\\xc4\\xb0nf\"]",
	   "ERR eval_type_error: to_number: operand 1 must be valid number string but got string");
	EQ("to_number", "[[1]]",
	   "ERR eval_type_error: to_number: operand 1 must be one of {null, boolean, number, string} "
	   "but got array");
}

static void test_template_string(void **state)
{
	(void)state;
	EQ("internal.template_string", "[[]]", "\"\"");
	EQ("internal.template_string", "[[\"a \", 42, \" \", 13.37, \" \", true, \" \", null]]",
	   "\"a 42 13.37 true null\"");
	EQ("internal.template_string",
	   "[[s{\"x\"}, \",\", s{[1, \"b\"]}, \",\", s{s{}}, \",\", s{{\"a\": \"b\"}}, \",\", s{}]]",
	   "\"x,[1, \\\"b\\\"],set(),{\\\"a\\\": \\\"b\\\"},<undefined>\"");
	EQ("internal.template_string", "[[s{1, 2}]]",
	   "ERR eval_conflict_error: template-strings must not produce multiple outputs");
	EQ("internal.template_string", "[[\"a\", [1]]]",
	   "ERR eval_internal_error: illegal argument type: array");
	EQ("internal.template_string", "[\"a\"]",
	   "ERR eval_type_error: internal.template_string: operand 1 must be array but got string");
}

/* The number helpers shared through num.h. */
static void test_num_helpers(void **state)
{
	(void)state;
	assert_string_equal(t_text(rnum_from_ld(t_arena, 0x1p70L)), "1180591620717411303400");
	assert_string_equal(t_text(rnum_from_ld(t_arena, -0x1p63L)), "-9223372036854775808");
	assert_string_equal(t_text(rnum_from_ld(t_arena, 0x1p63L)), "9223372036854775808");
	assert_string_equal(t_text(rnum_from_ld_int(t_arena, 0x1p70L)), "1180591620717411303424");
	assert_string_equal(t_text(rnum_from_ld(t_arena, -0.0L)), "-0");
	__int128 v;
	assert_true(rnum_to_i128(t_lit("170141183460469231731687303715884105727"), &v));
	assert_string_equal(t_text(rnum_from_i128(t_arena, v)),
	                    "170141183460469231731687303715884105727");
	assert_false(rnum_to_i128(t_lit("170141183460469231731687303715884105728"), &v));
	assert_true(rnum_to_i128(t_lit("-170141183460469231731687303715884105728"), &v));
	assert_false(rnum_to_i128(t_lit("1.5"), &v));
	BIGNUM *bn = BN_new();
	assert_int_equal(rnum_to_bn(t_lit("1.5"), bn), 1);
	assert_int_equal(rnum_to_bn(t_lit("1e30"), bn), 0);
	assert_string_equal(t_text(rnum_from_bn(t_arena, bn)), "1000000000000000000024696061952");
	BN_free(bn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plus),          cmocka_unit_test(test_minus),
	    cmocka_unit_test(test_mul),           cmocka_unit_test(test_div),
	    cmocka_unit_test(test_rem),           cmocka_unit_test(test_compare),
	    cmocka_unit_test(test_set_ops),       cmocka_unit_test(test_member),
	    cmocka_unit_test(test_to_number),     cmocka_unit_test(test_template_string),
	    cmocka_unit_test(test_num_helpers),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
