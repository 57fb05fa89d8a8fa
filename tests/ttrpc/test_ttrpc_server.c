/* The ttrpc server driven with raw frames over a socketpair: the exact
 * bytes of kata.md §1.5, stream-id rules, oversized frames, garbage,
 * streaming refusals, the call limit, peers hanging up mid-frame, and
 * registration errors. Each test reads the server's answers frame by frame. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "ttrpc_int.h"

#define VEC_CHECK "000000140000000301000a0b677270632e4865616c74681205436865636b"
#define VEC_REPLY_GO "000000060000000302000a0012020801"

/* Sends a Request frame for test.Svc/method with payload. */
static void send_req(int fd, uint32_t id, const char *method, const char *payload)
{
	size_t len = 0;
	uint8_t *b = request_bytes("test.Svc", method, payload, strlen(payload), NULL, &len);
	write_frame(fd, id, TTRPC_MSG_REQUEST, 0, b, len);
	free(b);
}

/* Reads one response and checks its stream, code and message (msg NULL:
 * any) and, for OK, its payload. */
static void expect_resp(int fd, uint32_t id, int code, const char *msg, const char *payload)
{
	ttrpc_frame_header h;
	uint8_t *p = NULL;
	assert_int_equal(read_frame(fd, 5000, &h, &p), 0);
	assert_int_equal(h.type, TTRPC_MSG_RESPONSE);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.stream_id, id);
	int got = -1;
	char *m = NULL;
	uint8_t *out = NULL;
	size_t len = 0;
	assert_int_equal(ttrpc_response_decode(p, h.length, &got, &m, &out, &len, NULL), 0);
	if (got != code)
		fail_msg("stream %u: code %d (%s), want %d", id, got, m ? m : "", code);
	if (msg != NULL)
		assert_string_equal(m != NULL ? m : "", msg);
	if (payload != NULL) {
		assert_int_equal(len, strlen(payload));
		assert_memory_equal(out, payload, len);
	}
	free(m), free(out), free(p);
}

/* Nothing more arrives within ms. */
static void expect_silence(int fd, int ms)
{
	ttrpc_frame_header h;
	uint8_t *p = NULL;
	assert_int_equal(read_frame(fd, ms, &h, &p), -1);
}

static void test_vector_bytes(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	size_t len = 0;
	uint8_t *req = hex_decode(VEC_CHECK, &len);
	write_all(sv.fd[1], req, len);
	free(req);
	ttrpc_frame_header h;
	uint8_t *p = NULL;
	assert_int_equal(read_frame(sv.fd[1], 5000, &h, &p), 0);
	uint8_t whole[64];
	ttrpc_frame_header_encode(&h, whole);
	memcpy(whole + TTRPC_HEADER_LEN, p, h.length);
	char *s = hex_encode(whole, TTRPC_HEADER_LEN + h.length);
	assert_string_equal(s, VEC_REPLY_GO); /* byte for byte what Go's server sends */
	free(s), free(p);
	served_stop(&sv);
}

static void test_stream_ids(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	int fd = sv.fd[1];
	send_req(fd, 2, "Echo", "even");
	expect_resp(fd, 2, TTRPC_INVALID_ARGUMENT, "StreamID must be odd for client initiated streams",
	            NULL);
	send_req(fd, 5, "Echo", "five");
	expect_resp(fd, 5, TTRPC_OK, "", "five");
	send_req(fd, 3, "Echo", "back");
	expect_resp(fd, 3, TTRPC_INVALID_ARGUMENT, "StreamID cannot be re-used and must increment",
	            NULL);
	send_req(fd, 5, "Echo", "again");
	expect_resp(fd, 5, TTRPC_INVALID_ARGUMENT, "StreamID cannot be re-used and must increment",
	            NULL);
	send_req(fd, 7, "Echo", "seven");
	expect_resp(fd, 7, TTRPC_OK, "", "seven");
	/* ids need not be consecutive; the largest odd id works */
	send_req(fd, 0xffffffffu, "Echo", "max");
	expect_resp(fd, 0xffffffffu, TTRPC_OK, "", "max");
	send_req(fd, 9, "Echo", "after max");
	expect_resp(fd, 9, TTRPC_INVALID_ARGUMENT, "StreamID cannot be re-used and must increment",
	            NULL);
	served_stop(&sv);
}

static void test_unknown_targets(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	int fd = sv.fd[1];
	size_t len = 0;
	uint8_t *b = request_bytes("x.Nope", "Echo", "", 0, NULL, &len);
	write_frame(fd, 1, TTRPC_MSG_REQUEST, 0, b, len);
	free(b);
	expect_resp(fd, 1, TTRPC_UNIMPLEMENTED, "service x.Nope", NULL);
	send_req(fd, 3, "Nope", "");
	expect_resp(fd, 3, TTRPC_UNIMPLEMENTED, "method Nope", NULL);
	/* an empty service name is just unknown */
	b = request_bytes("", "", "", 0, NULL, &len);
	write_frame(fd, 5, TTRPC_MSG_REQUEST, 0, b, len);
	free(b);
	expect_resp(fd, 5, TTRPC_UNIMPLEMENTED, "service ", NULL);
	/* a long name is echoed up to 1024 bytes */
	char name[3000];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	b = request_bytes(name, "m", "", 0, NULL, &len);
	write_frame(fd, 7, TTRPC_MSG_REQUEST, 0, b, len);
	free(b);
	name[1024] = '\0';
	char want[1100];
	snprintf(want, sizeof(want), "service %.1024s", name);
	expect_resp(fd, 7, TTRPC_UNIMPLEMENTED, want, NULL);
	served_stop(&sv);
}

/* Writes an oversized frame from a thread (the server drains it while we
 * would otherwise block). */
typedef struct big_write {
	int fd;
	uint32_t len;
} big_write;

static void *write_big(void *arg)
{
	big_write *bw = arg;
	uint8_t *zeros = calloc(1, bw->len);
	assert_non_null(zeros);
	write_frame(bw->fd, 5, TTRPC_MSG_REQUEST, 0, zeros, bw->len);
	free(zeros);
	return NULL;
}

static void test_oversized(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	int fd = sv.fd[1];
	send_req(fd, 3, "Echo", "before");
	expect_resp(fd, 3, TTRPC_OK, "", "before");
	big_write bw = {fd, CC_TTRPC_MAX_MESSAGE_BYTES + 1};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, write_big, &bw), 0);
	pthread_join(t, NULL);
	send_req(fd, 7, "Echo", "after");
	/* the same stream gets RESOURCE_EXHAUSTED; the connection stays */
	expect_resp(fd, 5, TTRPC_RESOURCE_EXHAUSTED,
	            "message length 4194305 exceed maximum message size of 4194304", NULL);
	expect_resp(fd, 7, TTRPC_OK, "", "after");
	/* a header claiming 4 GiB - 1 is not allocated: hang up inside it */
	uint8_t hb[TTRPC_HEADER_LEN];
	ttrpc_frame_header h = {0xffffffffu, 9, TTRPC_MSG_REQUEST, 0};
	ttrpc_frame_header_encode(&h, hb);
	write_all(fd, hb, sizeof(hb));
	write_all(fd, "abc", 3);
	close(fd);
	sv.fd[1] = -1;
	served_stop(&sv);
	assert_int_equal(sv.serve_result, 0);
}

static void test_garbage(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	int fd = sv.fd[1];
	/* a Request payload that is not a Request */
	write_frame(fd, 1, TTRPC_MSG_REQUEST, 0, "\xff\xff\xff", 3);
	expect_resp(fd, 1, TTRPC_INVALID_ARGUMENT,
	            "unmarshal request error: ttrpc.Request: truncated or overlong tag at byte 3", NULL);
	/* a service name with a NUL in it (protobuf-c would cut it) */
	static const uint8_t nul[] = {0x0a, 0x0a, 't', 'e', 's', 't', '.', 'S', 'v', 'c', 0, 'x',
	                              0x12, 0x04, 'E', 'c', 'h', 'o'};
	write_frame(fd, 3, TTRPC_MSG_REQUEST, 0, nul, sizeof(nul));
	expect_resp(fd, 3, TTRPC_INVALID_ARGUMENT,
	            "unmarshal request error: ttrpc.Request.service: string is not valid UTF-8 or "
	            "contains NUL",
	            NULL);
	/* an empty Request is a call to service "" */
	write_frame(fd, 5, TTRPC_MSG_REQUEST, 0, NULL, 0);
	expect_resp(fd, 5, TTRPC_UNIMPLEMENTED, "service ", NULL);
	/* unknown types and responses from the client are ignored */
	write_frame(fd, 7, 0x7f, 0xff, "junk", 4);
	write_frame(fd, 9, TTRPC_MSG_RESPONSE, 0, "junk", 4);
	/* ... but even ids are refused whatever the type */
	write_frame(fd, 10, TTRPC_MSG_RESPONSE, 0, NULL, 0);
	expect_resp(fd, 10, TTRPC_INVALID_ARGUMENT,
	            "StreamID must be odd for client initiated streams", NULL);
	/* data on a stream that is not running */
	write_frame(fd, 11, TTRPC_MSG_DATA, TTRPC_FLAG_REMOTE_CLOSED, NULL, 0);
	expect_resp(fd, 11, TTRPC_INVALID_ARGUMENT, "StreamID is no longer active", NULL);
	/* a well-formed call still works, on an id above the ignored ones */
	send_req(fd, 13, "Echo", "ok");
	expect_resp(fd, 13, TTRPC_OK, "", "ok");
	/* payload that is not the handler's message: INTERNAL, as Go */
	send_req(fd, 15, "Unpack", "\x0a\x05/r");
	expect_resp(fd, 15, TTRPC_INTERNAL,
	            "ttrpc: error unmarshalling payload: grpc.CopyFileRequest.path: truncated value",
	            NULL);
	/* the Request with the remote-open flag (a streaming client) is still
	 * served as the unary call it is, as Go does */
	size_t len = 0;
	uint8_t *b = request_bytes("test.Svc", "Echo", "ro", 2, NULL, &len);
	write_frame(fd, 17, TTRPC_MSG_REQUEST, TTRPC_FLAG_REMOTE_OPEN, b, len);
	free(b);
	expect_resp(fd, 17, TTRPC_OK, "", "ro");
	expect_silence(fd, 100);
	served_stop(&sv);
}

static void test_data_on_unary(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	int fd = sv.fd[1];
	int before = svc_block_cancelled(), started = svc_block_started();
	send_req(fd, 1, "Block", "");
	svc_wait_blocked(started + 1);
	write_frame(fd, 1, TTRPC_MSG_DATA, 0, "\x08\x01", 2);
	expect_resp(fd, 1, TTRPC_INVALID_ARGUMENT, "StreamID 1 is a unary call: data is not allowed",
	            NULL);
	/* the handler is cancelled; its own answer is never sent */
	for (int i = 0; i < 500 && svc_block_cancelled() == before; i++)
		usleep(10000);
	assert_int_equal(svc_block_cancelled(), before + 1);
	write_frame(fd, 1, TTRPC_MSG_DATA, 0, NULL, 0);
	send_req(fd, 3, "Echo", "next");
	expect_resp(fd, 1, TTRPC_INVALID_ARGUMENT, "StreamID is no longer active", NULL);
	expect_resp(fd, 3, TTRPC_OK, "", "next");
	expect_silence(fd, 100);
	served_stop(&sv);
}

static void test_handler_results(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	int fd = sv.fd[1];
	send_req(fd, 1, "Fail", "");
	expect_resp(fd, 1, TTRPC_NOT_FOUND, "no such thing", NULL);
	send_req(fd, 3, "FailErrno", "");
	expect_resp(fd, 3, TTRPC_ALREADY_EXISTS, "it exists", NULL);
	send_req(fd, 5, "Big", "");
	expect_resp(fd, 5, TTRPC_RESOURCE_EXHAUSTED, "response exceeds maximum message size", NULL);
	send_req(fd, 7, "Echo", "");
	expect_resp(fd, 7, TTRPC_OK, "", "");
	served_stop(&sv);
}

static void test_out_of_order(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	int fd = sv.fd[1];
	send_req(fd, 1, "Sleep", "300");
	send_req(fd, 3, "Sleep", "150");
	send_req(fd, 5, "Echo", "now");
	expect_resp(fd, 5, TTRPC_OK, "", "now");
	expect_resp(fd, 3, TTRPC_OK, "", "150");
	expect_resp(fd, 1, TTRPC_OK, "", "300");
	served_stop(&sv);
}

static void test_call_limit(void **state)
{
	(void)state;
	ttrpc_server_opts o = {.max_calls = 2};
	served sv;
	served_start(&sv, &o);
	int fd = sv.fd[1];
	int started = svc_block_started(), cancelled = svc_block_cancelled();
	send_req(fd, 1, "Block", "");
	send_req(fd, 3, "Block", "");
	svc_wait_blocked(started + 2);
	/* the reader answers at once; it does not wait for a slot */
	int64_t t0 = now_ms();
	send_req(fd, 5, "Echo", "x");
	expect_resp(fd, 5, TTRPC_RESOURCE_EXHAUSTED, "2 calls already running on this connection",
	            NULL);
	assert_true(now_ms() - t0 < 1000);
	/* hanging up cancels the blocked handlers and serve_fd returns */
	served_stop(&sv);
	assert_int_equal(svc_block_cancelled(), cancelled + 2);
	assert_int_equal(sv.serve_result, 0);
}

static void test_hangup_mid_frame(void **state)
{
	(void)state;
	/* inside a header, inside a payload, right after a request */
	for (int cut = 0; cut < 3; cut++) {
		served sv;
		served_start(&sv, NULL);
		int fd = sv.fd[1];
		size_t len = 0;
		uint8_t *b = request_bytes("test.Svc", "Sleep", "10000", 5, NULL, &len);
		uint8_t hb[TTRPC_HEADER_LEN];
		ttrpc_frame_header h = {(uint32_t)len, 1, TTRPC_MSG_REQUEST, 0};
		ttrpc_frame_header_encode(&h, hb);
		if (cut == 0) {
			write_all(fd, hb, 4);
		} else if (cut == 1) {
			write_all(fd, hb, sizeof(hb));
			write_all(fd, b, len / 2);
		} else {
			write_all(fd, hb, sizeof(hb));
			write_all(fd, b, len);
			usleep(50000); /* the 10 s Sleep is running */
		}
		free(b);
		int64_t t0 = now_ms();
		served_stop(&sv); /* closes fd: the Sleep is cancelled */
		assert_true(now_ms() - t0 < 2000);
		assert_int_equal(sv.serve_result, 0);
	}
}

static void test_register_errors(void **state)
{
	(void)state;
	ttrpc_server *s = NULL;
	assert_int_equal(ttrpc_server_new(NULL, &s, NULL), 0);
	static const ttrpc_method twice[] = {{"A", (ttrpc_method_fn)1}, {"A", (ttrpc_method_fn)1}};
	cc_error *err = NULL;
	assert_int_equal(ttrpc_server_register(s, "x.S", twice, 2, NULL, &err), -EINVAL);
	assert_string_equal(cc_error_message(err), "service x.S: method A registered twice");
	cc_error_free(err);
	err = NULL;
	static const ttrpc_method noname[] = {{NULL, (ttrpc_method_fn)1}};
	assert_int_equal(ttrpc_server_register(s, "x.S", noname, 1, NULL, &err), -EINVAL);
	cc_error_free(err);
	err = NULL;
	svc_register(s);
	assert_int_equal(ttrpc_server_register(s, "test.Svc", twice, 1, NULL, &err), -EEXIST);
	assert_string_equal(cc_error_message(err), "service test.Svc: registered twice");
	cc_error_free(err);
	err = NULL;
	/* serving freezes the registry */
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	close(sp[1]);
	assert_int_equal(ttrpc_server_serve_fd(s, sp[0], NULL), 0); /* EOF at once */
	assert_int_equal(ttrpc_server_register(s, "y.S", twice, 1, NULL, &err), -EBUSY);
	cc_error_free(err);
	err = NULL;
	/* after shutdown nothing new is served */
	assert_int_equal(ttrpc_server_shutdown(s, 1000, NULL), 0);
	assert_int_equal(ttrpc_server_serve_fd(s, sp[0], &err), -ESHUTDOWN);
	cc_error_free(err);
	close(sp[0]);
	ttrpc_server_free(s);
	ttrpc_server_free(NULL);
}

static void test_same_uid(void **state)
{
	(void)state;
	ttrpc_server_opts o = {.require_same_uid = true};
	served sv;
	served_start(&sv, &o); /* a socketpair: same uid, accepted */
	send_req(sv.fd[1], 1, "Echo", "me");
	expect_resp(sv.fd[1], 1, TTRPC_OK, "", "me");
	served_stop(&sv);
	/* a pipe is not a socket: refused */
	ttrpc_server *s = NULL;
	assert_int_equal(ttrpc_server_new(&o, &s, NULL), 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	cc_error *err = NULL;
	assert_int_equal(ttrpc_server_serve_fd(s, p[0], &err), -EPERM);
	char want[128];
	snprintf(want, sizeof(want), "ttrpc: fd %d is not a unix socket (require_same_uid)", p[0]);
	assert_string_equal(cc_error_message(err), want);
	cc_error_free(err);
	close(p[0]), close(p[1]);
	ttrpc_server_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector_bytes),    cmocka_unit_test(test_stream_ids),
	    cmocka_unit_test(test_unknown_targets), cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_garbage),         cmocka_unit_test(test_data_on_unary),
	    cmocka_unit_test(test_handler_results), cmocka_unit_test(test_out_of_order),
	    cmocka_unit_test(test_call_limit),      cmocka_unit_test(test_hangup_mid_frame),
	    cmocka_unit_test(test_register_errors), cmocka_unit_test(test_same_uid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
