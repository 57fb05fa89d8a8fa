/* The layer cipher AES_256_CTR_HMAC_SHA256 (containers/ocicrypt
 * blockcipher/blockcipher_aes_ctr.go), streamed both ways as readers.
 *
 * AES-256-CTR with the 16-byte nonce as the initial counter block; the
 * HMAC-SHA256 of the ciphertext uses the same 32-byte key. Data is
 * transformed in place in the caller's buffer (no copy), so the speed is
 * that of EVP on the caller's buffer size. */
#include <errno.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "internal.h"

/* EVP takes int lengths: transform at most this much per call. */
#define CHUNK_MAX (1u << 30)

/* The three streaming primitives both directions use. */
struct oc_stream {
	EVP_CIPHER_CTX *ctr;
	EVP_MAC_CTX *mac;
	img_hasher *hash;
	img_offload *mac_off; /* decryption: the HMAC of the ciphertext on a worker thread */
	bool mac_failed;      /* EVP_MAC_update failed on the worker */
};

static void mac_update(void *ctx, const void *p, size_t n)
{
	struct oc_stream *s = ctx;
	if (EVP_MAC_update(s->mac, p, n) != 1)
		s->mac_failed = true;
}

static void stream_free(struct oc_stream *s)
{
	img_offload_free(s->mac_off); /* before the MAC context it feeds */
	EVP_CIPHER_CTX_free(s->ctr);
	EVP_MAC_CTX_free(s->mac);
	img_hasher_free(s->hash);
	memset(s, 0, sizeof(*s));
}

static int stream_init(struct oc_stream *s, const unsigned char key[OC_SYMKEY_LEN],
                       const unsigned char nonce[OC_NONCE_LEN], enum img_digest_alg alg,
                       bool encrypt, cc_error **err)
{
	memset(s, 0, sizeof(*s));
	s->ctr = EVP_CIPHER_CTX_new();
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	s->mac = m ? EVP_MAC_CTX_new(m) : NULL;
	EVP_MAC_free(m);
	s->hash = img_hasher_new(alg);
	if (s->ctr == NULL || s->mac == NULL || s->hash == NULL) {
		stream_free(s);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (EVP_CipherInit_ex(s->ctr, EVP_aes_256_ctr(), NULL, key, nonce, encrypt ? 1 : 0) != 1 ||
	    EVP_MAC_init(s->mac, key, OC_SYMKEY_LEN, params) != 1) {
		stream_free(s);
		return cc_error_set(err, -EIO, "layer cipher: OpenSSL AES-256-CTR/HMAC setup failed");
	}
	/* Decrypting, the HMAC runs over the ciphertext before it is decrypted
	 * in place: a copy goes to another thread, which hashes it while this
	 * one decrypts and hashes the plaintext. (s must not move after this:
	 * the worker holds its address.) */
	if (!encrypt && (s->mac_off = img_offload_new(mac_update, s)) == NULL) {
		stream_free(s);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* CTR in place; the MAC sees the ciphertext: before decrypting, after
 * encrypting. The hasher sees the plaintext. */
static int stream_update(struct oc_stream *s, unsigned char *p, size_t n, bool encrypt,
                         cc_error **err)
{
	int out = 0;
	if (!encrypt) {
		img_offload_feed(s->mac_off, p, n); /* copied before the in-place decryption */
	} else {
		img_hasher_update(s->hash, p, n);
	}
	if (EVP_CipherUpdate(s->ctr, p, &out, p, (int)n) != 1 || (size_t)out != n)
		return cc_error_set(err, -EIO, "layer cipher: AES-256-CTR failed");
	if (encrypt) {
		if (EVP_MAC_update(s->mac, p, n) != 1)
			return cc_error_set(err, -EIO, "layer cipher: HMAC update failed");
	} else {
		img_hasher_update(s->hash, p, n);
	}
	return 0;
}

static int stream_final(struct oc_stream *s, unsigned char mac[OC_HMAC_LEN], img_digest *d,
                        cc_error **err)
{
	size_t len = 0;
	if (s->mac_off)
		img_offload_wait(s->mac_off);
	if (s->mac_failed || EVP_MAC_final(s->mac, mac, &len, OC_HMAC_LEN) != 1 || len != OC_HMAC_LEN)
		return cc_error_set(err, -EIO, "layer cipher: HMAC final failed");
	img_hasher_final(s->hash, d);
	return 0;
}

/* ---- decryption --------------------------------------------------------- */

struct dec {
	img_reader *inner;
	struct oc_stream s;
	struct oc_plbco opts;
	struct oc_pubopts pub;
	char *what;
	int state;     /* 0 running, 1 ended with every check passed, < 0 failed */
	img_digest *plain_out; /* the plain bytes' digest, written at the end */
	char *errmsg;  /* the failure, repeated by later reads */
};

static ssize_t dec_fail(struct dec *d, cc_error **err, cc_error *e)
{
	d->state = cc_error_code(e) < 0 ? cc_error_code(e) : -EIO;
	free(d->errmsg);
	d->errmsg = strdup(cc_error_message(e));
	cc_error_move(err, &e);
	return d->state;
}

/* The checks at the end of the ciphertext. */
static ssize_t dec_end(struct dec *d, cc_error **err)
{
	cc_error *e = NULL;
	unsigned char mac[OC_HMAC_LEN];
	img_digest got;
	if (stream_final(&d->s, mac, &got, &e) < 0)
		return dec_fail(d, err, e);
	if (!d->pub.has_hmac) {
		cc_error_set(&e, -EBADMSG, "%s: HMAC mismatch: the layer has no HMAC (no "
		                           "enc.pubopts annotation)", d->what);
		return dec_fail(d, err, e);
	}
	if (CRYPTO_memcmp(mac, d->pub.hmac, OC_HMAC_LEN) != 0) {
		cc_error_set(&e, -EBADMSG, "%s: HMAC mismatch: the ciphertext was modified or "
		                           "the key is wrong", d->what);
		return dec_fail(d, err, e);
	}
	/* The PLBCO's digest is not checked, as neither Go ocicrypt nor
	 * ocicrypt-rs checks it: skopeo gzips an uncompressed layer while
	 * encrypting it and records the digest of the tar it started from. The
	 * HMAC authenticates the ciphertext; callers get the real digest of
	 * the plain bytes (plain_out) and a pull checks the diff_id. */
	if (d->plain_out)
		*d->plain_out = got;
	d->state = 1;
	return 0;
}

static ssize_t dec_read(void *self, void *buf, size_t n, cc_error **err)
{
	struct dec *d = self;
	if (d->state == 1)
		return 0;
	if (d->state < 0)
		return cc_error_set(err, d->state, "%s", d->errmsg ? d->errmsg : "layer failed");
	if (n > CHUNK_MAX)
		n = CHUNK_MAX;
	cc_error *e = NULL;
	ssize_t got = img_reader_read(d->inner, buf, n, &e);
	if (got < 0) {
		cc_error_wrap(&e, "%s", d->what);
		return dec_fail(d, err, e);
	}
	if (got == 0)
		return dec_end(d, err);
	if (stream_update(&d->s, buf, (size_t)got, false, &e) < 0)
		return dec_fail(d, err, e);
	return got;
}

static void dec_free(void *self)
{
	struct dec *d = self;
	img_reader_free(d->inner);
	stream_free(&d->s);
	oc_plbco_wipe(&d->opts);
	free(d->what);
	free(d->errmsg);
	free(d);
}

static const struct img_reader_ops dec_ops = {.read = dec_read, .free = dec_free};

int oc_cipher_decrypt_reader(img_reader *inner, const struct oc_plbco *o,
                             const struct oc_pubopts *pub, const char *what, img_reader **ret,
                             img_digest *plain_out, cc_error **err)
{
	struct dec *d = calloc(1, sizeof(*d));
	if (d == NULL || (d->what = strdup(what)) == NULL) {
		free(d);
		img_reader_free(inner);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	d->inner = inner;
	d->plain_out = plain_out;
	d->opts = *o;
	d->pub = *pub;
	int r = stream_init(&d->s, o->symkey, o->nonce, o->digest.alg, false, err);
	if (r < 0) {
		dec_free(d);
		return r;
	}
	img_reader *rd = img_reader_new(&dec_ops, d);
	if (rd == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = rd;
	return 0;
}

/* ---- encryption --------------------------------------------------------- */

struct oc_enc_state {
	int refs;
	struct oc_stream s;
	struct oc_plbco opts;
	unsigned char hmac[OC_HMAC_LEN];
	bool done;
	int failed; /* < 0 after an error */
};

void oc_enc_state_unref(struct oc_enc_state *st)
{
	if (st == NULL || --st->refs > 0)
		return;
	stream_free(&st->s);
	oc_plbco_wipe(&st->opts);
	free(st);
}

struct enc {
	img_reader *inner;
	struct oc_enc_state *st;
};

static ssize_t enc_read(void *self, void *buf, size_t n, cc_error **err)
{
	struct enc *e = self;
	struct oc_enc_state *st = e->st;
	if (st->done)
		return 0;
	if (st->failed < 0)
		return cc_error_set(err, st->failed, "layer encryption failed earlier");
	if (n > CHUNK_MAX)
		n = CHUNK_MAX;
	ssize_t got = img_reader_read(e->inner, buf, n, err);
	int r = 0;
	if (got > 0)
		r = stream_update(&st->s, buf, (size_t)got, true, err);
	else if (got == 0)
		r = stream_final(&st->s, st->hmac, &st->opts.digest, err);
	else
		r = (int)got;
	if (r < 0) {
		st->failed = r;
		return r;
	}
	if (got == 0)
		st->done = true;
	return got;
}

static void enc_free(void *self)
{
	struct enc *e = self;
	img_reader_free(e->inner);
	oc_enc_state_unref(e->st);
	free(e);
}

static const struct img_reader_ops enc_ops = {.read = enc_read, .free = enc_free};

int oc_cipher_encrypt_reader(img_reader *inner, struct oc_enc_state **ret_state,
                             img_reader **ret, cc_error **err)
{
	struct oc_enc_state *st = calloc(1, sizeof(*st));
	struct enc *e = calloc(1, sizeof(*e));
	if (st == NULL || e == NULL) {
		free(st);
		free(e);
		img_reader_free(inner);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	st->refs = 1;
	e->inner = inner;
	e->st = st;
	int r = 0;
	if (RAND_priv_bytes(st->opts.symkey, OC_SYMKEY_LEN) != 1 ||
	    RAND_bytes(st->opts.nonce, OC_NONCE_LEN) != 1)
		r = cc_error_set(err, -EIO, "layer encryption: no random bytes from OpenSSL");
	if (r == 0)
		r = stream_init(&st->s, st->opts.symkey, st->opts.nonce, IMG_DIGEST_SHA256, true,
		                err);
	if (r < 0) {
		enc_free(e);
		return r;
	}
	img_reader *rd = img_reader_new(&enc_ops, e);
	if (rd == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	st->refs++; /* the reader's and the caller's */
	*ret_state = st;
	*ret = rd;
	return 0;
}

int oc_enc_state_result(const struct oc_enc_state *st, struct oc_plbco *ret_opts,
                        unsigned char ret_hmac[OC_HMAC_LEN], cc_error **err)
{
	if (st->failed < 0)
		return cc_error_set(err, -EINVAL, "layer encryption failed; nothing to finish");
	if (!st->done)
		return cc_error_set(err, -EINVAL,
		                    "layer encryption: the ciphertext was not read to its end");
	*ret_opts = st->opts;
	memcpy(ret_hmac, st->hmac, OC_HMAC_LEN);
	return 0;
}
