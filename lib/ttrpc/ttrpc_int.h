/* Internals shared by the files of lib/ttrpc (docs/ttrpc.md). */
#ifndef COCOON_TTRPC_INT_H
#define COCOON_TTRPC_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/uio.h>

#include "cocoon/limits.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"

/* ---- fd I/O with cancellation (io.c) ---------------------------------- */

/* One connected fd, non-blocking while in use. Reads and writes wait in
 * poll(2) and give up when a cancel fd (an eventfd, -1 = unused) becomes
 * readable or the deadline passes. */
typedef struct ttrpc_io {
	int fd;
	bool is_socket;       /* send(MSG_NOSIGNAL) instead of write() */
	int read_cancel[2];   /* stop reading: server stop/kill, client close */
	int write_cancel;     /* stop writing: server kill, client close */
} ttrpc_io;

/* Prepares io for fd: detects sockets, sets O_NONBLOCK; *ret_old_flags
 * (if non-NULL) receives the file status flags to restore. */
int ttrpc_io_init(ttrpc_io *io, int fd, int *ret_old_flags, cc_error **err);

/* Results of the I/O functions besides 0 and -errno. */
#define TTRPC_IO_EOF (-ENODATA)      /* the peer hung up */
#define TTRPC_IO_CANCELLED (-ECANCELED)

/* Reads exactly n bytes. TTRPC_IO_EOF if the stream ends first (*ret_got,
 * if non-NULL, says how many arrived), TTRPC_IO_CANCELLED, -ETIMEDOUT. */
int ttrpc_io_read(ttrpc_io *io, void *buf, size_t n, const struct timespec *deadline,
                  size_t *ret_got);
/* Reads and drops n bytes. */
int ttrpc_io_discard(ttrpc_io *io, uint64_t n);
/* Reads one frame: the header, then its payload into a buffer grown as
 * bytes arrive (never sized by the claimed length alone). -E2BIG for an
 * oversized frame after its payload was skipped (*ret_h filled, *ret_p
 * NULL). TTRPC_IO_EOF with *ret_mid = true if the stream ended inside a
 * frame. */
int ttrpc_io_read_frame(ttrpc_io *io, ttrpc_frame_header *ret_h, uint8_t **ret_p,
                        bool *ret_mid);
/* Writes a whole frame (header + payload). *ret_partial (if non-NULL) is
 * set when some but not all bytes went out (the stream is then broken). */
int ttrpc_io_write_frame(ttrpc_io *io, const ttrpc_frame_header *h, const void *payload,
                         const struct timespec *deadline, bool *ret_partial);

/* A CLOCK_MONOTONIC time now + ns (ns <= 0: now). */
struct timespec ttrpc_deadline_in(int64_t ns);
/* Milliseconds until the deadline for poll(2): -1 if none, 0 if passed. */
int ttrpc_deadline_ms(const struct timespec *deadline);
/* Creates a non-blocking, close-on-exec eventfd; -errno. */
int ttrpc_eventfd(void);
/* Makes an eventfd readable for good (cancellation is one-way). */
void ttrpc_eventfd_fire(int efd);
/* True if the eventfd (or -1: false) has fired. */
bool ttrpc_eventfd_fired(int efd);

/* ---- the ttrpc envelope (envelope.c) ---------------------------------- */

/* Decodes a Request payload: validated and unpacked (bounded), metadata
 * within CC_TTRPC_MAX_METADATA_*. *ret_code is the status to answer with
 * on failure (INVALID_ARGUMENT or RESOURCE_EXHAUSTED). */
int ttrpc_request_decode(const uint8_t *p, size_t len, Ttrpc__Request **ret, int *ret_code,
                         cc_error **err);
/* Encodes a Request (the stream id goes in the frame header). */
int ttrpc_request_encode(const char *service, const char *method, const void *payload,
                         size_t len, const ttrpc_call_opts *opts, uint8_t **ret,
                         size_t *ret_len, cc_error **err);
/* Encodes a Response as Go's server does: the status is always present,
 * OK as an empty message (0a 00). message may be NULL. */
int ttrpc_response_encode(int code, const char *message, const void *payload, size_t len,
                          uint8_t **ret, size_t *ret_len, cc_error **err);
/* Decodes a Response: *ret_code (a missing status is OK), *ret_msg
 * (malloc'd, NULL when OK), payload copied into *ret_p (never NULL). */
int ttrpc_response_decode(const uint8_t *p, size_t len, int *ret_code, char **ret_msg,
                          uint8_t **ret_p, size_t *ret_len, cc_error **err);

/* ---- server internals (server.c, server_conn.c, server_call.c) -------- */

typedef struct ttrpc_service {
	const char *name;
	const ttrpc_method *methods;
	size_t n;
	void *userdata;
} ttrpc_service;

struct ttrpc_server {
	ttrpc_server_opts opts;
	ttrpc_service *services;
	size_t n_services;

	pthread_mutex_t mu;
	pthread_cond_t cond;      /* live_conns or listeners changed */
	bool serving;             /* registry frozen */
	bool stopping;
	size_t live_conns;        /* connections not yet ended */
	size_t listeners;         /* serve_listener calls running */
	int stop_efd;             /* fired by shutdown: stop reading/accepting */
	int kill_efd;             /* fired after the shutdown timeout */
};

typedef struct ttrpc_conn ttrpc_conn;

struct ttrpc_conn {
	ttrpc_server *server;
	ttrpc_io io;
	pthread_mutex_t write_mu;    /* one frame at a time */
	atomic_bool broken;          /* a write failed: skip further writes */

	pthread_mutex_t mu;          /* calls, inflight */
	pthread_cond_t cond;         /* inflight dropped */
	ttrpc_call *calls;           /* in flight, for Data-frame checks */
	unsigned inflight;
	uint32_t last_stream_id;     /* reader thread only */
	int gone_efd;                /* the peer is gone: cancels handlers */
};

struct ttrpc_call {
	ttrpc_conn *conn;
	ttrpc_call *next;            /* in conn->calls */
	uint32_t stream_id;
	Ttrpc__Request *req;
	const ttrpc_service *svc;
	ttrpc_method_fn fn;
	bool has_deadline;
	struct timespec deadline;
	bool answered;               /* under conn->mu */
	atomic_bool cancelled;       /* answered early */
	int cancel_efd;              /* fired with cancelled; made by the first
	                                ttrpc_call_poll, -1 before (under conn->mu) */

	uint8_t *reply;
	size_t reply_len;
	int code;
	ProtobufCMessage **owned;    /* from ttrpc_call_unpack */
	size_t n_owned;
};

/* Looks up service/method; NULL if unknown (*ret_code_msg says which). */
const ttrpc_service *ttrpc_server_find_service(const ttrpc_server *s, const char *name);
ttrpc_method_fn ttrpc_service_find_method(const ttrpc_service *svc, const char *name);

/* Serves a connection until it ends; the caller counted it in live_conns
 * and this uncounts it. Does not close fd. */
int ttrpc_conn_serve(ttrpc_server *s, int fd, cc_error **err);
/* Sends a status-only Response on stream id (reader thread and calls). */
void ttrpc_conn_send_status(ttrpc_conn *c, uint32_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sends an encoded frame under the write mutex; drops it if broken. */
void ttrpc_conn_send(ttrpc_conn *c, uint32_t id, uint8_t type, const uint8_t *p, size_t len);

/* Starts a handler thread for call (server_call.c); -errno if the thread
 * cannot start (the call is then not started and not freed). */
int ttrpc_call_start(ttrpc_call *call);
/* Frees a call that never started. */
void ttrpc_call_free(ttrpc_call *call);

#endif
