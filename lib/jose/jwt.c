/* JWT (RFC 7519): signing a claims object and the time checks of §4.1.4
 * (exp) and §4.1.5 (nbf). A time that is not a number, or does not fit a
 * 64-bit count of seconds, is malformed, never "no limit". */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "jcs_int.h"
#include "jose_jwt.h"

int cj_jwt_sign(const cj_jwk *key, const char *alg, unsigned flags, const json_t *claims,
                char **ret, cc_error **err)
{
	if (!json_is_object(claims))
		return cc_error_set(err, -EINVAL, "jwt: the claims are not a JSON object");
	char *text = NULL;
	size_t len = 0;
	int r = cj_json_dump_ordered(claims, &text, &len, err);
	if (r == 0)
		r = cj_jws_sign(key, alg, flags, text, len, ret, err);
	free(text);
	return r;
}

/* A NumericDate claim as whole seconds (fractions round toward the safe
 * side: down for exp, up for nbf). 0 and *present = false if absent. */
static int numeric_date(const json_t *claims, const char *name, bool up, int64_t *ret,
                        bool *present, cc_error **err)
{
	const json_t *v = json_object_get(claims, name);
	*present = v != NULL;
	if (v == NULL)
		return 0;
	if (json_is_integer(v)) {
		*ret = json_integer_value(v);
		return 0;
	}
	double d = json_is_real(v) ? json_real_value(v) : NAN;
	if (!(d > -9.2e18 && d < 9.2e18))
		return cc_error_set(err, -EINVAL, "jwt: \"%s\" is not a NumericDate", name);
	*ret = (int64_t)(up ? ceil(d) : floor(d));
	return 0;
}

int cj_jwt_check_claims(const json_t *claims, int64_t now, int64_t leeway, unsigned flags,
                        cc_error **err)
{
	if (!json_is_object(claims))
		return cc_error_set(err, -EINVAL, "jwt: the claims are not a JSON object");
	if (leeway < 0 || leeway > 86400 * 365)
		return cc_error_set(err, -EINVAL, "jwt: leeway of %lld s", (long long)leeway);
	int64_t exp = 0, nbf = 0, iat = 0;
	bool has_exp, has_nbf, has_iat;
	int r = numeric_date(claims, "exp", false, &exp, &has_exp, err);
	if (r == 0)
		r = numeric_date(claims, "nbf", true, &nbf, &has_nbf, err);
	if (r == 0)
		r = numeric_date(claims, "iat", false, &iat, &has_iat, err);
	if (r < 0)
		return r;
	if (!has_exp && !(flags & CJ_JWT_EXP_OPTIONAL))
		return cc_error_set(err, -EINVAL, "jwt: no \"exp\" claim");
	/* exp + leeway and nbf - leeway without overflow */
	if (has_exp && (exp < INT64_MAX - leeway ? now >= exp + leeway : false))
		return cc_error_set(err, -EKEYEXPIRED, "jwt: expired at %lld (now %lld)",
		                    (long long)exp, (long long)now);
	if (has_nbf && (nbf > INT64_MIN + leeway ? now < nbf - leeway : false))
		return cc_error_set(err, -EINVAL, "jwt: not valid before %lld (now %lld)",
		                    (long long)nbf, (long long)now);
	return 0;
}
