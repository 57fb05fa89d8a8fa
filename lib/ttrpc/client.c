/* The ttrpc client: one connection shared by calls from many threads; a
 * reader thread hands each response to the call waiting on its stream id
 * (docs/ttrpc.md "Client"; containerd/ttrpc client.go). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ttrpc_int.h"

typedef struct pending {
	uint32_t id;
	bool done;
	int code;
	char *msg;         /* status message when code != OK */
	uint8_t *payload;
	size_t len;
	struct pending *next;
} pending;

struct ttrpc_client {
	ttrpc_io io;
	int stop_efd;             /* fired by close: the reader and writers stop */
	pthread_t reader;
	pthread_mutex_t join_mu;
	bool joined;

	pthread_mutex_t write_mu; /* stream ids are taken in write order */
	pthread_mutex_t mu;       /* everything below */
	pthread_cond_t cond;      /* a call finished or the connection closed */
	uint64_t next_id;
	pending *pending;
	size_t n_pending;
	bool closed;
	char reason[160];         /* why it closed */
};

static void mark_closed(ttrpc_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mark_closed(ttrpc_client *c, const char *fmt, ...)
{
	pthread_mutex_lock(&c->mu);
	if (!c->closed) {
		c->closed = true;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
		va_end(ap);
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
}

/* Hands a result to the call waiting on id; takes msg and payload. A stream
 * nobody waits on (a call that timed out) is dropped, as Go does. */
static void deliver(ttrpc_client *c, uint32_t id, int code, char *msg, uint8_t *payload,
                    size_t len)
{
	pthread_mutex_lock(&c->mu);
	for (pending *p = c->pending; p != NULL; p = p->next)
		if (p->id == id && !p->done) {
			*p = (pending){id, true, code, msg, payload, len, p->next};
			msg = NULL;
			payload = NULL;
			pthread_cond_broadcast(&c->cond);
			break;
		}
	pthread_mutex_unlock(&c->mu);
	free(msg);
	free(payload);
}

static void deliver_error(ttrpc_client *c, uint32_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void deliver_error(ttrpc_client *c, uint32_t id, int code, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	deliver(c, id, code, msg, NULL, 0);
}

static void handle_frame(ttrpc_client *c, const ttrpc_frame_header *h, uint8_t *p)
{
	if (h->type != TTRPC_MSG_RESPONSE) {
		free(p);
		deliver_error(c, h->stream_id, TTRPC_INTERNAL, "unexpected message type %u received",
		              h->type);
		return;
	}
	int code = 0;
	char *msg = NULL;
	uint8_t *out = NULL;
	size_t len = 0;
	cc_error *e = NULL;
	int r = ttrpc_response_decode(p, h->length, &code, &msg, &out, &len, &e);
	free(p);
	if (r < 0)
		deliver_error(c, h->stream_id, TTRPC_INTERNAL, "malformed response: %s",
		              cc_error_message(e));
	else
		deliver(c, h->stream_id, code, msg, out, len);
	cc_error_free(e);
}

static void *reader_main(void *arg)
{
	ttrpc_client *c = arg;
	for (;;) {
		ttrpc_frame_header h;
		uint8_t *p = NULL;
		bool mid = false;
		int r = ttrpc_io_read_frame(&c->io, &h, &p, &mid);
		if (r == -E2BIG) {
			deliver_error(c, h.stream_id, TTRPC_RESOURCE_EXHAUSTED,
			              "message length %u exceed maximum message size of %u", h.length,
			              CC_TTRPC_MAX_MESSAGE_BYTES);
			continue;
		}
		if (r == 0) {
			handle_frame(c, &h, p);
			continue;
		}
		if (r == TTRPC_IO_EOF)
			mark_closed(c, "connection closed by the server%s", mid ? " inside a frame" : "");
		else if (r == TTRPC_IO_CANCELLED)
			mark_closed(c, "client closed");
		else
			mark_closed(c, "reading: %s", strerror(-r));
		return NULL;
	}
}

int ttrpc_client_new(int fd, ttrpc_client **ret, cc_error **err)
{
	ttrpc_client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return cc_error_set(err, -ENOMEM, "ttrpc client: out of memory");
	}
	int r = ttrpc_io_init(&c->io, fd, NULL, err);
	if (r == 0 && (c->stop_efd = ttrpc_eventfd()) < 0)
		r = cc_error_set(err, c->stop_efd, "ttrpc client: eventfd: %s", strerror(-c->stop_efd));
	if (r < 0) {
		close(fd);
		free(c);
		return r;
	}
	c->io.read_cancel[0] = c->stop_efd;
	c->io.write_cancel = c->stop_efd;
	c->next_id = 1;
	pthread_mutex_init(&c->join_mu, NULL);
	pthread_mutex_init(&c->write_mu, NULL);
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&c->reader, NULL, reader_main, c);
	if (r != 0) {
		c->joined = true;
		ttrpc_client_free(c);
		return cc_error_set(err, -r, "ttrpc client: starting the reader: %s", strerror(r));
	}
	*ret = c;
	return 0;
}

int ttrpc_client_connect_unix(const char *path, ttrpc_client **ret, cc_error **err)
{
	if (strncmp(path, "unix://", 7) == 0)
		path += 7;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(sa.sun_path))
		return cc_error_set(err, -ENAMETOOLONG, "%s: not a usable unix socket path", path);
	memcpy(sa.sun_path, path, n + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cc_error_set(err, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		(void)ttrpc_error_set(err, TTRPC_UNAVAILABLE, "connecting to %s: %s", path, strerror(-r));
		return r;
	}
	return ttrpc_client_new(fd, ret, err);
}

static void unlink_pending(ttrpc_client *c, pending *p)
{
	for (pending **pp = &c->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			c->n_pending--;
			return;
		}
}

/* Registers a call and writes its request; 0 or a ttrpc error. */
static int send_request(ttrpc_client *c, pending *p, const uint8_t *buf, size_t len,
                        const struct timespec *deadline, cc_error **err)
{
	pthread_mutex_lock(&c->write_mu);
	pthread_mutex_lock(&c->mu);
	int r = 0;
	if (c->closed)
		r = ttrpc_error_set(err, TTRPC_UNAVAILABLE, "ttrpc: %s", c->reason);
	else if (c->n_pending >= CC_TTRPC_MAX_CALLS)
		r = ttrpc_error_set(err, TTRPC_RESOURCE_EXHAUSTED, "ttrpc: %u calls already waiting",
		                    CC_TTRPC_MAX_CALLS);
	else if (c->next_id > UINT32_MAX)
		r = ttrpc_error_set(err, TTRPC_UNAVAILABLE, "ttrpc: stream ids exhausted");
	if (r == 0) {
		p->id = (uint32_t)c->next_id;
		c->next_id += 2;
		p->next = c->pending;
		c->pending = p;
		c->n_pending++;
	}
	pthread_mutex_unlock(&c->mu);
	if (r < 0) {
		pthread_mutex_unlock(&c->write_mu);
		return r;
	}
	ttrpc_frame_header h = {.length = (uint32_t)len, .stream_id = p->id, .type = TTRPC_MSG_REQUEST};
	bool partial = false;
	r = ttrpc_io_write_frame(&c->io, &h, buf, deadline, &partial);
	pthread_mutex_unlock(&c->write_mu);
	if (r == 0)
		return 0;
	if (partial) /* half a frame went out: the stream is unusable */
		mark_closed(c, "connection broken: a request was cut short (%s)", strerror(-r));
	pthread_mutex_lock(&c->mu);
	unlink_pending(c, p);
	pthread_mutex_unlock(&c->mu);
	if (r == -ETIMEDOUT)
		return ttrpc_error_set(err, TTRPC_DEADLINE_EXCEEDED,
		                       "ttrpc: deadline exceeded sending the request");
	return ttrpc_error_set(err, TTRPC_UNAVAILABLE, "ttrpc: sending the request: %s",
	                       r == TTRPC_IO_CANCELLED ? "client closed" : strerror(-r));
}

/* Waits for p's answer; 0 (OK) or a ttrpc error. Unlinks p. */
static int wait_answer(ttrpc_client *c, pending *p, const struct timespec *deadline,
                       cc_error **err)
{
	int r = 0;
	pthread_mutex_lock(&c->mu);
	while (!p->done && !c->closed) {
		if (deadline == NULL)
			pthread_cond_wait(&c->cond, &c->mu);
		else if (pthread_cond_timedwait(&c->cond, &c->mu, deadline) == ETIMEDOUT)
			break;
	}
	if (p->done && p->code != TTRPC_OK)
		r = ttrpc_error_set(err, p->code, "%s", p->msg != NULL ? p->msg : "out of memory");
	else if (!p->done && c->closed)
		r = ttrpc_error_set(err, TTRPC_UNAVAILABLE, "ttrpc: %s", c->reason);
	else if (!p->done)
		r = ttrpc_error_set(err, TTRPC_DEADLINE_EXCEEDED, "ttrpc: deadline exceeded");
	unlink_pending(c, p);
	pthread_mutex_unlock(&c->mu);
	return r;
}

int ttrpc_client_call(ttrpc_client *c, const char *service, const char *method,
                      const void *req, size_t req_len, const ttrpc_call_opts *opts,
                      uint8_t **ret_resp, size_t *ret_len, cc_error **err)
{
	if (service == NULL || method == NULL || (req_len > 0 && req == NULL))
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "ttrpc: no service, method or request");
	struct timespec deadline;
	bool has_dl = opts != NULL && opts->timeout_ns > 0;
	if (has_dl)
		deadline = ttrpc_deadline_in(opts->timeout_ns);
	uint8_t *buf = NULL;
	size_t len = 0;
	cc_error *e = NULL;
	int r = ttrpc_request_encode(service, method, req, req_len, opts, &buf, &len, &e);
	if (r < 0) {
		r = ttrpc_error_set(err, r == -E2BIG ? TTRPC_RESOURCE_EXHAUSTED : TTRPC_INVALID_ARGUMENT,
		                    "ttrpc: %s/%s: %s", service, method, cc_error_message(e));
		cc_error_free(e);
		return r;
	}
	pending *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		free(buf);
		return ttrpc_error_set(err, TTRPC_RESOURCE_EXHAUSTED, "ttrpc: out of memory");
	}
	r = send_request(c, p, buf, len, has_dl ? &deadline : NULL, err);
	free(buf);
	if (r == 0)
		r = wait_answer(c, p, has_dl ? &deadline : NULL, err);
	if (r == 0) {
		*ret_resp = p->payload;
		*ret_len = p->len;
		p->payload = NULL;
	}
	free(p->payload);
	free(p->msg);
	free(p);
	return r;
}

int ttrpc_client_call_pb(ttrpc_client *c, const char *service, const char *method,
                         const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                         const ttrpc_call_opts *opts, ProtobufCMessage **ret, cc_error **err)
{
	uint8_t *in = NULL, *out = NULL;
	size_t in_len = 0, out_len = 0;
	cc_error *e = NULL;
	int r = ttrpc_pb_pack(req, &in, &in_len, &e);
	if (r < 0) {
		r = ttrpc_error_set(err, r == -E2BIG ? TTRPC_RESOURCE_EXHAUSTED : TTRPC_INVALID_ARGUMENT,
		                    "ttrpc: %s/%s: %s", service, method, cc_error_message(e));
		cc_error_free(e);
		return r;
	}
	r = ttrpc_client_call(c, service, method, in, in_len, opts, &out, &out_len, err);
	free(in);
	if (r < 0)
		return r;
	ProtobufCMessage *m = NULL;
	r = ttrpc_pb_unpack(resp_desc, out, out_len, &m, &e);
	free(out);
	if (r < 0) {
		r = ttrpc_error_set(err, TTRPC_INTERNAL, "ttrpc: %s/%s: response: %s", service, method,
		                    cc_error_message(e));
		cc_error_free(e);
		return r;
	}
	*ret = m;
	return 0;
}

void ttrpc_client_close(ttrpc_client *c)
{
	mark_closed(c, "client closed");
	ttrpc_eventfd_fire(c->stop_efd);
	pthread_mutex_lock(&c->join_mu);
	if (!c->joined) {
		pthread_join(c->reader, NULL);
		c->joined = true;
	}
	pthread_mutex_unlock(&c->join_mu);
}

void ttrpc_client_free(ttrpc_client *c)
{
	if (c == NULL)
		return;
	ttrpc_client_close(c);
	close(c->io.fd);
	close(c->stop_efd);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->write_mu);
	pthread_mutex_destroy(&c->join_mu);
	free(c);
}
