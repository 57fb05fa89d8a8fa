/* kbs-session-tool: drives lib/kbsclient's shared session (kbs_session.h)
 * with the sample attester against a real KBS, for test_kbs_session.py.
 * Not installed.
 *
 *   kbs-session-tool URL PATH COUNT THREADS [MARGIN_S [SLEEP_S COUNT2]]
 *
 * COUNT fetches of PATH spread over THREADS threads started together,
 * then (when SLEEP_S is given) a sleep and COUNT2 more fetches. Prints
 * "rcars N" (RCARs the session started), "token OK" when a token came
 * back, and "resource HEX" of the last fetch; exits 1 on any failure,
 * printing the error. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jose_util.h"
#include "kbs_session.h"
#include "sample_attester.h"

struct job {
	kbs_session *s;
	const char *path;
	unsigned n;
	int failed;
	unsigned char last[64];
	size_t last_len;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	for (unsigned i = 0; i < j->n; i++) {
		unsigned char *p = NULL;
		size_t len = 0;
		cc_error *err = NULL;
		if (kbs_session_get_resource(j->s, j->path, &p, &len, &err) < 0) {
			fprintf(stderr, "kbs-session-tool: %s\n", cc_error_message(err));
			cc_error_free(err);
			j->failed = 1;
			return NULL;
		}
		j->last_len = len < sizeof(j->last) ? len : sizeof(j->last);
		memcpy(j->last, p, j->last_len);
		cj_free_secret(p, len);
	}
	return NULL;
}

static int round_of(kbs_session *s, const char *path, unsigned count, unsigned threads,
                    struct job *out)
{
	pthread_t tid[16];
	struct job jobs[16];
	if (threads == 0 || threads > 16)
		threads = 1;
	int failed = 0;
	for (unsigned t = 0; t < threads; t++) {
		jobs[t] = (struct job){.s = s, .path = path, .n = count / threads};
		if (t < count % threads)
			jobs[t].n++;
		pthread_create(&tid[t], NULL, worker, &jobs[t]);
	}
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		failed |= jobs[t].failed;
		if (jobs[t].last_len > 0)
			*out = jobs[t];
	}
	return failed;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: kbs-session-tool URL PATH COUNT THREADS [MARGIN_S [SLEEP_S COUNT2]]\n");
		return 2;
	}
	cc_error *err = NULL;
	attest_attester *a = NULL;
	kbs_session *s = NULL;
	if (sample_attester_new(&a, &err) < 0) {
		fprintf(stderr, "kbs-session-tool: %s\n", cc_error_message(err));
		return 1;
	}
	struct kbs_session_opts o = {
	    .url = argv[1],
	    .attester = a,
	    .margin_s = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 0,
	};
	if (kbs_session_new(&o, &s, &err) < 0) {
		fprintf(stderr, "kbs-session-tool: %s\n", cc_error_message(err));
		attest_attester_free(a);
		return 1;
	}
	struct job last = {0};
	int failed = round_of(s, argv[2], (unsigned)strtoul(argv[3], NULL, 10),
	                      (unsigned)strtoul(argv[4], NULL, 10), &last);
	if (!failed && argc > 7) {
		sleep((unsigned)strtoul(argv[6], NULL, 10));
		failed = round_of(s, argv[2], (unsigned)strtoul(argv[7], NULL, 10), 1, &last);
	}
	char *tok = NULL;
	if (!failed && kbs_session_token(s, &tok, &err) == 0) {
		printf("token OK\n");
		cj_free_secret(tok, strlen(tok));
	}
	printf("rcars %llu\n", (unsigned long long)kbs_session_rcars(s));
	printf("resource ");
	for (size_t i = 0; i < last.last_len; i++)
		printf("%02x", last.last[i]);
	printf("\n");
	cc_error_free(err);
	kbs_session_free(s);
	attest_attester_free(a);
	return failed;
}
