/* Unit tests of the decompression readers and media types
 * (lib/image/unpack/decompress.c): multi-member gzip, concatenated and
 * skippable zstd frames, corrupt, truncated and empty input, trailing
 * garbage, output caps (bombs), sticky errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "unpack.h"

/* gzip of p (one member), malloc'd. */
static unsigned char *gz(const void *p, size_t n, size_t *ret_n)
{
	z_stream z = {0};
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, (uLong)n) + 64;
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*ret_n = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static unsigned char *zst(const void *p, size_t n, size_t *ret_n)
{
	size_t cap = ZSTD_compressBound(n);
	unsigned char *out = malloc(cap);
	*ret_n = ZSTD_compress(out, cap, p, n, 3);
	assert_false(ZSTD_isError(*ret_n));
	return out;
}

/* Decompresses all of in; returns the code, the output in *out. */
static int inflate_all(const void *in, size_t n, enum img_compression c, uint64_t max,
                       unsigned char **out, size_t *out_n, cc_error **err)
{
	img_reader *r = img_decompress_reader(img_reader_mem(in, n), c, max);
	assert_non_null(r);
	size_t cap = 1 << 20, len = 0;
	unsigned char *buf = malloc(cap);
	ssize_t got;
	while ((got = img_reader_read(r, buf + len, 4096 < cap - len ? 4096 : cap - len, err)) > 0) {
		len += (size_t)got;
		if (cap - len < 4096)
			buf = realloc(buf, cap *= 2);
	}
	/* Errors and the end are sticky. */
	cc_error *again = NULL;
	char one;
	ssize_t second = img_reader_read(r, &one, 1, &again);
	assert_int_equal(second < 0 ? (int)second : 0, got < 0 ? (int)got : 0);
	cc_error_free(again);
	img_reader_free(r);
	*out = buf;
	*out_n = len;
	return (int)got;
}

static void test_media_types(void **state)
{
	(void)state;
	enum img_compression c = IMG_COMPRESSION_NONE;
	bool enc = true;
	assert_int_equal(img_layer_media_type("application/vnd.oci.image.layer.v1.tar", &c, &enc, NULL), 0);
	assert_int_equal(c, IMG_COMPRESSION_NONE);
	assert_false(enc);
	assert_int_equal(img_layer_media_type("application/vnd.oci.image.layer.v1.tar+zstd", &c, NULL, NULL), 0);
	assert_int_equal(c, IMG_COMPRESSION_ZSTD);
	assert_int_equal(img_layer_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip", &c, &enc, NULL), 0);
	assert_int_equal(c, IMG_COMPRESSION_GZIP);
	assert_int_equal(img_layer_media_type("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", &c, NULL, NULL), 0);
	assert_int_equal(img_layer_media_type("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", &c, NULL, NULL), 0);
	assert_int_equal(img_layer_media_type("application/vnd.oci.image.layer.v1.tar+gzip+encrypted", &c, &enc, NULL), 0);
	assert_true(enc);
	assert_int_equal(c, IMG_COMPRESSION_GZIP);
	/* Unknown, and zstd+encrypted (image-rs has no such decoder): outputs untouched. */
	cc_error *err = NULL;
	c = IMG_COMPRESSION_ZSTD;
	assert_int_equal(img_layer_media_type("application/vnd.oci.image.layer.v1.tar+zstd+encrypted", &c, NULL, &err), -ENOTSUP);
	assert_int_equal(c, IMG_COMPRESSION_ZSTD);
	assert_non_null(strstr(cc_error_message(err), "unhandled media type"));
	cc_error_free(err);
	assert_int_equal(img_layer_media_type("application/x-tar", NULL, NULL, NULL), -ENOTSUP);
	assert_int_equal(img_layer_media_type(NULL, NULL, NULL, NULL), -ENOTSUP);
	assert_string_equal(img_compression_name(IMG_COMPRESSION_ZSTD), "zstd");
}

static void test_gzip_multi_member(void **state)
{
	(void)state;
	size_t n1, n2;
	unsigned char *a = gz("hello ", 6, &n1), *b = gz("world", 5, &n2);
	unsigned char *both = malloc(n1 + n2);
	memcpy(both, a, n1);
	memcpy(both + n1, b, n2);
	unsigned char *out;
	size_t on;
	assert_int_equal(inflate_all(both, n1 + n2, IMG_COMPRESSION_GZIP, 100, &out, &on, NULL), 0);
	assert_int_equal(on, 11);
	assert_memory_equal(out, "hello world", 11);
	free(out);
	/* Trailing garbage after a member is an error (as Go's reader). */
	both[n1] = 'X';
	cc_error *err = NULL;
	assert_int_equal(inflate_all(both, n1 + n2, IMG_COMPRESSION_GZIP, 100, &out, &on, &err), -EBADMSG);
	assert_non_null(strstr(cc_error_message(err), "gzip: "));
	cc_error_free(err);
	free(out);
	free(a);
	free(b);
	free(both);
}

static void test_gzip_corrupt_truncated_empty(void **state)
{
	(void)state;
	char plain[5000];
	memset(plain, 'q', sizeof(plain));
	size_t n;
	unsigned char *g = gz(plain, sizeof(plain), &n), *out;
	size_t on;
	cc_error *err = NULL;
	/* Truncated: every prefix fails, never succeeds short. */
	for (size_t cut = 1; cut < n; cut += 3) {
		int r = inflate_all(g, cut, IMG_COMPRESSION_GZIP, 1 << 20, &out, &on, &err);
		assert_int_equal(r, -EBADMSG);
		cc_error_free(err);
		err = NULL;
		free(out);
	}
	/* Corrupt CRC in the trailer. */
	g[n - 8] ^= 0xff;
	assert_int_equal(inflate_all(g, n, IMG_COMPRESSION_GZIP, 1 << 20, &out, &on, &err), -EBADMSG);
	assert_non_null(strstr(cc_error_message(err), "gzip: incorrect data check"));
	cc_error_free(err);
	free(out);
	err = NULL;
	assert_int_equal(inflate_all("", 0, IMG_COMPRESSION_GZIP, 10, &out, &on, &err), -EBADMSG);
	assert_string_equal(cc_error_message(err), "gzip: empty stream");
	cc_error_free(err);
	free(out);
	free(g);
}

static void test_gzip_bomb(void **state)
{
	(void)state;
	size_t big = 32u << 20, n;
	unsigned char *zeros = calloc(1, big);
	unsigned char *g = gz(zeros, big, &n), *out;
	free(zeros);
	assert_true(n < 64 * 1024);
	size_t on;
	cc_error *err = NULL;
	assert_int_equal(inflate_all(g, n, IMG_COMPRESSION_GZIP, 1u << 20, &out, &on, &err), -EFBIG);
	assert_string_equal(cc_error_message(err), "gzip: decompressed layer is over the 1048576-byte cap");
	assert_true(on <= 1u << 20);
	cc_error_free(err);
	free(out);
	/* Exactly at the cap is fine. */
	assert_int_equal(inflate_all(g, n, IMG_COMPRESSION_GZIP, big, &out, &on, NULL), 0);
	assert_int_equal(on, big);
	free(out);
	free(g);
}

static void test_zstd_frames(void **state)
{
	(void)state;
	size_t n1, n2;
	unsigned char *a = zst("frame one,", 10, &n1), *b = zst("frame two", 9, &n2);
	/* A skippable frame between them (RFC 8878 3.1.2). */
	unsigned char skip[12] = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 'j', 'u', 'n', 'k'};
	unsigned char *all = malloc(n1 + sizeof(skip) + n2);
	memcpy(all, a, n1);
	memcpy(all + n1, skip, sizeof(skip));
	memcpy(all + n1 + sizeof(skip), b, n2);
	unsigned char *out;
	size_t on;
	assert_int_equal(inflate_all(all, n1 + sizeof(skip) + n2, IMG_COMPRESSION_ZSTD, 100, &out, &on, NULL), 0);
	assert_int_equal(on, 19);
	assert_memory_equal(out, "frame one,frame two", 19);
	free(out);
	cc_error *err = NULL;
	/* Truncated in the second frame. */
	assert_int_equal(inflate_all(all, n1 + sizeof(skip) + n2 - 2, IMG_COMPRESSION_ZSTD, 100, &out, &on, &err), -EBADMSG);
	assert_non_null(strstr(cc_error_message(err), "zstd: "));
	cc_error_free(err);
	free(out);
	err = NULL;
	/* Garbage after the frames. */
	all[n1] = 0x11;
	assert_int_equal(inflate_all(all, n1 + sizeof(skip) + n2, IMG_COMPRESSION_ZSTD, 100, &out, &on, &err), -EBADMSG);
	cc_error_free(err);
	free(out);
	free(a);
	free(b);
	free(all);
}

static void test_zstd_bomb_and_empty(void **state)
{
	(void)state;
	size_t big = 64u << 20, n;
	unsigned char *zeros = calloc(1, big);
	unsigned char *z = zst(zeros, big, &n), *out;
	free(zeros);
	assert_true(n < 64 * 1024);
	size_t on;
	cc_error *err = NULL;
	assert_int_equal(inflate_all(z, n, IMG_COMPRESSION_ZSTD, 4u << 20, &out, &on, &err), -EFBIG);
	assert_non_null(strstr(cc_error_message(err), "over the 4194304-byte cap"));
	cc_error_free(err);
	free(out);
	free(z);
	err = NULL;
	assert_int_equal(inflate_all("", 0, IMG_COMPRESSION_ZSTD, 10, &out, &on, &err), -EBADMSG);
	assert_string_equal(cc_error_message(err), "zstd: empty stream");
	cc_error_free(err);
	free(out);
}

static void test_none_cap(void **state)
{
	(void)state;
	unsigned char *out;
	size_t on;
	cc_error *err = NULL;
	assert_int_equal(inflate_all("0123456789", 10, IMG_COMPRESSION_NONE, 10, &out, &on, NULL), 0);
	assert_int_equal(on, 10);
	free(out);
	assert_int_equal(inflate_all("0123456789", 10, IMG_COMPRESSION_NONE, 9, &out, &on, &err), -EFBIG);
	assert_string_equal(cc_error_message(err), "layer: more than 9 bytes");
	cc_error_free(err);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_media_types),
	    cmocka_unit_test(test_gzip_multi_member),
	    cmocka_unit_test(test_gzip_corrupt_truncated_empty),
	    cmocka_unit_test(test_gzip_bomb),
	    cmocka_unit_test(test_zstd_frames),
	    cmocka_unit_test(test_zstd_bomb_and_empty),
	    cmocka_unit_test(test_none_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
