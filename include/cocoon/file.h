/* Reading a whole file with a cap (docs/errors.md contract). */
#ifndef COCOON_FILE_H
#define COCOON_FILE_H

#include <stddef.h>

#include "cocoon/error.h"

enum {
	/* refuse anything but a regular file (-EINVAL): no FIFO that blocks,
	 * no device that never ends */
	CC_READ_REGULAR = 1u << 0,
	/* the contents are secret: every buffer freed on the way is wiped */
	CC_READ_SECRET = 1u << 1,
};

/* Reads the file at path, at most max bytes, into *ret: malloc'd, with a
 * NUL after the last byte (the caller frees it; *ret_len, when ret_len is
 * not NULL, is its length). The buffer grows as bytes arrive, so a file
 * whose size says 0 (/proc, a pipe such as /dev/stdin) or one that grows
 * while it is read is read correctly. Errors: -EFBIG "PATH: larger than MAX
 * bytes"; the system call's errno as "PATH: strerror"; -EINVAL "PATH: not a
 * regular file" under CC_READ_REGULAR; -ENOMEM. Outputs only on success. */
int cc_read_file(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len,
                 cc_error **err);

#endif
