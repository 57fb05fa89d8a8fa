/* libFuzzer target: image manifests, indexes and image configs as a
 * registry sends them (lib/image/registry/manifest.c, manifest.h).
 *
 * The first byte b picks the parser and the Content-Type, the rest is the
 * body; (b - '0') % 10, so seeds can start with a digit:
 *   0 manifest, no Content-Type          1 manifest, OCI manifest type
 *   2 manifest, OCI index type           3 manifest, Docker schema 2 type
 *   4 manifest, Docker list type         5 manifest, Docker schema 1 signed
 *   6 manifest, "application/json; charset=utf-8" (not a manifest type)
 *   7 manifest, the body's first line is the Content-Type
 *   8 image config                       9 one descriptor object
 * On success:
 *   - the media type is one of the four supported ones, agrees with a
 *     known Content-Type and with the document's "mediaType", and the kind
 *     follows it; an index has no "layers"/"config", a manifest no
 *     "manifests" (CVE-2021-41190);
 *   - counts are within CC_IMG_MAX_LAYERS / CC_IMG_MAX_INDEX_ENTRIES and
 *     equal the document's arrays; every descriptor has a valid media type,
 *     a size >= 0 and a digest that formats and parses back equal, and
 *     img_descriptor_json() of it parses back equal;
 *   - the dump parses again (same Content-Type) to the same descriptors,
 *     also after img_manifest_set_layer()/set_config() rewrote them;
 *   - img_manifest_to_oci() turns a Docker manifest into one with only OCI
 *     types whose dump parses as an OCI manifest, or fails with -ENOTSUP
 *     having changed nothing; an OCI manifest stays as it was;
 *   - img_index_select() returns only entries of the list that match the
 *     platform asked for, and finds each selectable entry (the first match);
 *   - a config has os and architecture, at most CC_IMG_MAX_LAYERS diff_ids.
 * On failure there is a message and the output is untouched. Seed corpus:
 * fuzz/corpus/image_manifest/.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "fuzz.h"
#include "manifest.h"

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_image_manifest: invariant broken: %s\n", what);
		abort();
	}
}

static const char *const content_types[7] = {
    NULL,
    IMG_MT_OCI_MANIFEST,
    IMG_MT_OCI_INDEX,
    IMG_MT_DOCKER_MANIFEST,
    IMG_MT_DOCKER_LIST,
    IMG_MT_DOCKER_V1_SIGNED,
    "application/json; charset=utf-8",
};

static bool is_index_type(const char *mt)
{
	return strcmp(mt, IMG_MT_OCI_INDEX) == 0 || strcmp(mt, IMG_MT_DOCKER_LIST) == 0;
}

static void check_digest(const img_digest *d)
{
	char s[IMG_DIGEST_STR_MAX];
	img_digest back;
	img_digest_format(d, s);
	must(img_digest_parse(s, strlen(s), &back, NULL) == 0 && img_digest_eq(d, &back),
	     "a digest does not format and parse back");
}

static void check_descriptor(const img_descriptor *d)
{
	must(d->media_type != NULL && d->media_type[0] != '\0' && strchr(d->media_type, '/') != NULL,
	     "descriptor media type");
	must(d->size >= 0, "descriptor size");
	must(d->annotations == NULL || json_is_object(d->annotations), "descriptor annotations");
	must((d->platform.os == NULL) == (d->platform.architecture == NULL) &&
	         (d->platform.variant == NULL || d->platform.os != NULL),
	     "platform fields");
	check_digest(&d->digest);

	json_t *j = img_descriptor_json(d);
	must(j != NULL, "img_descriptor_json: out of memory");
	img_descriptor back;
	cc_error *err = NULL;
	if (img_descriptor_parse(j, "again", &back, &err) != 0) {
		fprintf(stderr, "%s\n", cc_error_message(err));
		must(false, "img_descriptor_json output does not parse");
	}
	must(strcmp(back.media_type, d->media_type) == 0 && back.size == d->size &&
	         img_digest_eq(&back.digest, &d->digest),
	     "img_descriptor_json round trip");
	img_descriptor_clear(&back);
	json_decref(j);
}

/* a and b hold the same descriptors (digest, size, media type). */
static bool same_list(const img_descriptor *a, size_t na, const img_descriptor *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!img_digest_eq(&a[i].digest, &b[i].digest) || a[i].size != b[i].size ||
		    strcmp(a[i].media_type, b[i].media_type) != 0)
			return false;
	return true;
}

/* The dump of m parses again to the same manifest. */
static void check_dump(const img_manifest *m, const char *ct)
{
	size_t n = 0;
	char *s = img_manifest_dump(m, &n);
	must(s != NULL, "img_manifest_dump: out of memory");
	img_manifest *again = NULL;
	cc_error *err = NULL;
	if (img_manifest_parse(s, n, ct, &again, &err) != 0) {
		fprintf(stderr, "%s\n", cc_error_message(err));
		must(false, "the dump does not parse");
	}
	must(again->kind == m->kind && again->media_type == m->media_type, "dump: kind or type");
	must(same_list(m->layers, m->nlayers, again->layers, again->nlayers) &&
	         same_list(m->manifests, m->nmanifests, again->manifests, again->nmanifests),
	     "dump: descriptors differ");
	must(m->kind == IMG_MANIFEST_INDEX || same_list(&m->config, 1, &again->config, 1),
	     "dump: config differs");
	img_manifest_free(again);
	free(s);
}

static bool platform_matches(const img_descriptor *d, const char *os, const char *arch,
                             const char *variant)
{
	return d->platform.os && strcmp(d->platform.os, os) == 0 &&
	       strcmp(d->platform.architecture, arch) == 0 &&
	       (variant == NULL || d->platform.variant == NULL ||
	        strcmp(d->platform.variant, variant) == 0) &&
	       img_is_manifest_media_type(d->media_type) && !is_index_type(d->media_type);
}

/* Returns the index of the entry chosen, or nmanifests. */
static size_t select_checked(const img_manifest *m, const char *os, const char *arch,
                             const char *variant)
{
	const img_descriptor *got = NULL;
	cc_error *err = NULL;
	int rc = img_index_select(m, os, arch, variant, &got, &err);
	if (rc < 0) {
		must(rc == -ENOENT && got == NULL && cc_error_message(err)[0] != '\0', "select failure");
		cc_error_free(err);
		for (size_t i = 0; i < m->nmanifests; i++)
			must(!platform_matches(&m->manifests[i], os, arch, variant),
			     "select missed a matching entry");
		return m->nmanifests;
	}
	must(got >= m->manifests && got < m->manifests + m->nmanifests, "select outside the list");
	size_t at = (size_t)(got - m->manifests);
	must(platform_matches(got, os, arch, variant), "select returned a non-matching entry");
	for (size_t i = 0; i < at; i++)
		must(!platform_matches(&m->manifests[i], os, arch, variant), "select skipped a match");
	return at;
}

static void check_index(const img_manifest *m)
{
	const char *os, *arch, *variant;
	img_host_platform(&os, &arch, &variant);
	select_checked(m, os, arch, variant);
	select_checked(m, os, arch, NULL);
	select_checked(m, "linux", "arm", "v7");
	for (size_t i = 0; i < m->nmanifests && i < 16; i++) {
		const img_platform *p = &m->manifests[i].platform;
		if (p->os == NULL)
			continue;
		size_t at = select_checked(m, p->os, p->architecture, p->variant);
		must(!platform_matches(&m->manifests[i], p->os, p->architecture, p->variant) || at <= i,
		     "select did not find a selectable entry");
	}
}

/* img_manifest_to_oci: all OCI types after converting a Docker manifest;
 * nothing changed after a failure or on an OCI manifest. */
static void check_to_oci(img_manifest *m)
{
	bool was_oci = strcmp(m->media_type, IMG_MT_OCI_MANIFEST) == 0;
	size_t n0 = 0;
	char *before = img_manifest_dump(m, &n0);
	must(before != NULL, "img_manifest_dump: out of memory");
	cc_error *err = NULL;
	int rc = img_manifest_to_oci(m, &err);
	size_t n1 = 0;
	char *after = img_manifest_dump(m, &n1);
	must(after != NULL, "img_manifest_dump: out of memory");
	if (rc < 0 || was_oci) {
		must(rc == 0 ? err == NULL : rc == -ENOTSUP && !was_oci && cc_error_message(err)[0] != '\0',
		     "to_oci: code or message");
		must(n0 == n1 && memcmp(before, after, n0) == 0, "to_oci failed or had nothing to do but "
		                                                 "changed the manifest");
		cc_error_free(err);
	} else {
		must(strcmp(m->media_type, IMG_MT_OCI_MANIFEST) == 0 &&
		         strcmp(m->config.media_type, IMG_MT_OCI_CONFIG) == 0,
		     "to_oci: manifest or config type");
		for (size_t i = 0; i < m->nlayers; i++)
			must(img_layer_type_oci(m->layers[i].media_type) == m->layers[i].media_type,
			     "to_oci: a layer type is not OCI");
		check_dump(m, IMG_MT_OCI_MANIFEST);
	}
	free(before);
	free(after);
}

static void check_manifest(img_manifest *m, const char *ct)
{
	must(img_is_manifest_media_type(m->media_type), "unsupported media type accepted");
	must((m->kind == IMG_MANIFEST_INDEX) == is_index_type(m->media_type), "kind");
	if (ct) {
		/* the Content-Type's type without parameters, as decide_type() */
		size_t n = strcspn(ct, ";");
		while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
			n--;
		char *t = strndup(ct, n);
		must(t != NULL, "out of memory");
		must(!img_is_manifest_media_type(t) || strcmp(t, m->media_type) == 0,
		     "the media type disagrees with the Content-Type");
		must(strcmp(t, IMG_MT_DOCKER_V1) != 0 && strcmp(t, IMG_MT_DOCKER_V1_SIGNED) != 0,
		     "accepted with a schema 1 Content-Type");
		free(t);
	}
	json_t *mt = json_object_get(m->root, "mediaType");
	must(mt == NULL || strcmp(json_string_value(mt), m->media_type) == 0,
	     "the media type disagrees with \"mediaType\"");
	must(m->annotations == NULL || json_is_object(m->annotations), "annotations");
	json_t *layers = json_object_get(m->root, "layers");
	json_t *manifests = json_object_get(m->root, "manifests");
	if (m->kind == IMG_MANIFEST_INDEX) {
		must(layers == NULL && json_object_get(m->root, "config") == NULL && m->nlayers == 0,
		     "an index with layers or a config");
		must(m->nmanifests <= CC_IMG_MAX_INDEX_ENTRIES &&
		         m->nmanifests == json_array_size(manifests),
		     "index entry count");
		for (size_t i = 0; i < m->nmanifests; i++)
			check_descriptor(&m->manifests[i]);
		check_index(m);
	} else {
		must(manifests == NULL && m->nmanifests == 0, "a manifest with manifests");
		must(m->nlayers <= CC_IMG_MAX_LAYERS && m->nlayers == json_array_size(layers),
		     "layer count");
		check_descriptor(&m->config);
		for (size_t i = 0; i < m->nlayers; i++)
			check_descriptor(&m->layers[i]);
	}
	check_dump(m, ct);
	if (m->kind == IMG_MANIFEST_IMAGE) {
		/* rewrite the config and the last layer with copies of themselves */
		img_descriptor c = m->config;
		must(img_manifest_set_config(m, &c, NULL) == 0, "set_config failed");
		if (m->nlayers > 0)
			must(img_manifest_set_layer(m, m->nlayers - 1, &m->layers[m->nlayers - 1], NULL) == 0,
			     "set_layer failed");
		must(img_manifest_set_layer(m, m->nlayers, &m->config, NULL) == -EINVAL,
		     "set_layer past the end");
		check_dump(m, ct);
		check_to_oci(m);
	}
}

static void manifest(const uint8_t *p, size_t n, const char *ct)
{
	img_manifest *m = NULL;
	cc_error *err = NULL;
	int rc = img_manifest_parse(p, n, ct, &m, &err);
	if (rc < 0) {
		must(m == NULL && cc_error_message(err)[0] != '\0', "failure: output or message");
		cc_error_free(err);
		return;
	}
	must(rc == 0 && m != NULL && err == NULL, "success without a manifest");
	check_manifest(m, ct);
	img_manifest_free(m);
}

/* Selector 7: "Content-Type\nbody". */
static void manifest_with_header(const uint8_t *p, size_t n)
{
	const uint8_t *nl = memchr(p, '\n', n);
	if (nl == NULL)
		return;
	size_t hn = (size_t)(nl - p);
	if (memchr(p, '\0', hn) != NULL)
		return;
	char *ct = strndup((const char *)p, hn);
	if (ct == NULL)
		return;
	manifest(nl + 1, n - hn - 1, ct);
	free(ct);
}

static void config(const uint8_t *p, size_t n)
{
	img_config *c = NULL;
	cc_error *err = NULL;
	int rc = img_config_parse(p, n, &c, &err);
	if (rc < 0) {
		must(c == NULL && cc_error_message(err)[0] != '\0', "config failure: output or message");
		cc_error_free(err);
		return;
	}
	must(c != NULL && c->os != NULL && c->architecture != NULL && json_is_object(c->root),
	     "config fields");
	must(c->ndiff_ids <= CC_IMG_MAX_LAYERS, "diff_id count");
	must(c->ndiff_ids ==
	         json_array_size(json_object_get(json_object_get(c->root, "rootfs"), "diff_ids")),
	     "diff_id count differs from the document");
	for (size_t i = 0; i < c->ndiff_ids; i++)
		check_digest(&c->diff_ids[i]);
	img_config_free(c);
}

static void descriptor(const uint8_t *p, size_t n)
{
	json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL)
		return;
	img_descriptor d;
	memset(&d, 0xa5, sizeof(d));
	img_descriptor before = d;
	cc_error *err = NULL;
	if (img_descriptor_parse(j, "fuzz", &d, &err) == 0) {
		check_descriptor(&d);
		img_descriptor_clear(&d);
	} else {
		must(memcmp(&d, &before, sizeof(d)) == 0 && cc_error_message(err)[0] != '\0',
		     "descriptor failure: output or message");
		cc_error_free(err);
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned sel = (uint8_t)(data[0] - '0') % 10u;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	if (sel < 7)
		manifest(p, n, content_types[sel]);
	else if (sel == 7)
		manifest_with_header(p, n);
	else if (sel == 8)
		config(p, n);
	else
		descriptor(p, n);
	return 0;
}
