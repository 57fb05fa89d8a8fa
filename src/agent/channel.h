/* cocoon-agent's channel to the host (docs/agent.md, "Channel"): a
 * virtio-serial port (one long-lived byte stream, reopened when the host
 * goes away or is not there yet) or a listening socket (unix for tests,
 * vsock on hosts that have it). */
#ifndef COCOON_AGENT_CHANNEL_H
#define COCOON_AGENT_CHANNEL_H

#include "cocoon/error.h"
#include "front_log.h"
#include "ttrpc.h"

/* A listening socket for addr (unix:PATH, unix://PATH: a stale socket file
 * is replaced, the new one is mode 0600; vsock://CID:PORT, CID -1 = any).
 * *ret_unix is set for a unix socket (same-uid peers only). */
int agent_listen_open(const char *addr, int *ret_fd, bool *ret_unix, cc_error **err);

/* Serves the port at path until stop_fd becomes readable or the server
 * shuts down: opens it (a tty is switched to raw mode), serves the
 * connection, and when it ends (end of file: the host is not connected
 * or hung up; an I/O error) reopens it after a back-off of
 * CC_AGENT_CHANNEL_BACKOFF_MIN_MS doubling to _MAX_MS, back to the
 * minimum after a connection that lasted a second or more. Returns 0. */
int agent_serve_port(ttrpc_server *s, const char *path, int stop_fd, agent_log *log);

#endif
