/* The kernel's device operations (guest_attest.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guest_attest.h"

static int real_open(void *ctx, const char *path)
{
	(void)ctx;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int real_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	int r;
	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static void real_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

const guest_dev_ops guest_dev_real_ops = {
	.open = real_open,
	.ioctl = real_ioctl,
	.close = real_close,
};
