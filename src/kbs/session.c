/* RCAR sessions in the store (session.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "jose_util.h"
#include "kbs_util.h"
#include "session.h"

#define NONCE_BYTES 32

void kbs_session_clear(struct kbs_session *s)
{
	json_decref(s->request);
	free(s->tee);
	free(s->nonce);
	if (s->token != NULL)
		cj_free_secret(s->token, strlen(s->token));
	memset(s, 0, sizeof(*s));
}

static void uuid4_simple(const uint8_t b[16], char out[KBS_SESSION_ID_LEN + 1])
{
	uint8_t u[16];
	memcpy(u, b, 16);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	kbs_hex(u, 16, out);
}

int kbs_session_new(json_t *request, const char *tee, int64_t now, int64_t timeout_s,
                    struct kbs_session *ret, cc_error **err)
{
	uint8_t rnd[16 + NONCE_BYTES];
	struct kbs_session s = {0};
	int r = kbs_random(rnd, sizeof(rnd), err);
	if (r < 0)
		return r;
	uuid4_simple(rnd, s.id);
	s.nonce = cj_b64_encode(rnd + 16, NONCE_BYTES);
	s.tee = strdup(tee);
	s.expires = now + timeout_s;
	s.request = json_incref(request);
	if (s.nonce == NULL || s.tee == NULL) {
		kbs_session_clear(&s);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = s;
	return 0;
}

static bool is_session_id(const char *id, size_t len)
{
	if (len != KBS_SESSION_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

/* The JSON of s, in Trustee's SessionStatus form. */
static json_t *session_json(const struct kbs_session *s)
{
	char ts[32];
	kbs_fmt_rfc3339(s->expires, ts, sizeof(ts));
	if (s->attested)
		return json_pack("{s:{s:s,s:s,s:s}}", "Attested", "token", s->token, "id", s->id,
		                 "timeout", ts);
	return json_pack("{s:{s:O,s:{s:s,s:s},s:s,s:s}}", "Authed", "request", s->request,
	                 "challenge", "nonce", s->nonce, "extra-params", "", "id", s->id, "timeout",
	                 ts);
}

int kbs_session_put(kbs_store *st, const struct kbs_session *s, cc_error **err)
{
	json_t *j = session_json(s);
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t len = strlen(text);
	int r = kbs_store_put(st, KBS_NS_SESSION, s->id, KBS_SESSION_ID_LEN, text, len, s->expires,
	                      KBS_PUT_OVERWRITE, err);
	cj_free_secret(text, len);
	return r;
}

static const char *str_member(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int kbs_session_parse(const uint8_t *p, size_t len, struct kbs_session *ret, cc_error **err)
{
	json_t *j = NULL;
	int r = cj_json_parse(p, len, CC_KBS_MAX_VALUE_BYTES, &j, "stored session", err);
	if (r < 0)
		return r;
	struct kbs_session s = {0};
	const json_t *b = json_object_get(j, "Authed");
	s.attested = b == NULL;
	if (b == NULL)
		b = json_object_get(j, "Attested");
	const char *id = str_member(b, "id"), *ts = str_member(b, "timeout");
	r = json_object_size(j) == 1 && json_is_object(b) && id != NULL &&
	            is_session_id(id, strlen(id)) && ts != NULL &&
	            kbs_parse_rfc3339(ts, &s.expires) == 0
	        ? 0
	        : -EINVAL;
	if (r == 0) {
		memcpy(s.id, id, KBS_SESSION_ID_LEN + 1);
		if (s.attested) {
			const char *tok = str_member(b, "token");
			r = tok == NULL ? -EINVAL : (s.token = strdup(tok)) == NULL ? -ENOMEM : 0;
		} else {
			const json_t *rq = json_object_get(b, "request");
			const char *tee = str_member(rq, "tee");
			const char *nonce = str_member(json_object_get(b, "challenge"), "nonce");
			r = tee == NULL || nonce == NULL ? -EINVAL : 0;
			if (r == 0) {
				s.request = json_incref((json_t *)rq);
				s.tee = strdup(tee);
				s.nonce = strdup(nonce);
				r = s.tee == NULL || s.nonce == NULL ? -ENOMEM : 0;
			}
		}
	}
	json_decref(j);
	if (r < 0) {
		kbs_session_clear(&s);
		return cc_error_set(err, r, r == -ENOMEM ? "out of memory" : "stored session is malformed");
	}
	*ret = s;
	return 0;
}

int kbs_session_get(kbs_store *st, const char *id, size_t id_len, int64_t now,
                    struct kbs_session *ret, cc_error **err)
{
	if (!is_session_id(id, id_len))
		return cc_error_set(err, -ENOENT, "the kbs-session-id cookie is not a session id");
	uint8_t *v = NULL;
	size_t n = 0;
	cc_error *e = NULL;
	int r = kbs_store_get(st, KBS_NS_SESSION, id, id_len, &v, &n, NULL, &e);
	if (r == -ENOENT) {
		cc_error_free(e);
		return cc_error_set(err, r, "no such session (unknown or expired)");
	}
	if (r < 0) {
		cc_error_move(err, &e);
		return r;
	}
	struct kbs_session s;
	r = kbs_session_parse(v, n, &s, err);
	kbs_store_value_free(v, n);
	if (r < 0)
		return r;
	if (s.expires <= now) {
		kbs_session_clear(&s);
		return cc_error_set(err, -ENOENT, "the session has expired");
	}
	*ret = s;
	return 0;
}

char *kbs_session_cookie(const struct kbs_session *s)
{
	char date[40], *out = NULL;
	kbs_fmt_http_date(s->expires, date, sizeof(date));
	if (asprintf(&out, KBS_SESSION_COOKIE "=%s; Expires=%s", s->id, date) < 0)
		return NULL;
	return out;
}

int kbs_session_attest(struct kbs_session *s, const char *token, cc_error **err)
{
	char *t = strdup(token);
	if (t == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	json_decref(s->request);
	s->request = NULL;
	free(s->nonce);
	s->nonce = NULL;
	s->token = t;
	s->attested = true;
	return 0;
}
