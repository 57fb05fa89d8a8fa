/* Processes (runtime.h): ExecProcess, SignalProcess, WaitProcess.
 *
 *   ExecProcess    `runtime exec --detach --process B/exec-N.json
 *                  --pid-file B/exec-N.pid ID` with the process's own stdio;
 *                  the process is reparented to the agent (subreaper).
 *   SignalProcess  pidfd_send_signal() to the process. An empty exec id is
 *                  the init process and, as in Kata, every other process of
 *                  the container too (`runtime kill --all`); SIGTERM to an
 *                  init that neither catches, blocks nor ignores it becomes
 *                  SIGKILL (a pid namespace's init ignores default-action
 *                  signals).
 *   WaitProcess    waits for the exit; status is Kata's: the exit code, or
 *                  128 + the number of the signal that killed it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "rt_int.h"

/* ---- exec ------------------------------------------------------------------------------- */

static int run_exec(agent_rt *rt, rt_container *c, rt_proc *p, json_t *proc, cc_error **err)
{
	pthread_mutex_lock(&rt->lock);
	unsigned n = ++c->seq;
	pthread_mutex_unlock(&rt->lock);
	_cleanup_free_ char *json_path = NULL, *pid_path = NULL;
	int rc = rt_asprintf(&json_path, err, "%s/exec-%u.json", c->bundle, n);
	if (rc == 0)
		rc = rt_asprintf(&pid_path, err, "%s/exec-%u.pid", c->bundle, n);
	if (rc < 0)
		return rc;
	char *text = json_dumps(proc, JSON_COMPACT);
	if (text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	rc = rt_write_file(json_path, text, strlen(text), 0600, err);
	free(text);
	struct rt_oci_io io = {.fds = {-1, -1, -1}, .console = p->tty, .ret_master = -1};
	if (rc == 0 && !p->tty)
		rc = rt_stdio_pipes(p, io.fds, err);
	if (rc == 0) {
		const char *args[] = {"exec", "--detach", "--process", json_path, "--pid-file",
		                      pid_path, c->id, NULL};
		rc = rt_oci_run(rt, args, &io, err);
		for (int i = 0; i < 3; i++)
			if (io.fds[i] >= 0)
				close(io.fds[i]);
	}
	if (rc == 0 && p->tty)
		rt_stdio_set_pty(p, io.ret_master);
	if (rc == 0)
		rc = rt_adopt_pidfile(rt, p, pid_path, err);
	unlink(json_path);
	unlink(pid_path);
	return rc;
}

int agent_rt_exec_process(agent_rt *rt, const Grpc__ExecProcessRequest *req, cc_error **err)
{
	if (req->stdin_port || req->stdout_port || req->stderr_port)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "passfd stdio ports are not supported");
	int rc = rt_check_eid(req->exec_id, err);
	if (rc < 0)
		return rc;
	if (req->exec_id[0] == '\0')
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "ExecProcess needs an exec id");
	json_t *proc = NULL;
	if ((rc = rt_process_to_json(req->process, &proc, err)) < 0)
		return rc;
	rt_container *c = NULL;
	if ((rc = rt_container_get(rt, req->container_id, &c, err)) < 0) {
		json_decref(proc);
		return rc;
	}
	pthread_mutex_lock(&c->op);
	rt_proc *p = NULL;
	if (c->state != RT_C_RUNNING)
		rc = rt_err(err, TTRPC_FAILED_PRECONDITION, "container %s is not running",
		            req->container_id);
	else if ((p = rt_proc_new(req->exec_id, false, req->process->terminal)) == NULL)
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	else if ((rc = rt_proc_add(rt, c, p, err)) == 0 && (rc = run_exec(rt, c, p, proc, err)) < 0)
		rt_proc_drop(rt, c, p);
	if (rc < 0)
		cc_error_wrap(err, "ExecProcess %s/%s", req->container_id, req->exec_id);
	rt_proc_unref(rt, p);
	pthread_mutex_unlock(&c->op);
	rt_container_unref(rt, c);
	json_decref(proc);
	return rc;
}

/* ---- signal ------------------------------------------------------------------------------ */

int rt_sigmasks(pid_t pid, uint64_t ret[3])
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_free_ char *s = NULL;
	if (rt_read_file(path, CC_AGENT_MAX_STAT_FILE, &s, NULL, NULL) < 0)
		return -ESRCH;
	static const char *const keys[] = {"\nSigBlk:", "\nSigIgn:", "\nSigCgt:"};
	for (size_t i = 0; i < 3; i++) {
		const char *p = strstr(s, keys[i]);
		if (p == NULL)
			return -EINVAL;
		ret[i] = strtoull(p + strlen(keys[i]), NULL, 16);
	}
	return 0;
}

/* True if pid catches, blocks or ignores sig (or cannot be read). */
static bool signal_handled(pid_t pid, int sig)
{
	uint64_t m[3];
	if (rt_sigmasks(pid, m) < 0)
		return true;
	return ((m[0] | m[1] | m[2]) & (1ull << (sig - 1))) != 0;
}

int agent_rt_signal_process(agent_rt *rt, const Grpc__SignalProcessRequest *req, cc_error **err)
{
	if (req->signal == 0 || req->signal > 64)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "signal %u is out of range", req->signal);
	rt_container *c = NULL;
	rt_proc *p = NULL;
	int rc = rt_find(rt, req->container_id, req->exec_id, &c, &p, err);
	if (rc < 0)
		return rc;
	int sig = (int)req->signal;
	bool all = req->exec_id[0] == '\0';
	if (p->init && sig == SIGTERM && !signal_handled(rt_child_pid(p->child), sig))
		sig = SIGKILL;
	if (all) {
		char num[8];
		snprintf(num, sizeof(num), "%u", req->signal);
		const char *args[] = {"kill", "--all", c->id, num, NULL};
		cc_error *e2 = NULL;
		rt_oci_run(rt, args, NULL, &e2); /* fails once nothing is left: fine */
		cc_error_free(e2);
	}
	rc = rt_child_signal(p->child, sig);
	if (rc == -ESRCH && !all)
		rc = rt_err(err, TTRPC_NOT_FOUND, "process %s/%s has already exited",
		            req->container_id, req->exec_id);
	else if (rc == -ESRCH)
		rc = 0; /* the init had exited; the rest got the signal */
	else if (rc < 0)
		cc_error_set(err, rc, "signalling %s/%s: %s", req->container_id, req->exec_id,
		             strerror(-rc));
	rt_proc_unref(rt, p);
	rt_container_unref(rt, c);
	return rc;
}

/* ---- wait --------------------------------------------------------------------------------- */

int agent_rt_wait_process(agent_rt *rt, ttrpc_call *call, const Grpc__WaitProcessRequest *req,
                          Grpc__WaitProcessResponse **ret, cc_error **err)
{
	rt_container *c = NULL;
	rt_proc *p = NULL;
	int rc = rt_find(rt, req->container_id, req->exec_id, &c, &p, err);
	if (rc < 0)
		return rc;
	rc = rt_child_wait(p->child, call, c->gone_efd, -1);
	int ws = 0;
	if (rc == 1)
		rc = rt_err(err, TTRPC_NOT_FOUND, "container %s was removed", req->container_id);
	else if (rc < 0)
		cc_error_set(err, rc, "waiting for %s/%s: %s", req->container_id, req->exec_id,
		             strerror(-rc));
	else
		rt_child_exited(p->child, &ws);
	Grpc__WaitProcessResponse *resp = NULL;
	if (rc == 0 && (resp = malloc(sizeof(*resp))) == NULL)
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	if (rc == 0) {
		grpc__wait_process_response__init(resp);
		resp->status = rt_wstatus_to_kata(ws);
		*ret = resp;
		pthread_mutex_lock(&rt->lock);
		p->waited = true;
		/* An OOM kill ends the process: queue its event before the exit is
		 * answered, while the cgroup is still there (the host deletes the
		 * container, and may stop the VM, right after it learns the exit). */
		rt_oom_scan_locked(rt);
		pthread_mutex_unlock(&rt->lock);
		rt_proc_maybe_retire(rt, c, p);
	}
	rt_proc_unref(rt, p);
	rt_container_unref(rt, c);
	return rc;
}
