/* The TDX RTMRs as AAEL registers (aael_writer.h): the kernel's sysfs
 * measurement files (Linux 6.16+, tsm-mr), as guest-components' tdx
 * attester extends and reads them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aael_writer.h"

#define TDX_MEASUREMENTS "/sys/devices/virtual/misc/tdx_guest/measurements"
#define RTMR_SIZE 48u

uint32_t aael_tdx_pcr_to_ccmr(unsigned pcr)
{
	if (pcr == 1 || pcr == 7)
		return 1;
	if (pcr >= 2 && pcr <= 6)
		return 2;
	if (pcr >= 8 && pcr <= 15)
		return 3;
	return 4;
}

static int rtmr_path(void *ctx, unsigned pcr, char *out, size_t cap)
{
	const char *root = ctx != NULL ? (const char *)ctx : "";
	int n = snprintf(out, cap, "%s" TDX_MEASUREMENTS "/rtmr%u:sha384", root,
	                 aael_tdx_pcr_to_ccmr(pcr) - 1);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int rtmr_read(void *ctx, unsigned pcr, uint8_t *out, size_t len, cc_error **err)
{
	char p[PATH_MAX];
	if (len != RTMR_SIZE || rtmr_path(ctx, pcr, p, sizeof(p)) < 0)
		return cc_error_set(err, -EINVAL, "RTMR: bad register or size");
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, errno == ENOENT ? -ENOTSUP : -errno,
		                    "RTMR: %s: %s (the kernel has no TDX measurement files)", p,
		                    strerror(errno));
	uint8_t buf[RTMR_SIZE + 1];
	size_t got = 0;
	int r = 0;
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (r < 0)
		return cc_error_set(err, r, "RTMR: reading %s: %s", p, strerror(-r));
	if (got != RTMR_SIZE)
		return cc_error_set(err, -EIO, "RTMR: %s gave %zu bytes, not %u", p, got, RTMR_SIZE);
	memcpy(out, buf, RTMR_SIZE);
	return 0;
}

static int rtmr_extend(void *ctx, unsigned pcr, const uint8_t *digest, size_t len,
                       cc_error **err)
{
	char p[PATH_MAX];
	if (len != RTMR_SIZE || rtmr_path(ctx, pcr, p, sizeof(p)) < 0)
		return cc_error_set(err, -EINVAL, "RTMR: bad register or size");
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, errno == ENOENT ? -ENOTSUP : -errno, "RTMR: %s: %s", p,
		                    strerror(errno));
	ssize_t n;
	do
		n = write(fd, digest, RTMR_SIZE);
	while (n < 0 && errno == EINTR);
	int e = n < 0 ? errno : 0;
	if (close(fd) < 0 && e == 0)
		e = errno;
	if (e == 0 && n != (ssize_t)RTMR_SIZE)
		e = EIO;
	if (e != 0)
		return cc_error_set(err, -e, "RTMR: extending through %s: %s", p, strerror(e));
	return 0;
}

const aael_register aael_tdx_rtmr = {
	.alg = 0x000C,
	.mr_index = aael_tdx_pcr_to_ccmr,
	.read = rtmr_read,
	.extend = rtmr_extend,
};
