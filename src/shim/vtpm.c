/* swtpm and the UEFI variable store of a pod (vtpm.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "cleanup.h"
#include "cocoon/cleanup.h"
#include "vm.h"
#include "vtpm.h"

/* How long swtpm may take to create its control socket (it takes a few
 * ms; a loaded CI machine more). */
#define SHIM_VTPM_READY_MS 5000

struct shim_vtpm {
	pid_t pid; /* 0 once reaped */
	char *socket;
};

static char *in_dir(const char *dir, const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static void sleep_ms(long ms)
{
	struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&d, &d) < 0 && errno == EINTR)
		;
}

/* Reaps pid if it has exited: true if it has (or is not our child). */
static bool reaped(pid_t pid)
{
	int st;
	pid_t r;
	while ((r = waitpid(pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	return r != 0;
}

/* Waits until the socket exists; swtpm binds and listens on it in one
 * step before it serves, and QEMU connects only later. */
static int wait_ready(struct shim_vtpm *t, const char *log, cc_error **err)
{
	for (int waited = 0;; waited += 10) {
		struct stat st;
		if (lstat(t->socket, &st) == 0 && S_ISSOCK(st.st_mode))
			return 0;
		if (reaped(t->pid)) {
			t->pid = 0;
			return cc_error_set(err, -ECHILD, "swtpm exited at start (see %s)", log);
		}
		if (waited >= SHIM_VTPM_READY_MS)
			return cc_error_set(err, -ETIMEDOUT, "swtpm made no socket %s in %d ms",
			                    t->socket, SHIM_VTPM_READY_MS);
		sleep_ms(10);
	}
}

int shim_vtpm_start(const char *swtpm_path, const char *state_dir, struct shim_vtpm **ret,
                    cc_error **err)
{
	const char *bin = swtpm_path ? swtpm_path : SHIM_SWTPM_PATH;
	_cleanup_free_ char *tpmdir = in_dir(state_dir, "tpm");
	_cleanup_free_ char *log = in_dir(state_dir, "swtpm.log");
	_cleanup_free_ char *pidfile = in_dir(state_dir, "swtpm.pid");
	_cleanup_free_ char *a_state = NULL, *a_ctrl = NULL;
	struct shim_vtpm *t = calloc(1, sizeof(*t));
	if (t == NULL || tpmdir == NULL || log == NULL || pidfile == NULL ||
	    (t->socket = in_dir(state_dir, "swtpm.sock")) == NULL ||
	    asprintf(&a_state, "dir=%s", tpmdir) < 0 ||
	    asprintf(&a_ctrl, "type=unixio,path=%s", t->socket) < 0) {
		shim_vtpm_free(t);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (strchr(state_dir, ',') != NULL) {
		shim_vtpm_free(t);
		return cc_error_set(err, -EINVAL, "state directory %s contains a comma, which swtpm "
		                    "cannot take", state_dir);
	}
	if (mkdir(tpmdir, 0700) < 0 && errno != EEXIST) {
		int r = cc_error_set(err, -errno, "%s: %s", tpmdir, strerror(errno));
		shim_vtpm_free(t);
		return r;
	}
	(void)unlink(t->socket);
	if (access(bin, X_OK) != 0) {
		int r = cc_error_set(err, -errno, "swtpm %s: %s", bin, strerror(errno));
		shim_vtpm_free(t);
		return r;
	}
	_cleanup_close_ int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		int r = cc_error_set(err, -errno, "%s: %s", log, strerror(errno));
		shim_vtpm_free(t);
		return r;
	}
	/* no --flags startup-clear: QEMU's emulator backend initialises the
	 * TPM over the control channel and OVMF sends TPM2_Startup itself */
	char *argv[] = {(char *)bin, "socket", "--tpm2", "--tpmstate", a_state, "--ctrl", a_ctrl,
	                "--terminate", NULL};
	pid_t pid = fork();
	if (pid == 0)
		shim_child_exec(argv, log_fd, state_dir);
	if (pid < 0) {
		int r = cc_error_set(err, -errno, "fork: %s", strerror(errno));
		shim_vtpm_free(t);
		return r;
	}
	t->pid = pid;
	int r = shim_write_pidfile(pidfile, pid, err);
	if (r == 0)
		r = wait_ready(t, log, err);
	if (r < 0) {
		shim_vtpm_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

const char *shim_vtpm_socket(const struct shim_vtpm *t)
{
	return t ? t->socket : NULL;
}

pid_t shim_vtpm_pid(const struct shim_vtpm *t)
{
	return t ? t->pid : 0;
}

void shim_vtpm_stop(struct shim_vtpm *t, int grace_ms)
{
	if (t == NULL || t->pid <= 0)
		return;
	/* until reaped the PID is still ours; --terminate usually has ended
	 * it already when QEMU went */
	if (reaped(t->pid)) {
		t->pid = 0;
		return;
	}
	if (grace_ms > 0) {
		kill(t->pid, SIGTERM);
		for (int waited = 0; waited < grace_ms; waited += 10) {
			sleep_ms(10);
			if (reaped(t->pid)) {
				t->pid = 0;
				return;
			}
		}
	}
	kill(-t->pid, SIGKILL);
	kill(t->pid, SIGKILL);
	while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR)
		;
	t->pid = 0;
}

void shim_vtpm_free(struct shim_vtpm *t)
{
	if (t == NULL)
		return;
	shim_vtpm_stop(t, 0);
	free(t->socket);
	free(t);
}

int shim_copy_firmware_vars(const char *template_path, const char *dst, cc_error **err)
{
	char *data = NULL;
	size_t len = 0;
	int r = shim_read_small_file(template_path, SHIM_FIRMWARE_VARS_MAX, &data, &len, err);
	if (r < 0)
		return cc_error_wrap(err, "firmware_vars");
	r = shim_write_file_atomic(dst, data, len, 0600, err);
	free(data);
	return r;
}
