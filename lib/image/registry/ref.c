/* Image references (ref.h), after distribution/reference's grammar. */
#include "ref.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"

struct img_ref {
	char *domain, *path, *tag;
	bool has_digest;
	img_digest digest;
	char *name, *full, *object;
};

/* distribution's NameTotalLengthMax */
#define NAME_MAX_LEN 255u
#define TAG_MAX_LEN 128u

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* path-component := alpha-numeric [separator alpha-numeric]*
 * separator := [_.] | __ | [-]* */
static bool valid_path_component(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_lower_alnum(s[0]))
		return false;
	while (i < n) {
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		size_t sep = i;
		if (s[i] == '.' || (s[i] == '_' && !(i + 1 < n && s[i + 1] == '_'))) {
			i++;
		} else if (s[i] == '_') {
			i += 2;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == sep || i == n || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool valid_domain_component(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* host[:port], host = domain-name | "[" [0-9A-Fa-f:]+ "]" (distribution's
 * ipv6address: no zone ids, no dotted IPv4 tail) */
static bool valid_domain(const char *s, size_t n)
{
	size_t hostlen = n;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (close == NULL || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!(is_hex(*p) || *p == ':'))
				return false;
		hostlen = (size_t)(close - s) + 1;
	} else {
		const char *colon = memchr(s, ':', n);
		if (colon)
			hostlen = (size_t)(colon - s);
		size_t start = 0;
		for (size_t i = 0; i <= hostlen; i++) {
			if (i == hostlen || s[i] == '.') {
				if (!valid_domain_component(s + start, i - start))
					return false;
				start = i + 1;
			}
		}
	}
	if (hostlen == n)
		return true;
	if (s[hostlen] != ':' || hostlen + 1 == n)
		return false;
	for (size_t i = hostlen + 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* tag := [\w][\w.-]{0,127} */
static bool valid_tag(const char *s, size_t n)
{
	if (n == 0 || n > TAG_MAX_LEN || !(is_alnum(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(is_alnum(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

void img_ref_free(img_ref *r)
{
	if (r == NULL)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->name);
	free(r->full);
	free(r->object);
	free(r);
}

/* Fills the derived strings. */
static int finish(img_ref *r)
{
	char d[IMG_DIGEST_STR_MAX] = "";
	if (r->has_digest)
		img_digest_format(&r->digest, d);
	if (asprintf(&r->name, "%s/%s", r->domain, r->path) < 0) {
		r->name = NULL;
		return -ENOMEM;
	}
	if (asprintf(&r->full, "%s%s%s%s%s", r->name, r->tag ? ":" : "", r->tag ? r->tag : "",
	             r->has_digest ? "@" : "", d) < 0) {
		r->full = NULL;
		return -ENOMEM;
	}
	r->object = strdup(r->has_digest ? d : r->tag ? r->tag : "latest");
	return r->object ? 0 : -ENOMEM;
}

static int bad(cc_error **err, const char *s, const char *why)
{
	return cc_error_set(err, -EINVAL, "invalid image reference '%.300s': %s", s, why);
}

/* Splits "name[:tag]" from "@digest" and the tag from the name. */
static int split_parts(const char *s, size_t n, size_t *name_len, const char **tag, size_t *tag_len,
                       img_ref *r, cc_error **err)
{
	const char *at = memchr(s, '@', n);
	size_t rest = n;
	if (at) {
		rest = (size_t)(at - s);
		if (img_digest_parse(at + 1, n - rest - 1, &r->digest, err) < 0)
			return cc_error_wrap(err, "invalid image reference '%.300s'", s);
		r->has_digest = true;
	}
	/* The tag follows the last ':' after the last '/'. */
	const char *slash = memrchr(s, '/', rest);
	const char *from = slash ? slash + 1 : s;
	const char *colon = memchr(from, ':', rest - (size_t)(from - s));
	*tag = NULL;
	*tag_len = 0;
	*name_len = rest;
	if (colon) {
		*tag = colon + 1;
		*tag_len = rest - (size_t)(colon + 1 - s);
		*name_len = (size_t)(colon - s);
		if (!valid_tag(*tag, *tag_len))
			return bad(err, s, "the tag must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'");
	}
	return 0;
}

int img_ref_parse(const char *s, img_ref **ret, cc_error **err)
{
	size_t n = strnlen(s, CC_IMG_MAX_REF_BYTES + 1);
	if (n == 0)
		return cc_error_set(err, -EINVAL, "invalid image reference: empty");
	if (n > CC_IMG_MAX_REF_BYTES)
		return cc_error_set(err, -E2BIG, "invalid image reference: longer than %u bytes",
		                    CC_IMG_MAX_REF_BYTES);
	img_ref *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t name_len = 0, tag_len = 0;
	const char *tag = NULL;
	int rc = split_parts(s, n, &name_len, &tag, &tag_len, r, err);
	if (rc < 0)
		goto fail;
	/* The first component is a domain if it has '.' or ':' or is
	 * "localhost" or has upper case (normalize.go splitDockerDomain). */
	const char *slash = memchr(s, '/', name_len);
	const char *path = s;
	size_t path_len = name_len;
	const char *domain = "docker.io";
	size_t domain_len = 9;
	if (slash) {
		size_t first = (size_t)(slash - s);
		bool is_domain = memchr(s, '.', first) || memchr(s, ':', first) ||
		                 (first == 9 && memcmp(s, "localhost", 9) == 0);
		for (size_t i = 0; i < first && !is_domain; i++)
			is_domain = s[i] >= 'A' && s[i] <= 'Z';
		if (is_domain) {
			if (!valid_domain(s, first)) {
				rc = bad(err, s, "the registry host is not a valid host[:port]");
				goto fail;
			}
			domain = s;
			domain_len = first;
			path = slash + 1;
			path_len = name_len - first - 1;
		}
	}
	if (domain_len == 15 && memcmp(domain, "index.docker.io", 15) == 0)
		domain = "docker.io", domain_len = 9;
	bool library = domain_len == 9 && memcmp(domain, "docker.io", 9) == 0 &&
	               memchr(path, '/', path_len) == NULL;
	/* each path component */
	size_t start = 0;
	for (size_t i = 0; i <= path_len; i++) {
		if (i == path_len || path[i] == '/') {
			if (!valid_path_component(path + start, i - start)) {
				rc = bad(err, s,
				         "repository names are lower-case components of [a-z0-9] "
				         "joined by '.', '_', '__' or '-', separated by '/'");
				goto fail;
			}
			start = i + 1;
		}
	}
	if (domain_len + 1 + path_len + (library ? 8 : 0) > NAME_MAX_LEN) {
		rc = bad(err, s, "the repository name is longer than 255 characters");
		goto fail;
	}
	if (asprintf(&r->domain, "%.*s", (int)domain_len, domain) < 0 ||
	    asprintf(&r->path, "%s%.*s", library ? "library/" : "", (int)path_len, path) < 0 ||
	    (tag && asprintf(&r->tag, "%.*s", (int)tag_len, tag) < 0) || finish(r) < 0) {
		rc = cc_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	*ret = r;
	return 0;
fail:
	img_ref_free(r);
	return rc;
}

img_ref *img_ref_with(const img_ref *r, const char *tag, const img_digest *d)
{
	img_ref *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->domain = strdup(r->domain);
	c->path = strdup(r->path);
	c->tag = tag ? strdup(tag) : NULL;
	if (d) {
		c->has_digest = true;
		c->digest = *d;
	}
	if (c->domain == NULL || c->path == NULL || (tag && c->tag == NULL) || finish(c) < 0) {
		img_ref_free(c);
		return NULL;
	}
	return c;
}

const char *img_ref_domain(const img_ref *r) { return r->domain; }
const char *img_ref_path(const img_ref *r) { return r->path; }
const char *img_ref_tag(const img_ref *r) { return r->tag; }
const img_digest *img_ref_digest(const img_ref *r) { return r->has_digest ? &r->digest : NULL; }
const char *img_ref_name(const img_ref *r) { return r->name; }
const char *img_ref_string(const img_ref *r) { return r->full; }
const char *img_ref_object(const img_ref *r) { return r->object; }

const char *img_ref_api_host(const img_ref *r)
{
	return strcmp(r->domain, "docker.io") == 0 ? "registry-1.docker.io" : r->domain;
}

/* ---- transports ---------------------------------------------------------- */

void img_location_clear(img_location *l)
{
	img_ref_free(l->ref);
	free(l->dir);
	free(l->name);
	memset(l, 0, sizeof(*l));
}

int img_location_parse(const char *s, img_location *ret, cc_error **err)
{
	img_location l = {0};
	if (strncmp(s, "docker://", 9) == 0) {
		l.transport = IMG_TRANSPORT_DOCKER;
		int rc = img_ref_parse(s + 9, &l.ref, err);
		if (rc < 0)
			return rc;
		*ret = l;
		return 0;
	}
	if (strncmp(s, "oci:", 4) == 0) {
		const char *p = s + 4;
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		if (dlen == 0)
			return cc_error_set(err, -EINVAL, "invalid image location '%.300s': no directory after oci:", s);
		l.transport = IMG_TRANSPORT_OCI;
		l.dir = strndup(p, dlen);
		l.name = colon && colon[1] ? strdup(colon + 1) : NULL;
		if (l.dir == NULL || (colon && colon[1] && l.name == NULL)) {
			img_location_clear(&l);
			return cc_error_set(err, -ENOMEM, "out of memory");
		}
		*ret = l;
		return 0;
	}
	return cc_error_set(err, -EINVAL,
	                    "invalid image location '%.300s': expected docker://REFERENCE or oci:DIR[:NAME]", s);
}
