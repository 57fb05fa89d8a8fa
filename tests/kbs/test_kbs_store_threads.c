/* The KBS store from several threads (store.h, "Threads"): writers sharing
 * one handle and writers with their own handles on the same file, readers
 * checking every value they see while the writes go on, create-only races
 * with exactly one winner per key, and simultaneous first opens of a new
 * file. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#define WRITERS 6
#define SHARED 3 /* writers 0..SHARED-1 share one handle */
#define KEYS_PER_WRITER 40
#define READERS 2
#define RACE_KEYS 20


static void key_of(char *k, size_t n, int w, int j)
{
	snprintf(k, n, "w%d/key/%03d", w, j);
}

/* The value writer w stores under its key j: long enough to span pages
 * now and then, distinct per key. */
static size_t value_of(uint8_t *v, size_t cap, int w, int j)
{
	size_t n = 100 + (size_t)((w * 977 + j * 131) % 6000);
	if (n > cap)
		n = cap;
	for (size_t i = 0; i < n; i++)
		v[i] = (uint8_t)(w * 31 + j * 7 + i);
	return n;
}

struct worker {
	kbs_store *s;
	int id, failures;
	const bool *done;
	long reads;
};

static void *writer(void *arg)
{
	struct worker *w = arg;
	uint8_t v[8192];
	for (int j = 0; j < KEYS_PER_WRITER; j++) {
		char k[64];
		key_of(k, sizeof(k), w->id, j);
		size_t n = value_of(v, sizeof(v), w->id, j);
		if (kbs_store_put(w->s, KBS_NS_REPOSITORY, k, strlen(k), v, n, 0, KBS_PUT_OVERWRITE,
		                  NULL) < 0)
			w->failures++;
	}
	return NULL;
}

/* Reads every key it lists and checks the bytes against value_of, until
 * the writers are done (bounded by a pass count as well). */
static void *reader(void *arg)
{
	struct worker *w = arg;
	uint8_t want[8192];
	for (int pass = 0; pass < 100000 && !__atomic_load_n(w->done, __ATOMIC_ACQUIRE); pass++) {
		kbs_keylist *l = NULL;
		if (kbs_store_list(w->s, KBS_NS_REPOSITORY, NULL, 0, 0, &l, NULL) < 0) {
			w->failures++;
			break;
		}
		for (size_t i = 0; i < kbs_keylist_count(l); i++) {
			size_t kn = 0;
			const char *k = (const char *)kbs_keylist_key(l, i, &kn);
			int wi = -1, j = -1;
			char *end = NULL;
			wi = (int)strtol(k + 1, &end, 10);
			j = (int)strtol(end + 5, NULL, 10);
			uint8_t *v = NULL;
			size_t n = 0;
			if (kbs_store_get(w->s, KBS_NS_REPOSITORY, k, kn, &v, &n, NULL, NULL) < 0) {
				w->failures++;
				continue;
			}
			size_t wn = value_of(want, sizeof(want), wi, j);
			if (n != wn || memcmp(v, want, n) != 0)
				w->failures++;
			w->reads++;
			kbs_store_value_free(v, n);
		}
		kbs_keylist_free(l);
	}
	return NULL;
}

static void test_writers_and_readers(void **state)
{
	struct kt_fx *f = *state;
	kbs_store *shared = kt_open(f->path);
	struct worker ws[WRITERS + READERS];
	pthread_t th[WRITERS + READERS];
	bool done = false;
	memset(ws, 0, sizeof(ws));
	for (int i = 0; i < WRITERS + READERS; i++) {
		ws[i].id = i;
		ws[i].done = &done;
		/* Readers have their own handles: WAL lets them read while the
		 * writers write. */
		ws[i].s = i < SHARED ? shared : kt_open(f->path);
	}
	for (int i = 0; i < WRITERS + READERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, i < WRITERS ? writer : reader, &ws[i]),
		                 0);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&done, true, __ATOMIC_RELEASE);
	for (int i = WRITERS; i < WRITERS + READERS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < WRITERS + READERS; i++) {
		assert_int_equal(ws[i].failures, 0);
		if (i >= SHARED)
			kbs_store_free(ws[i].s);
	}
	kbs_store_free(shared);

	/* A fresh handle sees every write, with its bytes. */
	kbs_store *s = kt_open(f->path);
	kbs_keylist *l = NULL;
	assert_int_equal(kbs_store_list(s, KBS_NS_REPOSITORY, NULL, 0, 0, &l, NULL), 0);
	assert_int_equal(kbs_keylist_count(l), WRITERS * KEYS_PER_WRITER);
	kbs_keylist_free(l);
	uint8_t v[8192];
	for (int w = 0; w < WRITERS; w++) {
		for (int j = 0; j < KEYS_PER_WRITER; j++) {
			char k[64];
			key_of(k, sizeof(k), w, j);
			size_t n = value_of(v, sizeof(v), w, j);
			kt_check_value(s, KBS_NS_REPOSITORY, k, strlen(k), v, n);
		}
	}
	assert_int_equal(kbs_store_check(s, NULL), 0);
	kbs_store_free(s);
}

struct racer {
	kbs_store *s;
	pthread_barrier_t *go;
	int id, won[RACE_KEYS], lost, other;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	for (int j = 0; j < RACE_KEYS; j++) {
		char k[32], v[32];
		snprintf(k, sizeof(k), "race/%d", j);
		int vn = snprintf(v, sizeof(v), "winner-%d", r->id);
		pthread_barrier_wait(r->go);
		int rc = kbs_store_put(r->s, KBS_NS_REPOSITORY, k, strlen(k), v, (size_t)vn, 0,
		                       KBS_PUT_CREATE, NULL);
		if (rc == 0)
			r->won[j] = 1;
		else if (rc == -EEXIST)
			r->lost++;
		else
			r->other++;
	}
	return NULL;
}

static void test_create_race(void **state)
{
	struct kt_fx *f = *state;
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, WRITERS);
	struct racer rs[WRITERS];
	pthread_t th[WRITERS];
	memset(rs, 0, sizeof(rs));
	for (int i = 0; i < WRITERS; i++) {
		rs[i].s = kt_open(f->path);
		rs[i].go = &go;
		rs[i].id = i;
	}
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race, &rs[i]), 0);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	for (int j = 0; j < RACE_KEYS; j++) {
		int winners = 0, who = -1;
		for (int i = 0; i < WRITERS; i++) {
			winners += rs[i].won[j];
			if (rs[i].won[j])
				who = i;
		}
		assert_int_equal(winners, 1);
		char k[32], v[32];
		snprintf(k, sizeof(k), "race/%d", j);
		int vn = snprintf(v, sizeof(v), "winner-%d", who);
		kt_check_value(rs[0].s, KBS_NS_REPOSITORY, k, strlen(k), v, (size_t)vn);
	}
	int lost = 0;
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(rs[i].other, 0);
		lost += rs[i].lost;
		kbs_store_free(rs[i].s);
	}
	assert_int_equal(lost, RACE_KEYS * (WRITERS - 1));
}

struct opener {
	const char *path;
	pthread_barrier_t *go;
	int id, rc;
	kbs_store *s;
};

static void *open_new(void *arg)
{
	struct opener *o = arg;
	pthread_barrier_wait(o->go);
	o->rc = kbs_store_sqlite_open(o->path, NULL, &o->s, NULL);
	if (o->rc == 0) {
		char k[16];
		snprintf(k, sizeof(k), "opener/%d", o->id);
		o->rc = kbs_store_put(o->s, KBS_NS_KBS, k, strlen(k), "x", 1, 0, KBS_PUT_CREATE,
		                      NULL);
	}
	return NULL;
}

static void test_first_opens_race(void **state)
{
	struct kt_fx *f = *state;
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, WRITERS);
	struct opener os[WRITERS];
	pthread_t th[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		os[i] = (struct opener){.path = f->path, .go = &go, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, open_new, &os[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(os[i].rc, 0);
		kbs_store_free(os[i].s);
	}
	kbs_store *s = kt_open(f->path);
	kbs_keylist *l = NULL;
	assert_int_equal(kbs_store_list(s, KBS_NS_KBS, NULL, 0, 0, &l, NULL), 0);
	assert_int_equal(kbs_keylist_count(l), WRITERS);
	kbs_keylist_free(l);
	assert_int_equal(kbs_store_check(s, NULL), 0);
	kbs_store_free(s);
	assert_int_equal(kt_mode(f->path), 0600);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, kt_fx_setup, kt_fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_writers_and_readers),
	    T(test_create_race),
	    T(test_first_opens_race),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
