/* OCI content digests (digest.h). */
#include "digest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

size_t img_digest_size(enum img_digest_alg alg)
{
	return alg == IMG_DIGEST_SHA512 ? 64 : 32;
}

const char *img_digest_alg_name(enum img_digest_alg alg)
{
	return alg == IMG_DIGEST_SHA512 ? "sha512" : "sha256";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int img_digest_parse(const char *s, size_t n, img_digest *ret, cc_error **err)
{
	const char *colon = memchr(s, ':', n);
	if (colon == NULL)
		return cc_error_set(err, -EINVAL, "invalid digest: no ':' between algorithm and hex");
	size_t alen = (size_t)(colon - s);
	img_digest d = {0};
	if (alen == 6 && memcmp(s, "sha256", 6) == 0)
		d.alg = IMG_DIGEST_SHA256;
	else if (alen == 6 && memcmp(s, "sha512", 6) == 0)
		d.alg = IMG_DIGEST_SHA512;
	else
		return cc_error_set(err, -ENOTSUP, "unsupported digest algorithm '%.*s'",
		                    (int)(alen > 32 ? 32 : alen), s);
	const char *hex = colon + 1;
	size_t hlen = n - alen - 1, want = img_digest_size(d.alg);
	if (hlen != 2 * want)
		return cc_error_set(err, -EINVAL, "invalid %s digest: %zu hex digits, expected %zu",
		                    img_digest_alg_name(d.alg), hlen, 2 * want);
	for (size_t i = 0; i < want; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return cc_error_set(err, -EINVAL,
			                    "invalid %s digest: not lower-case hex at offset %zu",
			                    img_digest_alg_name(d.alg), alen + 1 + 2 * i + (hi < 0 ? 0 : 1));
		d.b[i] = (unsigned char)(hi << 4 | lo);
	}
	*ret = d;
	return 0;
}

char *img_digest_hex(const img_digest *d, char out[129])
{
	static const char digits[] = "0123456789abcdef";
	size_t n = img_digest_size(d->alg);
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d->b[i] >> 4];
		out[2 * i + 1] = digits[d->b[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

char *img_digest_format(const img_digest *d, char out[IMG_DIGEST_STR_MAX])
{
	char hex[129];
	snprintf(out, IMG_DIGEST_STR_MAX, "%s:%s", img_digest_alg_name(d->alg), img_digest_hex(d, hex));
	return out;
}

bool img_digest_eq(const img_digest *a, const img_digest *b)
{
	return a->alg == b->alg && CRYPTO_memcmp(a->b, b->b, img_digest_size(a->alg)) == 0;
}

/* ---- hashing ------------------------------------------------------------- */

struct img_hasher {
	EVP_MD_CTX *ctx;
	enum img_digest_alg alg;
};

img_hasher *img_hasher_new(enum img_digest_alg alg)
{
	img_hasher *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->alg = alg;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL ||
	    EVP_DigestInit_ex(h->ctx, alg == IMG_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256(), NULL) != 1) {
		img_hasher_free(h);
		return NULL;
	}
	return h;
}

void img_hasher_update(img_hasher *h, const void *p, size_t n)
{
	if (n)
		EVP_DigestUpdate(h->ctx, p, n);
}

void img_hasher_final(img_hasher *h, img_digest *out)
{
	unsigned int len = 0;
	memset(out, 0, sizeof(*out));
	out->alg = h->alg;
	EVP_DigestFinal_ex(h->ctx, out->b, &len);
}

void img_hasher_free(img_hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int img_digest_bytes(enum img_digest_alg alg, const void *p, size_t n, img_digest *ret,
                     cc_error **err)
{
	img_hasher *h = img_hasher_new(alg);
	if (h == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	img_hasher_update(h, p, n);
	img_hasher_final(h, ret);
	img_hasher_free(h);
	return 0;
}

/* ---- checking reader ------------------------------------------------------ */

struct digest_reader {
	img_reader *inner;
	img_hasher *h;
	img_digest want;
	img_digest *got;    /* hash reader: where the result goes */
	bool check;         /* compare with want at the end */
	int64_t want_size;  /* < 0: any */
	uint64_t seen;
	int done;           /* 1 ended well; < 0 sticky error */
	img_offload *off;   /* hashing on another thread, or NULL */
	char what[96];
};

static void hash_update(void *ctx, const void *p, size_t n)
{
	img_hasher_update(ctx, p, n);
}

static ssize_t digest_read(void *self, void *buf, size_t n, cc_error **err)
{
	struct digest_reader *d = self;
	if (d->done < 0)
		return cc_error_set(err, d->done, "%s: stream failed earlier", d->what);
	if (d->done > 0)
		return 0;
	if (d->want_size >= 0) {
		/* One byte more than expected shows an overrun. */
		uint64_t room = (uint64_t)d->want_size - d->seen + 1;
		if (n > room)
			n = (size_t)room;
	}
	ssize_t got = img_reader_read(d->inner, buf, n, err);
	if (got < 0) {
		d->done = (int)got;
		return got;
	}
	if (got > 0) {
		d->seen += (uint64_t)got;
		if (d->want_size >= 0 && d->seen > (uint64_t)d->want_size) {
			d->done = -EFBIG;
			return cc_error_set(err, -EFBIG, "%s: more than the %lld bytes its descriptor gives",
			                    d->what, (long long)d->want_size);
		}
		if (d->off)
			img_offload_feed(d->off, buf, (size_t)got);
		else
			img_hasher_update(d->h, buf, (size_t)got);
		return got;
	}
	if (d->want_size >= 0 && d->seen != (uint64_t)d->want_size) {
		d->done = -EBADMSG;
		return cc_error_set(err, -EBADMSG, "%s: %llu bytes, its descriptor gives %lld", d->what,
		                    (unsigned long long)d->seen, (long long)d->want_size);
	}
	img_digest have;
	if (d->off)
		img_offload_wait(d->off);
	img_hasher_final(d->h, &have);
	if (d->got)
		*d->got = have;
	if (d->check && !img_digest_eq(&have, &d->want)) {
		char w[IMG_DIGEST_STR_MAX], h[IMG_DIGEST_STR_MAX];
		d->done = -EBADMSG;
		return cc_error_set(err, -EBADMSG, "%s: digest mismatch: expected %s, got %s", d->what,
		                    img_digest_format(&d->want, w), img_digest_format(&have, h));
	}
	d->done = 1;
	return 0;
}

static void digest_free(void *self)
{
	struct digest_reader *d = self;
	img_offload_free(d->off); /* before the hasher it feeds */
	img_reader_free(d->inner);
	img_hasher_free(d->h);
	free(d);
}

static const struct img_reader_ops digest_ops = {digest_read, digest_free};

static img_reader *new_digest_reader(img_reader *inner, enum img_digest_alg alg,
                                     const img_digest *want, img_digest *got, int64_t want_size,
                                     const char *what, bool offload)
{
	if (inner == NULL) /* an inner constructor ran out of memory */
		return NULL;
	struct digest_reader *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		img_reader_free(inner);
		return NULL;
	}
	d->inner = inner;
	d->h = img_hasher_new(alg);
	if (d->h != NULL && offload)
		d->off = img_offload_new(hash_update, d->h);
	if (d->h == NULL || (offload && d->off == NULL)) {
		digest_free(d);
		return NULL;
	}
	if (want) {
		d->want = *want;
		d->check = true;
	}
	d->got = got;
	d->want_size = want_size;
	snprintf(d->what, sizeof(d->what), "%s", what ? what : "blob");
	return img_reader_new(&digest_ops, d);
}

img_reader *img_digest_reader(img_reader *inner, const img_digest *want, int64_t want_size,
                              const char *what)
{
	return new_digest_reader(inner, want->alg, want, NULL, want_size, what, false);
}

img_reader *img_digest_reader_offload(img_reader *inner, const img_digest *want,
                                      int64_t want_size, const char *what)
{
	return new_digest_reader(inner, want->alg, want, NULL, want_size, what, true);
}

img_reader *img_hash_reader(img_reader *inner, enum img_digest_alg alg, img_digest *got)
{
	return new_digest_reader(inner, alg, NULL, got, -1, "stream", false);
}
