/* `delete` (kata.md §2.3): containerd runs it when a shim died or its
 * start failed. It kills what the dead shim left (the shim process if it
 * somehow still runs, the VM), removes the state directory, the socket
 * and any mount on the bundle's rootfs, and prints a DeleteResponse. A
 * container of a pod only loses its own traces; its sandbox's delete
 * takes the VM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "bundle.h"
#include "cleanup.h"
#include "cocoon/cleanup.h"
#include "containerd/runtime/v2/task/shim.pb-c.h"
#include "main.h"
#include "ttrpc.h"

static char *in_dir(const char *dir, const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

/* The host agent's SIGTERM grace (hypervisor "none"): it removes its
 * containers (runc kill and delete) and exits. containerd gives the whole
 * `delete` 5 s (io.containerd.timeout.shim.cleanup). */
#define HOST_AGENT_GRACE_MS 3000

/* Ends the process a pid file names if it is still the one recorded:
 * SIGKILL, or with grace_ms > 0 SIGTERM first and SIGKILL after it. */
static pid_t kill_recorded(const char *dir, const char *name, int grace_ms)
{
	_cleanup_free_ char *path = in_dir(dir, name);
	pid_t pid = path ? shim_read_live_pid(path) : 0;
	if (pid <= 0 || pid == getpid())
		return pid;
	bool gone = grace_ms > 0 ? shim_term_wait(pid, grace_ms, 5000) : shim_kill_wait(pid, 5000);
	if (!gone)
		fprintf(stderr, "process %d (%s) did not die\n", (int)pid, name);
	return pid;
}

static int cleanup_sandbox(const struct shim_flags *f, const char *bundle, const char *sandbox_id,
                           pid_t *ret_vm, cc_error **err)
{
	_cleanup_free_ char *run_root = shim_run_root(bundle);
	_cleanup_free_ char *state = NULL, *address = NULL;
	if (run_root == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = shim_state_dir(run_root, f->address, f->namespace_, sandbox_id, &state, err);
	if (r == 0)
		r = shim_socket_address(run_root, f->address, f->namespace_, sandbox_id, &address, err);
	if (r < 0)
		return r;
	/* the shim first (it would restart nothing, but it holds the socket);
	 * then QEMU (vm.pid), or the host agent (agent.pid), which is asked
	 * to stop so that its containers go with it */
	kill_recorded(state, "shim.pid", 0);
	pid_t vm = kill_recorded(state, "vm.pid", 0);
	kill_recorded(state, "swtpm.pid", 0); /* enable_vtpm (vtpm.h) */
	pid_t agent = kill_recorded(state, "agent.pid", HOST_AGENT_GRACE_MS);
	*ret_vm = vm > 0 ? vm : agent;
	if ((r = shim_rm_rf(state, err)) < 0)
		return r;
	const char *sock = shim_address_path(address);
	if (sock != NULL && unlink(sock) < 0 && errno != ENOENT)
		fprintf(stderr, "%s: %s\n", sock, strerror(errno));
	return 0;
}

int shim_delete(const struct shim_flags *f)
{
	if (f->namespace_ == NULL || f->id == NULL || f->address == NULL) {
		fprintf(stderr, "delete: -namespace, -id and -address are needed\n");
		return 2;
	}
	char cwd[4096];
	const char *bundle = f->bundle;
	if (bundle == NULL) {
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			fprintf(stderr, "delete: getcwd: %s\n", strerror(errno));
			return 1;
		}
		bundle = cwd;
	}
	cc_error *err = NULL;
	json_t *spec = NULL;
	struct shim_pod pod = {0};
	/* without a readable config.json the container is taken as a sandbox */
	if (shim_bundle_spec(bundle, &spec, NULL) < 0 || shim_bundle_pod(spec, f->id, &pod, NULL) < 0) {
		pod.sandbox_id = strdup(f->id);
		pod.is_sandbox = true;
	}
	json_decref(spec);
	pid_t vm = 0;
	int r = 0;
	if (pod.sandbox_id == NULL)
		r = cc_error_set(&err, -ENOMEM, "out of memory");
	else if (pod.is_sandbox)
		r = cleanup_sandbox(f, bundle, pod.sandbox_id, &vm, &err);
	shim_pod_free(&pod);
	_cleanup_free_ char *rootfs = in_dir(bundle, "rootfs");
	if (rootfs != NULL)
		shim_unmount_if_mounted(rootfs);
	if (r < 0) {
		fprintf(stderr, "delete: %s\n", cc_error_message(err));
		cc_error_free(err);
		return 1;
	}
	/* what containerd reports as the task's end: killed (128 + SIGKILL) */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts.seconds = now.tv_sec;
	ts.nanos = (int32_t)now.tv_nsec;
	Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
	resp.pid = vm > 0 ? (uint32_t)vm : 0;
	resp.exit_status = 128 + SIGKILL;
	resp.exited_at = &ts;
	uint8_t *out = NULL;
	size_t len = 0;
	if (ttrpc_pb_pack(&resp.base, &out, &len, NULL) < 0)
		return 1;
	size_t w = fwrite(out, 1, len, stdout);
	free(out);
	return w == len && fflush(stdout) == 0 ? 0 : 1;
}
