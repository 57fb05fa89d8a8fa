/* Rego engine benchmarks (docs/benchmarks.md).
 *
 *   bench-rego kata SCENARIO_DIR...
 *       For each recorded Kata scenario: policy load time (parse + compile),
 *       then every recorded request replayed (input set + evaluation of
 *       data.agent_policy.<Request>, Kata agent settings) several times.
 *   bench-rego rbac POLICY.rego DATA.json INPUT.json [N]
 *       A warm engine evaluates data.app.rbac.allow N times with the same
 *       input (as regorus' "cloned engine" bench), then N times parsing the
 *       input each time.
 *
 * Prints one line per measurement and the peak RSS. Wall-clock times are
 * medians of repeated runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cocoon/rego.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n ? v[n / 2] : 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 1 << 16, n = 0, k;
	char *buf = malloc(cap + 1);
	while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

static void die(const char *what, cc_error *err)
{
	char *m = cc_error_format(err);
	fprintf(stderr, "bench-rego: %s: %s\n", what, m ? m : "error");
	exit(1);
}

struct req {
	char query[128];
	const char *json;
	size_t len;
};

/* Splits inputs.txt lines `["ep":"Name",{...}],` in place. */
static size_t parse_requests(char *inputs, struct req *reqs, size_t max)
{
	size_t n = 0;
	for (char *line = inputs, *next; line && *line && n < max; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *ep = strstr(line, "\"ep\":\"");
		char *obj = ep ? strchr(ep + 6, '{') : NULL;
		char *last = strrchr(line, '}');
		if (!ep || !obj || !last)
			continue;
		char *q = strchr(ep + 6, '"');
		if (q == NULL)
			continue;
		snprintf(reqs[n].query, sizeof(reqs[n].query), "data.agent_policy.%.*s", (int)(q - ep - 6), ep + 6);
		reqs[n].json = obj;
		reqs[n].len = (size_t)(last - obj) + 1;
		n++;
	}
	return n;
}

static rego_engine *kata_engine(const char *path, const char *pol, size_t plen)
{
	struct rego_options o;
	rego_options_default(&o);
	o.v0 = true;
	o.early_exit = REGO_EARLY_EXIT_BODY;
	rego_engine *e = rego_engine_new(&o);
	cc_error *err = NULL;
	if (e == NULL || rego_engine_add_policy(e, path, pol, plen, &err) < 0 ||
	    rego_engine_set_data_json(e, "{\"pstate\": {}}", 14, &err) < 0 || rego_engine_compile(e, &err) < 0)
		die(path, err);
	return e;
}

#define MAX_REQS 4096
#define LOAD_RUNS 21
#define REPLAY_RUNS 7

static int bench_kata(int argc, char **argv)
{
	double total_us = 0;
	size_t total_reqs = 0;
	printf("%-28s %8s %9s %12s %12s\n", "scenario", "requests", "load_ms", "us/request", "evals/s");
	for (int i = 0; i < argc; i++) {
		char path[4096], ipath[4096];
		snprintf(path, sizeof(path), "%s/policy.rego", argv[i]);
		snprintf(ipath, sizeof(ipath), "%s/inputs.txt", argv[i]);
		size_t plen, ilen;
		char *pol = slurp(path, &plen), *inputs = slurp(ipath, &ilen);
		struct req *reqs = calloc(MAX_REQS, sizeof(*reqs));
		if (!pol || !inputs || !reqs) {
			fprintf(stderr, "bench-rego: cannot read %s\n", argv[i]);
			return 1;
		}
		size_t n = parse_requests(inputs, reqs, MAX_REQS);
		double load[LOAD_RUNS];
		for (int r = 0; r < LOAD_RUNS; r++) {
			double t0 = now_us();
			rego_engine *e = kata_engine(path, pol, plen);
			load[r] = now_us() - t0;
			rego_engine_free(e);
		}
		rego_engine *e = kata_engine(path, pol, plen);
		double per[REPLAY_RUNS];
		for (int r = 0; r < REPLAY_RUNS; r++) {
			double t0 = now_us();
			for (size_t k = 0; k < n; k++) {
				cc_error *err = NULL;
				const rego_result *res;
				if (rego_engine_set_input_json(e, reqs[k].json, reqs[k].len, &err) < 0 ||
				    rego_engine_eval(e, reqs[k].query, &res, &err) < 0)
					die(reqs[k].query, err);
			}
			per[r] = (now_us() - t0) / (double)(n ? n : 1);
		}
		double us = median(per, REPLAY_RUNS);
		const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		printf("%-28s %8zu %9.3f %12.1f %12.0f\n", name, n, median(load, LOAD_RUNS) / 1000.0, us,
		       us > 0 ? 1e6 / us : 0);
		total_us += us * (double)n;
		total_reqs += n;
		rego_engine_free(e);
		free(reqs);
		free(pol);
		free(inputs);
	}
	if (total_reqs)
		printf("%-28s %8zu %9s %12.1f %12.0f\n", "all", total_reqs, "", total_us / (double)total_reqs,
		       1e6 * (double)total_reqs / total_us);
	return 0;
}

static int bench_rbac(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-rego rbac POLICY.rego DATA.json INPUT.json [N]\n");
		return 2;
	}
	long n = argc > 3 ? strtol(argv[3], NULL, 10) : 200000;
	size_t plen, dlen, ilen;
	char *pol = slurp(argv[0], &plen), *data = slurp(argv[1], &dlen), *input = slurp(argv[2], &ilen);
	if (!pol || !data || !input || n <= 0) {
		fprintf(stderr, "bench-rego: cannot read the RBAC files\n");
		return 1;
	}
	rego_engine *e = rego_engine_new(NULL);
	cc_error *err = NULL;
	if (rego_engine_add_policy(e, argv[0], pol, plen, &err) < 0 ||
	    rego_engine_add_data_json(e, data, dlen, &err) < 0 ||
	    rego_engine_set_input_json(e, input, ilen, &err) < 0)
		die("rbac", err);
	const rego_result *res;
	if (rego_engine_eval(e, "data.app.rbac.allow", &res, &err) < 0)
		die("rbac", err);
	if (!rego_result_is_true(res)) {
		fprintf(stderr, "bench-rego: rbac: expected allow == true\n");
		return 1;
	}
	double runs[5];
	for (int r = 0; r < 5; r++) {
		double t0 = now_us();
		for (long i = 0; i < n; i++)
			if (rego_engine_eval(e, "data.app.rbac.allow", &res, &err) < 0)
				die("rbac", err);
		runs[r] = (now_us() - t0) / (double)n;
	}
	double us = median(runs, 5);
	printf("rbac warm engine, same input      %8.3f us/eval %10.0f evals/s\n", us, 1e6 / us);
	for (int r = 0; r < 5; r++) {
		double t0 = now_us();
		for (long i = 0; i < n; i++)
			if (rego_engine_set_input_json(e, input, ilen, &err) < 0 ||
			    rego_engine_eval(e, "data.app.rbac.allow", &res, &err) < 0)
				die("rbac", err);
		runs[r] = (now_us() - t0) / (double)n;
	}
	us = median(runs, 5);
	printf("rbac warm engine, input parsed    %8.3f us/eval %10.0f evals/s\n", us, 1e6 / us);
	rego_engine_free(e);
	free(pol);
	free(data);
	free(input);
	return 0;
}

int main(int argc, char **argv)
{
	int r;
	if (argc >= 2 && strcmp(argv[1], "kata") == 0)
		r = bench_kata(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "rbac") == 0)
		r = bench_rbac(argc - 2, argv + 2);
	else {
		fprintf(stderr, "usage: bench-rego kata DIR... | rbac POLICY DATA INPUT [N]\n");
		return 2;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %ld KiB\n", ru.ru_maxrss);
	return r;
}
