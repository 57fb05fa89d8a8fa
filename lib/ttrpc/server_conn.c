/* One server connection: the reader loop, the protocol rules applied to
 * each frame, and the answers it sends itself (docs/ttrpc.md "Server";
 * containerd/ttrpc server.go). The reader never waits for a handler: a
 * request past the connection's call limit is answered RESOURCE_EXHAUSTED
 * at once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ttrpc_int.h"

/* Longest service or method name echoed back in an UNIMPLEMENTED status. */
#define ECHO_MAX 1024

/* How often a stopping connection looks for its peer's hang-up. */
#define HANGUP_POLL_NS (50 * 1000000)

void ttrpc_conn_send(ttrpc_conn *c, uint32_t id, uint8_t type, const uint8_t *p, size_t len)
{
	if (atomic_load(&c->broken))
		return;
	ttrpc_frame_header h = {.length = (uint32_t)len, .stream_id = id, .type = type};
	pthread_mutex_lock(&c->write_mu);
	if (ttrpc_io_write_frame(&c->io, &h, p, NULL, NULL) < 0)
		atomic_store(&c->broken, true); /* the peer left or the server is killing */
	pthread_mutex_unlock(&c->write_mu);
}

void ttrpc_conn_send_status(ttrpc_conn *c, uint32_t id, int code, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	uint8_t *p = NULL;
	size_t len = 0;
	if (ttrpc_response_encode(code, n < 0 ? "out of memory" : msg, NULL, 0, &p, &len, NULL) == 0)
		ttrpc_conn_send(c, id, TTRPC_MSG_RESPONSE, p, len);
	free(p);
	if (n >= 0)
		free(msg);
}

static int check_peer(const ttrpc_conn *c, cc_error **err)
{
	if (!c->io.is_socket)
		return cc_error_set(err, -EPERM, "ttrpc: fd %d is not a unix socket (require_same_uid)",
		                    c->io.fd);
	struct ucred uc;
	socklen_t l = sizeof(uc);
	if (getsockopt(c->io.fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0)
		return cc_error_set(err, -EPERM, "ttrpc: SO_PEERCRED: %s", strerror(errno));
	if (uc.uid != geteuid() || uc.gid != getegid())
		return cc_error_set(err, -EPERM,
		                    "ttrpc: invalid credentials: peer uid %u gid %u, ours %u/%u", uc.uid,
		                    uc.gid, geteuid(), getegid());
	return 0;
}

/* A new request on h->stream_id: the stream-id rules, decoding, routing,
 * the call limit, then a handler thread. Frees p. */
static void handle_request(ttrpc_conn *c, const ttrpc_frame_header *h, uint8_t *p)
{
	uint32_t id = h->stream_id;
	if (id <= c->last_stream_id) {
		free(p);
		ttrpc_conn_send_status(c, id, TTRPC_INVALID_ARGUMENT,
		                       "StreamID cannot be re-used and must increment");
		return;
	}
	c->last_stream_id = id;
	Ttrpc__Request *req = NULL;
	int code = 0;
	cc_error *e = NULL;
	int r = ttrpc_request_decode(p, h->length, &req, &code, &e);
	free(p);
	if (r < 0) {
		ttrpc_conn_send_status(c, id, code, "unmarshal request error: %s", cc_error_message(e));
		cc_error_free(e);
		return;
	}
	const ttrpc_service *svc = ttrpc_server_find_service(c->server, req->service);
	ttrpc_method_fn fn = svc != NULL ? ttrpc_service_find_method(svc, req->method) : NULL;
	if (fn == NULL) {
		if (svc == NULL)
			ttrpc_conn_send_status(c, id, TTRPC_UNIMPLEMENTED, "service %.*s", ECHO_MAX,
			                       req->service);
		else
			ttrpc_conn_send_status(c, id, TTRPC_UNIMPLEMENTED, "method %.*s", ECHO_MAX,
			                       req->method);
		ttrpc_pb_free(&req->base);
		return;
	}
	ttrpc_call *call = calloc(1, sizeof(*call));
	if (call == NULL) {
		ttrpc_pb_free(&req->base);
		ttrpc_conn_send_status(c, id, TTRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	*call = (ttrpc_call){
	    .conn = c, .stream_id = id, .req = req, .svc = svc, .fn = fn, .cancel_efd = -1};
	if (req->timeout_nano != 0) {
		/* Go: context.WithTimeout; a negative timeout is already over. */
		call->has_deadline = true;
		call->deadline = ttrpc_deadline_in(req->timeout_nano);
	}
	unsigned max = c->server->opts.max_calls;
	pthread_mutex_lock(&c->mu);
	bool full = c->inflight >= max;
	if (!full) {
		c->inflight++;
		call->next = c->calls;
		c->calls = call;
	}
	pthread_mutex_unlock(&c->mu);
	if (full) {
		ttrpc_call_free(call);
		ttrpc_conn_send_status(c, id, TTRPC_RESOURCE_EXHAUSTED,
		                       "%u calls already running on this connection", max);
		return;
	}
	r = ttrpc_call_start(call);
	if (r < 0) {
		pthread_mutex_lock(&c->mu);
		for (ttrpc_call **pp = &c->calls; *pp != NULL; pp = &(*pp)->next)
			if (*pp == call) {
				*pp = call->next;
				break;
			}
		c->inflight--;
		pthread_mutex_unlock(&c->mu);
		ttrpc_call_free(call);
		ttrpc_conn_send_status(c, id, TTRPC_RESOURCE_EXHAUSTED, "cannot start a handler: %s",
		                       strerror(-r));
	}
}

/* Data (protocol 1.2 streaming): no method of ours streams, so data on a
 * running unary call ends that call with INVALID_ARGUMENT (its handler's
 * answer is dropped), and data on any other stream gets Go's answer. */
static void handle_data(ttrpc_conn *c, uint32_t id)
{
	bool unary = false;
	pthread_mutex_lock(&c->mu);
	for (ttrpc_call *call = c->calls; call != NULL; call = call->next)
		if (call->stream_id == id && !call->answered) {
			call->answered = true;
			atomic_store(&call->cancelled, true);
			if (call->cancel_efd >= 0)
				ttrpc_eventfd_fire(call->cancel_efd);
			unary = true;
			break;
		}
	pthread_mutex_unlock(&c->mu);
	if (unary)
		ttrpc_conn_send_status(c, id, TTRPC_INVALID_ARGUMENT,
		                       "StreamID %u is a unary call: data is not allowed", id);
	else
		ttrpc_conn_send_status(c, id, TTRPC_INVALID_ARGUMENT, "StreamID is no longer active");
}

static void handle_frame(ttrpc_conn *c, const ttrpc_frame_header *h, uint8_t *p)
{
	if (h->stream_id % 2 != 1) {
		free(p);
		ttrpc_conn_send_status(c, h->stream_id, TTRPC_INVALID_ARGUMENT,
		                       "StreamID must be odd for client initiated streams");
		return;
	}
	switch (h->type) {
	case TTRPC_MSG_REQUEST:
		handle_request(c, h, p);
		return;
	case TTRPC_MSG_DATA:
		free(p);
		handle_data(c, h->stream_id);
		return;
	default:
		/* Responses and unknown types are ignored for future compatibility,
		 * as Go's server does. */
		free(p);
		return;
	}
}

/* Reads frames until the peer leaves or the server stops: 0, or -errno for
 * a read error other than end of stream. *ret_gone: the peer is gone. */
static int read_loop(ttrpc_conn *c, bool *ret_gone, cc_error **err)
{
	for (;;) {
		ttrpc_frame_header h;
		uint8_t *p = NULL;
		bool mid = false;
		int r = ttrpc_io_read_frame(&c->io, &h, &p, &mid);
		if (r == -E2BIG) {
			ttrpc_conn_send_status(c, h.stream_id, TTRPC_RESOURCE_EXHAUSTED,
			                       "message length %u exceed maximum message size of %u",
			                       h.length, CC_TTRPC_MAX_MESSAGE_BYTES);
			continue;
		}
		if (r == 0) {
			handle_frame(c, &h, p);
			continue;
		}
		*ret_gone = r != TTRPC_IO_CANCELLED;
		if (r == TTRPC_IO_EOF || r == TTRPC_IO_CANCELLED)
			return 0;
		return cc_error_set(err, r, "ttrpc server: reading fd %d: %s", c->io.fd, strerror(-r));
	}
}

/* True once the peer has closed or shut down its side of fd. */
static bool peer_hung_up(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* Waits until no handler of c runs. A peer that left will not read
 * answers: its handlers are cancelled. After a graceful stop they may
 * finish and answer (the shutdown timeout bounds that through kill_efd),
 * but only while the peer stays: one that hangs up meanwhile (a shim
 * killed just before its agent is asked to stop) has its handlers
 * cancelled too, so a long wait such as WaitProcess does not hold the
 * stop for the whole grace. */
static void wait_handlers(ttrpc_conn *c, bool gone)
{
	if (gone)
		ttrpc_eventfd_fire(c->gone_efd);
	pthread_mutex_lock(&c->mu);
	while (c->inflight > 0) {
		if (gone) {
			pthread_cond_wait(&c->cond, &c->mu);
			continue;
		}
		struct timespec t = ttrpc_deadline_in(HANGUP_POLL_NS);
		pthread_cond_timedwait(&c->cond, &c->mu, &t);
		if (c->inflight > 0 && peer_hung_up(c->io.fd)) {
			gone = true;
			ttrpc_eventfd_fire(c->gone_efd);
		}
	}
	pthread_mutex_unlock(&c->mu);
}

static void uncount(ttrpc_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->live_conns--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

int ttrpc_conn_serve(ttrpc_server *s, int fd, cc_error **err)
{
	ttrpc_conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		uncount(s);
		return cc_error_set(err, -ENOMEM, "ttrpc server: out of memory");
	}
	int old_flags = 0;
	int r = ttrpc_io_init(&c->io, fd, &old_flags, err);
	bool flags_set = r == 0;
	if (r == 0 && s->opts.require_same_uid)
		r = check_peer(c, err);
	if (r == 0 && (c->gone_efd = ttrpc_eventfd()) < 0)
		r = cc_error_set(err, c->gone_efd, "ttrpc server: eventfd: %s", strerror(-c->gone_efd));
	if (r < 0) {
		if (flags_set)
			(void)fcntl(fd, F_SETFL, old_flags);
		free(c);
		uncount(s);
		return r;
	}
	c->server = s;
	c->io.read_cancel[0] = s->stop_efd;
	c->io.read_cancel[1] = s->kill_efd;
	c->io.write_cancel = s->kill_efd;
	pthread_mutex_init(&c->write_mu, NULL);
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);

	bool gone = false;
	r = read_loop(c, &gone, err);
	wait_handlers(c, gone);

	(void)fcntl(fd, F_SETFL, old_flags);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->write_mu);
	close(c->gone_efd);
	free(c);
	uncount(s);
	return r;
}
