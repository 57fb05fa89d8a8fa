/* Docker references (dockerref.h): distribution/reference's grammar
 * (regexp.go) and normalization (normalize.go), written as a scanner over
 * (s, n) instead of regular expressions. */
#include "dockerref.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "digest.h"
#include "util.h"

/* distribution/reference NameTotalLengthMax */
#define NAME_MAX_LEN 255u
/* the tag grammar [\w][\w.-]{0,127} */
#define TAG_MAX_LEN 128u

struct sig_dockerref {
	char *domain;
	char *name; /* domain "/" path */
	char *tag;
	char *digest;
	char *str;
};

void sig_dockerref_free(sig_dockerref *r)
{
	if (r == NULL)
		return;
	free(r->domain);
	free(r->name);
	free(r->tag);
	free(r->digest);
	free(r->str);
	free(r);
}

CC_DEFINE_CLEANUP(sig_dockerref, sig_dockerref_free)

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

/* One path component: [a-z0-9]+ ((?:[._]|__|[-]+)[a-z0-9]+)*. */
static bool path_component_ok(const char *s, size_t n)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return false;
		if (i == n)
			return true;
		if (s[i] == '.' || (s[i] == '_' && (i + 1 >= n || s[i + 1] != '_')))
			i++;
		else if (s[i] == '_')
			i += 2;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
	}
}

/* The path: components separated by '/'. */
bool sig_dockerref_path_ok(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (!path_component_ok(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

/* A domain name component: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]. */
static bool domain_component_ok(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* host [":" port]: host a dotted domain name or "[" IPv6 chars "]". */
bool sig_dockerref_domain_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (n > 0 && s[0] == '[') {
		i = 1;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		                 (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':'))
			i++;
		if (i == 1 || i >= n || s[i] != ']')
			return false;
		i++;
	} else {
		size_t start = 0;
		while (i <= n) {
			if (i < n && s[i] != '.' && s[i] != ':') {
				i++;
				continue;
			}
			if (!domain_component_ok(s + start, i - start))
				return false;
			if (i == n || s[i] == ':')
				break;
			start = ++i;
		}
	}
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool tag_ok(const char *s, size_t n)
{
	if (n == 0 || n > TAG_MAX_LEN || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

/* splitDockerDomain: the domain and the remainder of s. */
static void split_domain(const char *s, size_t n, const char **dom, size_t *dom_len,
                         const char **rem, size_t *rem_len)
{
	const char *slash = memchr(s, '/', n);
	size_t first = slash ? (size_t)(slash - s) : n;
	bool is_domain = slash != NULL && (memchr(s, '.', first) != NULL ||
	                                   memchr(s, ':', first) != NULL ||
	                                   (first == 9 && memcmp(s, "localhost", 9) == 0) ||
	                                   has_upper(s, first));
	if (!is_domain) {
		*dom = "docker.io";
		*dom_len = 9;
		*rem = s;
		*rem_len = n;
		return;
	}
	*dom = s;
	*dom_len = first;
	*rem = s + first + 1;
	*rem_len = n - first - 1;
	if (first == 15 && memcmp(s, "index.docker.io", 15) == 0) {
		*dom = "docker.io";
		*dom_len = 9;
	}
}

/* Fills r->str = name[:tag][@digest]. */
static int build_string(sig_dockerref *r)
{
	char *s = NULL;
	if (asprintf(&s, "%s%s%s%s%s", r->name, r->tag ? ":" : "", r->tag ? r->tag : "",
	             r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
		return -ENOMEM;
	free(r->str);
	r->str = s;
	return 0;
}

/* Parses the remainder rem (path[:tag][@digest]) on domain dom into r. */
static int parse_rest(sig_dockerref *r, const char *dom, size_t dom_len, const char *rem,
                      size_t rem_len, bool library, const char *q, cc_error **err)
{
	const char *at = memchr(rem, '@', rem_len);
	size_t before = at ? (size_t)(at - rem) : rem_len;
	const char *colon = memchr(rem, ':', before);
	size_t path_len = colon ? (size_t)(colon - rem) : before;
	if (!sig_dockerref_domain_ok(dom, dom_len))
		return cc_error_set(err, -EINVAL, "invalid reference \"%s\": invalid domain", q);
	if (!sig_dockerref_path_ok(rem, path_len))
		return cc_error_set(err, -EINVAL, "invalid reference \"%s\": invalid repository path",
		                    q);
	if (colon && !tag_ok(colon + 1, before - path_len - 1))
		return cc_error_set(err, -EINVAL, "invalid reference \"%s\": invalid tag", q);
	if (at) {
		img_digest d;
		cc_error *derr = NULL;
		int k = img_digest_parse(at + 1, rem_len - before - 1, &d, &derr);
		if (k < 0) {
			k = cc_error_set(err, -EINVAL, "invalid reference \"%s\": %s", q,
			                 cc_error_message(derr));
			cc_error_free(derr);
			return k;
		}
		if ((r->digest = strndup(at + 1, rem_len - before - 1)) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (colon && (r->tag = strndup(colon + 1, before - path_len - 1)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (asprintf(&r->name, "%.*s/%s%.*s", (int)dom_len, dom, library ? "library/" : "",
	             (int)path_len, rem) < 0) {
		r->name = NULL;
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (strlen(r->name) > NAME_MAX_LEN)
		return cc_error_set(err, -EINVAL,
		                    "invalid reference \"%s\": repository name longer than %u bytes", q,
		                    NAME_MAX_LEN);
	if ((r->domain = strndup(dom, dom_len)) == NULL || build_string(r) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int parse(const char *s, size_t n, bool canonical, sig_dockerref **ret, cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	sig_quote(s, n, q);
	if (n == 0)
		return cc_error_set(err, -EINVAL, "invalid reference: empty");
	if (n > CC_IMG_MAX_REF_BYTES)
		return cc_error_set(err, -E2BIG, "invalid reference \"%s\": longer than %u bytes", q,
		                    CC_IMG_MAX_REF_BYTES);
	if (memchr(s, '\0', n) != NULL)
		return cc_error_set(err, -EINVAL, "invalid reference \"%s\": contains a NUL byte", q);
	if (is_hex64(s, n))
		return cc_error_set(err, -EINVAL,
		                    "invalid reference \"%s\": cannot be a 64-byte hexadecimal string",
		                    q);
	const char *dom, *rem;
	size_t dom_len, rem_len;
	split_domain(s, n, &dom, &dom_len, &rem, &rem_len);
	const char *colon = memchr(rem, ':', rem_len);
	if (has_upper(rem, colon ? (size_t)(colon - rem) : rem_len))
		return cc_error_set(err, -EINVAL,
		                    "invalid reference \"%s\": repository name must be lowercase", q);
	bool library = dom_len == 9 && memcmp(dom, "docker.io", 9) == 0 &&
	               memchr(rem, '/', rem_len) == NULL;
	_cleanup_(sig_dockerref_freep) sig_dockerref *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int k = parse_rest(r, dom, dom_len, rem, rem_len, library, q, err);
	if (k < 0)
		return k;
	char q2[SIG_QUOTE_MAX];
	if (canonical && (strlen(r->str) != n || memcmp(r->str, s, n) != 0))
		return cc_error_set(err, -EINVAL,
		                    "invalid reference \"%s\": not in canonical form (\"%s\")", q,
		                    sig_quotes(r->str, q2));
	*ret = TAKE_PTR(r);
	return 0;
}

int sig_dockerref_parse(const char *s, size_t n, sig_dockerref **ret, cc_error **err)
{
	return parse(s, n, false, ret, err);
}

int sig_dockerref_parse_canonical(const char *s, size_t n, sig_dockerref **ret, cc_error **err)
{
	return parse(s, n, true, ret, err);
}

int sig_dockerref_tag_name_only(sig_dockerref *r)
{
	if (!sig_dockerref_name_only(r))
		return 0;
	r->tag = strdup("latest");
	if (r->tag == NULL || build_string(r) < 0) {
		free(r->tag);
		r->tag = NULL;
		return -ENOMEM;
	}
	return 0;
}

const char *sig_dockerref_name(const sig_dockerref *r)
{
	return r->name;
}

const char *sig_dockerref_domain(const sig_dockerref *r)
{
	return r->domain;
}

const char *sig_dockerref_path(const sig_dockerref *r)
{
	return r->name + strlen(r->domain) + 1;
}

const char *sig_dockerref_tag(const sig_dockerref *r)
{
	return r->tag;
}

const char *sig_dockerref_digest(const sig_dockerref *r)
{
	return r->digest;
}

const char *sig_dockerref_string(const sig_dockerref *r)
{
	return r->str;
}

bool sig_dockerref_name_only(const sig_dockerref *r)
{
	return r->tag == NULL && r->digest == NULL;
}

void sig_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

CC_DEFINE_CLEANUP(char *, sig_strv_free)

static int strv_push(char ***v, size_t *n, char *s)
{
	if (s == NULL)
		return -ENOMEM;
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (nv == NULL) {
		free(s);
		return -ENOMEM;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

int sig_dockerref_namespaces(const sig_dockerref *r, char ***ret)
{
	_cleanup_(sig_strv_freep) char **v = NULL;
	size_t n = 0, len = strlen(r->name);
	/* the name and its parents, up to the domain */
	for (;;) {
		if (strv_push(&v, &n, strndup(r->name, len)) < 0)
			return -ENOMEM;
		const char *slash = memrchr(r->name, '/', len);
		if (slash == NULL)
			break;
		len = (size_t)(slash - r->name);
	}
	/* "*.parent" wildcards of the domain without a port */
	const char *colon = memchr(r->name, ':', len);
	if (colon != NULL)
		len = (size_t)(colon - r->name);
	const char *p = r->name, *end = r->name + len;
	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		if (dot == NULL)
			break;
		p = dot + 1;
		char *w = NULL;
		if (asprintf(&w, "*.%.*s", (int)(end - p), p) < 0)
			return -ENOMEM;
		if (strv_push(&v, &n, w) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(v);
	return 0;
}
