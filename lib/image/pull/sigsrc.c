/* Signature sources for the pull pipeline: the sig_callbacks that read
 * cosign signature images from the registry the image came from (or a
 * repository next to it) and key URIs through the caller. */
#include "sigsrc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"

static int registry_for(struct img_sigsrc *s, const char *repo, img_registry **ret, bool *owned,
                        cc_error **err)
{
	*owned = false;
	if (s->reg && s->ref && strcmp(repo, img_ref_name(s->ref)) == 0) {
		*ret = s->reg;
		return 0;
	}
	img_ref *r = NULL;
	int rc = img_ref_parse(repo, &r, err);
	if (rc < 0)
		return rc;
	rc = img_registry_new(r, s->opts, ret, err);
	img_ref_free(r);
	if (rc == 0)
		*owned = true;
	return rc;
}

static int get_manifest(void *ctx, const char *repo, const char *object, size_t max, void **ret,
                        size_t *ret_len, char **ret_media_type, cc_error **err)
{
	struct img_sigsrc *s = ctx;
	img_registry *reg = NULL;
	bool owned = false;
	int rc = registry_for(s, repo, &reg, &owned, err);
	if (rc < 0)
		return rc;
	img_fetched f = {0};
	rc = img_registry_get_manifest(reg, object, &f, err);
	if (owned)
		img_registry_free(reg);
	if (rc < 0)
		return rc;
	if (f.len > max) {
		img_fetched_clear(&f);
		return cc_error_set(err, -E2BIG, "%s: manifest %s larger than %zu bytes", repo, object, max);
	}
	*ret = f.body;
	*ret_len = f.len;
	*ret_media_type = f.content_type;
	f.body = NULL;
	f.content_type = NULL;
	img_fetched_clear(&f);
	return 0;
}

static int get_blob(void *ctx, const char *repo, const img_digest *d, int64_t size, size_t max,
                    void **ret, size_t *ret_len, cc_error **err)
{
	struct img_sigsrc *s = ctx;
	img_registry *reg = NULL;
	bool owned = false;
	int rc = registry_for(s, repo, &reg, &owned, err);
	if (rc < 0)
		return rc;
	char *body = NULL;
	rc = img_registry_get_blob_mem(reg, d, size, max, &body, ret_len, err);
	if (owned)
		img_registry_free(reg);
	if (rc == 0)
		*ret = body;
	return rc;
}

static int get_resource(void *ctx, const char *uri, size_t max, void **ret, size_t *ret_len,
                        cc_error **err)
{
	struct img_sigsrc *s = ctx;
	if (s->get_resource == NULL)
		return cc_error_set(err, -ENOTSUP, "key '%s': no resource provider here (only files)", uri);
	return s->get_resource(s->resource_ctx, uri, max, ret, ret_len, err);
}

void img_sigsrc_callbacks(struct img_sigsrc *s, struct sig_callbacks *cb)
{
	memset(cb, 0, sizeof(*cb));
	cb->get_resource = get_resource;
	if (s->reg) {
		cb->get_manifest = get_manifest;
		cb->get_blob = get_blob;
	}
}
