/* Where cocoon-keyprovider finds key-encryption keys (KEKs) by key id.
 *
 * One backend today: a local directory (kek_dir.c), the offline stand-in for
 * the KBS. The confidential data hub's KBS client will be a second backend
 * behind the same two functions (docs/man/cocoon-keyprovider.md). */
#ifndef COCOON_KEYPROVIDER_KEK_H
#define COCOON_KEYPROVIDER_KEK_H

#include <stdbool.h>

#include "cocoon/error.h"

#define KEK_LEN 32

struct kek_source {
	const char *name;
	/* Reads the KEK of kid ("kbs:///repo/type/tag"). -ENOENT if unknown. */
	int (*get)(void *ctx, const char *kid, unsigned char kek[KEK_LEN], cc_error **err);
	/* Stores kek under kid; if one is stored already, returns it in kek
	 * instead when adopt is true, or fails with -EEXIST if it differs. */
	int (*put)(void *ctx, const char *kid, unsigned char kek[KEK_LEN], bool adopt,
	           cc_error **err);
	void *ctx;
};

/* The directory backend: kbs:///repo/type/tag -> DIR/repo/type/tag, a file
 * of exactly 32 bytes. dir must outlive the source. */
void kek_dir_source(struct kek_source *s, const char *dir);

#endif
