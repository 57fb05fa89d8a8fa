/* Docker reference parsing and normalization (lib/image/sig/dockerref.c),
 * against the behaviour of distribution/reference's ParseNormalizedNamed
 * and ParseNamed and containers/image's policy namespaces. The grammar is
 * lib/image/registry's img_ref, so most messages are its own. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dockerref.h"

/* img_ref's reasons */
#define BAD_PATH                                                                                   \
	"repository names are lower-case components of [a-z0-9] joined by '.', '_', '__' or '-', "   \
	"separated by '/'"
#define BAD_HOST "the registry host is not a valid host[:port]"
#define BAD_TAG "the tag must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'"
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
	/* img_ref's messages, and the checks of this layer (bytes, 64 hex) */
	static const struct {
		const char *in;
		int code;
		const char *msg;
	} bad[] = {
	    {"", -EINVAL,
	     "invalid reference: empty"},
	    {H64, -EINVAL,
	     "invalid reference \"" H64 "\": cannot be a 64-byte hexadecimal string"},
	    {"Busybox", -EINVAL,
	     "invalid image reference 'Busybox': " BAD_PATH},
	    {"docker.io/Foo", -EINVAL,
	     "invalid image reference 'docker.io/Foo': " BAD_PATH},
	    {"a..b/c", -EINVAL,
	     "invalid image reference 'a..b/c': " BAD_HOST},
	    {"-a.b/c", -EINVAL,
	     "invalid image reference '-a.b/c': " BAD_HOST},
	    {"a.b:/c", -EINVAL,
	     "invalid image reference 'a.b:/c': " BAD_HOST},
	    {"a.b:80x/c", -EINVAL,
	     "invalid image reference 'a.b:80x/c': " BAD_HOST},
	    {"foo//bar", -EINVAL,
	     "invalid image reference 'foo//bar': " BAD_PATH},
	    {"foo/", -EINVAL,
	     "invalid image reference 'foo/': " BAD_PATH},
	    {"foo___bar", -EINVAL,
	     "invalid image reference 'foo___bar': " BAD_PATH},
	    {"foo.-bar", -EINVAL,
	     "invalid image reference 'foo.-bar': " BAD_PATH},
	    {"foo:", -EINVAL,
	     "invalid image reference 'foo:': " BAD_TAG},
	    {"foo:.x", -EINVAL,
	     "invalid image reference 'foo:.x': " BAD_TAG},
	    {"foo:a b", -EINVAL,
	     "invalid reference \"foo:a b\": contains a blank, control or non-ASCII byte"},
	    {"foo@sha256:abc", -EINVAL,
	     "invalid image reference 'foo@sha256:abc': invalid sha256 digest: 3 hex digits, expected 64"},
	    {"foo@md5:" H64, -EOPNOTSUPP,
	     "invalid image reference 'foo@md5:" H64 "': unsupported digest algorithm 'md5'"},
	    {"foo\x01", -EINVAL,
	     "invalid reference \"foo\\x01\": contains a blank, control or non-ASCII byte"},
	    {"foo\xc3\xa9", -EINVAL,
	     "invalid reference \"foo\\xc3\\xa9\": contains a blank, control or non-ASCII byte"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sig_dockerref *r = (sig_dockerref *)(uintptr_t)1;
		cc_error *err = NULL;
		int k = sig_dockerref_parse(bad[i].in, strlen(bad[i].in), &r, &err);
		if (k != bad[i].code || strcmp(cc_error_message(err), bad[i].msg) != 0)
			fail_msg("%s: got %d \"%s\"", bad[i].in, k, cc_error_message(err));
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
	assert_true(sig_dockerref_domain_ok("index.docker.io", 15));
	assert_true(sig_dockerref_domain_ok("localhost", 9));
	assert_true(sig_dockerref_domain_ok("[::1]:5000", 10));
	assert_false(sig_dockerref_domain_ok("a.b/c", 5));
	assert_false(sig_dockerref_domain_ok("a.b@x", 5));
	assert_false(sig_dockerref_domain_ok("a b", 3));
	assert_true(sig_dockerref_path_ok("a/b-c", 5));
	assert_false(sig_dockerref_path_ok("A/b", 3));
	assert_false(sig_dockerref_path_ok("", 0));
	assert_false(sig_dockerref_path_ok("a:b", 3));
	assert_false(sig_dockerref_path_ok("a@b", 3));
	assert_true(sig_dockerref_path_ok("x", 1)); /* no "library/" on x.y */
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
