/* containerd-shim-cocoon-v2: the command line containerd gives a shim
 * (kata.md §2.2-2.3), parsed as Go's flag package does: flags before the
 * action, "-name value" or "-name=value" (one or two dashes), boolean
 * flags as "-name" or "-name=true|false", parsing stops at the first
 * non-flag word or "--". */
#ifndef COCOON_SHIM_FLAGS_H
#define COCOON_SHIM_FLAGS_H

#include <stdbool.h>

#include "cocoon/error.h"

enum shim_action {
	SHIM_SERVE = 0, /* no action: the long-running server (re-executed by start) */
	SHIM_START,
	SHIM_DELETE,
	SHIM_VERSION,   /* -v */
};

struct shim_flags {
	/* pointers into argv */
	const char *namespace_;     /* -namespace */
	const char *address;        /* -address: containerd's gRPC socket */
	const char *publish_binary; /* -publish-binary */
	const char *id;             /* -id */
	const char *bundle;         /* -bundle (delete; default: the cwd) */
	const char *socket;         /* -socket (accepted, unused: fd 3 carries it) */
	const char *config;         /* -cocoon-config: the server's config file (ours) */
	bool debug;                 /* -debug */
	enum shim_action action;
};

/* Parses argv (argv[0] is the program). -EINVAL with the word at fault for
 * an unknown flag, a missing value, a bad boolean, an unknown action or
 * words after it; "-v" gives SHIM_VERSION. */
int shim_flags_parse(int argc, char **argv, struct shim_flags *ret, cc_error **err);

#endif
