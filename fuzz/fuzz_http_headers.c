/* libFuzzer target: what an HTTP client sends that lib/httpd parses itself
 * (lib/httpd/parse.c, headscan.c; docs/httpd.md).
 *
 * The first byte b picks, by (b - '0') % 5 (seeds start with a digit):
 *   0 a Cookie field value, looked up for kbs-session-id and for "a"
 *     (cc_httpd_cookie_find);
 *   1 an Authorization field value (cc_httpd_bearer_parse);
 *   2 "NAME\nQUERY": NAME looked up in QUERY (cc_httpd_query_get);
 *   3 a request path (cc_httpd_path_decode);
 *   4 request head bytes for the head scanner, cap from the second byte.
 * On success:
 *   - cookie: the value lies inside the input, holds no ';' and no control
 *     character; "name=value" alone gives the same value back;
 *   - bearer: the token is b64token ('=' only at its end); "Bearer TOKEN"
 *     gives it back;
 *   - query, path: the result holds no NUL (strlen equals the length), is
 *     no longer than the input; percent-encoded again it decodes to itself;
 *   - scanner: the same status and count whatever the input is cut into,
 *     the count never over the cap.
 * On failure there is a message and the outputs are untouched. Seed
 * corpus: fuzz/corpus/http_headers/.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "headscan.h"
#include "httpd.h"

#define UNTOUCHED ((const char *)0x1)

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_http_headers: invariant broken: %s\n", what);
		abort();
	}
}

static void failed(int r, cc_error *e, const void *out, const void *untouched)
{
	must(r < 0, "negative code");
	must(cc_error_message(e)[0] != '\0', "an error has a message");
	must(out == untouched, "output untouched on failure");
	cc_error_free(e);
}

static void cookie(const char *p, size_t n, const char *name)
{
	const char *v = UNTOUCHED;
	size_t vn = 0;
	cc_error *e = NULL;
	int r = cc_httpd_cookie_find(p, n, name, &v, &vn, &e);
	if (r < 0) {
		failed(r, e, v, UNTOUCHED);
		return;
	}
	must(v >= p && vn <= n && (size_t)(v - p) <= n - vn, "cookie value inside the input");
	for (size_t i = 0; i < vn; i++)
		must(v[i] != ';' && ((unsigned char)v[i] >= 0x20 || v[i] == '\t') && v[i] != 0x7f,
		     "cookie value: no ';' or control character");
	size_t nn = strlen(name);
	char *again = malloc(nn + vn + 1);
	must(again != NULL, "out of memory");
	memcpy(again, name, nn);
	again[nn] = '=';
	memcpy(again + nn + 1, v, vn);
	const char *v2 = NULL;
	size_t vn2 = 0;
	r = cc_httpd_cookie_find(again, nn + 1 + vn, name, &v2, &vn2, NULL);
	/* a value that kept its surrounding spaces or quotes may lose them */
	must(r == 0 && vn2 <= vn, "cookie written back parses");
	free(again);
}

static void bearer(const char *p, size_t n)
{
	const char *t = UNTOUCHED;
	size_t tn = 0;
	cc_error *e = NULL;
	int r = cc_httpd_bearer_parse(p, n, &t, &tn, &e);
	if (r < 0) {
		failed(r, e, t, UNTOUCHED);
		return;
	}
	must(tn > 0 && t >= p && (size_t)(t - p) + tn <= n, "token inside the input");
	bool eq = false;
	for (size_t i = 0; i < tn; i++) {
		char c = t[i];
		if (c == '=')
			eq = true;
		else
			must(!eq && c != ' ' && (unsigned char)c > 0x20 && (unsigned char)c < 0x7f,
			     "b64token, '=' only at the end");
	}
	char *again = malloc(tn + 8);
	must(again != NULL, "out of memory");
	memcpy(again, "Bearer ", 7);
	memcpy(again + 7, t, tn);
	const char *t2 = NULL;
	size_t tn2 = 0;
	must(cc_httpd_bearer_parse(again, tn + 7, &t2, &tn2, NULL) == 0 && tn2 == tn &&
	         memcmp(t2, t, tn) == 0,
	     "Bearer TOKEN gives the token back");
	free(again);
}

/* Percent-encodes every byte of s[0..n) that is not unreserved. */
static char *encode(const char *s, size_t n, size_t *ret_len)
{
	char *o = malloc(3 * n + 1);
	must(o != NULL, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && ret_len == NULL))
			o[k++] = (char)c;
		else
			k += (size_t)snprintf(o + k, 4, "%%%02X", c);
	}
	o[k] = '\0';
	if (ret_len != NULL)
		*ret_len = k;
	return o;
}

static void query(const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	if (nl == NULL)
		return;
	size_t nn = (size_t)(nl - p);
	char *name = malloc(nn + 1);
	must(name != NULL, "out of memory");
	memcpy(name, p, nn);
	name[nn] = '\0';
	const char *q = nl + 1;
	size_t qn = n - nn - 1;
	char *v = (char *)UNTOUCHED;
	size_t vn = 0;
	cc_error *e = NULL;
	int r = cc_httpd_query_get(q, qn, name, &v, &vn, &e);
	if (r < 0) {
		failed(r, e, v, UNTOUCHED);
		free(name);
		return;
	}
	must(strlen(v) == vn && vn <= qn, "query value: no NUL, no longer than the query");
	if (strlen(name) == nn) {
		size_t en = 0, ev = 0;
		char *enc_name = encode(name, nn, &en), *enc_val = encode(v, vn, &ev);
		char *again = malloc(en + ev + 2);
		must(again != NULL, "out of memory");
		memcpy(again, enc_name, en);
		again[en] = '=';
		memcpy(again + en + 1, enc_val, ev);
		char *v2 = NULL;
		size_t vn2 = 0;
		must(cc_httpd_query_get(again, en + 1 + ev, name, &v2, &vn2, NULL) == 0 && vn2 == vn &&
		         memcmp(v2, v, vn) == 0,
		     "query value encoded again decodes to itself");
		free(v2);
		free(again);
		free(enc_name);
		free(enc_val);
	}
	free(v);
	free(name);
}

static void path(const char *p, size_t n)
{
	char *out = (char *)UNTOUCHED;
	size_t on = 0;
	cc_error *e = NULL;
	int r = cc_httpd_path_decode(p, n, &out, &on, &e);
	if (r < 0) {
		failed(r, e, out, UNTOUCHED);
		return;
	}
	must(strlen(out) == on && on <= n, "path: no NUL, no longer than the input");
	char *enc = encode(out, on, NULL);
	char *again = NULL;
	size_t an = 0;
	must(cc_httpd_path_decode(enc, strlen(enc), &again, &an, NULL) == 0 && an == on &&
	         memcmp(again, out, on) == 0,
	     "path encoded again decodes to itself");
	free(again);
	free(enc);
	free(out);
}

static void scan(const uint8_t *p, size_t n)
{
	if (n < 1)
		return;
	size_t max = 1 + p[0] * 4u;
	p++;
	n--;
	struct head_scan whole, cut;
	head_scan_reset(&whole);
	head_scan_reset(&cut);
	enum head_status a = head_scan_feed(&whole, p, n, max), b = HEAD_MORE;
	/* pieces of 1, 2, 3, ... bytes */
	for (size_t off = 0, k = 1; off < n && b == HEAD_MORE; off += k, k++)
		b = head_scan_feed(&cut, p + off, n - off < k ? n - off : k, max);
	must(a == b && whole.bytes == cut.bytes, "scanner: same result whatever the pieces");
	must(whole.bytes <= max && whole.bytes <= n, "scanner: count within the cap and the input");
	must(a != HEAD_TOO_BIG || whole.bytes == max, "scanner: too big exactly at the cap");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	switch ((unsigned)(data[0] - '0') % 5u) {
	case 0:
		cookie(p, n, "kbs-session-id");
		cookie(p, n, "a");
		break;
	case 1:
		bearer(p, n);
		break;
	case 2:
		query(p, n);
		break;
	case 3:
		path(p, n);
		break;
	default:
		scan(data + 1, n);
		break;
	}
	return 0;
}
