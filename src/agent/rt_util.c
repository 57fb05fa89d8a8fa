/* Small helpers of the agent runtime (rt_int.h): id checks, paths and
 * files. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "rt_int.h"

int rt_check_cid(const char *id, cc_error **err)
{
	size_t n = strlen(id);
	if (n == 0 || n > CC_AGENT_MAX_ID_BYTES)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "container id must have 1 to %u bytes",
		              CC_AGENT_MAX_ID_BYTES);
	/* The directories the runtime keeps next to the bundles. */
	static const char *const reserved[] = {"shared", "sandbox", "sockets"};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(id, reserved[i]) == 0)
			return rt_err(err, TTRPC_INVALID_ARGUMENT, "container id \"%s\" is reserved", id);
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ((ch == '_' || ch == '.' || ch == '-') && i > 0);
		if (!ok)
			return rt_err(err, TTRPC_INVALID_ARGUMENT,
			              "container id \"%.*s\": only letters, digits, '_', '.' and '-' "
			              "(not first) are allowed", (int)(n > 80 ? 80 : n), id);
	}
	return 0;
}

int rt_check_eid(const char *id, cc_error **err)
{
	size_t n = strlen(id);
	if (n > CC_AGENT_MAX_ID_BYTES)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "exec id longer than %u bytes",
		              CC_AGENT_MAX_ID_BYTES);
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~')
			return rt_err(err, TTRPC_INVALID_ARGUMENT,
			              "exec id: only printable ASCII without spaces is allowed");
	return 0;
}

int rt_asprintf(char **ret, cc_error **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*ret = NULL;
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int rt_mkdir_p(const char *path, mode_t mode, cc_error **err)
{
	if (path[0] != '/' || strlen(path) >= CC_AGENT_MAX_PATH)
		return cc_error_set(err, -EINVAL, "%s: not an absolute path of at most %u bytes", path,
		                    CC_AGENT_MAX_PATH);
	char buf[CC_AGENT_MAX_PATH];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return cc_error_set(err, -errno, "mkdir %s: %s", buf, strerror(errno));
		*p = saved;
		if (saved == '\0')
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return cc_error_set(err, -ENOTDIR, "%s: not a directory", path);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int r = flag == FTW_DP ? rmdir(path) : unlink(path);
	/* A mount point (FTW_MOUNT left it alone) cannot be removed: EBUSY. */
	if (r < 0 && errno != ENOENT)
		return errno;
	return 0;
}

/* True if something is mounted at or below path (/proc/self/mountinfo):
 * FTW_MOUNT compares devices, which a bind mount from the same file system
 * does not change. */
static bool mounts_below(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return true;
	size_t plen = strlen(path);
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (!found && getline(&line, &cap, f) > 0) {
		/* "id parent major:minor root mountpoint ..." */
		char *mp = line;
		for (int i = 0; i < 4 && mp; i++) {
			mp = strchr(mp, ' ');
			if (mp)
				mp++;
		}
		if (mp == NULL)
			continue;
		char *end = strchr(mp, ' ');
		if (end)
			*end = '\0';
		/* mountinfo escapes ' ', '\t', '\n', '\\' as octal; the agent's
		 * own paths hold none of them. */
		found = strncmp(mp, path, plen) == 0 && (mp[plen] == '\0' || mp[plen] == '/');
	}
	free(line);
	return found;
}

int rt_remove_tree(const char *path, cc_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return cc_error_set(err, -errno, "removing %s: %s", path, strerror(errno));
		return 0;
	}
	if (mounts_below(path))
		return cc_error_set(err, -EBUSY, "removing %s: something is still mounted there", path);
	int r = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (r != 0) {
		int e = r > 0 ? r : errno;
		return cc_error_set(err, -e, "removing %s: %s", path, strerror(e));
	}
	return 0;
}

int rt_write_file(const char *path, const void *data, size_t len, mode_t mode, cc_error **err)
{
	_cleanup_close_ int fd =
	    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cc_error_set(err, n < 0 ? -errno : -EIO, "writing %s: %s", path,
			                    strerror(n < 0 ? errno : EIO));
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0 && errno != EINVAL)
		return cc_error_set(err, -errno, "fsync %s: %s", path, strerror(errno));
	return 0;
}

int rt_read_file(const char *path, size_t max, char **ret, size_t *ret_len, cc_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	char *buf = malloc(max + 1);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t n = 0;
	while (n < max) {
		ssize_t r = read(fd, buf + n, max - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return cc_error_set(err, -e, "reading %s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*ret = buf;
	if (ret_len)
		*ret_len = n;
	return 0;
}

void rt_efd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t n;
	do
		n = write(fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

void rt_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int rt_strv_add(char ***v, size_t *n, const char *s, cc_error **err)
{
	char *d = strdup(s);
	char **nv = d ? realloc(*v, (*n + 1) * sizeof(*nv)) : NULL;
	if (nv == NULL) {
		free(d);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	nv[(*n)++] = d;
	*v = nv;
	return 0;
}
