/* The pod annotation io.katacontainers.config.hypervisor.cc_init_data:
 * base64 (standard alphabet, padded: Go's base64.StdEncoding, Rust's
 * STANDARD) of gzip of the TOML (initdata.h; kata.md §5.2). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cocoon/limits.h"
#include "initdata.h"

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Strict decoding (Go's StdEncoding without its newline skipping): length
 * a multiple of 4, only the alphabet, '=' only as the last one or two
 * characters. OpenSSL decodes what passed. The result holds at most max
 * bytes. */
static int b64_decode(const char *s, size_t n, size_t max, unsigned char **ret, size_t *ret_len,
                      cc_error **err)
{
	if (n == 0 || n % 4 != 0 || n > INT_MAX)
		return cc_error_set(err, -EINVAL, "not valid base64 (%zu characters)", n);
	size_t pad = s[n - 1] != '=' ? 0 : s[n - 2] == '=' ? 2 : 1;
	size_t ok = 0;
	while (ok < n - pad && s[ok] != '\0' && strchr(b64_chars, s[ok]) != NULL)
		ok++;
	if (ok != n - pad)
		return cc_error_set(err, -EINVAL, "not valid base64 (byte %zu)", ok);
	size_t out_len = n / 4 * 3 - pad;
	if (out_len > max)
		return cc_error_set(err, -E2BIG, "%zu bytes of gzip, more than %zu", out_len, max);
	unsigned char *out = malloc(n / 4 * 3 + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (EVP_DecodeBlock(out, (const unsigned char *)s, (int)n) != (int)(n / 4 * 3)) {
		free(out);
		return cc_error_set(err, -EINVAL, "not valid base64");
	}
	*ret = out;
	*ret_len = out_len;
	return 0;
}

int cc_initdata_from_annotation(const char *b64, size_t len, cc_initdata **ret, cc_error **err)
{
	unsigned char *gz = NULL;
	size_t gz_len = 0;
	int r = b64_decode(b64, len, CC_INITDATA_MAX_GZIP_BYTES, &gz, &gz_len, err);
	if (r < 0)
		return r;
	char *toml = NULL;
	size_t toml_len = 0;
	r = cc_initdata_gunzip(gz, gz_len, CC_INITDATA_MAX_TOML_BYTES, &toml, &toml_len, err);
	free(gz);
	if (r < 0)
		return r;
	r = cc_initdata_parse(toml, toml_len, "init-data", ret, err);
	free(toml);
	return r;
}

int cc_initdata_to_annotation(const char *toml, size_t len, char **ret, cc_error **err)
{
	unsigned char *gz = NULL;
	size_t n = 0;
	int r = cc_initdata_gzip(toml, len, &gz, &n, err);
	if (r < 0)
		return r;
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (out == NULL) {
		free(gz);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	EVP_EncodeBlock((unsigned char *)out, gz, (int)n);
	free(gz);
	*ret = out;
	return 0;
}
