/* PCR 9 of the attested VM shape (vm_measure.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cocoon/cleanup.h"
#include "vm_measure.h"

void vm_pcr_extend(uint8_t pcr[VM_SHA256_LEN], const uint8_t digest[VM_SHA256_LEN])
{
	uint8_t both[2 * VM_SHA256_LEN];
	memcpy(both, pcr, VM_SHA256_LEN);
	memcpy(both + VM_SHA256_LEN, digest, VM_SHA256_LEN);
	unsigned n = 0;
	EVP_Digest(both, sizeof(both), pcr, &n, EVP_sha256(), NULL);
}

void vm_hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int vm_measure_load_options(const char *cmdline, uint8_t out[VM_SHA256_LEN], cc_error **err)
{
	static const char suffix[] = VM_INITRD_SUFFIX;
	size_t len = strlen(cmdline);
	if (len > VM_CMDLINE_MAX)
		return cc_error_set(err, -E2BIG, "kernel command line: %zu bytes, more than %u", len,
		                    VM_CMDLINE_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)cmdline[i] > 0x7f)
			return cc_error_set(err, -EINVAL, "kernel command line: byte %zu is not ASCII "
			                    "(OVMF widens each byte to UTF-16)", i);
	size_t n = len + sizeof(suffix) - 1;
	/* UTF-16LE of each byte, then a UTF-16 NUL */
	_cleanup_free_ uint8_t *u = calloc(2 * n + 2, 1);
	if (u == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		u[2 * i] = (uint8_t)(i < len ? cmdline[i] : suffix[i - len]);
	unsigned dl = 0;
	if (EVP_Digest(u, 2 * n + 2, out, &dl, EVP_sha256(), NULL) != 1)
		return cc_error_set(err, -ENOMEM, "SHA-256 failed");
	return 0;
}

int vm_measure_file(const char *path, uint8_t out[VM_SHA256_LEN], cc_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	uint8_t buf[65536];
	int r = 0;
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)got);
	}
	unsigned dl = 0;
	if (r == 0 && EVP_DigestFinal_ex(ctx, out, &dl) != 1)
		r = cc_error_set(err, -ENOMEM, "SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	return r;
}

int vm_measure_pcr9(const char *cmdline, const char *initrd_path, struct vm_pcr9 *out,
                    cc_error **err)
{
	struct vm_pcr9 m = {0};
	int r = vm_measure_load_options(cmdline, m.load_options, err);
	if (r == 0 && (r = vm_measure_file(initrd_path, m.initrd, err)) < 0)
		cc_error_wrap(err, "initrd");
	if (r < 0)
		return r;
	vm_pcr_extend(m.pcr9, m.load_options);
	vm_pcr_extend(m.pcr9, m.initrd);
	*out = m;
	return 0;
}
