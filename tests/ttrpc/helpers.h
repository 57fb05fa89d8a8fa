/* Helpers shared by the ttrpc tests (tests/ttrpc/). */
#ifndef COCOON_TTRPC_TEST_HELPERS_H
#define COCOON_TTRPC_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include <pthread.h>

#include "ttrpc.h"

/* Decodes lower-case hex into a new buffer (*ret_len bytes); aborts the test
 * on bad input. The caller frees. */
uint8_t *hex_decode(const char *hex, size_t *ret_len);
/* Encodes bytes as lower-case hex into a new string the caller frees. */
char *hex_encode(const uint8_t *p, size_t len);

/* Writes all n bytes to a blocking or non-blocking fd (waits in poll). */
void write_all(int fd, const void *p, size_t n);
/* Writes one frame (header + payload). */
void write_frame(int fd, uint32_t id, uint8_t type, uint8_t flags, const void *p, size_t len);
/* Reads one frame within timeout_ms: 0, or -1 on EOF/timeout. The payload
 * is malloc'd (caller frees). */
int read_frame(int fd, int timeout_ms, ttrpc_frame_header *h, uint8_t **p);
/* Reads one Response frame and decodes it: returns the stream id; *code and
 * *msg (static buffer of the last call) describe the status. Fails the test
 * on timeout or on another message type. */
uint32_t read_status(int fd, int *code, const char **msg);

/* Encodes a Request for service/method with payload p into a frame body. */
uint8_t *request_bytes(const char *service, const char *method, const void *p, size_t len,
                       const ttrpc_call_opts *opts, size_t *ret_len);

#endif

/* ---- the test service "test.Svc" and a served socketpair ------------ */

/* Methods of test.Svc:
 *  Echo       replies with the payload
 *  Sleep      payload = decimal ms: waits (ttrpc_call_poll), replies payload;
 *             -ECANCELED / -ETIMEDOUT if the call is cancelled first
 *  Block      waits until cancelled; counts the cancellation
 *  Meta       replies "k=v\n" per metadata entry, then "get=<value of
 *             Containerd-Namespace-TTRPC>"
 *  Deadline   replies "none" or the ms left until the call's deadline
 *  Fail       NOT_FOUND "no such thing"
 *  FailErrno  returns -EEXIST with message "it exists"
 *  Unpack     unpacks grpc.CopyFileRequest, replies its path
 *  Big        replies 4 MiB (more than fits in a frame with the envelope)
 * and grpc.Health/Check replying SERVING. */
void svc_register(ttrpc_server *s);
/* Block calls that ended cancelled, and Block calls started. */
int svc_block_cancelled(void);
int svc_block_started(void);
/* Waits (up to 5 s) until n Block calls have started. */
void svc_wait_blocked(int n);

typedef struct served {
	ttrpc_server *s;
	int fd[2];          /* fd[0] served, fd[1] the peer's end */
	pthread_t t;
	int serve_result;
} served;

/* A server with test.Svc (opts may be NULL) serving fd[0] of a new
 * socketpair in a thread. */
void served_start(served *sv, const ttrpc_server_opts *opts);
/* The thread served_start runs: serve_fd on fd[0], result in serve_result. */
void *served_thread_main(void *arg);
/* Closes the peer's end (if still open), waits for serve_fd to return,
 * frees the server. */
void served_stop(served *sv);
/* Milliseconds on CLOCK_MONOTONIC. */
int64_t now_ms(void);
