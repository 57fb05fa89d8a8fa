/* dcap_collateral_fetch: collateral from a PCCS or Intel PCS v4 (libcurl),
 * only when the caller was allowed to fetch, with an optional cache. The
 * answers are put together as the PCS-bodies shape of
 * dcap_collateral_parse (the bodies as strings, so the signed bytes stay
 * exactly as sent) and parsed by it; that JSON is what the cache holds. */
#include <curl/curl.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "dcap_int.h"

struct resp {
	cc_buf body;
	cc_buf chain;
	const char *header; /* the issuer-chain header wanted, or NULL */
	const char *header2;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	return cc_buf_add(&((struct resp *)ud)->body, p, size * n) == 0 ? size * n : 0;
}

static bool header_is(const char *p, size_t n, const char *name)
{
	size_t k = name ? strlen(name) : 0;
	return k && n > k && p[k] == ':' && strncasecmp(p, name, k) == 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct resp *r = ud;
	size_t len = size * n;
	const char *name = header_is(p, len, r->header) ? r->header
	                   : header_is(p, len, r->header2) ? r->header2 : NULL;
	if (!name)
		return len;
	size_t i = strlen(name) + 1, e = len;
	while (i < e && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (e > i && (p[e - 1] == '\r' || p[e - 1] == '\n' || p[e - 1] == ' '))
		e--;
	cc_buf_free(&r->chain);
	cc_buf_init(&r->chain, 3 * CC_DCAP_MAX_CHAIN_PEM_BYTES);
	return cc_buf_add(&r->chain, p + i, e - i) == 0 ? len : 0;
}

/* GET url into r (body capped at max). */
static int get(const char *url, struct resp *r, size_t max, cc_error **err)
{
	CURL *c = curl_easy_init();
	if (!c)
		return cc_error_set(err, -ENOMEM, "collateral fetch: cannot start libcurl");
	cc_buf_init(&r->body, max);
	cc_buf_init(&r->chain, 3 * CC_DCAP_MAX_CHAIN_PEM_BYTES);
	CURLcode e = curl_easy_setopt(c, CURLOPT_URL, url);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CC_DCAP_FETCH_TIMEOUT_S);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (e == CURLE_OK)
		e = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (e == CURLE_WRITE_ERROR)
		return cc_error_set(err, -E2BIG, "oversized: the answer to %s is over %zu bytes", url, max);
	if (e != CURLE_OK)
		return cc_error_set(err, -EIO, "collateral fetch: %s: %s", url, curl_easy_strerror(e));
	if (status != 200)
		return cc_error_set(err, -EIO, "collateral fetch: %s: HTTP status %ld", url, status);
	if (r->header && r->chain.len == 0)
		return cc_error_set(err, -EIO, "collateral fetch: %s: no %s header", url, r->header);
	return 0;
}

static const char *str(const cc_buf *b)
{
	return b->p ? b->p : "";
}

static void resp_free(struct resp *r)
{
	cc_buf_free(&r->body);
	cc_buf_free(&r->chain);
}

/* A CRL answer: DER is turned into hex; PEM and hex are kept as sent. */
static json_t *crl_value(const cc_buf *b)
{
	const unsigned char *p = (const unsigned char *)str(b);
	if (b->len == 0 || p[0] != 0x30)
		return json_stringn(str(b), b->len);
	char *hex = malloc(2 * b->len + 1);
	if (!hex)
		return NULL;
	for (size_t i = 0; i < b->len; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[i]);
	json_t *v = json_stringn(hex, 2 * b->len);
	free(hex);
	return v;
}

/* Intel PCS itself has no rootcacrl endpoint: there, as Trustee does, the
 * root CA CRL comes from the built-in root's CRL distribution point. */
int dcap_root_crl_url(const char *base, char *url, size_t size)
{
	if (!strstr(base, "api.trustedservices.intel.com")) {
		int n = snprintf(url, size, "%s/sgx/certification/v4/rootcacrl", base);
		return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
	}
	dcap_collateral none = {0};
	X509 *root = NULL;
	if (dcap_root_load(&none, &root, NULL) < 0)
		return -EINVAL;
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(root, NID_crl_distribution_points, NULL, NULL);
	X509_free(root);
	int r = -ENOENT;
	DIST_POINT *dp = sk_DIST_POINT_num(dps) > 0 ? sk_DIST_POINT_value(dps, 0) : NULL;
	if (dp && dp->distpoint && dp->distpoint->type == 0) {
		GENERAL_NAMES *names = dp->distpoint->name.fullname;
		for (int i = 0; i < sk_GENERAL_NAME_num(names) && r < 0; i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
			if (g->type != GEN_URI)
				continue;
			const ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;
			int n = snprintf(url, size, "%.*s", ASN1_STRING_length(u),
			                 (const char *)ASN1_STRING_get0_data(u));
			r = n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
		}
	}
	CRL_DIST_POINTS_free(dps);
	return r;
}

static int fetch_all(const char *base, const char *fmspc_hex, int processor_ca, int is_tdx,
                     json_t *out, cc_error **err)
{
	const char *tee = is_tdx ? "tdx" : "sgx";
	char url[2048];
	struct resp r[4] = {
		{.header = "TCB-Info-Issuer-Chain", .header2 = "SGX-TCB-Info-Issuer-Chain"},
		{.header = "SGX-Enclave-Identity-Issuer-Chain"},
		{.header = "SGX-PCK-CRL-Issuer-Chain"},
		{.header = NULL},
	};
	int rc = 0;
	for (int i = 0; i < 4 && rc == 0; i++) {
		int n;
		if (i == 0)
			n = snprintf(url, sizeof(url), "%s/%s/certification/v4/tcb?fmspc=%s", base, tee, fmspc_hex);
		else if (i == 1)
			n = snprintf(url, sizeof(url), "%s/%s/certification/v4/qe/identity", base, tee);
		else if (i == 2)
			n = snprintf(url, sizeof(url), "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", base,
			         processor_ca ? "processor" : "platform");
		else if (dcap_root_crl_url(base, url, sizeof(url)) < 0) {
			rc = cc_error_set(err, -EINVAL, "collateral fetch: no root CA CRL URL for %s", base);
			break;
		} else {
			n = 0;
		}
		if (n < 0 || (size_t)n >= sizeof(url)) {
			rc = cc_error_set(err, -ENAMETOOLONG, "collateral fetch: the PCCS URL is too long");
			break;
		}
		rc = get(url, &r[i], i < 2 ? CC_DCAP_MAX_COLLATERAL_BYTES / 4 : 2 * CC_DCAP_MAX_CRL_BYTES + 4096,
		         err);
	}
	if (rc == 0 &&
	    (json_object_set_new(out, "tcb_info", json_stringn(str(&r[0].body), r[0].body.len)) < 0 ||
	     json_object_set_new(out, "tcb_info_issuer_chain", json_string(str(&r[0].chain))) < 0 ||
	     json_object_set_new(out, "qe_identity", json_stringn(str(&r[1].body), r[1].body.len)) < 0 ||
	     json_object_set_new(out, "qe_identity_issuer_chain", json_string(str(&r[1].chain))) < 0 ||
	     json_object_set_new(out, "pck_crl", crl_value(&r[2].body)) < 0 ||
	     json_object_set_new(out, "pck_crl_issuer_chain", json_string(str(&r[2].chain))) < 0 ||
	     json_object_set_new(out, "root_ca_crl", crl_value(&r[3].body)) < 0))
		rc = cc_error_set(err, -EINVAL, "collateral fetch: an answer is not UTF-8 text");
	for (int i = 0; i < 4; i++)
		resp_free(&r[i]);
	return rc;
}

static bool crl_fresh(const uint8_t *der, size_t len, time_t now)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	bool ok = crl && X509_CRL_get0_nextUpdate(crl) &&
	          ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), now) > 0;
	X509_CRL_free(crl);
	return ok;
}

/* Every part's nextUpdate is after now. */
static bool fresh(const dcap_collateral *c)
{
	time_t now = time(NULL);
	struct dcap_tcb_info t;
	struct dcap_qe_identity q;
	bool ok = false;
	if (dcap_tcb_info_parse(c->tcb_info, c->tcb_info_len, &t, NULL) == 0) {
		if (dcap_qe_identity_parse(c->qe_identity, c->qe_identity_len, &q, NULL) == 0) {
			ok = t.next_update > now && q.next_update > now &&
			     crl_fresh(c->pck_crl, c->pck_crl_len, now) &&
			     crl_fresh(c->root_ca_crl, c->root_ca_crl_len, now);
			dcap_qe_identity_clear(&q);
		}
		dcap_tcb_info_clear(&t);
	}
	return ok;
}

static dcap_collateral *from_cache(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	char *buf = malloc(CC_DCAP_MAX_COLLATERAL_BYTES + 1);
	size_t len = 0;
	ssize_t n = 1;
	while (buf && len <= CC_DCAP_MAX_COLLATERAL_BYTES && n > 0) {
		n = read(fd, buf + len, CC_DCAP_MAX_COLLATERAL_BYTES + 1 - len);
		if (n > 0)
			len += (size_t)n;
	}
	close(fd);
	dcap_collateral *c = NULL;
	if (buf && n == 0 && dcap_collateral_parse(buf, len, &c, NULL) == 0 && !fresh(c)) {
		dcap_collateral_free(c);
		c = NULL;
	}
	free(buf);
	return c;
}

static int to_cache(const char *dir, const char *path, const char *text, cc_error **err)
{
	char tmp[4200];
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cc_error_set(err, -errno, "collateral cache %s: %m", dir);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return cc_error_set(err, -ENAMETOOLONG, "collateral cache %s: path too long", dir);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return cc_error_set(err, -errno, "collateral cache %s: %m", tmp);
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	int r = off == len && fsync(fd) == 0 ? 0 : -EIO;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return cc_error_set(err, r, "collateral cache %s: cannot write", path);
	}
	return 0;
}

int dcap_collateral_fetch(const char *base_url, const uint8_t fmspc[6], int processor_ca,
                          int is_tdx, const char *cache_dir, dcap_collateral **ret,
                          cc_error **err)
{
	char hex[13], path[4096];
	for (int i = 0; i < 6; i++)
		snprintf(hex + 2 * i, 3, "%02x", fmspc[i]);
	if (cache_dir && (size_t)snprintf(path, sizeof(path), "%s/dcap-%s-%s-%s.json", cache_dir,
	                                  is_tdx ? "tdx" : "sgx", hex,
	                                  processor_ca ? "processor" : "platform") >= sizeof(path))
		return cc_error_set(err, -ENAMETOOLONG, "collateral cache %s: path too long", cache_dir);
	if (cache_dir && (*ret = from_cache(path)))
		return 0;
	if (!base_url || !*base_url)
		return cc_error_set(err, -EINVAL, "collateral fetch: no PCCS URL and no valid cached collateral");
	json_t *o = json_object();
	char *text = NULL;
	int rc = o ? fetch_all(base_url, hex, processor_ca, is_tdx, o, err)
	           : cc_error_set(err, -ENOMEM, "out of memory");
	if (rc == 0 && !(text = json_dumps(o, JSON_COMPACT)))
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	json_decref(o);
	if (rc == 0)
		rc = dcap_collateral_parse(text, strlen(text), ret, err);
	if (rc == 0 && cache_dir && to_cache(cache_dir, path, text, err) < 0) {
		dcap_collateral_free(*ret);
		*ret = NULL;
		rc = -EIO;
	}
	free(text);
	return rc < 0 ? rc : 0;
}
