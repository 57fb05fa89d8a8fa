/* Unit tests: UTF-8 with Go's rules (lib/rego/utf8.c). Expected values are
 * what Go's unicode/utf8 returns for the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rego/utf8.h"

/* Decodes s (length n) and checks the rune and width. */
static void dec(const char *s, size_t n, uint32_t want_r, size_t want_w)
{
	uint32_t r = 0;
	size_t w = rutf8_decode((const unsigned char *)s, n, &r);
	assert_int_equal(r, want_r);
	assert_int_equal(w, want_w);
}

static void test_decode(void **state)
{
	(void)state;
	dec("a", 1, 'a', 1);
	dec("\xc3\xa9", 2, 0xE9, 2);
	dec("\xe2\x82\xac", 3, 0x20AC, 3);
	dec("\xf0\x9f\x98\x80", 4, 0x1F600, 4);
	dec("\xf4\x8f\xbf\xbf", 4, 0x10FFFF, 4);
	dec("\xef\xbf\xbd", 3, 0xFFFD, 3);    /* a real U+FFFD */
	dec("", 0, RUTF8_ERROR, 0);
	dec("\x80", 1, RUTF8_ERROR, 1);       /* continuation byte */
	dec("\xc0\xaf", 2, RUTF8_ERROR, 1);   /* overlong '/' */
	dec("\xe0\x80\xaf", 3, RUTF8_ERROR, 1);
	dec("\xed\xa0\x80", 3, RUTF8_ERROR, 1); /* surrogate U+D800 */
	dec("\xf4\x90\x80\x80", 4, RUTF8_ERROR, 1); /* above U+10FFFF */
	dec("\xf5\x80\x80\x80", 4, RUTF8_ERROR, 1);
	dec("\xe2\x82", 2, RUTF8_ERROR, 1);   /* truncated */
	dec("\xe2\x82x", 3, RUTF8_ERROR, 1);
	dec("\xff", 1, RUTF8_ERROR, 1);
	assert_true(rutf8_bad(RUTF8_ERROR, 1));
	assert_false(rutf8_bad(RUTF8_ERROR, 3));
}

static void test_decode_last(void **state)
{
	(void)state;
	uint32_t r;
	assert_int_equal(rutf8_decode_last((const unsigned char *)"a\xc3\xa9", 3, &r), 2);
	assert_int_equal(r, 0xE9);
	assert_int_equal(rutf8_decode_last((const unsigned char *)"ab", 2, &r), 1);
	assert_int_equal(r, 'b');
	assert_int_equal(rutf8_decode_last((const unsigned char *)"a\xa9", 2, &r), 1);
	assert_int_equal(r, RUTF8_ERROR);
	assert_int_equal(rutf8_decode_last((const unsigned char *)"\xe2\x82", 2, &r), 1);
	assert_int_equal(r, RUTF8_ERROR);
}

static void test_encode(void **state)
{
	(void)state;
	char b[RUTF8_MAX];
	assert_int_equal(rutf8_encode('x', b), 1);
	assert_memory_equal(b, "x", 1);
	assert_int_equal(rutf8_encode(0x7FF, b), 2);
	assert_memory_equal(b, "\xdf\xbf", 2);
	assert_int_equal(rutf8_encode(0xFFFF, b), 3);
	assert_memory_equal(b, "\xef\xbf\xbf", 3);
	assert_int_equal(rutf8_encode(0x10000, b), 4);
	assert_memory_equal(b, "\xf0\x90\x80\x80", 4);
	assert_int_equal(rutf8_encode(0xD800, b), 3); /* surrogate: U+FFFD */
	assert_memory_equal(b, "\xef\xbf\xbd", 3);
	assert_int_equal(rutf8_encode(0x110000, b), 3);
	assert_memory_equal(b, "\xef\xbf\xbd", 3);
}

static void test_count_valid_sanitize(void **state)
{
	(void)state;
	assert_int_equal(rutf8_count("h\xc3\xa9llo", 6), 5);
	assert_int_equal(rutf8_count("a\xff\xfe" "b", 4), 4); /* one rune per bad byte */
	assert_int_equal(rutf8_count("", 0), 0);
	assert_true(rutf8_valid("h\xc3\xa9llo", 6));
	assert_true(rutf8_valid("\xef\xbf\xbd", 3));
	assert_false(rutf8_valid("a\xc3", 2));
	assert_false(rutf8_valid("\xed\xa0\x80", 3));
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rutf8_sanitize("a\xff\xc3\xa9\xe2\x82", 6, &b), 0);
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.p, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd", 12);
	cc_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_decode_last),
	    cmocka_unit_test(test_encode),
	    cmocka_unit_test(test_count_valid_sanitize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
