/* libFuzzer target: what cocoon-kbs reads from verified token claims and
 * policy results (src/kbs): the TEE key at Trustee's JSON pointers (a
 * token from another issuer is trusted for its signature, not its shape),
 * and an EAR appraisal from {"trust_claims":..,"extensions":..} as an
 * operator's attestation policy may answer. Input: a JSON document. Every
 * input must succeed or fail with an error and no leak. Seed corpus:
 * fuzz/corpus/kbs_token/. */
#include <stdlib.h>

#include "ear.h"
#include "fuzz.h"
#include "jose_util.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = NULL;
	if (cj_json_parse(data, size, 1u << 20, &doc, "fuzz", NULL) < 0)
		return 0;
	char *extra[] = {"/a/0/tee-pubkey", "/~1x~0"};
	cj_jwk *k = NULL;
	cc_error *e = NULL;
	if (kbs_token_teekey(doc, extra, 2, &k, &e) == 0)
		cj_jwk_free(k);
	cc_error_free(e);
	json_t *sub = NULL;
	json_t *ann = json_object();
	e = NULL;
	if (kbs_ear_appraisal(json_object_get(doc, "trust_claims"),
	                      json_object_get(doc, "extensions"), ann, &sub, &e) == 0) {
		const char *st = json_string_value(json_object_get(sub, "ear.status"));
		if (st == NULL)
			abort();
		json_decref(sub);
	}
	cc_error_free(e);
	json_decref(ann);
	json_decref(doc);
	return 0;
}
