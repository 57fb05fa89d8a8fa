/* libcocoon-cdh: AES-256 decryption for sealed-secret envelopes and the
 * kbs key provider's annotation packets (docs/cdh.md). */
#ifndef COCOON_CDH_AES_H
#define COCOON_CDH_AES_H

#include <stddef.h>

#include "cocoon/error.h"

enum cdh_wrap {
	CDH_WRAP_A256GCM, /* 12-byte IV, input = ciphertext || 16-byte tag */
	CDH_WRAP_A256CTR, /* 16-byte IV (initial counter block), no tag */
};

/* Parses "A256GCM" / "A256CTR" (-EINVAL naming any other). */
int cdh_wrap_parse(const char *name, enum cdh_wrap *ret, cc_error **err);

/* Decrypts n bytes with the 32-byte key. what names the input in errors.
 * -EINVAL for a wrong key or IV length, -EBADMSG when GCM authentication
 * fails. *ret: malloc'd with a spare NUL byte (wipe with cj_free_secret). */
int cdh_aes_decrypt(enum cdh_wrap w, const unsigned char *key, size_t key_len,
                    const unsigned char *iv, size_t iv_len, const unsigned char *in, size_t n,
                    unsigned char **ret, size_t *ret_len, const char *what, cc_error **err);

#endif
