/* Container lifecycle (runtime.h) through the OCI runtime, kata.md §3.6:
 *
 *   CreateContainer  bundle (rt_bundle.c), then `runtime create --bundle B
 *                    --pid-file B/init.pid ID` with the init's stdio (pipes,
 *                    or a pty received on a console socket); the init
 *                    process waits in the runtime's exec fifo
 *   StartContainer   `runtime start ID`
 *   Pause/Resume     `runtime pause|resume ID`
 *   RemoveContainer  SIGKILL to every process (`runtime kill --all`), wait
 *                    for the init (timeout seconds, 0 = as long as the call
 *                    lasts), `runtime delete --force ID`, unmount, remove
 *                    the bundle. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "rt_int.h"

static int read_pid(const char *path, pid_t *ret, cc_error **err)
{
	_cleanup_free_ char *s = NULL;
	int rc = rt_read_file(path, 32, &s, NULL, err);
	if (rc < 0)
		return rc;
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || v <= 1 || v > 0x3fffffff)
		return cc_error_set(err, -EINVAL, "%s: not a pid", path);
	*ret = (pid_t)v;
	return 0;
}

int rt_adopt_pidfile(agent_rt *rt, rt_proc *p, const char *pidfile, cc_error **err)
{
	pid_t pid;
	rt_child *child;
	int rc = read_pid(pidfile, &pid, err);
	if (rc == 0)
		rc = rt_reaper_adopt(rt->reaper, pid, &child, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&rt->lock);
	p->child = child;
	pthread_mutex_unlock(&rt->lock);
	return 0;
}

/* Runs `runtime SUB ID` (pause, resume, start, delete --force, ...). */
static int oci_simple(agent_rt *rt, const char *sub, const char *opt, const char *cid,
                      cc_error **err)
{
	const char *args[] = {sub, opt ? opt : cid, opt ? cid : NULL, NULL};
	return rt_oci_run(rt, args, NULL, err);
}

/* ---- create ----------------------------------------------------------------------------- */

static int check_create(agent_rt *rt, const Grpc__CreateContainerRequest *req, cc_error **err)
{
	pthread_mutex_lock(&rt->lock);
	bool sb = rt->sandbox;
	pthread_mutex_unlock(&rt->lock);
	if (!sb)
		return rt_err(err, TTRPC_FAILED_PRECONDITION, "CreateSandbox has not been called");
	int rc = rt_check_cid(req->container_id, err);
	if (rc == 0)
		rc = rt_check_eid(req->exec_id, err);
	if (rc < 0)
		return rc;
	if (req->oci == NULL)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "no OCI spec in the request");
	if (req->n_devices)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "devices are not supported");
	if (req->n_shared_mounts)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "shared mounts are not supported");
	if (req->stdin_port || req->stdout_port || req->stderr_port)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "passfd stdio ports are not supported");
	return 0;
}

/* A new container in state CREATING, in the table (one reference for the
 * table, one for the caller). */
static int container_insert(agent_rt *rt, const char *cid, rt_container **ret, cc_error **err)
{
	rt_container *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	c->gone_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->id = strdup(cid);
	pthread_mutex_init(&c->op, NULL);
	int rc = 0;
	if (c->gone_efd < 0 || c->id == NULL ||
	    rt_asprintf(&c->bundle, err, "%s/%s", rt->run_dir, cid) < 0)
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_lock(&rt->lock);
	for (size_t i = 0; rc == 0 && i < rt->ncs; i++)
		if (strcmp(rt->cs[i]->id, cid) == 0)
			rc = rt_err(err, TTRPC_ALREADY_EXISTS, "container %s already exists", cid);
	if (rc == 0 && rt->ncs >= CC_AGENT_MAX_CONTAINERS)
		rc = rt_err(err, TTRPC_RESOURCE_EXHAUSTED, "too many containers (at most %u)",
		            CC_AGENT_MAX_CONTAINERS);
	if (rc == 0) {
		c->refs = 2;
		c->state = RT_C_CREATING;
		rt->cs[rt->ncs++] = c;
	}
	pthread_mutex_unlock(&rt->lock);
	if (rc < 0) {
		c->refs = 1;
		rt_container_unref(rt, c);
		return rc;
	}
	*ret = c;
	return 0;
}

static int run_create(agent_rt *rt, rt_container *c, rt_proc *init, bool tty, cc_error **err)
{
	_cleanup_free_ char *pidfile = NULL;
	int rc = rt_asprintf(&pidfile, err, "%s/init.pid", c->bundle);
	if (rc < 0)
		return rc;
	struct rt_oci_io io = {.fds = {-1, -1, -1}, .console = tty, .ret_master = -1};
	if (!tty && (rc = rt_stdio_pipes(init, io.fds, err)) < 0)
		return rc;
	const char *args[] = {"create", "--bundle", c->bundle, "--pid-file", pidfile, c->id, NULL};
	rc = rt_oci_run(rt, args, &io, err);
	for (int i = 0; i < 3; i++)
		if (io.fds[i] >= 0)
			close(io.fds[i]);
	if (rc < 0)
		return rc;
	if (tty)
		rt_stdio_set_pty(init, io.ret_master);
	rc = rt_adopt_pidfile(rt, init, pidfile, err);
	if (rc < 0) {
		cc_error *e2 = NULL;
		oci_simple(rt, "delete", "--force", c->id, &e2);
		cc_error_free(e2);
	}
	return rc;
}

int agent_rt_create_container(agent_rt *rt, ttrpc_call *call,
                              const Grpc__CreateContainerRequest *req, cc_error **err)
{
	(void)call; /* the pull and the runtime are bounded by their own timeouts */
	int rc = check_create(rt, req, err);
	if (rc < 0)
		return rc;
	rt_container *c = NULL;
	if ((rc = container_insert(rt, req->container_id, &c, err)) < 0)
		return rc;
	pthread_mutex_lock(&c->op);
	bool tty = false;
	rt_proc *init = NULL;
	rc = rt_bundle_prepare(rt, c, req, &tty, err);
	if (rc == 0) {
		init = rt_proc_new(*req->exec_id ? req->exec_id : req->container_id, true, tty);
		if (init == NULL)
			rc = cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = run_create(rt, c, init, tty, err);
	if (rc == 0 && (rc = rt_proc_add(rt, c, init, err)) < 0) {
		cc_error *e2 = NULL;
		oci_simple(rt, "delete", "--force", c->id, &e2);
		cc_error_free(e2);
	}
	if (rc == 0) {
		rt_cgroup_find(rt_child_pid(init->child), &c->cg, NULL);
		pthread_mutex_lock(&rt->lock);
		c->oom_kills = rt_cgroup_oom_kills(&c->cg);
		c->state = RT_C_CREATED;
		pthread_mutex_unlock(&rt->lock);
	} else {
		cc_error *e2 = NULL;
		rt_bundle_cleanup(rt, c, &e2);
		cc_error_free(e2);
		rt_container_unlink(rt, c);
		cc_error_wrap(err, "CreateContainer %s", req->container_id);
	}
	rt_proc_unref(rt, init);
	pthread_mutex_unlock(&c->op);
	rt_container_unref(rt, c);
	return rc;
}

/* ---- start, pause, resume ------------------------------------------------------------------ */

/* `runtime start` returns once the init's exec fifo is closed, which the
 * kernel does during execve() a moment before it resets the signal
 * handlers. Waits (at most 200 ms) until the runtime's own handlers are
 * gone, so that SignalProcess sees the container program's. */
static void wait_exec_done(rt_child *init, const uint64_t before[3])
{
	for (int i = 0; i < 200 && !rt_child_exited(init, NULL); i++) {
		uint64_t now[3];
		if (rt_sigmasks(rt_child_pid(init), now) < 0 || now[2] != before[2])
			return;
		usleep(1000);
	}
}

/* Runs sub on a container in state from, which becomes to. */
static int transition(agent_rt *rt, const char *cid, enum rt_cstate from, enum rt_cstate to,
                      const char *sub, cc_error **err)
{
	static const char *names[] = {"being created", "created", "running", "paused", "removed"};
	rt_container *c = NULL;
	int rc = rt_container_get(rt, cid, &c, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&c->op);
	enum rt_cstate st = c->state;
	rt_child *init = c->procs && c->procs->init ? c->procs->child : NULL;
	uint64_t masks[3];
	bool starting = st == RT_C_CREATED && to == RT_C_RUNNING && init &&
	                rt_sigmasks(rt_child_pid(init), masks) == 0;
	if (st != from)
		rc = rt_err(err, TTRPC_FAILED_PRECONDITION, "container %s is %s", cid, names[st]);
	else if ((rc = oci_simple(rt, sub, NULL, cid, err)) == 0) {
		if (starting)
			wait_exec_done(init, masks);
		pthread_mutex_lock(&rt->lock);
		c->state = to;
		pthread_mutex_unlock(&rt->lock);
	}
	pthread_mutex_unlock(&c->op);
	rt_container_unref(rt, c);
	return rc;
}

int agent_rt_start_container(agent_rt *rt, const Grpc__StartContainerRequest *req, cc_error **err)
{
	return transition(rt, req->container_id, RT_C_CREATED, RT_C_RUNNING, "start", err);
}

int agent_rt_pause_container(agent_rt *rt, const Grpc__PauseContainerRequest *req, cc_error **err)
{
	return transition(rt, req->container_id, RT_C_RUNNING, RT_C_PAUSED, "pause", err);
}

int agent_rt_resume_container(agent_rt *rt, const Grpc__ResumeContainerRequest *req,
                              cc_error **err)
{
	return transition(rt, req->container_id, RT_C_PAUSED, RT_C_RUNNING, "resume", err);
}

/* ---- remove --------------------------------------------------------------------------------- */

/* SIGKILL to each exec'd process of c still running, through its pidfd:
 * they die with the init of the container's pid namespace anyway, this
 * does not depend on it (nor on the runtime's `kill --all`, which only
 * finds what is in the container's cgroup). */
static void kill_execs(agent_rt *rt, rt_container *c)
{
	pthread_mutex_lock(&rt->lock); /* the reaper's lock nests inside it */
	for (rt_proc *p = c->procs; p; p = p->next)
		if (!p->init && p->child)
			rt_child_signal(p->child, SIGKILL);
	pthread_mutex_unlock(&rt->lock);
}

/* SIGKILL to every process of c, then waits for the init. */
static int kill_all(agent_rt *rt, rt_container *c, ttrpc_call *call, unsigned timeout_s,
                    cc_error **err)
{
	rt_proc *init = NULL;
	pthread_mutex_lock(&rt->lock);
	if (c->procs && c->procs->init && c->procs->child) {
		init = c->procs;
		init->refs++;
	}
	pthread_mutex_unlock(&rt->lock);
	if (init == NULL)
		return 0;
	int rc = 0;
	if (!rt_child_exited(init->child, NULL)) {
		cc_error *e2 = NULL;
		if (c->state == RT_C_PAUSED)
			oci_simple(rt, "resume", NULL, c->id, &e2);
		cc_error_free(e2);
		e2 = NULL;
		const char *args[] = {"kill", "--all", c->id, "KILL", NULL};
		rt_oci_run(rt, args, NULL, &e2);
		cc_error_free(e2);
		rt_child_signal(init->child, SIGKILL);
		kill_execs(rt, c);
		int ms = timeout_s ? (int)(timeout_s > 86400 ? 86400000 : timeout_s * 1000) : -1;
		if (call == NULL && ms < 0)
			ms = CC_AGENT_OCI_TIMEOUT_MS;
		rc = rt_child_wait(init->child, call, -1, ms);
		if (rc == -ETIMEDOUT)
			rc = rt_err(err, TTRPC_DEADLINE_EXCEEDED,
			            "container %s: processes still running after %u s", c->id, timeout_s);
		else if (rc < 0)
			cc_error_set(err, rc, "container %s: waiting for its processes", c->id);
	}
	rt_proc_unref(rt, init);
	return rc;
}

int rt_container_destroy(agent_rt *rt, rt_container *c, ttrpc_call *call, unsigned timeout_s,
                         cc_error **err)
{
	int rc = kill_all(rt, c, call, timeout_s, err);
	if (rc < 0)
		return rc;
	cc_error *derr = NULL;
	int drc = 0;
	if (c->state != RT_C_CREATING)
		drc = oci_simple(rt, "delete", "--force", c->id, &derr);
	rt_container_unlink(rt, c);
	rc = rt_bundle_cleanup(rt, c, err);
	if (rc == 0 && drc < 0) {
		rc = drc;
		cc_error_move(err, &derr);
	}
	cc_error_free(derr);
	return rc;
}

int agent_rt_remove_container(agent_rt *rt, ttrpc_call *call,
                              const Grpc__RemoveContainerRequest *req, cc_error **err)
{
	rt_container *c = NULL;
	int rc = rt_container_get(rt, req->container_id, &c, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&c->op);
	if (c->state == RT_C_GONE)
		rc = rt_err(err, TTRPC_NOT_FOUND, "container %s not found", req->container_id);
	else
		rc = rt_container_destroy(rt, c, call, req->timeout, err);
	pthread_mutex_unlock(&c->op);
	rt_container_unref(rt, c);
	return rc;
}
