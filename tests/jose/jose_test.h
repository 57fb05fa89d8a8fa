/* Helpers shared by the libcocoon-jose unit tests (tests/jose/). */
#ifndef COCOON_TESTS_JOSE_TEST_H
#define COCOON_TESTS_JOSE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cocoon/error.h"

/* The bytes of tests/jose/data/NAME (NUL-terminated; fails the test if
 * missing). */
static inline char *jt_read(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", JOSE_DATA_DIR, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Asserts that r failed with code and that the error names `needle`. */
static inline void jt_check_err(int r, cc_error *e, int code, const char *needle)
{
	if (r != code || (needle && strstr(cc_error_message(e), needle) == NULL))
		fail_msg("got %d \"%s\", wanted %d naming \"%s\"", r, cc_error_message(e), code,
		         needle ? needle : "");
}

/* The same for a call that fills e: the call runs before e is read. */
#define jt_expect_err(call, e, code, needle)                                                      \
	do {                                                                                      \
		int jt_r_ = (call);                                                               \
		jt_check_err(jt_r_, (e), (code), (needle));                                       \
	} while (0)

#endif
