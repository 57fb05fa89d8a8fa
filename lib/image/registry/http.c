/* One HTTP request over libcurl (http.h). */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cocoon/limits.h"

struct img_http_share {
	CURLSH *sh;
	pthread_mutex_t mu[CURL_LOCK_DATA_LAST];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void img_http_resp_clear(struct img_http_resp *r)
{
	free(r->content_type);
	free(r->www_authenticate);
	free(r->location);
	free(r->docker_content_digest);
	free(r->content_range);
	free(r->effective_url);
	cc_buf_free(&r->body);
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
}

struct xfer {
	const struct img_http_req *q;
	struct img_http_resp *r;
	CURL *curl;
	int abort_rc;
	int64_t body_left;
};

/* Keeps one header value (the first of its name per answer). */
static void keep(char **slot, const char *v, size_t n)
{
	if (*slot == NULL)
		*slot = strndup(v, n);
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb, len = n;
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new answer (after a redirect or 100-continue): forget headers */
		struct img_http_resp *r = x->r;
		free(r->content_type);
		free(r->www_authenticate);
		free(r->location);
		free(r->docker_content_digest);
		free(r->content_range);
		r->content_type = r->www_authenticate = r->location = NULL;
		r->docker_content_digest = r->content_range = NULL;
		r->content_length = -1;
		/* the status as it arrives, for sinks that look at it */
		const char *sp = memchr(p, ' ', len);
		if (sp && (size_t)(sp - p) + 4 <= len && sp[1] >= '1' && sp[1] <= '5')
			r->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
		return n;
	}
	const char *colon = memchr(p, ':', len);
	if (colon == NULL)
		return n;
	size_t kn = (size_t)(colon - p);
	const char *v = colon + 1;
	size_t vn = len - kn - 1;
	while (vn > 0 && (*v == ' ' || *v == '\t'))
		v++, vn--;
	if (memchr(v, '\0', vn))
		return n; /* a NUL in a header: ignore the header */
	struct img_http_resp *r = x->r;
#define IS(name) (kn == sizeof(name) - 1 && strncasecmp(p, name, kn) == 0)
	if (IS("Content-Type"))
		keep(&r->content_type, v, vn);
	else if (IS("WWW-Authenticate"))
		keep(&r->www_authenticate, v, vn);
	else if (IS("Location"))
		keep(&r->location, v, vn);
	else if (IS("Docker-Content-Digest"))
		keep(&r->docker_content_digest, v, vn);
	else if (IS("Content-Range"))
		keep(&r->content_range, v, vn);
	else if (IS("Content-Length")) {
		char buf[32];
		if (vn < sizeof(buf)) {
			memcpy(buf, v, vn);
			buf[vn] = '\0';
			char *end;
			errno = 0;
			long long cl = strtoll(buf, &end, 10);
			if (errno == 0 && end != buf && *end == '\0' && cl >= 0)
				r->content_length = cl;
		}
	}
#undef IS
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300 && x->q->sink) {
		int rc = x->q->sink(x->q->sink_ctx, p, n);
		if (rc < 0) {
			x->abort_rc = rc;
			return 0; /* aborts the transfer */
		}
		return n;
	}
	size_t cap = x->q->max_capture ? x->q->max_capture : CC_IMG_MAX_SMALL_BODY;
	if (x->r->body.len + n > cap) {
		x->r->capture_truncated = true;
		x->abort_rc = -EFBIG;
		return 0;
	}
	if (cc_buf_add(&x->r->body, p, n) < 0) {
		x->abort_rc = -ENOMEM;
		return 0;
	}
	return n;
}

static size_t on_read(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	if ((int64_t)n > x->body_left)
		n = (size_t)x->body_left;
	if (n == 0)
		return 0;
	for (;;) {
		ssize_t got = read(x->q->body_fd, p, n);
		if (got > 0) {
			x->body_left -= got;
			return (size_t)got;
		}
		if (got == 0) {
			x->abort_rc = -EIO;
			return CURL_READFUNC_ABORT; /* file shorter than announced */
		}
		if (errno != EINTR) {
			x->abort_rc = -errno;
			return CURL_READFUNC_ABORT;
		}
	}
}

static int map_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST: return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return -EPROTO;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return -ECONNRESET;
	case CURLE_PARTIAL_FILE: return -EPIPE;
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -ELOOP;
	default: return -EIO;
	}
}

bool img_http_retryable(int rc)
{
	return rc == -ETIMEDOUT || rc == -ECONNRESET || rc == -EPIPE;
}

static int setup(struct xfer *x, struct curl_slist **hdrs, char *errbuf)
{
	const struct img_http_req *q = x->q;
	CURL *c = x->curl;
	const struct img_http_tls *tls = q->tls;
	bool insecure = tls && tls->insecure;
	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, insecure ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, insecure ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, q->follow_redirects ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "cocoon/" "0.1");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, q->connect_timeout > 0 ? q->connect_timeout : 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, q->low_speed_time > 0 ? q->low_speed_time : 60L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, insecure ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, insecure ? 0L : 2L);
	if (tls && tls->ca_pem) {
		struct curl_blob blob = {(void *)tls->ca_pem, tls->ca_pem_len, CURL_BLOB_COPY};
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (tls && tls->cert_file)
		curl_easy_setopt(c, CURLOPT_SSLCERT, tls->cert_file);
	if (tls && tls->key_file)
		curl_easy_setopt(c, CURLOPT_SSLKEY, tls->key_file);
	if (q->share)
		curl_easy_setopt(c, CURLOPT_SHARE, q->share->sh);
	if (q->range)
		curl_easy_setopt(c, CURLOPT_RANGE, q->range);
	if (strcmp(q->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(q->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
		if (q->body_fd >= 0) {
			x->body_left = q->body_fd_len;
			curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, x);
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_fd_len);
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body ? q->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
		}
	}
	char line[CC_IMG_MAX_REF_BYTES + 64];
	const struct {
		const char *name, *value;
	} h[] = {{"Accept", q->accept},
	         {"Content-Type", q->content_type ? q->content_type : (q->body || q->body_fd >= 0) ? "application/octet-stream" : NULL},
	         {"Expect", ""}};
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		if (h[i].value == NULL)
			continue;
		snprintf(line, sizeof(line), "%s:%s%s", h[i].name, *h[i].value ? " " : "", h[i].value);
		struct curl_slist *n = curl_slist_append(*hdrs, line);
		if (n == NULL)
			return -ENOMEM;
		*hdrs = n;
	}
	if (q->authorization) {
		/* built on the heap and wiped: the value is a secret */
		size_t alen = strlen(q->authorization) + 16;
		char *a = malloc(alen);
		if (a == NULL)
			return -ENOMEM;
		snprintf(a, alen, "Authorization: %s", q->authorization);
		struct curl_slist *n = curl_slist_append(*hdrs, a);
		OPENSSL_cleanse(a, alen);
		free(a);
		if (n == NULL)
			return -ENOMEM;
		*hdrs = n;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	return 0;
}

/* Host part of a URL for messages (never the query: it may hold tokens). */
static void url_host(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t len = strcspn(p, "/?#");
	snprintf(out, n, "%.*s", (int)(len > 200 ? 200 : len), p);
}

int img_http_do(const struct img_http_req *q, struct img_http_resp *r, cc_error **err)
{
	pthread_once(&global_once, global_init);
	img_http_resp_clear(r);
	struct xfer x = {.q = q, .r = r};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	x.curl = q->easy ? q->easy : curl_easy_init();
	if (x.curl == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory (curl)");
	if (q->easy)
		curl_easy_reset(x.curl); /* keeps its connections */
	int rc = setup(&x, &hdrs, errbuf);
	if (rc < 0) {
		curl_slist_free_all(hdrs);
		if (!q->easy)
			curl_easy_cleanup(x.curl);
		return cc_error_set(err, rc, "out of memory");
	}
	CURLcode cc = curl_easy_perform(x.curl);
	curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &r->status);
	char *eff = NULL;
	if (curl_easy_getinfo(x.curl, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff)
		r->effective_url = strdup(eff);
	curl_slist_free_all(hdrs);
	if (q->easy) {
		/* drop the references to this call's stack before returning */
		curl_easy_setopt(x.curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(x.curl, CURLOPT_ERRORBUFFER, NULL);
	} else {
		curl_easy_cleanup(x.curl);
	}
	char host[256];
	url_host(q->url, host, sizeof(host));
	if (x.abort_rc < 0) {
		r->sink_rc = x.abort_rc;
		if (x.abort_rc == -EFBIG && r->capture_truncated)
			return cc_error_set(err, -EFBIG, "%s: answer larger than %zu bytes", host,
			                    q->max_capture ? q->max_capture : (size_t)CC_IMG_MAX_SMALL_BODY);
		return x.abort_rc; /* the sink recorded its own error */
	}
	if (cc != CURLE_OK) {
		rc = map_curl(cc);
		return cc_error_set(err, rc, "%s: %s", host, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	return 0;
}

/* ---- share --------------------------------------------------------------- */

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *ud)
{
	(void)h;
	(void)a;
	struct img_http_share *s = ud;
	pthread_mutex_lock(&s->mu[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *ud)
{
	(void)h;
	struct img_http_share *s = ud;
	pthread_mutex_unlock(&s->mu[d]);
}

struct img_http_share *img_http_share_new(void)
{
	pthread_once(&global_once, global_init);
	struct img_http_share *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->mu[i], NULL);
	s->sh = curl_share_init();
	if (s->sh == NULL) {
		free(s);
		return NULL;
	}
	curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(s->sh, CURLSHOPT_USERDATA, s);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	/* Not CURL_LOCK_DATA_CONNECT: libcurl does not support sharing
	 * connections between concurrent threads; a thread reuses its own
	 * easy handle (img_http_req.easy) instead. */
	return s;
}

void img_http_share_free(struct img_http_share *s)
{
	if (s == NULL)
		return;
	curl_share_cleanup(s->sh);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->mu[i]);
	free(s);
}
