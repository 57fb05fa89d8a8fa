/* DCAP quote parsing (tdx.h): SGX quote v3, TDX quote v4 and v5, and their
 * ECDSA signature data with the certification data, every length checked
 * against the bytes that are there (docs/attest-tdx.md, "Quote layout"). */
#include <errno.h>
#include <string.h>

#include "cocoon/limits.h"
#include "tdx.h"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A read position inside [p, end). */
typedef struct cursor {
	const uint8_t *p, *end;
} cursor;

static int take(cursor *c, size_t n, const char *what, const uint8_t **ret, cc_error **err)
{
	size_t left = (size_t)(c->end - c->p);
	if (n > left)
		return cc_error_set(err, -EBADMSG, "truncated %s: %zu bytes left, need %zu", what,
		                    left, n);
	*ret = c->p;
	c->p += n;
	return 0;
}

static int take16(cursor *c, const char *what, uint16_t *ret, cc_error **err)
{
	const uint8_t *p;
	int r = take(c, 2, what, &p, err);
	if (r == 0)
		*ret = le16(p);
	return r;
}

static int take32(cursor *c, const char *what, uint32_t *ret, cc_error **err)
{
	const uint8_t *p;
	int r = take(c, 4, what, &p, err);
	if (r == 0)
		*ret = le32(p);
	return r;
}

/* A certification data entry (type, size, data) of the wanted type that
 * must fill what is left of c. */
static int take_cert_data(cursor *c, uint16_t want, const char *what, const uint8_t **ret,
                          uint32_t *ret_len, cc_error **err)
{
	uint16_t type;
	uint32_t size;
	int r = take16(c, what, &type, err);
	if (r == 0)
		r = take32(c, what, &size, err);
	if (r < 0)
		return r;
	if (type != want)
		return cc_error_set(err, -ENOTSUP,
		                    "unsupported %s: certification data type %u, expected %u", what,
		                    type, want);
	size_t left = (size_t)(c->end - c->p);
	if (size > left)
		return cc_error_set(err, -EBADMSG, "truncated %s: declares %u bytes, %zu there",
		                    what, size, left);
	if (size < left)
		return cc_error_set(err, -EBADMSG,
		                    "oversized %s: %zu bytes after its declared %u bytes", what,
		                    left - size, size);
	*ret = c->p;
	*ret_len = size;
	c->p += size;
	return 0;
}

/* QE report, its signature, the QE authentication data and the PCK chain
 * (certification data type 5), filling c exactly. */
static int parse_qe_part(cursor *c, dcap_quote *q, cc_error **err)
{
	int r = take(c, DCAP_SGX_BODY_SIZE, "QE report", &q->qe_report, err);
	if (r == 0)
		r = take(c, DCAP_ECDSA_SIG_SIZE, "QE report signature", &q->qe_report_sig, err);
	if (r == 0)
		r = take16(c, "QE authentication data", &q->auth_data_len, err);
	if (r == 0)
		r = take(c, q->auth_data_len, "QE authentication data", &q->auth_data, err);
	if (r == 0)
		r = take_cert_data(c, DCAP_CERT_PCK_CHAIN, "PCK certification data", &q->pck_chain,
		                   &q->pck_chain_len, err);
	if (r == 0 && q->pck_chain_len == 0)
		return cc_error_set(err, -EBADMSG, "truncated PCK certification data: empty");
	return r;
}

static int parse_body(const uint8_t *b, size_t len, dcap_quote *q, size_t *off, cc_error **err)
{
	*off = DCAP_HEADER_SIZE;
	if (q->version == 3) {
		if (q->tee_type != DCAP_TEE_SGX)
			return cc_error_set(err, -ENOTSUP,
			                    "unsupported quote: version 3 with TEE type 0x%x "
			                    "(an SGX quote has 0)",
			                    q->tee_type);
		q->body_size = DCAP_SGX_BODY_SIZE;
	} else {
		if (q->tee_type != DCAP_TEE_TDX)
			return cc_error_set(err, -ENOTSUP,
			                    "unsupported quote: version %u with TEE type 0x%x "
			                    "(a TD quote has 0x81)",
			                    q->version, q->tee_type);
		q->body_size = DCAP_TD10_BODY_SIZE;
	}
	if (q->version == 5) {
		if (len < DCAP_HEADER_SIZE + DCAP_V5_BODY_DESC_SIZE)
			return cc_error_set(err, -EBADMSG,
			                    "truncated quote body descriptor: %zu bytes, need %u", len,
			                    DCAP_HEADER_SIZE + DCAP_V5_BODY_DESC_SIZE);
		q->body_type = le16(b + DCAP_HEADER_SIZE);
		uint32_t size = le32(b + DCAP_HEADER_SIZE + 2);
		uint32_t want = q->body_type == 2   ? DCAP_TD10_BODY_SIZE
		                : q->body_type == 3 ? DCAP_TD15_BODY_SIZE
		                                    : 0;
		if (want == 0)
			return cc_error_set(err, -ENOTSUP,
			                    "unsupported quote body type %u (2: TD 1.0, 3: TD 1.5)",
			                    q->body_type);
		if (size != want)
			return cc_error_set(err, -EBADMSG,
			                    "%s quote body: size %u, body type %u has %u bytes",
			                    size < want ? "truncated" : "oversized", size,
			                    q->body_type, want);
		q->body_size = size;
		*off += DCAP_V5_BODY_DESC_SIZE;
	}
	if (len - *off < q->body_size)
		return cc_error_set(err, -EBADMSG, "truncated quote body: %zu bytes, need %u",
		                    len - *off, q->body_size);
	q->body = b + *off;
	*off += q->body_size;
	return 0;
}

int dcap_quote_parse(const uint8_t *b, size_t len, dcap_quote *ret, cc_error **err)
{
	dcap_quote q;
	memset(&q, 0, sizeof(q));
	if (len > CC_TDX_MAX_QUOTE_BYTES)
		return cc_error_set(err, -E2BIG, "oversized quote: %zu bytes, more than %u", len,
		                    CC_TDX_MAX_QUOTE_BYTES);
	if (len < DCAP_HEADER_SIZE)
		return cc_error_set(err, -EBADMSG, "truncated quote header: %zu bytes, need %u", len,
		                    DCAP_HEADER_SIZE);
	q.header = b;
	q.version = le16(b);
	q.att_key_type = le16(b + 2);
	q.tee_type = le32(b + 4);
	q.qe_svn = le16(b + 8);
	q.pce_svn = le16(b + 10);
	if (q.version < 3 || q.version > 5)
		return cc_error_set(err, -ENOTSUP, "unsupported quote version %u (3, 4 or 5)",
		                    q.version);
	if (q.att_key_type != DCAP_ATT_KEY_ECDSA_P256)
		return cc_error_set(err, -ENOTSUP,
		                    "unsupported attestation key type %u (2: ECDSA P-256)",
		                    q.att_key_type);
	size_t off;
	int r = parse_body(b, len, &q, &off, err);
	if (r < 0)
		return r;
	q.signed_len = off;

	cursor c = {b + off, b + len};
	r = take32(&c, "signature data length", &q.sig_data_len, err);
	if (r < 0)
		return r;
	size_t left = (size_t)(c.end - c.p);
	if (q.sig_data_len > left)
		return cc_error_set(err, -EBADMSG,
		                    "truncated signature data: declares %u bytes, %zu there",
		                    q.sig_data_len, left);
	q.trailing = left - q.sig_data_len;
	c.end = c.p + q.sig_data_len;

	r = take(&c, DCAP_ECDSA_SIG_SIZE, "quote signature data", &q.signature, err);
	if (r == 0)
		r = take(&c, DCAP_ECDSA_KEY_SIZE, "attestation key", &q.att_key, err);
	if (r < 0)
		return r;
	if (q.version == 3) {
		r = parse_qe_part(&c, &q, err);
	} else {
		const uint8_t *qe;
		uint32_t qe_len;
		r = take_cert_data(&c, DCAP_CERT_QE_REPORT, "QE report certification data", &qe,
		                   &qe_len, err);
		if (r == 0) {
			cursor qc = {qe, qe + qe_len};
			r = parse_qe_part(&qc, &q, err);
		}
	}
	if (r < 0)
		return r;
	if (c.p != c.end)
		return cc_error_set(err, -EBADMSG,
		                    "oversized signature data: %zu bytes after the certification "
		                    "data",
		                    (size_t)(c.end - c.p));
	*ret = q;
	return 0;
}

void dcap_quote_qe_report(const dcap_quote *q, struct dcap_qe_report *ret)
{
	const uint8_t *r = q->qe_report;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->cpusvn, r, 16);
	ret->miscselect = le32(r + 16);
	memcpy(ret->attributes, r + 48, 16);
	memcpy(ret->mrenclave, r + 64, 32);
	memcpy(ret->mrsigner, r + 128, 32);
	ret->isvprodid = le16(r + 256);
	ret->isvsvn = le16(r + 258);
	memcpy(ret->report_data, r + SGX_REPORT_DATA_OFF, 64);
}
