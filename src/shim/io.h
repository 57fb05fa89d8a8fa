/* A process's stdio (kata.md §2.7): containerd's fifos relayed to the
 * agent, one thread per stream: stdin read from its fifo and sent with
 * WriteStdin (CloseStdin at end of file or on CloseIO); stdout and stderr
 * fetched with ReadStdout/ReadStderr (CC_SHIM_STDIO_CHUNK bytes a call, an
 * empty answer is end of stream) and written to their fifos, which are
 * closed at the end so containerd's copy ends. A terminal has no stderr. */
#ifndef COCOON_SHIM_IO_H
#define COCOON_SHIM_IO_H

#include <stdbool.h>

#include "cocoon/error.h"

struct shim_proc;
struct shim_io;

/* Starts the relays of the streams p has paths for. */
int shim_io_start(struct shim_proc *p, struct shim_io **ret, cc_error **err);
/* CloseIO: the stdin relay sends what is left in the fifo, then
 * CloseStdin. */
void shim_io_close_stdin(struct shim_io *io);
/* Waits up to ms for stdout and stderr to reach end of stream (and be
 * closed); true if both did. */
bool shim_io_wait_output(struct shim_io *io, int ms);
/* References, for a thread that waits on io (the waiter). */
struct shim_io *shim_io_ref(struct shim_io *io);
void shim_io_unref(struct shim_io *io);
/* Stops the relays (a relay blocked in an agent call ends when the call
 * does) and drops the caller's reference. NULL is a no-op. */
void shim_io_free(struct shim_io *io);

/* Opens a fifo, or a file:// URI (created, appended to), for writing
 * without blocking; a binary:// URI is -ENOTSUP. */
int shim_io_open_output(const char *path, int *ret_fd, cc_error **err);

#endif
