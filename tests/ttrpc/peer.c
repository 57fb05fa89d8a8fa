/* ttrpc-peer: a small command the containerd integration test drives
 * (test_containerd.py). Not installed.
 *
 *   ttrpc-peer forward SOCK NAMESPACE TOPIC CONTAINER_ID PID [--no-timestamp]
 *       Events/Forward of a TaskStart event to containerd's ttrpc socket.
 *   ttrpc-peer call SOCK SERVICE METHOD [HEX_PAYLOAD]
 *       one call; prints the payload in hex.
 *   ttrpc-peer raw SOCK < BYTES
 *       writes its stdin (frames made by the caller) to the socket, then
 *       prints every response that arrives until 0.4 s of silence:
 *       "ID CODE MESSAGE".
 *   ttrpc-peer serve SOCK
 *       our server on a unix socket with containerd's Events service
 *       (Forward decodes its request and answers Empty) until SIGTERM.
 *
 * Call results print as "OK ..." or "CODE_NAME: message"; exit 0 once a
 * call completed, 1 for usage or connection errors. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "containerd/api/events/task.pb-c.h"
#include "containerd/api/services/ttrpc/events/v1/events.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "ttrpc_int.h"

#define EVENTS "containerd.services.events.ttrpc.v1.Events"

static int usage(void)
{
	fprintf(stderr, "usage: ttrpc-peer forward|call|raw|serve SOCK ...\n");
	return 1;
}

static uint8_t *unhex(const char *s, size_t *ret_len)
{
	size_t n = strlen(s);
	uint8_t *p = malloc(n / 2 + 1);
	if (p == NULL || n % 2)
		goto bad;
	for (size_t i = 0; i < n / 2; i++) {
		char b[3] = {s[2 * i], s[2 * i + 1], 0}, *end = NULL;
		long v = strtol(b, &end, 16);
		if (end != b + 2)
			goto bad;
		p[i] = (uint8_t)v;
	}
	*ret_len = n / 2;
	return p;
bad:
	free(p);
	fprintf(stderr, "ttrpc-peer: bad hex\n");
	exit(1);
}

static int print_result(int r, cc_error *err, const uint8_t *out, size_t len)
{
	if (r < 0) {
		printf("%s: %s\n", ttrpc_code_name(ttrpc_error_code(err)), cc_error_message(err));
	} else {
		printf("OK ");
		for (size_t i = 0; i < len; i++)
			printf("%02x", out[i]);
		printf("\n");
	}
	cc_error_free(err);
	return 0;
}

static ttrpc_client *connect_or_die(const char *sock)
{
	ttrpc_client *c = NULL;
	cc_error *err = NULL;
	if (ttrpc_client_connect_unix(sock, &c, &err) < 0) {
		fprintf(stderr, "ttrpc-peer: %s\n", cc_error_message(err));
		exit(1);
	}
	return c;
}

static int cmd_forward(int argc, char **argv)
{
	if (argc < 7)
		return usage();
	Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
	ev.container_id = argv[5];
	ev.pid = (uint32_t)strtoul(argv[6], NULL, 10);
	uint8_t *evb = NULL;
	size_t evlen = 0;
	if (ttrpc_pb_pack(&ev.base, &evb, &evlen, NULL) < 0)
		return 1;
	/* typeurl falls back to the bare proto name (kata.md §2.8) */
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	any.type_url = "containerd.events.TaskStart";
	any.value.data = evb;
	any.value.len = evlen;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts.seconds = now.tv_sec;
	ts.nanos = (int32_t)now.tv_nsec;
	Containerd__Services__Events__Ttrpc__V1__Envelope env =
	    CONTAINERD__SERVICES__EVENTS__TTRPC__V1__ENVELOPE__INIT;
	if (argc < 8 || strcmp(argv[7], "--no-timestamp") != 0)
		env.timestamp = &ts;
	env.namespace_ = argv[3];
	env.topic = argv[4];
	env.event = &any;
	Containerd__Services__Events__Ttrpc__V1__ForwardRequest req =
	    CONTAINERD__SERVICES__EVENTS__TTRPC__V1__FORWARD_REQUEST__INIT;
	req.envelope = &env;

	ttrpc_client *c = connect_or_die(argv[2]);
	ttrpc_kv md[] = {{"containerd-namespace-ttrpc", argv[3]}};
	ttrpc_call_opts o = {.timeout_ns = 10000000000, .metadata = md, .n_metadata = 1};
	ProtobufCMessage *resp = NULL;
	cc_error *err = NULL;
	int r = ttrpc_client_call_pb(c, EVENTS, "Forward", &req.base, &google__protobuf__empty__descriptor,
	                             &o, &resp, &err);
	print_result(r, err, NULL, 0);
	ttrpc_pb_free(resp);
	ttrpc_client_free(c);
	free(evb);
	return 0;
}

static int cmd_call(int argc, char **argv)
{
	if (argc < 5)
		return usage();
	size_t len = 0;
	uint8_t *p = argc > 5 ? unhex(argv[5], &len) : NULL;
	ttrpc_client *c = connect_or_die(argv[2]);
	ttrpc_call_opts o = {.timeout_ns = 10000000000};
	uint8_t *out = NULL;
	size_t olen = 0;
	cc_error *err = NULL;
	int r = ttrpc_client_call(c, argv[3], argv[4], p, len, &o, &out, &olen, &err);
	print_result(r, err, out, olen);
	free(out);
	free(p);
	ttrpc_client_free(c);
	return 0;
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static int cmd_raw(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	int fd = raw_connect(argv[2]);
	if (fd < 0) {
		fprintf(stderr, "ttrpc-peer: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	ttrpc_io io;
	if (ttrpc_io_init(&io, fd, NULL, NULL) < 0)
		return 1;
	uint8_t buf[65536];
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "ttrpc-peer: stdin: %s\n", strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		size_t off = 0;
		while (off < (size_t)n) {
			ssize_t k = send(fd, buf + off, (size_t)n - off, MSG_NOSIGNAL);
			if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
				struct pollfd pf = {.fd = fd, .events = POLLOUT};
				poll(&pf, 1, 1000);
				continue;
			}
			if (k <= 0) {
				fprintf(stderr, "ttrpc-peer: write: %s\n", strerror(errno));
				return 1;
			}
			off += (size_t)k;
		}
	}
	for (;;) {
		struct timespec dl = ttrpc_deadline_in(400000000);
		uint8_t hb[TTRPC_HEADER_LEN];
		if (ttrpc_io_read(&io, hb, sizeof(hb), &dl, NULL) < 0)
			break;
		ttrpc_frame_header h;
		ttrpc_frame_header_decode(hb, &h);
		uint8_t *p = malloc(h.length + 1);
		if (p == NULL || h.length > CC_TTRPC_MAX_MESSAGE_BYTES ||
		    ttrpc_io_read(&io, p, h.length, &dl, NULL) < 0) {
			printf("%u bad frame\n", h.stream_id);
			break;
		}
		int code = -1;
		char *msg = NULL;
		uint8_t *out = NULL;
		size_t olen = 0;
		if (h.type != TTRPC_MSG_RESPONSE ||
		    ttrpc_response_decode(p, h.length, &code, &msg, &out, &olen, NULL) < 0)
			printf("%u type %u undecodable\n", h.stream_id, h.type);
		else
			printf("%u %s %s\n", h.stream_id, ttrpc_code_name(code), msg ? msg : "");
		free(msg), free(out), free(p);
	}
	close(fd);
	return 0;
}

static int forward(ttrpc_call *call, void *u, cc_error **err)
{
	ProtobufCMessage *m = NULL;
	int r = ttrpc_call_unpack(call, &containerd__services__events__ttrpc__v1__forward_request__descriptor,
	                          &m, err);
	if (r < 0)
		return r;
	Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
	return ttrpc_call_reply_pb(call, &e.base, err);
}

static ttrpc_server *the_server;

static void *sig_main(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;
	sigwait(set, &sig);
	ttrpc_server_shutdown(the_server, 2000, NULL);
	return NULL;
}

static int cmd_serve(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(argv[2]) >= sizeof(sa.sun_path))
		return usage();
	memcpy(sa.sun_path, argv[2], strlen(argv[2]) + 1);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0) {
		fprintf(stderr, "ttrpc-peer: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	static const ttrpc_method methods[] = {{"Forward", forward}};
	ttrpc_server_opts o = {.require_same_uid = true};
	cc_error *err = NULL;
	if (ttrpc_server_new(&o, &the_server, &err) < 0 ||
	    ttrpc_server_register(the_server, EVENTS, methods, 1, NULL, &err) < 0) {
		fprintf(stderr, "ttrpc-peer: %s\n", cc_error_message(err));
		return 1;
	}
	pthread_t t;
	pthread_create(&t, NULL, sig_main, &set);
	printf("ready\n");
	fflush(stdout);
	int r = ttrpc_server_serve_listener(the_server, lfd, &err);
	pthread_join(t, NULL);
	ttrpc_server_free(the_server);
	close(lfd);
	unlink(argv[2]);
	if (r < 0)
		fprintf(stderr, "ttrpc-peer: %s\n", cc_error_message(err));
	cc_error_free(err);
	return r < 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "forward") == 0)
		return cmd_forward(argc, argv);
	if (strcmp(argv[1], "call") == 0)
		return cmd_call(argc, argv);
	if (strcmp(argv[1], "raw") == 0)
		return cmd_raw(argc, argv);
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc, argv);
	return usage();
}
