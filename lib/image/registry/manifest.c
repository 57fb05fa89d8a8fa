/* Manifests, indexes and configs (manifest.h). */
#include "manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cocoon/limits.h"

bool img_is_manifest_media_type(const char *mt)
{
	return mt && (strcmp(mt, IMG_MT_OCI_MANIFEST) == 0 || strcmp(mt, IMG_MT_OCI_INDEX) == 0 ||
	              strcmp(mt, IMG_MT_DOCKER_MANIFEST) == 0 || strcmp(mt, IMG_MT_DOCKER_LIST) == 0);
}

/* The constant for a known manifest type, else NULL. n bytes at mt. */
static const char *known_type(const char *mt, size_t n)
{
	static const char *const types[] = {IMG_MT_OCI_MANIFEST, IMG_MT_OCI_INDEX,
	                                    IMG_MT_DOCKER_MANIFEST, IMG_MT_DOCKER_LIST,
	                                    IMG_MT_DOCKER_V1, IMG_MT_DOCKER_V1_SIGNED};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == n && memcmp(types[i], mt, n) == 0)
			return types[i];
	return NULL;
}

/* RFC 6838 media type: type/subtype of restricted-name characters. */
static bool valid_media_type(const char *s)
{
	size_t n = strlen(s), slash = 0;
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '/') {
			if (slash || i == 0 || i + 1 == n)
				return false;
			slash = i;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          strchr("!#$&-^_.+", c) != NULL;
		if (!ok)
			return false;
	}
	return slash != 0;
}

void img_descriptor_clear(img_descriptor *d)
{
	free(d->media_type);
	json_decref(d->annotations);
	free(d->platform.os);
	free(d->platform.architecture);
	free(d->platform.variant);
	memset(d, 0, sizeof(*d));
}

static int dup_field(const json_t *obj, const char *key, const char *what, bool required,
                     char **out, cc_error **err)
{
	const json_t *v = json_object_get(obj, key);
	if (v == NULL) {
		if (required)
			return cc_error_set(err, -EINVAL, "%s: missing \"%s\"", what, key);
		return 0;
	}
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "%s: \"%s\" is not a string", what, key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return cc_error_set(err, -EINVAL, "%s: \"%s\" holds a NUL byte", what, key);
	*out = strdup(json_string_value(v));
	return *out ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
}

static int check_annotations(const json_t *a, const char *what, cc_error **err)
{
	if (!json_is_object(a))
		return cc_error_set(err, -EINVAL, "%s: \"annotations\" is not an object", what);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)a, k, v)
		if (!json_is_string(v))
			return cc_error_set(err, -EINVAL, "%s: annotation \"%.100s\" is not a string", what, k);
	return 0;
}

int img_descriptor_parse(const json_t *j, const char *what, img_descriptor *ret, cc_error **err)
{
	img_descriptor d = {0};
	int rc;
	if (!json_is_object(j))
		return cc_error_set(err, -EINVAL, "%s: not an object", what);
	if ((rc = dup_field(j, "mediaType", what, true, &d.media_type, err)) < 0)
		goto fail;
	if (!valid_media_type(d.media_type)) {
		rc = cc_error_set(err, -EINVAL, "%s: invalid mediaType \"%.100s\"", what, d.media_type);
		goto fail;
	}
	const json_t *dg = json_object_get(j, "digest");
	if (!json_is_string(dg)) {
		rc = cc_error_set(err, -EINVAL, "%s: missing or non-string \"digest\"", what);
		goto fail;
	}
	if ((rc = img_digest_parse(json_string_value(dg), json_string_length(dg), &d.digest, err)) < 0) {
		cc_error_wrap(err, "%s", what);
		goto fail;
	}
	const json_t *sz = json_object_get(j, "size");
	if (!json_is_integer(sz) || json_integer_value(sz) < 0) {
		rc = cc_error_set(err, -EINVAL, "%s: \"size\" must be a non-negative integer", what);
		goto fail;
	}
	d.size = json_integer_value(sz);
	const json_t *an = json_object_get(j, "annotations");
	if (an) {
		if ((rc = check_annotations(an, what, err)) < 0)
			goto fail;
		d.annotations = json_incref((json_t *)an);
	}
	const json_t *pf = json_object_get(j, "platform");
	if (pf) {
		if (!json_is_object(pf)) {
			rc = cc_error_set(err, -EINVAL, "%s: \"platform\" is not an object", what);
			goto fail;
		}
		if ((rc = dup_field(pf, "os", what, true, &d.platform.os, err)) < 0 ||
		    (rc = dup_field(pf, "architecture", what, true, &d.platform.architecture, err)) < 0 ||
		    (rc = dup_field(pf, "variant", what, false, &d.platform.variant, err)) < 0)
			goto fail;
	}
	*ret = d;
	return 0;
fail:
	img_descriptor_clear(&d);
	return rc;
}

json_t *img_descriptor_json(const img_descriptor *d)
{
	char dg[IMG_DIGEST_STR_MAX];
	json_t *o = json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest",
	                      img_digest_format(&d->digest, dg), "size", (json_int_t)d->size);
	if (o && d->annotations && json_object_size(d->annotations) > 0 &&
	    json_object_set(o, "annotations", d->annotations) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void img_manifest_free(img_manifest *m)
{
	if (m == NULL)
		return;
	img_descriptor_clear(&m->config);
	for (size_t i = 0; i < m->nlayers; i++)
		img_descriptor_clear(&m->layers[i]);
	for (size_t i = 0; i < m->nmanifests; i++)
		img_descriptor_clear(&m->manifests[i]);
	free(m->layers);
	free(m->manifests);
	json_decref(m->annotations);
	json_decref(m->root);
	free(m);
}

/* Parses the array root[key] of descriptors into *out. */
static int parse_list(json_t *root, const char *key, size_t max, img_descriptor **out, size_t *n,
                      cc_error **err)
{
	json_t *a = json_object_get(root, key);
	if (!json_is_array(a))
		return cc_error_set(err, -EINVAL, "manifest: \"%s\" is missing or not an array", key);
	size_t len = json_array_size(a);
	if (len > max)
		return cc_error_set(err, -E2BIG, "manifest: %zu %s, more than the %zu allowed", len, key, max);
	*out = calloc(len ? len : 1, sizeof(**out));
	if (*out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		char what[64];
		snprintf(what, sizeof(what), "manifest %s[%zu]", key, i);
		int rc = img_descriptor_parse(json_array_get(a, i), what, &(*out)[i], err);
		if (rc < 0)
			return rc;
		(*n)++;
	}
	return 0;
}

/* Decides the document's media type: header, field, or shape. */
static int decide_type(json_t *root, const char *content_type, const char **ret, cc_error **err)
{
	const char *hdr = NULL, *field = NULL;
	if (content_type) {
		size_t n = strcspn(content_type, ";");
		while (n > 0 && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
			n--;
		hdr = known_type(content_type, n);
	}
	json_t *mt = json_object_get(root, "mediaType");
	if (mt) {
		if (!json_is_string(mt))
			return cc_error_set(err, -EINVAL, "manifest: \"mediaType\" is not a string");
		field = known_type(json_string_value(mt), json_string_length(mt));
		if (field == NULL)
			return cc_error_set(err, -EINVAL, "manifest: unsupported mediaType \"%.100s\"",
			                    json_string_value(mt));
	}
	if (hdr && field && strcmp(hdr, field) != 0)
		return cc_error_set(err, -EINVAL,
		                    "manifest: the registry sent it as %s but its mediaType is %s", hdr, field);
	const char *t = field ? field : hdr;
	bool has_layers = json_object_get(root, "layers") != NULL;
	bool has_manifests = json_object_get(root, "manifests") != NULL;
	if (t == NULL) {
		/* OCI documents may omit mediaType: decide from the shape. */
		if (has_manifests && !has_layers)
			t = IMG_MT_OCI_INDEX;
		else if (has_layers && !has_manifests && json_object_get(root, "config"))
			t = IMG_MT_OCI_MANIFEST;
		else
			return cc_error_set(err, -EINVAL, "manifest: neither an image manifest nor an index");
	}
	if (strcmp(t, IMG_MT_DOCKER_V1) == 0 || strcmp(t, IMG_MT_DOCKER_V1_SIGNED) == 0)
		return cc_error_set(err, -ENOTSUP,
		                    "manifest: Docker schema 1 manifests are not supported (deprecated, unsigned content)");
	bool index = strcmp(t, IMG_MT_OCI_INDEX) == 0 || strcmp(t, IMG_MT_DOCKER_LIST) == 0;
	if (index ? has_layers || json_object_get(root, "config") : has_manifests)
		return cc_error_set(err, -EINVAL, "manifest: a %s must not have \"%s\"", t,
		                    index ? (has_layers ? "layers" : "config") : "manifests");
	*ret = t;
	return 0;
}

static json_t *load_object(const void *body, size_t n, const char *what, cc_error **err)
{
	json_error_t je;
	json_t *root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		cc_error_set(err, -EINVAL, "%s: invalid JSON at line %d column %d: %s", what, je.line,
		             je.column, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		cc_error_set(err, -EINVAL, "%s: not a JSON object", what);
		return NULL;
	}
	return root;
}

int img_manifest_parse(const void *body, size_t n, const char *content_type, img_manifest **ret,
                       cc_error **err)
{
	if (n > CC_IMG_MAX_MANIFEST_BYTES)
		return cc_error_set(err, -E2BIG, "manifest: %zu bytes, more than %u", n,
		                    CC_IMG_MAX_MANIFEST_BYTES);
	json_t *root = load_object(body, n, "manifest", err);
	if (root == NULL)
		return -EINVAL;
	img_manifest *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		json_decref(root);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	m->root = root;
	int rc;
	json_t *sv = json_object_get(root, "schemaVersion");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
		rc = cc_error_set(err, json_is_integer(sv) && json_integer_value(sv) == 1 ? -ENOTSUP : -EINVAL,
		                  "manifest: schemaVersion must be 2");
		goto fail;
	}
	if ((rc = decide_type(root, content_type, &m->media_type, err)) < 0)
		goto fail;
	json_t *an = json_object_get(root, "annotations");
	if (an) {
		if ((rc = check_annotations(an, "manifest", err)) < 0)
			goto fail;
		m->annotations = json_incref(an);
	}
	if (strcmp(m->media_type, IMG_MT_OCI_INDEX) == 0 || strcmp(m->media_type, IMG_MT_DOCKER_LIST) == 0) {
		m->kind = IMG_MANIFEST_INDEX;
		rc = parse_list(root, "manifests", CC_IMG_MAX_INDEX_ENTRIES, &m->manifests, &m->nmanifests, err);
	} else {
		m->kind = IMG_MANIFEST_IMAGE;
		rc = img_descriptor_parse(json_object_get(root, "config"), "manifest config", &m->config, err);
		if (rc >= 0)
			rc = parse_list(root, "layers", CC_IMG_MAX_LAYERS, &m->layers, &m->nlayers, err);
	}
	if (rc < 0)
		goto fail;
	*ret = m;
	return 0;
fail:
	img_manifest_free(m);
	return rc;
}

static int set_desc(json_t *slot_parent, const char *key, size_t idx, img_descriptor *dst,
                    const img_descriptor *d, cc_error **err)
{
	img_descriptor c = {0};
	c.media_type = strdup(d->media_type);
	c.digest = d->digest;
	c.size = d->size;
	c.annotations = d->annotations ? json_deep_copy(d->annotations) : NULL;
	json_t *j = c.media_type ? img_descriptor_json(&c) : NULL;
	int bad = j == NULL || (d->annotations && c.annotations == NULL);
	if (!bad)
		bad = key ? json_object_set_new(slot_parent, key, j) : json_array_set_new(slot_parent, idx, j);
	else
		json_decref(j);
	if (bad) {
		img_descriptor_clear(&c);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	img_descriptor_clear(dst);
	*dst = c;
	return 0;
}

int img_manifest_set_layer(img_manifest *m, size_t i, const img_descriptor *d, cc_error **err)
{
	if (m->kind != IMG_MANIFEST_IMAGE || i >= m->nlayers)
		return cc_error_set(err, -EINVAL, "manifest: no layer %zu", i);
	return set_desc(json_object_get(m->root, "layers"), NULL, i, &m->layers[i], d, err);
}

int img_manifest_set_config(img_manifest *m, const img_descriptor *d, cc_error **err)
{
	if (m->kind != IMG_MANIFEST_IMAGE)
		return cc_error_set(err, -EINVAL, "manifest: an index has no config");
	return set_desc(m->root, "config", 0, &m->config, d, err);
}

const char *img_layer_type_oci(const char *mt)
{
	static const struct {
		const char *docker, *oci;
	} map[] = {
	    {"application/vnd.docker.image.rootfs.diff.tar.gzip",
	     "application/vnd.oci.image.layer.v1.tar+gzip"},
	    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	     "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
	    {"application/vnd.docker.image.rootfs.diff.tar", "application/vnd.oci.image.layer.v1.tar"},
	    {"application/vnd.docker.image.rootfs.foreign.diff.tar",
	     "application/vnd.oci.image.layer.nondistributable.v1.tar"},
	};
	static const char oci_prefix[] = "application/vnd.oci.image.layer.";
	if (mt == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(mt, map[i].docker) == 0)
			return map[i].oci;
	return strncmp(mt, oci_prefix, sizeof(oci_prefix) - 1) == 0 ? mt : NULL;
}

/* Sets "mediaType" of the descriptor object at j (other members kept). */
static int patch_media_type(json_t *j, img_descriptor *d, const char *mt, cc_error **err)
{
	char *c = strdup(mt);
	if (c == NULL || !json_is_object(j) || json_object_set_new(j, "mediaType", json_string(mt)) != 0) {
		free(c);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	free(d->media_type);
	d->media_type = c;
	return 0;
}

int img_manifest_to_oci(img_manifest *m, cc_error **err)
{
	if (m->kind != IMG_MANIFEST_IMAGE)
		return cc_error_set(err, -EINVAL, "manifest: only image manifests are converted to OCI");
	if (strcmp(m->media_type, IMG_MT_OCI_MANIFEST) == 0)
		return 0;
	if (strcmp(m->media_type, IMG_MT_DOCKER_MANIFEST) != 0)
		return cc_error_set(err, -ENOTSUP, "manifest: cannot convert %s to OCI", m->media_type);
	if (m->config.media_type == NULL || strcmp(m->config.media_type, IMG_MT_DOCKER_CONFIG) != 0)
		return cc_error_set(err, -ENOTSUP, "manifest: unknown config media type during the "
		                    "conversion to OCI");
	/* every type is checked before anything changes */
	for (size_t i = 0; i < m->nlayers; i++)
		if (img_layer_type_oci(m->layers[i].media_type) == NULL)
			return cc_error_set(err, -ENOTSUP, "manifest: layer %zu: unknown media type during "
			                    "the conversion to OCI", i + 1);
	json_t *layers = json_object_get(m->root, "layers");
	for (size_t i = 0; i < m->nlayers; i++) {
		const char *oci = img_layer_type_oci(m->layers[i].media_type);
		if (oci != m->layers[i].media_type &&
		    patch_media_type(json_array_get(layers, i), &m->layers[i], oci, err) < 0)
			return -ENOMEM;
	}
	if (patch_media_type(json_object_get(m->root, "config"), &m->config, IMG_MT_OCI_CONFIG, err) < 0)
		return -ENOMEM;
	if (json_object_set_new(m->root, "mediaType", json_string(IMG_MT_OCI_MANIFEST)) != 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	m->media_type = IMG_MT_OCI_MANIFEST;
	return 0;
}

char *img_manifest_dump(const img_manifest *m, size_t *ret_len)
{
	char *s = json_dumps(m->root, JSON_COMPACT);
	if (s && ret_len)
		*ret_len = strlen(s);
	return s;
}

/* ---- platforms ------------------------------------------------------------ */

void img_host_platform(const char **os, const char **arch, const char **variant)
{
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
	    {"x86_64", "amd64", NULL},     {"aarch64", "arm64", "v8"}, {"s390x", "s390x", NULL},
	    {"ppc64le", "ppc64le", NULL}, {"riscv64", "riscv64", NULL},
	};
	struct utsname u;
	*os = "linux";
	*arch = "amd64";
	*variant = NULL;
	if (uname(&u) != 0)
		return;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(u.machine, map[i].machine) == 0) {
			*arch = map[i].arch;
			*variant = map[i].variant;
		}
	}
}

int img_index_select(const img_manifest *idx, const char *os, const char *arch,
                     const char *variant, const img_descriptor **ret, cc_error **err)
{
	for (size_t i = 0; i < idx->nmanifests; i++) {
		const img_descriptor *d = &idx->manifests[i];
		if (!d->platform.os || strcmp(d->platform.os, os) != 0 ||
		    strcmp(d->platform.architecture, arch) != 0)
			continue;
		if (variant && d->platform.variant && strcmp(variant, d->platform.variant) != 0)
			continue;
		if (!img_is_manifest_media_type(d->media_type) ||
		    strcmp(d->media_type, IMG_MT_OCI_INDEX) == 0 || strcmp(d->media_type, IMG_MT_DOCKER_LIST) == 0)
			continue;
		*ret = d;
		return 0;
	}
	char have[512] = "";
	size_t off = 0;
	for (size_t i = 0; i < idx->nmanifests && off < sizeof(have) - 1; i++) {
		const img_platform *p = &idx->manifests[i].platform;
		int w = snprintf(have + off, sizeof(have) - off, "%s%s/%s%s%s", i ? ", " : "",
		                 p->os ? p->os : "?", p->architecture ? p->architecture : "?",
		                 p->variant ? "/" : "", p->variant ? p->variant : "");
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return cc_error_set(err, -ENOENT, "no image for platform %s/%s%s%s in the index (it has: %s)", os,
	                    arch, variant ? "/" : "", variant ? variant : "", off ? have : "nothing");
}

/* ---- configs -------------------------------------------------------------- */

void img_config_free(img_config *c)
{
	if (c == NULL)
		return;
	free(c->os);
	free(c->architecture);
	free(c->variant);
	free(c->diff_ids);
	json_decref(c->root);
	free(c);
}

static int parse_rootfs(json_t *root, img_config *c, cc_error **err)
{
	json_t *rf = json_object_get(root, "rootfs");
	if (!json_is_object(rf))
		return cc_error_set(err, -EINVAL, "image config: \"rootfs\" is missing or not an object");
	json_t *t = json_object_get(rf, "type");
	if (!json_is_string(t) || strcmp(json_string_value(t), "layers") != 0)
		return cc_error_set(err, -EINVAL, "image config: rootfs.type must be \"layers\"");
	json_t *ids = json_object_get(rf, "diff_ids");
	if (!json_is_array(ids))
		return cc_error_set(err, -EINVAL, "image config: rootfs.diff_ids is missing or not an array");
	size_t n = json_array_size(ids);
	if (n > CC_IMG_MAX_LAYERS)
		return cc_error_set(err, -E2BIG, "image config: %zu diff_ids, more than %u", n, CC_IMG_MAX_LAYERS);
	c->diff_ids = calloc(n ? n : 1, sizeof(*c->diff_ids));
	if (c->diff_ids == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(ids, i);
		if (!json_is_string(v))
			return cc_error_set(err, -EINVAL, "image config: diff_ids[%zu] is not a string", i);
		if (img_digest_parse(json_string_value(v), json_string_length(v), &c->diff_ids[i], err) < 0)
			return cc_error_wrap(err, "image config: diff_ids[%zu]", i);
	}
	c->ndiff_ids = n;
	return 0;
}

int img_config_parse(const void *body, size_t n, img_config **ret, cc_error **err)
{
	if (n > CC_IMG_MAX_CONFIG_BYTES)
		return cc_error_set(err, -E2BIG, "image config: %zu bytes, more than %u", n,
		                    CC_IMG_MAX_CONFIG_BYTES);
	json_t *root = load_object(body, n, "image config", err);
	if (root == NULL)
		return -EINVAL;
	img_config *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		json_decref(root);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	c->root = root;
	int rc;
	if ((rc = dup_field(root, "os", "image config", true, &c->os, err)) < 0 ||
	    (rc = dup_field(root, "architecture", "image config", true, &c->architecture, err)) < 0 ||
	    (rc = dup_field(root, "variant", "image config", false, &c->variant, err)) < 0 ||
	    (rc = parse_rootfs(root, c, err)) < 0) {
		img_config_free(c);
		return rc;
	}
	json_t *cfg = json_object_get(root, "config");
	if (cfg && !json_is_object(cfg) && !json_is_null(cfg)) {
		img_config_free(c);
		return cc_error_set(err, -EINVAL, "image config: \"config\" is not an object");
	}
	*ret = c;
	return 0;
}
