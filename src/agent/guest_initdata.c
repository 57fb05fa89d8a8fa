/* cocoon-agent's init-data (guest_initdata.h). */
#include "guest_initdata.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"

/* vd* (virtio-blk) and sd* (virtio-scsi), as Kata's agent scans. */
static int candidate_name(const struct dirent *e)
{
	return strncmp(e->d_name, "vd", 2) == 0 || strncmp(e->d_name, "sd", 2) == 0;
}

/* 1 if the block device dir/name starts with the magic, 0 if not (or it
 * is no block device, or shorter than the magic); < 0 when it cannot be
 * opened or read: that could be the init-data, so it is an error. */
static int has_magic(const char *dir, const char *name, cc_error **err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return 0;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cc_error_set(err, -errno, "init-data scan: open %s: %s", path, strerror(errno));
	unsigned char m[CC_INITDATA_MAGIC_LEN];
	ssize_t n;
	while ((n = pread(fd, m, sizeof(m), 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return cc_error_set(err, -errno, "init-data scan: read %s: %s", path, strerror(errno));
	return cc_initdata_img_has_magic(m, (size_t)n) ? 1 : 0;
}

/* The one device under dir with the magic: *ret (a new path) or NULL. */
static int scan(const char *dir, char **ret, cc_error **err)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, candidate_name, alphasort);
	if (n < 0)
		return cc_error_set(err, -errno, "init-data scan: %s: %s", dir, strerror(errno));
	char *found = NULL;
	int r = 0;
	for (int i = 0; i < n; i++) {
		if (r == 0 && (r = has_magic(dir, list[i]->d_name, err)) == 1) {
			r = 0;
			if (found != NULL)
				r = cc_error_set(err, -EINVAL,
				                 "init-data scan: two devices carry init-data: %s and %s/%s",
				                 found, dir, list[i]->d_name);
			else if (asprintf(&found, "%s/%s", dir, list[i]->d_name) < 0)
				r = cc_error_set(err, -ENOMEM, "out of memory");
		}
		free(list[i]);
	}
	free(list);
	if (r < 0) {
		free(found);
		return r;
	}
	*ret = found;
	return 0;
}

/* mkdir of out_dir's parent and out_dir (the guest has /run). */
static int make_dir(const char *dir, cc_error **err)
{
	_cleanup_free_ char *parent = strdup(dir);
	if (parent == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	char *slash = strrchr(parent, '/');
	if (slash != NULL && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0755) < 0 && errno != EEXIST)
			return cc_error_set(err, -errno, "mkdir %s: %s", parent, strerror(errno));
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cc_error_set(err, -errno, "mkdir %s: %s", dir, strerror(errno));
	return 0;
}

static int write_file(const char *dir, const char *name, const char *data, size_t len,
                      cc_error **err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	_cleanup_close_ int fd =
	    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cc_error_set(err, -errno, "%s: write: %s", path, strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

static int write_files(const cc_initdata *d, const char *dir, agent_log *log, cc_error **err)
{
	int r = make_dir(dir, err);
	size_t n = 0;
	const char *toml = cc_initdata_toml(d, &n);
	if (r == 0)
		r = write_file(dir, "initdata.toml", toml, n, err);
	static const char *const keys[] = {CC_INITDATA_KEY_AA, CC_INITDATA_KEY_CDH};
	for (size_t i = 0; r == 0 && i < 2; i++) {
		const char *v = cc_initdata_get(d, keys[i], &n);
		if (v == NULL)
			continue;
		r = write_file(dir, keys[i], v, n, err);
		if (r == 0)
			agent_log_msg(log, AGENT_LOG_INFO, "init-data: %s/%s written (%zu bytes)", dir,
			              keys[i], n);
	}
	return r;
}

static int read_device(const char *path, cc_initdata **ret, cc_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "init-data device %s: %s", path, strerror(errno));
	char *toml = NULL;
	size_t len = 0;
	int r = cc_initdata_img_read_fd(fd, path, &toml, &len, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *name = NULL;
	if (asprintf(&name, "%s: initdata.toml", path) < 0)
		name = NULL;
	r = cc_initdata_parse(toml, len, name ? name : path, ret, err);
	free(toml);
	return r;
}

int agent_initdata_load(const struct agent_initdata_opts *o, agent_log *log, cc_initdata **ret,
                        char **ret_device, cc_error **err)
{
	char *dev = NULL;
	int r = 0;
	if (o->device != NULL) {
		if ((dev = strdup(o->device)) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
	} else if (o->scan) {
		if ((r = scan(o->dev_dir, &dev, err)) < 0)
			return r;
	}
	if (dev == NULL) {
		agent_log_msg(log, AGENT_LOG_INFO, "init-data: no device carries it%s%s",
		              o->scan ? " under " : " (no --initdata-device)",
		              o->scan ? o->dev_dir : "");
		*ret = NULL;
		if (ret_device)
			*ret_device = NULL;
		return 0;
	}
	cc_initdata *d = NULL;
	r = read_device(dev, &d, err);
	if (r == 0)
		r = write_files(d, o->out_dir, log, err);
	if (r < 0) {
		cc_initdata_free(d);
		free(dev);
		return r;
	}
	unsigned char dg[CC_INITDATA_MAX_DIGEST];
	char hex[2 * CC_INITDATA_MAX_DIGEST + 1] = "";
	size_t n = cc_initdata_digest(d, dg);
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", dg[i]);
	agent_log_msg(log, AGENT_LOG_INFO, "init-data: read from %s, %s %s; %s/initdata.toml written",
	              dev, cc_initdata_algorithm(d), hex, o->out_dir);
	*ret = d;
	if (ret_device)
		*ret_device = dev;
	else
		free(dev);
	return 0;
}
