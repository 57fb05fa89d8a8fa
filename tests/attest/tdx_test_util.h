/* Helpers of the DCAP quote-side tests (test_tdx_quote.c, test_tdx_dcap.c,
 * tdx_tool.c): reading files, comparing JSON field by field, and
 * synthetic quotes signed with keys made here. */
#ifndef TDX_TEST_UTIL_H
#define TDX_TEST_UTIL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "tdx.h"

/* The whole file (aborts the test on error); the caller frees it. */
uint8_t *tdx_test_read(const char *path, size_t *len);

/* Fails the test, naming the first differing path, when a != b. */
void tdx_test_json_equal(const json_t *want, const json_t *got, const char *path);

typedef struct tdx_test_keys {
	EVP_PKEY *att;       /* attestation key (P-256) */
	EVP_PKEY *pck;       /* the test PCK leaf's key (P-256) */
	char *pck_pem;       /* a self-signed certificate of pck */
	uint8_t other_key_xy[64]; /* another valid P-256 point */
} tdx_test_keys;

tdx_test_keys *tdx_test_keys_new(void);
void tdx_test_keys_free(tdx_test_keys *k);

/* A quote (version 3, 4 or 5; body_type 2 or 3 for version 5) with valid
 * signatures and QE binding; pck (NULL: k->pck_pem) is the certification
 * data's PCK chain. The caller frees it. */
uint8_t *tdx_test_quote(const tdx_test_keys *k, unsigned version, unsigned body_type,
                        const uint8_t *pck, size_t pck_len, size_t *ret_len);

/* Signs q's QE report again with k->pck (after a test changed it). */
void tdx_test_resign_qe(const tdx_test_keys *k, uint8_t *q, const dcap_quote *dq);

/* ECDSA-SHA256 signature of msg by key as raw r || s. */
void tdx_test_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64]);

#endif
