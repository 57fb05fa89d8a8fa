/* One HTTP request over libcurl for the registry client (registry.c).
 * The response body goes to a caller's sink only for 2xx answers; other
 * answers (errors, challenges) and sinkless requests are captured into a
 * bounded buffer. Headers the client needs are kept. */
#ifndef COCOON_IMAGE_HTTP_H
#define COCOON_IMAGE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "cocoon/buf.h"
#include "cocoon/error.h"

struct img_http_share;

/* A sink returns 0 to go on, or a negative errno (with its own error
 * recorded by the caller) to abort the transfer. */
typedef int (*img_http_sink)(void *ctx, const void *p, size_t n);

struct img_http_tls {
	bool insecure;           /* no certificate verification, http allowed */
	const char *ca_pem;      /* CA certificates (PEM, replacing the system's) or NULL */
	size_t ca_pem_len;
	const char *cert_file;   /* client certificate (PEM) or NULL */
	const char *key_file;    /* its key or NULL */
};

struct img_http_req {
	const char *method;              /* GET, HEAD, PUT, POST, PATCH */
	const char *url;
	const char *accept;              /* Accept header or NULL */
	const char *content_type;        /* request Content-Type or NULL */
	const char *authorization;       /* whole header value or NULL; never logged */
	const char *range;               /* "bytes=N-" or NULL */
	bool follow_redirects;           /* blobs only (their digest is checked) */
	const struct img_http_tls *tls;
	/* request body: bytes, or a file descriptor read from its offset */
	const void *body;
	size_t body_len;
	int body_fd;                     /* -1: none */
	int64_t body_fd_len;
	/* response body for 2xx answers */
	img_http_sink sink;
	void *sink_ctx;
	size_t max_capture;              /* bound of the captured body */
	long connect_timeout;            /* seconds */
	long low_speed_time;             /* seconds below 1 KiB/s before giving up */
	struct img_http_share *share;    /* DNS/TLS-session cache or NULL */
	CURL *easy;                      /* a handle to reuse (keeps connections) or NULL */
};

struct img_http_resp {
	long status;
	char *content_type, *www_authenticate, *location, *docker_content_digest, *content_range;
	int64_t content_length;          /* -1 when absent */
	cc_buf body;                     /* captured body (bounded) */
	bool capture_truncated;
	int sink_rc;                     /* the sink's abort code, or 0 */
	char *effective_url;
};

/* Runs q. Returns 0 when an HTTP answer arrived (any status; see
 * r->status), or a negative errno for transport failures (-ECONNREFUSED,
 * -ETIMEDOUT, -EPROTO for TLS errors, -ECONNRESET, -EIO) with a message
 * naming the URL's host, or the sink's code when the sink aborted. r is
 * reset first and must be cleared with img_http_resp_clear. */
int img_http_do(const struct img_http_req *q, struct img_http_resp *r, cc_error **err);
void img_http_resp_clear(struct img_http_resp *r);

/* True for transport failures worth retrying (reset, timeout, partial). */
bool img_http_retryable(int rc);

/* A curl share for connection, DNS and TLS session reuse across threads
 * (with its locks). NULL on failure. */
struct img_http_share *img_http_share_new(void);
void img_http_share_free(struct img_http_share *s);

#endif
