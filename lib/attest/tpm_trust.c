/* Trusted AKs from a directory, as Trustee's trusted_ak_keys_dir: every
 * regular file named *.pub holds a PEM public key; the set keeps SHA-256 of
 * each key's DER SubjectPublicKeyInfo, which is what evidence's ak_public
 * decodes to. Unlike upstream (which skips an unreadable key with a
 * warning and silently stops after max_trusted_ak_keys), a bad file or one
 * file too many is an error naming it: an operator's trust list is never
 * half read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "tpm_int.h"

struct tpm_ak_set {
	size_t n;
	uint8_t hash[CC_TPM_MAX_TRUSTED_AKS][TPM_SHA256_SIZE];
};

void tpm_ak_set_free(tpm_ak_set *s)
{
	free(s);
}

size_t tpm_ak_set_count(const tpm_ak_set *s)
{
	return s->n;
}

bool tpm_ak_set_contains(const tpm_ak_set *s, const uint8_t *der, size_t len)
{
	uint8_t h[TPM_SHA256_SIZE];
	if (tpm_sha256_2(der, len, NULL, 0, h) < 0)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(s->hash[i], h, sizeof(h)) == 0)
			return true;
	return false;
}

static bool is_pub_name(const char *name)
{
	size_t len = strlen(name);
	return len > 4 && strcmp(name + len - 4, ".pub") == 0;
}

/* Reads a regular file of at most CC_TPM_MAX_AK_PEM_BYTES; 1 if it is not
 * a regular file (skipped, as upstream's is_file()). */
static int read_pem(int dfd, const char *name, char *buf, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 1;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, CC_TPM_MAX_AK_PEM_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CC_TPM_MAX_AK_PEM_BYTES)
			return -E2BIG;
	}
	*ret_len = len;
	return 0;
}

/* SHA-256 of the DER of the PEM public key in buf. */
static int hash_pem(const char *buf, size_t len, uint8_t out[TPM_SHA256_SIZE])
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *pk = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = pk != NULL ? i2d_PUBKEY(pk, &der) : -1;
	int r = n > 0 ? tpm_sha256_2(der, (size_t)n, NULL, 0, out) : -EINVAL;
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

static int add_file(tpm_ak_set *s, int dfd, const char *dir, const char *name, char *buf,
                    cc_error **err)
{
	size_t len = 0;
	int r = read_pem(dfd, name, buf, &len);
	if (r == 1)
		return 0;
	if (r == -E2BIG)
		return cc_error_set(err, r, "%s/%s: more than %u bytes", dir, name,
		                    CC_TPM_MAX_AK_PEM_BYTES);
	if (r < 0)
		return cc_error_set(err, r, "%s/%s: %s", dir, name, strerror(-r));
	if (s->n == CC_TPM_MAX_TRUSTED_AKS)
		return cc_error_set(err, -E2BIG, "%s: more than %u trusted AK files", dir,
		                    CC_TPM_MAX_TRUSTED_AKS);
	if (hash_pem(buf, len, s->hash[s->n]) < 0)
		return cc_error_set(err, -EINVAL, "%s/%s: not a PEM public key", dir, name);
	s->n++;
	return 0;
}

int tpm_ak_set_load_dir(const char *dir, tpm_ak_set **ret, cc_error **err)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return cc_error_set(err, -errno, "trusted AK keys directory %s: %s", dir,
		                    strerror(errno));
	tpm_ak_set *s = calloc(1, sizeof(*s));
	char *buf = malloc(CC_TPM_MAX_AK_PEM_BYTES + 1);
	int r = s != NULL && buf != NULL ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	while (r == 0) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				r = cc_error_set(err, -errno, "trusted AK keys directory %s: %s", dir,
				                 strerror(errno));
			break;
		}
		if (is_pub_name(de->d_name))
			r = add_file(s, dirfd(d), dir, de->d_name, buf, err);
	}
	closedir(d);
	free(buf);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}
