/* cocoon-agent: reading the small files the agent is given (policies,
 * its config file, the kernel command line), each with a cap. */
#ifndef COCOON_AGENT_FRONT_FILE_H
#define COCOON_AGENT_FRONT_FILE_H

#include <stddef.h>

#include "cocoon/error.h"

/* Reads path whole into a NUL-terminated malloc'd buffer (*ret, *ret_len
 * bytes without the NUL; "" for an empty file). -E2BIG past max bytes
 * (naming the cap), the system's errno otherwise, both naming path. */
int agent_read_file(const char *path, size_t max, char **ret, size_t *ret_len, cc_error **err);

#endif
