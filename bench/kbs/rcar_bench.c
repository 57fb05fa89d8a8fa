/* RCAR + resource GET latency against a running KBS, as a guest with the
 * sample attester sees it (bench/run_kbs.sh, docs/benchmarks.md "KBS").
 *
 * One iteration = a fresh session over one keep-alive HTTP connection:
 *   POST /kbs/v0/auth -> nonce and cookie;
 *   runtime data JCS + SHA-384, sample evidence, POST /kbs/v0/attest -> EAR;
 *   GET /kbs/v0/resource/PATH with the cookie -> JWE, decrypted and checked.
 * The TEE key (P-256) is made once, as a guest's attestation agent does.
 * Times each phase and the whole with CLOCK_MONOTONIC: client crypto (JCS,
 * digest, JWE decryption) is included, the key generation is not.
 *
 * Usage: rcar_bench URL PATH EXPECTED N        -> one line per phase:
 *          "<phase> n=N median_us=.. p99_us=.. min_us=.. max_us=.."
 *        rcar_bench URL PATH EXPECTED --token  -> prints one EAR token
 *        rcar_bench URL PATH EXPECTED --tokens N -> N EAR tokens of N
 *          sessions (the same TEE key), one a line
 * Built by bench/run_kbs.sh against the release tree's lib/jose. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jose_jcs.h"
#include "jose_jwe.h"
#include "jose_jwk.h"
#include "jose_util.h"

struct buf {
	char *p;
	size_t n;
};

static size_t on_body(char *d, size_t s, size_t n, void *arg)
{
	struct buf *b = arg;
	char *p = realloc(b->p, b->n + s * n + 1);
	if (p == NULL)
		return 0;
	memcpy(p + b->n, d, s * n);
	b->p = p;
	b->n += s * n;
	p[b->n] = '\0';
	return s * n;
}

static void die(const char *what)
{
	fprintf(stderr, "rcar_bench: %s\n", what);
	exit(1);
}

/* One request on the shared handle (its cookie engine keeps the session). */
static long http(CURL *c, const char *url, const char *post, struct buf *out)
{
	out->n = 0;
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (post != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	if (curl_easy_perform(c) != CURLE_OK)
		die("HTTP request failed");
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *phase, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	int p99 = (int)((double)n * 0.99);
	if (p99 >= n)
		p99 = n - 1;
	printf("%s n=%d median_us=%.0f p99_us=%.0f min_us=%.0f max_us=%.0f\n", phase, n, v[n / 2],
	       v[p99], v[0], v[n - 1]);
}

/* The Attestation body for nonce with sample evidence bound to key. */
static char *attestation(const json_t *pub, const char *nonce)
{
	json_t *rd = json_pack("{s:O,s:s,s:s}", "tee-pubkey", (json_t *)pub, "nonce", nonce,
	                       "additional-evidence", "");
	unsigned char d[48];
	if (rd == NULL || cj_jcs_digest(rd, CJ_SHA384, d, NULL) < 0)
		die("runtime data");
	json_decref(rd);
	char *rdb = cj_b64_encode(d, sizeof(d));
	json_t *a = json_pack("{s:n,s:{s:s,s:O},s:{s:{s:s,s:s},s:s}}", "init-data", "runtime-data",
	                      "nonce", nonce, "tee-pubkey", (json_t *)pub, "tee-evidence",
	                      "primary_evidence", "svn", "1", "report_data", rdb,
	                      "additional_evidence", "");
	char *s = a != NULL ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	free(rdb);
	if (s == NULL)
		die("attestation body");
	return s;
}

/* One RCAR + GET; phase times in t[0..3] (auth, attest, get, all). */
static void one(CURL *c, const char *base, const char *path, const char *want, cj_jwk *key,
                const json_t *pub, double t[4], char **ret_token)
{
	char url[1024];
	struct buf b = {0};
	curl_easy_setopt(c, CURLOPT_COOKIELIST, "ALL"); /* a new session */
	double t0 = now_us();
	snprintf(url, sizeof(url), "%s/kbs/v0/auth", base);
	if (http(c, url, "{\"version\":\"0.4.0\",\"tee\":\"sample\",\"extra-params\":\"\"}", &b) != 200)
		die("auth failed");
	json_t *ch = json_loads(b.p, 0, NULL);
	const char *nonce = json_string_value(json_object_get(ch, "nonce"));
	if (nonce == NULL)
		die("no nonce");
	double t1 = now_us();
	char *att = attestation(pub, nonce);
	json_decref(ch);
	snprintf(url, sizeof(url), "%s/kbs/v0/attest", base);
	if (http(c, url, att, &b) != 200)
		die(b.p != NULL ? b.p : "attest failed");
	free(att);
	if (ret_token != NULL) {
		json_t *tj = json_loads(b.p, 0, NULL);
		*ret_token = strdup(json_string_value(json_object_get(tj, "token")));
		json_decref(tj);
	}
	double t2 = now_us();
	snprintf(url, sizeof(url), "%s/kbs/v0/resource/%s", base, path);
	if (http(c, url, NULL, &b) != 200)
		die(b.p != NULL ? b.p : "get failed");
	unsigned char *pt = NULL;
	size_t n = 0;
	if (cj_jwe_decrypt(key, b.p, b.n, &pt, &n, NULL, NULL) < 0 || n != strlen(want) ||
	    memcmp(pt, want, n) != 0)
		die("the resource did not decrypt to the expected bytes");
	cj_free_secret(pt, n);
	double t3 = now_us();
	free(b.p);
	t[0] = t1 - t0;
	t[1] = t2 - t1;
	t[2] = t3 - t2;
	t[3] = t3 - t0;
}

int main(int argc, char **argv)
{
	if (argc != 5 && !(argc == 6 && strcmp(argv[4], "--tokens") == 0))
		die("usage: rcar_bench URL PATH EXPECTED N|--token|--tokens N");
	cj_jwk *key = NULL;
	json_t *pub = NULL;
	if (cj_jwk_generate(CJ_GEN_P256, "ECDH-ES+A256KW", &key, NULL) < 0 ||
	    cj_jwk_to_tee_pubkey(key, &pub, NULL) < 0)
		die("tee key");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	double t[4];
	char *end;
	long n = strtol(argv[argc - 1], &end, 10);
	if (strcmp(argv[4], "--token") == 0) {
		n = 1;
	} else if (*end != '\0' || n < 1 || n > 1000000) {
		die("N must be 1..1000000");
	}
	if (strncmp(argv[4], "--token", 7) == 0) {
		for (long i = 0; i < n; i++) {
			char *tok = NULL;
			one(c, argv[1], argv[2], argv[3], key, pub, t, &tok);
			printf("%s\n", tok);
			free(tok);
		}
	} else {
		one(c, argv[1], argv[2], argv[3], key, pub, t, NULL); /* warm-up */
		double *v[4];
		for (int p = 0; p < 4; p++)
			v[p] = malloc(sizeof(double) * (size_t)n);
		for (long i = 0; i < n; i++) {
			one(c, argv[1], argv[2], argv[3], key, pub, t, NULL);
			for (int p = 0; p < 4; p++)
				v[p][i] = t[p];
		}
		const char *names[] = {"auth", "attest", "get", "rcar+get"};
		for (int p = 0; p < 4; p++) {
			report(names[p], v[p], (int)n);
			free(v[p]);
		}
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	json_decref(pub);
	cj_jwk_free(key);
	return 0;
}
