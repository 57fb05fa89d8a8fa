/* The runtime object and the sandbox (runtime.h): agent_rt_new/free,
 * CreateSandbox, DestroySandbox, GetGuestDetails, agent_rt_wait.
 *
 * Directory layout under run_dir (Kata: /run/kata-containers):
 *   <cid>/                 a container's bundle (rt_bundle.c)
 *   shared/containers/     what CopyFile writes (rt_copyfile.c)
 *   sandbox/               sandbox storages (ephemeral tmpfs, local dirs)
 *                          and resolv.conf
 *   sockets/               console sockets of the OCI runtime
 * The OCI runtime keeps its state under oci_root. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "rt_int.h"

/* GetGuestDetails' agent version: the project's (meson passes it to the
 * agent's build). */
#if defined(COCOON_VERSION)
#define COCOON_AGENT_VERSION COCOON_VERSION
#else
#define COCOON_AGENT_VERSION "0.1.0"
#endif

int agent_rt_wait(ttrpc_call *call, struct pollfd *fds, nfds_t n, int timeout_ms)
{
	if (call)
		return ttrpc_call_poll(call, fds, n, timeout_ms);
	for (;;) {
		int r = poll(fds, n, timeout_ms);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return -errno;
	}
}

/* ---- new / free --------------------------------------------------------------------- */

static int dup_opt(char **dst, const char *src, const char *what, bool required,
                   cc_error **err)
{
	if (src == NULL || *src == '\0') {
		if (required)
			return cc_error_set(err, -EINVAL, "agent runtime: no %s", what);
		return 0;
	}
	if (src[0] != '/' || strlen(src) > 512)
		return cc_error_set(err, -EINVAL, "agent runtime: %s %s is not an absolute path of at "
		                    "most 512 bytes", what, src);
	*dst = strdup(src);
	return *dst ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
}

static int copy_opts(agent_rt *rt, const struct agent_rt_opts *o, cc_error **err)
{
	int rc = dup_opt(&rt->run_dir, o->run_dir, "run_dir", true, err);
	if (rc == 0)
		rc = dup_opt(&rt->oci_runtime, o->oci_runtime, "oci_runtime", true, err);
	if (rc == 0)
		rc = dup_opt(&rt->oci_root, o->oci_root, "oci_root", true, err);
	if (rc == 0)
		rc = dup_opt(&rt->image_cache_dir, o->image_cache_dir, "image_cache_dir", false, err);
	if (rc == 0)
		rc = dup_opt(&rt->image_policy_file, o->image_policy_file, "image_policy_file", false,
		             err);
	if (rc == 0)
		rc = dup_opt(&rt->image_registries_d, o->image_registries_d, "image_registries_d",
		             false, err);
	if (rc == 0)
		rc = rt_asprintf(&rt->shared_dir, err, "%s/shared/containers", rt->run_dir);
	if (rc == 0)
		rc = rt_asprintf(&rt->sandbox_dir, err, "%s/sandbox", rt->run_dir);
	if (rc == 0)
		rc = rt_asprintf(&rt->sock_dir, err, "%s/sockets", rt->run_dir);
	rt->image_insecure = o->image_insecure_registries;
	rt->guest = o->guest;
	return rc;
}

static int make_dirs(agent_rt *rt, cc_error **err)
{
	int rc = rt_mkdir_p(rt->run_dir, 0755, err);
	if (rc == 0)
		rc = rt_mkdir_p(rt->shared_dir, 0755, err);
	if (rc == 0)
		rc = rt_mkdir_p(rt->sandbox_dir, 0755, err);
	if (rc == 0)
		rc = rt_mkdir_p(rt->sock_dir, 0700, err);
	if (rc == 0)
		rc = rt_mkdir_p(rt->oci_root, 0700, err);
	if (rc == 0 && access(rt->oci_runtime, X_OK) < 0)
		rc = cc_error_set(err, -errno, "OCI runtime %s: %s", rt->oci_runtime, strerror(errno));
	return rc;
}

int agent_rt_new(const struct agent_rt_opts *o, agent_rt **ret, cc_error **err)
{
	agent_rt *rt = calloc(1, sizeof(*rt));
	if (rt == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&rt->lock, NULL);
	int rc = copy_opts(rt, o, err);
	if (rc == 0)
		rc = make_dirs(rt, err);
	/* Container processes outlive the runtime invocation that started
	 * them: they are reparented to the agent, which waits for them. */
	if (rc == 0 && getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		rc = cc_error_set(err, -errno, "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	if (rc == 0)
		rc = rt_reaper_new(&rt->reaper, err);
	if (rc < 0) {
		agent_rt_free(rt);
		return rc;
	}
	*ret = rt;
	return 0;
}

/* References to every container (the caller releases them). */
static size_t snapshot(agent_rt *rt, rt_container **out)
{
	pthread_mutex_lock(&rt->lock);
	size_t n = rt->ncs;
	for (size_t i = 0; i < n; i++) {
		out[i] = rt->cs[i];
		out[i]->refs++;
	}
	pthread_mutex_unlock(&rt->lock);
	return n;
}

/* Removes every container; the first error is kept. */
static int destroy_all(agent_rt *rt, cc_error **err)
{
	rt_container *cs[CC_AGENT_MAX_CONTAINERS];
	size_t n = snapshot(rt, cs);
	int first = 0;
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&cs[i]->op);
		if (cs[i]->state != RT_C_GONE) {
			int rc = rt_container_destroy(rt, cs[i], NULL, 10, err);
			if (rc < 0 && first == 0)
				first = rc;
		}
		pthread_mutex_unlock(&cs[i]->op);
		rt_container_unref(rt, cs[i]);
	}
	return first;
}

void agent_rt_free(agent_rt *rt)
{
	if (rt == NULL)
		return;
	if (rt->reaper) {
		destroy_all(rt, NULL);
		rt_mounts_undo(rt->mounts, rt->nmounts);
		rt->mounts = NULL;
		rt_reaper_free(rt->reaper);
	}
	rt_oom_clear(rt);
	free(rt->sandbox_id);
	free(rt->run_dir);
	free(rt->oci_runtime);
	free(rt->oci_root);
	free(rt->image_cache_dir);
	free(rt->image_policy_file);
	free(rt->image_registries_d);
	free(rt->shared_dir);
	free(rt->sandbox_dir);
	free(rt->sock_dir);
	pthread_mutex_destroy(&rt->lock);
	free(rt);
}

/* ---- CreateSandbox ---------------------------------------------------------------------- */

static int check_hostname(const char *h, cc_error **err)
{
	size_t n = strlen(h);
	if (n > 64)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "hostname longer than 64 bytes");
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return rt_err(err, TTRPC_INVALID_ARGUMENT, "hostname %s: invalid character", h);
	}
	return 0;
}

/* resolv.conf from the DNS lines ("nameserver 10.0.0.10", "search ...",
 * "options ndots:5"), one per line. */
static int resolv_conf(const Grpc__CreateSandboxRequest *req, cc_buf *b, cc_error **err)
{
	static const char *const keys[] = {"nameserver ", "search ", "options ", "domain ",
	                                   "sortlist "};
	if (req->n_dns > CC_AGENT_MAX_DNS)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "more than %u DNS lines", CC_AGENT_MAX_DNS);
	for (size_t i = 0; i < req->n_dns; i++) {
		const char *l = req->dns[i];
		size_t n = strlen(l);
		bool ok = n > 0 && n <= CC_AGENT_MAX_DNS_LINE;
		for (size_t k = 0; ok && k < n; k++)
			ok = l[k] >= ' ' && l[k] <= '~';
		bool known = false;
		for (size_t k = 0; ok && !known && k < sizeof(keys) / sizeof(keys[0]); k++)
			known = strncmp(l, keys[k], strlen(keys[k])) == 0;
		if (!ok || !known)
			return rt_err(err, TTRPC_INVALID_ARGUMENT, "DNS line %zu is not a resolv.conf "
			              "nameserver/search/options/domain/sortlist line", i);
		if (cc_buf_add(b, l, n) < 0 || cc_buf_addc(b, '\n') < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int apply_sandbox(agent_rt *rt, const Grpc__CreateSandboxRequest *req, cc_error **err)
{
	int rc = check_hostname(req->hostname, err);
	if (rc < 0)
		return rc;
	if (req->n_kernel_modules)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "loading kernel modules is not supported");
	cc_buf b;
	cc_buf_init(&b, CC_AGENT_MAX_DNS * (CC_AGENT_MAX_DNS_LINE + 1));
	rc = resolv_conf(req, &b, err);
	_cleanup_free_ char *path = NULL;
	if (rc == 0 && req->n_dns && (rc = rt_asprintf(&path, err, "%s/resolv.conf",
	                                                rt->sandbox_dir)) == 0)
		rc = rt_write_file(path, b.p ? b.p : "", b.len, 0644, err);
	/* In the guest /etc/resolv.conf is replaced, also when it is a symlink. */
	if (rc == 0 && req->n_dns && rt->guest &&
	    (rc = rt_write_file("/etc/.resolv.conf.cocoon", b.p ? b.p : "", b.len, 0644, err)) == 0 &&
	    rename("/etc/.resolv.conf.cocoon", "/etc/resolv.conf") < 0)
		rc = cc_error_set(err, -errno, "/etc/resolv.conf: %s", strerror(errno));
	cc_buf_free(&b);
	if (rc == 0 && rt->guest && *req->hostname &&
	    sethostname(req->hostname, strlen(req->hostname)) < 0)
		rc = cc_error_set(err, -errno, "sethostname: %s", strerror(errno));
	if (rc == 0)
		rc = rt_storages_add(rt, req->storages, req->n_storages, &rt->mounts, &rt->nmounts,
		                     err);
	return rc;
}

int agent_rt_create_sandbox(agent_rt *rt, const Grpc__CreateSandboxRequest *req, cc_error **err)
{
	int rc = 0;
	pthread_mutex_lock(&rt->lock);
	if (rt->sandbox)
		rc = rt_err(err, TTRPC_ALREADY_EXISTS, "the sandbox already exists");
	else
		rt->sandbox = true; /* taken while it is set up */
	pthread_mutex_unlock(&rt->lock);
	if (rc < 0)
		return rc;
	char *id = strdup(req->sandbox_id);
	rc = id ? apply_sandbox(rt, req, err) : cc_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_lock(&rt->lock);
	if (rc < 0) {
		rt->sandbox = false;
		free(id);
	} else {
		free(rt->sandbox_id);
		rt->sandbox_id = id;
	}
	pthread_mutex_unlock(&rt->lock);
	if (rc < 0) {
		rt_mounts_undo(rt->mounts, rt->nmounts);
		rt->mounts = NULL;
		rt->nmounts = 0;
		cc_error_wrap(err, "CreateSandbox");
	}
	return rc;
}

/* ---- DestroySandbox ---------------------------------------------------------------------- */

/* Empties dir (keeps it). */
static int empty_dir(const char *dir, cc_error **err)
{
	int rc = rt_remove_tree(dir, err);
	if (rc == 0)
		rc = rt_mkdir_p(dir, 0755, err);
	return rc;
}

int agent_rt_destroy_sandbox(agent_rt *rt, const Grpc__DestroySandboxRequest *req, cc_error **err)
{
	(void)req;
	pthread_mutex_lock(&rt->lock);
	bool sb = rt->sandbox;
	pthread_mutex_unlock(&rt->lock);
	if (!sb)
		return rt_err(err, TTRPC_FAILED_PRECONDITION, "there is no sandbox");
	int rc = destroy_all(rt, err);
	pthread_mutex_lock(&rt->lock);
	char **mounts = rt->mounts;
	size_t n = rt->nmounts;
	rt->mounts = NULL;
	rt->nmounts = 0;
	rt->sandbox = false;
	free(rt->sandbox_id);
	rt->sandbox_id = NULL;
	rt_oom_clear(rt);
	pthread_mutex_unlock(&rt->lock);
	rt_mounts_undo(mounts, n);
	int r2 = empty_dir(rt->sandbox_dir, rc < 0 ? NULL : err);
	int r3 = empty_dir(rt->shared_dir, rc < 0 || r2 < 0 ? NULL : err);
	if (rc == 0)
		rc = r2 < 0 ? r2 : r3;
	return rc < 0 ? cc_error_wrap(err, "DestroySandbox") : 0;
}

/* ---- GetGuestDetails ------------------------------------------------------------------------ */

static int add_strs(char ***v, size_t *n, const char *const *s, size_t k)
{
	*v = calloc(k, sizeof(**v));
	if (*v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++)
		if (((*v)[(*n)++] = strdup(s[i])) == NULL)
			return -ENOMEM;
	return 0;
}

static uint64_t mem_block_size(void)
{
	_cleanup_free_ char *s = NULL;
	if (rt_read_file("/sys/devices/system/memory/block_size_bytes", 64, &s, NULL, NULL) < 0)
		return 0;
	return strtoull(s, NULL, 16);
}

int agent_rt_guest_details(agent_rt *rt, const Grpc__GuestDetailsRequest *req,
                           Grpc__GuestDetailsResponse **ret, cc_error **err)
{
	static const char *const storages[] = {"ephemeral", "local", "image_guest_pull"};
	Grpc__GuestDetailsResponse *r = malloc(sizeof(*r));
	Grpc__AgentDetails *d = malloc(sizeof(*d));
	if (r == NULL || d == NULL) {
		free(r);
		free(d);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	grpc__guest_details_response__init(r);
	grpc__agent_details__init(d);
	r->agent_details = d;
	if (req->mem_block_size)
		r->mem_block_size_bytes = mem_block_size();
	if (req->mem_hotplug_probe)
		r->support_mem_hotplug_probe = access("/sys/devices/system/memory/probe", W_OK) == 0;
	(void)rt;
	d->init_daemon = getpid() == 1;
	d->supports_seccomp = true; /* the OCI runtime applies linux.seccomp */
	d->version = strdup(COCOON_AGENT_VERSION);
	int rc = d->version ? add_strs(&d->storage_handlers, &d->n_storage_handlers, storages, 3)
	                    : -ENOMEM;
	if (rc < 0) {
		protobuf_c_message_free_unpacked(&r->base, NULL);
		return cc_error_set(err, rc, "out of memory");
	}
	*ret = r;
	return 0;
}
