/* The value of one hexadecimal digit (internal): shared by the lexer
 * (\uXXXX escapes), the regex syntax (\x escapes), hex.decode,
 * urlquery.decode and the uuid builtins. */
#ifndef COCOON_REGO_HEX_H
#define COCOON_REGO_HEX_H

#include <stdint.h>

/* 0..15 for c in [0-9a-fA-F], else -1. */
static inline int rhex_digit(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (int)(c - 'A' + 10);
	return -1;
}

#endif
