/* Unit tests for lib/image/core: readers and digests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "digest.h"
#include "reader.h"

/* sha256("abc") and sha512("abc") (FIPS 180-2 examples) */
#define ABC256 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC512                                                                                     \
	"sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static void test_parse_format(void **state)
{
	(void)state;
	img_digest d;
	char s[IMG_DIGEST_STR_MAX];
	assert_int_equal(img_digest_parse(ABC256, strlen(ABC256), &d, NULL), 0);
	assert_int_equal(d.alg, IMG_DIGEST_SHA256);
	assert_string_equal(img_digest_format(&d, s), ABC256);
	assert_int_equal(img_digest_parse(ABC512, strlen(ABC512), &d, NULL), 0);
	assert_int_equal(d.alg, IMG_DIGEST_SHA512);
	assert_string_equal(img_digest_format(&d, s), ABC512);

	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {"sha256", "invalid digest: no ':' between algorithm and hex"},
	    {"md5:00", "unsupported digest algorithm 'md5'"},
	    {"sha256:abc", "invalid sha256 digest: 3 hex digits, expected 64"},
	    {"sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	     "invalid sha256 digest: not lower-case hex at offset 7"},
	    {"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aZ",
	     "invalid sha256 digest: not lower-case hex at offset 70"},
	    {"SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	     "unsupported digest algorithm 'SHA256'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cc_error *err = NULL;
		d.alg = IMG_DIGEST_SHA512;
		assert_true(img_digest_parse(bad[i].in, strlen(bad[i].in), &d, &err) < 0);
		assert_string_equal(cc_error_message(err), bad[i].msg);
		assert_int_equal(d.alg, IMG_DIGEST_SHA512); /* output untouched */
		cc_error_free(err);
	}
	/* an embedded NUL is not hex */
	assert_true(img_digest_parse("sha256:\0" "a", 9, &d, NULL) < 0);
}

static void test_digest_reader(void **state)
{
	(void)state;
	img_digest want, got;
	assert_int_equal(img_digest_parse(ABC256, strlen(ABC256), &want, NULL), 0);
	char buf[8];
	cc_error *err = NULL;

	/* right bytes and size */
	img_reader *r = img_digest_reader(img_reader_mem("abc", 3), &want, 3, "layer");
	assert_non_null(r);
	assert_int_equal(img_reader_read(r, buf, 1, &err), 1);
	assert_int_equal(img_reader_read(r, buf, 8, &err), 2);
	assert_int_equal(img_reader_read(r, buf, 8, &err), 0);
	assert_int_equal(img_reader_read(r, buf, 8, &err), 0);
	assert_null(err);
	assert_int_equal(img_reader_count(r), 3);
	img_reader_free(r);

	/* wrong bytes: the read that would end the stream fails */
	r = img_digest_reader(img_reader_mem("abd", 3), &want, -1, "layer");
	assert_int_equal(img_reader_read(r, buf, 8, &err), 3);
	assert_int_equal(img_reader_read(r, buf, 8, &err), -EBADMSG);
	assert_string_equal(cc_error_message(err),
	                    "layer: digest mismatch: expected " ABC256 ", got "
	                    "sha256:a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9");
	cc_error_free(err);
	err = NULL;
	assert_true(img_reader_read(r, buf, 8, &err) < 0); /* sticky */
	cc_error_free(err);
	err = NULL;
	img_reader_free(r);

	/* too long: fails as soon as the extra byte arrives */
	r = img_digest_reader(img_reader_mem("abcd", 4), &want, 3, "layer");
	assert_int_equal(img_reader_drain(r, &err), -EFBIG);
	assert_string_equal(cc_error_message(err), "layer: more than the 3 bytes its descriptor gives");
	cc_error_free(err);
	err = NULL;
	img_reader_free(r);

	/* too short */
	r = img_digest_reader(img_reader_mem("ab", 2), &want, 3, "layer");
	assert_int_equal(img_reader_drain(r, &err), -EBADMSG);
	assert_string_equal(cc_error_message(err), "layer: 2 bytes, its descriptor gives 3");
	cc_error_free(err);
	err = NULL;
	img_reader_free(r);

	/* hash only */
	r = img_hash_reader(img_reader_mem("abc", 3), IMG_DIGEST_SHA512, &got);
	assert_int_equal(img_reader_drain(r, &err), 0);
	img_reader_free(r);
	char s[IMG_DIGEST_STR_MAX];
	assert_string_equal(img_digest_format(&got, s), ABC512);
}

/* The offloaded digest reader gives the same digests and errors as the
 * inline one, over many reads of odd sizes (ring wrap-around, chunks larger
 * than a ring slot), and can be freed half-way. */
static void test_offload(void **state)
{
	(void)state;
	size_t n = 3u * 1024u * 1024u + 12345u;
	unsigned char *data = malloc(n);
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 131u + (i >> 9));
	img_digest want;
	assert_int_equal(img_digest_bytes(IMG_DIGEST_SHA256, data, n, &want, NULL), 0);
	cc_error *err = NULL;
	size_t sizes[] = {1, 4093, 65536, 262144, 262145, 700000};
	unsigned char *buf = malloc(700000);
	assert_non_null(buf);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		img_reader *r = img_digest_reader_offload(img_reader_mem(data, n), &want, (int64_t)n, "big");
		assert_non_null(r);
		size_t total = 0;
		ssize_t got;
		size_t step = sizes[k] == 1 ? 70001 : sizes[k]; /* 1: a short first read */
		while ((got = img_reader_read(r, buf, total == 0 && sizes[k] == 1 ? 1 : step, &err)) > 0)
			total += (size_t)got;
		assert_int_equal(got, 0);
		assert_null(err);
		assert_int_equal(total, n);
		img_reader_free(r);
	}
	/* one byte changed in the middle: mismatch at the end */
	data[n / 2] ^= 1;
	img_reader *r = img_digest_reader_offload(img_reader_mem(data, n), &want, -1, "big");
	assert_int_equal(img_reader_drain(r, &err), -EBADMSG);
	assert_non_null(strstr(cc_error_message(err), "big: digest mismatch"));
	cc_error_free(err);
	err = NULL;
	img_reader_free(r);
	/* freed before the end, with bytes still queued */
	r = img_digest_reader_offload(img_reader_mem(data, n), &want, -1, "big");
	assert_true(img_reader_read(r, buf, 700000, &err) > 0);
	assert_true(img_reader_read(r, buf, 700000, &err) > 0);
	img_reader_free(r);
	free(buf);
	free(data);
}

static void test_limit_reader(void **state)
{
	(void)state;
	cc_error *err = NULL;
	img_reader *r = img_reader_limit(img_reader_mem("abcdef", 6), 5, false, "config");
	assert_int_equal(img_reader_drain(r, &err), -EFBIG);
	assert_string_equal(cc_error_message(err), "config: more than 5 bytes");
	cc_error_free(err);
	err = NULL;
	img_reader_free(r);
	r = img_reader_limit(img_reader_mem("abcde", 5), 5, true, "config");
	assert_int_equal(img_reader_drain(r, &err), 0);
	img_reader_free(r);
	r = img_reader_limit(img_reader_mem("abcd", 4), 5, true, "config");
	assert_int_equal(img_reader_drain(r, &err), -EBADMSG);
	assert_string_equal(cc_error_message(err), "config: 4 bytes, expected 5");
	cc_error_free(err);
	img_reader_free(r);
	/* no cap */
	r = img_reader_limit(img_reader_mem("abcd", 4), UINT64_MAX, false, "x");
	assert_int_equal(img_reader_drain(r, NULL), 0);
	img_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_format),
	    cmocka_unit_test(test_digest_reader),
	    cmocka_unit_test(test_limit_reader),
	    cmocka_unit_test(test_offload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
