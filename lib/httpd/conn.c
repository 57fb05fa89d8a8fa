/* Per-connection state kept beside libevent's evhttp_connection
 * (docs/httpd.md "Connections"). libevent 2.1's evhttp has no connection
 * cap, no total deadline for a request head (its timeouts are idle timers a
 * slowloris client resets with every byte) and answers an oversized head
 * with 413; this file adds the three:
 *
 *  - the bufferevent of every new connection comes from us (evhttp's
 *    bevcb); right after, still in the same loop pass and before any byte is
 *    read, we find libevent's connection object through the bufferevent's
 *    callback argument and hang a close callback on it, so our state lives
 *    exactly as long as the connection;
 *  - a callback on the bufferevent's input scans each request head as it
 *    arrives (headscan.c) and a timer gives the head, then the body, a total
 *    deadline;
 *  - a connection we answer ourselves (431, 503) is taken from evhttp: our
 *    callbacks write the answer, read and discard what the client still
 *    sends, and close after CC_HTTPD_LINGER_MS at the most.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/bufferevent_ssl.h>

#include "httpd_int.h"

/* ---- the worker's table of connections, by libevent's connection ------ */

static size_t bucket_of(const struct httpd_worker *w, const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 29;
	x *= 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 32) & (w->nbuckets - 1);
}

static void hash_add(struct httpd_conn *c)
{
	size_t b = bucket_of(c->w, c->evcon);
	c->hnext = c->w->buckets[b];
	c->w->buckets[b] = c;
}

static void hash_del(struct httpd_conn *c)
{
	struct httpd_conn **pp = &c->w->buckets[bucket_of(c->w, c->evcon)];
	while (*pp != NULL && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp != NULL)
		*pp = c->hnext;
}

struct httpd_conn *httpd_conn_find(struct httpd_worker *w, struct evhttp_connection *evcon)
{
	struct httpd_conn *c = w->buckets[bucket_of(w, evcon)];
	while (c != NULL && c->evcon != evcon)
		c = c->hnext;
	return c;
}

/* ---- life and death ---------------------------------------------------- */

/* Forgets our state of c (libevent's, if any, is the caller's business). */
static void conn_release(struct httpd_conn *c)
{
	struct httpd_worker *w = c->w;
	if (c->scan_cb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->scan_cb);
	event_del(&c->kick);
	event_del(&c->timer);
	if (c->evcon != NULL)
		hash_del(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	atomic_fetch_sub(&w->h->nconns, 1);
	free(c);
	httpd_worker_conn_gone(w);
}

static void conn_close_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	conn_release(arg);
}

void httpd_conn_drop(struct httpd_conn *c)
{
	struct evhttp_connection *evcon = c->evcon;
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	conn_release(c);
	evhttp_connection_free(evcon);
}

static void conn_arm(struct httpd_conn *c, const struct timeval *tv)
{
	event_add(&c->timer, tv);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	httpd_conn_drop(arg);
}

/* ---- answering ourselves (431, 503) ------------------------------------ */

static void linger_read_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	evbuffer_drain(in, evbuffer_get_length(in));
}

/* The answer is out: over plain TCP, say so with a FIN; then wait for the
 * client's end (or the linger timer). */
static void linger_write_cb(struct bufferevent *bev, void *arg)
{
	struct httpd_conn *c = arg;
	if (c->w->h->ssl == NULL && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void linger_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		httpd_conn_drop(arg);
}

static void conn_takeover(struct httpd_conn *c, const char *status, const char *body,
                          const char *extra)
{
	struct bufferevent *bev = c->bev;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (c->scan_cb != NULL) {
		evbuffer_remove_cb_entry(in, c->scan_cb);
		c->scan_cb = NULL;
	}
	bufferevent_setcb(bev, linger_read_cb, linger_write_cb, linger_event_cb, c);
	bufferevent_set_timeouts(bev, NULL, NULL);
	evbuffer_drain(in, evbuffer_get_length(in));
	evbuffer_add_printf(bufferevent_get_output(bev),
	                    "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
	                    "Connection: close\r\n%s\r\n%s",
	                    status, strlen(body), extra, body);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	c->phase = CONN_LINGER;
	conn_arm(c, c->w->tv_linger);
}

static void conn_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_takeover(arg, "431 Request Header Fields Too Large",
	              "request header fields too large\n", "");
}

/* ---- the request head scanner ------------------------------------------ */

static void set_phase(struct httpd_conn *c, enum conn_phase p)
{
	c->phase = p;
	if (p == CONN_HEAD || p == CONN_HEAD_BLIND) {
		head_scan_reset(&c->scan);
		conn_arm(c, c->w->tv_header);
	} else if (p == CONN_BODY) {
		conn_arm(c, c->w->tv_body);
	} else {
		event_del(&c->timer);
	}
}

/* Over the cap: hide the head from evhttp (it would answer 413 or even
 * serve it), stop reading, answer 431 once the current callbacks are done. */
static void head_too_big(struct httpd_conn *c, struct evbuffer *buf)
{
	c->too_big = true;
	evbuffer_drain(buf, evbuffer_get_length(buf));
	bufferevent_disable(c->bev, EV_READ);
	event_active(&c->kick, EV_TIMEOUT, 1);
}

/* The bytes info->n_added just appended to the input, before evhttp parses
 * them (evbuffer callbacks run synchronously). */
static void conn_scan_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct httpd_conn *c = arg;
	if (info->n_added == 0 || c->phase != CONN_HEAD || c->too_big)
		return;
	size_t len = evbuffer_get_length(buf);
	size_t n = info->n_added < len ? info->n_added : len;
	struct evbuffer_ptr pos;
	if (evbuffer_ptr_set(buf, &pos, len - n, EVBUFFER_PTR_SET) < 0)
		return;
	while (n > 0) {
		struct evbuffer_iovec v[4];
		int k = evbuffer_peek(buf, (ev_ssize_t)n, &pos, v, 4);
		if (k <= 0)
			return;
		size_t done = 0;
		for (int i = 0; i < k && i < 4 && n > 0; i++) {
			size_t m = v[i].iov_len < n ? v[i].iov_len : n;
			enum head_status st =
			    head_scan_feed(&c->scan, v[i].iov_base, m, c->w->h->o.max_header_bytes);
			if (st == HEAD_END) {
				set_phase(c, CONN_BODY);
				return;
			}
			if (st == HEAD_TOO_BIG) {
				head_too_big(c, buf);
				return;
			}
			n -= m;
			done += m;
		}
		if (evbuffer_ptr_set(buf, &pos, done, EVBUFFER_PTR_ADD) < 0)
			return;
	}
}

/* ---- phases driven by the request path ----------------------------------- */

void httpd_conn_busy(struct httpd_conn *c)
{
	set_phase(c, CONN_BUSY);
}

void httpd_conn_request_done(struct evhttp_request *ev, void *arg)
{
	(void)ev;
	struct httpd_conn *c = arg;
	/* Bytes already buffered are a pipelined request the scanner never saw:
	 * evhttp's own head cap and our deadline still hold for it. */
	size_t pending = evbuffer_get_length(bufferevent_get_input(c->bev));
	set_phase(c, pending > 0 ? CONN_HEAD_BLIND : CONN_HEAD);
}

void httpd_conn_drop_idle(struct httpd_worker *w)
{
	struct httpd_conn *c = w->conns, *next;
	for (; c != NULL; c = next) {
		next = c->next;
		if (c->evcon != NULL && c->phase == CONN_HEAD && c->scan.bytes == 0 && !c->too_big)
			httpd_conn_drop(c);
	}
}

/* ---- a new connection ---------------------------------------------------- */

/* Runs in the loop pass that accepted the connection, after evhttp set its
 * callbacks on the bufferevent and before it reads a byte. */
static void conn_attach_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct httpd_conn *c = arg;
	struct bufferevent *bev = c->bev;
	bufferevent_event_cb eventcb = NULL;
	void *cbarg = NULL;
	bufferevent_getcb(bev, NULL, NULL, &eventcb, &cbarg);
	if (eventcb == NULL || cbarg == NULL ||
	    evhttp_connection_get_bufferevent(cbarg) != bev) {
		/* evhttp gave the connection up already (out of memory). */
		conn_release(c);
		bufferevent_decref(bev);
		return;
	}
	c->evcon = cbarg;
	hash_add(c);
	/* An answer goes out as several writes (TLS: one record each): without
	 * this, Nagle holds the last one back until the client's delayed ACK,
	 * 40 ms a request on keep-alive connections. */
	int one = 1;
	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evhttp_connection_set_closecb(c->evcon, conn_close_cb, c);
	bufferevent_decref(bev);
	event_assign(&c->kick, c->w->base, -1, 0, conn_kick_cb, c);
	if (c->drop) {
		httpd_conn_drop(c);
		return;
	}
	if (c->reject) {
		conn_takeover(c, "503 Service Unavailable", "too many connections\n",
		              "Retry-After: 1\r\n");
		return;
	}
	c->scan_cb = evbuffer_add_cb(bufferevent_get_input(bev), conn_scan_cb, c);
	if (c->scan_cb == NULL) {
		httpd_conn_drop(c);
		return;
	}
	set_phase(c, CONN_HEAD);
}

/* A TLS bufferevent, or a plain one for plain HTTP and for a connection
 * closed at attach time (never read from: no TLS needed to close it). */
static struct bufferevent *new_bev(struct httpd_worker *w, struct event_base *base, bool drop)
{
	SSL_CTX *ctx = w->h->ssl;
	if (ctx == NULL || drop)
		return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	SSL *ssl = SSL_new(ctx);
	if (ssl == NULL)
		return NULL;
	struct bufferevent *bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

struct bufferevent *httpd_conn_new_bev(struct event_base *base, void *arg)
{
	struct httpd_worker *w = arg;
	cc_httpd *h = w->h;
	/* Out of memory: NULL makes evhttp use a plain bufferevent of its own;
	 * with no state of ours, its request is answered 503 (dispatch.c). */
	struct httpd_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->w = w;
	unsigned n = atomic_fetch_add(&h->nconns, 1) + 1;
	c->reject = n > h->o.max_conns;
	c->drop = n > h->o.max_conns + CC_HTTPD_REJECT_SLACK;
	c->bev = new_bev(w, base, c->drop);
	if (c->bev == NULL) {
		atomic_fetch_sub(&h->nconns, 1);
		free(c);
		return NULL;
	}
	/* Our reference keeps the bufferevent until we attach, even if evhttp
	 * frees it first. */
	bufferevent_incref(c->bev);
	event_assign(&c->kick, base, -1, 0, conn_attach_cb, c);
	event_assign(&c->timer, base, -1, 0, conn_timer_cb, c);
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	event_active(&c->kick, EV_TIMEOUT, 1);
	return c->bev;
}

void httpd_conn_release_all(struct httpd_worker *w)
{
	while (w->conns != NULL) {
		struct httpd_conn *c = w->conns;
		struct bufferevent *bev = c->evcon == NULL ? c->bev : NULL;
		conn_release(c);
		if (bev != NULL)
			bufferevent_decref(bev);
	}
}
