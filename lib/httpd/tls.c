/* The server's TLS context (docs/httpd.md "TLS"): OpenSSL 3, TLS 1.2 and
 * 1.3, Mozilla's "intermediate" profile (Trustee's default tls_profile),
 * the certificate chain and key from PEM files, checked at start-up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "httpd_int.h"

/* TLS 1.2 suites of Mozilla's intermediate profile (forward secret AEADs
 * only); TLS 1.3 keeps OpenSSL's default suites. */
static const char tls12_ciphers[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/* Says why a PEM file cannot be read before OpenSSL tries (its own errors
 * do not name the file). */
static int check_pem(const char *what, const char *path, cc_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s %s: %s", what, path, strerror(errno));
	struct stat st;
	int r = fstat(fd, &st);
	int e = errno;
	close(fd);
	if (r < 0)
		return cc_error_set(err, -e, "%s %s: %s", what, path, strerror(e));
	if (!S_ISREG(st.st_mode))
		return cc_error_set(err, -EINVAL, "%s %s: not a regular file", what, path);
	if ((unsigned long long)st.st_size > CC_HTTPD_MAX_PEM_BYTES)
		return cc_error_set(err, -EFBIG, "%s %s: larger than %u bytes", what, path,
		                    CC_HTTPD_MAX_PEM_BYTES);
	return 0;
}

/* OpenSSL's reason for the failure (the first in its queue: later ones
 * only say which layer gave up), and the queue cleared. */
static const char *ssl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_peek_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	snprintf(buf, n, "%s", r != NULL ? r : "unknown OpenSSL error");
	ERR_clear_error();
	return buf;
}

/* Encrypted keys would make OpenSSL prompt on the terminal: refuse them. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int load_pair(SSL_CTX *ctx, const char *cert, const char *key, cc_error **err)
{
	char why[256];
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		return cc_error_set(err, -EINVAL, "certificate %s: not a PEM certificate chain (%s)",
		                    cert, ssl_reason(why, sizeof(why)));
	BIO *b = BIO_new_file(key, "r");
	EVP_PKEY *pk = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, no_password, NULL) : NULL;
	BIO_free(b);
	if (pk == NULL)
		return cc_error_set(err, -EINVAL,
		                    "private key %s: not an unencrypted PEM private key (%s)", key,
		                    ssl_reason(why, sizeof(why)));
	int ok = SSL_CTX_use_PrivateKey(ctx, pk) == 1 && SSL_CTX_check_private_key(ctx) == 1;
	EVP_PKEY_free(pk);
	if (!ok)
		return cc_error_set(err, -EINVAL, "private key %s does not match certificate %s (%s)",
		                    key, cert, ssl_reason(why, sizeof(why)));
	return 0;
}

int httpd_tls_new(const char *cert, const char *key, SSL_CTX **ret, cc_error **err)
{
	int r;
	if ((r = check_pem("certificate", cert, err)) < 0 ||
	    (r = check_pem("private key", key, err)) < 0)
		return r;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		ERR_clear_error();
		return cc_error_set(err, -ENOMEM, "TLS: out of memory");
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) {
		char why[256];
		r = cc_error_set(err, -EINVAL, "TLS: %s", ssl_reason(why, sizeof(why)));
	} else {
		r = load_pair(ctx, cert, key, err);
	}
	if (r < 0) {
		SSL_CTX_free(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}
