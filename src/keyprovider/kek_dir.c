/* KEKs in a local directory: kbs:///repo/type/tag -> DIR/repo/type/tag. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "internal.h"
#include "kek.h"

static int kek_path(const char *dir, const char *kid, char out[PATH_MAX], cc_error **err)
{
	char rel[PATH_MAX];
	int r = oc_kid_path(kid, rel, sizeof(rel), err);
	if (r < 0)
		return r;
	if (snprintf(out, PATH_MAX, "%s/%s", dir, rel) >= PATH_MAX)
		return cc_error_set(err, -ENAMETOOLONG, "key id %s: path too long", kid);
	return 0;
}

static int read_kek(const char *path, const char *kid, unsigned char kek[KEK_LEN],
                    cc_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cc_error_set(err, -errno, "KEK for %s: %s: %m", kid, path);
	unsigned char buf[KEK_LEN + 1];
	size_t n = 0;
	while (n < sizeof(buf)) {
		ssize_t got = read(fd, buf + n, sizeof(buf) - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cc_error_set(err, -errno, "KEK for %s: %s: %m", kid, path);
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n != KEK_LEN) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return cc_error_set(err, -EINVAL, "KEK for %s: %s is not exactly %d bytes", kid,
		                    path, KEK_LEN);
	}
	memcpy(kek, buf, KEK_LEN);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

static int dir_get(void *ctx, const char *kid, unsigned char kek[KEK_LEN], cc_error **err)
{
	char path[PATH_MAX];
	int r = kek_path(ctx, kid, path, err);
	return r < 0 ? r : read_kek(path, kid, kek, err);
}

/* mkdir -p of the directories above path (which is inside dir). */
static int make_parents(const char *path, size_t dir_len, cc_error **err)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	tmp[dir_len] = '\0'; /* the keys directory itself (its parent must exist) */
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return cc_error_set(err, -errno, "%s: %m", tmp);
	tmp[dir_len] = '/';
	for (char *p = tmp + dir_len + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return cc_error_set(err, -errno, "%s: %m", tmp);
		*p = '/';
	}
	return 0;
}

static int dir_put(void *ctx, const char *kid, unsigned char kek[KEK_LEN], bool adopt,
                   cc_error **err)
{
	const char *dir = ctx;
	char path[PATH_MAX];
	int r = kek_path(dir, kid, path, err);
	if (r == 0)
		r = make_parents(path, strlen(dir), err);
	if (r < 0)
		return r;
	/* Written to a temporary file and linked into place, so a concurrent
	 * run (one per layer) never reads a KEK half written. */
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return cc_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %m", tmp);
	ssize_t w = write(fd, kek, KEK_LEN);
	int e = errno;
	if (w == KEK_LEN && fsync(fd) < 0) {
		w = -1;
		e = errno;
	}
	if (close(fd) < 0 && w == KEK_LEN) {
		w = -1;
		e = errno;
	}
	if (w != KEK_LEN) {
		unlink(tmp);
		return cc_error_set(err, w < 0 ? -e : -EIO, "%s: write failed", tmp);
	}
	int lr = link(tmp, path);
	e = errno;
	unlink(tmp);
	if (lr < 0 && e == EEXIST) {
		unsigned char old[KEK_LEN];
		r = read_kek(path, kid, old, err);
		if (r == 0 && adopt)
			memcpy(kek, old, KEK_LEN);
		else if (r == 0 && CRYPTO_memcmp(old, kek, KEK_LEN) != 0)
			r = cc_error_set(err, -EEXIST, "KEK for %s: %s holds a different key", kid,
			                 path);
		OPENSSL_cleanse(old, sizeof(old));
		return r;
	}
	if (lr < 0)
		return cc_error_set(err, -e, "%s: %s", path, strerror(e));
	return 0;
}

void kek_dir_source(struct kek_source *s, const char *dir)
{
	s->name = "keys-dir";
	s->get = dir_get;
	s->put = dir_put;
	s->ctx = (void *)dir;
}
