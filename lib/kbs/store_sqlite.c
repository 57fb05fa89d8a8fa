/* The embedded SQLite back end of the KBS store (store.h,
 * docs/kbs-store.md): one connection per handle, calls on a handle
 * serialised by a mutex, every statement prepared once from a constant
 * string with the keys and values bound as blobs. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cocoon/limits.h>

#include "store_backend.h"
#include "store_sqlite_int.h"

enum stmt {
	ST_PUT,
	ST_PUT_CREATE,
	ST_GET,
	ST_DEL_EXPIRED,
	ST_DEL,
	ST_LIST,
	ST_SWEEP,
	ST_SYNC_NORMAL,
	ST_SYNC_FULL,
	ST_COUNT
};

/* ?1 ns, ?2 key, then as each says. */
static const char *const stmt_sql[ST_COUNT] = {
	[ST_PUT] = "INSERT INTO kv (ns, key, value, expires) VALUES (?1, ?2, ?3, ?4) "
	           "ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, "
	           "expires = excluded.expires",
	/* Create only: an existing entry is replaced only if it has expired
	 * (?5 = now); no row changed means the key is taken. One statement, so
	 * it is atomic against every other connection. */
	[ST_PUT_CREATE] = "INSERT INTO kv (ns, key, value, expires) VALUES (?1, ?2, ?3, ?4) "
	                  "ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, "
	                  "expires = excluded.expires "
	                  "WHERE kv.expires <> 0 AND kv.expires <= ?5",
	[ST_GET] = "SELECT value, expires FROM kv WHERE ns = ?1 AND key = ?2",
	[ST_DEL_EXPIRED] = "DELETE FROM kv WHERE ns = ?1 AND key = ?2 "
	                   "AND expires <> 0 AND expires <= ?3",
	[ST_DEL] = "DELETE FROM kv WHERE ns = ?1 AND key = ?2 RETURNING expires",
	/* ?3 now, ?4 page size + 1 (the extra row says "more"). */
	[ST_LIST] = "SELECT key FROM kv WHERE ns = ?1 AND key > ?2 "
	            "AND (expires = 0 OR expires > ?3) ORDER BY key LIMIT ?4",
	/* ?1 now, ?2 batch size. */
	[ST_SWEEP] = "DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv "
	             "WHERE expires <> 0 AND expires <= ?1 LIMIT ?2)",
	/* Around a relaxed session put (kbs_store_sqlite_options). */
	[ST_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
	[ST_SYNC_FULL] = "PRAGMA synchronous = FULL",
};

struct kbs_sqlite {
	sqlite3 *db;
	pthread_mutex_t lock; /* one caller at a time on db and st[] */
	char *path;
	bool relaxed_sessions;
	sqlite3_stmt *st[ST_COUNT];
};

static bool expired(kbs_time expires, kbs_time now)
{
	return expires != 0 && expires <= now;
}

/* Blobs are bound without a copy: they outlive the statement's use. An
 * empty one is bound as a zero-length blob (a NULL pointer would be SQL
 * NULL). */
static int bind_bytes(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
	if (n == 0)
		return sqlite3_bind_zeroblob(st, i, 0);
	return sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC);
}

static int bind_ns_key(sqlite3_stmt *st, enum kbs_ns ns, const uint8_t *key, size_t key_len)
{
	int rc = sqlite3_bind_text(st, 1, kbs_ns_name(ns), -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = bind_bytes(st, 2, key, key_len);
	return rc;
}

/* Takes the handle and one of its statements; stmt_done() gives both back
 * (the statement reset, its bindings cleared). */
static sqlite3_stmt *stmt_take(struct kbs_sqlite *q, enum stmt id)
{
	pthread_mutex_lock(&q->lock);
	return q->st[id];
}

static void stmt_done(struct kbs_sqlite *q, sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&q->lock);
}

static int op_fail(struct kbs_sqlite *q, int rc, cc_error **err, const char *op, enum kbs_ns ns,
                   const uint8_t *key, size_t key_len)
{
	char kd[KBS_KEY_DESC_SIZE];
	return kbs_sqlite_fail(q->db, rc, q->path, err, "%s %s %s", op, kbs_ns_name(ns),
	                       kbs_store_key_desc(ns, key, key_len, kd));
}

/* Runs a PRAGMA statement of the handle (the caller holds the lock). */
static int run_pragma(struct kbs_sqlite *q, enum stmt id)
{
	int rc = sqlite3_step(q->st[id]);
	sqlite3_reset(q->st[id]);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int sq_put(void *impl, enum kbs_ns ns, const uint8_t *key, size_t key_len,
                  const uint8_t *val, size_t val_len, kbs_time expires_at, bool overwrite,
                  kbs_time now, cc_error **err)
{
	struct kbs_sqlite *q = impl;
	/* WAL with NORMAL: this commit is not fsync'd; the next FULL commit
	 * (or checkpoint) syncs it with its own. */
	bool relaxed = q->relaxed_sessions && ns == KBS_NS_SESSION;
	sqlite3_stmt *st = stmt_take(q, overwrite ? ST_PUT : ST_PUT_CREATE);
	int rc = relaxed ? run_pragma(q, ST_SYNC_NORMAL) : SQLITE_OK;
	if (rc == SQLITE_OK)
		rc = bind_ns_key(st, ns, key, key_len);
	if (rc == SQLITE_OK)
		rc = bind_bytes(st, 3, val, val_len);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, expires_at);
	if (rc == SQLITE_OK && !overwrite)
		rc = sqlite3_bind_int64(st, 5, now);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	int r = 0;
	if (rc != SQLITE_DONE) {
		r = op_fail(q, rc, err, "put", ns, key, key_len);
	} else if (!overwrite && sqlite3_changes(q->db) == 0) {
		char kd[KBS_KEY_DESC_SIZE];
		r = cc_error_set(err, -EEXIST, "%s %s: already exists", kbs_ns_name(ns),
		                 kbs_store_key_desc(ns, key, key_len, kd));
	}
	/* Back to FULL whatever happened: every other write depends on it. */
	if (relaxed && (rc = run_pragma(q, ST_SYNC_FULL)) != SQLITE_OK && r == 0)
		r = kbs_sqlite_fail(q->db, rc, q->path, err, "restoring synchronous = FULL");
	stmt_done(q, st);
	return r;
}

/* Deletes key if it has expired by now (get found it so). */
static int drop_expired(struct kbs_sqlite *q, enum kbs_ns ns, const uint8_t *key,
                        size_t key_len, kbs_time now, cc_error **err)
{
	sqlite3_stmt *st = stmt_take(q, ST_DEL_EXPIRED);
	int rc = bind_ns_key(st, ns, key, key_len);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, now);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE ? 0 : op_fail(q, rc, err, "deleting expired", ns, key, key_len);
	stmt_done(q, st);
	return r;
}

/* Copies the value column of the current row into a new buffer with a NUL
 * after it. */
static int copy_value(sqlite3_stmt *st, uint8_t **ret_val, size_t *ret_len)
{
	const void *p = sqlite3_column_blob(st, 0);
	int n = sqlite3_column_bytes(st, 0);
	if (n < 0 || (size_t)n > CC_KBS_MAX_VALUE_BYTES || (p == NULL && n > 0))
		return -EIO;
	uint8_t *v = malloc((size_t)n + 1);
	if (v == NULL)
		return -ENOMEM;
	if (n > 0)
		memcpy(v, p, (size_t)n);
	v[n] = '\0';
	*ret_val = v;
	*ret_len = (size_t)n;
	return 0;
}

static int sq_get(void *impl, enum kbs_ns ns, const uint8_t *key, size_t key_len, kbs_time now,
                  uint8_t **ret_val, size_t *ret_len, kbs_time *ret_expires_at, cc_error **err)
{
	struct kbs_sqlite *q = impl;
	char kd[KBS_KEY_DESC_SIZE];
	sqlite3_stmt *st = stmt_take(q, ST_GET);
	int rc = bind_ns_key(st, ns, key, key_len);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	int r;
	bool gone = false;
	if (rc == SQLITE_ROW) {
		kbs_time exp = sqlite3_column_int64(st, 1);
		gone = expired(exp, now);
		r = gone ? -ENOENT : copy_value(st, ret_val, ret_len);
		if (r == 0)
			*ret_expires_at = exp;
		else if (r == -EIO)
			r = cc_error_set(err, r, "%s: get %s %s: stored value is not a value of at "
			                 "most CC_KBS_MAX_VALUE_BYTES", q->path, kbs_ns_name(ns),
			                 kbs_store_key_desc(ns, key, key_len, kd));
		else if (r == -ENOMEM)
			r = cc_error_set(err, r, "out of memory");
	} else if (rc == SQLITE_DONE) {
		r = -ENOENT;
	} else {
		r = op_fail(q, rc, err, "get", ns, key, key_len);
	}
	stmt_done(q, st);
	if (gone) {
		int d = drop_expired(q, ns, key, key_len, now, err);
		if (d < 0)
			return d;
	}
	if (r == -ENOENT)
		r = cc_error_set(err, -ENOENT, "%s %s: not found%s", kbs_ns_name(ns),
		                 kbs_store_key_desc(ns, key, key_len, kd), gone ? " (expired)" : "");
	return r;
}

static int sq_del(void *impl, enum kbs_ns ns, const uint8_t *key, size_t key_len, kbs_time now,
                  bool *ret_existed, cc_error **err)
{
	struct kbs_sqlite *q = impl;
	sqlite3_stmt *st = stmt_take(q, ST_DEL);
	bool existed = false;
	int rc = bind_ns_key(st, ns, key, key_len);
	/* RETURNING: the row of the deleted entry, if there was one. */
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			existed = !expired(sqlite3_column_int64(st, 0), now);
	}
	int r = 0;
	if (rc != SQLITE_DONE)
		r = op_fail(q, rc, err, "delete", ns, key, key_len);
	else
		*ret_existed = existed;
	stmt_done(q, st);
	return r;
}

static int sq_list(void *impl, enum kbs_ns ns, const uint8_t *after, size_t after_len,
                   size_t limit, kbs_time now, kbs_keylist *out, cc_error **err)
{
	struct kbs_sqlite *q = impl;
	sqlite3_stmt *st = stmt_take(q, ST_LIST);
	int rc = bind_ns_key(st, ns, after, after_len);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, now);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)limit + 1);
	size_t n = 0;
	int r = 0;
	while (r == 0 && (rc == SQLITE_OK || rc == SQLITE_ROW)) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		if (n++ == limit) {
			kbs_keylist_set_more(out, true);
			rc = SQLITE_DONE;
			break;
		}
		const uint8_t *k = sqlite3_column_blob(st, 0);
		int kn = sqlite3_column_bytes(st, 0);
		r = kn < 0 ? -EIO : kbs_keylist_add(out, k, (size_t)kn);
		if (r < 0)
			r = cc_error_set(err, r, "%s: list %s: key %zu: %s", q->path, kbs_ns_name(ns),
			                 n, r == -ENOMEM ? "out of memory" : "not a valid key");
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = kbs_sqlite_fail(q->db, rc, q->path, err, "list %s", kbs_ns_name(ns));
	stmt_done(q, st);
	return r;
}

static int sq_sweep(void *impl, kbs_time now, uint64_t *ret_removed, cc_error **err)
{
	struct kbs_sqlite *q = impl;
	uint64_t total = 0;
	/* One transaction per batch, the handle released between batches; the
	 * loop ends when a batch is not full (the expired rows are finite and
	 * put refuses an expiry in the past). */
	for (;;) {
		sqlite3_stmt *st = stmt_take(q, ST_SWEEP);
		int rc = sqlite3_bind_int64(st, 1, now);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, CC_KBS_STORE_SWEEP_BATCH);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		int n = sqlite3_changes(q->db);
		int r = 0;
		if (rc != SQLITE_DONE)
			r = kbs_sqlite_fail(q->db, rc, q->path, err, "sweeping expired entries");
		stmt_done(q, st);
		if (r < 0)
			return r;
		total += (uint64_t)n;
		if ((unsigned)n < CC_KBS_STORE_SWEEP_BATCH)
			break;
	}
	*ret_removed = total;
	return 0;
}

/* PRAGMA integrity_check: "ok", or up to 10 problems, the first 3 in the
 * message. */
static int sq_check(void *impl, cc_error **err)
{
	struct kbs_sqlite *q = impl;
	char report[512] = "";
	size_t used = 0, problems = 0;
	pthread_mutex_lock(&q->lock);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(q->db, "PRAGMA integrity_check(10)", -1, &st, NULL);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		const unsigned char *t = sqlite3_column_text(st, 0);
		if (t == NULL || strcmp((const char *)t, "ok") == 0)
			continue;
		if (problems++ < 3 && used < sizeof(report)) {
			int w = snprintf(report + used, sizeof(report) - used, "%s%s",
			                 used > 0 ? "; " : "", (const char *)t);
			used += w > 0 ? (size_t)w : 0;
		}
	}
	int r = 0;
	if (rc != SQLITE_DONE)
		r = kbs_sqlite_fail(q->db, rc, q->path, err, "integrity check");
	else if (problems > 0)
		r = cc_error_set(err, -EIO, "%s: integrity check found %zu problem(s): %s", q->path,
		                 problems, report);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&q->lock);
	return r;
}

static void sq_free(void *impl)
{
	struct kbs_sqlite *q = impl;
	if (q == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(q->st[i]);
	/* The last connection checkpoints the WAL and removes -wal and -shm. */
	sqlite3_close(q->db);
	pthread_mutex_destroy(&q->lock);
	free(q->path);
	free(q);
}

static const struct kbs_store_ops sqlite_ops = {
	.name = "sqlite",
	.put = sq_put,
	.get = sq_get,
	.del = sq_del,
	.list = sq_list,
	.sweep = sq_sweep,
	.check = sq_check,
	.free = sq_free,
};

void kbs_store_sqlite_options_default(struct kbs_store_sqlite_options *o)
{
	o->create = true;
	o->busy_timeout_ms = CC_KBS_STORE_BUSY_TIMEOUT_MS;
	o->relaxed_sessions = false;
}

/* Checks the file, opens it, sets the connection up; under the open lock
 * (file creation and migration are not raced by another handle of this
 * process). */
static int open_db(struct kbs_sqlite *q, const struct kbs_store_sqlite_options *o,
                   cc_error **err)
{
	struct stat st;
	int r = kbs_sqlite_file_prepare(q->path, o->create, &st, err);
	if (r < 0)
		return r;
	int rc = sqlite3_open_v2(q->path, &q->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	                             SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE,
	                         NULL);
	if (rc != SQLITE_OK)
		return kbs_sqlite_fail(q->db, rc, q->path, err, "opening the store");
	r = kbs_sqlite_file_recheck(q->path, &st, err);
	if (r == 0)
		r = kbs_sqlite_setup(q->db, q->path, o->busy_timeout_ms, err);
	/* -wal and -shm exist now: they got the database's 0600. */
	if (r == 0)
		r = kbs_sqlite_file_recheck(q->path, &st, err);
	return r;
}

int kbs_store_sqlite_open(const char *path, const struct kbs_store_sqlite_options *opt,
                          kbs_store **ret_store, cc_error **err)
{
	struct kbs_store_sqlite_options o;
	kbs_store_sqlite_options_default(&o);
	if (opt != NULL)
		o = *opt;
	if (o.busy_timeout_ms < 0)
		return cc_error_set(err, -EINVAL, "store busy timeout %d ms is negative",
		                    o.busy_timeout_ms);
	if (!sqlite3_threadsafe())
		return cc_error_set(err, -ENOTSUP, "the SQLite library was built without threads");
	if (path == NULL)
		return cc_error_set(err, -EINVAL, "empty store path");
	struct kbs_sqlite *q = calloc(1, sizeof(*q));
	if (q == NULL || (q->path = strdup(path)) == NULL) {
		free(q);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	q->relaxed_sessions = o.relaxed_sessions;
	pthread_mutex_init(&q->lock, NULL);
	kbs_sqlite_open_lock();
	int r = open_db(q, &o, err);
	kbs_sqlite_open_unlock();
	for (int i = 0; r == 0 && i < ST_COUNT; i++) {
		int rc = sqlite3_prepare_v3(q->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                            &q->st[i], NULL);
		if (rc != SQLITE_OK)
			r = kbs_sqlite_fail(q->db, rc, q->path, err, "preparing statement %d", i);
	}
	if (r < 0) {
		sq_free(q);
		return r;
	}
	return kbs_store_new(&sqlite_ops, q, ret_store, err);
}
