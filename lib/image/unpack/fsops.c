/* In-root file system operations for the unpacker (unpack_int.h).
 *
 * Every path from a layer is resolved by the kernel with openat2(2)
 * RESOLVE_IN_ROOT: "..", absolute symlinks and symlinks climbing out all
 * stay inside the root, and magic links (/proc/self/...) are refused. What
 * is then changed is changed relative to the directory fd it gave, by one
 * name that holds no '/'.
 */
#include "unpack_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cocoon/cleanup.h"

/* openat2 may fail with EAGAIN when a rename raced with ".." resolution. */
#define OPENAT2_TRIES 16

int fs_open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
		.mode = 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	const char *p = (path == NULL || *path == '\0') ? "." : path;
	for (int i = 0; i < OPENAT2_TRIES; i++) {
		long fd = syscall(SYS_openat2, rootfd, p, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

/* Linux's MAXSYMLINKS: dangling links followed while making parents. */
#define MKDIR_MAX_LINKS 40

/* The path to retry when the component at start..end of buf (made of
 * path "prefix/comp/rest") is a dangling symlink in the directory prev:
 * its target takes its place ("/" targets start from the root again).
 * NULL with *ret_err on failure. */
static char *fs_splice_link(int prev, char *buf, char *start, const char *rest, int *ret_err)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(prev, start, target, sizeof(target) - 1);
	if (n <= 0) {
		*ret_err = n < 0 ? -errno : -ENOENT;
		return NULL;
	}
	target[n] = '\0';
	size_t plen = target[0] == '/' ? 0 : (size_t)(start - buf);
	char *out = NULL;
	if (asprintf(&out, "%.*s%s%s%s", (int)plen, buf, target, rest != NULL ? "/" : "",
	             rest != NULL ? rest : "") < 0) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	if (strlen(out) > 2 * PATH_MAX) {
		free(out);
		*ret_err = -ENAMETOOLONG;
		return NULL;
	}
	return out;
}

static int fs_mkdir_walk(int rootfd, const char *path, int links);

/* The component at start is there but does not resolve: a dangling
 * symlink. Restarts the walk on the path with its target spliced in.
 * Closes prev. */
static int fs_mkdir_follow(int rootfd, int prev, char *buf, char *start, char *slash, int links)
{
	int r = links >= MKDIR_MAX_LINKS ? -ELOOP : 0;
	char *next = r < 0 ? NULL
	                   : fs_splice_link(prev, buf, start, slash != NULL ? slash + 1 : NULL, &r);
	close(prev);
	if (next == NULL)
		return r;
	r = fs_mkdir_walk(rootfd, next, links + 1);
	free(next);
	return r;
}

/* Creates the missing components of path one at a time: each is made with
 * mkdirat in the directory the kernel resolved for the prefix before it.
 * A dangling symlink on the way is followed inside the root and its
 * target made (as umoci's SecureJoin + MkdirAll): the walk restarts on the
 * path with the target spliced in. */
static int fs_mkdir_walk(int rootfd, const char *path, int links)
{
	_cleanup_free_ char *buf = strdup(path);
	if (buf == NULL)
		return -ENOMEM;
	int prev = fs_open_in_root(rootfd, "", O_PATH | O_DIRECTORY);
	if (prev < 0)
		return prev;
	char *start = buf;
	for (;;) {
		char *slash = strchr(start, '/');
		if (slash != NULL)
			*slash = '\0';
		int fd = fs_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
		if (fd == -ENOENT) {
			if (mkdirat(prev, start, 0755) == 0)
				fd = fs_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
			else if (errno != EEXIST)
				fd = -errno;
			else
				return fs_mkdir_follow(rootfd, prev, buf, start, slash, links);
		}
		close(prev);
		if (fd < 0)
			return fd;
		prev = fd;
		if (slash == NULL)
			return prev;
		*slash = '/';
		start = slash + 1;
	}
}

int fs_dir_in_root(int rootfd, const char *path, bool create)
{
	int fd = fs_open_in_root(rootfd, path, O_PATH | O_DIRECTORY);
	if (fd >= 0 || fd != -ENOENT || !create || path == NULL || *path == '\0')
		return fd;
	return fs_mkdir_walk(rootfd, path, 0);
}

/* Removes every entry of the open directory dfd (which it closes). */
static int fs_remove_children(int dfd)
{
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		int r = -errno;
		close(dfd);
		return r;
	}
	int r = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				r = -errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = fs_remove_all(dirfd(d), de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int fs_remove_all(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	int cfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = fs_remove_children(cfd);
	if (r < 0)
		return r;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int fs_lsetxattr_at(int dirfd, const char *name, const char *xname, const void *v, size_t n)
{
	char p[64 + NAME_MAX + 1];
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dirfd, name);
	if (lsetxattr(p, xname, v, n, 0) < 0)
		return -errno;
	return 0;
}

int img_remove_tree(int dirfd, const char *name)
{
	return fs_remove_all(dirfd, name);
}
