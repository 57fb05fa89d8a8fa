/* Docker reference parsing and normalization (lib/image/sig/dockerref.c),
 * against the behaviour of distribution/reference's ParseNormalizedNamed
 * and ParseNamed and containers/image's policy namespaces. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dockerref.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_normalize(void **state)
{
	(void)state;
	static const struct {
		const char *in, *str, *domain, *path, *tag, *digest;
	} ok[] = {
	    {"busybox", "docker.io/library/busybox", "docker.io", "library/busybox", NULL, NULL},
	    {"busybox:1.36", "docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36",
	     NULL},
	    {"library/busybox", "docker.io/library/busybox", "docker.io", "library/busybox", NULL,
	     NULL},
	    {"docker.io/busybox", "docker.io/library/busybox", "docker.io", "library/busybox", NULL,
	     NULL},
	    {"index.docker.io/foo/bar", "docker.io/foo/bar", "docker.io", "foo/bar", NULL, NULL},
	    {"foo/bar/baz", "docker.io/foo/bar/baz", "docker.io", "foo/bar/baz", NULL, NULL},
	    {"quay.io/ali_os_security/alpine:latest", "quay.io/ali_os_security/alpine:latest",
	     "quay.io", "ali_os_security/alpine", "latest", NULL},
	    {"localhost/x", "localhost/x", "localhost", "x", NULL, NULL},
	    {"localhost:5000/a/b:T_1.x-y", "localhost:5000/a/b:T_1.x-y", "localhost:5000", "a/b",
	     "T_1.x-y", NULL},
	    {"127.0.0.1:5000/test/img@sha256:" H64, "127.0.0.1:5000/test/img@sha256:" H64,
	     "127.0.0.1:5000", "test/img", NULL, "sha256:" H64},
	    {"[::1]:5000/x:y", "[::1]:5000/x:y", "[::1]:5000", "x", "y", NULL},
	    {"Example.com/x", "Example.com/x", "Example.com", "x", NULL, NULL},
	    {"a.b/c-d__e.f/g---h", "a.b/c-d__e.f/g---h", "a.b", "c-d__e.f/g---h", NULL, NULL},
	    {"x:tag@sha256:" H64, "docker.io/library/x:tag@sha256:" H64, "docker.io", "library/x",
	     "tag", "sha256:" H64},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		sig_dockerref *r = NULL;
		cc_error *err = NULL;
		int k = sig_dockerref_parse(ok[i].in, strlen(ok[i].in), &r, &err);
		if (k != 0)
			fail_msg("%s: %s", ok[i].in, cc_error_message(err));
		assert_string_equal(sig_dockerref_string(r), ok[i].str);
		assert_string_equal(sig_dockerref_domain(r), ok[i].domain);
		assert_string_equal(sig_dockerref_path(r), ok[i].path);
		if (ok[i].tag)
			assert_string_equal(sig_dockerref_tag(r), ok[i].tag);
		else
			assert_null(sig_dockerref_tag(r));
		if (ok[i].digest)
			assert_string_equal(sig_dockerref_digest(r), ok[i].digest);
		else
			assert_null(sig_dockerref_digest(r));
		sig_dockerref_free(r);
	}
}

static void test_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {"", "invalid reference: empty"},
	    {H64, "invalid reference \"" H64 "\": cannot be a 64-byte hexadecimal string"},
	    {"Busybox", "invalid reference \"Busybox\": repository name must be lowercase"},
	    {"docker.io/Foo", "invalid reference \"docker.io/Foo\": repository name must be lowercase"},
	    {"a..b/c", "invalid reference \"a..b/c\": invalid domain"},
	    {"-a.b/c", "invalid reference \"-a.b/c\": invalid domain"},
	    {"a.b:/c", "invalid reference \"a.b:/c\": invalid domain"},
	    {"a.b:80x/c", "invalid reference \"a.b:80x/c\": invalid domain"},
	    {"foo//bar", "invalid reference \"foo//bar\": invalid repository path"},
	    {"foo/", "invalid reference \"foo/\": invalid repository path"},
	    {"foo___bar", "invalid reference \"foo___bar\": invalid repository path"},
	    {"foo.-bar", "invalid reference \"foo.-bar\": invalid repository path"},
	    {"foo:", "invalid reference \"foo:\": invalid tag"},
	    {"foo:.x", "invalid reference \"foo:.x\": invalid tag"},
	    {"foo:a b", "invalid reference \"foo:a b\": invalid tag"},
	    {"foo@sha256:abc",
	     "invalid reference \"foo@sha256:abc\": invalid sha256 digest: 3 hex digits, expected 64"},
	    {"foo@md5:" H64, "invalid reference \"foo@md5:" H64
	                     "\": unsupported digest algorithm 'md5'"},
	    {"foo\x01", "invalid reference \"foo\\x01\": invalid repository path"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sig_dockerref *r = (sig_dockerref *)(uintptr_t)1;
		cc_error *err = NULL;
		assert_int_equal(sig_dockerref_parse(bad[i].in, strlen(bad[i].in), &r, &err), -EINVAL);
		assert_string_equal(cc_error_message(err), bad[i].msg);
		assert_ptr_equal(r, (sig_dockerref *)(uintptr_t)1); /* untouched */
		cc_error_free(err);
	}
	/* NUL bytes and the name length cap (255) */
	sig_dockerref *r = NULL;
	assert_int_equal(sig_dockerref_parse("a\0b", 3, &r, NULL), -EINVAL);
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name));
	long_name[3] = '/';
	assert_int_equal(sig_dockerref_parse(long_name, 245, &r, NULL), 0); /* 10 + 245 */
	sig_dockerref_free(r);
	assert_int_equal(sig_dockerref_parse(long_name, 246, &r, NULL), -EINVAL);
}

static void test_canonical_and_latest(void **state)
{
	(void)state;
	sig_dockerref *r = NULL;
	cc_error *err = NULL;
	assert_int_equal(sig_dockerref_parse_canonical("busybox", 7, &r, &err), -EINVAL);
	assert_string_equal(cc_error_message(err), "invalid reference \"busybox\": not in canonical "
	                                           "form (\"docker.io/library/busybox\")");
	cc_error_free(err);
	const char *c = "docker.io/library/busybox";
	assert_int_equal(sig_dockerref_parse_canonical(c, strlen(c), &r, NULL), 0);
	assert_true(sig_dockerref_name_only(r));
	assert_int_equal(sig_dockerref_tag_name_only(r), 0);
	assert_string_equal(sig_dockerref_string(r), "docker.io/library/busybox:latest");
	assert_false(sig_dockerref_name_only(r));
	sig_dockerref_free(r);
}

static void check_ns(const char *ref, const char *const *want)
{
	sig_dockerref *r = NULL;
	char **ns = NULL;
	assert_int_equal(sig_dockerref_parse(ref, strlen(ref), &r, NULL), 0);
	assert_int_equal(sig_dockerref_namespaces(r, &ns), 0);
	size_t i = 0;
	for (; want[i] != NULL; i++) {
		assert_non_null(ns[i]);
		assert_string_equal(ns[i], want[i]);
	}
	assert_null(ns[i]);
	sig_strv_free(ns);
	sig_dockerref_free(r);
}

static void test_namespaces(void **state)
{
	(void)state;
	/* containers/image docker/policyconfiguration/naming_test.go cases */
	check_ns("example.com/ns1/ns2/ns3/repo.with.dots-dashes_underscores:notlatest",
	         (const char *const[]){"example.com/ns1/ns2/ns3/repo.with.dots-dashes_underscores",
	                               "example.com/ns1/ns2/ns3", "example.com/ns1/ns2",
	                               "example.com/ns1", "example.com", "*.com", NULL});
	check_ns("example.com:8443/ns/repo:t",
	         (const char *const[]){"example.com:8443/ns/repo", "example.com:8443/ns",
	                               "example.com:8443", "*.com", NULL});
	check_ns("a.b.example.com/repo@sha256:" H64,
	         (const char *const[]){"a.b.example.com/repo", "a.b.example.com", "*.b.example.com",
	                               "*.example.com", "*.com", NULL});
	check_ns("busybox", (const char *const[]){"docker.io/library/busybox", "docker.io/library",
	                                          "docker.io", "*.io", NULL});
	check_ns("localhost:5000/x", (const char *const[]){"localhost:5000/x", "localhost:5000", NULL});
}

static void test_domain_path_ok(void **state)
{
	(void)state;
	assert_true(sig_dockerref_domain_ok("example.com", 11));
	assert_true(sig_dockerref_domain_ok("example", 7));
	assert_true(sig_dockerref_domain_ok("ex-ample.com:443", 16));
	assert_false(sig_dockerref_domain_ok("ex_ample", 8));
	assert_false(sig_dockerref_domain_ok("example.", 8));
	assert_false(sig_dockerref_domain_ok("[]", 2));
	assert_true(sig_dockerref_path_ok("a/b-c", 5));
	assert_false(sig_dockerref_path_ok("A/b", 3));
	assert_false(sig_dockerref_path_ok("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),        cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_canonical_and_latest), cmocka_unit_test(test_namespaces),
	    cmocka_unit_test(test_domain_path_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
