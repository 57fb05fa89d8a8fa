/* `cocoon kbs config`: the KBS admin API with kbs-client's verbs
 * (trustee.md §1.2, §6), authenticated by an admin token (a file, or a
 * JWT signed here with --auth-private-key). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "jose_util.h"
#include "kbs_cli.h"
#include "kbs_client.h"

static void usage_config(FILE *f)
{
	fputs("Usage: cocoon kbs config [--admin-token-file FILE | --auth-private-key PEM]\n"
	      "                         COMMAND [OPTIONS]\n"
	      "\n"
	      "Administers the KBS. The admin token is sent as a Bearer token; it comes\n"
	      "from --admin-token-file (for cocoon-kbs: STATE_DIR/admin-token), else from\n"
	      "./kbs/config/docker-compose/admin-token, else from ~/.trustee/admin-token;\n"
	      "without any, requests are anonymous (for a KBS that allows them).\n"
	      "--auth-private-key signs a fresh admin JWT (EdDSA, 2 hours) with an Ed25519\n"
	      "key instead.\n"
	      "\n"
	      "Commands:\n"
	      "  set-resource --path REPO/TYPE/TAG --resource-file FILE\n"
	      "  delete-resource --path REPO/TYPE/TAG\n"
	      "  set-resource-policy (--policy-file FILE | --allow-all | --deny-all |\n"
	      "                       --affirming | --default)\n"
	      "  set-attestation-policy [--type rego] [--id default_cpu] --policy-file FILE\n"
	      "  set-sample-reference-value NAME VALUE [--as-integer | --as-bool]\n"
	      "                             [--as-single-value]\n"
	      "  get-reference-value --id ID\n"
	      "\n"
	      "Run 'cocoon kbs config COMMAND --help' for a command's options.\n",
	      f);
}

static const struct verb_help {
	const char *verb, *text;
} helps[] = {
    {"set-resource",
     "Usage: cocoon kbs config set-resource --path REPO/TYPE/TAG --resource-file FILE\n"
     "\n"
     "Stores the bytes of FILE as the resource REPO/TYPE/TAG (replacing it).\n"},
    {"delete-resource", "Usage: cocoon kbs config delete-resource --path REPO/TYPE/TAG\n"
                        "\n"
                        "Deletes the resource REPO/TYPE/TAG.\n"},
    {"set-resource-policy",
     "Usage: cocoon kbs config set-resource-policy (--policy-file FILE | --allow-all |\n"
     "                                               --deny-all | --affirming | --default)\n"
     "\n"
     "Sets the resource policy (Rego, data.policy.allow over the attestation token's\n"
     "claims). Built-in policies:\n"
     "  --allow-all    every request is allowed\n"
     "  --deny-all     nothing is released\n"
     "  --affirming    released when every submodule's ear.status is \"affirming\"\n"
     "  --default      the KBS's default: released to any attester but sample\n"},
    {"set-attestation-policy",
     "Usage: cocoon kbs config set-attestation-policy [--type rego] [--id ID]\n"
     "                                                --policy-file FILE\n"
     "\n"
     "Sets an attestation policy of the attestation service. ID is the policy for a\n"
     "TEE class (default default_cpu; default_gpu, ...).\n"},
    {"set-sample-reference-value",
     "Usage: cocoon kbs config set-sample-reference-value NAME VALUE\n"
     "                         [--as-integer | --as-bool] [--as-single-value]\n"
     "\n"
     "Registers reference value NAME with the RVPS's sample extractor. VALUE is a\n"
     "string unless --as-integer (32-bit) or --as-bool (true/false); it is stored as\n"
     "a one-element list unless --as-single-value.\n"},
    {"get-reference-value", "Usage: cocoon kbs config get-reference-value --id ID\n"
                            "\n"
                            "Prints the reference value stored as ID (JSON).\n"},
};

static void usage_verb(const char *verb, FILE *f)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].verb, verb) == 0) {
			fputs(helps[i].text, f);
			fputs("\nOptions of every command: --url URL, --cert-file PEM, -h/--help.\n", f);
			return;
		}
}

enum {
	OPT_ADMIN_TOKEN = 340,
	OPT_AUTH_KEY,
	OPT_PATH,
	OPT_RESOURCE_FILE,
	OPT_POLICY_FILE,
	OPT_ALLOW_ALL,
	OPT_DENY_ALL,
	OPT_AFFIRMING,
	OPT_DEFAULT,
	OPT_TYPE,
	OPT_ID,
	OPT_AS_INTEGER,
	OPT_AS_BOOL,
	OPT_AS_SINGLE,
};

/* Every flag of every verb; which ones a verb uses is checked after. */
struct cfg_args {
	const char *token_file, *auth_key;
	const char *path, *resource_file, *policy_file, *type, *id;
	int builtin; /* -1 none, else enum kbs_builtin_policy */
	int nbuiltin;
	bool as_integer, as_bool, as_single;
	const char *pos[2];
	int npos;
};

static const struct option cfg_opts[] = {
    {"admin-token-file", required_argument, NULL, OPT_ADMIN_TOKEN},
    {"auth-private-key", required_argument, NULL, OPT_AUTH_KEY},
    {"path", required_argument, NULL, OPT_PATH},
    {"resource-file", required_argument, NULL, OPT_RESOURCE_FILE},
    {"policy-file", required_argument, NULL, OPT_POLICY_FILE},
    {"allow-all", no_argument, NULL, OPT_ALLOW_ALL},
    {"deny-all", no_argument, NULL, OPT_DENY_ALL},
    {"affirming", no_argument, NULL, OPT_AFFIRMING},
    {"default", no_argument, NULL, OPT_DEFAULT},
    {"type", required_argument, NULL, OPT_TYPE},
    {"id", required_argument, NULL, OPT_ID},
    {"as-integer", no_argument, NULL, OPT_AS_INTEGER},
    {"as-bool", no_argument, NULL, OPT_AS_BOOL},
    {"as-single-value", no_argument, NULL, OPT_AS_SINGLE},
    KBS_GLOBAL_LONGOPTS,
    {NULL, 0, NULL, 0},
};

static bool cfg_opt(int c, const char *arg, struct cfg_args *a)
{
	switch (c) {
	case OPT_ADMIN_TOKEN: a->token_file = arg; break;
	case OPT_AUTH_KEY: a->auth_key = arg; break;
	case OPT_PATH: a->path = arg; break;
	case OPT_RESOURCE_FILE: a->resource_file = arg; break;
	case OPT_POLICY_FILE: a->policy_file = arg; break;
	case OPT_TYPE: a->type = arg; break;
	case OPT_ID: a->id = arg; break;
	case OPT_AS_INTEGER: a->as_integer = true; break;
	case OPT_AS_BOOL: a->as_bool = true; break;
	case OPT_AS_SINGLE: a->as_single = true; break;
	case OPT_ALLOW_ALL:
	case OPT_DENY_ALL:
	case OPT_AFFIRMING:
	case OPT_DEFAULT:
		a->builtin = c - OPT_ALLOW_ALL; /* the enum's order */
		a->nbuiltin++;
		break;
	default: return false;
	}
	return true;
}

/* The admin token: --auth-private-key signs one, else a token file (the
 * flag, then kbs-client's default places), else none (*ret NULL). */
static int admin_token(const struct cfg_args *a, char **ret, cc_error **err)
{
	*ret = NULL;
	char *text = NULL;
	size_t n = 0;
	int r;
	if (a->auth_key != NULL) {
		cj_jwk *k = NULL;
		r = cc_read_file(a->auth_key, CC_KBS_CLIENT_MAX_FILE_BYTES, KBS_CLIENT_READ, &text, &n, err);
		if (r >= 0 && (r = cj_jwk_from_pem(text, n, "EdDSA", &k, err)) < 0)
			cc_error_wrap(err, "%s", a->auth_key);
		if (r >= 0)
			r = kbs_admin_jwt(k, (int64_t)time(NULL), ret, err);
		cj_jwk_free(k);
		cj_free_secret(text, n);
		return r < 0 ? cc_error_wrap(err, "--auth-private-key") : 0;
	}
	char *path = a->token_file != NULL ? strdup(a->token_file) : kbs_default_admin_token_path();
	if (path == NULL)
		return a->token_file != NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
	r = cc_read_file(path, CC_JOSE_MAX_TOKEN_BYTES + 4096, KBS_CLIENT_READ, &text, &n, err);
	size_t s = 0, e = n;
	while (r >= 0 && s < e && strchr(" \t\r\n", text[s]) != NULL)
		s++;
	while (r >= 0 && e > s && strchr(" \t\r\n", text[e - 1]) != NULL)
		e--;
	if (r >= 0)
		r = kbs_token_check(text + s, e - s, path, err);
	if (r >= 0 && (*ret = strndup(text + s, e - s)) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	cj_free_secret(text, n);
	if (r < 0)
		cc_error_wrap(err, "admin token");
	free(path);
	return r;
}

/* Runs one admin request; prints ok_msg (or the answer when print_body)
 * on success. */
static int admin_request(struct kbs_global *g, const struct cfg_args *a, const char *verb,
                         const char *method, const char *path, const char *ctype,
                         const void *body, size_t len, bool print_body, const char *ok_msg)
{
	cc_error *err = NULL;
	char *token = NULL, *answer = NULL;
	size_t alen = 0;
	kbs_http *h = NULL;
	int r = admin_token(a, &token, &err);
	if (r >= 0)
		r = kbs_http_new(g->url, g->cert_file, &h, &err);
	if (r >= 0)
		r = kbs_admin_call(h, method, path, ctype, body, len, token, print_body ? &answer : NULL,
		                   &alen, &err);
	kbs_http_free(h);
	if (token != NULL)
		cj_free_secret(token, strlen(token));
	if (r < 0)
		return kbs_fail(verb, err);
	if (print_body)
		printf("%s\n", answer);
	else
		fputs(ok_msg, stdout);
	free(answer);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int need(const char *verb, const char *flag, const void *v)
{
	if (v != NULL)
		return 0;
	fprintf(stderr, "cocoon kbs config %s: %s is required (see --help)\n", verb, flag);
	return -1;
}

static int do_set_resource(struct kbs_global *g, const struct cfg_args *a)
{
	if (need("set-resource", "--path", a->path) < 0 ||
	    need("set-resource", "--resource-file", a->resource_file) < 0)
		return 2;
	cc_error *err = NULL;
	char *data = NULL, *url = NULL;
	size_t n = 0;
	if (kbs_resource_path_check(a->path, &err) < 0 ||
	    cc_read_file(a->resource_file, CC_KBS_MAX_VALUE_BYTES, KBS_CLIENT_READ, &data, &n, &err) < 0)
		return kbs_fail("config set-resource", err);
	int rc = 1;
	if ((url = malloc(strlen(a->path) + sizeof("resource/"))) != NULL) {
		memcpy(url, "resource/", sizeof("resource/") - 1);
		memcpy(url + sizeof("resource/") - 1, a->path, strlen(a->path) + 1);
		/* kbs-client echoes the resource in base64; a secret stays off the
		 * terminal here */
		rc = admin_request(g, a, "config set-resource", "POST", url,
		                   "application/octet-stream", data, n, false,
		                   "Set resource success\n");
	}
	free(url);
	cj_free_secret(data, n);
	return rc;
}

static int do_delete_resource(struct kbs_global *g, const struct cfg_args *a)
{
	if (need("delete-resource", "--path", a->path) < 0)
		return 2;
	cc_error *err = NULL;
	if (kbs_resource_path_check(a->path, &err) < 0)
		return kbs_fail("config delete-resource", err);
	cc_buf url;
	cc_buf_init(&url, 0);
	if (cc_buf_printf(&url, "resource/%s", a->path) < 0)
		return 1;
	int rc = admin_request(g, a, "config delete-resource", "DELETE", url.p, NULL, NULL, 0,
	                       false, "Delete resource success\n");
	cc_buf_free(&url);
	return rc;
}

/* Sends a policy body and frees it and the policy text; prints
 * kbs-client's confirmation with the policy in base64. */
static int send_policy(struct kbs_global *g, const struct cfg_args *a, const char *verb,
                       const char *path, char *body, const char *what, char *policy,
                       size_t plen)
{
	char *b64 = cj_b64_encode(policy, plen);
	cc_buf msg;
	cc_buf_init(&msg, 0);
	int rc = 1;
	if (b64 == NULL || cc_buf_printf(&msg, "Set %s policy success \n policy: %s\n", what, b64) < 0)
		fprintf(stderr, "cocoon kbs %s: out of memory\n", verb);
	else
		rc = admin_request(g, a, verb, "POST", path, "application/json", body, strlen(body),
		                   false, msg.p);
	free(b64);
	cc_buf_free(&msg);
	free(body);
	free(policy);
	return rc;
}

static int do_set_resource_policy(struct kbs_global *g, const struct cfg_args *a)
{
	static const char verb[] = "config set-resource-policy";
	if (a->nbuiltin + (a->policy_file != NULL) != 1) {
		fprintf(stderr, "cocoon kbs %s: give one of --policy-file, --allow-all, --deny-all, "
		                "--affirming, --default\n",
		        verb);
		return 2;
	}
	cc_error *err = NULL;
	char *text = NULL, *body = NULL;
	size_t n = 0;
	if (a->policy_file != NULL) {
		if (cc_read_file(a->policy_file, CC_KBS_CLIENT_MAX_FILE_BYTES, KBS_CLIENT_READ, &text,
		                 &n, &err) < 0)
			return kbs_fail(verb, err);
	} else {
		text = strdup(kbs_builtin_policy((enum kbs_builtin_policy)a->builtin));
		n = text != NULL ? strlen(text) : 0;
	}
	if (text == NULL || kbs_resource_policy_body(text, n, &body, &err) < 0) {
		free(text);
		return kbs_fail(verb, err);
	}
	return send_policy(g, a, verb, "resource-policy", body, "resource", text, n);
}

static int do_set_attestation_policy(struct kbs_global *g, const struct cfg_args *a)
{
	static const char verb[] = "config set-attestation-policy";
	if (need("set-attestation-policy", "--policy-file", a->policy_file) < 0)
		return 2;
	cc_error *err = NULL;
	char *text = NULL, *body = NULL;
	size_t n = 0;
	if (cc_read_file(a->policy_file, CC_KBS_CLIENT_MAX_FILE_BYTES, KBS_CLIENT_READ, &text, &n,
	                 &err) < 0 ||
	    kbs_attestation_policy_body(a->type ? a->type : "rego", a->id ? a->id : "default_cpu",
	                                text, n, &body, &err) < 0) {
		free(text);
		return kbs_fail(verb, err);
	}
	return send_policy(g, a, verb, "attestation-policy", body, "attestation", text, n);
}

static int do_set_sample_rv(struct kbs_global *g, const struct cfg_args *a)
{
	static const char verb[] = "config set-sample-reference-value";
	if (a->npos != 2) {
		fprintf(stderr, "cocoon kbs %s: expected NAME and VALUE (see --help)\n", verb);
		return 2;
	}
	if (a->as_integer && a->as_bool) {
		fprintf(stderr, "cocoon kbs %s: --as-integer and --as-bool exclude each other\n",
		        verb);
		return 2;
	}
	enum kbs_rv_kind kind = a->as_integer ? KBS_RV_INTEGER
	                        : a->as_bool  ? KBS_RV_BOOL
	                                      : KBS_RV_STRING;
	cc_error *err = NULL;
	char *body = NULL;
	if (kbs_sample_rv_body(a->pos[0], a->pos[1], kind, a->as_single, &body, &err) < 0)
		return kbs_fail(verb, err);
	int rc = admin_request(g, a, verb, "POST", "reference-value", "application/json", body,
	                       strlen(body), false, "Reference Values Updated\n");
	free(body);
	return rc;
}

static int do_get_rv(struct kbs_global *g, const struct cfg_args *a)
{
	if (need("get-reference-value", "--id", a->id) < 0)
		return 2;
	if (a->id[0] == '\0') {
		fprintf(stderr, "cocoon kbs config get-reference-value: empty --id\n");
		return 2;
	}
	char *id = kbs_http_escape_path(a->id);
	cc_buf url;
	cc_buf_init(&url, 0);
	int rc = 1;
	if (id != NULL && cc_buf_printf(&url, "reference-value/%s", id) >= 0)
		rc = admin_request(g, a, "config get-reference-value", "GET", url.p, NULL, NULL, 0,
		                   true, NULL);
	free(id);
	cc_buf_free(&url);
	return rc;
}

static const struct {
	const char *verb;
	int (*run)(struct kbs_global *g, const struct cfg_args *a);
	int max_pos;
} verbs[] = {
    {"set-resource", do_set_resource, 0},
    {"delete-resource", do_delete_resource, 0},
    {"set-resource-policy", do_set_resource_policy, 0},
    {"set-attestation-policy", do_set_attestation_policy, 0},
    {"set-sample-reference-value", do_set_sample_rv, 2},
    {"get-reference-value", do_get_rv, 0},
};

int kbs_cmd_config(struct kbs_global *g, int argc, char **argv)
{
	struct cfg_args a = {.builtin = -1};
	const char *verb = NULL;
	bool help = false;
	int c;
	optind = 0; /* 0: GNU getopt's full reset (cmd_kbs parses with "+") */
	/* options may come before and after the verb, as with kbs-client's
	 * global ones; the first positional is the verb */
	while ((c = getopt_long(argc, argv, "h", cfg_opts, NULL)) != -1) {
		if (kbs_global_opt(c, optarg, g) || cfg_opt(c, optarg, &a))
			continue;
		if (c == 'h') {
			help = true;
			continue;
		}
		usage_config(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		if (verb == NULL) {
			verb = argv[i];
		} else if (a.npos < 2) {
			a.pos[a.npos++] = argv[i];
		} else {
			fprintf(stderr, "cocoon kbs config: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (verb == NULL || (help && strcmp(verb, "help") == 0)) {
		usage_config(help ? stdout : stderr);
		return help ? 0 : 2;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].verb, verb) != 0)
			continue;
		if (help) {
			usage_verb(verb, stdout);
			return 0;
		}
		if (a.npos > verbs[i].max_pos) {
			fprintf(stderr, "cocoon kbs config %s: unexpected argument '%s'\n", verb,
			        a.pos[verbs[i].max_pos]);
			return 2;
		}
		if (a.token_file != NULL && a.auth_key != NULL) {
			fprintf(stderr, "cocoon kbs config: --admin-token-file and --auth-private-key "
			                "exclude each other\n");
			return 2;
		}
		return verbs[i].run(g, &a);
	}
	if (help) {
		usage_config(stdout);
		return 0;
	}
	fprintf(stderr, "cocoon kbs config: unknown command '%s' (see --help)\n", verb);
	return 2;
}
