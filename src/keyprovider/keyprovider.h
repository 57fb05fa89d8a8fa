/* cocoon-keyprovider internals (docs/man/cocoon-keyprovider.md). */
#ifndef COCOON_KEYPROVIDER_H
#define COCOON_KEYPROVIDER_H

#include "internal.h"
#include "kek.h"

struct kp_options {
	const char *name;        /* --name: our key in ec.Parameters (NULL: guess) */
	struct kek_source *kek;  /* NULL when no --keys-dir */
};

/* Answer a keywrap / keyunwrap request; *ret is the JSON answer (the
 * unwrap answer carries a secret: wipe it). */
int kp_keywrap(const struct kp_options *o, const struct oc_kp_request *req, char **ret,
               size_t *ret_len, cc_error **err);
int kp_keyunwrap(const struct kp_options *o, const struct oc_kp_request *req, char **ret,
                 size_t *ret_len, cc_error **err);

#endif
