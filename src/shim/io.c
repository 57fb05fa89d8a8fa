/* stdio relays (io.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "io.h"
#include "shim.h"

/* How long a fifo's reader may take to open its end. */
#define OPEN_FIFO_WAIT_MS 10000

struct shim_io {
	atomic_int refs;
	struct shim_proc *p;
	int cancel_fd;      /* eventfd: stop */
	int close_fd;       /* eventfd: CloseIO */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int outputs_left;   /* relays of stdout/stderr still running */
};

static void io_unref(struct shim_io *io)
{
	if (atomic_fetch_sub(&io->refs, 1) != 1)
		return;
	close(io->cancel_fd);
	close(io->close_fd);
	pthread_mutex_destroy(&io->mu);
	pthread_cond_destroy(&io->cond);
	shim_proc_unref(io->p);
	free(io);
}

static bool signalled(int efd)
{
	struct pollfd p = {.fd = efd, .events = POLLIN};
	return poll(&p, 1, 0) == 1;
}

static void signal_fd(int efd)
{
	uint64_t one = 1;
	(void)!write(efd, &one, sizeof(one));
}

int shim_io_open_output(const char *path, int *ret_fd, cc_error **err)
{
	if (strncmp(path, "binary://", 9) == 0)
		return cc_error_set(err, -ENOTSUP, "%s: binary:// logging is not supported", path);
	if (strncmp(path, "file://", 7) == 0) {
		int fd = open(path + 7, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0600);
		if (fd < 0)
			return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
		*ret_fd = fd;
		return 0;
	}
	if (strncmp(path, "fifo://", 7) == 0)
		path += 7;
	/* containerd's client opens the reading end in the background
	 * (containerd/fifo): until it has, a non-blocking open for writing
	 * fails with ENXIO. Wait for it, as containerd's shims do, within
	 * bounds. */
	for (int waited = 0;; waited += 10) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			*ret_fd = fd;
			return 0;
		}
		if (errno != ENXIO || waited >= OPEN_FIFO_WAIT_MS)
			return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
		struct timespec d = {0, 10 * 1000 * 1000};
		nanosleep(&d, NULL);
	}
}

/* Writes all of buf to fd (non-blocking), waiting for room; false if the
 * reader went away or the relay is cancelled. */
static bool write_out(struct shim_io *io, int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return false; /* EPIPE: nobody reads any more */
		struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = io->cancel_fd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return false;
		if (p[1].revents)
			return false;
	}
	return true;
}

struct relay {
	struct shim_io *io;
	bool is_stderr;
	int fd;
};

static void *output_main(void *arg)
{
	struct relay *rl = arg;
	struct shim_io *io = rl->io;
	struct shim_proc *p = io->p;
	bool sink_ok = true;
	for (;;) {
		Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;
		req.container_id = p->cid;
		req.exec_id = p->agent_exec_id;
		req.len = CC_SHIM_STDIO_CHUNK;
		ProtobufCMessage *resp = NULL;
		cc_error *e = NULL;
		int r = shim_agent_call(p->sh, rl->is_stderr ? "ReadStderr" : "ReadStdout", &req.base,
		                        &grpc__read_stream_response__descriptor, 0, &resp, &e);
		if (r < 0) {
			shim_logf(p->sh, CC_LOG_DEBUG, "%s/%s %s: %s", p->cid, p->exec_id,
			          rl->is_stderr ? "stderr" : "stdout", cc_error_message(e));
			cc_error_free(e);
			break;
		}
		const Grpc__ReadStreamResponse *rs = (const Grpc__ReadStreamResponse *)resp;
		size_t n = rs->data.len;
		/* a reader that went away: keep draining so the process does not
		 * block on a full pipe, drop the bytes */
		if (n > 0 && sink_ok)
			sink_ok = write_out(io, rl->fd, rs->data.data, n);
		ttrpc_pb_free(resp);
		if (n == 0 || signalled(io->cancel_fd))
			break;
	}
	close(rl->fd);
	pthread_mutex_lock(&io->mu);
	io->outputs_left--;
	pthread_cond_broadcast(&io->cond);
	pthread_mutex_unlock(&io->mu);
	struct shim *sh = p->sh;
	io_unref(io);
	free(rl);
	shim_worker_leave(sh);
	return NULL;
}

static int write_stdin(struct shim_proc *p, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		Grpc__WriteStreamRequest req = GRPC__WRITE_STREAM_REQUEST__INIT;
		req.container_id = p->cid;
		req.exec_id = p->agent_exec_id;
		req.data.data = (uint8_t *)buf;
		req.data.len = n;
		ProtobufCMessage *resp = NULL;
		cc_error *e = NULL;
		int r = shim_agent_call(p->sh, "WriteStdin", &req.base,
		                        &grpc__write_stream_response__descriptor, 0, &resp, &e);
		if (r < 0) {
			shim_logf(p->sh, CC_LOG_DEBUG, "%s/%s stdin: %s", p->cid, p->exec_id,
			          cc_error_message(e));
			cc_error_free(e);
			return r;
		}
		size_t w = ((const Grpc__WriteStreamResponse *)resp)->len;
		ttrpc_pb_free(resp);
		if (w == 0 || w > n)
			return -EIO;
		buf += w;
		n -= w;
	}
	return 0;
}

static void close_stdin(struct shim_proc *p)
{
	Grpc__CloseStdinRequest req = GRPC__CLOSE_STDIN_REQUEST__INIT;
	req.container_id = p->cid;
	req.exec_id = p->agent_exec_id;
	cc_error *e = NULL;
	if (shim_agent_call(p->sh, "CloseStdin", &req.base, NULL, p->sh->cfg.request_timeout_s, NULL,
	                    &e) < 0)
		shim_logf(p->sh, CC_LOG_DEBUG, "%s/%s: %s", p->cid, p->exec_id, cc_error_message(e));
	cc_error_free(e);
}

static void *stdin_main(void *arg)
{
	struct relay *rl = arg;
	struct shim_io *io = rl->io;
	struct shim_proc *p = io->p;
	uint8_t *buf = malloc(CC_SHIM_STDIO_CHUNK);
	bool closing = false;
	while (buf != NULL) {
		/* after CloseIO only what is already in the fifo is sent */
		struct pollfd pf[3] = {{.fd = rl->fd, .events = POLLIN},
		                       {.fd = io->cancel_fd, .events = POLLIN},
		                       {.fd = io->close_fd, .events = POLLIN}};
		int n = poll(pf, closing ? 2 : 3, closing ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (pf[1].revents)
			goto out; /* stopped: no CloseStdin */
		if (!closing && pf[2].revents) {
			closing = true;
			continue;
		}
		if (n == 0)
			break; /* closing, and the fifo is empty */
		ssize_t got = read(rl->fd, buf, CC_SHIM_STDIO_CHUNK);
		if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (closing)
				break;
			continue;
		}
		if (got <= 0)
			break; /* end of file: the writer closed */
		if (write_stdin(p, buf, (size_t)got) < 0)
			break;
	}
	close_stdin(p);
out:
	free(buf);
	close(rl->fd);
	struct shim *sh = p->sh;
	io_unref(io);
	free(rl);
	shim_worker_leave(sh);
	return NULL;
}

static int spawn(struct shim_io *io, void *(*fn)(void *), int fd, bool is_stderr, cc_error **err)
{
	struct relay *rl = malloc(sizeof(*rl));
	if (rl == NULL) {
		close(fd);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*rl = (struct relay){.io = io, .is_stderr = is_stderr, .fd = fd};
	atomic_fetch_add(&io->refs, 1);
	shim_worker_enter(io->p->sh);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&(pthread_t){0}, &a, fn, rl);
	pthread_attr_destroy(&a);
	if (r != 0) {
		shim_worker_leave(io->p->sh);
		atomic_fetch_sub(&io->refs, 1);
		close(fd);
		free(rl);
		return cc_error_set(err, -r, "starting a stdio relay: %s", strerror(r));
	}
	return 0;
}

int shim_io_start(struct shim_proc *p, struct shim_io **ret, cc_error **err)
{
	struct shim_io *io = calloc(1, sizeof(*io));
	if (io == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	atomic_init(&io->refs, 1);
	io->p = shim_proc_ref(p);
	pthread_mutex_init(&io->mu, NULL);
	pthread_cond_init(&io->cond, NULL);
	io->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	io->close_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->cancel_fd < 0 || io->close_fd < 0) {
		int e = errno;
		io_unref(io);
		return cc_error_set(err, -e, "eventfd: %s", strerror(e));
	}

	int fds[3] = {-1, -1, -1}, r = 0;
	if (p->stdin_path[0]) {
		const char *path = p->stdin_path;
		if (strncmp(path, "fifo://", 7) == 0)
			path += 7;
		fds[0] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fds[0] < 0)
			r = cc_error_set(err, -errno, "stdin %s: %s", path, strerror(errno));
	}
	if (r == 0 && p->stdout_path[0])
		r = shim_io_open_output(p->stdout_path, &fds[1], err);
	if (r == 0 && p->stderr_path[0] && !p->terminal)
		r = shim_io_open_output(p->stderr_path, &fds[2], err);
	if (r < 0) {
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		io_unref(io);
		return r;
	}
	io->outputs_left = (fds[1] >= 0) + (fds[2] >= 0);
	/* spawn() takes each fd, also when it fails */
	if (fds[0] >= 0)
		r = spawn(io, stdin_main, fds[0], false, err);
	for (int i = 1; i < 3; i++) {
		if (fds[i] < 0)
			continue;
		if (r == 0)
			r = spawn(io, output_main, fds[i], i == 2, err);
		else
			close(fds[i]);
		if (r < 0) {
			pthread_mutex_lock(&io->mu);
			io->outputs_left--;
			pthread_mutex_unlock(&io->mu);
		}
	}
	if (r < 0) {
		shim_io_free(io);
		return r;
	}
	*ret = io;
	return 0;
}

void shim_io_close_stdin(struct shim_io *io)
{
	if (io != NULL)
		signal_fd(io->close_fd);
}

bool shim_io_wait_output(struct shim_io *io, int ms)
{
	if (io == NULL)
		return true;
	struct timespec end = shim_deadline(ms);
	pthread_mutex_lock(&io->mu);
	while (io->outputs_left > 0 && pthread_cond_timedwait(&io->cond, &io->mu, &end) == 0)
		;
	bool done = io->outputs_left <= 0;
	pthread_mutex_unlock(&io->mu);
	return done;
}

struct shim_io *shim_io_ref(struct shim_io *io)
{
	if (io != NULL)
		atomic_fetch_add(&io->refs, 1);
	return io;
}

void shim_io_unref(struct shim_io *io)
{
	if (io != NULL)
		io_unref(io);
}

void shim_io_free(struct shim_io *io)
{
	if (io == NULL)
		return;
	signal_fd(io->cancel_fd);
	io_unref(io);
}
