/* The KBS store (docs/kbs-store.md): namespaced key -> value blobs, as
 * Trustee's key-value storage (deps/key-value-storage: set with an
 * overwrite flag, get, delete, list), plus an expiry time per entry for
 * RCAR sessions (trustee.md §1.5).
 *
 * One interface, several back ends behind a small function table
 * (store_backend.h): the embedded SQLite one (kbs_store_sqlite_open, below)
 * and, later, PostgreSQL for replicas (issue 10). Keys and values are bytes
 * with explicit lengths; neither needs a NUL nor may be assumed to hold
 * text. Every function follows the error contract (docs/errors.md): 0 or a
 * negative errno, *err filled on failure, outputs written only on success.
 *
 * Threads: a kbs_store may be used from several threads at once (the SQLite
 * back end serialises calls on one handle with a mutex); a server that wants
 * reads in parallel opens one handle per thread on the same file. */
#ifndef COCOON_KBS_STORE_H
#define COCOON_KBS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cocoon/error.h>

typedef struct kbs_store kbs_store;
typedef struct kbs_keylist kbs_keylist;

/* Trustee's KV namespaces (trustee.md §4.2). The stored names are
 * Trustee's, so an operator finds the same words in both. */
enum kbs_ns {
	KBS_NS_REPOSITORY = 0,     /* "repository": resources, key repo/type/tag */
	KBS_NS_KBS,                /* "kbs": resource policy, id resource-policy */
	KBS_NS_ATTESTATION_POLICY, /* "attestation_service_policy": AS Rego */
	KBS_NS_REFERENCE_VALUE,    /* "reference_value": RVPS */
	KBS_NS_SESSION,            /* "kbs_protocol_session": RCAR sessions */
	KBS_NS_COUNT
};

/* The stored name of a namespace; NULL if ns is out of range. */
const char *kbs_ns_name(enum kbs_ns ns);

/* The namespace called `name` (Trustee's spelling). Returns 0 or -EINVAL. */
int kbs_ns_from_name(const char *name, enum kbs_ns *ret_ns, cc_error **err);

enum kbs_put_mode {
	KBS_PUT_OVERWRITE = 0, /* create or replace (Trustee overwrite: true) */
	KBS_PUT_CREATE,        /* create only; -EEXIST if the key is present */
};

/* Seconds since the Unix epoch; 0 in an expiry means "never expires". */
typedef int64_t kbs_time;

/* Stores `val` under `key` in `ns`. expires_at is the Unix time from which
 * the entry is gone (0 = never); entries of KBS_NS_SESSION must expire and
 * others may. An entry whose expiry has passed counts as absent, so
 * KBS_PUT_CREATE replaces it. The write is durable when this returns 0.
 * Returns 0, -EEXIST (KBS_PUT_CREATE and the key is present), -EINVAL
 * (bad namespace, empty key, a session without expiry, an expiry already
 * past), -E2BIG (key or value over CC_KBS_MAX_KEY_BYTES /
 * CC_KBS_MAX_VALUE_BYTES), -EBUSY, -ENOSPC, -EIO, -ENOMEM. */
int kbs_store_put(kbs_store *s, enum kbs_ns ns, const void *key, size_t key_len,
                  const void *val, size_t val_len, kbs_time expires_at, enum kbs_put_mode mode,
                  cc_error **err);

/* Reads the value of `key`. On success *ret_val is a new buffer of
 * *ret_len bytes (followed by a NUL that is not counted) that the caller
 * releases with kbs_store_value_free(); ret_expires_at (may be NULL) gets
 * the entry's expiry. An expired entry is deleted and reported missing.
 * Returns 0, -ENOENT (no such key, or expired), -EINVAL, -E2BIG, -EBUSY,
 * -EIO, -ENOMEM. */
int kbs_store_get(kbs_store *s, enum kbs_ns ns, const void *key, size_t key_len,
                  uint8_t **ret_val, size_t *ret_len, kbs_time *ret_expires_at, cc_error **err);

/* Wipes and frees a value kbs_store_get returned (values are secrets:
 * resources, tokens). NULL is a no-op. */
void kbs_store_value_free(uint8_t *val, size_t len);

/* Deletes `key`. *ret_existed (may be NULL) tells whether a live entry was
 * there (an expired one is removed too but reported as absent). Deleting a
 * missing key is not an error. Returns 0, -EINVAL, -E2BIG, -EBUSY, -EIO. */
int kbs_store_delete(kbs_store *s, enum kbs_ns ns, const void *key, size_t key_len,
                     bool *ret_existed, cc_error **err);

/* Lists live keys of `ns` in byte order, strictly after `after` (NULL for
 * the first page), at most `limit` of them (0 = CC_KBS_MAX_LIST_KEYS, more
 * is -E2BIG). *ret_list is owned by the caller (kbs_keylist_free).
 * kbs_keylist_more() says whether keys remain after the page: pass the last
 * key back as `after` for the next one. Returns 0, -EINVAL, -E2BIG, -EBUSY,
 * -EIO, -ENOMEM. */
int kbs_store_list(kbs_store *s, enum kbs_ns ns, const void *after, size_t after_len,
                   size_t limit, kbs_keylist **ret_list, cc_error **err);

/* Deletes every entry, in every namespace, whose expiry is <= now, in
 * batches of CC_KBS_STORE_SWEEP_BATCH. *ret_removed (may be NULL) gets the
 * count. Returns 0, -EBUSY, -EIO. */
int kbs_store_sweep_expired(kbs_store *s, kbs_time now, uint64_t *ret_removed, cc_error **err);

/* Checks the store's own consistency (SQLite: PRAGMA integrity_check).
 * Returns 0, or -EIO with the first problems in *err. */
int kbs_store_check(kbs_store *s, cc_error **err);

/* The back end's name ("sqlite"). */
const char *kbs_store_backend(const kbs_store *s);

/* Replaces the clock get, put, delete and list compare expiries with
 * (default: the system's real-time clock). For tests and for a server that
 * keeps one notion of "now" per request. fn NULL restores the default.
 * Not synchronised: call it before the handle is shared between threads;
 * fn itself may be called from any of them. */
void kbs_store_set_clock(kbs_store *s, kbs_time (*fn)(void *ctx), void *ctx);

/* Closes the store; NULL is a no-op. */
void kbs_store_free(kbs_store *s);

/* Key lists (kbs_store_list). Keys are bytes; each is followed by a NUL
 * that is not counted, for callers that know their keys are text. */
size_t kbs_keylist_count(const kbs_keylist *l);
const uint8_t *kbs_keylist_key(const kbs_keylist *l, size_t i, size_t *ret_len);
bool kbs_keylist_more(const kbs_keylist *l);
void kbs_keylist_free(kbs_keylist *l);

/* ---- SQLite back end (store_sqlite*.c) ---------------------------------- */

struct kbs_store_sqlite_options {
	/* Create the file if it is missing (mode 0600). Default true. */
	bool create;
	/* How long a write waits for another connection's lock (ms).
	 * Default CC_KBS_STORE_BUSY_TIMEOUT_MS. */
	int busy_timeout_ms;
	/* Session puts (KBS_NS_SESSION) commit with synchronous=NORMAL: they
	 * survive the process's death (kill -9) but the last ones before a
	 * power loss or OS crash may be lost (never half-written, and never
	 * taking another write with them). Every other write stays FULL.
	 * A session lives minutes and a lost one costs the client a new RCAR
	 * handshake; an fsync per /auth and /attest costs milliseconds
	 * (docs/kbs-store.md, "Figures"). Default false. */
	bool relaxed_sessions;
};

/* The defaults above. */
void kbs_store_sqlite_options_default(struct kbs_store_sqlite_options *o);

/* Opens (or creates) the store in the SQLite file `path`: WAL,
 * synchronous=FULL, schema created or migrated to the current version.
 * Refused with a clear error and never written to: a path that is not a
 * regular file or is a symlink, a file (or its -wal, -shm, -journal) that
 * group or others may access or that another user owns, a file that is not
 * an SQLite database, an SQLite database that is not a cocoon KBS store,
 * and a store whose schema is newer than this program. opt NULL = the
 * defaults. Returns 0, -EACCES (modes, owner), -ENOENT (missing and
 * !create), -EINVAL (not a store), -ENOTSUP (newer schema), -EBUSY, -EIO,
 * -ENOMEM, or the system call's errno. */
int kbs_store_sqlite_open(const char *path, const struct kbs_store_sqlite_options *opt,
                          kbs_store **ret_store, cc_error **err);

#endif
