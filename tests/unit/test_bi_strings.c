/* Unit tests for the string builtins (lib/rego/bi/strings.c, sprintf.c,
 * ftoa.c). Expected values were checked against OPA (Go's fmt for sprintf). */
#include "bi_test.h"

#define EQ(name, args, want) T_EQ(rbi_group_strings, name, args, want)

static void test_concat(void **state)
{
	(void)state;
	EQ("concat", "[\"/\", [\"\", \"foo\", \"bar\", \"0\", \"baz\"]]", "\"/foo/bar/0/baz\"");
	EQ("concat", "[\",\", s{\"b\", \"a\"}]", "\"a,b\"");
	EQ("concat", "[\",\", []]", "\"\"");
	EQ("concat", "[\", \", [\"x\"]]", "\"x\"");
	EQ("concat", "[\"\", [\"a\", \"b\"]]", "\"ab\"");
	EQ("concat", "[\",\", [1]]",
	   "ERR eval_type_error: concat: operand 2 must be array of strings but got array containing number");
	EQ("concat", "[\",\", s{1}]",
	   "ERR eval_type_error: concat: operand 2 must be set of strings but got set containing number");
	EQ("concat", "[\",\", 5]", "ERR eval_type_error: concat: operand 2 must be one of {set, array} but got number");
	EQ("concat", "[1, []]", "ERR eval_type_error: concat: operand 1 must be string but got number");
}

static void test_predicates(void **state)
{
	(void)state;
	EQ("contains", "[\"abcdefgh\", \"defg\"]", "true");
	EQ("contains", "[\"abcdefgh\", \"ac\"]", "false");
	EQ("contains", "[\"abc\", \"\"]", "true");
	EQ("contains", "[\"a\\x00b\", \"\\x00\"]", "true");
	EQ("startswith", "[\"abcdefgh\", \"abcd\"]", "true");
	EQ("startswith", "[\"abcdefgh\", \"bcd\"]", "false");
	EQ("startswith", "[\"ab\", \"abc\"]", "false");
	EQ("endswith", "[\"abcdefgh\", \"fgh\"]", "true");
	EQ("endswith", "[\"abcdefgh\", \"fg\"]", "false");
	EQ("endswith", "[\"\", \"\"]", "true");
	EQ("endswith", "[\"a\", 1]", "ERR eval_type_error: endswith: operand 2 must be string but got number");
	EQ("strings.count", "[\"cheese\", \"e\"]", "3");
	EQ("strings.count", "[\"dummy\", \"\"]", "6");
	EQ("strings.count", "[\"h\\xc3\\xa9llo\", \"\"]", "6");
	EQ("strings.count", "[\"\", \"\"]", "1");
	EQ("strings.count", "[\"11111\", \"11\"]", "2");
	EQ("strings.count", "[\"\", \"x\"]", "0");
}

static void test_any_affix(void **state)
{
	(void)state;
	EQ("strings.any_prefix_match", "[[\"a/b/c\", \"e/f/g\"], [\"x/\", \"e/\"]]", "true");
	EQ("strings.any_prefix_match", "[\"a/b/c\", \"a/\"]", "true");
	EQ("strings.any_prefix_match", "[s{\"x\", \"ya\"}, \"y\"]", "true");
	EQ("strings.any_prefix_match", "[[], [\"a\"]]", "false");
	EQ("strings.any_prefix_match", "[[\"a\"], []]", "false");
	EQ("strings.any_suffix_match", "[[\"a/b/c\", \"a/b/d\"], [\"/d\"]]", "true");
	EQ("strings.any_suffix_match", "[\"abc\", \"ab\"]", "false");
	EQ("strings.any_prefix_match", "[[1], [\"a\"]]",
	   "ERR eval_type_error: strings.any_prefix_match: operand 1 must be array of strings but got array "
	   "containing number");
	EQ("strings.any_prefix_match", "[[\"a\"], 1]",
	   "ERR eval_type_error: strings.any_prefix_match: operand 2 must be one of {string, set, array} but got "
	   "number");
	EQ("strings.any_suffix_match", "[[\"a\"], s{1}]",
	   "ERR eval_type_error: strings.any_suffix_match: operand 2 must be set of strings but got set containing "
	   "number");
}

static void test_indexof(void **state)
{
	(void)state;
	EQ("indexof", "[\"abcdefgh\", \"cde\"]", "2");
	EQ("indexof", "[\"abcdefgh\", \"xyz\"]", "-1");
	EQ("indexof", "[\"\\xce\\xbcx\", \"x\"]", "1");
	EQ("indexof", "[\"sk\\xc3\\xb6n var v\\xc3\\xa5ren\", \"v\\xc3\\xa5r\"]", "9");
	/* invalid bytes are U+FFFD runes: \xff and \xfe compare equal */
	EQ("indexof", "[\"a\\xffb\", \"\\xfeb\"]", "1");
	EQ("indexof", "[\"abc\", \"\"]", "ERR eval_builtin_error: indexof: empty search character");
	EQ("indexof_n", "[\"dogcatdogcat\", \"cat\"]", "[3, 9]");
	EQ("indexof_n", "[\"aaa\", \"aa\"]", "[0, 1]");
	EQ("indexof_n", "[\"\\xf0\\x9f\\x98\\x87\\xf0\\x9f\\x98\\x80\\xf0\\x9f\\x98\\x80\", \"\\xf0\\x9f\\x98\\x80\"]",
	   "[1, 2]");
	EQ("indexof_n", "[\"dogcat\", \"rabbit\"]", "[]");
	EQ("indexof_n", "[\"x\", \"\"]", "ERR eval_builtin_error: indexof_n: empty search character");
}

static void test_substring(void **state)
{
	(void)state;
	EQ("substring", "[\"abcdefgh\", 2, 3]", "\"cde\"");
	EQ("substring", "[\"abcdefgh\", 2, -1]", "\"cdefgh\"");
	EQ("substring", "[\"abcdefgh\", 2, 10000]", "\"cdefgh\"");
	EQ("substring", "[\"aaa\", 3, -1]", "\"\"");
	EQ("substring", "[\"\\xc3\\xa5\\xc3\\xa4\\xc3\\xb6\", 0, 2]", "\"\xc3\xa5\xc3\xa4\"");
	EQ("substring", "[\"a\\xc3\\xa5\\xc3\\xa4\\xc3\\xb6\", 2, -1]", "\"\xc3\xa4\xc3\xb6\"");
	EQ("substring", "[\"\\xc3\\xa5\\xc3\\xa4\\xc3\\xb6\", 4, -1]", "\"\"");
	/* through []rune: invalid bytes come out as U+FFFD */
	EQ("substring", "[\"\\xc3\\xa5\\xff\", 1, 1]", "\"\xef\xbf\xbd\"");
	EQ("substring", "[\"aaa\", -1, -1]", "ERR eval_builtin_error: substring: negative offset");
	EQ("substring", "[\"abc\", 1.0, 1]",
	   "ERR eval_type_error: substring: operand 2 must be integer number but got floating-point number");
	EQ("substring", "[\"abc\", 1, 1.5]",
	   "ERR eval_type_error: substring: operand 3 must be integer number but got floating-point number");
	EQ("substring", "[\"abc\", \"1\", 1]", "ERR eval_type_error: substring: operand 2 must be number but got string");
}

static void test_case(void **state)
{
	(void)state;
	EQ("lower", "[\"AbCdEf\"]", "\"abcdef\"");
	EQ("upper", "[\"AbCdEf\"]", "\"ABCDEF\"");
	EQ("upper", "[\"h\\xc3\\xa9llo \\xc3\\x9f\"]", "\"H\xc3\x89LLO \xc3\x9f\"");
	EQ("lower", "[\"\\xc4\\xb0stanbul\"]", "\"istanbul\"");
	EQ("upper", "[\"\\xc5\\xbf\"]", "\"S\"");
	EQ("lower", "[\"\\xe2\\x84\\xaa\"]", "\"k\"");
	EQ("lower", "[\"\\xc3\\x89\\xff\"]", "\"\xc3\xa9\xef\xbf\xbd\""); /* strings.Map: bad byte -> U+FFFD */
	EQ("lower", "[\"ABC\\xff\"]", "\"abc\xef\xbf\xbd\"");
	EQ("lower", "[\"abc\"]", "\"abc\"");
	EQ("lower", "[1]", "ERR eval_type_error: lower: operand 1 must be string but got number");
}

static void test_split_replace(void **state)
{
	(void)state;
	EQ("split", "[\"\", \".\"]", "[\"\"]");
	EQ("split", "[\"test\", \"\"]", "[\"t\", \"e\", \"s\", \"t\"]");
	EQ("split", "[\"\", \"\"]", "[]");
	EQ("split", "[\"foo.bar.baz\", \".\"]", "[\"foo\", \"bar\", \"baz\"]");
	EQ("split", "[\".a.\", \".\"]", "[\"\", \"a\", \"\"]");
	EQ("split", "[\"a\\xffb\", \"\"]", "[\"a\", \"\\xff\", \"b\"]");
	EQ("replace", "[\"foo...bar\", \"..\", \",,\"]", "\"foo,,.bar\"");
	EQ("replace", "[\"\", \"hi\", \"bye\"]", "\"\"");
	EQ("replace", "[\"abc\", \"\", \"-\"]", "\"-a-b-c-\"");
	/* strings.Replace: an empty old matches between runes, not bytes. */
	EQ("replace", "[\"\u65e5\u672c\", \"\", \"X\"]", "\"X\u65e5X\u672cX\"");
	EQ("replace", "[\"\", \"\", \"X\"]", "\"X\"");
	EQ("replace", "[\"aaaa\", \"aa\", \"b\"]", "\"bb\"");
	EQ("replace", "[\"abc\", 1, \"x\"]", "ERR eval_type_error: replace: operand 2 must be string but got number");
	EQ("strings.replace_n", "[{\"<\": \"&lt;\", \">\": \"&gt;\"}, \"This is <b>HTML</b>!\"]",
	   "\"This is &lt;b&gt;HTML&lt;/b&gt;!\"");
	EQ("strings.replace_n", "[{\"f\": \"x\", \"foo\": \"xxx\"}, \"foobar\"]", "\"xoobar\"");
	EQ("strings.replace_n", "[{\"\": \"-\", \"a\": \"A\"}, \"ab\"]", "\"-A-b-\"");
	EQ("strings.replace_n", "[{}, \"abc\"]", "\"abc\"");
	EQ("strings.replace_n", "[{2: \"x\"}, \"foo\"]",
	   "ERR eval_type_error: strings.replace_n: operand 1 non-string key found in pattern object");
	EQ("strings.replace_n", "[{\"f\": 100}, \"foo\"]",
	   "ERR eval_type_error: strings.replace_n: operand 1 non-string value found in pattern object");
	EQ("strings.replace_n", "[{\"foo\": \"baz\"}, 100]",
	   "ERR eval_type_error: strings.replace_n: operand 2 must be string but got number");
}

static void test_trim(void **state)
{
	(void)state;
	EQ("trim", "[\"...foo.bar...\", \".fr\"]", "\"oo.ba\"");
	EQ("trim", "[\"\\xc2\\xa1\\xc2\\xa1foo, bar!!!\", \"!\\xc2\\xa1\"]", "\"foo, bar\"");
	EQ("trim", "[\"abc\", \"\"]", "\"abc\"");
	EQ("trim_left", "[\"...foo.bar...\", \".\"]", "\"foo.bar...\"");
	EQ("trim_right", "[\"...foo.bar...\", \".\"]", "\"...foo.bar\"");
	EQ("trim_right", "[\"ab\\xff\", \"\\xfe\"]", "\"ab\""); /* both are U+FFFD */
	EQ("trim_prefix", "[\"abc\", \"ab\"]", "\"c\"");
	EQ("trim_prefix", "[\"abc\", \"abcd\"]", "\"abc\"");
	EQ("trim_suffix", "[\"abc\", \"bc\"]", "\"a\"");
	EQ("trim_space", "[\" \\t\\n foo, bar \\n\\t\\n\"]", "\"foo, bar\"");
	EQ("trim_space", "[\"\\xc2\\xa0\\xe2\\x80\\x80x\\xe3\\x80\\x80 \"]", "\"x\"");
	EQ("trim_space", "[\"   \"]", "\"\"");
	EQ("trim", "[1, \"a\"]", "ERR eval_type_error: trim: operand 1 must be string but got number");
}

static void test_reverse_format_int(void **state)
{
	(void)state;
	EQ("strings.reverse", "[\"bar\"]", "\"rab\"");
	EQ("strings.reverse", "[\"1\\xf0\\x9f\\x98\\x80x\"]", "\"x\xf0\x9f\x98\x80" "1\"");
	EQ("strings.reverse", "[\"\"]", "\"\"");
	EQ("strings.reverse", "[123]", "ERR eval_type_error: strings.reverse: operand 1 must be string but got number");
	EQ("format_int", "[15.5, 16]", "\"f\"");
	EQ("format_int", "[-15.5, 16]", "\"-f\"");
	EQ("format_int", "[255, 2]", "\"11111111\"");
	EQ("format_int", "[255, 8]", "\"377\"");
	EQ("format_int", "[-0.5, 10]", "\"0\"");
	EQ("format_int", "[123456789012345678901234567890, 10]", "\"123456789012345678899921813504\"");
	EQ("format_int", "[18446744073709551616, 16]", "\"10000000000000000\"");
	EQ("format_int", "[4.1, 199]", "ERR eval_type_error: format_int: operand 2 must be one of {2, 8, 10, 16}");
	EQ("format_int", "[10, 10.0]", "ERR eval_type_error: format_int: operand 2 must be one of {2, 8, 10, 16}");
	EQ("format_int", "[\"1\", 10]", "ERR eval_type_error: format_int: operand 1 must be number but got string");
}

#define SP(fmt_args, want) EQ("sprintf", fmt_args, want)

static void test_sprintf_basic(void **state)
{
	(void)state;
	SP("[\"hi\", []]", "\"hi\"");
	SP("[\"hi %s\", [\"there\"]]", "\"hi there\"");
	SP("[\"hi %02d\", [5]]", "\"hi 05\"");
	SP("[\"hi %02X.%02X\", [127, 1]]", "\"hi 7F.01\"");
	SP("[\"hi %.2f\", [3.1415]]", "\"hi 3.14\"");
	SP("[\"hi %v\", [2e308]]", "\"hi 2e308\"");
	SP("[\"hi %s\", [true]]", "\"hi true\"");
	SP("[\"hi %v\", [[\"there\", 5, 3.14]]]", "\"hi [\\\"there\\\", 5, 3.14]\"");
	SP("[\"%s\", [123456789123456789123]]", "\"123456789123456789123\"");
	SP("[\"%v %v %v\", [{\"a\": 1}, s{1, 2}, null]]", "\"{\\\"a\\\": 1} {1, 2} null\"");
	SP("[\"%d\", [1.0]]", "\"%!d(float64=1)\"");
	SP("[\"%v|%d\", [1e3, 1e3]]", "\"1000|%!d(float64=1000)\"");
	SP("[\"%t\", [true]]", "\"%!t(string=true)\"");
	SP("[\"%d %d\", [1]]", "\"1 %!d(MISSING)\"");
	SP("[\"%s\", [\"a\", 1, 1.5]]", "\"a%!(EXTRA int=1, float64=1.5)\"");
	SP("[\"%d\", \"x\"]", "ERR eval_type_error: sprintf: operand 2 must be array but got string");
}

static void test_sprintf_ints(void **state)
{
	(void)state;
	SP("[\"%5z|%-5d|%05d\", [3, 7, -42]]", "\"%!z(int=    3)|7    |-0042\"");
	SP("[\"%x|%X|%o|%O|%b|%#x|%#o|%#b\", [255, 255, 8, 8, 5, 255, 8, 5]]", "\"ff|FF|10|0o10|101|0xff|010|0b101\"");
	SP("[\"%c|%q|%U|%#U\", [65, 66, 9731, 9731]]", "\"A|'B'|U+2603|U+2603 '\xe2\x98\x83'\"");
	SP("[\"%+d|% d|%.5d|%8.5d|%.0d|\", [5, 5, -42, -42, 0]]", "\"+5| 5|-00042|  -00042||\"");
	SP("[\"%x\", [-255]]", "\"-ff\"");
	SP("[\"%c\", [-1]]", "\"\xef\xbf\xbd\"");
	SP("[\"%q\", [-1]]", "\"%!q(int=-1)\"");
	SP("[\"%d\", [-9223372036854775808]]", "\"-9223372036854775808\"");
}

static void test_sprintf_bigints(void **state)
{
	(void)state;
	SP("[\"%x|%X|%o\", [123456789012345678901234567890, 123456789012345678901234567890, "
	   "123456789012345678901234567890]]",
	   "\"18ee90ff6c373e0ee4e3f0ad2|18EE90FF6C373E0EE4E3F0AD2|143564417755415637016711617605322\"");
	SP("[\"%#x|%+d|%040d\", [123456789012345678901234567890, 123456789012345678901234567890, "
	   "123456789012345678901234567890]]",
	   "\"0x18ee90ff6c373e0ee4e3f0ad2|+123456789012345678901234567890|"
	   "0000000000123456789012345678901234567890\"");
	SP("[\"%q|%T\", [12345678901234567890, 12345678901234567890]]",
	   "\"%!q(big.Int=12345678901234567890)|*big.Int\"");
}

static void test_sprintf_floats(void **state)
{
	(void)state;
	SP("[\"%e|%E|%.3g|%g|%G\", [123456.789, 0.000012345, 100.0, 1e21, 1e-7]]",
	   "\"1.234568e+05|1.234500E-05|100|1e+21|1E-07\"");
	SP("[\"%#g|%+.2f|% f|%08.3f|%-8.2f|\", [1.5, 3.14159, 2.5, -3.14159, 2.5]]",
	   "\"1.50000|+3.14| 2.500000|-003.142|2.50    |\"");
	SP("[\"%x|%b\", [1.5, 1.0]]", "\"0x1.8p+00|4503599627370496p-52\"");
	SP("[\"%v|%v|%v|%v\", [1e6, 123456789.0, 0.0001, 0.00001]]", "\"1e+06|1.23456789e+08|0.0001|1e-05\"");
	SP("[\"%.0f|%.0f|%.0f\", [0.5, 1.5, 2.5]]", "\"0|2|2\"");
	SP("[\"%6.2v|\", [3.14159]]", "\"   3.1|\"");
	SP("[\"%v\", [-0.0]]", "\"-0\"");
	SP("[\"%s\", [1.5]]", "\"%!s(float64=1.5)\"");
}

static void test_sprintf_strings_and_syntax(void **state)
{
	(void)state;
	SP("[\"%q|%+q|%#q\", [\"h\\xc3\\xa9\\n\", \"h\\xc3\\xa9\", \"a`b\"]]",
	   "\"\\\"h\xc3\xa9\\\\n\\\"|\\\"h\\\\u00e9\\\"|\\\"a`b\\\"\"");
	SP("[\"%x|% x|%#x|% #X\", [\"hi\", \"hi\", \"hi\", \"hi\"]]", "\"6869|68 69|0x6869|0X68 0X69\"");
	SP("[\"%.2s|%5.1s|%-5s|%05s|\", [\"h\\xc3\\xa9llo\", \"abc\", \"ab\", \"ab\"]]",
	   "\"h\xc3\xa9|    a|ab   |000ab|\"");
	SP("[\"%[2]d %[1]d %d|%*d|%.*f\", [1, 2, 5, 42, 2, 3.14159]]", "\"2 1 2|   42|3.14\"");
	SP("[\"%!|%\", [1]]", "\"%!!(int=1)|%!(NOVERB)\"");
	SP("[\"%[3]d|%[x]d\", [1]]", "\"%!d(BADINDEX)|%!d(BADINDEX)\"");
	SP("[\"%*d\", [\"x\", 1]]", "\"%!(BADWIDTH)1\"");
	SP("[\"%%%d%%\", [5]]", "\"%5%\"");
	SP("[\"%d %[1]d\", [1, 2]]", "\"1 1\"");
	SP("[\"%p|%w\", [5, 6]]", "\"%!p(int=5)|%!w(int=6)\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_concat),
	    cmocka_unit_test(test_predicates),
	    cmocka_unit_test(test_any_affix),
	    cmocka_unit_test(test_indexof),
	    cmocka_unit_test(test_substring),
	    cmocka_unit_test(test_case),
	    cmocka_unit_test(test_split_replace),
	    cmocka_unit_test(test_trim),
	    cmocka_unit_test(test_reverse_format_int),
	    cmocka_unit_test(test_sprintf_basic),
	    cmocka_unit_test(test_sprintf_ints),
	    cmocka_unit_test(test_sprintf_bigints),
	    cmocka_unit_test(test_sprintf_floats),
	    cmocka_unit_test(test_sprintf_strings_and_syntax),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
