/* Image sources and destinations (store.h). */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "layout.h"

struct img_store {
	enum img_transport transport;
	char *name;
	img_ref *ref;          /* docker */
	img_registry *reg;     /* docker */
	img_layout *layout;    /* oci */
	char *oci_name;        /* oci: ref.name or NULL */
	char *tmpdir;
};

const char *img_store_name(const img_store *s) { return s->name; }
img_registry *img_store_registry(img_store *s) { return s->reg; }
const img_ref *img_store_ref(const img_store *s) { return s->ref; }
const char *img_store_tmpdir(const img_store *s) { return s->tmpdir; }

void img_store_free(img_store *s)
{
	if (s == NULL)
		return;
	free(s->name);
	img_ref_free(s->ref);
	img_registry_free(s->reg);
	img_layout_free(s->layout);
	free(s->oci_name);
	free(s->tmpdir);
	free(s);
}

int img_store_open(const img_location *loc, const struct img_store_opts *o, img_store **ret,
                   cc_error **err)
{
	img_store *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	s->transport = loc->transport;
	int rc;
	if (loc->transport == IMG_TRANSPORT_DOCKER) {
		s->ref = img_ref_with(loc->ref, img_ref_tag(loc->ref), img_ref_digest(loc->ref));
		const char *t = getenv("TMPDIR");
		s->tmpdir = strdup(t && *t ? t : "/var/tmp");
		if (s->ref == NULL || s->tmpdir == NULL || asprintf(&s->name, "docker://%s", img_ref_string(loc->ref)) < 0) {
			s->name = NULL;
			rc = cc_error_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		if ((rc = img_registry_new(s->ref, &o->registry, &s->reg, err)) < 0)
			goto fail;
	} else {
		if ((rc = img_layout_open(loc->dir, o->create, &s->layout, err)) < 0)
			goto fail;
		s->oci_name = loc->name ? strdup(loc->name) : NULL;
		if (asprintf(&s->tmpdir, "%s/blobs", loc->dir) < 0 ||
		    asprintf(&s->name, "oci:%s%s%s", loc->dir, loc->name ? ":" : "", loc->name ? loc->name : "") < 0) {
			rc = cc_error_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	*ret = s;
	return 0;
fail:
	img_store_free(s);
	return rc;
}

int img_store_get_manifest(img_store *s, const img_digest *d, img_fetched *ret, cc_error **err)
{
	char dg[IMG_DIGEST_STR_MAX];
	if (s->reg)
		return img_registry_get_manifest(s->reg, d ? img_digest_format(d, dg) : img_ref_object(s->ref), ret, err);
	img_descriptor desc = {0};
	img_digest want;
	if (d) {
		want = *d;
	} else {
		int rc = img_layout_resolve(s->layout, s->oci_name, &desc, err);
		if (rc < 0)
			return rc;
		want = desc.digest;
	}
	img_fetched f = {0};
	int rc = img_layout_read_blob(s->layout, &want, CC_IMG_MAX_MANIFEST_BYTES, &f.body, &f.len, err);
	if (rc == 0) {
		f.digest = want;
		if (desc.media_type && (f.content_type = strdup(desc.media_type)) == NULL)
			rc = cc_error_set(err, -ENOMEM, "out of memory");
	}
	img_descriptor_clear(&desc);
	if (rc < 0) {
		img_fetched_clear(&f);
		return rc;
	}
	*ret = f;
	return 0;
}

int img_store_get_blob_mem(img_store *s, const img_digest *d, int64_t size, size_t max,
                           char **ret_body, size_t *ret_len, cc_error **err)
{
	if (s->reg)
		return img_registry_get_blob_mem(s->reg, d, size, max, ret_body, ret_len, err);
	char *body = NULL;
	size_t len = 0;
	int rc = img_layout_read_blob(s->layout, d, max, &body, &len, err);
	if (rc == 0 && size >= 0 && len != (size_t)size) {
		free(body);
		return cc_error_set(err, -EBADMSG, "%s: blob is %zu bytes, its descriptor gives %lld", s->name,
		                    len, (long long)size);
	}
	if (rc == 0) {
		*ret_body = body;
		*ret_len = len;
	}
	return rc;
}

int img_store_get_blob_fd(img_store *s, const img_digest *d, int64_t size, int fd,
                          img_progress_fn progress, void *ctx, cc_error **err)
{
	if (s->reg)
		return img_registry_get_blob(s->reg, d, size, fd, progress, ctx, err);
	int in = -1;
	int rc = img_layout_open_blob(s->layout, d, &in, err);
	if (rc < 0)
		return rc;
	char dg[IMG_DIGEST_STR_MAX];
	char what[IMG_DIGEST_STR_MAX + 8];
	snprintf(what, sizeof(what), "blob %s", img_digest_format(d, dg));
	img_reader *r = img_digest_reader(img_reader_fd(in, true), d, size, what);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	rc = img_reader_to_fd(r, fd, (uint64_t)size, progress, ctx, NULL, err);
	img_reader_free(r);
	return rc < 0 ? cc_error_wrap(err, "%s", s->name) : 0;
}

int img_store_blob_reader(img_store *s, const img_digest *d, int64_t size, img_reader **ret,
                          cc_error **err)
{
	if (s->reg)
		return -ENOTSUP;
	int in = -1;
	int rc = img_layout_open_blob(s->layout, d, &in, err);
	if (rc < 0)
		return cc_error_wrap(err, "%s", s->name);
	char dg[IMG_DIGEST_STR_MAX];
	char what[IMG_DIGEST_STR_MAX + 40];
	snprintf(what, sizeof(what), "%s: blob %s", s->name, img_digest_format(d, dg));
	img_reader *r = img_digest_reader_offload(img_reader_fd(in, true), d, size, what);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = r;
	return 0;
}

int img_store_has_blob(img_store *s, const img_digest *d, bool *ret, cc_error **err)
{
	if (s->reg)
		return img_registry_blob_exists(s->reg, d, ret, err);
	*ret = img_layout_has_blob(s->layout, d);
	return 0;
}

int img_store_put_blob_fd(img_store *s, const img_digest *d, int64_t size, int fd, cc_error **err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return cc_error_set(err, -errno, "blob file: %s", strerror(errno));
	if (s->reg)
		return img_registry_put_blob(s->reg, d, size, fd, err);
	if (img_layout_has_blob(s->layout, d))
		return 0;
	int rc = img_layout_adopt_blob(s->layout, fd, d, err);
	if (rc != -EXDEV)
		return rc;
	/* copy into a temporary blob of the layout, then rename */
	int out = -1;
	_cleanup_free_ char *path = NULL;
	rc = img_layout_temp_blob(s->layout, &out, &path, err);
	if (rc < 0)
		return rc;
	img_reader *r = img_reader_limit(img_reader_fd(fd, false), (uint64_t)size, true, "blob");
	rc = r ? img_reader_to_fd(r, out, (uint64_t)size, NULL, NULL, NULL, err) : cc_error_set(err, -ENOMEM, "out of memory");
	img_reader_free(r);
	if (rc == 0)
		rc = img_layout_commit_blob(s->layout, path, out, d, err);
	if (rc < 0)
		unlink(path);
	close(out);
	return rc;
}

int img_store_put_blob_mem(img_store *s, const void *p, size_t n, img_digest *ret, cc_error **err)
{
	if (s->layout)
		return img_layout_put_blob(s->layout, p, n, ret, err);
	img_digest d;
	int rc = img_digest_bytes(IMG_DIGEST_SHA256, p, n, &d, err);
	if (rc < 0)
		return rc;
	bool have = false;
	if ((rc = img_registry_blob_exists(s->reg, &d, &have, err)) < 0)
		return rc;
	if (!have) {
		/* the upload streams from a file descriptor: use a memfd */
		_cleanup_close_ int fd = memfd_create("cocoon-blob", MFD_CLOEXEC);
		if (fd < 0)
			return cc_error_set(err, -errno, "memfd_create: %s", strerror(errno));
		if (write(fd, p, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) < 0)
			return cc_error_set(err, -EIO, "memfd write failed");
		if ((rc = img_registry_put_blob(s->reg, &d, (int64_t)n, fd, err)) < 0)
			return rc;
	}
	*ret = d;
	return 0;
}

int img_store_put_manifest(img_store *s, const void *body, size_t len, const char *media_type,
                           img_digest *ret, cc_error **err)
{
	img_digest d;
	int rc = img_digest_bytes(IMG_DIGEST_SHA256, body, len, &d, err);
	if (rc < 0)
		return rc;
	if (s->reg) {
		const char *tag = img_ref_tag(s->ref);
		char dg[IMG_DIGEST_STR_MAX];
		rc = img_registry_put_manifest(s->reg, tag ? tag : img_digest_format(&d, dg), body, len,
		                               media_type, err);
	} else {
		img_digest stored;
		rc = img_layout_put_blob(s->layout, body, len, &stored, err);
		if (rc == 0) {
			img_descriptor desc = {.media_type = (char *)media_type, .digest = d, .size = (int64_t)len};
			rc = img_layout_set_ref(s->layout, s->oci_name, &desc, err);
		}
	}
	if (rc == 0 && ret)
		*ret = d;
	return rc;
}
