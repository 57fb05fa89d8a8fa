/* HTTP for the KBS client (kbs_client.h) over libcurl: one easy handle per
 * client (connections and TLS sessions are reused across the RCAR steps),
 * the kbs-session-id cookie kept by hand (the only cookie the protocol
 * has), answers capped as they arrive, no redirects. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "cocoon/limits.h"
#include "kbs_client.h"

#ifndef COCOON_VERSION
#define COCOON_VERSION "0"
#endif

struct kbs_http {
	CURL *curl;
	char *base;    /* scheme://authority[/prefix], no trailing '/' */
	char *ca_file; /* or NULL */
	char *ca_pem;  /* or NULL: roots as PEM text (kbs_http_set_ca_pem) */
	size_t ca_pem_len;
	char cookie[KBS_SESSION_ID_MAX + 1];
	bool have_cookie;
};

/* What one transfer collects. */
struct xfer {
	kbs_http *h;
	struct kbs_http_resp *r;
	size_t max_body;
	int abort_rc;
	char new_cookie[KBS_SESSION_ID_MAX + 1];
	bool got_cookie;
};

static int check_url(const char *url, cc_error **err)
{
	CURLU *u = curl_url();
	if (u == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	char *scheme = NULL, *host = NULL, *query = NULL, *frag = NULL, *user = NULL;
	int r = 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		r = cc_error_set(err, -EINVAL, "--url %.256s: not a URL", url);
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	         (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		r = cc_error_set(err, -EINVAL, "--url %.256s: the scheme must be http or https", url);
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0')
		r = cc_error_set(err, -EINVAL, "--url %.256s: no host", url);
	else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	         curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK)
		r = cc_error_set(err, -EINVAL, "--url %.256s: a query or fragment is not allowed",
		                 url);
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		r = cc_error_set(err, -EINVAL, "--url: credentials in the URL are not allowed");
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_free(user);
	curl_url_cleanup(u);
	return r;
}

int kbs_http_new(const char *url, const char *ca_file, kbs_http **ret, cc_error **err)
{
	static bool global_done;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return cc_error_set(err, -EIO, "libcurl initialisation failed");
		global_done = true;
	}
	int r = check_url(url, err);
	if (r < 0)
		return r;
	if (ca_file != NULL) {
		int fd = open(ca_file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cc_error_set(err, -errno, "--cert-file %s: %s", ca_file, strerror(errno));
		close(fd);
	}
	kbs_http *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	h->base = strdup(url);
	h->ca_file = ca_file != NULL ? strdup(ca_file) : NULL;
	h->curl = curl_easy_init();
	if (h->base == NULL || (ca_file != NULL && h->ca_file == NULL) || h->curl == NULL) {
		kbs_http_free(h);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	size_t n = strlen(h->base);
	while (n > 0 && h->base[n - 1] == '/')
		h->base[--n] = '\0';
	*ret = h;
	return 0;
}

int kbs_http_set_ca_pem(kbs_http *h, const char *pem, size_t len, cc_error **err)
{
	char *p = malloc(len + 1);
	if (p == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	memcpy(p, pem, len);
	p[len] = '\0';
	free(h->ca_pem);
	h->ca_pem = p;
	h->ca_pem_len = len;
	return 0;
}

void kbs_http_forget_session(kbs_http *h)
{
	OPENSSL_cleanse(h->cookie, sizeof(h->cookie));
	h->have_cookie = false;
}

void kbs_http_free(kbs_http *h)
{
	if (h == NULL)
		return;
	kbs_http_forget_session(h);
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->base);
	free(h->ca_file);
	free(h->ca_pem);
	free(h);
}

const char *kbs_http_url(const kbs_http *h)
{
	return h->base;
}

void kbs_http_resp_clear(struct kbs_http_resp *r)
{
	if (r->body.p != NULL)
		OPENSSL_cleanse(r->body.p, r->body.cap);
	cc_buf_free(&r->body);
	r->status = 0;
}

/* Length of a header line without its line end. */
static size_t line_len(const char *p, size_t n)
{
	while (n > 0 && strchr("\r\n", p[n - 1]) != NULL)
		n--;
	return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t len = line_len(p, size * nmemb);
	static const char sc[] = "Set-Cookie:";
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		x->got_cookie = false; /* a new answer (after 100 Continue) */
	} else if (len > sizeof(sc) - 1 && strncasecmp(p, sc, sizeof(sc) - 1) == 0) {
		char v[KBS_SESSION_ID_MAX + 1];
		if (kbs_set_cookie_parse(p + sizeof(sc) - 1, len - (sizeof(sc) - 1), v) == 1) {
			memcpy(x->new_cookie, v, sizeof(v));
			x->got_cookie = true;
		}
		OPENSSL_cleanse(v, sizeof(v));
	}
	return size * nmemb;
}

/* Makes room for n more bytes (and the NUL), moving the body to a new
 * buffer and wiping the old one (it may hold a token): no stale copy is
 * left behind as realloc would leave it. */
static int body_room(cc_buf *b, size_t n, size_t max)
{
	if (b->p != NULL && n < b->cap - b->len)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len <= n)
		cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
	char *q = malloc(cap);
	if (q == NULL)
		return -ENOMEM;
	if (b->p != NULL) {
		memcpy(q, b->p, b->len + 1);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = q;
	b->cap = cap;
	return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	cc_buf *b = &x->r->body;
	if (n > x->max_body - b->len) {
		x->abort_rc = -EFBIG;
		return 0;
	}
	if (body_room(b, n, x->max_body) < 0) {
		x->abort_rc = -ENOMEM;
		return 0;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* Transport failures as errno values; anything not listed is -EIO. */
static const struct {
	CURLcode c;
	int e;
} curl_errnos[] = {
	{CURLE_COULDNT_CONNECT, -ECONNREFUSED},  {CURLE_COULDNT_RESOLVE_HOST, -EHOSTUNREACH},
	{CURLE_OPERATION_TIMEDOUT, -ETIMEDOUT},  {CURLE_SSL_CONNECT_ERROR, -EPROTO},
	{CURLE_PEER_FAILED_VERIFICATION, -EPROTO}, {CURLE_SSL_CACERT_BADFILE, -EPROTO},
	{CURLE_RECV_ERROR, -ECONNRESET},         {CURLE_SEND_ERROR, -ECONNRESET},
	{CURLE_GOT_NOTHING, -ECONNRESET},        {CURLE_PARTIAL_FILE, -ECONNRESET},
	{CURLE_UNSUPPORTED_PROTOCOL, -EINVAL},
};

static int curl_errno(CURLcode c)
{
	for (size_t i = 0; i < sizeof(curl_errnos) / sizeof(curl_errnos[0]); i++)
		if (curl_errnos[i].c == c)
			return curl_errnos[i].e;
	return -EIO;
}

/* Appends "Name: value" to *l; -ENOMEM on failure. */
static int add_header(struct curl_slist **l, const char *name, const char *value)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	if (cc_buf_printf(&b, "%s: %s", name, value) < 0)
		return -ENOMEM;
	struct curl_slist *n = curl_slist_append(*l, b.p);
	OPENSSL_cleanse(b.p, b.len);
	cc_buf_free(&b);
	if (n == NULL)
		return -ENOMEM;
	*l = n;
	return 0;
}

/* Frees a header list, wiping the values (a token, the session cookie). */
static void free_headers(struct curl_slist *l)
{
	for (struct curl_slist *i = l; i != NULL; i = i->next)
		OPENSSL_cleanse(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

static int build_headers(kbs_http *h, const struct kbs_http_call *c, struct curl_slist **ret)
{
	struct curl_slist *l = NULL;
	int r = 0;
	/* no "Expect: 100-continue": the KBS answers a whole request */
	struct curl_slist *n = curl_slist_append(NULL, "Expect:");
	if (n == NULL)
		return -ENOMEM;
	l = n;
	if (c->content_type != NULL)
		r = add_header(&l, "Content-Type", c->content_type);
	if (r == 0 && c->bearer != NULL) {
		cc_buf b;
		cc_buf_init(&b, 0);
		r = cc_buf_printf(&b, "Bearer %s", c->bearer) < 0 ? -ENOMEM
		                                                   : add_header(&l, "Authorization", b.p);
		if (b.p != NULL)
			OPENSSL_cleanse(b.p, b.len);
		cc_buf_free(&b);
	}
	if (r == 0 && h->have_cookie) {
		char v[KBS_SESSION_ID_MAX + sizeof(KBS_SESSION_COOKIE) + 2];
		memcpy(v, KBS_SESSION_COOKIE "=", sizeof(KBS_SESSION_COOKIE));
		memcpy(v + sizeof(KBS_SESSION_COOKIE), h->cookie, strlen(h->cookie) + 1);
		r = add_header(&l, "Cookie", v);
		OPENSSL_cleanse(v, sizeof(v));
	}
	if (r < 0) {
		free_headers(l);
		return r;
	}
	*ret = l;
	return 0;
}

static void set_options(kbs_http *h, const struct kbs_http_call *c, const char *url,
                        struct xfer *x, struct curl_slist *hdrs, char *errbuf)
{
	CURL *k = h->curl;
	curl_easy_reset(k); /* keeps the connection and TLS session caches */
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_TIMEOUT, (long)CC_KBS_CLIENT_TIMEOUT_S);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, (long)CC_KBS_CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(k, CURLOPT_USERAGENT, "cocoon-kbs-client/" COCOON_VERSION);
	curl_easy_setopt(k, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(k, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(k, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_pem != NULL) {
		struct curl_blob blob = {.data = h->ca_pem, .len = h->ca_pem_len,
		                         .flags = CURL_BLOB_COPY};
		curl_easy_setopt(k, CURLOPT_CAINFO_BLOB, &blob);
	} else if (h->ca_file != NULL) {
		curl_easy_setopt(k, CURLOPT_CAINFO, h->ca_file);
	}
	if (strcmp(c->method, "POST") == 0) {
		curl_easy_setopt(k, CURLOPT_POSTFIELDS, c->body != NULL ? c->body : "");
		curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	} else if (strcmp(c->method, "GET") != 0) {
		curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, c->method);
	}
}

int kbs_http_do(kbs_http *h, const struct kbs_http_call *c, struct kbs_http_resp *r,
                cc_error **err)
{
	kbs_http_resp_clear(r);
	cc_buf url;
	cc_buf_init(&url, 0);
	if (cc_buf_printf(&url, "%s/kbs/v0/%s", h->base, c->path) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct curl_slist *hdrs = NULL;
	if (build_headers(h, c, &hdrs) < 0) {
		cc_buf_free(&url);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	struct xfer x = {.h = h, .r = r, .max_body = c->max_body};
	char errbuf[CURL_ERROR_SIZE] = "";
	set_options(h, c, url.p, &x, hdrs, errbuf);
	cc_buf_init(&r->body, 0);
	CURLcode cc = curl_easy_perform(h->curl);
	/* the options point into this frame: drop them before returning */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	free_headers(hdrs);
	int rc = 0;
	if (x.abort_rc == -EFBIG)
		rc = cc_error_set(err, -EFBIG, "%s %s: the answer is larger than %zu bytes", c->method,
		                  url.p, c->max_body);
	else if (x.abort_rc < 0)
		rc = cc_error_set(err, x.abort_rc, "%s %s: out of memory", c->method, url.p);
	else if (cc != CURLE_OK)
		rc = cc_error_set(err, curl_errno(cc), "%s %s: %s", c->method, url.p,
		                  errbuf[0] ? errbuf : curl_easy_strerror(cc));
	cc_buf_free(&url);
	if (rc == 0) {
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
		if (x.got_cookie) {
			memcpy(h->cookie, x.new_cookie, sizeof(h->cookie));
			h->have_cookie = true;
		}
	} else {
		kbs_http_resp_clear(r);
	}
	OPENSSL_cleanse(x.new_cookie, sizeof(x.new_cookie));
	return rc;
}

int kbs_http_status_error(const struct kbs_http_resp *r, int code, const char *what,
                          cc_error **err)
{
	char *variant = NULL, *detail = NULL;
	if (r->body.len > 0 &&
	    kbs_error_parse(r->body.p, r->body.len, &variant, &detail, NULL) == 0) {
		cc_error_set(err, code, "%s: HTTP %ld %s: %s", what, r->status, variant, detail);
		free(variant);
		free(detail);
		return code;
	}
	/* not Trustee's shape: the start of the body, if it is text */
	size_t n = r->body.len < 200 ? r->body.len : 200;
	bool text = n > 0;
	for (size_t i = 0; i < n && text; i++)
		text = (unsigned char)r->body.p[i] >= 0x20 && (unsigned char)r->body.p[i] < 0x7f;
	if (text)
		return cc_error_set(err, code, "%s: HTTP %ld: %.*s%s", what, r->status, (int)n,
		                    r->body.p, r->body.len > n ? "..." : "");
	return cc_error_set(err, code, "%s: HTTP %ld (%zu bytes of answer, not a Trustee error)",
	                    what, r->status, r->body.len);
}

char *kbs_http_escape_path(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	char *o = malloc(n * 3 + 1), *q = o;
	if (o == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/') {
			*q++ = (char)*p;
		} else {
			*q++ = '%';
			*q++ = hex[*p >> 4];
			*q++ = hex[*p & 15];
		}
	}
	*q = '\0';
	return o;
}
