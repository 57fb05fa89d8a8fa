/* Reading lookaside signatures (containers/image docker/docker_image_src.go
 * getSignaturesFromLookaside and getOneSignature; docs/signature-protocols.md):
 * "<base>/<repo>@<alg>=<hex>/signature-<N>" for N = 1, 2, ... until one is
 * missing. file:// bases are read beneath their directory (openat2 with
 * RESOLVE_BENEATH, or a walk that follows no symlink at all where openat2
 * is unavailable); http(s):// bases through libcurl. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "sig_int.h"
#include "util.h"

void sig_blobs_clear(struct sig_blobs *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].p);
		free(b->v[i].where);
		free(b->v[i].media_type);
		free(b->v[i].annotation);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

int sig_blobs_push(struct sig_blobs *b, unsigned char *p, size_t n, char *where, cc_error **err)
{
	struct sig_blob *nv = realloc(b->v, (b->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(p);
		free(where);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	b->v = nv;
	nv[b->n++] = (struct sig_blob){.p = p, .n = n, .where = where};
	return 0;
}

/* ---- file:// ---------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The local path of a file:// URL (percent-decoded; the host part must be
 * empty or "localhost"). */
static int file_url_path(const char *url, char **ret, cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	const char *p = url + strlen("file://");
	const char *slash = strchr(p, '/');
	if (slash == NULL || !(slash == p || (slash - p == 9 && memcmp(p, "localhost", 9) == 0)))
		return cc_error_set(err, -EINVAL, "lookaside \"%s\": a file URL needs an absolute path "
		                                  "on the local host",
		                    sig_quotes(url, q));
	size_t n = strlen(slash), o = 0;
	_cleanup_free_ char *out = malloc(n + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (slash[i] == '%') {
			int hi = i + 2 < n ? hexval(slash[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(slash[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return cc_error_set(err, -EINVAL, "lookaside \"%s\": bad %% escape",
				                    sig_quotes(url, q));
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (slash[i] == '?' || slash[i] == '#') {
			break; /* url.Parse drops the query and fragment from Path */
		} else {
			out[o++] = slash[i];
		}
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* Opens rel beneath dirfd without following any symlink (the fallback of
 * open_beneath). */
static int open_nofollow_walk(int dirfd, const char *rel)
{
	_cleanup_free_ char *copy = strdup(rel);
	if (copy == NULL)
		return -ENOMEM;
	int cur = dirfd;
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c != NULL;) {
		char *next = strtok_r(NULL, "/", &save);
		if (strcmp(c, "..") == 0 || strcmp(c, ".") == 0) {
			if (cur != dirfd)
				close(cur);
			return -EXDEV;
		}
		int flags = O_CLOEXEC | O_NOFOLLOW | (next ? O_PATH | O_DIRECTORY : O_RDONLY | O_NOCTTY);
		int fd = openat(cur, c, flags);
		int e = errno;
		if (cur != dirfd)
			close(cur);
		if (fd < 0)
			return -e;
		cur = fd;
		c = next;
	}
	return cur == dirfd ? -EINVAL : cur;
}

/* Opens rel beneath dirfd for reading: no ".." or symlink may lead out of
 * the directory. Returns an fd or a negative errno. */
static int open_beneath(int dirfd, const char *rel)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	/* no openat2 (old kernel, or a seccomp filter): follow no symlink */
	return open_nofollow_walk(dirfd, rel);
}

/* Reads one file signature; *missing when it does not exist. */
static int file_read_one(int basefd, const char *rel, const char *where, unsigned char **ret,
                         size_t *ret_len, bool *missing, cc_error **err)
{
	_cleanup_close_ int fd = open_beneath(basefd, rel);
	if (fd == -ENOENT) {
		*missing = true;
		return 0;
	}
	if (fd == -EXDEV || fd == -ELOOP)
		return cc_error_set(err, -EPERM, "%s: refusing a path that leads out of the "
		                                 "lookaside directory",
		                    where);
	if (fd < 0)
		return cc_error_set(err, fd, "%s: %s", where, strerror(-fd));
	void *buf = NULL;
	int r = sig_read_fd(fd, CC_IMG_MAX_SIGNATURE_BYTES, where, &buf, ret_len, err);
	if (r < 0)
		return r;
	*ret = buf;
	*missing = false;
	return 0;
}

/* ---- http(s):// ----------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	cc_buf *b = arg;
	size_t n = size * nmemb;
	return cc_buf_add(b, p, n) == 0 ? n : 0; /* 0 stops the transfer */
}

static int http_setup(CURL *c, const char *url, const char *ca_file, cc_buf *body)
{
	bool https = strncmp(url, "https://", 8) == 0;
	CURLcode e = curl_easy_setopt(c, CURLOPT_URL, url);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CC_IMG_SIG_HTTP_CONNECT_TIMEOUT_S);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_TIMEOUT, CC_IMG_SIG_HTTP_TIMEOUT_S);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
		                     (curl_off_t)CC_IMG_MAX_SIGNATURE_BYTES);
	if (e == CURLE_OK && ca_file != NULL)
		e = curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	return e == CURLE_OK ? 0 : -EINVAL;
}

/* GETs one http(s) signature; *missing on 404. */
static int http_read_one(CURL *c, const char *url, const char *ca_file, unsigned char **ret,
                         size_t *ret_len, bool *missing, cc_error **err)
{
	cc_buf body;
	cc_buf_init(&body, CC_IMG_MAX_SIGNATURE_BYTES);
	curl_easy_reset(c);
	if (http_setup(c, url, ca_file, &body) < 0)
		return cc_error_set(err, -EINVAL, "%s: cannot set up the HTTP request", url);
	CURLcode e = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	int r = 0;
	if (e == CURLE_WRITE_ERROR || e == CURLE_FILESIZE_EXCEEDED)
		r = cc_error_set(err, -EFBIG, "%s: signature larger than %u bytes", url,
		                 CC_IMG_MAX_SIGNATURE_BYTES);
	else if (e != CURLE_OK)
		r = cc_error_set(err, -EIO, "%s: %s", url, curl_easy_strerror(e));
	else if (status == 404)
		*missing = true;
	else if (status != 200)
		r = cc_error_set(err, -EIO, "%s: HTTP status %ld", url, status);
	if (r < 0 || *missing) {
		cc_buf_free(&body);
		return r;
	}
	size_t len = 0;
	char *p = cc_buf_steal(&body, &len);
	if (p == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = (unsigned char *)p;
	*ret_len = len;
	return 0;
}

/* ---- the loop over signature-N ----------------------------------------- */

struct source {
	const char *base;
	int basefd; /* file:// base directory, or -1 */
	CURL *curl; /* http(s)://, or NULL */
	const char *ca_file;
};

static int read_one(struct source *s, const char *rel, unsigned char **ret, size_t *ret_len,
                    bool *missing, char **where, cc_error **err)
{
	if (asprintf(where, "%s/%s", s->base, rel) < 0) {
		*where = NULL;
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*missing = false;
	if (s->curl != NULL)
		return http_read_one(s->curl, *where, s->ca_file, ret, ret_len, missing, err);
	if (s->basefd < 0) {
		*missing = true; /* the base directory does not exist */
		return 0;
	}
	return file_read_one(s->basefd, rel, *where, ret, ret_len, missing, err);
}

static int fetch_all(struct source *s, const char *repo_path, const img_digest *d,
                     struct sig_blobs *out, cc_error **err)
{
	char hex[129];
	img_digest_hex(d, hex);
	for (unsigned i = 1;; i++) {
		if (i > CC_IMG_MAX_SIGNATURES)
			return cc_error_set(err, -E2BIG, "%s/%s: more than %u signatures", s->base,
			                    repo_path, CC_IMG_MAX_SIGNATURES);
		_cleanup_free_ char *rel = NULL;
		if (asprintf(&rel, "%s@%s=%s/signature-%u", repo_path, img_digest_alg_name(d->alg), hex,
		             i) < 0) {
			rel = NULL;
			return cc_error_set(err, -ENOMEM, "out of memory");
		}
		unsigned char *p = NULL;
		size_t n = 0;
		bool missing = false;
		char *where = NULL;
		int r = read_one(s, rel, &p, &n, &missing, &where, err);
		if (r < 0 || missing) {
			free(where);
			return r;
		}
		if ((r = sig_blobs_push(out, p, n, where, err)) < 0)
			return r;
	}
}

/* Opens the base directory of a file:// lookaside (-1 when missing). */
static int open_file_base(const char *base, int *ret, cc_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = file_url_path(base, &path, err);
	if (r < 0)
		return r;
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return cc_error_set(err, -errno, "lookaside %s: %s", base, strerror(errno));
	*ret = fd;
	return 0;
}

int sig_lookaside_fetch(const char *base, const char *repo_path, const img_digest *d,
                        const char *ca_file, struct sig_blobs *out, cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	struct source s = {.base = base, .basefd = -1, .ca_file = ca_file};
	int r = 0;
	if (strncmp(base, "file://", 7) == 0) {
		r = open_file_base(base, &s.basefd, err);
	} else if (strncmp(base, "https://", 8) == 0 || strncmp(base, "http://", 7) == 0) {
		pthread_once(&curl_once, curl_init);
		if (curl_init_rc != CURLE_OK || (s.curl = curl_easy_init()) == NULL)
			r = cc_error_set(err, -ENOMEM, "cannot initialise libcurl");
	} else {
		r = cc_error_set(err, -EINVAL, "lookaside \"%s\": unsupported URL scheme",
		                 sig_quotes(base, q));
	}
	if (r == 0)
		r = fetch_all(&s, repo_path, d, out, err);
	if (s.basefd >= 0)
		close(s.basefd);
	if (s.curl != NULL)
		curl_easy_cleanup(s.curl);
	return r;
}
