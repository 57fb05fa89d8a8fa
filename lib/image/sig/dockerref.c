/* Docker references for the policy code (dockerref.h): a thin layer over
 * lib/image/registry's img_ref, which holds distribution/reference's
 * grammar and normalization. What is added here is only what the policy
 * code needs and img_ref does not do: input of n bytes (hostile text from
 * a signature, checked for NULs and control bytes first), the 64-hex
 * rejection of ParseNormalizedNamed, ParseNamed's canonical-form check,
 * TagNameOnly, and containers/image's policy namespaces. */
#include "dockerref.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "digest.h"
#include "ref.h"
#include "util.h"

struct sig_dockerref {
	img_ref *ref;
	char digest[IMG_DIGEST_STR_MAX]; /* "" when there is none */
};

void sig_dockerref_free(sig_dockerref *r)
{
	if (r == NULL)
		return;
	img_ref_free(r->ref);
	free(r);
}

CC_DEFINE_CLEANUP(sig_dockerref, sig_dockerref_free)

/* Takes ref (freed on failure). */
static sig_dockerref *wrap(img_ref *ref)
{
	sig_dockerref *r = ref ? calloc(1, sizeof(*r)) : NULL;
	if (r == NULL) {
		img_ref_free(ref);
		return NULL;
	}
	r->ref = ref;
	if (img_ref_digest(ref) != NULL)
		img_digest_format(img_ref_digest(ref), r->digest);
	return r;
}

/* reference.anchoredIdentifierRegexp: 64 lower-case hex digits. */
static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Bytes no reference can hold: NUL, controls, non-ASCII. */
static bool has_bad_byte(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return true;
	return false;
}

static int parse(const char *s, size_t n, bool canonical, sig_dockerref **ret, cc_error **err)
{
	char q[SIG_QUOTE_MAX], q2[SIG_QUOTE_MAX];
	sig_quote(s, n, q);
	if (n == 0)
		return cc_error_set(err, -EINVAL, "invalid reference: empty");
	if (n > CC_IMG_MAX_REF_BYTES)
		return cc_error_set(err, -E2BIG, "invalid reference \"%s\": longer than %u bytes", q,
		                    CC_IMG_MAX_REF_BYTES);
	if (has_bad_byte(s, n))
		return cc_error_set(err, -EINVAL, "invalid reference \"%s\": contains a blank, control "
		                                  "or non-ASCII byte",
		                    q);
	if (is_hex64(s, n))
		return cc_error_set(err, -EINVAL,
		                    "invalid reference \"%s\": cannot be a 64-byte hexadecimal string",
		                    q);
	_cleanup_free_ char *z = strndup(s, n);
	if (z == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	img_ref *ref = NULL;
	int k = img_ref_parse(z, &ref, err);
	if (k < 0)
		return k;
	_cleanup_(sig_dockerref_freep) sig_dockerref *r = wrap(ref);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (canonical && strcmp(img_ref_string(r->ref), z) != 0)
		return cc_error_set(err, -EINVAL,
		                    "invalid reference \"%s\": not in canonical form (\"%s\")", q,
		                    sig_quotes(img_ref_string(r->ref), q2));
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
	img_ref *tagged = img_ref_with(r->ref, "latest", NULL);
	if (tagged == NULL)
		return -ENOMEM;
	img_ref_free(r->ref);
	r->ref = tagged;
	return 0;
}

const char *sig_dockerref_name(const sig_dockerref *r)
{
	return img_ref_name(r->ref);
}

const char *sig_dockerref_domain(const sig_dockerref *r)
{
	return img_ref_domain(r->ref);
}

const char *sig_dockerref_path(const sig_dockerref *r)
{
	return img_ref_path(r->ref);
}

const char *sig_dockerref_tag(const sig_dockerref *r)
{
	return img_ref_tag(r->ref);
}

const char *sig_dockerref_digest(const sig_dockerref *r)
{
	return r->digest[0] != '\0' ? r->digest : NULL;
}

const char *sig_dockerref_string(const sig_dockerref *r)
{
	return img_ref_string(r->ref);
}

bool sig_dockerref_name_only(const sig_dockerref *r)
{
	return img_ref_tag(r->ref) == NULL && img_ref_digest(r->ref) == NULL;
}

/* ---- grammar checks, asked of img_ref -------------------------------- */

/* Whether img_ref reads text (NUL-terminated) as a reference without tag or
 * digest whose path is want_path. */
static bool ref_has_path(const char *text, const char *want_path)
{
	img_ref *r = NULL;
	if (img_ref_parse(text, &r, NULL) < 0)
		return false;
	bool ok = img_ref_tag(r) == NULL && img_ref_digest(r) == NULL &&
	          strcmp(img_ref_path(r), want_path) == 0;
	img_ref_free(r);
	return ok;
}

/* host[:port]: "<s>/x/y" must keep s as its domain. A first component is
 * only read as a domain when it has a '.' or ':' (or is localhost), so a
 * single label is asked about as "<s>:1". */
bool sig_dockerref_domain_ok(const char *s, size_t n)
{
	if (n == 0 || n > CC_IMG_MAX_REF_BYTES || has_bad_byte(s, n) || memchr(s, '/', n) ||
	    memchr(s, '@', n))
		return false;
	char *text = NULL;
	bool port = memchr(s, ':', n) != NULL;
	if (asprintf(&text, "%.*s%s/x/y", (int)n, s, port ? "" : ":1") < 0)
		return false;
	bool ok = ref_has_path(text, "x/y");
	free(text);
	return ok;
}

/* Repository path components: "x.y/<s>" must have s as its path. */
bool sig_dockerref_path_ok(const char *s, size_t n)
{
	if (n == 0 || n > CC_IMG_MAX_REF_BYTES || has_bad_byte(s, n))
		return false;
	char *text = NULL;
	if (asprintf(&text, "x.y/%.*s", (int)n, s) < 0)
		return false;
	bool ok = ref_has_path(text, text + 4);
	free(text);
	return ok;
}

/* ---- policy namespaces ------------------------------------------------ */

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
	const char *name = img_ref_name(r->ref);
	size_t n = 0, len = strlen(name);
	/* the name and its parents, up to the domain */
	for (;;) {
		if (strv_push(&v, &n, strndup(name, len)) < 0)
			return -ENOMEM;
		const char *slash = memrchr(name, '/', len);
		if (slash == NULL)
			break;
		len = (size_t)(slash - name);
	}
	/* "*.parent" wildcards of the domain without a port */
	const char *colon = memchr(name, ':', len);
	if (colon != NULL)
		len = (size_t)(colon - name);
	const char *p = name, *end = name + len;
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
