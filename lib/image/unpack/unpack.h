/* Layer unpacking for the image service (docs/unpack.md):
 *
 *   decrypted layer blob -> img_decompress_reader -> (caller: diff_id check)
 *     -> img_unpack_layer -> files under a root directory fd
 *
 * plus the OCI runtime config.json made from an image config.
 *
 * Everything read here is hostile: tar entries can name any path, link to
 * anything and claim any size. Every file system change is made relative to
 * the root fd through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so
 * nothing outside the root can be created, changed or removed.
 */
#ifndef COCOON_IMAGE_UNPACK_H
#define COCOON_IMAGE_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cocoon/error.h"
#include "reader.h"

/* ---- decompression --------------------------------------------------- */

enum img_compression {
	IMG_COMPRESSION_NONE = 0,
	IMG_COMPRESSION_GZIP = 1,
	IMG_COMPRESSION_ZSTD = 2,
};

/* Maps a layer media type (OCI image-spec media-types.md, Docker's
 * rootfs.diff types) to its compression. *ret_encrypted (may be NULL) tells
 * whether the type ends in "+encrypted" (ocicrypt; tar and tar+gzip only, as
 * image-rs). Anything else fails with -ENOTSUP "unhandled media type ...".
 * Outputs are written only on success. */
int img_layer_media_type(const char *media_type, enum img_compression *ret_compression,
                         bool *ret_encrypted, cc_error **err);

/* "none", "gzip" or "zstd". */
const char *img_compression_name(enum img_compression c);

/* A reader that decompresses inner: none passes through, gzip accepts
 * several members one after the other (as Go's gzip reader), zstd several
 * frames. More than max_out bytes of output fails the read with -EFBIG (a
 * decompression bomb); corrupt or truncated input fails with -EBADMSG. The
 * end of the input is checked: trailing bytes that are not another member
 * or frame fail. Takes ownership of inner (freed on failure too). NULL on
 * OOM. */
img_reader *img_decompress_reader(img_reader *inner, enum img_compression c, uint64_t max_out);

/* ---- tar layers ------------------------------------------------------ */

enum img_whiteout_mode {
	/* The layer is applied onto a root that holds the lower layers:
	 * ".wh.NAME" removes NAME of the lower layers, ".wh..wh..opq" empties
	 * a directory of lower content (image-spec layer.md, as umoci). */
	IMG_WHITEOUT_FLATTEN = 0,
	/* The layer goes into its own empty directory, an overlayfs lower
	 * layer: ".wh.NAME" becomes a 0/0 character device, ".wh..wh..opq"
	 * the xattr trusted.overlay.opaque=y (as image-rs). */
	IMG_WHITEOUT_OVERLAY = 1,
};

struct img_unpack_opts {
	enum img_whiteout_mode whiteout;
	uint64_t max_bytes;   /* tar stream bytes (CC_IMG_MAX_LAYER_UNPACKED) */
	uint64_t max_entries; /* tar entries (CC_IMG_MAX_LAYER_ENTRIES) */
};

/* What a successful unpack did. */
struct img_unpack_stats {
	uint64_t entries;   /* tar entries read */
	uint64_t files;     /* regular files written */
	uint64_t dirs;      /* directory entries */
	uint64_t symlinks;
	uint64_t hardlinks;
	uint64_t nodes;     /* char/block devices and FIFOs */
	uint64_t whiteouts; /* whiteout entries (both kinds) */
	uint64_t file_bytes; /* bytes of regular file contents */
	uint64_t tar_bytes;  /* bytes of the tar stream, trailing bytes included */
};

/* Fills o with the defaults: flatten mode, caps from limits.h. */
void img_unpack_opts_default(struct img_unpack_opts *o);

/* Unpacks the tar stream tar into the directory rootfd (opts NULL means the
 * defaults). On success the reader has been read to its end, so every check
 * a reader in its chain makes at the end (digest, diff_id, HMAC) has passed;
 * the function never returns 0 without that. Errors name the entry
 * ("layer: entry 'a/b': ..."); on failure the root may hold part of the
 * layer (the caller removes it). stats (may be NULL) is written only on
 * success. The reader stays the caller's. */
int img_unpack_layer(int rootfd, img_reader *tar, const struct img_unpack_opts *opts,
                     struct img_unpack_stats *stats, cc_error **err);

/* Removes name under dirfd and, for a directory, everything below it,
 * never following a symlink (a failed pull's staging tree). Missing is
 * fine. Returns 0 or a negative errno. */
int img_remove_tree(int dirfd, const char *name);

/* ---- runtime config -------------------------------------------------- */

/* Builds the OCI runtime-spec config.json for an image config (image-spec
 * config.md) as `umoci unpack` lays it out: runtime-tools' default Linux
 * spec, process args = Entrypoint + Cmd, Env merged over the default PATH
 * and TERM, cwd, user resolved against the rootfs's /etc/passwd and
 * /etc/group (read through rootfd, bounded; rootfd < 0: numeric ids only),
 * HOME from passwd, labels and image fields as annotations, a tmpfs mount
 * per volume. *ret (a new reference) is written only on success. */
int img_runtime_config(const json_t *image_config, int rootfd, json_t **ret, cc_error **err);

#endif
