/* `start` (kata.md §2.2): compute the pod's socket address, listen on it,
 * write the bundle's address file, re-execute as the long-running server
 * with the socket on fd 3, print only the address. A container of a pod
 * whose shim runs gets that shim's address instead (one shim per pod). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "bundle.h"
#include "cleanup.h"
#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "config.h"
#include "main.h"
#include "options.h"

/* Reads the runtime options containerd writes on stdin (none when stdin
 * is a terminal or /dev/null). */
static int read_stdin(uint8_t **ret, size_t *ret_len, cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	struct stat st;
	if (isatty(0) || fstat(0, &st) < 0 || S_ISCHR(st.st_mode))
		return 0;
	cc_buf b;
	cc_buf_init(&b, CC_SHIM_MAX_OPTIONS_BYTES);
	char chunk[4096];
	for (;;) {
		ssize_t n = read(0, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (cc_buf_add(&b, chunk, (size_t)n) < 0) {
			cc_buf_free(&b);
			return cc_error_set(err, -E2BIG, "runtime options on stdin: more than %u bytes",
			                    CC_SHIM_MAX_OPTIONS_BYTES);
		}
	}
	*ret_len = b.len;
	*ret = (uint8_t *)cc_buf_steal(&b, NULL);
	cc_buf_free(&b);
	return 0;
}

/* The configuration the server will read: a path (checked by loading it
 * now, so a bad file fails `ctr run` with its message), written to the
 * state directory when the options carry its text. */
static int pick_config(const struct shim_options *o, const char *state_dir, char **ret,
                       cc_error **err)
{
	char *path;
	if (o->config_body != NULL) {
		if (asprintf(&path, "%s/configuration.toml", state_dir) < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
		int r = shim_write_file_atomic(path, o->config_body, strlen(o->config_body), 0600, err);
		if (r < 0) {
			free(path);
			return r;
		}
	} else if ((path = shim_config_pick_path(o->config_path)) == NULL) {
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	struct shim_config c;
	int r = shim_config_load_file(&c, path, err);
	shim_config_free(&c);
	if (r < 0) {
		free(path);
		return r;
	}
	*ret = path;
	return 0;
}

static int mkdirs_state(const char *run_root, const char *state_dir, cc_error **err)
{
	_cleanup_free_ char *parent = NULL;
	if (asprintf(&parent, "%s/cocoon", run_root) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if ((mkdir(run_root, 0711) < 0 && errno != EEXIST) ||
	    (mkdir(parent, 0711) < 0 && errno != EEXIST) ||
	    (mkdir(state_dir, 0700) < 0 && errno != EEXIST))
		return cc_error_set(err, -errno, "%s: %s", state_dir, strerror(errno));
	return 0;
}

/* The server: a new session, the socket as fd 3, stdio to /dev/null
 * (containerd collects `start`'s output until every writer closes it). */
static int spawn_server(const struct shim_flags *f, int lfd, const char *config, pid_t *ret,
                        cc_error **err)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return cc_error_set(err, -errno, "/proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	const char *argv[16];
	int i = 0;
	argv[i++] = self;
	argv[i++] = "-namespace";
	argv[i++] = f->namespace_;
	argv[i++] = "-address";
	argv[i++] = f->address;
	argv[i++] = "-publish-binary";
	argv[i++] = f->publish_binary ? f->publish_binary : "";
	argv[i++] = "-id";
	argv[i++] = f->id;
	argv[i++] = "-cocoon-config";
	argv[i++] = config;
	if (f->debug)
		argv[i++] = "-debug";
	argv[i] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return cc_error_set(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		int dn = open("/dev/null", O_RDWR);
		if (dn < 0 || dup2(dn, 0) < 0 || dup2(dn, 1) < 0 || dup2(dn, 2) < 0)
			_exit(126);
		/* dup2 clears close-on-exec, except when lfd is already 3 */
		if (lfd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(lfd, 3) != 3)
			_exit(126);
		execv(self, (char **)argv);
		_exit(127);
	}
	*ret = pid;
	return 0;
}

/* The shim's OOM score: containerd's plus one, so the kernel kills the
 * shim before containerd (runc's AdjustOOMScore). */
static void adjust_oom(pid_t pid)
{
	char path[64];
	_cleanup_free_ char *s = NULL;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)getppid());
	if (shim_read_small_file(path, 32, &s, NULL, NULL) < 0)
		return;
	long v = strtol(s, NULL, 10) + 1;
	if (v > 1000)
		v = 1000;
	char out[32];
	int n = snprintf(out, sizeof(out), "%ld", v);
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, out, (size_t)n);
		close(fd);
	}
}

static int write_address(const char *address, cc_error **err)
{
	return shim_write_file_atomic("address", address, strlen(address), 0644, err);
}

static int start(const struct shim_flags *f, char **ret_address, cc_error **err)
{
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return cc_error_set(err, -errno, "getcwd: %s", strerror(errno));
	_cleanup_free_ uint8_t *in = NULL;
	size_t in_len = 0;
	int r = read_stdin(&in, &in_len, err);
	struct shim_options o = {0};
	if (r == 0)
		r = shim_options_decode(in, in_len, &o, err);
	json_t *spec = NULL;
	struct shim_pod pod = {0};
	if (r == 0 && (r = shim_bundle_spec(cwd, &spec, err)) == 0)
		r = shim_bundle_pod(spec, f->id, &pod, err);
	json_decref(spec);
	_cleanup_free_ char *run_root = shim_run_root(cwd);
	_cleanup_free_ char *address = NULL, *state_dir = NULL, *config = NULL;
	if (r == 0 && run_root == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = shim_socket_address(run_root, f->address, f->namespace_, pod.sandbox_id, &address,
		                        err);
	if (r == 0 && !pod.is_sandbox) {
		/* a container of a running pod: its sandbox's shim serves it */
		if (!shim_can_connect(address))
			r = cc_error_set(err, -ENOTCONN, "the shim of sandbox %s is not running (%s)",
			                 pod.sandbox_id, address);
		if (r == 0)
			r = write_address(address, err);
		goto out;
	}
	if (r == 0)
		r = shim_state_dir(run_root, f->address, f->namespace_, pod.sandbox_id, &state_dir,
		                   err);
	if (r == 0)
		r = mkdirs_state(run_root, state_dir, err);
	if (r == 0)
		r = pick_config(&o, state_dir, &config, err);
	int lfd = -1;
	const char *sock = address ? shim_address_path(address) : NULL;
	if (r == 0) {
		r = shim_listen_unix(sock, &lfd, err);
		if (r == -EADDRINUSE) {
			if (shim_can_connect(address)) { /* already running (a retried start) */
				cc_error_free(*err);
				*err = NULL;
				r = write_address(address, err);
				goto out;
			}
			cc_error_free(*err); /* a stale socket of a dead shim */
			*err = NULL;
			(void)unlink(sock);
			r = shim_listen_unix(sock, &lfd, err);
		}
	}
	if (r == 0)
		r = write_address(address, err);
	pid_t pid = 0;
	if (r == 0 && (r = spawn_server(f, lfd, config, &pid, err)) == 0) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
		/* shim.pid in the bundle, as Kata writes it */
		(void)shim_write_file_atomic("shim.pid", buf, (size_t)n, 0644, NULL);
		adjust_oom(pid);
	}
	if (lfd >= 0)
		close(lfd);
	if (r < 0 && sock != NULL && lfd >= 0) {
		(void)unlink(sock);
		(void)unlink("address");
	}
	if (r < 0 && state_dir != NULL)
		(void)shim_rm_rf(state_dir, NULL);
out:
	shim_options_free(&o);
	shim_pod_free(&pod);
	if (r == 0)
		*ret_address = TAKE_PTR(address);
	return r;
}

int shim_start(const struct shim_flags *f)
{
	if (f->namespace_ == NULL || f->id == NULL || f->address == NULL) {
		fprintf(stderr, "start: -namespace, -id and -address are needed\n");
		return 2;
	}
	if (!shim_valid_id(f->id)) {
		fprintf(stderr, "start: invalid id \"%s\"\n", f->id);
		return 2;
	}
	cc_error *err = NULL;
	char *address = NULL;
	int r = start(f, &address, &err);
	if (r < 0) {
		/* containerd shows start's output in its error */
		char *m = cc_error_format(err);
		fprintf(stderr, "%s\n", m ? m : cc_error_message(err));
		free(m);
		cc_error_free(err);
		return 1;
	}
	/* only the address: containerd 1.6 dials the trimmed output */
	fputs(address, stdout);
	free(address);
	return fflush(stdout) == 0 ? 0 : 1;
}
