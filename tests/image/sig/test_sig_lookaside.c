/* registries.d / sigstore config (lib/image/sig/lookaside.c): the image-rs
 * vectors (test_data/signature/sigstore_config: merging a directory,
 * base URLs), namespace precedence, "lookaside" over "sigstore",
 * use-sigstore-attachments, merge conflicts, and hostile YAML. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cocoon/limits.h"
#include "helpers.h"
#include "sig_int.h"

/* The lookaside URL for ref (NULL when none), checked against want. */
static void expect_url(const sig_lookaside *l, const char *ref, const char *want)
{
	char *url = (char *)(uintptr_t)1;
	cc_error *err = NULL;
	if (sig_lookaside_url(l, ref, &url, &err) != 0)
		fail_msg("%s: %s", ref, cc_error_message(err));
	if (want == NULL ? url != NULL : url == NULL || strcmp(url, want) != 0)
		fail_msg("%s: got %s, want %s", ref, url ? url : "(none)", want ? want : "(none)");
	free(url);
}

static sig_lookaside *from_yaml(const char *yaml)
{
	sig_lookaside *l = sig_lookaside_new();
	cc_error *err = NULL;
	assert_non_null(l);
	if (sig_lookaside_add(l, "test.yaml", yaml, strlen(yaml), &err) != 0)
		fail_msg("%s: %s", yaml, cc_error_message(err));
	return l;
}

static sig_lookaside *from_dir(const char *rel)
{
	sig_lookaside *l = NULL;
	cc_error *err = NULL;
	if (sig_lookaside_load_dir(data_path(rel), &l, &err) != 0)
		fail_msg("%s: %s", rel, cc_error_message(err));
	return l;
}

/* image-rs sigstore.rs test_new_from_configs: each directory merges to
 * merged_result/resN.yaml (identical repeated definitions are allowed);
 * test_get_sigstore_base_url on get_base_url/res.yaml. */
static void test_imagers_merge(void **state)
{
	(void)state;
	const char *var = "file:///var/lib/containers/sigstore";
	sig_lookaside *l = from_dir("sigstore_config/test_case_3");
	expect_url(l, "example1.com/mylib/busybox:latest", "file:///var/lib/containers/sigstore/mylib/busybox");
	expect_url(l, "example2.com/x", "file:///var/lib/containers/sigstore/x");
	expect_url(l, "example3.com/mylib/busybox:latest", "file:///default/sigstore/mylib/busybox");
	sig_lookaside_free(l);
	for (int i = 1; i <= 2; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "sigstore_config/test_case_%d", i);
		l = from_dir(rel);
		assert_string_equal(sig_lookaside_base(l, "example.com/a:latest", NULL), var);
		assert_string_equal(sig_lookaside_base(l, "other.com/a:latest", NULL), var);
		sig_lookaside_free(l);
	}
	char *yaml = slurp(data_path("sigstore_config/res.yaml"), NULL);
	l = from_yaml(yaml);
	expect_url(l, "example1.com/mylib/busybox:latest", "file:///var/lib/containers/sigstore/mylib/busybox");
	expect_url(l, "example3.com/mylib/busybox:latest", "file:///default/sigstore/mylib/busybox");
	/* image-rs format_sigstore_name: the repository path, "library/" included */
	expect_url(l, "busybox", "file:///default/sigstore/library/busybox");
	expect_url(l, "test:5000/mylib/busybox:tag", "file:///default/sigstore/mylib/busybox");
	sig_lookaside_free(l);
	free(yaml);
	/* the CoCo configurations: simple-signing-scheme and the KBS resource */
	yaml = slurp(data_path("simple-signing-scheme/sigstore_config.yaml"), NULL);
	l = from_yaml(yaml);
	expect_url(l, "quay.io/kata-containers/confidential-containers:signed",
	           "file:///etc/containers/quay_verification/signatures/kata-containers/"
	           "confidential-containers");
	expect_url(l, "quay.io/kata-containers/other:signed", NULL);
	sig_lookaside_free(l);
	free(yaml);
}

/* The most specific namespace with a URL wins; "lookaside" beats
 * "sigstore" whatever the order; staging and unknown keys are ignored. */
static void test_precedence(void **state)
{
	(void)state;
	sig_lookaside *l = from_yaml("unknown-top: [1, {a: b}]\n"
	                             "default-docker:\n"
	                             "  sigstore: https://default.example/s\n"
	                             "docker:\n"
	                             "  example.com:\n"
	                             "    lookaside: file:///dom\n"
	                             "    sigstore: file:///ignored\n"
	                             "  example.com/ns:\n"
	                             "    sigstore: file:///ns-old\n"
	                             "    lookaside: file:///ns\n"
	                             "    lookaside-staging: file:///staging\n"
	                             "    unknown: {x: [1, 2]}\n"
	                             "  example.com/ns/repo:tag:\n"
	                             "    lookaside: file:///exact\n"
	                             "  example.com/ns/empty:\n"
	                             "    use-sigstore-attachments: false\n"
	                             "  '*.wild.example':\n"
	                             "    sigstore: http://127.0.0.1:1/w\n"
	                             "  localhost:5000:\n"
	                             "  quay.io: ~\n");
	expect_url(l, "example.com/ns/repo:tag", "file:///exact/ns/repo");
	expect_url(l, "example.com/ns/repo:other", "file:///ns/ns/repo");
	expect_url(l, "example.com/ns/repo", "file:///ns/ns/repo"); /* :latest */
	expect_url(l, "example.com/ns/empty:1", "file:///ns/ns/empty"); /* no URL: parent */
	expect_url(l, "example.com/other/x:1", "file:///dom/other/x");
	expect_url(l, "a.wild.example/x:1", "http://127.0.0.1:1/w/x");
	expect_url(l, "localhost:5000/x:1", "https://default.example/s/x");
	expect_url(l, "quay.io/x:1", "https://default.example/s/x");
	expect_url(l, "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	           "https://default.example/s/library/busybox");
	/* use-sigstore-attachments: most specific explicit value, else true */
	char *ns[] = {"example.com/ns/empty", "example.com/ns", "example.com", "*.com", NULL};
	assert_false(sig_lookaside_use_attachments(l, "example.com/ns/empty:1", ns));
	assert_true(sig_lookaside_use_attachments(l, "example.com/ns/repo:1", ns + 1));
	assert_true(sig_lookaside_use_attachments(NULL, "example.com/ns/repo:1", ns + 1));
	assert_null(sig_lookaside_base(NULL, "example.com/x:1", NULL));
	/* an invalid reference */
	char *url = (char *)(uintptr_t)1;
	cc_error *err = NULL;
	assert_int_equal(sig_lookaside_url(l, "up/X", &url, &err), -EINVAL);
	assert_ptr_equal(url, (char *)(uintptr_t)1);
	cc_error_free(err);
	sig_lookaside_free(l);

	l = from_yaml("default-docker:\n  use-sigstore-attachments: no\n"
	              "docker:\n  a.io:\n    use-sigstore-attachments: Yes\n");
	char *ans[] = {"a.io", NULL};
	assert_true(sig_lookaside_use_attachments(l, "a.io/x:1", ans));
	assert_false(sig_lookaside_use_attachments(l, "b.io/x:1", NULL));
	expect_url(l, "b.io/x:1", NULL);
	sig_lookaside_free(l);
	/* empty documents */
	l = from_yaml("");
	expect_url(l, "b.io/x:1", NULL);
	sig_lookaside_free(l);
	l = from_yaml("---\n...\n");
	sig_lookaside_free(l);
}

/* Merging: differing definitions are refused and l stays as it was. */
static void test_merge_conflicts(void **state)
{
	(void)state;
	static const struct {
		const char *second, *msg;
	} t[] = {
	    {"default-docker:\n  lookaside: file:///other\n",
	     "\"default-docker\" defined differently in \"first.yaml\" and \"second.yaml\""},
	    {"default-docker:\n  lookaside: file:///d\n  use-sigstore-attachments: false\n",
	     "\"default-docker\" defined differently in \"first.yaml\" and \"second.yaml\""},
	    {"docker:\n  new.io:\n    lookaside: file:///n\n  a.io:\n    lookaside: file:///b\n",
	     "\"docker\" namespace \"a.io\" defined differently in \"first.yaml\" and \"second.yaml\""},
	};
	const char *first = "default-docker:\n  lookaside: file:///d\n"
	                    "docker:\n  a.io:\n    lookaside: file:///a\n";
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sig_lookaside *l = sig_lookaside_new();
		cc_error *err = NULL;
		assert_int_equal(sig_lookaside_add(l, "first.yaml", first, strlen(first), NULL), 0);
		int r = sig_lookaside_add(l, "second.yaml", t[i].second, strlen(t[i].second), &err);
		if (r != -EINVAL || strcmp(cc_error_message(err), t[i].msg) != 0)
			fail_msg("%s: got %d %s", t[i].second, r, cc_error_message(err));
		cc_error_free(err);
		expect_url(l, "a.io/x:1", "file:///a/x");
		expect_url(l, "new.io/x:1", "file:///d/x"); /* not added */
		expect_url(l, "b.io/x:1", "file:///d/x");
		sig_lookaside_free(l);
	}
	/* identical repeats are dropped; new namespaces are added */
	sig_lookaside *l = from_yaml(first);
	const char *second = "default-docker:\n  lookaside: file:///d\n"
	                     "docker:\n  a.io:\n    lookaside: file:///a\n  b.io:\n    sigstore: file:///b\n";
	assert_int_equal(sig_lookaside_add(l, "second.yaml", second, strlen(second), NULL), 0);
	expect_url(l, "a.io/x:1", "file:///a/x");
	expect_url(l, "b.io/x:1", "file:///b/x");
	sig_lookaside_free(l);
}

/* Malformed and hostile documents, with the messages. */
static void test_bad_yaml(void **state)
{
	(void)state;
	static const struct {
		const char *yaml, *msg;
	} t[] = {
	    {"a: b: c\n", "bad.yaml:1:5: mapping values are not allowed in this context"},
	    {"docker: [", "bad.yaml:1:9: expected a mapping"},
	    {"docker: {", "bad.yaml:2:1: did not find expected node content"},
	    {"- a\n- b\n", "bad.yaml:1:1: expected a mapping"},
	    {"docker:\n  a.io: {}\n  a.io: {}\n", "bad.yaml:3:3: duplicate key"},
	    {"docker:\n  a.io:\n    lookaside: [x]\n", "bad.yaml:3:16: expected a scalar"},
	    {"x: &u file:///x\ndocker:\n  a.io:\n    lookaside: *u\n",
	     "bad.yaml:4:16: aliases are not supported here"},
	    {"docker:\n  a.io:\n    use-sigstore-attachments: maybe\n",
	     "bad.yaml:3:31: use-sigstore-attachments must be a boolean"},
	    {"docker:\n  a.io:\n    use-sigstore-attachments: 'true'\n",
	     "bad.yaml:3:31: use-sigstore-attachments must be a boolean"},
	    {"a: 1\n---\nb: 2\n", "bad.yaml:2:1: more than one YAML document"},
	    {"docker:\n  a.io:\n    lookaside: \"x\\0y\"\n", "bad.yaml:3:16: NUL byte in a string"},
	    {"default-docker: 5\n", "bad.yaml:1:17: expected a mapping"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sig_lookaside *l = sig_lookaside_new();
		cc_error *err = NULL;
		int r = sig_lookaside_add(l, "bad.yaml", t[i].yaml, strlen(t[i].yaml), &err);
		if (r != -EINVAL || strcmp(cc_error_message(err), t[i].msg) != 0)
			fail_msg("%s: got %d \"%s\"\n  want \"%s\"", t[i].yaml, r, cc_error_message(err),
			         t[i].msg);
		cc_error_free(err);
		expect_url(l, "a.io/x:1", NULL); /* unchanged */
		sig_lookaside_free(l);
	}
	/* nesting in a skipped value is bounded */
	size_t depth = CC_IMG_MAX_SIG_YAML_DEPTH + 1;
	char *deep = calloc(1, 2 * depth + 16);
	memcpy(deep, "x: ", 3);
	memset(deep + 3, '[', depth);
	memset(deep + 3 + depth, ']', depth);
	sig_lookaside *l = sig_lookaside_new();
	cc_error *err = NULL;
	assert_int_equal(sig_lookaside_add(l, "deep.yaml", deep, strlen(deep), &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "nested too deeply"));
	cc_error_free(err);
	deep[3 + depth - 1] = ' '; /* one level less: fine */
	deep[3 + depth] = ' ';
	assert_int_equal(sig_lookaside_add(l, "deep.yaml", deep, strlen(deep), NULL), 0);
	free(deep);
	/* the size cap */
	size_t big = CC_IMG_MAX_SIG_CONFIG_BYTES + 1;
	char *b = malloc(big);
	memset(b, '#', big);
	err = NULL;
	assert_int_equal(sig_lookaside_add(l, "big.yaml", b, big, &err), -E2BIG);
	assert_string_equal(cc_error_message(err), "big.yaml: larger than 1048576 bytes");
	cc_error_free(err);
	free(b);
	sig_lookaside_free(l);
}

/* A directory: *.yaml only, in name order; a missing one is empty; an
 * error names the file. */
static void test_load_dir(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	sig_lookaside *l = NULL;
	char *missing = xasprintf("%s/none", dir);
	assert_int_equal(sig_lookaside_load_dir(missing, &l, NULL), 0);
	expect_url(l, "a.io/x:1", NULL);
	sig_lookaside_free(l);
	free(missing);
	char *p = xasprintf("%s/10-a.yaml", dir);
	spits(p, "docker:\n  a.io:\n    lookaside: file:///a\n");
	free(p);
	p = xasprintf("%s/20-b.yml", dir); /* not .yaml: ignored */
	spits(p, "docker:\n  a.io:\n    lookaside: file:///other\n");
	free(p);
	p = xasprintf("%s/30-c.yaml", dir);
	spits(p, "default-docker:\n  lookaside: file:///d\n");
	free(p);
	l = NULL;
	assert_int_equal(sig_lookaside_load_dir(dir, &l, NULL), 0);
	expect_url(l, "a.io/x:1", "file:///a/x");
	expect_url(l, "b.io/x:1", "file:///d/x");
	sig_lookaside_free(l);
	p = xasprintf("%s/40-d.yaml", dir);
	spits(p, "docker:\n  a.io:\n    lookaside: file:///conflict\n");
	cc_error *err = NULL;
	l = (sig_lookaside *)(uintptr_t)1;
	assert_int_equal(sig_lookaside_load_dir(dir, &l, &err), -EINVAL);
	assert_ptr_equal(l, (sig_lookaside *)(uintptr_t)1);
	char *want = xasprintf("\"docker\" namespace \"a.io\" defined differently in \"%s/10-a.yaml\" "
	                       "and \"%s\"",
	                       dir, p);
	assert_string_equal(cc_error_message(err), want);
	free(want);
	free(p);
	cc_error_free(err);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_imagers_merge),   cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_merge_conflicts), cmocka_unit_test(test_bad_yaml),
	    cmocka_unit_test(test_load_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
