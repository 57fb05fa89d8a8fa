/* libFuzzer target: the Rego formatter (rego_format, lib/rego/format*.c).
 *
 * Any input that rego_format accepts must give a module that parses, and
 * formatting that output again must give it back unchanged (a fixed
 * point); formatting also must never fail with anything but a parse error,
 * -ENOTSUP (a construct it refuses rather than print unlike opa fmt) or a
 * size limit. Seed corpus: fuzz/corpus/rego_fmt/ (OPA's golden inputs). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/rego.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL, *out2 = NULL;
	size_t n = 0, n2 = 0;
	cc_error *err = NULL;
	if (rego_format("fuzz.rego", (const char *)data, size, false, &out, &n, &err) == 0) {
		cc_error *err2 = NULL;
		int r = rego_format("fuzz.rego", out, n, false, &out2, &n2, &err2);
		const char *kind = r < 0 ? cc_error_kind(err2) : NULL;
		if (kind != NULL && strcmp(kind, "rego_parse_error") == 0)
			abort(); /* the formatted module does not parse */
		else if (r == 0 && (n2 != n || memcmp(out, out2, n) != 0))
			abort(); /* not a fixed point */
		cc_error_free(err2);
	}
	cc_error_free(err);
	free(out);
	free(out2);
	return 0;
}
