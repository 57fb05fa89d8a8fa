/* The cc_eventlog of TDX evidence (guest_attest.h), as guest-components'
 * attester/src/utils.rs read_eventlog builds it: the CCEL area cut at its
 * end marker, the AA event log, and 8 bytes 0xFF. The CCEL is read from
 * firmware memory, the AAEL from a file others can write: both are parsed
 * with explicit lengths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "guest_attest.h"

/* Upstream's EL_HEADER: a TCG_PCR_EVENT EV_NO_ACTION record whose event is
 * a Spec ID Event03 declaring SHA-256 (32), SHA-384 (48) and SM3 (32). */
static const uint8_t el_header[73] = {
	0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x29, 0x00, 0x00, 0x00, /* event size 41 */
	'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ', 'E', 'v', 'e', 'n', 't', '0', '3', 0x00,
	0x00, 0x00, 0x00, 0x00, /* platform class */
	0x00, 0x02, 0x00, 0x02, /* spec 2.0, errata 0, UINTN 64-bit */
	0x03, 0x00, 0x00, 0x00, /* 3 algorithms */
	0x0B, 0x00, 0x20, 0x00, 0x0C, 0x00, 0x30, 0x00, 0x12, 0x00, 0x20, 0x00,
	0x00, /* vendor info size */
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int need(size_t have, size_t off, size_t n, const char *what, cc_error **err)
{
	if (off > have || n > have - off)
		return cc_error_set(err, -EINVAL, "truncated CCEL: %s", what);
	return 0;
}

/* The length of the CCEL up to its end marker (8 bytes all 0xFF or all
 * zero at a record boundary), as upstream's trim_ccel. */
static int ccel_trimmed_len(const uint8_t *p, size_t len, size_t *ret, cc_error **err)
{
	size_t i = 4;
	int r = need(len, i, 4, "first record's type", err);
	if (r < 0)
		return r;
	uint32_t type = le32(p + i);
	i += 4 + 20;
	if (type == 3) {
		if ((r = need(len, i, 4, "first record's size", err)) < 0)
			return r;
		i += 4 + (size_t)le32(p + i);
	}
	for (size_t n = 0; n <= CC_EVENTLOG_MAX_EVENTS; n++) {
		if ((r = need(len, i, 8, "no end marker", err)) < 0)
			return r;
		static const uint8_t ff[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
		static const uint8_t zero[8];
		if (memcmp(p + i, ff, 8) == 0 || memcmp(p + i, zero, 8) == 0) {
			*ret = i;
			return 0;
		}
		i += 8;
		if ((r = need(len, i, 4, "digest count", err)) < 0)
			return r;
		uint32_t count = le32(p + i);
		i += 4;
		if (count > 8)
			return cc_error_set(err, -EINVAL, "CCEL: %u digests in one record", count);
		for (uint32_t d = 0; d < count; d++) {
			if ((r = need(len, i, 2, "digest algorithm", err)) < 0)
				return r;
			unsigned alg = (unsigned)p[i] | (unsigned)p[i + 1] << 8;
			size_t dl = alg == 0xB ? 32 : alg == 0xC ? 48 : alg == 0xD ? 64 : alg == 0x12 ? 32 : 0;
			if (dl == 0)
				return cc_error_set(err, -EINVAL, "CCEL: unsupported digest algorithm 0x%04x",
				                    alg);
			i += 2;
			if ((r = need(len, i, dl, "digest", err)) < 0)
				return r;
			i += dl;
		}
		if ((r = need(len, i, 4, "event size", err)) < 0)
			return r;
		size_t es = le32(p + i);
		i += 4;
		if ((r = need(len, i, es, "event data", err)) < 0)
			return r;
		i += es;
	}
	return cc_error_set(err, -E2BIG, "oversized: CCEL has more than %u records",
	                    CC_EVENTLOG_MAX_EVENTS);
}

int tdx_cc_eventlog_build(const uint8_t *ccel, size_t ccel_len, const uint8_t *aael,
                          size_t aael_len, uint8_t **ret, size_t *ret_len, cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	size_t cl = 0;
	if (ccel != NULL) {
		if (ccel_len > CC_TDX_MAX_CCEL_BYTES)
			return cc_error_set(err, -E2BIG, "oversized: CCEL is %zu bytes (at most %u)",
			                    ccel_len, CC_TDX_MAX_CCEL_BYTES);
		int r = ccel_trimmed_len(ccel, ccel_len, &cl, err);
		if (r < 0)
			return r;
	}
	if (aael != NULL && aael_len > CC_AAEL_MAX_FILE_BYTES)
		return cc_error_set(err, -E2BIG, "oversized: AA event log is %zu bytes (at most %u)",
		                    aael_len, CC_AAEL_MAX_FILE_BYTES);
	bool header = aael != NULL && cl == 0;
	size_t total = cl + (header ? sizeof(el_header) : 0) + (aael != NULL ? aael_len : 0);
	if (total == 0)
		return 0;
	uint8_t *out = malloc(total + 8);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t o = 0;
	if (cl > 0)
		memcpy(out, ccel, cl);
	o = cl;
	if (header) {
		memcpy(out + o, el_header, sizeof(el_header));
		o += sizeof(el_header);
	}
	if (aael != NULL && aael_len > 0) {
		memcpy(out + o, aael, aael_len);
		o += aael_len;
	}
	memset(out + o, 0xFF, 8);
	*ret = out;
	*ret_len = o + 8;
	return 0;
}
