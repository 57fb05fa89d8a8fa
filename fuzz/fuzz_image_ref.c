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
 * And against a model of distribution/reference's ParseNormalizedNamed
 * (splitDockerDomain, the lower-case check, ReferenceRegexp as a POSIX
 * ERE, the 255-byte name): img_ref_parse accepts exactly what the model
 * accepts, and its string is the model's "domain/remainder". Known
 * differences: distribution refuses a bare 64-hex name (cocoon's sig layer
 * does that itself; left out of the comparison); digests are checked by
 * img_digest_parse (sha256/sha512; go-digest also has sha384); and where
 * splitDockerDomain takes a first component that is no valid host as the
 * registry ("a_b.c/x"), Go ends with an empty domain, cocoon refuses.
 * On failure there is a message and the output is untouched. Seed corpus:
 * fuzz/corpus/image_ref/.
 */
#include <regex.h>
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

/* ---- the model: distribution/reference regexp.go and normalize.go ---- */

#define M_ALNUM "[a-z0-9]+"
#define M_SEP "([._]|__|-+)"
#define M_COMPONENT M_ALNUM "(" M_SEP M_ALNUM ")*"
#define M_DNC "([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
#define M_HOST "(" M_DNC "(\\." M_DNC ")*|\\[[a-fA-F0-9:]+\\])"
#define M_NAME "(" M_HOST "(:[0-9]+)?/)?" M_COMPONENT "(/" M_COMPONENT ")*"
#define M_TAG "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
#define M_DIGEST "[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

static regex_t reference_re, identifier_re, domain_re;

static void model_init(void)
{
	static bool done;
	if (done)
		return;
	must(regcomp(&reference_re, "^" M_NAME "(:" M_TAG ")?(@" M_DIGEST ")?$",
	             REG_EXTENDED | REG_NOSUB) == 0 &&
	         regcomp(&identifier_re, "^[a-f0-9]{64}$", REG_EXTENDED | REG_NOSUB) == 0 &&
	         regcomp(&domain_re, "^" M_HOST "(:[0-9]+)?$", REG_EXTENDED | REG_NOSUB) == 0,
	     "regcomp");
	done = true;
}

enum model { MODEL_REJECT, MODEL_ACCEPT, MODEL_SKIP };

/* What ParseNormalizedNamed(s) does; on accept, *full is the normalized
 * "domain/remainder" (the caller frees it). */
static enum model model_parse(const char *s, char **full)
{
	size_t n = strlen(s);
	if (n == 0 || n > 1024 || regexec(&identifier_re, s, 0, NULL, 0) == 0)
		return MODEL_SKIP;
	const char *slash = strchr(s, '/');
	const char *domain = "docker.io", *rem = s;
	size_t dn = 9;
	if (slash) {
		size_t i = (size_t)(slash - s);
		bool lower = true;
		for (size_t k = 0; k < i; k++)
			lower = lower && !(s[k] >= 'A' && s[k] <= 'Z');
		bool dotted = memchr(s, '.', i) || memchr(s, ':', i);
		if (dotted || (i == 9 && memcmp(s, "localhost", 9) == 0) || !lower)
			domain = s, dn = i, rem = slash + 1;
	}
	/* Go: a first component taken as the registry that is no host, such
	 * as "a_b.c" in "a_b.c/x", still passes ReferenceRegexp as a path and
	 * leaves a reference with an empty domain; cocoon refuses it. */
	if (domain == s) {
		char *d = strndup(s, dn);
		bool host = d != NULL && regexec(&domain_re, d, 0, NULL, 0) == 0;
		free(d);
		if (!host)
			return MODEL_REJECT;
	}
	if (dn == 15 && memcmp(domain, "index.docker.io", 15) == 0)
		domain = "docker.io", dn = 9;
	bool library = dn == 9 && memcmp(domain, "docker.io", 9) == 0 && strchr(rem, '/') == NULL;
	size_t remote = strcspn(rem, ":");
	for (size_t k = 0; k < remote; k++)
		if (rem[k] >= 'A' && rem[k] <= 'Z')
			return MODEL_REJECT;
	if (asprintf(full, "%.*s/%s%s", (int)dn, domain, library ? "library/" : "", rem) < 0)
		return MODEL_SKIP;
	if (regexec(&reference_re, *full, 0, NULL, 0) != 0)
		goto reject;
	/* the name: up to the tag's ':' (after the last '/') or the '@' */
	size_t name = strcspn(*full, "@");
	const char *last = memrchr(*full, '/', name);
	const char *colon = memchr(last, ':', name - (size_t)(last - *full));
	if (colon)
		name = (size_t)(colon - *full);
	if (name > 255)
		goto reject;
	const char *at = strchr(*full, '@');
	img_digest d;
	if (at && img_digest_parse(at + 1, strlen(at + 1), &d, NULL) < 0)
		goto reject;
	return MODEL_ACCEPT;
reject:
	free(*full);
	*full = NULL;
	return MODEL_REJECT;
}

static void check_model(const char *s, const img_ref *r)
{
	model_init();
	char *full = NULL;
	enum model m = model_parse(s, &full);
	if (m == MODEL_SKIP)
		return;
	if ((m == MODEL_ACCEPT) != (r != NULL)) {
		fprintf(stderr, "'%s': the model %s it, img_ref_parse %s it\n", s,
		        m == MODEL_ACCEPT ? "accepts" : "rejects", r ? "accepts" : "rejects");
		must(false, "img_ref_parse disagrees with distribution's grammar");
	}
	must(r == NULL || strcmp(img_ref_string(r), full) == 0,
	     "the normalized string differs from the model's");
	free(full);
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

	check_model(s, rc == 0 ? r : NULL);

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
