/* Image references as docker and containers/image read them
 * (distribution/reference: reference.go, normalize.go):
 *
 *   [domain[:port]/]path[:tag][@digest]
 *
 * normalized the familiar way: no domain means docker.io, a single path
 * component on docker.io gets "library/", index.docker.io is docker.io.
 * Also the transport forms of the CLI: docker://REF and oci:DIR[:NAME]. */
#ifndef COCOON_IMAGE_REF_H
#define COCOON_IMAGE_REF_H

#include <stdbool.h>

#include "cocoon/error.h"
#include "digest.h"

typedef struct img_ref img_ref;

/* Parses and normalizes s (a NUL-terminated string, at most
 * CC_IMG_MAX_REF_BYTES). Errors name the part at fault
 * ("invalid reference 'x': tag 'bad tag' ..."). */
int img_ref_parse(const char *s, img_ref **ret, cc_error **err);

/* A copy of r with the tag replaced (tag may be NULL) and the digest
 * replaced (d may be NULL). NULL on OOM. */
img_ref *img_ref_with(const img_ref *r, const char *tag, const img_digest *d);

void img_ref_free(img_ref *r);

/* The parts. domain() is e.g. "docker.io" or "127.0.0.1:5000"; path() is
 * the repository within it ("library/busybox"); tag() is NULL when the
 * reference had none; digest() is NULL when it had none. */
const char *img_ref_domain(const img_ref *r);
const char *img_ref_path(const img_ref *r);
const char *img_ref_tag(const img_ref *r);
const img_digest *img_ref_digest(const img_ref *r);

/* The host the registry API lives on: registry-1.docker.io for docker.io,
 * else the domain. */
const char *img_ref_api_host(const img_ref *r);

/* "domain/path" (the repository, as policy scopes name it). */
const char *img_ref_name(const img_ref *r);

/* The full normalized string: name[:tag][@digest]. */
const char *img_ref_string(const img_ref *r);

/* The tag or digest to ask the registry for: the digest if there is one,
 * else the tag, else "latest". */
const char *img_ref_object(const img_ref *r);

/* ---- transports (skopeo's spelling) ---- */

enum img_transport { IMG_TRANSPORT_DOCKER, IMG_TRANSPORT_OCI };

typedef struct img_location {
	enum img_transport transport;
	img_ref *ref;   /* docker: the reference */
	char *dir;      /* oci: the layout directory */
	char *name;     /* oci: the image's ref.name in index.json, or NULL */
} img_location;

/* Parses "docker://REF" or "oci:DIR[:NAME]" (NAME may itself contain ':';
 * the first ':' after DIR separates it, as skopeo does). */
int img_location_parse(const char *s, img_location *ret, cc_error **err);
void img_location_clear(img_location *l);

#endif
