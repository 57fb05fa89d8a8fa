/* Replays recorded Kata agent-policy requests (tests/rego/kata/<scenario>/:
 * policy.rego, inputs.txt, outputs.json, prints.json, recorded from the Kata
 * agent's regorus engine) and checks, for every request, the value of
 * data.agent_policy.<Request> and the print output (without the
 * "path:line: " prefix). Evaluated as the Kata agent does: Rego v0 policy,
 * non-strict builtin errors, a rule with one constant value stops at its
 * first success (regorus and OPA both do; the recorded prints show it),
 * base data {"pstate": {}}, the `ops` of an allowed answer applied to it.
 *
 * Usage: kata-vectors [-v] SCENARIO_DIR...   (exit 0 iff all match) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/rego.h"

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	size_t k;
	while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
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

/* A line `["ep":"Name",{...}],` gives the request name and its JSON. */
static int parse_request(char *line, const char **name, const char **json, size_t *jlen)
{
	char *ep = strstr(line, "\"ep\":\"");
	if (ep == NULL)
		return -1;
	ep += 6;
	char *end = strchr(ep, '"');
	if (end == NULL)
		return -1;
	*end = '\0';
	*name = ep;
	char *obj = strchr(end + 1, '{');
	char *last = strrchr(end + 1, '}');
	if (obj == NULL || last == NULL || last < obj)
		return -1;
	*json = obj;
	*jlen = (size_t)(last - obj) + 1;
	return 0;
}

/* Removes a leading "path:line: " from a recorded print line. */
static const char *strip_location(const char *s)
{
	const char *c = strstr(s, ".rego:");
	if (c == NULL)
		return s;
	c += 6;
	while (*c >= '0' && *c <= '9')
		c++;
	if (c[0] == ':' && c[1] == ' ')
		return c + 2;
	return s;
}

/* The print output must be the recorded lines, each followed by a newline
 * (a printed string may itself contain newlines). */
static int prints_match(const char *got, json_t *want, bool verbose, const char *what)
{
	const char *p = got;
	for (size_t i = 0; i < json_array_size(want); i++) {
		const char *w = strip_location(json_string_value(json_array_get(want, i)));
		size_t n = strlen(w);
		if (strncmp(p, w, n) != 0 || p[n] != '\n') {
			if (verbose) {
				const char *nl = strchr(p, '\n');
				fprintf(stderr, "%s: print line %zu differs:\n  want: %s\n  got:  %.*s\n", what, i,
				        w, nl ? (int)(nl - p) : (int)strlen(p), p);
			}
			return 0;
		}
		p += n + 1;
	}
	if (*p) {
		if (verbose)
			fprintf(stderr, "%s: extra print output: %.200s\n", what, p);
		return 0;
	}
	return 1;
}

static int run_scenario(const char *dir, bool verbose, int *npass, int *nfail)
{
	size_t plen, ilen, olen, prlen;
	char *pol = slurp(dir, "policy.rego", &plen);
	char *inputs = slurp(dir, "inputs.txt", &ilen);
	char *outs = slurp(dir, "outputs.json", &olen);
	char *prs = slurp(dir, "prints.json", &prlen);
	json_t *want = outs ? json_loadb(outs, olen, 0, NULL) : NULL;
	json_t *wprints = prs ? json_loadb(prs, prlen, 0, NULL) : NULL;
	int rc = 0;
	if (!pol || !inputs || !want || !wprints) {
		fprintf(stderr, "%s: missing or unreadable vector files\n", dir);
		rc = -1;
		goto out;
	}
	struct rego_options o;
	rego_options_default(&o);
	o.v0 = true;
	o.early_exit = REGO_EARLY_EXIT_BODY;
	rego_engine *e = rego_engine_new(&o);
	cc_error *err = NULL;
	char path[4096];
	snprintf(path, sizeof(path), "%s/policy.rego", dir);
	if (rego_engine_add_policy(e, path, pol, plen, &err) < 0 ||
	    rego_engine_set_data_json(e, "{\"pstate\": {}}", 14, &err) < 0) {
		char *m = cc_error_format(err);
		fprintf(stderr, "%s: %s\n", dir, m);
		free(m);
		cc_error_free(err);
		rego_engine_free(e);
		rc = -1;
		goto out;
	}
	size_t idx = 0;
	for (char *line = inputs, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		const char *name, *json;
		size_t jlen;
		if (parse_request(line, &name, &json, &jlen) < 0)
			continue;
		char what[512];
		snprintf(what, sizeof(what), "%s #%zu %s", dir, idx, name);
		char query[256];
		snprintf(query, sizeof(query), "data.agent_policy.%s", name);
		const rego_result *res = NULL;
		int r = rego_engine_set_input_json(e, json, jlen, &err);
		if (r == 0)
			r = rego_engine_eval(e, query, &res, &err);
		json_t *exp = json_array_get(want, idx);
		json_t *expp = json_array_get(wprints, idx);
		int ok = 0;
		if (r < 0) {
			char *m = cc_error_format(err);
			if (verbose)
				fprintf(stderr, "%s: error: %s\n", what, m);
			free(m);
			cc_error_free(err);
			err = NULL;
		} else if (rego_result_rows(res) != 1) {
			if (verbose)
				fprintf(stderr, "%s: %zu results\n", what, rego_result_rows(res));
		} else {
			char *v = rego_result_value_json(res, 0, 0);
			json_t *got = v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
			json_t *allowed = json_is_object(got) ? json_object_get(got, "allowed") : got;
			json_t *gb = json_is_boolean(allowed) ? allowed : NULL;
			ok = gb && exp && json_equal(gb, exp);
			if (!ok && verbose)
				fprintf(stderr, "%s: want %s, got %s\n", what, json_is_true(exp) ? "true" : "false",
				        v ? v : "?");
			json_t *ops = json_is_object(got) ? json_object_get(got, "ops") : NULL;
			if (ok && json_is_true(gb) && json_is_array(ops) && json_array_size(ops) > 0) {
				char *os = json_dumps(ops, JSON_COMPACT);
				if (os == NULL || rego_engine_patch_data_json(e, os, strlen(os), &err) < 0) {
					ok = 0;
					cc_error_free(err);
					err = NULL;
				}
				free(os);
			}
			json_decref(got);
			free(v);
			size_t gl;
			const char *gp = rego_engine_prints(e, &gl);
			if (ok && expp)
				ok = prints_match(gp, expp, verbose, what);
		}
		if (ok)
			(*npass)++;
		else
			(*nfail)++;
		idx++;
	}
	if (idx != json_array_size(want)) {
		fprintf(stderr, "%s: %zu requests but %zu recorded outputs\n", dir, idx, json_array_size(want));
		rc = -1;
	}
	rego_engine_free(e);
out:
	json_decref(want);
	json_decref(wprints);
	free(pol);
	free(inputs);
	free(outs);
	free(prs);
	return rc;
}

int main(int argc, char **argv)
{
	bool verbose = false;
	int npass = 0, nfail = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
			continue;
		}
		int p0 = npass, f0 = nfail;
		if (run_scenario(argv[i], verbose, &npass, &nfail) < 0)
			bad = 1;
		printf("%-60s %4d passed %4d failed\n", argv[i], npass - p0, nfail - f0);
	}
	printf("%d passed, %d failed\n", npass, nfail);
	return (nfail || bad || npass == 0) ? 1 : 0;
}
