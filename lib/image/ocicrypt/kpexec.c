/* Running a cmd keyprovider (Go: utils.Runner.Exec): the program at path
 * with its args, no shell, the request on stdin, the answer read from
 * stdout up to CC_IMG_MAX_KEYPROVIDER_MSG bytes, stderr kept (bounded) for
 * the error message. A deadline bounds the whole exchange; on any failure
 * the child is killed and reaped by its PID.
 *
 * The three streams are socketpairs rather than pipes so that writing to a
 * provider that exited early fails with EPIPE through MSG_NOSIGNAL instead
 * of raising SIGPIPE in the caller's process. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

struct child {
	pid_t pid;
	int in, out, errfd; /* our ends */
	const char *req;
	size_t req_len, req_off;
	cc_buf out_buf, err_buf;
	bool out_eof, err_eof;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int spawn(const struct oc_kp *kp, struct child *c, cc_error **err)
{
	int sv[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
	size_t nargs = 0;
	while (kp->args && kp->args[nargs])
		nargs++;
	_cleanup_free_ char **argv = calloc(nargs + 2, sizeof(char *));
	if (argv == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	argv[0] = kp->path;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = kp->args[i];
	for (int i = 0; i < 3; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[i]) < 0) {
			int e = -errno;
			for (int k = 0; k < i; k++) {
				close(sv[k][0]);
				close(sv[k][1]);
			}
			return cc_error_set(err, e, "keyprovider %s: socketpair: %m", kp->name);
		}
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls from here on. */
		if (dup2(sv[0][1], 0) < 0 || dup2(sv[1][1], 1) < 0 || dup2(sv[2][1], 2) < 0)
			_exit(127);
		execv(kp->path, argv);
		_exit(127);
	}
	int e = -errno;
	for (int i = 0; i < 3; i++)
		close(sv[i][1]);
	c->in = sv[0][0];
	c->out = sv[1][0];
	c->errfd = sv[2][0];
	if (pid < 0)
		return cc_error_set(err, e, "keyprovider %s: fork: %m", kp->name);
	c->pid = pid;
	for (int i = 0; i < 3; i++)
		fcntl(sv[i][0], F_SETFL, O_NONBLOCK);
	return 0;
}

static int pump_write(struct child *c)
{
	while (c->req_off < c->req_len) {
		ssize_t w = send(c->in, c->req + c->req_off, c->req_len - c->req_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w < 0)
			break; /* EPIPE: the provider does not read; its answer decides */
		c->req_off += (size_t)w;
	}
	close_fd(&c->in);
	return 0;
}

/* Reads what is there into b; bytes over max fail (stdout) or are dropped
 * (stderr, truncate true). */
static int pump_read(int fd, cc_buf *b, size_t max, bool truncate, bool *eof)
{
	char tmp[16384];
	for (;;) {
		ssize_t got = read(fd, tmp, sizeof(tmp));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			return 0;
		if (got <= 0) {
			*eof = true;
			return 0;
		}
		size_t keep = (size_t)got;
		if (b->len + keep > max) {
			if (!truncate)
				return -EFBIG;
			keep = max - b->len;
		}
		if (keep > 0 && cc_buf_add(b, tmp, keep) < 0)
			return -ENOMEM;
	}
}

static int exchange(const struct oc_kp *kp, struct child *c, int64_t deadline, cc_error **err)
{
	while (!c->out_eof || !c->err_eof) {
		struct pollfd p[3] = {{.fd = c->in, .events = POLLOUT},
		                      {.fd = c->out_eof ? -1 : c->out, .events = POLLIN},
		                      {.fd = c->err_eof ? -1 : c->errfd, .events = POLLIN}};
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return cc_error_set(err, -ETIMEDOUT, "keyprovider %s: no answer in time",
			                    kp->name);
		if (poll(p, 3, (int)left) < 0 && errno != EINTR)
			return cc_error_set(err, -errno, "keyprovider %s: poll: %m", kp->name);
		if (c->in >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP)))
			pump_write(c);
		int r = 0;
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			r = pump_read(c->out, &c->out_buf, CC_IMG_MAX_KEYPROVIDER_MSG, false,
			              &c->out_eof);
		if (r == 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
			r = pump_read(c->errfd, &c->err_buf, CC_IMG_MAX_KEYPROVIDER_STDERR, true,
			              &c->err_eof);
		if (r < 0)
			return cc_error_set(err, r, "keyprovider %s: answer larger than %u bytes",
			                    kp->name, CC_IMG_MAX_KEYPROVIDER_MSG);
	}
	return 0;
}

static int reap(const struct oc_kp *kp, struct child *c, int64_t deadline, cc_error **err)
{
	int status = 0;
	for (;;) {
		pid_t w = waitpid(c->pid, &status, WNOHANG);
		if (w == c->pid)
			break;
		if (w < 0 && errno != EINTR)
			return cc_error_set(err, -errno, "keyprovider %s: waitpid: %m", kp->name);
		if (now_ms() >= deadline)
			return cc_error_set(err, -ETIMEDOUT, "keyprovider %s: did not exit in time",
			                    kp->name);
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 2000000};
		nanosleep(&ts, NULL);
	}
	c->pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* The first line of stderr, without control characters. */
	const char *msg = c->err_buf.p ? c->err_buf.p : "";
	size_t len = strcspn(msg, "\r\n");
	if (WIFEXITED(status))
		return cc_error_set(err, -EIO, "keyprovider %s (%s) exited with status %d%s%.*s",
		                    kp->name, kp->path, WEXITSTATUS(status), len ? ": " : "",
		                    (int)len, msg);
	return cc_error_set(err, -EIO, "keyprovider %s (%s) killed by signal %d", kp->name,
	                    kp->path, WTERMSIG(status));
}

int oc_kp_exec(const struct oc_kp *kp, const void *req, size_t req_len, int timeout_ms,
               unsigned char **ret, size_t *ret_len, cc_error **err)
{
	struct child c = {.pid = -1, .in = -1, .out = -1, .errfd = -1, .req = req,
	                  .req_len = req_len};
	cc_buf_init(&c.out_buf, CC_IMG_MAX_KEYPROVIDER_MSG + 1);
	cc_buf_init(&c.err_buf, CC_IMG_MAX_KEYPROVIDER_STDERR + 1);
	int64_t deadline = now_ms() + timeout_ms;
	int r = spawn(kp, &c, err);
	if (r == 0)
		r = exchange(kp, &c, deadline, err);
	if (r == 0)
		r = reap(kp, &c, deadline, err);
	if (c.pid > 0) {
		kill(c.pid, SIGKILL);
		while (waitpid(c.pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close_fd(&c.in);
	close_fd(&c.out);
	close_fd(&c.errfd);
	cc_buf_free(&c.err_buf);
	if (r == 0 && c.out_buf.len == 0)
		r = cc_error_set(err, -EIO, "keyprovider %s: empty answer", kp->name);
	if (r < 0) {
		if (c.out_buf.p)
			OPENSSL_cleanse(c.out_buf.p, c.out_buf.len);
		cc_buf_free(&c.out_buf);
		return r;
	}
	*ret = (unsigned char *)cc_buf_steal(&c.out_buf, ret_len);
	return 0;
}

int oc_kp_call(const struct oc_kp *kp, enum oc_kp_op op, const char *req, size_t req_len,
               unsigned char **ret, size_t *ret_len, cc_error **err)
{
	if (kp->kind != OC_KP_CMD)
		return cc_error_set(err, -ENOTSUP,
		                    "keyprovider %s: %s providers are not supported yet (only cmd)",
		                    kp->name,
		                    kp->kind == OC_KP_GRPC    ? "grpc"
		                    : kp->kind == OC_KP_TTRPC ? "ttrpc"
		                                              : "native");
	unsigned char *out = NULL;
	size_t out_len = 0;
	int r = oc_kp_exec(kp, req, req_len, CC_IMG_KEYPROVIDER_TIMEOUT_MS, &out, &out_len, err);
	if (r < 0)
		return r;
	r = oc_kp_response_parse(out, out_len, op, ret, ret_len, err);
	oc_free_secret(out, out_len);
	if (r < 0)
		cc_error_wrap(err, "keyprovider %s", kp->name);
	return r;
}
