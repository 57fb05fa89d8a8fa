/* The SQLite store's file (docs/kbs-store.md, "Files and modes"): created
 * 0600 whatever the umask, with -wal and -shm 0600 too; refused with a
 * clear error, and left exactly as it was, when it is world- or
 * group-accessible, a symlink, not a regular file, another user's, not an
 * SQLite database, an SQLite database of something else, or a store with a
 * newer schema. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"


/* Opening `path` fails with code and a message containing want; the file
 * (if it exists) keeps its bytes and mode and no side file appears. */
static void expect_refused(struct kt_fx *f, const char *path, int code, const char *want)
{
	size_t before_len = 0, after_len = 0;
	uint8_t *before = kt_read_file(path, &before_len);
	int mode = kt_mode(path);
	bool had_wal = kt_exists(f->wal), had_shm = kt_exists(f->shm);
	kbs_store *s = NULL;
	cc_error *err = NULL;
	int r = kbs_store_sqlite_open(path, NULL, &s, &err);
	if (r != code || strstr(cc_error_message(err), want) == NULL)
		fail_msg("open %s: got %d \"%s\", want %d \"%s\"", path, r, cc_error_message(err),
		         code, want);
	assert_null(s);
	assert_int_equal(cc_error_code(err), code);
	cc_error_free(err);
	uint8_t *after = kt_read_file(path, &after_len);
	assert_int_equal(before_len, after_len);
	if (before != NULL)
		assert_memory_equal(before, after, before_len);
	assert_int_equal(kt_mode(path), mode);
	assert_int_equal(kt_exists(f->wal), had_wal);
	assert_int_equal(kt_exists(f->shm), had_shm);
	free(before);
	free(after);
}

static void test_created_0600_any_umask(void **state)
{
	struct kt_fx *f = *state;
	static const mode_t masks[] = {0, 022, 077, 0277};
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		mode_t old = umask(masks[i]);
		kbs_store *s = kt_open(f->path);
		umask(old);
		assert_int_equal(kt_mode(f->path), 0600);
		/* Open in WAL mode: SQLite made -wal and -shm with the file's mode. */
		assert_int_equal(kt_mode(f->wal), 0600);
		assert_int_equal(kt_mode(f->shm), 0600);
		kt_put(s, KBS_NS_REPOSITORY, "a/b/c", "secret");
		kbs_store_free(s);
		/* The last connection checkpoints and removes -wal and -shm. */
		assert_false(kt_exists(f->wal));
		assert_false(kt_exists(f->shm));
		assert_int_equal(kt_sql(f->path, "PRAGMA user_version"), 1);
		assert_int_equal(kt_sql(f->path, "PRAGMA application_id"), 0x434b4253);
		assert_int_equal(unlink(f->path), 0);
	}
}

static void test_schema_and_settings(void **state)
{
	struct kt_fx *f = *state;
	kbs_store *s = kt_open(f->path);
	/* WAL is recorded in the file's header. */
	assert_int_equal(kt_sql(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	assert_int_equal(kt_sql(f->path, "SELECT count(*) FROM sqlite_schema WHERE name = 'kv'"), 1);
	assert_int_equal(kbs_store_check(s, NULL), 0);
	kbs_store_free(s);
	/* Reopening a current store changes nothing. */
	size_t n1 = 0, n2 = 0;
	uint8_t *b1 = kt_read_file(f->path, &n1);
	s = kt_open(f->path);
	kbs_store_free(s);
	uint8_t *b2 = kt_read_file(f->path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	free(b1);
	free(b2);
}

static void test_no_create(void **state)
{
	struct kt_fx *f = *state;
	struct kbs_store_sqlite_options o;
	kbs_store_sqlite_options_default(&o);
	o.create = false;
	kbs_store *s = NULL;
	cc_error *err = NULL;
	assert_int_equal(kbs_store_sqlite_open(f->path, &o, &s, &err), -ENOENT);
	assert_non_null(strstr(cc_error_message(err), "kbs.sqlite: no such store"));
	cc_error_free(err);
	assert_false(kt_exists(f->path));
	/* A missing directory. */
	char *deep = kt_path(f->dir, "missing/kbs.sqlite");
	err = NULL;
	assert_int_equal(kbs_store_sqlite_open(deep, NULL, &s, &err), -ENOENT);
	assert_non_null(strstr(cc_error_message(err), "missing/kbs.sqlite: creating the store"));
	cc_error_free(err);
	free(deep);
	/* Bad arguments. */
	err = NULL;
	assert_int_equal(kbs_store_sqlite_open("", NULL, &s, &err), -EINVAL);
	assert_string_equal(cc_error_message(err), "empty store path");
	cc_error_free(err);
	assert_int_equal(kbs_store_sqlite_open(NULL, NULL, &s, NULL), -EINVAL);
	o.create = true;
	o.busy_timeout_ms = -1;
	err = NULL;
	assert_int_equal(kbs_store_sqlite_open(f->path, &o, &s, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "busy timeout -1 ms"));
	cc_error_free(err);
	assert_null(s);
	assert_false(kt_exists(f->path));
}

static void test_refuse_modes(void **state)
{
	struct kt_fx *f = *state;
	kbs_store *s = kt_open(f->path);
	kt_put(s, KBS_NS_REPOSITORY, "a/b/c", "secret");
	kbs_store_free(s);
	static const unsigned bad[] = {0644, 0640, 0604, 0660, 0666, 0601};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(f->path, bad[i]), 0);
		char want[64];
		snprintf(want, sizeof(want), "mode %04o lets group or others access it", bad[i]);
		expect_refused(f, f->path, -EACCES, want);
	}
	assert_int_equal(chmod(f->path, 0600), 0);
	/* Stricter than 0600 is fine for the check (the owner is root in CI,
	 * who reads anyway; as another user 0400 fails in SQLite). */
	if (geteuid() == 0) {
		assert_int_equal(chmod(f->path, 0400), 0);
		s = kt_open(f->path);
		kbs_store_free(s);
		assert_int_equal(chmod(f->path, 0600), 0);
	}
	/* A side file that others may read is refused too. */
	kt_write_file(f->wal, "", 0, 0644);
	expect_refused(f, f->path, -EACCES, "kbs.sqlite-wal: mode 0644");
	assert_int_equal(unlink(f->wal), 0);
	char *journal = kt_path(f->dir, "kbs.sqlite-journal");
	kt_write_file(journal, "", 0, 0604);
	expect_refused(f, f->path, -EACCES, "kbs.sqlite-journal: mode 0604");
	assert_int_equal(unlink(journal), 0);
	free(journal);
	s = kt_open(f->path);
	kt_check_value(s, KBS_NS_REPOSITORY, "a/b/c", 5, "secret", 6);
	kbs_store_free(s);
}

static void test_refuse_other_owner(void **state)
{
	struct kt_fx *f = *state;
	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	kbs_store *s = kt_open(f->path);
	kbs_store_free(s);
	assert_int_equal(chown(f->path, 65534, 65534), 0);
	expect_refused(f, f->path, -EACCES, "owned by uid 65534, not by this process's uid 0");
	assert_int_equal(chown(f->path, 0, 0), 0);
	kt_write_file(f->shm, "", 0, 0600);
	assert_int_equal(chown(f->shm, 65534, 0), 0);
	expect_refused(f, f->path, -EACCES, "kbs.sqlite-shm: owned by uid 65534");
}

static void test_refuse_symlink_and_dir(void **state)
{
	struct kt_fx *f = *state;
	char *real = kt_path(f->dir, "real.sqlite");
	kbs_store *s = kt_open(real);
	kbs_store_free(s);
	assert_int_equal(symlink(real, f->path), 0);
	expect_refused(f, f->path, -EINVAL, "kbs.sqlite: is a symbolic link");
	/* A dangling one is not followed to create a file elsewhere. */
	assert_int_equal(unlink(f->path), 0);
	char *elsewhere = kt_path(f->dir, "elsewhere.sqlite");
	assert_int_equal(symlink(elsewhere, f->path), 0);
	expect_refused(f, f->path, -EINVAL, "is a symbolic link");
	assert_false(kt_exists(elsewhere));
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	expect_refused(f, f->path, -EINVAL, "kbs.sqlite: is not a regular file");
	free(real);
	free(elsewhere);
}

static void test_refuse_foreign_file(void **state)
{
	struct kt_fx *f = *state;
	/* Text, a short file, a file that looks like a header. */
	static const char text[] = "[http_server]\nsockets = [\"127.0.0.1:8080\"]\n";
	kt_write_file(f->path, text, sizeof(text) - 1, 0600);
	expect_refused(f, f->path, -EINVAL, "is not an SQLite database; refusing to use or "
	                                    "overwrite it");
	uint8_t big[8192];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	kt_write_file(f->path, big, sizeof(big), 0600);
	expect_refused(f, f->path, -EINVAL, "is not an SQLite database");
	kt_write_file(f->path, "SQLite format 2", 15, 0600);
	expect_refused(f, f->path, -EINVAL, "is not an SQLite database");
	/* An empty file is an empty database: it becomes a store. */
	kt_write_file(f->path, "", 0, 0600);
	kbs_store *s = kt_open(f->path);
	kbs_store_free(s);
	assert_int_equal(kt_sql(f->path, "PRAGMA user_version"), 1);
}

static void test_refuse_foreign_database(void **state)
{
	struct kt_fx *f = *state;
	/* Some other program's database, with and without an application id. */
	kt_write_file(f->path, "", 0, 0600);
	kt_sql(f->path, "CREATE TABLE notes (body TEXT)");
	kt_sql(f->path, "INSERT INTO notes VALUES ('keep me')");
	expect_refused(f, f->path, -EINVAL,
	               "an SQLite database that is not a cocoon KBS store (application_id 0, "
	               "user_version 0, 1 schema objects); refusing to use or change it");
	kt_sql(f->path, "PRAGMA application_id = 1234");
	expect_refused(f, f->path, -EINVAL, "(application_id 0x4d2, user_version 0");
	/* Our application id with a version of 0 is not a store either. */
	assert_int_equal(unlink(f->path), 0);
	kt_write_file(f->path, "", 0, 0600);
	kt_sql(f->path, "PRAGMA application_id = 1128026707");
	expect_refused(f, f->path, -EINVAL, "user_version 0, 0 schema objects");
	/* A user_version alone (someone else's schema counter). */
	assert_int_equal(unlink(f->path), 0);
	kt_write_file(f->path, "", 0, 0600);
	kt_sql(f->path, "PRAGMA user_version = 1");
	expect_refused(f, f->path, -EINVAL, "(application_id 0, user_version 1");
}

static void test_refuse_newer_schema(void **state)
{
	struct kt_fx *f = *state;
	kbs_store *s = kt_open(f->path);
	kt_put(s, KBS_NS_KBS, "resource-policy", "package policy");
	kbs_store_free(s);
	kt_sql(f->path, "PRAGMA user_version = 2");
	expect_refused(f, f->path, -ENOTSUP,
	               "kbs.sqlite: store schema version 2 is newer than this program's (1); "
	               "refusing to use it (run a newer cocoon-kbs)");
	kt_sql(f->path, "PRAGMA user_version = 1");
	s = kt_open(f->path);
	kt_check_value(s, KBS_NS_KBS, "resource-policy", 15, "package policy", 14);
	kbs_store_free(s);
}

static void test_corrupt_page(void **state)
{
	struct kt_fx *f = *state;
	kbs_store *s = kt_open(f->path);
	for (int i = 0; i < 40; i++) {
		char k[16];
		snprintf(k, sizeof(k), "r/t/%d", i);
		kt_put(s, KBS_NS_REPOSITORY, k, "0123456789012345678901234567890123456789");
	}
	kbs_store_free(s);
	/* Scribble over the middle of page 2 (the table's root). */
	size_t n = 0;
	uint8_t *b = kt_read_file(f->path, &n);
	assert_true(n >= 3 * 4096);
	memset(b + 4096 + 8, 0xa5, 2000);
	kt_write_file(f->path, b, n, 0600);
	free(b);
	/* The header and the schema page are intact, so it opens; the check
	 * and a read of the damaged table report it. */
	s = kt_open(f->path);
	cc_error *err = NULL;
	assert_int_equal(kbs_store_check(s, &err), -EIO);
	assert_non_null(strstr(cc_error_message(err), "kbs.sqlite: integrity check found"));
	cc_error_free(err);
	err = NULL;
	uint8_t *v = NULL;
	size_t vn = 0;
	assert_int_equal(kbs_store_get(s, KBS_NS_REPOSITORY, "r/t/5", 5, &v, &vn, NULL, &err),
	                 -EIO);
	assert_null(v);
	assert_non_null(strstr(cc_error_message(err), "get repository \"r/t/5\": database disk "
	                                              "image is malformed"));
	kbs_store_free(s);
	cc_error_free(err);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, kt_fx_setup, kt_fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_created_0600_any_umask),
	    T(test_schema_and_settings),
	    T(test_no_create),
	    T(test_refuse_modes),
	    T(test_refuse_other_owner),
	    T(test_refuse_symlink_and_dir),
	    T(test_refuse_foreign_file),
	    T(test_refuse_foreign_database),
	    T(test_refuse_newer_schema),
	    T(test_corrupt_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
