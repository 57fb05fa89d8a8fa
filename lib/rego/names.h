/* Comparing a NUL-terminated name with a length-delimited one (internal).
 * The length-delimited side may hold NUL bytes (string literals such as
 * data.x["if\u0000"]); it never reads past either string. */
#ifndef COCOON_REGO_NAMES_H
#define COCOON_REGO_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* <0, 0, >0 as strcmp would order z and s[0..n) (bytes, unsigned). */
static inline int rname_cmp(const char *z, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)z[i], b = (unsigned char)s[i];
		if (a == '\0')
			return -1; /* z is shorter (or s holds a NUL: no name matches) */
		if (a != b)
			return a < b ? -1 : 1;
	}
	return z[n] == '\0' ? 0 : 1;
}

static inline bool rname_eq(const char *z, const char *s, size_t n)
{
	return n > 0 ? (z[0] == s[0] && rname_cmp(z, s, n) == 0) : z[0] == '\0';
}

#endif
