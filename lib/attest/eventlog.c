/* Event log parsing (eventlog.h): the TCG2 crypto-agile log, the legacy
 * SHA-1 log and the CCEL area, read with explicit lengths and bounds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "eventlog_int.h"

static const struct {
	uint16_t alg;
	uint16_t size;
	const char *name;
} algs[] = {
	{EVENTLOG_ALG_SHA1, 20, "sha1"},     {EVENTLOG_ALG_SHA256, 32, "sha256"},
	{EVENTLOG_ALG_SHA384, 48, "sha384"}, {EVENTLOG_ALG_SHA512, 64, "sha512"},
	{EVENTLOG_ALG_SM3_256, 32, "sm3"},
};

size_t eventlog_alg_size(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].size;
	return 0;
}

const char *eventlog_alg_name(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].name;
	return NULL;
}

/* A cursor over the log's bytes. */
typedef struct cursor {
	const uint8_t *p;
	size_t len, off;
} cursor;

static size_t left(const cursor *c)
{
	return c->len - c->off;
}

static int need(const cursor *c, size_t n, const char *what, size_t rec, cc_error **err)
{
	if (left(c) < n)
		return cc_error_set(err, -EINVAL,
		                    "truncated %s: record %zu at offset %zu needs %zu bytes, %zu left",
		                    what, rec, c->off, n, left(c));
	return 0;
}

static uint32_t rd32(cursor *c)
{
	const uint8_t *p = c->p + c->off;
	c->off += 4;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(cursor *c)
{
	const uint8_t *p = c->p + c->off;
	c->off += 2;
	return (uint16_t)(p[0] | p[1] << 8);
}

static int add_event(eventlog *l, ev_rec **ret, cc_error **err)
{
	if (l->n == CC_EVENTLOG_MAX_EVENTS)
		return cc_error_set(err, -E2BIG, "oversized event log: more than %u records",
		                    CC_EVENTLOG_MAX_EVENTS);
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 64 : l->cap * 2;
		if (cap > CC_EVENTLOG_MAX_EVENTS)
			cap = CC_EVENTLOG_MAX_EVENTS;
		ev_rec *e = realloc(l->ev, cap * sizeof(*e));
		if (e == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		l->ev = e;
		l->cap = cap;
	}
	*ret = &l->ev[l->n++];
	memset(*ret, 0, sizeof(**ret));
	return 0;
}

/* The event data: u32 size then the bytes. */
static int read_event_data(cursor *c, ev_rec *e, size_t rec, cc_error **err)
{
	int r = need(c, 4, "event size", rec, err);
	if (r < 0)
		return r;
	uint32_t size = rd32(c);
	if (size > CC_EVENTLOG_MAX_EVENT_BYTES)
		return cc_error_set(err, -E2BIG,
		                    "oversized event data: record %zu declares %u bytes, more than %u",
		                    rec, size, CC_EVENTLOG_MAX_EVENT_BYTES);
	r = need(c, size, "event data", rec, err);
	if (r < 0)
		return r;
	e->pub.data = c->p + c->off;
	e->pub.data_len = size;
	c->off += size;
	return 0;
}

static int check_index(const eventlog *l, uint32_t index, size_t rec, cc_error **err)
{
	uint32_t max = l->fmt == EVENTLOG_CCEL ? EVENTLOG_CCEL_RTMRS : EVENTLOG_MAX_PCRS - 1;
	if (index > max)
		return cc_error_set(err, -EINVAL, "event log: record %zu names %s %u, above %u", rec,
		                    l->fmt == EVENTLOG_CCEL ? "MR index" : "PCR", index, max);
	return 0;
}

/* A TCG_PCClientPCREvent: PCRIndex, EventType, SHA-1 digest, event data. */
static int read_legacy(eventlog *l, cursor *c, ev_rec *e, size_t rec, cc_error **err)
{
	int r = need(c, 8 + 20, "TCG_PCClientPCREvent", rec, err);
	if (r < 0)
		return r;
	e->pub.index = rd32(c);
	e->pub.type = rd32(c);
	e->d[0].alg = EVENTLOG_ALG_SHA1;
	e->d[0].size = 20;
	e->d[0].digest = c->p + c->off;
	c->off += 20;
	e->pub.n_digests = 1;
	r = read_event_data(c, e, rec, err);
	if (r == 0 && l != NULL)
		r = check_index(l, e->pub.index, rec, err);
	return r;
}

static int bank_size(const eventlog *l, uint16_t alg)
{
	for (size_t i = 0; i < l->n_banks; i++)
		if (l->banks[i] == alg)
			return l->bank_sizes[i];
	return -1;
}

/* A TCG_PCR_EVENT2: PCRIndex, EventType, TPML_DIGEST_VALUES, event data. */
static int read_event2(eventlog *l, cursor *c, ev_rec *e, size_t rec, cc_error **err)
{
	int r = need(c, 12, "TCG_PCR_EVENT2", rec, err);
	if (r < 0)
		return r;
	e->pub.index = rd32(c);
	e->pub.type = rd32(c);
	r = check_index(l, e->pub.index, rec, err);
	if (r < 0)
		return r;
	uint32_t count = rd32(c);
	if (count > (l->fmt == EVENTLOG_AAEL ? CC_EVENTLOG_MAX_BANKS : l->n_banks))
		return cc_error_set(err, -E2BIG,
		                    "oversized TPML_DIGEST_VALUES: record %zu has %u digests, the "
		                    "header declares %zu algorithms",
		                    rec, count, l->n_banks);
	for (uint32_t i = 0; i < count; i++) {
		r = need(c, 2, "TPMT_HA", rec, err);
		if (r < 0)
			return r;
		uint16_t alg = rd16(c);
		int size = bank_size(l, alg);
		if (size < 0 && l->fmt == EVENTLOG_AAEL && eventlog_alg_size(alg) != 0 &&
		    l->n_banks < CC_EVENTLOG_MAX_BANKS) {
			/* no header: a record's known algorithm declares its bank */
			l->banks[l->n_banks] = alg;
			size = (int)eventlog_alg_size(alg);
			l->bank_sizes[l->n_banks++] = (uint16_t)size;
		}
		if (size < 0)
			return cc_error_set(err, -EINVAL,
			                    "event log: record %zu has a digest of algorithm 0x%04x, "
			                    "which the Spec ID header does not declare",
			                    rec, alg);
		for (uint32_t j = 0; j < i; j++)
			if (e->d[j].alg == alg)
				return cc_error_set(err, -EINVAL,
				                    "event log: record %zu has two %s digests", rec,
				                    eventlog_alg_name(alg));
		r = need(c, (size_t)size, "TPMT_HA digest", rec, err);
		if (r < 0)
			return r;
		e->d[i].alg = alg;
		e->d[i].size = (uint16_t)size;
		e->d[i].digest = c->p + c->off;
		c->off += (size_t)size;
	}
	e->pub.n_digests = count;
	return read_event_data(c, e, rec, err);
}

static const uint8_t spec_id_sig[16] = "Spec ID Event03";

/* The TCG_EfiSpecIdEvent of the first (legacy-form) record: the banks and
 * their digest sizes. */
static int read_spec_id(eventlog *l, const ev_rec *e, cc_error **err)
{
	cursor c = {e->pub.data, e->pub.data_len, 0};
	int r = need(&c, 16 + 4 + 4 + 4, "TCG_EfiSpecIdEvent", 0, err);
	if (r < 0)
		return r;
	c.off = 16 + 4 + 4; /* signature, platformClass, versions, uintnSize */
	uint32_t n = rd32(&c);
	if (n == 0 || n > CC_EVENTLOG_MAX_BANKS)
		return cc_error_set(err, n == 0 ? -EINVAL : -E2BIG,
		                    "%s TCG_EfiSpecIdEvent: %u algorithms (1..%u)",
		                    n == 0 ? "empty" : "oversized", n, CC_EVENTLOG_MAX_BANKS);
	for (uint32_t i = 0; i < n; i++) {
		r = need(&c, 4, "TCG_EfiSpecIdEvent digest sizes", 0, err);
		if (r < 0)
			return r;
		uint16_t alg = rd16(&c), size = rd16(&c);
		size_t want = eventlog_alg_size(alg);
		if (want == 0)
			return cc_error_set(err, -EINVAL,
			                    "event log: TCG_EfiSpecIdEvent declares unknown algorithm "
			                    "0x%04x",
			                    alg);
		if (size != want)
			return cc_error_set(err, -EINVAL,
			                    "event log: TCG_EfiSpecIdEvent gives %s a %u-byte digest, "
			                    "not %zu",
			                    eventlog_alg_name(alg), size, want);
		if (bank_size(l, alg) >= 0)
			return cc_error_set(err, -EINVAL,
			                    "event log: TCG_EfiSpecIdEvent declares %s twice",
			                    eventlog_alg_name(alg));
		l->banks[l->n_banks] = alg;
		l->bank_sizes[l->n_banks++] = size;
	}
	r = need(&c, 1, "TCG_EfiSpecIdEvent vendorInfoSize", 0, err);
	if (r < 0)
		return r;
	size_t vendor = c.p[c.off++];
	r = need(&c, vendor, "TCG_EfiSpecIdEvent vendorInfo", 0, err);
	if (r < 0)
		return r;
	if (left(&c) - vendor != 0)
		return cc_error_set(err, -EINVAL,
		                    "event log: TCG_EfiSpecIdEvent has %zu bytes after its vendorInfo",
		                    left(&c) - vendor);
	return 0;
}

static bool is_spec_id(const ev_rec *e)
{
	return e->pub.type == EVENTLOG_EV_NO_ACTION && e->pub.data_len >= sizeof(spec_id_sig) &&
	       memcmp(e->pub.data, spec_id_sig, sizeof(spec_id_sig)) == 0;
}

/* guest-components' attesters put a fixed header (utils.rs EL_HEADER)
 * before the AA event log when the TEE has no CCEL; its TCG_EfiSpecIdEvent
 * has 16 zero bytes where "Spec ID Event03" belongs. Trustee reads the
 * digest sizes after it regardless; a CCEL-mode log accepts that header
 * too (its body is checked like any Spec ID event), so that evidence from
 * upstream's attesters verifies. */
static bool is_aa_zero_spec_id(const ev_rec *e)
{
	static const uint8_t zero[sizeof(spec_id_sig)];
	return e->pub.type == EVENTLOG_EV_NO_ACTION && e->pub.index == 0 &&
	       e->pub.data_len >= sizeof(zero) && memcmp(e->pub.data, zero, sizeof(zero)) == 0;
}

/* CCEL: the area ends at 8 bytes all 0xFF or all 0x00 (or fewer such bytes
 * at its very end); everything after must be that same padding. */
static int ccel_end(const cursor *c, bool *end, cc_error **err)
{
	size_t n = left(c) < 8 ? left(c) : 8;
	uint8_t b = c->p[c->off];
	*end = false;
	if (b != 0xFF && b != 0x00)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (c->p[c->off + i] != b)
			return 0;
	for (size_t i = c->off; i < c->len; i++)
		if (c->p[i] != b)
			return cc_error_set(err, -EINVAL,
			                    "event log: CCEL padding at offset %zu is followed by "
			                    "other bytes at offset %zu",
			                    c->off, i);
	*end = true;
	return 0;
}

static int parse(eventlog *l, cc_error **err)
{
	cursor c = {l->bytes, l->len, 0};
	if (l->fmt == EVENTLOG_AAEL) {
		for (size_t rec = 0; left(&c) > 0; rec++) {
			ev_rec *e;
			int r = add_event(l, &e, err);
			if (r == 0)
				r = read_event2(l, &c, e, rec, err);
			if (r < 0)
				return r;
		}
		return 0;
	}
	ev_rec first;
	memset(&first, 0, sizeof(first));
	int r = read_legacy(NULL, &c, &first, 0, err);
	if (r < 0)
		return r;
	bool agile = is_spec_id(&first) || (l->fmt == EVENTLOG_CCEL && is_aa_zero_spec_id(&first));
	if (l->fmt == EVENTLOG_AUTO)
		l->fmt = agile ? EVENTLOG_TCG2 : EVENTLOG_LEGACY;
	if (l->fmt != EVENTLOG_LEGACY) {
		if (!agile)
			return cc_error_set(err, -EINVAL,
			                    "event log: the first record is not a Spec ID Event03 "
			                    "(not a crypto-agile log)");
		r = read_spec_id(l, &first, err);
		if (r < 0)
			return r;
	} else {
		c.off = 0;
		l->banks[0] = EVENTLOG_ALG_SHA1;
		l->bank_sizes[0] = 20;
		l->n_banks = 1;
	}
	for (size_t rec = 1; left(&c) > 0; rec++) {
		if (l->fmt == EVENTLOG_CCEL) {
			bool end;
			r = ccel_end(&c, &end, err);
			if (r < 0 || end)
				return r;
		}
		ev_rec *e;
		r = add_event(l, &e, err);
		if (r < 0)
			return r;
		r = l->fmt == EVENTLOG_LEGACY ? read_legacy(l, &c, e, rec, err)
		                              : read_event2(l, &c, e, rec, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int eventlog_parse(const uint8_t *p, size_t len, eventlog_format fmt, eventlog **ret,
                   cc_error **err)
{
	if (len > CC_EVENTLOG_MAX_BYTES)
		return cc_error_set(err, -E2BIG, "oversized event log: %zu bytes, more than %u", len,
		                    CC_EVENTLOG_MAX_BYTES);
	if (len == 0 && fmt != EVENTLOG_AAEL) /* an AA event log may have no entries yet */
		return cc_error_set(err, -EINVAL, "truncated event log: empty");
	eventlog *l = calloc(1, sizeof(*l));
	if (l == NULL || (l->bytes = malloc(len > 0 ? len : 1)) == NULL) {
		free(l);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	memcpy(l->bytes, p, len);
	l->len = len;
	l->fmt = fmt;
	int r = parse(l, err);
	if (r < 0) {
		eventlog_free(l);
		return r;
	}
	for (size_t i = 0; i < l->n; i++)
		l->ev[i].pub.digests = l->ev[i].d;
	/* StartupLocality (PC Client PFP §10.4.5.3): "StartupLocality\0"
	 * then the locality, in an EV_NO_ACTION record of PCR 0. */
	static const uint8_t loc_sig[16] = "StartupLocality";
	for (size_t i = 0; i < l->n && (l->fmt == EVENTLOG_TCG2 || l->fmt == EVENTLOG_LEGACY); i++) {
		const eventlog_event *e = &l->ev[i].pub;
		if (e->type == EVENTLOG_EV_NO_ACTION && e->index == 0 && e->data_len == 17 &&
		    memcmp(e->data, loc_sig, sizeof(loc_sig)) == 0) {
			l->locality = e->data[16];
			l->has_locality = true;
		}
	}
	*ret = l;
	return 0;
}

void eventlog_free(eventlog *l)
{
	if (l == NULL)
		return;
	free(l->ev);
	free(l->bytes);
	free(l);
}

eventlog_format eventlog_get_format(const eventlog *l)
{
	return l->fmt;
}

size_t eventlog_count(const eventlog *l)
{
	return l->n;
}

const eventlog_event *eventlog_event_at(const eventlog *l, size_t i)
{
	return i < l->n ? &l->ev[i].pub : NULL;
}

size_t eventlog_bank_count(const eventlog *l)
{
	return l->n_banks;
}

uint16_t eventlog_bank_at(const eventlog *l, size_t i)
{
	return i < l->n_banks ? l->banks[i] : 0;
}
