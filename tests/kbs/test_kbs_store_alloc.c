/* Fails every allocation in turn (STYLE.md "Tests") through the KBS store:
 * opening (creating the file and its schema, or an existing store), put,
 * get, list, delete, put of a session and a sweep, the integrity check.
 * Two allocators can fail: ours (tests/common/alloc_fail.h; glibc's own
 * strdup and vasprintf cannot) and SQLite's (sqlite3_config(SQLITE_CONFIG_MALLOC) with
 * a wrapper around its default one). Each run must succeed or fail with
 * -ENOMEM, and after every failure the store must open normally and pass
 * its integrity check; the ASan build's LeakSanitizer checks nothing
 * leaks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "alloc_fail.h"
#include "helpers.h"

static sqlite3_mem_methods sqlite_mem;

static void *sq_malloc(int n)
{
	return alloc_fail_now() ? NULL : sqlite_mem.xMalloc(n);
}

static void *sq_realloc(void *p, int n)
{
	return alloc_fail_now() ? NULL : sqlite_mem.xRealloc(p, n);
}

static void hook_sqlite_allocator(void)
{
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem), SQLITE_OK);
	sqlite3_mem_methods m = sqlite_mem;
	m.xMalloc = sq_malloc;
	m.xRealloc = sq_realloc;
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
	/* No lookaside: every allocation goes through the hook. */
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0), SQLITE_OK);
}

/* Every operation once, stopping at the first failure. Whatever failed,
 * the store is usable and sound afterwards. */
static int scenario(const char *path)
{
	kbs_store *s = NULL;
	cc_error *err = NULL;
	uint8_t val[3000];
	memset(val, 0x5a, sizeof(val));
	int r = kbs_store_sqlite_open(path, NULL, &s, &err);
	if (r == 0)
		r = kbs_store_put(s, KBS_NS_REPOSITORY, "a/b/c", 5, val, sizeof(val), 0,
		                  KBS_PUT_OVERWRITE, &err);
	if (r == 0)
		r = kbs_store_put(s, KBS_NS_REPOSITORY, "a/b/d", 5, "x", 1, 0, KBS_PUT_OVERWRITE,
		                  &err);
	uint8_t *v = NULL;
	size_t n = 0;
	if (r == 0)
		r = kbs_store_get(s, KBS_NS_REPOSITORY, "a/b/c", 5, &v, &n, NULL, &err);
	kbs_store_value_free(v, n);
	kbs_keylist *l = NULL;
	if (r == 0)
		r = kbs_store_list(s, KBS_NS_REPOSITORY, NULL, 0, 0, &l, &err);
	kbs_keylist_free(l);
	if (r == 0)
		r = kbs_store_delete(s, KBS_NS_REPOSITORY, "a/b/d", 5, NULL, &err);
	kbs_time now = (kbs_time)time(NULL);
	if (r == 0)
		r = kbs_store_put(s, KBS_NS_SESSION, "sess", 4, "{}", 2, now + 10, KBS_PUT_OVERWRITE,
		                  &err);
	if (r == 0)
		r = kbs_store_sweep_expired(s, now + 20, NULL, &err);
	if (r == 0)
		r = kbs_store_check(s, &err);
	if (r < 0 && r != -ENOMEM)
		print_message("error %d: %s\n", r, cc_error_message(err));
	cc_error_free(err);
	kbs_store_free(s);
	if (alloc_fail_fired()) { /* nothing else fails now */
		s = kt_open(path);
		assert_int_equal(kbs_store_check(s, NULL), 0);
		kbs_store_free(s);
	}
	return r;
}

/* One run of the scenario on the store as the last run left it. */
static int op_kept(void *path)
{
	return scenario(path);
}

/* One run of the scenario on a new store: the file's creation and schema
 * are under test too. */
static int op_fresh(void *path)
{
	unlink(path);
	return scenario(path);
}

/* Runs the scenario with allocation 1, 2, ... failing until it runs with
 * no failure injected; `fresh` removes the store before each run. */
static void each_failure(const char *dir, bool fresh)
{
	char *path = kt_path(dir, fresh ? "fresh.sqlite" : "kept.sqlite");
	if (!fresh)
		kbs_store_free(kt_open(path));
	alloc_fail_each(fresh ? "new store" : "existing store", fresh ? op_fresh : op_kept, path,
	                ALLOC_FAIL_SUCCESS);
	free(path);
}

static void test_alloc_new_store(void **state)
{
	struct kt_fx *f = *state;
	each_failure(f->dir, true);
}

static void test_alloc_existing_store(void **state)
{
	struct kt_fx *f = *state;
	each_failure(f->dir, false);
}

int main(void)
{
	/* tmpfs when there is one: thousands of runs, each with fsyncs. */
	if (access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	hook_sqlite_allocator();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_alloc_new_store, kt_fx_setup, kt_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_existing_store, kt_fx_setup,
	                                    kt_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
