/* `cocoon vm measure` (docs/man/cocoon-vm.md): the reference values of an
 * attested VM shape (configuration.toml with machine_type q35, firmware
 * and enable_vtpm), computed from the files and the command line the shim
 * would boot: PCR 9 and its two events (vm_measure.h). PCR 0/4/7 depend on
 * QEMU, OVMF, the kernel and the memory size and come from a golden boot
 * (docs/guest-image.md "Attestation"). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cocoon/cleanup.h"
#include "config.h"
#include "qemu.h"
#include "vm_measure.h"

static void usage_vm(FILE *f)
{
	fputs("Usage: cocoon vm COMMAND [OPTIONS]\n"
	      "\n"
	      "Commands:\n"
	      "  measure   compute the reference values (PCR 9) of a VM shape\n"
	      "\n"
	      "Run 'cocoon vm COMMAND --help' for a command's options.\n",
	      f);
}

static void usage_measure(FILE *f)
{
	fputs("Usage: cocoon vm measure [--config FILE] [--initrd FILE] [--kernel FILE]\n"
	      "                         [--cmdline TEXT]\n"
	      "\n"
	      "Computes what the guest kernel's EFI stub measures into PCR 9 when the shim\n"
	      "boots the configuration's VM shape (q35 + OVMF firmware + enable_vtpm):\n"
	      "SHA-256 of the command line (UTF-16LE, with OVMF's \" initrd=initrd\" and a\n"
	      "NUL) and SHA-256 of the initrd file, and prints them with PCR 9 as JSON;\n"
	      "\"reference_values\" is in the shape of the KBS's sample reference values\n"
	      "(register each with 'cocoon kbs --url URL config\n"
	      "set-sample-reference-value NAME VALUE').\n"
	      "Exit status: 0 computed, 1 error, 2 usage error.\n"
	      "\n"
	      "Options:\n"
	      "      --config FILE    the shim's configuration.toml (default: the one the\n"
	      "                       shim reads: $COCOON_CONF_FILE, /etc/cocoon/...)\n"
	      "      --initrd FILE    the initrd instead of the configuration's\n"
	      "      --kernel FILE    the kernel instead of the configuration's (its SHA-256\n"
	      "                       is printed; PCR 4 needs a golden boot)\n"
	      "      --cmdline TEXT   the -append text instead of the one the shim builds\n"
	      "  -h, --help           show this help\n",
	      f);
}

static json_t *hex_json(const uint8_t *b)
{
	char h[2 * VM_SHA256_LEN + 1];
	vm_hex(b, VM_SHA256_LEN, h);
	return json_string(h);
}

/* The shape must be the measured one, or PCR 9 would hold nothing. */
static int check_shape(const struct shim_config *c, cc_error **err)
{
	if (c->hypervisor != SHIM_HV_QEMU || strcmp(c->machine_type, "q35") != 0)
		return cc_error_set(err, -EINVAL, "%s: [hypervisor.qemu] machine_type is not \"q35\": "
		                    "only q35 with OVMF measures the kernel", c->source);
	if (c->firmware == NULL)
		return cc_error_set(err, -EINVAL, "%s: [hypervisor.qemu] firmware is not set (OVMF): "
		                    "QEMU's BIOS measures no direct kernel boot", c->source);
	if (!c->vtpm)
		return cc_error_set(err, -EINVAL, "%s: [hypervisor.qemu] enable_vtpm is not true: "
		                    "the VM has no TPM to measure into", c->source);
	return 0;
}

static int measure(const char *config, const char *initrd, const char *kernel,
                   const char *cmdline, cc_error **err)
{
	struct shim_config c;
	_cleanup_free_ char *path = config ? strdup(config) : shim_config_pick_path(NULL);
	if (path == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = shim_config_load_file(&c, path, err);
	if (r == 0)
		r = check_shape(&c, err);
	_cleanup_free_ char *built = NULL;
	if (r == 0 && cmdline == NULL) {
		/* the shim's own builder: nothing in it depends on the pod on q35 */
		struct shim_vm_spec spec = {.name = "measure"};
		r = shim_kernel_cmdline(&c, &spec, &built, err);
		cmdline = built;
	}
	const char *rd = initrd ? initrd : c.initrd;
	const char *kn = kernel ? kernel : c.kernel;
	struct vm_pcr9 m;
	uint8_t kd[VM_SHA256_LEN];
	if (r == 0)
		r = vm_measure_pcr9(cmdline, rd, &m, err);
	if (r == 0 && (r = vm_measure_file(kn, kd, err)) < 0)
		cc_error_wrap(err, "kernel");
	if (r < 0) {
		shim_config_free(&c);
		return r;
	}
	_cleanup_free_ char *measured = NULL;
	if (asprintf(&measured, "%s%s", cmdline, VM_INITRD_SUFFIX) < 0) {
		shim_config_free(&c);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	json_t *events = json_pack(
	    "[{s:i, s:s, s:s, s:o}, {s:i, s:s, s:s, s:o}]",
	    "pcr", 9, "type", "EV_EVENT_TAG", "event", "LOADED_IMAGE::LoadOptions", "digest",
	    hex_json(m.load_options), "pcr", 9, "type", "EV_EVENT_TAG", "event", "Linux initrd",
	    "digest", hex_json(m.initrd));
	json_t *pcr9 = hex_json(m.pcr9);
	json_t *out = json_pack(
	    "{s:{s:s, s:s, s:s, s:s?, s:b, s:I, s:I, s:s, s:o}, s:s, s:o, s:{s:o}, s:{s:[O]}}",
	    "vm_shape", "config", c.source, "machine_type", c.machine_type, "firmware", c.firmware,
	    "firmware_vars", c.firmware_vars, "vtpm", c.vtpm, "memory_mib", (json_int_t)c.memory_mib,
	    "vcpus", (json_int_t)c.vcpus, "kernel", kn, "kernel_sha256", hex_json(kd),
	    "cmdline", measured, "events", events, "pcrs", "9", pcr9, "reference_values",
	    "tpm_pcr09", pcr9);
	shim_config_free(&c);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(out);
	if (text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	puts(text);
	free(text);
	return 0;
}

static int cmd_measure(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"initrd", required_argument, NULL, 'i'},
	    {"kernel", required_argument, NULL, 'k'}, {"cmdline", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	const char *config = NULL, *initrd = NULL, *kernel = NULL, *cmdline = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'i': initrd = optarg; break;
		case 'k': kernel = optarg; break;
		case 'a': cmdline = optarg; break;
		case 'h': usage_measure(stdout); return 0;
		default: usage_measure(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage_measure(stderr);
		return 2;
	}
	cc_error *err = NULL;
	if (measure(config, initrd, kernel, cmdline, &err) < 0) {
		fprintf(stderr, "cocoon vm measure: %s\n", cc_error_message(err));
		cc_error_free(err);
		return 1;
	}
	return 0;
}

int cmd_vm(int argc, char **argv)
{
	if (argc < 2) {
		usage_vm(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage_vm(stdout);
		return 0;
	}
	if (strcmp(argv[1], "measure") == 0)
		return cmd_measure(argc - 1, argv + 1);
	fprintf(stderr, "cocoon vm: unknown command '%s' (see cocoon vm --help)\n", argv[1]);
	return 2;
}
