/* Unit tests for manifests, indexes and configs (manifest.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const char oci_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MT_OCI_MANIFEST "\","
    "\"config\":{\"mediaType\":\"" IMG_MT_OCI_CONFIG "\",\"digest\":\"" DA "\",\"size\":7},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" DB "\",\"size\":32,"
    "\"annotations\":{\"org.opencontainers.image.enc.pubopts\":\"e30=\"}}],"
    "\"annotations\":{\"a\":\"b\"}}";

static const char docker_list[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MT_DOCKER_LIST "\",\"manifests\":["
    "{\"mediaType\":\"" IMG_MT_DOCKER_MANIFEST "\",\"digest\":\"" DA "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
    "{\"mediaType\":\"" IMG_MT_DOCKER_MANIFEST "\",\"digest\":\"" DB "\",\"size\":2,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";

static img_manifest *parse_ok(const char *s, const char *ct)
{
	img_manifest *m = NULL;
	cc_error *err = NULL;
	if (img_manifest_parse(s, strlen(s), ct, &m, &err) != 0)
		fail_msg("%s", cc_error_message(err));
	return m;
}

static void parse_bad(const char *s, const char *ct, const char *msg)
{
	img_manifest *m = NULL;
	cc_error *err = NULL;
	assert_true(img_manifest_parse(s, strlen(s), ct, &m, &err) < 0);
	assert_null(m);
	if (msg)
		assert_string_equal(cc_error_message(err), msg);
	cc_error_free(err);
}

static void test_image_manifest(void **state)
{
	(void)state;
	img_manifest *m = parse_ok(oci_manifest, IMG_MT_OCI_MANIFEST "; charset=utf-8");
	assert_int_equal(m->kind, IMG_MANIFEST_IMAGE);
	assert_string_equal(m->media_type, IMG_MT_OCI_MANIFEST);
	assert_int_equal(m->config.size, 7);
	assert_int_equal(m->nlayers, 1);
	assert_int_equal(m->layers[0].size, 32);
	assert_string_equal(json_string_value(json_object_get(m->layers[0].annotations,
	                                                      "org.opencontainers.image.enc.pubopts")), "e30=");
	/* replacing a layer keeps the other fields of the document */
	img_descriptor d = {0};
	d.media_type = "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
	d.digest = m->config.digest;
	d.size = 99;
	assert_int_equal(img_manifest_set_layer(m, 0, &d, NULL), 0);
	size_t len;
	char *s = img_manifest_dump(m, &len);
	img_manifest *m2 = parse_ok(s, NULL);
	assert_int_equal(m2->layers[0].size, 99);
	assert_null(m2->layers[0].annotations);
	assert_string_equal(json_string_value(json_object_get(m2->annotations, "a")), "b");
	free(s);
	img_manifest_free(m2);
	img_manifest_free(m);
	/* no mediaType field: the shape decides */
	m = parse_ok("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" DA "\",\"size\":1},\"layers\":[]}", NULL);
	assert_string_equal(m->media_type, IMG_MT_OCI_MANIFEST);
	img_manifest_free(m);
}

static void test_index(void **state)
{
	(void)state;
	img_manifest *m = parse_ok(docker_list, NULL);
	assert_int_equal(m->kind, IMG_MANIFEST_INDEX);
	assert_int_equal(m->nmanifests, 2);
	const img_descriptor *d = NULL;
	assert_int_equal(img_index_select(m, "linux", "amd64", NULL, &d, NULL), 0);
	assert_int_equal(d->size, 2);
	assert_int_equal(img_index_select(m, "linux", "arm", "v7", &d, NULL), 0);
	assert_int_equal(d->size, 1);
	cc_error *err = NULL;
	assert_int_equal(img_index_select(m, "linux", "arm", "v6", &d, &err), -ENOENT);
	assert_string_equal(cc_error_message(err),
	                    "no image for platform linux/arm/v6 in the index (it has: linux/arm/v7, linux/amd64)");
	cc_error_free(err);
	img_manifest_free(m);
}

static void test_hostile(void **state)
{
	(void)state;
	parse_bad("[]", NULL, "manifest: not a JSON object");
	parse_bad("{\"schemaVersion\":2,\"schemaVersion\":2}", NULL, NULL); /* duplicate key */
	parse_bad("{\"schemaVersion\":1,\"name\":\"x\"}", NULL, "manifest: schemaVersion must be 2");
	parse_bad("{\"schemaVersion\":2,\"mediaType\":\"" IMG_MT_DOCKER_V1_SIGNED "\"}", NULL,
	          "manifest: Docker schema 1 manifests are not supported (deprecated, unsigned content)");
	/* the registry's Content-Type against the document's mediaType */
	parse_bad(oci_manifest, IMG_MT_OCI_INDEX, "manifest: the registry sent it as " IMG_MT_OCI_INDEX
	          " but its mediaType is " IMG_MT_OCI_MANIFEST);
	/* an index that also carries layers (CVE-2021-41190) */
	parse_bad("{\"schemaVersion\":2,\"mediaType\":\"" IMG_MT_OCI_INDEX "\",\"manifests\":[],\"layers\":[]}", NULL,
	          "manifest: a " IMG_MT_OCI_INDEX " must not have \"layers\"");
	parse_bad("{\"schemaVersion\":2,\"mediaType\":\"" IMG_MT_OCI_MANIFEST "\",\"manifests\":[],"
	          "\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" DA "\",\"size\":1},\"layers\":[]}", NULL,
	          "manifest: a " IMG_MT_OCI_MANIFEST " must not have \"manifests\"");
	parse_bad("{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}", NULL,
	          "manifest: neither an image manifest nor an index");
	parse_bad("{\"schemaVersion\":2,\"mediaType\":\"text/html\"}", NULL, "manifest: unsupported mediaType \"text/html\"");
	/* descriptors */
	parse_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" DA "\",\"size\":-1},\"layers\":[]}", NULL,
	          "manifest config: \"size\" must be a non-negative integer");
	parse_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" DA "\",\"size\":1.5},\"layers\":[]}", NULL, NULL);
	parse_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"ab\",\"digest\":\"" DA "\",\"size\":1},\"layers\":[]}", NULL,
	          "manifest config: invalid mediaType \"ab\"");
	parse_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:00\",\"size\":1},\"layers\":[]}", NULL,
	          "manifest config: invalid sha256 digest: 2 hex digits, expected 64");
	parse_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" DA "\",\"size\":1},\"layers\":[{\"mediaType\":\"a/b\\u0000\",\"digest\":\"" DA "\",\"size\":1}]}", NULL, NULL);
	parse_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" DA "\",\"size\":1},\"layers\":[],\"annotations\":{\"k\":1}}", NULL,
	          "manifest: annotation \"k\" is not a string");
	/* too many layers */
	size_t cap = 400 * 120 + 400;
	char *big = malloc(cap);
	size_t off = (size_t)snprintf(big, cap, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" DA "\",\"size\":1},\"layers\":[");
	for (int i = 0; i < 300; i++)
		off += (size_t)snprintf(big + off, cap - off, "%s{\"mediaType\":\"a/b\",\"digest\":\"" DA "\",\"size\":1}", i ? "," : "");
	snprintf(big + off, cap - off, "]}");
	parse_bad(big, NULL, "manifest: 300 layers, more than the 256 allowed");
	free(big);
}

static void test_config(void **state)
{
	(void)state;
	const char *c = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},"
	                "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA "\",\"" DB "\"]}}";
	img_config *cfg = NULL;
	assert_int_equal(img_config_parse(c, strlen(c), &cfg, NULL), 0);
	assert_string_equal(cfg->os, "linux");
	assert_int_equal(cfg->ndiff_ids, 2);
	img_config_free(cfg);
	cc_error *err = NULL;
	const char *bad = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"x\"]}}";
	assert_true(img_config_parse(bad, strlen(bad), &cfg, &err) < 0);
	assert_string_equal(cc_error_message(err), "image config: diff_ids[0]: invalid digest: no ':' between algorithm and hex");
	cc_error_free(err);
	err = NULL;
	bad = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"other\",\"diff_ids\":[]}}";
	assert_true(img_config_parse(bad, strlen(bad), &cfg, &err) < 0);
	assert_string_equal(cc_error_message(err), "image config: rootfs.type must be \"layers\"");
	cc_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_image_manifest),
	    cmocka_unit_test(test_index),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
