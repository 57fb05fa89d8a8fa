/* Unit tests for the glob, units, semver and uuid builtins
 * (lib/rego/bi/glob.c, units.c, semver.c, uuid.c). */
#include "bi_test.h"

#define GLOB(args, want) T_EQ(rbi_group_glob, "glob.match", args, want)
#define UNITS(name, args, want) T_EQ(rbi_group_units, name, args, want)
#define SEMVER(name, args, want) T_EQ(rbi_group_semver, name, args, want)
#define UUID(name, args, want) T_EQ(rbi_group_uuid, name, args, want)

static void test_glob_match(void **state)
{
	(void)state;
	GLOB("[\"*.github.com\", [\".\"], \"api.github.com\"]", "true");
	GLOB("[\"*.github.com\", [\".\"], \"api.cdn.github.com\"]", "false");
	GLOB("[\"api.**.com\", [\".\"], \"api.cdn.github.com\"]", "true");
	GLOB("[\"*\", [], \"foo.bar\"]", "false"); /* [] means ["."] */
	GLOB("[\"*\", null, \"foo.bar\"]", "true");
	GLOB("[\"?at\", [\"f\"], \"fat\"]", "false");
	GLOB("[\"[!a-c]at\", [], \"fat\"]", "true");
	GLOB("[\"[abc]at\", [], \"cat\"]", "true");
	GLOB("[\"[!.]\", [\".\"], \".\"]", "false");
	GLOB("[\"[!a]\", [\".\"], \".\"]", "true"); /* lists ignore delimiters */
	GLOB("[\"{cat,bat,[fr]at}\", [], \"rat\"]", "true");
	GLOB("[\"a{b,c{d,e}}f\", [], \"acef\"]", "true");
	GLOB("[\"{a,b\", [], \"b\"]", "true"); /* unclosed terms are accepted */
	GLOB("[\"\\\\*\", [], \"*\"]", "true");
	GLOB("[\"a\\\\\", [], \"a\"]", "true");
	GLOB("[\"\\xc3\\xa9?\", [], \"\\xc3\\xa9\\xe2\\x98\\xba\"]", "true");
	GLOB("[\"a\\x00b\", [], \"a\"]", "true"); /* NUL ends the pattern */
	GLOB("[\"[a\", [], \"a\"]", "ERR eval_builtin_error: glob.match: unexpected end of input");
	GLOB("[\"[]\", [], \"a\"]", "ERR eval_builtin_error: glob.match: could not parse range");
	GLOB("[\"[a-zA-Z]\", [], \"a\"]", "ERR eval_builtin_error: glob.match: expected close range character");
	GLOB("[\"[z-a]\", [], \"a\"]",
	     "ERR eval_builtin_error: glob.match: hi character 'a' should be greater than lo 'z'");
	GLOB("[\"a\", [\"ab\"], \"a\"]",
	     "ERR eval_type_error: glob.match: operand 2 must be array of runes but got array containing string");
	GLOB("[\"a\", [1], \"a\"]",
	     "ERR eval_type_error: glob.match: operand 2 must be array of strings but got array containing number");
	GLOB("[\"a\", 5, \"a\"]", "ERR eval_type_error: glob.match: operand 2 must be one of {array, null} but got number");
	GLOB("[\"a\", [], 5]", "ERR eval_type_error: glob.match: operand 3 must be string but got number");
	T_EQ(rbi_group_glob, "glob.quote_meta", "[\"*.github.com\"]", "\"\\\\*.github.com\"");
	T_EQ(rbi_group_glob, "glob.quote_meta", "[\"a[b]{c}?\\\\\"]", "\"a\\\\[b\\\\]\\\\{c\\\\}\\\\?\\\\\\\\\"");
}

static void test_units_parse(void **state)
{
	(void)state;
	UNITS("units.parse", "[\"500m\"]", "0.5000000000");
	UNITS("units.parse", "[\"1.1Ki\"]", "1126.4000000000");
	UNITS("units.parse", "[\"1G\"]", "1000000000");
	UNITS("units.parse", "[\"10Ei\"]", "11529215046068469760");
	UNITS("units.parse", "[\"\\\"100TI\\\"\"]", "109951162777600");
	UNITS("units.parse", "[\"-3.5E2m\"]", "-0.3500000000");
	UNITS("units.parse", "[\"1e-11\"]", "0.0000000000");
	UNITS("units.parse", "[\"-1e-11\"]", "-0.0000000000");
	UNITS("units.parse", "[\"0.00000000005\"]", "0.0000000001");
	UNITS("units.parse", "[\"1e3\"]", "1000");
	UNITS("units.parse", "[\"-0.0\"]", "0");
	UNITS("units.parse", "[\"\"]", "ERR eval_builtin_error: units.parse: units.parse: no amount provided");
	UNITS("units.parse", "[\"0.0.0\"]",
	      "ERR eval_builtin_error: units.parse: units.parse: could not parse amount to a number");
	UNITS("units.parse", "[\"100 k\"]",
	      "ERR eval_builtin_error: units.parse: units.parse: spaces not allowed in resource strings");
	UNITS("units.parse", "[\"1x\"]", "ERR eval_builtin_error: units.parse: units.parse: unit x not recognized");
	UNITS("units.parse", "[\"1MIB\"]", "ERR eval_builtin_error: units.parse: units.parse: unit Mib not recognized");
	UNITS("units.parse", "[\"1e1234567\"]", "ERR eval_builtin_error: units.parse: units.parse: exponent too large");
	UNITS("units.parse", "[1]", "ERR eval_type_error: units.parse: operand 1 must be string but got number");
}

static void test_units_parse_bytes(void **state)
{
	(void)state;
	UNITS("units.parse_bytes", "[\"10KIB\"]", "10240");
	UNITS("units.parse_bytes", "[\"1.1KiB\"]", "1126");
	UNITS("units.parse_bytes", "[\".5KB\"]", "500");
	UNITS("units.parse_bytes", "[\"10eib\"]", "11529215046068469760");
	UNITS("units.parse_bytes", "[\"1e-2KB\"]", "10");
	UNITS("units.parse_bytes", "[\"-0.5\"]", "0");
	UNITS("units.parse_bytes", "[\"18446744073709551617\"]", "18446744073709551616"); /* 64-bit mantissa */
	UNITS("units.parse_bytes", "[\"GB\"]",
	      "ERR eval_builtin_error: units.parse_bytes: units.parse_bytes: no byte amount provided");
	UNITS("units.parse_bytes", "[\".5.2\"]",
	      "ERR eval_builtin_error: units.parse_bytes: units.parse_bytes: could not parse byte amount to a "
	      "number");
	UNITS("units.parse_bytes", "[\"1xb\"]",
	      "ERR eval_builtin_error: units.parse_bytes: units.parse_bytes: byte unit xb not recognized");
}

static void test_semver(void **state)
{
	(void)state;
	SEMVER("semver.is_valid", "[\"1.0.0\"]", "true");
	SEMVER("semver.is_valid", "[\"v1.2.3-alpha.1+build.5\"]", "true");
	SEMVER("semver.is_valid", "[\"1.2.3-\"]", "true");
	SEMVER("semver.is_valid", "[\"1\"]", "false");
	SEMVER("semver.is_valid", "[\"1.2.3-a..b\"]", "false");
	SEMVER("semver.is_valid", "[\"1.2.3.4\"]", "false");
	SEMVER("semver.is_valid", "[1]", "false");
	SEMVER("semver.compare", "[\"1.0.0\", \"2.0.0\"]", "-1");
	SEMVER("semver.compare", "[\"2.0.0\", \"1.0.0\"]", "1");
	SEMVER("semver.compare", "[\"1.2.3+a\", \"1.2.3+b\"]", "0");
	SEMVER("semver.compare", "[\"1.2.3\", \"1.2.3-rc.1\"]", "1");
	SEMVER("semver.compare", "[\"1.2.3-alpha\", \"1.2.3-alpha.1\"]", "-1");
	SEMVER("semver.compare", "[\"1.2.3-alpha.1\", \"1.2.3-alpha.beta\"]", "-1");
	SEMVER("semver.compare", "[\"1.2.3-beta.11\", \"1.2.3-beta.2\"]", "1");
	SEMVER("semver.compare", "[\"1.2.3-01\", \"1.2.3-1\"]", "0");
	SEMVER("semver.compare", "[\"1\", \"1.0.0\"]",
	       "ERR eval_builtin_error: semver.compare: operand 1: string \"1\" is not a valid SemVer");
	SEMVER("semver.compare", "[\"1.0.0\", \"x\"]",
	       "ERR eval_builtin_error: semver.compare: operand 2: string \"x\" is not a valid SemVer");
	SEMVER("semver.compare", "[1, \"1.0.0\"]",
	       "ERR eval_type_error: semver.compare: operand 1 must be string but got number");
}

static void test_uuid_parse(void **state)
{
	(void)state;
	UUID("uuid.parse", "[\"{00000000-0000-4000-8000-000000000000}\"]", "{\"variant\": \"RFC4122\", \"version\": 4}");
	UUID("uuid.parse", "[\"6bea8ef2d3d33cd184e09bab06a52ece\"]", "{\"variant\": \"RFC4122\", \"version\": 3}");
	UUID("uuid.parse", "[\"urn:uuid:000003e8-48b9-21ee-b200-325096b39f47\"]",
	     "{\"clocksequence\": 12800, \"domain\": \"Person\", \"id\": 1000, \"macvariables\": \"local:unicast\", "
	     "\"nodeid\": \"32-50-96-b3-9f-47\", \"time\": 1693566990121469600, \"variant\": \"RFC4122\", "
	     "\"version\": 2}");
	UUID("uuid.parse", "[\"c232ab00-9414-11ec-b3c8-9f6bdeced846\"]",
	     "{\"clocksequence\": 13256, \"macvariables\": \"local:multicast\", \"nodeid\": \"9f-6b-de-ce-d8-46\", "
	     "\"time\": 1645557742000000000, \"variant\": \"RFC4122\", \"version\": 1}");
	UUID("uuid.parse", "[\"00000000-0000-0000-0000-000000000000\"]", "{\"variant\": \"Reserved\", \"version\": 0}");
	UUID("uuid.parse", "[\"00000000-0000-4000-8000-00000000000g\"]", "undefined");
	UUID("uuid.parse", "[\"123\"]", "undefined");
	UUID("uuid.parse", "[123]", "ERR eval_type_error: uuid.parse: operand 1 must be string but got number");
}

static void test_uuid_rfc4122(void **state)
{
	(void)state;
	const char *a = t_call(rbi_group_uuid, "uuid.rfc4122", "[\"key\"]");
	const char *b = t_call(rbi_group_uuid, "uuid.rfc4122", "[\"key\"]");
	const char *c = t_call(rbi_group_uuid, "uuid.rfc4122", "[\"other\"]");
	assert_string_equal(a, b); /* memoised per evaluation */
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 38); /* quoted */
	assert_int_equal(a[9], '-');
	assert_int_equal(a[15], '4'); /* version */
	assert_non_null(strchr("89ab", a[20])); /* RFC 4122 variant */
	for (size_t i = 1; i < 37; i++)
		assert_non_null(strchr("0123456789abcdef-", a[i]));
	UUID("uuid.rfc4122", "[1]", "ERR eval_type_error: uuid.rfc4122: operand 1 must be string but got number");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_glob_match),
	    cmocka_unit_test(test_units_parse),
	    cmocka_unit_test(test_units_parse_bytes),
	    cmocka_unit_test(test_semver),
	    cmocka_unit_test(test_uuid_parse),
	    cmocka_unit_test(test_uuid_rfc4122),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
