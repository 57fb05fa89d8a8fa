/* Helpers shared by the `cocoon policy` subcommands. */
#ifndef COCOON_POLICY_H
#define COCOON_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"
#include "cocoon/rego.h"

/* Loads a -d argument: a .rego/.json/.yaml file or a directory walked
 * recursively (data files in sub-directories land under data.<dir>...). */
int policy_load_path(rego_engine *e, const char *path, cc_error **err);

/* Registers the functions an OPA capabilities file declares that cocoon
 * does not provide (e.g. Trustee's query_reference_value). */
int policy_load_capabilities(rego_engine *e, const char *path, cc_error **err);

/* Loads an input document from a .json or .yaml file. */
int policy_load_input(rego_engine *e, const char *path, cc_error **err);

enum out_format { OUT_JSON, OUT_RAW, OUT_PRETTY };

/* Prints the result of the last evaluation of `query` in format fmt. */
int policy_print_result(const rego_result *r, const char *query, enum out_format fmt);

/* Prints an error as OPA does for format fmt (JSON errors go to stdout). */
void policy_print_error(const cc_error *err, enum out_format fmt);

/* `cocoon policy fmt` (policy_fmt.c). */
int policy_fmt(int argc, char **argv);

/* `cocoon policy test-suite`. */
int policy_test_suite(int argc, char **argv);

#endif
