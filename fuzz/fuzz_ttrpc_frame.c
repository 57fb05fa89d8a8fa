/* libFuzzer target: ttrpc frames (lib/ttrpc, docs/ttrpc.md), what the
 * agent reads from the host and a shim from containerd. The input is a
 * byte stream:
 *  1. it is cut into frames by the pure decoder (oversized frames skipped
 *     as a reader does); each Request is decoded, re-encoded and decoded
 *     again (must give the same service, method, payload, timeout and
 *     metadata), and its payload is unpacked as the request message of the
 *     named method of grpc.AgentService, grpc.Health,
 *     containerd.task.v2.Task or the Events service (else of an agent
 *     method chosen by the payload's first byte); Responses are decoded;
 *  2. inputs up to 64 KiB are also fed to a server over a socketpair that
 *     serves those services (each handler unpacks its request and answers
 *     Empty); everything the server writes back must be well-formed
 *     Response frames.
 * Seed corpus: fuzz/corpus/ttrpc_frame/.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "containerd/api/services/ttrpc/events/v1/events.pb-c.h"
#include "containerd/runtime/v2/task/shim.pb-c.h"
#include "fuzz.h"
#include "google/protobuf/empty.pb-c.h"
#include "health.pb-c.h"
#include "ttrpc_int.h"

#define SERVE_MAX (64u * 1024u)

static const ProtobufCServiceDescriptor *const services[] = {
	&grpc__agent_service__descriptor,
	&grpc__health__descriptor,
	&containerd__task__v2__task__descriptor,
	&containerd__services__events__ttrpc__v1__events__descriptor,
};
#define N_SERVICES (sizeof(services) / sizeof(services[0]))

static ttrpc_server *server;

static const ProtobufCMethodDescriptor *find_method(const char *svc, const char *method)
{
	for (size_t i = 0; i < N_SERVICES; i++)
		if (strcmp(services[i]->name, svc) == 0)
			for (unsigned m = 0; m < services[i]->n_methods; m++)
				if (strcmp(services[i]->methods[m].name, method) == 0)
					return &services[i]->methods[m];
	return NULL;
}

static int handle(ttrpc_call *c, void *u, cc_error **err)
{
	const ProtobufCMethodDescriptor *m = find_method(ttrpc_call_service(c), ttrpc_call_method(c));
	if (m == NULL)
		abort(); /* the server routed a call it does not serve */
	ProtobufCMessage *msg = NULL;
	int r = ttrpc_call_unpack(c, m->input, &msg, err);
	if (r < 0)
		return r;
	Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
	return ttrpc_call_reply_pb(c, &e.base, err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (ttrpc_server_new(NULL, &server, NULL) < 0)
		abort();
	for (size_t i = 0; i < N_SERVICES; i++) {
		const ProtobufCServiceDescriptor *d = services[i];
		ttrpc_method *ms = calloc(d->n_methods, sizeof(*ms)); /* lives with the server */
		if (ms == NULL)
			abort();
		for (unsigned m = 0; m < d->n_methods; m++)
			ms[m] = (ttrpc_method){d->methods[m].name, handle};
		if (ttrpc_server_register(server, d->name, ms, d->n_methods, NULL, NULL) < 0)
			abort();
	}
	return 0;
}

static void unpack_payload(const Ttrpc__Request *req)
{
	const ProtobufCMethodDescriptor *m = find_method(req->service, req->method);
	if (m == NULL) {
		const ProtobufCServiceDescriptor *a = &grpc__agent_service__descriptor;
		unsigned pick = req->payload.len ? req->payload.data[0] : 0;
		m = &a->methods[pick % a->n_methods];
	}
	ProtobufCMessage *msg = NULL;
	if (ttrpc_pb_unpack(m->input, req->payload.data, req->payload.len, &msg, NULL) == 0) {
		/* what decodes packs again within the cap, and decodes again */
		uint8_t *p = NULL;
		size_t len = 0;
		if (ttrpc_pb_pack(msg, &p, &len, NULL) == 0) {
			ProtobufCMessage *again = NULL;
			if (ttrpc_pb_unpack(m->input, p, len, &again, NULL) < 0)
				abort();
			ttrpc_pb_free(again);
			free(p);
		}
		ttrpc_pb_free(msg);
	}
}

static void request(const uint8_t *p, size_t n)
{
	Ttrpc__Request *req = NULL;
	int code = 0;
	if (ttrpc_request_decode(p, n, &req, &code, NULL) < 0) {
		if (code != TTRPC_INVALID_ARGUMENT && code != TTRPC_RESOURCE_EXHAUSTED)
			abort();
		return;
	}
	ttrpc_kv md[CC_TTRPC_MAX_METADATA_ENTRIES];
	for (size_t i = 0; i < req->n_metadata; i++)
		md[i] = (ttrpc_kv){req->metadata[i]->key, req->metadata[i]->value};
	ttrpc_call_opts o = {.timeout_ns = req->timeout_nano, .metadata = md,
	                     .n_metadata = req->n_metadata};
	uint8_t *b = NULL;
	size_t blen = 0;
	if (ttrpc_request_encode(req->service, req->method, req->payload.data, req->payload.len, &o,
	                         &b, &blen, NULL) == 0) {
		Ttrpc__Request *back = NULL;
		if (ttrpc_request_decode(b, blen, &back, &code, NULL) < 0)
			abort();
		bool same = strcmp(back->service, req->service) == 0 &&
		            strcmp(back->method, req->method) == 0 &&
		            back->payload.len == req->payload.len &&
		            (req->payload.len == 0 ||
		             memcmp(back->payload.data, req->payload.data, req->payload.len) == 0) &&
		            back->n_metadata == req->n_metadata &&
		            (req->timeout_nano <= 0 ? back->timeout_nano == 0
		                                    : back->timeout_nano == req->timeout_nano);
		for (size_t i = 0; same && i < req->n_metadata; i++)
			same = strcmp(back->metadata[i]->key, req->metadata[i]->key) == 0 &&
			       strcmp(back->metadata[i]->value, req->metadata[i]->value) == 0;
		if (!same)
			abort();
		ttrpc_pb_free(&back->base);
		free(b);
	}
	unpack_payload(req);
	ttrpc_pb_free(&req->base);
}

static void response(const uint8_t *p, size_t n)
{
	int code = 0;
	char *msg = NULL;
	uint8_t *out = NULL;
	size_t len = 0;
	if (ttrpc_response_decode(p, n, &code, &msg, &out, &len, NULL) == 0) {
		if ((code == TTRPC_OK) != (msg == NULL))
			abort();
		free(msg);
		free(out);
	}
}

/* Cuts a stream into frames; returns how many whole frames it held. */
static size_t decode_stream(const uint8_t *data, size_t size, bool server_output)
{
	size_t off = 0, frames = 0;
	for (;;) {
		ttrpc_frame_header h;
		const uint8_t *p = NULL;
		size_t before = off;
		int r = ttrpc_frame_parse(data, size, &off, &h, &p, NULL);
		if (r == -EAGAIN) {
			if (off != before)
				abort();
			return frames;
		}
		if (r == -E2BIG) {
			if (server_output || off != before + TTRPC_HEADER_LEN)
				abort();
			if (h.length > size - off)
				return frames;
			off += h.length;
			continue;
		}
		if (r != 0 || off != before + TTRPC_HEADER_LEN + h.length || off > size)
			abort();
		frames++;
		if (server_output) {
			/* our server only ever writes well-formed Responses */
			int code = 0;
			char *msg = NULL;
			uint8_t *out = NULL;
			size_t len = 0;
			if (h.type != TTRPC_MSG_RESPONSE || h.flags != 0 ||
			    ttrpc_response_decode(p, h.length, &code, &msg, &out, &len, NULL) < 0)
				abort();
			free(msg);
			free(out);
		} else if (h.type == TTRPC_MSG_REQUEST) {
			request(p, h.length);
		} else if (h.type == TTRPC_MSG_RESPONSE) {
			response(p, h.length);
		}
	}
}

typedef struct feed {
	int fd;
	const uint8_t *data;
	size_t size;
	int result;
} feed;

static void *serve_main(void *arg)
{
	feed *f = arg;
	f->result = ttrpc_server_serve_fd(server, f->fd, NULL);
	close(f->fd); /* the fuzzer's reads end */
	return NULL;
}

static void *write_main(void *arg)
{
	feed *f = arg;
	size_t off = 0;
	while (off < f->size) {
		ssize_t k = send(f->fd, f->data + off, f->size - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* the server stopped reading: fine */
		off += (size_t)k;
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

static void serve_bytes(const uint8_t *data, size_t size)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	feed srv = {.fd = sv[0]}, wr = {.fd = sv[1], .data = data, .size = size};
	pthread_t ts, tw;
	if (pthread_create(&ts, NULL, serve_main, &srv) != 0 ||
	    pthread_create(&tw, NULL, write_main, &wr) != 0)
		abort();
	uint8_t *out = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *n = realloc(out, cap);
			if (n == NULL)
				abort();
			out = n;
		}
		ssize_t k = read(sv[1], out + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	pthread_join(tw, NULL);
	pthread_join(ts, NULL);
	if (srv.result != 0)
		abort();
	size_t whole = decode_stream(out ? out : (const uint8_t *)"", len, true);
	(void)whole;
	free(out);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_stream(data, size, false);
	if (size <= SERVE_MAX)
		serve_bytes(data, size);
	return 0;
}
