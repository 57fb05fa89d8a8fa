/* cocoon: one CLI for the KBS client and admin, policy evaluation,
 * evidence verification and image tools. This is the only place that
 * prints errors for the subcommands it runs. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("Usage: cocoon COMMAND [ARGS]\n"
	      "\n"
	      "Commands:\n"
	      "  policy    evaluate, check and test Rego policies (cocoon policy --help)\n"
	      "  image     copy, pull and unpack container images (cocoon image --help)\n"
	      "  kbs       attest to a KBS, fetch resources, administer it (cocoon kbs --help)\n"
	      "  evidence  verify TEE evidence, replay event logs (cocoon evidence --help)\n"
	      "  vm        reference values of an attested VM shape (cocoon vm --help)\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help     show this help\n"
	      "  --version      show the version\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("cocoon %s\n", COCOON_VERSION);
		return 0;
	}
	if (strcmp(cmd, "policy") == 0)
		return cmd_policy(argc - 1, argv + 1);
	if (strcmp(cmd, "image") == 0)
		return cmd_image(argc - 1, argv + 1);
	if (strcmp(cmd, "kbs") == 0)
		return cmd_kbs(argc - 1, argv + 1);
	if (strcmp(cmd, "evidence") == 0)
		return cmd_evidence(argc - 1, argv + 1);
	if (strcmp(cmd, "vm") == 0)
		return cmd_vm(argc - 1, argv + 1);
	fprintf(stderr, "cocoon: unknown command '%s' (see cocoon --help)\n", cmd);
	return 2;
}
