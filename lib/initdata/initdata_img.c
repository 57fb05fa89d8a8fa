/* The init-data device image (initdata.h; kata.md §5.2): "initdata" ‖
 * u64 little-endian length ‖ gzip(TOML), zero-padded to 512 bytes. The
 * guest reads it from the untrusted host: every length is checked against
 * what is there and against CC_INITDATA_MAX_GZIP_BYTES before use. */
#include <errno.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/limits.h"
#include "initdata.h"

bool cc_initdata_img_has_magic(const unsigned char *buf, size_t len)
{
	return len >= CC_INITDATA_MAGIC_LEN && memcmp(buf, CC_INITDATA_MAGIC, CC_INITDATA_MAGIC_LEN) == 0;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int cc_initdata_img_encode(const char *toml, size_t len, unsigned char **ret, size_t *ret_len,
                           cc_error **err)
{
	unsigned char *gz = NULL;
	size_t n = 0;
	int r = cc_initdata_gzip(toml, len, &gz, &n, err);
	if (r < 0)
		return r;
	size_t total = CC_INITDATA_HEADER_LEN + n;
	total = (total + CC_INITDATA_SECTOR - 1) / CC_INITDATA_SECTOR * CC_INITDATA_SECTOR;
	unsigned char *img = calloc(1, total);
	if (img == NULL) {
		free(gz);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	memcpy(img, CC_INITDATA_MAGIC, CC_INITDATA_MAGIC_LEN);
	for (int i = 0; i < 8; i++)
		img[CC_INITDATA_MAGIC_LEN + (size_t)i] = (unsigned char)((uint64_t)n >> (8 * i));
	memcpy(img + CC_INITDATA_HEADER_LEN, gz, n);
	free(gz);
	*ret = img;
	*ret_len = total;
	return 0;
}

/* The header's length, checked against avail bytes after the header. */
static int header_len(const unsigned char *hdr, uint64_t avail, size_t *ret, cc_error **err)
{
	if (!cc_initdata_img_has_magic(hdr, CC_INITDATA_HEADER_LEN))
		return cc_error_set(err, -ENOENT, "not an init-data image (no \"initdata\" magic)");
	uint64_t n = le64(hdr + CC_INITDATA_MAGIC_LEN);
	if (n > CC_INITDATA_MAX_GZIP_BYTES)
		return cc_error_set(err, -E2BIG,
		                    "init-data image: declared length %llu is more than %u bytes",
		                    (unsigned long long)n, CC_INITDATA_MAX_GZIP_BYTES);
	if (n > avail)
		return cc_error_set(err, -EINVAL,
		                    "init-data image: declared length %llu runs past the end (%llu "
		                    "bytes after the header)",
		                    (unsigned long long)n, (unsigned long long)avail);
	if (n == 0)
		return cc_error_set(err, -EINVAL, "init-data image: declared length 0");
	*ret = (size_t)n;
	return 0;
}

static int inflate_body(const unsigned char *gz, size_t n, char **ret, size_t *ret_len,
                        cc_error **err)
{
	int r = cc_initdata_gunzip(gz, n, CC_INITDATA_MAX_TOML_BYTES, ret, ret_len, err);
	if (r < 0)
		cc_error_wrap(err, "init-data image");
	return r;
}

int cc_initdata_img_decode(const unsigned char *img, size_t len, char **ret, size_t *ret_len,
                           cc_error **err)
{
	if (len < CC_INITDATA_HEADER_LEN) {
		if (!cc_initdata_img_has_magic(img, len))
			return cc_error_set(err, -ENOENT, "not an init-data image (no \"initdata\" magic)");
		return cc_error_set(err, -EINVAL, "init-data image: %zu bytes, shorter than its header",
		                    len);
	}
	size_t n;
	int r = header_len(img, len - CC_INITDATA_HEADER_LEN, &n, err);
	if (r < 0)
		return r;
	return inflate_body(img + CC_INITDATA_HEADER_LEN, n, ret, ret_len, err);
}

/* The size of what fd is: a block device's (BLKGETSIZE64), a file's. */
static int fd_size(int fd, const char *name, uint64_t *ret, cc_error **err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cc_error_set(err, -errno, "%s: %s", name, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		uint64_t n = 0;
		if (ioctl(fd, BLKGETSIZE64, &n) < 0)
			return cc_error_set(err, -errno, "%s: BLKGETSIZE64: %s", name, strerror(errno));
		*ret = n;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return cc_error_set(err, -EINVAL, "%s: not a block device or a file", name);
	*ret = (uint64_t)st.st_size;
	return 0;
}

/* Exactly n bytes at off; a short read is an error (the device said it
 * was longer). */
static int read_at(int fd, const char *name, void *buf, size_t n, off_t off, cc_error **err)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return cc_error_set(err, -errno, "%s: read: %s", name, strerror(errno));
		if (k == 0)
			return cc_error_set(err, -EIO, "%s: read: end of device after %zu of %zu bytes",
			                    name, (size_t)off + got, (size_t)off + n);
		got += (size_t)k;
	}
	return 0;
}

int cc_initdata_img_read_fd(int fd, const char *name, char **ret, size_t *ret_len,
                            cc_error **err)
{
	uint64_t size = 0;
	int r = fd_size(fd, name, &size, err);
	if (r < 0)
		return r;
	if (size < CC_INITDATA_HEADER_LEN)
		return cc_error_set(err, -EINVAL, "%s: %llu bytes, shorter than an init-data header",
		                    name, (unsigned long long)size);
	unsigned char hdr[CC_INITDATA_HEADER_LEN];
	if ((r = read_at(fd, name, hdr, sizeof(hdr), 0, err)) < 0)
		return r;
	size_t n;
	if ((r = header_len(hdr, size - CC_INITDATA_HEADER_LEN, &n, err)) < 0)
		return cc_error_wrap(err, "%s", name);
	unsigned char *gz = malloc(n);
	if (gz == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	r = read_at(fd, name, gz, n, CC_INITDATA_HEADER_LEN, err);
	if (r == 0 && (r = inflate_body(gz, n, ret, ret_len, err)) < 0)
		cc_error_wrap(err, "%s", name);
	free(gz);
	return r;
}
