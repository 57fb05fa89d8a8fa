/* libFuzzer target: what cocoon-kbs reads from an unauthenticated client
 * before any attestation (src/kbs, docs/kbs.md): the /auth Request body,
 * the query string of a resource request, the resource path, and the
 * session JSON the store hands back. Every input must parse or fail with
 * an error and no leak; an accepted Request must name a known tee.
 * Seed corpus: fuzz/corpus/kbs_request/. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rcar.h"
#include "resource.h"
#include "router.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	const char *tee = NULL;
	cc_error *e = NULL;
	if (kbs_rcar_parse_request(data, size, &j, &tee, &e) == 0) {
		if (!kbs_rcar_known_tee(tee))
			abort();
		json_decref(j);
	}
	cc_error_free(e);

	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	json_t *q = NULL;
	e = NULL;
	if (kbs_query_json(s, &q, &e) == 0 && !json_is_object(q))
		abort();
	json_decref(q);
	cc_error_free(e);
	(void)kbs_resource_path_ok(s);
	free(s);

	struct kbs_session ses;
	e = NULL;
	if (kbs_session_parse(data, size, &ses, &e) == 0) {
		char *cookie = kbs_session_cookie(&ses);
		if (cookie != NULL && strncmp(cookie, "kbs-session-id=", 15) != 0)
			abort();
		free(cookie);
		kbs_session_clear(&ses);
	}
	cc_error_free(e);
	return 0;
}
