/* Measured-boot event logs: the TCG2 crypto-agile log (TCG PC Client
 * Platform Firmware Profile §10.2: a Spec ID Event03 header written as a
 * legacy SHA-1 event, then TCG_PCR_EVENT2 records with one digest per bank),
 * the legacy SHA-1-only log (TCG_PCClientPCREvent records), and the
 * confidential-computing event log (CCEL: the same crypto-agile records in
 * the area the ACPI CCEL table points at, padded with 0xFF to its end), as
 * Trustee's deps/eventlog reads them (docs/attest-eventlog.md).
 *
 * Parsing reads explicit lengths and fails closed: every record must fit,
 * digest sizes come from the header's table and must equal the algorithm's,
 * counts and sizes are bounded (CC_EVENTLOG_* in cocoon/limits.h). Error
 * messages start with "truncated" or "oversized" and the structure's name,
 * or with what else is wrong.
 *
 * Replay: every record except EV_NO_ACTION is extended, per bank, into the
 * register its index names; a register starts at zeros, except PCR 0 of a
 * TPM log with a StartupLocality EV_NO_ACTION event, whose last byte is the
 * locality. In CCEL mode the register is the RTMR: index 1..4 -> RTMR 0..3;
 * index 0 (MRTD, measured by the TDX module, not by extends) is never
 * replayed. */
#ifndef COCOON_ATTEST_EVENTLOG_H
#define COCOON_ATTEST_EVENTLOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

/* TCG algorithm ids (TCG Algorithm Registry). */
#define EVENTLOG_ALG_SHA1 0x0004u
#define EVENTLOG_ALG_SHA256 0x000Bu
#define EVENTLOG_ALG_SHA384 0x000Cu
#define EVENTLOG_ALG_SHA512 0x000Du
#define EVENTLOG_ALG_SM3_256 0x0012u

/* Event types this code gives a meaning to (PC Client PFP §10.4.1). */
#define EVENTLOG_EV_NO_ACTION 0x00000003u
#define EVENTLOG_EV_EVENT_TAG 0x00000006u

/* Largest digest (SHA-512). */
#define EVENTLOG_MAX_DIGEST 64u
/* Registers replayed: TPM PCR 0..23; CCEL RTMR 0..3. */
#define EVENTLOG_MAX_PCRS 24u
#define EVENTLOG_CCEL_RTMRS 4u

typedef enum eventlog_format {
	EVENTLOG_AUTO = 0, /* TCG2 when the first record is a Spec ID Event03, else legacy */
	EVENTLOG_TCG2,     /* crypto-agile TPM log; ends at the end of the bytes */
	EVENTLOG_LEGACY,   /* SHA-1-only TCG_PCClientPCREvent records */
	EVENTLOG_CCEL,     /* crypto-agile; ends at the first all-0xFF or all-zero
	                    * 8 bytes (the unused rest of the CCEL area) */
	EVENTLOG_AAEL,     /* guest-components' AA event log file: TCG_PCR_EVENT2
	                    * records without a Spec ID header (the banks are
	                    * those the records use); registers are the recorded
	                    * indexes as they are (TDX: MR index, RTMR = index - 1) */
} eventlog_format;

typedef struct eventlog eventlog;

typedef struct eventlog_digest {
	uint16_t alg;
	uint16_t size;
	const uint8_t *digest; /* into the log's copy of the bytes */
} eventlog_digest;

typedef struct eventlog_event {
	uint32_t index; /* PCRIndex as recorded (CCEL: MR index, RTMR = index - 1) */
	uint32_t type;
	size_t n_digests;
	const eventlog_digest *digests;
	const uint8_t *data; /* the event data, data_len bytes */
	size_t data_len;
} eventlog_event;

/* Parses len bytes of p (copied). -EINVAL / -E2BIG / -ENOMEM with a message. */
int eventlog_parse(const uint8_t *p, size_t len, eventlog_format fmt, eventlog **ret,
                   cc_error **err);
void eventlog_free(eventlog *l);

/* The format actually parsed (EVENTLOG_AUTO resolved). */
eventlog_format eventlog_get_format(const eventlog *l);
/* Records after the header (EV_NO_ACTION ones included). */
size_t eventlog_count(const eventlog *l);
/* The i-th record; valid until eventlog_free. */
const eventlog_event *eventlog_event_at(const eventlog *l, size_t i);
/* The banks the log records, in the header's order (legacy: SHA-1 only). */
size_t eventlog_bank_count(const eventlog *l);
uint16_t eventlog_bank_at(const eventlog *l, size_t i);

/* Digest size of a TCG algorithm id, 0 when unknown here. */
size_t eventlog_alg_size(uint16_t alg);
/* Lower-case name used in JSON: "sha1", "sha256", "sha384", "sha512", "sm3";
 * NULL when unknown. */
const char *eventlog_alg_name(uint16_t alg);

/* Replays register reg (TPM: PCR 0..23; CCEL: RTMR 0..3) of bank alg into
 * out (eventlog_alg_size(alg) bytes). *touched (may be NULL): whether any
 * record extended it. -ENOENT when the log has no such bank, -EINVAL for a
 * register out of range. */
int eventlog_replay(const eventlog *l, uint16_t alg, unsigned reg, uint8_t *out, bool *touched,
                    cc_error **err);

/* Compares the replay with a quoted value; on mismatch -EPERM and
 * "event log replay: PCR 7 sha256 mismatch (log <hex>, quote <hex>)"
 * (CCEL: "RTMR 1 sha384 ..."). */
int eventlog_check_register(const eventlog *l, uint16_t alg, unsigned reg, const uint8_t *want,
                            size_t want_len, cc_error **err);

/* Every register any record touched, per bank:
 * {"sha256": {"0": "<hex>", ...}, ...} (CCEL: RTMR numbers). */
int eventlog_replay_json(const eventlog *l, json_t **ret, cc_error **err);

/* Trustee's parsed log: {"uefi_event_logs": [{"details", "digest_matches_event",
 * "digests": [{"alg": "SHA-384", "digest": hex}], "event": base64, "index",
 * "type_name"}, ...]} (deps/eventlog's CcEventLog serialised; the TDX claims'
 * uefi_event_logs). */
int eventlog_to_json(const eventlog *l, json_t **ret, cc_error **err);

/* The AA event log entries (guest-components' AAEL: EV_EVENT_TAG records
 * whose tag data is "AAEL" then "domain operation content"), as
 * {"<domain>": {"<operation>": ["<content>", ...]}}; {} when none. */
int eventlog_aael_json(const eventlog *l, json_t **ret, cc_error **err);

#endif
