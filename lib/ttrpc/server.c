/* The ttrpc server: services, connections, listeners and shutdown
 * (docs/ttrpc.md "Server"). Connections are served by server_conn.c,
 * handlers run in server_call.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ttrpc_int.h"

int ttrpc_server_new(const ttrpc_server_opts *opts, ttrpc_server **ret, cc_error **err)
{
	ttrpc_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "ttrpc server: out of memory");
	if (opts != NULL)
		s->opts = *opts;
	if (s->opts.max_calls == 0)
		s->opts.max_calls = CC_TTRPC_MAX_CALLS;
	if (s->opts.max_conns == 0)
		s->opts.max_conns = CC_TTRPC_MAX_CONNS;
	s->stop_efd = ttrpc_eventfd();
	s->kill_efd = ttrpc_eventfd();
	if (s->stop_efd < 0 || s->kill_efd < 0) {
		int r = s->stop_efd < 0 ? s->stop_efd : s->kill_efd;
		if (s->stop_efd >= 0)
			close(s->stop_efd);
		if (s->kill_efd >= 0)
			close(s->kill_efd);
		free(s);
		return cc_error_set(err, r, "ttrpc server: eventfd: %s", strerror(-r));
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	*ret = s;
	return 0;
}

const ttrpc_service *ttrpc_server_find_service(const ttrpc_server *s, const char *name)
{
	for (size_t i = 0; i < s->n_services; i++)
		if (strcmp(s->services[i].name, name) == 0)
			return &s->services[i];
	return NULL;
}

ttrpc_method_fn ttrpc_service_find_method(const ttrpc_service *svc, const char *name)
{
	for (size_t i = 0; i < svc->n; i++)
		if (strcmp(svc->methods[i].name, name) == 0)
			return svc->methods[i].fn;
	return NULL;
}

static int check_methods(const char *service, const ttrpc_method *m, size_t n, cc_error **err)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].name == NULL || m[i].fn == NULL)
			return cc_error_set(err, -EINVAL, "service %s: method %zu has no name or handler",
			                    service, i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(m[i].name, m[j].name) == 0)
				return cc_error_set(err, -EINVAL, "service %s: method %s registered twice",
				                    service, m[i].name);
	}
	return 0;
}

int ttrpc_server_register(ttrpc_server *s, const char *service, const ttrpc_method *methods,
                          size_t n, void *userdata, cc_error **err)
{
	if (service == NULL || (n > 0 && methods == NULL))
		return cc_error_set(err, -EINVAL, "ttrpc server: register: no service name or methods");
	int r = check_methods(service, methods, n, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&s->mu);
	if (s->serving)
		r = cc_error_set(err, -EBUSY, "service %s: the server is already serving", service);
	else if (ttrpc_server_find_service(s, service) != NULL)
		r = cc_error_set(err, -EEXIST, "service %s: registered twice", service);
	if (r == 0) {
		ttrpc_service *ns = realloc(s->services, (s->n_services + 1) * sizeof(*ns));
		if (ns == NULL) {
			r = cc_error_set(err, -ENOMEM, "service %s: out of memory", service);
		} else {
			ns[s->n_services++] = (ttrpc_service){service, methods, n, userdata};
			s->services = ns;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* Counts a new connection: -ESHUTDOWN while stopping, -EMFILE when full. */
static int conn_admit(ttrpc_server *s)
{
	int r = 0;
	pthread_mutex_lock(&s->mu);
	s->serving = true;
	if (s->stopping)
		r = -ESHUTDOWN;
	else if (s->live_conns >= s->opts.max_conns)
		r = -EMFILE;
	else
		s->live_conns++;
	pthread_mutex_unlock(&s->mu);
	return r;
}

int ttrpc_server_serve_fd(ttrpc_server *s, int fd, cc_error **err)
{
	int r = conn_admit(s);
	if (r == -ESHUTDOWN)
		return cc_error_set(err, r, "ttrpc server: shutting down");
	if (r < 0)
		return cc_error_set(err, r, "ttrpc server: %u connections already", s->opts.max_conns);
	return ttrpc_conn_serve(s, fd, err);
}

typedef struct conn_start {
	ttrpc_server *s;
	int fd;
} conn_start;

static void *accepted_main(void *arg)
{
	conn_start cs = *(conn_start *)arg;
	free(arg);
	(void)ttrpc_conn_serve(cs.s, cs.fd, NULL);
	close(cs.fd);
	return NULL;
}

/* Serves an accepted fd in a detached thread (owning it); closes it if the
 * server is full or the thread cannot start. */
static void spawn_conn(ttrpc_server *s, int fd)
{
	if (conn_admit(s) < 0) {
		close(fd);
		return;
	}
	conn_start *cs = malloc(sizeof(*cs));
	pthread_attr_t attr;
	pthread_t t;
	int ok = cs != NULL && pthread_attr_init(&attr) == 0;
	if (ok) {
		*cs = (conn_start){s, fd};
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		ok = pthread_create(&t, &attr, accepted_main, cs) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!ok) {
		free(cs);
		close(fd);
		pthread_mutex_lock(&s->mu);
		s->live_conns--;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->mu);
	}
}

/* Waits for a connection or the stop signal: 1 = try accept, 0 = stop. A
 * backoff > 0 (after running out of fds or memory) waits that many ms on the
 * stop signal alone first, as Go's accept loop backs off. */
static int wait_accept(ttrpc_server *s, int listen_fd, int backoff_ms)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = s->stop_efd, .events = POLLIN},
		                      {.fd = listen_fd, .events = POLLIN}};
		int r = poll(p, backoff_ms > 0 ? 1 : 2, backoff_ms > 0 ? backoff_ms : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (p[0].revents)
			return 0;
		if (backoff_ms > 0 && r == 0) {
			backoff_ms = 0;
			continue;
		}
		return 1;
	}
}

int ttrpc_server_serve_listener(ttrpc_server *s, int listen_fd, cc_error **err)
{
	int fl = fcntl(listen_fd, F_GETFL);
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return cc_error_set(err, -errno, "ttrpc server: listening fd %d: %s", listen_fd,
		                    strerror(errno));
	pthread_mutex_lock(&s->mu);
	s->serving = true;
	bool stopping = s->stopping;
	if (!stopping)
		s->listeners++;
	pthread_mutex_unlock(&s->mu);
	int r = 0, backoff = 0;
	if (stopping)
		r = cc_error_set(err, -ESHUTDOWN, "ttrpc server: shutting down");
	while (!stopping) {
		int w = wait_accept(s, listen_fd, backoff);
		if (w <= 0) {
			if (w < 0)
				r = cc_error_set(err, w, "ttrpc server: poll: %s", strerror(-w));
			break;
		}
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			backoff = 0;
			spawn_conn(s, fd);
		} else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			backoff = backoff ? (backoff * 2 > 1000 ? 1000 : backoff * 2) : 5;
		} else if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
			r = cc_error_set(err, -errno, "ttrpc server: accept: %s", strerror(errno));
			break;
		}
	}
	(void)fcntl(listen_fd, F_SETFL, fl);
	if (!stopping) {
		pthread_mutex_lock(&s->mu);
		s->listeners--;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->mu);
	}
	return r;
}

/* Waits (mu held) until nothing serves any more or the deadline passes. */
static bool wait_idle(ttrpc_server *s, const struct timespec *deadline)
{
	while (s->live_conns > 0 || s->listeners > 0) {
		int r = deadline != NULL ? pthread_cond_timedwait(&s->cond, &s->mu, deadline)
		                         : pthread_cond_wait(&s->cond, &s->mu);
		if (r == ETIMEDOUT)
			return s->live_conns == 0 && s->listeners == 0;
	}
	return true;
}

int ttrpc_server_shutdown(ttrpc_server *s, int timeout_ms, cc_error **err)
{
	struct timespec deadline = ttrpc_deadline_in((int64_t)timeout_ms * 1000000);
	pthread_mutex_lock(&s->mu);
	if (!s->stopping) {
		s->stopping = true;
		ttrpc_eventfd_fire(s->stop_efd);
	}
	bool idle = wait_idle(s, timeout_ms < 0 ? NULL : &deadline);
	size_t left = s->live_conns;
	pthread_mutex_unlock(&s->mu);
	if (idle)
		return 0;
	ttrpc_eventfd_fire(s->kill_efd);
	return cc_error_set(err, -ETIMEDOUT,
	                    "ttrpc server: %zu connection(s) still busy after %d ms; handlers cancelled",
	                    left, timeout_ms);
}

void ttrpc_server_free(ttrpc_server *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	if (!s->stopping) {
		s->stopping = true;
		ttrpc_eventfd_fire(s->stop_efd);
	}
	pthread_mutex_unlock(&s->mu);
	ttrpc_eventfd_fire(s->kill_efd);
	pthread_mutex_lock(&s->mu);
	wait_idle(s, NULL);
	pthread_mutex_unlock(&s->mu);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	close(s->stop_efd);
	close(s->kill_efd);
	free(s->services);
	free(s);
}
