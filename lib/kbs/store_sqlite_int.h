/* Internals of the SQLite back end of the KBS store (store_sqlite*.c),
 * shared by its files: the file checks (store_sqlite_file.c), the
 * connection set-up and schema (store_sqlite_schema.c) and the operations
 * (store_sqlite.c). */
#ifndef COCOON_KBS_STORE_SQLITE_INT_H
#define COCOON_KBS_STORE_SQLITE_INT_H

#include <stdbool.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <cocoon/error.h>

/* The schema this code writes and understands (PRAGMA user_version), and
 * the application id that marks a file as a cocoon KBS store ("CKBS"). */
#define KBS_SQLITE_SCHEMA_VERSION 1
#define KBS_SQLITE_APPLICATION_ID 0x434b4253

/* Checks the store file at `path` before SQLite opens it, and creates it
 * (empty, mode 0600, fsync'd with its directory) if it is missing and
 * `create` is set. Refuses a symlink, anything but a regular file, a file
 * another user owns or that group or others may access, and the same for
 * an existing -wal, -shm or -journal beside it. Opens no descriptor on an
 * existing file (closing one would drop the POSIX locks other SQLite
 * connections of this process hold on it). *ret_st gets the file's
 * identity. The caller holds kbs_sqlite_open_lock. Returns 0, -ENOENT,
 * -EACCES, -EINVAL, or the system call's errno. */
int kbs_sqlite_file_prepare(const char *path, bool create, struct stat *ret_st, cc_error **err);

/* After SQLite opened `path`: the path still names the file checked
 * (st), and its -wal, -shm and -journal pass the same checks. */
int kbs_sqlite_file_recheck(const char *path, const struct stat *st, cc_error **err);

/* Serialises opens in this process (file creation, identification,
 * migration). */
void kbs_sqlite_open_lock(void);
void kbs_sqlite_open_unlock(void);

/* Sets up a fresh connection to `path`: limits, defensive mode, busy
 * timeout, then identifies the file (a foreign file or database is refused
 * before anything is written), switches to WAL with synchronous=FULL and
 * creates or migrates the schema. Returns 0 or a negative errno with *err
 * naming the file. */
int kbs_sqlite_setup(sqlite3 *db, const char *path, int busy_timeout_ms, cc_error **err);

/* A negative errno for an SQLite result code. */
int kbs_sqlite_errno(int rc);

/* Fills *err with "PATH: <what>: <SQLite's message>" and returns
 * kbs_sqlite_errno(rc). */
int kbs_sqlite_fail(sqlite3 *db, int rc, const char *path, cc_error **err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
