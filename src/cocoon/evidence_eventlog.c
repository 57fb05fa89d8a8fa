/* `cocoon evidence replay-eventlog [--ccel|--aael] [--parsed] FILE`: replays a
 * TCG2 crypto-agile or legacy SHA-1 TPM event log (or, with --ccel, a CCEL
 * area; with --aael, guest-components' AA event log file)
 * and prints every register it touched, per bank, as JSON
 * (docs/attest-eventlog.md). --parsed prints Trustee's parsed log instead. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "eventlog.h"
#include "evidence_eventlog.h"
#include "kbs_client.h"

static void usage(FILE *f)
{
	fputs("Usage: cocoon evidence replay-eventlog [--ccel|--aael] [--parsed] FILE\n"
	      "\n"
	      "Replays FILE, a TCG2 crypto-agile or legacy SHA-1 TPM event log (as\n"
	      "/sys/kernel/security/tpm0/binary_bios_measurements), and prints every PCR it\n"
	      "touched, per bank: {\"sha256\": {\"0\": \"<hex>\", ...}, ...}.\n"
	      "Exit status: 0 replayed, 1 the log is malformed, 2 usage error.\n"
	      "\n"
	      "Options:\n"
	      "      --ccel     FILE is a CCEL area (TDX): indexes are RTMR numbers\n"
	      "                 (RTMR = PCRIndex - 1; index 0, MRTD, is not replayed)\n"
	      "      --aael     FILE is guest-components' AA event log (records without a\n"
	      "                 header; indexes as recorded)\n"
	      "      --parsed   print Trustee's parsed log ({\"uefi_event_logs\": [...]})\n"
	      "                 and, when it has any, the AAEL entries\n",
	      f);
}

static int run(const char *path, eventlog_format fmt, bool parsed, cc_error **err)
{
	char *bytes = NULL;
	size_t len = 0;
	int r = cc_read_file(path, CC_EVENTLOG_MAX_BYTES, KBS_CLIENT_READ, &bytes, &len, err);
	if (r < 0)
		return r;
	eventlog *l = NULL;
	r = eventlog_parse((const uint8_t *)bytes, len, fmt, &l, err);
	free(bytes);
	if (r < 0)
		return cc_error_wrap(err, "%s", path);
	json_t *out = NULL;
	if (parsed) {
		json_t *aael = NULL;
		r = eventlog_to_json(l, &out, err);
		if (r == 0)
			r = eventlog_aael_json(l, &aael, err);
		if (r == 0 && json_object_size(aael) > 0)
			json_object_set(out, "aael", aael);
		json_decref(aael);
	} else {
		r = eventlog_replay_json(l, &out, err);
	}
	eventlog_free(l);
	if (r < 0)
		return r;
	char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(out);
	if (text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	puts(text);
	free(text);
	return 0;
}

int cmd_replay_eventlog(int argc, char **argv)
{
	enum { O_CCEL = 256, O_AAEL, O_PARSED };
	static const struct option opts[] = {
		{"ccel", no_argument, NULL, O_CCEL},
		{"aael", no_argument, NULL, O_AAEL},
		{"parsed", no_argument, NULL, O_PARSED},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	eventlog_format fmt = EVENTLOG_AUTO;
	bool parsed = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_CCEL: fmt = EVENTLOG_CCEL; break;
		case O_AAEL: fmt = EVENTLOG_AAEL; break;
		case O_PARSED: parsed = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "cocoon evidence replay-eventlog: %s\n",
		        optind == argc ? "FILE is required" : "one FILE only");
		usage(stderr);
		return 2;
	}
	cc_error *err = NULL;
	int r = run(argv[optind], fmt, parsed, &err);
	if (r < 0) {
		fprintf(stderr, "cocoon evidence replay-eventlog: %s\n", cc_error_message(err));
		cc_error_free(err);
		return 1;
	}
	return 0;
}
