/* Unit tests for the collection builtin groups: aggregates, arrays, sets,
 * objects, types and bits (lib/rego/bi/<group>.c). */
#include "bi_test.h"

#define AGG(name, args, want) T_EQ(rbi_group_aggregates, name, args, want)
#define ARR(name, args, want) T_EQ(rbi_group_arrays, name, args, want)
#define SET(name, args, want) T_EQ(rbi_group_sets, name, args, want)
#define OBJ(name, args, want) T_EQ(rbi_group_objects, name, args, want)
#define TYP(name, args, want) T_EQ(rbi_group_types, name, args, want)
#define BIT(name, args, want) T_EQ(rbi_group_bits, name, args, want)

/* ---- aggregates ---- */

static void test_count(void **state)
{
	(void)state;
	AGG("count", "[[1, 2, 3]]", "3");
	AGG("count", "[s{}]", "0");
	AGG("count", "[{\"a\": 1, \"b\": 2}]", "2");
	AGG("count", "[\"\"]", "0");
	AGG("count", "[\"h\\xc3\\xa9llo\"]", "5");
	AGG("count", "[\"\\xf0\\x9f\\x98\\x80\"]", "1");
	AGG("count", "[\"\\xff\\xfe\"]", "2");
	AGG("count", "[\"\\xe2\\x82\"]", "2");      /* truncated sequence: each byte a rune */
	AGG("count", "[\"\\xed\\xa0\\x80\"]", "3"); /* surrogate: invalid */
	AGG("count", "[\"\\xc0\\x80\"]", "2");      /* overlong */
	AGG("count", "[\"a\\x00b\"]", "3");
	/* base64.decode("2E84ZuPUd7zfvCZSNEchVpDEIj6PL7JfLpIqyxVG16k="): 32 bytes, 30 runes
	 * (aggregates/test-aggregates-bad-utf8-runes.yaml). */
	AGG("count", "[\"\\xd8\\x4f\\x38\\x66\\xe3\\xd4\\x77\\xbc\\xdf\\xbc\\x26\\x52\\x34"
	             "\\x47\\x21\\x56\\x90\\xc4\\x22\\x3e\\x8f\\x2f\\xb2\\x5f\\x2e\\x92\\x2a"
	             "\\xcb\\x15\\x46\\xd7\\xa9\"]",
	    "30");
	AGG("count", "[null]",
	    "ERR eval_type_error: count: operand 1 must be one of {array, object, set, string} but "
	    "got null");
	AGG("count", "[1]",
	    "ERR eval_type_error: count: operand 1 must be one of {array, object, set, string} but "
	    "got number");
}

static void test_sum_product(void **state)
{
	(void)state;
	AGG("sum", "[[1, 2, 3]]", "6");
	AGG("sum", "[[]]", "0");
	AGG("sum", "[s{1, 2}]", "3");
	AGG("sum", "[[1.5, 2.5]]", "4");
	AGG("sum", "[[0.1, 0.2]]", "0.3");
	AGG("sum", "[[1.0, 2]]", "3");
	AGG("sum", "[[9223372036854775807, 1]]", "9223372036854775808");
	AGG("sum", "[[18446744073709551617, 1]]", "18446744073709551618");
	AGG("sum", "[[1, \"a\"]]",
	    "ERR eval_type_error: sum: operand 1 must be array of numbers but got array containing "
	    "string");
	AGG("sum", "[s{1.5, \"a\"}]",
	    "ERR eval_type_error: sum: operand 1 must be set of numbers but got set containing string");
	AGG("sum", "[\"a\"]", "ERR eval_type_error: sum: operand 1 must be one of {set, array} but got string");
	AGG("product", "[[2, 3, 4]]", "24");
	AGG("product", "[[]]", "1");
	AGG("product", "[[18446744073709551617, 2]]", "36893488147419103234");
	AGG("product", "[[4294967296, 4294967296, 4294967296]]", "79228162514264337593543950336");
	AGG("product", "[[1.5, 2]]", "3");
	AGG("product", "[[0.1, 3]]", "0.30000000000000004"); /* 53-bit accumulator */
	AGG("product", "[[-1.5, 0]]", "-0");
	AGG("product", "[[0.5, 1e30]]", "500000000000000000000000000000");
	AGG("product", "[[1, null]]",
	    "ERR eval_type_error: product: operand 1 must be array of numbers but got array "
	    "containing null");
	AGG("product", "[{}]",
	    "ERR eval_type_error: product: operand 1 must be one of {set, array} but got object");
}

static void test_max_min_sort(void **state)
{
	(void)state;
	AGG("max", "[[1, 3, 2]]", "3");
	AGG("max", "[[]]", "undefined");
	AGG("max", "[s{}]", "undefined");
	AGG("max", "[s{1, \"a\", null}]", "\"a\"");
	AGG("max", "[[1, 1.0]]", "1.0");
	AGG("min", "[[3, 1, 2]]", "1");
	AGG("min", "[[1.0, 1]]", "1");
	AGG("min", "[s{[1], 2}]", "2");
	AGG("min", "[\"x\"]", "ERR eval_type_error: min: operand 1 must be one of {set, array} but got string");
	AGG("sort", "[[3, 1, 2]]", "[1, 2, 3]");
	AGG("sort", "[[\"b\", 1, null, [], {}, s{}]]", "[null, 1, \"b\", [], {}, set()]");
	AGG("sort", "[s{3, 1}]", "[1, 3]");
	AGG("sort", "[[]]", "[]");
	AGG("sort", "[[2, 1.0, 1, 0]]", "[0, 1.0, 1, 2]");
	AGG("sort", "[\"a\"]", "ERR eval_type_error: sort: operand 1 must be one of {set, array} but got string");
}

/* ---- arrays ---- */

static void test_arrays(void **state)
{
	(void)state;
	ARR("array.concat", "[[1, 2], [3]]", "[1, 2, 3]");
	ARR("array.concat", "[[], [3]]", "[3]");
	ARR("array.concat", "[[1], []]", "[1]");
	ARR("array.concat", "[{}, []]",
	    "ERR eval_type_error: array.concat: operand 1 must be array but got object");
	ARR("array.concat", "[[], {}]",
	    "ERR eval_type_error: array.concat: operand 2 must be array but got object");
	ARR("array.slice", "[[1, 2, 3, 4], 1, 3]", "[2, 3]");
	ARR("array.slice", "[[1, 2, 3, 4], -1, 10]", "[1, 2, 3, 4]");
	ARR("array.slice", "[[1, 2, 3, 4], 3, 1]", "[]");
	ARR("array.slice", "[[1, 2, 3, 4], 4, 10]", "[]");
	ARR("array.slice", "[[1, 2], 0, -5]", "[]");
	ARR("array.slice", "[[1, 2], 1.5, 2]",
	    "ERR eval_type_error: array.slice: operand 2 must be integer number but got "
	    "floating-point number");
	ARR("array.slice", "[[1, 2], 0, \"a\"]",
	    "ERR eval_type_error: array.slice: operand 3 must be number but got string");
	ARR("array.reverse", "[[1, 2, 3]]", "[3, 2, 1]");
	ARR("array.reverse", "[[]]", "[]");
	ARR("array.reverse", "[{}]", "ERR eval_type_error: array.reverse: operand 1 must be array but got object");
	ARR("array.flatten", "[[]]", "[]");
	ARR("array.flatten", "[[[1, 2], [3, 4], [5]]]", "[1, 2, 3, 4, 5]");
	ARR("array.flatten", "[[1, 2, [3]]]", "[1, 2, 3]");
	ARR("array.flatten", "[[[[1], [2, 3, []]], [[4, 5]]]]", "[[1], [2, 3, []], [4, 5]]");
	ARR("array.flatten", "[[[1, 2], \"string\", [3, {\"a\": \"b\"}], 4.5, [6, [7, 8]], []]]",
	    "[1, 2, \"string\", 3, {\"a\": \"b\"}, 4.5, 6, [7, 8]]");
	ARR("array.flatten", "[42]", "ERR eval_type_error: array.flatten: operand 1 must be array but got number");
}

/* ---- sets ---- */

static void test_sets(void **state)
{
	(void)state;
	SET("intersection", "[s{s{1, 2, 3}, s{2, 3}, s{3, 2, 4}}]", "{2, 3}");
	SET("intersection", "[s{}]", "set()");
	SET("intersection", "[s{s{1}}]", "{1}");
	SET("intersection", "[s{s{1}, s{2}, s{1, 2}}]", "set()");
	SET("intersection", "[s{1, s{1}}]",
	    "ERR eval_type_error: intersection: operand 1 must be set but got number");
	SET("intersection", "[[s{1}]]",
	    "ERR eval_type_error: intersection: operand 1 must be set but got array");
	SET("union", "[s{s{1, 2}, s{2, 3}, s{5}}]", "{1, 2, 3, 5}");
	SET("union", "[s{}]", "set()");
	SET("union", "[s{s{1}}]", "{1}");
	SET("union", "[s{s{1}, s{\"a\"}}]", "{1, \"a\"}");
	SET("union", "[s{\"x\", s{1}}]", "ERR eval_type_error: union: operand 1 must be set but got string");
}

/* ---- objects ---- */

static void test_object_get_keys(void **state)
{
	(void)state;
	OBJ("object.get", "[{\"a\": {\"b\": 1}}, [\"a\", \"b\"], 0]", "1");
	OBJ("object.get", "[{\"a\": [1, 2]}, [\"a\", 1], 0]", "2");
	OBJ("object.get", "[{\"a\": [1, 2]}, [\"a\", 1.0], 0]", "0");
	OBJ("object.get", "[{\"a\": s{\"x\"}}, [\"a\", \"x\"], 0]", "\"x\"");
	OBJ("object.get", "[{\"a\": \"s\"}, [\"a\", \"b\"], 0]", "0");
	OBJ("object.get", "[{\"a\": 1}, [], 0]", "{\"a\": 1}");
	OBJ("object.get", "[{\"a\": 1}, \"a\", 9]", "1");
	OBJ("object.get", "[{\"a\": 1}, \"b\", 9]", "9");
	OBJ("object.get", "[{[\"a\"]: 1}, [\"a\"], 9]", "9");
	OBJ("object.get", "[{1: 2}, 1.0, 9]", "2");
	OBJ("object.get", "[\"x\", \"a\", 1]", "ERR eval_type_error: object.get: operand 1 must be object but got string");
	OBJ("object.keys", "[{\"b\": 1, \"a\": 2}]", "{\"a\", \"b\"}");
	OBJ("object.keys", "[{}]", "set()");
	OBJ("object.keys", "[\"x\"]", "ERR eval_type_error: object.keys: operand 1 must be object but got string");
}

static void test_object_remove_filter(void **state)
{
	(void)state;
	OBJ("object.remove", "[{\"a\": 1, \"b\": 2, \"c\": 3}, [\"a\", \"c\", \"z\"]]", "{\"b\": 2}");
	OBJ("object.remove", "[{\"a\": 1, \"b\": 2}, s{\"b\"}]", "{\"a\": 1}");
	OBJ("object.remove", "[{\"a\": 1, \"b\": 2}, {\"b\": 0}]", "{\"a\": 1}");
	OBJ("object.remove", "[{\"a\": 1}, []]", "{\"a\": 1}");
	OBJ("object.remove", "[{1: 1, 2: 2}, [1]]", "{2: 2}");
	OBJ("object.remove", "[[], []]", "ERR eval_type_error: object.remove: operand 1 must be object but got array");
	OBJ("object.remove", "[{}, 1]",
	    "ERR eval_type_error: object.remove: operand 2 must be one of {object, set, array} but got "
	    "number");
	OBJ("object.filter", "[{\"a\": 1, \"b\": 2, \"c\": 3}, [\"a\", \"c\", \"z\"]]",
	    "{\"a\": 1, \"c\": 3}");
	OBJ("object.filter", "[{\"a\": 1, \"b\": 2}, s{}]", "{}");
	OBJ("object.filter", "[{\"a\": 1, \"b\": 2}, {\"a\": 5}]", "{\"a\": 1}");
	OBJ("object.filter", "[true, []]", "ERR eval_type_error: object.filter: operand 1 must be object but got boolean");
	OBJ("object.filter", "[{}, null]",
	    "ERR eval_type_error: object.filter: operand 2 must be one of {object, set, array} but got "
	    "null");
}

static void test_object_union(void **state)
{
	(void)state;
	OBJ("object.union", "[{\"a\": 1}, {\"b\": 2}]", "{\"a\": 1, \"b\": 2}");
	OBJ("object.union", "[{\"a\": {\"b\": 1, \"c\": 2}}, {\"a\": {\"b\": 3}}]",
	    "{\"a\": {\"b\": 3, \"c\": 2}}");
	OBJ("object.union", "[{\"a\": {\"b\": 1}}, {\"a\": 7}]", "{\"a\": 7}");
	OBJ("object.union", "[{\"a\": 7}, {\"a\": {\"b\": 1}}]", "{\"a\": {\"b\": 1}}");
	OBJ("object.union", "[{}, {\"a\": 1}]", "{\"a\": 1}");
	OBJ("object.union", "[[], {}]", "ERR eval_type_error: object.union: operand 1 must be object but got array");
	OBJ("object.union", "[{}, []]", "ERR eval_type_error: object.union: operand 2 must be object but got array");
	OBJ("object.union_n", "[[]]", "{}");
	OBJ("object.union_n", "[[{\"a\": 1}, {\"b\": 2}, {\"a\": 3}]]", "{\"a\": 3, \"b\": 2}");
	OBJ("object.union_n", "[[{\"a\": {\"b\": 2}}, {\"a\": 4}, {\"a\": {\"c\": 3}}]]",
	    "{\"a\": {\"c\": 3}}");
	OBJ("object.union_n",
	    "[[{\"a\": {\"x\": 1}}, {\"a\": 3}, {\"a\": {\"c\": 2}}, {\"a\": {\"d\": 4}}]]",
	    "{\"a\": {\"c\": 2, \"d\": 4}}");
	OBJ("object.union_n", "[[{\"a\": {\"x\": {\"p\": 1}}}, {\"a\": {\"x\": 2}}, {\"a\": {\"y\": 3}}]]",
	    "{\"a\": {\"x\": 2, \"y\": 3}}");
	OBJ("object.union_n", "[[{}, 1, {}, \"s\"]]",
	    "ERR eval_type_error: object.union_n: operand 1 must be array of objects but got array "
	    "containing string");
	OBJ("object.union_n", "[{}]", "ERR eval_type_error: object.union_n: operand 1 must be array but got object");
}

static void test_object_subset(void **state)
{
	(void)state;
	OBJ("object.subset", "[{\"a\": 1, \"b\": {\"c\": [1, 2, 3], \"d\": s{1, 2}}}, "
	                     "{\"b\": {\"c\": [2, 3], \"d\": s{2}}}]",
	    "true");
	OBJ("object.subset", "[{\"a\": 1}, {\"a\": 2}]", "false");
	OBJ("object.subset", "[{\"a\": 1}, {\"b\": 1}]", "false");
	OBJ("object.subset", "[{\"a\": [1, 2]}, {\"a\": s{1}}]", "false");
	OBJ("object.subset", "[{\"a\": 1}, {}]", "true");
	OBJ("object.subset", "[s{1, 2, 3}, s{1, 3}]", "true");
	OBJ("object.subset", "[s{1, 2}, s{4}]", "false");
	OBJ("object.subset", "[[1, 2, 3, 4], [2, 3]]", "true");
	OBJ("object.subset", "[[1, 2, 3, 4], [2, 4]]", "false");
	OBJ("object.subset", "[[1, 2, 1, 2, 3], [1, 2, 3]]", "true");
	OBJ("object.subset", "[[], []]", "true");
	OBJ("object.subset", "[[1], []]", "true");
	OBJ("object.subset", "[[1, 2, 3], s{3, 1}]", "true");
	OBJ("object.subset", "[[1, 1], s{1, 2}]", "true"); /* OPA counts the duplicate */
	OBJ("object.subset", "[[1], s{1, 2}]", "false");
	OBJ("object.subset", "[[], s{}]", "false");
	OBJ("object.subset", "[[5], s{}]", "true");
	OBJ("object.subset", "[s{1}, [1]]",
	    "ERR eval_type_error: object.subset: both arguments object.subset must be of the same type "
	    "or array and set");
	OBJ("object.subset", "[1, 1]",
	    "ERR eval_type_error: object.subset: both arguments object.subset must be of the same type "
	    "or array and set");
}

/* ---- types ---- */

static void test_types(void **state)
{
	(void)state;
	TYP("is_number", "[1.5]", "true");
	TYP("is_number", "[\"1\"]", "false");
	TYP("is_string", "[\"\"]", "true");
	TYP("is_boolean", "[false]", "true");
	TYP("is_boolean", "[null]", "false");
	TYP("is_array", "[[]]", "true");
	TYP("is_array", "[s{}]", "false");
	TYP("is_set", "[s{}]", "true");
	TYP("is_object", "[{}]", "true");
	TYP("is_null", "[null]", "true");
	TYP("is_null", "[0]", "false");
	TYP("type_name", "[null]", "\"null\"");
	TYP("type_name", "[true]", "\"boolean\"");
	TYP("type_name", "[1]", "\"number\"");
	TYP("type_name", "[\"\"]", "\"string\"");
	TYP("type_name", "[[]]", "\"array\"");
	TYP("type_name", "[{}]", "\"object\"");
	TYP("type_name", "[s{}]", "\"set\"");
}

/* ---- bits ---- */

static void test_bits_logic(void **state)
{
	(void)state;
	BIT("bits.and", "[7, 9]", "1");
	BIT("bits.and", "[50, 0]", "0");
	BIT("bits.and", "[-1, 255]", "255");
	BIT("bits.and", "[18446744073709551615, 4294967296]", "4294967296");
	BIT("bits.and", "[-1, 18446744073709551615]", "18446744073709551615");
	BIT("bits.and", "[4.0, 6]", "4");
	BIT("bits.or", "[7, 9]", "15");
	BIT("bits.or", "[9223372036854775808, 1]", "9223372036854775809");
	BIT("bits.or", "[-8, 3]", "-5");
	BIT("bits.xor", "[42, 3]", "41");
	BIT("bits.xor", "[42, 42]", "0");
	BIT("bits.xor", "[-1, 18446744073709551615]", "-18446744073709551616");
	BIT("bits.negate", "[42]", "-43");
	BIT("bits.negate", "[-1]", "0");
	BIT("bits.negate", "[18446744073709551615]", "-18446744073709551616");
	/* Beyond 128 bits: BIGNUM two's complement. */
	BIT("bits.and",
	    "[-340282366920938463463374607431768211457, 340282366920938463463374607431768211455]",
	    "340282366920938463463374607431768211455");
	BIT("bits.or", "[-340282366920938463463374607431768211456, 1]",
	    "-340282366920938463463374607431768211455");
	BIT("bits.xor", "[340282366920938463463374607431768211456, -1]",
	    "-340282366920938463463374607431768211457");
	BIT("bits.negate", "[340282366920938463463374607431768211456]",
	    "-340282366920938463463374607431768211457");
	BIT("bits.and", "[7.2, 42]",
	    "ERR eval_type_error: bits.and: operand 1 must be integer number but got floating-point "
	    "number");
	BIT("bits.or", "[1, \"a\"]", "ERR eval_type_error: bits.or: operand 2 must be integer but got string");
	BIT("bits.negate", "[7.2]",
	    "ERR eval_type_error: bits.negate: operand 1 must be integer number but got "
	    "floating-point number");
}

static void test_bits_shift(void **state)
{
	(void)state;
	BIT("bits.lsh", "[1, 3]", "8");
	BIT("bits.lsh", "[2147483647, 1]", "4294967294");
	BIT("bits.lsh", "[9223372036854775807, 1]", "18446744073709551614");
	BIT("bits.lsh", "[1, 200]", "1606938044258990275541962092341162602522202993782792835301376");
	BIT("bits.lsh", "[-3, 130]", "-4083388403051261561560495289181218537472");
	BIT("bits.lsh", "[0, 100000000000]", "0");
	BIT("bits.lsh", "[5, 18446744073709551616]", "5"); /* Go shifts by the low 64 bits */
	BIT("bits.lsh", "[1, 1000000]",
	    "ERR eval_builtin_error: bits.lsh: integer result too large (more than 262144 bits)");
	BIT("bits.lsh", "[7, -1]",
	    "ERR eval_type_error: bits.lsh: operand 2 must be an unsigned integer number but got a "
	    "negative integer");
	BIT("bits.lsh", "[7.2, 42]",
	    "ERR eval_type_error: bits.lsh: operand 1 must be integer number but got floating-point "
	    "number");
	BIT("bits.rsh", "[8, 3]", "1");
	BIT("bits.rsh", "[-17, 2]", "-5");
	BIT("bits.rsh", "[-1, 5]", "-1");
	BIT("bits.rsh", "[5, 200]", "0");
	BIT("bits.rsh", "[-5, 200]", "-1");
	BIT("bits.rsh", "[1606938044258990275541962092341162602522202993782792835301376, 190]", "1024");
	BIT("bits.rsh", "[-1606938044258990275541962092341162602522202993782792835301376, 199]", "-2");
	BIT("bits.rsh", "[-1606938044258990275541962092341162602522202993782792835301377, 199]", "-3");
	BIT("bits.rsh", "[-1606938044258990275541962092341162602522202993782792835301377, 1000]", "-1");
	BIT("bits.rsh", "[7, -1]",
	    "ERR eval_type_error: bits.rsh: operand 2 must be an unsigned integer number but got a "
	    "negative integer");
	BIT("bits.rsh", "[7, -18446744073709551616]",
	    "ERR eval_type_error: bits.rsh: operand 2 must be an unsigned integer number but got a "
	    "negative integer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count),          cmocka_unit_test(test_sum_product),
	    cmocka_unit_test(test_max_min_sort),   cmocka_unit_test(test_arrays),
	    cmocka_unit_test(test_sets),           cmocka_unit_test(test_object_get_keys),
	    cmocka_unit_test(test_object_remove_filter), cmocka_unit_test(test_object_union),
	    cmocka_unit_test(test_object_subset),  cmocka_unit_test(test_types),
	    cmocka_unit_test(test_bits_logic),     cmocka_unit_test(test_bits_shift),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
