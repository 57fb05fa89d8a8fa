/* Unit tests for image references (lib/image/registry/ref.c), with cases
 * from distribution/reference's normalize_test.go and reference_test.go. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ref.h"

#define D256 "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static void test_normalize(void **state)
{
	(void)state;
	static const struct {
		const char *in, *full, *domain, *path, *tag, *object, *api;
	} ok[] = {
	    {"busybox", "docker.io/library/busybox", "docker.io", "library/busybox", NULL, "latest", "registry-1.docker.io"},
	    {"busybox:1.36", "docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36", "1.36", "registry-1.docker.io"},
	    {"library/busybox", "docker.io/library/busybox", "docker.io", "library/busybox", NULL, "latest", "registry-1.docker.io"},
	    {"docker.io/busybox", "docker.io/library/busybox", "docker.io", "library/busybox", NULL, "latest", "registry-1.docker.io"},
	    {"index.docker.io/user/app:v1", "docker.io/user/app:v1", "docker.io", "user/app", "v1", "v1", "registry-1.docker.io"},
	    {"quay.io/kata-containers/confidential-containers:signed", "quay.io/kata-containers/confidential-containers:signed", "quay.io", "kata-containers/confidential-containers", "signed", "signed", "quay.io"},
	    {"127.0.0.1:5000/test/bb:plain", "127.0.0.1:5000/test/bb:plain", "127.0.0.1:5000", "test/bb", "plain", "plain", "127.0.0.1:5000"},
	    {"localhost/foo", "localhost/foo", "localhost", "foo", NULL, "latest", "localhost"},
	    {"localhost:5000/foo/bar@" D256, "localhost:5000/foo/bar@" D256, "localhost:5000", "foo/bar", NULL, D256, "localhost:5000"},
	    {"Foo.com/bar", "Foo.com/bar", "Foo.com", "bar", NULL, "latest", "Foo.com"},
	    {"[::1]:5000/a", "[::1]:5000/a", "[::1]:5000", "a", NULL, "latest", "[::1]:5000"},
	    {"[FE80::aB:1]/a", "[FE80::aB:1]/a", "[FE80::aB:1]", "a", NULL, "latest", "[FE80::aB:1]"},
	    {"a/b__c/d-e--f/g.h", "docker.io/a/b__c/d-e--f/g.h", "docker.io", "a/b__c/d-e--f/g.h", NULL, "latest", "registry-1.docker.io"},
	    {"ghcr.io/x/y:tag@" D256, "ghcr.io/x/y:tag@" D256, "ghcr.io", "x/y", "tag", D256, "ghcr.io"},
	    {"localhost:5000", "docker.io/library/localhost:5000", "docker.io", "library/localhost", "5000", "5000", "registry-1.docker.io"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		img_ref *r = NULL;
		cc_error *err = NULL;
		int rc = img_ref_parse(ok[i].in, &r, &err);
		if (rc != 0)
			fail_msg("%s: %s", ok[i].in, cc_error_message(err));
		assert_string_equal(img_ref_string(r), ok[i].full);
		assert_string_equal(img_ref_domain(r), ok[i].domain);
		assert_string_equal(img_ref_path(r), ok[i].path);
		if (ok[i].tag)
			assert_string_equal(img_ref_tag(r), ok[i].tag);
		else
			assert_null(img_ref_tag(r));
		assert_string_equal(img_ref_object(r), ok[i].object);
		assert_string_equal(img_ref_api_host(r), ok[i].api);
		img_ref_free(r);
	}
}

static void test_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {"", "invalid image reference: empty"},
	    {"Uppercase", "invalid image reference 'Uppercase': repository names are lower-case components of [a-z0-9] joined by '.', '_', '__' or '-', separated by '/'"},
	    {"a/B", "invalid image reference 'a/B': repository names are lower-case components of [a-z0-9] joined by '.', '_', '__' or '-', separated by '/'"},
	    {"a//b", NULL},
	    {"a/", NULL},
	    {"/a", NULL},
	    {"a..b", NULL},
	    {"a___b", NULL},
	    {"-a", NULL},
	    {"a-", NULL},
	    {"a:", "invalid image reference 'a:': the tag must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'"},
	    {"a:-tag", NULL},
	    {"a:t@g", NULL},
	    {"a@sha256:abc", "invalid image reference 'a@sha256:abc': invalid sha256 digest: 3 hex digits, expected 64"},
	    {"a@md5:abc", "invalid image reference 'a@md5:abc': unsupported digest algorithm 'md5'"},
	    {"exa_mple.com:5000/x", "invalid image reference 'exa_mple.com:5000/x': the registry host is not a valid host[:port]"},
	    {"example.com:/x", NULL},
	    {"example.com:5x/x", NULL},
	    {"-example.com/x", NULL},
	    {"[::1/x", NULL},
	    /* distribution's ipv6address is [A-Fa-f0-9:]+ only */
	    {"[::ffff:1.2.3.4]:5000/x", "invalid image reference '[::ffff:1.2.3.4]:5000/x': the registry host is not a valid host[:port]"},
	    {"[fe80::1%eth0]/x", NULL},
	    {"[zz::1]/x", NULL},
	    {"a b", NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		img_ref *r = NULL;
		cc_error *err = NULL;
		int rc = img_ref_parse(bad[i].in, &r, &err);
		if (rc == 0)
			fail_msg("'%s' was accepted as %s", bad[i].in, img_ref_string(r));
		assert_null(r);
		if (bad[i].msg)
			assert_string_equal(cc_error_message(err), bad[i].msg);
		cc_error_free(err);
	}
	/* a 255+ character name */
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	img_ref *r = NULL;
	assert_true(img_ref_parse(longname, &r, NULL) < 0);
	/* over the whole-string cap */
	char *huge = malloc(5000);
	memset(huge, 'a', 4999);
	huge[4999] = '\0';
	assert_int_equal(img_ref_parse(huge, &r, NULL), -E2BIG);
	free(huge);
	/* a 128-character tag is fine, 129 is not */
	char tag[200] = "a:";
	memset(tag + 2, 't', 128);
	tag[130] = '\0';
	assert_int_equal(img_ref_parse(tag, &r, NULL), 0);
	img_ref_free(r);
	tag[130] = 't';
	tag[131] = '\0';
	assert_true(img_ref_parse(tag, &r, NULL) < 0);
}

static void test_with_and_locations(void **state)
{
	(void)state;
	img_ref *r = NULL, *c;
	assert_int_equal(img_ref_parse("quay.io/a/b:1", &r, NULL), 0);
	img_digest d;
	assert_int_equal(img_digest_parse(D256, strlen(D256), &d, NULL), 0);
	c = img_ref_with(r, NULL, &d);
	assert_string_equal(img_ref_string(c), "quay.io/a/b@" D256);
	img_ref_free(c);
	c = img_ref_with(r, "sha256-ff.sig", NULL);
	assert_string_equal(img_ref_string(c), "quay.io/a/b:sha256-ff.sig");
	img_ref_free(c);
	img_ref_free(r);

	img_location l;
	assert_int_equal(img_location_parse("docker://busybox", &l, NULL), 0);
	assert_int_equal(l.transport, IMG_TRANSPORT_DOCKER);
	assert_string_equal(img_ref_string(l.ref), "docker.io/library/busybox");
	img_location_clear(&l);
	assert_int_equal(img_location_parse("oci:/tmp/lay:foo:bar", &l, NULL), 0);
	assert_int_equal(l.transport, IMG_TRANSPORT_OCI);
	assert_string_equal(l.dir, "/tmp/lay");
	assert_string_equal(l.name, "foo:bar");
	img_location_clear(&l);
	assert_int_equal(img_location_parse("oci:dir", &l, NULL), 0);
	assert_null(l.name);
	img_location_clear(&l);
	cc_error *err = NULL;
	assert_true(img_location_parse("dir:/x", &l, &err) < 0);
	assert_string_equal(cc_error_message(err),
	                    "invalid image location 'dir:/x': expected docker://REFERENCE or oci:DIR[:NAME]");
	cc_error_free(err);
	err = NULL;
	assert_true(img_location_parse("docker://UP", &l, &err) < 0);
	cc_error_free(err);
	assert_true(img_location_parse("oci:", &l, NULL) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_with_and_locations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
