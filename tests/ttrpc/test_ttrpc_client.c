/* The ttrpc client against our server (socketpair, unix socket with
 * SO_PEERCRED, a pty standing in for a virtio-serial port) and against a
 * scripted fake server: concurrent calls, deadlines, metadata, errors,
 * connection loss, shutdown with calls in flight. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "health.pb-c.h"
#include "helpers.h"
#include "ttrpc_int.h"

/* One call with a string payload; returns the result code and the reply
 * (static buffer per thread). */
typedef struct result {
	int r;
	int code;
	char msg[256];
	char out[256];
} result;

static result call(ttrpc_client *c, const char *svc, const char *method, const char *payload,
                   const ttrpc_call_opts *o)
{
	result res = {0};
	uint8_t *out = NULL;
	size_t len = 0;
	cc_error *err = NULL;
	res.r = ttrpc_client_call(c, svc, method, payload, strlen(payload), o, &out, &len, &err);
	res.code = ttrpc_error_code(err);
	snprintf(res.msg, sizeof(res.msg), "%s", err != NULL ? cc_error_message(err) : "");
	if (res.r == 0) {
		assert_non_null(out);
		snprintf(res.out, sizeof(res.out), "%.*s", (int)len, (const char *)out);
		free(out);
	}
	cc_error_free(err);
	return res;
}

static ttrpc_client *client_on(int fd)
{
	ttrpc_client *c = NULL;
	assert_int_equal(ttrpc_client_new(fd, &c, NULL), 0);
	return c;
}

static void test_basic(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	ttrpc_client *c = client_on(sv.fd[1]);
	sv.fd[1] = -1; /* the client owns it */
	result r = call(c, "test.Svc", "Echo", "hello", NULL);
	assert_int_equal(r.r, 0);
	assert_string_equal(r.out, "hello");
	r = call(c, "test.Svc", "Echo", "", NULL);
	assert_int_equal(r.r, 0);
	assert_string_equal(r.out, "");
	/* protobuf-c both ways */
	Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
	ProtobufCMessage *m = NULL;
	assert_int_equal(ttrpc_client_call_pb(c, "grpc.Health", "Check", &req.base,
	                                      &grpc__health_check_response__descriptor, NULL, &m,
	                                      NULL),
	                 0);
	assert_int_equal(((Grpc__HealthCheckResponse *)m)->status,
	                 GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	ttrpc_pb_free(m);
	/* a reply that is not the expected message: INTERNAL */
	cc_error *err = NULL;
	Grpc__CheckRequest bad = GRPC__CHECK_REQUEST__INIT;
	bad.service = "\x0a\x05"; /* Echo sends it back: a truncated field */
	m = NULL;
	assert_int_equal(ttrpc_client_call_pb(c, "test.Svc", "Echo", &bad.base,
	                                      &grpc__health_check_response__descriptor, NULL, &m,
	                                      &err),
	                 -EPROTO);
	assert_int_equal(ttrpc_error_code(err), TTRPC_INTERNAL);
	assert_null(m);
	cc_error_free(err);
	ttrpc_client_free(c);
	served_stop(&sv);
}

static void test_errors(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	ttrpc_client *c = client_on(sv.fd[1]);
	sv.fd[1] = -1;
	result r = call(c, "x.Y", "Z", "", NULL);
	assert_int_equal(r.r, -ENOSYS);
	assert_int_equal(r.code, TTRPC_UNIMPLEMENTED);
	assert_string_equal(r.msg, "service x.Y");
	r = call(c, "test.Svc", "Z", "", NULL);
	assert_string_equal(r.msg, "method Z");
	r = call(c, "test.Svc", "Fail", "", NULL);
	assert_int_equal(r.r, -ENOENT);
	assert_int_equal(r.code, TTRPC_NOT_FOUND);
	assert_string_equal(r.msg, "no such thing");
	r = call(c, "test.Svc", "FailErrno", "", NULL);
	assert_int_equal(r.code, TTRPC_ALREADY_EXISTS);
	/* requests that cannot be sent */
	char *big = malloc(CC_TTRPC_MAX_MESSAGE_BYTES + 1);
	assert_non_null(big);
	memset(big, 'a', CC_TTRPC_MAX_MESSAGE_BYTES);
	big[CC_TTRPC_MAX_MESSAGE_BYTES] = '\0';
	r = call(c, "test.Svc", "Echo", big, NULL);
	assert_int_equal(r.code, TTRPC_RESOURCE_EXHAUSTED);
	free(big);
	ttrpc_kv md[CC_TTRPC_MAX_METADATA_ENTRIES + 1];
	for (size_t i = 0; i <= CC_TTRPC_MAX_METADATA_ENTRIES; i++)
		md[i] = (ttrpc_kv){"k", "v"};
	ttrpc_call_opts o = {.metadata = md, .n_metadata = CC_TTRPC_MAX_METADATA_ENTRIES + 1};
	r = call(c, "test.Svc", "Echo", "", &o);
	assert_int_equal(r.code, TTRPC_RESOURCE_EXHAUSTED);
	r = call(c, "test.Svc", "Echo", "still fine", NULL);
	assert_int_equal(r.r, 0);
	ttrpc_client_free(c);
	served_stop(&sv);
}

static void test_metadata_deadline(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	ttrpc_client *c = client_on(sv.fd[1]);
	sv.fd[1] = -1;
	ttrpc_kv md[] = {{"containerd-namespace-ttrpc", "default"}, {"k", "v1"}, {"k", "v2"}};
	ttrpc_call_opts o = {.metadata = md, .n_metadata = 3};
	result r = call(c, "test.Svc", "Meta", "", &o);
	assert_int_equal(r.r, 0);
	assert_string_equal(r.out, "containerd-namespace-ttrpc=default\nk=v1\nk=v2\nget=default");
	r = call(c, "test.Svc", "Meta", "", NULL);
	assert_string_equal(r.out, "get=(none)");
	/* a key sent in capitals is not found by a lowercase lookup, as Go */
	ttrpc_kv up[] = {{"Containerd-Namespace-TTRPC", "x"}};
	o = (ttrpc_call_opts){.metadata = up, .n_metadata = 1};
	r = call(c, "test.Svc", "Meta", "", &o);
	assert_string_equal(r.out, "Containerd-Namespace-TTRPC=x\nget=(none)");

	/* the handler sees the deadline the client set */
	r = call(c, "test.Svc", "Deadline", "", NULL);
	assert_string_equal(r.out, "none");
	o = (ttrpc_call_opts){.timeout_ns = 5000000000};
	r = call(c, "test.Svc", "Deadline", "", &o);
	long left = strtol(r.out, NULL, 10);
	assert_true(left > 4000 && left <= 5000);

	/* the client gives up at its deadline; the late answer is dropped */
	o = (ttrpc_call_opts){.timeout_ns = 100000000};
	int64_t t0 = now_ms();
	r = call(c, "test.Svc", "Sleep", "400", &o);
	int64_t took = now_ms() - t0;
	assert_int_equal(r.r, -ETIMEDOUT);
	assert_int_equal(r.code, TTRPC_DEADLINE_EXCEEDED);
	assert_true(took >= 90 && took < 1000);
	/* ... and the handler stopped at the same deadline (its Sleep ends
	 * with DEADLINE_EXCEEDED; nobody reads it) */
	usleep(500000);
	r = call(c, "test.Svc", "Echo", "after", NULL);
	assert_int_equal(r.r, 0);
	assert_string_equal(r.out, "after");
	ttrpc_client_free(c);
	served_stop(&sv);
}

typedef struct worker {
	ttrpc_client *c;
	int id;
	int ok;
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < 25; i++) {
		char in[64];
		snprintf(in, sizeof(in), "%d", (w->id * 7 + i * 3) % 20);
		result r = call(w->c, "test.Svc", (i % 3) ? "Echo" : "Sleep", in, NULL);
		if (r.r == 0 && strcmp(r.out, in) == 0)
			w->ok++;
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	ttrpc_client *c = client_on(sv.fd[1]);
	sv.fd[1] = -1;
	enum { N = 16 };
	worker w[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		w[i] = (worker){c, i, 0};
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 25);
	}
	ttrpc_client_free(c);
	served_stop(&sv);
}

/* ---- a scripted server ------------------------------------------------- */

typedef struct blocked_call {
	ttrpc_client *c;
	result r;
} blocked_call;

static void *blocked_main(void *arg)
{
	blocked_call *b = arg;
	b->r = call(b->c, "test.Svc", "Echo", "never answered", NULL);
	return NULL;
}

static void test_connection_loss(void **state)
{
	(void)state;
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	ttrpc_client *c = client_on(sp[1]);
	enum { N = 4 };
	blocked_call b[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		b[i] = (blocked_call){.c = c};
		assert_int_equal(pthread_create(&t[i], NULL, blocked_main, &b[i]), 0);
	}
	/* the fake server reads the four requests: ids 1, 3, 5, 7 in order */
	for (uint32_t i = 0; i < N; i++) {
		ttrpc_frame_header h;
		uint8_t *p = NULL;
		assert_int_equal(read_frame(sp[0], 5000, &h, &p), 0);
		assert_int_equal(h.type, TTRPC_MSG_REQUEST);
		assert_int_equal(h.flags, 0);
		assert_int_equal(h.stream_id, 2 * i + 1);
		free(p);
	}
	close(sp[0]); /* ... and goes away */
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(b[i].r.code, TTRPC_UNAVAILABLE);
		assert_int_equal(b[i].r.r, -ENOTCONN);
		assert_string_equal(b[i].r.msg, "ttrpc: connection closed by the server");
	}
	result r = call(c, "test.Svc", "Echo", "", NULL);
	assert_int_equal(r.code, TTRPC_UNAVAILABLE);
	ttrpc_client_free(c);
}

static void test_close_with_pending(void **state)
{
	(void)state;
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	ttrpc_client *c = client_on(sp[1]);
	blocked_call b = {.c = c};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, blocked_main, &b), 0);
	ttrpc_frame_header h;
	uint8_t *p = NULL;
	assert_int_equal(read_frame(sp[0], 5000, &h, &p), 0);
	free(p);
	ttrpc_client_close(c);
	pthread_join(t, NULL);
	assert_int_equal(b.r.code, TTRPC_UNAVAILABLE);
	assert_string_equal(b.r.msg, "ttrpc: client closed");
	ttrpc_client_close(c); /* idempotent */
	ttrpc_client_free(c);
	close(sp[0]);
}

/* Answers each request of the client with what the script says. */
static void *odd_server(void *arg)
{
	int fd = *(int *)arg;
	for (int n = 0;; n++) {
		ttrpc_frame_header h;
		uint8_t *p = NULL;
		if (read_frame(fd, 5000, &h, &p) < 0)
			return NULL;
		free(p);
		uint8_t *b = NULL;
		size_t len = 0;
		switch (n) {
		case 0: /* an answer for a stream nobody waits on, then Data */
			assert_int_equal(ttrpc_response_encode(0, NULL, "x", 1, &b, &len, NULL), 0);
			write_frame(fd, 99, TTRPC_MSG_RESPONSE, 0, b, len);
			write_frame(fd, h.stream_id, TTRPC_MSG_DATA, 0, "x", 1);
			break;
		case 1: { /* an oversized answer */
			uint8_t hb[TTRPC_HEADER_LEN];
			ttrpc_frame_header big = {CC_TTRPC_MAX_MESSAGE_BYTES + 1, h.stream_id,
			                          TTRPC_MSG_RESPONSE, 0};
			ttrpc_frame_header_encode(&big, hb);
			write_all(fd, hb, sizeof(hb));
			uint8_t *z = calloc(1, big.length);
			write_all(fd, z, big.length);
			free(z);
			break;
		}
		case 2: /* no status at all: OK */
			write_frame(fd, h.stream_id, TTRPC_MSG_RESPONSE, 0, "\x12\x02hi", 4);
			break;
		case 3: /* a response that does not decode */
			write_frame(fd, h.stream_id, TTRPC_MSG_RESPONSE, 0, "\x0a\x09", 2);
			break;
		default: /* a status with an unknown code */
			write_frame(fd, h.stream_id, TTRPC_MSG_RESPONSE, 0, "\x0a\x04\x08\x63\x12\x00", 6);
			return NULL;
		}
		free(b);
	}
}

static void test_odd_server(void **state)
{
	(void)state;
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	ttrpc_client *c = client_on(sp[1]);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, odd_server, &sp[0]), 0);
	result r = call(c, "s", "m", "", NULL);
	assert_int_equal(r.code, TTRPC_INTERNAL);
	assert_string_equal(r.msg, "unexpected message type 3 received");
	r = call(c, "s", "m", "", NULL);
	assert_int_equal(r.code, TTRPC_RESOURCE_EXHAUSTED);
	assert_string_equal(r.msg, "message length 4194305 exceed maximum message size of 4194304");
	r = call(c, "s", "m", "", NULL);
	assert_int_equal(r.r, 0);
	assert_string_equal(r.out, "hi");
	r = call(c, "s", "m", "", NULL);
	assert_int_equal(r.code, TTRPC_INTERNAL);
	r = call(c, "s", "m", "", NULL);
	assert_int_equal(r.r, -EREMOTEIO);
	assert_int_equal(r.code, TTRPC_UNKNOWN);
	pthread_join(t, NULL);
	ttrpc_client_free(c);
	close(sp[0]);
}

/* ---- shutdown ------------------------------------------------------------ */

typedef struct bg_call {
	ttrpc_client *c;
	const char *method, *payload;
	result r;
} bg_call;

static void *bg_main(void *arg)
{
	bg_call *b = arg;
	b->r = call(b->c, "test.Svc", b->method, b->payload, NULL);
	return NULL;
}

static void test_shutdown_graceful(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	ttrpc_client *c = client_on(sv.fd[1]);
	sv.fd[1] = -1;
	bg_call b = {c, "Sleep", "300", {0}};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, bg_main, &b), 0);
	usleep(100000);
	int64_t t0 = now_ms();
	assert_int_equal(ttrpc_server_shutdown(sv.s, 5000, NULL), 0);
	assert_true(now_ms() - t0 >= 100); /* it waited for the Sleep */
	pthread_join(t, NULL);
	assert_int_equal(b.r.r, 0); /* answered before the connection ended */
	assert_string_equal(b.r.out, "300");
	pthread_join(sv.t, NULL);
	assert_int_equal(sv.serve_result, 0);
	close(sv.fd[0]);
	result r = call(c, "test.Svc", "Echo", "late", NULL);
	assert_int_equal(r.code, TTRPC_UNAVAILABLE);
	ttrpc_client_free(c);
	assert_int_equal(ttrpc_server_shutdown(sv.s, 0, NULL), 0); /* again: fine */
	ttrpc_server_free(sv.s);
}

static void test_shutdown_timeout(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	ttrpc_client *c = client_on(sv.fd[1]);
	sv.fd[1] = -1;
	int cancelled = svc_block_cancelled(), started = svc_block_started();
	bg_call b = {c, "Block", "", {0}};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, bg_main, &b), 0);
	svc_wait_blocked(started + 1);
	int64_t t0 = now_ms();
	cc_error *err = NULL;
	assert_int_equal(ttrpc_server_shutdown(sv.s, 100, &err), -ETIMEDOUT);
	assert_string_equal(cc_error_message(err),
	                    "ttrpc server: 1 connection(s) still busy after 100 ms; handlers cancelled");
	cc_error_free(err);
	assert_true(now_ms() - t0 < 2000);
	pthread_join(sv.t, NULL); /* the connection ends once the handler gave up */
	assert_int_equal(svc_block_cancelled(), cancelled + 1);
	close(sv.fd[0]);
	pthread_join(t, NULL);
	/* the handler's CANCELLED answer may or may not have got out */
	assert_true(b.r.code == TTRPC_CANCELLED || b.r.code == TTRPC_UNAVAILABLE);
	ttrpc_client_free(c);
	ttrpc_server_free(sv.s);
}

typedef struct bg_stop {
	ttrpc_server *s;
	int grace_ms, r;
} bg_stop;

static void *bg_stop_main(void *arg)
{
	bg_stop *b = arg;
	b->r = ttrpc_server_shutdown(b->s, b->grace_ms, NULL);
	return NULL;
}

/* A graceful stop waits for handlers only while their peer stays: a peer
 * that hangs up after the stop began (a shim killed just before its agent
 * is asked to stop) has its handlers cancelled, and the stop ends idle
 * (0) instead of running out its grace (-ETIMEDOUT) and cancelling every
 * connection's handlers. */
static void test_shutdown_peer_leaves(void **state)
{
	(void)state;
	served sv;
	served_start(&sv, NULL);
	int cfd = sv.fd[1];
	ttrpc_client *c = client_on(sv.fd[1]);
	sv.fd[1] = -1;
	int cancelled = svc_block_cancelled(), started = svc_block_started();
	bg_call b = {c, "Block", "", {0}};
	pthread_t t, st;
	assert_int_equal(pthread_create(&t, NULL, bg_main, &b), 0);
	svc_wait_blocked(started + 1);
	bg_stop stop = {sv.s, 60000, 1};
	assert_int_equal(pthread_create(&st, NULL, bg_stop_main, &stop), 0);
	usleep(200000); /* the reader has seen the stop */
	assert_int_equal(shutdown(cfd, SHUT_RDWR), 0); /* the peer leaves */
	pthread_join(st, NULL);
	assert_int_equal(stop.r, 0);
	assert_int_equal(svc_block_cancelled(), cancelled + 1);
	pthread_join(sv.t, NULL);
	assert_int_equal(sv.serve_result, 0);
	pthread_join(t, NULL);
	assert_true(b.r.code == TTRPC_CANCELLED || b.r.code == TTRPC_UNAVAILABLE);
	close(sv.fd[0]);
	ttrpc_client_free(c);
	ttrpc_server_free(sv.s);
}

/* ---- unix sockets ------------------------------------------------------ */

typedef struct listener {
	ttrpc_server *s;
	int fd;
	char dir[32];
	char path[100];
	pthread_t t;
	int result;
} listener;

static void *listen_main(void *arg)
{
	listener *l = arg;
	l->result = ttrpc_server_serve_listener(l->s, l->fd, NULL);
	return NULL;
}

static void listener_start(listener *l, const ttrpc_server_opts *o)
{
	snprintf(l->dir, sizeof(l->dir), "/tmp/ttrpc-test-XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	snprintf(l->path, sizeof(l->path), "%s/s.sock", l->dir);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l->fd, 16), 0);
	assert_int_equal(ttrpc_server_new(o, &l->s, NULL), 0);
	svc_register(l->s);
	assert_int_equal(pthread_create(&l->t, NULL, listen_main, l), 0);
}

static void listener_stop(listener *l)
{
	assert_int_equal(ttrpc_server_shutdown(l->s, 5000, NULL), 0);
	pthread_join(l->t, NULL);
	assert_int_equal(l->result, 0);
	ttrpc_server_free(l->s);
	close(l->fd);
	unlink(l->path);
	rmdir(l->dir);
}

static void test_unix_socket(void **state)
{
	(void)state;
	ttrpc_server_opts o = {.require_same_uid = true, .max_conns = 2};
	listener l;
	listener_start(&l, &o);
	ttrpc_client *a = NULL, *b = NULL, *x = NULL;
	char addr[160];
	snprintf(addr, sizeof(addr), "unix://%s", l.path);
	assert_int_equal(ttrpc_client_connect_unix(addr, &a, NULL), 0);
	assert_int_equal(ttrpc_client_connect_unix(l.path, &b, NULL), 0);
	result r = call(a, "test.Svc", "Echo", "a", NULL);
	assert_string_equal(r.out, "a");
	r = call(b, "test.Svc", "Echo", "b", NULL);
	assert_string_equal(r.out, "b");
	/* a third connection is over max_conns: closed at once */
	assert_int_equal(ttrpc_client_connect_unix(l.path, &x, NULL), 0);
	r = call(x, "test.Svc", "Echo", "x", NULL);
	assert_int_equal(r.code, TTRPC_UNAVAILABLE);
	ttrpc_client_free(x);
	ttrpc_client_free(b);
	/* no socket there */
	cc_error *err = NULL;
	assert_int_equal(ttrpc_client_connect_unix("/nonexistent/s.sock", &x, &err), -ENOENT);
	assert_int_equal(ttrpc_error_code(err), TTRPC_UNAVAILABLE);
	cc_error_free(err);
	listener_stop(&l);
	/* the server closed a's connection when it stopped */
	r = call(a, "test.Svc", "Echo", "a", NULL);
	assert_int_equal(r.code, TTRPC_UNAVAILABLE);
	ttrpc_client_free(a);
}

static void test_peer_other_uid(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	ttrpc_server_opts o = {.require_same_uid = true};
	listener l;
	listener_start(&l, &o);
	assert_int_equal(chmod(l.dir, 0755), 0);
	assert_int_equal(chmod(l.path, 0777), 0);
	size_t len = 0;
	uint8_t *req = request_bytes("test.Svc", "Echo", "x", 1, NULL, &len);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* nobody connects and calls (raw, no threads after fork): the
		 * server must hang up without answering */
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l.path);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(3);
		/* the server may have hung up already: no SIGPIPE, no checks */
		uint8_t hb[TTRPC_HEADER_LEN];
		ttrpc_frame_header h = {(uint32_t)len, 1, TTRPC_MSG_REQUEST, 0};
		ttrpc_frame_header_encode(&h, hb);
		(void)!send(fd, hb, sizeof(hb), MSG_NOSIGNAL);
		(void)!send(fd, req, len, MSG_NOSIGNAL);
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		char b;
		if (poll(&pf, 1, 5000) != 1)
			_exit(4); /* neither an answer nor a hang-up */
		ssize_t n = read(fd, &b, 1); /* closed with our request unread: a reset */
		_exit(n == 0 || (n < 0 && errno == ECONNRESET) ? 0 : 5);
	}
	free(req);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	listener_stop(&l);
}

/* ---- a character device (pty) as a virtio-serial port stands in -------- */

static void test_pty(void **state)
{
	(void)state;
	int master = -1, slave = -1;
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	struct termios tio;
	assert_int_equal(tcgetattr(slave, &tio), 0);
	cfmakeraw(&tio);
	assert_int_equal(tcsetattr(slave, TCSANOW, &tio), 0);
	assert_int_equal(tcgetattr(master, &tio), 0);
	cfmakeraw(&tio);
	assert_int_equal(tcsetattr(master, TCSANOW, &tio), 0);

	served sv;
	served_start(&sv, NULL);
	/* serve the pty's slave end instead of the socketpair */
	close(sv.fd[1]);
	sv.fd[1] = -1;
	pthread_join(sv.t, NULL);
	close(sv.fd[0]);
	sv.fd[0] = slave;
	assert_int_equal(pthread_create(&sv.t, NULL, served_thread_main, &sv), 0);

	ttrpc_client *c = client_on(master);
	result r = call(c, "test.Svc", "Echo", "over a tty", NULL);
	assert_int_equal(r.r, 0);
	assert_string_equal(r.out, "over a tty");
	/* 64 KiB through the tty buffers, both ways */
	size_t n = 65536;
	uint8_t *big = malloc(n);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 31);
	uint8_t *out = NULL;
	size_t len = 0;
	assert_int_equal(ttrpc_client_call(c, "test.Svc", "Echo", big, n, NULL, &out, &len, NULL), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, big, n);
	free(out), free(big);
	ttrpc_client_free(c); /* closes the master: the server reads EIO = end */
	pthread_join(sv.t, NULL);
	assert_int_equal(sv.serve_result, 0);
	close(slave);
	ttrpc_server_free(sv.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_metadata_deadline),
	    cmocka_unit_test(test_concurrent),
	    cmocka_unit_test(test_connection_loss),
	    cmocka_unit_test(test_close_with_pending),
	    cmocka_unit_test(test_odd_server),
	    cmocka_unit_test(test_shutdown_graceful),
	    cmocka_unit_test(test_shutdown_timeout),
	    cmocka_unit_test(test_shutdown_peer_leaves),
	    cmocka_unit_test(test_unix_socket),
	    cmocka_unit_test(test_peer_other_uid),
	    cmocka_unit_test(test_pty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
