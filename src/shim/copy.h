/* Host files a container bind-mounts, copied into the guest (kata.md §3.5:
 * with no shared file system, Kata's CoCo runtime sends them with the
 * agent's CopyFile: Kubernetes' /etc/hosts, resolv.conf, termination log,
 * secrets and config maps). */
#ifndef COCOON_SHIM_COPY_H
#define COCOON_SHIM_COPY_H

#include <stdbool.h>

#include "agent.pb-c.h"
#include "cocoon/error.h"
#include "oci.pb-c.h"

/* Sends one CopyFile request (the agent call, or a recorder in tests). */
typedef int (*shim_copy_fn)(void *ctx, const Grpc__CopyFileRequest *req, cc_error **err);

struct shim_copy_opts {
	const char *cid;
	const char *shared_dir; /* in the guest: <guest_run_dir>/shared/containers */
	shim_copy_fn copy;
	void *ctx;
};

/* For each bind mount of spec whose source is a regular file or a
 * directory on the host (a symlink to one is followed): sends it with
 * CopyFile as <shared_dir>/<cid>-<16 random hex>-<last part of the mount's
 * destination> (Kata's name, which genpolicy's rules expect) and points
 * the mount there. A file goes in 1 MiB chunks (Kata's grpcMaxDataSize); a
 * directory first, then what is in it, symlinks as symlinks, at most 16
 * levels deep. Other bind mounts (sockets, devices, missing paths) are
 * dropped. At most CC_SHIM_MAX_COPY_BYTES and CC_SHIM_MAX_COPY_ENTRIES per
 * container (-EFBIG, naming the mount). */
int shim_copy_mounts(Grpc__Spec *spec, const struct shim_copy_opts *o, cc_error **err);

/* Whether m is a bind mount (type "bind" or a bind/rbind option). */
bool shim_mount_is_bind(const Grpc__Mount *m);

#endif
