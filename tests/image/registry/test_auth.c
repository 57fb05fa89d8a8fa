/* Unit tests for auth challenges, token answers and auth files (auth.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"

static void test_challenges(void **state)
{
	(void)state;
	img_challenge *c = NULL;
	size_t n = 0;
	const char *h = "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	                "scope=\"repository:library/busybox:pull\"";
	assert_int_equal(img_challenges_parse(h, strlen(h), &c, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].scheme, "bearer");
	assert_string_equal(c[0].realm, "https://auth.docker.io/token");
	assert_string_equal(c[0].service, "registry.docker.io");
	assert_string_equal(c[0].scope, "repository:library/busybox:pull");
	img_challenges_free(c, n);

	/* two challenges, tokens and quoted-pairs, odd spacing */
	h = "Basic realm=\"Registry \\\"x\\\" Realm\" , Bearer realm=https://t/x ,service = svc";
	assert_int_equal(img_challenges_parse(h, strlen(h), &c, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].scheme, "basic");
	assert_string_equal(c[0].realm, "Registry \"x\" Realm");
	assert_string_equal(c[1].scheme, "bearer");
	assert_string_equal(c[1].realm, "https://t/x");
	assert_string_equal(c[1].service, "svc");
	img_challenges_free(c, n);

	/* token68 */
	h = "Negotiate abc==";
	assert_int_equal(img_challenges_parse(h, strlen(h), &c, &n, NULL), 0);
	img_challenges_free(c, n);

	static const struct {
		const char *h, *msg;
	} bad[] = {
	    {"", "WWW-Authenticate: no challenge"},
	    {"Bearer realm=\"unterminated", "WWW-Authenticate: unterminated quoted string at offset 13"},
	    {"=x", "WWW-Authenticate: expected a scheme at offset 0"},
	    {"Bearer realm=\"a\nb\"", "WWW-Authenticate: control character at offset 15"},
	    {"Bearer realm=x, ;", "WWW-Authenticate: unexpected character at offset 16"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cc_error *err = NULL;
		c = NULL;
		assert_true(img_challenges_parse(bad[i].h, strlen(bad[i].h), &c, &n, &err) < 0);
		assert_null(c);
		assert_string_equal(cc_error_message(err), bad[i].msg);
		cc_error_free(err);
	}
	/* an embedded NUL is an error, not the end */
	assert_true(img_challenges_parse("Bearer realm=\"a\0\"", 17, &c, &n, NULL) < 0);
}

static void test_token(void **state)
{
	(void)state;
	char *tok = NULL;
	long exp = 0;
	const char *b = "{\"token\":\"abc.def\",\"expires_in\":300}";
	assert_int_equal(img_token_parse(b, strlen(b), &tok, &exp, NULL), 0);
	assert_string_equal(tok, "abc.def");
	assert_int_equal(exp, 300);
	free(tok);
	b = "{\"access_token\":\"zz\"}";
	assert_int_equal(img_token_parse(b, strlen(b), &tok, &exp, NULL), 0);
	assert_string_equal(tok, "zz");
	assert_int_equal(exp, 60);
	free(tok);
	cc_error *err = NULL;
	b = "{\"token\":\"a b\"}";
	assert_true(img_token_parse(b, strlen(b), &tok, &exp, &err) < 0);
	assert_string_equal(cc_error_message(err), "token server answer: the token has a non-printable byte");
	cc_error_free(err);
	err = NULL;
	b = "{\"token\":\"\"}";
	assert_true(img_token_parse(b, strlen(b), &tok, &exp, &err) < 0);
	assert_string_equal(cc_error_message(err), "token server answer: no \"token\" or \"access_token\"");
	cc_error_free(err);
}

static char *write_tmp(const char *content)
{
	char *path = strdup("/tmp/cocoon-auth-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void test_auth_file(void **state)
{
	(void)state;
	/* dXNlcjpwYXNz = user:pass, b3RoZXI6cHc6Ng== = other:pw:6, bnM6bnNwdw== = ns:nspw,
	 * dXJsOnU= = url:u */
	char *p = write_tmp("{\"auths\":{"
	                    "\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjpwYXNz\"},"
	                    "\"quay.io\":{\"auth\":\"b3RoZXI6cHc6Ng==\"},"
	                    "\"quay.io/ns\":{\"auth\":\"bnM6bnNwdw==\"},"
	                    "\"https://ghcr.io/some/ns\":{\"auth\":\"dXJsOnU=\"},"
	                    "\"bad.io\":{\"auth\":\"%%%\"}}}");
	img_creds c = {0};
	assert_int_equal(img_auth_file_lookup(p, "docker.io/library/busybox", &c, NULL), 0);
	assert_string_equal(c.user, "user");
	assert_string_equal(c.password, "pass");
	img_creds_clear(&c);
	assert_int_equal(img_auth_file_lookup(p, "quay.io/other/x", &c, NULL), 0);
	assert_string_equal(c.user, "other");
	assert_string_equal(c.password, "pw:6");
	img_creds_clear(&c);
	/* the longest namespace wins */
	assert_int_equal(img_auth_file_lookup(p, "quay.io/ns/x", &c, NULL), 0);
	assert_string_equal(c.user, "ns");
	img_creds_clear(&c);
	/* a key with a scheme names the whole registry, path or not */
	assert_int_equal(img_auth_file_lookup(p, "ghcr.io/any/repo", &c, NULL), 0);
	assert_string_equal(c.user, "url");
	img_creds_clear(&c);
	/* a prefix of a component does not match */
	assert_int_equal(img_auth_file_lookup(p, "quay.iox/a", &c, NULL), -ENOENT);
	cc_error *err = NULL;
	assert_int_equal(img_auth_file_lookup(p, "bad.io/a", &c, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "\"auth\" is not valid base64"));
	cc_error_free(err);
	unlink(p);
	free(p);

	p = write_tmp("{\"auths\":{\"a\":{},\"a\":{}}}");
	err = NULL;
	assert_true(img_auth_file_lookup(p, "a/b", &c, &err) < 0);
	cc_error_free(err);
	unlink(p);
	free(p);

	assert_int_equal(img_creds_parse("u:p:q", &c, NULL), 0);
	assert_string_equal(c.password, "p:q");
	img_creds_clear(&c);
	assert_true(img_creds_parse("nocolon", &c, NULL) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_challenges),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_auth_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
