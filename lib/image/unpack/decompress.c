/* Layer media types and decompressing readers (unpack.h).
 *
 * gzip: RFC 1952 through zlib's inflate (windowBits 15 + 16: gzip framing
 * only). Members follow each other as Go's compress/gzip reads them
 * (multistream): when one ends, the next bytes must be another member or
 * the end of the input. zstd: RFC 8878 through libzstd's streaming API,
 * which reads concatenated and skippable frames; the window is capped at
 * 27 (128 MiB, libzstd's default), libzstd's default.
 */
#include "unpack.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#define DECOMP_IN_BUF (128u * 1024u)
/* libzstd's default window cap (ZSTD_WINDOWLOG_LIMIT_DEFAULT, only in its
 * static API): frames needing a window over 128 MiB are refused. */
#define DECOMP_ZSTD_WINDOW_LOG 27

struct media_type {
	const char *name;
	enum img_compression c;
	bool encrypted;
};

/* OCI image-spec media-types.md and Docker's image manifest v2.2; the
 * encrypted ones are ocicrypt's (image-rs accepts no zstd+encrypted). */
static const struct media_type media_types[] = {
	{"application/vnd.oci.image.layer.v1.tar", IMG_COMPRESSION_NONE, false},
	{"application/vnd.oci.image.layer.v1.tar+gzip", IMG_COMPRESSION_GZIP, false},
	{"application/vnd.oci.image.layer.v1.tar+zstd", IMG_COMPRESSION_ZSTD, false},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar", IMG_COMPRESSION_NONE, false},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", IMG_COMPRESSION_GZIP,
	 false},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", IMG_COMPRESSION_ZSTD,
	 false},
	{"application/vnd.docker.image.rootfs.diff.tar.gzip", IMG_COMPRESSION_GZIP, false},
	{"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", IMG_COMPRESSION_GZIP, false},
	{"application/vnd.oci.image.layer.v1.tar+encrypted", IMG_COMPRESSION_NONE, true},
	{"application/vnd.oci.image.layer.v1.tar+gzip+encrypted", IMG_COMPRESSION_GZIP, true},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar+encrypted", IMG_COMPRESSION_NONE,
	 true},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip+encrypted",
	 IMG_COMPRESSION_GZIP, true},
};

int img_layer_media_type(const char *media_type, enum img_compression *ret_compression,
                         bool *ret_encrypted, cc_error **err)
{
	if (media_type == NULL)
		return cc_error_set(err, -ENOTSUP, "unhandled media type (none given)");
	for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++) {
		if (strcmp(media_type, media_types[i].name) != 0)
			continue;
		if (ret_compression != NULL)
			*ret_compression = media_types[i].c;
		if (ret_encrypted != NULL)
			*ret_encrypted = media_types[i].encrypted;
		return 0;
	}
	return cc_error_set(err, -ENOTSUP, "unhandled media type \"%.200s\"", media_type);
}

const char *img_compression_name(enum img_compression c)
{
	switch (c) {
	case IMG_COMPRESSION_NONE:
		return "none";
	case IMG_COMPRESSION_GZIP:
		return "gzip";
	case IMG_COMPRESSION_ZSTD:
		return "zstd";
	}
	return "unknown";
}

/* ---- shared input side ---------------------------------------------------- */

struct decomp {
	img_reader *inner;
	unsigned char *in;
	size_t in_len, in_off; /* unread input is in[in_off, in_len) */
	bool in_eof;
	bool started;     /* any compressed byte seen */
	bool frame_open;  /* inside a member/frame */
	bool done;
	int failed;       /* sticky error code */
	uint64_t out, max_out;
	const char *name;
	z_stream z;
	ZSTD_DStream *zs;
};

/* Refills the input buffer when it is empty. Returns 0 or a negative errno. */
static int decomp_fill(struct decomp *d, cc_error **err)
{
	if (d->in_off < d->in_len || d->in_eof)
		return 0;
	ssize_t got = img_reader_read(d->inner, d->in, DECOMP_IN_BUF, err);
	if (got < 0)
		return (int)got;
	d->in_off = 0;
	d->in_len = (size_t)got;
	if (got == 0)
		d->in_eof = true;
	else
		d->started = true;
	return 0;
}

static ssize_t decomp_fail(struct decomp *d, cc_error **err, int code, const char *what)
{
	d->failed = code;
	return cc_error_set(err, code, "%s: %s", d->name, what);
}

/* Counts produced bytes against the cap. */
static ssize_t decomp_count(struct decomp *d, size_t produced, cc_error **err)
{
	d->out += produced;
	if (d->out > d->max_out) {
		d->failed = -EFBIG;
		return cc_error_set(err, -EFBIG,
		                    "%s: decompressed layer is over the %" PRIu64 "-byte cap",
		                    d->name, d->max_out);
	}
	return (ssize_t)produced;
}

/* At the end of the input: fine after a complete member/frame, else an
 * empty or truncated stream. */
static ssize_t decomp_at_eof(struct decomp *d, cc_error **err)
{
	if (!d->started)
		return decomp_fail(d, err, -EBADMSG, "empty stream");
	if (d->frame_open)
		return decomp_fail(d, err, -EBADMSG, "unexpected end of stream (truncated)");
	d->done = true;
	return 0;
}

/* ---- gzip ------------------------------------------------------------------ */

static ssize_t gzip_step(struct decomp *d, void *buf, size_t n, cc_error **err)
{
	if (!d->frame_open) {
		if (inflateReset(&d->z) != Z_OK)
			return decomp_fail(d, err, -EBADMSG, "inflateReset failed");
		d->frame_open = true;
	}
	d->z.next_in = d->in + d->in_off;
	d->z.avail_in = (uInt)(d->in_len - d->in_off);
	d->z.next_out = buf;
	d->z.avail_out = (uInt)n;
	int r = inflate(&d->z, Z_NO_FLUSH);
	d->in_off = d->in_len - d->z.avail_in;
	size_t produced = n - d->z.avail_out;
	if (r == Z_STREAM_END)
		d->frame_open = false;
	else if (r != Z_OK && r != Z_BUF_ERROR)
		return decomp_fail(d, err, -EBADMSG,
		                   d->z.msg ? d->z.msg : "corrupt deflate data");
	return (ssize_t)produced;
}

/* ---- zstd ------------------------------------------------------------------ */

static ssize_t zstd_step(struct decomp *d, void *buf, size_t n, cc_error **err)
{
	ZSTD_inBuffer in = {d->in, d->in_len, d->in_off};
	ZSTD_outBuffer out = {buf, n, 0};
	size_t z = ZSTD_decompressStream(d->zs, &out, &in);
	d->in_off = in.pos;
	if (ZSTD_isError(z))
		return decomp_fail(d, err, -EBADMSG, ZSTD_getErrorName(z));
	/* 0: a frame is complete and flushed. */
	d->frame_open = z != 0;
	return (ssize_t)out.pos;
}

/* ---- the read loop --------------------------------------------------------- */

typedef ssize_t (*decomp_step_fn)(struct decomp *d, void *buf, size_t n, cc_error **err);

/* Feeds input to step until it produces output, fails or the input ends. */
static ssize_t decomp_read(struct decomp *d, void *buf, size_t n, decomp_step_fn step,
                           cc_error **err)
{
	if (d->failed)
		return cc_error_set(err, d->failed, "%s: stream failed earlier", d->name);
	if (d->done)
		return 0;
	for (;;) {
		int r = decomp_fill(d, err);
		if (r < 0) {
			d->failed = r;
			return r;
		}
		if (d->in_off == d->in_len && d->in_eof)
			return decomp_at_eof(d, err);
		ssize_t got = step(d, buf, n, err);
		if (got != 0)
			return got < 0 ? got : decomp_count(d, (size_t)got, err);
	}
}

static ssize_t gzip_read(void *self, void *buf, size_t n, cc_error **err)
{
	return decomp_read(self, buf, n > UINT_MAX ? UINT_MAX : n, gzip_step, err);
}

static ssize_t zstd_read(void *self, void *buf, size_t n, cc_error **err)
{
	return decomp_read(self, buf, n, zstd_step, err);
}

/* ---- construction ---------------------------------------------------------- */

static void decomp_free(void *self)
{
	struct decomp *d = self;
	if (d->zs != NULL)
		ZSTD_freeDStream(d->zs);
	if (d->name != NULL && strcmp(d->name, "gzip") == 0)
		inflateEnd(&d->z);
	img_reader_free(d->inner);
	free(d->in);
	free(d);
}

static const struct img_reader_ops gzip_ops = {gzip_read, decomp_free};
static const struct img_reader_ops zstd_ops = {zstd_read, decomp_free};

static int decomp_init_codec(struct decomp *d, enum img_compression c)
{
	if (c == IMG_COMPRESSION_GZIP) {
		if (inflateInit2(&d->z, 15 + 16) != Z_OK)
			return -ENOMEM;
		d->name = "gzip";
		return 0;
	}
	d->zs = ZSTD_createDStream();
	if (d->zs == NULL)
		return -ENOMEM;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax,
	                                        DECOMP_ZSTD_WINDOW_LOG)))
		return -ENOMEM;
	d->name = "zstd";
	return 0;
}

img_reader *img_decompress_reader(img_reader *inner, enum img_compression c, uint64_t max_out)
{
	if (inner == NULL) /* an inner constructor ran out of memory */
		return NULL;
	if (c == IMG_COMPRESSION_NONE)
		return img_reader_limit(inner, max_out, false, "layer");
	if (c != IMG_COMPRESSION_GZIP && c != IMG_COMPRESSION_ZSTD) {
		img_reader_free(inner);
		return NULL;
	}
	struct decomp *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		img_reader_free(inner);
		return NULL;
	}
	d->inner = inner;
	d->max_out = max_out;
	d->in = malloc(DECOMP_IN_BUF);
	if (d->in == NULL || decomp_init_codec(d, c) < 0) {
		decomp_free(d);
		return NULL;
	}
	return img_reader_new(c == IMG_COMPRESSION_GZIP ? &gzip_ops : &zstd_ops, d);
}
