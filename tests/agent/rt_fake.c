/* A fake runtime (src/agent/runtime.h) for the front's tests: every RPC
 * succeeds at once with a canned answer and writes one line
 * "rt: <rpc> <container id>" to stderr (the agent's log), so a test sees
 * which requests reached the runtime and which the gate stopped. Two
 * container ids block until the call is cancelled: "block" (WaitProcess,
 * ReadStdout) and GetOOMEvent always does (a long-poll), so tests can
 * hold calls open while others run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

struct agent_rt {
	int unused;
};

int agent_rt_new(const struct agent_rt_opts *o, agent_rt **ret, cc_error **err)
{
	(void)o;
	agent_rt *rt = calloc(1, sizeof(*rt));
	if (rt == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = rt;
	return 0;
}

void agent_rt_free(agent_rt *rt)
{
	free(rt);
}

int agent_rt_wait(ttrpc_call *call, struct pollfd *fds, nfds_t n, int timeout_ms)
{
	return ttrpc_call_poll(call, fds, n, timeout_ms);
}

static void note(const char *rpc, const char *cid)
{
	dprintf(STDERR_FILENO, "rt: %s %s\n", rpc, cid && *cid ? cid : "-");
}

/* Waits until the call is cancelled (the peer went, the server stops). */
static int block(ttrpc_call *call, cc_error **err)
{
	int r = agent_rt_wait(call, NULL, 0, -1);
	return cc_error_set(err, r < 0 ? r : -ECANCELED, "fake runtime: wait ended");
}

#define SIMPLE(name, T)                                                                            \
	int agent_rt_##name(agent_rt *rt, const T *req, cc_error **err)                            \
	{                                                                                          \
		(void)rt;                                                                          \
		(void)err;                                                                         \
		note(#name, NULL);                                                                 \
		(void)req;                                                                         \
		return 0;                                                                          \
	}
#define SIMPLE_CID(name, T)                                                                        \
	int agent_rt_##name(agent_rt *rt, const T *req, cc_error **err)                            \
	{                                                                                          \
		(void)rt;                                                                          \
		(void)err;                                                                         \
		note(#name, req->container_id);                                                    \
		return 0;                                                                          \
	}

SIMPLE(create_sandbox, Grpc__CreateSandboxRequest)
SIMPLE(destroy_sandbox, Grpc__DestroySandboxRequest)
SIMPLE_CID(start_container, Grpc__StartContainerRequest)
SIMPLE_CID(pause_container, Grpc__PauseContainerRequest)
SIMPLE_CID(resume_container, Grpc__ResumeContainerRequest)
SIMPLE_CID(exec_process, Grpc__ExecProcessRequest)
SIMPLE_CID(signal_process, Grpc__SignalProcessRequest)
SIMPLE_CID(close_stdin, Grpc__CloseStdinRequest)
SIMPLE_CID(tty_win_resize, Grpc__TtyWinResizeRequest)

int agent_rt_copy_file(agent_rt *rt, const Grpc__CopyFileRequest *req, cc_error **err)
{
	(void)rt;
	(void)err;
	note("copy_file", req->path);
	return 0;
}

int agent_rt_create_container(agent_rt *rt, ttrpc_call *call,
                              const Grpc__CreateContainerRequest *req, cc_error **err)
{
	(void)rt;
	(void)call;
	(void)err;
	note("create_container", req->container_id);
	return 0;
}

int agent_rt_remove_container(agent_rt *rt, ttrpc_call *call,
                              const Grpc__RemoveContainerRequest *req, cc_error **err)
{
	(void)rt;
	(void)call;
	(void)err;
	note("remove_container", req->container_id);
	return 0;
}

/* Allocates a response message of type T (default allocator). */
#define NEW_RESP(T, init)                                                                          \
	({                                                                                         \
		T *m_ = malloc(sizeof(T));                                                         \
		if (m_)                                                                            \
			init(m_);                                                                  \
		m_;                                                                                \
	})

int agent_rt_guest_details(agent_rt *rt, const Grpc__GuestDetailsRequest *req,
                           Grpc__GuestDetailsResponse **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	note("guest_details", NULL);
	Grpc__GuestDetailsResponse *r =
	    NEW_RESP(Grpc__GuestDetailsResponse, grpc__guest_details_response__init);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	r->mem_block_size_bytes = 128u << 20;
	*ret = r;
	return 0;
}

int agent_rt_stats_container(agent_rt *rt, const Grpc__StatsContainerRequest *req,
                             Grpc__StatsContainerResponse **ret, cc_error **err)
{
	(void)rt;
	note("stats_container", req->container_id);
	Grpc__StatsContainerResponse *r =
	    NEW_RESP(Grpc__StatsContainerResponse, grpc__stats_container_response__init);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = r;
	return 0;
}

int agent_rt_wait_process(agent_rt *rt, ttrpc_call *call, const Grpc__WaitProcessRequest *req,
                          Grpc__WaitProcessResponse **ret, cc_error **err)
{
	(void)rt;
	note("wait_process", req->container_id);
	if (strcmp(req->container_id, "block") == 0)
		return block(call, err);
	Grpc__WaitProcessResponse *r =
	    NEW_RESP(Grpc__WaitProcessResponse, grpc__wait_process_response__init);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	r->status = 7;
	*ret = r;
	return 0;
}

int agent_rt_write_stdin(agent_rt *rt, ttrpc_call *call, const Grpc__WriteStreamRequest *req,
                         Grpc__WriteStreamResponse **ret, cc_error **err)
{
	(void)rt;
	(void)call;
	note("write_stdin", req->container_id);
	Grpc__WriteStreamResponse *r =
	    NEW_RESP(Grpc__WriteStreamResponse, grpc__write_stream_response__init);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	r->len = (uint32_t)req->data.len;
	*ret = r;
	return 0;
}

int agent_rt_read_stream(agent_rt *rt, ttrpc_call *call, const Grpc__ReadStreamRequest *req,
                         bool stderr_stream, Grpc__ReadStreamResponse **ret, cc_error **err)
{
	(void)rt;
	note(stderr_stream ? "read_stderr" : "read_stdout", req->container_id);
	if (strcmp(req->container_id, "block") == 0)
		return block(call, err);
	Grpc__ReadStreamResponse *r =
	    NEW_RESP(Grpc__ReadStreamResponse, grpc__read_stream_response__init);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const char *text = stderr_stream ? "container stderr" : "container stdout";
	r->data.data = (uint8_t *)strdup(text);
	r->data.len = strlen(text);
	*ret = r;
	return 0;
}

int agent_rt_get_oom_event(agent_rt *rt, ttrpc_call *call, const Grpc__GetOOMEventRequest *req,
                           Grpc__OOMEvent **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)ret;
	note("get_oom_event", NULL);
	return block(call, err);
}

int agent_rt_update_interface(agent_rt *rt, const Grpc__UpdateInterfaceRequest *req,
                              Types__Interface **ret, cc_error **err)
{
	(void)rt;
	note("update_interface", req->interface ? req->interface->name : NULL);
	Types__Interface *r = NEW_RESP(Types__Interface, types__interface__init);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = r;
	return 0;
}

int agent_rt_update_routes(agent_rt *rt, const Grpc__UpdateRoutesRequest *req, Grpc__Routes **ret,
                           cc_error **err)
{
	(void)rt;
	(void)req;
	note("update_routes", NULL);
	Grpc__Routes *r = NEW_RESP(Grpc__Routes, grpc__routes__init);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = r;
	return 0;
}

int agent_rt_list_interfaces(agent_rt *rt, const Grpc__ListInterfacesRequest *req,
                             Grpc__Interfaces **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	note("list_interfaces", NULL);
	Grpc__Interfaces *r = NEW_RESP(Grpc__Interfaces, grpc__interfaces__init);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = r;
	return 0;
}

int agent_rt_list_routes(agent_rt *rt, const Grpc__ListRoutesRequest *req, Grpc__Routes **ret,
                         cc_error **err)
{
	(void)rt;
	(void)req;
	note("list_routes", NULL);
	Grpc__Routes *r = NEW_RESP(Grpc__Routes, grpc__routes__init);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = r;
	return 0;
}
