/* The pkcs7 key wrapper (containers/ocicrypt keywrap/pkcs7): see
 * docs/ocicrypt.md. */
#include <errno.h>

#include "internal.h"

int oc_pkcs7_wrap(X509 *const *certs, size_t n, const void *opts, size_t opts_len,
                  unsigned char **ret, size_t *ret_len, cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	if (n == 0)
		return 0;
	return cc_error_set(err, -ENOTSUP, "pkcs7: not supported yet");
}

int oc_pkcs7_unwrap(const ocicrypt_keys *k, const void *pkt, size_t n, unsigned char **ret,
                    size_t *ret_len, cc_error **err)
{
	return cc_error_set(err, -ENOTSUP, "pkcs7: not supported yet");
}
