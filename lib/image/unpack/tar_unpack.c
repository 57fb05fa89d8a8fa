/* The layer unpacker's driver (unpack.h, docs/unpack.md): libarchive reads
 * tar headers from an img_reader (format tar only, no filters: the stream
 * is already decompressed), each entry is applied by entry.c, directory
 * times are set once the layer is complete, and the reader is drained to
 * its end so the checks of the chain below run before success is reported.
 */
#include "unpack_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"

/* Bytes handed to libarchive per read: large reads keep syscalls and
 * decompressor calls few. */
#define UP_READ_BUF (256u * 1024u)

void img_unpack_opts_default(struct img_unpack_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->whiteout = IMG_WHITEOUT_FLATTEN;
	o->max_bytes = CC_IMG_MAX_LAYER_UNPACKED;
	o->max_entries = CC_IMG_MAX_LAYER_ENTRIES;
}

int up_fail(struct unpacker *u, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cc_error_set(u->err, code, "layer: entry '%s': %s", u->shown, msg);
}

/* A printable copy of a hostile name for messages: control bytes, quotes
 * and non-ASCII bytes as \xNN, cut at about 200 bytes. */
void up_show(struct unpacker *u, const char *raw)
{
	size_t o = 0, cap = sizeof(u->shown);
	for (const unsigned char *p = (const unsigned char *)raw; *p != '\0'; p++) {
		if (o + 8 > cap || o > 200) {
			snprintf(u->shown + o, cap - o, "...");
			return;
		}
		if (*p < 0x20 || *p >= 0x7f || *p == '\'' || *p == '\\')
			o += (size_t)snprintf(u->shown + o, cap - o, "\\x%02x", *p);
		else
			u->shown[o++] = (char)*p;
	}
	u->shown[o] = '\0';
}

size_t up_path_clean(char *out, const char *raw)
{
	size_t o = 0;
	const char *p = raw;
	while (*p != '\0') {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = *end == '/' ? end + 1 : end;
	}
	out[o] = '\0';
	return o;
}

/* ---- parent directory cache ------------------------------------------------ */

void up_parent_drop(struct unpacker *u)
{
	if (u->pc_fd >= 0)
		close(u->pc_fd);
	u->pc_fd = -1;
	free(u->pc_path);
	u->pc_path = NULL;
}

int up_parent(struct unpacker *u, bool create)
{
	size_t plen = u->base_off > 0 ? u->base_off - 1 : 0;
	if (u->pc_path != NULL && strlen(u->pc_path) == plen &&
	    memcmp(u->pc_path, u->path, plen) == 0)
		return u->pc_fd;
	up_parent_drop(u);
	_cleanup_free_ char *p = strndup(u->path, plen);
	if (p == NULL)
		return up_fail(u, -ENOMEM, "out of memory");
	int fd = fs_dir_in_root(u->rootfd, p, create);
	if (fd < 0) {
		if (!create && (fd == -ENOENT || fd == -ENOTDIR))
			return fd;
		return up_fail(u, fd, "parent directory: %s", strerror(-fd));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return up_fail(u, r, "parent directory: %s", strerror(-r));
	}
	struct timespec ts[2] = {st.st_atim, st.st_mtim};
	int r = up_dir_times(u, p, &st, ts, false);
	if (r < 0) {
		close(fd);
		return up_fail(u, r, "out of memory");
	}
	u->pc_fd = fd;
	u->pc_st = st;
	u->pc_path = TAKE_PTR(p);
	return fd;
}

/* ---- bookkeeping ----------------------------------------------------------- */

static size_t up_upper_key(char *buf, size_t cap, const struct stat *dir, const char *name)
{
	int n = snprintf(buf, cap, "%jx:%jx/%s", (uintmax_t)dir->st_dev, (uintmax_t)dir->st_ino,
	                 name);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

int up_mark_upper(struct unpacker *u, const struct stat *dir, const char *name)
{
	if (u->upper == NULL)
		return 0;
	char key[64 + CC_IMG_MAX_TAR_PATH];
	size_t n = up_upper_key(key, sizeof(key), dir, name);
	if (n == 0)
		return up_fail(u, -ENAMETOOLONG, "name too long");
	if (strmap_put(u->upper, key, n, (void *)1, NULL) < 0)
		return up_fail(u, -ENOMEM, "out of memory");
	return 0;
}

bool up_is_upper(const struct unpacker *u, const struct stat *dir, const char *name)
{
	if (u->upper == NULL || strmap_size(u->upper) == 0)
		return false;
	char key[64 + CC_IMG_MAX_TAR_PATH];
	size_t n = up_upper_key(key, sizeof(key), dir, name);
	return n != 0 && strmap_get(u->upper, key, n) != NULL;
}

static void dir_times_free(void *p)
{
	struct dir_times *t = p;
	if (t != NULL)
		free(t->path);
	free(t);
}

int up_dir_times(struct unpacker *u, const char *path, const struct stat *st,
                 const struct timespec ts[2], bool from_entry)
{
	char key[64];
	int kn = snprintf(key, sizeof(key), "%jx:%jx", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
	struct dir_times *t = strmap_get(u->dirtimes, key, (size_t)kn);
	if (t != NULL) {
		if (from_entry) {
			t->ts[0] = ts[0];
			t->ts[1] = ts[1];
			t->from_entry = true;
		}
		return 0;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->path = strdup(path)) == NULL) {
		free(t);
		return -ENOMEM;
	}
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	t->ts[0] = ts[0];
	t->ts[1] = ts[1];
	t->from_entry = from_entry;
	if (strmap_put(u->dirtimes, key, (size_t)kn, t, NULL) < 0) {
		dir_times_free(t);
		return -ENOMEM;
	}
	return 0;
}

/* Sets one directory's times if the path still names the same directory. */
static int up_apply_dir_times(const char *key, void *value, void *ctx)
{
	(void)key;
	struct unpacker *u = ctx;
	struct dir_times *t = value;
	int fd = fs_open_in_root(u->rootfd, t->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return 0; /* replaced or removed later in the layer */
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino &&
	    futimens(fd, t->ts) < 0)
		r = -errno;
	close(fd);
	if (r < 0) {
		up_show(u, t->path);
		return up_fail(u, r, "setting directory times: %s", strerror(-r));
	}
	return 0;
}

/* ---- reader -> libarchive --------------------------------------------------- */

static la_ssize_t up_read_cb(struct archive *a, void *cd, const void **buf)
{
	struct unpacker *u = cd;
	if (u->rcode < 0) {
		archive_set_error(a, EIO, "layer stream failed");
		return -1;
	}
	ssize_t got = img_reader_read(u->r, u->rbuf, UP_READ_BUF, &u->rerr);
	if (got < 0) {
		u->rcode = (int)got;
		archive_set_error(a, EIO, "layer stream failed");
		return -1;
	}
	u->st.tar_bytes += (uint64_t)got;
	if (u->st.tar_bytes > u->o.max_bytes) {
		u->rcode = cc_error_set(&u->rerr, -EFBIG, "layer: more than %" PRIu64 " bytes",
		                        u->o.max_bytes);
		archive_set_error(a, EFBIG, "layer too large");
		return -1;
	}
	*buf = u->rbuf;
	return got;
}

/* A libarchive failure: the reader's own error when it caused it. */
int up_archive_error(struct unpacker *u, struct archive *a, const char *what)
{
	if (u->rcode < 0) {
		int code = u->rcode;
		cc_error_move(u->err, &u->rerr);
		if (u->shown[0] != '\0')
			cc_error_wrap(u->err, "layer: entry '%s'", u->shown);
		return code;
	}
	const char *m = archive_error_string(a);
	if (u->shown[0] == '\0')
		return cc_error_set(u->err, -EBADMSG, "layer: %s: %s", what, m ? m : "failed");
	return up_fail(u, -EBADMSG, "%s: %s", what, m ? m : "failed");
}

/* Reads the rest of the stream (padding, trailing blocks) so the checks at
 * its end run; the bytes still count against max_bytes. */
static int up_drain(struct unpacker *u)
{
	for (;;) {
		ssize_t got = img_reader_read(u->r, u->rbuf, UP_READ_BUF, u->err);
		if (got < 0)
			return cc_error_wrap(u->err, "layer: after the end of the archive");
		if (got == 0)
			return 0;
		u->st.tar_bytes += (uint64_t)got;
		if (u->st.tar_bytes > u->o.max_bytes)
			return cc_error_set(u->err, -EFBIG, "layer: more than %" PRIu64 " bytes",
			                    u->o.max_bytes);
	}
}

/* ---- the layer --------------------------------------------------------------- */

static int up_entries(struct unpacker *u, struct archive *a)
{
	for (;;) {
		struct archive_entry *e = NULL;
		u->shown[0] = '\0';
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		/* ARCHIVE_WARN: a name not convertible to the locale's charset,
		 * which libarchive still hands over as raw bytes (as Go's tar). */
		if (r < ARCHIVE_WARN)
			return up_archive_error(u, a, "reading tar header");
		if (++u->st.entries > u->o.max_entries)
			return cc_error_set(u->err, -E2BIG, "layer: more than %" PRIu64 " entries",
			                    u->o.max_entries);
		r = up_entry(u, a, e);
		if (r < 0)
			return r;
	}
}

static int up_run(struct unpacker *u)
{
	struct archive *a = archive_read_new();
	if (a == NULL)
		return cc_error_set(u->err, -ENOMEM, "layer: out of memory");
	archive_read_support_format_tar(a);
	int r = 0;
	if (archive_read_open(a, u, NULL, up_read_cb, NULL) != ARCHIVE_OK) {
		/* An empty stream is an empty layer, as for Go's archive/tar. */
		if (u->rcode < 0 || u->st.tar_bytes > 0)
			r = up_archive_error(u, a, "not a tar archive");
	} else {
		r = up_entries(u, a);
	}
	archive_read_free(a);
	if (r < 0)
		return r;
	u->shown[0] = '\0';
	up_parent_drop(u);
	r = strmap_each(u->dirtimes, up_apply_dir_times, u);
	if (r < 0)
		return r;
	return up_drain(u);
}

int img_unpack_layer(int rootfd, img_reader *tar, const struct img_unpack_opts *opts,
                     struct img_unpack_stats *stats, cc_error **err)
{
	if (rootfd < 0 || tar == NULL)
		return cc_error_set(err, -EINVAL, "layer: no root directory or stream");
	struct unpacker u = {.rootfd = rootfd, .err = err, .r = tar, .pc_fd = -1};
	if (opts != NULL)
		u.o = *opts;
	else
		img_unpack_opts_default(&u.o);
	int r = -ENOMEM;
	u.rbuf = malloc(UP_READ_BUF);
	u.path = malloc(CC_IMG_MAX_TAR_PATH + 1);
	u.dirtimes = strmap_new();
	if (u.o.whiteout == IMG_WHITEOUT_FLATTEN)
		u.upper = strmap_new();
	if (u.rbuf == NULL || u.path == NULL || u.dirtimes == NULL ||
	    (u.o.whiteout == IMG_WHITEOUT_FLATTEN && u.upper == NULL))
		cc_error_set(err, r, "layer: out of memory");
	else if (u.o.whiteout != IMG_WHITEOUT_FLATTEN && u.o.whiteout != IMG_WHITEOUT_OVERLAY)
		r = cc_error_set(err, -EINVAL, "layer: unknown whiteout mode %d", (int)u.o.whiteout);
	else
		r = up_run(&u);
	up_parent_drop(&u);
	strmap_free(u.upper, NULL);
	strmap_free(u.dirtimes, dir_times_free);
	cc_error_free(u.rerr);
	free(u.path);
	free(u.rbuf);
	if (r == 0 && stats != NULL)
		*stats = u.st;
	return r;
}
