/* libFuzzer target: compact JWS/JWT verification (lib/jose/jws.c, jwt.c,
 * verifier.c; docs/jose.md), the attestation tokens and admin tokens a KBS
 * reads. Every input is verified with a fixed ES256 key and a fixed EdDSA
 * key, and by a token verifier that trusts header jwks (Trustee's
 * insecure_header_jwk) and knows both keys by kid; the seeds are tokens
 * signed by them. A payload that verifies is signed again and must verify.
 * Seed corpus: fuzz/corpus/jwt/. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jose_jwt.h"

static const char es_key[] =
	"{\"alg\":\"ES256\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"D6kSf7picVB0dsZxl8cu5Qxp"
	"pm2RtYi_jZfB0e9fmUg\",\"y\":\"JUrTlZ6PQiBGbJurGmpyYK_XLbVmVzI73IpnYFmvEYQ\",\"d\":\""
	"z1I312Kve1lc1FPYOD26Wzj3wK5WhwX02kiGbx3gw5c\",\"kid\":\"fuzz-es\"}";

static const char ed_key[] =
	"{\"alg\":\"EdDSA\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"iheQz2ATqa1tHIJdz1Ilt"
	"xOYjMINd-MqMMoLV2xgNos\",\"d\":\"6DhNe3gSOhbF7FwmFMGcw_M-i88h3-hWuu0o9d6U0KM\",\"kid"
	"\":\"fuzz-ed\"}";

static cj_jwk *keys[2];
static cj_verifier *verifier;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_t *set = json_pack("{s:[]}", "keys");
	for (size_t i = 0; i < 2; i++) {
		const char *text = i ? ed_key : es_key;
		json_t *pub = NULL;
		if (cj_jwk_parse(text, strlen(text), &keys[i], NULL) != 0 ||
		    cj_jwk_to_json(keys[i], 0, &pub, NULL) != 0)
			abort();
		json_array_append_new(json_object_get(set, "keys"), pub);
	}
	char *s = json_dumps(set, JSON_COMPACT);
	if (s == NULL || cj_verifier_new(&verifier, NULL) != 0 ||
	    cj_verifier_add_jwks(verifier, s, strlen(s), NULL) != 0)
		abort();
	cj_verifier_set_insecure_header_jwk(verifier, true);
	cj_verifier_set_time(verifier, 1760426134);
	free(s);
	json_decref(set);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (verifier == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	const char *token = (const char *)data;
	json_t *claims = NULL, *hdr = NULL;
	if (cj_verifier_verify(verifier, token, size, &claims, NULL) == 0)
		json_decref(claims);
	if (cj_jws_peek_header(token, size, &hdr, NULL) == 0)
		json_decref(hdr);
	for (size_t i = 0; i < 2; i++) {
		char *pl = NULL, *again = NULL;
		size_t n = 0;
		if (cj_jws_verify(keys[i], token, size, NULL, &pl, &n, NULL) != 0)
			continue;
		if (cj_jws_sign(keys[i], NULL, CJ_JWS_KID, pl, n, &again, NULL) != 0 ||
		    cj_jws_verify(keys[i], again, strlen(again), NULL, NULL, NULL, NULL) != 0)
			abort();
		json_t *c = json_loadb(pl, n, JSON_REJECT_DUPLICATES, NULL);
		if (c != NULL)
			cj_jwt_check_claims(c, 1760426134, 0, 0, NULL);
		json_decref(c);
		free(pl);
		free(again);
	}
	return 0;
}
