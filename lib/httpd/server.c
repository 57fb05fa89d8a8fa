/* The server: options, listening sockets, worker event loops (one thread
 * each, each with its own evhttp and its own SO_REUSEPORT socket per
 * address), start and graceful shutdown (docs/httpd.md "Threads"). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/listener.h>

#include "httpd_int.h"

static __thread struct httpd_worker *current_worker;

struct httpd_worker *httpd_current_worker(void)
{
	return current_worker;
}

void cc_httpd_opts_default(cc_httpd_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static struct timeval ms_tv(unsigned ms)
{
	struct timeval tv = {(time_t)(ms / 1000u), (suseconds_t)((ms % 1000u) * 1000u)};
	return tv;
}

static int opts_check(cc_httpd *h, cc_error **err)
{
	cc_httpd_opts *o = &h->o;
	if (o->handler == NULL)
		return cc_error_set(err, -EINVAL, "http server: no handler");
	if (o->n_sockets == 0 || o->sockets == NULL)
		return cc_error_set(err, -EINVAL, "http server: no socket to listen on");
	if (o->n_sockets > CC_HTTPD_MAX_SOCKETS)
		return cc_error_set(err, -EINVAL, "http server: %zu sockets, at most %u", o->n_sockets,
		                    CC_HTTPD_MAX_SOCKETS);
	if ((o->certificate == NULL) != (o->private_key == NULL))
		return cc_error_set(err, -EINVAL, "http server: HTTPS needs both a certificate "
		                                  "and a private key");
	o->max_body_bytes = o->max_body_bytes ? o->max_body_bytes : CC_HTTPD_MAX_BODY_BYTES;
	o->max_header_bytes = o->max_header_bytes ? o->max_header_bytes : CC_HTTPD_MAX_HEADER_BYTES;
	o->header_timeout_ms = o->header_timeout_ms ? o->header_timeout_ms : CC_HTTPD_HEADER_TIMEOUT_MS;
	o->body_timeout_ms = o->body_timeout_ms ? o->body_timeout_ms : CC_HTTPD_BODY_TIMEOUT_MS;
	o->max_conns = o->max_conns ? o->max_conns : CC_HTTPD_MAX_CONNS;
	if (o->max_body_bytes > (size_t)INT_MAX || o->max_header_bytes > (size_t)INT_MAX ||
	    o->max_conns > UINT_MAX / 2)
		return cc_error_set(err, -EINVAL, "http server: a size or connection cap is too large");
	if (o->workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		o->workers = n < 1 ? 1u : (unsigned)n;
		if (o->workers > CC_HTTPD_MAX_WORKERS)
			o->workers = CC_HTTPD_MAX_WORKERS;
	}
	if (o->workers > CC_HTTPD_MAX_WORKERS)
		return cc_error_set(err, -EINVAL, "http server: %u workers, at most %u", o->workers,
		                    CC_HTTPD_MAX_WORKERS);
	return 0;
}

/* Parses every address; plain HTTP only on loopback unless
 * insecure_non_loopback (issue 6: "any non-loopback address requires
 * HTTPS"). */
static int addrs_check(cc_httpd *h, cc_error **err)
{
	for (size_t i = 0; i < h->o.n_sockets; i++) {
		const char *s = h->o.sockets[i];
		int r = httpd_addr_parse(s != NULL ? s : "", &h->addrs[i], err);
		if (r < 0)
			return r;
		if (h->o.certificate == NULL && !h->o.insecure_non_loopback &&
		    !httpd_addr_is_loopback(&h->addrs[i]))
			return cc_error_set(err, -EACCES,
			                    "socket %s: plain HTTP is served on loopback addresses only "
			                    "(anyone on the network could read and change it); give a "
			                    "certificate and private key for HTTPS",
			                    s);
	}
	h->n_sockets = h->o.n_sockets;
	return 0;
}

/* ---- one worker ---------------------------------------------------------- */

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct httpd_worker *w = arg;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0 && errno == EAGAIN)
		return;
	if (w->draining)
		return;
	w->draining = true;
	for (size_t i = 0; i < w->h->n_sockets; i++) {
		if (w->bound[i] != NULL)
			evhttp_del_accept_socket(w->http, w->bound[i]);
		w->bound[i] = NULL;
	}
	event_del(w->backoff_ev);
	httpd_conn_drop_idle(w);
	if (w->nconns == 0) {
		event_base_loopexit(w->base, NULL);
		return;
	}
	struct timeval tv = ms_tv(w->h->grace_ms);
	event_add(w->grace_ev, &tv);
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct httpd_worker *w = arg;
	w->cut = true;
	event_base_loopbreak(w->base);
}

void httpd_worker_conn_gone(struct httpd_worker *w)
{
	if (w->draining && w->nconns == 0)
		event_base_loopexit(w->base, NULL);
}

static void listeners_enable(struct httpd_worker *w, bool on)
{
	for (size_t i = 0; i < w->h->n_sockets; i++) {
		if (w->bound[i] == NULL)
			continue;
		struct evconnlistener *l = evhttp_bound_socket_get_listener(w->bound[i]);
		if (on)
			evconnlistener_enable(l);
		else
			evconnlistener_disable(l);
	}
}

static void backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	listeners_enable(arg, true);
}

/* accept() failed with something other than EAGAIN/EINTR (out of fds or
 * memory): the socket stays readable, so pause accepting for 100 ms
 * instead of spinning. */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	struct httpd_worker *w = httpd_current_worker();
	if (w == NULL || w->draining)
		return;
	listeners_enable(w, false);
	struct timeval tv = ms_tv(100);
	event_add(w->backoff_ev, &tv);
}

static const struct timeval *common_timeout(struct event_base *base, unsigned ms)
{
	struct timeval tv = ms_tv(ms);
	return event_base_init_common_timeout(base, &tv);
}

static int worker_init(cc_httpd *h, struct httpd_worker *w, unsigned id, cc_error **err)
{
	w->h = h;
	w->id = id;
	w->wake_fd = -1;
	size_t want = (h->o.max_conns + CC_HTTPD_REJECT_SLACK) / h->o.workers;
	w->nbuckets = 64;
	while (w->nbuckets < want)
		w->nbuckets *= 2;
	w->buckets = calloc(w->nbuckets, sizeof(*w->buckets));
	w->base = event_base_new();
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->buckets == NULL || w->base == NULL || w->wake_fd < 0)
		return cc_error_set(err, -ENOMEM, "http server: worker %u: out of memory or fds", id);
	w->http = evhttp_new(w->base);
	w->wake_ev = event_new(w->base, w->wake_fd, EV_READ | EV_PERSIST, wake_cb, w);
	w->grace_ev = evtimer_new(w->base, grace_cb, w);
	w->backoff_ev = evtimer_new(w->base, backoff_cb, w);
	w->tv_header = common_timeout(w->base, h->o.header_timeout_ms);
	w->tv_body = common_timeout(w->base, h->o.body_timeout_ms);
	w->tv_linger = common_timeout(w->base, CC_HTTPD_LINGER_MS);
	if (w->http == NULL || w->wake_ev == NULL || w->grace_ev == NULL || w->backoff_ev == NULL ||
	    w->tv_header == NULL || w->tv_body == NULL || w->tv_linger == NULL ||
	    event_add(w->wake_ev, NULL) < 0)
		return cc_error_set(err, -ENOMEM, "http server: worker %u: out of memory", id);
	struct timeval io = ms_tv(h->o.body_timeout_ms);
	evhttp_set_bevcb(w->http, httpd_conn_new_bev, w);
	evhttp_set_gencb(w->http, httpd_on_request, w);
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)h->o.max_header_bytes);
	evhttp_set_max_body_size(w->http, (ev_ssize_t)h->o.max_body_bytes);
	evhttp_set_timeout_tv(w->http, &io);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(w->http, NULL);
	/* A body over the cap is read (within the body deadline) and dropped
	 * before the 413 goes out, so the client sees the 413, not a reset. */
	evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
	return 0;
}

static int worker_bind(struct httpd_worker *w, size_t i, int fd, cc_error **err)
{
	struct evconnlistener *l = evconnlistener_new(w->base, NULL, NULL,
	                                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	                                              0, fd);
	if (l == NULL) {
		close(fd);
		return cc_error_set(err, -ENOMEM, "socket %s: out of memory", w->h->addrs[i].text);
	}
	evconnlistener_set_error_cb(l, accept_error_cb);
	w->bound[i] = evhttp_bind_listener(w->http, l);
	if (w->bound[i] == NULL) {
		evconnlistener_free(l);
		return cc_error_set(err, -ENOMEM, "socket %s: out of memory", w->h->addrs[i].text);
	}
	return 0;
}

/* Every worker listens on its own socket per address; the first one binds
 * the port asked for (0 = ephemeral), the others join it. */
static int listen_all(cc_httpd *h, cc_error **err)
{
	for (size_t i = 0; i < h->n_sockets; i++) {
		uint16_t want = ntohs(h->addrs[i].ss.ss_family == AF_INET
		                          ? ((struct sockaddr_in *)&h->addrs[i].ss)->sin_port
		                          : ((struct sockaddr_in6 *)&h->addrs[i].ss)->sin6_port);
		for (unsigned j = 0; j < h->nworkers; j++) {
			int fd, r;
			uint16_t port;
			r = httpd_listen(&h->addrs[i], j == 0 ? want : h->ports[i], j == 0, &fd, &port,
			                 err);
			if (r == 0)
				r = worker_bind(&h->workers[j], i, fd, err);
			if (r < 0)
				return r;
			h->ports[i] = port;
		}
	}
	return 0;
}

static void worker_fini(struct httpd_worker *w)
{
	if (w->http != NULL) {
		evhttp_free(w->http);
		w->http = NULL;
	}
	httpd_conn_release_all(w);
	if (w->wake_ev != NULL)
		event_free(w->wake_ev);
	if (w->grace_ev != NULL)
		event_free(w->grace_ev);
	if (w->backoff_ev != NULL)
		event_free(w->backoff_ev);
	w->wake_ev = w->grace_ev = w->backoff_ev = NULL;
	if (w->base != NULL)
		event_base_free(w->base);
	w->base = NULL;
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	w->wake_fd = -1;
	free(w->buckets);
	w->buckets = NULL;
}

static void *worker_main(void *arg)
{
	struct httpd_worker *w = arg;
	current_worker = w;
	event_base_dispatch(w->base);
	/* Whatever the grace left open is cut here. */
	if (w->http != NULL)
		evhttp_free(w->http);
	w->http = NULL;
	httpd_conn_release_all(w);
	current_worker = NULL;
	return NULL;
}

/* ---- the server ------------------------------------------------------------ */

int cc_httpd_new(const cc_httpd_opts *o, cc_httpd **ret, cc_error **err)
{
	cc_httpd *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return cc_error_set(err, -ENOMEM, "http server: out of memory");
	h->o = *o;
	pthread_mutex_init(&h->mu, NULL);
	atomic_init(&h->nconns, 0);
	int r = opts_check(h, err);
	if (r == 0)
		r = addrs_check(h, err);
	if (r == 0 && h->o.certificate != NULL)
		r = httpd_tls_new(h->o.certificate, h->o.private_key, &h->ssl, err);
	if (r == 0) {
		h->workers = calloc(h->o.workers, sizeof(*h->workers));
		if (h->workers == NULL)
			r = cc_error_set(err, -ENOMEM, "http server: out of memory");
	}
	for (unsigned j = 0; r == 0 && j < h->o.workers; j++) {
		r = worker_init(h, &h->workers[j], j, err);
		h->nworkers = j + 1;
	}
	if (r == 0)
		r = listen_all(h, err);
	if (r < 0) {
		cc_httpd_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

uint16_t cc_httpd_port(const cc_httpd *h, size_t i)
{
	return i < h->n_sockets ? h->ports[i] : 0;
}

/* Wakes workers [0, n) and waits for their threads; true if one had to cut
 * connections at the end of its grace. */
static bool stop_workers(cc_httpd *h, unsigned n)
{
	bool cut = false;
	for (unsigned j = 0; j < n; j++) {
		uint64_t one = 1;
		if (write(h->workers[j].wake_fd, &one, sizeof(one)) < 0) {
			/* eventfd counters do not fill up with 1s: cannot fail. */
		}
	}
	for (unsigned j = 0; j < n; j++) {
		pthread_join(h->workers[j].thread, NULL);
		h->workers[j].started = false;
		cut |= h->workers[j].cut;
	}
	return cut;
}

int cc_httpd_start(cc_httpd *h, cc_error **err)
{
	pthread_mutex_lock(&h->mu);
	if (h->started || h->stopped) {
		pthread_mutex_unlock(&h->mu);
		return cc_error_set(err, -EALREADY, "http server: already started or shut down");
	}
	/* Workers take no signal: SIGPIPE from a write to a closed socket
	 * becomes EPIPE, and the process's signals go to its own threads. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, CC_HTTPD_WORKER_STACK_BYTES);
	int r = 0;
	unsigned j;
	for (j = 0; j < h->nworkers && r == 0; j++) {
		r = -pthread_create(&h->workers[j].thread, &attr, worker_main, &h->workers[j]);
		h->workers[j].started = r == 0;
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		h->grace_ms = 0;
		stop_workers(h, j - 1);
		h->stopped = true;
		pthread_mutex_unlock(&h->mu);
		return cc_error_set(err, r, "http server: starting a worker thread: %s", strerror(-r));
	}
	h->started = true;
	pthread_mutex_unlock(&h->mu);
	return 0;
}

int cc_httpd_shutdown(cc_httpd *h, unsigned grace_ms, cc_error **err)
{
	struct httpd_worker *self = httpd_current_worker();
	if (self != NULL && self->h == h)
		return cc_error_set(err, -EDEADLK, "http server: shutdown from a handler");
	pthread_mutex_lock(&h->mu);
	if (!h->stopped) {
		h->stopped = true;
		h->grace_ms = grace_ms;
		if (h->started)
			h->stop_result = stop_workers(h, h->nworkers) ? -ETIMEDOUT : 0;
	}
	int r = h->stop_result;
	pthread_mutex_unlock(&h->mu);
	if (r < 0)
		return cc_error_set(err, r, "http server: requests still in flight after %u ms were "
		                            "cut",
		                    h->grace_ms);
	return 0;
}

void cc_httpd_free(cc_httpd *h)
{
	if (h == NULL)
		return;
	cc_httpd_shutdown(h, 0, NULL);
	for (unsigned j = 0; j < h->nworkers; j++)
		worker_fini(&h->workers[j]);
	free(h->workers);
	SSL_CTX_free(h->ssl);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
