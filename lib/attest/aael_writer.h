/* The attestation agent's event log (AAEL) writer, as guest-components'
 * attestation-agent/src/eventlog writes it (docs/attest-guest.md).
 *
 * Each event "<domain> <operation> <content>" becomes one TCG2
 * crypto-agile record, little-endian: MR index (the register init_pcr maps
 * to), event type EV_EVENT_TAG (6), digest count 1, algorithm id, digest,
 * event size, event = tagged id 0x4141454C ("LEAA" in memory), text
 * length, text. The digest is H(event) with the register's algorithm and
 * is what the register is extended with.
 *
 * Crash safety (upstream's write-ahead file): before the register is
 * extended, <dir>/.wal_event_entry holds the record's offset in the log
 * (8 bytes big-endian), the register value expected after the extension,
 * and the event text. Opening a writer with a WAL present finishes that
 * event: the register is extended if it still holds the value before
 * (H(current || digest) == expected) and left alone if it already holds
 * the expected value (anything else is fatal), and the record is written at
 * its offset unless exactly it is already there. */
#ifndef COCOON_ATTEST_AAEL_WRITER_H
#define COCOON_ATTEST_AAEL_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

#define AAEL_DEFAULT_DIR "/run/attestation-agent"
#define AAEL_LOG_NAME "eventlog"
#define AAEL_WAL_NAME ".wal_event_entry"
#define AAEL_DEFAULT_PCR 17u
#define AAEL_EV_EVENT_TAG 6u
#define AAEL_TAGGED_ID 0x4141454Cu

/* A runtime measurement register (TDX RTMR, TPM PCR, or a test's). */
typedef struct aael_register {
	uint16_t alg;  /* TCG algorithm id of the bank: 0x000C SHA-384 (TDX), 0x000B SHA-256 */
	/* The MR index recorded in the log for a PCR number (TDX: pcr_to_ccmr). */
	uint32_t (*mr_index)(unsigned pcr);
	/* The register's value (digest size of alg bytes). */
	int (*read)(void *ctx, unsigned pcr, uint8_t *out, size_t len, cc_error **err);
	/* Extends the register with digest (digest size of alg bytes). */
	int (*extend)(void *ctx, unsigned pcr, const uint8_t *digest, size_t len, cc_error **err);
} aael_register;

/* TDX: RTMR (pcr_to_ccmr(pcr) - 1) through the kernel's sysfs measurement
 * files (Linux 6.16+) <root>/sys/devices/virtual/misc/tdx_guest/
 * measurements/rtmr<N>:sha384 (read: the value; write 48 bytes: extend).
 * ctx: the root prefix (const char *, NULL: none). */
extern const aael_register aael_tdx_rtmr;
/* guest-components' TDX mapping: PCR 1,7 -> 1; 2..6 -> 2; 8..15 -> 3; any
 * other -> 4 (so the default PCR 17 is RTMR 3). */
uint32_t aael_tdx_pcr_to_ccmr(unsigned pcr);

/* TPM: SHA-256 PCR pcr through tpm2-tss (aael_tpm.c); ctx: the TCTI
 * string (const char *, NULL: tpm2-tss's default). MR index = PCR. */
extern const aael_register aael_tpm_pcr;

typedef struct aael_writer aael_writer;

typedef struct aael_writer_opts {
	const char *dir;        /* NULL: AAEL_DEFAULT_DIR (created when missing) */
	unsigned init_pcr;      /* 0: AAEL_DEFAULT_PCR */
	const aael_register *reg;
	void *reg_ctx;
} aael_writer_opts;

/* Opens (creates) <dir>/eventlog, locks it (flock: a second writer on
 * the same log gets -EBUSY, "AAEL: ... is in use by another writer") and
 * finishes an event a crash left in the WAL. Errors start with "AAEL" ("AAEL recovery: ..." for a WAL that
 * cannot be finished). */
int aael_writer_open(const aael_writer_opts *o, aael_writer **ret, cc_error **err);
void aael_writer_free(aael_writer *w);

/* Logs "<domain> <operation> <content>" and extends register pcr
 * (AAEL_DEFAULT_PCR: init_pcr) with its digest. content must not hold a
 * newline (upstream's rule); domain and operation must not hold a space
 * or newline (else the WAL's text would not split back into the same
 * event); the whole text is at most CC_AAEL_MAX_EVENT_BYTES. */
int aael_writer_extend(aael_writer *w, const char *domain, const char *operation,
                       const char *content, unsigned pcr, cc_error **err);

/* The record for text (len bytes) in *ret (malloc'd) and its digest in
 * digest (the algorithm's size). */
int aael_entry_encode(uint16_t alg, uint32_t mr_index, const char *text, size_t len,
                      uint8_t **ret, size_t *ret_len, uint8_t digest[64], cc_error **err);

#endif
