/* Task events to containerd (kata.md §2.8): Events/Forward over ttrpc to
 * $TTRPC_ADDRESS, in the order they were queued, by one thread, with
 * CC_SHIM_EVENT_TRIES tries each and a queue of CC_SHIM_EVENT_QUEUE
 * (containerd's shim library: 5 tries, 2048 entries). */
#ifndef COCOON_SHIM_EVENTS_H
#define COCOON_SHIM_EVENTS_H

#include <protobuf-c/protobuf-c.h>

#include "cocoon/error.h"

struct shim;
struct shim_events;

/* Starts the publisher. ttrpc_address NULL or "" (not run by containerd):
 * events are dropped. */
int shim_events_new(struct shim *sh, const char *ttrpc_address, const char *ns,
                    struct shim_events **ret, cc_error **err);
/* Queues topic ("/tasks/exit") with the event (packed now; the envelope's
 * timestamp is now). -ENOBUFS when the queue is full (the event is
 * dropped and logged). Thread-safe. */
int shim_events_publish(struct shim_events *e, const char *topic, const ProtobufCMessage *ev);
/* Gives queued events up to drain_ms to go out, stops, frees. NULL is a
 * no-op. */
void shim_events_free(struct shim_events *e, int drain_ms);

#endif
