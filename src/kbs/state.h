/* The state directory (docs/kbs.md, "State directory"): 0700, owned by
 * the server's user, holding the store and the keys as 0600 files written
 * atomically (temporary file, fsync, rename, fsync of the directory). */
#ifndef COCOON_KBS_STATE_H
#define COCOON_KBS_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"

/* Opens dir, creating it (mode 0700, not its parents) when missing.
 * Refused: not a directory, a symlink, another owner, any group or other
 * permission bit. *ret_fd is an O_DIRECTORY descriptor. */
int kbs_state_open(const char *dir, int *ret_fd, cc_error **err);

/* Reads file name of the state directory (at most max bytes; the buffer
 * is NUL-terminated and the caller wipes secrets before freeing it).
 * -ENOENT when missing; a symlink, another owner or group/other bits are
 * refused (-EACCES) naming the file. */
int kbs_state_read(int dirfd, const char *dir, const char *name, size_t max, char **ret,
                   size_t *ret_len, cc_error **err);

/* Writes name atomically with mode 0600. no_replace: -EEXIST when name
 * exists already (two servers starting at once keep the first one's). */
int kbs_state_write(int dirfd, const char *dir, const char *name, const void *data, size_t len,
                    bool no_replace, cc_error **err);

#endif
