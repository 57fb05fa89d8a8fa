/* io.jwt.encode_sign and io.jwt.encode_sign_raw (OPA v1/topdown/tokens.go,
 * commonBuiltinJWTEncodeSign): JWS compact serialization (RFC 7515 §7.1)
 * of a header and payload signed with the first key of a JWK or JWKS.
 * encode_sign marshals its objects as Go's json.Marshal does (keys sorted,
 * HTML characters escaped), encode_sign_raw takes the texts as they are.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../convert.h"
#include "jwt_int.h"
#include "cocoon/limits.h"

#define ALG_ERR "missing or invalid 'alg' header: "

/* The header's "alg" (jwsbb.HeaderGetString) into alg[8]. */
static int header_alg(rctx *cx, const char *h, size_t hn, char alg[8])
{
	if (hn == 0)
		return rbi_err(cx, ALG_ERR "cannot parse JSON: cannot parse empty string");
	json_error_t je;
	json_t *o = json_loadb(h, hn, JSON_REJECT_DUPLICATES, &je);
	size_t i = 0;
	while (i < hn && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
		i++;
	if (o == NULL && i < hn && h[i] == '{')
		return rbi_err(cx, ALG_ERR "cannot parse JSON: %s", je.text);
	const json_t *a = json_object_get(o, "alg");
	int r = 0;
	if (a == NULL)
		r = rbi_err(cx, ALG_ERR "jwsbb: header \"alg\" not found");
	else if (!json_is_string(a))
		r = rbi_err(cx, ALG_ERR "jwsbb: header \"alg\" is not a string");
	else if (!rjwt_alg_known(json_string_value(a), json_string_length(a)))
		r = rbi_err(cx, "unknown JWS algorithm: %s", json_string_value(a));
	else
		memcpy(alg, json_string_value(a), json_string_length(a) + 1);
	json_decref(o);
	return r;
}

/* Whether the header's typ is absent, not a string or "JWT". */
static bool typ_is_jwt(const char *h, size_t hn)
{
	json_t *o = json_loadb(h, hn, JSON_REJECT_DUPLICATES, NULL);
	const json_t *t = json_object_get(o, "typ");
	bool jwt = !json_is_string(t) || strcmp(json_string_value(t), "JWT") == 0;
	json_decref(o);
	return jwt;
}

static int encode_sign(rctx *cx, const char *h, size_t hn, const char *p, size_t pn,
                       const char *jwk, size_t jwkn, const rv **ret)
{
	struct rjwt_keys *ks = calloc(1, sizeof(*ks));
	char alg[8];
	if (ks == NULL)
		return rbi_oom(cx);
	int r = rjwt_key_from_jwk_text(cx, jwk, jwkn, ks);
	if (r == 0)
		r = header_alg(cx, h, hn, alg);
	if (r == 0 && typ_is_jwt(h, hn) && !rv_json_valid(p, pn))
		r = rbi_err(cx, "type is JWT but payload is not JSON");
	size_t eh = 0, ep = 0, es = 0;
	char *bh = NULL, *bp = NULL, *bs = NULL, *in = NULL;
	unsigned char *sig = NULL;
	size_t sign = 0;
	if (r == 0) {
		bh = rjwt_b64url_encode(cx, h, hn, &eh);
		bp = rjwt_b64url_encode(cx, p, pn, &ep);
		in = bh && bp ? rarena_alloc(rctx_arena(cx), eh + ep + 2) : NULL;
		if (in == NULL)
			r = rbi_oom(cx);
	}
	if (r == 0) {
		memcpy(in, bh, eh);
		in[eh] = '.';
		memcpy(in + eh + 1, bp, ep);
		r = rjwt_sign(cx, &ks->k[0], alg, in, eh + 1 + ep, &sig, &sign);
	}
	if (r == 0 && (bs = rjwt_b64url_encode(cx, sig, sign, &es)) == NULL)
		r = rbi_oom(cx);
	free(sig);
	rjwt_keys_fini(ks);
	free(ks);
	if (r < 0)
		return r;
	cc_buf out;
	cc_buf_init(&out, 0);
	if (cc_buf_add(&out, in, eh + 1 + ep) < 0 || cc_buf_addc(&out, '.') < 0 ||
	    cc_buf_add(&out, bs, es) < 0)
		r = rbi_oom(cx);
	else if ((*ret = rv_str(rctx_arena(cx), out.p, out.len)) == NULL)
		r = rbi_oom(cx);
	cc_buf_free(&out);
	return r;
}

int rjwt_bi_encode_sign_raw(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *h, *p, *k;
	size_t hn, pn, kn;
	int r;
	if ((r = rbi_arg_str(cx, args, 2, &k, &kn)) < 0 || (r = rbi_arg_str(cx, args, 0, &h, &hn)) < 0 ||
	    (r = rbi_arg_str(cx, args, 1, &p, &pn)) < 0)
		return r;
	return encode_sign(cx, h, hn, p, pn, k, kn, ret);
}

int rjwt_bi_encode_sign(rctx *cx, const rv *const *args, const rv **ret)
{
	cc_buf b[3];
	int r = 0;
	for (int i = 0; i < 3; i++)
		cc_buf_init(&b[i], CC_REGO_MAX_JSON_BYTES);
	for (int i = 0; i < 3 && r == 0; i++) {
		r = rv_to_go_json(args[i], &b[i], "", NULL);
		if (r == -ELOOP)
			r = rbi_limit(cx, "failed to marshal JWT %s: value nested too deeply",
			            i == 0 ? "headers" : i == 1 ? "payload" : "signature");
		else if (r < 0)
			r = rbi_oom(cx);
	}
	if (r == 0)
		r = encode_sign(cx, b[0].p ? b[0].p : "", b[0].len, b[1].p ? b[1].p : "", b[1].len,
		                b[2].p ? b[2].p : "", b[2].len, ret);
	for (int i = 0; i < 3; i++)
		cc_buf_free(&b[i]);
	return r;
}
