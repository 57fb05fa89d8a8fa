/* containerd-shim-cocoon-v2's three modes (docs/man/containerd-shim-cocoon-v2.md),
 * each returning the exit status. */
#ifndef COCOON_SHIM_MAIN_H
#define COCOON_SHIM_MAIN_H

#include "flags.h"

#ifndef COCOON_VERSION
#define COCOON_VERSION "0"
#endif

int shim_start(const struct shim_flags *f);   /* start.c */
int shim_delete(const struct shim_flags *f);  /* delete.c */
int shim_serve(const struct shim_flags *f);   /* serve.c */

#endif
