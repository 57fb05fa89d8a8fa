/* Internals of the tar unpacker (docs/unpack.md). Not installed. */
#ifndef COCOON_IMAGE_UNPACK_INT_H
#define COCOON_IMAGE_UNPACK_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>

#include "cocoon/error.h"
#include "strmap.h"
#include "unpack.h"

/* ---- in-root file system operations (fsops.c) ---------------------------- */

/* openat2(rootfd, path, flags | O_CLOEXEC) with RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS ("" is the root itself). Returns the fd or a
 * negative errno. */
int fs_open_in_root(int rootfd, const char *path, int flags);

/* Opens the directory path (inside the root) as an O_PATH fd, creating
 * missing components with mode 0755 when create is true. Returns the fd or
 * a negative errno (-ENOTDIR if a component is not a directory). */
int fs_dir_in_root(int rootfd, const char *path, bool create);

/* Removes name under dirfd and, for a directory, everything below it,
 * never following a symlink. Missing is fine. Returns 0 or a negative errno. */
int fs_remove_all(int dirfd, const char *name);

/* Sets, lists or removes an xattr of name under dirfd (an O_PATH fd is
 * fine) without following a symlink there: through /proc/self/fd, since
 * Linux before 6.13 has no *xattrat calls. Return 0 / a negative errno. */
int fs_lsetxattr_at(int dirfd, const char *name, const char *xname, const void *v, size_t n);

/* ---- the unpacker ---------------------------------------------------------- */

struct unpacker {
	int rootfd;
	struct img_unpack_opts o;
	struct img_unpack_stats st;
	cc_error **err;

	/* reader -> libarchive */
	img_reader *r;
	unsigned char *rbuf;
	cc_error *rerr; /* the reader's error, handed to the caller */
	int rcode;

	/* the entry being unpacked */
	char *path;       /* cleaned, relative to the root, no leading '/' */
	size_t path_len;
	size_t base_off;  /* offset of the last component in path */
	char shown[320];  /* printable entry name for messages */

	/* one cached parent directory (O_PATH) */
	char *pc_path;
	int pc_fd;
	struct stat pc_st;

	/* flatten mode: "dev:ino/name" of every path made by this layer */
	struct strmap *upper;
	/* "dev:ino" of directories -> struct dir_times, applied at the end */
	struct strmap *dirtimes;
};

/* Directory times applied once the layer is complete. */
struct dir_times {
	char *path; /* to reopen the directory in the root */
	dev_t dev;
	ino_t ino;
	struct timespec ts[2];
	bool from_entry; /* times from the tar entry (else: restore old ones) */
};

/* Cleans a tar path lexically as umoci's CleanPath: empty and "."
 * components go, ".." removes the one before and never climbs above the
 * root, a leading '/' means the root. out has room for strlen(raw) + 1.
 * Returns the length written (0: the root). */
size_t up_path_clean(char *out, const char *raw);

/* Sets u->shown to a printable copy of a hostile name: control bytes,
 * quotes and non-ASCII bytes as \xNN, cut at about 200 bytes. */
void up_show(struct unpacker *u, const char *raw);

/* Sets *u->err to "layer: entry '<shown>': <message>" and returns code. */
int up_fail(struct unpacker *u, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The cached parent (u->path up to the base) as an O_PATH fd, created when
 * create is true; records the directory's current times for restoring.
 * Returns the fd (owned by the cache) or a negative errno with u->err set.
 * -ENOENT without create is returned silently (no error set). */
int up_parent(struct unpacker *u, bool create);
/* Forgets the cached parent. */
void up_parent_drop(struct unpacker *u);

/* Records that name in the directory st was made by this layer. */
int up_mark_upper(struct unpacker *u, const struct stat *dir, const char *name);
/* Whether name in directory st was made by this layer. */
bool up_is_upper(const struct unpacker *u, const struct stat *dir, const char *name);

/* Remembers times for the directory st at path (from the entry when
 * from_entry; else only if nothing is recorded yet). */
int up_dir_times(struct unpacker *u, const char *path, const struct stat *st,
                 const struct timespec ts[2], bool from_entry);

/* Sets *u->err for a failed libarchive call (what: the step), using the
 * reader's own error when the stream below failed. Returns the code. */
int up_archive_error(struct unpacker *u, struct archive *a, const char *what);

/* Applies one tar entry (entry.c). */
int up_entry(struct unpacker *u, struct archive *a, struct archive_entry *e);

/* A whiteout entry; base is the last path component (whiteout.c). */
int up_whiteout(struct unpacker *u, const char *base);

/* The entry's atime and mtime (no mtime: now; no atime: the mtime). */
void up_entry_times(struct archive_entry *e, struct timespec ts[2]);

/* Restores the metadata of an entry on what was just made (meta.c):
 * fd is the object opened for writing/reading, or -1 to address it as
 * name under pfd. existed: a directory that was there before (its xattrs
 * are cleared first). */
int up_metadata(struct unpacker *u, struct archive_entry *e, int pfd, const char *name, int fd,
                mode_t type, bool existed);

#endif
