/* Test-only tool for the skopeo interop test (skopeo_interop.sh): reads and
 * rewrites OCI image layouts (image-spec image-layout.md) with
 * lib/image/ocicrypt. Not a general layout implementation: one manifest,
 * sha256 blobs.
 *
 *   oclayout digests LAYOUT           the layer descriptor digests, one a line
 *   oclayout decrypt LAYOUT KEY...    each layer's plain digest, decrypting the
 *                                     encrypted ones with the keys (skopeo
 *                                     --decryption-key spelling)
 *   oclayout encrypt LAYOUT RECIP...  encrypts every layer in place (new blobs,
 *                                     descriptors, manifest and index.json)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "internal.h"

#define MAX_JSON (16u * 1024u * 1024u)

static int die(cc_error *err)
{
	fprintf(stderr, "oclayout: %s\n", cc_error_message(err));
	cc_error_free(err);
	return 1;
}

static int load_json(const char *path, json_t **ret, cc_error **err)
{
	_cleanup_free_ char *b = NULL;
	size_t n = 0;
	int r = cc_read_file(path, MAX_JSON, OC_READ, &b, &n, err);
	return r < 0 ? r : oc_json_parse(b, n, MAX_JSON, ret, path, err);
}

static int blob_path(const char *layout, const json_t *desc, char *out, size_t n, cc_error **err)
{
	const char *d = json_string_value(json_object_get(desc, "digest"));
	img_digest dg;
	int r = d ? img_digest_parse(d, strlen(d), &dg, err)
	          : cc_error_set(err, -EINVAL, "descriptor without digest");
	if (r < 0)
		return r;
	char hex[129];
	snprintf(out, n, "%s/blobs/%s/%s", layout, img_digest_alg_name(dg.alg),
	         img_digest_hex(&dg, hex));
	return 0;
}

struct layout {
	const char *dir;
	json_t *index;
	json_t *mdesc; /* borrowed from index */
	json_t *manifest;
};

static int layout_open(const char *dir, struct layout *l, cc_error **err)
{
	char p[4096];
	l->dir = dir;
	snprintf(p, sizeof(p), "%s/index.json", dir);
	int r = load_json(p, &l->index, err);
	if (r < 0)
		return r;
	l->mdesc = json_array_get(json_object_get(l->index, "manifests"), 0);
	if (l->mdesc == NULL)
		return cc_error_set(err, -EINVAL, "%s: no manifest", p);
	if ((r = blob_path(dir, l->mdesc, p, sizeof(p), err)) < 0)
		return r;
	return load_json(p, &l->manifest, err);
}

static int cmd_digests(struct layout *l)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(l->manifest, "layers"), i, d)
		printf("%s\n", json_string_value(json_object_get(d, "digest")));
	return 0;
}

static int decrypt_layer(const struct layout *l, const ocicrypt_keys *k, const json_t *d,
                         cc_error **err)
{
	char p[4096];
	int r = blob_path(l->dir, d, p, sizeof(p), err);
	if (r < 0)
		return r;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %m", p);
	img_reader *rd = img_reader_fd(fd, true), *plain = NULL;
	img_digest got;
	r = ocicrypt_decrypt_reader(k, json_string_value(json_object_get(d, "mediaType")),
	                            json_object_get(d, "annotations"), rd, &plain, err);
	if (r < 0)
		return r;
	plain = img_hash_reader(plain, IMG_DIGEST_SHA256, &got);
	r = img_reader_drain(plain, err);
	img_reader_free(plain);
	if (r < 0)
		return cc_error_wrap(err, "layer %s", json_string_value(json_object_get(d, "digest")));
	char s[IMG_DIGEST_STR_MAX];
	printf("%s\n", img_digest_format(&got, s));
	return 0;
}

static int cmd_decrypt(struct layout *l, int n, char **specs, cc_error **err)
{
	ocicrypt_keys *k = ocicrypt_keys_new();
	int r = 0;
	for (int i = 0; r == 0 && i < n; i++)
		r = ocicrypt_keys_add(k, specs[i], err);
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(l->manifest, "layers"), i, d) {
		if (r < 0)
			break;
		const char *mt = json_string_value(json_object_get(d, "mediaType"));
		if (ocicrypt_media_type_is_encrypted(mt))
			r = decrypt_layer(l, k, d, err);
		else
			printf("%s\n", json_string_value(json_object_get(d, "digest")));
	}
	ocicrypt_keys_free(k);
	return r;
}

/* Writes everything from rd to a new blob; *ret_desc gets digest and size. */
static int write_blob(const char *dir, img_reader *rd, json_t *desc, cc_error **err)
{
	char tmp[4096], final[4096];
	snprintf(tmp, sizeof(tmp), "%s/blobs/sha256/.oclayout-XXXXXX", dir);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		img_reader_free(rd);
		return cc_error_set(err, -errno, "%s: %m", tmp);
	}
	img_digest got;
	rd = img_hash_reader(rd, IMG_DIGEST_SHA256, &got);
	static char buf[262144];
	ssize_t n;
	while ((n = img_reader_read(rd, buf, sizeof(buf), err)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			n = cc_error_set(err, -EIO, "%s: write failed", tmp);
	uint64_t size = img_reader_count(rd);
	img_reader_free(rd);
	close(fd);
	char hex[129], s[IMG_DIGEST_STR_MAX];
	snprintf(final, sizeof(final), "%s/blobs/sha256/%s", dir, img_digest_hex(&got, hex));
	if (n < 0 || rename(tmp, final) < 0) {
		unlink(tmp);
		return n < 0 ? (int)n : cc_error_set(err, -errno, "%s: %m", final);
	}
	json_object_set_new(desc, "digest", json_string(img_digest_format(&got, s)));
	json_object_set_new(desc, "size", json_integer((json_int_t)size));
	return 0;
}

static int encrypt_layer(const struct layout *l, const ocicrypt_recipients *rc, json_t *d,
                         cc_error **err)
{
	char p[4096];
	int r = blob_path(l->dir, d, p, sizeof(p), err);
	if (r < 0)
		return r;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %m", p);
	ocicrypt_encryptor *e = NULL;
	img_reader *ct = NULL;
	r = ocicrypt_encryptor_new(rc, json_string_value(json_object_get(d, "mediaType")),
	                           img_reader_fd(fd, true), &e, &ct, err);
	if (r == 0)
		r = write_blob(l->dir, ct, d, err);
	const char *mt = NULL;
	json_t *ann = NULL;
	if (r == 0)
		r = ocicrypt_encryptor_finish(e, &mt, &ann, err);
	ocicrypt_encryptor_free(e);
	if (r < 0)
		return r;
	json_object_set_new(d, "mediaType", json_string(mt));
	json_t *old = json_object_get(d, "annotations");
	if (json_is_object(old))
		json_object_update(old, ann);
	else
		json_object_set(d, "annotations", ann);
	json_decref(ann);
	return 0;
}

static int write_json_blob(const char *dir, const json_t *j, json_t *desc, cc_error **err)
{
	char *s = json_dumps(j, JSON_COMPACT);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = write_blob(dir, img_reader_mem(s, strlen(s)), desc, err);
	free(s);
	return r;
}

static int cmd_encrypt(struct layout *l, int n, char **specs, cc_error **err)
{
	ocicrypt_recipients *rc = ocicrypt_recipients_new();
	int r = 0;
	for (int i = 0; r == 0 && i < n; i++)
		r = ocicrypt_recipients_add(rc, specs[i], err);
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(l->manifest, "layers"), i, d) {
		if (r == 0)
			r = encrypt_layer(l, rc, d, err);
	}
	ocicrypt_recipients_free(rc);
	if (r == 0)
		r = write_json_blob(l->dir, l->manifest, l->mdesc, err);
	char p[4096];
	snprintf(p, sizeof(p), "%s/index.json", l->dir);
	if (r == 0 && json_dump_file(l->index, p, JSON_COMPACT) != 0)
		r = cc_error_set(err, -EIO, "%s: write failed", p);
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: oclayout digests|decrypt|encrypt LAYOUT [KEY...]\n");
		return 2;
	}
	struct layout l = {0};
	cc_error *err = NULL;
	int r = layout_open(argv[2], &l, &err);
	if (r == 0 && strcmp(argv[1], "digests") == 0)
		r = cmd_digests(&l);
	else if (r == 0 && strcmp(argv[1], "decrypt") == 0)
		r = cmd_decrypt(&l, argc - 3, argv + 3, &err);
	else if (r == 0 && strcmp(argv[1], "encrypt") == 0)
		r = cmd_encrypt(&l, argc - 3, argv + 3, &err);
	else if (r == 0)
		r = cc_error_set(&err, -EINVAL, "unknown command %s", argv[1]);
	json_decref(l.index);
	json_decref(l.manifest);
	return r < 0 ? die(err) : 0;
}
