/* The durability test's writer and checker (test_store_durability.py).
 *
 *   store_writer write PATH START   runs the operation sequence from index
 *       START: for each i, put resource i, put the counter (value i), put
 *       session i (relaxed_sessions: synchronous=NORMAL, which must survive
 *       kill -9 as well), and when i % 4 == 3 delete resource i - 2; it
 *       prints "ack <op> <i>" after each operation returned 0, and runs
 *       until it is killed (or 100000 indices).
 *   store_writer check PATH   reopens the store, runs the integrity check
 *       and prints the state: "res <i> ok|bad" per resource, "ctr <value>",
 *       "ses <i> ok|bad" per session, "stray <ns> <key>" for anything else,
 *       then "integrity ok".
 *   store_writer bench PATH N   times N durable 1 KiB puts (overwrite, N
 *       keys), N session puts (relaxed_sessions), N gets and a list, and
 *       prints the rates (docs/kbs-store.md, "Figures").
 *
 * Resource i's value is `value_of(i)`: 1 to 40000 bytes from a generator
 * seeded by i, so a torn or misplaced value is seen byte for byte. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define PREFIX "dur/res/"
#define COUNTER "dur/counter"
#define SESSION "sess/"

static size_t value_of(uint64_t i, uint8_t *v, size_t cap)
{
	size_t n = 1 + (size_t)((i * 7919u) % 40000u);
	if (n > cap)
		n = cap;
	uint64_t x = i * 0x9e3779b97f4a7c15ull + 1;
	for (size_t k = 0; k < n; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[k] = (uint8_t)x;
	}
	return n;
}

static int die(const char *what, cc_error *err)
{
	fprintf(stderr, "store_writer: %s: %s\n", what, cc_error_message(err));
	cc_error_free(err);
	return 1;
}

static int put(kbs_store *s, const char *key, const void *v, size_t n, cc_error **err)
{
	return kbs_store_put(s, KBS_NS_REPOSITORY, key, strlen(key), v, n, 0, KBS_PUT_OVERWRITE,
	                     err);
}

static int run_write(kbs_store *s, uint64_t start)
{
	static uint8_t v[40000];
	cc_error *err = NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (uint64_t i = start; i < start + 100000; i++) {
		char key[64], num[32];
		snprintf(key, sizeof(key), PREFIX "%" PRIu64, i);
		if (put(s, key, v, value_of(i, v, sizeof(v)), &err) < 0)
			return die(key, err);
		printf("ack put %" PRIu64 "\n", i);
		int nn = snprintf(num, sizeof(num), "%" PRIu64, i);
		if (put(s, COUNTER, num, (size_t)nn, &err) < 0)
			return die(COUNTER, err);
		printf("ack ctr %" PRIu64 "\n", i);
		snprintf(key, sizeof(key), SESSION "%" PRIu64, i);
		nn = snprintf(num, sizeof(num), "s%" PRIu64, i);
		if (kbs_store_put(s, KBS_NS_SESSION, key, strlen(key), num, (size_t)nn,
		                  (kbs_time)time(NULL) + 86400, KBS_PUT_OVERWRITE, &err) < 0)
			return die(key, err);
		printf("ack ses %" PRIu64 "\n", i);
		if (i % 4 == 3 && i >= 2) {
			snprintf(key, sizeof(key), PREFIX "%" PRIu64, i - 2);
			if (kbs_store_delete(s, KBS_NS_REPOSITORY, key, strlen(key), NULL, &err) < 0)
				return die(key, err);
			printf("ack del %" PRIu64 "\n", i - 2);
		}
	}
	return 0;
}

/* Prints one session: "ses <i> ok|bad" (the value is "s<i>"). */
static int show_session(kbs_store *s, const uint8_t *k, size_t kn)
{
	cc_error *err = NULL;
	uint8_t *v = NULL;
	size_t n = 0;
	if (kbs_store_get(s, KBS_NS_SESSION, k, kn, &v, &n, NULL, &err) < 0)
		return die("session", err);
	size_t plen = strlen(SESSION);
	char *end = NULL;
	errno = 0;
	unsigned long long i = kn > plen && memcmp(k, SESSION, plen) == 0
	                           ? strtoull((const char *)k + plen, &end, 10)
	                           : 0;
	if (end == NULL || errno != 0 || *end != '\0') {
		printf("stray kbs_protocol_session %s\n", (const char *)k);
	} else {
		char want[32];
		int wn = snprintf(want, sizeof(want), "s%llu", i);
		printf("ses %llu %s\n", i,
		       n == (size_t)wn && memcmp(v, want, n) == 0 ? "ok" : "bad");
	}
	kbs_store_value_free(v, n);
	return 0;
}

/* Prints one entry of the repository namespace. */
static int show(kbs_store *s, const uint8_t *k, size_t kn)
{
	static uint8_t want[40000];
	cc_error *err = NULL;
	uint8_t *v = NULL;
	size_t n = 0;
	if (kbs_store_get(s, KBS_NS_REPOSITORY, k, kn, &v, &n, NULL, &err) < 0)
		return die((const char *)k, err);
	const char *key = (const char *)k;
	size_t plen = strlen(PREFIX);
	char *end = NULL;
	if (kn == strlen(COUNTER) && memcmp(k, COUNTER, kn) == 0) {
		printf("ctr %.*s\n", (int)n, (const char *)v);
	} else if (kn > plen && memcmp(k, PREFIX, plen) == 0) {
		errno = 0;
		unsigned long long i = strtoull(key + plen, &end, 10);
		if (errno != 0 || *end != '\0')
			printf("stray repository %s\n", key);
		else
			printf("res %llu %s\n", i,
			       n == value_of(i, want, sizeof(want)) && memcmp(v, want, n) == 0 ? "ok"
			                                                                        : "bad");
	} else {
		printf("stray repository %s\n", key);
	}
	kbs_store_value_free(v, n);
	return 0;
}

static int run_check(kbs_store *s)
{
	cc_error *err = NULL;
	if (kbs_store_check(s, &err) < 0)
		return die("integrity", err);
	for (int ns = 0; ns < KBS_NS_COUNT; ns++) {
		char after[1100] = "";
		size_t after_len = 0;
		/* Pages until the namespace is done; the loop is bounded by the
		 * number of keys the writer can have made. */
		for (int page = 0; page < 1000; page++) {
			kbs_keylist *l = NULL;
			if (kbs_store_list(s, (enum kbs_ns)ns, after, after_len, 0, &l, &err) < 0)
				return die("list", err);
			size_t cnt = kbs_keylist_count(l);
			for (size_t i = 0; i < cnt; i++) {
				size_t kn = 0;
				const uint8_t *k = kbs_keylist_key(l, i, &kn);
				int r = 0;
				if (ns == KBS_NS_REPOSITORY)
					r = show(s, k, kn);
				else if (ns == KBS_NS_SESSION)
					r = show_session(s, k, kn);
				else
					printf("stray %s %s\n", kbs_ns_name((enum kbs_ns)ns), k);
				if (r != 0) {
					kbs_keylist_free(l);
					return r;
				}
				if (i + 1 == cnt) {
					memcpy(after, k, kn);
					after_len = kn;
				}
			}
			bool more = kbs_keylist_more(l);
			kbs_keylist_free(l);
			if (!more)
				break;
		}
	}
	printf("integrity ok\n");
	return 0;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_bench(kbs_store *s, unsigned n)
{
	static uint8_t v[1024];
	cc_error *err = NULL;
	char key[64];
	double t0 = seconds();
	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "bench/res/%u", i);
		if (put(s, key, v, sizeof(v), &err) < 0)
			return die(key, err);
	}
	double t1 = seconds();
	kbs_time exp = (kbs_time)time(NULL) + 300;
	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%032x", i);
		if (kbs_store_put(s, KBS_NS_SESSION, key, strlen(key), v, 200, exp, KBS_PUT_CREATE,
		                  &err) < 0)
			return die("session", err);
	}
	double ts = seconds();
	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "bench/res/%u", i);
		uint8_t *got = NULL;
		size_t len = 0;
		if (kbs_store_get(s, KBS_NS_REPOSITORY, key, strlen(key), &got, &len, NULL, &err) < 0)
			return die(key, err);
		kbs_store_value_free(got, len);
	}
	double t2 = seconds();
	kbs_keylist *l = NULL;
	if (kbs_store_list(s, KBS_NS_REPOSITORY, NULL, 0, 0, &l, &err) < 0)
		return die("list", err);
	kbs_keylist_free(l);
	double t3 = seconds();
	printf("put (1 KiB, durable): %u in %.3f s = %.0f/s, %.1f us each\n", n, t1 - t0,
	       n / (t1 - t0), (t1 - t0) * 1e6 / n);
	printf("session put (200 B, relaxed): %u in %.3f s = %.0f/s, %.1f us each\n", n, ts - t1,
	       n / (ts - t1), (ts - t1) * 1e6 / n);
	printf("get (1 KiB): %u in %.3f s = %.0f/s, %.1f us each\n", n, t2 - ts, n / (t2 - ts),
	       (t2 - ts) * 1e6 / n);
	printf("list (first page): %.1f us\n", (t3 - t2) * 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	bool takes_n = argc > 1 && (strcmp(argv[1], "write") == 0 || strcmp(argv[1], "bench") == 0);
	if (argc < 3 || argc != (takes_n ? 4 : 3) ||
	    (!takes_n && strcmp(argv[1], "check") != 0)) {
		fprintf(stderr, "usage: store_writer write PATH START | check PATH | bench PATH N\n");
		return 2;
	}
	kbs_store *s = NULL;
	cc_error *err = NULL;
	struct kbs_store_sqlite_options o;
	kbs_store_sqlite_options_default(&o);
	o.relaxed_sessions = strcmp(argv[1], "check") != 0;
	if (kbs_store_sqlite_open(argv[2], &o, &s, &err) < 0)
		return die("open", err);
	int r;
	unsigned long long num = 0;
	if (takes_n) {
		char *end = NULL;
		errno = 0;
		num = strtoull(argv[3], &end, 10);
		if (errno != 0 || *end != '\0' || (strcmp(argv[1], "bench") == 0 &&
		                                   (num == 0 || num > 1000000))) {
			fprintf(stderr, "store_writer: bad number %s\n", argv[3]);
			kbs_store_free(s);
			return 2;
		}
	}
	if (strcmp(argv[1], "write") == 0)
		r = run_write(s, num);
	else if (strcmp(argv[1], "bench") == 0)
		r = run_bench(s, (unsigned)num);
	else
		r = run_check(s);
	kbs_store_free(s);
	return r;
}
