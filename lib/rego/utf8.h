/* UTF-8 as Go's unicode/utf8 reads it (internal): the one decoder and
 * encoder of the engine (lexer, value text, JSON/YAML conversion, string,
 * regex and glob builtins).
 *
 * Go's rules: a sequence is valid when it is the shortest form of a code
 * point in U+0000..U+10FFFF outside the surrogates; anything else decodes
 * as U+FFFD (utf8.RuneError) with width 1, so every invalid byte is one
 * rune. Encoding turns surrogates and values above U+10FFFF into U+FFFD. */
#ifndef COCOON_REGO_UTF8_H
#define COCOON_REGO_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/buf.h"

#define RUTF8_ERROR 0xFFFDu /* utf8.RuneError */
#define RUTF8_MAX 4u        /* utf8.UTFMax: bytes of the longest sequence */

/* utf8.DecodeRune over s[0..n): stores the rune in *r and returns its width
 * (1..4). An invalid or truncated sequence gives U+FFFD with width 1; n == 0
 * gives U+FFFD with width 0. */
size_t rutf8_decode(const unsigned char *s, size_t n, uint32_t *r);

/* Whether a decode result (rune r of width w) was an invalid byte rather
 * than a real U+FFFD (which is 3 bytes wide). */
static inline bool rutf8_bad(uint32_t r, size_t w) { return w == 1 && r == RUTF8_ERROR; }

/* utf8.DecodeLastRune over s[0..n) (n > 0): the last rune and its width. */
size_t rutf8_decode_last(const unsigned char *s, size_t n, uint32_t *r);

/* utf8.EncodeRune: writes r's encoding to out (no NUL) and returns its
 * length (1..4); surrogates and values above U+10FFFF encode U+FFFD. */
size_t rutf8_encode(uint32_t r, char out[RUTF8_MAX]);

/* utf8.RuneCountInString: runes in p[0..n), each invalid byte one rune. */
size_t rutf8_count(const char *p, size_t n);

/* utf8.ValidString: no invalid byte in p[0..n). */
bool rutf8_valid(const char *p, size_t n);

/* Appends p[0..n) to out with every invalid byte replaced by U+FFFD's
 * encoding (Go's string([]rune(s))). 0 or -ENOMEM. */
int rutf8_sanitize(const char *p, size_t n, cc_buf *out);

#endif
