/* libFuzzer target: every enabled builtin on hostile arguments
 * (lib/rego/bi/). Builtins parse strings that come straight from the
 * untrusted input document: base64/hex/url decoding, to_number, regex and
 * glob subjects and patterns, sprintf formats, time layouts, semver,
 * units, CIDRs, JSON/YAML text.
 *
 * Input: byte 0 picks the builtin, then up to RBI_MAX_ARGS arguments
 * separated by NUL bytes; an argument that is valid JSON is that value,
 * anything else is a string. The evaluation arena has a byte limit, so
 * out-of-memory paths run too. Seed corpus: fuzz/corpus/rego_builtins/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "rego/convert.h"
#include "rego/rctx.h"

#define FUZZ_ARENA_LIMIT (32u * 1024u * 1024u)

static size_t nbuiltins(void)
{
	size_t n = 0;
	while (rbi_at(n))
		n++;
	return n;
}

static int emit_count(rctx *cx, const rv *out, void *arg)
{
	(void)cx;
	(void)out;
	return ++*(size_t *)arg > 100000 ? 1 : 0;
}

static const rv *arg_value(rarena *a, const char *p, size_t n)
{
	const rv *v = NULL;
	cc_error *err = NULL;
	if (rv_from_json_text(a, p, n, &v, &err) < 0)
		v = rv_str(a, p, n);
	cc_error_free(err);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nb = nbuiltins();
	if (size < 1 || nb == 0)
		return 0;
	const struct rbi *b = rbi_at(data[0] % nb);
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return 0;
	struct rstate st;
	memset(&st, 0, sizeof(st));
	rctx cx;
	rctx_init(&cx, a, &st);
	cx.fname = b->name;
	const rv *args[RBI_MAX_ARGS] = {0};
	const char *p = (const char *)data + 1;
	size_t left = size - 1;
	for (unsigned i = 0; i < b->arity; i++) {
		const char *end = memchr(p, '\0', left);
		size_t n = end ? (size_t)(end - p) : left;
		args[i] = arg_value(a, p, n);
		if (args[i] == NULL)
			goto out;
		p += n + (end ? 1 : 0);
		left -= n + (end ? 1 : 0);
	}
	if (b->flags & RBI_REL) {
		size_t count = 0;
		b->rel(&cx, args, emit_count, &count);
	} else {
		const rv *ret = NULL;
		if (b->fn(&cx, args, &ret) == 0 && ret != NULL) {
			cc_buf out;
			cc_buf_init(&out, 1u << 24);
			rv_to_json(ret, &out, false);
			cc_buf_free(&out);
		}
	}
out:
	rctx_fini(&cx);
	rstate_fini(&st);
	rarena_free(a);
	return 0;
}
