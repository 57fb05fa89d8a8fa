/* libFuzzer target: the bodies of cocoon-kbs's admin API (src/kbs): POST
 * /resource-policy {"policy":..}, POST /attestation-policy
 * {"policy_id","policy"} and POST /reference-value (RVPS sample
 * messages). Admin callers are authenticated, but a token can leak and a
 * bad body must never crash the KBS or change what is stored: each must
 * parse or fail with an error and no leak. Small decoded policies are
 * also compiled, as the server does before storing them. Seed corpus:
 * fuzz/corpus/kbs_admin/. */
#include <stdlib.h>

#include "as_policy.h"
#include "fuzz.h"
#include "res_policy.h"
#include "rvps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = NULL, *id = NULL;
	size_t len = 0;
	cc_error *e = NULL;
	if (kbs_res_policy_parse(data, size, &src, &len, &e) == 0) {
		if (len < 4096)
			(void)kbs_res_policy_check(src, len, NULL);
		free(src);
	}
	cc_error_free(e);
	e = NULL;
	if (kbs_as_policy_parse(data, size, &id, &src, &len, &e) == 0) {
		if (!kbs_as_policy_id_ok(id))
			abort();
		if (len < 4096)
			(void)kbs_as_policy_check(id, src, len, NULL);
		free(id);
		free(src);
	}
	cc_error_free(e);
	json_t *values = NULL;
	e = NULL;
	if (kbs_rvps_parse(data, size, &values, &e) == 0) {
		if (!json_is_object(values))
			abort();
		json_decref(values);
	}
	cc_error_free(e);
	return 0;
}
