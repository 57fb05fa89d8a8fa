/* libFuzzer target: the init-data device image (lib/initdata/initdata_img.c),
 * which the guest agent reads from a disk the untrusted host attached. Every
 * input must decode or fail cleanly with a message (no crash, leak or hang;
 * inflating is bounded). What decodes is parsed as the init-data TOML; an
 * accepted document is re-encoded and must decode to the same bytes. An
 * input without the magic is the TOML itself (wrap()).
 * Seed corpus: fuzz/corpus/initdata_img/. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "initdata.h"

/* An input without the magic is taken as the TOML inside an image: it is
 * encoded, must decode to the same bytes, and goes on to the document's
 * validation (mutating gzip by chance rarely reaches it). */
static int wrap(const uint8_t *data, size_t size, char **ret, size_t *ret_len)
{
	unsigned char *img = NULL;
	size_t len = 0;
	if (cc_initdata_img_encode((const char *)data, size, &img, &len, NULL) < 0)
		return -1;
	int r = cc_initdata_img_decode(img, len, ret, ret_len, NULL);
	if (r < 0 || *ret_len != size || memcmp(*ret, data, size) != 0)
		abort();
	free(img);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t = NULL;
	size_t n = 0;
	cc_error *err = NULL;
	if (!cc_initdata_img_has_magic(data, size)) {
		if (wrap(data, size, &t, &n) < 0)
			return 0;
	} else if (cc_initdata_img_decode(data, size, &t, &n, &err) < 0) {
		if (cc_error_message(err)[0] == '\0' || t != NULL)
			abort();
		cc_error_free(err);
		return 0;
	}
	cc_initdata *d = NULL;
	if (cc_initdata_parse(t, n, "fuzz", &d, &err) == 0) {
		unsigned char *img = NULL, v[CC_INITDATA_MAX_DIGEST];
		size_t len = 0, vlen = 0;
		if (cc_initdata_img_encode(t, n, &img, &len, NULL) == 0) {
			char *t2 = NULL;
			size_t n2 = 0;
			if (cc_initdata_img_decode(img, len, &t2, &n2, NULL) < 0 || n2 != n ||
			    memcmp(t, t2, n) != 0)
				abort();
			free(t2);
			free(img);
		}
		for (int tee = CC_INITDATA_TEE_NONE; tee <= CC_INITDATA_TEE_TPM; tee++)
			(void)cc_initdata_tee_value(d, (enum cc_initdata_tee)tee, v, &vlen, NULL);
		cc_initdata_free(d);
	}
	cc_error_free(err);
	free(t);
	return 0;
}
