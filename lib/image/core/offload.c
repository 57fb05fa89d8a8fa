/* Hashing on a worker thread (digest.h, img_offload): the bytes a reader
 * passes are copied into a small ring of buffers and fed, in order, to an
 * update function on another thread, so a layer's several SHA-256 passes
 * (blob digest, HMAC, plaintext digest, diff_id) use both cores instead of
 * one. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

#define SLOTS 4
#define SLOT_BYTES (256u * 1024u)

struct img_offload {
	img_offload_fn update;
	void *ctx;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[SLOTS];
	size_t len[SLOTS];
	unsigned head, count; /* next slot the worker takes; slots filled */
	bool busy;            /* the worker is running update() on a slot */
	bool stop;
};

static void *worker(void *arg)
{
	struct img_offload *o = arg;
	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (o->count == 0 && !o->stop)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->count == 0 && o->stop)
			break;
		unsigned s = o->head;
		o->busy = true;
		pthread_mutex_unlock(&o->mu);
		o->update(o->ctx, o->buf[s], o->len[s]);
		pthread_mutex_lock(&o->mu);
		o->busy = false;
		o->head = (o->head + 1) % SLOTS;
		o->count--;
		pthread_cond_broadcast(&o->cv);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

img_offload *img_offload_new(img_offload_fn update, void *ctx)
{
	struct img_offload *o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->update = update;
	o->ctx = ctx;
	for (unsigned i = 0; i < SLOTS; i++)
		if ((o->buf[i] = malloc(SLOT_BYTES)) == NULL)
			goto fail;
	if (pthread_mutex_init(&o->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&o->cv, NULL) != 0) {
		pthread_mutex_destroy(&o->mu);
		goto fail;
	}
	/* No thread (a limit reached): feed() runs update() inline. */
	o->started = pthread_create(&o->thread, NULL, worker, o) == 0;
	return o;
fail:
	for (unsigned i = 0; i < SLOTS; i++)
		free(o->buf[i]);
	free(o);
	return NULL;
}

void img_offload_feed(img_offload *o, const void *p, size_t n)
{
	if (!o->started) {
		o->update(o->ctx, p, n);
		return;
	}
	const unsigned char *q = p;
	while (n > 0) {
		pthread_mutex_lock(&o->mu);
		while (o->count == SLOTS)
			pthread_cond_wait(&o->cv, &o->mu);
		unsigned s = (o->head + o->count) % SLOTS;
		pthread_mutex_unlock(&o->mu);
		/* slot s is ours until it is counted */
		size_t k = n < SLOT_BYTES ? n : SLOT_BYTES;
		memcpy(o->buf[s], q, k);
		o->len[s] = k;
		pthread_mutex_lock(&o->mu);
		o->count++;
		pthread_cond_broadcast(&o->cv);
		pthread_mutex_unlock(&o->mu);
		q += k;
		n -= k;
	}
}

void img_offload_wait(img_offload *o)
{
	if (!o->started)
		return;
	pthread_mutex_lock(&o->mu);
	while (o->count > 0)
		pthread_cond_wait(&o->cv, &o->mu);
	pthread_mutex_unlock(&o->mu);
}

void img_offload_free(img_offload *o)
{
	if (o == NULL)
		return;
	if (o->started) {
		pthread_mutex_lock(&o->mu);
		o->stop = true;
		pthread_cond_broadcast(&o->cv);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->thread, NULL);
	}
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->mu);
	for (unsigned i = 0; i < SLOTS; i++)
		free(o->buf[i]);
	free(o);
}
