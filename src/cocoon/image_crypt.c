/* Layer encryption and decryption for `cocoon image copy` (image_cli.h):
 * the img_layer_xform that runs each layer through ocicrypt. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "copy.h"
#include "image_cli.h"
#include "ocicrypt.h"

struct image_crypt {
	ocicrypt_keys *keys;        /* --decryption-key; NULL: none */
	ocicrypt_recipients *rcpt;  /* --encryption-key; NULL: none */
	struct img_layer_xform xform;
};

#define ENC_ANNOTATION_PREFIX "org.opencontainers.image.enc."

/* The descriptor's annotations without the enc.* ones, merged with add
 * (may be NULL). A new object, or NULL when it would be empty. */
static int merge_annotations(const json_t *in, const json_t *add, json_t **ret, cc_error **err)
{
	json_t *o = json_object();
	if (o == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)in, k, v) {
		if (strncmp(k, ENC_ANNOTATION_PREFIX, strlen(ENC_ANNOTATION_PREFIX)) == 0)
			continue;
		if (json_object_set(o, k, v) != 0)
			goto oom;
	}
	if (add && json_object_update(o, (json_t *)add) != 0)
		goto oom;
	if (json_object_size(o) == 0) {
		json_decref(o);
		o = NULL;
	}
	*ret = o;
	return 0;
oom:
	json_decref(o);
	return cc_error_set(err, -ENOMEM, "out of memory");
}

static int crypt_layer(void *ctx, size_t index, const img_descriptor *in, img_reader *in_r,
                       int out_fd, img_descriptor *out, cc_error **err)
{
	struct image_crypt *c = ctx;
	bool encrypted = ocicrypt_media_type_is_encrypted(in->media_type);
	bool decrypt = encrypted && c->keys != NULL;
	const char *plain_mt = decrypt ? ocicrypt_media_type_plain(in->media_type) : in->media_type;
	/* Layers already encrypted that we do not open stay as they are (as
	 * containers/image does); every other layer must be encrypted when
	 * recipients were given: a layer left in plaintext is an error. */
	bool encrypt = c->rcpt != NULL && !(encrypted && !decrypt);
	if (encrypt) {
		plain_mt = img_layer_type_oci(plain_mt);
		if (plain_mt == NULL || ocicrypt_media_type_encrypted(plain_mt) == NULL)
			return cc_error_set(err, -ENOTSUP, "layer %zu: media type %.200s cannot be encrypted",
			                    index + 1, in->media_type);
	}
	if (!decrypt && !encrypt)
		return 1;
	/* in_r stays the caller's: the chain below must not free it */
	img_reader *r = img_reader_borrow(in_r);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int rc;
	img_digest got;
	if (decrypt && (rc = ocicrypt_decrypt_reader_digest(c->keys, in->media_type, in->annotations,
	                                                    r, &r, &got, err)) < 0)
		return cc_error_wrap(err, "decrypting");
	ocicrypt_encryptor *e = NULL;
	if (encrypt && (rc = ocicrypt_encryptor_new(c->rcpt, plain_mt, r, &e, &r, err)) < 0)
		return cc_error_wrap(err, "encrypting");
	/* decrypting only: the decrypting reader checks the plain blob's digest
	 * (got) at its end, so it is not hashed a second time */
	if (encrypt)
		r = img_hash_reader(r, IMG_DIGEST_SHA256, &got);
	uint64_t n = 0;
	rc = r ? img_reader_to_fd(r, out_fd, 0, NULL, NULL, &n, err)
	       : cc_error_set(err, -ENOMEM, "out of memory");
	if (rc < 0)
		cc_error_wrap(err, "writing the new layer");
	img_reader_free(r);
	const char *mt = plain_mt;
	json_t *added = NULL;
	if (rc == 0 && e)
		rc = ocicrypt_encryptor_finish(e, &mt, &added, err);
	ocicrypt_encryptor_free(e);
	json_t *ann = NULL;
	if (rc == 0)
		rc = merge_annotations(in->annotations, added, &ann, err);
	json_decref(added);
	if (rc < 0)
		return rc;
	out->media_type = strdup(mt);
	if (out->media_type == NULL) {
		json_decref(ann);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	out->digest = got;
	out->size = (int64_t)n;
	out->annotations = ann;
	return 0;
}

int image_crypt_new(char *const *enc, size_t nenc, char *const *dec, size_t ndec,
                    struct image_crypt **ret, cc_error **err)
{
	struct image_crypt *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	c->xform.fn = crypt_layer;
	c->xform.ctx = c;
	int rc = 0;
	if (ndec && (c->keys = ocicrypt_keys_new()) == NULL)
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < ndec; i++)
		if ((rc = ocicrypt_keys_add(c->keys, dec[i], err)) < 0)
			cc_error_wrap(err, "--decryption-key");
	if (rc == 0 && nenc && (c->rcpt = ocicrypt_recipients_new()) == NULL)
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < nenc; i++)
		if ((rc = ocicrypt_recipients_add(c->rcpt, enc[i], err)) < 0)
			cc_error_wrap(err, "--encryption-key");
	if (rc < 0) {
		image_crypt_free(c);
		return rc;
	}
	*ret = c;
	return 0;
}

const struct img_layer_xform *image_crypt_xform(const struct image_crypt *c)
{
	return &c->xform;
}

const ocicrypt_keys *image_crypt_keys(const struct image_crypt *c)
{
	return c ? c->keys : NULL;
}

void image_crypt_free(struct image_crypt *c)
{
	if (c == NULL)
		return;
	ocicrypt_keys_free(c->keys);
	ocicrypt_recipients_free(c->rcpt);
	free(c);
}
