/* The event publisher (events.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cocoon/limits.h"
#include "containerd/api/services/ttrpc/events/v1/events.pb-c.h"
#include "events.h"
#include "google/protobuf/empty.pb-c.h"
#include "shim.h"

#define FORWARD_TIMEOUT_NS (5LL * 1000 * 1000 * 1000)

struct event {
	char *topic;
	char *type_url;
	uint8_t *data;
	size_t len;
	struct timespec when;
};

struct shim_events {
	struct shim *sh;
	char *address, *ns;
	pthread_mutex_t mu;
	pthread_cond_t cond, idle;
	struct event q[CC_SHIM_EVENT_QUEUE];
	size_t head, n;
	bool busy, stop;
	atomic_bool stopping; /* no more retries: shutting down */
	pthread_t thread;
	ttrpc_client *client;
};

static void event_free(struct event *ev)
{
	free(ev->topic);
	free(ev->type_url);
	free(ev->data);
	memset(ev, 0, sizeof(*ev));
}

static int forward(struct shim_events *e, const struct event *ev, cc_error **err)
{
	if (e->client == NULL) {
		int r = ttrpc_client_connect_unix(e->address, &e->client, err);
		if (r < 0)
			return r;
	}
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts.seconds = ev->when.tv_sec;
	ts.nanos = (int32_t)ev->when.tv_nsec;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	any.type_url = ev->type_url;
	any.value.data = ev->data;
	any.value.len = ev->len;
	Containerd__Services__Events__Ttrpc__V1__Envelope env =
	    CONTAINERD__SERVICES__EVENTS__TTRPC__V1__ENVELOPE__INIT;
	env.timestamp = &ts;
	env.namespace_ = e->ns;
	env.topic = ev->topic;
	env.event = &any;
	Containerd__Services__Events__Ttrpc__V1__ForwardRequest req =
	    CONTAINERD__SERVICES__EVENTS__TTRPC__V1__FORWARD_REQUEST__INIT;
	req.envelope = &env;
	ttrpc_call_opts o = {.timeout_ns = FORWARD_TIMEOUT_NS};
	ProtobufCMessage *resp = NULL;
	int r = ttrpc_client_call_pb(e->client, "containerd.services.events.ttrpc.v1.Events",
	                             "Forward", &req.base, &google__protobuf__empty__descriptor, &o,
	                             &resp, err);
	ttrpc_pb_free(resp);
	if (r < 0 && ttrpc_error_code(err ? *err : NULL) == TTRPC_UNAVAILABLE) {
		/* the connection is gone: a new one next time */
		ttrpc_client_free(e->client);
		e->client = NULL;
	}
	return r;
}

static void *publisher(void *arg)
{
	struct shim_events *e = arg;
	pthread_mutex_lock(&e->mu);
	for (;;) {
		while (e->n == 0 && !e->stop)
			pthread_cond_wait(&e->cond, &e->mu);
		if (e->n == 0)
			break;
		struct event ev = e->q[e->head];
		memset(&e->q[e->head], 0, sizeof(ev));
		e->head = (e->head + 1) % CC_SHIM_EVENT_QUEUE;
		e->n--;
		e->busy = true;
		pthread_mutex_unlock(&e->mu);
		cc_error *err = NULL;
		int r = -EIO;
		for (unsigned t = 0; t < CC_SHIM_EVENT_TRIES && r < 0 && !atomic_load(&e->stopping);
		     t++) {
			if (t > 0) {
				struct timespec d = {0, (long)(100000000L << (t - 1))};
				nanosleep(&d, NULL);
			}
			cc_error_free(err);
			err = NULL;
			r = forward(e, &ev, &err);
		}
		if (r < 0)
			shim_logf(e->sh, CC_LOG_WARN, "event %s not delivered after %u tries: %s",
			          ev.topic, CC_SHIM_EVENT_TRIES, cc_error_message(err));
		else
			shim_logf(e->sh, CC_LOG_DEBUG, "event %s delivered", ev.topic);
		cc_error_free(err);
		event_free(&ev);
		pthread_mutex_lock(&e->mu);
		e->busy = false;
		pthread_cond_broadcast(&e->idle);
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

int shim_events_new(struct shim *sh, const char *ttrpc_address, const char *ns,
                    struct shim_events **ret, cc_error **err)
{
	struct shim_events *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	e->sh = sh;
	e->address = ttrpc_address && *ttrpc_address ? strdup(ttrpc_address) : NULL;
	e->ns = strdup(ns);
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cond, NULL);
	pthread_cond_init(&e->idle, NULL);
	if (e->ns == NULL || (ttrpc_address && *ttrpc_address && e->address == NULL) ||
	    pthread_create(&e->thread, NULL, publisher, e) != 0) {
		free(e->address);
		free(e->ns);
		free(e);
		return cc_error_set(err, -ENOMEM, "starting the event publisher: out of resources");
	}
	*ret = e;
	return 0;
}

int shim_events_publish(struct shim_events *e, const char *topic, const ProtobufCMessage *ev)
{
	if (e == NULL || e->address == NULL)
		return 0;
	struct event x = {0};
	x.when = shim_now();
	x.topic = strdup(topic);
	x.type_url = strdup(ev->descriptor->name); /* "containerd.events.TaskExit" */
	if (x.topic == NULL || x.type_url == NULL || ttrpc_pb_pack(ev, &x.data, &x.len, NULL) < 0) {
		event_free(&x);
		shim_logf(e->sh, CC_LOG_WARN, "event %s dropped: out of memory", topic);
		return -ENOMEM;
	}
	pthread_mutex_lock(&e->mu);
	if (e->n == CC_SHIM_EVENT_QUEUE || e->stop) {
		pthread_mutex_unlock(&e->mu);
		shim_logf(e->sh, CC_LOG_WARN, "event %s dropped: %s", topic,
		          e->stop ? "shutting down" : "the queue is full");
		event_free(&x);
		return -ENOBUFS;
	}
	e->q[(e->head + e->n) % CC_SHIM_EVENT_QUEUE] = x;
	e->n++;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->mu);
	return 0;
}

void shim_events_free(struct shim_events *e, int drain_ms)
{
	if (e == NULL)
		return;
	struct timespec end = shim_deadline(drain_ms);
	pthread_mutex_lock(&e->mu);
	while ((e->n > 0 || e->busy) &&
	       pthread_cond_timedwait(&e->idle, &e->mu, &end) == 0)
		;
	/* what is left is dropped */
	for (; e->n > 0; e->n--, e->head = (e->head + 1) % CC_SHIM_EVENT_QUEUE)
		event_free(&e->q[e->head]);
	e->stop = true;
	atomic_store(&e->stopping, true);
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->thread, NULL);
	ttrpc_client_free(e->client);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cond);
	pthread_cond_destroy(&e->idle);
	free(e->address);
	free(e->ns);
	free(e);
}
