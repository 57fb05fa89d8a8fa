/* lib/initdata (docs/initdata.md): the annotation, document, digests and
 * device image, with kata.md §5.2's vectors and each error's message. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cocoon/limits.h"
#include "initdata.h"

#ifndef INITDATA_TEST_DATA
#define INITDATA_TEST_DATA "."
#endif

/* Kata's runtime unit test (src/runtime/pkg/oci/utils_test.go) */
static const char kata_annotation[] =
    "H4sIAFlC92cAAytLLSrOzM9TsFVQMtAz1DNQ4krMSc8vyizJyAWJFWckGpmaKXFFpySWJMZyKSUm6pXk5+YoAeXU1dW5"
    "QJhLKTklA4toQX5OZnKlXlFqej6yBABS/5JkcQAAAA==";
static const char kata_sha256[] =
    "c6694bb7a29d6f37ec72a15582e004b9f3142159682db8509a304407419a49e5";

static const char good_toml[] = "version = \"0.1.0\"\n"
                                "algorithm = \"sha384\"\n"
                                "extra = 1\n"
                                "[data]\n"
                                "\"policy.rego\" = '''\n"
                                "package agent_policy\n"
                                "default SetPolicyRequest := false\n"
                                "'''\n"
                                "\"aa.toml\" = \"[token_configs]\"\n";

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Expects r to be code and the message to contain want; frees the error. */
static void expect_err(int r, cc_error **pe, int code, const char *want)
{
	cc_error *e = *pe;
	*pe = NULL;
	if (r != code || strstr(cc_error_message(e), want) == NULL)
		fail_msg("got %d \"%s\", want %d \"...%s...\"", r, cc_error_message(e), code, want);
	cc_error_free(e);
}

static void test_kata_annotation(void **state)
{
	(void)state;
	cc_initdata *d = NULL;
	cc_error *e = NULL;
	assert_int_equal(cc_initdata_from_annotation(kata_annotation, strlen(kata_annotation), &d, &e),
	                 0);
	assert_string_equal(cc_initdata_algorithm(d), "sha256");
	assert_int_equal(cc_initdata_count(d), 3);
	size_t n = 99;
	assert_string_equal(cc_initdata_get(d, CC_INITDATA_KEY_POLICY, &n), "");
	assert_int_equal(n, 0);
	assert_non_null(cc_initdata_get(d, CC_INITDATA_KEY_AA, NULL));
	assert_non_null(cc_initdata_get(d, CC_INITDATA_KEY_CDH, NULL));
	assert_null(cc_initdata_get(d, "other", NULL));
	unsigned char v[CC_INITDATA_MAX_DIGEST];
	char h[2 * CC_INITDATA_MAX_DIGEST + 1];
	assert_int_equal(cc_initdata_digest(d, v), 32);
	hex(v, 32, h);
	assert_string_equal(h, kata_sha256);
	/* SNP: 32 bytes as is; TDX: zero-padded to 48; TPM: the digest */
	size_t len = 0;
	assert_int_equal(cc_initdata_tee_value(d, CC_INITDATA_TEE_SNP, v, &len, NULL), 0);
	assert_int_equal(len, 32);
	hex(v, 32, h);
	assert_string_equal(h, kata_sha256);
	assert_int_equal(cc_initdata_tee_value(d, CC_INITDATA_TEE_TDX, v, &len, NULL), 0);
	assert_int_equal(len, 48);
	hex(v, 48, h);
	assert_memory_equal(h, kata_sha256, 64);
	assert_string_equal(h + 64, "00000000000000000000000000000000");
	assert_int_equal(cc_initdata_tee_value(d, CC_INITDATA_TEE_TPM, v, &len, NULL), 0);
	assert_int_equal(len, 32);
	cc_initdata_free(d);
}

static void test_digests_sha384(void **state)
{
	(void)state;
	cc_initdata *d = NULL;
	assert_int_equal(cc_initdata_parse(good_toml, strlen(good_toml), NULL, &d, NULL), 0);
	unsigned char v[CC_INITDATA_MAX_DIGEST], full[CC_INITDATA_MAX_DIGEST];
	size_t len = 0;
	assert_int_equal(cc_initdata_digest(d, full), 48);
	/* SNP truncates to 32, TDX takes all 48 */
	assert_int_equal(cc_initdata_tee_value(d, CC_INITDATA_TEE_SNP, v, &len, NULL), 0);
	assert_int_equal(len, 32);
	assert_memory_equal(v, full, 32);
	assert_int_equal(cc_initdata_tee_value(d, CC_INITDATA_TEE_TDX, v, &len, NULL), 0);
	assert_int_equal(len, 48);
	assert_memory_equal(v, full, 48);
	/* a TPM extends PCR 8's SHA-256 bank: 32 bytes only */
	cc_error *e = NULL;
	len = 7;
	int r = cc_initdata_tee_value(d, CC_INITDATA_TEE_TPM, v, &len, &e);
	assert_int_equal(len, 7);
	expect_err(r, &e, -EINVAL, "a TPM binds a sha256 digest in PCR 8; algorithm \"sha384\"");
	/* unknown top-level keys are ignored, as Kata's serde struct does */
	assert_string_equal(cc_initdata_key_at(d, 0), "policy.rego");
	assert_string_equal(cc_initdata_get(d, "aa.toml", NULL), "[token_configs]");
	cc_initdata_free(d);
}

static void test_round_trips(void **state)
{
	(void)state;
	char *a = NULL;
	assert_int_equal(cc_initdata_to_annotation(good_toml, strlen(good_toml), &a, NULL), 0);
	cc_initdata *d = NULL;
	assert_int_equal(cc_initdata_from_annotation(a, strlen(a), &d, NULL), 0);
	size_t n;
	assert_string_equal(cc_initdata_toml(d, &n), good_toml);
	free(a);
	unsigned char *img = NULL;
	size_t len = 0;
	assert_int_equal(cc_initdata_img_encode(good_toml, strlen(good_toml), &img, &len, NULL), 0);
	assert_int_equal(len % 512, 0);
	assert_true(cc_initdata_img_has_magic(img, len));
	char *t = NULL;
	assert_int_equal(cc_initdata_img_decode(img, len, &t, &n, NULL), 0);
	assert_int_equal(n, strlen(good_toml));
	assert_string_equal(t, good_toml);
	free(t);
	/* and through a file descriptor */
	char path[] = "/tmp/initdata-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, img, len), (ssize_t)len);
	t = NULL;
	assert_int_equal(cc_initdata_img_read_fd(fd, "data.img", &t, &n, NULL), 0);
	assert_string_equal(t, good_toml);
	free(t);
	/* the same device cut short: the declared length runs past its end */
	assert_int_equal(ftruncate(fd, 40), 0);
	cc_error *e = NULL;
	t = NULL;
	int r = cc_initdata_img_read_fd(fd, "data.img", &t, &n, &e);
	assert_null(t);
	expect_err(r, &e, -EINVAL, "data.img: init-data image: declared length");
	close(fd);
	free(img);
	cc_initdata_free(d);
}

/* The upstream agent's test image (src/agent/testdata/initdata.img, 512
 * bytes: the header 696e697464617461 2400000000000000 and a 36-byte gzip
 * of "some content"); ours has that shape (the gzip's name field makes the
 * 36 bytes; the upstream bytes are not in the reference). */
static void test_agent_image_vector(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/initdata.img", INITDATA_TEST_DATA);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	unsigned char img[600];
	ssize_t n = read(fd, img, sizeof(img));
	assert_int_equal(n, 512);
	assert_memory_equal(img, "initdata\x24\0\0\0\0\0\0\0", 16);
	char *t = NULL;
	size_t len = 0;
	assert_int_equal(cc_initdata_img_read_fd(fd, path, &t, &len, NULL), 0);
	assert_string_equal(t, "some content");
	assert_int_equal(len, 12);
	close(fd);
	/* "some content" is not an init-data document */
	cc_initdata *d = NULL;
	cc_error *e = NULL;
	int r = cc_initdata_parse(t, len, "initdata.toml", &d, &e);
	assert_null(d);
	assert_string_equal(cc_error_kind(e), "toml_parse_error");
	expect_err(r, &e, -EINVAL, "");
	free(t);
	t = NULL;
	assert_int_equal(cc_initdata_img_decode(img, 512, &t, &len, NULL), 0);
	assert_string_equal(t, "some content");
	free(t);
}

static void test_image_errors(void **state)
{
	(void)state;
	unsigned char img[512] = "initdata";
	char *t = NULL;
	size_t n = 0;
	cc_error *e = NULL;
	/* bad magic */
	unsigned char bad[512] = "initdatb";
	expect_err(cc_initdata_img_decode(bad, sizeof(bad), &t, &n, &e), &e, -ENOENT,
	           "not an init-data image (no \"initdata\" magic)");
	e = NULL;
	expect_err(cc_initdata_img_decode(bad, 3, &t, &n, &e), &e, -ENOENT, "not an init-data image");
	e = NULL;
	expect_err(cc_initdata_img_decode(img, 12, &t, &n, &e), &e, -EINVAL,
	           "12 bytes, shorter than its header");
	/* length past the device */
	img[8] = 0xf1;
	img[9] = 0x01; /* 496 + 1 */
	e = NULL;
	expect_err(cc_initdata_img_decode(img, sizeof(img), &t, &n, &e), &e, -EINVAL,
	           "declared length 497 runs past the end (496 bytes after the header)");
	/* oversized: more than the cap, whatever the device holds */
	memset(img + 8, 0xff, 8);
	e = NULL;
	expect_err(cc_initdata_img_decode(img, sizeof(img), &t, &n, &e), &e, -E2BIG,
	           "declared length 18446744073709551615 is more than 1048576 bytes");
	memset(img + 8, 0, 8);
	e = NULL;
	expect_err(cc_initdata_img_decode(img, sizeof(img), &t, &n, &e), &e, -EINVAL,
	           "declared length 0");
	/* bad gzip */
	img[8] = 20;
	memcpy(img + 16, "not gzip at all, no.", 20);
	e = NULL;
	expect_err(cc_initdata_img_decode(img, sizeof(img), &t, &n, &e), &e, -EINVAL,
	           "init-data image: gzip: incorrect header check");
	assert_null(t);
}

static void test_gzip_errors(void **state)
{
	(void)state;
	unsigned char *gz = NULL;
	size_t n = 0, len = 0;
	char *t = NULL;
	cc_error *e = NULL;
	/* a bomb: 2 MiB of zeros stop at the cap */
	char *zeros = calloc(1, 2u << 20);
	assert_non_null(zeros);
	assert_int_equal(cc_initdata_gzip(zeros, 2u << 20, &gz, &n, NULL), 0);
	free(zeros);
	assert_true(n < 8192);
	expect_err(cc_initdata_gunzip(gz, n, CC_INITDATA_MAX_TOML_BYTES, &t, &len, &e), &e, -E2BIG,
	           "gzip: inflates to more than 1048576 bytes");
	free(gz);
	/* truncated */
	assert_int_equal(cc_initdata_gzip("hello, world", 12, &gz, &n, NULL), 0);
	expect_err(cc_initdata_gunzip(gz, n - 5, 100, &t, &len, &e), &e, -EINVAL,
	           "gzip: the stream is truncated");
	free(gz);
	/* bytes after the member */
	assert_int_equal(cc_initdata_gzip("x", 1, &gz, &n, NULL), 0);
	unsigned char *more = malloc(n + 2);
	assert_non_null(more);
	memcpy(more, gz, n);
	more[n] = 'j';
	more[n + 1] = 'k';
	e = NULL;
	expect_err(cc_initdata_gunzip(more, n + 2, 100, &t, &len, &e), &e, -EINVAL,
	           "gzip: 2 bytes after the end of the stream");
	assert_null(t);
	free(more);
	free(gz);
	/* 1.1 MiB that does not compress: its gzip is over the cap */
	size_t big = 1100u * 1024u;
	unsigned char *noise = malloc(big);
	assert_non_null(noise);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < big; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		noise[i] = (unsigned char)x;
	}
	gz = NULL;
	expect_err(cc_initdata_gzip(noise, big, &gz, &n, &e), &e, -E2BIG,
	           "bytes of gzip, more than 1048576");
	assert_null(gz);
	unsigned char *img = NULL;
	expect_err(cc_initdata_img_encode((const char *)noise, big, &img, &n, &e), &e, -E2BIG,
	           "bytes of gzip, more than 1048576");
	assert_null(img);
	free(noise);
}

static void test_annotation_errors(void **state)
{
	(void)state;
	cc_initdata *d = NULL;
	cc_error *e = NULL;
	expect_err(cc_initdata_from_annotation("abc", 3, &d, &e), &e, -EINVAL,
	           "not valid base64 (3 characters)");
	e = NULL;
	expect_err(cc_initdata_from_annotation("ab$d", 4, &d, &e), &e, -EINVAL,
	           "not valid base64 (byte 2)");
	e = NULL;
	expect_err(cc_initdata_from_annotation("ab=d", 4, &d, &e), &e, -EINVAL,
	           "not valid base64 (byte 2)");
	/* base64 of "This is not gzip" */
	e = NULL;
	expect_err(cc_initdata_from_annotation("VGhpcyBpcyBub3QgZ3ppcA==", 24, &d, &e), &e, -EINVAL,
	           "gzip: incorrect header check");
	assert_null(d);
}

/* Each document error, with its message. */
static void test_document_errors(void **state)
{
	(void)state;
	static const struct {
		const char *toml;
		int code;
		const char *msg;
	} cases[] = {
	    {"version = \"0.2.0\"\nalgorithm = \"sha256\"\n[data]\n", -EINVAL,
	     "pod: unsupported version \"0.2.0\", expected 0.1.0"},
	    {"version = \"0.1.0\"\nalgorithm = \"md5\"\n[data]\n", -EINVAL,
	     "pod: unsupported algorithm \"md5\" (supported: sha256, sha384, sha512)"},
	    {"algorithm = \"sha256\"\n[data]\n", -EINVAL, "pod: missing \"version\""},
	    {"version = \"0.1.0\"\n[data]\n", -EINVAL, "pod: missing \"algorithm\""},
	    {"version = \"0.1.0\"\nalgorithm = \"sha256\"\n", -EINVAL, "pod: missing the [data] table"},
	    {"version = 1\nalgorithm = \"sha256\"\n[data]\n", -EINVAL,
	     "pod: \"version\" must be a string, not integer (line 1)"},
	    {"version = \"0.1.0\"\nalgorithm = \"sha256\"\ndata = 3\n", -EINVAL,
	     "pod: \"data\" must be a table, not integer (line 3)"},
	    {"version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"aa.toml\" = 5\n", -EINVAL,
	     "pod: data.\"aa.toml\" must be a string, not integer (line 4)"},
	    {"version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"a\" = [\"x\"]\n", -EINVAL,
	     "pod: data.\"a\" must be a string, not array (line 4)"},
	    {"version = \"0.1.0\" algorithm\n", -EINVAL, "pod:1:"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cc_initdata *d = NULL;
		cc_error *e = NULL;
		int r = cc_initdata_parse(cases[i].toml, strlen(cases[i].toml), "pod", &d, &e);
		assert_null(d);
		char *m = cc_error_format(e);
		if (r != cases[i].code || strstr(m, cases[i].msg) == NULL)
			fail_msg("case %zu: got %d \"%s\"", i, r, m);
		free(m);
		cc_error_free(e);
	}
	/* over the cap */
	cc_initdata *d = NULL;
	cc_error *e = NULL;
	expect_err(cc_initdata_parse("x", CC_INITDATA_MAX_TOML_BYTES + 1u, "pod", &d, &e), &e, -E2BIG,
	           "pod: 1048577 bytes of TOML, more than 1048576");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kata_annotation),   cmocka_unit_test(test_digests_sha384),
	    cmocka_unit_test(test_round_trips),       cmocka_unit_test(test_agent_image_vector),
	    cmocka_unit_test(test_image_errors),      cmocka_unit_test(test_gzip_errors),
	    cmocka_unit_test(test_annotation_errors), cmocka_unit_test(test_document_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
