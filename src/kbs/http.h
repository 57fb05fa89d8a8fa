/* The HTTP adapter (http.c): lib/httpd's handler for cocoon-kbs. It reads
 * a request into a kbs_request (cookie and Bearer token parsed by
 * lib/httpd), routes it, writes the reply, counts it in the metrics and
 * logs one line per request: method, path, status, duration, peer, and
 * for an error its variant and detail. Never a query, a header, a cookie,
 * a token or a body. */
#ifndef COCOON_KBS_HTTP_H
#define COCOON_KBS_HTTP_H

#include "httpd.h"
#include "kbs.h"

/* arg is the kbs_ctx. */
int kbs_http_handler(const cc_httpd_req *r, cc_httpd_resp *resp, void *arg);

#endif
