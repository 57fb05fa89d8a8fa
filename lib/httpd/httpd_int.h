/* Internals of lib/httpd (docs/httpd.md): the server, its workers (one
 * event loop each), the per-connection state kept beside libevent's own. */
#ifndef COCOON_HTTPD_INT_H
#define COCOON_HTTPD_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "cocoon/limits.h"
#include "headscan.h"
#include "httpd.h"

/* ---- addresses and listening sockets (listen.c) ------------------------ */

struct httpd_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* as given */
};

/* Parses "IPv4:port" or "[IPv6]:port" (numeric only). -EINVAL. */
int httpd_addr_parse(const char *s, struct httpd_addr *ret, cc_error **err);
bool httpd_addr_is_loopback(const struct httpd_addr *a);
/* A non-blocking listening socket on a with SO_REUSEPORT (the workers each
 * listen on their own; the kernel spreads connections) bound to port (0 =
 * ephemeral); *ret_port is the port bound. With exclusive set, first checks
 * that nobody else is listening there (a second server would otherwise
 * silently share the port). */
int httpd_listen(const struct httpd_addr *a, uint16_t port, bool exclusive, int *ret_fd,
                 uint16_t *ret_port, cc_error **err);

/* ---- TLS (tls.c) ------------------------------------------------------- */

/* A server SSL_CTX (TLS 1.2+, Mozilla "intermediate" ciphers) with the PEM
 * chain and key loaded and checked against each other. */
int httpd_tls_new(const char *cert, const char *key, SSL_CTX **ret, cc_error **err);

/* ---- connections (conn.c) ---------------------------------------------- */

enum conn_phase {
	CONN_HEAD,       /* reading a request head, scanned as it arrives */
	CONN_HEAD_BLIND, /* the head was already buffered (pipelined): not scanned */
	CONN_BODY,       /* head in, body being read */
	CONN_BUSY,       /* handed to the handler, answer being written */
	CONN_LINGER,     /* our own error answer sent; input discarded until close */
};

struct httpd_worker;

struct httpd_conn {
	struct httpd_worker *w;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* NULL until attached */
	struct evbuffer_cb_entry *scan_cb;
	struct event kick;  /* attach, later a deferred takeover */
	struct event timer; /* head / body deadline, linger */
	struct head_scan scan;
	enum conn_phase phase;
	bool reject;   /* over max_conns: answered 503 */
	bool drop;     /* over max_conns + slack: closed at once */
	bool too_big;  /* head over the cap: answered 431 */
	struct httpd_conn *prev, *next; /* the worker's list */
	struct httpd_conn *hnext;       /* hash bucket (by evcon) */
};

/* evhttp's bevcb: a bufferevent (TLS or plain) and our state for a new
 * connection, attached to libevent's connection object right after. */
struct bufferevent *httpd_conn_new_bev(struct event_base *base, void *worker);
/* The state of a connection libevent hands a request from; NULL if none. */
struct httpd_conn *httpd_conn_find(struct httpd_worker *w, struct evhttp_connection *evcon);
/* A request was read whole and goes to the handler. */
void httpd_conn_busy(struct httpd_conn *c);
/* evhttp's on-complete callback: the answer is written; the next head's
 * deadline starts. */
void httpd_conn_request_done(struct evhttp_request *ev, void *conn);
/* Closes the connection now (our state first, then libevent's). */
void httpd_conn_drop(struct httpd_conn *c);
/* Shutdown: closes the connections that are between requests. */
void httpd_conn_drop_idle(struct httpd_worker *w);
/* After evhttp_free(): forgets connections evhttp never attached. */
void httpd_conn_release_all(struct httpd_worker *w);

/* ---- requests (dispatch.c) --------------------------------------------- */

/* evhttp's gencb. */
void httpd_on_request(struct evhttp_request *ev, void *worker);

/* ---- the server and its workers (server.c) ----------------------------- */

struct httpd_worker {
	cc_httpd *h;
	unsigned id;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound[CC_HTTPD_MAX_SOCKETS];
	int wake_fd;
	struct event *wake_ev;
	struct event *grace_ev;
	struct event *backoff_ev;
	const struct timeval *tv_header, *tv_body, *tv_linger; /* common timeouts */
	pthread_t thread;
	bool started;
	bool draining;
	bool cut;
	struct httpd_conn *conns;
	size_t nconns;
	struct httpd_conn **buckets;
	size_t nbuckets;
};

struct cc_httpd {
	cc_httpd_opts o;
	SSL_CTX *ssl;
	size_t n_sockets;
	struct httpd_addr addrs[CC_HTTPD_MAX_SOCKETS];
	uint16_t ports[CC_HTTPD_MAX_SOCKETS];
	unsigned nworkers;
	struct httpd_worker *workers;
	atomic_uint nconns;
	unsigned grace_ms;
	pthread_mutex_t mu;
	bool started, stopped;
	int stop_result;
};

/* The worker whose loop runs in this thread (NULL elsewhere). */
struct httpd_worker *httpd_current_worker(void);
/* Called when a connection's state is released: ends a draining loop that
 * has no connection left. */
void httpd_worker_conn_gone(struct httpd_worker *w);

#endif
