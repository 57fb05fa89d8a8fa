/* Byte encodings of the Azure vTPM evidence (az_int.h): base64url with or
 * without padding, hex of any case, and JSON arrays of bytes. Every decoder
 * checks its cap before it allocates. Base64url takes off the padding
 * libcocoon-jose's strict decoder refuses and hands the rest to it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "az_int.h"
#include "jose_util.h"
#include "tpm_int.h"

int az_b64url_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len,
                     const char *what, cc_error **err)
{
	size_t pad = 0;
	while (pad < 2 && len > pad && s[len - 1 - pad] == '=')
		pad++;
	size_t n = len - pad;
	/* With padding the text must be whole quanta; without, a lone
	 * trailing character carries no byte. */
	if ((pad > 0 && len % 4 != 0) || n % 4 == 1)
		return cc_error_set(err, -EINVAL, "%s: not base64url (length %zu)", what, len);
	size_t out_len = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	if (out_len > max)
		return cc_error_set(err, -E2BIG, "oversized: %s decodes to %zu bytes, more than %zu",
		                    what, out_len, max);
	/* the rest (alphabet, zero trailing bits) is lib/jose's strict decoder */
	return cj_b64url_decode(s, n, max, ret, ret_len, what, err);
}

int az_hex_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len,
                  const char *what, cc_error **err)
{
	if (len % 2 != 0)
		return cc_error_set(err, -EINVAL, "%s: not hex (odd length %zu)", what, len);
	if (len / 2 > max)
		return cc_error_set(err, -E2BIG, "oversized: %s is %zu bytes, more than %zu", what,
		                    len / 2, max);
	uint8_t *out = malloc(len / 2 + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (tpm_hex_decode(s, len, out, len / 2) < 0) {
		free(out);
		return cc_error_set(err, -EINVAL, "%s: not hex", what);
	}
	*ret = out;
	*ret_len = len / 2;
	return 0;
}

int az_u8_array(const json_t *a, size_t max, uint8_t **ret, size_t *ret_len, const char *what,
                cc_error **err)
{
	if (!json_is_array(a))
		return cc_error_set(err, -EINVAL, "%s: expected an array of bytes", what);
	size_t n = json_array_size(a);
	if (n > max)
		return cc_error_set(err, -E2BIG, "oversized: %s is %zu bytes, more than %zu", what,
		                    n, max);
	uint8_t *out = malloc(n + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(a, i);
		json_int_t x = json_is_integer(v) ? json_integer_value(v) : -1;
		if (x < 0 || x > 255) {
			free(out);
			return cc_error_set(err, -EINVAL, "%s[%zu]: expected an integer 0..255", what,
			                    i);
		}
		out[i] = (uint8_t)x;
	}
	*ret = out;
	*ret_len = n;
	return 0;
}
