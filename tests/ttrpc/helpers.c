/* Helpers shared by the ttrpc tests. */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ttrpc_int.h"

uint8_t *hex_decode(const char *hex, size_t *ret_len)
{
	size_t n = strlen(hex);
	assert_int_equal(n % 2, 0);
	uint8_t *p = malloc(n / 2 + 1);
	assert_non_null(p);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char ch = hex[2 * i + (size_t)k];
			unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0')
			             : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
			                                      : 99u;
			assert_true(d < 16);
			v = v * 16 + d;
		}
		p[i] = (uint8_t)v;
	}
	*ret_len = n / 2;
	return p;
}

char *hex_encode(const uint8_t *p, size_t len)
{
	char *s = malloc(2 * len + 1);
	assert_non_null(s);
	for (size_t i = 0; i < len; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[2 * len] = '\0';
	return s;
}

void write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t k = write(fd, b, n);
		if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			poll(&pf, 1, 1000);
			continue;
		}
		assert_true(k > 0);
		b += k;
		n -= (size_t)k;
	}
}

void write_frame(int fd, uint32_t id, uint8_t type, uint8_t flags, const void *p, size_t len)
{
	uint8_t hb[TTRPC_HEADER_LEN];
	ttrpc_frame_header h = {(uint32_t)len, id, type, flags};
	ttrpc_frame_header_encode(&h, hb);
	write_all(fd, hb, sizeof(hb));
	if (len)
		write_all(fd, p, len);
}

static int read_n(int fd, void *buf, size_t n, int timeout_ms)
{
	uint8_t *b = buf;
	while (n > 0) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, timeout_ms) <= 0)
			return -1;
		ssize_t k = read(fd, b, n);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

int read_frame(int fd, int timeout_ms, ttrpc_frame_header *h, uint8_t **p)
{
	uint8_t hb[TTRPC_HEADER_LEN];
	if (read_n(fd, hb, sizeof(hb), timeout_ms) < 0)
		return -1;
	ttrpc_frame_header_decode(hb, h);
	assert_true(h->length <= CC_TTRPC_MAX_MESSAGE_BYTES);
	*p = malloc(h->length + 1);
	assert_non_null(*p);
	if (read_n(fd, *p, h->length, timeout_ms) < 0) {
		free(*p);
		return -1;
	}
	return 0;
}

uint32_t read_status(int fd, int *code, const char **msg)
{
	static char last[512];
	ttrpc_frame_header h;
	uint8_t *p = NULL;
	assert_int_equal(read_frame(fd, 5000, &h, &p), 0);
	assert_int_equal(h.type, TTRPC_MSG_RESPONSE);
	assert_int_equal(h.flags, 0);
	char *m = NULL;
	uint8_t *out = NULL;
	size_t len = 0;
	assert_int_equal(ttrpc_response_decode(p, h.length, code, &m, &out, &len, NULL), 0);
	snprintf(last, sizeof(last), "%s", m != NULL ? m : "");
	*msg = last;
	free(m);
	free(out);
	free(p);
	return h.stream_id;
}

uint8_t *request_bytes(const char *service, const char *method, const void *p, size_t len,
                       const ttrpc_call_opts *opts, size_t *ret_len)
{
	uint8_t *out = NULL;
	assert_int_equal(ttrpc_request_encode(service, method, p, len, opts, &out, ret_len, NULL), 0);
	return out;
}
