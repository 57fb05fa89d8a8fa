/* Entry metadata (unpack_int.h), in umoci's order (restoreMetadata in
 * oci/layer/tar_extract.go): owner first (chown clears setuid/setgid),
 * then the mode (not for symlinks), then xattrs (a directory that was there
 * before has its own cleared first), then times (directories: at the end
 * of the layer, tar_unpack.c).
 *
 * xattrs: security.selinux and system.nfs4_acl are never touched (umoci's
 * forbidden list: host-specific). Everything else is restored, including
 * security.capability. In overlay mode a trusted.overlay.* xattr from the
 * layer is stored escaped as trusted.overlay.overlay.* (as umoci's
 * overlayfs mode and the kernel's xattr escaping since Linux 6.7), so a
 * layer cannot set overlayfs' own redirect/metacopy/opaque markers; a file
 * system without xattrs (ENOTSUP) is not an error, as in umoci.
 */
#include "unpack_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"

#define OVL_PREFIX "trusted.overlay."
#define OVL_ESCAPED "trusted.overlay.overlay."

static bool xattr_forbidden(const char *name)
{
	return strcmp(name, "security.selinux") == 0 || strcmp(name, "system.nfs4_acl") == 0;
}

/* xattrs of an existing directory that clearing leaves alone: forbidden
 * ones and, in overlay mode, overlayfs' own (umoci's MaskedOnDisk). */
static bool xattr_masked(const struct unpacker *u, const char *name)
{
	if (xattr_forbidden(name))
		return true;
	return u->o.whiteout == IMG_WHITEOUT_OVERLAY &&
	       strncmp(name, OVL_PREFIX, strlen(OVL_PREFIX)) == 0 &&
	       strncmp(name, OVL_ESCAPED, strlen(OVL_ESCAPED)) != 0;
}

static int up_clear_xattrs(struct unpacker *u, int fd)
{
	ssize_t n = flistxattr(fd, NULL, 0);
	if (n < 0)
		return errno == ENOTSUP ? 0 : up_fail(u, -errno, "listxattr: %s", strerror(errno));
	if (n == 0)
		return 0;
	_cleanup_free_ char *list = malloc((size_t)n);
	if (list == NULL)
		return up_fail(u, -ENOMEM, "out of memory");
	n = flistxattr(fd, list, (size_t)n);
	if (n < 0)
		return up_fail(u, -errno, "listxattr: %s", strerror(errno));
	for (char *p = list; p < list + n; p += strlen(p) + 1) {
		if (xattr_masked(u, p))
			continue;
		if (fremovexattr(fd, p) < 0 && errno != ENODATA)
			return up_fail(u, -errno, "removexattr %s: %s", p, strerror(errno));
	}
	return 0;
}

/* The name a layer's xattr gets on disk (NULL: not restored). */
static const char *xattr_disk_name(const struct unpacker *u, const char *name, char *buf,
                                   size_t cap)
{
	if (xattr_forbidden(name))
		return NULL;
	if (u->o.whiteout == IMG_WHITEOUT_OVERLAY &&
	    strncmp(name, OVL_PREFIX, strlen(OVL_PREFIX)) == 0) {
		snprintf(buf, cap, "%s%s", OVL_ESCAPED, name + strlen(OVL_PREFIX));
		return buf;
	}
	return name;
}

static int up_set_xattrs(struct unpacker *u, struct archive_entry *e, int pfd, const char *name,
                         int fd)
{
	int count = archive_entry_xattr_reset(e);
	if (count < 0 || (unsigned)count > CC_IMG_MAX_ENTRY_XATTRS)
		return up_fail(u, -E2BIG, "more than %u xattrs", CC_IMG_MAX_ENTRY_XATTRS);
	const char *xn;
	const void *v;
	size_t vn;
	while (archive_entry_xattr_next(e, &xn, &v, &vn) == ARCHIVE_OK) {
		char buf[XATTR_NAME_MAX + 64];
		if (xn == NULL || *xn == '\0' || strlen(xn) > XATTR_NAME_MAX)
			return up_fail(u, -EINVAL, "bad xattr name");
		if (vn > CC_IMG_MAX_XATTR_BYTES)
			return up_fail(u, -E2BIG, "xattr %.64s: value over %u bytes", xn,
			               CC_IMG_MAX_XATTR_BYTES);
		const char *dn = xattr_disk_name(u, xn, buf, sizeof(buf));
		if (dn == NULL)
			continue;
		int r = 0;
		if (fd >= 0)
			r = fsetxattr(fd, dn, v, vn, 0) < 0 ? -errno : 0;
		else
			r = fs_lsetxattr_at(pfd, name, dn, v, vn);
		if (r < 0 && r != -ENOTSUP)
			return up_fail(u, r, "setxattr %.64s: %s", dn, strerror(-r));
	}
	return 0;
}

/* Owners are numeric; -1 would mean "unchanged" to chown(2). */
static int up_owner(struct unpacker *u, struct archive_entry *e, uid_t *uid, gid_t *gid)
{
	la_int64_t ui = archive_entry_uid(e), gi = archive_entry_gid(e);
	if (ui < 0 || ui >= (la_int64_t)UINT32_MAX || gi < 0 || gi >= (la_int64_t)UINT32_MAX)
		return up_fail(u, -ERANGE, "owner %" PRId64 ":%" PRId64 " out of range", (int64_t)ui,
		               (int64_t)gi);
	*uid = (uid_t)ui;
	*gid = (gid_t)gi;
	return 0;
}

void up_entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = 0;
	ts[1].tv_nsec = UTIME_NOW; /* no mtime: now, as umoci */
	if (archive_entry_mtime_is_set(e)) {
		ts[1].tv_sec = (time_t)archive_entry_mtime(e);
		ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	}
	ts[0] = ts[1];
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = (time_t)archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	}
}

static int up_times(struct unpacker *u, struct archive_entry *e, int pfd, const char *name,
                    int fd)
{
	struct timespec ts[2];
	up_entry_times(e, ts);
	int r = fd >= 0 ? futimens(fd, ts) : utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return up_fail(u, -errno, "utimensat: %s", strerror(errno));
	return 0;
}

int up_metadata(struct unpacker *u, struct archive_entry *e, int pfd, const char *name, int fd,
                mode_t type, bool existed)
{
	uid_t uid;
	gid_t gid;
	int r = up_owner(u, e, &uid, &gid);
	if (r < 0)
		return r;
	r = fd >= 0 ? fchown(fd, uid, gid) : fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return up_fail(u, -errno, "chown: %s", strerror(errno));
	if (type != AE_IFLNK) {
		mode_t perm = archive_entry_perm(e) & 07777;
		/* Not a symlink: made just now by mknodat, so following is moot. */
		r = fd >= 0 ? fchmod(fd, perm) : fchmodat(pfd, name, perm, 0);
		if (r < 0)
			return up_fail(u, -errno, "chmod: %s", strerror(errno));
	}
	if (existed) {
		r = up_clear_xattrs(u, fd);
		if (r < 0)
			return r;
	}
	r = up_set_xattrs(u, e, pfd, name, fd);
	if (r < 0 || type == AE_IFDIR)
		return r;
	return up_times(u, e, pfd, name, fd);
}
