/* Reading a whole file with a cap (cocoon/file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/file.h"

static void drop(char *buf, size_t size, bool secret)
{
	if (buf != NULL && secret)
		explicit_bzero(buf, size);
	free(buf);
}

/* Grows *buf (size *cap + 1) to hold ncap bytes and a NUL. */
static int grow(char **buf, size_t *cap, size_t ncap, bool secret)
{
	char *nb;
	if (secret) { /* no copy left behind by realloc */
		nb = malloc(ncap + 1);
		if (nb != NULL) {
			memcpy(nb, *buf, *cap);
			drop(*buf, *cap + 1, true);
		}
	} else {
		nb = realloc(*buf, ncap + 1);
	}
	if (nb == NULL)
		return -ENOMEM;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* One read(2) of at most n bytes, retried on EINTR: the count or -errno. */
static ssize_t read_some(int fd, void *p, size_t n)
{
	for (;;) {
		ssize_t got = read(fd, p, n);
		if (got >= 0 || errno != EINTR)
			return got >= 0 ? got : -errno;
	}
}

int cc_read_file(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len,
                 cc_error **err)
{
	bool secret = (flags & CC_READ_SECRET) != 0;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if ((flags & CC_READ_REGULAR) != 0 && !S_ISREG(st.st_mode))
		return cc_error_set(err, -EINVAL, "%s: not a regular file", path);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return cc_error_set(err, -EFBIG, "%s: larger than %zu bytes", path, max);
	/* the size is a hint: /proc files and pipes say 0, a file may grow */
	size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 4096;
	if (cap > max)
		cap = max;
	char *buf = malloc(cap + 1);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "%s: out of memory", path);
	size_t len = 0;
	ssize_t n;
	int r = 0;
	for (;;) {
		if (len == cap) { /* full: one byte more, or the end */
			char probe;
			if ((n = read_some(fd, &probe, 1)) <= 0)
				break;
			if (cap == max) {
				r = cc_error_set(err, -EFBIG, "%s: larger than %zu bytes", path, max);
				break;
			}
			if (grow(&buf, &cap, cap > max / 2 ? max : cap * 2, secret) < 0) {
				r = cc_error_set(err, -ENOMEM, "%s: out of memory", path);
				break;
			}
			buf[len++] = probe;
			continue;
		}
		if ((n = read_some(fd, buf + len, cap - len)) <= 0)
			break;
		len += (size_t)n;
	}
	if (r == 0 && n < 0)
		r = cc_error_set(err, (int)n, "%s: %s", path, strerror((int)-n));
	if (r < 0) {
		drop(buf, cap + 1, secret);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	if (ret_len != NULL)
		*ret_len = len;
	return 0;
}
