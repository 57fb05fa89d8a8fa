/* Fuzz target: event logs (lib/attest/eventlog*.c, docs/attest-eventlog.md).
 *
 * Byte 0 picks the format (mod 5: auto, TCG2, legacy SHA-1, CCEL, AAEL),
 * the rest is the log. A log that parses is replayed (every register of
 * every bank, as JSON), rendered as Trustee's parsed log (per-type details:
 * EFI variables, device paths, tagged events, AAEL entries) and its AAEL
 * entries listed. Seeds: fuzz/corpus/eventlog/ (Trustee's CCEL vectors cut
 * after their last record, logs from tests/attest/eventlog_gen.py).
 */
#include "cocoon/limits.h"
#include "eventlog.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > CC_EVENTLOG_MAX_BYTES)
		return 0;
	static const eventlog_format fmts[] = {EVENTLOG_AUTO, EVENTLOG_TCG2, EVENTLOG_LEGACY,
	                                       EVENTLOG_CCEL, EVENTLOG_AAEL};
	eventlog *l = NULL;
	cc_error *err = NULL;
	if (eventlog_parse(data + 1, size - 1, fmts[data[0] % 5], &l, &err) == 0) {
		json_t *j = NULL;
		if (eventlog_replay_json(l, &j, &err) == 0)
			json_decref(j);
		if (eventlog_to_json(l, &j, &err) == 0)
			json_decref(j);
		if (eventlog_aael_json(l, &j, &err) == 0)
			json_decref(j);
		uint8_t out[EVENTLOG_MAX_DIGEST];
		(void)eventlog_check_register(l, EVENTLOG_ALG_SHA256, 7, out, 32, &err);
		eventlog_free(l);
	}
	cc_error_free(err);
	return 0;
}
