/* Frames over a file descriptor: short reads and writes, EINTR, non-blocking
 * I/O that waits in poll(2) and stops when a cancel eventfd fires or a
 * deadline passes (docs/ttrpc.md "Threads"). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ttrpc_int.h"

/* First allocation for a payload; it doubles as bytes arrive. */
#define READ_CHUNK (64u * 1024u)

int ttrpc_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

void ttrpc_eventfd_fire(int efd)
{
	uint64_t one = 1;
	/* The counter is never read back, so one write keeps it readable;
	 * EAGAIN (counter full) cannot happen with 1s. */
	while (write(efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

bool ttrpc_eventfd_fired(int efd)
{
	if (efd < 0)
		return false;
	struct pollfd p = {.fd = efd, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

struct timespec ttrpc_deadline_in(int64_t ns)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (ns <= 0)
		return t;
	t.tv_sec += (time_t)(ns / 1000000000);
	t.tv_nsec += (long)(ns % 1000000000);
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

int ttrpc_deadline_ms(const struct timespec *deadline)
{
	if (deadline == NULL)
		return -1;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ns = ((int64_t)deadline->tv_sec - (int64_t)now.tv_sec) * 1000000000 +
	             (deadline->tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	int64_t ms = (ns + 999999) / 1000000; /* round up: never spin */
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int ttrpc_io_init(ttrpc_io *io, int fd, int *ret_old_flags, cc_error **err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cc_error_set(err, -errno, "ttrpc: fd %d: %s", fd, strerror(errno));
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
		return cc_error_set(err, -errno, "ttrpc: fd %d: setting O_NONBLOCK: %s", fd,
		                    strerror(errno));
	*io = (ttrpc_io){
		.fd = fd,
		.is_socket = S_ISSOCK(st.st_mode),
		.read_cancel = {-1, -1},
		.write_cancel = -1,
	};
	if (ret_old_flags != NULL)
		*ret_old_flags = fl;
	return 0;
}

/* Waits until fd is ready for events: 0, TTRPC_IO_CANCELLED, -ETIMEDOUT. */
static int wait_fd(const ttrpc_io *io, short events, const int *cancel, size_t n_cancel,
                   const struct timespec *deadline)
{
	for (;;) {
		struct pollfd p[3] = {{.fd = io->fd, .events = events}};
		nfds_t n = 1;
		for (size_t i = 0; i < n_cancel && n < 3; i++)
			if (cancel[i] >= 0)
				p[n++] = (struct pollfd){.fd = cancel[i], .events = POLLIN};
		int ms = ttrpc_deadline_ms(deadline);
		int r = poll(p, n, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		for (nfds_t i = 1; i < n; i++)
			if (p[i].revents)
				return TTRPC_IO_CANCELLED;
		if (r == 0)
			return -ETIMEDOUT;
		return 0; /* ready, or POLLERR/POLLHUP that read/write will report */
	}
}

int ttrpc_io_read(ttrpc_io *io, void *buf, size_t n, const struct timespec *deadline,
                  size_t *ret_got)
{
	size_t got = 0;
	int r = 0;
	while (got < n) {
		ssize_t k = read(io->fd, (uint8_t *)buf + got, n - got);
		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		if (k == 0) {
			r = TTRPC_IO_EOF;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			/* A pty master reads EIO once the other side closed. */
			r = errno == EIO || errno == ECONNRESET ? TTRPC_IO_EOF : -errno;
			break;
		}
		r = wait_fd(io, POLLIN, io->read_cancel, 2, deadline);
		if (r < 0)
			break;
	}
	if (ret_got != NULL)
		*ret_got = got;
	return got == n ? 0 : r;
}

int ttrpc_io_discard(ttrpc_io *io, uint64_t n)
{
	uint8_t sink[16384];
	while (n > 0) {
		size_t k = n < sizeof(sink) ? (size_t)n : sizeof(sink);
		int r = ttrpc_io_read(io, sink, k, NULL, NULL);
		if (r < 0)
			return r;
		n -= k;
	}
	return 0;
}

int ttrpc_io_read_frame(ttrpc_io *io, ttrpc_frame_header *ret_h, uint8_t **ret_p, bool *ret_mid)
{
	*ret_mid = false;
	if (ttrpc_eventfd_fired(io->read_cancel[0]) || ttrpc_eventfd_fired(io->read_cancel[1]))
		return TTRPC_IO_CANCELLED;
	uint8_t hb[TTRPC_HEADER_LEN];
	size_t got = 0;
	int r = ttrpc_io_read(io, hb, sizeof(hb), NULL, &got);
	if (r < 0) {
		*ret_mid = r == TTRPC_IO_EOF && got > 0;
		return r;
	}
	ttrpc_frame_header h;
	ttrpc_frame_header_decode(hb, &h);
	if (h.length > CC_TTRPC_MAX_MESSAGE_BYTES) {
		r = ttrpc_io_discard(io, h.length);
		if (r < 0) {
			*ret_mid = r == TTRPC_IO_EOF;
			return r;
		}
		*ret_h = h;
		*ret_p = NULL;
		return -E2BIG;
	}
	size_t cap = h.length < READ_CHUNK ? h.length : READ_CHUNK, have = 0;
	uint8_t *p = malloc(cap ? cap : 1);
	if (p == NULL)
		return -ENOMEM;
	while (have < h.length) {
		if (have == cap) {
			size_t ncap = cap * 2 < h.length ? cap * 2 : h.length;
			uint8_t *np = realloc(p, ncap);
			if (np == NULL) {
				free(p);
				return -ENOMEM;
			}
			p = np;
			cap = ncap;
		}
		r = ttrpc_io_read(io, p + have, cap - have, NULL, &got);
		have += got;
		if (r < 0) {
			free(p);
			*ret_mid = r == TTRPC_IO_EOF;
			return r;
		}
	}
	*ret_h = h;
	*ret_p = p;
	return 0;
}

/* One write attempt: bytes written, or -errno. Sockets use send() with
 * MSG_NOSIGNAL so a peer that hung up costs EPIPE, not SIGPIPE. */
static ssize_t write_some(const ttrpc_io *io, struct iovec *iov, int iovcnt)
{
	if (io->is_socket) {
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
		return sendmsg(io->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	return writev(io->fd, iov, iovcnt);
}

int ttrpc_io_write_frame(ttrpc_io *io, const ttrpc_frame_header *h, const void *payload,
                         const struct timespec *deadline, bool *ret_partial)
{
	uint8_t hb[TTRPC_HEADER_LEN];
	ttrpc_frame_header_encode(h, hb);
	struct iovec iov[2] = {
		{.iov_base = hb, .iov_len = sizeof(hb)},
		{.iov_base = (void *)payload, .iov_len = h->length},
	};
	size_t total = sizeof(hb) + h->length, done = 0;
	int first = 0, r = 0;
	while (done < total) {
		ssize_t k = write_some(io, iov + first, 2 - first);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				r = -errno;
				break;
			}
			r = wait_fd(io, POLLOUT, &io->write_cancel, 1, deadline);
			if (r < 0)
				break;
			continue;
		}
		done += (size_t)k;
		while (k > 0 && first < 2) {
			size_t step = (size_t)k < iov[first].iov_len ? (size_t)k : iov[first].iov_len;
			iov[first].iov_base = (uint8_t *)iov[first].iov_base + step;
			iov[first].iov_len -= step;
			k -= (ssize_t)step;
			if (iov[first].iov_len == 0)
				first++;
		}
		r = 0;
	}
	if (ret_partial != NULL)
		*ret_partial = done > 0 && done < total;
	return done == total ? 0 : r;
}
