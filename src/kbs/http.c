/* The HTTP adapter (http.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "metrics.h"
#include "session.h"

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void read_request(const cc_httpd_req *r, struct kbs_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = cc_httpd_req_method(r);
	req->path = cc_httpd_req_path(r);
	req->query = cc_httpd_req_query(r);
	req->body = cc_httpd_req_body(r, &req->body_len);
	const char *v;
	size_t n;
	if (cc_httpd_req_cookie(r, KBS_SESSION_COOKIE, &v, &n, NULL) == 0) {
		req->session_id = v;
		req->session_id_len = n;
	}
	int b = cc_httpd_req_bearer(r, &v, &n, NULL);
	if (b == 0) {
		req->bearer = v;
		req->bearer_len = n;
	} else if (b != -ENOENT) {
		req->bearer_err = b;
	}
}

static void log_request(kbs_ctx *ctx, const struct kbs_request *req, const cc_httpd_req *r,
                        const struct kbs_reply *rep, double secs)
{
	if (rep->err_variant == NULL) {
		cc_log_msg(ctx->log, CC_LOG_DEBUG,
		           "event=request method=%s path=%.256s status=%d ms=%.3f peer=%s", req->method,
		           req->path, rep->status, secs * 1e3, cc_httpd_req_peer(r));
		return;
	}
	cc_log_msg(ctx->log, rep->status >= 500 ? CC_LOG_ERROR : CC_LOG_INFO,
	           "event=request method=%s path=%.256s status=%d ms=%.3f peer=%s error=%s "
	           "detail=\"%s\"",
	           req->method, req->path, rep->status, secs * 1e3, cc_httpd_req_peer(r),
	           rep->err_variant, rep->err_detail != NULL ? rep->err_detail : "");
}

int kbs_http_handler(const cc_httpd_req *r, cc_httpd_resp *resp, void *arg)
{
	kbs_ctx *ctx = arg;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct kbs_request req;
	read_request(r, &req);
	bool counted = strncmp(req.path, "/kbs", 4) == 0;
	if (counted)
		kbs_metrics_begin(ctx->metrics, req.body_len);
	struct kbs_reply rep;
	kbs_reply_init(&rep);
	kbs_route(ctx, &req, &rep);
	int st = rep.status;
	if ((rep.content_type != NULL &&
	     cc_httpd_resp_header(resp, "Content-Type", rep.content_type, NULL) < 0) ||
	    (rep.set_cookie != NULL &&
	     cc_httpd_resp_header(resp, "Set-Cookie", rep.set_cookie, NULL) < 0) ||
	    (rep.body.len > 0 && cc_httpd_resp_body(resp, rep.body.p, rep.body.len, NULL) < 0))
		st = 500;
	double secs = elapsed(&t0);
	if (counted)
		kbs_metrics_end(ctx->metrics, secs, rep.body.len);
	log_request(ctx, &req, r, &rep, secs);
	kbs_reply_free(&rep);
	return st;
}
