/* OCI image manifests, image indexes and image configs, and their Docker
 * schema 2 twins (image-spec manifest.md, image-index.md, config.md,
 * descriptor.md; distribution's manifest/schema2 and manifestlist).
 *
 * Parsing is strict: the document must be a JSON object without duplicate
 * keys, schemaVersion 2, and its media type (from the HTTP Content-Type, the
 * "mediaType" field, or the document's shape when neither says) must agree
 * with its shape: a manifest with "manifests" or an index with "layers" is
 * rejected (the ambiguity behind CVE-2021-41190). */
#ifndef COCOON_IMAGE_MANIFEST_H
#define COCOON_IMAGE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cocoon/error.h"
#include "digest.h"

#define IMG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define IMG_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMG_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMG_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define IMG_MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define IMG_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* The Accept header a client sends for manifests. */
#define IMG_MANIFEST_ACCEPT                                                                        \
	IMG_MT_OCI_INDEX ", " IMG_MT_OCI_MANIFEST ", " IMG_MT_DOCKER_LIST ", " IMG_MT_DOCKER_MANIFEST

typedef struct img_platform {
	char *os, *architecture, *variant; /* variant may be NULL */
} img_platform;

typedef struct img_descriptor {
	char *media_type;
	img_digest digest;
	int64_t size;
	json_t *annotations; /* object of strings, or NULL; owned (a reference) */
	img_platform platform; /* index entries only; fields NULL if absent */
} img_descriptor;

enum img_manifest_kind { IMG_MANIFEST_IMAGE, IMG_MANIFEST_INDEX };

typedef struct img_manifest {
	enum img_manifest_kind kind;
	const char *media_type;  /* one of the IMG_MT_* constants */
	img_descriptor config;   /* image */
	img_descriptor *layers;  /* image */
	size_t nlayers;
	img_descriptor *manifests; /* index */
	size_t nmanifests;
	json_t *annotations;     /* or NULL */
	json_t *root;            /* the parsed document (owned reference) */
} img_manifest;

/* True for the four manifest/index media types above. */
bool img_is_manifest_media_type(const char *mt);

/* Parses n bytes of manifest or index. content_type is the registry's
 * Content-Type (parameters after ';' ignored) or NULL. */
int img_manifest_parse(const void *body, size_t n, const char *content_type,
                       img_manifest **ret, cc_error **err);
void img_manifest_free(img_manifest *m);

/* Replaces layer i's descriptor (in m->layers and in m->root, keeping the
 * document's other fields) with a copy of d. Returns 0 or -ENOMEM. */
int img_manifest_set_layer(img_manifest *m, size_t i, const img_descriptor *d, cc_error **err);
/* Replaces the config descriptor likewise. */
int img_manifest_set_config(img_manifest *m, const img_descriptor *d, cc_error **err);

/* The OCI name of a layer media type: Docker's rootfs.diff types map to
 * the OCI ones (foreign to nondistributable), OCI layer types are returned
 * as they are, anything else gives NULL. */
const char *img_layer_type_oci(const char *mt);

/* Rewrites a Docker schema 2 image manifest as an OCI one, as skopeo does
 * when the destination or the layers (encryption) need OCI: the manifest's,
 * the config's and each layer's mediaType (other descriptor members, such
 * as urls, are kept; the config blob is not rewritten). An OCI manifest is
 * left alone; other kinds, another config type or an unknown layer type
 * fail with -ENOTSUP before anything changes. */
int img_manifest_to_oci(img_manifest *m, cc_error **err);

/* m->root as compact JSON: a new string the caller frees; NULL on OOM. */
char *img_manifest_dump(const img_manifest *m, size_t *ret_len);

/* The index entry for platform (os, architecture, variant or NULL):
 * exact os and architecture, variant equal when both give one, the first
 * such entry in index order. -ENOENT names the platforms the index has. */
int img_index_select(const img_manifest *idx, const char *os, const char *arch,
                     const char *variant, const img_descriptor **ret, cc_error **err);

/* The platform this program runs on, in Go's GOOS/GOARCH spelling
 * ("linux", "amd64"|"arm64"|..., variant or NULL). */
void img_host_platform(const char **os, const char **arch, const char **variant);

/* An image config (config.md): platform, rootfs.diff_ids and the whole
 * document (for the runtime config). */
typedef struct img_config {
	char *os, *architecture, *variant;
	img_digest *diff_ids;
	size_t ndiff_ids;
	json_t *root; /* the parsed document (owned reference) */
} img_config;

int img_config_parse(const void *body, size_t n, img_config **ret, cc_error **err);
void img_config_free(img_config *c);

/* Parses one descriptor object (what) into d. */
int img_descriptor_parse(const json_t *j, const char *what, img_descriptor *d, cc_error **err);
void img_descriptor_clear(img_descriptor *d);
/* A JSON object for d (mediaType, digest, size, annotations if any). */
json_t *img_descriptor_json(const img_descriptor *d);

#endif
