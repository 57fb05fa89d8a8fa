/* One request on the server: the handler thread, what the handler can read
 * and set, and the answer (docs/ttrpc.md "Server"). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ttrpc_int.h"

void ttrpc_call_free(ttrpc_call *call)
{
	if (call == NULL)
		return;
	for (size_t i = 0; i < call->n_owned; i++)
		ttrpc_pb_free(call->owned[i]);
	free(call->owned);
	free(call->reply);
	if (call->cancel_efd >= 0)
		close(call->cancel_efd);
	ttrpc_pb_free(call->req != NULL ? &call->req->base : NULL);
	free(call);
}

/* Builds the encoded Response for a finished handler. */
static int build_response(ttrpc_call *call, int r, cc_error *e, uint8_t **ret, size_t *ret_len)
{
	if (r >= 0)
		return ttrpc_response_encode(TTRPC_OK, NULL, call->reply, call->reply_len, ret,
		                             ret_len, NULL);
	int code = call->code != 0 ? call->code : ttrpc_code_from_errno(r);
	if (code == TTRPC_OK)
		code = TTRPC_UNKNOWN;
	const char *msg = e != NULL ? cc_error_message(e) : strerror(-r);
	return ttrpc_response_encode(code, msg, NULL, 0, ret, ret_len, NULL);
}

static void *call_main(void *arg)
{
	ttrpc_call *call = arg;
	ttrpc_conn *c = call->conn;
	cc_error *e = NULL;
	int r = call->fn(call, call->svc->userdata, &e);

	uint8_t *p = NULL;
	size_t len = 0;
	if (build_response(call, r, e, &p, &len) < 0) {
		/* Only a reply over the frame cap gets here (Go would drop the
		 * connection): answer that instead. */
		free(p);
		p = NULL;
		(void)ttrpc_response_encode(TTRPC_RESOURCE_EXHAUSTED,
		                            "response exceeds maximum message size", NULL, 0, &p, &len,
		                            NULL);
	}
	cc_error_free(e);

	bool send = false;
	pthread_mutex_lock(&c->mu);
	if (!call->answered) {
		call->answered = true;
		send = true;
	}
	for (ttrpc_call **pp = &c->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == call) {
			*pp = call->next;
			break;
		}
	pthread_mutex_unlock(&c->mu);
	if (send && p != NULL)
		ttrpc_conn_send(c, call->stream_id, TTRPC_MSG_RESPONSE, p, len);
	free(p);
	ttrpc_call_free(call);

	/* Last: the connection (and its fd) may go once inflight is 0. */
	pthread_mutex_lock(&c->mu);
	c->inflight--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int ttrpc_call_start(ttrpc_call *call)
{
	pthread_attr_t attr;
	int r = pthread_attr_init(&attr);
	if (r != 0)
		return -r;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	size_t stack = call->conn->server->opts.handler_stack_bytes;
	if (stack > 0 && (r = pthread_attr_setstacksize(&attr, stack)) != 0) {
		pthread_attr_destroy(&attr);
		return -r;
	}
	pthread_t t;
	r = pthread_create(&t, &attr, call_main, call);
	pthread_attr_destroy(&attr);
	return -r;
}

const char *ttrpc_call_service(const ttrpc_call *c)
{
	return c->req->service;
}

const char *ttrpc_call_method(const ttrpc_call *c)
{
	return c->req->method;
}

uint32_t ttrpc_call_stream_id(const ttrpc_call *c)
{
	return c->stream_id;
}

const uint8_t *ttrpc_call_payload(const ttrpc_call *c, size_t *ret_len)
{
	*ret_len = c->req->payload.len;
	return c->req->payload.len ? c->req->payload.data : (const uint8_t *)"";
}

size_t ttrpc_call_metadata_count(const ttrpc_call *c)
{
	return c->req->n_metadata;
}

int ttrpc_call_metadata_at(const ttrpc_call *c, size_t i, const char **ret_key,
                           const char **ret_value)
{
	if (i >= c->req->n_metadata)
		return -ERANGE;
	*ret_key = c->req->metadata[i]->key;
	*ret_value = c->req->metadata[i]->value;
	return 0;
}

/* Go's MD.Get lowercases the key asked for (ASCII, as strings.ToLower
 * does for these) and looks it up as stored. */
static bool key_matches(const char *stored, const char *asked)
{
	for (; *asked != '\0'; stored++, asked++)
		if (*stored != (char)tolower((unsigned char)*asked))
			return false;
	return *stored == '\0';
}

const char *ttrpc_call_metadata_get(const ttrpc_call *c, const char *key)
{
	for (size_t i = 0; i < c->req->n_metadata; i++)
		if (key_matches(c->req->metadata[i]->key, key))
			return c->req->metadata[i]->value;
	return NULL;
}

bool ttrpc_call_deadline(const ttrpc_call *c, struct timespec *ret)
{
	if (c->has_deadline && ret != NULL)
		*ret = c->deadline;
	return c->has_deadline;
}

bool ttrpc_call_cancelled(const ttrpc_call *c)
{
	if (atomic_load(&c->cancelled) || ttrpc_eventfd_fired(c->conn->gone_efd) ||
	    ttrpc_eventfd_fired(c->conn->server->kill_efd))
		return true;
	return c->has_deadline && ttrpc_deadline_ms(&c->deadline) == 0;
}

int ttrpc_call_poll(ttrpc_call *c, struct pollfd *fds, nfds_t n, int timeout_ms)
{
	pthread_mutex_lock(&c->conn->mu);
	if (c->cancel_efd < 0)
		c->cancel_efd = ttrpc_eventfd();
	int efd = c->cancel_efd;
	pthread_mutex_unlock(&c->conn->mu);
	if (efd < 0)
		return efd;
	struct pollfd *all = calloc(n + 3, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	struct timespec until = ttrpc_deadline_in((int64_t)timeout_ms * 1000000);
	int r;
	for (;;) {
		if (atomic_load(&c->cancelled) || ttrpc_eventfd_fired(c->conn->gone_efd) ||
		    ttrpc_eventfd_fired(c->conn->server->kill_efd)) {
			r = -ECANCELED;
			break;
		}
		int dl = c->has_deadline ? ttrpc_deadline_ms(&c->deadline) : -1;
		if (dl == 0) {
			r = -ETIMEDOUT;
			break;
		}
		int ms = timeout_ms < 0 ? -1 : ttrpc_deadline_ms(&until);
		if (dl > 0 && (ms < 0 || dl < ms))
			ms = dl;
		if (n > 0)
			memcpy(all, fds, n * sizeof(*fds));
		all[n] = (struct pollfd){.fd = c->conn->gone_efd, .events = POLLIN};
		all[n + 1] = (struct pollfd){.fd = c->conn->server->kill_efd, .events = POLLIN};
		all[n + 2] = (struct pollfd){.fd = efd, .events = POLLIN};
		r = poll(all, n + 3, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			break;
		}
		if (all[n].revents || all[n + 1].revents || all[n + 2].revents)
			continue; /* reported at the top */
		if (r > 0) {
			if (n > 0)
				memcpy(fds, all, n * sizeof(*fds));
			break;
		}
		if (timeout_ms >= 0 && ttrpc_deadline_ms(&until) == 0)
			break; /* r == 0 */
	}
	free(all);
	return r;
}

int ttrpc_call_unpack(ttrpc_call *c, const ProtobufCMessageDescriptor *desc,
                      ProtobufCMessage **ret, cc_error **err)
{
	ProtobufCMessage **owned = realloc(c->owned, (c->n_owned + 1) * sizeof(*owned));
	if (owned == NULL)
		return cc_error_set(err, -ENOMEM, "%s: out of memory", desc->name);
	c->owned = owned;
	ProtobufCMessage *m = NULL;
	int r = ttrpc_pb_unpack(desc, c->req->payload.data, c->req->payload.len, &m, err);
	if (r < 0) {
		c->code = TTRPC_INTERNAL;
		return cc_error_wrap(err, "ttrpc: error unmarshalling payload");
	}
	c->owned[c->n_owned++] = m;
	*ret = m;
	return 0;
}

int ttrpc_call_reply(ttrpc_call *c, const void *data, size_t len, cc_error **err)
{
	if (len > CC_TTRPC_MAX_MESSAGE_BYTES)
		return cc_error_set(err, -E2BIG, "reply: %zu bytes, more than %u", len,
		                    CC_TTRPC_MAX_MESSAGE_BYTES);
	uint8_t *p = malloc(len ? len : 1);
	if (p == NULL)
		return cc_error_set(err, -ENOMEM, "reply: out of memory");
	if (len)
		memcpy(p, data, len);
	free(c->reply);
	c->reply = p;
	c->reply_len = len;
	return 0;
}

int ttrpc_call_reply_pb(ttrpc_call *c, const ProtobufCMessage *m, cc_error **err)
{
	uint8_t *p = NULL;
	size_t len = 0;
	int r = ttrpc_pb_pack(m, &p, &len, err);
	if (r < 0)
		return r;
	free(c->reply);
	c->reply = p;
	c->reply_len = len;
	return 0;
}

void ttrpc_call_set_code(ttrpc_call *c, int code)
{
	c->code = code;
}
