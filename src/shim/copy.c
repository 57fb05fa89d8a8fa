/* Bind-mounted host files into the guest with CopyFile (copy.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "copy.h"

#define CHUNK (1u << 20) /* Kata's grpcMaxDataSize */
#define MAX_DEPTH 16

struct walk {
	const struct shim_copy_opts *o;
	size_t bytes, entries;
	uint8_t *buf;
};

bool shim_mount_is_bind(const Grpc__Mount *m)
{
	if (strcmp(m->type, "bind") == 0)
		return true;
	for (size_t i = 0; i < m->n_options; i++)
		if (strcmp(m->options[i], "bind") == 0 || strcmp(m->options[i], "rbind") == 0)
			return true;
	return false;
}

static int count(struct walk *w, size_t bytes, const char *what, cc_error **err)
{
	if (++w->entries > CC_SHIM_MAX_COPY_ENTRIES)
		return cc_error_set(err, -EFBIG, "%s: more than %u files to copy into the guest", what,
		                    CC_SHIM_MAX_COPY_ENTRIES);
	if (bytes > CC_SHIM_MAX_COPY_BYTES - w->bytes)
		return cc_error_set(err, -EFBIG, "%s: more than %u bytes to copy into the guest", what,
		                    CC_SHIM_MAX_COPY_BYTES);
	w->bytes += bytes;
	return 0;
}

static void init_req(Grpc__CopyFileRequest *r, const char *dst, const struct stat *st)
{
	grpc__copy_file_request__init(r);
	r->path = (char *)dst;
	r->file_mode = st->st_mode;
	r->dir_mode = 0755;
	r->uid = (int32_t)st->st_uid;
	r->gid = (int32_t)st->st_gid;
}

/* A regular file, open at fd, in chunks (one empty request for an empty
 * file). */
static int copy_reg(struct walk *w, int fd, const struct stat *st, const char *src,
                    const char *dst, cc_error **err)
{
	int r = count(w, (size_t)st->st_size, src, err);
	int64_t off = 0;
	do {
		if (r < 0)
			return r;
		ssize_t n = pread(fd, w->buf, CHUNK, off);
		if (n < 0)
			return cc_error_set(err, -errno, "%s: %s", src, strerror(errno));
		if (n == 0 && off > 0)
			break;
		Grpc__CopyFileRequest req;
		init_req(&req, dst, st);
		req.file_size = st->st_size;
		req.offset = off;
		req.data.data = w->buf;
		req.data.len = (size_t)n;
		r = w->o->copy(w->o->ctx, &req, err);
		off += n;
		if (n == 0)
			break;
	} while (off < st->st_size);
	return r;
}

static int copy_tree(struct walk *w, int dirfd, const char *src, const char *dst, int depth,
                     cc_error **err);

/* One entry of a directory: files, directories and symlinks; the rest is
 * skipped. */
static int copy_entry(struct walk *w, int dirfd, const char *name, const char *src,
                      const char *dst, int depth, cc_error **err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cc_error_set(err, -errno, "%s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return copy_tree(w, dirfd, src, dst, depth + 1, err);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
		if (n < 0 || n == sizeof(target))
			return cc_error_set(err, n < 0 ? -errno : -ENAMETOOLONG, "%s: readlink", src);
		int r = count(w, (size_t)n, src, err);
		if (r < 0)
			return r;
		Grpc__CopyFileRequest req;
		init_req(&req, dst, &st);
		req.file_size = n;
		req.data.data = (uint8_t *)target;
		req.data.len = (size_t)n;
		return w->o->copy(w->o->ctx, &req, err);
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", src, strerror(errno));
	return copy_reg(w, fd, &st, src, dst, err);
}

/* The directory name (in dirfd), then its entries in name order. */
static int copy_tree(struct walk *w, int dirfd, const char *src, const char *dst, int depth,
                     cc_error **err)
{
	if (depth > MAX_DEPTH)
		return cc_error_set(err, -ELOOP, "%s: deeper than %d levels", src, MAX_DEPTH);
	const char *name = strrchr(src, '/');
	name = name ? name + 1 : src;
	int fd = openat(dirfd, depth == 0 ? src : name,
	                O_RDONLY | O_DIRECTORY | O_CLOEXEC | (depth == 0 ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", src, strerror(errno));
	struct stat st;
	int r = fstat(fd, &st) < 0 ? cc_error_set(err, -errno, "%s: %s", src, strerror(errno))
	                           : count(w, 0, src, err);
	if (r == 0) {
		Grpc__CopyFileRequest req;
		init_req(&req, dst, &st);
		r = w->o->copy(w->o->ctx, &req, err);
	}
	struct dirent **ents = NULL;
	int n = r == 0 ? scandirat(fd, ".", &ents, NULL, alphasort) : 0;
	if (n < 0)
		r = cc_error_set(err, -errno, "%s: %s", src, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *e = ents[i]->d_name;
		if (r == 0 && strcmp(e, ".") != 0 && strcmp(e, "..") != 0) {
			char *s2 = NULL, *d2 = NULL;
			if (asprintf(&s2, "%s/%s", src, e) < 0 || asprintf(&d2, "%s/%s", dst, e) < 0)
				r = cc_error_set(err, -ENOMEM, "out of memory");
			else
				r = copy_entry(w, fd, e, s2, d2, depth, err);
			free(s2);
			free(d2);
		}
		free(ents[i]);
	}
	free(ents);
	close(fd);
	return r;
}

/* Kata's file name: <cid>-<16 random hex>-<base of the destination>. */
static char *guest_name(const struct shim_copy_opts *o, const char *destination)
{
	uint8_t rnd[8];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return NULL;
	const char *base = strrchr(destination, '/');
	base = base && base[1] ? base + 1 : "mount";
	char *s = NULL;
	if (asprintf(&s, "%s/%s-%02x%02x%02x%02x%02x%02x%02x%02x-%s", o->shared_dir, o->cid, rnd[0],
	             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], base) < 0)
		return NULL;
	return s;
}

/* Copies mount m; *keep false when it is to be dropped. */
static int copy_mount(struct walk *w, Grpc__Mount *m, bool *keep, cc_error **err)
{
	struct stat st;
	*keep = false;
	if (m->source[0] != '/' || stat(m->source, &st) < 0 ||
	    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return 0;
	char *dst = guest_name(w->o, m->destination);
	if (dst == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r;
	if (S_ISDIR(st.st_mode)) {
		r = copy_tree(w, AT_FDCWD, m->source, dst, 0, err);
	} else {
		_cleanup_close_ int fd = open(m->source, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		r = fd < 0 ? cc_error_set(err, -errno, "%s: %s", m->source, strerror(errno))
		           : copy_reg(w, fd, &st, m->source, dst, err);
	}
	if (r < 0) {
		free(dst);
		return cc_error_wrap(err, "copying the mount of %s into the guest", m->destination);
	}
	if (m->source != protobuf_c_empty_string)
		free(m->source);
	m->source = dst;
	*keep = true;
	return 0;
}

int shim_copy_mounts(Grpc__Spec *spec, const struct shim_copy_opts *o, cc_error **err)
{
	struct walk w = {.o = o, .buf = malloc(CHUNK)};
	if (w.buf == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = 0;
	size_t kept = 0;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		Grpc__Mount *m = spec->mounts[i];
		bool keep = true;
		if (r == 0 && shim_mount_is_bind(m))
			r = copy_mount(&w, m, &keep, err);
		if (keep)
			spec->mounts[kept++] = m;
		else
			protobuf_c_message_free_unpacked(&m->base, NULL);
	}
	spec->n_mounts = kept;
	free(w.buf);
	return r;
}
