/* The containerd.task.v2.Task handlers (kata.md §2.5-2.6), in two files:
 * task_life.c (Create, Start, Exec, Delete: what changes the pod) and
 * task_ops.c (the rest, and the registration). Internal. */
#ifndef COCOON_SHIM_TASK_H
#define COCOON_SHIM_TASK_H

#include "shim.h"

#define TASK_UNPACK(call, T, desc, var, err)                                                       \
	T *var = NULL;                                                                             \
	do {                                                                                       \
		ProtobufCMessage *m_ = NULL;                                                       \
		int r_ = ttrpc_call_unpack(call, &desc, &m_, err);                                 \
		if (r_ < 0)                                                                        \
			return r_;                                                                 \
		var = (T *)m_;                                                                     \
	} while (0)

int task_create(ttrpc_call *call, void *ud, cc_error **err);
int task_start(ttrpc_call *call, void *ud, cc_error **err);
int task_exec(ttrpc_call *call, void *ud, cc_error **err);
int task_delete(ttrpc_call *call, void *ud, cc_error **err);

/* Finds (id, exec_id) under sh->mu: NOT_FOUND naming what is missing. */
int task_lookup(struct shim *sh, const char *id, const char *exec_id, struct shim_ctr **ret_c,
                struct shim_proc **ret_p, cc_error **err);

/* A Timestamp of t (for responses built on the stack). */
static inline Google__Protobuf__Timestamp task_ts(struct timespec t)
{
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts.seconds = t.tv_sec;
	ts.nanos = (int32_t)t.tv_nsec;
	return ts;
}

#endif
