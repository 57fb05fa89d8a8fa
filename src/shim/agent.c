/* The pod's VM and its agent (shim.h): boot, health check, CreateSandbox,
 * calls, stop. kata.md §3.2 gives the order. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <openssl/evp.h>

#include "containerd/api/events/task.pb-c.h"
#include "events.h"
#include "google/protobuf/empty.pb-c.h"
#include "cocoon/limits.h"
#include "health.pb-c.h"
#include "initdata.h"
#include "oci.h"
#include "shim.h"
#include "vm.h"

#define AGENT_SERVICE "grpc.AgentService"
#define HEALTH_SERVICE "grpc.Health"
#define NS_PER_S 1000000000LL

static int call_on(ttrpc_client *c, const char *svc, const char *method,
                   const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                   int64_t timeout_ns, ProtobufCMessage **ret, cc_error **err)
{
	ttrpc_call_opts o = {.timeout_ns = timeout_ns};
	ProtobufCMessage *resp = NULL;
	int r = ttrpc_client_call_pb(c, svc, method, req,
	                             resp_desc ? resp_desc : &google__protobuf__empty__descriptor, &o,
	                             &resp, err);
	if (r < 0)
		return r;
	if (ret != NULL)
		*ret = resp;
	else
		ttrpc_pb_free(resp);
	return 0;
}

int shim_agent_call(struct shim *sh, const char *method, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *resp_desc, unsigned timeout_s,
                    ProtobufCMessage **ret, cc_error **err)
{
	pthread_mutex_lock(&sh->mu);
	ttrpc_client *c = sh->agent;
	pthread_mutex_unlock(&sh->mu);
	if (c == NULL)
		return ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION, "the pod's VM is not running");
	int r = call_on(c, AGENT_SERVICE, method, req, resp_desc, (int64_t)timeout_s * NS_PER_S, ret,
	                err);
	if (r < 0)
		cc_error_wrap(err, "agent %s", method);
	return r;
}

/* The reaper saw the hypervisor exit. */
static void vm_died(void *arg, int status)
{
	struct shim *sh = arg;
	pthread_mutex_lock(&sh->mu);
	bool expected = sh->exiting || sh->vm_stopping;
	ttrpc_client *c = sh->agent;
	pthread_mutex_unlock(&sh->mu);
	if (WIFSIGNALED(status))
		shim_logf(sh, expected ? CC_LOG_DEBUG : CC_LOG_ERROR, "the VM was killed by signal %d",
		          WTERMSIG(status));
	else
		shim_logf(sh, expected ? CC_LOG_DEBUG : CC_LOG_ERROR, "the VM exited with status %d",
		          WEXITSTATUS(status));
	/* every call waiting on the agent fails now */
	if (c != NULL)
		ttrpc_client_close(c);
	shim_all_exited(sh);
}

static int64_t ms_left(const struct timespec *end)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (end->tv_sec - t.tv_sec) * 1000 + (end->tv_nsec - t.tv_nsec) / 1000000;
}

/* grpc.Health/Check until SERVING (kata.md §3.2: the first request). Each
 * try waits at most 5 s; a request sent before the agent runs waits in the
 * channel and is answered when it does. */
static int wait_healthy(struct shim *sh, ttrpc_client *c, struct shim_vm *vm,
                        const struct timespec *end, cc_error **err)
{
	cc_error *last = NULL;
	for (;;) {
		int64_t left = ms_left(end);
		if (left <= 0 || shim_vm_dead(vm))
			break;
		Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
		ProtobufCMessage *resp = NULL;
		cc_error_free(last);
		last = NULL;
		int64_t t = left < 5000 ? left : 5000;
		int r = call_on(c, HEALTH_SERVICE, "Check", &req.base,
		                &grpc__health_check_response__descriptor, t * 1000000LL, &resp, &last);
		if (r == 0) {
			int st = ((Grpc__HealthCheckResponse *)resp)->status;
			ttrpc_pb_free(resp);
			if (st == GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING) {
				shim_logf(sh, CC_LOG_DEBUG, "agent is serving");
				return 0;
			}
		} else if (ttrpc_error_code(last) == TTRPC_UNAVAILABLE) {
			break; /* the channel closed: the VM is going away */
		}
		struct timespec d = {0, 50 * 1000 * 1000};
		nanosleep(&d, NULL);
	}
	int r = cc_error_set(err, -ETIMEDOUT, "the agent did not answer a health check within %u s%s%s",
	                     sh->cfg.dial_timeout_s, last ? ": " : "",
	                     last ? cc_error_message(last) : "");
	cc_error_free(last);
	return r;
}

/* Boots the VM (with the init-data image initdata_img, or NULL) and
 * connects to its agent; sh->booting is ours. */
static int boot(struct shim *sh, const char *initdata_img, cc_error **err)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += sh->cfg.dial_timeout_s;
	struct shim_vm_opts o = {.cfg = &sh->cfg, .state_dir = sh->state_dir,
	                         .sandbox_id = sh->id, .initdata_img = initdata_img,
	                         .died = vm_died, .arg = sh};
	struct shim_vm *vm = NULL;
	int r = shim_vm_start(&o, &vm, err);
	if (r < 0)
		return cc_error_wrap(err, "starting the VM");
	pthread_mutex_lock(&sh->mu);
	sh->vm = vm;
	pthread_mutex_unlock(&sh->mu);
	shim_logf(sh, CC_LOG_INFO, "VM started (%s, pid %d)",
	          sh->cfg.hypervisor == SHIM_HV_NONE ? "host agent" : "qemu", (int)shim_vm_pid(vm));
	int fd = -1;
	ttrpc_client *c = NULL;
	int64_t left = ms_left(&end);
	r = shim_vm_connect(vm, left > 0 ? (int)left : 1, &fd, err);
	if (r == 0)
		r = ttrpc_client_new(fd, &c, err);
	if (r == 0) {
		pthread_mutex_lock(&sh->mu);
		sh->agent = c;
		pthread_mutex_unlock(&sh->mu);
		r = wait_healthy(sh, c, vm, &end, err);
	}
	if (r < 0) {
		char *t = shim_vm_tail(sh->state_dir, 600);
		if (t != NULL) {
			cc_error_wrap(err, "booting the VM (%s)", t);
			free(t);
		} else {
			cc_error_wrap(err, "booting the VM");
		}
	}
	return r;
}

/* Kata's legacy policy path (kata.md §4.1): the runtime base64-decodes
 * the pod's io.katacontainers.config.agent.policy annotation and sends it
 * with SetPolicy right after the first Check. The agent judges it against
 * its current policy; a refusal fails the pod. */
static int set_policy(struct shim *sh, const char *b64, cc_error **err)
{
	size_t n = strlen(b64);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > CC_SHIM_MAX_AGENT_POLICY_BYTES)
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT,
		                       "annotation " SHIM_POLICY_ANNOTATION ": %zu characters is not "
		                       "base64 of a policy of at most %u bytes",
		                       n, CC_SHIM_MAX_AGENT_POLICY_BYTES);
	unsigned char *text = malloc(n / 4 * 3 + 1);
	if (text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int len = EVP_DecodeBlock(text, (const unsigned char *)b64, (int)n);
	if (len < 0) {
		free(text);
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT,
		                       "annotation " SHIM_POLICY_ANNOTATION ": not valid base64");
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	len -= (b64[n - 1] == '=') + (b64[n - 2] == '=');
	text[len] = '\0';
	if (memchr(text, '\0', (size_t)len) != NULL) {
		free(text);
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT,
		                       "annotation " SHIM_POLICY_ANNOTATION ": the policy is not text");
	}
	Grpc__SetPolicyRequest req = GRPC__SET_POLICY_REQUEST__INIT;
	req.policy = (char *)text;
	int r = shim_agent_call(sh, "SetPolicy", &req.base, NULL, sh->cfg.request_timeout_s, NULL,
	                        err);
	free(text);
	if (r == 0)
		shim_logf(sh, CC_LOG_INFO, "agent policy from the pod's annotation sent (%d bytes)", len);
	return r;
}

static int create_sandbox(struct shim *sh, const char *hostname, cc_error **err)
{
	Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
	req.hostname = (char *)(hostname ? hostname : "");
	req.sandbox_id = sh->id;
	return shim_agent_call(sh, "CreateSandbox", &req.base, NULL, sh->cfg.request_timeout_s, NULL,
	                       err);
}

int shim_ensure_sandbox(struct shim *sh, const char *hostname, const char *policy_b64,
                        const char *initdata_b64, cc_error **err)
{
	pthread_mutex_lock(&sh->mu);
	while (sh->booting)
		pthread_cond_wait(&sh->boot_cond, &sh->mu);
	if (sh->sandbox_created && !shim_vm_dead(sh->vm)) {
		pthread_mutex_unlock(&sh->mu);
		return 0;
	}
	if (sh->vm != NULL || sh->exiting) {
		pthread_mutex_unlock(&sh->mu);
		return ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION,
		                       sh->exiting ? "the shim is shutting down"
		                                   : "the pod's VM is gone");
	}
	sh->booting = true;
	pthread_mutex_unlock(&sh->mu);
	/* a bad annotation fails the Create before anything boots */
	char *img = NULL;
	int r = shim_initdata_prepare(&sh->cfg, sh->state_dir, initdata_b64, &img, err);
	if (r == 0 && img != NULL)
		shim_logf(sh, CC_LOG_INFO, "init-data from the pod's annotation: %s", img);
	if (r == 0)
		r = boot(sh, img, err);
	free(img);
	if (r == 0 && policy_b64 != NULL)
		r = set_policy(sh, policy_b64, err);
	if (r == 0)
		r = create_sandbox(sh, hostname, err);
	if (r == 0)
		shim_start_oom_watch(sh);
	pthread_mutex_lock(&sh->mu);
	sh->booting = false;
	sh->sandbox_created = r == 0;
	pthread_cond_broadcast(&sh->boot_cond);
	pthread_mutex_unlock(&sh->mu);
	if (r < 0) {
		shim_stop_vm(sh);
		/* a failed boot leaves no VM behind; the next Create may try
		 * again */
		pthread_mutex_lock(&sh->mu);
		struct shim_vm *vm = sh->vm;
		ttrpc_client *c = sh->agent;
		sh->vm = NULL;
		sh->agent = NULL;
		sh->vm_stopping = false;
		pthread_mutex_unlock(&sh->mu);
		ttrpc_client_free(c);
		shim_vm_free(vm);
	}
	return r;
}

void shim_stop_vm(struct shim *sh)
{
	pthread_mutex_lock(&sh->mu);
	struct shim_vm *vm = sh->vm;
	bool created = sh->sandbox_created, first = !sh->vm_stopping;
	sh->sandbox_created = false;
	if (vm != NULL)
		sh->vm_stopping = true;
	pthread_mutex_unlock(&sh->mu);
	if (vm == NULL || !first)
		return;
	if (created && !shim_vm_dead(vm)) {
		Grpc__DestroySandboxRequest req = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
		cc_error *e = NULL;
		if (shim_agent_call(sh, "DestroySandbox", &req.base, NULL, 5, NULL, &e) < 0)
			shim_logf(sh, CC_LOG_DEBUG, "%s", cc_error_message(e));
		cc_error_free(e);
	}
	/* QEMU stops at SIGTERM; the host agent kills its containers on it,
	 * but gives calls in flight 5 s first (docs/agent.md): our long polls
	 * (the OOM watcher's GetOOMEvent) end when we close the connection */
	if (sh->cfg.hypervisor == SHIM_HV_NONE) {
		pthread_mutex_lock(&sh->mu);
		ttrpc_client *c = sh->agent;
		pthread_mutex_unlock(&sh->mu);
		if (c != NULL)
			ttrpc_client_close(c);
	}
	shim_vm_kill(vm, sh->cfg.hypervisor == SHIM_HV_NONE ? 3000 : 1000);
	shim_logf(sh, CC_LOG_INFO, "VM stopped");
}

/* GetOOMEvent is a long poll (kata.md §3.2): each answer names a
 * container the guest's OOM killer hit. Ends when the agent goes away or
 * does not have the RPC. */
static void *oom_main(void *arg)
{
	struct shim *sh = arg;
	for (;;) {
		Grpc__GetOOMEventRequest req = GRPC__GET_OOMEVENT_REQUEST__INIT;
		ProtobufCMessage *resp = NULL;
		cc_error *e = NULL;
		int r = shim_agent_call(sh, "GetOOMEvent", &req.base, &grpc__oomevent__descriptor, 0,
		                        &resp, &e);
		if (r < 0) {
			shim_logf(sh, CC_LOG_DEBUG, "OOM events end: %s", cc_error_message(e));
			cc_error_free(e);
			break;
		}
		const Grpc__OOMEvent *ev = (const Grpc__OOMEvent *)resp;
		shim_logf(sh, CC_LOG_INFO, "container %s ran out of memory", ev->container_id);
		Containerd__Events__TaskOOM oom = CONTAINERD__EVENTS__TASK_OOM__INIT;
		oom.container_id = ev->container_id;
		shim_events_publish(sh->events, "/tasks/oom", &oom.base);
		ttrpc_pb_free(resp);
	}
	shim_worker_leave(sh);
	return NULL;
}

void shim_start_oom_watch(struct shim *sh)
{
	pthread_mutex_lock(&sh->mu);
	bool start = !sh->oom_started;
	sh->oom_started = true;
	pthread_mutex_unlock(&sh->mu);
	if (!start)
		return;
	shim_worker_enter(sh);
	if (pthread_create(&sh->oom_thread, NULL, oom_main, sh) != 0) {
		shim_worker_leave(sh);
		pthread_mutex_lock(&sh->mu);
		sh->oom_started = false;
		pthread_mutex_unlock(&sh->mu);
	}
}
