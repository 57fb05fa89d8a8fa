/* libFuzzer target: the whole Rego engine on a hostile policy and input
 * (compiler and evaluator, lib/rego/compile*.c, eval*.c).
 *
 * Input: a Rego module, optionally followed by a line "---" and a JSON input
 * document. The first byte chooses Rego v0 ('0') or v1 syntax. The engine
 * evaluates `data` (every rule of every package) and `data.fuzz` with tight
 * limits, so runaway recursion, huge values and deep nesting must end in a
 * clean error. Seed corpus: fuzz/corpus/rego_eval/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/rego.h"
#include "fuzz.h"

static const char *find_sep(const char *p, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++)
		if (p[i] == '\n' && memcmp(p + i, "\n---\n", 5) == 0)
			return p + i;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct rego_options o;
	rego_options_default(&o);
	o.v0 = size > 0 && p[0] == '0';
	o.max_steps = 200000;
	o.max_memory = 32u * 1024u * 1024u;
	o.max_depth = 64;
	o.max_stack = 1u << 20;
	o.strict_builtin_errors = size > 1 && p[1] == 's';
	rego_engine *e = rego_engine_new(&o);
	if (e == NULL)
		return 0;
	const char *sep = find_sep(p, size);
	size_t plen = sep ? (size_t)(sep - p) : size;
	cc_error *err = NULL;
	if (rego_engine_add_policy(e, "fuzz.rego", p, plen, &err) == 0) {
		if (sep)
			rego_engine_set_input_json(e, sep + 5, size - plen - 5, &err);
		cc_error_free(err);
		err = NULL;
		const rego_result *r;
		static const char *const queries[] = {"data", "data.fuzz", "x := data.fuzz[_]"};
		for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
			if (rego_engine_eval(e, queries[i], &r, &err) == 0 && rego_result_rows(r) > 0) {
				char *v = rego_result_value_json(r, 0, 0);
				free(v);
			}
			cc_error_free(err);
			err = NULL;
		}
	}
	cc_error_free(err);
	rego_engine_free(e);
	return 0;
}
