/* A request libevent has read whole: checks, the handler, the answer and
 * the one debug line (docs/httpd.md "Requests"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/keyvalq_struct.h>

#include "httpd_int.h"

struct cc_httpd_req {
	struct evhttp_request *ev;
	struct evkeyvalq *headers;
	const char *method;
	char *path;
	const char *query;
	const uint8_t *body;
	size_t body_len;
	char peer[80];
	bool tls;
};

struct cc_httpd_resp {
	struct evkeyvalq *out;
	struct evbuffer *body;
};

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "?";
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	}
	return status < 400 ? "OK" : "Error";
}

static void peer_text(struct evhttp_request *ev, char *buf, size_t n)
{
	char *addr = NULL;
	ev_uint16_t port = 0;
	evhttp_connection_get_peer(evhttp_request_get_connection(ev), &addr, &port);
	const char *a = addr != NULL ? addr : "?";
	if (strchr(a, ':') != NULL)
		snprintf(buf, n, "[%s]:%u", a, (unsigned)port);
	else
		snprintf(buf, n, "%s:%u", a, (unsigned)port);
}

/* Refuses the framings a proxy in front could read differently (request
 * smuggling, RFC 9112 §6.3): Content-Length twice, or together with
 * Transfer-Encoding. */
static int framing_check(struct evkeyvalq *h, cc_error **err)
{
	size_t cl = 0, te = 0;
	for (struct evkeyval *kv = h->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		cl += strcasecmp(kv->key, "Content-Length") == 0;
		te += strcasecmp(kv->key, "Transfer-Encoding") == 0;
	}
	if (cl > 1 || (cl > 0 && te > 0))
		return cc_error_set(err, -EINVAL, "ambiguous body framing");
	return 0;
}

static int req_init(struct cc_httpd_req *q, struct evhttp_request *ev, bool tls, cc_error **err)
{
	memset(q, 0, sizeof(*q));
	q->ev = ev;
	q->tls = tls;
	q->headers = evhttp_request_get_input_headers(ev);
	q->method = method_name(evhttp_request_get_command(ev));
	peer_text(ev, q->peer, sizeof(q->peer));
	int r = framing_check(q->headers, err);
	if (r < 0)
		return r;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(ev);
	const char *raw = u != NULL ? evhttp_uri_get_path(u) : NULL;
	if (raw == NULL || raw[0] != '/')
		return cc_error_set(err, -EINVAL, "the request path does not start with '/'");
	size_t n;
	r = cc_httpd_path_decode(raw, strlen(raw), &q->path, &n, err);
	if (r < 0)
		return r;
	q->query = evhttp_uri_get_query(u);
	struct evbuffer *in = evhttp_request_get_input_buffer(ev);
	q->body_len = evbuffer_get_length(in);
	q->body = (const uint8_t *)"";
	if (q->body_len > 0 && (q->body = evbuffer_pullup(in, -1)) == NULL)
		return cc_error_set(err, -ENOMEM, "request body: out of memory");
	return 0;
}

/* Control characters and bytes past ASCII as \xNN, at most n - 1 bytes. */
static void log_safe(const char *s, char *out, size_t n)
{
	size_t o = 0;
	for (; *s != '\0' && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
	}
	if (*s != '\0' && o + 4 <= n)
		o += (size_t)snprintf(out + o, n - o, "...");
	out[o] = '\0';
}

static void log_request(const cc_httpd *h, const char *method, const char *path, int status,
                        const struct timespec *t0)
{
	if (h->o.log == NULL)
		return;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
	char safe[256];
	log_safe(path != NULL ? path : "(refused before decoding)", safe, sizeof(safe));
	cc_log_msg(h->o.log, CC_LOG_DEBUG, "%s %s %d %.3f ms", method, safe, status, ms);
}

static int plain_answer(struct cc_httpd_resp *resp, const char *text)
{
	evhttp_add_header(resp->out, "Content-Type", "text/plain");
	evbuffer_add(resp->body, text, strlen(text));
	return 0;
}

/* The handler's status, or 500 (and its answer dropped) when it is not a
 * final status. */
static int run_handler(const cc_httpd *h, const struct cc_httpd_req *q,
                       struct cc_httpd_resp *resp)
{
	int status = h->o.handler(q, resp, h->o.handler_arg);
	if (status >= 200 && status <= 599)
		return status;
	evhttp_clear_headers(resp->out);
	evbuffer_drain(resp->body, evbuffer_get_length(resp->body));
	plain_answer(resp, "internal error\n");
	return 500;
}

void httpd_on_request(struct evhttp_request *ev, void *arg)
{
	struct httpd_worker *w = arg;
	const cc_httpd *h = w->h;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct cc_httpd_resp resp = {evhttp_request_get_output_headers(ev),
	                             evhttp_request_get_output_buffer(ev)};
	struct httpd_conn *c = httpd_conn_find(w, evhttp_request_get_connection(ev));
	if (c != NULL && c->phase == CONN_LINGER)
		return; /* answered already; the connection ends soon */
	if (c == NULL) {
		/* evhttp made this connection without us (out of memory). */
		plain_answer(&resp, "out of memory\n");
		evhttp_add_header(resp.out, "Connection", "close");
		evhttp_send_reply(ev, 503, reason(503), NULL);
		return;
	}
	httpd_conn_busy(c);
	evhttp_request_set_on_complete_cb(ev, httpd_conn_request_done, c);
	struct cc_httpd_req q;
	cc_error *e = NULL;
	int status;
	bool close = w->draining;
	if (req_init(&q, ev, h->ssl != NULL, &e) < 0) {
		/* The message names the fault and never echoes client bytes. */
		status = cc_error_code(e) == -ENOMEM ? 503 : 400;
		evhttp_add_header(resp.out, "Content-Type", "text/plain");
		evbuffer_add_printf(resp.body, "%s\n", cc_error_message(e));
		cc_error_free(e);
		close = true;
	} else {
		status = run_handler(h, &q, &resp);
	}
	if (close)
		evhttp_add_header(resp.out, "Connection", "close");
	/* The answer may be written, the request and even the connection freed
	 * inside evhttp_send_reply(): only locals after it. */
	evhttp_send_reply(ev, status, reason(status), NULL);
	log_request(h, q.method, q.path, status, &t0);
	free(q.path);
}

/* ---- the request, for handlers ------------------------------------------- */

const char *cc_httpd_req_method(const cc_httpd_req *r)
{
	return r->method;
}

const char *cc_httpd_req_path(const cc_httpd_req *r)
{
	return r->path;
}

const char *cc_httpd_req_query(const cc_httpd_req *r)
{
	return r->query;
}

const char *cc_httpd_req_header(const cc_httpd_req *r, const char *name)
{
	return evhttp_find_header(r->headers, name);
}

size_t cc_httpd_req_header_count(const cc_httpd_req *r, const char *name)
{
	size_t n = 0;
	for (struct evkeyval *kv = r->headers->tqh_first; kv != NULL; kv = kv->next.tqe_next)
		n += strcasecmp(kv->key, name) == 0;
	return n;
}

const uint8_t *cc_httpd_req_body(const cc_httpd_req *r, size_t *ret_len)
{
	*ret_len = r->body_len;
	return r->body;
}

const char *cc_httpd_req_peer(const cc_httpd_req *r)
{
	return r->peer;
}

bool cc_httpd_req_tls(const cc_httpd_req *r)
{
	return r->tls;
}

int cc_httpd_req_cookie(const cc_httpd_req *r, const char *name, const char **ret,
                        size_t *ret_len, cc_error **err)
{
	for (struct evkeyval *kv = r->headers->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		if (strcasecmp(kv->key, "Cookie") != 0)
			continue;
		cc_error *e = NULL;
		int rc = cc_httpd_cookie_find(kv->value, strlen(kv->value), name, ret, ret_len, &e);
		if (rc != -ENOENT) {
			cc_error_move(err, &e);
			return rc;
		}
		cc_error_free(e);
	}
	return cc_error_set(err, -ENOENT, "no cookie %s", name);
}

int cc_httpd_req_bearer(const cc_httpd_req *r, const char **ret, size_t *ret_len,
                        cc_error **err)
{
	size_t n = cc_httpd_req_header_count(r, "Authorization");
	if (n == 0)
		return cc_error_set(err, -ENOENT, "no Authorization header");
	if (n > 1)
		return cc_error_set(err, -EINVAL, "%zu Authorization headers", n);
	const char *v = cc_httpd_req_header(r, "Authorization");
	return cc_httpd_bearer_parse(v, strlen(v), ret, ret_len, err);
}

/* ---- the response -------------------------------------------------------- */

static bool is_tchar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int cc_httpd_resp_header(cc_httpd_resp *r, const char *name, const char *value, cc_error **err)
{
	if (name[0] == '\0')
		return cc_error_set(err, -EINVAL, "response header: empty name");
	for (const char *p = name; *p != '\0'; p++)
		if (!is_tchar(*p))
			return cc_error_set(err, -EINVAL, "response header %s: bad name", name);
	for (const char *p = value; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return cc_error_set(err, -EINVAL, "response header %s: control character in value",
			                    name);
	static const char *const owned[] = {"Content-Length", "Transfer-Encoding", "Connection"};
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strcasecmp(name, owned[i]) == 0)
			return cc_error_set(err, -EPERM, "response header %s: set by the server", name);
	if (evhttp_add_header(r->out, name, value) != 0)
		return cc_error_set(err, -ENOMEM, "response header %s: out of memory", name);
	return 0;
}

int cc_httpd_resp_body(cc_httpd_resp *r, const void *data, size_t len, cc_error **err)
{
	if (len > 0 && evbuffer_add(r->body, data, len) != 0)
		return cc_error_set(err, -ENOMEM, "response body: out of memory");
	return 0;
}
