/* libFuzzer target: the /attest body of cocoon-kbs (src/kbs): the
 * Attestation JSON, its runtime-data binding (JCS + SHA-384), its
 * init-data TOML and claims, and the sample verifier on its evidence. The
 * whole input is also tried as init-data TOML. Every input must parse or
 * fail with an error and no leak. Seed corpus: fuzz/corpus/kbs_attestation/. */
#include <string.h>

#include "fuzz.h"
#include "initdata.h"
#include "rcar.h"
#include "sample_verifier.h"

static void init_data(const char *fmt, const char *body, size_t len)
{
	struct kbs_initdata d;
	cc_error *e = NULL;
	if (kbs_initdata_parse(fmt, body, len, &d, &e) == 0) {
		if (!json_is_object(d.claims) || d.digest_len < 32)
			__builtin_trap();
		kbs_initdata_clear(&d);
	}
	cc_error_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kbs_attestation a;
	cc_error *e = NULL;
	if (kbs_rcar_parse_attestation(data, size, &a, &e) == 0) {
		json_t *rd = NULL;
		uint8_t dg[48];
		if (kbs_runtime_data(a.tee_pubkey, a.nonce, a.additional_evidence, &rd, dg, NULL) == 0)
			json_decref(rd);
		if (a.init_data_format != NULL)
			init_data(a.init_data_format, a.init_data_body, a.init_data_body_len);
		attest_verifier *v = NULL;
		json_t *claims = NULL;
		if (sample_verifier_new(&v, NULL) == 0 &&
		    attest_verifier_evaluate(v, a.primary_evidence, NULL, 0, dg, 32, &claims, NULL) == 0)
			json_decref(claims);
		attest_verifier_free(v);
		kbs_attestation_clear(&a);
	}
	cc_error_free(e);
	init_data("toml", (const char *)data, size);
	return 0;
}
