/* `cocoon image`: copy (as skopeo copy) and pull (pull, verify, decrypt and
 * unpack into an OCI bundle, as skopeo copy + umoci unpack). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cocoon/error.h"
#include "image_cli.h"

static void usage_image(FILE *f)
{
	fputs("Usage: cocoon image COMMAND [OPTIONS]\n"
	      "\n"
	      "Commands:\n"
	      "  copy SRC DST       copy an image between registries and OCI layouts\n"
	      "                     (as skopeo copy), encrypting or decrypting layers\n"
	      "  pull REF BUNDLE    pull, verify signatures, decrypt and unpack an image\n"
	      "                     into an OCI runtime bundle (as skopeo copy + umoci unpack)\n"
	      "\n"
	      "Image locations: docker://HOST/REPO[:TAG|@DIGEST] or oci:DIR[:NAME].\n"
	      "Run 'cocoon image COMMAND --help' for a command's options.\n",
	      f);
}

static void usage_copy(FILE *f)
{
	fputs("Usage: cocoon image copy [OPTIONS] SRC DST\n"
	      "\n"
	      "Copies the image at SRC to DST (docker://REFERENCE or oci:DIR[:NAME]). From an\n"
	      "index, the image for this machine's platform is copied.\n"
	      "\n"
	      "Options:\n"
	      "      --src-tls-verify[=BOOL]   verify the source registry's TLS certificate and\n"
	      "                                use https only (default true)\n"
	      "      --dest-tls-verify[=BOOL]  the same for the destination\n"
	      "      --src-creds USER:PASS     credentials for the source registry\n"
	      "      --dest-creds USER:PASS    credentials for the destination registry\n"
	      "      --src-cert-dir DIR        CA certificates (*.crt) and client certificate\n"
	      "                                (*.cert, *.key) for the source registry\n"
	      "      --dest-cert-dir DIR       the same for the destination\n"
	      "      --authfile FILE           auth.json with credentials (default:\n"
	      "                                $REGISTRY_AUTH_FILE, then\n"
	      "                                $XDG_RUNTIME_DIR/containers/auth.json, then\n"
	      "                                ~/.docker/config.json)\n"
	      "      --encryption-key KEY      encrypt layers to KEY: jwe:PUBKEY.pem,\n"
	      "                                pkcs7:CERT.pem or provider:NAME[:ARGS] (repeatable)\n"
	      "      --decryption-key KEY      decrypt layers with KEY: PRIVKEY.pem[:PASSWORD]\n"
	      "                                (repeatable)\n"
	      "      --override-os OS, --override-arch ARCH, --override-variant VARIANT\n"
	      "                                the platform to pick from an index\n"
	      "  -j, --jobs N                  layers copied at a time (default 3)\n"
	      "      --idle-timeout SECONDS    give up on a transfer that moves less than\n"
	      "                                1 KiB/s for this long (default 60)\n"
	      "      --retries N               extra attempts on transient registry errors,\n"
	      "                                resuming blob downloads (default 3)\n"
	      "  -q, --quiet                   no progress output\n"
	      "  -h, --help                    show this help\n"
	      "\n"
	      "Exit status: 0 on success, 1 on failure (the error names what was wrong),\n"
	      "2 on bad usage.\n",
	      f);
}

/* Parses a --flag[=BOOL] value. */
int image_parse_bool(const char *flag, const char *v, bool *out)
{
	if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return 0;
	}
	fprintf(stderr, "cocoon image: %s: expected true or false, not '%s'\n", flag, v);
	return -1;
}

int image_add_arg(char ***list, size_t *n, const char *k)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (grown == NULL)
		return -1;
	*list = grown;
	(*list)[(*n)++] = (char *)k;
	return 0;
}

enum {
	OPT_SRC_TLS = 256,
	OPT_DST_TLS,
	OPT_SRC_CREDS,
	OPT_DST_CREDS,
	OPT_SRC_CERT,
	OPT_DST_CERT,
	OPT_ENC,
};

/* Parses a non-negative integer option in [lo, hi]. */
int image_parse_uint(const char *flag, const char *v, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi) {
		fprintf(stderr, "cocoon image: %s: expected a number from %ld to %ld, not '%s'\n", flag, lo, hi, v);
		return -1;
	}
	*out = x;
	return 0;
}

void image_common_args_init(struct image_common_args *a)
{
	memset(a, 0, sizeof(*a));
	a->retries = -1;
}

void image_common_args_clear(struct image_common_args *a)
{
	free(a->dec_keys);
	a->dec_keys = NULL;
	a->ndec = 0;
}

int image_common_opt(int c, const char *arg, struct image_common_args *a)
{
	switch (c) {
	case IMAGE_OPT_COMMON + 0: a->authfile = arg; return 1;
	case IMAGE_OPT_COMMON + 1:
		if (image_add_arg(&a->dec_keys, &a->ndec, arg) < 0) {
			fprintf(stderr, "cocoon image: out of memory\n");
			return -1;
		}
		return 1;
	case IMAGE_OPT_COMMON + 2: a->os = arg; return 1;
	case IMAGE_OPT_COMMON + 3: a->arch = arg; return 1;
	case IMAGE_OPT_COMMON + 4: a->variant = arg; return 1;
	case 'j': return image_parse_uint("--jobs", arg, 1, 16, &a->jobs) < 0 ? -1 : 1;
	case IMAGE_OPT_COMMON + 5:
		return image_parse_uint("--idle-timeout", arg, 1, 86400, &a->idle_timeout) < 0 ? -1 : 1;
	case IMAGE_OPT_COMMON + 6:
		return image_parse_uint("--retries", arg, 0, 100, &a->retries) < 0 ? -1 : 1;
	case 'q': a->quiet = true; return 1;
	default: return 0;
	}
}

static int cmd_copy(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"src-tls-verify", optional_argument, NULL, OPT_SRC_TLS},
	    {"dest-tls-verify", optional_argument, NULL, OPT_DST_TLS},
	    {"src-creds", required_argument, NULL, OPT_SRC_CREDS},
	    {"dest-creds", required_argument, NULL, OPT_DST_CREDS},
	    {"src-cert-dir", required_argument, NULL, OPT_SRC_CERT},
	    {"dest-cert-dir", required_argument, NULL, OPT_DST_CERT},
	    {"encryption-key", required_argument, NULL, OPT_ENC},
	    IMAGE_COMMON_LONGOPTS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct image_copy_args a;
	image_copy_args_init(&a);
	int c, rc = 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, IMAGE_COMMON_SHORTOPTS "h", opts, NULL)) != -1) {
		int k = image_common_opt(c, optarg, &a.c);
		if (k < 0)
			goto out;
		if (k > 0)
			continue;
		switch (c) {
		case OPT_SRC_TLS:
			if (image_parse_bool("--src-tls-verify", optarg, &a.src_tls_verify) < 0)
				goto out;
			break;
		case OPT_DST_TLS:
			if (image_parse_bool("--dest-tls-verify", optarg, &a.dst_tls_verify) < 0)
				goto out;
			break;
		case OPT_SRC_CREDS: a.src_creds = optarg; break;
		case OPT_DST_CREDS: a.dst_creds = optarg; break;
		case OPT_SRC_CERT: a.src_cert_dir = optarg; break;
		case OPT_DST_CERT: a.dst_cert_dir = optarg; break;
		case OPT_ENC:
			if (image_add_arg(&a.enc_keys, &a.nenc, optarg) < 0) {
				fprintf(stderr, "cocoon image copy: out of memory\n");
				rc = 1;
				goto out;
			}
			break;
		case 'h':
			usage_copy(stdout);
			rc = 0;
			goto out;
		default:
			usage_copy(stderr);
			goto out;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "cocoon image copy: expected SRC and DST (see --help)\n");
		goto out;
	}
	a.src = argv[optind];
	a.dst = argv[optind + 1];
	cc_error *err = NULL;
	if (image_copy(&a, &err) < 0) {
		fprintf(stderr, "cocoon image copy: %s\n", cc_error_message(err));
		cc_error_free(err);
		rc = 1;
	} else {
		rc = 0;
	}
out:
	free(a.enc_keys);
	image_common_args_clear(&a.c);
	return rc;
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2) {
		usage_image(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		usage_image(stdout);
		return 0;
	}
	if (strcmp(sub, "copy") == 0)
		return cmd_copy(argc - 1, argv + 1);
	if (strcmp(sub, "pull") == 0)
		return cmd_image_pull(argc - 1, argv + 1);
	fprintf(stderr, "cocoon image: unknown command '%s' (see cocoon image --help)\n", sub);
	return 2;
}
