/* `cocoon policy`: eval, check, fmt and test-suite, with opa's flags. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cocoon/limits.h"
#include "policy.h"
#include "rego/engine_int.h"

static void usage_policy(FILE *f)
{
	fputs("Usage: cocoon policy COMMAND [OPTIONS]\n"
	      "\n"
	      "Commands:\n"
	      "  eval QUERY        evaluate a Rego query (as opa eval)\n"
	      "  check FILE...     parse and compile Rego modules (as opa check)\n"
	      "  fmt [PATH...]     format Rego modules (as opa fmt)\n"
	      "  test-suite DIR... run OPA-format YAML conformance cases\n"
	      "\n"
	      "Run 'cocoon policy COMMAND --help' for a command's options.\n",
	      f);
}

static void usage_eval(FILE *f)
{
	fputs("Usage: cocoon policy eval [OPTIONS] QUERY\n"
	      "\n"
	      "Evaluates QUERY against the policies and data loaded with -d.\n"
	      "\n"
	      "Options:\n"
	      "  -d, --data PATH            load a .rego, .json or .yaml file, or a directory\n"
	      "                             of them (repeatable)\n"
	      "  -i, --input FILE           input document (.json or .yaml)\n"
	      "  -I, --stdin-input          read the input document (JSON) from stdin\n"
	      "  -f, --format FORMAT        json (default, opa's result set), raw or pretty\n"
	      "      --fail                 exit 1 if the result is undefined\n"
	      "      --fail-defined         exit 1 if the result is defined\n"
	      "      --strict-builtin-errors  builtin errors abort evaluation\n"
	      "      --v0-compatible        parse modules as Rego v0\n"
	      "      --disable-early-exit   evaluate every body of constant-valued rules\n"
	      "      --early-exit MODE      rule (OPA, default): a constant-valued rule stops\n"
	      "                             at its first success; body: each body stops at its\n"
	      "                             first success (regorus, the Kata agent); off\n"
	      "      --print-locations      prefix print output with file:line:\n"
	      "      --explain MODE         trace why: fails (the rules entered, the expressions\n"
	      "                             that failed, the rules left undefined) or full\n"
	      "                             (every event; debug is an alias); after the result\n"
	      "                             with -f pretty, on stderr otherwise\n"
	      "      --capabilities FILE    OPA capabilities file declaring extra functions\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "print() output goes to stderr. Exit status: 0 ok, 1 with --fail/--fail-defined,\n"
	      "2 on a bad policy, input or query (the error names file:line:col).\n",
	      f);
}

static void usage_check(FILE *f)
{
	fputs("Usage: cocoon policy check [OPTIONS] PATH...\n"
	      "\n"
	      "Parses and compiles Rego modules (files or directories) and reports errors.\n"
	      "\n"
	      "Options:\n"
	      "      --v0-compatible   parse modules as Rego v0\n"
	      "      --capabilities FILE  OPA capabilities file: also accept the functions\n"
	      "                        it declares (e.g. Trustee's query_reference_value)\n"
	      "  -h, --help            show this help\n"
	      "\n"
	      "Exit status: 0 when every module compiles, 1 otherwise.\n",
	      f);
}

static int read_stdin(char **ret, size_t *len)
{
	cc_buf b;
	cc_buf_init(&b, CC_REGO_MAX_JSON_BYTES);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), stdin)) > 0)
		if (cc_buf_add(&b, tmp, n) < 0) {
			cc_buf_free(&b);
			return -1;
		}
	*ret = cc_buf_steal(&b, len);
	return *ret ? 0 : -1;
}

/* What `cocoon policy eval` was asked to do. */
struct eval_args {
	struct rego_options ro;
	const char **data; /* -d paths (argc slots, calloc) */
	size_t ndata;
	const char *input, *caps, *query;
	bool stdin_input, fail, fail_defined;
	enum out_format fmt;
};

/* -f FORMAT; false (with a message) if unknown. */
static bool parse_format(const char *s, enum out_format *fmt)
{
	if (strcmp(s, "json") == 0)
		*fmt = OUT_JSON;
	else if (strcmp(s, "raw") == 0)
		*fmt = OUT_RAW;
	else if (strcmp(s, "pretty") == 0)
		*fmt = OUT_PRETTY;
	else {
		fprintf(stderr, "cocoon policy eval: unknown format '%s' (json, raw, pretty)\n", s);
		return false;
	}
	return true;
}

/* --early-exit MODE; false (with a message) if unknown. */
static bool parse_early_exit(const char *s, struct rego_options *ro)
{
	if (strcmp(s, "rule") == 0)
		ro->early_exit = REGO_EARLY_EXIT_RULE;
	else if (strcmp(s, "body") == 0)
		ro->early_exit = REGO_EARLY_EXIT_BODY;
	else if (strcmp(s, "off") == 0)
		ro->early_exit = REGO_EARLY_EXIT_OFF;
	else {
		fprintf(stderr, "cocoon policy eval: --early-exit takes rule, body or off, not '%s'\n", s);
		return false;
	}
	return true;
}

/* Reads eval's options and its QUERY into a (a->data is allocated by the
 * caller). Returns -1 to go on, or the exit status (0 after --help, 2 on
 * a usage error). One case per option: clearer as a single switch. */
static int eval_parse_args(int argc, char **argv, struct eval_args *a)
{
	enum { O_FAIL = 256, O_FAIL_DEF, O_STRICT, O_V0, O_NOEE, O_EE, O_PLOC, O_CAPS, O_EXPLAIN };
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"input", required_argument, NULL, 'i'},
	    {"stdin-input", no_argument, NULL, 'I'},
	    {"format", required_argument, NULL, 'f'},
	    {"fail", no_argument, NULL, O_FAIL},
	    {"fail-defined", no_argument, NULL, O_FAIL_DEF},
	    {"strict-builtin-errors", no_argument, NULL, O_STRICT},
	    {"v0-compatible", no_argument, NULL, O_V0},
	    {"disable-early-exit", no_argument, NULL, O_NOEE},
	    {"early-exit", required_argument, NULL, O_EE},
	    {"print-locations", no_argument, NULL, O_PLOC},
	    {"capabilities", required_argument, NULL, O_CAPS},
	    {"explain", required_argument, NULL, O_EXPLAIN},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "d:i:If:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->data[a->ndata++] = optarg;
			break;
		case 'i':
			a->input = optarg;
			break;
		case 'I':
			a->stdin_input = true;
			break;
		case 'f':
			if (!parse_format(optarg, &a->fmt))
				return 2;
			break;
		case O_FAIL:
			a->fail = true;
			break;
		case O_FAIL_DEF:
			a->fail_defined = true;
			break;
		case O_STRICT:
			a->ro.strict_builtin_errors = true;
			break;
		case O_V0:
			a->ro.v0 = true;
			break;
		case O_NOEE:
			a->ro.early_exit = REGO_EARLY_EXIT_OFF;
			break;
		case O_EE:
			if (!parse_early_exit(optarg, &a->ro))
				return 2;
			break;
		case O_PLOC:
			a->ro.print_locations = true;
			break;
		case O_CAPS:
			a->caps = optarg;
			break;
		case O_EXPLAIN:
			if (strcmp(optarg, "fails") == 0)
				a->ro.explain = REGO_EXPLAIN_FAILS;
			else if (strcmp(optarg, "full") == 0 || strcmp(optarg, "debug") == 0)
				a->ro.explain = REGO_EXPLAIN_FULL;
			else if (strcmp(optarg, "off") == 0)
				a->ro.explain = REGO_EXPLAIN_OFF;
			else {
				fprintf(stderr, "cocoon policy eval: --explain takes fails, full, debug "
				                "or off, not '%s'%s\n",
				        optarg,
				        strcmp(optarg, "notes") == 0
				            ? " (notes shows trace() calls; cocoon has no trace(): use print)"
				            : "");
				return 2;
			}
			break;
		case 'h':
			usage_eval(stdout);
			return 0;
		default:
			usage_eval(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "cocoon policy eval: expected exactly one QUERY argument\n");
		usage_eval(stderr);
		return 2;
	}
	a->query = argv[optind];
	return -1;
}

/* Loads the capabilities, data and input a names into e. */
static int eval_load(rego_engine *e, const struct eval_args *a, cc_error **err)
{
	int rc = 0;
	if (a->caps)
		rc = policy_load_capabilities(e, a->caps, err);
	for (size_t i = 0; rc == 0 && i < a->ndata; i++)
		rc = policy_load_path(e, a->data[i], err);
	if (rc == 0 && a->input)
		rc = policy_load_input(e, a->input, err);
	if (rc == 0 && a->stdin_input) {
		char *buf;
		size_t len;
		if (read_stdin(&buf, &len) < 0)
			rc = cc_error_set(err, -EIO, "stdin: cannot read input (over %u bytes?)", CC_REGO_MAX_JSON_BYTES);
		else {
			rc = rego_engine_set_input_json(e, buf, len, err);
			free(buf);
		}
	}
	return rc;
}

static int do_eval(int argc, char **argv)
{
	struct eval_args a = {.fmt = OUT_JSON};
	rego_options_default(&a.ro);
	a.data = calloc((size_t)argc + 1, sizeof(*a.data));
	if (a.data == NULL)
		return 2;
	int status = eval_parse_args(argc, argv, &a);
	if (status >= 0) {
		free(a.data);
		return status;
	}
	rego_engine *e = rego_engine_new(&a.ro);
	cc_error *err = NULL;
	int rc = e ? eval_load(e, &a, &err) : cc_error_set(&err, -ENOMEM, "out of memory");
	const rego_result *res = NULL;
	if (rc == 0)
		rc = rego_engine_eval(e, a.query, &res, &err);
	size_t plen = 0;
	const char *prints = e ? rego_engine_prints(e, &plen) : "";
	if (plen)
		fwrite(prints, 1, plen, stderr);
	status = 0;
	size_t tlen = 0;
	const char *trace = e ? rego_engine_trace(e, &tlen) : "";
	FILE *tout = a.fmt == OUT_PRETTY ? stdout : stderr;
	if (rc < 0) {
		policy_print_error(err, a.fmt);
		fwrite(trace, 1, tlen, tout);
		status = 2;
	} else {
		policy_print_result(res, a.query, a.fmt);
		fwrite(trace, 1, tlen, tout);
		if (a.fail && rego_result_rows(res) == 0)
			status = 1;
		if (a.fail_defined && rego_result_rows(res) > 0)
			status = 1;
	}
	cc_error_free(err);
	rego_engine_free(e);
	free(a.data);
	return status;
}

static int do_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"v0-compatible", no_argument, NULL, 'v'},
	    {"capabilities", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rego_options ro;
	rego_options_default(&ro);
	const char *caps = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'v') {
			ro.v0 = true;
		} else if (c == 'c') {
			caps = optarg;
		} else if (c == 'h') {
			usage_check(stdout);
			return 0;
		} else {
			usage_check(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage_check(stderr);
		return 2;
	}
	rego_engine *e = rego_engine_new(&ro);
	if (e == NULL)
		return 2;
	cc_error *err = NULL;
	int rc = caps ? policy_load_capabilities(e, caps, &err) : 0;
	for (int i = optind; rc == 0 && i < argc; i++)
		rc = policy_load_path(e, argv[i], &err);
	if (rc == 0)
		rc = rego_engine_compile(e, &err);
	if (rc < 0)
		policy_print_error(err, OUT_PRETTY);
	cc_error_free(err);
	rego_engine_free(e);
	return rc < 0 ? 1 : 0;
}

int cmd_policy(int argc, char **argv)
{
	if (argc < 2) {
		usage_policy(stderr);
		return 2;
	}
	const char *sub = argv[1];
	optind = 1;
	if (strcmp(sub, "eval") == 0)
		return do_eval(argc - 1, argv + 1);
	if (strcmp(sub, "check") == 0)
		return do_check(argc - 1, argv + 1);
	if (strcmp(sub, "fmt") == 0)
		return policy_fmt(argc - 1, argv + 1);
	if (strcmp(sub, "test-suite") == 0)
		return policy_test_suite(argc - 1, argv + 1);
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		usage_policy(stdout);
		return 0;
	}
	fprintf(stderr, "cocoon policy: unknown command '%s'\n", sub);
	usage_policy(stderr);
	return 2;
}
