/* AK trust from a certificate chain (docs/attest-tpm.md, "AK trust"): the
 * evidence's ak_certificate (PEM: the AK's certificate, then intermediates)
 * must chain to a CA of the operator's directory (every *.pem, *.crt file:
 * PEM certificates; every *.crl file: PEM CRLs, which turn on revocation
 * checks for the whole chain), at the verifier's time, and the leaf's key
 * must be the AK that signed the quote. */
#include <dirent.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tpm_int.h"

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);
	return n > s && strcmp(name + n - s, suffix) == 0;
}

static int load_file(X509_STORE *st, const char *path, bool crl, size_t *n_items,
                     cc_error **err)
{
	struct stat sb;
	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	if (sb.st_size > (off_t)CC_TPM_MAX_AK_CHAIN_BYTES)
		return cc_error_set(err, -E2BIG, "AK CA file %s: %lld bytes, more than %u", path,
		                    (long long)sb.st_size, CC_TPM_MAX_AK_CHAIN_BYTES);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return cc_error_set(err, -errno, "AK CA file %s: %m", path);
	size_t got = 0;
	for (;;) {
		int ok;
		if (crl) {
			X509_CRL *c = PEM_read_X509_CRL(f, NULL, NULL, NULL);
			if (c == NULL)
				break;
			ok = X509_STORE_add_crl(st, c);
			X509_CRL_free(c);
		} else {
			X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
			if (c == NULL)
				break;
			ok = X509_STORE_add_cert(st, c);
			X509_free(c);
		}
		if (ok != 1) {
			fclose(f);
			ERR_clear_error();
			return cc_error_set(err, -EINVAL, "AK CA file %s: cannot add its item %zu", path,
			                    got + 1);
		}
		got++;
	}
	fclose(f);
	ERR_clear_error();
	if (got == 0)
		return cc_error_set(err, -EINVAL, "AK CA file %s: no PEM %s in it", path,
		                    crl ? "CRL" : "certificate");
	*n_items += got;
	return 0;
}

int tpm_ak_ca_load_dir(const char *dir, X509_STORE **ret, cc_error **err)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return cc_error_set(err, -errno, "AK CA directory %s: %m", dir);
	X509_STORE *st = X509_STORE_new();
	if (st == NULL) {
		closedir(d);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	size_t certs = 0, crls = 0;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)) != NULL) {
		bool crl = has_suffix(de->d_name, ".crl");
		if (!crl && !has_suffix(de->d_name, ".pem") && !has_suffix(de->d_name, ".crt"))
			continue;
		char path[4096];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			r = cc_error_set(err, -ENAMETOOLONG, "AK CA directory %s: name too long", dir);
		else
			r = load_file(st, path, crl, crl ? &crls : &certs, err);
	}
	closedir(d);
	if (r == 0 && certs == 0)
		r = cc_error_set(err, -ENOENT, "AK CA directory %s: no *.pem or *.crt certificate",
		                 dir);
	if (r < 0) {
		X509_STORE_free(st);
		return r;
	}
	if (crls > 0)
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	*ret = st;
	return 0;
}

/* The PEM text as certificates (at most CC_TPM_MAX_AK_CHAIN_CERTS). */
static int read_chain(const char *pem, size_t len, STACK_OF(X509) **ret, cc_error **err)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	STACK_OF(X509) *sk = sk_X509_new_null();
	int r = b != NULL && sk != NULL ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	X509 *c;
	while (r == 0 && (c = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if ((size_t)sk_X509_num(sk) == CC_TPM_MAX_AK_CHAIN_CERTS) {
			X509_free(c);
			r = cc_error_set(err, -E2BIG, "oversized ak_certificate: more than %u "
			                 "certificates",
			                 CC_TPM_MAX_AK_CHAIN_CERTS);
		} else if (sk_X509_push(sk, c) <= 0) {
			X509_free(c);
			r = cc_error_set(err, -ENOMEM, "out of memory");
		}
	}
	ERR_clear_error();
	BIO_free(b);
	if (r == 0 && sk_X509_num(sk) == 0)
		r = cc_error_set(err, -EINVAL, "AK chain: ak_certificate holds no PEM certificate");
	if (r < 0) {
		sk_X509_pop_free(sk, X509_free);
		return r;
	}
	*ret = sk;
	return 0;
}

int tpm_ak_check_chain(X509_STORE *store, int64_t at, const char *pem, size_t pem_len,
                       EVP_PKEY *ak, cc_error **err)
{
	if (pem == NULL)
		return cc_error_set(err, -EPERM,
		                    "AK chain: the verifier trusts AKs by certificate and the "
		                    "evidence has no ak_certificate");
	STACK_OF(X509) *chain = NULL;
	int r = read_chain(pem, pem_len, &chain, err);
	if (r < 0)
		return r;
	X509 *leaf = sk_X509_shift(chain);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, store, leaf, chain) != 1) {
		r = cc_error_set(err, -ENOMEM, "out of memory");
	} else {
		if (at != 0)
			X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
		if (X509_verify_cert(ctx) != 1) {
			int e = X509_STORE_CTX_get_error(ctx);
			r = cc_error_set(err, -EPERM, "%s: %s",
			                 e == X509_V_ERR_CERT_REVOKED ? "certificate revoked"
			                 : e == X509_V_ERR_CRL_HAS_EXPIRED ? "CRL expired"
			                                                    : "AK chain",
			                 X509_verify_cert_error_string(e));
		}
	}
	if (r == 0) {
		EVP_PKEY *pk = X509_get0_pubkey(leaf);
		if (pk == NULL || EVP_PKEY_eq(pk, ak) != 1)
			r = cc_error_set(err, -EPERM,
			                 "AK binding: the AK certificate's key is not ak_public");
	}
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return r;
}
