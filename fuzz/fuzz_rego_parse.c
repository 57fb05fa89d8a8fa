/* libFuzzer target: the Rego lexer and parser (lib/rego/parser.h).
 *
 * Each input is parsed as a Rego v1 module, as a v0 module, as a query and
 * as a single term, each in a fresh arena with a byte limit so that
 * allocation failures are exercised too. Every successful parse is printed
 * back with ast_print, which walks the whole AST. Seed corpus:
 * fuzz/corpus/rego_parse/.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "rego/ast_print.h"
#include "rego/parser.h"

/* Generous for the small inputs libFuzzer makes; big enough that most
 * parses succeed, small enough that huge expansions hit the limit. */
#define FUZZ_ARENA_LIMIT (64u * 1024u * 1024u)

static void run(const char *src, size_t len, int mode)
{
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return;
	cc_error *err = NULL;
	cc_buf out;
	cc_buf_init(&out, 1u << 24);
	struct rparse_opts opts = {.v0 = mode == 1};
	if (mode <= 1) {
		ast_module *m = NULL;
		if (rparse_module(a, "fuzz.rego", src, len, &opts, &m, &err) == 0)
			(void)ast_print_module(m, &out);
	} else if (mode == 2) {
		ast_body *b = NULL;
		if (rparse_query(a, "fuzz", src, len, &opts, &b, &err) == 0)
			(void)ast_print_body(b, &out);
	} else {
		ast_term *t = NULL;
		if (rparse_term(a, "fuzz", src, len, &opts, &t, &err) == 0)
			(void)ast_print_term(t, &out);
	}
	cc_error_free(err);
	cc_buf_free(&out);
	rarena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	for (int mode = 0; mode < 4; mode++)
		run(src, size, mode);
	return 0;
}
