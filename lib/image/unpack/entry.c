/* One tar entry onto the root (unpack_int.h), following umoci's
 * UnpackEntry (oci/layer/tar_extract.go): the parent is resolved in the
 * root (missing directories are made), whatever is at the name is removed
 * unless a directory meets a directory, then the entry is made and its
 * metadata restored. Hard links get no metadata of their own.
 */
#include "unpack_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"

/* Cleans the entry's name into u->path and finds its last component. */
static int up_clean_path(struct unpacker *u, const char *raw)
{
	if (strlen(raw) > CC_IMG_MAX_TAR_PATH)
		return up_fail(u, -ENAMETOOLONG, "path is longer than %u bytes", CC_IMG_MAX_TAR_PATH);
	u->path_len = up_path_clean(u->path, raw);
	const char *slash = strrchr(u->path, '/');
	u->base_off = slash != NULL ? (size_t)(slash - u->path) + 1 : 0;
	return 0;
}

/* Writes n bytes at offset off (sparse entries give offsets). */
static int up_pwrite_all(int fd, const char *p, size_t n, int64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Streams the entry's data into fd block by block (never the whole file in
 * memory); holes of sparse entries stay holes. */
static int up_copy_data(struct unpacker *u, struct archive *a, struct archive_entry *e, int fd)
{
	int64_t end = 0;
	for (;;) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return up_archive_error(u, a, "reading file data");
		if (off < 0 || n > (size_t)INT64_MAX - (uint64_t)off)
			return up_fail(u, -EBADMSG, "bad data offset");
		r = up_pwrite_all(fd, buf, n, off);
		if (r < 0)
			return up_fail(u, r, "write: %s", strerror(-r));
		if (off + (int64_t)n > end)
			end = off + (int64_t)n;
		u->st.file_bytes += n;
	}
	int64_t size = archive_entry_size(e);
	if (size > end && ftruncate(fd, (off_t)size) < 0)
		return up_fail(u, -errno, "truncate: %s", strerror(errno));
	return 0;
}

static int up_regular(struct unpacker *u, struct archive *a, struct archive_entry *e, int pfd,
                      const char *base)
{
	_cleanup_close_ int fd =
	    openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return up_fail(u, -errno, "create: %s", strerror(errno));
	int r = up_copy_data(u, a, e, fd);
	if (r < 0)
		return r;
	u->st.files++;
	return up_metadata(u, e, pfd, base, fd, AE_IFREG, false);
}

/* Records the entry's times for the directory fd at path (set at the end). */
static int up_dir_done(struct unpacker *u, struct archive_entry *e, int fd, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return up_fail(u, -errno, "stat: %s", strerror(errno));
	struct timespec ts[2];
	up_entry_times(e, ts);
	if (up_dir_times(u, path, &st, ts, true) < 0)
		return up_fail(u, -ENOMEM, "out of memory");
	u->st.dirs++;
	return 0;
}

/* Directory times are set after the layer, once nothing else changes them. */
static int up_directory(struct unpacker *u, struct archive_entry *e, int pfd, const char *base,
                        bool existed)
{
	if (!existed && mkdirat(pfd, base, 0700) < 0)
		return up_fail(u, -errno, "mkdir: %s", strerror(errno));
	_cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return up_fail(u, -errno, "open directory: %s", strerror(errno));
	int r = up_metadata(u, e, pfd, base, fd, AE_IFDIR, existed);
	return r < 0 ? r : up_dir_done(u, e, fd, u->path);
}

static int up_symlink(struct unpacker *u, struct archive_entry *e, int pfd, const char *base)
{
	const char *target = archive_entry_symlink(e);
	if (target == NULL || *target == '\0')
		return up_fail(u, -EINVAL, "symlink without a target");
	if (strlen(target) > CC_IMG_MAX_TAR_PATH)
		return up_fail(u, -ENAMETOOLONG, "symlink target is longer than %u bytes",
		               CC_IMG_MAX_TAR_PATH);
	/* The target is stored as is: it is only ever resolved in the root. */
	if (symlinkat(target, pfd, base) < 0)
		return up_fail(u, -errno, "symlink: %s", strerror(errno));
	u->st.symlinks++;
	return up_metadata(u, e, pfd, base, -1, AE_IFLNK, false);
}

/* Hard links: the target is cleaned as a path in the root; its directory is
 * resolved in the root but its last component is not followed (a link to
 * a symlink links the symlink, as umoci and linkat(2) without
 * AT_SYMLINK_FOLLOW). */
static int up_hardlink(struct unpacker *u, const char *raw, int pfd, const char *base)
{
	if (strlen(raw) > CC_IMG_MAX_TAR_PATH)
		return up_fail(u, -ENAMETOOLONG, "link target is longer than %u bytes",
		               CC_IMG_MAX_TAR_PATH);
	char *t = malloc(strlen(raw) + 1);
	if (t == NULL)
		return up_fail(u, -ENOMEM, "out of memory");
	size_t tlen = up_path_clean(t, raw);
	if (tlen == 0) {
		free(t);
		return up_fail(u, -EPERM, "hard link to the root directory");
	}
	char *slash = strrchr(t, '/');
	const char *tname = slash != NULL ? slash + 1 : t;
	if (slash != NULL)
		*slash = '\0';
	int tfd = fs_dir_in_root(u->rootfd, slash != NULL ? t : "", false);
	int r = 0;
	if (tfd < 0)
		r = up_fail(u, tfd, "link target directory: %s", strerror(-tfd));
	else if (linkat(tfd, tname, pfd, base, 0) < 0)
		r = up_fail(u, -errno, "link: %s", strerror(errno));
	if (tfd >= 0)
		close(tfd);
	free(t);
	if (r == 0)
		u->st.hardlinks++;
	return r;
}

static int up_node(struct unpacker *u, struct archive_entry *e, int pfd, const char *base,
                   mode_t type)
{
	dev_t dev = 0;
	if (type != AE_IFIFO)
		dev = makedev((unsigned)archive_entry_rdevmajor(e), (unsigned)archive_entry_rdevminor(e));
	if (mknodat(pfd, base, type | 0600, dev) < 0)
		return up_fail(u, -errno, "mknod: %s", strerror(errno));
	u->st.nodes++;
	return up_metadata(u, e, pfd, base, -1, type, false);
}

/* The root itself ("./" or "/"): only ever a directory (umoci refuses to
 * change its type: it could become a symlink we would then follow). */
static int up_root_entry(struct unpacker *u, struct archive_entry *e)
{
	if (archive_entry_hardlink(e) != NULL || archive_entry_filetype(e) != AE_IFDIR)
		return up_fail(u, -EPERM, "refusing to change the type of the root directory");
	_cleanup_close_ int fd = fs_open_in_root(u->rootfd, "", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return up_fail(u, fd, "open root: %s", strerror(-fd));
	int r = up_metadata(u, e, -1, NULL, fd, AE_IFDIR, true);
	return r < 0 ? r : up_dir_done(u, e, fd, "");
}

/* The entry's type; hard links first (libarchive gives them a file type). */
static int up_entry_type(struct unpacker *u, struct archive_entry *e, mode_t *ret)
{
	if (archive_entry_hardlink(e) != NULL) {
		*ret = 0;
		return 0;
	}
	mode_t t = archive_entry_filetype(e);
	switch (t) {
	case AE_IFREG:
	case AE_IFDIR:
	case AE_IFLNK:
	case AE_IFIFO:
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		/* In overlay mode a 0/0 character device is a whiteout: the layer
		 * would read differently flattened and stacked. */
		if (t == AE_IFCHR && u->o.whiteout == IMG_WHITEOUT_OVERLAY &&
		    archive_entry_rdevmajor(e) == 0 && archive_entry_rdevminor(e) == 0)
			return up_fail(u, -EINVAL,
			               "character device 0/0 is an overlayfs whiteout; "
			               "layers must use .wh. entries");
		break;
	default:
		return up_fail(u, -ENOTSUP, "unsupported entry type 0%o", (unsigned)t);
	}
	*ret = t;
	return 0;
}

static int up_make(struct unpacker *u, struct archive *a, struct archive_entry *e, mode_t type,
                   int pfd, const char *base, bool existed_dir)
{
	switch (type) {
	case 0:
		return up_hardlink(u, archive_entry_hardlink(e), pfd, base);
	case AE_IFREG:
		return up_regular(u, a, e, pfd, base);
	case AE_IFDIR:
		return up_directory(u, e, pfd, base, existed_dir);
	case AE_IFLNK:
		return up_symlink(u, e, pfd, base);
	default:
		return up_node(u, e, pfd, base, type);
	}
}

int up_entry(struct unpacker *u, struct archive *a, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);
	if (raw == NULL) {
		snprintf(u->shown, sizeof(u->shown), "(no name)");
		return up_fail(u, -EINVAL, "entry without a path");
	}
	up_show(u, raw);
	int r = up_clean_path(u, raw);
	if (r < 0)
		return r;
	if (u->path_len == 0)
		return up_root_entry(u, e);
	const char *base = u->path + u->base_off;
	if (strncmp(base, ".wh.", 4) == 0)
		return up_whiteout(u, base);
	mode_t type;
	r = up_entry_type(u, e, &type);
	if (r < 0)
		return r;
	if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > u->o.max_bytes)
		return up_fail(u, -EFBIG, "size %" PRId64 " is over the layer cap",
		               (int64_t)archive_entry_size(e));
	int pfd = up_parent(u, true);
	if (pfd < 0)
		return pfd;
	struct stat ost;
	bool exists = fstatat(pfd, base, &ost, AT_SYMLINK_NOFOLLOW) == 0;
	if (!exists && errno != ENOENT)
		return up_fail(u, -errno, "stat: %s", strerror(errno));
	bool existed_dir = exists && S_ISDIR(ost.st_mode) && type == AE_IFDIR;
	if (exists && !existed_dir) {
		r = fs_remove_all(pfd, base);
		if (r < 0)
			return up_fail(u, r, "removing what was there: %s", strerror(-r));
	}
	r = up_make(u, a, e, type, pfd, base, existed_dir);
	if (r < 0)
		return r;
	return up_mark_upper(u, &u->pc_st, base);
}
