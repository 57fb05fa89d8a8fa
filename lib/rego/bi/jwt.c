/* JWT builtins (OPA v1/topdown/tokens.go): io.jwt.decode,
 * io.jwt.verify_{hs,rs,ps,es}{256,384,512}, io.jwt.verify_eddsa and
 * io.jwt.decode_verify; encode_sign and encode_sign_raw are in
 * bi/jwt_sign.c, keys and signatures in bi/jwt_keys.c and bi/jwt_crypto.c.
 *
 * A token is JWS compact serialization (RFC 7515 §7.1): three base64url
 * sections. Header and payload are JSON objects read by the engine's JSON
 * reader (duplicate keys are refused: docs/rego.md). decode_verify checks
 * RFC 7519 §7.2: header, signature (cert or secret constraint), nested
 * tokens (cty "JWT"), then iss, aud, exp and nbf against the constraints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../convert.h"
#include "cocoon/limits.h"
#include "jwt_int.h"

struct token {
	const char *h, *p, *s; /* the three base64url sections */
	size_t hn, pn, sn;
	const rv *header;      /* decoded header object (once read) */
};

/* OPA's decodeJWT. */
static int token_split(rctx *cx, const char *t, size_t n, struct token *tk)
{
	const char *d1 = memchr(t, '.', n);
	if (d1 == NULL)
		return rbi_err(cx, "encoded JWT had no period separators");
	size_t parts = 1;
	for (size_t i = 0; i < n; i++)
		parts += t[i] == '.';
	if (parts != 3)
		return rbi_err(cx, "encoded JWT must have 3 sections, found %zu", parts);
	const char *d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - t));
	*tk = (struct token){t, d1 + 1, d2 + 1, (size_t)(d1 - t), (size_t)(d2 - d1 - 1),
	                     n - (size_t)(d2 + 1 - t), NULL};
	return 0;
}

/* OPA reads JWT headers and payloads with Go's json.Unmarshal, where the
 * last of duplicate keys wins, and relies on it (tokens.go,
 * extractJSONObject): a token whose JSON the engine's reader refuses is
 * read again by jansson without JSON_REJECT_DUPLICATES (which keeps the
 * last). -EINVAL if jansson refuses it too (the first error is reported). */
static int last_key_wins(rctx *cx, const char *s, size_t n, const rv **ret)
{
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY, NULL);
	if (j == NULL)
		return -EINVAL;
	cc_error *e = NULL;
	int r = rv_from_jansson(rctx_arena(cx), j, ret, &e);
	cc_error_free(e);
	json_decref(j);
	return r == -ENOMEM ? -ENOMEM : r < 0 ? -EINVAL : 0;
}

/* OPA's extractJSONObject; prefix is put before its messages. */
static int json_object_of(rctx *cx, const char *s, size_t n, const char *prefix, const rv **ret)
{
	cc_error *e = NULL;
	const rv *v = NULL;
	int r = rv_from_json_text(rctx_arena(cx), s, n, &v, &e);
	if (r == -EINVAL && (r = last_key_wins(cx, s, n, &v)) == 0) {
		cc_error_free(e);
		e = NULL;
	}
	if (r == -ENOMEM) {
		cc_error_free(e);
		return rbi_oom(cx);
	}
	if (r < 0) {
		r = rbi_err(cx, "%sinvalid JSON: %s", prefix, cc_error_message(e));
		cc_error_free(e);
		return r;
	}
	if (v->t != RV_OBJ)
		return rbi_err(cx, "%sdecoded JSON type was not an Object", prefix);
	*ret = v;
	return 0;
}

/* OPA's decodeHeader and validateJWTHeader. */
static int token_header(rctx *cx, struct token *tk)
{
	char *h;
	size_t hn;
	int r = rjwt_b64url_decode(cx, tk->h, tk->hn, &h, &hn, "JWT header had invalid encoding");
	if (r < 0 || (r = json_object_of(cx, h, hn, "bad JWT header: ", &tk->header)) < 0)
		return r;
	if (rv_obj_gets(tk->header, "enc", 3))
		return rbi_err(cx, "JWT is a JWE object, which is not supported");
	return 0;
}

static int token_signature(rctx *cx, const struct token *tk, char **sig, size_t *sign)
{
	return rjwt_b64url_decode(cx, tk->s, tk->sn, sig, sign, NULL);
}

static const rv *hex_of(rctx *cx, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	if (n > CC_REGO_MAX_BUILTIN_ELEMS / 2)
		return NULL;
	char *o = rarena_alloc(rctx_arena(cx), 2 * n + 1);
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		o[2 * i] = digits[p[i] >> 4];
		o[2 * i + 1] = digits[p[i] & 15];
	}
	o[2 * n] = '\0';
	return rv_str_ref(rctx_arena(cx), o, 2 * n);
}

static bool str_is(const rv *v, const char *s)
{
	return v && v->t == RV_STR && v->u.s.n == strlen(s) && memcmp(v->u.s.p, s, v->u.s.n) == 0;
}

/* Trims the characters " and ' from both ends (OPA's trim(p, "\"'")). */
static void trim_quotes(const char **p, size_t *n)
{
	while (*n > 0 && (**p == '"' || **p == '\''))
		(*p)++, (*n)--;
	while (*n > 0 && ((*p)[*n - 1] == '"' || (*p)[*n - 1] == '\''))
		(*n)--;
}

static int bi_jwt_decode(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *t;
	size_t tn;
	int r = rbi_arg_str(cx, args, 0, &t, &tn);
	if (r < 0)
		return r;
	for (;;) {
		struct token tk;
		char *p, *sig;
		size_t pn, sign;
		if ((r = token_split(cx, t, tn, &tk)) < 0 || (r = token_header(cx, &tk)) < 0)
			return r;
		r = rjwt_b64url_decode(cx, tk.p, tk.pn, &p, &pn, "JWT payload had invalid encoding");
		if (r < 0)
			return r;
		if (str_is(rv_obj_gets(tk.header, "cty", 3), "JWT")) {
			/* A nested token: each round decodes a shorter text. */
			t = p;
			tn = pn;
			trim_quotes(&t, &tn);
			continue;
		}
		const rv *payload;
		if ((r = json_object_of(cx, p, pn, "", &payload)) < 0)
			return r;
		r = rjwt_b64url_decode(cx, tk.s, tk.sn, &sig, &sign, "JWT signature had invalid encoding");
		if (r < 0)
			return r;
		const rv *items[3] = {tk.header, payload, hex_of(cx, (unsigned char *)sig, sign)};
		if (items[2] == NULL || (*ret = rv_arr(rctx_arena(cx), items, 3)) == NULL)
			return rbi_oom(cx);
		return 0;
	}
}

/* ---- header fields (OPA's parseTokenHeader) --------------------------------- */

struct jhdr {
	const char *alg, *kid; /* "" when absent */
	const rv *crit;        /* array or NULL */
	const rv *unknown[64];
	size_t nunknown;
	bool unknown_overflow;
};

static int header_fields(rctx *cx, const rv *h, struct jhdr *o)
{
	static const char *const strs[] = {"alg", "kid", "typ", "cty"};
	memset(o, 0, sizeof(*o));
	o->alg = o->kid = "";
	for (size_t i = 0; i < h->u.o.n; i++) {
		const rv *k = h->u.o.k[i], *v = h->u.o.v[i];
		size_t j;
		for (j = 0; j < 4 && !str_is(k, strs[j]); j++)
			;
		if (j < 4) {
			if (v->t != RV_STR)
				return rbi_err(cx, "%s: must be a string", strs[j]);
			if (j == 0)
				o->alg = v->u.s.p;
			else if (j == 1)
				o->kid = v->u.s.p;
		} else if (str_is(k, "crit")) {
			if (v->t != RV_ARR)
				return rbi_err(cx, "crit: must be a list");
			size_t strings = 0;
			for (size_t m = 0; m < v->u.a.n; m++)
				strings += v->u.a.v[m]->t == RV_STR;
			if (strings == 0)
				return rbi_err(cx, "crit: must be a nonempty list");
			o->crit = v;
		} else if (o->nunknown < sizeof(o->unknown) / sizeof(o->unknown[0])) {
			o->unknown[o->nunknown++] = k;
		} else {
			o->unknown_overflow = true;
		}
	}
	return 0;
}

/* RFC 7515 §4.1.1 (alg present) and §4.1.11 (no unknown critical names). */
static bool header_valid(const struct jhdr *o)
{
	if (o->alg[0] == '\0')
		return false;
	if (o->crit == NULL)
		return true;
	if (o->unknown_overflow)
		return false;
	for (size_t i = 0; i < o->nunknown; i++)
		for (size_t m = 0; m < o->crit->u.a.n; m++)
			if (rv_eq(o->crit->u.a.v[m], o->unknown[i]))
				return false;
	return true;
}

/* OPA's key choice: the key whose kid is the header's, else every key
 * whose alg is empty or the header's. verify_alg is the builtin's
 * algorithm (verify_*) or the header's (decode_verify). */
static bool keys_verify(const struct rjwt_keys *ks, const struct jhdr *h, const char *verify_alg,
                        const struct token *tk, const char *sig, size_t sign)
{
	size_t msgn = tk->hn + 1 + tk->pn; /* header "." payload, contiguous in the token */
	const unsigned char *s = (const unsigned char *)sig;
	if (h->kid[0])
		for (size_t i = 0; i < ks->n; i++)
			if (ks->k[i].kid && strcmp(ks->k[i].kid, h->kid) == 0)
				return rjwt_verify(&ks->k[i], verify_alg, tk->h, msgn, s, sign);
	for (size_t i = 0; i < ks->n; i++) {
		if (ks->k[i].alg[0] && strcmp(ks->k[i].alg, h->alg) != 0)
			continue;
		if (rjwt_verify(&ks->k[i], verify_alg, tk->h, msgn, s, sign))
			return true;
	}
	return false;
}

/* ---- verify_* ------------------------------------------------------------------ */

static int verify_pk(rctx *cx, const rv *const *args, const rv **ret, const char *alg)
{
	const char *t, *ktxt;
	size_t tn, kn;
	struct token tk;
	int r = rbi_arg_str(cx, args, 0, &t, &tn);
	if (r < 0 || (r = token_split(cx, t, tn, &tk)) < 0 ||
	    (r = rbi_arg_str(cx, args, 1, &ktxt, &kn)) < 0)
		return r;
	struct rjwt_keys *ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return rbi_oom(cx);
	char *sig;
	size_t sign;
	struct jhdr h;
	if ((r = rjwt_keys_from_text(cx, ktxt, kn, ks)) == 0 &&
	    (r = token_signature(cx, &tk, &sig, &sign)) == 0 && (r = token_header(cx, &tk)) == 0 &&
	    (r = header_fields(cx, tk.header, &h)) == 0)
		*ret = rv_bool(keys_verify(ks, &h, alg, &tk, sig, sign));
	rjwt_keys_fini(ks);
	free(ks);
	return r;
}

static int verify_hs(rctx *cx, const rv *const *args, const rv **ret, const char *alg)
{
	const char *t, *sec;
	size_t tn, secn;
	struct token tk;
	char *sig;
	size_t sign;
	int r = rbi_arg_str(cx, args, 0, &t, &tn);
	if (r < 0 || (r = rbi_arg_str(cx, args, 1, &sec, &secn)) < 0 ||
	    (r = token_split(cx, t, tn, &tk)) < 0 || (r = token_signature(cx, &tk, &sig, &sign)) < 0)
		return r;
	struct rjwt_key k = {.secret = (unsigned char *)sec, .secret_len = secn};
	*ret = rv_bool(rjwt_verify(&k, alg, tk.h, tk.hn + 1 + tk.pn, (unsigned char *)sig, sign));
	return 0;
}

#define VERIFY(name, kind, alg)                                                                    \
	static int bi_verify_##name(rctx *cx, const rv *const *args, const rv **ret)               \
	{                                                                                          \
		return kind(cx, args, ret, alg);                                                   \
	}
VERIFY(rs256, verify_pk, "RS256")
VERIFY(rs384, verify_pk, "RS384")
VERIFY(rs512, verify_pk, "RS512")
VERIFY(ps256, verify_pk, "PS256")
VERIFY(ps384, verify_pk, "PS384")
VERIFY(ps512, verify_pk, "PS512")
VERIFY(es256, verify_pk, "ES256")
VERIFY(es384, verify_pk, "ES384")
VERIFY(es512, verify_pk, "ES512")
VERIFY(eddsa, verify_pk, "EdDSA")
VERIFY(hs256, verify_hs, "HS256")
VERIFY(hs384, verify_hs, "HS384")
VERIFY(hs512, verify_hs, "HS512")

/* ---- decode_verify --------------------------------------------------------------- */

struct constraints {
	const rv *secret, *alg, *iss, *aud; /* strings or NULL */
	bool have_keys;
	double time; /* ns */
	struct rjwt_keys keys;
};

static int constraint(rctx *cx, const rv *k, const rv *v, struct constraints *c, bool *have_time)
{
	static const char *const strs[] = {"secret", "alg", "iss", "aud"};
	const rv **slot[] = {&c->secret, &c->alg, &c->iss, &c->aud};
	for (size_t j = 0; j < 4; j++) {
		if (!str_is(k, strs[j]))
			continue;
		if (v->t != RV_STR)
			return rbi_err(cx, "%s constraint: must be a string", strs[j]);
		*slot[j] = v;
		return 0;
	}
	if (str_is(k, "cert")) {
		if (v->t != RV_STR)
			return rbi_err(cx, "cert constraint: must be a string");
		rjwt_keys_fini(&c->keys);
		c->have_keys = true;
		return rjwt_keys_from_text(cx, v->u.s.p, v->u.s.n, &c->keys);
	}
	if (str_is(k, "time")) {
		if (v->t != RV_NUM)
			return rbi_err(cx, "token time constraint: must be a number");
		c->time = (double)rv_num_ld(v);
		if (c->time < 0)
			return rbi_err(cx, "token time constraint: must not be negative");
		*have_time = true;
		return 0;
	}
	cc_buf b;
	cc_buf_init(&b, 0);
	int r = k->t == RV_STR ? cc_buf_add(&b, k->u.s.p, k->u.s.n) : rv_to_rego(k, &b);
	r = r < 0 ? rbi_oom(cx) : rbi_err(cx, "unknown token validation constraint: %s", b.p ? b.p : "");
	cc_buf_free(&b);
	return r;
}

static int constraints_parse(rctx *cx, const rv *o, struct constraints *c)
{
	bool have_time = false;
	for (size_t i = 0; i < o->u.o.n; i++) {
		int r = constraint(cx, o->u.o.k[i], o->u.o.v[i], c, &have_time);
		if (r < 0)
			return r;
	}
	if (!have_time)
		c->time = (double)rctx_now_ns(cx);
	int keys = c->have_keys + (c->secret && c->secret->u.s.n > 0);
	if (keys > 1)
		return rbi_err(cx, "duplicate key constraints");
	if (keys < 1)
		return rbi_err(cx, "no key constraint");
	return 0;
}

/* 1 if the signature verifies, 0 if not. */
static int signature_ok(const struct constraints *c, const struct jhdr *h, const struct token *tk,
                        const char *sig, size_t sign)
{
	if (c->have_keys)
		return keys_verify(&c->keys, h, h->alg, tk, sig, sign);
	struct rjwt_key k = {.secret = (unsigned char *)c->secret->u.s.p, .secret_len = c->secret->u.s.n};
	return rjwt_verify(&k, h->alg, tk->h, tk->hn + 1 + tk->pn, (const unsigned char *)sig, sign);
}

/* The verified token's header and payload, or *hdr = NULL when a check
 * failed (the result is then [false, {}, {}]). */
static int verify_token(rctx *cx, const char *t, size_t tn, const struct constraints *c,
                        const rv **hdr, const rv **payload)
{
	*hdr = NULL;
	for (;;) {
		struct token tk;
		struct jhdr h;
		char *sig, *p;
		size_t sign, pn;
		int r;
		if ((r = token_split(cx, t, tn, &tk)) < 0 || (r = token_header(cx, &tk)) < 0 ||
		    (r = header_fields(cx, tk.header, &h)) < 0)
			return r;
		if (!header_valid(&h) || (c->alg && strcmp(c->alg->u.s.p, h.alg) != 0))
			return 0;
		if ((r = token_signature(cx, &tk, &sig, &sign)) < 0)
			return r;
		if (!signature_ok(c, &h, &tk, sig, sign))
			return 0;
		r = rjwt_b64url_decode(cx, tk.p, tk.pn, &p, &pn, "JWT payload had invalid encoding");
		if (r < 0)
			return r;
		const rv *cty = rv_obj_gets(tk.header, "cty", 3);
		if (cty && cty->t == RV_STR && strcasecmp(cty->u.s.p, "JWT") == 0 && cty->u.s.n == 3) {
			t = p;
			tn = pn;
			continue;
		}
		if ((r = json_object_of(cx, p, pn, "", payload)) < 0)
			return r;
		*hdr = tk.header;
		return 0;
	}
}

static bool audience_ok(const rv *aud, const rv *want)
{
	const char *w = want ? want->u.s.p : "";
	if (aud->t == RV_STR)
		return str_is(aud, w);
	if (aud->t != RV_ARR)
		return false;
	for (size_t i = 0; i < aud->u.a.n; i++)
		if (str_is(aud->u.a.v[i], w))
			return true;
	return false;
}

/* ns / 1e9 as a number with the value of Go's shortest float64 text
 * (strconv.FormatFloat(f, 'g', -1, 64)), which OPA compares exp and nbf
 * with exactly. */
static const rv *seconds_of(rctx *cx, double ns)
{
	double f = ns / 1e9;
	char buf[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	return rv_num_parse(rctx_arena(cx), buf, strlen(buf));
}

/* RFC 7519 §4.1: 1 if the claims meet the constraints, 0 if not. */
static int claims_ok(rctx *cx, const rv *payload, const struct constraints *c)
{
	const rv *iss = rv_obj_gets(payload, "iss", 3);
	if (c->iss && c->iss->u.s.n > 0 && (iss == NULL || !rv_eq(iss, c->iss)))
		return 0;
	const rv *aud = rv_obj_gets(payload, "aud", 3);
	if (aud ? !audience_ok(aud, c->aud) : (c->aud && c->aud->u.s.n > 0))
		return 0;
	const rv *exp = rv_obj_gets(payload, "exp", 3), *nbf = rv_obj_gets(payload, "nbf", 3);
	const rv *now = NULL;
	if ((exp || nbf) && (now = seconds_of(cx, c->time)) == NULL)
		return rbi_oom(cx);
	if (exp && exp->t != RV_NUM)
		return rbi_err(cx, "exp value must be a number");
	if (exp && rv_num_cmp(now, exp) >= 0)
		return 0;
	if (nbf && nbf->t != RV_NUM)
		return rbi_err(cx, "nbf value must be a number");
	if (nbf && rv_num_cmp(now, nbf) < 0)
		return 0;
	return 1;
}

static int bi_jwt_decode_verify(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *t;
	size_t tn;
	int r = rbi_arg_str(cx, args, 0, &t, &tn);
	if (r < 0 || (r = rbi_arg_type(cx, args, 1, RT_OBJ)) < 0)
		return r;
	struct constraints *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return rbi_oom(cx);
	const rv *hdr = NULL, *payload = NULL;
	if ((r = constraints_parse(cx, args[1], c)) == 0 &&
	    (r = verify_token(cx, t, tn, c, &hdr, &payload)) == 0 && hdr != NULL) {
		r = claims_ok(cx, payload, c);
		if (r == 0)
			hdr = NULL;
		r = r < 0 ? r : 0;
	}
	rjwt_keys_fini(&c->keys);
	free(c);
	if (r < 0)
		return r;
	const rv *items[3] = {rv_bool(hdr != NULL), hdr ? hdr : rv_empty_obj(),
	                      hdr ? payload : rv_empty_obj()};
	*ret = rv_arr(rctx_arena(cx), items, 3);
	return *ret ? 0 : rbi_oom(cx);
}

const struct rbi rbi_group_jwt[] = {
    {"io.jwt.decode", 1, bi_jwt_decode, NULL, 0, {RT_STR}, RT_ARR},
    {"io.jwt.decode_verify", 2, bi_jwt_decode_verify, NULL, 0, {RT_STR, RT_OBJ}, RT_ARR},
    {"io.jwt.encode_sign", 3, rjwt_bi_encode_sign, NULL, RBI_NONDET, {RT_OBJ, RT_OBJ, RT_OBJ}, RT_STR},
    {"io.jwt.encode_sign_raw", 3, rjwt_bi_encode_sign_raw, NULL, RBI_NONDET, {RT_STR, RT_STR, RT_STR}, RT_STR},
    {"io.jwt.verify_eddsa", 2, bi_verify_eddsa, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_es256", 2, bi_verify_es256, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_es384", 2, bi_verify_es384, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_es512", 2, bi_verify_es512, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_hs256", 2, bi_verify_hs256, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_hs384", 2, bi_verify_hs384, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_hs512", 2, bi_verify_hs512, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_ps256", 2, bi_verify_ps256, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_ps384", 2, bi_verify_ps384, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_ps512", 2, bi_verify_ps512, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_rs256", 2, bi_verify_rs256, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_rs384", 2, bi_verify_rs384, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"io.jwt.verify_rs512", 2, bi_verify_rs512, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
