/* libFuzzer target: JCS (lib/jose/jcs.c, RFC 8785; docs/jose.md). Any JSON
 * text that jansson accepts is canonicalized; the canonical text must parse
 * again and canonicalize to the same bytes (a fixed point), and its digest
 * must be computable. The first eight bytes, read as a double, go through
 * the ECMAScript number writer, whose text must read back as the same
 * double. Seed corpus: fuzz/corpus/jcs/. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jcs_int.h"
#include "jose_jcs.h"

static void number(const uint8_t *data, size_t size)
{
	double d;
	if (size < sizeof(d))
		return;
	memcpy(&d, data, sizeof(d));
	if (!isfinite(d))
		return;
	char text[CJ_ES6_NUMBER_MAX];
	size_t n = cj_es6_number(d, text);
	if (n != strlen(text) || strtod(text, NULL) != (d == 0 ? 0 : d))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	number(data, size);
	json_t *v = json_loadb((const char *)data, size,
	                       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v == NULL)
		return 0;
	char *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	if (cj_jcs_serialize(v, &a, &al, NULL) == 0) {
		json_error_t je;
		json_t *w = json_loadb(a, al, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
		                       &je);
		/* A double from 2^63 to 1e21 prints as an integer jansson cannot
		 * hold: JCS is right, the re-read is not possible. */
		if (w == NULL && strstr(je.text, "too big") != NULL) {
			free(a);
			json_decref(v);
			return 0;
		}
		if (w == NULL || cj_jcs_serialize(w, &b, &bl, NULL) != 0 || al != bl ||
		    memcmp(a, b, al) != 0)
			abort();
		unsigned char d[CJ_HASH_MAX];
		if (cj_jcs_digest(w, CJ_SHA384, d, NULL) != 0)
			abort();
		json_decref(w);
	}
	free(a);
	free(b);
	json_decref(v);
	return 0;
}
