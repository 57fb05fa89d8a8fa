/* libFuzzer target: METADATA annotations (lib/rego/annotations.c: comment
 * scanning, the YAML of a block, scopes and attachment), rego.metadata.*
 * at compile time (lib/rego/bi/metadata.c) and rego.parse_module's AST JSON
 * (lib/rego/ast_json.c), on hostile policy text.
 *
 * Input: one mode byte, then text. Mode even: the text is a whole module,
 * which is parsed with annotations, compiled (rego.metadata.* rewritten)
 * and given to rego.parse_module (no annotations, AST JSON). Mode odd: the
 * text is the YAML of one METADATA block: each line becomes a `# ` comment
 * of a module whose rule calls rego.metadata.chain() and
 * rego.metadata.rule(), which is then evaluated. Nothing runs when the
 * metadata group is left out of the build (the builtin is looked up by
 * name, so the target still links). Seed corpus: fuzz/corpus/rego_metadata/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/rego.h"
#include "fuzz.h"
#include "rego/bi.h"
#include "rego/rctx.h"

#define FUZZ_ARENA_LIMIT (64u * 1024u * 1024u)
#define FUZZ_MAX_INPUT (256u * 1024u)

static void eval_module(const char *src, size_t n, const char *query)
{
	struct rego_options o;
	rego_options_default(&o);
	o.max_steps = 200000;
	rego_engine *e = rego_engine_new(&o);
	if (e == NULL)
		return;
	cc_error *err = NULL;
	const rego_result *res = NULL;
	if (rego_engine_add_policy(e, "f.rego", src, n, &err) == 0 && rego_engine_compile(e, &err) == 0 &&
	    query != NULL)
		(void)rego_engine_eval(e, query, &res, &err);
	cc_error_free(err);
	rego_engine_free(e);
}

/* rego.parse_module through the builtin table (the group may be left out
 * of the build: then nothing here runs, and nothing of it is linked). */
static void parse_module(const struct rbi *b, const char *src, size_t n)
{
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return;
	const rv *args[RBI_MAX_ARGS] = {rv_cstr(a, "f.rego"), rv_str(a, src, n)};
	if (args[0] && args[1]) {
		rctx cx;
		rctx_init(&cx, a, NULL);
		cx.fname = b->name;
		const rv *ret = NULL;
		if (b->fn(&cx, args, &ret) == 0 && ret != NULL) {
			cc_buf out = {0};
			(void)rv_to_json(ret, &out, false);
			cc_buf_free(&out);
		}
		rctx_fini(&cx);
	}
	rarena_free(a);
}

/* The module around one METADATA block holding text. */
static char *wrap_yaml(const char *p, size_t n, size_t *outn)
{
	static const char head[] = "package f\n\n# METADATA\n";
	static const char tail[] = "\np := [rego.metadata.chain(), rego.metadata.rule()]\n";
	size_t lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += p[i] == '\n';
	size_t cap = sizeof(head) + sizeof(tail) + n + 2 * lines + 1;
	char *s = malloc(cap);
	if (s == NULL)
		return NULL;
	size_t o = sizeof(head) - 1;
	memcpy(s, head, o);
	s[o++] = '#';
	s[o++] = ' ';
	for (size_t i = 0; i < n; i++) {
		s[o++] = p[i];
		if (p[i] == '\n') {
			s[o++] = '#';
			s[o++] = ' ';
		}
	}
	memcpy(s + o, tail, sizeof(tail) - 1);
	o += sizeof(tail) - 1;
	*outn = o;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rbi *b = rbi_lookup("rego.parse_module", 17);
	if (b == NULL || size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	if ((data[0] & 1) == 0) {
		eval_module(p, n, NULL);
		parse_module(b, p, n);
		return 0;
	}
	size_t mn;
	char *m = wrap_yaml(p, n, &mn);
	if (m != NULL)
		eval_module(m, mn, "data.f.p");
	free(m);
	return 0;
}
