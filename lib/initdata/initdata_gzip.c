/* Bounded gzip for init-data (initdata.h), with zlib. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cocoon/buf.h"
#include "cocoon/limits.h"
#include "initdata.h"

int cc_initdata_gunzip(const unsigned char *gz, size_t len, size_t max, char **ret,
                       size_t *ret_len, cc_error **err)
{
	if (len > UINT_MAX)
		return cc_error_set(err, -E2BIG, "gzip: %zu bytes is too long", len);
	z_stream z;
	memset(&z, 0, sizeof(z));
	/* 16 + MAX_WBITS: a gzip header and trailer, nothing else */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return cc_error_set(err, -ENOMEM, "gzip: out of memory");
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)len;
	cc_buf b;
	cc_buf_init(&b, max);
	unsigned char out[4096];
	int r = 0, zr = Z_OK;
	while (r == 0 && zr != Z_STREAM_END) {
		z.next_out = out;
		z.avail_out = sizeof(out);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			if (zr == Z_MEM_ERROR)
				r = cc_error_set(err, -ENOMEM, "gzip: out of memory");
			else if (zr == Z_BUF_ERROR)
				r = cc_error_set(err, -EINVAL, "gzip: the stream is truncated");
			else
				r = cc_error_set(err, -EINVAL, "gzip: %s", z.msg ? z.msg : "corrupt data");
			break;
		}
		size_t got = sizeof(out) - z.avail_out;
		if (b.len + got > max) {
			r = cc_error_set(err, -E2BIG, "gzip: inflates to more than %zu bytes", max);
			break;
		}
		if (got && cc_buf_add(&b, out, got) < 0)
			r = cc_error_set(err, -ENOMEM, "gzip: out of memory");
	}
	if (r == 0 && z.avail_in != 0)
		r = cc_error_set(err, -EINVAL, "gzip: %u bytes after the end of the stream",
		                 z.avail_in);
	inflateEnd(&z);
	char *s = r == 0 ? cc_buf_steal(&b, ret_len) : NULL;
	cc_buf_free(&b);
	if (r == 0 && s == NULL)
		r = cc_error_set(err, -ENOMEM, "gzip: out of memory");
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

int cc_initdata_gzip(const void *data, size_t len, unsigned char **ret, size_t *ret_len,
                     cc_error **err)
{
	if (len > UINT_MAX / 2)
		return cc_error_set(err, -E2BIG, "gzip: %zu bytes is too long", len);
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return cc_error_set(err, -ENOMEM, "gzip: out of memory");
	uLong cap = deflateBound(&z, (uLong)len);
	unsigned char *out = malloc(cap ? cap : 1);
	if (out == NULL) {
		deflateEnd(&z);
		return cc_error_set(err, -ENOMEM, "gzip: out of memory");
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int zr = deflate(&z, Z_FINISH);
	size_t n = z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(out);
		return cc_error_set(err, -ENOMEM, "gzip: deflate failed (%d)", zr);
	}
	/* no decoder takes more (the annotation, the image) */
	if (n > CC_INITDATA_MAX_GZIP_BYTES) {
		free(out);
		return cc_error_set(err, -E2BIG, "init-data: %zu bytes of gzip, more than %u", n,
		                    CC_INITDATA_MAX_GZIP_BYTES);
	}
	*ret = out;
	*ret_len = n;
	return 0;
}
