/* cocoon-keyprovider: an ocicrypt keyprovider speaking the cmd protocol
 * (one JSON request on stdin, one JSON answer on stdout), wrapping layer
 * keys the way CoCo's coco_keyprovider does (docs/man/cocoon-keyprovider.md). */
#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "cocoon/limits.h"
#include "keyprovider.h"

static void usage(FILE *f)
{
	fputs("Usage: cocoon-keyprovider [--keys-dir DIR] [--name NAME]\n"
	      "\n"
	      "An ocicrypt keyprovider (cmd protocol): reads one keywrap or keyunwrap\n"
	      "request as JSON on stdin and writes the answer as JSON on stdout.\n"
	      "\n"
	      "  keywrap    parameters keyid=kbs:///REPO/TYPE/TAG::keypath=FILE (a 32-byte\n"
	      "             KEK); without keypath the KEK of keyid in DIR is used, or a\n"
	      "             random one is created there. The layer key options are\n"
	      "             sealed with AES-256-GCM into a CoCo annotation packet.\n"
	      "  keyunwrap  opens an annotation packet (v1 or v2) with the KEK of its\n"
	      "             kid, read from DIR/REPO/TYPE/TAG.\n"
	      "\n"
	      "  -k, --keys-dir DIR  where KEKs live (kbs:///r/t/g -> DIR/r/t/g)\n"
	      "  -n, --name NAME     this provider's name in the keywrap parameters\n"
	      "                      (default: the only one given, or attestation-agent)\n"
	      "  -h, --help          this text\n",
	      f);
}

static int read_stdin(cc_buf *b, cc_error **err)
{
	char tmp[16384];
	for (;;) {
		ssize_t got = read(0, tmp, sizeof(tmp));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cc_error_set(err, -errno, "stdin: %m");
		if (got == 0)
			return 0;
		if (cc_buf_add(b, tmp, (size_t)got) < 0)
			return cc_error_set(err, -EFBIG, "stdin: request larger than %u bytes",
			                    CC_IMG_MAX_KEYPROVIDER_MSG);
	}
}

static int run(const struct kp_options *o, cc_error **err)
{
	cc_buf in;
	cc_buf_init(&in, CC_IMG_MAX_KEYPROVIDER_MSG);
	struct oc_kp_request req;
	char *out = NULL;
	size_t out_len = 0;
	int r = read_stdin(&in, err);
	if (r == 0)
		r = oc_kp_request_parse(in.p ? in.p : "", in.len, &req, err);
	if (in.p)
		OPENSSL_cleanse(in.p, in.len);
	cc_buf_free(&in);
	if (r < 0)
		return r;
	r = req.op == OC_KP_KEYWRAP ? kp_keywrap(o, &req, &out, &out_len, err)
	                            : kp_keyunwrap(o, &req, &out, &out_len, err);
	oc_kp_request_clear(&req);
	if (r == 0 && (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0))
		r = cc_error_set(err, -EIO, "stdout: write failed");
	oc_free_secret(out, out_len);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"keys-dir", required_argument, NULL, 'k'},
		{"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kp_options o = {0};
	struct kek_source dir;
	int c;
	while ((c = getopt_long(argc, argv, "k:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kek_dir_source(&dir, optarg);
			o.kek = &dir;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	cc_error *err = NULL;
	if (run(&o, &err) < 0) {
		fprintf(stderr, "cocoon-keyprovider: %s\n", cc_error_message(err));
		cc_error_free(err);
		return 1;
	}
	return 0;
}
