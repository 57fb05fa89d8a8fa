/* `cocoon kbs` command-line layer (kbs_cmd.c, kbs_cmd_config.c): flag
 * parsing and output, on top of kbs_client.h. */
#ifndef COCOON_KBS_CLI_H
#define COCOON_KBS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cocoon/error.h"

/* The options every verb takes (kbs-client's global ones). */
struct kbs_global {
	const char *url;       /* default http://127.0.0.1:8080 */
	const char *cert_file; /* NULL: the system's roots */
};

#define KBS_DEFAULT_URL "http://127.0.0.1:8080"

/* getopt_long values of the global options, spliced into each verb's
 * table so they may also follow the verb. */
enum { KBS_OPT_URL = 300, KBS_OPT_CERT_FILE };
#define KBS_GLOBAL_LONGOPTS                                                                        \
	{"url", required_argument, NULL, KBS_OPT_URL},                                             \
	    {"cert-file", required_argument, NULL, KBS_OPT_CERT_FILE},                             \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}

/* Takes a global option (returns true) or not. */
bool kbs_global_opt(int c, const char *arg, struct kbs_global *g);

/* Prints "cocoon kbs VERB: message" for err and returns 1. */
int kbs_fail(const char *verb, cc_error *err);

/* `cocoon kbs config ...` (kbs_cmd_config.c); argv[0] is "config". */
int kbs_cmd_config(struct kbs_global *g, int argc, char **argv);

#endif
