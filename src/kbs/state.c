/* The state directory and its files (state.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "state.h"

int kbs_state_open(const char *dir, int *ret_fd, cc_error **err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cc_error_set(err, -errno, "state directory %s: %s", dir, strerror(errno));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "state directory %s: %s", dir,
		                    errno == ELOOP ? "is a symlink" : strerror(errno));
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0)
		r = cc_error_set(err, -errno, "state directory %s: %s", dir, strerror(errno));
	else if (st.st_uid != geteuid())
		r = cc_error_set(err, -EACCES, "state directory %s: owned by uid %u, not %u", dir,
		                 (unsigned)st.st_uid, (unsigned)geteuid());
	else if ((st.st_mode & 077) != 0)
		r = cc_error_set(err, -EACCES,
		                 "state directory %s: mode %04o lets group or others in (chmod 700 it)",
		                 dir, (unsigned)(st.st_mode & 07777));
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int kbs_state_read(int dirfd, const char *dir, const char *name, size_t max, char **ret,
                   size_t *ret_len, cc_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT
		                       : cc_error_set(err, -errno, "%s/%s: %s", dir, name,
		                                      errno == ELOOP ? "is a symlink" : strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cc_error_set(err, -errno, "%s/%s: %s", dir, name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cc_error_set(err, -EINVAL, "%s/%s: not a regular file", dir, name);
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return cc_error_set(err, -EACCES, "%s/%s: must be mode 0600 and owned by uid %u", dir,
		                    name, (unsigned)geteuid());
	if ((uint64_t)st.st_size > max)
		return cc_error_set(err, -EFBIG, "%s/%s: larger than %zu bytes", dir, name, max);
	char *buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(buf);
			return cc_error_set(err, -e, "%s/%s: %s", dir, name,
			                    n < 0 ? strerror(e) : "shorter than its size");
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	if (ret_len != NULL)
		*ret_len = len;
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int kbs_state_write(int dirfd, const char *dir, const char *name, const void *data, size_t len,
                    bool no_replace, cc_error **err)
{
	char tmp[256];
	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp))
		return cc_error_set(err, -ENAMETOOLONG, "%s: name too long", name);
	(void)unlinkat(dirfd, tmp, 0); /* left by a crash */
	_cleanup_close_ int fd =
		openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s/%s: %s", dir, tmp, strerror(errno));
	int r = fchmod(fd, 0600) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0) {
		unsigned flags = no_replace ? RENAME_NOREPLACE : 0;
		if (renameat2(dirfd, tmp, dirfd, name, flags) < 0)
			r = -errno;
	}
	if (r < 0) {
		int e = -r;
		(void)unlinkat(dirfd, tmp, 0);
		if (e == EEXIST)
			return -EEXIST;
		return cc_error_set(err, -e, "%s/%s: %s", dir, name, strerror(e));
	}
	if (fsync(dirfd) < 0)
		return cc_error_set(err, -errno, "%s: fsync: %s", dir, strerror(errno));
	return 0;
}
