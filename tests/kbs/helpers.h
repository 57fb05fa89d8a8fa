/* Helpers shared by the KBS store tests (tests/kbs/). */
#ifndef COCOON_KBS_TEST_HELPERS_H
#define COCOON_KBS_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* A new private directory under $TMPDIR (or /tmp); the caller frees the
 * name and removes the tree with kt_rmtree. */
char *kt_tmpdir(void);
/* Removes a directory tree (the test's own temporary directory). */
void kt_rmtree(const char *dir);
/* dir/name in a new string. */
char *kt_path(const char *dir, const char *name);

/* Opens (creating) the store at path with the defaults; fails the test
 * with the error message if that fails. */
kbs_store *kt_open(const char *path);

/* A clock the test moves (kbs_store_set_clock). */
struct kt_clock {
	kbs_time now;
};
kbs_time kt_clock_now(void *ctx);

/* A test's fixture: a private directory, the store's path in it (and its
 * -wal and -shm), a store the test may open, a clock. */
struct kt_fx {
	char *dir, *path, *wal, *shm;
	kbs_store *s;
	struct kt_clock clock;
};
/* cmocka setup/teardown: *state is a struct kt_fx with s NULL; the
 * teardown frees s and removes the directory. */
int kt_fx_setup(void **state);
int kt_fx_teardown(void **state);

/* Reads a whole file into a new buffer (*ret_len bytes); NULL if it cannot
 * be read. */
uint8_t *kt_read_file(const char *path, size_t *ret_len);
/* Writes a file with the given mode (exactly, whatever the umask). */
void kt_write_file(const char *path, const void *p, size_t len, unsigned mode);
/* True if path exists (lstat). */
bool kt_exists(const char *path);
/* The permission bits of path (lstat); -1 if missing. */
int kt_mode(const char *path);

/* Runs one SQL statement on the file with a raw SQLite connection (no
 * cocoon checks) and returns the first column of its first row as an
 * integer (0 without a row); fails the test on an SQLite error. */
long long kt_sql(const char *path, const char *sql);

/* Inserts keys PREFIX%06u for i in [from, to) into namespace ns with a
 * one-byte value and the given expiry, straight into the file in one
 * transaction (a put per key would be an fsync per key). */
void kt_bulk(const char *path, const char *ns, const char *prefix, unsigned from, unsigned to,
             long long expires);

/* Gets key and compares the value with want (want NULL: the key must be
 * missing, -ENOENT with "not found"); checks the NUL after the value. */
void kt_check_value(kbs_store *s, enum kbs_ns ns, const void *key, size_t key_len,
                    const void *want, size_t want_len);

/* Puts a text key and value with KBS_PUT_OVERWRITE, no expiry; fails the
 * test on error. */
void kt_put(kbs_store *s, enum kbs_ns ns, const char *key, const char *val);

#endif
