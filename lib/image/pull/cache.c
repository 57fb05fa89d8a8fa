/* Blob cache (cache.h). */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct img_blob_cache {
	int dirfd; /* DIR */
};

/* mkdir -p for a relative path under dirfd (or an absolute path with
 * dirfd AT_FDCWD). */
static int mkdirs(int dirfd, const char *path, cc_error **err)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return cc_error_set(err, -ENAMETOOLONG, "cache directory '%s': bad path", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdirat(dirfd, buf, 0700) < 0 && errno != EEXIST)
				return cc_error_set(err, -errno, "cache directory '%s': %s", buf, strerror(errno));
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

int img_blob_cache_open(const char *dir, img_blob_cache **ret, cc_error **err)
{
	int rc = mkdirs(AT_FDCWD, dir, err);
	if (rc < 0)
		return rc;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "cache directory '%s': %s", dir, strerror(errno));
	if ((rc = mkdirs(fd, "blobs/sha256", err)) < 0 || (rc = mkdirs(fd, "blobs/sha512", err)) < 0 ||
	    (rc = mkdirs(fd, "tmp", err)) < 0) {
		close(fd);
		return cc_error_wrap(err, "in '%s'", dir);
	}
	img_blob_cache *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	c->dirfd = fd;
	*ret = c;
	return 0;
}

void img_blob_cache_free(img_blob_cache *c)
{
	if (c == NULL)
		return;
	close(c->dirfd);
	free(c);
}

static void blob_path(const img_digest *d, char out[IMG_DIGEST_STR_MAX + 8])
{
	char hex[129];
	snprintf(out, IMG_DIGEST_STR_MAX + 8, "blobs/%s/%s", img_digest_alg_name(d->alg),
	         img_digest_hex(d, hex));
}

int img_blob_cache_get(img_blob_cache *c, const img_digest *d, cc_error **err)
{
	char p[IMG_DIGEST_STR_MAX + 8];
	blob_path(d, p);
	/* O_NONBLOCK: a FIFO planted there must not block the open */
	int fd = openat(c->dirfd, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return cc_error_set(err, -errno, "blob cache: %s: %s", p, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cc_error_set(err, -EINVAL, "blob cache: %s is not a regular file", p);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int img_blob_cache_begin(img_blob_cache *c, char **ret_token, cc_error **err)
{
	*ret_token = NULL;
	/* An anonymous file: nothing is left in tmp/ if the process dies. */
	int fd = openat(c->dirfd, "tmp", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return cc_error_set(err, -errno, "blob cache: temporary file: %s", strerror(errno));
	char *path = NULL;
	if (asprintf(&path, "/proc/self/fd/%d/tmp/blob-XXXXXX", c->dirfd) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(path);
		return cc_error_set(err, -e, "blob cache: temporary file: %s", strerror(e));
	}
	*ret_token = path;
	return fd;
}

int img_blob_cache_commit(img_blob_cache *c, char *token, int fd, const img_digest *d,
                          cc_error **err)
{
	char p[IMG_DIGEST_STR_MAX + 8];
	blob_path(d, p);
	int rc = 0;
	if (fsync(fd) < 0) {
		rc = cc_error_set(err, -errno, "blob cache: %s: %s", p, strerror(errno));
	} else if (token == NULL) {
		char src[64];
		snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, src, c->dirfd, p, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
			rc = cc_error_set(err, -errno, "blob cache: storing %s: %s", p, strerror(errno));
		/* EEXIST: another pull stored the same blob meanwhile */
	} else {
		char *full = NULL;
		if (asprintf(&full, "/proc/self/fd/%d/%s", c->dirfd, p) < 0)
			rc = cc_error_set(err, -ENOMEM, "out of memory");
		else if (rename(token, full) < 0)
			rc = cc_error_set(err, -errno, "blob cache: storing %s: %s", p, strerror(errno));
		free(full);
	}
	img_blob_cache_abort(c, token);
	return rc;
}

void img_blob_cache_abort(img_blob_cache *c, char *token)
{
	(void)c;
	if (token)
		unlink(token); /* after a rename this names nothing */
	free(token);
}

void img_blob_cache_drop(img_blob_cache *c, const img_digest *d)
{
	char p[IMG_DIGEST_STR_MAX + 8];
	blob_path(d, p);
	unlinkat(c->dirfd, p, 0);
}
