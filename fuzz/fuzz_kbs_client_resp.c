/* libFuzzer target: what `cocoon kbs` reads from a KBS (lib/kbsclient/
 * kbs_proto.c, kbs_rcar.c, kbs_http.c; docs/man/cocoon-kbs-client.md):
 * every input goes through the Challenge, token and Trustee error-body
 * parsers, the Set-Cookie parser, the resource answer's JWE decryption
 * with a fixed P-256 TEE key (the guest-components vector's), and the
 * error message made for a non-2xx answer. What parses must meet the
 * parsers' promises (bounded nonce, header-safe token, printable detail,
 * cookie-octets), else the target aborts. Seed corpus:
 * fuzz/corpus/kbs_client_resp/ (a Trustee challenge, an se-style one, a
 * token answer, error bodies, cookies, JWEs for the fixed key). */
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "fuzz.h"
#include "jose_util.h"
#include "kbs_client.h"

static const char tee_key[] = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
                              "\"x\":\"Rxw-dYxJBChbun5TEY7Q9SSt6wdX0lvS-Oew1236cUw\","
                              "\"y\":\"3VIPesqKi5F6zDf1HejwybvjrYWDgucC3CWhLQn3qFg\","
                              "\"d\":\"EjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJCrze8\"}";

static cj_jwk *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (cj_jwk_parse(tee_key, strlen(tee_key), &key, NULL) != 0)
		abort();
	return 0;
}

static void printable_or_die(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

static void parsers(const char *p, size_t n)
{
	char *nonce = NULL;
	enum cj_hash h;
	if (kbs_challenge_parse(p, n, &nonce, &h, NULL) == 0) {
		size_t len = strlen(nonce);
		if (len == 0 || len > CC_KBS_CLIENT_MAX_NONCE_BYTES || cj_hash_len(h) == 0)
			abort();
		free(nonce);
	}
	char *tok = NULL;
	if (kbs_token_parse(p, n, &tok, NULL) == 0) {
		if (kbs_token_check(tok, strlen(tok), "t", NULL) != 0)
			abort();
		free(tok);
	}
	char *var = NULL, *det = NULL;
	if (kbs_error_parse(p, n, &var, &det, NULL) == 0) {
		printable_or_die(var);
		printable_or_die(det);
		if (strlen(det) > CC_KBS_CLIENT_MAX_DETAIL_BYTES + 3)
			abort();
		free(var);
		free(det);
	}
	char cookie[KBS_SESSION_ID_MAX + 1];
	if (kbs_set_cookie_parse(p, n, cookie) == 1) {
		if (cookie[0] == '\0' || strlen(cookie) > KBS_SESSION_ID_MAX)
			abort();
		printable_or_die(cookie);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (key == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	const char *p = (const char *)data;
	parsers(p, size);
	unsigned char *pt = NULL;
	size_t n = 0;
	if (kbs_resource_decrypt(key, p, size, &pt, &n, NULL) == 0)
		cj_free_secret(pt, n);
	/* the message for a 401 with this body */
	struct kbs_http_resp r = {.status = 401};
	cc_buf_init(&r.body, 0);
	if (cc_buf_add(&r.body, data, size) == 0) {
		cc_error *err = NULL;
		if (kbs_http_status_error(&r, -1, "resource", &err) != -1)
			abort();
		cc_error_free(err);
	}
	cc_buf_free(&r.body);
	return 0;
}
