/* libFuzzer target: the pod annotation io.katacontainers.config.hypervisor.
 * cc_init_data (lib/initdata/initdata_annot.c: base64 → gzip → TOML →
 * validation), which the shim decodes from the pod spec. Every input must
 * decode or fail cleanly with a message; an accepted document's own
 * annotation must decode to the same TOML and digest.
 * Seed corpus: fuzz/corpus/initdata_annot/. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "initdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cc_initdata *d = NULL;
	cc_error *err = NULL;
	if (cc_initdata_from_annotation((const char *)data, size, &d, &err) < 0) {
		if (cc_error_message(err)[0] == '\0' || d != NULL)
			abort();
		cc_error_free(err);
		return 0;
	}
	size_t n = 0;
	const char *t = cc_initdata_toml(d, &n);
	char *a = NULL;
	if (cc_initdata_to_annotation(t, n, &a, NULL) == 0) {
		cc_initdata *d2 = NULL;
		if (cc_initdata_from_annotation(a, strlen(a), &d2, NULL) < 0)
			abort();
		unsigned char x[CC_INITDATA_MAX_DIGEST], y[CC_INITDATA_MAX_DIGEST];
		size_t nx = cc_initdata_digest(d, x), ny = cc_initdata_digest(d2, y);
		size_t n2 = 0;
		const char *t2 = cc_initdata_toml(d2, &n2);
		if (nx != ny || memcmp(x, y, nx) != 0 || n2 != n || memcmp(t, t2, n) != 0)
			abort();
		cc_initdata_free(d2);
		free(a);
	}
	cc_initdata_free(d);
	return 0;
}
