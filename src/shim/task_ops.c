/* State, Wait, Kill, Pids, CloseIO, ResizePty, Pause, Resume, Stats,
 * Connect, Shutdown, Update, Checkpoint, and the service table (task.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "containerd/api/events/task.pb-c.h"
#include "events.h"
#include "io.h"
#include "metrics.h"
#include "task.h"

static Containerd__V1__Types__Status status_of(enum shim_pstate s)
{
	switch (s) {
	case SHIM_P_CREATED:
		return CONTAINERD__V1__TYPES__STATUS__CREATED;
	case SHIM_P_RUNNING:
		return CONTAINERD__V1__TYPES__STATUS__RUNNING;
	case SHIM_P_PAUSED:
		return CONTAINERD__V1__TYPES__STATUS__PAUSED;
	case SHIM_P_STOPPED:
		return CONTAINERD__V1__TYPES__STATUS__STOPPED;
	}
	return CONTAINERD__V1__TYPES__STATUS__UNKNOWN;
}

static int task_state(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__StateRequest,
	            containerd__task__v2__state_request__descriptor, req, err);
	struct shim_ctr *c;
	struct shim_proc *p;
	Containerd__Task__V2__StateResponse resp = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, req->exec_id, &c, &p, err);
	if (r == 0) {
		resp.id = c->id;
		resp.bundle = c->bundle;
		resp.pid = shim_task_pid(sh);
		resp.status = status_of(p->state);
		resp.stdin = p->stdin_path;
		resp.stdout = p->stdout_path;
		resp.stderr = p->stderr_path;
		resp.terminal = p->terminal;
		resp.exec_id = p->exec_id;
		if (p->state == SHIM_P_STOPPED) {
			resp.exit_status = p->exit_status;
			ts = task_ts(p->exited_at);
			resp.exited_at = &ts;
		}
		r = ttrpc_call_reply_pb(call, &resp.base, err);
	}
	pthread_mutex_unlock(&sh->mu);
	return r;
}

static int task_wait(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__WaitRequest,
	            containerd__task__v2__wait_request__descriptor, req, err);
	struct shim_ctr *c;
	struct shim_proc *p;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, req->exec_id, &c, &p, err);
	if (r == 0)
		shim_proc_ref(p);
	pthread_mutex_unlock(&sh->mu);
	if (r < 0)
		return r;
	struct pollfd pf = {.fd = p->exited_fd, .events = POLLIN};
	r = ttrpc_call_poll(call, &pf, 1, -1);
	if (r > 0) {
		pthread_mutex_lock(&sh->mu);
		Containerd__Task__V2__WaitResponse resp = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
		resp.exit_status = p->exit_status;
		Google__Protobuf__Timestamp ts = task_ts(p->exited_at);
		resp.exited_at = &ts;
		pthread_mutex_unlock(&sh->mu);
		r = ttrpc_call_reply_pb(call, &resp.base, err);
	} else {
		r = ttrpc_error_set(err, r == -ETIMEDOUT ? TTRPC_DEADLINE_EXCEEDED : TTRPC_CANCELLED,
		                    "wait for %s: %s", req->id, strerror(-r));
	}
	shim_proc_unref(p);
	return r;
}

static int task_kill(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__KillRequest,
	            containerd__task__v2__kill_request__descriptor, req, err);
	if (req->signal == 0 || req->signal >= 65)
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "signal %u", req->signal);
	struct shim_ctr *c;
	struct shim_proc *p;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, req->exec_id, &c, &p, err);
	enum shim_pstate st = r == 0 ? p->state : SHIM_P_STOPPED;
	if (r == 0 && st == SHIM_P_STOPPED && !req->all)
		r = ttrpc_error_set(err, TTRPC_NOT_FOUND, "process already finished");
	if (r == 0 && st == SHIM_P_CREATED && !p->starting) {
		/* never started: it ends here, as runc's created process does */
		if (req->signal == SIGKILL || req->signal == SIGTERM)
			shim_proc_set_exited(p, 128 + req->signal);
		pthread_mutex_unlock(&sh->mu);
		return 0;
	}
	if (r == 0)
		shim_proc_ref(p);
	pthread_mutex_unlock(&sh->mu);
	if (r < 0)
		return r;
	Grpc__SignalProcessRequest sr = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
	sr.container_id = p->cid;
	/* all: every process of the container (exec_id "") */
	sr.exec_id = req->all ? (char *)"" : p->agent_exec_id;
	sr.signal = req->signal;
	r = shim_agent_call(sh, "SignalProcess", &sr.base, NULL, sh->cfg.request_timeout_s, NULL, err);
	shim_proc_unref(p);
	return r;
}

static int task_pids(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__PidsRequest,
	            containerd__task__v2__pids_request__descriptor, req, err);
	struct shim_ctr *c;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, NULL, &c, NULL, err);
	uint32_t pid = shim_task_pid(sh);
	pthread_mutex_unlock(&sh->mu);
	if (r < 0)
		return r;
	/* Kata: the hypervisor is the one host process of the task */
	Containerd__V1__Types__ProcessInfo pi = CONTAINERD__V1__TYPES__PROCESS_INFO__INIT;
	Containerd__V1__Types__ProcessInfo *pis[1] = {&pi};
	pi.pid = pid;
	Containerd__Task__V2__PidsResponse resp = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
	resp.n_processes = pid ? 1 : 0;
	resp.processes = pis;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int task_close_io(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__CloseIORequest,
	            containerd__task__v2__close_iorequest__descriptor, req, err);
	struct shim_ctr *c;
	struct shim_proc *p;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, req->exec_id, &c, &p, err);
	if (r == 0 && req->stdin) {
		p->stdin_close_pending = true;
		shim_io_close_stdin(p->io);
	}
	pthread_mutex_unlock(&sh->mu);
	return r;
}

static int task_resize_pty(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__ResizePtyRequest,
	            containerd__task__v2__resize_pty_request__descriptor, req, err);
	struct shim_ctr *c;
	struct shim_proc *p;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, req->exec_id, &c, &p, err);
	bool running = r == 0 && (p->state == SHIM_P_RUNNING || p->state == SHIM_P_PAUSED);
	if (running)
		shim_proc_ref(p);
	pthread_mutex_unlock(&sh->mu);
	if (!running)
		return r; /* not started or over: nothing to resize */
	Grpc__TtyWinResizeRequest tr = GRPC__TTY_WIN_RESIZE_REQUEST__INIT;
	tr.container_id = p->cid;
	tr.exec_id = p->agent_exec_id;
	tr.row = req->height;
	tr.column = req->width;
	r = shim_agent_call(sh, "TtyWinResize", &tr.base, NULL, sh->cfg.request_timeout_s, NULL, err);
	shim_proc_unref(p);
	return r;
}

/* Pause and Resume: the agent freezes the container's cgroup. */
static int pause_resume(ttrpc_call *call, struct shim *sh, bool pause, cc_error **err)
{
	TASK_UNPACK(call, Containerd__Task__V2__PauseRequest,
	            containerd__task__v2__pause_request__descriptor, req, err);
	struct shim_ctr *c;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, NULL, &c, NULL, err);
	enum shim_pstate want = pause ? SHIM_P_RUNNING : SHIM_P_PAUSED;
	if (r == 0 && c->init->state != want)
		r = ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION, "container %s is not %s",
		                    req->id, pause ? "running" : "paused");
	pthread_mutex_unlock(&sh->mu);
	if (r < 0)
		return r;
	Grpc__PauseContainerRequest pr = GRPC__PAUSE_CONTAINER_REQUEST__INIT;
	Grpc__ResumeContainerRequest rr = GRPC__RESUME_CONTAINER_REQUEST__INIT;
	pr.container_id = rr.container_id = req->id;
	r = shim_agent_call(sh, pause ? "PauseContainer" : "ResumeContainer",
	                    pause ? &pr.base : &rr.base, NULL, sh->cfg.request_timeout_s, NULL, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&sh->mu);
	if ((c = shim_find_ctr(sh, req->id)) != NULL && c->init->state == want)
		c->init->state = pause ? SHIM_P_PAUSED : SHIM_P_RUNNING;
	if (pause) {
		Containerd__Events__TaskPaused ev = CONTAINERD__EVENTS__TASK_PAUSED__INIT;
		ev.container_id = req->id;
		shim_events_publish(sh->events, "/tasks/paused", &ev.base);
	} else {
		Containerd__Events__TaskResumed ev = CONTAINERD__EVENTS__TASK_RESUMED__INIT;
		ev.container_id = req->id;
		shim_events_publish(sh->events, "/tasks/resumed", &ev.base);
	}
	pthread_mutex_unlock(&sh->mu);
	return 0;
}

static int task_pause(ttrpc_call *call, void *ud, cc_error **err)
{
	return pause_resume(call, ud, true, err);
}

static int task_resume(ttrpc_call *call, void *ud, cc_error **err)
{
	return pause_resume(call, ud, false, err);
}

static int task_stats(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__StatsRequest,
	            containerd__task__v2__stats_request__descriptor, req, err);
	struct shim_ctr *c;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, NULL, &c, NULL, err);
	pthread_mutex_unlock(&sh->mu);
	if (r < 0)
		return r;
	Grpc__StatsContainerRequest sr = GRPC__STATS_CONTAINER_REQUEST__INIT;
	sr.container_id = req->id;
	ProtobufCMessage *sresp = NULL;
	r = shim_agent_call(sh, "StatsContainer", &sr.base, &grpc__stats_container_response__descriptor,
	                    sh->cfg.request_timeout_s, &sresp, err);
	if (r < 0)
		return r;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	any.type_url = (char *)SHIM_METRICS_TYPE_URL;
	r = shim_metrics_pack((const Grpc__StatsContainerResponse *)sresp, &any.value.data,
	                      &any.value.len, err);
	ttrpc_pb_free(sresp);
	if (r < 0)
		return r;
	Containerd__Task__V2__StatsResponse resp = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
	resp.stats = &any;
	r = ttrpc_call_reply_pb(call, &resp.base, err);
	free(any.value.data);
	return r;
}

static int task_connect(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__ConnectRequest,
	            containerd__task__v2__connect_request__descriptor, req, err);
	(void)req;
	Containerd__Task__V2__ConnectResponse resp = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
	resp.shim_pid = (uint32_t)getpid();
	pthread_mutex_lock(&sh->mu);
	resp.task_pid = shim_task_pid(sh);
	pthread_mutex_unlock(&sh->mu);
	resp.version = (char *)COCOON_VERSION;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int task_shutdown(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__ShutdownRequest,
	            containerd__task__v2__shutdown_request__descriptor, req, err);
	pthread_mutex_lock(&sh->mu);
	/* the shim serves the pod until its last container is deleted */
	bool go = req->now || sh->n_ctrs == 0;
	if (go)
		sh->exiting = true;
	pthread_mutex_unlock(&sh->mu);
	if (go) {
		shim_logf(sh, CC_LOG_INFO, "shutdown%s", req->now ? " (now)" : "");
		uint64_t one = 1;
		(void)!write(sh->stop_fd, &one, sizeof(one));
	}
	return 0;
}

static int unimplemented(ttrpc_call *call, void *ud, cc_error **err)
{
	(void)ud;
	return ttrpc_error_set(err, TTRPC_UNIMPLEMENTED, "%s is not supported by cocoon",
	                       ttrpc_call_method(call));
}

static const ttrpc_method task_methods[] = {
    {"State", task_state},       {"Create", task_create},   {"Start", task_start},
    {"Delete", task_delete},     {"Pids", task_pids},       {"Pause", task_pause},
    {"Resume", task_resume},     {"Checkpoint", unimplemented}, {"Kill", task_kill},
    {"Exec", task_exec},         {"ResizePty", task_resize_pty}, {"CloseIO", task_close_io},
    {"Update", unimplemented},   {"Wait", task_wait},       {"Stats", task_stats},
    {"Connect", task_connect},   {"Shutdown", task_shutdown},
};

int shim_register_task_service(struct shim *sh, cc_error **err)
{
	return ttrpc_server_register(sh->server, "containerd.task.v2.Task", task_methods,
	                             sizeof(task_methods) / sizeof(task_methods[0]), sh, err);
}
