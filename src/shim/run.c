/* A process running in the guest: relays, the waiter, the exit event
 * (shim.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "containerd/api/events/task.pb-c.h"
#include "events.h"
#include "io.h"
#include "shim.h"

/* Publishes p's TaskExit (under sh->mu, right after it was marked). */
static void publish_exit(struct shim_proc *p)
{
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts.seconds = p->exited_at.tv_sec;
	ts.nanos = (int32_t)p->exited_at.tv_nsec;
	Containerd__Events__TaskExit ev = CONTAINERD__EVENTS__TASK_EXIT__INIT;
	ev.container_id = p->cid;
	ev.id = p->exec_id[0] ? p->exec_id : p->cid;
	ev.pid = shim_task_pid(p->sh);
	ev.exit_status = p->exit_status;
	ev.exited_at = &ts;
	shim_events_publish(p->sh->events, "/tasks/exit", &ev.base);
}

/* Marks p exited unless it already is; true if this call did. */
static bool exit_once(struct shim_proc *p, uint32_t status)
{
	if (p->state == SHIM_P_STOPPED)
		return false;
	bool started = p->state != SHIM_P_CREATED;
	shim_proc_set_exited(p, status);
	if (started)
		publish_exit(p);
	return true;
}

static void *waiter_main(void *arg)
{
	struct shim_proc *p = arg;
	struct shim *sh = p->sh;
	Grpc__WaitProcessRequest req = GRPC__WAIT_PROCESS_REQUEST__INIT;
	req.container_id = p->cid;
	req.exec_id = p->agent_exec_id;
	ProtobufCMessage *resp = NULL;
	cc_error *e = NULL;
	uint32_t status = 255;
	if (shim_agent_call(sh, "WaitProcess", &req.base, &grpc__wait_process_response__descriptor, 0,
	                    &resp, &e) == 0) {
		status = (uint32_t)((Grpc__WaitProcessResponse *)resp)->status;
		ttrpc_pb_free(resp);
	} else {
		shim_logf(sh, CC_LOG_WARN, "%s/%s: %s; exit status 255", p->cid, p->exec_id,
		          cc_error_message(e));
	}
	cc_error_free(e);
	/* the exit is reported once the output has reached containerd (Kata
	 * waits for its exitIOch), or after a bounded wait */
	pthread_mutex_lock(&sh->mu);
	struct shim_io *io = shim_io_ref(p->io);
	pthread_mutex_unlock(&sh->mu);
	if (!shim_io_wait_output(io, CC_SHIM_EXIT_IO_WAIT_MS))
		shim_logf(sh, CC_LOG_WARN, "%s/%s: output still open %d ms after exit", p->cid,
		          p->exec_id, CC_SHIM_EXIT_IO_WAIT_MS);
	shim_io_unref(io);
	pthread_mutex_lock(&sh->mu);
	if (exit_once(p, status))
		shim_logf(sh, CC_LOG_INFO, "%s/%s exited with status %u", p->cid,
		          p->exec_id[0] ? p->exec_id : "init", status);
	pthread_mutex_unlock(&sh->mu);
	shim_proc_unref(p);
	shim_worker_leave(sh);
	return NULL;
}

int shim_proc_run(struct shim_proc *p, cc_error **err)
{
	struct shim *sh = p->sh;
	struct shim_io *io = NULL;
	int r = shim_io_start(p, &io, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&sh->mu);
	p->io = io;
	p->waiter_started = true;
	if (p->stdin_close_pending)
		shim_io_close_stdin(io);
	pthread_mutex_unlock(&sh->mu);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	shim_worker_enter(sh);
	r = pthread_create(&p->waiter, &a, waiter_main, shim_proc_ref(p));
	pthread_attr_destroy(&a);
	if (r != 0) {
		shim_worker_leave(sh);
		shim_proc_unref(p);
		pthread_mutex_lock(&sh->mu);
		p->waiter_started = false;
		pthread_mutex_unlock(&sh->mu);
		return cc_error_set(err, -r, "starting the waiter of %s: %s", p->cid, strerror(r));
	}
	return 0;
}

void shim_all_exited(struct shim *sh)
{
	pthread_mutex_lock(&sh->mu);
	for (struct shim_ctr *c = sh->ctrs; c; c = c->next) {
		exit_once(c->init, 255);
		for (size_t i = 0; i < c->n_execs; i++)
			exit_once(c->execs[i], 255);
	}
	pthread_mutex_unlock(&sh->mu);
}
