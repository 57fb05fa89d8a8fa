/* The OpenSSL algorithms a JWE uses, fetched once per process (jwe_int.h).
 * OpenSSL 3's EVP_aes_256_gcm() and friends fetch the provider's
 * implementation again on every EVP_CipherInit_ex, and EVP_KDF_fetch
 * looks the name up each time: a name lookup and a lock per call for
 * objects that never change. Fetched objects are immutable and may be
 * shared by threads; they live until the process ends. */
#include <pthread.h>

#include <openssl/err.h>

#include "jwe_int.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *aes_gcm, *aes_wrap;
static EVP_KDF *sskdf;

static void fetch_all(void)
{
	aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	aes_wrap = EVP_CIPHER_fetch(NULL, "AES-256-WRAP", NULL);
	sskdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
	ERR_clear_error();
}

const EVP_CIPHER *cj_alg_aes256_gcm(void)
{
	pthread_once(&once, fetch_all);
	return aes_gcm;
}

const EVP_CIPHER *cj_alg_aes256_wrap(void)
{
	pthread_once(&once, fetch_all);
	return aes_wrap;
}

EVP_KDF *cj_alg_sskdf(void)
{
	pthread_once(&once, fetch_all);
	return sskdf;
}
