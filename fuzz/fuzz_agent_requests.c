/* libFuzzer target: a request of grpc.AgentService as cocoon-agent handles
 * it before the runtime (src/agent, docs/agent.md): the first byte picks
 * the method, the rest is its request payload. Like the agent, it is
 * validated and decoded (ttrpc_pb_unpack: bounded, UTF-8, depth), turned
 * into Kata's policy input in every shape (agent_json_from_pb), and put to
 * the gate with a built-in allow-all policy. Oracles: the input document
 * is always JSON an engine accepts (no duplicate keys); converting the
 * message again after a re-encode gives the same text; the gate allows it
 * (only a symlink target that is not UTF-8 may be refused, and only with
 * INVALID_ARGUMENT). Seed corpus: fuzz/corpus/agent_requests/ (the
 * recorded Kata requests, encoded; tests/agent/make_agent_seeds.c).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "front_json.h"
#include "front_policy.h"
#include "fuzz.h"
#include "ttrpc.h"

static agent_gate *gate;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (agent_gate_new(AGENT_JSON_BOTH, &gate, NULL) < 0 ||
	    agent_gate_set_policy(gate, "allow-all.rego", agent_allow_all_policy,
	                          strlen(agent_allow_all_policy), NULL) < 0)
		abort();
	return 0;
}

/* The input document of m in one shape; checks it; returns it (or NULL
 * when Kata could not build one either). */
static char *input_of(const ProtobufCMessage *m, enum agent_json_shape shape)
{
	char *s = NULL;
	size_t n = 0;
	cc_error *e = NULL;
	int r = agent_json_from_pb(m, shape, 0, &s, &n, &e);
	if (r < 0) {
		/* only CopyFile's symlink target can be refused */
		if (r != -EINVAL || m->descriptor != &grpc__copy_file_request__descriptor)
			abort();
		cc_error_free(e);
		return NULL;
	}
	if (strlen(s) != n)
		abort();
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (!json_is_object(j))
		abort();
	json_decref(j);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (gate == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	const ProtobufCServiceDescriptor *sd = &grpc__agent_service__descriptor;
	const ProtobufCMessageDescriptor *d = sd->methods[data[0] % sd->n_methods].input;
	ProtobufCMessage *m = NULL;
	if (ttrpc_pb_unpack(d, data + 1, size - 1, &m, NULL) < 0)
		return 0; /* refused before the gate, as the server does */
	char *inputs[4] = {NULL};
	enum agent_json_shape shapes[] = {AGENT_JSON_BOTH, AGENT_JSON_KATA, AGENT_JSON_KATA_2024,
	                                  AGENT_JSON_KATA_2023};
	for (size_t i = 0; i < 4; i++)
		inputs[i] = input_of(m, shapes[i]);
	/* a re-encoded message converts to the same text */
	uint8_t *wire = NULL;
	size_t wlen = 0;
	if (ttrpc_pb_pack(m, &wire, &wlen, NULL) < 0)
		abort();
	ProtobufCMessage *m2 = NULL;
	if (ttrpc_pb_unpack(d, wire, wlen, &m2, NULL) < 0)
		abort();
	char *again = input_of(m2, AGENT_JSON_BOTH);
	if ((again == NULL) != (inputs[0] == NULL) || (again && strcmp(again, inputs[0]) != 0))
		abort();
	free(again);
	free(wire);
	ttrpc_pb_free(m2);
	/* the gate (allow-all) */
	struct agent_verdict v = {0};
	cc_error *e = NULL;
	int r = agent_gate_eval_pb(gate, m, &v, &e);
	if (r == 0 && !v.allowed)
		abort();
	if (r < 0 && (r != -EINVAL || inputs[0] != NULL))
		abort();
	agent_verdict_clear(&v);
	cc_error_free(e);
	for (size_t i = 0; i < 4; i++)
		free(inputs[i]);
	ttrpc_pb_free(m);
	return 0;
}
