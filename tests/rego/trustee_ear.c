/* Evaluates Trustee's EAR attestation policy (ear_default_policy_cpu.rego,
 * Rego v1) the way Trustee's attestation service does: a fresh engine per
 * evaluation, the host function query_reference_value(id) answering from
 * the case's reference values (as the RVPS would; a missing id is
 * undefined), then data.policy.<rule> for every rule the case expects.
 *
 * Usage: trustee-ear CASES.json POLICY.rego   (exit 0 iff all match) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/rego.h"

static int query_reference_value(void *ctx, const char *const *args, size_t nargs, char **ret,
                                 cc_error **err)
{
	json_t *rvs = ctx;
	json_t *id = nargs == 1 ? json_loads(args[0], JSON_DECODE_ANY, NULL) : NULL;
	if (!json_is_string(id)) {
		json_decref(id);
		return cc_error_set(err, -22, "reference value id must be a string");
	}
	json_t *v = json_object_get(rvs, json_string_value(id));
	json_decref(id);
	*ret = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

static int run_case(json_t *c, const char *policy, size_t plen)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *rvs = json_object_get(c, "reference_values");
	json_t *want = json_object_get(c, "want");
	rego_engine *e = rego_engine_new(NULL);
	cc_error *err = NULL;
	char *input = json_dumps(json_object_get(c, "input"), JSON_COMPACT);
	int ok = e && input &&
	         rego_engine_register_function(e, "query_reference_value", 1, query_reference_value, rvs,
	                                       &err) == 0 &&
	         rego_engine_add_policy(e, "ear_default_policy_cpu.rego", policy, plen, &err) == 0 &&
	         rego_engine_set_input_json(e, input, strlen(input), &err) == 0;
	const char *rule;
	json_t *wv;
	json_object_foreach(want, rule, wv)
	{
		if (!ok)
			break;
		char q[256];
		snprintf(q, sizeof(q), "data.policy.%s", rule);
		const rego_result *res;
		if (rego_engine_eval(e, q, &res, &err) < 0) {
			ok = 0;
			break;
		}
		char *got = rego_result_rows(res) == 1 ? rego_result_value_json(res, 0, 0) : NULL;
		json_t *gv = got ? json_loads(got, JSON_DECODE_ANY, NULL) : NULL;
		if (gv == NULL || !json_equal(gv, wv)) {
			char *ws = json_dumps(wv, JSON_COMPACT | JSON_ENCODE_ANY);
			fprintf(stderr, "%s: %s: want %s, got %s\n", name, rule, ws, got ? got : "undefined");
			free(ws);
			ok = 0;
		}
		json_decref(gv);
		free(got);
	}
	if (err) {
		char *m = cc_error_format(err);
		fprintf(stderr, "%s: %s\n", name, m);
		free(m);
		cc_error_free(err);
	}
	free(input);
	rego_engine_free(e);
	printf("%s: %s\n", ok ? "PASS" : "FAIL", name);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: trustee-ear CASES.json POLICY.rego\n");
		return 2;
	}
	json_error_t je;
	json_t *cases = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &je);
	size_t plen;
	char *policy = slurp(argv[2], &plen);
	if (cases == NULL || policy == NULL) {
		fprintf(stderr, "cannot read %s or %s: %s\n", argv[1], argv[2], je.text);
		return 2;
	}
	int pass = 0, fail = 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(cases, "cases"), i, c)
	{
		if (run_case(c, policy, plen))
			pass++;
		else
			fail++;
	}
	printf("%d passed, %d failed\n", pass, fail);
	json_decref(cases);
	free(policy);
	return (fail || pass == 0) ? 1 : 0;
}
