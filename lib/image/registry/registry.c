/* Registry client (registry.h). */
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "http.h"
#include "manifest.h"

#define MAX_EASY 8

struct img_registry {
	char *host, *path, *name;
	struct img_registry_opts o;
	img_creds creds;            /* may be empty */
	struct img_http_tls tls;
	char *ca_pem, *cert_file, *key_file;
	struct img_http_share *share;
	pthread_mutex_t mu;         /* guards everything below */
	char *base;                 /* "https://host" or "http://host", once known */
	enum { AUTH_NONE, AUTH_BASIC, AUTH_BEARER } auth;
	char *realm, *service;      /* bearer challenge */
	char *token;                /* bearer token (secret) */
	time_t token_expiry;
	bool token_push;            /* the token covers push */
	CURL *easy[MAX_EASY];       /* idle handles (keep connections) */
	size_t neasy;
};

void img_registry_opts_init(struct img_registry_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tls_verify = true;
	o->low_speed_time = 60;
	o->retries = 3;
	o->retry_delay_ms = 200;
}

const char *img_registry_name(const img_registry *r)
{
	return r->name;
}

static void wipe_str(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void img_registry_free(img_registry *r)
{
	if (r == NULL)
		return;
	free(r->host);
	free(r->path);
	free(r->name);
	img_creds_clear(&r->creds);
	/* the easy handles use the share: they go first */
	for (size_t i = 0; i < r->neasy; i++)
		curl_easy_cleanup(r->easy[i]);
	img_http_share_free(r->share);
	free(r->ca_pem);
	free(r->cert_file);
	free(r->key_file);
	free(r->base);
	free(r->realm);
	free(r->service);
	wipe_str(r->token);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* ---- certificates directory (containers-certs.d) --------------------------- */

static int append_file(cc_buf *b, const char *path, cc_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	char buf[8192];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
		if (n == 0)
			break;
		if (cc_buf_add(b, buf, (size_t)n) < 0)
			return cc_error_set(err, -E2BIG, "%s: certificates too large", path);
	}
	return cc_buf_addc(b, '\n') < 0 ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
}

/* Reads cert_dir: every *.crt joins the system CAs; a *.cert with its
 * *.key is the client certificate. */
static int load_cert_dir(img_registry *r, const char *dir, cc_error **err)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return cc_error_set(err, -errno, "certificate directory %s: %s", dir, strerror(errno));
	cc_buf pem;
	cc_buf_init(&pem, 16u * 1024u * 1024u);
	int rc = append_file(&pem, "/etc/ssl/certs/ca-certificates.crt", NULL);
	(void)rc; /* no system bundle: only the directory's CAs */
	rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			rc = cc_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		if (n > 4 && strcmp(e->d_name + n - 4, ".crt") == 0) {
			rc = append_file(&pem, path, err);
			free(path);
		} else if (n > 5 && strcmp(e->d_name + n - 5, ".cert") == 0) {
			char *key = NULL;
			if (asprintf(&key, "%s/%.*s.key", dir, (int)(n - 5), e->d_name) < 0) {
				free(path);
				rc = cc_error_set(err, -ENOMEM, "out of memory");
				break;
			}
			if (access(key, R_OK) != 0) {
				rc = cc_error_set(err, -ENOENT, "client certificate %s has no key %s", path, key);
				free(path);
				free(key);
				break;
			}
			free(r->cert_file);
			free(r->key_file);
			r->cert_file = path;
			r->key_file = key;
		} else {
			free(path);
		}
	}
	closedir(d);
	if (rc < 0) {
		cc_buf_free(&pem);
		return rc;
	}
	r->ca_pem = cc_buf_steal(&pem, &r->tls.ca_pem_len);
	r->tls.ca_pem = r->ca_pem;
	r->tls.cert_file = r->cert_file;
	r->tls.key_file = r->key_file;
	return r->ca_pem ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
}

int img_registry_new(const img_ref *ref, const struct img_registry_opts *opts, img_registry **ret,
                     cc_error **err)
{
	img_registry *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&r->mu, NULL);
	if (opts)
		r->o = *opts;
	else
		img_registry_opts_init(&r->o);
	r->o.cert_dir = NULL;
	r->o.creds = NULL;
	r->o.auth_file = NULL;
	r->tls.insecure = !r->o.tls_verify;
	r->host = strdup(img_ref_api_host(ref));
	r->path = strdup(img_ref_path(ref));
	r->name = strdup(img_ref_name(ref));
	r->share = img_http_share_new();
	int rc = 0;
	if (!r->host || !r->path || !r->name || !r->share) {
		rc = cc_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (opts && opts->cert_dir && (rc = load_cert_dir(r, opts->cert_dir, err)) < 0)
		goto fail;
	if (opts && opts->creds) {
		r->creds.user = strdup(opts->creds->user);
		r->creds.password = strdup(opts->creds->password);
		if (!r->creds.user || !r->creds.password) {
			rc = cc_error_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
	} else if (!(opts && opts->auth_file && opts->auth_file[0] == '\0')) {
		_cleanup_free_ char *path = opts && opts->auth_file ? strdup(opts->auth_file)
		                                                     : img_auth_file_default();
		if (path) {
			rc = img_auth_file_lookup(path, img_ref_name(ref), &r->creds, err);
			if (rc == -ENOENT)
				rc = 0;
			if (rc < 0)
				goto fail;
		}
	}
	*ret = r;
	return 0;
fail:
	img_registry_free(r);
	return rc;
}

/* ---- handles ---------------------------------------------------------------- */

static CURL *take_easy(img_registry *r)
{
	pthread_mutex_lock(&r->mu);
	CURL *c = r->neasy ? r->easy[--r->neasy] : NULL;
	pthread_mutex_unlock(&r->mu);
	return c ? c : curl_easy_init();
}

static void give_easy(img_registry *r, CURL *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	if (r->neasy < MAX_EASY) {
		r->easy[r->neasy++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&r->mu);
	if (c)
		curl_easy_cleanup(c);
}

/* ---- errors ------------------------------------------------------------------- */

/* "CODE: message" from a registry's JSON error body, or a short excerpt. */
static void error_text(const struct img_http_resp *resp, char *out, size_t n)
{
	out[0] = '\0';
	if (resp->body.len == 0)
		return;
	json_t *root = json_loadb(resp->body.p, resp->body.len, JSON_REJECT_DUPLICATES, NULL);
	json_t *e0 = json_array_get(json_object_get(root, "errors"), 0);
	const char *code = json_string_value(json_object_get(e0, "code"));
	const char *msg = json_string_value(json_object_get(e0, "message"));
	if (code || msg) {
		snprintf(out, n, "%.60s%s%.200s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
	} else {
		size_t len = resp->body.len > 120 ? 120 : resp->body.len;
		size_t o = 0;
		for (size_t i = 0; i < len && o + 1 < n; i++) {
			unsigned char c = (unsigned char)resp->body.p[i];
			out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
		}
		out[o] = '\0';
	}
	json_decref(root);
}

static int status_error(img_registry *r, const char *what, const struct img_http_resp *resp,
                        cc_error **err)
{
	char txt[300];
	error_text(resp, txt, sizeof(txt));
	int code = resp->status == 404 ? -ENOENT
	           : resp->status == 401 || resp->status == 403 ? -EACCES
	           : resp->status == 429 || resp->status >= 500 ? -EAGAIN
	           : resp->status >= 300 && resp->status < 400 ? -ELOOP
	                                                        : -EPROTO;
	if (resp->status >= 300 && resp->status < 400)
		return cc_error_set(err, code, "%s: %s: the registry redirected (HTTP %ld) and %s requests "
		                    "do not follow redirects", r->name, what, resp->status, what);
	return cc_error_set(err, code, "%s: %s: HTTP %ld%s%s", r->name, what, resp->status,
	                    txt[0] ? " " : "", txt);
}

/* ---- scheme discovery and authentication ------------------------------------- */

/* Picks https, or http when TLS verification is off and https fails to
 * connect (containers/image's fallback). Caller holds no lock. */
static int ensure_base(img_registry *r, cc_error **err)
{
	pthread_mutex_lock(&r->mu);
	bool known = r->base != NULL;
	pthread_mutex_unlock(&r->mu);
	if (known)
		return 0;
	const char *schemes[] = {"https", "http"};
	int rc = 0;
	cc_error *first = NULL;
	for (size_t i = 0; i < (r->tls.insecure ? 2u : 1u); i++) {
		char *url = NULL;
		if (asprintf(&url, "%s://%s/v2/", schemes[i], r->host) < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
		struct img_http_req q = {.method = "GET", .url = url, .tls = &r->tls, .body_fd = -1,
		                         .share = r->share, .low_speed_time = r->o.low_speed_time,
		                         .connect_timeout = 15};
		struct img_http_resp resp = {0};
		rc = img_http_do(&q, &resp, i == 0 ? &first : NULL);
		img_http_resp_clear(&resp);
		if (rc == 0) {
			pthread_mutex_lock(&r->mu);
			if (r->base == NULL)
				r->base = strndup(url, strlen(url) - 1); /* ".../v2" */
			bool ok = r->base != NULL;
			pthread_mutex_unlock(&r->mu);
			free(url);
			cc_error_free(first);
			return ok ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
		}
		free(url);
	}
	cc_error_move(err, &first);
	return cc_error_wrap(err, "registry %s unreachable%s", r->host,
	                     r->tls.insecure ? " over https and http" : "");
}

/* Asks the token server for a token covering pull (and push). */
static int fetch_token(img_registry *r, bool push, cc_error **err)
{
	pthread_mutex_lock(&r->mu);
	_cleanup_free_ char *realm = r->realm ? strdup(r->realm) : NULL;
	_cleanup_free_ char *service = r->service ? strdup(r->service) : NULL;
	pthread_mutex_unlock(&r->mu);
	if (realm == NULL)
		return cc_error_set(err, -EACCES, "%s: Bearer challenge without a realm", r->name);
	if (strncmp(realm, "https://", 8) != 0 && !(r->tls.insecure && strncmp(realm, "http://", 7) == 0))
		return cc_error_set(err, -EACCES, "%s: token realm %.200s is not https", r->name, realm);
	CURL *c = curl_easy_init();
	if (c == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	char *esvc = service ? curl_easy_escape(c, service, 0) : NULL;
	char *scope = NULL;
	if (asprintf(&scope, "repository:%s:%s", r->path, push ? "pull,push" : "pull") < 0)
		scope = NULL;
	char *escope = scope ? curl_easy_escape(c, scope, 0) : NULL;
	curl_easy_cleanup(c);
	free(scope);
	char *url = NULL;
	int n = asprintf(&url, "%s%s%s%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
	                 esvc ? "service=" : "", esvc ? esvc : "", escope ? escope : "");
	curl_free(esvc);
	curl_free(escope);
	if (n < 0 || escope == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	/* Basic credentials go to the token server, never a bearer token. */
	char *basic = NULL;
	if (r->creds.user) {
		size_t ul = strlen(r->creds.user), pl = strlen(r->creds.password);
		size_t rawn = ul + 1 + pl;
		unsigned char *raw = malloc(rawn + 1);
		basic = malloc(6 + 4 * ((rawn + 2) / 3) + 1);
		if (raw && basic) {
			memcpy(raw, r->creds.user, ul);
			raw[ul] = ':';
			memcpy(raw + ul + 1, r->creds.password, pl);
			memcpy(basic, "Basic ", 6);
			EVP_EncodeBlock((unsigned char *)basic + 6, raw, (int)rawn);
			OPENSSL_cleanse(raw, rawn);
		}
		free(raw);
		if (basic == NULL) {
			free(url);
			return cc_error_set(err, -ENOMEM, "out of memory");
		}
	}
	struct img_http_req q = {.method = "GET", .url = url, .tls = &r->tls, .body_fd = -1,
	                         .authorization = basic, .share = r->share,
	                         .low_speed_time = r->o.low_speed_time, .max_capture = CC_IMG_MAX_SMALL_BODY};
	struct img_http_resp resp = {0};
	int rc = img_http_do(&q, &resp, err);
	wipe_str(basic);
	free(url);
	if (rc < 0) {
		img_http_resp_clear(&resp);
		return cc_error_wrap(err, "%s: token server", r->name);
	}
	if (resp.status != 200) {
		rc = status_error(r, "token server", &resp, err);
		img_http_resp_clear(&resp);
		return rc == -ENOENT ? -EACCES : rc;
	}
	char *tok = NULL;
	long expires = 60;
	rc = img_token_parse(resp.body.p, resp.body.len, &tok, &expires, err);
	OPENSSL_cleanse(resp.body.p, resp.body.len);
	img_http_resp_clear(&resp);
	if (rc < 0)
		return cc_error_wrap(err, "%s", r->name);
	pthread_mutex_lock(&r->mu);
	wipe_str(r->token);
	r->token = tok;
	r->token_push = push;
	r->token_expiry = time(NULL) + expires - 5;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/* Learns the scheme from a 401's challenges. */
static int handle_challenge(img_registry *r, const struct img_http_resp *resp, bool push,
                            cc_error **err)
{
	if (resp->www_authenticate == NULL)
		return cc_error_set(err, -EACCES, "%s: HTTP 401 without a WWW-Authenticate challenge", r->name);
	img_challenge *ch = NULL;
	size_t n = 0;
	int rc = img_challenges_parse(resp->www_authenticate, strlen(resp->www_authenticate), &ch, &n, err);
	if (rc < 0)
		return cc_error_wrap(err, "%s", r->name);
	rc = cc_error_set(err, -EACCES, "%s: unsupported authentication scheme %.40s", r->name, ch[0].scheme);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ch[i].scheme, "bearer") == 0) {
			pthread_mutex_lock(&r->mu);
			free(r->realm);
			free(r->service);
			r->realm = ch[i].realm ? strdup(ch[i].realm) : NULL;
			r->service = ch[i].service ? strdup(ch[i].service) : NULL;
			r->auth = AUTH_BEARER;
			pthread_mutex_unlock(&r->mu);
			if (err && *err) {
				cc_error_free(*err);
				*err = NULL;
			}
			rc = fetch_token(r, push, err);
			break;
		}
		if (strcmp(ch[i].scheme, "basic") == 0) {
			if (err && *err) {
				cc_error_free(*err);
				*err = NULL;
			}
			if (r->creds.user == NULL) {
				rc = cc_error_set(err, -EACCES, "%s: the registry wants a user name and password "
				                  "(--creds or an auth file entry)", r->name);
			} else {
				pthread_mutex_lock(&r->mu);
				r->auth = AUTH_BASIC;
				pthread_mutex_unlock(&r->mu);
				rc = 0;
			}
			break;
		}
	}
	img_challenges_free(ch, n);
	return rc;
}

/* The Authorization value for the current state (a new string), or NULL. */
static char *authorization(img_registry *r, bool push)
{
	char *a = NULL;
	pthread_mutex_lock(&r->mu);
	if (r->auth == AUTH_BEARER && r->token && (!push || r->token_push) && time(NULL) < r->token_expiry) {
		if (asprintf(&a, "Bearer %s", r->token) < 0)
			a = NULL;
	} else if (r->auth == AUTH_BASIC && r->creds.user) {
		size_t ul = strlen(r->creds.user), pl = strlen(r->creds.password), rawn = ul + 1 + pl;
		unsigned char *raw = malloc(rawn);
		a = malloc(6 + 4 * ((rawn + 2) / 3) + 1);
		if (raw && a) {
			memcpy(raw, r->creds.user, ul);
			raw[ul] = ':';
			memcpy(raw + ul + 1, r->creds.password, pl);
			memcpy(a, "Basic ", 6);
			EVP_EncodeBlock((unsigned char *)a + 6, raw, (int)rawn);
			OPENSSL_cleanse(raw, rawn);
		} else {
			free(a);
			a = NULL;
		}
		free(raw);
	}
	bool need_token = r->auth == AUTH_BEARER && a == NULL;
	pthread_mutex_unlock(&r->mu);
	if (need_token) {
		/* expired, or pull-only and push needed: ask again */
		if (fetch_token(r, push, NULL) == 0) {
			pthread_mutex_lock(&r->mu);
			if (r->token && asprintf(&a, "Bearer %s", r->token) < 0)
				a = NULL;
			pthread_mutex_unlock(&r->mu);
		}
	}
	return a;
}

/* Runs q against path (appended to the base URL) with authentication: a
 * 401 triggers the challenge flow and one more try. resp is the final
 * answer. before_retry (may be NULL) resets the sink's state. */
static int request(img_registry *r, struct img_http_req *q, const char *path, bool push,
                   struct img_http_resp *resp, void (*before_retry)(void *), void *ctx,
                   cc_error **err)
{
	int rc = ensure_base(r, err);
	if (rc < 0)
		return rc;
	char *url = NULL;
	pthread_mutex_lock(&r->mu);
	int n = asprintf(&url, "%s%s", r->base, path);
	pthread_mutex_unlock(&r->mu);
	if (n < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	q->url = url;
	q->tls = &r->tls;
	q->share = r->share;
	if (q->low_speed_time == 0)
		q->low_speed_time = r->o.low_speed_time;
	CURL *easy = take_easy(r);
	q->easy = easy;
	for (int attempt = 0; attempt < 2; attempt++) {
		char *auth = authorization(r, push);
		q->authorization = auth;
		rc = img_http_do(q, resp, err);
		wipe_str(auth);
		q->authorization = NULL;
		if (rc < 0 || resp->status != 401 || attempt == 1)
			break;
		if ((rc = handle_challenge(r, resp, push, err)) < 0)
			break;
		if (before_retry)
			before_retry(ctx);
	}
	give_easy(r, easy);
	q->easy = NULL;
	free(url);
	q->url = NULL;
	return rc;
}

/* ---- manifests -------------------------------------------------------------- */

void img_fetched_clear(img_fetched *f)
{
	free(f->body);
	free(f->content_type);
	memset(f, 0, sizeof(*f));
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* True when a GET that ended with (rc, status) deserves another attempt. */
static bool transient(int rc, long status)
{
	return img_http_retryable(rc) || (rc == 0 && (status == 429 || status >= 500));
}

int img_registry_get_manifest(img_registry *r, const char *object, img_fetched *ret,
                              cc_error **err)
{
	img_digest want;
	bool by_digest = strchr(object, ':') != NULL;
	if (by_digest && img_digest_parse(object, strlen(object), &want, err) < 0)
		return cc_error_wrap(err, "%s", r->name);
	char *path = NULL;
	if (asprintf(&path, "/%s/manifests/%s", r->path, object) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct img_http_resp resp = {0};
	int rc = 0;
	unsigned delay = r->o.retry_delay_ms ? r->o.retry_delay_ms : 200;
	for (unsigned attempt = 0;; attempt++) {
		struct img_http_req q = {.method = "GET", .accept = IMG_MANIFEST_ACCEPT, .body_fd = -1,
		                         .max_capture = CC_IMG_MAX_MANIFEST_BYTES};
		cc_error *e = NULL;
		rc = request(r, &q, path, false, &resp, NULL, NULL, &e);
		if (transient(rc, resp.status) && attempt < r->o.retries) {
			cc_error_free(e);
			sleep_ms(delay);
			delay *= 2;
			continue;
		}
		cc_error_move(err, &e);
		break;
	}
	free(path);
	if (rc == -EFBIG) {
		img_http_resp_clear(&resp);
		return cc_error_wrap(err, "%s: manifest %s", r->name, object);
	}
	if (rc < 0) {
		img_http_resp_clear(&resp);
		return rc;
	}
	if (resp.status != 200) {
		char what[160];
		snprintf(what, sizeof(what), "manifest %.100s", object);
		rc = status_error(r, what, &resp, err);
		img_http_resp_clear(&resp);
		return rc;
	}
	img_fetched f = {0};
	rc = img_digest_bytes(by_digest ? want.alg : IMG_DIGEST_SHA256, resp.body.p, resp.body.len,
	                      &f.digest, err);
	if (rc == 0 && by_digest && !img_digest_eq(&f.digest, &want)) {
		char h[IMG_DIGEST_STR_MAX];
		rc = cc_error_set(err, -EBADMSG, "%s: manifest %s: the registry sent content with digest %s",
		                  r->name, object, img_digest_format(&f.digest, h));
	}
	if (rc == 0 && resp.docker_content_digest) {
		img_digest hd;
		if (img_digest_parse(resp.docker_content_digest, strlen(resp.docker_content_digest), &hd,
		                     NULL) == 0 && hd.alg == f.digest.alg && !img_digest_eq(&hd, &f.digest))
			rc = cc_error_set(err, -EBADMSG, "%s: manifest %s: Docker-Content-Digest does not match the content",
			                  r->name, object);
	}
	if (rc == 0) {
		f.content_type = resp.content_type ? strdup(resp.content_type) : NULL;
		f.body = cc_buf_steal(&resp.body, &f.len);
		if (f.body == NULL || (resp.content_type && f.content_type == NULL)) {
			img_fetched_clear(&f);
			rc = cc_error_set(err, -ENOMEM, "out of memory");
		}
	}
	img_http_resp_clear(&resp);
	if (rc == 0)
		*ret = f;
	return rc;
}

/* ---- blobs -------------------------------------------------------------------- */

struct blob_sink {
	img_registry *r;
	int fd;
	off_t base;               /* fd offset of byte 0 */
	uint64_t size, got, attempt_start;
	bool first;               /* next write is the first of this attempt */
	img_hasher *h;
	struct img_http_resp *resp;
	img_progress_fn progress;
	void *ctx;
	cc_error **err;
	const img_digest *digest;
	/* memory target instead of fd */
	cc_buf *mem;
};

static int blob_restart(struct blob_sink *s)
{
	img_hasher *h = img_hasher_new(s->digest->alg);
	if (h == NULL)
		return -ENOMEM;
	img_hasher_free(s->h);
	s->h = h;
	s->got = 0;
	if (s->mem) {
		s->mem->len = 0;
		return 0;
	}
	if (ftruncate(s->fd, s->base) < 0 || lseek(s->fd, s->base, SEEK_SET) < 0)
		return -errno;
	return 0;
}

/* "bytes START-END/TOTAL": START must be where we are. */
static bool range_ok(const char *cr, uint64_t start)
{
	if (cr == NULL || strncmp(cr, "bytes ", 6) != 0)
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(cr + 6, &end, 10);
	return errno == 0 && end != cr + 6 && *end == '-' && v == start;
}

static int blob_write(void *ctx, const void *p, size_t n)
{
	struct blob_sink *s = ctx;
	char dg[IMG_DIGEST_STR_MAX];
	if (s->first) {
		s->first = false;
		bool resumed = s->resp->status == 206 && range_ok(s->resp->content_range, s->got);
		if (!resumed && s->got > 0) {
			int rc = blob_restart(s); /* the registry sent the whole blob again */
			if (rc < 0)
				return cc_error_set(s->err, rc, "blob %s: cannot restart: %s",
				                    img_digest_format(s->digest, dg), strerror(-rc));
		}
	}
	if (n > s->size - s->got)
		return cc_error_set(s->err, -EFBIG, "%s: blob %s: more than the %" PRIu64 " bytes its descriptor gives",
		                    s->r->name, img_digest_format(s->digest, dg), s->size);
	if (s->mem) {
		if (cc_buf_add(s->mem, p, n) < 0)
			return cc_error_set(s->err, -ENOMEM, "out of memory");
	} else {
		const char *q = p;
		size_t left = n;
		while (left > 0) {
			ssize_t w = write(s->fd, q, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return cc_error_set(s->err, -errno, "blob %s: write: %s",
				                    img_digest_format(s->digest, dg), strerror(errno));
			q += w;
			left -= (size_t)w;
		}
	}
	img_hasher_update(s->h, p, n);
	s->got += n;
	if (s->progress)
		s->progress(s->ctx, s->got, s->size);
	return 0;
}

/* Downloads into s (fd or memory) with retries and resumption. */
static int get_blob(img_registry *r, struct blob_sink *s, cc_error **err)
{
	char dg[IMG_DIGEST_STR_MAX];
	img_digest_format(s->digest, dg);
	char *path = NULL;
	if (asprintf(&path, "/%s/blobs/%s", r->path, dg) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	s->h = img_hasher_new(s->digest->alg);
	if (s->h == NULL) {
		free(path);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	struct img_http_resp resp = {0};
	unsigned delay = r->o.retry_delay_ms ? r->o.retry_delay_ms : 200;
	int rc = 0;
	for (unsigned attempt = 0;; attempt++) {
		char range[48];
		snprintf(range, sizeof(range), "%" PRIu64 "-", s->got);
		struct img_http_req q = {.method = "GET", .body_fd = -1, .follow_redirects = true,
		                         .range = s->got > 0 ? range : NULL, .sink = blob_write,
		                         .sink_ctx = s};
		s->first = true;
		s->resp = &resp;
		cc_error *e = NULL;
		s->err = &e;
		rc = request(r, &q, path, false, &resp, NULL, NULL, &e);
		bool complete = rc == 0 && (resp.status == 200 || resp.status == 206) && s->got == s->size;
		bool short_body = rc == 0 && (resp.status == 200 || resp.status == 206) && s->got < s->size;
		if (!complete && (transient(rc, resp.status) || short_body) && attempt < r->o.retries) {
			cc_error_free(e);
			sleep_ms(delay);
			delay *= 2;
			continue;
		}
		if (rc < 0) {
			cc_error_move(err, &e);
			if (rc != -EFBIG)
				cc_error_wrap(err, "%s: blob %s", r->name, dg);
		} else if (resp.status != 200 && resp.status != 206) {
			cc_error_free(e);
			char what[IMG_DIGEST_STR_MAX + 8];
			snprintf(what, sizeof(what), "blob %s", dg);
			rc = status_error(r, what, &resp, err);
		} else if (short_body) {
			cc_error_free(e);
			rc = cc_error_set(err, -EBADMSG, "%s: blob %s: truncated: %" PRIu64 " of %" PRIu64
			                  " bytes after %u attempts", r->name, dg, s->got, s->size, attempt + 1);
		} else {
			cc_error_free(e);
		}
		break;
	}
	img_http_resp_clear(&resp);
	free(path);
	if (rc == 0) {
		img_digest have;
		img_hasher_final(s->h, &have);
		if (!img_digest_eq(&have, s->digest)) {
			char h[IMG_DIGEST_STR_MAX];
			rc = cc_error_set(err, -EBADMSG, "%s: blob %s: digest mismatch: the registry sent %s",
			                  r->name, dg, img_digest_format(&have, h));
		}
	}
	img_hasher_free(s->h);
	s->h = NULL;
	return rc;
}

int img_registry_get_blob(img_registry *r, const img_digest *digest, int64_t size, int fd,
                          img_progress_fn progress, void *ctx, cc_error **err)
{
	if (size < 0 || (uint64_t)size > CC_IMG_MAX_BLOB_BYTES)
		return cc_error_set(err, -EFBIG, "%s: blob size %lld is out of range", r->name, (long long)size);
	off_t base = lseek(fd, 0, SEEK_CUR);
	if (base < 0)
		return cc_error_set(err, -errno, "blob file: %s", strerror(errno));
	struct blob_sink s = {.r = r, .fd = fd, .base = base, .size = (uint64_t)size,
	                      .progress = progress, .ctx = ctx, .digest = digest};
	return get_blob(r, &s, err);
}

int img_registry_get_blob_mem(img_registry *r, const img_digest *digest, int64_t size, size_t max,
                              char **ret_body, size_t *ret_len, cc_error **err)
{
	if (size < 0 || size > (int64_t)max)
		return cc_error_set(err, -EFBIG, "%s: blob of %lld bytes, more than %zu", r->name,
		                    (long long)size, max);
	cc_buf mem;
	cc_buf_init(&mem, max);
	struct blob_sink s = {.r = r, .fd = -1, .size = (uint64_t)size, .digest = digest, .mem = &mem};
	int rc = get_blob(r, &s, err);
	if (rc < 0) {
		cc_buf_free(&mem);
		return rc;
	}
	*ret_body = cc_buf_steal(&mem, ret_len);
	return *ret_body ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
}

int img_registry_blob_exists(img_registry *r, const img_digest *digest, bool *ret, cc_error **err)
{
	char dg[IMG_DIGEST_STR_MAX], *path = NULL;
	if (asprintf(&path, "/%s/blobs/%s", r->path, img_digest_format(digest, dg)) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct img_http_req q = {.method = "HEAD", .body_fd = -1};
	struct img_http_resp resp = {0};
	int rc = request(r, &q, path, true, &resp, NULL, NULL, err);
	free(path);
	if (rc == 0) {
		if (resp.status == 200)
			*ret = true;
		else if (resp.status == 404)
			*ret = false;
		else
			rc = status_error(r, "blob check", &resp, err);
	}
	img_http_resp_clear(&resp);
	return rc;
}

/* Resolves an upload Location (absolute or relative to the base). */
static char *upload_url(img_registry *r, const char *loc, const char *digest)
{
	char *u = NULL;
	const char *sep = strchr(loc, '?') ? "&" : "?";
	int n;
	if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0) {
		/* credentials go with the PUT: only to the registry's own host */
		const char *h = strstr(loc, "://") + 3;
		size_t hl = strcspn(h, "/?#");
		if (hl != strlen(r->host) || strncmp(h, r->host, hl) != 0)
			return NULL;
		n = asprintf(&u, "%s%sdigest=%s", loc, sep, digest);
	} else {
		pthread_mutex_lock(&r->mu);
		n = asprintf(&u, "%s%s%s%sdigest=%s", r->base, loc[0] == '/' ? "" : "/", loc, sep, digest);
		pthread_mutex_unlock(&r->mu);
	}
	return n < 0 ? NULL : u;
}

int img_registry_put_blob(img_registry *r, const img_digest *digest, int64_t size, int fd,
                          cc_error **err)
{
	char dg[IMG_DIGEST_STR_MAX], *path = NULL;
	img_digest_format(digest, dg);
	if (asprintf(&path, "/%s/blobs/uploads/", r->path) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct img_http_req q = {.method = "POST", .body_fd = -1};
	struct img_http_resp resp = {0};
	int rc = request(r, &q, path, true, &resp, NULL, NULL, err);
	free(path);
	if (rc == 0 && resp.status != 202)
		rc = status_error(r, "start blob upload", &resp, err);
	if (rc == 0 && resp.location == NULL)
		rc = cc_error_set(err, -EPROTO, "%s: blob upload answer without Location", r->name);
	if (rc < 0) {
		img_http_resp_clear(&resp);
		return rc;
	}
	_cleanup_free_ char *url = upload_url(r, resp.location, dg);
	if (url == NULL) {
		rc = cc_error_set(err, -EPROTO, "%s: blob upload Location %.200s is not on %s", r->name,
		                  resp.location, r->host);
		img_http_resp_clear(&resp);
		return rc;
	}
	img_http_resp_clear(&resp);
	/* The Location is a full URL: send it as is (no base prepended). */
	char *auth = authorization(r, true);
	struct img_http_req put = {.method = "PUT", .url = url, .tls = &r->tls, .share = r->share,
	                           .body_fd = fd, .body_fd_len = size, .authorization = auth,
	                           .low_speed_time = r->o.low_speed_time};
	rc = img_http_do(&put, &resp, err);
	wipe_str(auth);
	if (rc == 0 && resp.status != 201)
		rc = status_error(r, "blob upload", &resp, err);
	img_http_resp_clear(&resp);
	return rc < 0 ? cc_error_wrap(err, "blob %s", dg) : 0;
}

int img_registry_put_manifest(img_registry *r, const char *object, const void *body, size_t len,
                              const char *media_type, cc_error **err)
{
	char *path = NULL;
	if (asprintf(&path, "/%s/manifests/%s", r->path, object) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct img_http_req q = {.method = "PUT", .body = body, .body_len = len, .body_fd = -1,
	                         .content_type = media_type};
	struct img_http_resp resp = {0};
	int rc = request(r, &q, path, true, &resp, NULL, NULL, err);
	free(path);
	if (rc == 0 && resp.status != 201 && resp.status != 200)
		rc = status_error(r, "manifest upload", &resp, err);
	img_http_resp_clear(&resp);
	return rc;
}
