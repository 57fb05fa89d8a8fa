/* libFuzzer target: cocoon-kbs's configuration file (Trustee's KBS TOML,
 * src/kbs/config_load.c). Every input must load or fail with an error
 * naming the file (and a line for what the TOML parser or a key refused),
 * without a leak. Seed corpus: fuzz/corpus/kbs_config/. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kbs_config c;
	cc_error *e = NULL;
	if (kbs_config_default(&c, NULL, NULL) < 0)
		return 0;
	int r = kbs_config_load_text(&c, "fuzz.toml", (const char *)data, size, &e);
	if (r < 0 && cc_error_code(e) != -ENOMEM && cc_error_file(e) == NULL &&
	    strstr(cc_error_message(e), "fuzz.toml") == NULL)
		abort(); /* every error names the file */
	if (r == 0 && (c.n_sockets == 0 || c.sockets[c.n_sockets] != NULL))
		abort();
	cc_error_free(e);
	kbs_config_free(&c);
	return 0;
}
