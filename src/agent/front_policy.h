/* cocoon-agent's policy gate (docs/agent.md, "The policy gate"): Kata's
 * agent policy semantics (../shared/reference/kata.md §4.2) on
 * libcocoon-rego.
 *
 * One policy at a time, in an engine that sees Rego v0, non-strict builtin
 * errors, print output gathered, body-level early exit (as regorus), base
 * data {"pstate": {}}. A request named <ep> (its message name,
 * "CreateContainerRequest") is allowed when data.agent_policy.<ep> is true,
 * or an object {"allowed": true, "ops": [...]} whose JSON-patch ops are
 * then applied to the data (the policy's state). AllowRequestsFailingPolicy
 * (read once per load) turns denials and missing answers into allows.
 *
 * Thread-safe: one mutex around the engine, as Kata's AGENT_POLICY. */
#ifndef COCOON_AGENT_FRONT_POLICY_H
#define COCOON_AGENT_FRONT_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "cocoon/error.h"
#include "front_json.h"

typedef struct agent_gate agent_gate;

/* Where Kata's agent finds its boot-time policy (kata.md §4.2). */
#define AGENT_DEFAULT_POLICY_FILE "/etc/kata-opa/default-policy.rego"

/* The policy cocoon-agent uses when it is given none and the default file
 * does not exist: what Kata installs as that file by default
 * (src/kata-opa/allow-all.rego): every request allowed. */
extern const char agent_allow_all_policy[];

struct agent_verdict {
	bool allowed;         /* the request may run */
	bool failing_allowed; /* allowed only by AllowRequestsFailingPolicy */
	char *prints;         /* the evaluation's print output, one line per print
	                       * (malloc'd; "" when none) */
	char *why;            /* a denial's trace (rego --explain fails: the rules
	                       * entered, the expressions that failed, the rules left
	                       * undefined), malloc'd; NULL when allowed */
};

/* Frees v's contents (not v). */
void agent_verdict_clear(struct agent_verdict *v);

/* A gate without a policy (every request is an internal error until one is
 * set). shape: which Kata agent's input documents to build. */
int agent_gate_new(enum agent_json_shape shape, agent_gate **ret, cc_error **err);
void agent_gate_free(agent_gate *g);

/* Replaces the policy without asking the current one: the boot-time policy
 * and the one from init-data (kata.md §5.2; call this with the
 * `policy.rego` entry before serving). name names the module in print
 * locations. The state starts again at {"pstate": {}}. Atomic: a policy
 * that does not parse or compile leaves the old one in place (Kata empties
 * its engine first). -EINVAL with the engine's error, -E2BIG over
 * CC_REGO_MAX_POLICY_BYTES. */
int agent_gate_set_policy(agent_gate *g, const char *name, const char *src, size_t len,
                          cc_error **err);
/* agent_gate_set_policy() with a file's contents, named by its path. */
int agent_gate_load_file(agent_gate *g, const char *path, cc_error **err);

/* Whether the current policy sets AllowRequestsFailingPolicy. */
bool agent_gate_allows_failing(agent_gate *g);

/* Asks the policy about one request: input json (len bytes) at
 * data.agent_policy.<ep>. On success *v says whether it may run (a denial
 * is a success). An evaluation that fails, gives no answer (without
 * AllowRequestsFailingPolicy) or an answer of the wrong shape is -EPROTO
 * with kind INTERNAL and the message "<ep>: internal error ...", as Kata
 * answers. ep must be a Rego identifier (-EINVAL otherwise). */
int agent_gate_eval_json(agent_gate *g, const char *ep, const char *json, size_t len,
                         struct agent_verdict *v, cc_error **err);

/* agent_gate_eval_json() for a decoded request: the input is built by
 * agent_json_from_pb() in the gate's shape and ep is the message's name.
 * A request that cannot be turned into input is -EINVAL (INVALID_ARGUMENT)
 * or -E2BIG (RESOURCE_EXHAUSTED). */
int agent_gate_eval_pb(agent_gate *g, const ProtobufCMessage *req, struct agent_verdict *v,
                       cc_error **err);

/* The engine's data document (the policy state) as JSON; caller frees.
 * NULL without a policy or on OOM. */
char *agent_gate_data_json(agent_gate *g);

#endif
