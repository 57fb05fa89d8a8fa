/* Resolving an image config's User against a rootfs (execuser.c), as
 * umoci does through runc/moby's user.GetExecUserPath. Internal to
 * lib/image/unpack. */
#ifndef COCOON_IMAGE_UNPACK_EXECUSER_H
#define COCOON_IMAGE_UNPACK_EXECUSER_H

#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

struct exec_user {
	uint32_t uid, gid;
	uint32_t *sgids; /* supplementary groups (implicit form only) */
	size_t nsgids;
	char *home;      /* NULL: none */
};

/* Resolves spec ("", "user", "uid", "user:group", "uid:gid", ...) against
 * /etc/passwd and /etc/group of the root directory rootfd (read through
 * openat2 RESOLVE_IN_ROOT, at most CC_IMG_MAX_PASSWD_BYTES each; a missing
 * or non-regular file counts as absent). rootfd < 0: no files. Defaults
 * are root:root. *ret is written only on success; exec_user_clear frees
 * it. */
int exec_user_resolve(int rootfd, const char *spec, struct exec_user *ret, cc_error **err);
void exec_user_clear(struct exec_user *u);

#endif
