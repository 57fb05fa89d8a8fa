/* containerd-shim-cocoon-v2: the containerd shim v2 of cocoon (docs/shim.md,
 * docs/man/containerd-shim-cocoon-v2.md). `start` and `delete` are run by
 * containerd; without an action it is the long-running server `start`
 * re-executes. */
#include <stdio.h>
#include <string.h>

#include "flags.h"
#include "main.h"

int main(int argc, char **argv)
{
	struct shim_flags f;
	cc_error *err = NULL;
	if (shim_flags_parse(argc, argv, &f, &err) < 0) {
		fprintf(stderr, "containerd-shim-cocoon-v2: %s\n", cc_error_message(err));
		cc_error_free(err);
		return 2;
	}
	switch (f.action) {
	case SHIM_VERSION:
		printf("containerd-shim-cocoon-v2:\n  Version: %s\n  Revision: cocoon\n  Go version: "
		       "(C)\n", COCOON_VERSION);
		return 0;
	case SHIM_START:
		return shim_start(&f);
	case SHIM_DELETE:
		return shim_delete(&f);
	case SHIM_SERVE:
		break;
	}
	return shim_serve(&f);
}
