/* Unit tests for the encoding builtins (lib/rego/bi/encoding.c): Go's
 * encoding/base64, encoding/hex and net/url behaviour and error texts. */
#include "bi_test.h"

#define EQ(name, args, want) T_EQ(rbi_group_encoding, name, args, want)

static void test_base64(void **state)
{
	(void)state;
	EQ("base64.encode", "[\"hello\"]", "\"aGVsbG8=\"");
	EQ("base64.encode", "[\"subjects?_d\"]", "\"c3ViamVjdHM/X2Q=\"");
	EQ("base64.encode", "[\"\"]", "\"\"");
	EQ("base64.encode", "[\"a\\x00b\"]", "\"YQBi\"");
	EQ("base64.decode", "[\"aGVsbG8=\"]", "\"hello\"");
	EQ("base64.decode", "[\"aGVs\\nbG8=\\n\"]", "\"hello\""); /* CR and LF are skipped */
	EQ("base64.decode", "[\"/+8=\"]", "\"\\xff\\xef\"");
	EQ("base64.decode", "[\"YW==\"]", "\"a\"");
	EQ("base64.decode", "[\"aGVsbG8\"]", "ERR eval_builtin_error: base64.decode: illegal base64 data at input byte 4");
	EQ("base64.decode", "[\"aGVsbG8==\"]",
	   "ERR eval_builtin_error: base64.decode: illegal base64 data at input byte 8");
	EQ("base64.decode", "[\"ab=\"]", "ERR eval_builtin_error: base64.decode: illegal base64 data at input byte 3");
	EQ("base64.decode", "[\"a===\"]", "ERR eval_builtin_error: base64.decode: illegal base64 data at input byte 1");
	EQ("base64.decode", "[\"aG Vs\"]", "ERR eval_builtin_error: base64.decode: illegal base64 data at input byte 2");
	EQ("base64.decode", "[1]", "ERR eval_type_error: base64.decode: operand 1 must be string but got number");
	EQ("base64.is_valid", "[\"aGVsbG8=\"]", "true");
	EQ("base64.is_valid", "[\"{'not':'base64'}\"]", "false");
	EQ("base64.is_valid", "[1]", "false");
}

static void test_base64url(void **state)
{
	(void)state;
	EQ("base64url.encode", "[\"subjects?_d\"]", "\"c3ViamVjdHM_X2Q=\"");
	EQ("base64url.encode_no_pad", "[\"hello\"]", "\"aGVsbG8\"");
	EQ("base64url.encode_no_pad", "[\"\\xff\\xef\"]", "\"_-8\"");
	EQ("base64url.decode", "[\"aGVsbG8=\"]", "\"hello\"");
	EQ("base64url.decode", "[\"aGVsbG8\"]", "\"hello\"");
	EQ("base64url.decode", "[\"_-8\"]", "\"\\xff\\xef\"");
	EQ("base64url.decode", "[\"abcde\"]", "ERR eval_builtin_error: base64url.decode: illegal base64url string: abcde");
	EQ("base64url.decode", "[\"/+8=\"]",
	   "ERR eval_builtin_error: base64url.decode: illegal base64 data at input byte 0");
}

static void test_hex(void **state)
{
	(void)state;
	EQ("hex.encode", "[\"lorem ipsum\"]", "\"6c6f72656d20697073756d\"");
	EQ("hex.encode", "[\"\\x00\\xff\"]", "\"00ff\"");
	EQ("hex.decode", "[\"6c6f72656d20697073756d\"]", "\"lorem ipsum\"");
	EQ("hex.decode", "[\"ABCD\"]", "\"\\xab\\xcd\"");
	EQ("hex.decode", "[\"fghijkl\"]", "ERR eval_builtin_error: hex.decode: encoding/hex: invalid byte: U+0067 'g'");
	EQ("hex.decode", "[\"abc\"]", "ERR eval_builtin_error: hex.decode: encoding/hex: odd length hex string");
	EQ("hex.decode", "[\"0\\x01\"]", "ERR eval_builtin_error: hex.decode: encoding/hex: invalid byte: U+0001");
	EQ("hex.decode", "[\"0\\xc3\"]",
	   "ERR eval_builtin_error: hex.decode: encoding/hex: invalid byte: U+00C3 '\xc3\x83'");
}

static void test_urlquery(void **state)
{
	(void)state;
	EQ("urlquery.encode", "[\"a=b+1\"]", "\"a%3Db%2B1\"");
	EQ("urlquery.encode", "[\"a b~-_.\\xc3\\xa9\"]", "\"a+b~-_.%C3%A9\"");
	EQ("urlquery.decode", "[\"a%3Db%2B1+x\"]", "\"a=b+1 x\"");
	EQ("urlquery.decode", "[\"%4\"]", "ERR eval_builtin_error: urlquery.decode: invalid URL escape \"%4\"");
	EQ("urlquery.decode", "[\"%zzz\"]", "ERR eval_builtin_error: urlquery.decode: invalid URL escape \"%zz\"");
	EQ("urlquery.encode_object", "[{}]", "\"\"");
	EQ("urlquery.encode_object", "[{\"c\": \"d\", \"a\": \"b\"}]", "\"a=b&c=d\"");
	EQ("urlquery.encode_object", "[{\"a\": [\"b+1\", \"c+2\"]}]", "\"a=b%2B1&a=c%2B2\"");
	EQ("urlquery.encode_object", "[{\"a\": s{\"b+1\"}, \"b\": []}]", "\"a=b%2B1\"");
	EQ("urlquery.encode_object", "[{\"a\": 1}]",
	   "ERR eval_type_error: urlquery.encode_object: operand 1 values must be string, array[string], or "
	   "set[string]");
	EQ("urlquery.encode_object", "[5]",
	   "ERR eval_type_error: urlquery.encode_object: operand 1 must be object but got number");
	EQ("urlquery.decode_object", "[\"a=value_a1&b=value_b&a=value_a2\"]",
	   "{\"a\": [\"value_a1\", \"value_a2\"], \"b\": [\"value_b\"]}");
	EQ("urlquery.decode_object", "[\"a=value_a1&b\"]", "{\"a\": [\"value_a1\"], \"b\": [\"\"]}");
	EQ("urlquery.decode_object", "[\"&&a=1&&=2\"]", "{\"\": [\"2\"], \"a\": [\"1\"]}");
	EQ("urlquery.decode_object", "[\"\"]", "{}");
	EQ("urlquery.decode_object", "[\"a=%zz&b;c\"]",
	   "ERR eval_builtin_error: urlquery.decode_object: invalid semicolon separator in query");
	EQ("urlquery.decode_object", "[\"a=1&b=%\"]",
	   "ERR eval_builtin_error: urlquery.decode_object: invalid URL escape \"%\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_base64url),
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_urlquery),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
