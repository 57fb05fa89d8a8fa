/* cocoon's HTTP/1.1 and HTTPS server (docs/httpd.md): libevent 2.1 evhttp
 * with OpenSSL 3 bufferevents, N worker event loops, bounded sizes,
 * deadlines and connections, graceful shutdown. cocoon-kbs serves Trustee's
 * KBS protocol on it (../shared/reference/trustee.md §1.2, §4.1).
 *
 * Errors follow docs/errors.md. The library logs nothing but one debug line
 * per request (method, path, status, duration) to the cc_log it is given:
 * never a query, a header, a cookie, a token or a body.
 */
#ifndef COCOON_HTTPD_H
#define COCOON_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "cocoon/log.h"

typedef struct cc_httpd cc_httpd;
typedef struct cc_httpd_req cc_httpd_req;
typedef struct cc_httpd_resp cc_httpd_resp;

/* A request handler. It runs on the worker loop that read the request and
 * must not block for long: that loop's other connections wait for it.
 * Read the request with cc_httpd_req_*() (valid until it returns), fill
 * resp with cc_httpd_resp_*() and return the status (200..599; anything
 * else is answered 500). */
typedef int (*cc_httpd_handler)(const cc_httpd_req *req, cc_httpd_resp *resp, void *arg);

typedef struct cc_httpd_opts {
	/* Addresses to listen on: "IPv4:port" or "[IPv6]:port" literals, port
	 * 0 = an ephemeral port (read it with cc_httpd_port()). */
	const char *const *sockets;
	size_t n_sockets;
	/* PEM files: the certificate chain (leaf first) and its private key.
	 * Both set = HTTPS (TLS 1.2 and 1.3) on every socket; both NULL =
	 * plain HTTP, which is refused on a non-loopback address unless
	 * insecure_non_loopback is set (development only; not Trustee's
	 * `insecure_http`, which only chooses HTTP over HTTPS). Only read by
	 * cc_httpd_new(), like the socket strings. */
	const char *certificate;
	const char *private_key;
	bool insecure_non_loopback;
	size_t max_body_bytes;      /* 0 = CC_HTTPD_MAX_BODY_BYTES */
	size_t max_header_bytes;    /* 0 = CC_HTTPD_MAX_HEADER_BYTES */
	unsigned header_timeout_ms; /* 0 = CC_HTTPD_HEADER_TIMEOUT_MS */
	unsigned body_timeout_ms;   /* 0 = CC_HTTPD_BODY_TIMEOUT_MS */
	unsigned max_conns;         /* 0 = CC_HTTPD_MAX_CONNS */
	unsigned workers;           /* 0 = online CPUs (at most CC_HTTPD_MAX_WORKERS) */
	cc_httpd_handler handler;
	void *handler_arg;
	cc_log *log; /* one debug line per request; NULL = none */
} cc_httpd_opts;

/* Zeroes o (every cap at its default, no socket, no handler). */
void cc_httpd_opts_default(cc_httpd_opts *o);

/* Checks the options, loads the certificate and key, binds and listens on
 * every socket: every start-up error is found here, with a message naming
 * the address or file at fault (-EINVAL bad option or address, -EACCES
 * plain HTTP on a non-loopback address, -ENOENT/-EACCES a PEM file,
 * -EADDRINUSE, ...). Nothing is served before cc_httpd_start(). */
int cc_httpd_new(const cc_httpd_opts *o, cc_httpd **ret, cc_error **err);

/* The port socket i (in opts order) is bound to; 0 if i is out of range. */
uint16_t cc_httpd_port(const cc_httpd *h, size_t i);

/* Starts the worker threads and returns; -EALREADY if started. */
int cc_httpd_start(cc_httpd *h, cc_error **err);

/* Graceful shutdown: stops accepting, closes idle connections, lets
 * requests in flight finish (their answers carry Connection: close) for at
 * most grace_ms, then cuts what is left and joins the workers. Returns 0
 * when nothing had to be cut, -ETIMEDOUT when something was. Call it from
 * any thread but a handler's (-EDEADLK); a second call returns at once. */
int cc_httpd_shutdown(cc_httpd *h, unsigned grace_ms, cc_error **err);

/* Shuts down (grace 0) if still running, frees. NULL is a no-op. */
void cc_httpd_free(cc_httpd *h);

/* ---- the request a handler serves (valid until it returns) ------------ */

const char *cc_httpd_req_method(const cc_httpd_req *r); /* "GET", "POST", ... */
/* The path, percent-decoded: starts with '/', holds no NUL (a request with
 * %00 or an encoded '/' is answered 400 before any handler sees it). */
const char *cc_httpd_req_path(const cc_httpd_req *r);
/* The query as sent (after '?', not decoded), NULL if none: parse it with
 * cc_httpd_query_get(). */
const char *cc_httpd_req_query(const cc_httpd_req *r);
/* The first header field called name (case-insensitive), NULL if none. */
const char *cc_httpd_req_header(const cc_httpd_req *r, const char *name);
/* How many header fields are called name. */
size_t cc_httpd_req_header_count(const cc_httpd_req *r, const char *name);
/* The body and its length (not NUL-terminated; "" and 0 if none). */
const uint8_t *cc_httpd_req_body(const cc_httpd_req *r, size_t *ret_len);
/* The peer as "1.2.3.4:port" or "[::1]:port". */
const char *cc_httpd_req_peer(const cc_httpd_req *r);
bool cc_httpd_req_tls(const cc_httpd_req *r);

/* The value of cookie name in the request's Cookie fields (the first
 * match, as actix-web's cookie lookup does); *ret points into the request.
 * -ENOENT none, -EINVAL a Cookie field that does not parse. */
int cc_httpd_req_cookie(const cc_httpd_req *r, const char *name, const char **ret,
                        size_t *ret_len, cc_error **err);
/* The token of an `Authorization: Bearer <token>` field. -ENOENT no
 * Authorization field, -EINVAL another scheme, a malformed token or more
 * than one Authorization field. */
int cc_httpd_req_bearer(const cc_httpd_req *r, const char **ret, size_t *ret_len,
                        cc_error **err);

/* ---- the response ------------------------------------------------------ */

/* Adds a header field (Set-Cookie may be added several times). -EINVAL for
 * a name that is not an RFC 9110 token or a value with a control character
 * (CR/LF injection), -EPERM for fields the server owns (Content-Length,
 * Transfer-Encoding, Connection). */
int cc_httpd_resp_header(cc_httpd_resp *r, const char *name, const char *value, cc_error **err);
/* Appends len bytes to the body (copied). -ENOMEM. */
int cc_httpd_resp_body(cc_httpd_resp *r, const void *data, size_t len, cc_error **err);

/* ---- parsers (pure; fuzzed by fuzz/fuzz_http_headers.c) ---------------- */

/* Finds cookie name in one Cookie field value of len bytes (RFC 6265
 * §5.4: pairs split on ';', optional whitespace around them, a value may
 * be in double quotes, which are removed). *ret points into header.
 * -ENOENT not there, -EINVAL a control character or a pair without '='. */
int cc_httpd_cookie_find(const char *header, size_t len, const char *name, const char **ret,
                         size_t *ret_len, cc_error **err);

/* The token of an Authorization field value (RFC 6750 §2.1: scheme
 * "Bearer", any case, one or more spaces, a b64token, optional trailing
 * whitespace). *ret points into header. -EINVAL otherwise. */
int cc_httpd_bearer_parse(const char *header, size_t len, const char **ret, size_t *ret_len,
                          cc_error **err);

/* Finds name in a query (application/x-www-form-urlencoded: pairs split on
 * '&', '+' is a space, %XX escapes; the first match wins; a pair without
 * '=' has the value ""). *ret is a new NUL-terminated string the caller
 * frees. -ENOENT not there, -EINVAL a bad escape or an escaped NUL. */
int cc_httpd_query_get(const char *query, size_t len, const char *name, char **ret,
                       size_t *ret_len, cc_error **err);

/* Percent-decodes a path of len bytes into a new NUL-terminated string.
 * -EINVAL for a bad escape, an escaped NUL or an escaped '/'. */
int cc_httpd_path_decode(const char *path, size_t len, char **ret, size_t *ret_len,
                         cc_error **err);

#endif
