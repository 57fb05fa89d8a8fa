/* Unit tests: every evaluation limit ends in a clean error, never a crash
 * (lib/rego/eval*.c, engine.c). The memory test fails the evaluation
 * arena's allocations at every size from a few bytes up, in the spirit of
 * curl's torture mode: each run either succeeds with the right answer or
 * reports the memory limit, and ASan checks nothing leaks or overflows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "cocoon/rego.h"

static const char rbac[] =
    "package app.rbac\n"
    "default allow := false\n"
    "allow if user_is_admin\n"
    "allow if {\n"
    "  some grant in user_is_granted\n"
    "  input.action == grant.action\n"
    "  input.type == grant.type\n"
    "}\n"
    "user_is_admin if \"admin\" in data.user_roles[input.user]\n"
    "user_is_granted contains grant if {\n"
    "  some role in data.user_roles[input.user]\n"
    "  some grant in data.role_grants[role]\n"
    "}\n"
    "names := [sprintf(\"%s-%d\", [u, count(r)]) | some u, r in data.user_roles]\n";

static const char rbac_data[] =
    "{\"user_roles\": {\"alice\": [\"admin\"], \"bob\": [\"employee\", \"billing\"]},"
    " \"role_grants\": {\"employee\": [{\"action\": \"read\", \"type\": \"dog\"}],"
    " \"billing\": [{\"action\": \"update\", \"type\": \"finance\"}]}}";

static const char rbac_input[] = "{\"user\": \"bob\", \"action\": \"update\", \"type\": \"finance\"}";

static rego_engine *engine_with(const struct rego_options *o, const char *policy)
{
	rego_engine *e = rego_engine_new(o);
	assert_non_null(e);
	cc_error *err = NULL;
	assert_int_equal(rego_engine_add_policy(e, "t.rego", policy, strlen(policy), &err), 0);
	assert_int_equal(rego_engine_add_data_json(e, rbac_data, strlen(rbac_data), &err), 0);
	assert_int_equal(rego_engine_set_input_json(e, rbac_input, strlen(rbac_input), &err), 0);
	return e;
}

static void test_memory_limit_every_size(void **state)
{
	(void)state;
	int ok = 0, limited = 0;
	for (size_t limit = 16; limit < (8u << 20); limit += limit / 8 + 16) {
		struct rego_options o;
		rego_options_default(&o);
		o.max_memory = limit;
		rego_engine *e = engine_with(&o, rbac);
		const rego_result *r;
		cc_error *err = NULL;
		int rc = rego_engine_eval(e, "x := data.app.rbac; y := data.app.rbac.names", &r, &err);
		if (rc == 0) {
			char *v = rego_result_binding_json(r, 0, "x");
			assert_non_null(v);
			assert_non_null(strstr(v, "\"allow\":true"));
			free(v);
			ok++;
		} else {
			assert_int_equal(rc, -ENOMEM);
			assert_non_null(cc_error_kind(err));
			assert_string_equal(cc_error_kind(err), "eval_memory_limit_error");
			limited++;
		}
		cc_error_free(err);
		rego_engine_free(e);
	}
	assert_true(ok > 0);
	assert_true(limited > 0);
}

/* The same sweep over a real Kata agent policy and request: regex, string
 * and print paths run out of memory at every point too. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	cc_buf b;
	cc_buf_init(&b, 0);
	char tmp[8192];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		cc_buf_add(&b, tmp, n);
	fclose(f);
	return cc_buf_steal(&b, len);
}

static void test_memory_limit_kata(void **state)
{
	(void)state;
	const char *dir = getenv("KATA_WEB_DIR");
	if (dir == NULL)
		skip();
	char path[4096];
	size_t plen, ilen;
	snprintf(path, sizeof(path), "%s/policy.rego", dir);
	char *pol = slurp(path, &plen);
	snprintf(path, sizeof(path), "%s/inputs.txt", dir);
	char *inputs = slurp(path, &ilen);
	assert_non_null(pol);
	assert_non_null(inputs);
	/* The first recorded CreateContainerRequest. */
	char *line = strstr(inputs, "\"ep\":\"CreateContainerRequest\"");
	assert_non_null(line);
	char *obj = strchr(line, '{');
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	char *end = strrchr(obj, '}');
	assert_non_null(end);
	size_t jlen = (size_t)(end - obj) + 1;
	int ok = 0, limited = 0;
	for (size_t limit = 64; limit < (16u << 20); limit += limit / 4 + 64) {
		struct rego_options o;
		rego_options_default(&o);
		o.v0 = true;
		o.early_exit = REGO_EARLY_EXIT_BODY;
		o.max_memory = limit;
		rego_engine *e = rego_engine_new(&o);
		cc_error *err = NULL;
		assert_int_equal(rego_engine_add_policy(e, "policy.rego", pol, plen, &err), 0);
		assert_int_equal(rego_engine_set_input_json(e, obj, jlen, &err), 0);
		const rego_result *r;
		int rc = rego_engine_eval(e, "data.agent_policy.CreateContainerRequest", &r, &err);
		if (rc == 0) {
			assert_true(rego_result_is_true(r));
			ok++;
		} else {
			assert_int_equal(rc, -ENOMEM);
			assert_non_null(cc_error_kind(err));
			assert_string_equal(cc_error_kind(err), "eval_memory_limit_error");
			limited++;
		}
		cc_error_free(err);
		rego_engine_free(e);
	}
	assert_true(ok > 0 && limited > 0);
	free(pol);
	free(inputs);
}

static void test_step_limit(void **state)
{
	(void)state;
	struct rego_options o;
	rego_options_default(&o);
	o.max_steps = 10000;
	rego_engine *e = engine_with(&o, "package t\nn := count([x | some x in numbers.range(1, 1000000)])\n");
	const rego_result *r;
	cc_error *err = NULL;
	assert_int_not_equal(rego_engine_eval(e, "data.t.n", &r, &err), 0);
	assert_string_equal(cc_error_kind(err), "eval_cancel_error");
	assert_non_null(strstr(cc_error_message(err), "step limit"));
	cc_error_free(err);
	rego_engine_free(e);
}

/* A chain f0 -> f1 -> ... deeper than the depth limit (no recursion). */
static char *chain_policy(int n)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	cc_buf_adds(&b, "package t\n");
	for (int i = 0; i < n; i++)
		cc_buf_printf(&b, "f%d(x) := f%d(x + 1)\n", i, i + 1);
	cc_buf_printf(&b, "f%d(x) := x\np := f0(0)\n", n);
	return cc_buf_steal(&b, NULL);
}

static void test_depth_limit(void **state)
{
	(void)state;
	char *pol = chain_policy(300);
	struct rego_options o;
	rego_options_default(&o);
	o.max_depth = 100;
	rego_engine *e = engine_with(&o, pol);
	const rego_result *r;
	cc_error *err = NULL;
	assert_int_not_equal(rego_engine_eval(e, "data.t.p", &r, &err), 0);
	assert_string_equal(cc_error_kind(err), "eval_cancel_error");
	assert_non_null(strstr(cc_error_message(err), "depth limit"));
	cc_error_free(err);
	err = NULL;
	rego_engine_free(e);
	/* Within the limit the same chain evaluates. */
	o.max_depth = 1000;
	e = engine_with(&o, pol);
	assert_int_equal(rego_engine_eval(e, "data.t.p", &r, &err), 0);
	char *v = rego_result_value_json(r, 0, 0);
	assert_string_equal(v, "300");
	free(v);
	rego_engine_free(e);
	free(pol);
}

static void test_stack_limit(void **state)
{
	(void)state;
	char *pol = chain_policy(400);
	struct rego_options o;
	rego_options_default(&o);
	o.max_stack = 16 * 1024;
	rego_engine *e = engine_with(&o, pol);
	const rego_result *r;
	cc_error *err = NULL;
	assert_int_not_equal(rego_engine_eval(e, "data.t.p", &r, &err), 0);
	assert_string_equal(cc_error_kind(err), "eval_cancel_error");
	assert_non_null(strstr(cc_error_message(err), "stack limit"));
	cc_error_free(err);
	rego_engine_free(e);
	free(pol);
}

static void test_policy_size_limit(void **state)
{
	(void)state;
	struct rego_options o;
	rego_options_default(&o);
	o.max_policy_bytes = 64;
	rego_engine *e = rego_engine_new(&o);
	cc_error *err = NULL;
	char big[200];
	memset(big, ' ', sizeof(big));
	memcpy(big, "package t\n", 10);
	assert_int_not_equal(rego_engine_add_policy(e, "big.rego", big, sizeof(big), &err), 0);
	assert_string_equal(cc_error_kind(err), "rego_parse_error");
	cc_error_free(err);
	rego_engine_free(e);
}

static void test_bad_input_keeps_state(void **state)
{
	(void)state;
	rego_engine *e = engine_with(NULL, rbac);
	cc_error *err = NULL;
	/* Duplicate keys are refused and the data document is unchanged. */
	static const char dup[] = "{\"user_roles\": {}, \"user_roles\": {\"bob\": [\"admin\"]}}";
	assert_int_not_equal(rego_engine_add_data_json(e, dup, strlen(dup), &err), 0);
	cc_error_free(err);
	err = NULL;
	static const char bad_patch[] = "[{\"op\": \"remove\", \"path\": \"/nope/x\"}]";
	assert_int_not_equal(rego_engine_patch_data_json(e, bad_patch, strlen(bad_patch), &err), 0);
	cc_error_free(err);
	err = NULL;
	/* A bad input document keeps the previous input. */
	assert_int_not_equal(rego_engine_set_input_json(e, "{\"user\": ", 9, &err), 0);
	cc_error_free(err);
	err = NULL;
	const rego_result *r;
	assert_int_equal(rego_engine_eval(e, "data.app.rbac.allow", &r, &err), 0);
	assert_true(rego_result_is_true(r));
	rego_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memory_limit_every_size),
	    cmocka_unit_test(test_memory_limit_kata),
	    cmocka_unit_test(test_step_limit),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_stack_limit),
	    cmocka_unit_test(test_policy_size_limit),
	    cmocka_unit_test(test_bad_input_keeps_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
