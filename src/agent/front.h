/* cocoon-agent's ttrpc front (docs/agent.md): the grpc.AgentService and
 * grpc.Health services on a ttrpc server. Every AgentService call is
 * decoded (bounded and validated by lib/ttrpc), put to the policy gate
 * (front_policy.h), and only then handed to the runtime (runtime.h). */
#ifndef COCOON_AGENT_FRONT_H
#define COCOON_AGENT_FRONT_H

#include "cocoon/error.h"
#include "front_log.h"
#include "front_policy.h"
#include "runtime.h"
#include "ttrpc.h"

/* Kata's API version (src/agent/src/version.rs API_VERSION), answered by
 * Health.Version as grpc_version. */
#define AGENT_API_VERSION "0.0.1"

struct agent_front {
	agent_gate *gate;
	agent_rt *rt;
	agent_log *log;       /* may be NULL (stderr) */
	const char *version;  /* Health.Version's agent_version */
};

/* Registers grpc.AgentService (every RPC of proto/agent.proto) and
 * grpc.Health (Check, Version; not gated, as in Kata) on s. f and what
 * it points to must outlive the server. */
int agent_front_register(ttrpc_server *s, struct agent_front *f, cc_error **err);

/* The RPCs of grpc.AgentService: method i's name and request type, for
 * i < agent_front_rpc_count() (tests and the fuzz target walk them). */
size_t agent_front_rpc_count(void);
const char *agent_front_rpc_method(size_t i);
const ProtobufCMessageDescriptor *agent_front_rpc_request(size_t i);

#endif
