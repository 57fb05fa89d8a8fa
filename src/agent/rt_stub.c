/* The runtime half of cocoon-agent as a stub (runtime.h): every RPC
 * answers UNIMPLEMENTED. It lets the front (server, policy gate) be built
 * and tested before the real runtime (rt_*.c) exists; src/agent/meson.build
 * uses it only while rt_sandbox.c does not exist. */
#include <errno.h>
#include <stdlib.h>

#include "runtime.h"

struct agent_rt {
	int unused;
};

int agent_rt_new(const struct agent_rt_opts *o, agent_rt **ret, cc_error **err)
{
	(void)o;
	agent_rt *rt = calloc(1, sizeof(*rt));
	if (rt == NULL)
		return cc_error_set(err, -ENOMEM, "runtime: out of memory");
	*ret = rt;
	return 0;
}

void agent_rt_free(agent_rt *rt)
{
	free(rt);
}

int agent_rt_wait(ttrpc_call *call, struct pollfd *fds, nfds_t n, int timeout_ms)
{
	if (call != NULL)
		return ttrpc_call_poll(call, fds, n, timeout_ms);
	int r = poll(fds, n, timeout_ms);
	return r < 0 ? -errno : r;
}

/* Every RPC: UNIMPLEMENTED, naming it. */
static int unimplemented(const char *rpc, cc_error **err)
{
	return ttrpc_error_set(err, TTRPC_UNIMPLEMENTED, "%s: the runtime is a stub (rt_stub.c)",
	                       rpc);
}

int agent_rt_create_sandbox(agent_rt *rt, const Grpc__CreateSandboxRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("create_sandbox", err);
}

int agent_rt_destroy_sandbox(agent_rt *rt, const Grpc__DestroySandboxRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("destroy_sandbox", err);
}

int agent_rt_guest_details(agent_rt *rt, const Grpc__GuestDetailsRequest *req,
                           Grpc__GuestDetailsResponse **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)ret;
	return unimplemented("guest_details", err);
}

int agent_rt_create_container(agent_rt *rt, ttrpc_call *call,
                              const Grpc__CreateContainerRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)call;
	return unimplemented("create_container", err);
}

int agent_rt_start_container(agent_rt *rt, const Grpc__StartContainerRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("start_container", err);
}

int agent_rt_remove_container(agent_rt *rt, ttrpc_call *call,
                              const Grpc__RemoveContainerRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)call;
	return unimplemented("remove_container", err);
}

int agent_rt_pause_container(agent_rt *rt, const Grpc__PauseContainerRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("pause_container", err);
}

int agent_rt_resume_container(agent_rt *rt, const Grpc__ResumeContainerRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("resume_container", err);
}

int agent_rt_stats_container(agent_rt *rt, const Grpc__StatsContainerRequest *req,
                             Grpc__StatsContainerResponse **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)ret;
	return unimplemented("stats_container", err);
}

int agent_rt_exec_process(agent_rt *rt, const Grpc__ExecProcessRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("exec_process", err);
}

int agent_rt_signal_process(agent_rt *rt, const Grpc__SignalProcessRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("signal_process", err);
}

int agent_rt_wait_process(agent_rt *rt, ttrpc_call *call, const Grpc__WaitProcessRequest *req,
                          Grpc__WaitProcessResponse **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)call;
	(void)ret;
	return unimplemented("wait_process", err);
}

int agent_rt_write_stdin(agent_rt *rt, ttrpc_call *call, const Grpc__WriteStreamRequest *req,
                         Grpc__WriteStreamResponse **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)call;
	(void)ret;
	return unimplemented("write_stdin", err);
}

int agent_rt_read_stream(agent_rt *rt, ttrpc_call *call, const Grpc__ReadStreamRequest *req,
                         bool stderr_stream, Grpc__ReadStreamResponse **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)call;
	(void)ret;
	(void)stderr_stream;
	return unimplemented("read_stream", err);
}

int agent_rt_close_stdin(agent_rt *rt, const Grpc__CloseStdinRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("close_stdin", err);
}

int agent_rt_tty_win_resize(agent_rt *rt, const Grpc__TtyWinResizeRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("tty_win_resize", err);
}

int agent_rt_get_oom_event(agent_rt *rt, ttrpc_call *call, const Grpc__GetOOMEventRequest *req,
                           Grpc__OOMEvent **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)call;
	(void)ret;
	return unimplemented("get_oom_event", err);
}

int agent_rt_copy_file(agent_rt *rt, const Grpc__CopyFileRequest *req, cc_error **err)
{
	(void)rt;
	(void)req;
	return unimplemented("copy_file", err);
}

int agent_rt_update_interface(agent_rt *rt, const Grpc__UpdateInterfaceRequest *req,
                              Types__Interface **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)ret;
	return unimplemented("update_interface", err);
}

int agent_rt_update_routes(agent_rt *rt, const Grpc__UpdateRoutesRequest *req,
                           Grpc__Routes **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)ret;
	return unimplemented("update_routes", err);
}

int agent_rt_list_interfaces(agent_rt *rt, const Grpc__ListInterfacesRequest *req,
                             Grpc__Interfaces **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)ret;
	return unimplemented("list_interfaces", err);
}

int agent_rt_list_routes(agent_rt *rt, const Grpc__ListRoutesRequest *req, Grpc__Routes **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	(void)ret;
	return unimplemented("list_routes", err);
}
