/* Helpers shared by the KBS store tests (helpers.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"

char *kt_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *t = kt_path(base != NULL && base[0] != '\0' ? base : "/tmp", "kbs-store-XXXXXX");
	assert_non_null(mkdtemp(t));
	return t;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

void kt_rmtree(const char *dir)
{
	if (dir != NULL)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *kt_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

kbs_store *kt_open(const char *path)
{
	kbs_store *s = NULL;
	cc_error *err = NULL;
	int r = kbs_store_sqlite_open(path, NULL, &s, &err);
	if (r < 0)
		fail_msg("opening %s: %d %s", path, r, cc_error_message(err));
	cc_error_free(err);
	return s;
}

kbs_time kt_clock_now(void *ctx)
{
	return ((struct kt_clock *)ctx)->now;
}

int kt_fx_setup(void **state)
{
	struct kt_fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->dir = kt_tmpdir();
	f->path = kt_path(f->dir, "kbs.sqlite");
	f->wal = kt_path(f->dir, "kbs.sqlite-wal");
	f->shm = kt_path(f->dir, "kbs.sqlite-shm");
	f->clock.now = 1700000000;
	*state = f;
	return 0;
}

int kt_fx_teardown(void **state)
{
	struct kt_fx *f = *state;
	kbs_store_free(f->s);
	kt_rmtree(f->dir);
	free(f->path);
	free(f->wal);
	free(f->shm);
	free(f->dir);
	free(f);
	return 0;
}

uint8_t *kt_read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *p = malloc(cap);
	assert_non_null(p);
	size_t got;
	while ((got = fread(p + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			p = realloc(p, cap);
			assert_non_null(p);
		}
	}
	fclose(f);
	*ret_len = n;
	return p;
}

void kt_write_file(const char *path, const void *p, size_t len, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

bool kt_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int kt_mode(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

long long kt_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	long long v = 0;
	bool first = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (first)
			v = sqlite3_column_int64(st, 0);
		first = false;
	}
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

void kt_put(kbs_store *s, enum kbs_ns ns, const char *key, const char *val)
{
	cc_error *err = NULL;
	int r = kbs_store_put(s, ns, key, strlen(key), val, strlen(val), 0, KBS_PUT_OVERWRITE, &err);
	if (r < 0)
		fail_msg("put %s: %d %s", key, r, cc_error_message(err));
}

void kt_bulk(const char *path, const char *ns, const char *prefix, unsigned from, unsigned to,
             long long expires)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO kv (ns, key, value, expires) "
	                                        "VALUES (?1, ?2, X'00', ?3)",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	for (unsigned i = from; i < to; i++) {
		char k[64];
		int n = snprintf(k, sizeof(k), "%s%06u", prefix, i);
		sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, k, n, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, expires);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

void kt_check_value(kbs_store *s, enum kbs_ns ns, const void *key, size_t key_len,
                    const void *want, size_t want_len)
{
	uint8_t *v = NULL;
	size_t n = 0;
	cc_error *err = NULL;
	int r = kbs_store_get(s, ns, key, key_len, &v, &n, NULL, &err);
	if (want == NULL) {
		assert_int_equal(r, -ENOENT);
		assert_null(v);
		assert_non_null(strstr(cc_error_message(err), "not found"));
	} else {
		if (r < 0)
			fail_msg("get: %d %s", r, cc_error_message(err));
		assert_int_equal(n, want_len);
		assert_memory_equal(v, want, want_len);
		assert_int_equal(v[n], 0);
	}
	kbs_store_value_free(v, n);
	cc_error_free(err);
}
