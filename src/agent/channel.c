/* cocoon-agent's channel to the host (channel.h). */
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cocoon/limits.h"
#include "config.h"

static int listen_unix(const char *path, int *ret_fd, cc_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return cc_error_set(err, -ENAMETOOLONG, "listen %s: path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path); /* a stale socket of an earlier run */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cc_error_set(err, -errno, "listen %s: socket: %s", path, strerror(errno));
	mode_t old = umask(077); /* the socket file is 0600 from the start */
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (r == 0 && listen(fd, 64) < 0) {
		r = -1;
		e = errno;
	}
	if (r < 0) {
		close(fd);
		return cc_error_set(err, -e, "listen %s: %s", path, strerror(e));
	}
	*ret_fd = fd;
	return 0;
}

/* vsock://CID:PORT; CID -1 is VMADDR_CID_ANY (Kata's vsock://-1:1024). */
static int listen_vsock(const char *addr, int *ret_fd, cc_error **err)
{
	const char *p = addr + strlen("vsock://");
	char *end = NULL;
	errno = 0;
	long cid = strtol(p, &end, 10);
	if (errno || end == p || *end != ':' || cid < -1 || cid > (long)UINT32_MAX)
		return cc_error_set(err, -EINVAL, "listen %s: bad CID", addr);
	const char *ps = end + 1;
	errno = 0;
	long port = strtol(ps, &end, 10);
	if (errno || end == ps || *end != '\0' || port < 0 || port > (long)UINT32_MAX)
		return cc_error_set(err, -EINVAL, "listen %s: bad port", addr);
	struct sockaddr_vm sa = {.svm_family = AF_VSOCK,
	                         .svm_cid = cid < 0 ? VMADDR_CID_ANY : (unsigned)cid,
	                         .svm_port = (unsigned)port};
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cc_error_set(err, -errno, "listen %s: socket: %s", addr, strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		return cc_error_set(err, -e, "listen %s: %s", addr, strerror(e));
	}
	*ret_fd = fd;
	return 0;
}

int agent_listen_open(const char *addr, int *ret_fd, bool *ret_unix, cc_error **err)
{
	const char *path = agent_config_unix_path(addr);
	if (path != NULL) {
		*ret_unix = true;
		return listen_unix(path, ret_fd, err);
	}
	if (strncmp(addr, "vsock://", 8) == 0) {
		*ret_unix = false;
		return listen_vsock(addr, ret_fd, err);
	}
	return cc_error_set(err, -EINVAL, "listen %s: unknown address kind", addr);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits ms, or until stop_fd is readable: 1 if it is. */
static int wait_stop(int stop_fd, int ms)
{
	struct pollfd p = {.fd = stop_fd, .events = POLLIN};
	int r;
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

/* A virtio console port is a tty; serve it as raw bytes. */
static void make_raw(int fd)
{
	struct termios t;
	if (isatty(fd) && tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(fd, TCSANOW, &t);
	}
}

int agent_serve_port(ttrpc_server *s, const char *path, int stop_fd, agent_log *log)
{
	int backoff = CC_AGENT_CHANNEL_BACKOFF_MIN_MS;
	int last_errno = 0;
	while (!wait_stop(stop_fd, 0)) {
		int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			/* say it once per kind of failure, not every retry */
			enum agent_log_level lvl = errno == last_errno ? AGENT_LOG_DEBUG : AGENT_LOG_WARN;
			last_errno = errno;
			agent_log_msg(log, lvl, "channel %s: %s; retrying", path, strerror(errno));
		} else {
			last_errno = 0;
			make_raw(fd);
			agent_log_msg(log, AGENT_LOG_DEBUG, "channel %s: serving", path);
			long long t0 = now_ms();
			cc_error *e = NULL;
			int r = ttrpc_server_serve_fd(s, fd, &e);
			close(fd);
			bool long_lived = now_ms() - t0 >= 1000;
			if (r == -ESHUTDOWN) {
				cc_error_free(e);
				break;
			}
			if (r < 0)
				agent_log_msg(log, AGENT_LOG_WARN, "channel %s: %s", path, cc_error_message(e));
			else
				agent_log_msg(log, long_lived ? AGENT_LOG_INFO : AGENT_LOG_DEBUG,
				              "channel %s: the host is gone; reopening", path);
			cc_error_free(e);
			if (long_lived)
				backoff = CC_AGENT_CHANNEL_BACKOFF_MIN_MS;
		}
		if (wait_stop(stop_fd, backoff))
			break;
		backoff = backoff * 2 > CC_AGENT_CHANNEL_BACKOFF_MAX_MS ? CC_AGENT_CHANNEL_BACKOFF_MAX_MS
		                                                        : backoff * 2;
	}
	return 0;
}
