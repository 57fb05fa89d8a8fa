/* lib/httpd parsers: Cookie (RFC 6265 §5.4), Authorization: Bearer
 * (RFC 6750 §2.1), form queries, percent-decoded paths and the request
 * head scanner. Error paths assert the code, the message and that the
 * outputs were not written. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "headscan.h"
#include "httpd.h"

#define SENTINEL ((const char *)0x1)

static void cookie_ok(const char *hdr, const char *name, const char *want)
{
	const char *v = NULL;
	size_t n = 0;
	assert_int_equal(cc_httpd_cookie_find(hdr, strlen(hdr), name, &v, &n, NULL), 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(v, want, n);
}

static void cookie_err(const char *hdr, const char *name, int code, const char *msg)
{
	const char *v = SENTINEL;
	size_t n = 77;
	cc_error *e = NULL;
	assert_int_equal(cc_httpd_cookie_find(hdr, strlen(hdr), name, &v, &n, &e), code);
	assert_non_null(strstr(cc_error_message(e), msg));
	assert_ptr_equal(v, SENTINEL);
	assert_int_equal(n, 77);
	cc_error_free(e);
}

static void test_cookie(void **state)
{
	(void)state;
	const char *id = "0123456789abcdef0123456789abcdef";
	char hdr[128];
	snprintf(hdr, sizeof(hdr), "kbs-session-id=%s", id);
	cookie_ok(hdr, "kbs-session-id", id);
	cookie_ok("a=1; kbs-session-id=abc; b=2", "kbs-session-id", "abc");
	cookie_ok("a=1;kbs-session-id=abc", "kbs-session-id", "abc");
	cookie_ok("  a = 1 ;\tb=\"quoted\" ; ", "b", "quoted");
	cookie_ok("a=", "a", "");
	cookie_ok("a=\"\"", "a", "");
	cookie_ok("a=\"", "a", "\"");
	cookie_ok("a=1; a=2", "a", "1"); /* the first, as actix-web */
	cookie_ok("a=b=c", "a", "b=c");
	cookie_ok(";;a=1;;", "a", "1");
	cookie_ok("x=\xc3\xa9; a=1", "a", "1");
	cookie_err("a=1; b=2", "kbs-session-id", -ENOENT, "no cookie kbs-session-id");
	cookie_err("", "a", -ENOENT, "no cookie");
	cookie_err("KBS-SESSION-ID=1", "kbs-session-id", -ENOENT, "no cookie");
	cookie_err("a=1; junk; kbs-session-id=2", "kbs-session-id", -EINVAL, "without '='");
	cookie_err("=1", "a", -EINVAL, "empty name");
	cookie_err("a=1\r\nb=2", "a", -EINVAL, "control character");
	cookie_err("a=1\x7f", "a", -EINVAL, "control character");
	/* embedded NUL inside the length is a control character too */
	const char nul[] = {'a', '=', '1', '\0', 'x'};
	const char *v = SENTINEL;
	size_t n = 0;
	assert_int_equal(cc_httpd_cookie_find(nul, sizeof(nul), "a", &v, &n, NULL), -EINVAL);
	assert_ptr_equal(v, SENTINEL);
}

static void bearer_ok(const char *hdr, const char *want)
{
	const char *v = NULL;
	size_t n = 0;
	assert_int_equal(cc_httpd_bearer_parse(hdr, strlen(hdr), &v, &n, NULL), 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(v, want, n);
}

static void bearer_err(const char *hdr, const char *msg)
{
	const char *v = SENTINEL;
	size_t n = 77;
	cc_error *e = NULL;
	assert_int_equal(cc_httpd_bearer_parse(hdr, strlen(hdr), &v, &n, &e), -EINVAL);
	assert_non_null(strstr(cc_error_message(e), msg));
	assert_ptr_equal(v, SENTINEL);
	assert_int_equal(n, 77);
	cc_error_free(e);
}

static void test_bearer(void **state)
{
	(void)state;
	bearer_ok("Bearer eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.c2ln",
	          "eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.c2ln");
	bearer_ok("bearer abc", "abc");
	bearer_ok("BEARER   abc  ", "abc");
	bearer_ok("  Bearer a-b.c_d~e+f/g==", "a-b.c_d~e+f/g==");
	bearer_err("Basic dXNlcjpwYXNz", "not a Bearer credential");
	bearer_err("Bearer", "without a token");
	bearer_err("Bearers abc", "not a Bearer credential");
	bearer_err("Bearer ", "without a token");
	bearer_err("Bearer ==", "without a token");
	bearer_err("Bearerabc", "not a Bearer credential");
	bearer_err("Bearer\tabc", "not a Bearer credential");
	bearer_err("Bearer abc def", "b64token");
	bearer_err("Bearer abc=d", "b64token");
	bearer_err("Bearer a,b", "b64token");
	bearer_err("Bearer a\r\nX: y", "b64token");
	bearer_err("", "not a Bearer credential");
}

static void query_ok(const char *q, const char *name, const char *want)
{
	char *v = NULL;
	size_t n = 0;
	assert_int_equal(cc_httpd_query_get(q, strlen(q), name, &v, &n, NULL), 0);
	assert_int_equal(n, strlen(want));
	assert_string_equal(v, want);
	free(v);
}

static void query_err(const char *q, const char *name, int code, const char *msg)
{
	char *v = (char *)SENTINEL;
	size_t n = 77;
	cc_error *e = NULL;
	assert_int_equal(cc_httpd_query_get(q, strlen(q), name, &v, &n, &e), code);
	assert_non_null(strstr(cc_error_message(e), msg));
	assert_ptr_equal(v, SENTINEL);
	assert_int_equal(n, 77);
	cc_error_free(e);
}

static void test_query(void **state)
{
	(void)state;
	query_ok("a=1&b=2", "b", "2");
	query_ok("a=1", "a", "1");
	query_ok("a", "a", "");
	query_ok("a=", "a", "");
	query_ok("&&a=x&&", "a", "x");
	query_ok("na%6De=v", "name", "v");
	query_ok("q=a+b%20c%2B", "q", "a b c+");
	query_ok("q=%e2%82%ac", "q", "\xe2\x82\xac");
	query_ok("x=%zz&q=1", "q", "1"); /* only names and the value returned are decoded */
	query_ok("q=a=b", "q", "a=b");
	query_err("a=1", "b", -ENOENT, "no parameter b");
	query_err("", "b", -ENOENT, "no parameter b");
	query_err("q=1&q=2", "q", -EINVAL, "appears twice");
	query_err("q=1&%71=2", "q", -EINVAL, "appears twice");
	query_err("q=%00", "q", -EINVAL, "escaped NUL");
	query_err("q=%4", "q", -EINVAL, "two hex digits");
	query_err("q=%g0", "q", -EINVAL, "two hex digits");
	query_err("%zz=1&q=1", "q", -EINVAL, "two hex digits");
	const char nul[] = {'q', '=', 'a', '\0'};
	char *v = NULL;
	size_t n;
	assert_int_equal(cc_httpd_query_get(nul, sizeof(nul), "q", &v, &n, NULL), -EINVAL);
	assert_null(v);
}

static void test_path(void **state)
{
	(void)state;
	char *p = NULL;
	size_t n = 0;
	assert_int_equal(cc_httpd_path_decode("/kbs/v0/resource/a/b/c", 22, &p, &n, NULL), 0);
	assert_string_equal(p, "/kbs/v0/resource/a/b/c");
	free(p);
	assert_int_equal(cc_httpd_path_decode("/a%20b+c%7e", 11, &p, &n, NULL), 0);
	assert_string_equal(p, "/a b+c~");
	assert_int_equal(n, 7);
	free(p);
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {"/a%2Fb", "escaped '/'"}, {"/a%2fb", "escaped '/'"}, {"/a%00", "escaped NUL"},
	    {"/a%", "two hex digits"}, {"/a%1", "two hex digits"}, {"/a%x1", "two hex digits"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = (char *)SENTINEL;
		cc_error *e = NULL;
		assert_int_equal(cc_httpd_path_decode(bad[i].in, strlen(bad[i].in), &out, &n, &e),
		                 -EINVAL);
		assert_non_null(strstr(cc_error_message(e), bad[i].msg));
		assert_ptr_equal(out, SENTINEL);
		cc_error_free(e);
	}
	const char nul[] = {'/', 'a', '\0', 'b'};
	assert_int_equal(cc_httpd_path_decode(nul, sizeof(nul), &p, &n, NULL), -EINVAL);
}

/* Feeds s in pieces of k bytes. */
static enum head_status scan_pieces(const char *s, size_t k, size_t max, size_t *bytes)
{
	struct head_scan hs;
	head_scan_reset(&hs);
	size_t len = strlen(s);
	enum head_status st = HEAD_MORE;
	for (size_t off = 0; off < len && st == HEAD_MORE; off += k)
		st = head_scan_feed(&hs, s + off, len - off < k ? len - off : k, max);
	*bytes = hs.bytes;
	return st;
}

static void test_headscan(void **state)
{
	(void)state;
	const char *h = "GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY";
	size_t b;
	for (size_t k = 1; k < 40; k++) {
		assert_int_equal(scan_pieces(h, k, 1000, &b), HEAD_END);
		assert_int_equal(b, strlen(h) - 4); /* the body is not counted */
	}
	assert_int_equal(scan_pieces("GET / HTTP/1.1\nHost: x\n\n", 3, 1000, &b), HEAD_END);
	assert_int_equal(scan_pieces("GET / HTTP/1.1\r\nHost: x\r\n\n", 1, 1000, &b), HEAD_END);
	assert_int_equal(scan_pieces("GET / HTTP/1.1\r\nHost: x\r\n", 1, 1000, &b), HEAD_MORE);
	assert_int_equal(scan_pieces("\r\nGET / HTTP/1.1\r\nA: \r\r\n", 2, 1000, &b), HEAD_MORE);
	assert_int_equal(scan_pieces("GET / HTTP/1.1\r\n\r\r\n", 2, 1000, &b), HEAD_MORE);
	/* the cap counts every byte of the head, its last line end included */
	size_t len = strlen(h) - 4;
	assert_int_equal(scan_pieces(h, 5, len, &b), HEAD_END);
	assert_int_equal(scan_pieces(h, 5, len - 1, &b), HEAD_TOO_BIG);
	assert_int_equal(b, len - 1);
	assert_int_equal(scan_pieces("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 7, 16, &b),
	                 HEAD_TOO_BIG);
	assert_int_equal(b, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cookie), cmocka_unit_test(test_bearer),
	    cmocka_unit_test(test_query),  cmocka_unit_test(test_path),
	    cmocka_unit_test(test_headscan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
