/* libcocoon-ttrpc: containerd's ttrpc protocol (docs/ttrpc.md): the framing,
 * a server and a client for unary calls, and helpers for protobuf-c
 * messages. Wire format: ../shared/reference/kata.md §1; behaviour follows
 * containerd/ttrpc (Go) where the two differ from other peers.
 *
 * Errors follow docs/errors.md: functions return 0 or a negative errno and
 * fill an optional cc_error. An error that carries a ttrpc status has the
 * status code's name as its kind ("UNIMPLEMENTED", ...): ttrpc_error_code()
 * reads it back. No global mutable state; every object is thread-safe where
 * its comment says so.
 */
#ifndef COCOON_TTRPC_H
#define COCOON_TTRPC_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <protobuf-c/protobuf-c.h>

#include "cocoon/error.h"

/* ---- status codes (google.rpc.Code, as gRPC and ttrpc use them) -------- */

enum ttrpc_code {
	TTRPC_OK = 0,
	TTRPC_CANCELLED = 1,
	TTRPC_UNKNOWN = 2,
	TTRPC_INVALID_ARGUMENT = 3,
	TTRPC_DEADLINE_EXCEEDED = 4,
	TTRPC_NOT_FOUND = 5,
	TTRPC_ALREADY_EXISTS = 6,
	TTRPC_PERMISSION_DENIED = 7,
	TTRPC_RESOURCE_EXHAUSTED = 8,
	TTRPC_FAILED_PRECONDITION = 9,
	TTRPC_ABORTED = 10,
	TTRPC_OUT_OF_RANGE = 11,
	TTRPC_UNIMPLEMENTED = 12,
	TTRPC_INTERNAL = 13,
	TTRPC_UNAVAILABLE = 14,
	TTRPC_DATA_LOSS = 15,
	TTRPC_UNAUTHENTICATED = 16,
};

/* The code's name ("UNIMPLEMENTED"); "UNKNOWN" for codes out of range. */
const char *ttrpc_code_name(int code);
/* Negative errno for a code (TTRPC_NOT_FOUND -> -ENOENT, ...; 0 for OK);
 * docs/ttrpc.md has the table. */
int ttrpc_code_to_errno(int code);
/* Code for a negative (or positive) errno; TTRPC_UNKNOWN if unmapped. */
int ttrpc_code_from_errno(int err);
/* The status code an error carries: its kind if that is a code name, else
 * TTRPC_UNKNOWN; TTRPC_OK for NULL. */
int ttrpc_error_code(const cc_error *e);
/* Sets *err (first error wins) with kind = the code's name and returns
 * ttrpc_code_to_errno(code) (-EREMOTEIO if that would be 0). */
int ttrpc_error_set(cc_error **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- frames (kata.md §1.1) -------------------------------------------- */

#define TTRPC_HEADER_LEN 10u

enum ttrpc_msg_type {
	TTRPC_MSG_REQUEST = 0x01,
	TTRPC_MSG_RESPONSE = 0x02,
	TTRPC_MSG_DATA = 0x03,
};

enum ttrpc_flag {
	TTRPC_FLAG_REMOTE_CLOSED = 0x01,
	TTRPC_FLAG_REMOTE_OPEN = 0x02,
	TTRPC_FLAG_NO_DATA = 0x04,
};

typedef struct ttrpc_frame_header {
	uint32_t length;    /* payload bytes, header not counted */
	uint32_t stream_id;
	uint8_t type;       /* enum ttrpc_msg_type, or anything a peer sent */
	uint8_t flags;
} ttrpc_frame_header;

/* Writes the 10-byte big-endian header. */
void ttrpc_frame_header_encode(const ttrpc_frame_header *h, uint8_t out[TTRPC_HEADER_LEN]);
/* Reads a 10-byte header; any bytes decode (the length is checked apart). */
void ttrpc_frame_header_decode(const uint8_t in[TTRPC_HEADER_LEN], ttrpc_frame_header *ret);

/* Pure decoder: parses the frame at buf[*off..len).
 *  0       a whole frame: *ret_h, *ret_payload (points into buf, h.length
 *          bytes); *off moves past it;
 *  -EAGAIN fewer bytes than a whole frame; nothing changes;
 *  -E2BIG  the header claims more than CC_TTRPC_MAX_MESSAGE_BYTES: *ret_h
 *          is filled and *off moves past the header only; a reader skips
 *          ret_h->length bytes and answers RESOURCE_EXHAUSTED, as Go does.
 * *err names the stream and length on -E2BIG. */
int ttrpc_frame_parse(const uint8_t *buf, size_t len, size_t *off, ttrpc_frame_header *ret_h,
                      const uint8_t **ret_payload, cc_error **err);

/* ---- protobuf-c helpers ------------------------------------------------ */

/* Checks that len bytes are a well-formed encoding of a desc message before
 * protobuf-c sees them: string fields are UTF-8 without NUL (protobuf-c
 * would cut them at a NUL), tags, varints and lengths are in bounds, groups
 * are refused, nesting is at most CC_TTRPC_MAX_PB_DEPTH. -EINVAL with the
 * message type and field named. Fields unknown to desc are skipped. */
int ttrpc_pb_validate(const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
                      cc_error **err);

/* Validates, then unpacks len bytes as a desc message with an allocator
 * that stops at CC_TTRPC_MAX_DECODE_BYTES (-ENOMEM). On success *ret is
 * the message; free it with ttrpc_pb_free(). */
int ttrpc_pb_unpack(const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
                    ProtobufCMessage **ret, cc_error **err);
/* Frees a message from ttrpc_pb_unpack(); NULL is a no-op. */
void ttrpc_pb_free(ProtobufCMessage *m);

/* Packs m into a new malloc'd buffer (*ret, caller frees; never NULL on
 * success, even for 0 bytes). -E2BIG if it is over
 * CC_TTRPC_MAX_MESSAGE_BYTES. */
int ttrpc_pb_pack(const ProtobufCMessage *m, uint8_t **ret, size_t *ret_len, cc_error **err);

/* ---- server ----------------------------------------------------------- */

typedef struct ttrpc_server ttrpc_server;
typedef struct ttrpc_call ttrpc_call;

/* A method handler. It runs in a thread of its own, one per request, so
 * handlers of one connection run concurrently and answer out of order.
 * Read the request with ttrpc_call_payload() or ttrpc_call_unpack(); answer
 * with ttrpc_call_reply()/ttrpc_call_reply_pb() and return 0 (no reply =
 * empty payload, which is google.protobuf.Empty). On failure return a
 * negative errno and fill *err: the client gets the code set with
 * ttrpc_call_set_code() (else ttrpc_code_from_errno(r)) and the error's
 * message. A handler that blocks must watch ttrpc_call_cancelled() or wait
 * in ttrpc_call_poll(): the connection cannot end before it returns. */
typedef int (*ttrpc_method_fn)(ttrpc_call *call, void *userdata, cc_error **err);

typedef struct ttrpc_method {
	const char *name;  /* bare method name, "Check" */
	ttrpc_method_fn fn;
} ttrpc_method;

typedef struct ttrpc_server_opts {
	unsigned max_calls;          /* per connection; 0 = CC_TTRPC_MAX_CALLS */
	unsigned max_conns;          /* at once; 0 = CC_TTRPC_MAX_CONNS */
	size_t handler_stack_bytes;  /* 0 = the system's default thread stack */
	/* Unix sockets only: the peer's SO_PEERCRED euid and egid must equal
	 * ours (containerd's UnixSocketRequireSameUser); other fds are refused. */
	bool require_same_uid;
} ttrpc_server_opts;

/* Creates a server (opts NULL = defaults). */
int ttrpc_server_new(const ttrpc_server_opts *opts, ttrpc_server **ret, cc_error **err);

/* Registers service (fully qualified, "grpc.Health") with n methods; the
 * strings and the table must outlive the server. Only before serving starts
 * (-EBUSY after); -EEXIST for a service registered twice, -EINVAL for a
 * method named twice or a NULL name/fn. */
int ttrpc_server_register(ttrpc_server *s, const char *service, const ttrpc_method *methods,
                          size_t n, void *userdata, cc_error **err);

/* Serves one connected byte stream (an accepted unix socket, a socketpair
 * end, a virtio-serial port or a pty) in the calling thread until the peer
 * hangs up or the server shuts down, then waits for the connection's
 * handlers and returns 0. The fd is switched to non-blocking mode for the
 * duration (restored before returning); the caller keeps it and closes it.
 * -ESHUTDOWN if the server is already shutting down, -EPERM if
 * require_same_uid refuses the peer, -EMFILE past max_conns. Thread-safe:
 * several fds may be served at once from different threads. */
int ttrpc_server_serve_fd(ttrpc_server *s, int fd, cc_error **err);

/* Accepts connections on a listening unix socket in the calling thread,
 * each served in a thread of its own, until ttrpc_server_shutdown(); then
 * returns 0. The caller keeps listen_fd (non-blocking while served,
 * restored). A connection over max_conns or refused by require_same_uid is
 * closed at once. Out of fds or memory, accepting backs off (5 ms doubling
 * to 1 s) as Go's accept loop does. */
int ttrpc_server_serve_listener(ttrpc_server *s, int listen_fd, cc_error **err);

/* Stops accepting and stops reading new requests on every connection; calls
 * in flight finish and their answers are written. After timeout_ms (< 0:
 * wait for ever) any handler still running is cancelled and its
 * connection's I/O aborted: returns -ETIMEDOUT in that case, else 0 once
 * every connection has ended. Thread-safe; may be called more than once. */
int ttrpc_server_shutdown(ttrpc_server *s, int timeout_ms, cc_error **err);

/* Shuts down (if not done yet, cancelling handlers at once), waits until
 * every serve call has returned and every handler has finished, frees.
 * NULL is a no-op. */
void ttrpc_server_free(ttrpc_server *s);

/* ---- the call a handler serves ---------------------------------------- */

const char *ttrpc_call_service(const ttrpc_call *c);
const char *ttrpc_call_method(const ttrpc_call *c);
uint32_t ttrpc_call_stream_id(const ttrpc_call *c);
/* The request payload (valid until the handler returns). */
const uint8_t *ttrpc_call_payload(const ttrpc_call *c, size_t *ret_len);

/* Metadata as sent (keys may repeat, in order). */
size_t ttrpc_call_metadata_count(const ttrpc_call *c);
/* Entry i (0 or -ERANGE); strings valid until the handler returns. */
int ttrpc_call_metadata_at(const ttrpc_call *c, size_t i, const char **ret_key,
                           const char **ret_value);
/* First value under key, compared as Go's ttrpc.GetMetadataValue does (the
 * key asked for is lowercased, stored keys are compared as sent); NULL if
 * none. */
const char *ttrpc_call_metadata_get(const ttrpc_call *c, const char *key);

/* The deadline from the request's timeout_nano (CLOCK_MONOTONIC), taken
 * when the request was read: true and *ret if there is one. */
bool ttrpc_call_deadline(const ttrpc_call *c, struct timespec *ret);
/* True once the deadline has passed, the peer has gone, the server is
 * cancelling handlers, or the stream was already answered (a client sent
 * data on it): the answer will not be read, stop working. */
bool ttrpc_call_cancelled(const ttrpc_call *c);
/* poll(2) on the caller's fds that also wakes when the call is cancelled
 * (connection closed, server cancelling) and stops at the deadline:
 * >0 fds are ready, 0 timeout_ms passed (< 0: none), -ECANCELED,
 * -ETIMEDOUT (the call's deadline), or -errno. */
int ttrpc_call_poll(ttrpc_call *c, struct pollfd *fds, nfds_t n, int timeout_ms);

/* Unpacks the payload as a desc message (ttrpc_pb_unpack); the call owns
 * it and frees it after the handler returns. A decode failure leaves the
 * code INTERNAL (Go: "ttrpc: error unmarshalling payload"), so a handler
 * can `return r;`. */
int ttrpc_call_unpack(ttrpc_call *c, const ProtobufCMessageDescriptor *desc,
                      ProtobufCMessage **ret, cc_error **err);
/* Sets the response payload (copied; replaces an earlier one). -E2BIG past
 * CC_TTRPC_MAX_MESSAGE_BYTES. */
int ttrpc_call_reply(ttrpc_call *c, const void *data, size_t len, cc_error **err);
/* Packs m as the response payload. */
int ttrpc_call_reply_pb(ttrpc_call *c, const ProtobufCMessage *m, cc_error **err);
/* The status code sent if the handler fails (0 = from its errno). */
void ttrpc_call_set_code(ttrpc_call *c, int code);

/* ---- client ----------------------------------------------------------- */

typedef struct ttrpc_client ttrpc_client;

typedef struct ttrpc_kv {
	const char *key;
	const char *value;
} ttrpc_kv;

typedef struct ttrpc_call_opts {
	int64_t timeout_ns;         /* 0 = no deadline; sent as timeout_nano */
	const ttrpc_kv *metadata;   /* sent in this order */
	size_t n_metadata;
} ttrpc_call_opts;

/* A client on a connected byte stream; takes fd (closed by _free, also on
 * failure) and starts the thread that reads responses. */
int ttrpc_client_new(int fd, ttrpc_client **ret, cc_error **err);
/* Connects to the unix socket at path. */
int ttrpc_client_connect_unix(const char *path, ttrpc_client **ret, cc_error **err);

/* One unary call; thread-safe: calls from several threads share the
 * connection and are answered in any order. On success *ret_resp is the
 * response payload (malloc'd, caller frees; never NULL) and *ret_len its
 * size. On a non-OK status: ttrpc_code_to_errno(code), *err has the
 * status message and the code's name as kind. Local failures carry codes
 * too: DEADLINE_EXCEEDED (opts->timeout_ns passed), UNAVAILABLE (connection
 * lost or closed: every pending call fails), RESOURCE_EXHAUSTED (too many
 * calls waiting, request too big), INTERNAL (malformed response). */
int ttrpc_client_call(ttrpc_client *c, const char *service, const char *method,
                      const void *req, size_t req_len, const ttrpc_call_opts *opts,
                      uint8_t **ret_resp, size_t *ret_len, cc_error **err);

/* ttrpc_client_call with protobuf-c messages: packs req, unpacks the answer
 * as resp_desc (free *ret with ttrpc_pb_free()). A response that does not
 * decode is INTERNAL. */
int ttrpc_client_call_pb(ttrpc_client *c, const char *service, const char *method,
                         const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                         const ttrpc_call_opts *opts, ProtobufCMessage **ret, cc_error **err);

/* Closes the connection: pending and later calls fail with UNAVAILABLE;
 * waits for the reader thread. Thread-safe, idempotent. */
void ttrpc_client_close(ttrpc_client *c);
/* Closes and frees; no call may be running. NULL is a no-op. */
void ttrpc_client_free(ttrpc_client *c);

#endif
