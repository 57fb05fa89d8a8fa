/* `cocoon image copy` (image_cli.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "image_cli.h"
#include "store.h"

void image_copy_args_init(struct image_copy_args *a)
{
	memset(a, 0, sizeof(*a));
	a->src_tls_verify = true;
	a->dst_tls_verify = true;
	image_common_args_init(&a->c);
}

/* Progress of the layers: a line when one is done; a status line with
 * the totals on a terminal. */
struct copy_progress {
	struct image_progress *out;
	size_t count;
	uint64_t *done, *total;
	bool *finished;
};

static void short_digest(const img_digest *d, char out[20])
{
	char hex[129];
	snprintf(out, 20, "%.12s", img_digest_hex(d, hex));
}

static void on_layer(void *ctx, const img_descriptor *layer, size_t index, size_t count,
                     uint64_t done, uint64_t total)
{
	struct copy_progress *p = ctx;
	if (index >= p->count)
		return;
	p->done[index] = done;
	p->total[index] = total;
	if (done == total && !p->finished[index]) {
		char sd[20];
		short_digest(&layer->digest, sd);
		p->finished[index] = true;
		char sz[24];
		image_progress_line(p->out, "Copying blob %s done (%s)", sd, image_size(total, sz));
	}
	uint64_t sd = 0, st = 0;
	size_t nfin = 0;
	for (size_t i = 0; i < p->count; i++) {
		sd += p->done[i];
		st += p->total[i];
		nfin += p->finished[i];
	}
	image_progress_status(p->out, "  %zu/%zu layers, %.1f/%.1f MiB", nfin, count, (double)sd / 1048576.0,
	                      (double)st / 1048576.0);
}

static int open_store(const struct image_copy_args *a, const char *what, const char *spec,
                      bool tls_verify, const char *creds, const char *cert_dir, bool create,
                      img_store **ret, cc_error **err)
{
	const char *authfile = a->c.authfile;
	img_location loc;
	int rc = img_location_parse(spec, &loc, err);
	if (rc < 0)
		return cc_error_wrap(err, "%s", what);
	struct img_store_opts o = {.create = create};
	img_registry_opts_init(&o.registry);
	o.registry.tls_verify = tls_verify;
	o.registry.cert_dir = cert_dir;
	o.registry.auth_file = authfile;
	if (a->c.idle_timeout > 0)
		o.registry.low_speed_time = a->c.idle_timeout;
	if (a->c.retries >= 0)
		o.registry.retries = (unsigned)a->c.retries;
	img_creds c = {0};
	if (creds) {
		if ((rc = img_creds_parse(creds, &c, err)) < 0) {
			img_location_clear(&loc);
			return cc_error_wrap(err, "%s", what);
		}
		o.registry.creds = &c;
	}
	rc = img_store_open(&loc, &o, ret, err);
	img_creds_clear(&c);
	img_location_clear(&loc);
	return rc < 0 ? cc_error_wrap(err, "%s", what) : 0;
}

int image_copy(const struct image_copy_args *a, cc_error **err)
{
	img_store *src = NULL, *dst = NULL;
	struct image_crypt *crypt = NULL;
	int rc = 0;
	if (a->nenc || a->c.ndec)
		rc = image_crypt_new(a->enc_keys, a->nenc, a->c.dec_keys, a->c.ndec, &crypt, err);
	if (rc == 0)
		rc = open_store(a, "source", a->src, a->src_tls_verify, a->src_creds, a->src_cert_dir,
	                    false, &src, err);
	if (rc == 0)
		rc = open_store(a, "destination", a->dst, a->dst_tls_verify, a->dst_creds, a->dst_cert_dir,
		                true, &dst, err);
	struct image_progress *out = image_progress_new(a->c.quiet);
	struct copy_progress cp = {.out = out, .count = 256};
	cp.done = calloc(cp.count, sizeof(*cp.done));
	cp.total = calloc(cp.count, sizeof(*cp.total));
	cp.finished = calloc(cp.count, sizeof(*cp.finished));
	if (rc == 0 && (out == NULL || !cp.done || !cp.total || !cp.finished))
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	if (rc == 0) {
		image_progress_line(out, "Getting image source signatures");
		struct img_copy_opts o = {.jobs = (unsigned)a->c.jobs, .progress = on_layer, .progress_ctx = &cp,
		                          .os = a->c.os, .arch = a->c.arch, .variant = a->c.variant};
		/* OCI layouts and encrypted layers need an OCI manifest (skopeo
		 * converts likewise). */
		o.to_oci = a->nenc > 0 || strncmp(a->dst, "oci:", 4) == 0;
		if (crypt)
			o.xform = image_crypt_xform(crypt);
		img_digest d;
		rc = img_copy(src, dst, &o, &d, err);
		if (rc == 0) {
			char dg[IMG_DIGEST_STR_MAX];
			image_progress_line(out, "Writing manifest to image destination");
			image_progress_line(out, "Copied %s to %s (manifest %s)", img_store_name(src),
			                    img_store_name(dst), img_digest_format(&d, dg));
		}
	}
	image_progress_free(out);
	free(cp.done);
	free(cp.total);
	free(cp.finished);
	img_store_free(src);
	img_store_free(dst);
	image_crypt_free(crypt);
	return rc;
}
