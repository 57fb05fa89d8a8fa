/* Helpers of the crypto builtin group (crypto_int.h): Go-compatible base64
 * decoding, PEM blocks through OpenSSL's PEM reader, and the value shapes
 * Go's encoding/json gives []byte and *big.Int. */
#include <errno.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../rctx.h"
#include "crypto_int.h"

void rcr_ob_init(struct rcr_ob *o, rarena *a)
{
	o->a = a;
	o->n = 0;
	o->bad = false;
}

void rcr_ob_put(struct rcr_ob *o, const char *key, const rv *val)
{
	const rv *k = rv_cstr(o->a, key);
	if (k == NULL || val == NULL || o->n >= RCR_OB_MAX) {
		o->bad = true;
		return;
	}
	o->k[o->n] = k;
	o->v[o->n] = val;
	o->n++;
}

const rv *rcr_ob_done(struct rcr_ob *o)
{
	if (o->bad)
		return NULL;
	return rv_obj(o->a, o->k, o->v, o->n, NULL);
}

static int b64_sym(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int rcr_b64_try(rarena *a, const char *s, size_t n, unsigned char **out, size_t *outn, size_t *bad)
{
	if (n > RCR_MAX_INPUT) {
		*bad = 0;
		return -E2BIG;
	}
	unsigned char *clean = rarena_alloc(a, n + 4);
	unsigned char *dst = rarena_alloc(a, n / 4 * 3 + 4);
	if (clean == NULL || dst == NULL)
		return -ENOMEM;
	size_t k = 0, pad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n')
			continue;
		/* Padding only in the last two places of a quantum; nothing
		 * but padding after the first '='. */
		bool ok = c == '=' ? k % 4 >= 2 && pad < 2 : b64_sym(c) && pad == 0;
		if (!ok) {
			*bad = i;
			return -EINVAL;
		}
		pad += c == '=';
		clean[k++] = c;
	}
	if (k % 4 != 0) {
		/* Go names the start of an unpadded last quantum, or the end. */
		*bad = pad ? n : n - k % 4;
		return -EINVAL;
	}
	int m = k ? EVP_DecodeBlock(dst, clean, (int)k) : 0;
	if (m < 0 || (size_t)m < pad) {
		*bad = n;
		return -EINVAL;
	}
	*out = dst;
	*outn = (size_t)m - pad;
	return 0;
}

int rcr_b64_decode(rctx *cx, const char *s, size_t n, unsigned char **out, size_t *outn)
{
	size_t bad = 0;
	int r = rcr_b64_try(rctx_arena(cx), s, n, out, outn, &bad);
	if (r == -ENOMEM)
		return rbi_oom(cx);
	if (r == -E2BIG)
		return rbi_limit(cx, "input is larger than %zu bytes", RCR_MAX_INPUT);
	if (r < 0)
		return rbi_err(cx, "illegal base64 data at input byte %zu", bad);
	return 0;
}

static const rv *b64_enc(rarena *a, const unsigned char *p, size_t n, bool url)
{
	if (n > RCR_MAX_INPUT)
		return NULL;
	size_t cap = (n + 2) / 3 * 4 + 1;
	char *buf = rarena_alloc(a, cap);
	if (buf == NULL)
		return NULL;
	int m = n ? EVP_EncodeBlock((unsigned char *)buf, p, (int)n) : 0;
	if (m < 0)
		return NULL;
	size_t len = (size_t)m;
	if (url) {
		while (len > 0 && buf[len - 1] == '=')
			len--;
		for (size_t i = 0; i < len; i++)
			buf[i] = buf[i] == '+' ? '-' : buf[i] == '/' ? '_' : buf[i];
	}
	buf[len] = '\0';
	return len ? rv_str_ref(a, buf, len) : rv_empty_str();
}

const rv *rcr_bytes(rarena *a, const unsigned char *p, size_t n)
{
	return p ? b64_enc(a, p, n, false) : rv_null();
}

const rv *rcr_bytes_url(rarena *a, const unsigned char *p, size_t n)
{
	return b64_enc(a, p, n, true);
}

const rv *rcr_bn(rarena *a, const BIGNUM *bn)
{
	char *d = BN_bn2dec(bn);
	if (d == NULL)
		return NULL;
	const rv *v = rv_bigint(a, d, strlen(d));
	OPENSSL_free(d);
	return v;
}

const rv *rcr_bn_url(rarena *a, const BIGNUM *bn)
{
	int len = BN_num_bytes(bn);
	unsigned char *buf = rarena_alloc(a, (size_t)len + 1);
	if (buf == NULL || BN_bn2bin(bn, buf) != len)
		return NULL;
	return b64_enc(a, buf, (size_t)len, true);
}

int rcr_pem_next(rctx *cx, const char *p, size_t n, size_t *off, struct rcr_pem *blk)
{
	if (*off >= n || n - *off > RCR_MAX_INPUT)
		return 0;
	BIO *bio = BIO_new_mem_buf(p + *off, (int)(n - *off));
	if (bio == NULL)
		return rbi_oom(cx);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	int got = PEM_read_bio(bio, &name, &header, &data, &len);
	size_t left = (size_t)BIO_pending(bio);
	BIO_free(bio);
	ERR_clear_error();
	if (got != 1)
		return 0;
	int r = 1;
	size_t tn = strlen(name);
	if (tn >= sizeof(blk->type))
		tn = sizeof(blk->type) - 1;
	memcpy(blk->type, name, tn);
	blk->type[tn] = '\0';
	blk->len = (size_t)len;
	blk->der = rarena_alloc(rctx_arena(cx), blk->len + 1);
	if (blk->der == NULL) {
		r = rbi_oom(cx);
	} else {
		memcpy(blk->der, data, blk->len);
		blk->der[blk->len] = 0;
	}
	*off = n - left;
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	return r;
}
