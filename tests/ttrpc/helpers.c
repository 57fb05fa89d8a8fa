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

#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "agent.pb-c.h"
#include "health.pb-c.h"
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

/* ---- test.Svc ---------------------------------------------------------- */

static atomic_int block_cancelled, block_started;

int svc_block_cancelled(void)
{
	return atomic_load(&block_cancelled);
}

int svc_block_started(void)
{
	return atomic_load(&block_started);
}

void svc_wait_blocked(int n)
{
	for (int i = 0; i < 500 && atomic_load(&block_started) < n; i++)
		usleep(10000);
	assert_true(atomic_load(&block_started) >= n);
}

int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int m_echo(ttrpc_call *c, void *u, cc_error **err)
{
	size_t len = 0;
	const uint8_t *p = ttrpc_call_payload(c, &len);
	return ttrpc_call_reply(c, p, len, err);
}

static int m_sleep(ttrpc_call *c, void *u, cc_error **err)
{
	size_t len = 0;
	const uint8_t *p = ttrpc_call_payload(c, &len);
	char num[32];
	snprintf(num, sizeof(num), "%.*s", (int)len, (const char *)p);
	int r = ttrpc_call_poll(c, NULL, 0, (int)strtol(num, NULL, 10));
	if (r < 0)
		return cc_error_set(err, r, "sleep interrupted: %s", strerror(-r));
	return ttrpc_call_reply(c, p, len, err);
}

static int m_block(ttrpc_call *c, void *u, cc_error **err)
{
	atomic_fetch_add(&block_started, 1);
	int r = ttrpc_call_poll(c, NULL, 0, -1);
	if (r == -ECANCELED)
		atomic_fetch_add(&block_cancelled, 1);
	return cc_error_set(err, r < 0 ? r : -EIO, "blocked call ended");
}

static int m_meta(ttrpc_call *c, void *u, cc_error **err)
{
	char out[4096] = "";
	size_t off = 0;
	for (size_t i = 0; i < ttrpc_call_metadata_count(c); i++) {
		const char *k, *v;
		assert_int_equal(ttrpc_call_metadata_at(c, i, &k, &v), 0);
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s=%s\n", k, v);
	}
	const char *k, *v;
	assert_int_equal(ttrpc_call_metadata_at(c, 999, &k, &v), -ERANGE);
	const char *g = ttrpc_call_metadata_get(c, "Containerd-Namespace-TTRPC");
	snprintf(out + off, sizeof(out) - off, "get=%s", g != NULL ? g : "(none)");
	return ttrpc_call_reply(c, out, strlen(out), err);
}

static int m_deadline(ttrpc_call *c, void *u, cc_error **err)
{
	struct timespec d;
	char out[64] = "none";
	if (ttrpc_call_deadline(c, &d)) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t ms = ((int64_t)d.tv_sec - now.tv_sec) * 1000 + (d.tv_nsec - now.tv_nsec) / 1000000;
		snprintf(out, sizeof(out), "%lld", (long long)ms);
	}
	return ttrpc_call_reply(c, out, strlen(out), err);
}

static int m_fail(ttrpc_call *c, void *u, cc_error **err)
{
	ttrpc_call_set_code(c, TTRPC_NOT_FOUND);
	return cc_error_set(err, -EIO, "no such thing");
}

static int m_fail_errno(ttrpc_call *c, void *u, cc_error **err)
{
	return cc_error_set(err, -EEXIST, "it exists");
}

static int m_unpack(ttrpc_call *c, void *u, cc_error **err)
{
	ProtobufCMessage *m = NULL;
	int r = ttrpc_call_unpack(c, &grpc__copy_file_request__descriptor, &m, err);
	if (r < 0)
		return r;
	const char *path = ((Grpc__CopyFileRequest *)m)->path;
	return ttrpc_call_reply(c, path, strlen(path), err);
}

static int m_big(ttrpc_call *c, void *u, cc_error **err)
{
	uint8_t *p = calloc(1, CC_TTRPC_MAX_MESSAGE_BYTES);
	assert_non_null(p);
	int r = ttrpc_call_reply(c, p, CC_TTRPC_MAX_MESSAGE_BYTES, err);
	free(p);
	return r;
}

static int m_check(ttrpc_call *c, void *u, cc_error **err)
{
	ProtobufCMessage *m = NULL;
	int r = ttrpc_call_unpack(c, &grpc__check_request__descriptor, &m, err);
	if (r < 0)
		return r;
	Grpc__HealthCheckResponse resp = GRPC__HEALTH_CHECK_RESPONSE__INIT;
	resp.status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	return ttrpc_call_reply_pb(c, &resp.base, err);
}

static const ttrpc_method svc_methods[] = {
	{"Echo", m_echo},         {"Sleep", m_sleep},   {"Block", m_block},
	{"Meta", m_meta},         {"Deadline", m_deadline}, {"Fail", m_fail},
	{"FailErrno", m_fail_errno}, {"Unpack", m_unpack}, {"Big", m_big},
};

static const ttrpc_method health_methods[] = {{"Check", m_check}};

void svc_register(ttrpc_server *s)
{
	assert_int_equal(ttrpc_server_register(s, "test.Svc", svc_methods,
	                                       sizeof(svc_methods) / sizeof(svc_methods[0]), NULL,
	                                       NULL),
	                 0);
	assert_int_equal(ttrpc_server_register(s, "grpc.Health", health_methods, 1, NULL, NULL), 0);
}

void *served_thread_main(void *arg)
{
	served *sv = arg;
	sv->serve_result = ttrpc_server_serve_fd(sv->s, sv->fd[0], NULL);
	return NULL;
}

void served_start(served *sv, const ttrpc_server_opts *opts)
{
	memset(sv, 0, sizeof(*sv));
	assert_int_equal(ttrpc_server_new(opts, &sv->s, NULL), 0);
	svc_register(sv->s);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv->fd), 0);
	assert_int_equal(pthread_create(&sv->t, NULL, served_thread_main, sv), 0);
}

void served_stop(served *sv)
{
	if (sv->fd[1] >= 0)
		close(sv->fd[1]);
	sv->fd[1] = -1;
	pthread_join(sv->t, NULL);
	close(sv->fd[0]);
	ttrpc_server_free(sv->s);
}
