/* libFuzzer target: the jwt builtin group (lib/rego/bi/jwt*.c) on hostile
 * tokens and keys: compact JWS splitting, Go-style base64url, header and
 * payload JSON, nested tokens, PEM certificates and public keys, JWKs and
 * JWK sets into OpenSSL keys, signature checks, constraints, signing.
 *
 * Input: byte 0 picks one of the enabled io.jwt.* builtins (in table
 * order; none when the group is left out of the build), byte 1 holds
 * flags, then up to four strings separated by NUL bytes. The strings are
 * the builtin's string arguments in order; encode_sign reads its three as
 * JSON (and skips the input when one is not JSON); decode_verify takes the
 * token and builds its constraints from the flags: bit 0 "cert" (else
 * "secret") = string 2, bit 1 "iss" = string 3, bit 2 "aud" = string 4,
 * bit 3 "alg" = "RS256", bit 4 "time" = 0, bit 5 "time" = 2e18.
 * Seed corpus: fuzz/corpus/rego_jwt/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "rego/convert.h"
#include "rego/rctx.h"

#define FUZZ_ARENA_LIMIT (32u * 1024u * 1024u)

static const rv *constraints(rarena *a, unsigned flags, const rv *const *s)
{
	const rv *k[5], *v[5];
	size_t n = 0;
	k[n] = rv_cstr(a, flags & 1 ? "cert" : "secret");
	v[n++] = s[1];
	if (flags & 2)
		k[n] = rv_cstr(a, "iss"), v[n++] = s[2];
	if (flags & 4)
		k[n] = rv_cstr(a, "aud"), v[n++] = s[3];
	if (flags & 8)
		k[n] = rv_cstr(a, "alg"), v[n++] = rv_cstr(a, "RS256");
	if (flags & 48)
		k[n] = rv_cstr(a, "time"), v[n++] = rv_int(a, flags & 16 ? 0 : 2000000000000000000LL);
	for (size_t i = 0; i < n; i++)
		if (k[i] == NULL || v[i] == NULL)
			return NULL;
	return rv_obj(a, k, v, n, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rbi *group[32];
	size_t nb = 0;
	for (size_t i = 0; rbi_at(i) && nb < 32; i++)
		if (strncmp(rbi_at(i)->name, "io.jwt.", 7) == 0)
			group[nb++] = rbi_at(i);
	if (size < 2 || nb == 0)
		return 0;
	const struct rbi *b = group[data[0] % nb];
	unsigned flags = data[1];
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return 0;
	rctx cx;
	rctx_init(&cx, a, NULL);
	cx.fname = b->name;
	const rv *s[4] = {rv_empty_str(), rv_empty_str(), rv_empty_str(), rv_empty_str()};
	const char *p = (const char *)data + 2;
	size_t left = size - 2;
	for (unsigned i = 0; i < 4 && left > 0; i++) {
		const char *end = memchr(p, '\0', left);
		size_t n = end ? (size_t)(end - p) : left;
		if ((s[i] = rv_str(a, p, n)) == NULL)
			goto out;
		p += n + (end ? 1 : 0);
		left -= n + (end ? 1 : 0);
	}
	const rv *args[RBI_MAX_ARGS] = {s[0], s[1], s[2], s[3]};
	if (strcmp(b->name, "io.jwt.decode_verify") == 0) {
		if ((args[1] = constraints(a, flags, s)) == NULL)
			goto out;
	} else if (strcmp(b->name, "io.jwt.encode_sign") == 0) {
		for (unsigned i = 0; i < 3; i++) {
			cc_error *e = NULL;
			int r = rv_from_json_text(a, s[i]->u.s.p, s[i]->u.s.n, &args[i], &e);
			cc_error_free(e);
			if (r < 0 || args[i]->t != RV_OBJ)
				goto out;
		}
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
