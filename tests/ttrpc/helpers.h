/* Helpers shared by the ttrpc tests (tests/ttrpc/). */
#ifndef COCOON_TTRPC_TEST_HELPERS_H
#define COCOON_TTRPC_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

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
