/* Process stdio (runtime.h): ReadStdout/ReadStderr, WriteStdin,
 * CloseStdin, TtyWinResize.
 *
 * Buffering policy: the agent keeps no copy of a container's output. The
 * pipe is the buffer, sized to CC_AGENT_PIPE_BYTES with F_SETPIPE_SZ (a pty
 * has the kernel's tty buffer); while the host does not read, it fills,
 * and then the container's next write blocks until a ReadStdout or
 * ReadStderr drains it. Nothing is dropped and the agent's memory does not
 * grow with the output.
 *
 * End of stream: a read returns empty data once the stream ended (every
 * writer closed the pipe; for a pty, the process exited and nothing is
 * left to read, even if a child of it still holds the terminal, as Kata's
 * term_exit_notifier does), and every later read returns empty data too.
 * A removed container's streams end the same way. With a pty, stdout
 * carries the terminal and ReadStderr ends at once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "rt_int.h"

int rt_stdio_pipes(rt_proc *p, int child[3], cc_error **err)
{
	int in[2], out[2], er[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return cc_error_set(err, -errno, "pipe: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		return cc_error_set(err, -e, "pipe: %s", strerror(e));
	}
	if (pipe2(er, O_CLOEXEC) < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return cc_error_set(err, -e, "pipe: %s", strerror(e));
	}
	/* Best effort: the pipe keeps the kernel's default size otherwise. */
	fcntl(out[0], F_SETPIPE_SZ, (int)CC_AGENT_PIPE_BYTES);
	fcntl(er[0], F_SETPIPE_SZ, (int)CC_AGENT_PIPE_BYTES);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(er[0], F_SETFL, O_NONBLOCK);
	p->in_fd = in[1];
	p->out_fd = out[0];
	p->err_fd = er[0];
	child[0] = in[0];
	child[1] = out[1];
	child[2] = er[1];
	return 0;
}

void rt_stdio_set_pty(rt_proc *p, int master)
{
	p->in_fd = p->out_fd = master;
	p->err_fd = -1;
}

/* ---- reading ----------------------------------------------------------------------- */

static void mark_eof(agent_rt *rt, rt_container *c, rt_proc *p, bool is_err)
{
	pthread_mutex_lock(&rt->lock);
	if (is_err)
		p->err_eof = true;
	else
		p->out_eof = true;
	pthread_mutex_unlock(&rt->lock);
	rt_proc_maybe_retire(rt, c, p);
}

static bool eof_of(agent_rt *rt, rt_proc *p, bool is_err)
{
	pthread_mutex_lock(&rt->lock);
	bool e = is_err ? p->err_eof : p->out_eof;
	pthread_mutex_unlock(&rt->lock);
	return e;
}

/* One non-blocking read of up to len bytes into a new buffer sized by
 * what is there (a call that waits holds no more than a stack page):
 * >0 bytes in *ret, 0 at the end, -1 with errno. */
static ssize_t read_some(int fd, size_t len, uint8_t **ret)
{
	uint8_t small[4096];
	size_t first = len < sizeof(small) ? len : sizeof(small);
	ssize_t n = read(fd, small, first);
	if (n <= 0)
		return n;
	size_t total = (size_t)n, more = 0;
	int avail = 0;
	if ((size_t)n == first && len > first && ioctl(fd, FIONREAD, &avail) == 0 && avail > 0)
		more = len - first < (size_t)avail ? len - first : (size_t)avail;
	uint8_t *buf = malloc(total + more);
	if (buf == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(buf, small, total);
	if (more) {
		ssize_t m = read(fd, buf + total, more);
		if (m > 0)
			total += (size_t)m;
	}
	*ret = buf;
	return (ssize_t)total;
}

/* Reads up to len bytes from fd, waiting: >0 bytes (in *ret), 0 at the
 * end, or -errno (-ECANCELED when the call ends). */
static ssize_t read_wait(rt_container *c, rt_proc *p, int fd, ttrpc_call *call, size_t len,
                         uint8_t **ret)
{
	for (;;) {
		ssize_t n = read_some(fd, len, ret);
		if (n >= 0)
			return n;
		if (errno == EIO && p->tty)
			return 0; /* every slave closed */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (p->tty && rt_child_exited(p->child, NULL))
			return 0;
		struct pollfd fds[3] = {
		    {.fd = fd, .events = POLLIN},
		    {.fd = c->gone_efd, .events = POLLIN},
		    {.fd = p->tty ? rt_child_exit_fd(p->child) : -1, .events = POLLIN},
		};
		int r = agent_rt_wait(call, fds, 3, -1);
		if (r < 0)
			return r;
		if (fds[1].revents & POLLIN)
			return 0;
	}
}

int agent_rt_read_stream(agent_rt *rt, ttrpc_call *call, const Grpc__ReadStreamRequest *req,
                         bool is_err, Grpc__ReadStreamResponse **ret, cc_error **err)
{
	rt_container *c = NULL;
	rt_proc *p = NULL;
	int rc = rt_find(rt, req->container_id, req->exec_id, &c, &p, err);
	if (rc < 0)
		return rc;
	size_t len = req->len ? req->len : CC_AGENT_DEFAULT_READ_BYTES;
	if (len > CC_AGENT_MAX_READ_BYTES)
		len = CC_AGENT_MAX_READ_BYTES;
	Grpc__ReadStreamResponse *resp = malloc(sizeof(*resp));
	if (resp == NULL) {
		rc = cc_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	grpc__read_stream_response__init(resp);
	pthread_mutex_t *lock = is_err ? &p->err_lock : &p->out_lock;
	int fd = is_err ? p->err_fd : p->out_fd;
	uint8_t *buf = NULL;
	ssize_t n = 0;
	pthread_mutex_lock(lock);
	if (fd >= 0 && !eof_of(rt, p, is_err))
		n = read_wait(c, p, fd, call, len, &buf);
	pthread_mutex_unlock(lock);
	if (n < 0) {
		free(resp);
		rc = cc_error_set(err, (int)n, "reading the %s of %s/%s: %s",
		                  is_err ? "stderr" : "stdout", req->container_id, req->exec_id,
		                  strerror((int)-n));
		goto out;
	}
	if (n == 0 && fd >= 0)
		mark_eof(rt, c, p, is_err);
	resp->data.data = buf;
	resp->data.len = (size_t)n;
	*ret = resp;
out:
	rt_proc_unref(rt, p);
	rt_container_unref(rt, c);
	return rc;
}

/* ---- writing ----------------------------------------------------------------------- */

/* write() with SIGPIPE blocked in this thread and a pending one taken back:
 * a process that closed its stdin gives EPIPE, never a signal. */
static ssize_t write_nosig(int fd, const void *p, size_t n)
{
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ssize_t r = write(fd, p, n);
	int e = errno;
	if (r < 0 && e == EPIPE) {
		struct timespec zero = {0, 0};
		sigset_t pending;
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE) && !sigismember(&old, SIGPIPE))
			sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return r;
}

static int write_all(rt_container *c, rt_proc *p, ttrpc_call *call, const uint8_t *d, size_t n,
                     size_t *ret_done)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = write_nosig(p->in_fd, d + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN) {
			*ret_done = done;
			return -errno;
		}
		struct pollfd fds[2] = {{.fd = p->in_fd, .events = POLLOUT},
		                        {.fd = c->gone_efd, .events = POLLIN}};
		int r = agent_rt_wait(call, fds, 2, -1);
		if (r < 0 || (fds[1].revents & POLLIN)) {
			*ret_done = done;
			return r < 0 ? r : -EPIPE;
		}
	}
	*ret_done = done;
	return 0;
}

int agent_rt_write_stdin(agent_rt *rt, ttrpc_call *call, const Grpc__WriteStreamRequest *req,
                         Grpc__WriteStreamResponse **ret, cc_error **err)
{
	rt_container *c = NULL;
	rt_proc *p = NULL;
	int rc = rt_find(rt, req->container_id, req->exec_id, &c, &p, err);
	if (rc < 0)
		return rc;
	size_t done = 0;
	pthread_mutex_lock(&p->in_lock);
	if (p->in_closed || p->in_fd < 0)
		rc = rt_err(err, TTRPC_FAILED_PRECONDITION, "stdin of %s/%s is closed",
		            req->container_id, req->exec_id);
	else if ((rc = write_all(c, p, call, req->data.data, req->data.len, &done)) < 0)
		cc_error_set(err, rc, "writing the stdin of %s/%s: %s", req->container_id,
		             req->exec_id, strerror(-rc));
	pthread_mutex_unlock(&p->in_lock);
	if (rc == 0) {
		Grpc__WriteStreamResponse *resp = malloc(sizeof(*resp));
		if (resp == NULL) {
			rc = cc_error_set(err, -ENOMEM, "out of memory");
		} else {
			grpc__write_stream_response__init(resp);
			resp->len = (uint32_t)done;
			*ret = resp;
		}
	}
	rt_proc_unref(rt, p);
	rt_container_unref(rt, c);
	return rc;
}

int agent_rt_close_stdin(agent_rt *rt, const Grpc__CloseStdinRequest *req, cc_error **err)
{
	rt_container *c = NULL;
	rt_proc *p = NULL;
	int rc = rt_find(rt, req->container_id, req->exec_id, &c, &p, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&p->in_lock);
	/* A pty master also carries the output: only the pipe is closed; with
	 * a terminal, later writes are refused. */
	if (!p->tty && p->in_fd >= 0) {
		close(p->in_fd);
		p->in_fd = -1;
	}
	p->in_closed = true;
	pthread_mutex_unlock(&p->in_lock);
	rt_proc_unref(rt, p);
	rt_container_unref(rt, c);
	return 0;
}

int agent_rt_tty_win_resize(agent_rt *rt, const Grpc__TtyWinResizeRequest *req, cc_error **err)
{
	if (req->row > 0xffff || req->column > 0xffff)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "window size %ux%u is out of range",
		              req->row, req->column);
	rt_container *c = NULL;
	rt_proc *p = NULL;
	int rc = rt_find(rt, req->container_id, req->exec_id, &c, &p, err);
	if (rc < 0)
		return rc;
	struct winsize ws = {.ws_row = (unsigned short)req->row,
	                     .ws_col = (unsigned short)req->column};
	if (!p->tty)
		rc = rt_err(err, TTRPC_FAILED_PRECONDITION, "%s/%s has no terminal", req->container_id,
		            req->exec_id);
	else if (ioctl(p->out_fd, TIOCSWINSZ, &ws) < 0)
		rc = cc_error_set(err, -errno, "TIOCSWINSZ: %s", strerror(errno));
	rt_proc_unref(rt, p);
	rt_container_unref(rt, c);
	return rc;
}
