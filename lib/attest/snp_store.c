/* VCEKs and CRLs for the snp verifier (snp_int.h): an offline store laid
 * out as Trustee's OfflineStore (cache_dir/vcek/<hwid>/<tcb>_vcek.der) and,
 * only when the caller allows it, AMD KDS through libcurl with the answer
 * written back to the store. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "snp_int.h"

void snp_hwid_hex(const snp_report *r, enum snp_product p, char out[129])
{
	static const char digits[] = "0123456789abcdef";
	size_t n = p == SNP_TURIN ? 8 : 64;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[r->chip_id[i] >> 4];
		out[2 * i + 1] = digits[r->chip_id[i] & 15];
	}
	out[2 * n] = '\0';
}

/* "bl03_tee00_snp08_ucode115[_fmcNN]" and the KDS query for it. */
static void tcb_names(const snp_report *r, enum snp_product p, char *file, size_t fn,
                      char *query, size_t qn)
{
	const snp_tcb *t = &r->reported_tcb;
	char fmc[16] = "";
	char fmcq[24] = "";
	if (p == SNP_TURIN) {
		snprintf(fmc, sizeof(fmc), "_fmc%02u", t->fmc);
		snprintf(fmcq, sizeof(fmcq), "fmcSPL=%02u&", t->fmc);
	}
	snprintf(file, fn, "bl%02u_tee%02u_snp%02u_ucode%02u%s_vcek.der", t->bootloader, t->tee,
	         t->snp, t->microcode, fmc);
	snprintf(query, qn, "%sblSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u", fmcq,
	         t->bootloader, t->tee, t->snp, t->microcode);
}

/* The whole file (at most CC_SNP_MAX_CERT_BYTES); -ENOENT when missing. */
int snp_read_file(const char *path, uint8_t **ret, size_t *ret_len, cc_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT
		                       : cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	cc_buf b;
	cc_buf_init(&b, CC_SNP_MAX_CERT_BYTES);
	uint8_t chunk[4096];
	int r = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((r = cc_buf_add(&b, chunk, (size_t)n)) < 0) {
			r = cc_error_set(err, r, "oversized: %s is over %u bytes", path,
			                 CC_SNP_MAX_CERT_BYTES);
			break;
		}
	}
	close(fd);
	if (r < 0) {
		cc_buf_free(&b);
		return r;
	}
	*ret = (uint8_t *)cc_buf_steal(&b, ret_len);
	return *ret == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
}

static int mkdirs(char *path)
{
	for (char *s = path + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int r = mkdir(path, 0700);
		*s = '/';
		if (r < 0 && errno != EEXIST)
			return -errno;
	}
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

/* Writes dir/name atomically (a temporary file renamed over it). */
static int write_cache(const char *dir, const char *name, const uint8_t *p, size_t len,
                       cc_error **err)
{
	char d[4096], path[4096 + 128], tmp[4096 + 144];
	if ((size_t)snprintf(d, sizeof(d), "%s", dir) >= sizeof(d) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp))
		return cc_error_set(err, -ENAMETOOLONG, "%s: path too long", dir);
	int r = mkdirs(d);
	if (r < 0)
		return cc_error_set(err, r, "cache %s: %s", dir, strerror(-r));
	int fd = mkstemp(tmp);
	if (fd < 0)
		return cc_error_set(err, -errno, "cache %s: %s", tmp, strerror(errno));
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	r = off == len && fsync(fd) == 0 ? 0 : -EIO;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return cc_error_set(err, r, "cache %s: %s", path, strerror(-r));
	}
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	return cc_buf_add(ud, p, size * n) == 0 ? size * n : 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* curl_global_init is not thread-safe; evaluate() may run in many threads. */
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* GET url; -ENOENT on 404. */
static int kds_get(const char *url, uint8_t **ret, size_t *ret_len, cc_error **err)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return cc_error_set(err, -EIO, "KDS: libcurl: %s", curl_easy_strerror(curl_init_rc));
	CURL *c = curl_easy_init();
	if (c == NULL)
		return cc_error_set(err, -ENOMEM, "KDS: cannot start libcurl");
	cc_buf body;
	cc_buf_init(&body, CC_SNP_MAX_CERT_BYTES);
	CURLcode e = curl_easy_setopt(c, CURLOPT_URL, url);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CC_SNP_KDS_TIMEOUT_S);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	if (e == CURLE_OK)
		e = curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	if (e == CURLE_OK)
		e = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	int r = 0;
	if (e == CURLE_WRITE_ERROR)
		r = cc_error_set(err, -E2BIG, "oversized: KDS answer to %s is over %u bytes", url,
		                 CC_SNP_MAX_CERT_BYTES);
	else if (e != CURLE_OK)
		r = cc_error_set(err, -EIO, "KDS: %s: %s", url, curl_easy_strerror(e));
	else if (status == 404)
		r = -ENOENT;
	else if (status != 200)
		r = cc_error_set(err, -EIO, "KDS: %s: HTTP status %ld", url, status);
	if (r < 0) {
		cc_buf_free(&body);
		return r;
	}
	*ret = (uint8_t *)cc_buf_steal(&body, ret_len);
	return *ret == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
}

int snp_store_vcek(const char *cache_dir, bool allow_fetch, const char *kds_base,
                   const snp_report *r, enum snp_product p, uint8_t **ret, size_t *ret_len,
                   cc_error **err)
{
	static const uint8_t zero[64];
	if (memcmp(r->chip_id, zero, p == SNP_TURIN ? 8 : 64) == 0)
		return cc_error_set(err, -ENOENT,
		                    "VCEK chain: the report's chip_id is zero (MASK_CHIP_ID), so no "
		                    "VCEK can be looked up for it");
	char hwid[129], file[96], query[96], dir[4096], path[4096 + 128];
	snp_hwid_hex(r, p, hwid);
	tcb_names(r, p, file, sizeof(file), query, sizeof(query));
	int rc;
	if (cache_dir != NULL) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s/vcek/%s", cache_dir, hwid) >= sizeof(dir))
			return cc_error_set(err, -ENAMETOOLONG, "%s: path too long", cache_dir);
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if ((rc = snp_read_file(path, ret, ret_len, err)) != -ENOENT)
			return rc;
		snprintf(path, sizeof(path), "%s/vcek.der", dir);
		if ((rc = snp_read_file(path, ret, ret_len, err)) != -ENOENT)
			return rc;
	}
	if (!allow_fetch)
		return cc_error_set(err, -ENOENT,
		                    "VCEK chain: no VCEK for chip %.16s... at %s (not in the evidence, "
		                    "--vcek or the cache dir; fetching from AMD KDS is off)",
		                    hwid, file);
	char url[4096];
	if ((size_t)snprintf(url, sizeof(url), "%s/vcek/v1/%s/%s?%s", kds_base,
	                     snp_product_name(p), hwid, query) >= sizeof(url))
		return cc_error_set(err, -ENAMETOOLONG, "KDS: URL too long");
	rc = kds_get(url, ret, ret_len, err);
	if (rc == -ENOENT)
		return cc_error_set(err, -ENOENT, "VCEK chain: KDS has no VCEK at %s", url);
	if (rc < 0)
		return cc_error_wrap(err, "VCEK chain");
	if (rc == 0 && cache_dir != NULL && write_cache(dir, file, *ret, *ret_len, err) < 0) {
		free(*ret);
		return cc_error_code(err != NULL ? *err : NULL);
	}
	return rc;
}

static X509_CRL *crl_parse(const uint8_t *p, size_t len)
{
	const unsigned char *q = p;
	X509_CRL *c = d2i_X509_CRL(NULL, &q, (long)len);
	if (c != NULL && q != p + len) {
		X509_CRL_free(c);
		c = NULL;
	}
	if (c == NULL) {
		BIO *b = BIO_new_mem_buf(p, (int)len);
		if (b != NULL)
			c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	ERR_clear_error();
	return c;
}

int snp_store_crl(const char *cache_dir, bool allow_fetch, const char *kds_base,
                  enum snp_product p, X509_CRL **ret, cc_error **err)
{
	*ret = NULL;
	char dir[4096], file[32], path[4096 + 64];
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = -ENOENT;
	snprintf(file, sizeof(file), "%s.crl", snp_product_name(p));
	if (cache_dir != NULL) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s/crl", cache_dir) >= sizeof(dir))
			return cc_error_set(err, -ENAMETOOLONG, "%s: path too long", cache_dir);
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if ((rc = snp_read_file(path, &data, &len, err)) < 0 && rc != -ENOENT)
			return rc;
	}
	if (rc == -ENOENT && allow_fetch) {
		char url[4096];
		snprintf(url, sizeof(url), "%s/vcek/v1/%s/crl", kds_base, snp_product_name(p));
		if ((rc = kds_get(url, &data, &len, err)) < 0 && rc != -ENOENT)
			return cc_error_wrap(err, "CRL");
		if (rc == 0 && cache_dir != NULL && (rc = write_cache(dir, file, data, len, err)) < 0) {
			free(data);
			return rc;
		}
	}
	if (rc == -ENOENT)
		return 0;
	*ret = crl_parse(data, len);
	free(data);
	return *ret == NULL ? cc_error_set(err, -EINVAL, "CRL: the %s CRL is not a CRL", file) : 0;
}
