/* The policy gate (src/agent/front_policy.c) on small policies: each kind
 * of answer Kata's agent accepts or refuses, the state ops, policy
 * replacement, AllowRequestsFailingPolicy, and many threads at once. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "cocoon/limits.h"
#include "front_policy.h"
#include "ttrpc.h"

static agent_gate *gate_with(const char *policy)
{
	agent_gate *g = NULL;
	cc_error *e = NULL;
	assert_int_equal(agent_gate_new(AGENT_JSON_BOTH, &g, &e), 0);
	if (agent_gate_set_policy(g, "test.rego", policy, strlen(policy), &e) < 0)
		fail_msg("policy: %s", cc_error_message(e));
	return g;
}

/* Evaluates ep with input json: 1 allowed, 0 denied, or the error code
 * (*msg the message, static). */
static int ask(agent_gate *g, const char *ep, const char *json, const char **msg)
{
	static char buf[1024];
	struct agent_verdict v = {0};
	cc_error *e = NULL;
	int r = agent_gate_eval_json(g, ep, json, strlen(json), &v, &e);
	snprintf(buf, sizeof(buf), "%s", r < 0 ? cc_error_message(e) : (v.prints ? v.prints : ""));
	if (msg)
		*msg = buf;
	if (r < 0) {
		if (cc_error_kind(e) && strcmp(cc_error_kind(e), "INTERNAL") == 0)
			assert_int_equal(ttrpc_error_code(e), TTRPC_INTERNAL);
		cc_error_free(e);
		return r;
	}
	int allowed = v.allowed;
	agent_verdict_clear(&v);
	return allowed;
}

static void test_answers(void **state)
{
	(void)state;
	agent_gate *g = gate_with("package agent_policy\n"
	                          "default A := false\n"
	                          "A { input.x == 1 }\n"
	                          "B := \"yes\"\n"
	                          "C := {\"ops\": []}\n"
	                          "D := {\"allowed\": \"true\"}\n"
	                          "E := {\"allowed\": false, \"ops\": [{\"op\": \"add\", \"path\": "
	                          "\"/pstate/e\", \"value\": 1}]}\n"
	                          "F := {\"allowed\": true, \"extra\": 1}\n"
	                          "G := x { x := [true][_] }\n"
	                          "default H := false\n"
	                          "H { print(\"h says\", input.x); input.x == 2 }\n"
	                          "I[x] { x := [1, 2][_] }\n");
	const char *msg = NULL;
	assert_int_equal(ask(g, "A", "{\"x\": 1}", NULL), 1);
	assert_int_equal(ask(g, "A", "{\"x\": 2}", NULL), 0);
	/* not a boolean or an object: internal errors, as Kata's */
	assert_int_equal(ask(g, "B", "{}", &msg), -EPROTO);
	assert_non_null(strstr(msg, "B: internal error policy check: unexpected eval_query result type"));
	assert_int_equal(ask(g, "C", "{}", &msg), -EPROTO);
	assert_non_null(strstr(msg, "allowed"));
	assert_int_equal(ask(g, "D", "{}", &msg), -EPROTO);
	/* a denial with ops: the ops are not applied */
	assert_int_equal(ask(g, "E", "{}", NULL), 0);
	char *data = agent_gate_data_json(g);
	assert_string_equal(data, "{\"pstate\":{}}");
	free(data);
	/* unknown keys beside "allowed" are ignored (serde) */
	assert_int_equal(ask(g, "F", "{}", NULL), 1);
	int rg = ask(g, "G", "{}", &msg);
	if (rg != 1)
		fail_msg("G: %d %s", rg, msg);
	/* prints: "name:line: text" lines */
	assert_int_equal(ask(g, "H", "{\"x\": 3}", &msg), 0);
	assert_string_equal(msg, "test.rego:11: h says 3\n");
	/* a set: one value, not a boolean */
	assert_int_equal(ask(g, "I", "{}", &msg), -EPROTO);
	/* no rule: no result */
	assert_int_equal(ask(g, "Nope", "{}", &msg), -EPROTO);
	assert_non_null(strstr(msg, "Nope: internal error policy check: unexpected eval_query result len 0"));
	/* an entry point that is not an identifier never becomes a query */
	assert_int_equal(ask(g, "A; data.x", "{}", &msg), -EINVAL);
	assert_int_equal(ask(g, "", "{}", &msg), -EINVAL);
	/* input that is not JSON */
	assert_int_equal(ask(g, "A", "{nope", &msg), -EPROTO);
	agent_gate_free(g);
}

static void test_state_ops(void **state)
{
	(void)state;
	agent_gate *g = gate_with(
	    "package agent_policy\n"
	    "Add := {\"allowed\": true, \"ops\": [{\"op\": \"add\", \"path\": concat(\"\", "
	    "[\"/pstate/\", input.k]), \"value\": input.v}]}\n"
	    "Remove := {\"allowed\": true, \"ops\": [{\"op\": \"remove\", \"path\": concat(\"\", "
	    "[\"/pstate/\", input.k])}]}\n"
	    "Has { data.pstate[input.k] == input.v }\n"
	    "Bad := {\"allowed\": true, \"ops\": [{\"op\": \"jump\", \"path\": \"/pstate\"}]}\n");
	assert_int_equal(ask(g, "Add", "{\"k\": \"c1\", \"v\": 3}", NULL), 1);
	assert_int_equal(ask(g, "Has", "{\"k\": \"c1\", \"v\": 3}", NULL), 1);
	assert_int_equal(ask(g, "Remove", "{\"k\": \"c1\"}", NULL), 1);
	assert_int_equal(ask(g, "Has", "{\"k\": \"c1\", \"v\": 3}", NULL), -EPROTO); /* undefined */
	/* an op that cannot apply: an internal error, the state as it was */
	assert_int_equal(ask(g, "Add", "{\"k\": \"c2\", \"v\": 1}", NULL), 1);
	const char *msg = NULL;
	assert_int_equal(ask(g, "Remove", "{\"k\": \"zz\"}", &msg), -EPROTO);
	assert_non_null(strstr(msg, "applying the policy's ops"));
	assert_int_equal(ask(g, "Bad", "{}", NULL), -EPROTO);
	char *data = agent_gate_data_json(g);
	assert_string_equal(data, "{\"pstate\":{\"c2\":1}}");
	free(data);
	/* a new policy starts from {"pstate": {}} */
	cc_error *e = NULL;
	const char *p2 = "package agent_policy\nX := true\n";
	assert_int_equal(agent_gate_set_policy(g, "p2", p2, strlen(p2), &e), 0);
	data = agent_gate_data_json(g);
	assert_string_equal(data, "{\"pstate\":{}}");
	free(data);
	agent_gate_free(g);
}

static void test_replace_and_failing(void **state)
{
	(void)state;
	agent_gate *g = NULL;
	cc_error *e = NULL;
	assert_int_equal(agent_gate_new(AGENT_JSON_KATA, &g, &e), 0);
	const char *msg = NULL;
	/* no policy yet */
	assert_int_equal(ask(g, "X", "{}", &msg), -EPROTO);
	assert_non_null(strstr(msg, "no policy is loaded"));
	/* bad policies are refused, the old one stays */
	const char *good = "package agent_policy\nX := true\n";
	assert_int_equal(agent_gate_set_policy(g, "good", good, strlen(good), &e), 0);
	const char *bad[] = {"package agent_policy\nX := {{\n", "package agent_policy\nimport data.nope.\n",
	                     "package agent_policy\nX { y }\n"};
	for (size_t i = 0; i < 3; i++) {
		assert_true(agent_gate_set_policy(g, "bad", bad[i], strlen(bad[i]), &e) < 0);
		assert_non_null(strstr(cc_error_message(e), "policy bad"));
		cc_error_free(e);
		e = NULL;
		assert_int_equal(ask(g, "X", "{}", NULL), 1);
	}
	/* too big */
	size_t big = CC_REGO_MAX_POLICY_BYTES + 1;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	assert_int_equal(agent_gate_set_policy(g, "huge", huge, big, &e), -E2BIG);
	cc_error_free(e);
	e = NULL;
	free(huge);
	/* AllowRequestsFailingPolicy: denials and missing answers allowed,
	 * errors stay errors */
	const char *lax = "package agent_policy\nAllowRequestsFailingPolicy := true\n"
	                  "default D := false\nS := \"x\"\n";
	assert_int_equal(agent_gate_set_policy(g, "lax", lax, strlen(lax), &e), 0);
	assert_true(agent_gate_allows_failing(g));
	struct agent_verdict v = {0};
	assert_int_equal(agent_gate_eval_json(g, "D", "{}", 2, &v, &e), 0);
	assert_true(v.allowed && v.failing_allowed);
	agent_verdict_clear(&v);
	assert_int_equal(agent_gate_eval_json(g, "Undefined", "{}", 2, &v, &e), 0);
	assert_true(v.allowed && v.failing_allowed);
	agent_verdict_clear(&v);
	assert_int_equal(ask(g, "S", "{}", NULL), -EPROTO);
	/* as a {allowed} object too; and not inherited by the next policy */
	const char *lax2 = "package agent_policy\nAllowRequestsFailingPolicy := {\"allowed\": true}\n";
	assert_int_equal(agent_gate_set_policy(g, "lax2", lax2, strlen(lax2), &e), 0);
	assert_true(agent_gate_allows_failing(g));
	assert_int_equal(agent_gate_set_policy(g, "good", good, strlen(good), &e), 0);
	assert_false(agent_gate_allows_failing(g));
	assert_int_equal(ask(g, "Undefined", "{}", NULL), -EPROTO);
	/* the built-in allow-all allows every request cocoon serves */
	assert_int_equal(agent_gate_set_policy(g, "allow-all.rego", agent_allow_all_policy,
	                                       strlen(agent_allow_all_policy), &e),
	                 0);
	assert_int_equal(ask(g, "CreateContainerRequest", "{}", NULL), 1);
	assert_int_equal(ask(g, "SetPolicyRequest", "{}", NULL), 1);
	assert_int_equal(ask(g, "ReadStreamRequest", "{}", NULL), 1);
	/* files */
	assert_int_equal(agent_gate_load_file(g, "/nonexistent/p.rego", &e), -ENOENT);
	assert_non_null(strstr(cc_error_message(e), "/nonexistent/p.rego"));
	cc_error_free(e);
	agent_gate_free(g);
}

/* A request message through the gate: the input is its Kata JSON. */
static void test_pb_requests(void **state)
{
	(void)state;
	agent_gate *g = gate_with(
	    "package agent_policy\n"
	    "default CopyFileRequest := false\n"
	    "CopyFileRequest { input.file_type == \"Regular\"; startswith(input.path, \"/run/\") }\n"
	    "default WriteStreamRequest := false\n"
	    "WriteStreamRequest { input.data == [104, 105] }\n");
	struct agent_verdict v = {0};
	cc_error *e = NULL;
	Grpc__CopyFileRequest c = GRPC__COPY_FILE_REQUEST__INIT;
	c.path = (char *)"/run/x";
	c.file_mode = 0100644;
	assert_int_equal(agent_gate_eval_pb(g, &c.base, &v, &e), 0);
	assert_true(v.allowed);
	agent_verdict_clear(&v);
	c.path = (char *)"/etc/x";
	assert_int_equal(agent_gate_eval_pb(g, &c.base, &v, &e), 0);
	assert_false(v.allowed);
	agent_verdict_clear(&v);
	uint8_t bad[] = {0xff};
	c.file_mode = 0120777;
	c.data.data = bad;
	c.data.len = 1;
	assert_int_equal(agent_gate_eval_pb(g, &c.base, &v, &e), -EINVAL);
	cc_error_free(e);
	e = NULL;
	Grpc__WriteStreamRequest w = GRPC__WRITE_STREAM_REQUEST__INIT;
	uint8_t hi[] = {'h', 'i'};
	w.data.data = hi;
	w.data.len = 2;
	assert_int_equal(agent_gate_eval_pb(g, &w.base, &v, &e), 0);
	assert_true(v.allowed);
	agent_verdict_clear(&v);
	agent_gate_free(g);
}

/* A CreateContainerRequest rule that hits an engine limit denies with an
 * INTERNAL error, never allows: under `not` (regorus once made a regex
 * limit "undefined", so `not regex.match` allowed), with a default, in a
 * function. The agent's settings are non-strict, where an ordinary
 * builtin error is undefined; a limit is not. */
static void test_limit_denies(void **state)
{
	(void)state;
	agent_gate *g = gate_with("package agent_policy\n"
	                          "default CreateContainerRequest := false\n"
	                          "CreateContainerRequest { not regex.match(\"^(a+)+$\", input.s) }\n"
	                          "default ExecProcessRequest := true\n"
	                          "ExecProcessRequest := false { big(input.n) > 0 }\n"
	                          "big(n) := bits.lsh(1, n)\n");
	char in[256];
	int k = snprintf(in, sizeof(in), "{\"s\": \"");
	for (int i = 0; i < 64; i++)
		in[k++] = 'a';
	snprintf(in + k, sizeof(in) - (size_t)k, "!\"}");
	const char *msg = NULL;
	assert_int_equal(ask(g, "CreateContainerRequest", in, &msg), -EPROTO);
	assert_non_null(strstr(msg, "CreateContainerRequest: internal error"));
	assert_non_null(strstr(msg, "match limit"));
	/* a short subject decides normally */
	assert_int_equal(ask(g, "CreateContainerRequest", "{\"s\": \"b\"}", NULL), 1);
	assert_int_equal(ask(g, "CreateContainerRequest", "{\"s\": \"aa\"}", NULL), 0);
	/* an integer over the cap, in a function, under a default true */
	assert_int_equal(ask(g, "ExecProcessRequest", "{\"n\": 100000000}", &msg), -EPROTO);
	assert_non_null(strstr(msg, "ExecProcessRequest: internal error"));
	assert_int_equal(ask(g, "ExecProcessRequest", "{\"n\": 3}", NULL), 0);
	agent_gate_free(g);
}

/* Many threads ask at once (the gate serializes, as Kata's mutex does);
 * each sees its own answer and the state counts every allowed request. */
struct worker {
	agent_gate *g;
	int id;
	int wrong;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 200; i++) {
		char in[64];
		snprintf(in, sizeof(in), "{\"k\": \"t%d_%d\", \"odd\": %s}", w->id, i,
		         i % 2 ? "true" : "false");
		int r = ask(w->g, "Req", in, NULL);
		if (r != (i % 2))
			w->wrong++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	agent_gate *g = gate_with("package agent_policy\n"
	                          "default Req := false\n"
	                          "Req := {\"allowed\": true, \"ops\": [{\"op\": \"add\", \"path\": "
	                          "concat(\"\", [\"/pstate/\", input.k]), \"value\": 1}]} { input.odd }\n");
	pthread_t t[8];
	struct worker w[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){g, i, 0};
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].wrong, 0);
	}
	char *data = agent_gate_data_json(g);
	size_t n = 0;
	for (const char *p = data; (p = strstr(p, ":1")) != NULL; p += 2)
		n++;
	assert_int_equal(n, 8 * 100);
	free(data);
	agent_gate_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answers),         cmocka_unit_test(test_state_ops),
	    cmocka_unit_test(test_replace_and_failing), cmocka_unit_test(test_pb_requests),
	    cmocka_unit_test(test_threads),         cmocka_unit_test(test_limit_denies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
