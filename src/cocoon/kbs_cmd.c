/* `cocoon kbs`: Trustee kbs-client's verbs and flags (trustee.md §6;
 * docs/man/cocoon-kbs-client.md). This file: the dispatch, `attest` and
 * `get-resource`; kbs_cmd_config.c has `config`. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "jose_util.h"
#include "kbs_cli.h"
#include "kbs_client.h"
#include "sample_attester.h"
#include "tpm.h"

static void usage_kbs(FILE *f)
{
	fputs("Usage: cocoon kbs [--url URL] [--cert-file PEM] COMMAND [OPTIONS]\n"
	      "\n"
	      "A client of a Trustee-compatible Key Broker Service (cocoon-kbs or Trustee's\n"
	      "KBS), with kbs-client's commands and flags.\n"
	      "\n"
	      "Commands:\n"
	      "  attest          attest (RCAR) and print the attestation token\n"
	      "  get-resource    attest, fetch a resource and print it (base64)\n"
	      "  config          administer the KBS: resources, policies, reference values\n"
	      "\n"
	      "Options (also accepted after the command):\n"
	      "      --url URL         the KBS (default " KBS_DEFAULT_URL ")\n"
	      "      --cert-file PEM   root certificate(s) of the KBS's HTTPS certificate\n"
	      "  -h, --help            show this help\n"
	      "\n"
	      "Run 'cocoon kbs COMMAND --help' for a command's options.\n",
	      f);
}

#define TEE_OPTIONS_HELP                                                                           \
	"      --tee sample|tpm          the attester (default sample)\n"                          \
	"      --tpm-tcti SPEC           TCTI of the TPM (tpm2-tss syntax, e.g.\n"                 \
	"                                device:/dev/tpmrm0 or\n"                                  \
	"                                swtpm:host=127.0.0.1,port=2321; default: tpm2-tss's)\n"   \
	"      --tpm-ak-handle H         persistent handle of the AK (default 0x81010002)\n"       \
	"      --tpm-create-ak           create the AK at that handle if it holds none\n"         \
	"      --tee-key-file PEM        the TEE key (RSA, or EC P-256/P-521) whose public\n"      \
	"                                part the token binds (default: a new EC P-256 key)\n"     \
	"      --init-data FILE          init-data (TOML) sent with the evidence; INIT_DATA\n"     \
	"                                gives its text on the command line instead\n"

static void usage_attest(FILE *f)
{
	fputs("Usage: cocoon kbs attest [OPTIONS] [INIT_DATA]\n"
	      "\n"
	      "Runs Request-Challenge-Attestation (protocol " KBS_PROTOCOL_VERSION ") with the KBS\n"
	      "and prints the attestation token it returns.\n"
	      "\n"
	      "Options:\n" TEE_OPTIONS_HELP "  -h, --help                    show this help\n"
	      "\n"
	      "Exit status: 0 on success, 1 on failure (the KBS's error detail is shown),\n"
	      "2 on bad usage.\n",
	      f);
}

static void usage_get_resource(FILE *f)
{
	fputs("Usage: cocoon kbs get-resource --path REPO/TYPE/TAG [OPTIONS] [INIT_DATA]\n"
	      "\n"
	      "Fetches a resource, decrypts the KBS's answer (a JWE to the TEE key) and\n"
	      "prints the resource in base64. Without --attestation-token it attests\n"
	      "first (RCAR); a 401 starts a new attestation, three GETs at most.\n"
	      "\n"
	      "Options:\n"
	      "      --path PATH               the resource (repository/type/tag)\n"
	      "      --attestation-token FILE  use this token (Bearer) instead of attesting;\n"
	      "                                needs --tee-key-file, the key the token binds\n"
	      "      --output FILE             write the raw bytes to FILE (mode 0600; - for\n"
	      "                                standard output) instead of base64\n" TEE_OPTIONS_HELP
	      "  -h, --help                    show this help\n",
	      f);
}

bool kbs_global_opt(int c, const char *arg, struct kbs_global *g)
{
	if (c == KBS_OPT_URL)
		g->url = arg;
	else if (c == KBS_OPT_CERT_FILE)
		g->cert_file = arg;
	else
		return false;
	return true;
}

int kbs_fail(const char *verb, cc_error *err)
{
	fprintf(stderr, "cocoon kbs %s: %s\n", verb, cc_error_message(err));
	cc_error_free(err);
	return 1;
}

/* What attest and get-resource share. */
struct tee_args {
	const char *tee, *tcti, *ak_handle, *key_file, *init_file, *init_text;
	bool create_ak;
};

enum {
	OPT_TEE = 320,
	OPT_TCTI,
	OPT_AK_HANDLE,
	OPT_CREATE_AK,
	OPT_KEY_FILE,
	OPT_INIT_DATA,
	OPT_PATH,
	OPT_TOKEN,
	OPT_OUTPUT,
};

#define TEE_LONGOPTS                                                                               \
	{"tee", required_argument, NULL, OPT_TEE}, {"tpm-tcti", required_argument, NULL, OPT_TCTI}, \
	    {"tpm-ak-handle", required_argument, NULL, OPT_AK_HANDLE},                             \
	    {"tpm-create-ak", no_argument, NULL, OPT_CREATE_AK},                                   \
	    {"tee-key-file", required_argument, NULL, OPT_KEY_FILE},                               \
	{                                                                                          \
		"init-data", required_argument, NULL, OPT_INIT_DATA                                \
	}

static bool tee_opt(int c, const char *arg, struct tee_args *t)
{
	switch (c) {
	case OPT_TEE: t->tee = arg; return true;
	case OPT_TCTI: t->tcti = arg; return true;
	case OPT_AK_HANDLE: t->ak_handle = arg; return true;
	case OPT_CREATE_AK: t->create_ak = true; return true;
	case OPT_KEY_FILE: t->key_file = arg; return true;
	case OPT_INIT_DATA: t->init_file = arg; return true;
	default: return false;
	}
}

static int make_attester(const struct tee_args *t, attest_attester **ret, cc_error **err)
{
	if (strcmp(t->tee, "sample") == 0)
		return sample_attester_new(ret, err);
	if (strcmp(t->tee, "tpm") != 0)
		return cc_error_set(err, -EINVAL, "--tee %s: expected sample or tpm", t->tee);
	uint32_t handle = TPM_AK_HANDLE_DEFAULT;
	if (t->ak_handle != NULL) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(t->ak_handle, &end, 16);
		if (errno || end == t->ak_handle || *end || v < 0x81000000ul || v > 0x81ffffffUL)
			return cc_error_set(err, -EINVAL,
			                    "--tpm-ak-handle %s: expected a persistent handle "
			                    "(0x81000000..0x81ffffff)",
			                    t->ak_handle);
		handle = (uint32_t)v;
	}
	return tpm_attester_new(t->tcti, handle, t->create_ak ? TPM_ATTESTER_CREATE_AK : 0, ret,
	                        err);
}

/* The TEE key (given or new), the attester and the init-data. */
struct tee_ctx {
	attest_attester *attester;
	cj_jwk *key;
	char *init_data;
	size_t init_len;
};

static void tee_ctx_clear(struct tee_ctx *c)
{
	attest_attester_free(c->attester);
	cj_jwk_free(c->key);
	cj_free_secret(c->init_data, c->init_len);
	memset(c, 0, sizeof(*c));
}

static int load_key(const char *path, cj_jwk **ret, cc_error **err)
{
	char *pem = NULL;
	size_t n = 0;
	int r = cc_read_file(path, CC_KBS_CLIENT_MAX_FILE_BYTES, KBS_CLIENT_READ, &pem, &n, err);
	if (r < 0)
		return cc_error_wrap(err, "--tee-key-file");
	r = kbs_tee_key_from_pem(pem, n, path, ret, err);
	cj_free_secret(pem, n);
	return r;
}

static int tee_ctx_init(const struct tee_args *t, bool need_attester, struct tee_ctx *c,
                        cc_error **err)
{
	memset(c, 0, sizeof(*c));
	int r = 0;
	if (t->init_file != NULL)
		r = cc_read_file(t->init_file, CC_KBS_CLIENT_MAX_FILE_BYTES, KBS_CLIENT_READ,
		                 &c->init_data, &c->init_len, err);
	else if (t->init_text != NULL) {
		c->init_len = strlen(t->init_text);
		if ((c->init_data = strdup(t->init_text)) == NULL)
			r = cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (r >= 0)
		r = t->key_file != NULL ? load_key(t->key_file, &c->key, err)
		                        : kbs_tee_key_generate(&c->key, err);
	if (r >= 0 && need_attester)
		r = make_attester(t, &c->attester, err);
	if (r < 0)
		tee_ctx_clear(c);
	return r;
}

/* Parses argv with the TEE options plus extra; returns -1 (usage printed),
 * 0 on --help (printed) or 1 to go on. *positional: the one optional
 * INIT_DATA. */
typedef bool (*extra_opt_fn)(int c, const char *arg, void *ctx);

static int parse_tee_verb(int argc, char **argv, const struct option *opts,
                          void (*usage)(FILE *), struct kbs_global *g, struct tee_args *t,
                          extra_opt_fn extra, void *ctx)
{
	int c;
	optind = 0; /* 0: GNU getopt's full reset (cmd_kbs parses with "+") */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (kbs_global_opt(c, optarg, g) || tee_opt(c, optarg, t) ||
		    (extra != NULL && extra(c, optarg, ctx)))
			continue;
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return -1;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "cocoon kbs %s: unexpected argument '%s' (see --help)\n", argv[0],
		        argv[optind + 1]);
		return -1;
	}
	if (argc - optind == 1)
		t->init_text = argv[optind];
	if (t->init_file != NULL && t->init_text != NULL) {
		fprintf(stderr, "cocoon kbs %s: give init-data as --init-data FILE or as INIT_DATA, "
		                "not both\n",
		        argv[0]);
		return -1;
	}
	return 1;
}

static int cmd_attest(struct kbs_global *g, int argc, char **argv)
{
	static const struct option opts[] = {TEE_LONGOPTS, KBS_GLOBAL_LONGOPTS, {NULL, 0, NULL, 0}};
	struct tee_args t = {.tee = "sample"};
	int p = parse_tee_verb(argc, argv, opts, usage_attest, g, &t, NULL, NULL);
	if (p <= 0)
		return p < 0 ? 2 : 0;
	cc_error *err = NULL;
	struct tee_ctx c;
	kbs_http *h = NULL;
	char *token = NULL;
	int r = tee_ctx_init(&t, true, &c, &err);
	if (r >= 0)
		r = kbs_http_new(g->url, g->cert_file, &h, &err);
	struct kbs_rcar o = {c.attester, c.key, c.init_data, c.init_len};
	if (r >= 0)
		r = kbs_rcar_token(h, &o, &token, &err);
	kbs_http_free(h);
	tee_ctx_clear(&c);
	if (r < 0)
		return kbs_fail("attest", err);
	printf("%s\n", token);
	cj_free_secret(token, strlen(token));
	return fflush(stdout) == 0 ? 0 : 1;
}

struct get_args {
	const char *path, *token_file, *output;
};

static bool get_opt(int c, const char *arg, void *ctx)
{
	struct get_args *a = ctx;
	switch (c) {
	case OPT_PATH: a->path = arg; return true;
	case OPT_TOKEN: a->token_file = arg; return true;
	case OPT_OUTPUT: a->output = arg; return true;
	default: return false;
	}
}

/* Reads a token file: whitespace around it dropped (as kbs-client's
 * trim()), visible ASCII inside. */
static int read_token(const char *path, const char *what, char **ret, cc_error **err)
{
	char *t = NULL;
	size_t n = 0;
	int r = cc_read_file(path, CC_JOSE_MAX_TOKEN_BYTES + 4096, KBS_CLIENT_READ, &t, &n, err);
	if (r < 0)
		return cc_error_wrap(err, "%s", what);
	size_t s = 0, e = n;
	while (s < e && strchr(" \t\r\n", t[s]) != NULL)
		s++;
	while (e > s && strchr(" \t\r\n", t[e - 1]) != NULL)
		e--;
	r = kbs_token_check(t + s, e - s, path, err);
	if (r >= 0) {
		memmove(t, t + s, e - s);
		memset(t + (e - s), 0, n - (e - s) + 1);
		*ret = t;
		return 0;
	}
	cj_free_secret(t, n);
	return r;
}

/* Writes the resource: base64 on standard output (kbs-client's output),
 * or its bytes to a file created 0600 (or standard output for "-"). */
static int write_resource(const char *output, const unsigned char *p, size_t n, cc_error **err)
{
	if (output == NULL) {
		char *b64 = cj_b64_encode(p, n);
		if (b64 == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		int ok = printf("%s\n", b64) >= 0 && fflush(stdout) == 0;
		cj_free_secret(b64, strlen(b64));
		return ok ? 0 : cc_error_set(err, -EIO, "writing to standard output failed");
	}
	bool std = strcmp(output, "-") == 0;
	int fd = std ? STDOUT_FILENO
	             : open(output, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cc_error_set(err, -errno, "--output %s: %s", output, strerror(errno));
	int r = 0;
	for (size_t off = 0; off < n && r == 0;) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno != EINTR)
			r = cc_error_set(err, -errno, "--output %s: %s", output, strerror(errno));
		else if (w > 0)
			off += (size_t)w;
	}
	if (!std && close(fd) < 0 && r == 0)
		r = cc_error_set(err, -errno, "--output %s: %s", output, strerror(errno));
	return r;
}

static int cmd_get_resource(struct kbs_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"path", required_argument, NULL, OPT_PATH},
	    {"attestation-token", required_argument, NULL, OPT_TOKEN},
	    {"output", required_argument, NULL, OPT_OUTPUT},
	    TEE_LONGOPTS,
	    KBS_GLOBAL_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct tee_args t = {.tee = "sample"};
	struct get_args a = {0};
	int p = parse_tee_verb(argc, argv, opts, usage_get_resource, g, &t, get_opt, &a);
	if (p <= 0)
		return p < 0 ? 2 : 0;
	if (a.path == NULL) {
		fprintf(stderr, "cocoon kbs get-resource: --path is required (see --help)\n");
		return 2;
	}
	if (a.token_file != NULL && t.key_file == NULL) {
		fprintf(stderr, "cocoon kbs get-resource: --attestation-token needs --tee-key-file, "
		                "the key whose public part the token binds\n");
		return 2;
	}
	cc_error *err = NULL;
	struct tee_ctx c;
	kbs_http *h = NULL;
	char *token = NULL;
	unsigned char *res = NULL;
	size_t n = 0;
	int r = tee_ctx_init(&t, a.token_file == NULL, &c, &err);
	if (r >= 0 && a.token_file != NULL)
		r = read_token(a.token_file, "--attestation-token", &token, &err);
	if (r >= 0)
		r = kbs_http_new(g->url, g->cert_file, &h, &err);
	struct kbs_rcar o = {c.attester, c.key, c.init_data, c.init_len};
	if (r >= 0)
		r = kbs_get_resource(h, a.path, token == NULL ? &o : NULL, token, c.key, &res, &n,
		                     &err);
	if (r >= 0)
		r = write_resource(a.output, res, n, &err);
	cj_free_secret(res, n);
	if (token != NULL)
		cj_free_secret(token, strlen(token));
	kbs_http_free(h);
	tee_ctx_clear(&c);
	return r < 0 ? kbs_fail("get-resource", err) : 0;
}

int cmd_kbs(int argc, char **argv)
{
	static const struct option opts[] = {KBS_GLOBAL_LONGOPTS, {NULL, 0, NULL, 0}};
	struct kbs_global g = {.url = KBS_DEFAULT_URL};
	int c;
	optind = 0; /* 0: GNU getopt's full reset (cmd_kbs parses with "+") */
	/* "+": stop at the verb; its own options follow it */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (kbs_global_opt(c, optarg, &g))
			continue;
		if (c == 'h') {
			usage_kbs(stdout);
			return 0;
		}
		usage_kbs(stderr);
		return 2;
	}
	if (optind >= argc) {
		usage_kbs(stderr);
		return 2;
	}
	const char *verb = argv[optind];
	int vargc = argc - optind;
	char **vargv = argv + optind;
	if (strcmp(verb, "help") == 0) {
		usage_kbs(stdout);
		return 0;
	}
	if (strcmp(verb, "attest") == 0)
		return cmd_attest(&g, vargc, vargv);
	if (strcmp(verb, "get-resource") == 0)
		return cmd_get_resource(&g, vargc, vargv);
	if (strcmp(verb, "config") == 0)
		return kbs_cmd_config(&g, vargc, vargv);
	fprintf(stderr, "cocoon kbs: unknown command '%s' (see cocoon kbs --help)\n", verb);
	return 2;
}
