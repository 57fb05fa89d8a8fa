/* Unit tests for json.verify_schema and json.match_schema
 * (lib/rego/bi/jsonschema*.c): gojsonschema's error texts and order, $ref
 * inside the document, draft 4/6 forms, and the bounds on $ref cycles. */
#include "bi_test.h"

#define VERIFY(args, want) T_EQ(rbi_group_jsonschema, "json.verify_schema", args, want)
#define MATCH(args, want) T_EQ(rbi_group_jsonschema, "json.match_schema", args, want)

static void test_verify(void **state)
{
	(void)state;
	VERIFY("[{\"type\": \"boolean\"}]", "[true, null]");
	VERIFY("[\"true\"]", "[true, null]");
	VERIFY("[\"{\"]", "[false, \"jsonschema: invalid JSON string\"]");
	VERIFY("[{\"type\": \"x\"}]",
	       "[false, \"jsonschema: has a primitive type that is NOT VALID -- given: /x/ Expected "
	       "valid values are:[array boolean integer number null object string]\"]");
	VERIFY("[{\"type\": [\"string\", \"string\"]}]", "[false, \"jsonschema: string type is duplicated\"]");
	VERIFY("[{\"minimum\": \"1\"}]", "[false, \"jsonschema: minimum must be of a number\"]");
	VERIFY("[{\"minLength\": -1}]",
	       "[false, \"jsonschema: minLength must be greater than or equal to 0\"]");
	VERIFY("[{\"minLength\": 2, \"maxLength\": 1}]",
	       "[false, \"jsonschema: minLength cannot be greater than maxLength\"]");
	VERIFY("[{\"exclusiveMinimum\": true}]",
	       "[false, \"jsonschema: exclusiveMinimum cannot be used without minimum\"]");
	VERIFY("[{\"pattern\": \"(\"}]", "[false, \"jsonschema: pattern must be a valid regex\"]");
	VERIFY("[{\"$ref\": \"#/definitions/a\"}]",
	       "[false, \"jsonschema: Object has no key 'definitions'\"]");
	VERIFY("[{\"$ref\": \"http://example.com/s.json\"}]",
	       "[false, \"jsonschema: Reference http://example.com/s.json must be canonical\"]");
	VERIFY("[{\"$ref\": \"#\"}]", "[true, null]");
	/* OPA: not a type error, a result naming the wrong type */
	VERIFY("[1]", "[false, \"jsonschema: wrong type, expected string or object\"]");
}

static void test_match(void **state)
{
	(void)state;
	MATCH("[{\"id\": 5}, {\"properties\": {\"id\": {\"type\": \"integer\"}}, \"required\": [\"id\"]}]",
	      "[true, []]");
	MATCH("[1, {}]", "ERR eval_builtin_error: json.match_schema: wrong type, expected string or object");
	MATCH("[{}, null]", "ERR eval_builtin_error: json.match_schema: wrong type, expected string or object");
	MATCH("[[1], {\"type\": \"array\"}]", "[true, []]");
	MATCH("[{}, {\"required\": [\"id\"]}]",
	      "[false, [{\"desc\": \"id is required\", \"error\": \"(root): id is required\", "
	      "\"field\": \"(root)\", \"type\": \"required\"}]]");
	MATCH("[{\"a\": [1, 1]}, {\"properties\": {\"a\": {\"uniqueItems\": true, \"maxItems\": 1}}}]",
	      "[false, [{\"desc\": \"Array must have at most 1 items\", \"error\": \"a: Array must have "
	      "at most 1 items\", \"field\": \"a\", \"type\": \"array_max_items\"}, {\"desc\": \"array "
	      "items[0,1] must be unique\", \"error\": \"a: array items[0,1] must be unique\", "
	      "\"field\": \"a\", \"type\": \"unique\"}]]");
	MATCH("[{\"a\": 1.5}, {\"properties\": {\"a\": {\"minimum\": 2, \"multipleOf\": 0.5}}}]",
	      "[false, [{\"desc\": \"Must be greater than or equal to 2\", \"error\": \"a: Must be "
	      "greater than or equal to 2\", \"field\": \"a\", \"type\": \"number_gte\"}]]");
	/* draft 4 boolean exclusiveMaximum, draft 6 number */
	MATCH("[{\"a\": 3, \"b\": 3}, {\"properties\": {\"a\": {\"maximum\": 3, \"exclusiveMaximum\": "
	      "true}, \"b\": {\"exclusiveMaximum\": 3}}}]",
	      "[false, [{\"desc\": \"Must be less than 3\", \"error\": \"a: Must be less than 3\", "
	      "\"field\": \"a\", \"type\": \"number_lt\"}, {\"desc\": \"Must be less than 3\", "
	      "\"error\": \"b: Must be less than 3\", \"field\": \"b\", \"type\": \"number_lt\"}]]");
	MATCH("[{\"x\": 1}, {\"additionalProperties\": false}]",
	      "[false, [{\"desc\": \"Additional property x is not allowed\", \"error\": \"(root): "
	      "Additional property x is not allowed\", \"field\": \"(root)\", \"type\": "
	      "\"additional_property_not_allowed\"}]]");
	/* anyOf reports the closest branch */
	MATCH("[\"{\\\"a\\\": \\\"x\\\"}\", {\"anyOf\": [{\"type\": \"array\"}, {\"properties\": {\"a\": "
	      "{\"type\": \"integer\"}}}]}]",
	      "[false, [{\"desc\": \"Must validate at least one schema (anyOf)\", \"error\": \"(root): "
	      "Must validate at least one schema (anyOf)\", \"field\": \"(root)\", \"type\": "
	      "\"number_any_of\"}, {\"desc\": \"Invalid type. Expected: integer, given: string\", "
	      "\"error\": \"a: Invalid type. Expected: integer, given: string\", \"field\": \"a\", "
	      "\"type\": \"invalid_type\"}]]");
	MATCH("[{\"a\": {\"b\": \"x\"}}, {\"definitions\": {\"n\": {\"type\": \"object\", \"properties\": "
	      "{\"b\": {\"$ref\": \"#/definitions/n\"}}}}, \"properties\": {\"a\": {\"$ref\": "
	      "\"#/definitions/n\"}}}]",
	      "[false, [{\"desc\": \"Invalid type. Expected: object, given: string\", \"error\": \"a.b: "
	      "Invalid type. Expected: object, given: string\", \"field\": \"a.b\", \"type\": "
	      "\"invalid_type\"}]]");
	MATCH("[{}, {\"properties\": {\"id\": {\"type\": \"unknown\"}}}]",
	      "ERR eval_builtin_error: json.match_schema: has a primitive type that is NOT VALID -- "
	      "given: /unknown/ Expected valid values are:[array boolean integer number null object "
	      "string]");
}

/* A $ref cycle that consumes no input ends with a limit error, never a
 * crash or "valid". */
static void test_limits(void **state)
{
	(void)state;
	MATCH("[{}, {\"$ref\": \"#\"}]",
	      "ERR eval_cancel_error: json.match_schema: schema validation nested too deep ($ref cycle?)");
	/* three branches per level over 20 nested arrays: 3^20 sub-validations */
	char args[256];
	int o = snprintf(args, sizeof(args), "[\"");
	for (int i = 0; i < 20; i++)
		args[o++] = '[';
	for (int i = 0; i < 20; i++)
		args[o++] = ']';
	snprintf(args + o, sizeof(args) - (size_t)o,
	         "\", {\"allOf\": [{\"items\": {\"$ref\": \"#\"}}, {\"items\": {\"$ref\": "
	         "\"#\"}}, {\"items\": {\"$ref\": \"#\"}}]}]");
	MATCH(args, "ERR eval_cancel_error: json.match_schema: schema validation step limit exceeded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
