/* libFuzzer target: image references and transport locations
 * (lib/image/registry/ref.c, ref.h).
 *
 * The input (up to its first NUL) is given to img_ref_parse() and to
 * img_location_parse(); both read the same kind of text, so there is no
 * selector byte and every seed feeds both. On success:
 *   - the parts agree with each other: name is "domain/path", the string is
 *     name[:tag][@digest], the object is the digest, else the tag, else
 *     "latest", the API host is registry-1.docker.io only for docker.io;
 *   - the normalized string is a fixed point: it parses again to the same
 *     string and parts, and img_ref_with() with the same tag and digest
 *     rebuilds it;
 *   - the caps hold: name at most 255 bytes, tag 1-128 bytes;
 *   - "docker://X" as a location gives exactly the reference X.
 * On failure there is a message and the output is untouched. Seed corpus:
 * fuzz/corpus/image_ref/.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "fuzz.h"
#include "ref.h"

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_image_ref: invariant broken: %s\n", what);
		abort();
	}
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_digest(const img_digest *a, const img_digest *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && img_digest_eq(a, b));
}

static bool same_ref(const img_ref *a, const img_ref *b)
{
	return strcmp(img_ref_string(a), img_ref_string(b)) == 0 &&
	       strcmp(img_ref_domain(a), img_ref_domain(b)) == 0 &&
	       strcmp(img_ref_path(a), img_ref_path(b)) == 0 &&
	       same_str(img_ref_tag(a), img_ref_tag(b)) &&
	       same_digest(img_ref_digest(a), img_ref_digest(b));
}

/* The parts of r agree with its strings. */
static void check_parts(const img_ref *r)
{
	const char *domain = img_ref_domain(r), *path = img_ref_path(r), *tag = img_ref_tag(r);
	const img_digest *d = img_ref_digest(r);
	char dg[IMG_DIGEST_STR_MAX] = "";
	if (d)
		img_digest_format(d, dg);
	must(domain[0] != '\0' && path[0] != '\0', "empty domain or path");
	must(strcmp(domain, "index.docker.io") != 0, "index.docker.io not normalized");
	must(strcmp(domain, "docker.io") != 0 || strchr(path, '/') != NULL,
	     "a docker.io path without a namespace");
	size_t nd = strlen(domain), np = strlen(path);
	must(nd + 1 + np <= 255, "repository name over 255 bytes");
	must(tag == NULL || (strlen(tag) >= 1 && strlen(tag) <= 128), "tag length");

	char want[CC_IMG_MAX_REF_BYTES + 512];
	int w = snprintf(want, sizeof(want), "%s/%s", domain, path);
	must(w > 0 && (size_t)w < sizeof(want) && strcmp(img_ref_name(r), want) == 0, "name");
	w = snprintf(want, sizeof(want), "%s/%s%s%s%s%s", domain, path, tag ? ":" : "", tag ? tag : "",
	             d ? "@" : "", dg);
	must(w > 0 && (size_t)w < sizeof(want) && strcmp(img_ref_string(r), want) == 0, "string");
	must(strcmp(img_ref_object(r), d ? dg : tag ? tag : "latest") == 0, "object");
	must(strcmp(img_ref_api_host(r), strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io"
	                                                                   : domain) == 0,
	     "api host");
}

static void check_ref(const img_ref *r)
{
	check_parts(r);
	img_ref *again = NULL;
	cc_error *err = NULL;
	if (img_ref_parse(img_ref_string(r), &again, &err) != 0) {
		fprintf(stderr, "'%s': %s\n", img_ref_string(r), cc_error_message(err));
		must(false, "the normalized string does not parse");
	}
	must(same_ref(r, again), "the normalized string is not a fixed point");
	img_ref_free(again);

	img_ref *c = img_ref_with(r, img_ref_tag(r), img_ref_digest(r));
	must(c != NULL, "img_ref_with: out of memory");
	must(same_ref(r, c), "img_ref_with with the same tag and digest");
	img_ref_free(c);
	c = img_ref_with(r, NULL, NULL);
	must(c != NULL, "img_ref_with: out of memory");
	must(strcmp(img_ref_string(c), img_ref_name(r)) == 0, "img_ref_with without tag and digest");
	img_ref_free(c);
}

static void location(const char *s, const img_ref *direct)
{
	img_location l, before;
	memset(&l, 0xa5, sizeof(l));
	before = l;
	cc_error *err = NULL;
	int rc = img_location_parse(s, &l, &err);
	if (rc < 0) {
		must(cc_error_message(err)[0] != '\0', "location: a failure without a message");
		must(memcmp(&l, &before, sizeof(l)) == 0, "location: output written on failure");
		must(strncmp(s, "docker://", 9) != 0 || direct == NULL, "docker://REF fails but REF parses");
		cc_error_free(err);
		return;
	}
	must(rc == 0 && err == NULL, "location: success with an error");
	if (l.transport == IMG_TRANSPORT_DOCKER) {
		must(strncmp(s, "docker://", 9) == 0 && l.ref != NULL && l.dir == NULL && l.name == NULL,
		     "docker location fields");
		must(direct != NULL && same_ref(l.ref, direct), "docker://REF differs from REF");
	} else {
		must(l.transport == IMG_TRANSPORT_OCI && strncmp(s, "oci:", 4) == 0, "transport");
		must(l.ref == NULL && l.dir != NULL && l.dir[0] != '\0' && strchr(l.dir, ':') == NULL,
		     "oci directory");
		must(l.name == NULL || l.name[0] != '\0', "oci name");
		size_t nd = strlen(l.dir);
		must(strncmp(s + 4, l.dir, nd) == 0, "oci directory is not the text after oci:");
		must(l.name ? s[4 + nd] == ':' && strcmp(s + 5 + nd, l.name) == 0
		            : s[4 + nd] == '\0' || strcmp(s + 4 + nd, ":") == 0,
		     "oci name is not the text after the directory");
	}
	img_location_clear(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	img_ref *r = NULL;
	cc_error *err = NULL;
	int rc = img_ref_parse(s, &r, &err);
	if (rc == 0) {
		must(r != NULL && err == NULL, "success without a reference");
		must(strlen(s) <= CC_IMG_MAX_REF_BYTES, "over CC_IMG_MAX_REF_BYTES accepted");
		check_ref(r);
	} else {
		must(rc < 0 && r == NULL, "failure wrote the output");
		must(cc_error_message(err)[0] != '\0', "a failure without a message");
		cc_error_free(err);
	}

	/* docker://X must give what X gave on its own */
	img_ref *inner = NULL;
	if (strncmp(s, "docker://", 9) == 0 && img_ref_parse(s + 9, &inner, NULL) < 0)
		inner = NULL;
	location(s, inner);
	img_ref_free(inner);
	img_ref_free(r);
	free(s);
	return 0;
}
