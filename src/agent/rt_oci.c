/* Running the OCI runtime binary (runc or crun) for one operation
 * (rt_int.h): `RUNTIME --root ROOT --log /proc/self/fd/3 --log-format json
 * SUBCOMMAND [--console-socket SOCK] ARGS...`. The log goes to a memfd the
 * agent reads back when the runtime fails, so the error names what the
 * runtime said. With a console socket the runtime sends the pty master
 * over SCM_RIGHTS (runtime-spec's console socket protocol). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "rt_int.h"

#define OCI_MAX_ARGS 32

/* The message of the last error-level JSON line of the runtime's log (else
 * the last line), at most 512 bytes, into out. */
static void log_message(int fd, char *out, size_t outsz)
{
	out[0] = '\0';
	char *buf = malloc(CC_AGENT_OCI_LOG_BYTES + 1);
	if (buf == NULL)
		return;
	ssize_t n = pread(fd, buf, CC_AGENT_OCI_LOG_BYTES, 0);
	if (n <= 0) {
		free(buf);
		return;
	}
	buf[n] = '\0';
	bool have_error = false;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
		const char *lvl = json_string_value(json_object_get(j, "level"));
		const char *msg = json_string_value(json_object_get(j, "msg"));
		bool is_err = lvl && (strcmp(lvl, "error") == 0 || strcmp(lvl, "fatal") == 0);
		if ((is_err || !have_error) && (msg || !j) && *line) {
			snprintf(out, outsz, "%.512s", msg ? msg : line);
			have_error |= is_err;
		}
		json_decref(j);
	}
	free(buf);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t end)
{
	int64_t l = end - now_ms();
	return l < 0 ? 0 : (int)l;
}

/* A listening console socket in rt->sock_dir. */
static int console_listen(agent_rt *rt, char **ret_path, cc_error **err)
{
	pthread_mutex_lock(&rt->lock);
	unsigned seq = ++rt->seq;
	pthread_mutex_unlock(&rt->lock);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/c%u.sock", rt->sock_dir, seq);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return cc_error_set(err, -ENAMETOOLONG, "console socket path under %s is too long",
		                    rt->sock_dir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cc_error_set(err, -errno, "socket: %s", strerror(errno));
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		int e = errno;
		close(fd);
		return cc_error_set(err, -e, "console socket %s: %s", sa.sun_path, strerror(e));
	}
	chmod(sa.sun_path, 0600);
	*ret_path = strdup(sa.sun_path);
	if (*ret_path == NULL) {
		close(fd);
		unlink(sa.sun_path);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	return fd;
}

/* Receives the pty master the runtime sends on an accepted connection. */
static int recv_master(int conn, int64_t end, cc_error **err)
{
	struct pollfd pfd = {.fd = conn, .events = POLLIN};
	int n = agent_rt_wait(NULL, &pfd, 1, left_ms(end));
	if (n <= 0)
		return cc_error_set(err, n < 0 ? n : -ETIMEDOUT, "no pty master on the console socket");
	char data[256];
	struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
	                     .msg_controllen = sizeof(cm.buf)};
	ssize_t r = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (r < 0)
		return cc_error_set(err, -errno, "console socket: %s", strerror(errno));
	struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
	if (h == NULL || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
	    h->cmsg_len != CMSG_LEN(sizeof(int)) || (msg.msg_flags & MSG_CTRUNC))
		return cc_error_set(err, -EPROTO, "console socket: no descriptor received");
	int fd;
	memcpy(&fd, CMSG_DATA(h), sizeof(fd));
	if (!isatty(fd)) {
		close(fd);
		return cc_error_set(err, -EPROTO, "console socket: the descriptor is not a terminal");
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Waits for the runtime to connect and send the master, or to exit. */
static int console_accept(int lfd, rt_child *child, int64_t end, cc_error **err)
{
	for (;;) {
		struct pollfd fds[2] = {{.fd = lfd, .events = POLLIN},
		                        {.fd = rt_child_exit_fd(child), .events = POLLIN}};
		int n = agent_rt_wait(NULL, fds, 2, left_ms(end));
		if (n < 0)
			return cc_error_set(err, n, "waiting on the console socket");
		if (n == 0)
			return cc_error_set(err, -ETIMEDOUT, "the OCI runtime sent no pty master");
		if (fds[0].revents & POLLIN) {
			_cleanup_close_ int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (conn < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (conn < 0)
				return cc_error_set(err, -errno, "console socket: %s", strerror(errno));
			return recv_master(conn, end, err);
		}
		if (fds[1].revents)
			return -ECHILD; /* exited without sending: its status says why */
	}
}

static int build_argv(agent_rt *rt, const char *const *args, const char *sock,
                      const char *argv[OCI_MAX_ARGS + 12], cc_error **err)
{
	size_t n = 0;
	const char *pre[] = {rt->oci_runtime, "--root", rt->oci_root, "--log", "/proc/self/fd/3",
	                     "--log-format", "json"};
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		argv[n++] = pre[i];
	size_t k = 0;
	for (; args[k]; k++) {
		if (k >= OCI_MAX_ARGS)
			return cc_error_set(err, -E2BIG, "too many OCI runtime arguments");
		argv[n++] = args[k];
		if (k == 0 && sock) {
			argv[n++] = "--console-socket";
			argv[n++] = sock;
		}
	}
	argv[n] = NULL;
	return 0;
}

static int finish(rt_child *child, int logfd, const char *what, int64_t end, cc_error **err)
{
	int rc = rt_child_wait(child, NULL, -1, left_ms(end));
	if (rc == -ETIMEDOUT) {
		rt_child_signal(child, SIGKILL);
		rt_child_wait(child, NULL, -1, 5000);
		return cc_error_set(err, -ETIMEDOUT, "%s: no answer within %d ms", what,
		                    CC_AGENT_OCI_TIMEOUT_MS);
	}
	if (rc < 0)
		return cc_error_set(err, rc, "%s: waiting: %s", what, strerror(-rc));
	int ws = 0;
	rt_child_exited(child, &ws);
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return 0;
	char msg[600];
	log_message(logfd, msg, sizeof(msg));
	if (WIFEXITED(ws))
		return cc_error_set(err, -EIO, "%s failed (exit status %d)%s%s", what, WEXITSTATUS(ws),
		                    msg[0] ? ": " : "", msg);
	return cc_error_set(err, -EIO, "%s killed by signal %d%s%s", what, WTERMSIG(ws),
	                    msg[0] ? ": " : "", msg);
}

int rt_oci_run(agent_rt *rt, const char *const *args, struct rt_oci_io *io, cc_error **err)
{
	char what[96];
	snprintf(what, sizeof(what), "%s %s", strrchr(rt->oci_runtime, '/') ?
	         strrchr(rt->oci_runtime, '/') + 1 : rt->oci_runtime, args[0]);
	int64_t end = now_ms() + CC_AGENT_OCI_TIMEOUT_MS;
	_cleanup_close_ int logfd = memfd_create("oci-log", MFD_CLOEXEC);
	if (logfd < 0)
		return cc_error_set(err, -errno, "memfd_create: %s", strerror(errno));
	_cleanup_close_ int lfd = -1;
	_cleanup_free_ char *sock = NULL;
	if (io && io->console && (lfd = console_listen(rt, &sock, err)) < 0)
		return lfd;
	const char *argv[OCI_MAX_ARGS + 12];
	int rc = build_argv(rt, args, sock, argv, err);
	if (rc < 0)
		goto out;
	struct rt_spawn sp = {.argv = argv, .fds = {-1, -1, -1}, .fd3 = logfd};
	if (io)
		memcpy(sp.fds, io->fds, sizeof(sp.fds));
	rt_child *child = NULL;
	rc = rt_reaper_spawn(rt->reaper, &sp, &child, err);
	if (rc < 0)
		goto out;
	int master = -1;
	if (lfd >= 0) {
		cc_error *cerr = NULL;
		master = console_accept(lfd, child, end, &cerr);
		rc = finish(child, logfd, what, end, err);
		if (rc == 0 && master < 0)
			rc = cc_error_set(err, master, "%s: %s", what,
			                  cerr ? cc_error_message(cerr) : "no pty master received");
		cc_error_free(cerr);
		if (rc < 0 && master >= 0)
			close(master);
		else if (rc == 0)
			io->ret_master = master;
	} else {
		rc = finish(child, logfd, what, end, err);
	}
	rt_child_unref(child);
out:
	if (sock)
		unlink(sock);
	return rc;
}
