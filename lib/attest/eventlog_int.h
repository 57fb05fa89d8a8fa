/* Internals of the event log code (lib/attest/eventlog*.c). */
#ifndef COCOON_ATTEST_EVENTLOG_INT_H
#define COCOON_ATTEST_EVENTLOG_INT_H

#include "cocoon/limits.h"
#include "eventlog.h"

typedef struct ev_rec {
	eventlog_event pub; /* pub.digests points at d once parsing is done */
	eventlog_digest d[CC_EVENTLOG_MAX_BANKS];
} ev_rec;

struct eventlog {
	uint8_t *bytes; /* the log's copy; records point into it */
	size_t len;
	eventlog_format fmt;
	uint16_t banks[CC_EVENTLOG_MAX_BANKS];
	uint16_t bank_sizes[CC_EVENTLOG_MAX_BANKS];
	size_t n_banks;
	ev_rec *ev;
	size_t n, cap;
	bool has_locality; /* a StartupLocality event: PCR 0 starts at it */
	uint8_t locality;
};

/* Little-endian reads (p must hold 4 / 8 bytes). */
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* eventlog_json.c: units UTF-16LE code units into out (room for 3 bytes a
 * unit) as UTF-8; lossy: lone surrogates become U+FFFD, else SIZE_MAX. */
size_t eventlog_utf16_to_utf8(const uint8_t *p, size_t units, bool lossy, char *out);

/* eventlog_devpath.c: {"device_paths": [...]} of an UEFI_IMAGE_LOAD_EVENT,
 * {} without a path or when malformed, NULL when out of memory. */
json_t *eventlog_device_paths(const uint8_t *p, size_t n);

#endif
