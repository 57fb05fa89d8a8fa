/* Create, Start, Exec and Delete (task.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cocoon/cleanup.h"
#include "containerd/api/events/task.pb-c.h"
#include "copy.h"
#include "cocoon/limits.h"
#include "events.h"
#include "initdata/initdata.h"
#include "oci.h"
#include "task.h"
#include "vm.h"

int task_lookup(struct shim *sh, const char *id, const char *exec_id, struct shim_ctr **ret_c,
                struct shim_proc **ret_p, cc_error **err)
{
	struct shim_ctr *c = shim_find_ctr(sh, id);
	if (c == NULL)
		return ttrpc_error_set(err, TTRPC_NOT_FOUND, "container %s: not found", id);
	struct shim_proc *p = shim_find_proc(c, exec_id);
	if (p == NULL)
		return ttrpc_error_set(err, TTRPC_NOT_FOUND, "process %s of container %s: not found",
		                       exec_id, id);
	*ret_c = c;
	if (ret_p)
		*ret_p = p;
	return 0;
}

/* Takes a container out of the list (under sh->mu). */
static void unlink_ctr(struct shim *sh, struct shim_ctr *c)
{
	for (struct shim_ctr **pp = &sh->ctrs; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			sh->n_ctrs--;
			return;
		}
	}
}

/* The spec the agent gets (oci.h), the pod the container belongs to and,
 * for the sandbox, the agent policy annotation's value (or NULL). */
static int guest_spec(struct shim *sh, const Containerd__Task__V2__CreateTaskRequest *req,
                      bool *ret_sandbox, Grpc__Spec **ret, char **ret_policy, cc_error **err)
{
	json_t *j = NULL;
	int r = shim_bundle_spec(req->bundle, &j, err);
	if (r < 0)
		return r;
	struct shim_pod pod = {0};
	if ((r = shim_bundle_pod(j, req->id, &pod, err)) < 0) {
		json_decref(j);
		return r;
	}
	if (strcmp(pod.sandbox_id, sh->id) != 0)
		r = ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT,
		                    "container %s belongs to pod %s; this shim serves pod %s", req->id,
		                    pod.sandbox_id, sh->id);
	Grpc__Spec *spec = NULL;
	if (r == 0)
		r = shim_oci_spec(j, &spec, err);
	json_decref(j);
	if (r == 0) {
		struct shim_oci_guest g = {.container_id = req->id, .sandbox_id = sh->id,
		                           .guest_run_dir = sh->cfg.guest_run_dir,
		                           .bundle = req->bundle, .sandbox = pod.is_sandbox,
		                           .ret_policy = ret_policy};
		r = shim_oci_for_guest(spec, &g, err);
	}
	if (r == 0) {
		*ret_sandbox = pod.is_sandbox;
		*ret = spec;
	} else if (spec != NULL) {
		protobuf_c_message_free_unpacked(&spec->base, NULL);
	}
	shim_pod_free(&pod);
	return r;
}

static int agent_copy(void *ctx, const Grpc__CopyFileRequest *req, cc_error **err)
{
	struct shim *sh = ctx;
	return shim_agent_call(sh, "CopyFile", &req->base, NULL, sh->cfg.request_timeout_s, NULL,
	                       err);
}

/* Host files the spec bind-mounts go to the guest's shared directory. */
static int copy_mounts(struct shim *sh, const char *cid, Grpc__Spec *spec, cc_error **err)
{
	_cleanup_free_ char *shared = NULL;
	if (asprintf(&shared, "%s/shared/containers", sh->cfg.guest_run_dir) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct shim_copy_opts o = {.cid = cid, .shared_dir = shared, .copy = agent_copy, .ctx = sh};
	return shim_copy_mounts(spec, &o, err);
}

static void publish_create(struct shim *sh, const Containerd__Task__V2__CreateTaskRequest *req,
                           uint32_t pid)
{
	Containerd__Events__TaskIO io = CONTAINERD__EVENTS__TASK_IO__INIT;
	io.stdin = req->stdin;
	io.stdout = req->stdout;
	io.stderr = req->stderr;
	io.terminal = req->terminal;
	Containerd__Events__TaskCreate ev = CONTAINERD__EVENTS__TASK_CREATE__INIT;
	ev.container_id = req->id;
	ev.bundle = req->bundle;
	ev.n_rootfs = req->n_rootfs;
	ev.rootfs = req->rootfs;
	ev.io = &io;
	ev.checkpoint = req->checkpoint;
	ev.pid = pid;
	shim_events_publish(sh->events, "/tasks/create", &ev.base);
}

/* Reserves the id: a container in the list, not yet in the agent. */
static int reserve(struct shim *sh, const Containerd__Task__V2__CreateTaskRequest *req,
                   struct shim_ctr **ret, cc_error **err)
{
	struct shim_ctr *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->id = strdup(req->id)) == NULL ||
	    (c->bundle = strdup(req->bundle)) == NULL ||
	    (c->init = shim_proc_new(sh, req->id, "", req->stdin, req->stdout, req->stderr,
	                             req->terminal)) == NULL) {
		shim_ctr_free(c);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	int r = 0;
	pthread_mutex_lock(&sh->mu);
	if (sh->exiting)
		r = ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION, "the shim is shutting down");
	else if (shim_find_ctr(sh, req->id) != NULL)
		r = ttrpc_error_set(err, TTRPC_ALREADY_EXISTS, "container %s already exists", req->id);
	else if (sh->n_ctrs >= CC_SHIM_MAX_CONTAINERS)
		r = ttrpc_error_set(err, TTRPC_RESOURCE_EXHAUSTED, "more than %u containers in a pod",
		                    CC_SHIM_MAX_CONTAINERS);
	if (r == 0) {
		c->next = sh->ctrs;
		sh->ctrs = c;
		sh->n_ctrs++;
	}
	pthread_mutex_unlock(&sh->mu);
	if (r < 0) {
		shim_ctr_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int task_create(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__CreateTaskRequest,
	            containerd__task__v2__create_task_request__descriptor, req, err);
	if (!shim_valid_id(req->id))
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "invalid container id \"%s\"",
		                       req->id);
	if (req->bundle[0] != '/')
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "bundle \"%s\" is not absolute",
		                       req->bundle);
	if (req->checkpoint[0] || req->parent_checkpoint[0])
		return ttrpc_error_set(err, TTRPC_UNIMPLEMENTED, "checkpoints are not supported");
	/* the host never mounts or reads the rootfs: the guest pulls the
	 * image (docs/shim.md) */
	if (req->n_rootfs > 0)
		shim_logf(sh, CC_LOG_DEBUG, "%s: %zu rootfs mounts ignored (guest pull)", req->id,
		          req->n_rootfs);
	bool sandbox = false;
	Grpc__Spec *spec = NULL;
	_cleanup_free_ char *policy = NULL;
	int r = guest_spec(sh, req, &sandbox, &spec, &policy, err);
	if (r < 0)
		return r;
	struct shim_ctr *c = NULL;
	if ((r = reserve(sh, req, &c, err)) < 0) {
		protobuf_c_message_free_unpacked(&spec->base, NULL);
		return r;
	}
	c->sandbox = sandbox;
	/* the sandbox's init-data (docs/initdata.md); the annotation stays in
	 * the spec, as Kata's runtime leaves it */
	const char *initdata = sandbox ? shim_oci_annotation(spec, CC_INITDATA_ANNOTATION) : NULL;
	r = shim_ensure_sandbox(sh, sandbox ? spec->hostname : NULL, policy, initdata, err);
	if (r == 0)
		r = copy_mounts(sh, req->id, spec, err);
	if (r == 0) {
		Grpc__CreateContainerRequest cr = GRPC__CREATE_CONTAINER_REQUEST__INIT;
		cr.container_id = req->id;
		cr.exec_id = req->id;
		cr.oci = spec;
		r = shim_agent_call(sh, "CreateContainer", &cr.base, NULL,
		                    sh->cfg.create_container_timeout_s, NULL, err);
	}
	protobuf_c_message_free_unpacked(&spec->base, NULL);
	pthread_mutex_lock(&sh->mu);
	if (r == 0) {
		c->in_agent = true;
		publish_create(sh, req, shim_task_pid(sh));
	} else {
		unlink_ctr(sh, c);
	}
	uint32_t pid = shim_task_pid(sh);
	pthread_mutex_unlock(&sh->mu);
	if (r < 0) {
		shim_ctr_free(c);
		return cc_error_wrap(err, "creating container %s", req->id);
	}
	shim_logf(sh, CC_LOG_INFO, "container %s created", req->id);
	Containerd__Task__V2__CreateTaskResponse resp = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
	resp.pid = pid;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

int task_start(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__StartRequest,
	            containerd__task__v2__start_request__descriptor, req, err);
	struct shim_ctr *c;
	struct shim_proc *p = NULL;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, req->exec_id, &c, &p, err);
	if (r == 0 && (p->state != SHIM_P_CREATED || p->starting))
		r = ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION, "%s %s was already started",
		                    req->exec_id[0] ? "process" : "container",
		                    req->exec_id[0] ? req->exec_id : req->id);
	if (r == 0 && req->exec_id[0] && c->init->state != SHIM_P_RUNNING)
		r = ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION, "container %s is not running",
		                    req->id);
	if (r == 0) {
		p->starting = true;
		shim_proc_ref(p);
	}
	pthread_mutex_unlock(&sh->mu);
	if (r < 0)
		return r;
	if (req->exec_id[0]) {
		Grpc__ExecProcessRequest er = GRPC__EXEC_PROCESS_REQUEST__INIT;
		er.container_id = p->cid;
		er.exec_id = p->exec_id;
		er.process = p->spec;
		r = shim_agent_call(sh, "ExecProcess", &er.base, NULL, sh->cfg.request_timeout_s, NULL,
		                    err);
	} else {
		Grpc__StartContainerRequest sr = GRPC__START_CONTAINER_REQUEST__INIT;
		sr.container_id = p->cid;
		r = shim_agent_call(sh, "StartContainer", &sr.base, NULL, sh->cfg.request_timeout_s,
		                    NULL, err);
	}
	pthread_mutex_lock(&sh->mu);
	p->starting = false;
	uint32_t pid = shim_task_pid(sh);
	if (r == 0 && p->state == SHIM_P_CREATED) {
		p->state = SHIM_P_RUNNING;
		if (req->exec_id[0]) {
			Containerd__Events__TaskExecStarted ev =
			    CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;
			ev.container_id = p->cid;
			ev.exec_id = p->exec_id;
			ev.pid = pid;
			shim_events_publish(sh->events, "/tasks/exec-started", &ev.base);
		} else {
			Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
			ev.container_id = p->cid;
			ev.pid = pid;
			shim_events_publish(sh->events, "/tasks/start", &ev.base);
		}
	}
	pthread_mutex_unlock(&sh->mu);
	/* the exit can only be reported after TaskStart: the waiter starts now */
	if (r == 0 && (r = shim_proc_run(p, err)) < 0) {
		Grpc__SignalProcessRequest kr = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
		kr.container_id = p->cid;
		kr.exec_id = p->agent_exec_id;
		kr.signal = 9;
		shim_agent_call(sh, "SignalProcess", &kr.base, NULL, sh->cfg.request_timeout_s, NULL,
		                NULL);
	}
	shim_proc_unref(p);
	if (r < 0)
		return cc_error_wrap(err, "starting %s%s%s", req->id, req->exec_id[0] ? "/" : "",
		                     req->exec_id);
	Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
	resp.pid = pid;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

int task_exec(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__ExecProcessRequest,
	            containerd__task__v2__exec_process_request__descriptor, req, err);
	if (!shim_valid_id(req->exec_id))
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "invalid exec id \"%s\"",
		                       req->exec_id);
	if (req->spec == NULL)
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "exec %s has no process spec",
		                       req->exec_id);
	Grpc__Process *proc = NULL;
	int r = shim_oci_process((const char *)req->spec->value.data, req->spec->value.len, &proc,
	                         err);
	if (r < 0)
		return cc_error_wrap(err, "exec %s", req->exec_id);
	proc->terminal = req->terminal;
	struct shim_proc *p = shim_proc_new(sh, req->id, req->exec_id, req->stdin, req->stdout,
	                                    req->stderr, req->terminal);
	if (p == NULL) {
		protobuf_c_message_free_unpacked(&proc->base, NULL);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	p->spec = proc;
	struct shim_ctr *c;
	pthread_mutex_lock(&sh->mu);
	r = task_lookup(sh, req->id, NULL, &c, NULL, err);
	if (r == 0 && shim_find_proc(c, req->exec_id) != NULL)
		r = ttrpc_error_set(err, TTRPC_ALREADY_EXISTS, "process %s already exists",
		                    req->exec_id);
	else if (r == 0 && c->n_execs >= CC_SHIM_MAX_EXECS)
		r = ttrpc_error_set(err, TTRPC_RESOURCE_EXHAUSTED, "more than %u exec processes",
		                    CC_SHIM_MAX_EXECS);
	else if (r == 0 && c->init->state != SHIM_P_RUNNING)
		r = ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION, "container %s is not running",
		                    req->id);
	if (r == 0) {
		struct shim_proc **v = realloc(c->execs, (c->n_execs + 1) * sizeof(*v));
		if (v == NULL) {
			r = cc_error_set(err, -ENOMEM, "out of memory");
		} else {
			c->execs = v;
			c->execs[c->n_execs++] = p;
			p = NULL;
			Containerd__Events__TaskExecAdded ev = CONTAINERD__EVENTS__TASK_EXEC_ADDED__INIT;
			ev.container_id = req->id;
			ev.exec_id = req->exec_id;
			shim_events_publish(sh->events, "/tasks/exec-added", &ev.base);
		}
	}
	pthread_mutex_unlock(&sh->mu);
	shim_proc_unref(p);
	return r;
}

static int remove_in_agent(struct shim *sh, struct shim_ctr *c, cc_error **err)
{
	if (!c->in_agent || shim_vm_dead(sh->vm))
		return 0;
	Grpc__RemoveContainerRequest rr = GRPC__REMOVE_CONTAINER_REQUEST__INIT;
	rr.container_id = c->id;
	rr.timeout = sh->cfg.request_timeout_s;
	return shim_agent_call(sh, "RemoveContainer", &rr.base, NULL, sh->cfg.request_timeout_s + 5,
	                       NULL, err);
}

int task_delete(ttrpc_call *call, void *ud, cc_error **err)
{
	struct shim *sh = ud;
	TASK_UNPACK(call, Containerd__Task__V2__DeleteRequest,
	            containerd__task__v2__delete_request__descriptor, req, err);
	struct shim_ctr *c;
	struct shim_proc *p = NULL;
	pthread_mutex_lock(&sh->mu);
	int r = task_lookup(sh, req->id, req->exec_id, &c, &p, err);
	if (r == 0 && (p->state == SHIM_P_RUNNING || p->state == SHIM_P_PAUSED || p->starting))
		r = ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION, "%s %s is still running",
		                    req->exec_id[0] ? "process" : "container",
		                    req->exec_id[0] ? req->exec_id : req->id);
	if (r == 0 && !req->exec_id[0]) {
		/* out of the list first, so no other call finds it */
		unlink_ctr(sh, c);
	} else if (r == 0) {
		for (size_t i = 0; i < c->n_execs; i++)
			if (c->execs[i] == p) {
				memmove(&c->execs[i], &c->execs[i + 1],
				        (c->n_execs - i - 1) * sizeof(*c->execs));
				c->n_execs--;
				break;
			}
	}
	if (r == 0 && p->state == SHIM_P_CREATED)
		shim_proc_set_exited(p, 0); /* never ran */
	pthread_mutex_unlock(&sh->mu);
	if (r < 0)
		return r;
	Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
	resp.pid = shim_task_pid(sh);
	resp.exit_status = p->exit_status;
	Google__Protobuf__Timestamp ts = task_ts(p->exited_at);
	resp.exited_at = &ts;
	if (req->exec_id[0]) {
		r = ttrpc_call_reply_pb(call, &resp.base, err);
		shim_proc_release(sh, p);
		return r;
	}
	cc_error *e = NULL;
	if (remove_in_agent(sh, c, &e) < 0)
		shim_logf(sh, CC_LOG_WARN, "%s", cc_error_message(e));
	cc_error_free(e);
	/* the pod's last container: the VM goes now, before containerd's
	 * Shutdown, which it follows with `delete` as soon as the connection
	 * closes (Kata stops the sandbox on its container's Delete) */
	pthread_mutex_lock(&sh->mu);
	bool last = sh->n_ctrs == 0;
	pthread_mutex_unlock(&sh->mu);
	if (last)
		shim_stop_vm(sh);
	Containerd__Events__TaskDelete ev = CONTAINERD__EVENTS__TASK_DELETE__INIT;
	ev.container_id = c->id;
	ev.id = c->id;
	ev.pid = resp.pid;
	ev.exit_status = resp.exit_status;
	ev.exited_at = &ts;
	shim_events_publish(sh->events, "/tasks/delete", &ev.base);
	shim_logf(sh, CC_LOG_INFO, "container %s deleted", c->id);
	r = ttrpc_call_reply_pb(call, &resp.base, err);
	shim_ctr_free(c);
	return r;
}
