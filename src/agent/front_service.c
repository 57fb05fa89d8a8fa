/* grpc.AgentService: decode, gate, run, reply (front.h). One table row
 * per RPC of proto/agent.proto; one handler serves them all and finds its
 * row by the method name. Kata's order is the same (src/agent/src/rpc.rs:
 * is_allowed(&req) first in every handler). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "cocoon/limits.h"
#include "front.h"

typedef int (*rpc_fn)(struct agent_front *f, ttrpc_call *call, const ProtobufCMessage *req,
                      ProtobufCMessage **ret, cc_error **err);

enum rpc_flags {
	RPC_READ_STREAM = 1, /* a denial returns empty data (Kata PR #10818) */
};

struct rpc {
	const char *method;
	const ProtobufCMessageDescriptor *req;
	rpc_fn run;
	unsigned flags;
};

/* Adapters from the table's signature to runtime.h. */
#define RT_NONE(name, T, fn)                                                                       \
	static int run_##name(struct agent_front *f, ttrpc_call *call, const ProtobufCMessage *req, \
	                      ProtobufCMessage **ret, cc_error **err)                               \
	{                                                                                          \
		(void)call;                                                                        \
		(void)ret;                                                                         \
		return fn(f->rt, (const T *)req, err);                                             \
	}
#define RT_CALL(name, T, fn)                                                                       \
	static int run_##name(struct agent_front *f, ttrpc_call *call, const ProtobufCMessage *req, \
	                      ProtobufCMessage **ret, cc_error **err)                               \
	{                                                                                          \
		(void)ret;                                                                         \
		return fn(f->rt, call, (const T *)req, err);                                       \
	}
#define RT_RESP(name, T, R, fn)                                                                    \
	static int run_##name(struct agent_front *f, ttrpc_call *call, const ProtobufCMessage *req, \
	                      ProtobufCMessage **ret, cc_error **err)                               \
	{                                                                                          \
		(void)call;                                                                        \
		R *resp = NULL;                                                                    \
		int r = fn(f->rt, (const T *)req, &resp, err);                                     \
		if (r == 0)                                                                        \
			*ret = &resp->base;                                                        \
		return r;                                                                          \
	}
#define RT_CALL_RESP(name, T, R, fn)                                                               \
	static int run_##name(struct agent_front *f, ttrpc_call *call, const ProtobufCMessage *req, \
	                      ProtobufCMessage **ret, cc_error **err)                               \
	{                                                                                          \
		R *resp = NULL;                                                                    \
		int r = fn(f->rt, call, (const T *)req, &resp, err);                               \
		if (r == 0)                                                                        \
			*ret = &resp->base;                                                        \
		return r;                                                                          \
	}

RT_CALL(create_container, Grpc__CreateContainerRequest, agent_rt_create_container)
RT_NONE(start_container, Grpc__StartContainerRequest, agent_rt_start_container)
RT_CALL(remove_container, Grpc__RemoveContainerRequest, agent_rt_remove_container)
RT_NONE(exec_process, Grpc__ExecProcessRequest, agent_rt_exec_process)
RT_NONE(signal_process, Grpc__SignalProcessRequest, agent_rt_signal_process)
RT_CALL_RESP(wait_process, Grpc__WaitProcessRequest, Grpc__WaitProcessResponse,
             agent_rt_wait_process)
RT_RESP(stats_container, Grpc__StatsContainerRequest, Grpc__StatsContainerResponse,
        agent_rt_stats_container)
RT_NONE(pause_container, Grpc__PauseContainerRequest, agent_rt_pause_container)
RT_NONE(resume_container, Grpc__ResumeContainerRequest, agent_rt_resume_container)
RT_CALL_RESP(write_stdin, Grpc__WriteStreamRequest, Grpc__WriteStreamResponse,
             agent_rt_write_stdin)
RT_NONE(close_stdin, Grpc__CloseStdinRequest, agent_rt_close_stdin)
RT_NONE(tty_win_resize, Grpc__TtyWinResizeRequest, agent_rt_tty_win_resize)
RT_RESP(update_interface, Grpc__UpdateInterfaceRequest, Types__Interface,
        agent_rt_update_interface)
RT_RESP(update_routes, Grpc__UpdateRoutesRequest, Grpc__Routes, agent_rt_update_routes)
RT_RESP(list_interfaces, Grpc__ListInterfacesRequest, Grpc__Interfaces,
        agent_rt_list_interfaces)
RT_RESP(list_routes, Grpc__ListRoutesRequest, Grpc__Routes, agent_rt_list_routes)
RT_NONE(create_sandbox, Grpc__CreateSandboxRequest, agent_rt_create_sandbox)
RT_NONE(destroy_sandbox, Grpc__DestroySandboxRequest, agent_rt_destroy_sandbox)
RT_RESP(guest_details, Grpc__GuestDetailsRequest, Grpc__GuestDetailsResponse,
        agent_rt_guest_details)
RT_NONE(copy_file, Grpc__CopyFileRequest, agent_rt_copy_file)
RT_CALL_RESP(get_oom_event, Grpc__GetOOMEventRequest, Grpc__OOMEvent, agent_rt_get_oom_event)

static int read_stream(struct agent_front *f, ttrpc_call *call, const ProtobufCMessage *req,
                       bool stderr_stream, ProtobufCMessage **ret, cc_error **err)
{
	Grpc__ReadStreamResponse *resp = NULL;
	int r = agent_rt_read_stream(f->rt, call, (const Grpc__ReadStreamRequest *)req,
	                             stderr_stream, &resp, err);
	if (r == 0)
		*ret = &resp->base;
	return r;
}

static int run_read_stdout(struct agent_front *f, ttrpc_call *call, const ProtobufCMessage *req,
                           ProtobufCMessage **ret, cc_error **err)
{
	return read_stream(f, call, req, false, ret, err);
}

static int run_read_stderr(struct agent_front *f, ttrpc_call *call, const ProtobufCMessage *req,
                           ProtobufCMessage **ret, cc_error **err)
{
	return read_stream(f, call, req, true, ret, err);
}

/* SetPolicy, once the current policy allowed it: replace it (Kata:
 * INVALID_ARGUMENT when the new one does not load). */
static int run_set_policy(struct agent_front *f, ttrpc_call *call, const ProtobufCMessage *req,
                          ProtobufCMessage **ret, cc_error **err)
{
	(void)call;
	(void)ret;
	const Grpc__SetPolicyRequest *sp = (const Grpc__SetPolicyRequest *)req;
	const char *src = sp->policy ? sp->policy : "";
	cc_error *e = NULL;
	int r = agent_gate_set_policy(f->gate, "agent_policy", src, strlen(src), &e);
	if (r < 0) {
		r = ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "SetPolicy: %s", cc_error_message(e));
		cc_error_free(e);
		return r;
	}
	agent_log_msg(f->log, AGENT_LOG_INFO, "policy: replaced by SetPolicy (%zu bytes)%s",
	              strlen(src),
	              agent_gate_allows_failing(f->gate) ? "; AllowRequestsFailingPolicy is set" : "");
	return 0;
}

static const struct rpc rpcs[] = {
    {"CreateContainer", &grpc__create_container_request__descriptor, run_create_container, 0},
    {"StartContainer", &grpc__start_container_request__descriptor, run_start_container, 0},
    {"RemoveContainer", &grpc__remove_container_request__descriptor, run_remove_container, 0},
    {"ExecProcess", &grpc__exec_process_request__descriptor, run_exec_process, 0},
    {"SignalProcess", &grpc__signal_process_request__descriptor, run_signal_process, 0},
    {"WaitProcess", &grpc__wait_process_request__descriptor, run_wait_process, 0},
    {"StatsContainer", &grpc__stats_container_request__descriptor, run_stats_container, 0},
    {"PauseContainer", &grpc__pause_container_request__descriptor, run_pause_container, 0},
    {"ResumeContainer", &grpc__resume_container_request__descriptor, run_resume_container, 0},
    {"WriteStdin", &grpc__write_stream_request__descriptor, run_write_stdin, 0},
    {"ReadStdout", &grpc__read_stream_request__descriptor, run_read_stdout, RPC_READ_STREAM},
    {"ReadStderr", &grpc__read_stream_request__descriptor, run_read_stderr, RPC_READ_STREAM},
    {"CloseStdin", &grpc__close_stdin_request__descriptor, run_close_stdin, 0},
    {"TtyWinResize", &grpc__tty_win_resize_request__descriptor, run_tty_win_resize, 0},
    {"UpdateInterface", &grpc__update_interface_request__descriptor, run_update_interface, 0},
    {"UpdateRoutes", &grpc__update_routes_request__descriptor, run_update_routes, 0},
    {"ListInterfaces", &grpc__list_interfaces_request__descriptor, run_list_interfaces, 0},
    {"ListRoutes", &grpc__list_routes_request__descriptor, run_list_routes, 0},
    {"CreateSandbox", &grpc__create_sandbox_request__descriptor, run_create_sandbox, 0},
    {"DestroySandbox", &grpc__destroy_sandbox_request__descriptor, run_destroy_sandbox, 0},
    {"GetGuestDetails", &grpc__guest_details_request__descriptor, run_guest_details, 0},
    {"CopyFile", &grpc__copy_file_request__descriptor, run_copy_file, 0},
    {"GetOOMEvent", &grpc__get_oomevent_request__descriptor, run_get_oom_event, 0},
    {"SetPolicy", &grpc__set_policy_request__descriptor, run_set_policy, 0},
};
#define N_RPCS (sizeof(rpcs) / sizeof(rpcs[0]))

size_t agent_front_rpc_count(void)
{
	return N_RPCS;
}

const char *agent_front_rpc_method(size_t i)
{
	return i < N_RPCS ? rpcs[i].method : NULL;
}

const ProtobufCMessageDescriptor *agent_front_rpc_request(size_t i)
{
	return i < N_RPCS ? rpcs[i].req : NULL;
}

static const struct rpc *rpc_find(const char *method)
{
	for (size_t i = 0; i < N_RPCS; i++)
		if (strcmp(rpcs[i].method, method) == 0)
			return &rpcs[i];
	return NULL;
}

/* The denial's message: Kata's "<ep> is blocked by policy: <prints joined
 * by spaces>", the prints cut at CC_AGENT_MAX_DENY_MESSAGE_BYTES. */
static int deny(cc_error **err, const char *ep, const char *prints)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	size_t n = strlen(prints);
	if (n > 0 && prints[n - 1] == '\n')
		n--;
	bool cut = n > CC_AGENT_MAX_DENY_MESSAGE_BYTES;
	if (cut)
		n = CC_AGENT_MAX_DENY_MESSAGE_BYTES;
	for (size_t i = 0; i < n; i++)
		if (cc_buf_addc(&b, prints[i] == '\n' ? ' ' : prints[i]) < 0)
			break;
	int r = ttrpc_error_set(err, TTRPC_PERMISSION_DENIED, "%s is blocked by policy: %s%s", ep,
	                        b.p ? b.p : "", cut ? " ..." : "");
	cc_buf_free(&b);
	return r;
}

/* Logs text line by line as "policy: <ep>: <label>: <line>", up to
 * CC_AGENT_MAX_LOGGED_PRINT_BYTES. */
static void log_lines(struct agent_front *f, const char *ep, const char *label, const char *text)
{
	size_t logged = 0;
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (logged + n > CC_AGENT_MAX_LOGGED_PRINT_BYTES) {
			agent_log_msg(f->log, AGENT_LOG_WARN, "policy: %s: %s: [more output cut]", ep,
			              label);
			break;
		}
		agent_log_msg(f->log, AGENT_LOG_WARN, "policy: %s: %s: %.*s", ep, label, (int)n, p);
		logged += n;
		p = nl ? nl + 1 : p + n;
	}
}

/* The reason in the agent's log after the verdict's line (a denial, or a
 * failing request AllowRequestsFailingPolicy lets through): every print
 * line, then why (the --explain fails trace). */
static void log_denial(struct agent_front *f, const char *ep, const struct agent_verdict *v)
{
	if (v->failing_allowed)
		agent_log_msg(f->log, AGENT_LOG_WARN,
		              "policy: %s allowed by AllowRequestsFailingPolicy (ignoring the policy)",
		              ep);
	else
		agent_log_msg(f->log, AGENT_LOG_WARN, "policy: %s is blocked by policy", ep);
	log_lines(f, ep, "print", v->prints);
	log_lines(f, ep, "why", v->why);
}

/* The status code of a failed step: the kind when it names one
 * (ttrpc_error_set), else from the errno. */
static int failure_code(const cc_error *e, int r)
{
	const char *kind = cc_error_kind(e);
	int code = ttrpc_error_code(e);
	if (code == TTRPC_UNKNOWN && (kind == NULL || strcmp(kind, "UNKNOWN") != 0))
		code = ttrpc_code_from_errno(r);
	return code;
}

/* Asks the gate; 1 = run the RPC, 0 = a denied ReadStream (run, reply
 * empty), < 0 = answer with *err. */
static int gate(struct agent_front *f, const struct rpc *rpc, const ProtobufCMessage *req,
                ttrpc_call *call, cc_error **err)
{
	const char *ep = req->descriptor->short_name;
	struct agent_verdict v = {0};
	cc_error *e = NULL;
	int r = agent_gate_eval_pb(f->gate, req, &v, &e);
	if (r < 0) {
		agent_log_msg(f->log, AGENT_LOG_ERROR, "policy: %s (%s): %s", ep, rpc->method,
		              cc_error_message(e));
		ttrpc_call_set_code(call, failure_code(e, r));
		cc_error_move(err, &e);
		return r;
	}
	if (v.failing_allowed)
		log_denial(f, ep, &v);
	else if (v.allowed)
		agent_log_msg(f->log, AGENT_LOG_DEBUG, "policy: %s allowed (%s)", ep, rpc->method);
	if (v.allowed) {
		agent_verdict_clear(&v);
		return 1;
	}
	log_denial(f, ep, &v);
	if (rpc->flags & RPC_READ_STREAM) {
		agent_verdict_clear(&v);
		return 0;
	}
	r = deny(err, ep, v.prints);
	ttrpc_call_set_code(call, TTRPC_PERMISSION_DENIED);
	agent_verdict_clear(&v);
	return r;
}

static int agent_call(ttrpc_call *call, void *userdata, cc_error **err)
{
	struct agent_front *f = userdata;
	const struct rpc *rpc = rpc_find(ttrpc_call_method(call));
	if (rpc == NULL) /* registered from the same table: cannot happen */
		return ttrpc_error_set(err, TTRPC_UNIMPLEMENTED, "method %s", ttrpc_call_method(call));
	ProtobufCMessage *req = NULL;
	int r = ttrpc_call_unpack(call, rpc->req, &req, err);
	if (r < 0) {
		agent_log_msg(f->log, AGENT_LOG_WARN, "%s: %s", rpc->method, cc_error_message(*err));
		return r;
	}
	int g = gate(f, rpc, req, call, err);
	if (g < 0)
		return g;
	ProtobufCMessage *resp = NULL;
	cc_error *e = NULL;
	r = rpc->run(f, call, req, &resp, &e);
	if (r < 0) {
		agent_log_msg(f->log, AGENT_LOG_INFO, "%s: %s", rpc->method, cc_error_message(e));
		ttrpc_call_set_code(call, failure_code(e, r));
		cc_error_move(err, &e);
		return r;
	}
	if (g == 0 && resp != NULL) {
		/* denied ReadStdout/ReadStderr: the pipe was drained, the data
		 * is not handed out */
		Grpc__ReadStreamResponse *rs = (Grpc__ReadStreamResponse *)resp;
		free(rs->data.data);
		rs->data.data = NULL;
		rs->data.len = 0;
	}
	if (resp != NULL) {
		r = ttrpc_call_reply_pb(call, resp, err);
		protobuf_c_message_free_unpacked(resp, NULL);
		if (r < 0)
			ttrpc_call_set_code(call, failure_code(*err, r));
	}
	return r;
}

/* ---- grpc.Health ---------------------------------------------------------- */

static int health_check(ttrpc_call *call, void *userdata, cc_error **err)
{
	(void)userdata;
	ProtobufCMessage *req = NULL;
	int r = ttrpc_call_unpack(call, &grpc__check_request__descriptor, &req, err);
	if (r < 0)
		return r;
	Grpc__HealthCheckResponse resp = GRPC__HEALTH_CHECK_RESPONSE__INIT;
	resp.status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int health_version(ttrpc_call *call, void *userdata, cc_error **err)
{
	struct agent_front *f = userdata;
	ProtobufCMessage *req = NULL;
	int r = ttrpc_call_unpack(call, &grpc__check_request__descriptor, &req, err);
	if (r < 0)
		return r;
	Grpc__VersionCheckResponse resp = GRPC__VERSION_CHECK_RESPONSE__INIT;
	resp.grpc_version = (char *)AGENT_API_VERSION;
	resp.agent_version = (char *)(f->version ? f->version : "");
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

/* ttrpc's method table for grpc.AgentService: every row of rpcs, one
 * handler. Built once (the server keeps a pointer to it). */
static ttrpc_method agent_methods[N_RPCS];
static pthread_once_t agent_methods_once = PTHREAD_ONCE_INIT;

static void agent_methods_init(void)
{
	for (size_t i = 0; i < N_RPCS; i++)
		agent_methods[i] = (ttrpc_method){rpcs[i].method, agent_call};
}

int agent_front_register(ttrpc_server *s, struct agent_front *f, cc_error **err)
{
	static const ttrpc_method health_methods[] = {
	    {"Check", health_check},
	    {"Version", health_version},
	};
	pthread_once(&agent_methods_once, agent_methods_init);
	int r = ttrpc_server_register(s, "grpc.AgentService", agent_methods, N_RPCS, f, err);
	if (r == 0)
		r = ttrpc_server_register(s, "grpc.Health", health_methods, 2, f, err);
	return r;
}
