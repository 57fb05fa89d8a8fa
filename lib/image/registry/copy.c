/* Image copy (copy.h). */
#include "copy.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"

int img_resolve_manifest(img_store *src, const char *os, const char *arch, const char *variant,
                         img_fetched *ret_bytes, img_manifest **ret, img_digest *ret_list,
                         bool *ret_has_list, cc_error **err)
{
	img_fetched top = {0};
	int rc = img_store_get_manifest(src, NULL, &top, err);
	if (rc < 0)
		return cc_error_wrap(err, "%s", img_store_name(src));
	img_manifest *m = NULL;
	if ((rc = img_manifest_parse(top.body, top.len, top.content_type, &m, err)) < 0) {
		img_fetched_clear(&top);
		return cc_error_wrap(err, "%s", img_store_name(src));
	}
	if (ret_has_list)
		*ret_has_list = false;
	if (m->kind == IMG_MANIFEST_INDEX) {
		const char *hos, *harch, *hvar;
		img_host_platform(&hos, &harch, &hvar);
		const img_descriptor *d = NULL;
		rc = img_index_select(m, os ? os : hos, arch ? arch : harch, os || arch ? variant : hvar, &d, err);
		img_fetched child = {0};
		if (rc == 0)
			rc = img_store_get_manifest(src, &d->digest, &child, err);
		img_manifest *cm = NULL;
		if (rc == 0)
			rc = img_manifest_parse(child.body, child.len, child.content_type ? child.content_type : d->media_type, &cm, err);
		if (rc == 0 && cm->kind != IMG_MANIFEST_IMAGE)
			rc = cc_error_set(err, -EINVAL, "the index entry for the platform is another index (nested indexes are not followed)");
		if (rc < 0) {
			img_manifest_free(cm);
			img_fetched_clear(&child);
			img_manifest_free(m);
			img_fetched_clear(&top);
			return cc_error_wrap(err, "%s", img_store_name(src));
		}
		if (ret_list)
			*ret_list = top.digest;
		if (ret_has_list)
			*ret_has_list = true;
		img_manifest_free(m);
		img_fetched_clear(&top);
		m = cm;
		top = child;
	}
	*ret = m;
	*ret_bytes = top;
	return 0;
}

/* ---- parallel layer copy ------------------------------------------------------ */

struct copy_job {
	img_store *src, *dst;
	const struct img_copy_opts *o;
	const img_manifest *m;
	img_descriptor *out;       /* per layer: the new descriptor (media_type NULL: unchanged) */
	pthread_mutex_t mu;
	size_t next;
	int rc;
	cc_error *err;
};

struct progress_ctx {
	struct copy_job *j;
	size_t index;
};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress_ctx *p = ctx;
	struct copy_job *j = p->j;
	if (j->o->progress == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->o->progress(j->o->progress_ctx, &j->m->layers[p->index], p->index, j->m->nlayers, done, total);
	pthread_mutex_unlock(&j->mu);
}

/* An anonymous temporary file in dir. */
static int temp_fd(const char *dir, cc_error **err)
{
	int fd = open(dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
		char *path = NULL;
		if (asprintf(&path, "%s/.cocoon-tmp-XXXXXX", dir) < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
		free(path);
	}
	if (fd < 0)
		return cc_error_set(err, -errno, "temporary file in %s: %s", dir, strerror(errno));
	return fd;
}

/* Runs the rewrite of layer i on a reader of its source blob: straight
 * from an OCI layout source, else from a verified download in a temporary
 * file. Returns as the rewrite does; *ret_out gets the new blob's fd. */
static int rewrite_one(struct copy_job *j, size_t i, struct progress_ctx *pc, int *ret_out,
                       cc_error **err)
{
	const img_descriptor *in = &j->m->layers[i];
	img_reader *r = NULL;
	int rc = img_store_blob_reader(j->src, &in->digest, in->size, &r, err);
	if (rc == -ENOTSUP) {
		_cleanup_close_ int fd = temp_fd(img_store_tmpdir(j->dst), err);
		if (fd < 0)
			return fd;
		if ((rc = img_store_get_blob_fd(j->src, &in->digest, in->size, fd, on_progress, pc, err)) < 0)
			return rc;
		if (lseek(fd, 0, SEEK_SET) < 0)
			return cc_error_set(err, -errno, "lseek: %s", strerror(errno));
		r = img_reader_fd(TAKE_FD(fd), true);
		rc = r ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (rc < 0)
		return rc;
	int out = temp_fd(img_store_tmpdir(j->dst), err);
	if (out < 0) {
		img_reader_free(r);
		return out;
	}
	rc = j->o->xform->fn(j->o->xform->ctx, i, in, r, out, &j->out[i], err);
	img_reader_free(r);
	if (rc != 0) {
		close(out);
		return rc;
	}
	on_progress(pc, (uint64_t)in->size, (uint64_t)in->size);
	*ret_out = out;
	return 0;
}

static int copy_one(struct copy_job *j, size_t i, cc_error **err)
{
	const img_descriptor *in = &j->m->layers[i];
	struct progress_ctx pc = {j, i};
	bool have = false;
	int rc;
	const img_descriptor *put = in;
	_cleanup_close_ int fd = -1;
	if (j->o->xform) {
		if ((rc = rewrite_one(j, i, &pc, &fd, err)) < 0)
			return rc;
		if (rc == 0)
			put = &j->out[i];
	}
	if ((rc = img_store_has_blob(j->dst, &put->digest, &have, err)) < 0)
		return rc;
	if (have) {
		on_progress(&pc, (uint64_t)in->size, (uint64_t)in->size);
		return 0;
	}
	if (fd < 0) {
		/* the layer as it is */
		if ((fd = temp_fd(img_store_tmpdir(j->dst), err)) < 0)
			return fd;
		if ((rc = img_store_get_blob_fd(j->src, &in->digest, in->size, fd, on_progress, &pc, err)) < 0)
			return rc;
	}
	return img_store_put_blob_fd(j->dst, &put->digest, put->size, fd, err);
}

static void *worker(void *arg)
{
	struct copy_job *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->mu);
		size_t i = j->next++;
		bool stop = j->rc < 0 || i >= j->m->nlayers;
		pthread_mutex_unlock(&j->mu);
		if (stop)
			return NULL;
		cc_error *e = NULL;
		int rc = copy_one(j, i, &e);
		if (rc < 0) {
			char dg[IMG_DIGEST_STR_MAX];
			cc_error_wrap(&e, "layer %zu (%s)", i + 1, img_digest_format(&j->m->layers[i].digest, dg));
			pthread_mutex_lock(&j->mu);
			if (j->rc == 0) {
				j->rc = rc;
				j->err = e;
				e = NULL;
			}
			pthread_mutex_unlock(&j->mu);
			cc_error_free(e);
			return NULL;
		}
	}
}

static int copy_layers(struct copy_job *j, cc_error **err)
{
	unsigned n = j->o->jobs ? j->o->jobs : 3;
	if (n > 16)
		n = 16;
	if (n > j->m->nlayers)
		n = (unsigned)j->m->nlayers;
	pthread_t th[16];
	unsigned started = 0;
	for (; started < n; started++)
		if (pthread_create(&th[started], NULL, worker, j) != 0)
			break;
	if (started == 0 && n > 0)
		worker(j);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (j->rc < 0) {
		cc_error_move(err, &j->err);
		return j->rc;
	}
	return 0;
}

int img_copy(img_store *src, img_store *dst, const struct img_copy_opts *o, img_digest *ret_digest,
             cc_error **err)
{
	struct img_copy_opts defaults = {0};
	if (o == NULL)
		o = &defaults;
	img_fetched mbytes = {0};
	img_manifest *m = NULL;
	int rc = img_resolve_manifest(src, o->os, o->arch, o->variant, &mbytes, &m, NULL, NULL, err);
	if (rc < 0)
		return rc;
	struct copy_job j = {.src = src, .dst = dst, .o = o, .m = m};
	pthread_mutex_init(&j.mu, NULL);
	j.out = calloc(m->nlayers ? m->nlayers : 1, sizeof(*j.out));
	char *cfg = NULL, *body = NULL;
	size_t cfg_len = 0;
	if (j.out == NULL) {
		rc = cc_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* config first: it is small and a bad one should stop the copy early */
	img_digest stored;
	if ((rc = img_store_get_blob_mem(src, &m->config.digest, m->config.size, CC_IMG_MAX_CONFIG_BYTES,
	                                 &cfg, &cfg_len, err)) < 0 ||
	    (rc = img_store_put_blob_mem(dst, cfg, cfg_len, &stored, err)) < 0) {
		cc_error_wrap(err, "image config");
		goto out;
	}
	if ((rc = copy_layers(&j, err)) < 0)
		goto out;
	bool changed = false;
	if (o->to_oci && strcmp(m->media_type, IMG_MT_OCI_MANIFEST) != 0) {
		if ((rc = img_manifest_to_oci(m, err)) < 0)
			goto out;
		changed = true;
	}
	for (size_t i = 0; i < m->nlayers; i++) {
		if (j.out[i].media_type == NULL)
			continue;
		changed = true;
		if ((rc = img_manifest_set_layer(m, i, &j.out[i], err)) < 0)
			goto out;
	}
	const char *mb = mbytes.body;
	size_t ml = mbytes.len;
	if (changed) {
		body = img_manifest_dump(m, &ml);
		if (body == NULL) {
			rc = cc_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		mb = body;
	}
	rc = img_store_put_manifest(dst, mb, ml, m->media_type, ret_digest, err);
	if (rc < 0)
		cc_error_wrap(err, "%s", img_store_name(dst));
out:
	for (size_t i = 0; j.out && i < m->nlayers; i++)
		img_descriptor_clear(&j.out[i]);
	free(j.out);
	free(cfg);
	free(body);
	pthread_mutex_destroy(&j.mu);
	img_manifest_free(m);
	img_fetched_clear(&mbytes);
	return rc;
}
