/* libFuzzer target: JWK and JWK set parsing (lib/jose/jwk_parse.c,
 * jwks.c; docs/jose.md), the keys a KBS reads from attestation tokens,
 * tee-pubkeys and trusted JWK sets. A key that parses is written back
 * (with its private members if it has them) and read again: it must be the
 * same key; a tee-pubkey written from it must parse as one. Seed corpus:
 * fuzz/corpus/jwk/. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jose_jwk.h"

static void round_trip(const cj_jwk *k)
{
	json_t *j = NULL, *t = NULL;
	cj_jwk *back = NULL, *tk = NULL;
	if (cj_jwk_to_json(k, cj_jwk_is_private(k) ? CJ_JWK_PRIVATE : 0, &j, NULL) != 0 ||
	    cj_jwk_from_json(j, &back, NULL) != 0 || !cj_jwk_public_eq(k, back) ||
	    cj_jwk_is_private(back) != cj_jwk_is_private(k))
		abort();
	if (cj_jwk_to_tee_pubkey(k, &t, NULL) == 0 &&
	    (cj_jwk_from_tee_pubkey(t, &tk, NULL) != 0 || !cj_jwk_public_eq(k, tk)))
		abort();
	json_decref(j);
	json_decref(t);
	cj_jwk_free(back);
	cj_jwk_free(tk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	cj_jwk *k = NULL;
	if (cj_jwk_parse(text, size, &k, NULL) == 0) {
		round_trip(k);
		cj_jwk_free(k);
	}
	json_t *o = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
	if (o != NULL && cj_jwk_from_tee_pubkey(o, &k, NULL) == 0)
		cj_jwk_free(k);
	json_decref(o);
	cj_jwks *s = NULL;
	if (cj_jwks_parse(text, size, &s, NULL) == 0) {
		for (size_t i = 0; i < cj_jwks_count(s); i++)
			round_trip(cj_jwks_at(s, i));
		cj_jwks_find(s, "x");
		cj_jwks_free(s);
	}
	return 0;
}
