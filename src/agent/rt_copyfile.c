/* CopyFile (runtime.h): the host writes files, directories and symlinks
 * under the shared containers directory (<run_dir>/shared/containers,
 * Kata's /run/kata-containers/shared/containers), in chunks, as Kata's
 * do_copy_file does (kata.md §3.1): a regular file is written at offset
 * into "<name>.tmp" and renamed to its name, with its mode and owner, once
 * it has file_size bytes; a directory is created (or kept) and gets its
 * mode and owner; a symlink replaces an older symlink of that name.
 *
 * The path is the host's and hostile: it must lie strictly inside the
 * shared directory, lexically (no "..", ".", empty components), and every
 * directory on the way is opened with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) from the
 * shared directory, so no symlink, magic link or mount can lead outside.
 * The leaf is never followed either (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW).
 * Symlinks follow the rules Kata's policy adopted for CVE-2026-41326: not
 * directly in the shared directory, relative targets only, no ".."
 * component. Regular files lose setuid/setgid bits. Sizes are capped
 * (CC_AGENT_COPYFILE_MAX_BYTES). Anything refused is INVALID_ARGUMENT. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "rt_int.h"

#define RESOLVE_CONFINED                                                                           \
	(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

static int openat2_confined(int root, const char *rel, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_CONFINED};
	return (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
}

/* Creates the last component of prefix (with mode) if it is missing. */
static int mkdir_step(int root, char *prefix, mode_t mode, const char *path, cc_error **err)
{
	char *slash = strrchr(prefix, '/');
	_cleanup_close_ int pfd = -1;
	if (slash) {
		*slash = '\0';
		pfd = openat2_confined(root, prefix, O_PATH | O_DIRECTORY);
		*slash = '/';
	} else {
		pfd = fcntl(root, F_DUPFD_CLOEXEC, 0);
	}
	if (pfd < 0)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "%s: %s", path, strerror(errno));
	const char *leaf = slash ? slash + 1 : prefix;
	if (mkdirat(pfd, leaf, mode) < 0)
		return errno == EEXIST ? 0 : rt_err(err, TTRPC_INVALID_ARGUMENT, "%s: mkdir: %s",
		                                    path, strerror(errno));
	_cleanup_close_ int d = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d >= 0)
		fchmod(d, mode); /* mode without the umask */
	return 0;
}

/* Opens (creating what is missing, with mode) the directory rel of root. */
static int open_parent(int root, char *rel, mode_t mode, const char *path, cc_error **err)
{
	for (char *p = rel;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		int rc = mkdir_step(root, rel, mode, path, err);
		*p = saved;
		if (rc < 0)
			return rc;
		if (saved == '\0')
			break;
	}
	int fd = openat2_confined(root, rel, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "%s: %s", path, strerror(errno));
	return fd;
}

static int check_request(const Grpc__CopyFileRequest *req, cc_error **err)
{
	mode_t t = req->file_mode & S_IFMT;
	if (t != 0 && t != S_IFREG && t != S_IFDIR && t != S_IFLNK)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "file_mode %#o: only regular files, "
		              "directories and symlinks", req->file_mode);
	if (t == S_IFDIR || t == S_IFLNK)
		return 0; /* no content; a symlink's target is checked apart */
	if (req->file_size < 0 || (uint64_t)req->file_size > CC_AGENT_COPYFILE_MAX_BYTES)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "file_size %lld: at most %u bytes",
		              (long long)req->file_size, CC_AGENT_COPYFILE_MAX_BYTES);
	if (req->offset < 0 || req->offset > req->file_size ||
	    req->data.len > (uint64_t)(req->file_size - req->offset))
		return rt_err(err, TTRPC_INVALID_ARGUMENT,
		              "chunk at offset %lld of %zu bytes does not fit file_size %lld",
		              (long long)req->offset, req->data.len, (long long)req->file_size);
	return 0;
}

static int check_link(const Grpc__CopyFileRequest *req, const char *rel, cc_error **err)
{
	const uint8_t *d = req->data.data;
	size_t n = req->data.len;
	if (strchr(rel, '/') == NULL)
		return rt_err(err, TTRPC_INVALID_ARGUMENT,
		              "%s: a symlink may not be placed directly in the shared directory",
		              req->path);
	if (n == 0 || n > CC_AGENT_COPYFILE_MAX_LINK || memchr(d, '\0', n) || d[0] == '/')
		return rt_err(err, TTRPC_INVALID_ARGUMENT,
		              "%s: a symlink target must be relative, 1 to %u bytes, without NUL",
		              req->path, CC_AGENT_COPYFILE_MAX_LINK);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && d[j] != '/')
			j++;
		if (j - i == 2 && d[i] == '.' && d[i + 1] == '.')
			return rt_err(err, TTRPC_INVALID_ARGUMENT,
			              "%s: a symlink target may not contain \"..\"", req->path);
		i = j + 1;
	}
	return 0;
}

static int copy_dir(int pfd, const char *leaf, const Grpc__CopyFileRequest *req, cc_error **err)
{
	mode_t perm = req->file_mode & 07777;
	if (mkdirat(pfd, leaf, perm) < 0 && errno != EEXIST)
		return cc_error_set(err, -errno, "%s: mkdir: %s", req->path, strerror(errno));
	_cleanup_close_ int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "%s: not a directory: %s", req->path,
		              strerror(errno));
	if (fchmod(fd, perm) < 0 || fchown(fd, (uid_t)req->uid, (gid_t)req->gid) < 0)
		return cc_error_set(err, -errno, "%s: %s", req->path, strerror(errno));
	return 0;
}

static int copy_link(int pfd, const char *leaf, const Grpc__CopyFileRequest *req, cc_error **err)
{
	struct stat st;
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
	    unlinkat(pfd, leaf, 0) < 0)
		return cc_error_set(err, -errno, "%s: %s", req->path, strerror(errno));
	_cleanup_free_ char *target = strndup((const char *)req->data.data, req->data.len);
	if (target == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (symlinkat(target, pfd, leaf) < 0)
		return cc_error_set(err, -errno, "%s: symlink: %s", req->path, strerror(errno));
	if (fchownat(pfd, leaf, (uid_t)req->uid, (gid_t)req->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return cc_error_set(err, -errno, "%s: %s", req->path, strerror(errno));
	return 0;
}

static int pwrite_all(int fd, const uint8_t *d, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, d, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		d += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static int copy_reg(int pfd, const char *leaf, const Grpc__CopyFileRequest *req, cc_error **err)
{
	char tmp[300];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", leaf) >= sizeof(tmp) || strlen(tmp) > 255)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "%s: name too long", req->path);
	_cleanup_close_ int fd =
	    openat(pfd, tmp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0)
		return rt_err(err, errno == ELOOP ? TTRPC_INVALID_ARGUMENT : ttrpc_code_from_errno(-errno),
		              "%s: %s", req->path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "%s: not a regular file", req->path);
	if (req->offset == 0 && ftruncate(fd, 0) < 0)
		return cc_error_set(err, -errno, "%s: %s", req->path, strerror(errno));
	int rc = pwrite_all(fd, req->data.data, req->data.len, (off_t)req->offset);
	if (rc < 0)
		return cc_error_set(err, rc, "%s: write: %s", req->path, strerror(-rc));
	if (fstat(fd, &st) < 0)
		return cc_error_set(err, -errno, "%s: %s", req->path, strerror(errno));
	if (st.st_size != req->file_size)
		return 0; /* more chunks to come */
	mode_t perm = req->file_mode & 01777; /* no setuid/setgid */
	if (fchmod(fd, perm) < 0 || fchown(fd, (uid_t)req->uid, (gid_t)req->gid) < 0 ||
	    fsync(fd) < 0)
		return cc_error_set(err, -errno, "%s: %s", req->path, strerror(errno));
	if (renameat(pfd, tmp, pfd, leaf) < 0)
		return cc_error_set(err, -errno, "%s: rename: %s", req->path, strerror(errno));
	return 0;
}

int agent_rt_copy_file(agent_rt *rt, const Grpc__CopyFileRequest *req, cc_error **err)
{
	const char *rel0;
	int rc = rt_path_inside(rt->shared_dir, req->path, &rel0, err);
	if (rc == 0)
		rc = check_request(req, err);
	if (rc == 0 && (req->file_mode & S_IFMT) == S_IFLNK)
		rc = check_link(req, rel0, err);
	if (rc < 0)
		return cc_error_wrap(err, "CopyFile");
	_cleanup_free_ char *rel = strdup(rel0);
	if (rel == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	_cleanup_close_ int root = open(rt->shared_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return cc_error_set(err, -errno, "%s: %s", rt->shared_dir, strerror(errno));
	char *slash = strrchr(rel, '/');
	const char *leaf = slash ? slash + 1 : rel;
	_cleanup_close_ int pfd = -1;
	if (slash) {
		*slash = '\0';
		pfd = open_parent(root, rel, req->dir_mode & 07777, req->path, err);
	} else {
		pfd = fcntl(root, F_DUPFD_CLOEXEC, 0);
	}
	if (pfd < 0)
		return cc_error_wrap(err, "CopyFile");
	switch (req->file_mode & S_IFMT) {
	case S_IFDIR:
		rc = copy_dir(pfd, leaf, req, err);
		break;
	case S_IFLNK:
		rc = copy_link(pfd, leaf, req, err);
		break;
	default:
		rc = copy_reg(pfd, leaf, req, err);
		break;
	}
	return rc < 0 ? cc_error_wrap(err, "CopyFile") : 0;
}
