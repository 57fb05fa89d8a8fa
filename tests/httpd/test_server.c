/* httpd-test-server: lib/httpd with a few handlers, for test_httpd.py and
 * bench/run_httpd.sh.
 *
 *   httpd-test-server --listen ADDR [--listen ADDR]... [--cert PEM --key PEM]
 *       [--insecure] [--max-body N] [--max-header N] [--header-timeout MS]
 *       [--body-timeout MS] [--max-conns N] [--workers N] [--grace MS]
 *       [--verbose]
 *
 * Prints "ready PORT[ PORT...]" once listening, serves until SIGTERM or
 * SIGINT, then shuts down with the grace (default CC_HTTPD_SHUTDOWN_GRACE_MS)
 * from the thread that waits for the signals (main; the workers block them)
 * and prints "shutdown ok" or "shutdown cut". A start-up error is
 * printed as the library words it, exit status 1.
 *
 * Handlers: GET /hello; POST|PUT /echo (body back, X-Body-Len);
 * GET /slow?ms=N (sleeps, at most 10 s); GET /cookie (kbs-session-id);
 * GET /bearer (the token's length); GET /query?name=NAME (that parameter);
 * GET /path (the decoded path); GET /header?name=NAME (its first value and
 * count); GET /setcookie (two Set-Cookie); GET /badstatus (returns 99);
 * GET /badheader (tries a CR LF value); anything else 404.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cocoon/limits.h"
#include "httpd.h"

static void text(cc_httpd_resp *resp, const char *s)
{
	cc_httpd_resp_header(resp, "Content-Type", "text/plain", NULL);
	cc_httpd_resp_body(resp, s, strlen(s), NULL);
}

static char *query_param(const cc_httpd_req *req, const char *name)
{
	const char *q = cc_httpd_req_query(req);
	char *v = NULL;
	size_t n;
	if (q == NULL || cc_httpd_query_get(q, strlen(q), name, &v, &n, NULL) < 0)
		return NULL;
	return v;
}

static int h_echo(const cc_httpd_req *req, cc_httpd_resp *resp)
{
	size_t n;
	const uint8_t *b = cc_httpd_req_body(req, &n);
	char len[32];
	snprintf(len, sizeof(len), "%zu", n);
	cc_httpd_resp_header(resp, "X-Body-Len", len, NULL);
	cc_httpd_resp_header(resp, "Content-Type", "application/octet-stream", NULL);
	cc_httpd_resp_body(resp, b, n, NULL);
	return 200;
}

static int h_slow(const cc_httpd_req *req, cc_httpd_resp *resp)
{
	char *ms = query_param(req, "ms");
	long v = ms != NULL ? strtol(ms, NULL, 10) : 0;
	free(ms);
	if (v < 0 || v > 10000)
		v = 10000;
	struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
	text(resp, "slept\n");
	return 200;
}

static int h_cookie(const cc_httpd_req *req, cc_httpd_resp *resp)
{
	const char *v;
	size_t n;
	cc_error *e = NULL;
	int r = cc_httpd_req_cookie(req, "kbs-session-id", &v, &n, &e);
	if (r < 0) {
		text(resp, cc_error_message(e));
		cc_error_free(e);
		return r == -ENOENT ? 401 : 400;
	}
	cc_httpd_resp_body(resp, v, n, NULL);
	return 200;
}

static int h_bearer(const cc_httpd_req *req, cc_httpd_resp *resp)
{
	const char *v;
	size_t n;
	cc_error *e = NULL;
	int r = cc_httpd_req_bearer(req, &v, &n, &e);
	if (r < 0) {
		text(resp, cc_error_message(e));
		cc_error_free(e);
		return r == -ENOENT ? 401 : 400;
	}
	char out[64];
	snprintf(out, sizeof(out), "token of %zu bytes\n", n);
	text(resp, out);
	return 200;
}

static int h_query(const cc_httpd_req *req, cc_httpd_resp *resp)
{
	char *name = query_param(req, "name");
	const char *q = cc_httpd_req_query(req);
	char *v = NULL;
	size_t n = 0;
	cc_error *e = NULL;
	int r = name != NULL && q != NULL ? cc_httpd_query_get(q, strlen(q), name, &v, &n, &e)
	                                  : -ENOENT;
	free(name);
	if (r < 0) {
		text(resp, e != NULL ? cc_error_message(e) : "no name\n");
		cc_error_free(e);
		return 400;
	}
	cc_httpd_resp_body(resp, v, n, NULL);
	free(v);
	return 200;
}

static int h_header(const cc_httpd_req *req, cc_httpd_resp *resp)
{
	char *name = query_param(req, "name");
	if (name == NULL)
		return 400;
	const char *v = cc_httpd_req_header(req, name);
	char out[256];
	snprintf(out, sizeof(out), "%zu %.200s\n", cc_httpd_req_header_count(req, name),
	         v != NULL ? v : "-");
	free(name);
	text(resp, out);
	return 200;
}

static int h_get(const char *path, const cc_httpd_req *req, cc_httpd_resp *resp)
{
	if (strcmp(path, "/hello") == 0) {
		text(resp, "hello\n");
		return 200;
	}
	if (strcmp(path, "/slow") == 0)
		return h_slow(req, resp);
	if (strcmp(path, "/cookie") == 0)
		return h_cookie(req, resp);
	if (strcmp(path, "/bearer") == 0)
		return h_bearer(req, resp);
	if (strcmp(path, "/query") == 0)
		return h_query(req, resp);
	if (strcmp(path, "/header") == 0)
		return h_header(req, resp);
	if (strcmp(path, "/setcookie") == 0) {
		cc_httpd_resp_header(resp, "Set-Cookie", "a=1", NULL);
		cc_httpd_resp_header(resp, "Set-Cookie", "kbs-session-id=00ff; Expires=Thu, 01 "
		                                         "Jan 2099 00:00:00 GMT",
		                     NULL);
		return 204;
	}
	if (strcmp(path, "/badstatus") == 0) {
		text(resp, "should not be seen\n");
		return 99;
	}
	if (strcmp(path, "/badheader") == 0) {
		cc_error *e = NULL;
		int r = cc_httpd_resp_header(resp, "X-Evil", "a\r\nInjected: 1", &e);
		text(resp, r == -EINVAL ? "refused\n" : "accepted\n");
		cc_error_free(e);
		return 200;
	}
	text(resp, "not found\n");
	return 404;
}

static int handler(const cc_httpd_req *req, cc_httpd_resp *resp, void *arg)
{
	(void)arg;
	const char *m = cc_httpd_req_method(req), *path = cc_httpd_req_path(req);
	if (strcmp(path, "/echo") == 0 && (strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0))
		return h_echo(req, resp);
	if (strcmp(path, "/path") == 0) {
		text(resp, path);
		return 200;
	}
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return h_get(path, req, resp);
	return 405;
}

static unsigned num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > 1000000000ul) {
		fprintf(stderr, "httpd-test-server: bad number %s\n", s);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	const char *sockets[CC_HTTPD_MAX_SOCKETS];
	cc_httpd_opts o;
	cc_httpd_opts_default(&o);
	o.sockets = sockets;
	o.handler = handler;
	unsigned grace = CC_HTTPD_SHUTDOWN_GRACE_MS;
	bool verbose = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--insecure") == 0) {
			o.insecure_non_loopback = true;
			continue;
		}
		if (strcmp(a, "--verbose") == 0) {
			verbose = true;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "httpd-test-server: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--listen") == 0 && o.n_sockets < CC_HTTPD_MAX_SOCKETS)
			sockets[o.n_sockets++] = v;
		else if (strcmp(a, "--cert") == 0)
			o.certificate = v;
		else if (strcmp(a, "--key") == 0)
			o.private_key = v;
		else if (strcmp(a, "--max-body") == 0)
			o.max_body_bytes = num(v);
		else if (strcmp(a, "--max-header") == 0)
			o.max_header_bytes = num(v);
		else if (strcmp(a, "--header-timeout") == 0)
			o.header_timeout_ms = num(v);
		else if (strcmp(a, "--body-timeout") == 0)
			o.body_timeout_ms = num(v);
		else if (strcmp(a, "--max-conns") == 0)
			o.max_conns = num(v);
		else if (strcmp(a, "--workers") == 0)
			o.workers = num(v);
		else if (strcmp(a, "--grace") == 0)
			grace = num(v);
		else {
			fprintf(stderr, "httpd-test-server: unknown option %s\n", a);
			return 2;
		}
	}
	cc_log *log = verbose ? cc_log_new("httpd-test-server", CC_LOG_DEBUG) : NULL;
	o.log = log;

	/* Signals are taken by this thread with sigwait; the workers block all. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	cc_httpd *h = NULL;
	cc_error *e = NULL;
	if (cc_httpd_new(&o, &h, &e) < 0 || cc_httpd_start(h, &e) < 0) {
		char *msg = cc_error_format(e);
		fprintf(stderr, "httpd-test-server: %s\n", msg != NULL ? msg : "out of memory");
		free(msg);
		cc_error_free(e);
		cc_httpd_free(h);
		cc_log_free(log);
		return 1;
	}
	printf("ready");
	for (size_t i = 0; i < o.n_sockets; i++)
		printf(" %u", (unsigned)cc_httpd_port(h, i));
	printf("\n");
	fflush(stdout);

	int sig = 0;
	sigwait(&set, &sig);
	int r = cc_httpd_shutdown(h, grace, NULL);
	printf("shutdown %s\n", r == 0 ? "ok" : "cut");
	fflush(stdout);
	cc_httpd_free(h);
	cc_log_free(log);
	return 0;
}
