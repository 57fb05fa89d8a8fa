/* Hypervisor processes (vm.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "address.h"
#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "qemu.h"
#include "shim.h"
#include "vm.h"
#include "vtpm.h"

struct shim_vm {
	pid_t pid;
	bool host_agent; /* hypervisor "none": pid is the agent */
	int chan_fd;     /* the host agent: our connection's socket (a dup), or -1 */
	char *channel_path;
	char *state_dir;
	shim_vm_died_fn died;
	void *arg;
	pthread_t reaper;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	atomic_bool dead;
	bool killed;
	struct shim_vtpm *vtpm; /* enable_vtpm: the pod's swtpm */
};

static char *path_in(const char *dir, const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static void *reaper_main(void *arg)
{
	struct shim_vm *vm = arg;
	int status = 0;
	while (waitpid(vm->pid, &status, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&vm->mu);
	atomic_store(&vm->dead, true);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->mu);
	if (vm->died)
		vm->died(vm->arg, status);
	return NULL;
}

/* In the child: a process group of its own, stdio to /dev/null and the
 * log, no other fds, then exec. Only async-signal-safe calls. */
_Noreturn void shim_child_exec(char **argv, int log_fd, const char *cwd)
{
	setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int dn = open("/dev/null", O_RDWR);
	if (dn < 0 || dup2(dn, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(126);
	syscall(SYS_close_range, 3u, ~0u, 0u);
	if (cwd != NULL && chdir(cwd) < 0)
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

/* The measured-boot shape's per-pod pieces (vtpm.h): the firmware's
 * variable store copy and swtpm, before QEMU starts. */
static int measured_parts(struct shim_vm *vm, const struct shim_vm_opts *o, char **ret_vars,
                          cc_error **err)
{
	if (o->cfg->firmware != NULL) {
		if ((*ret_vars = path_in(o->state_dir, "firmware_vars.fd")) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		int r = shim_copy_firmware_vars(o->cfg->firmware_vars, *ret_vars, err);
		if (r < 0)
			return r;
	}
	if (o->cfg->vtpm)
		return shim_vtpm_start(NULL, o->state_dir, &vm->vtpm, err);
	return 0;
}

static int qemu_argv(const struct shim_vm_opts *o, const char *channel, const char *vars,
                     const struct shim_vtpm *vtpm, char ***ret, cc_error **err)
{
	enum shim_accel accel;
	const char *why;
	_cleanup_free_ char *cache = NULL;
	_cleanup_free_ char *console = path_in(o->state_dir, "console.log");
	/* the probe's answer lives beside the state directories */
	const char *slash = strrchr(o->state_dir, '/');
	if (slash != NULL)
		cache = strndup(o->state_dir, (size_t)(slash - o->state_dir));
	if (console == NULL || cache == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = shim_accel_resolve(o->cfg, cache, &accel, &why, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *name = NULL;
	if (asprintf(&name, "sandbox-%s", o->sandbox_id) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct shim_vm_spec spec = {.name = name, .channel_path = channel, .console_path = console,
	                            .accel = accel, .tsc_khz = shim_tsc_khz(),
	                            .initdata_img = o->initdata_img};
	spec.firmware_vars = vars;
	spec.tpm_socket = shim_vtpm_socket(vtpm);
	return shim_qemu_argv(o->cfg, &spec, ret, err);
}

static int host_agent_argv(const struct shim_vm_opts *o, const char *channel, char ***ret,
                           cc_error **err)
{
	size_t n = 0;
	for (char **a = o->cfg->host_agent_args; a && *a; a++)
		n++;
	/* + --listen unix:PATH [--initdata-device IMG] NULL */
	char **v = calloc(n + 6, sizeof(*v));
	if (v == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	v[0] = strdup(o->cfg->host_agent_path);
	v[1] = strdup("--listen");
	if (asprintf(&v[2], "unix:%s", channel) < 0)
		v[2] = NULL;
	bool oom = !v[0] || !v[1] || !v[2];
	for (size_t i = 0; i < n && !oom; i++)
		oom = (v[3 + i] = strdup(o->cfg->host_agent_args[i])) == NULL;
	if (!oom && o->initdata_img != NULL)
		oom = (v[3 + n] = strdup("--initdata-device")) == NULL ||
		      (v[4 + n] = strdup(o->initdata_img)) == NULL;
	if (oom) {
		for (size_t i = 0; i < n + 5; i++)
			free(v[i]);
		free(v);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = v;
	return 0;
}

int shim_vm_start(const struct shim_vm_opts *o, struct shim_vm **ret, cc_error **err)
{
	struct shim_vm *vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&vm->mu, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->chan_fd = -1;
	vm->host_agent = o->cfg->hypervisor == SHIM_HV_NONE;
	vm->died = o->died;
	vm->arg = o->arg;
	vm->state_dir = strdup(o->state_dir);
	vm->channel_path = path_in(o->state_dir, "agent.sock");
	_cleanup_free_ char *log = path_in(o->state_dir, "hypervisor.log");
	if (vm->state_dir == NULL || vm->channel_path == NULL || log == NULL) {
		shim_vm_free(vm);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	(void)unlink(vm->channel_path);
	char **argv = NULL;
	bool none = vm->host_agent;
	_cleanup_free_ char *vars = NULL;
	int r = none ? 0 : measured_parts(vm, o, &vars, err);
	if (r == 0)
		r = none ? host_agent_argv(o, vm->channel_path, &argv, err)
		         : qemu_argv(o, vm->channel_path, vars, vm->vtpm, &argv, err);
	if (r < 0) {
		shim_vm_free(vm);
		return r;
	}
	_cleanup_close_ int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		r = cc_error_set(err, -errno, "%s: %s", log, strerror(errno));
		shim_argv_free(argv);
		shim_vm_free(vm);
		return r;
	}
	if (access(argv[0], X_OK) != 0) {
		r = cc_error_set(err, -errno, "%s %s: %s", none ? "agent" : "hypervisor", argv[0],
		                 strerror(errno));
		shim_argv_free(argv);
		shim_vm_free(vm);
		return r;
	}
	pid_t pid = fork();
	if (pid == 0)
		shim_child_exec(argv, log_fd, o->state_dir);
	int fork_errno = errno;
	shim_argv_free(argv);
	if (pid < 0) {
		shim_vm_free(vm);
		return cc_error_set(err, -fork_errno, "fork: %s", strerror(fork_errno));
	}
	vm->pid = pid;
	/* vm.pid (agent.pid for the host agent, which delete stops with
	 * SIGTERM first): "PID STARTTIME", for delete after a crash */
	char line[64];
	int n = snprintf(line, sizeof(line), "%d %llu\n", (int)pid, shim_proc_starttime(pid));
	_cleanup_free_ char *pidfile = path_in(o->state_dir, none ? "agent.pid" : "vm.pid");
	if (pidfile == NULL || shim_write_file_atomic(pidfile, line, (size_t)n, 0600, err) < 0 ||
	    pthread_create(&vm->reaper, NULL, reaper_main, vm) != 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		vm->pid = 0;
		shim_vm_free(vm);
		return cc_error_set(err, -ENOMEM, "starting the VM: out of resources");
	}
	*ret = vm;
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int shim_vm_connect(struct shim_vm *vm, int timeout_ms, int *ret_fd, cc_error **err)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cc_error *last = NULL;
	for (;;) {
		if (atomic_load(&vm->dead)) {
			cc_error_free(last);
			return cc_error_set(err, -ECONNREFUSED, "the VM exited before its agent channel "
			                    "accepted a connection");
		}
		int fd = -1;
		cc_error_free(last);
		last = NULL;
		if (shim_connect_unix(vm->channel_path, &fd, &last) == 0) {
			/* the host agent: kept to hang up before SIGTERM (shim_vm_kill) */
			if (vm->host_agent) {
				pthread_mutex_lock(&vm->mu);
				if (vm->chan_fd >= 0)
					close(vm->chan_fd);
				vm->chan_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
				pthread_mutex_unlock(&vm->mu);
			}
			*ret_fd = fd;
			return 0;
		}
		if (ms_since(&t0) >= timeout_ms) {
			int r = cc_error_set(err, -ETIMEDOUT, "no agent channel after %d ms: %s",
			                     timeout_ms, cc_error_message(last));
			cc_error_free(last);
			return r;
		}
		struct timespec d = {0, 20 * 1000 * 1000};
		nanosleep(&d, NULL);
	}
}

pid_t shim_vm_pid(const struct shim_vm *vm)
{
	return vm ? vm->pid : 0;
}

bool shim_vm_dead(const struct shim_vm *vm)
{
	return vm == NULL || atomic_load(&vm->dead);
}

/* Waits up to ms for the reaper (ms < 0: for ever); true if it reaped. */
static bool wait_dead(struct shim_vm *vm, int ms)
{
	struct timespec end = shim_deadline(ms);
	pthread_mutex_lock(&vm->mu);
	while (!atomic_load(&vm->dead)) {
		if (ms < 0)
			pthread_cond_wait(&vm->cond, &vm->mu);
		else if (pthread_cond_timedwait(&vm->cond, &vm->mu, &end) != 0)
			break;
	}
	bool dead = atomic_load(&vm->dead);
	pthread_mutex_unlock(&vm->mu);
	return dead;
}

/* The host agent gives calls in flight 5 s at SIGTERM (docs/agent.md),
 * and our long polls (the OOM watcher's GetOOMEvent) would use them all.
 * So we hang up first and wait (up to HANG_UP_MS) until it has closed its
 * end: it has then cancelled our calls. (A SIGTERM that came first would
 * stop its reading before it saw our end of file.) Our pending calls fail
 * as they do when the VM dies. */
#define HANG_UP_MS 1000

static void hang_up(int fd)
{
	if (shutdown(fd, SHUT_WR) < 0)
		return;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long left = HANG_UP_MS - ms_since(&t0);
		struct pollfd p = {.fd = fd, .events = POLLRDHUP};
		if (left <= 0 || poll(&p, 1, (int)left) != 0)
			return; /* closed (or an error), or out of time */
	}
}

void shim_vm_kill(struct shim_vm *vm, int grace_ms)
{
	if (vm == NULL || vm->pid <= 0)
		return;
	pthread_mutex_lock(&vm->mu);
	bool first = !vm->killed;
	vm->killed = true;
	int chan = first ? vm->chan_fd : -1;
	pthread_mutex_unlock(&vm->mu);
	if (chan >= 0 && grace_ms > 0 && !atomic_load(&vm->dead))
		hang_up(chan);
	/* the reaper has not reaped while dead is false, so the PID is still
	 * ours */
	if (first && grace_ms > 0 && !atomic_load(&vm->dead)) {
		kill(-vm->pid, SIGTERM);
		if (wait_dead(vm, grace_ms))
			goto reaped;
	}
	if (!atomic_load(&vm->dead)) {
		kill(-vm->pid, SIGKILL);
		kill(vm->pid, SIGKILL);
	}
	wait_dead(vm, -1);
reaped:
	pthread_join(vm->reaper, NULL);
	vm->pid = 0;
	/* swtpm after QEMU (which holds its socket) */
	shim_vtpm_stop(vm->vtpm, grace_ms > 0 ? 1000 : 0);
}

void shim_vm_free(struct shim_vm *vm)
{
	if (vm == NULL)
		return;
	shim_vm_kill(vm, 0);
	shim_vtpm_free(vm->vtpm);
	if (vm->chan_fd >= 0)
		close(vm->chan_fd);
	pthread_mutex_destroy(&vm->mu);
	pthread_cond_destroy(&vm->cond);
	free(vm->channel_path);
	free(vm->state_dir);
	free(vm);
}

/* The last max bytes of a file, or NULL. */
static char *tail(const char *path, size_t max)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end <= 0)
		return NULL;
	off_t from = end > (off_t)max ? end - (off_t)max : 0;
	char *buf = malloc((size_t)(end - from) + 1);
	if (buf == NULL)
		return NULL;
	ssize_t n = pread(fd, buf, (size_t)(end - from), from);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

char *shim_vm_tail(const char *state_dir, size_t max)
{
	_cleanup_free_ char *cp = path_in(state_dir, "console.log");
	_cleanup_free_ char *hp = path_in(state_dir, "hypervisor.log");
	_cleanup_free_ char *c = cp ? tail(cp, max) : NULL;
	_cleanup_free_ char *h = hp ? tail(hp, max) : NULL;
	if (c == NULL && h == NULL)
		return NULL;
	char *out = NULL;
	if (asprintf(&out, "%s%s%s%s", c ? "console: " : "", c ? c : "", h ? " | hypervisor: " : "",
	             h ? h : "") < 0)
		return NULL;
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return out;
}
