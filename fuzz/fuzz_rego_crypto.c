/* libFuzzer target: the crypto builtin group's parsers (lib/rego/bi/
 * crypto*.c) on hostile strings: PEM blocks, base64 (Go's rules), DER
 * certificates, chains, CSRs, key pairs and private keys, and the value
 * builders that turn them into Go-shaped JSON.
 *
 * Input: byte 0 picks one of the enabled crypto.* builtins (in table
 * order; none when the group is left out of the build), byte 1 bit i set
 * means argument i is base64-encoded first (so raw DER reaches the DER
 * paths), then the arguments separated by NUL bytes, as strings. Seed
 * corpus: fuzz/corpus/rego_crypto/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "rego/rctx.h"

#define FUZZ_ARENA_LIMIT (32u * 1024u * 1024u)

static const rv *arg_value(rarena *a, const char *p, size_t n, bool b64)
{
	if (!b64 || n > (1u << 20))
		return rv_str(a, p, n);
	char *buf = rarena_alloc(a, (n + 2) / 3 * 4 + 1);
	if (buf == NULL)
		return NULL;
	int m = n ? EVP_EncodeBlock((unsigned char *)buf, (const unsigned char *)p, (int)n) : 0;
	return rv_str(a, buf, (size_t)m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rbi *group[32];
	size_t nb = 0;
	for (size_t i = 0; rbi_at(i) && nb < 32; i++)
		if (strncmp(rbi_at(i)->name, "crypto.", 7) == 0)
			group[nb++] = rbi_at(i);
	if (size < 2 || nb == 0)
		return 0;
	const struct rbi *b = group[data[0] % nb];
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return 0;
	rctx cx;
	rctx_init(&cx, a, NULL);
	cx.fname = b->name;
	const rv *args[RBI_MAX_ARGS] = {0};
	const char *p = (const char *)data + 2;
	size_t left = size - 2;
	for (unsigned i = 0; i < b->arity; i++) {
		const char *end = memchr(p, '\0', left);
		size_t n = end ? (size_t)(end - p) : left;
		args[i] = arg_value(a, p, n, data[1] & (1u << i));
		if (args[i] == NULL)
			goto out;
		p += n + (end ? 1 : 0);
		left -= n + (end ? 1 : 0);
	}
	const rv *ret = NULL;
	if (b->fn(&cx, args, &ret) == 0 && ret != NULL) {
		cc_buf out;
		cc_buf_init(&out, 1u << 24);
		rv_to_json(ret, &out, false);
		cc_buf_free(&out);
	}
out:
	rctx_fini(&cx);
	rarena_free(a);
	return 0;
}
