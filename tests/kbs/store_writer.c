/* The durability test's writer and checker (test_store_durability.py).
 *
 *   store_writer write PATH START   runs the operation sequence from index
 *       START: for each i, put resource i, put the counter (value i), and
 *       when i % 4 == 3 delete resource i - 2; it prints "ack <op> <i>"
 *       after each operation returned 0 (the write is durable), and runs
 *       until it is killed (or 100000 indices).
 *   store_writer check PATH   reopens the store, runs the integrity check
 *       and prints the state: "res <i> ok|bad" per resource, "ctr <value>",
 *       "stray <ns> <key>" for anything else, then "integrity ok".
 *
 * Resource i's value is `value_of(i)`: 1 to 40000 bytes from a generator
 * seeded by i, so a torn or misplaced value is seen byte for byte. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define PREFIX "dur/res/"
#define COUNTER "dur/counter"

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
		if (i % 4 == 3 && i >= 2) {
			snprintf(key, sizeof(key), PREFIX "%" PRIu64, i - 2);
			if (kbs_store_delete(s, KBS_NS_REPOSITORY, key, strlen(key), NULL, &err) < 0)
				return die(key, err);
			printf("ack del %" PRIu64 "\n", i - 2);
		}
	}
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
				if (ns != KBS_NS_REPOSITORY)
					printf("stray %s %s\n", kbs_ns_name((enum kbs_ns)ns), k);
				else if (show(s, k, kn) != 0)
					return 1;
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

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "write") == 0 && argc != 4) ||
	    (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "check") != 0)) {
		fprintf(stderr, "usage: store_writer write PATH START | check PATH\n");
		return 2;
	}
	kbs_store *s = NULL;
	cc_error *err = NULL;
	if (kbs_store_sqlite_open(argv[2], NULL, &s, &err) < 0)
		return die("open", err);
	int r;
	if (strcmp(argv[1], "write") == 0) {
		char *end = NULL;
		errno = 0;
		unsigned long long start = strtoull(argv[3], &end, 10);
		if (errno != 0 || *end != '\0') {
			fprintf(stderr, "store_writer: bad START %s\n", argv[3]);
			kbs_store_free(s);
			return 2;
		}
		r = run_write(s, start);
	} else {
		r = run_check(s);
	}
	kbs_store_free(s);
	return r;
}
