/* Whiteout entries (image-spec layer.md "Whiteouts"; unpack_int.h).
 *
 * Flatten mode, as umoci's ociWhiteout: ".wh.NAME" removes NAME and
 * ".wh..wh..opq" everything in its directory, but only what lower layers
 * put there: whatever this layer made (and the directories leading to it)
 * stays, whatever order the entries come in. umoci keeps a set of the
 * paths the layer made plus all their ancestors and removes a path unless
 * it is in the set; here the set holds (directory inode, name) of what the
 * layer made, and the walk is post-order, so a directory is kept exactly
 * when it was made by the layer or something below it was: the same result
 * without storing resolved path strings.
 *
 * Overlay mode, as image-rs and umoci's overlayfs mode: ".wh.NAME" becomes
 * a 0/0 character device NAME, ".wh..wh..opq" the xattr
 * trusted.overlay.opaque=y on its directory.
 *
 * A whiteout name that is empty, "." or ".." is an error: it would name
 * the directory itself or its parent.
 */
#include "unpack_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cocoon/cleanup.h"

#define WH_OPAQUE ".wh..wh..opq"

static int wh_prune(struct unpacker *u, int dirfd, const struct stat *dst, const char *name,
                    bool keep_self, bool *ret_kept);

/* Prunes every entry of the open directory dfd (closed here); *ret_kept
 * tells whether any stayed. */
static int wh_prune_children(struct unpacker *u, int dfd, const struct stat *dst, bool *ret_kept)
{
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		int r = -errno;
		close(dfd);
		return r;
	}
	bool kept_any = false;
	int r = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			r = errno != 0 ? -errno : 0;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		bool kept = false;
		r = wh_prune(u, dirfd(d), dst, de->d_name, false, &kept);
		if (r < 0)
			break;
		kept_any |= kept;
	}
	closedir(d);
	*ret_kept = kept_any;
	return r;
}

/* Removes name under dirfd (directory dst) unless this layer made it;
 * directories are walked first (post-order). */
static int wh_prune(struct unpacker *u, int dirfd, const struct stat *dst, const char *name,
                    bool keep_self, bool *ret_kept)
{
	*ret_kept = false;
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	bool upper = keep_self || up_is_upper(u, dst, name);
	if (!S_ISDIR(st.st_mode)) {
		if (upper)
			*ret_kept = true;
		else if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	/* Nothing of this layer anywhere: remove the lot without lookups. */
	if (!upper && strmap_size(u->upper) == 0)
		return fs_remove_all(dirfd, name);
	int cfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return errno == ENOENT ? 0 : -errno;
	bool kept = false;
	int r = wh_prune_children(u, cfd, &st, &kept);
	if (r < 0)
		return r;
	if (upper || kept) {
		*ret_kept = true;
		return 0;
	}
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int wh_flatten(struct unpacker *u, const char *name, bool opaque)
{
	int pfd = up_parent(u, false);
	if (pfd == -ENOENT || pfd == -ENOTDIR)
		return 0; /* nothing below to hide */
	if (pfd < 0)
		return pfd;
	int r;
	bool kept;
	if (opaque) {
		int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = dfd < 0 ? -errno : wh_prune_children(u, dfd, &u->pc_st, &kept);
	} else {
		r = wh_prune(u, pfd, &u->pc_st, name, false, &kept);
	}
	if (r < 0)
		return up_fail(u, r, "whiteout: %s", strerror(-r));
	return 0;
}

static int wh_overlay(struct unpacker *u, const char *name, bool opaque)
{
	int pfd = up_parent(u, true);
	if (pfd < 0)
		return pfd;
	if (opaque) {
		_cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return up_fail(u, -errno, "opaque whiteout: %s", strerror(errno));
		return 0;
	}
	int r = fs_remove_all(pfd, name);
	if (r < 0)
		return up_fail(u, r, "whiteout: removing what was there: %s", strerror(-r));
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return up_fail(u, -errno, "whiteout: mknod: %s", strerror(errno));
	return 0;
}

int up_whiteout(struct unpacker *u, const char *base)
{
	bool opaque = strcmp(base, WH_OPAQUE) == 0;
	const char *name = base + 4;
	if (!opaque && (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
		return up_fail(u, -EINVAL, "invalid whiteout name");
	u->st.whiteouts++;
	if (u->o.whiteout == IMG_WHITEOUT_OVERLAY)
		return wh_overlay(u, name, opaque);
	return wh_flatten(u, name, opaque);
}
