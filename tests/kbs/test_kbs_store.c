/* The KBS store's operations (lib/kbs/store.h) on the SQLite back end:
 * put (overwrite, create-only), get, delete, list with pages, expiry and
 * the sweep, every argument error, and the error contract (exact code, a
 * message naming the namespace and key, outputs untouched on failure). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <cocoon/limits.h>

#include "helpers.h"

/* The fixture with the store open on a clock the test moves. */
static int setup(void **state)
{
	kt_fx_setup(state);
	struct kt_fx *f = *state;
	f->s = kt_open(f->path);
	kbs_store_set_clock(f->s, kt_clock_now, &f->clock);
	return 0;
}

static void test_ns_names(void **state)
{
	(void)state;
	static const char *const want[] = {"repository", "kbs", "attestation_service_policy",
	                                   "reference_value", "kbs_protocol_session"};
	for (int i = 0; i < KBS_NS_COUNT; i++) {
		assert_string_equal(kbs_ns_name((enum kbs_ns)i), want[i]);
		enum kbs_ns ns = KBS_NS_COUNT;
		assert_int_equal(kbs_ns_from_name(want[i], &ns, NULL), 0);
		assert_int_equal(ns, i);
	}
	assert_null(kbs_ns_name(KBS_NS_COUNT));
	assert_null(kbs_ns_name((enum kbs_ns)-1));
	enum kbs_ns ns = KBS_NS_KBS;
	cc_error *err = NULL;
	assert_int_equal(kbs_ns_from_name("attestation_policy", &ns, &err), -EINVAL);
	assert_int_equal(ns, KBS_NS_KBS);
	assert_non_null(strstr(cc_error_message(err), "\"attestation_policy\""));
	cc_error_free(err);
	assert_int_equal(kbs_ns_from_name(NULL, &ns, NULL), -EINVAL);
}

static void test_put_get_bytes(void **state)
{
	struct kt_fx *f = *state;
	/* Keys and values are bytes: NULs inside, no terminator. */
	static const uint8_t key[] = {'a', 0, 'b', 0xff};
	static const uint8_t val[] = {0, 1, 2, 0, 0xfe};
	assert_int_equal(kbs_store_put(f->s, KBS_NS_REPOSITORY, key, sizeof(key), val,
	                               sizeof(val), 0, KBS_PUT_OVERWRITE, NULL),
	                 0);
	kt_check_value(f->s, KBS_NS_REPOSITORY, key, sizeof(key), val, sizeof(val));
	/* A prefix of the key is another key. */
	kt_check_value(f->s, KBS_NS_REPOSITORY, key, 3, NULL, 0);
	uint8_t *v = NULL;
	size_t n = 0;
	kbs_time exp = 42;
	assert_int_equal(kbs_store_get(f->s, KBS_NS_REPOSITORY, key, sizeof(key), &v, &n, &exp,
	                               NULL),
	                 0);
	assert_int_equal(exp, 0);
	kbs_store_value_free(v, n);
	assert_string_equal(kbs_store_backend(f->s), "sqlite");
	assert_int_equal(kbs_store_check(f->s, NULL), 0);
}

static void test_empty_value(void **state)
{
	struct kt_fx *f = *state;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_KBS, "p", 1, NULL, 0, 0, KBS_PUT_OVERWRITE,
	                               NULL),
	                 0);
	uint8_t *v = NULL;
	size_t n = 7;
	assert_int_equal(kbs_store_get(f->s, KBS_NS_KBS, "p", 1, &v, &n, NULL, NULL), 0);
	assert_non_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(v[0], 0);
	kbs_store_value_free(v, n);
	/* A NULL value with a length is refused. */
	cc_error *err = NULL;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_KBS, "p", 1, NULL, 3, 0, KBS_PUT_OVERWRITE,
	                               &err),
	                 -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "kbs \"p\": no value bytes"));
	cc_error_free(err);
}

static void test_overwrite_and_create(void **state)
{
	struct kt_fx *f = *state;
	kt_put(f->s, KBS_NS_REPOSITORY, "default/key/one", "v1");
	kt_put(f->s, KBS_NS_REPOSITORY, "default/key/one", "v2");
	kt_check_value(f->s, KBS_NS_REPOSITORY, "default/key/one", 15, "v2", 2);
	cc_error *err = NULL;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_REPOSITORY, "default/key/one", 15, "v3", 2, 0,
	                               KBS_PUT_CREATE, &err),
	                 -EEXIST);
	assert_string_equal(cc_error_message(err), "repository \"default/key/one\": already exists");
	cc_error_free(err);
	kt_check_value(f->s, KBS_NS_REPOSITORY, "default/key/one", 15, "v2", 2);
	/* Create-only on a free key creates it. */
	assert_int_equal(kbs_store_put(f->s, KBS_NS_REPOSITORY, "default/key/two", 15, "w", 1, 0,
	                               KBS_PUT_CREATE, NULL),
	                 0);
	kt_check_value(f->s, KBS_NS_REPOSITORY, "default/key/two", 15, "w", 1);
	/* An unknown mode. */
	err = NULL;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_REPOSITORY, "k", 1, "w", 1, 0,
	                               (enum kbs_put_mode)7, &err),
	                 -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "put mode 7 unknown"));
	cc_error_free(err);
	kt_check_value(f->s, KBS_NS_REPOSITORY, "k", 1, NULL, 0);
}

static void test_get_missing_keeps_outputs(void **state)
{
	struct kt_fx *f = *state;
	uint8_t sentinel = 0;
	uint8_t *v = &sentinel;
	size_t n = 1234;
	kbs_time exp = 99;
	cc_error *err = NULL;
	assert_int_equal(kbs_store_get(f->s, KBS_NS_REFERENCE_VALUE, "mr\"td", 5, &v, &n, &exp,
	                               &err),
	                 -ENOENT);
	assert_ptr_equal(v, &sentinel);
	assert_int_equal(n, 1234);
	assert_int_equal(exp, 99);
	assert_string_equal(cc_error_message(err), "reference_value \"mr\\x22td\": not found");
	assert_int_equal(cc_error_code(err), -ENOENT);
	/* The first error wins. */
	assert_int_equal(kbs_store_get(f->s, KBS_NS_KBS, "x", 1, &v, &n, NULL, &err), -ENOENT);
	assert_string_equal(cc_error_message(err), "reference_value \"mr\\x22td\": not found");
	cc_error_free(err);
	/* No error object: only the code. */
	assert_int_equal(kbs_store_get(f->s, KBS_NS_KBS, "x", 1, &v, &n, NULL, NULL), -ENOENT);
}

static void test_delete(void **state)
{
	struct kt_fx *f = *state;
	kt_put(f->s, KBS_NS_KBS, "resource-policy", "package policy");
	bool existed = false;
	assert_int_equal(kbs_store_delete(f->s, KBS_NS_KBS, "resource-policy", 15, &existed, NULL),
	                 0);
	assert_true(existed);
	kt_check_value(f->s, KBS_NS_KBS, "resource-policy", 15, NULL, 0);
	assert_int_equal(kbs_store_delete(f->s, KBS_NS_KBS, "resource-policy", 15, &existed, NULL),
	                 0);
	assert_false(existed);
	/* ret_existed may be NULL. */
	assert_int_equal(kbs_store_delete(f->s, KBS_NS_KBS, "other", 5, NULL, NULL), 0);
}

static void test_namespaces_apart(void **state)
{
	struct kt_fx *f = *state;
	for (int i = 0; i < KBS_NS_COUNT; i++) {
		char v[2] = {(char)('a' + i), 0};
		if (i == KBS_NS_SESSION)
			assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, "same", 4, v, 1,
			                               f->clock.now + 60, KBS_PUT_CREATE, NULL),
			                 0);
		else
			kt_put(f->s, (enum kbs_ns)i, "same", v);
	}
	for (int i = 0; i < KBS_NS_COUNT; i++) {
		char v[2] = {(char)('a' + i), 0};
		kt_check_value(f->s, (enum kbs_ns)i, "same", 4, v, 1);
	}
	assert_int_equal(kbs_store_delete(f->s, KBS_NS_KBS, "same", 4, NULL, NULL), 0);
	kt_check_value(f->s, KBS_NS_REPOSITORY, "same", 4, "a", 1);
}

/* Lists ns from `after` with `limit` and compares with the keys in want
 * (a NULL-terminated array) and the "more" flag. */
static void expect_list(kbs_store *s, enum kbs_ns ns, const char *after, size_t limit,
                        const char *const *want, bool more)
{
	kbs_keylist *l = NULL;
	cc_error *err = NULL;
	int r = kbs_store_list(s, ns, after, after != NULL ? strlen(after) : 0, limit, &l, &err);
	if (r < 0)
		fail_msg("list: %d %s", r, cc_error_message(err));
	size_t n = 0;
	for (; want[n] != NULL; n++) {
		size_t len = 0;
		const uint8_t *k = kbs_keylist_key(l, n, &len);
		assert_non_null(k);
		assert_int_equal(len, strlen(want[n]));
		assert_string_equal((const char *)k, want[n]);
	}
	assert_int_equal(kbs_keylist_count(l), n);
	assert_null(kbs_keylist_key(l, n, NULL));
	assert_int_equal(kbs_keylist_more(l), more);
	kbs_keylist_free(l);
}

static void test_list_pages(void **state)
{
	struct kt_fx *f = *state;
	static const char *const none[] = {NULL};
	expect_list(f->s, KBS_NS_REPOSITORY, NULL, 0, none, false);
	static const char *const keys[] = {"b/x/1", "a/x/2", "a/x/10", "c/y/z", "a/x/1"};
	for (size_t i = 0; i < 5; i++)
		kt_put(f->s, KBS_NS_REPOSITORY, keys[i], "v");
	kt_put(f->s, KBS_NS_KBS, "resource-policy", "p");
	static const char *const all[] = {"a/x/1", "a/x/10", "a/x/2", "b/x/1", "c/y/z", NULL};
	expect_list(f->s, KBS_NS_REPOSITORY, NULL, 0, all, false);
	expect_list(f->s, KBS_NS_REPOSITORY, NULL, 5, all, false);
	static const char *const p1[] = {"a/x/1", "a/x/10", NULL};
	static const char *const p2[] = {"a/x/2", "b/x/1", NULL};
	static const char *const p3[] = {"c/y/z", NULL};
	expect_list(f->s, KBS_NS_REPOSITORY, NULL, 2, p1, true);
	expect_list(f->s, KBS_NS_REPOSITORY, "a/x/10", 2, p2, true);
	expect_list(f->s, KBS_NS_REPOSITORY, "b/x/1", 2, p3, false);
	expect_list(f->s, KBS_NS_REPOSITORY, "c/y/z", 2, none, false);
	/* A cursor that is not a key: from the next one up. */
	static const char *const from_a[] = {"a/x/2", "b/x/1", "c/y/z", NULL};
	expect_list(f->s, KBS_NS_REPOSITORY, "a/x/100", 0, from_a, false);
	/* An empty cursor is the start. */
	expect_list(f->s, KBS_NS_REPOSITORY, "", 0, all, false);
	static const char *const pol[] = {"resource-policy", NULL};
	expect_list(f->s, KBS_NS_KBS, NULL, 0, pol, false);
}

static void test_list_errors(void **state)
{
	struct kt_fx *f = *state;
	kbs_keylist *l = (kbs_keylist *)f;
	cc_error *err = NULL;
	assert_int_equal(kbs_store_list(f->s, KBS_NS_KBS, NULL, 0, CC_KBS_MAX_LIST_KEYS + 1, &l,
	                                &err),
	                 -E2BIG);
	assert_ptr_equal(l, f);
	assert_non_null(strstr(cc_error_message(err), "CC_KBS_MAX_LIST_KEYS"));
	cc_error_free(err);
	err = NULL;
	assert_int_equal(kbs_store_list(f->s, KBS_NS_COUNT, NULL, 0, 0, &l, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "namespace 5 out of range"));
	cc_error_free(err);
	err = NULL;
	assert_int_equal(kbs_store_list(f->s, KBS_NS_KBS, "x", CC_KBS_MAX_KEY_BYTES + 1, 0, &l,
	                                &err),
	                 -E2BIG);
	assert_non_null(strstr(cc_error_message(err), "list cursor"));
	cc_error_free(err);
	assert_ptr_equal(l, f);
	assert_int_equal(kbs_keylist_count(NULL), 0);
	assert_false(kbs_keylist_more(NULL));
	assert_null(kbs_keylist_key(NULL, 0, NULL));
	kbs_keylist_free(NULL);
}

/* More keys than one page can hold: paging visits each once. */
static void test_list_many(void **state)
{
	struct kt_fx *f = *state;
	const size_t total = CC_KBS_MAX_LIST_KEYS + 300;
	kbs_store_free(f->s);
	kt_bulk(f->path, "repository", "r/t/", 0, (unsigned)total, 0);
	f->s = kt_open(f->path);

	char after[32] = "";
	size_t seen = 0, pages = 0;
	bool more = true;
	while (more && pages < 10) {
		kbs_keylist *l = NULL;
		assert_int_equal(kbs_store_list(f->s, KBS_NS_REPOSITORY, after, strlen(after), 0, &l,
		                                NULL),
		                 0);
		for (size_t i = 0; i < kbs_keylist_count(l); i++) {
			char want[32];
			snprintf(want, sizeof(want), "r/t/%06zu", seen++);
			assert_string_equal((const char *)kbs_keylist_key(l, i, NULL), want);
		}
		size_t n = kbs_keylist_count(l);
		assert_true(n > 0);
		snprintf(after, sizeof(after), "%s", (const char *)kbs_keylist_key(l, n - 1, NULL));
		more = kbs_keylist_more(l);
		kbs_keylist_free(l);
		pages++;
	}
	assert_int_equal(seen, total);
	assert_int_equal(pages, 2);
}

static void test_key_errors(void **state)
{
	struct kt_fx *f = *state;
	static char big[CC_KBS_MAX_KEY_BYTES + 1];
	memset(big, 'k', sizeof(big));
	uint8_t *v = NULL;
	size_t n = 0;
	bool existed = true;
	struct {
		const void *key;
		size_t len;
		int code;
		const char *msg;
	} cases[] = {
	    {NULL, 3, -EINVAL, "repository: empty key"},
	    {"x", 0, -EINVAL, "repository: empty key"},
	    {big, sizeof(big), -E2BIG, "repository: key of 1025 bytes is over CC_KBS_MAX_KEY_BYTES"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cc_error *e1 = NULL, *e2 = NULL, *e3 = NULL;
		assert_int_equal(kbs_store_put(f->s, KBS_NS_REPOSITORY, cases[i].key, cases[i].len,
		                               "v", 1, 0, KBS_PUT_OVERWRITE, &e1),
		                 cases[i].code);
		assert_int_equal(kbs_store_get(f->s, KBS_NS_REPOSITORY, cases[i].key, cases[i].len,
		                               &v, &n, NULL, &e2),
		                 cases[i].code);
		assert_int_equal(kbs_store_delete(f->s, KBS_NS_REPOSITORY, cases[i].key,
		                                  cases[i].len, &existed, &e3),
		                 cases[i].code);
		assert_non_null(strstr(cc_error_message(e1), cases[i].msg));
		assert_non_null(strstr(cc_error_message(e2), cases[i].msg));
		assert_non_null(strstr(cc_error_message(e3), cases[i].msg));
		cc_error_free(e1);
		cc_error_free(e2);
		cc_error_free(e3);
	}
	assert_null(v);
	assert_true(existed);
	/* The longest key is fine; a long key is cut in messages. */
	assert_int_equal(kbs_store_put(f->s, KBS_NS_REPOSITORY, big, CC_KBS_MAX_KEY_BYTES, "v", 1,
	                               0, KBS_PUT_CREATE, NULL),
	                 0);
	cc_error *err = NULL;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_REPOSITORY, big, CC_KBS_MAX_KEY_BYTES, "v", 1,
	                               0, KBS_PUT_CREATE, &err),
	                 -EEXIST);
	const char *m = cc_error_message(err);
	assert_true(strlen(m) < 200);
	assert_non_null(strstr(m, "kkkk...\": already exists"));
	cc_error_free(err);
	/* Namespace out of range, both ways. */
	for (int ns = -1; ns <= KBS_NS_COUNT; ns += KBS_NS_COUNT + 1) {
		err = NULL;
		assert_int_equal(kbs_store_put(f->s, (enum kbs_ns)ns, "k", 1, "v", 1, 0,
		                               KBS_PUT_OVERWRITE, &err),
		                 -EINVAL);
		assert_non_null(strstr(cc_error_message(err), "out of range"));
		cc_error_free(err);
		assert_int_equal(kbs_store_get(f->s, (enum kbs_ns)ns, "k", 1, &v, &n, NULL, NULL),
		                 -EINVAL);
		assert_int_equal(kbs_store_delete(f->s, (enum kbs_ns)ns, "k", 1, NULL, NULL),
		                 -EINVAL);
	}
}

static void test_value_limit(void **state)
{
	struct kt_fx *f = *state;
	/* Over the cap: refused before a byte is read. */
	static const char one = 'x';
	cc_error *err = NULL;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_REPOSITORY, "r/t/big", 7, &one,
	                               (size_t)CC_KBS_MAX_VALUE_BYTES + 1, 0, KBS_PUT_OVERWRITE,
	                               &err),
	                 -E2BIG);
	assert_non_null(strstr(cc_error_message(err), "repository \"r/t/big\": value of 16777217 "
	                                              "bytes is over CC_KBS_MAX_VALUE_BYTES"));
	cc_error_free(err);
	kt_check_value(f->s, KBS_NS_REPOSITORY, "r/t/big", 7, NULL, 0);
	/* At the cap: stored and read back whole. */
	size_t n = CC_KBS_MAX_VALUE_BYTES;
	uint8_t *big = malloc(n);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(kbs_store_put(f->s, KBS_NS_REPOSITORY, "r/t/big", 7, big, n, 0,
	                               KBS_PUT_OVERWRITE, NULL),
	                 0);
	kt_check_value(f->s, KBS_NS_REPOSITORY, "r/t/big", 7, big, n);
	free(big);
}

static void test_session_expiry(void **state)
{
	struct kt_fx *f = *state;
	const char *id = "0123456789abcdef0123456789abcdef";
	cc_error *err = NULL;
	/* Sessions must expire, and not in the past. */
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, id, 32, "{}", 2, 0, KBS_PUT_CREATE,
	                               &err),
	                 -EINVAL);
	/* The id is a bearer secret: messages give only its length. */
	assert_string_equal(cc_error_message(err), "kbs_protocol_session (session id, 32 bytes): a "
	                                           "session needs an expiry time");
	cc_error_free(err);
	err = NULL;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, id, 32, "{}", 2, f->clock.now,
	                               KBS_PUT_CREATE, &err),
	                 -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "is not in the future"));
	assert_null(strstr(cc_error_message(err), id));
	cc_error_free(err);

	kbs_time exp = f->clock.now + 300;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, id, 32, "authed", 6, exp,
	                               KBS_PUT_CREATE, NULL),
	                 0);
	f->clock.now += 299;
	uint8_t *v = NULL;
	size_t n = 0;
	kbs_time got = 0;
	assert_int_equal(kbs_store_get(f->s, KBS_NS_SESSION, id, 32, &v, &n, &got, NULL), 0);
	assert_int_equal(got, exp);
	kbs_store_value_free(v, n);
	/* Overwrite keeps working while it lives (attest: Authed -> Attested). */
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, id, 32, "attested", 8, exp,
	                               KBS_PUT_OVERWRITE, NULL),
	                 0);
	static const char *const live[] = {"0123456789abcdef0123456789abcdef", NULL};
	expect_list(f->s, KBS_NS_SESSION, NULL, 0, live, false);
	/* At the expiry it is gone: the get reports it missing and deletes it. */
	f->clock.now += 1;
	v = NULL;
	err = NULL;
	assert_int_equal(kbs_store_get(f->s, KBS_NS_SESSION, id, 32, &v, &n, &got, &err), -ENOENT);
	assert_null(v);
	assert_string_equal(cc_error_message(err),
	                    "kbs_protocol_session (session id, 32 bytes): not found (expired)");
	cc_error_free(err);
	assert_int_equal(kt_sql(f->path, "SELECT count(*) FROM kv"), 0);
}

static void test_expired_counts_as_absent(void **state)
{
	struct kt_fx *f = *state;
	kbs_time t0 = f->clock.now;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, "s1", 2, "a", 1, t0 + 10,
	                               KBS_PUT_CREATE, NULL),
	                 0);
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, "s2", 2, "b", 1, t0 + 10,
	                               KBS_PUT_CREATE, NULL),
	                 0);
	/* Other namespaces may expire too. */
	assert_int_equal(kbs_store_put(f->s, KBS_NS_REFERENCE_VALUE, "rv", 2, "c", 1, t0 + 10,
	                               KBS_PUT_CREATE, NULL),
	                 0);
	f->clock.now = t0 + 10;
	static const char *const none[] = {NULL};
	expect_list(f->s, KBS_NS_SESSION, NULL, 0, none, false);
	expect_list(f->s, KBS_NS_REFERENCE_VALUE, NULL, 0, none, false);
	/* Create-only replaces an expired entry. */
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, "s1", 2, "new", 3, t0 + 100,
	                               KBS_PUT_CREATE, NULL),
	                 0);
	kt_check_value(f->s, KBS_NS_SESSION, "s1", 2, "new", 3);
	/* Deleting an expired entry removes it but says it was not there. */
	bool existed = true;
	assert_int_equal(kbs_store_delete(f->s, KBS_NS_SESSION, "s2", 2, &existed, NULL), 0);
	assert_false(existed);
	assert_int_equal(kt_sql(f->path, "SELECT count(*) FROM kv WHERE key = CAST('s2' AS BLOB)"),
	                 0);
	/* The sweep takes what is left over (rv), not the live s1. */
	uint64_t removed = 9;
	assert_int_equal(kbs_store_sweep_expired(f->s, f->clock.now, &removed, NULL), 0);
	assert_int_equal(removed, 1);
	kt_check_value(f->s, KBS_NS_SESSION, "s1", 2, "new", 3);
	assert_int_equal(kbs_store_sweep_expired(f->s, f->clock.now, NULL, NULL), 0);
}

static void test_sweep_batches(void **state)
{
	struct kt_fx *f = *state;
	const unsigned expiring = CC_KBS_STORE_SWEEP_BATCH * 2 + 7;
	kbs_store_free(f->s);
	kt_bulk(f->path, "kbs_protocol_session", "s", 0, expiring, f->clock.now + 1);
	/* These live on. */
	kt_bulk(f->path, "kbs_protocol_session", "s", expiring, expiring + 5, f->clock.now + 1000);
	f->s = kt_open(f->path);
	kbs_store_set_clock(f->s, kt_clock_now, &f->clock);

	uint64_t removed = 0;
	assert_int_equal(kbs_store_sweep_expired(f->s, f->clock.now, &removed, NULL), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(kbs_store_sweep_expired(f->s, f->clock.now + 1, &removed, NULL), 0);
	assert_int_equal(removed, expiring);
	assert_int_equal(kt_sql(f->path, "SELECT count(*) FROM kv"), 5);
}

/* Reopens the fixture's store with the defaults (checked) changed to a
 * busy timeout and relaxed sessions, on the fixture's clock. */
static void reopen_with(struct kt_fx *f, int busy_timeout_ms, bool relaxed)
{
	kbs_store_free(f->s);
	f->s = NULL;
	struct kbs_store_sqlite_options o;
	kbs_store_sqlite_options_default(&o);
	assert_true(o.create);
	assert_int_equal(o.busy_timeout_ms, CC_KBS_STORE_BUSY_TIMEOUT_MS);
	assert_false(o.relaxed_sessions);
	o.busy_timeout_ms = busy_timeout_ms;
	o.relaxed_sessions = relaxed;
	assert_int_equal(kbs_store_sqlite_open(f->path, &o, &f->s, NULL), 0);
	kbs_store_set_clock(f->s, kt_clock_now, &f->clock);
}

static void test_busy(void **state)
{
	struct kt_fx *f = *state;
	reopen_with(f, 50, false);
	kt_put(f->s, KBS_NS_KBS, "k", "before");
	/* Another connection holds the write lock. */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	cc_error *err = NULL;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_KBS, "k", 1, "after", 5, 0, KBS_PUT_OVERWRITE,
	                               &err),
	                 -EBUSY);
	assert_non_null(strstr(cc_error_message(err), "kbs.sqlite: put kbs \"k\": database is locked"));
	cc_error_free(err);
	/* Readers are not blocked by a writer (WAL). */
	kt_check_value(f->s, KBS_NS_KBS, "k", 1, "before", 6);
	err = NULL;
	assert_int_equal(kbs_store_sweep_expired(f->s, f->clock.now, NULL, &err), -EBUSY);
	cc_error_free(err);
	assert_int_equal(kbs_store_delete(f->s, KBS_NS_KBS, "k", 1, NULL, NULL), -EBUSY);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	kt_put(f->s, KBS_NS_KBS, "k", "after");
	kt_check_value(f->s, KBS_NS_KBS, "k", 1, "after", 5);
}

static void test_relaxed_sessions(void **state)
{
	struct kt_fx *f = *state;
	reopen_with(f, CC_KBS_STORE_BUSY_TIMEOUT_MS, true);
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, "s", 1, "authed", 6,
	                               f->clock.now + 300, KBS_PUT_CREATE, NULL),
	                 0);
	/* A refused create-only put leaves the handle as it was. */
	cc_error *err = NULL;
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, "s", 1, "x", 1, f->clock.now + 300,
	                               KBS_PUT_CREATE, &err),
	                 -EEXIST);
	cc_error_free(err);
	kt_put(f->s, KBS_NS_REPOSITORY, "a/b/c", "full");
	kt_check_value(f->s, KBS_NS_SESSION, "s", 1, "authed", 6);
	kbs_store_free(f->s);
	f->s = kt_open(f->path);
	kbs_store_set_clock(f->s, kt_clock_now, &f->clock);
	kt_check_value(f->s, KBS_NS_SESSION, "s", 1, "authed", 6);
	kt_check_value(f->s, KBS_NS_REPOSITORY, "a/b/c", 5, "full", 4);
}

static void test_reopen_keeps_data(void **state)
{
	struct kt_fx *f = *state;
	kt_put(f->s, KBS_NS_ATTESTATION_POLICY, "default_cpu", "package policy");
	kbs_store_free(f->s);
	f->s = kt_open(f->path);
	kt_check_value(f->s, KBS_NS_ATTESTATION_POLICY, "default_cpu", 11, "package policy", 14);
	kbs_store_free(NULL);
	kbs_store_value_free(NULL, 3);
	assert_string_equal(kbs_store_backend(NULL), "");
}

static void test_default_clock(void **state)
{
	struct kt_fx *f = *state;
	/* Back to the system clock: an expiry an hour from now is live, one
	 * in 2023 is in the past. */
	kbs_store_set_clock(f->s, NULL, NULL);
	kbs_time now = (kbs_time)time(NULL);
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, "s", 1, "v", 1, now + 3600,
	                               KBS_PUT_CREATE, NULL),
	                 0);
	kt_check_value(f->s, KBS_NS_SESSION, "s", 1, "v", 1);
	assert_int_equal(kbs_store_put(f->s, KBS_NS_SESSION, "t", 1, "v", 1, 1700000000,
	                               KBS_PUT_CREATE, NULL),
	                 -EINVAL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, kt_fx_teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ns_names),
	    T(test_put_get_bytes),
	    T(test_empty_value),
	    T(test_overwrite_and_create),
	    T(test_get_missing_keeps_outputs),
	    T(test_delete),
	    T(test_namespaces_apart),
	    T(test_list_pages),
	    T(test_list_errors),
	    T(test_list_many),
	    T(test_key_errors),
	    T(test_value_limit),
	    T(test_session_expiry),
	    T(test_expired_counts_as_absent),
	    T(test_sweep_batches),
	    T(test_busy),
	    T(test_relaxed_sessions),
	    T(test_reopen_keeps_data),
	    T(test_default_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
