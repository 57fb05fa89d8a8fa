/* The SQLite store's connection set-up and schema (docs/kbs-store.md,
 * "SQLite settings" and "Schema"): connection limits and defensive mode,
 * identification of the file before anything is written, WAL with
 * synchronous=FULL, and the user_version migrations.
 *
 * Every statement here is a constant string: PRAGMA takes no bound
 * parameters, so each migration step carries its own version number as a
 * literal. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cocoon/limits.h>

#include "store_sqlite_int.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Migration steps: steps[v] takes a store from schema v to v + 1, ending
 * with "PRAGMA user_version = v + 1". They run in one IMMEDIATE
 * transaction with the version check. */
static const char *const step_0_to_1[] = {
	/* One table for every namespace (ns holds Trustee's namespace name);
	 * keys and values are bytes. A rowid table, as values may be MiBs. */
	"CREATE TABLE kv ("
	" ns TEXT NOT NULL,"
	" key BLOB NOT NULL,"
	" value BLOB NOT NULL,"
	" expires INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (ns, key)"
	") STRICT",
	/* The sweep finds expired entries without a scan. */
	"CREATE INDEX kv_expires ON kv (expires) WHERE expires <> 0",
	"PRAGMA application_id = " STR(KBS_SQLITE_APPLICATION_ID),
	"PRAGMA user_version = 1",
	NULL,
};

static const char *const *const steps[KBS_SQLITE_SCHEMA_VERSION] = {
	step_0_to_1,
};

int kbs_sqlite_errno(int rc)
{
	if (rc == SQLITE_IOERR_NOMEM)
		return -ENOMEM;
	switch (rc & 0xff) {
	case SQLITE_OK:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOTADB:
	case SQLITE_MISMATCH:
	case SQLITE_CONSTRAINT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int kbs_sqlite_fail(sqlite3 *db, int rc, const char *path, cc_error **err, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	return cc_error_set(err, kbs_sqlite_errno(rc), "%s: %s: %s (SQLite code %d)", path, what,
	                    msg, rc);
}

/* Runs one constant statement to completion. If ret_int is not NULL it gets
 * the first column of the first row (0 without a row); likewise ret_text
 * (NUL-terminated, cut to text_size). */
static int run(sqlite3 *db, const char *path, const char *sql, int64_t *ret_int,
               char *ret_text, size_t text_size, cc_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return kbs_sqlite_fail(db, rc, path, err, "preparing \"%.60s\"", sql);
	int64_t v = 0;
	bool first = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!first)
			continue;
		first = false;
		v = sqlite3_column_int64(st, 0);
		if (ret_text != NULL) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			snprintf(ret_text, text_size, "%s", t != NULL ? (const char *)t : "");
		}
	}
	if (rc != SQLITE_DONE) {
		int r = kbs_sqlite_fail(db, rc, path, err, "\"%.60s\"", sql);
		sqlite3_finalize(st);
		return r;
	}
	sqlite3_finalize(st);
	if (ret_int != NULL)
		*ret_int = v;
	return 0;
}

struct identity {
	int64_t app_id, version, objects;
};

static int read_identity(sqlite3 *db, const char *path, struct identity *id, cc_error **err)
{
	int r = run(db, path, "PRAGMA application_id", &id->app_id, NULL, 0, err);
	if (r == -EINVAL) /* SQLITE_NOTADB: the header is not SQLite's */
		return cc_error_wrap(err, "%s: is not an SQLite database; refusing to use or "
		                     "overwrite it", path);
	if (r < 0)
		return r;
	r = run(db, path, "PRAGMA user_version", &id->version, NULL, 0, err);
	if (r < 0)
		return r;
	return run(db, path, "SELECT count(*) FROM sqlite_schema", &id->objects, NULL, 0, err);
}

/* 0 if the file is a store this code can use (or an empty database to make
 * one of), else the refusal. */
static int judge_identity(const char *path, const struct identity *id, cc_error **err)
{
	if (id->app_id == 0 && id->version == 0 && id->objects == 0)
		return 0;
	if (id->app_id != KBS_SQLITE_APPLICATION_ID || id->version < 1)
		return cc_error_set(err, -EINVAL,
		                    "%s: an SQLite database that is not a cocoon KBS store "
		                    "(application_id %#llx, user_version %lld, %lld schema objects); "
		                    "refusing to use or change it",
		                    path, (unsigned long long)id->app_id, (long long)id->version,
		                    (long long)id->objects);
	if (id->version > KBS_SQLITE_SCHEMA_VERSION)
		return cc_error_set(err, -ENOTSUP,
		                    "%s: store schema version %lld is newer than this program's (%d); "
		                    "refusing to use it (run a newer cocoon-kbs)",
		                    path, (long long)id->version, KBS_SQLITE_SCHEMA_VERSION);
	return 0;
}

/* Brings the schema to KBS_SQLITE_SCHEMA_VERSION in one transaction, after
 * reading the version again under the write lock (another process may have
 * migrated meanwhile). */
static int migrate(sqlite3 *db, const char *path, cc_error **err)
{
	int r = run(db, path, "BEGIN IMMEDIATE", NULL, NULL, 0, err);
	if (r < 0)
		return r;
	struct identity id;
	r = read_identity(db, path, &id, err);
	if (r == 0)
		r = judge_identity(path, &id, err);
	for (int64_t v = id.version; r == 0 && v < KBS_SQLITE_SCHEMA_VERSION; v++) {
		for (const char *const *sql = steps[v]; r == 0 && *sql != NULL; sql++)
			r = run(db, path, *sql, NULL, NULL, 0, err);
		if (r < 0)
			cc_error_wrap(err, "%s: migrating the schema from version %lld", path,
			              (long long)v);
	}
	if (r == 0)
		r = run(db, path, "COMMIT", NULL, NULL, 0, err);
	if (r < 0 && !sqlite3_get_autocommit(db))
		run(db, path, "ROLLBACK", NULL, NULL, 0, NULL);
	return r;
}

/* Connection settings that hold whatever file this is. */
static void limit_connection(sqlite3 *db, int busy_timeout_ms)
{
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_timeout_ms);
	/* No writable_schema, no schema-stored SQL functions run with our
	 * privileges, no extensions, no ATTACH. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	/* A row is a key, a value and a little more. */
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH,
	              (int)(CC_KBS_MAX_VALUE_BYTES + CC_KBS_MAX_KEY_BYTES + 4096u));
}

/* WAL, and every commit fsync'd before it returns (docs/kbs-store.md,
 * "Durability"); freed pages zeroed so deleted secrets do not linger in the
 * file; a cell-size check on every page read. */
static int set_durability(sqlite3 *db, const char *path, cc_error **err)
{
	char mode[16];
	int r = run(db, path, "PRAGMA journal_mode = WAL", NULL, mode, sizeof(mode), err);
	if (r < 0)
		return r;
	if (strcmp(mode, "wal") != 0)
		return cc_error_set(err, -EIO, "%s: SQLite kept journal mode \"%s\" instead of WAL",
		                    path, mode);
	int64_t sync = -1;
	r = run(db, path, "PRAGMA synchronous = FULL", NULL, NULL, 0, err);
	if (r == 0)
		r = run(db, path, "PRAGMA synchronous", &sync, NULL, 0, err);
	if (r < 0)
		return r;
	if (sync != 2)
		return cc_error_set(err, -EIO, "%s: SQLite kept synchronous = %lld, not FULL", path,
		                    (long long)sync);
	r = run(db, path, "PRAGMA secure_delete = ON", NULL, NULL, 0, err);
	if (r == 0)
		r = run(db, path, "PRAGMA cell_size_check = ON", NULL, NULL, 0, err);
	return r;
}

int kbs_sqlite_setup(sqlite3 *db, const char *path, int busy_timeout_ms, cc_error **err)
{
	limit_connection(db, busy_timeout_ms);
	/* Reads only, until the file is known to be ours or empty. */
	struct identity id;
	int r = read_identity(db, path, &id, err);
	if (r == 0)
		r = judge_identity(path, &id, err);
	if (r == 0)
		r = set_durability(db, path, err);
	if (r == 0 && id.version < KBS_SQLITE_SCHEMA_VERSION)
		r = migrate(db, path, err);
	return r;
}
