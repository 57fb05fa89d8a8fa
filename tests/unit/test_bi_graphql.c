/* Unit tests for the graphql builtin group (lib/rego/bi/graphql*.c): the
 * lexer and parsers on hostile input (deep nesting, huge and unterminated
 * strings and blocks, bad unicode escapes, block strings), gqlparser's
 * error texts, OPA's AST objects, schema checks and validation rules. */
#include <errno.h>

#include "bi_test.h"
#include "cocoon/limits.h"
#include "rego/bi/graphql_int.h"

#define PQ(args, want) T_EQ(rbi_group_graphql, "graphql.parse_query", args, want)
#define PS(args, want) T_EQ(rbi_group_graphql, "graphql.parse_schema", args, want)
#define PARSE(args, want) T_EQ(rbi_group_graphql, "graphql.parse", args, want)
#define VALID(args, want) T_EQ(rbi_group_graphql, "graphql.is_valid", args, want)
#define SVALID(args, want) T_EQ(rbi_group_graphql, "graphql.schema_is_valid", args, want)

/* Parses src as a query: 0 or -1 with the error in *e. */
static int q(const char *src, size_t n, struct gq_err *e)
{
	struct gq_qdoc *d;
	return gq_parse_query(t_arena, src, n, &d, e);
}

/* Parses query and schema and validates: 0 or -1 with the error in *e. */
static int validate(const char *qs, size_t qn, const char *ss, struct gq_err *e)
{
	struct gq_qdoc *d;
	struct gq_sdoc *sd;
	struct gq_schema *s;
	if (gq_parse_query(t_arena, qs, qn, &d, e) < 0 || gq_parse_schema(t_arena, ss, strlen(ss), false, &sd, e) < 0 ||
	    gq_schema_build(t_arena, sd, &s, e) < 0)
		return -1;
	return gq_validate(t_arena, s, d, e);
}

static void test_ast(void **state)
{
	(void)state;
	PQ("[\"{hero {name}}\"]",
	   "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"hero\", "
	   "\"Name\": \"hero\", \"SelectionSet\": [{\"Alias\": \"name\", \"Name\": \"name\"}]}]}]}");
	PQ("[\"query Q($v: [Int!]! = [1]) @d { a: f(x: {k: $v}) ...F ... on T { g } } fragment F on T { h }\"]",
	   "{\"Fragments\": [{\"Name\": \"F\", \"SelectionSet\": [{\"Alias\": \"h\", \"Name\": \"h\"}], "
	   "\"TypeCondition\": \"T\"}], \"Operations\": [{\"Directives\": [{\"Location\": \"\", \"Name\": \"d\"}], "
	   "\"Name\": \"Q\", \"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"a\", \"Arguments\": "
	   "[{\"Name\": \"x\", \"Value\": {\"Children\": [{\"Name\": \"k\", \"Value\": {\"ExpectedTypeHasDefault\": "
	   "false, \"Kind\": 0, \"Raw\": \"v\"}}], \"ExpectedTypeHasDefault\": false, \"Kind\": 9, \"Raw\": \"\"}}], "
	   "\"Name\": \"f\"}, {\"Name\": \"F\"}, {\"SelectionSet\": [{\"Alias\": \"g\", \"Name\": \"g\"}], "
	   "\"TypeCondition\": \"T\"}], \"VariableDefinitions\": [{\"DefaultValue\": {\"Children\": [{\"Name\": \"\", "
	   "\"Value\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 1, \"Raw\": \"1\"}}], \"ExpectedTypeHasDefault\": "
	   "false, \"Kind\": 8, \"Raw\": \"\"}, \"Type\": {\"Elem\": {\"NamedType\": \"Int\", \"NonNull\": true}, "
	   "\"NamedType\": \"\", \"NonNull\": true}, \"Used\": false, \"Variable\": \"v\"}]}]}");
	PQ("[\"\"]", "{}");
	PS("[\"\\\"d\\\" scalar S @specifiedBy(url: \\\"u\\\") directive @x(a: Int = 1) repeatable on FIELD | QUERY\"]",
	   "{\"Definitions\": [{\"BuiltIn\": false, \"Description\": \"d\", \"Directives\": [{\"Arguments\": "
	   "[{\"Name\": \"url\", \"Value\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 3, \"Raw\": \"u\"}}], "
	   "\"Location\": \"\", \"Name\": \"specifiedBy\"}], \"Kind\": \"SCALAR\", \"Name\": \"S\"}], \"Directives\": "
	   "[{\"Arguments\": [{\"DefaultValue\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 1, \"Raw\": \"1\"}, "
	   "\"Description\": \"\", \"Name\": \"a\", \"Type\": {\"NamedType\": \"Int\", \"NonNull\": false}}], "
	   "\"Description\": \"\", \"IsRepeatable\": true, \"Locations\": [\"FIELD\", \"QUERY\"], \"Name\": \"x\"}]}");
	PQ("[1]", "ERR eval_type_error: graphql.parse_query: operand 1 must be string but got number");
}

/* Strings: escapes, bad escapes, unterminated strings and blocks. */
static void test_strings(void **state)
{
	(void)state;
	PQ("[\"{f(a: \\\"\\\\u00e9\\\\n\\\\\\\"\\\")}\"]",
	   "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"f\", "
	   "\"Arguments\": [{\"Name\": \"a\", \"Value\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 3, "
	   "\"Raw\": \"\xc3\xa9\\n\\\"\"}}], \"Name\": \"f\"}]}]}");
	PQ("[\"{f(a: \\\"abc)}\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:13");
	PQ("[\"{f(a: \\\"\\\\u12G4\\\")}\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:9");
	PQ("[\"{f(a: \\\"\\\\u12\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:9");
	PQ("[\"{f(a: \\\"\\\\q\\\")}\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:9");
	PQ("[\"{f(a: \\\"a\\tb\\x01\\\")}\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:11");
	PQ("[\"{f(a: \\\"\\\"\\\"never closed\\n\\n)}\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 3:3");
	/* block strings: common indentation and blank first/last lines go */
	PQ("[\"{f(a: \\\"\\\"\\\"\\n    x\\n      y\\n\\n  \\\"\\\"\\\")}\"]",
	   "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"f\", "
	   "\"Arguments\": [{\"Name\": \"a\", \"Value\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 4, "
	   "\"Raw\": \"x\\n  y\"}}], \"Name\": \"f\"}]}]}");
	PQ("[\"{f(a: \\\"\\\"\\\"q \\\\\\\"\\\"\\\" \\xff\\\"\\\"\\\")}\"]",
	   "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"f\", "
	   "\"Arguments\": [{\"Name\": \"a\", \"Value\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 4, "
	   "\"Raw\": \"q \\\"\\\"\\\" \xef\xbf\xbd\"}}], \"Name\": \"f\"}]}]}");
	/* the lexer's own message shows when its token is consumed */
	PS("[\"schema { \\\"abc }\"]",
	   "ERR eval_builtin_error: graphql.parse_schema: Unterminated string. in GraphQL string at location 1:16");
	PS("[\"schema { \\\"\\\\u12G4\\\" }\"]",
	   "ERR eval_builtin_error: graphql.parse_schema: Invalid character escape sequence: \\u12G4. in GraphQL "
	   "string at location 1:12");
	/* lexer errors reported when their token is consumed, "Unexpected
	 * <Invalid>" when the parser rejects it first */
	PQ("[\"{a} ?\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:5");
	PQ("[\"{a(x: 01)}\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:8");
	PQ("[\"{a(x: 'y')}\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:7");
	PQ("[\"{a(x: .5)}\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:7");
	PQ("[\"{a(x: \\\"y\\\")) }\"]",
	   "ERR eval_builtin_error: graphql.parse_query: Expected Name, found ) in GraphQL string at location 1:11");
}

/* Depth, size and node count are capped with limit errors (E2BIG). */
static void test_limits(void **state)
{
	(void)state;
	struct gq_err e;
	size_t n = 100000;
	char *s = malloc(3 * n + 16);
	assert_non_null(s);
	/* nested selection sets */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		s[k++] = '{';
		s[k++] = 'a';
	}
	assert_int_equal(q(s, k, &e), -1);
	assert_true(e.limit);
	assert_string_equal(e.msg, "GraphQL document nests deeper than 128 levels");
	/* nested list values and list types */
	k = (size_t)snprintf(s, 16, "{f(a: ");
	for (size_t i = 0; i < n; i++)
		s[k++] = '[';
	assert_int_equal(q(s, k, &e), -1);
	assert_true(e.limit);
	k = (size_t)snprintf(s, 16, "query($v: ");
	for (size_t i = 0; i < n; i++)
		s[k++] = '[';
	assert_int_equal(q(s, k, &e), -1);
	assert_true(e.limit);
	/* object values */
	k = (size_t)snprintf(s, 16, "{f(a: ");
	for (size_t i = 0; i < n / 4; i++) {
		memcpy(s + k, "{a:", 3);
		k += 3;
	}
	assert_int_equal(q(s, k, &e), -1);
	assert_true(e.limit);
	/* many selections */
	k = 0;
	s[k++] = '{';
	for (size_t i = 0; i < n + 10; i++) {
		s[k++] = 'a';
		s[k++] = ' ';
	}
	s[k++] = '}';
	assert_int_equal(q(s, k, &e), -1);
	assert_true(e.limit);
	free(s);
	/* a huge string */
	size_t big = CC_REGO_MAX_GRAPHQL_BYTES + 10;
	s = malloc(big);
	assert_non_null(s);
	memset(s, ' ', big);
	memcpy(s, "{f(a: \"", 7);
	s[big - 3] = '"';
	s[big - 2] = ')';
	s[big - 1] = '}';
	assert_int_equal(q(s, big, &e), -1);
	assert_true(e.limit);
	/* under the cap: a long string is fine */
	assert_int_equal(q(s, CC_REGO_MAX_GRAPHQL_BYTES - 100, &e), -1);
	assert_false(e.limit);
	assert_string_equal(e.msg, "Unexpected <Invalid>");
	free(s);
	/* through the builtin: a limit error, also where failures are false */
	char args[2048];
	k = (size_t)snprintf(args, sizeof(args), "[\"");
	for (int i = 0; i < 300; i++)
		args[k++] = '{', args[k++] = 'a';
	snprintf(args + k, sizeof(args) - k, "\", \"type Query { a: Int }\"]");
	const char *r = t_call(rbi_group_graphql, "graphql.is_valid", args);
	assert_string_equal(r, "ERR eval_builtin_error: graphql.is_valid: GraphQL document nests deeper than 128 levels");
	assert_int_equal(cc_error_code(t_cx.err), -E2BIG);
	/* quadratic rules are bounded: 60,000 fields with one response name
	 * (OverlappingFieldsCanBeMerged compares pairs) */
	size_t bn = 200000;
	char *hb = malloc(bn);
	assert_non_null(hb);
	k = 0;
	hb[k++] = '{';
	for (int i = 0; i < 60000; i++) {
		hb[k++] = 'a';
		hb[k++] = ' ';
	}
	hb[k++] = '}';
	assert_int_equal(validate(hb, k, "type Query { a: Int }", &e), -1);
	assert_true(e.limit);
	assert_string_equal(e.msg, "GraphQL validation took more than 1000000 steps");
	/* many duplicate arguments are found without comparing every pair */
	k = (size_t)snprintf(hb, bn, "{a(");
	for (int i = 0; i < 20000; i++)
		k += (size_t)snprintf(hb + k, bn - k, "x%d: 1 ", i % 19999);
	k += (size_t)snprintf(hb + k, bn - k, ")}");
	assert_int_equal(validate(hb, k, "type Query { a: Int }", &e), -1);
	assert_false(e.limit);
	assert_string_equal(e.msg, "Unknown argument \"x0\" on field \"Query.a\".");
	k = (size_t)snprintf(hb, bn, "{a(");
	for (int i = 0; i < 20000; i++)
		k += (size_t)snprintf(hb + k, bn - k, "x: 1 ");
	k += (size_t)snprintf(hb + k, bn - k, ")}");
	assert_int_equal(validate(hb, k, "type Query { a(x: Int): Int }", &e), -1);
	assert_string_equal(e.msg, "There can be only one argument named \"x\".");
	/* a chain of 1,000 fragments nests the walk past its bound: a limit
	 * error, not a query left half validated */
	k = (size_t)snprintf(hb, bn, "{ ...f0 }");
	for (int i = 0; i < 1000; i++)
		k += (size_t)snprintf(hb + k, bn - k, " fragment f%d on Query { ...f%d }", i, i + 1);
	k += (size_t)snprintf(hb + k, bn - k, " fragment f1000 on Query { nope }");
	assert_int_equal(validate(hb, k, "type Query { a: Int }", &e), -1);
	assert_true(e.limit);
	assert_string_equal(e.msg, "GraphQL validation nests deeper than 512 levels");
	free(hb);
}

static void test_schema(void **state)
{
	(void)state;
	SVALID("[\"type Query { a: Int }\"]", "true");
	SVALID("[\"type Query { a: Nope }\"]", "false");
	SVALID("[\"type A { a: Int } type A { b: Int }\"]", "false");
	SVALID("[\"interface I { a: Int } type T implements I { b: Int }\"]", "false");
	SVALID("[\"type T { __a: Int }\"]", "false");
	SVALID("[\"input I { a: Int } type Query { f(i: I): Int }\"]", "true");
	SVALID("[\"type O { a: Int } type Query { f(i: O): Int }\"]", "false");
	SVALID("[\"extend type Query { a: Int }\"]", "true");
	SVALID("[\"scalar S extend type S @deprecated\"]", "false");
	SVALID("[1]", "false");
	PARSE("[\"{a}\", \"type Query { a: Nope }\"]",
	      "ERR eval_builtin_error: graphql.parse: Error in gqlparser SchemaDocument to Schema conversion: "
	      "input:1:17: Undefined type Nope.");
	PARSE("[\"{a}\", \"schema { query: Q }\"]",
	      "ERR eval_builtin_error: graphql.parse: Error in gqlparser SchemaDocument to Schema conversion: "
	      "input:1:10: Schema root query refers to a type Q that does not exist.");
	/* OPA numbers graphql.parse's operands from 0 (builtinGraphQLParse) */
	PARSE("[\"{a}\", 1]",
	      "ERR eval_type_error: graphql.parse: operand 1 must be one of {string, object} but got number");
	PARSE("[[], \"type Q { a: Int }\"]",
	      "ERR eval_type_error: graphql.parse: operand 0 must be one of {string, object} but got array");
}

#define SCHEMA                                                                                                   \
	"\"type Query { hero(episode: Episode, id: ID!): Character search(text: String): [Result] } "               \
	"enum Episode { NEWHOPE EMPIRE } interface Character { name: String friends: [Character] } "               \
	"type Human implements Character { name: String friends: [Character] height: Float } "                    \
	"type Droid implements Character { name: String friends: [Character] primaryFunction: String } "          \
	"union Result = Human | Droid type Mutation { like(id: ID!): Int } input In { a: Int! b: String }\""

static void test_validation(void **state)
{
	(void)state;
	VALID("[\"{hero(id: 1) { name ... on Droid { primaryFunction } } }\", " SCHEMA "]", "true");
	VALID("[\"query($e: Episode) {hero(id: 1, episode: $e) { name } }\", " SCHEMA "]", "true");
	VALID("[\"{hero(id: 1) { nam } }\", " SCHEMA "]", "false");
	VALID("[1, " SCHEMA "]", "false");
	PARSE("[\"{hero(id: 1) { nam } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Cannot query field \"nam\" on type \"Character\". Did you mean "
	      "\"name\"? in GraphQL string at location 1:16");
	PARSE("[\"{hero(id: 1) { height } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Cannot query field \"height\" on type \"Character\". Did you "
	      "mean to use an inline fragment on \"Human\"? in GraphQL string at location 1:16");
	PARSE("[\"{hero(id: 1, epizode: NEWHOPE) { name } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Unknown argument \"epizode\" on field \"Query.hero\". Did you "
	      "mean \"episode\"? in GraphQL string at location 1:2");
	PARSE("[\"{hero { name } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Field \"hero\" argument \"id\" of type \"ID!\" is required, but "
	      "it was not provided in GraphQL string at location 1:2");
	PARSE("[\"{hero(id: 1) }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Field \"hero\" of type \"Character\" must have a selection of "
	      "subfields. Did you mean \"hero { ... }\"? in GraphQL string at location 1:2");
	PARSE("[\"query Q($x: Int) {hero(id: 1) { name } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Variable \"$x\" is never used in operation \"Q\" in GraphQL "
	      "string at location 1:9");
	PARSE("[\"query Q {hero(id: $y) { name } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Variable \"$y\" is not defined by operation \"Q\" in GraphQL "
	      "string at location 1:19");
	PARSE("[\"{hero(id: 1, episode: MARS) { name } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Value \"MARS\" does not exist in \"Episode\" enum in GraphQL "
	      "string at location 1:23");
	PARSE("[\"{hero(id: 1) { ...F } } fragment F on Character { ...G } fragment G on Character { ...F }\", " SCHEMA
	      "]",
	      "ERR eval_builtin_error: graphql.parse: Cannot spread fragment \"F\" within itself via \"G\" in GraphQL "
	      "string at location 1:87");
	PARSE("[\"{hero(id: 1) { ...X } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Unknown fragment \"X\" in GraphQL string at location 1:19");
	PARSE("[\"{hero(id: 1) { name } } fragment F on Human { name }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Fragment \"F\" is never used in GraphQL string at location 1:25");
	PARSE("[\"subscription { a }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Schema does not support operation type \"subscription\" in "
	      "GraphQL string at location 1:1");
	PARSE("[\"{ a: search(text: \\\"x\\\") { ... on Human { name } } } { b: search { __typename } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: This anonymous operation must be the only defined operation in "
	      "GraphQL string at location 1:1");
	PARSE("[\"{hero(id: 1) { ... on Episode { __typename } } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Fragment cannot condition on non composite type \"Episode\" in "
	      "GraphQL string at location 1:20");
	PARSE("[\"mutation { like(id: 1.5) }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: ID cannot represent a non-string and non-integer value: 1.5 in "
	      "GraphQL string at location 1:21");
	PARSE("[\"query($i: Int) { hero(id: $i) { name } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Variable \"$i\" of type \"Int\" used in position expecting "
	      "type \"ID!\" in GraphQL string at location 1:27");
	PARSE("[\"{hero(id: 1) @skip(if: true) @skip(if: false) { name } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: The directive \"@skip\" can only be used once at this location in "
	      "GraphQL string at location 1:31");
	/* OverlappingFieldsCanBeMerged */
	VALID("[\"{ hero(id: 1) { name name } h: hero(id: 1) { name } }\", " SCHEMA "]", "true");
	VALID("[\"{ hero(id: 1) { ... on Human { x: height } ... on Droid { x: primaryFunction } } }\", " SCHEMA "]",
	      "false");
	VALID("[\"{ hero(id: 1, episode: EMPIRE) { name } hero(episode: EMPIRE, id: 1) { friends { name } } }\", " SCHEMA
	      "]",
	      "true");
	PARSE("[\"{hero(id: 1) { a: name a: friends { name } } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Fields \"a\" conflict because name and friends are different "
	      "fields. Use different aliases on the fields to fetch both if this was intentional in GraphQL string at "
	      "location 1:24");
	PARSE("[\"{ a: hero(id: 1) { friends { name } } a: hero(id: 1) { friends { name: __typename } } }\", " SCHEMA
	      "]",
	      "ERR eval_builtin_error: graphql.parse: Fields \"a\" conflict because subfields \"friends\" conflict "
	      "because subfields \"name\" conflict because name and __typename are different fields. Use different "
	      "aliases on the fields to fetch both if this was intentional in GraphQL string at location 1:39");
	PARSE("[\"{ a: hero(id: 1) { name } a: hero(id: 2) { name } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Fields \"a\" conflict because they have differing arguments. Use "
	      "different aliases on the fields to fetch both if this was intentional in GraphQL string at location 1:27");
	PARSE("[\"{hero(id: 1) @nope { name } }\", " SCHEMA "]",
	      "ERR eval_builtin_error: graphql.parse: Unknown directive \"@nope\" in GraphQL string at location 1:15");
}

/* AST objects are read back as OPA reads them. */
static void test_ast_objects(void **state)
{
	(void)state;
	const char *schema = "{\"Definitions\": [{\"Kind\": \"OBJECT\", \"Name\": \"Query\", \"Fields\": [{\"Name\": "
	                     "\"a\", \"Type\": {\"NamedType\": \"Int\"}}]}]}";
	char args[1024];
	snprintf(args, sizeof(args),
	         "[{\"Operations\": [{\"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"a\", \"Name\": \"a\"}]}]}, %s]",
	         schema);
	VALID(args, "true");
	snprintf(args, sizeof(args),
	         "[{\"Operations\": [{\"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"b\", \"Name\": \"b\"}]}]}, %s]",
	         schema);
	VALID(args, "false");
	snprintf(args, sizeof(args), "[{\"Operations\": [{\"Name\": 5}]}, %s]", schema);
	VALID(args, "false");
	snprintf(args, sizeof(args), "[{\"Operations\": [{\"Name\": 5}]}, %s]", schema);
	PARSE(args, "ERR eval_builtin_error: graphql.parse: json: cannot unmarshal number into Go struct field "
	            "OperationDefinition.Name of type string in GraphQL string");
	/* the AST returned for an object is the normalised document */
	snprintf(args, sizeof(args), "[{\"Operations\": [{\"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": "
	                             "\"a\", \"Name\": \"a\", \"Extra\": 1}]}]}, %s]",
	         schema);
	PARSE(args, "[{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"a\", "
	            "\"Name\": \"a\"}]}]}, {\"Definitions\": [{\"BuiltIn\": false, \"Description\": \"\", \"Fields\": "
	            "[{\"Description\": \"\", \"Name\": \"a\", \"Type\": {\"NamedType\": \"Int\", \"NonNull\": false}}], "
	            "\"Kind\": \"OBJECT\", \"Name\": \"Query\"}]}]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ast),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_schema),
	    cmocka_unit_test(test_validation),
	    cmocka_unit_test(test_ast_objects),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
