/* A parsed JWK set (RFC 7517 §5): the keys the KBS token verifier looks
 * "kid"s up in (Trustee's trusted_jwk_sets). Every key must parse: a set
 * with one bad key is refused whole, as serde refuses it in Trustee. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "jose_util.h"
#include "jose_jwk.h"

struct cj_jwks {
	size_t n;
	cj_jwk **keys;
};

void cj_jwks_free(cj_jwks *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		cj_jwk_free(s->keys[i]);
	free(s->keys);
	free(s);
}

int cj_jwks_parse(const char *json, size_t len, cj_jwks **ret, cc_error **err)
{
	json_t *o = NULL;
	int r = cj_json_parse(json, len, CC_JOSE_MAX_JWK_BYTES, &o, "jwks", err);
	if (r < 0)
		return r;
	const json_t *keys = json_object_get(o, "keys");
	size_t n = json_array_size(keys);
	if (!json_is_array(keys))
		r = cc_error_set(err, -EINVAL, "jwks: \"keys\" is not an array");
	else if (n > CC_JOSE_MAX_JWKS_KEYS)
		r = cc_error_set(err, -E2BIG, "jwks: %zu keys, more than %u", n, CC_JOSE_MAX_JWKS_KEYS);
	cj_jwks *s = r == 0 ? calloc(1, sizeof(*s)) : NULL;
	if (r == 0 && (s == NULL || (s->keys = calloc(n ? n : 1, sizeof(*s->keys))) == NULL))
		r = cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = cj_jwk_from_json(json_array_get(keys, i), &s->keys[i], err);
		if (r < 0)
			cc_error_wrap(err, "jwks: key %zu", i);
		else
			s->n++;
	}
	json_decref(o);
	if (r < 0) {
		cj_jwks_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

size_t cj_jwks_count(const cj_jwks *s)
{
	return s ? s->n : 0;
}

const cj_jwk *cj_jwks_at(const cj_jwks *s, size_t i)
{
	return s && i < s->n ? s->keys[i] : NULL;
}

const cj_jwk *cj_jwks_find(const cj_jwks *s, const char *kid)
{
	for (size_t i = 0; s && kid && i < s->n; i++) {
		const char *k = cj_jwk_kid(s->keys[i]);
		if (k != NULL && strcmp(k, kid) == 0)
			return s->keys[i];
	}
	return NULL;
}
