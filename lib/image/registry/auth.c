/* Registry authentication pieces (auth.h). */
#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cocoon/limits.h"

/* ---- challenges ----------------------------------------------------------- */

/* RFC 7230 tchar */
static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

struct cursor {
	const char *s;
	size_t n, off;
};

static void skip_ws(struct cursor *c)
{
	while (c->off < c->n && (c->s[c->off] == ' ' || c->s[c->off] == '\t'))
		c->off++;
}

static size_t token_len(const struct cursor *c)
{
	size_t i = c->off;
	while (i < c->n && is_tchar(c->s[i]))
		i++;
	return i - c->off;
}

/* quoted-string at c->off (on the '"'): unescaped copy into *out. */
static int quoted(struct cursor *c, char **out, cc_error **err)
{
	size_t i = c->off + 1, o = 0;
	char *buf = malloc(c->n - c->off + 1);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	while (i < c->n && c->s[i] != '"') {
		if (c->s[i] == '\\' && i + 1 < c->n)
			i++;
		if (c->s[i] == '\0' || c->s[i] == '\r' || c->s[i] == '\n') {
			free(buf);
			return cc_error_set(err, -EINVAL, "WWW-Authenticate: control character at offset %zu", i);
		}
		buf[o++] = c->s[i++];
	}
	if (i >= c->n) {
		free(buf);
		return cc_error_set(err, -EINVAL, "WWW-Authenticate: unterminated quoted string at offset %zu", c->off);
	}
	buf[o] = '\0';
	c->off = i + 1;
	*out = buf;
	return 0;
}

static void set_param(img_challenge *ch, const char *k, size_t kn, char *v)
{
	char **slot = NULL;
	if (kn == 5 && strncasecmp(k, "realm", 5) == 0)
		slot = &ch->realm;
	else if (kn == 7 && strncasecmp(k, "service", 7) == 0)
		slot = &ch->service;
	else if (kn == 5 && strncasecmp(k, "scope", 5) == 0)
		slot = &ch->scope;
	if (slot && *slot == NULL) {
		*slot = v;
		return;
	}
	free(v); /* unknown or repeated parameter: the first wins */
}

/* After the scheme: auth-params until the next challenge or the end. */
static int parse_params(struct cursor *c, img_challenge *ch, cc_error **err)
{
	for (;;) {
		skip_ws(c);
		while (c->off < c->n && c->s[c->off] == ',') {
			c->off++;
			skip_ws(c);
		}
		if (c->off >= c->n)
			return 0;
		size_t kstart = c->off, kn = token_len(c);
		if (kn == 0)
			return cc_error_set(err, -EINVAL, "WWW-Authenticate: unexpected character at offset %zu", c->off);
		size_t save = c->off;
		c->off += kn;
		skip_ws(c);
		if (c->off >= c->n || c->s[c->off] != '=') {
			c->off = save; /* a token without '=': the next challenge's scheme */
			return 0;
		}
		c->off++;
		skip_ws(c);
		char *v = NULL;
		if (c->off < c->n && c->s[c->off] == '"') {
			int rc = quoted(c, &v, err);
			if (rc < 0)
				return rc;
		} else {
			/* unquoted: up to the next ',' or blank (servers write URLs
			 * here, which are not RFC 7230 tokens) */
			size_t vn = 0;
			while (c->off + vn < c->n) {
				unsigned char b = (unsigned char)c->s[c->off + vn];
				if (b == ',' || b == ' ' || b == '\t')
					break;
				if (b < 0x21 || b > 0x7e)
					return cc_error_set(err, -EINVAL, "WWW-Authenticate: control character at offset %zu",
					                    c->off + vn);
				vn++;
			}
			v = strndup(c->s + c->off, vn);
			if (v == NULL)
				return cc_error_set(err, -ENOMEM, "out of memory");
			c->off += vn;
		}
		set_param(ch, c->s + kstart, kn, v);
	}
}

void img_challenges_free(img_challenge *c, size_t count)
{
	for (size_t i = 0; c && i < count; i++) {
		free(c[i].scheme);
		free(c[i].realm);
		free(c[i].service);
		free(c[i].scope);
	}
	free(c);
}

int img_challenges_parse(const char *hdr, size_t n, img_challenge **ret, size_t *count,
                         cc_error **err)
{
	struct cursor c = {hdr, n, 0};
	img_challenge *list = NULL;
	size_t len = 0;
	int rc = 0;
	if (n > CC_IMG_MAX_SMALL_BODY)
		return cc_error_set(err, -E2BIG, "WWW-Authenticate: header too long");
	for (;;) {
		skip_ws(&c);
		while (c.off < c.n && c.s[c.off] == ',') {
			c.off++;
			skip_ws(&c);
		}
		if (c.off >= c.n)
			break;
		size_t sn = token_len(&c);
		if (sn == 0) {
			rc = cc_error_set(err, -EINVAL, "WWW-Authenticate: expected a scheme at offset %zu", c.off);
			goto fail;
		}
		img_challenge *grown = realloc(list, (len + 1) * sizeof(*list));
		if (grown == NULL) {
			rc = cc_error_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		list = grown;
		memset(&list[len], 0, sizeof(list[len]));
		list[len].scheme = strndup(c.s + c.off, sn);
		len++;
		if (list[len - 1].scheme == NULL) {
			rc = cc_error_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		for (char *p = list[len - 1].scheme; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		c.off += sn;
		if ((rc = parse_params(&c, &list[len - 1], err)) < 0)
			goto fail;
		if (len > 16) {
			rc = cc_error_set(err, -E2BIG, "WWW-Authenticate: more than 16 challenges");
			goto fail;
		}
	}
	if (len == 0) {
		rc = cc_error_set(err, -EINVAL, "WWW-Authenticate: no challenge");
		goto fail;
	}
	*ret = list;
	*count = len;
	return 0;
fail:
	img_challenges_free(list, len);
	return rc;
}

/* ---- token answers --------------------------------------------------------- */

int img_token_parse(const char *body, size_t n, char **ret_token, long *ret_expires_in,
                    cc_error **err)
{
	json_error_t je;
	json_t *root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		return cc_error_set(err, -EINVAL, "token server answer: not a JSON object");
	}
	json_t *t = json_object_get(root, "token");
	if (!json_is_string(t) || json_string_length(t) == 0)
		t = json_object_get(root, "access_token");
	if (!json_is_string(t) || json_string_length(t) == 0) {
		json_decref(root);
		return cc_error_set(err, -EINVAL, "token server answer: no \"token\" or \"access_token\"");
	}
	const char *tv = json_string_value(t);
	size_t tn = json_string_length(t);
	for (size_t i = 0; i < tn; i++) {
		if (tv[i] < 0x21 || tv[i] > 0x7e) {
			json_decref(root);
			return cc_error_set(err, -EINVAL, "token server answer: the token has a non-printable byte");
		}
	}
	long expires = 60;
	json_t *e = json_object_get(root, "expires_in");
	if (json_is_integer(e) && json_integer_value(e) > 0 && json_integer_value(e) < 86400 * 365)
		expires = (long)json_integer_value(e);
	char *tok = strndup(tv, tn);
	json_decref(root);
	if (tok == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret_token = tok;
	*ret_expires_in = expires;
	return 0;
}

/* ---- credentials ----------------------------------------------------------- */

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void img_creds_clear(img_creds *c)
{
	wipe_free(c->user);
	wipe_free(c->password);
	c->user = c->password = NULL;
}

static int split_creds(const char *s, size_t n, img_creds *ret, cc_error **err, const char *what)
{
	const char *colon = memchr(s, ':', n);
	if (colon == NULL || colon == s)
		return cc_error_set(err, -EINVAL, "%s: expected USER:PASSWORD", what);
	if (memchr(s, '\0', n))
		return cc_error_set(err, -EINVAL, "%s: NUL byte in credentials", what);
	img_creds c = {strndup(s, (size_t)(colon - s)), strndup(colon + 1, n - (size_t)(colon - s) - 1)};
	if (c.user == NULL || c.password == NULL) {
		img_creds_clear(&c);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = c;
	return 0;
}

int img_creds_parse(const char *s, img_creds *ret, cc_error **err)
{
	return split_creds(s, strlen(s), ret, err, "credentials");
}

/* Normalizes an auth file key: a key with a scheme is a URL and names the
 * whole registry (its path is dropped, as containers/image's
 * normalizeAuthFileKey does); otherwise a trailing "/" and the legacy "/v1"
 * or "/v2" path are dropped. index.docker.io and registry-1.docker.io
 * become docker.io. */
static char *normalize_key(const char *k)
{
	bool url = true;
	if (strncmp(k, "https://", 8) == 0)
		k += 8;
	else if (strncmp(k, "http://", 7) == 0)
		k += 7;
	else
		url = false;
	char *s = strdup(k);
	if (s == NULL)
		return NULL;
	if (url)
		s[strcspn(s, "/")] = '\0';
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	if (n >= 3 && (strcmp(s + n - 3, "/v1") == 0 || strcmp(s + n - 3, "/v2") == 0))
		s[n -= 3] = '\0';
	if (strncmp(s, "index.docker.io", 15) == 0 && (s[15] == '\0' || s[15] == '/')) {
		memmove(s, s + 6, n - 6 + 1); /* "index." dropped */
	} else if (strncmp(s, "registry-1.docker.io", 20) == 0 && (s[20] == '\0' || s[20] == '/')) {
		memmove(s, s + 11, n - 11 + 1);
	}
	return s;
}

/* True if key names name's registry or a namespace containing it. */
static bool key_matches(const char *key, const char *name)
{
	size_t kn = strlen(key);
	return strncmp(name, key, kn) == 0 && (name[kn] == '\0' || name[kn] == '/');
}

static int decode_auth(const char *b64, size_t n, img_creds *ret, cc_error **err)
{
	if (n > 64 * 1024)
		return cc_error_set(err, -E2BIG, "auth file: \"auth\" value too long");
	unsigned char *out = malloc(n / 4 * 3 + 4);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (len < 0 || n % 4 != 0) {
		free(out);
		return cc_error_set(err, -EINVAL, "auth file: \"auth\" is not valid base64");
	}
	/* EVP_DecodeBlock keeps the padding bytes as zeros: drop them. */
	if (n >= 1 && b64[n - 1] == '=')
		len--;
	if (n >= 2 && b64[n - 2] == '=')
		len--;
	int rc = split_creds((const char *)out, (size_t)len, ret, err, "auth file: \"auth\"");
	OPENSSL_cleanse(out, n / 4 * 3 + 4);
	free(out);
	return rc;
}

int img_auth_file_lookup(const char *path, const char *name, img_creds *ret, cc_error **err)
{
	/* A missing file means no credentials, as in containers/image. */
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return -ENOENT;
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return cc_error_set(err, -EINVAL, "auth file %s: %s (line %d)", path, je.text, je.line);
	json_t *auths = json_object_get(root, "auths");
	const char *best_key = NULL;
	size_t best_len = 0;
	json_t *best = NULL;
	const char *k;
	json_t *v;
	if (auths && !json_is_object(auths)) {
		json_decref(root);
		return cc_error_set(err, -EINVAL, "auth file %s: \"auths\" is not an object", path);
	}
	json_object_foreach(auths, k, v)
	{
		char *nk = normalize_key(k);
		if (nk == NULL) {
			json_decref(root);
			return cc_error_set(err, -ENOMEM, "out of memory");
		}
		size_t nl = strlen(nk);
		if (key_matches(nk, name) && (best == NULL || nl > best_len)) {
			best = v;
			best_key = k;
			best_len = nl;
		}
		free(nk);
	}
	int rc = -ENOENT;
	if (best) {
		json_t *a = json_object_get(best, "auth");
		if (!json_is_string(a))
			rc = cc_error_set(err, -EINVAL, "auth file %s: entry \"%.200s\" has no \"auth\" string",
			                  path, best_key);
		else if ((rc = decode_auth(json_string_value(a), json_string_length(a), ret, err)) < 0)
			cc_error_wrap(err, "auth file %s, entry \"%.200s\"", path, best_key);
	}
	json_decref(root);
	return rc;
}

char *img_auth_file_default(void)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	if (env && *env)
		return strdup(env);
	char *p = NULL;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg && asprintf(&p, "%s/containers/auth.json", xdg) >= 0) {
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	const char *home = getenv("HOME");
	if (home && *home && asprintf(&p, "%s/.docker/config.json", home) >= 0) {
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}
