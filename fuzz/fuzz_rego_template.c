/* libFuzzer target: strings.render_template (lib/rego/bi/template.c), the
 * Go text/template subset parser and executor, on hostile templates and
 * variables.
 *
 * Input: the template text, a NUL byte, the variables as JSON text (an
 * object; anything else is replaced by {}). Nothing runs when the group is
 * left out of the build. Seed corpus: fuzz/corpus/rego_template/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "rego/convert.h"
#include "rego/rctx.h"

#define FUZZ_ARENA_LIMIT (64u * 1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rbi *b = rbi_lookup("strings.render_template", 23);
	if (b == NULL)
		return 0;
	const char *p = (const char *)data;
	const char *nul = memchr(p, '\0', size);
	size_t tn = nul ? (size_t)(nul - p) : size;
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return 0;
	const rv *vars = NULL;
	if (nul) {
		cc_error *e = NULL;
		if (rv_from_json_text(a, nul + 1, size - tn - 1, &vars, &e) < 0 || vars->t != RV_OBJ)
			vars = NULL;
		cc_error_free(e);
	}
	const rv *args[RBI_MAX_ARGS] = {rv_str(a, p, tn), vars ? vars : rv_empty_obj()};
	if (args[0]) {
		rctx cx;
		rctx_init(&cx, a, NULL);
		cx.fname = b->name;
		const rv *ret = NULL;
		(void)b->fn(&cx, args, &ret);
		rctx_fini(&cx);
	}
	rarena_free(a);
	return 0;
}
