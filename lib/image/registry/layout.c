/* OCI image layouts (layout.h). */
#include "layout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"

struct img_layout {
	char *dir;
	int dfd; /* the layout directory */
};

const char *img_layout_dir(const img_layout *l)
{
	return l->dir;
}

void img_layout_free(img_layout *l)
{
	if (l == NULL)
		return;
	if (l->dfd >= 0)
		close(l->dfd);
	free(l->dir);
	free(l);
}

/* Writes n bytes to path (relative to dfd) through a temporary file and a
 * rename, so readers never see a partial file. */
static int write_atomic(int dfd, const char *path, const void *p, size_t n, cc_error **err)
{
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	_cleanup_close_ int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	int rc = img_write_all(fd, p, n, err);
	if (rc < 0) {
		unlinkat(dfd, tmp, 0);
		return cc_error_wrap(err, "%s", path);
	}
	if (fsync(fd) < 0 || renameat(dfd, tmp, dfd, path) < 0) {
		int e = errno;
		unlinkat(dfd, tmp, 0);
		return cc_error_set(err, -e, "%s: %s", path, strerror(e));
	}
	return 0;
}

static int mkdir_p(int dfd, const char *rel, cc_error **err)
{
	if (mkdirat(dfd, rel, 0755) < 0 && errno != EEXIST)
		return cc_error_set(err, -errno, "%s: %s", rel, strerror(errno));
	return 0;
}

int img_layout_open(const char *dir, bool create, img_layout **ret, cc_error **err)
{
	if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
		return cc_error_set(err, -errno, "OCI layout %s: %s", dir, strerror(errno));
	img_layout *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	l->dir = strdup(dir);
	l->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	if (l->dir == NULL) {
		rc = cc_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (l->dfd < 0) {
		rc = cc_error_set(err, -errno, "OCI layout %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (faccessat(l->dfd, "oci-layout", R_OK, 0) != 0) {
		if (!create) {
			rc = cc_error_set(err, -ENOENT, "%s is not an OCI image layout (no oci-layout file)", dir);
			goto fail;
		}
		static const char ver[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
		if ((rc = write_atomic(l->dfd, "oci-layout", ver, sizeof(ver) - 1, err)) < 0)
			goto fail;
	}
	if (create) {
		if ((rc = mkdir_p(l->dfd, "blobs", err)) < 0 || (rc = mkdir_p(l->dfd, "blobs/sha256", err)) < 0 ||
		    (rc = mkdir_p(l->dfd, "blobs/sha512", err)) < 0)
			goto fail;
		if (faccessat(l->dfd, "index.json", R_OK, 0) != 0) {
			static const char idx[] = "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MT_OCI_INDEX "\",\"manifests\":[]}";
			if ((rc = write_atomic(l->dfd, "index.json", idx, sizeof(idx) - 1, err)) < 0)
				goto fail;
		}
	}
	*ret = l;
	return 0;
fail:
	img_layout_free(l);
	return rc;
}

/* Reads a file of at most max bytes relative to the layout. */
static int read_file(img_layout *l, const char *rel, size_t max, char **ret, size_t *ret_len,
                     cc_error **err)
{
	_cleanup_close_ int fd = openat(l->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s/%s: %s", l->dir, rel, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return cc_error_set(err, -EINVAL, "%s/%s: not a regular file", l->dir, rel);
	if ((uint64_t)st.st_size > max)
		return cc_error_set(err, -EFBIG, "%s/%s: %lld bytes, more than %zu", l->dir, rel,
		                    (long long)st.st_size, max);
	char *buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t off = 0;
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return cc_error_set(err, n < 0 ? -errno : -EIO, "%s/%s: short read", l->dir, rel);
		}
		off += (size_t)n;
	}
	buf[off] = '\0';
	*ret = buf;
	*ret_len = off;
	return 0;
}

static int load_index(img_layout *l, img_manifest **ret, cc_error **err)
{
	_cleanup_free_ char *body = NULL;
	size_t len;
	int rc = read_file(l, "index.json", CC_IMG_MAX_MANIFEST_BYTES, &body, &len, err);
	if (rc < 0)
		return rc;
	rc = img_manifest_parse(body, len, NULL, ret, err);
	if (rc == 0 && (*ret)->kind != IMG_MANIFEST_INDEX) {
		img_manifest_free(*ret);
		return cc_error_set(err, -EINVAL, "%s/index.json: not an image index", l->dir);
	}
	return rc < 0 ? cc_error_wrap(err, "%s/index.json", l->dir) : 0;
}

static const char *ref_name(const img_descriptor *d)
{
	return d->annotations ? json_string_value(json_object_get(d->annotations, IMG_ANNOTATION_REF_NAME)) : NULL;
}

static int copy_desc(const img_descriptor *s, img_descriptor *d, cc_error **err)
{
	memset(d, 0, sizeof(*d));
	d->media_type = strdup(s->media_type);
	d->digest = s->digest;
	d->size = s->size;
	d->annotations = s->annotations ? json_deep_copy(s->annotations) : NULL;
	if (d->media_type == NULL || (s->annotations && d->annotations == NULL)) {
		img_descriptor_clear(d);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int img_layout_resolve(img_layout *l, const char *name, img_descriptor *ret, cc_error **err)
{
	img_manifest *idx = NULL;
	int rc = load_index(l, &idx, err);
	if (rc < 0)
		return rc;
	const img_descriptor *found = NULL;
	if (name == NULL) {
		if (idx->nmanifests == 1)
			found = &idx->manifests[0];
		else
			rc = cc_error_set(err, -ENOENT, "%s: %zu images in index.json; name one (oci:%s:NAME)",
			                  l->dir, idx->nmanifests, l->dir);
	} else {
		for (size_t i = 0; i < idx->nmanifests && !found; i++) {
			const char *n = ref_name(&idx->manifests[i]);
			if (n && strcmp(n, name) == 0)
				found = &idx->manifests[i];
		}
		if (!found)
			rc = cc_error_set(err, -ENOENT, "%s: no image named '%.200s' in index.json", l->dir, name);
	}
	if (found)
		rc = copy_desc(found, ret, err);
	img_manifest_free(idx);
	return rc;
}

static void blob_rel(const img_digest *d, char out[IMG_DIGEST_STR_MAX + 8])
{
	char hex[129];
	snprintf(out, IMG_DIGEST_STR_MAX + 8, "blobs/%s/%s", img_digest_alg_name(d->alg), img_digest_hex(d, hex));
}

bool img_layout_has_blob(img_layout *l, const img_digest *d)
{
	char rel[IMG_DIGEST_STR_MAX + 8];
	blob_rel(d, rel);
	struct stat st;
	return fstatat(l->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int img_layout_open_blob(img_layout *l, const img_digest *d, int *ret_fd, cc_error **err)
{
	char rel[IMG_DIGEST_STR_MAX + 8];
	blob_rel(d, rel);
	int fd = openat(l->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s/%s: %s", l->dir, rel, strerror(errno));
	*ret_fd = fd;
	return 0;
}

int img_layout_read_blob(img_layout *l, const img_digest *d, size_t max, char **ret_body,
                         size_t *ret_len, cc_error **err)
{
	char rel[IMG_DIGEST_STR_MAX + 8];
	blob_rel(d, rel);
	char *body = NULL;
	size_t len = 0;
	int rc = read_file(l, rel, max, &body, &len, err);
	if (rc < 0)
		return rc;
	img_digest have;
	if ((rc = img_digest_bytes(d->alg, body, len, &have, err)) < 0 || !img_digest_eq(&have, d)) {
		free(body);
		return rc < 0 ? rc : cc_error_set(err, -EBADMSG, "%s/%s: content does not match its name", l->dir, rel);
	}
	*ret_body = body;
	*ret_len = len;
	return 0;
}

int img_layout_temp_blob(img_layout *l, int *ret_fd, char **ret_path, cc_error **err)
{
	char *rel = strdup("blobs/.tmp-XXXXXX");
	if (rel == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	/* mkstemp needs a path: build it under the layout's directory */
	char *full = NULL;
	if (asprintf(&full, "%s/%s", l->dir, rel) < 0) {
		free(rel);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	free(rel);
	int fd = mkostemp(full, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(full);
		return cc_error_set(err, -e, "%s/blobs: %s", l->dir, strerror(e));
	}
	*ret_fd = fd;
	*ret_path = full;
	return 0;
}

int img_layout_commit_blob(img_layout *l, const char *path, int fd, const img_digest *d,
                           cc_error **err)
{
	char rel[IMG_DIGEST_STR_MAX + 8];
	blob_rel(d, rel);
	if (fsync(fd) < 0 || fchmod(fd, 0644) < 0 || renameat(AT_FDCWD, path, l->dfd, rel) < 0)
		return cc_error_set(err, -errno, "%s/%s: %s", l->dir, rel, strerror(errno));
	return 0;
}

int img_layout_adopt_blob(img_layout *l, int fd, const img_digest *d, cc_error **err)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 0)
		return -EXDEV; /* only anonymous files: no blob gets a second name */
	char rel[IMG_DIGEST_STR_MAX + 8], src[64];
	blob_rel(d, rel);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (fsync(fd) < 0 || fchmod(fd, 0644) < 0)
		return cc_error_set(err, -errno, "%s/%s: %s", l->dir, rel, strerror(errno));
	if (linkat(AT_FDCWD, src, l->dfd, rel, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST) {
		if (errno == EXDEV || errno == ENOENT || errno == EPERM)
			return -EXDEV; /* another file system, or no /proc: copy instead */
		return cc_error_set(err, -errno, "%s/%s: %s", l->dir, rel, strerror(errno));
	}
	return 0;
}

int img_layout_put_blob(img_layout *l, const void *p, size_t n, img_digest *ret, cc_error **err)
{
	img_digest d;
	int rc = img_digest_bytes(IMG_DIGEST_SHA256, p, n, &d, err);
	if (rc < 0)
		return rc;
	char rel[IMG_DIGEST_STR_MAX + 8];
	blob_rel(&d, rel);
	if (!img_layout_has_blob(l, &d) && (rc = write_atomic(l->dfd, rel, p, n, err)) < 0)
		return rc;
	*ret = d;
	return 0;
}

int img_layout_set_ref(img_layout *l, const char *name, const img_descriptor *desc,
                       cc_error **err)
{
	img_manifest *idx = NULL;
	int rc = load_index(l, &idx, err);
	if (rc < 0)
		return rc;
	json_t *list = json_object_get(idx->root, "manifests");
	json_t *entry = img_descriptor_json(desc);
	if (entry && name) {
		json_t *an = json_object_get(entry, "annotations");
		if (an == NULL) {
			an = json_object();
			json_object_set_new(entry, "annotations", an);
		}
		json_object_set_new(an, IMG_ANNOTATION_REF_NAME, json_string(name));
	}
	if (entry == NULL) {
		img_manifest_free(idx);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	/* replace the entry with that name, else append */
	size_t i;
	for (i = 0; name && i < idx->nmanifests; i++) {
		const char *n = ref_name(&idx->manifests[i]);
		if (n && strcmp(n, name) == 0)
			break;
	}
	if (name && i < idx->nmanifests)
		rc = json_array_set_new(list, i, entry);
	else
		rc = json_array_append_new(list, entry);
	char *s = rc == 0 ? json_dumps(idx->root, JSON_COMPACT) : NULL;
	img_manifest_free(idx);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	rc = write_atomic(l->dfd, "index.json", s, strlen(s), err);
	free(s);
	return rc;
}
