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

/* eventlog_devpath.c: {"device_paths": [...]} of an UEFI_IMAGE_LOAD_EVENT,
 * {} without a path, NULL when malformed (or out of memory). */
json_t *eventlog_device_paths(const uint8_t *p, size_t n);

#endif
