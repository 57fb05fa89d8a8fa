/* Unit tests for the number builtins (lib/rego/bi/numbers.c): abs, round,
 * ceil, floor, numbers.range(_step), rand.intn. */
#include "bi_test.h"

#define EQ(name, args, want) T_EQ(rbi_group_numbers, name, args, want)

static void test_abs(void **state)
{
	(void)state;
	EQ("abs", "[-10]", "10");
	EQ("abs", "[0]", "0");
	EQ("abs", "[-2.5]", "2.5");
	EQ("abs", "[-2147483648]", "2147483648");
	EQ("abs", "[-9223372036854775808]", "9223372036854775808");
	EQ("abs", "[-18446744073709551617]", "18446744073709551616"); /* float path rounds */
	EQ("abs", "[\"a\"]", "ERR eval_type_error: abs: operand 1 must be number but got string");
}

static void test_round(void **state)
{
	(void)state;
	EQ("round", "[2.5]", "3");
	EQ("round", "[-2.5]", "-3");
	EQ("round", "[2.4]", "2");
	EQ("round", "[-0.4]", "0");
	EQ("round", "[7]", "7");
	EQ("round", "[1.0]", "1");
	EQ("round", "[1e30]", "1000000000000000000024696061952");
	EQ("round", "[null]", "ERR eval_type_error: round: operand 1 must be number but got null");
}

static void test_ceil_floor(void **state)
{
	(void)state;
	EQ("ceil", "[1.01]", "2");
	EQ("ceil", "[1.5]", "2");
	EQ("ceil", "[2222.2222222222]", "2223");
	EQ("ceil", "[1]", "1");
	EQ("ceil", "[-1.99999]", "-1");
	EQ("ceil", "[-0.5]", "1"); /* OPA's arithCeil: trunc gives +0, then + 1 */
	EQ("floor", "[1.01]", "1");
	EQ("floor", "[1.5]", "1");
	EQ("floor", "[99.99999]", "99");
	EQ("floor", "[1]", "1");
	EQ("floor", "[-1.001]", "-2");
	EQ("floor", "[-0.5]", "0"); /* OPA's arithFloor: trunc gives +0 */
	EQ("floor", "[-2.0]", "-2");
	EQ("floor", "[[1]]", "ERR eval_type_error: floor: operand 1 must be number but got array");
}

static void test_range(void **state)
{
	(void)state;
	EQ("numbers.range", "[0, 0]", "[0]");
	EQ("numbers.range", "[-2, 3]", "[-2, -1, 0, 1, 2, 3]");
	EQ("numbers.range", "[2, -3]", "[2, 1, 0, -1, -2, -3]");
	EQ("numbers.range", "[49649733057, 49649733060]",
	   "[49649733057, 49649733058, 49649733059, 49649733060]");
	EQ("numbers.range", "[1.0, 3]", "[1, 2, 3]");
	EQ("numbers.range", "[9223372036854775806, 9223372036854775807]",
	   "[9223372036854775806, 9223372036854775807]");
	EQ("numbers.range", "[-9223372036854775808, -9223372036854775807]",
	   "[-9223372036854775808, -9223372036854775807]");
	EQ("numbers.range", "[18446744073709551616, 18446744073709551618]",
	   "[18446744073709551616, 18446744073709551617, 18446744073709551618]");
	EQ("numbers.range", "[9223372036854775807, 9223372036854775809]",
	   "[9223372036854775807, 9223372036854775808, 9223372036854775809]");
	EQ("numbers.range", "[3.14, 4]",
	   "ERR eval_type_error: numbers.range: operand 1 must be integer number but got "
	   "floating-point number");
	EQ("numbers.range", "[3, 3.14]",
	   "ERR eval_type_error: numbers.range: operand 2 must be integer number but got "
	   "floating-point number");
	EQ("numbers.range", "[\"a\", 1]",
	   "ERR eval_type_error: numbers.range: operand 1 must be integer but got string");
	EQ("numbers.range", "[0, 100000000]",
	   "ERR eval_builtin_error: numbers.range: result has more than 16777216 elements");
	EQ("numbers.range", "[-9223372036854775808, 9223372036854775807]",
	   "ERR eval_builtin_error: numbers.range: result has more than 16777216 elements");
	EQ("numbers.range", "[0, 100000000000000000000000]",
	   "ERR eval_builtin_error: numbers.range: result has more than 16777216 elements");
}

static void test_range_step(void **state)
{
	(void)state;
	EQ("numbers.range_step", "[0, 10, 2]", "[0, 2, 4, 6, 8, 10]");
	EQ("numbers.range_step", "[0, -10, 2]", "[0, -2, -4, -6, -8, -10]");
	EQ("numbers.range_step", "[10, 3, 2]", "[10, 8, 6, 4]");
	EQ("numbers.range_step", "[1024, 4096, 1024]", "[1024, 2048, 3072, 4096]");
	EQ("numbers.range_step", "[2, 2, 2]", "[2]");
	EQ("numbers.range_step", "[2, 5, 2]", "[2, 4]");
	EQ("numbers.range_step", "[0, 10, 99999999999999999999]", "[0]");
	EQ("numbers.range_step", "[-9223372036854775808, 9223372036854775807, 9223372036854775807]",
	   "[-9223372036854775808, -1, 9223372036854775806]");
	EQ("numbers.range_step", "[0, 10, -2]",
	   "ERR eval_builtin_error: numbers.range_step: numbers.range_step: step must be a positive "
	   "integer");
	EQ("numbers.range_step", "[0, 10, 0]",
	   "ERR eval_builtin_error: numbers.range_step: numbers.range_step: step must be a positive "
	   "integer");
	EQ("numbers.range_step", "[0, 10, 1.5]",
	   "ERR eval_type_error: numbers.range_step: operand 3 must be integer number but got "
	   "floating-point number");
}

static void test_rand_intn(void **state)
{
	(void)state;
	const char *first = t_call(rbi_group_numbers, "rand.intn", "[\"key\", 100]");
	long v = strtol(first, NULL, 10);
	assert_true(v >= 0 && v < 100);
	for (int i = 0; i < 20; i++)
		EQ("rand.intn", "[\"key\", 100]", first);
	EQ("rand.intn", "[\"key\", -100]", first); /* OPA keys the cache on |n| */
	const char *one = t_call(rbi_group_numbers, "rand.intn", "[\"other\", 1]");
	assert_string_equal(one, "0");
	EQ("rand.intn", "[\"k\", 0]", "0");
	EQ("rand.intn", "[1, 5]", "ERR eval_type_error: rand.intn: operand 1 must be string but got number");
	EQ("rand.intn", "[\"k\", 1.5]",
	   "ERR eval_type_error: rand.intn: operand 2 must be integer number but got floating-point "
	   "number");
	EQ("rand.intn", "[\"k\", -9223372036854775808]",
	   "ERR eval_builtin_error: rand.intn: invalid argument to Intn");
	/* Many keys spread over the range. */
	bool seen[4] = {false};
	for (int i = 0; i < 200; i++) {
		char args[64];
		snprintf(args, sizeof(args), "[\"k%d\", 4]", i);
		long x = strtol(t_call(rbi_group_numbers, "rand.intn", args), NULL, 10);
		assert_true(x >= 0 && x < 4);
		seen[x] = true;
	}
	assert_true(seen[0] && seen[1] && seen[2] && seen[3]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_abs),        cmocka_unit_test(test_round),
	    cmocka_unit_test(test_ceil_floor), cmocka_unit_test(test_range),
	    cmocka_unit_test(test_range_step), cmocka_unit_test(test_rand_intn),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
