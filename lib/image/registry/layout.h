/* OCI image layouts on disk (image-spec image-layout.md): the directory
 * that `oci:DIR[:NAME]` names, as skopeo and umoci read and write it:
 *
 *   DIR/oci-layout            {"imageLayoutVersion": "1.0.0"}
 *   DIR/index.json            an image index; entries named by the
 *                             annotation org.opencontainers.image.ref.name
 *   DIR/blobs/<alg>/<hex>     content-addressed blobs
 *
 * Blobs are written to a temporary file in blobs/ and renamed into place
 * once their digest is known and checked, so a blob file is never partial;
 * index.json is replaced atomically the same way. */
#ifndef COCOON_IMAGE_LAYOUT_H
#define COCOON_IMAGE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "digest.h"
#include "manifest.h"

#define IMG_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

typedef struct img_layout img_layout;

/* Opens the layout in dir. create: make the directory, oci-layout,
 * blobs/ and an empty index.json when missing. */
int img_layout_open(const char *dir, bool create, img_layout **ret, cc_error **err);
void img_layout_free(img_layout *l);

/* The manifest descriptor named name (its ref.name annotation), or, with
 * name NULL, the only entry of index.json. -ENOENT names what exists. */
int img_layout_resolve(img_layout *l, const char *name, img_descriptor *ret, cc_error **err);

/* Opens a blob for reading (O_RDONLY fd) after checking it exists. The
 * content is not verified here: wrap it in img_digest_reader. */
int img_layout_open_blob(img_layout *l, const img_digest *d, int *ret_fd, cc_error **err);

/* Reads a whole blob of at most max bytes and checks its digest. */
int img_layout_read_blob(img_layout *l, const img_digest *d, size_t max, char **ret_body,
                         size_t *ret_len, cc_error **err);

bool img_layout_has_blob(img_layout *l, const img_digest *d);

/* A temporary file in the layout for a blob being written (O_RDWR);
 * *ret_path is its name, for img_layout_commit_blob or unlink. */
int img_layout_temp_blob(img_layout *l, int *ret_fd, char **ret_path, cc_error **err);

/* Renames the temporary file at path to the blob named d. The caller has
 * verified its content (and the file is fsynced here). */
int img_layout_commit_blob(img_layout *l, const char *path, int fd, const img_digest *d,
                           cc_error **err);
/* Gives the anonymous file fd (O_TMPFILE, on the layout's file system;
 * already verified as blob d) its name in the layout, after an fsync: no
 * copy. -EXDEV (no message) when that cannot be done (a named file, another
 * file system): the caller copies instead. */
int img_layout_adopt_blob(img_layout *l, int fd, const img_digest *d, cc_error **err);

/* Writes n bytes as a blob; *ret gets its sha256 digest. */
int img_layout_put_blob(img_layout *l, const void *p, size_t n, img_digest *ret, cc_error **err);

/* Records desc in index.json under name (replacing an entry of that name;
 * with name NULL, adds an unnamed entry). */
int img_layout_set_ref(img_layout *l, const char *name, const img_descriptor *desc,
                       cc_error **err);

const char *img_layout_dir(const img_layout *l);

#endif
