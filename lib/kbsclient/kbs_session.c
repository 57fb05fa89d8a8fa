/* The shared KBS session and its token cache (kbs_session.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jose_util.h"
#include "kbs_client.h"
#include "kbs_session.h"

struct kbs_session {
	pthread_mutex_t lock; /* over everything below and the HTTP handle */
	kbs_http *http;
	cj_jwk *tee_key;
	attest_attester *attester;
	char *init_data;
	size_t init_data_len;
	unsigned margin_s;
	char *token;   /* NULL: none; wiped when dropped */
	bool has_exp;  /* the token carries "exp" */
	int64_t exp;
	uint64_t rcars;
};

int kbs_session_new(const struct kbs_session_opts *o, kbs_session **ret, cc_error **err)
{
	if (o->attester == NULL)
		return cc_error_set(err, -EINVAL, "KBS session: no attester");
	kbs_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return cc_error_set(err, -ENOMEM, "KBS session: cannot make a lock");
	}
	s->attester = o->attester;
	s->margin_s = o->margin_s != 0 ? o->margin_s : KBS_SESSION_MARGIN_S;
	int r = kbs_http_new(o->url, NULL, &s->http, err);
	if (r >= 0 && o->ca_pem != NULL)
		r = kbs_http_set_ca_pem(s->http, o->ca_pem, o->ca_pem_len, err);
	if (r >= 0)
		r = kbs_tee_key_new(o->tee_key_algorithm, &s->tee_key, err);
	if (r >= 0 && o->init_data != NULL) {
		s->init_data = malloc(o->init_data_len + 1);
		if (s->init_data == NULL) {
			r = cc_error_set(err, -ENOMEM, "out of memory");
		} else {
			memcpy(s->init_data, o->init_data, o->init_data_len);
			s->init_data[o->init_data_len] = '\0';
			s->init_data_len = o->init_data_len;
		}
	}
	if (r < 0) {
		kbs_session_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

static void drop_token(kbs_session *s)
{
	if (s->token != NULL)
		cj_free_secret(s->token, strlen(s->token));
	s->token = NULL;
	s->has_exp = false;
}

void kbs_session_free(kbs_session *s)
{
	if (s == NULL)
		return;
	drop_token(s);
	kbs_http_free(s->http);
	cj_jwk_free(s->tee_key);
	free(s->init_data);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Whether the cached token may be used now: there is one, and it carries
 * no exp (the KBS will say, with a 401) or now < exp - margin. */
static bool token_fresh(const kbs_session *s)
{
	if (s->token == NULL)
		return false;
	if (!s->has_exp)
		return true;
	return (int64_t)time(NULL) < s->exp - (int64_t)s->margin_s;
}

/* A new RCAR; the lock is held. */
static int attest_locked(kbs_session *s, cc_error **err)
{
	drop_token(s);
	struct kbs_rcar o = {
	    .attester = s->attester,
	    .tee_key = s->tee_key,
	    .init_data = s->init_data,
	    .init_data_len = s->init_data_len,
	};
	s->rcars++;
	char *tok = NULL;
	int r = kbs_rcar_token(s->http, &o, &tok, err);
	if (r < 0)
		return r;
	int64_t exp = 0;
	/* A token whose claims cannot be read is used once and not kept. */
	int e = kbs_token_expiry(tok, strlen(tok), &exp, NULL);
	s->token = tok;
	s->has_exp = e != 0;
	s->exp = e > 0 ? exp : 0;
	return 0;
}

static int fresh_locked(kbs_session *s, cc_error **err)
{
	return token_fresh(s) ? 0 : attest_locked(s, err);
}

int kbs_session_token(kbs_session *s, char **ret_token, cc_error **err)
{
	pthread_mutex_lock(&s->lock);
	int r = fresh_locked(s, err);
	char *copy = NULL;
	if (r >= 0 && (copy = strdup(s->token)) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_unlock(&s->lock);
	if (r >= 0)
		*ret_token = copy;
	return r;
}

int kbs_session_get_resource(kbs_session *s, const char *path, unsigned char **ret,
                             size_t *ret_len, cc_error **err)
{
	int r = kbs_resource_path_check(path, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&s->lock);
	for (int attempt = 0; attempt < 2; attempt++) {
		r = fresh_locked(s, err);
		if (r < 0)
			break;
		cc_error *e = NULL;
		long status = 0;
		bool refused = false;
		r = kbs_resource_fetch(s->http, path, NULL, s->tee_key, ret, ret_len, &status, &refused,
		                       &e);
		if (r < 0 && refused && attempt == 0) {
			/* the KBS forgot the session or refuses the token: once more */
			cc_error_free(e);
			drop_token(s);
			continue;
		}
		if (r < 0)
			cc_error_move(err, &e);
		break;
	}
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? cc_error_wrap(err, "resource %s", path) : 0;
}

const cj_jwk *kbs_session_tee_key(const kbs_session *s)
{
	return s->tee_key;
}

uint64_t kbs_session_rcars(const kbs_session *s)
{
	kbs_session *m = (kbs_session *)s;
	pthread_mutex_lock(&m->lock);
	uint64_t n = m->rcars;
	pthread_mutex_unlock(&m->lock);
	return n;
}
