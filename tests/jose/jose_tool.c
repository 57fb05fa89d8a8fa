/* jose_tool: a small front to libcocoon-jose for tests/jose/test_interop.py
 * (not installed). Input on stdin, output on stdout, errors on stderr with
 * exit status 1.
 *
 *   jose_tool genkey p256|p384|p521|rsa2048|ed25519 [ALG]  -> private JWK
 *   jose_tool public JWK_FILE                  -> public JWK
 *   jose_tool tee-pubkey JWK_FILE              -> the KBS tee-pubkey object
 *   jose_tool encrypt JWK_FILE < plaintext     -> flattened JWE
 *   jose_tool decrypt JWK_FILE < JWE           -> plaintext ("legacy" on stderr for RSA1_5)
 *   jose_tool sign JWK_FILE [--embed] [--kid] < claims -> compact JWT
 *   jose_tool verify JWK_FILE < JWT            -> claims (exp checked at now)
 *   jose_tool jcs < JSON                       -> canonical JSON
 *   jose_tool es6 HEX64...                     -> one ECMAScript number per line
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jcs_int.h"
#include "jose_jcs.h"
#include "jose_jwe.h"
#include "jose_jwt.h"

#define TOOL_MAX_INPUT (64u * 1024u * 1024u)

static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	while (buf != NULL) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0 || n > TOOL_MAX_INPUT)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static cj_jwk *load_key(const char *path, cc_error **err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		cc_error_set(err, -errno, "%s: cannot open", path);
		return NULL;
	}
	size_t n = 0;
	char *text = slurp(f, &n);
	fclose(f);
	cj_jwk *k = NULL;
	if (text != NULL && cj_jwk_parse(text, n, &k, err) < 0)
		cc_error_wrap(err, "%s", path);
	free(text);
	return k;
}

static int print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);
	if (s == NULL)
		return 1;
	puts(s);
	free(s);
	return 0;
}

static int genkey(int argc, char **argv, cc_error **err)
{
	static const char *const names[] = {"p256", "p384", "p521", "rsa2048", "rsa3072",
	                                    "rsa4096", "ed25519"};
	for (size_t i = 0; argc > 2 && i < sizeof(names) / sizeof(*names); i++) {
		if (strcmp(argv[2], names[i]) != 0)
			continue;
		cj_jwk *k = NULL;
		json_t *j = NULL;
		int r = cj_jwk_generate((enum cj_keygen)i, argc > 3 ? argv[3] : NULL, &k, err);
		if (r == 0)
			r = cj_jwk_to_json(k, CJ_JWK_PRIVATE, &j, err);
		cj_jwk_free(k);
		if (r == 0)
			r = print_json(j);
		json_decref(j);
		return r;
	}
	return cc_error_set(err, -EINVAL, "genkey: unknown kind");
}

static int with_key(const char *cmd, cj_jwk *k, const char *in, size_t n, unsigned flags,
                    cc_error **err)
{
	json_t *j = NULL;
	char *out = NULL;
	unsigned char *pt = NULL;
	size_t len = 0;
	bool legacy = false;
	int r = -EINVAL;
	if (strcmp(cmd, "public") == 0 && (r = cj_jwk_to_json(k, 0, &j, err)) == 0)
		r = print_json(j);
	else if (strcmp(cmd, "tee-pubkey") == 0 && (r = cj_jwk_to_tee_pubkey(k, &j, err)) == 0)
		r = print_json(j);
	else if (strcmp(cmd, "encrypt") == 0 &&
	         (r = cj_jwe_encrypt(k, in, n, &out, &len, &legacy, err)) == 0)
		fwrite(out, 1, len, stdout);
	else if (strcmp(cmd, "decrypt") == 0 &&
	         (r = cj_jwe_decrypt(k, in, n, &pt, &len, &legacy, err)) == 0)
		fwrite(pt, 1, len, stdout);
	else if (strcmp(cmd, "sign") == 0 && (j = json_loadb(in, n, JSON_REJECT_DUPLICATES, NULL)) &&
	         (r = cj_jwt_sign(k, NULL, flags, j, &out, err)) == 0)
		fputs(out, stdout);
	else if (strcmp(cmd, "verify") == 0) {
		char *pl = NULL;
		size_t pn = 0;
		r = cj_jws_verify(k, in, n, NULL, &pl, &pn, err);
		if (r == 0 && (j = json_loadb(pl, pn, JSON_REJECT_DUPLICATES, NULL)) == NULL)
			r = cc_error_set(err, -EINVAL, "verify: the payload is not JSON");
		if (r == 0)
			r = cj_jwt_check_claims(j, (int64_t)time(NULL), 0, 0, err);
		if (r == 0)
			r = print_json(j);
		free(pl);
	}
	if (legacy)
		fputs("legacy\n", stderr);
	json_decref(j);
	free(out);
	cj_free_secret(pt, len);
	return r;
}

static int run(int argc, char **argv, cc_error **err)
{
	const char *cmd = argv[1];
	if (strcmp(cmd, "genkey") == 0)
		return genkey(argc, argv, err);
	if (strcmp(cmd, "es6") == 0) {
		for (int i = 2; i < argc; i++) {
			uint64_t bits = strtoull(argv[i], NULL, 16);
			double d;
			char out[CJ_ES6_NUMBER_MAX];
			memcpy(&d, &bits, sizeof(d));
			cj_es6_number(d, out);
			puts(out);
		}
		return 0;
	}
	size_t n = 0;
	char *in = NULL;
	if (strcmp(cmd, "public") != 0 && strcmp(cmd, "tee-pubkey") != 0 &&
	    (in = slurp(stdin, &n)) == NULL)
		return cc_error_set(err, -ENOMEM, "cannot read stdin");
	int r;
	if (strcmp(cmd, "jcs") == 0) {
		json_t *v = json_loadb(in, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
		char *out = NULL;
		r = v ? cj_jcs_serialize(v, &out, NULL, err) : cc_error_set(err, -EINVAL, "bad JSON");
		if (r == 0)
			fputs(out, stdout);
		free(out);
		json_decref(v);
	} else if (argc < 3) {
		r = cc_error_set(err, -EINVAL, "%s: needs a JWK file", cmd);
	} else {
		cj_jwk *k = load_key(argv[2], err);
		unsigned flags = 0;
		for (int i = 3; i < argc; i++)
			flags |= strcmp(argv[i], "--embed") == 0 ? CJ_JWS_EMBED_JWK
			         : strcmp(argv[i], "--kid") == 0 ? CJ_JWS_KID
			                                         : 0;
		r = k ? with_key(cmd, k, in, n, flags, err) : -EINVAL;
		cj_jwk_free(k);
	}
	free(in);
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: jose_tool genkey|public|tee-pubkey|encrypt|decrypt|sign|verify|jcs|es6 "
		      "...\n",
		      stderr);
		return 2;
	}
	cc_error *err = NULL;
	int r = run(argc, argv, &err);
	if (r != 0) {
		fprintf(stderr, "jose_tool %s: %s\n", argv[1],
		        err ? cc_error_message(err) : "failed");
		cc_error_free(err);
		return 1;
	}
	return 0;
}
