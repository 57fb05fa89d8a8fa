/* libFuzzer target: registry authentication input (lib/image/registry/auth.c,
 * auth.h): what a registry, a token server or an auth file gives us.
 *
 * The first byte b picks, by (b - '0') % 4 (seeds start with a digit):
 *   0 a WWW-Authenticate header value (img_challenges_parse)
 *   1 a token server's JSON answer (img_token_parse)
 *   2 an auth file (containers-auth.json(5)), looked up for several
 *     repository names (img_auth_file_lookup, through a memfd)
 *   3 "USER:PASSWORD" as given to --creds (img_creds_parse)
 * On success:
 *   - challenges: 1 to 16, each scheme a lower-case RFC 7230 token; written
 *     back as quoted parameters they parse again to the same values;
 *   - token: non-empty printable ASCII, expires_in in 1 .. 365 days;
 *   - auth file: a non-empty user without NUL; the same lookup again gives
 *     the same credentials;
 *   - creds: USER ":" PASSWORD is the input, USER non-empty.
 * On failure there is a message (except the auth file's -ENOENT, "no
 * entry") and the outputs are untouched. Seed corpus:
 * fuzz/corpus/www_authenticate/.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "auth.h"
#include "cocoon/limits.h"
#include "fuzz.h"

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_www_authenticate: invariant broken: %s\n", what);
		abort();
	}
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Appends ' key="value"' (value escaped) at *off in buf; false if full. */
static bool put_param(char *buf, size_t cap, size_t *off, const char *key, const char *v)
{
	if (v == NULL)
		return true;
	size_t need = strlen(key) + 4;
	for (const char *p = v; *p; p++)
		need += (*p == '"' || *p == '\\') ? 2 : 1;
	if (need > cap - *off)
		return false;
	*off += (size_t)snprintf(buf + *off, cap - *off, " %s=\"", key);
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf[(*off)++] = '\\';
		buf[(*off)++] = *p;
	}
	buf[(*off)++] = '"';
	return true;
}

/* The challenges written back as a header parse again to the same. */
static void check_rewrite(const img_challenge *c, size_t n)
{
	size_t cap = CC_IMG_MAX_SMALL_BODY, off = 0;
	char *buf = malloc(cap);
	must(buf != NULL, "out of memory");
	bool fits = true;
	for (size_t i = 0; i < n && fits; i++) {
		size_t sn = strlen(c[i].scheme);
		fits = sn + 2 < cap - off;
		if (!fits)
			break;
		off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? ", " : "", c[i].scheme);
		/* one separator before the parameters, then ',' between them */
		fits = put_param(buf, cap, &off, "realm", c[i].realm) &&
		       put_param(buf, cap, &off, ",service", c[i].service) &&
		       put_param(buf, cap, &off, ",scope", c[i].scope);
	}
	if (fits) {
		img_challenge *again = NULL;
		size_t m = 0;
		cc_error *err = NULL;
		if (img_challenges_parse(buf, off, &again, &m, &err) != 0) {
			fprintf(stderr, "%.*s: %s\n", (int)(off < 400 ? off : 400), buf, cc_error_message(err));
			must(false, "rewritten challenges do not parse");
		}
		must(m == n, "rewritten challenges: count");
		for (size_t i = 0; i < n; i++)
			must(strcmp(again[i].scheme, c[i].scheme) == 0 && same_str(again[i].realm, c[i].realm) &&
			         same_str(again[i].service, c[i].service) &&
			         same_str(again[i].scope, c[i].scope),
			     "rewritten challenges: values differ");
		img_challenges_free(again, m);
	}
	free(buf);
}

static void challenges(const uint8_t *p, size_t n)
{
	img_challenge *c = NULL;
	size_t count = 12345;
	cc_error *err = NULL;
	int rc = img_challenges_parse((const char *)p, n, &c, &count, &err);
	if (rc < 0) {
		must(c == NULL && count == 12345 && cc_error_message(err)[0] != '\0',
		     "challenges failure: output or message");
		cc_error_free(err);
		return;
	}
	must(rc == 0 && c != NULL && count >= 1 && count <= 16, "challenge count");
	for (size_t i = 0; i < count; i++) {
		const char *s = c[i].scheme;
		must(s != NULL && s[0] != '\0', "empty scheme");
		for (; *s; s++)
			must(!isupper((unsigned char)*s) && (isalnum((unsigned char)*s) ||
			                                     strchr("!#$%&'*+-.^_`|~", *s) != NULL),
			     "scheme is not a lower-case token");
	}
	check_rewrite(c, count);
	img_challenges_free(c, count);
}

static void token(const uint8_t *p, size_t n)
{
	char *tok = (char *)"untouched";
	long exp = -7;
	cc_error *err = NULL;
	int rc = img_token_parse((const char *)p, n, &tok, &exp, &err);
	if (rc < 0) {
		must(strcmp(tok, "untouched") == 0 && exp == -7 && cc_error_message(err)[0] != '\0',
		     "token failure: output or message");
		cc_error_free(err);
		return;
	}
	must(tok[0] != '\0', "empty token");
	for (const char *s = tok; *s; s++)
		must(*s >= 0x21 && *s <= 0x7e, "token is not printable ASCII");
	must(exp >= 1 && exp < 86400L * 365, "expires_in out of range");
	free(tok);
}

static int memfd = -1;
static char memfd_path[64];

static const char *const names[] = {
    "docker.io/library/busybox",
    "quay.io/kata-containers/confidential-containers",
    "127.0.0.1:5000/ns/sub/repo",
    "registry.example.com:443/a",
    "localhost/x",
};

static void auth_file(const uint8_t *p, size_t n)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz-auth.json", MFD_CLOEXEC);
		must(memfd >= 0, "memfd_create");
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	}
	must(ftruncate(memfd, 0) == 0 && (n == 0 || pwrite(memfd, p, n, 0) == (ssize_t)n),
	     "writing the memfd");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		img_creds c = {(char *)"u", (char *)"p"};
		cc_error *err = NULL;
		int rc = img_auth_file_lookup(memfd_path, names[i], &c, &err);
		if (rc < 0) {
			must(strcmp(c.user, "u") == 0 && strcmp(c.password, "p") == 0,
			     "auth file failure wrote the output");
			must(rc == -ENOENT ? err == NULL : cc_error_message(err)[0] != '\0',
			     "auth file failure: message");
			cc_error_free(err);
			continue;
		}
		must(c.user != NULL && c.user[0] != '\0' && c.password != NULL, "credentials");
		img_creds again = {0};
		must(img_auth_file_lookup(memfd_path, names[i], &again, NULL) == 0 &&
		         strcmp(again.user, c.user) == 0 && strcmp(again.password, c.password) == 0,
		     "a second lookup differs");
		img_creds_clear(&again);
		img_creds_clear(&c);
	}
}

static void creds(const uint8_t *p, size_t n)
{
	char *s = strndup((const char *)p, n);
	if (s == NULL)
		return;
	img_creds c = {(char *)"u", (char *)"p"};
	cc_error *err = NULL;
	if (img_creds_parse(s, &c, &err) < 0) {
		must(strcmp(c.user, "u") == 0 && strcmp(c.password, "p") == 0 &&
		         cc_error_message(err)[0] != '\0',
		     "creds failure: output or message");
		cc_error_free(err);
	} else {
		size_t un = strlen(c.user);
		must(un > 0 && strchr(c.user, ':') == NULL && strncmp(s, c.user, un) == 0 &&
		         s[un] == ':' && strcmp(s + un + 1, c.password) == 0,
		     "creds are not USER:PASSWORD");
		img_creds_clear(&c);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch ((uint8_t)(data[0] - '0') % 4u) {
	case 0:
		challenges(p, n);
		break;
	case 1:
		token(p, n);
		break;
	case 2:
		auth_file(p, n);
		break;
	default:
		creds(p, n);
		break;
	}
	return 0;
}
