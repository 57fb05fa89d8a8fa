/* Trustee's tdx and sgx claims from a parsed quote (tdx.h): every field
 * lower-case hex of its bytes as they are in the quote, the names and the
 * layout of Trustee's deps/verifier/src/{tdx,sgx}/claims.rs. */
#include <errno.h>
#include <stdlib.h>

#include "tdx.h"
#include "tpm_int.h"

/* A named byte range of a structure. */
struct field {
	const char *name;
	unsigned off, len;
};

static const struct field td10_fields[] = {
	{"tcb_svn", 0, 16},          {"mr_seam", 16, 48},         {"mrsigner_seam", 64, 48},
	{"seam_attributes", 112, 8}, {"td_attributes", 120, 8},   {"xfam", 128, 8},
	{"mr_td", 136, 48},          {"mr_config_id", 184, 48},   {"mr_owner", 232, 48},
	{"mr_owner_config", 280, 48}, {"rtmr_0", 328, 48},        {"rtmr_1", 376, 48},
	{"rtmr_2", 424, 48},         {"rtmr_3", 472, 48},         {"report_data", 520, 64},
	{"tee_tcb_svn2", 584, 16},   {"mr_servicetd", 600, 48},
};

static const struct field sgx_body_fields[] = {
	{"cpu_svn", 0, 16},          {"misc_select", 16, 4},      {"reserved1", 20, 12},
	{"isv_ext_prod_id", 32, 16}, {"attributes.flags", 48, 8}, {"attributes.xfrm", 56, 8},
	{"mr_enclave", 64, 32},      {"reserved2", 96, 32},       {"mr_signer", 128, 32},
	{"reserved3", 160, 32},      {"config_id", 192, 64},      {"isv_prod_id", 256, 2},
	{"isv_svn", 258, 2},         {"config_svn", 260, 2},      {"reserved4", 262, 42},
	{"isv_family_id", 304, 16},  {"report_data", 320, 64},
};

/* TD header names (Trustee calls QE SVN and PCE SVN "reserved"). */
static const struct field td_header_fields[] = {
	{"version", 0, 2},  {"att_key_type", 2, 2}, {"tee_type", 4, 4},
	{"reserved", 8, 4}, {"vendor_id", 12, 16},  {"user_data", 28, 20},
};

static const struct field sgx_header_fields[] = {
	{"version", 0, 2}, {"att_key_type", 2, 2}, {"att_key_data_0", 4, 4}, {"qe_svn", 8, 2},
	{"pce_svn", 10, 2}, {"vendor_id", 12, 16}, {"user_data", 28, 20},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* obj[name] = hex(p[0..len)); 0 or -ENOMEM. */
static int set_hex(json_t *obj, const char *name, const uint8_t *p, size_t len)
{
	char hex[2 * 128 + 1];
	if (len > 128)
		return -EINVAL;
	tpm_hex_encode(p, len, hex);
	return json_object_set_new(obj, name, json_string(hex)) < 0 ? -ENOMEM : 0;
}

/* A new object of the fields of base that fit in size bytes. */
static json_t *fields_obj(const struct field *f, size_t n, const uint8_t *base, size_t size)
{
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < n; i++) {
		if (f[i].off + f[i].len > size)
			continue;
		if (set_hex(o, f[i].name, base + f[i].off, f[i].len) < 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

static json_t *td_attributes(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return json_pack("{s:b, s:b, s:b, s:b, s:b}", "debug", (int)(v & 1u), "septve_disable",
	                 (int)((v >> 28) & 1u), "protection_keys", (int)((v >> 30) & 1u),
	                 "key_locker", (int)((v >> 31) & 1u), "perfmon", (int)((v >> 63) & 1u));
}

static int td_claims(const dcap_quote *q, json_t *claims)
{
	json_t *quote = json_object();
	if (quote == NULL || json_object_set_new(claims, "quote", quote) < 0)
		return -ENOMEM;
	json_t *h = fields_obj(td_header_fields, N(td_header_fields), q->header, DCAP_HEADER_SIZE);
	json_t *b = fields_obj(td10_fields, N(td10_fields), q->body, q->body_size);
	if (json_object_set_new(quote, "header", h) < 0 || json_object_set_new(quote, "body", b) < 0)
		return -ENOMEM;
	if (q->version == 5) {
		const uint8_t *d = q->header + DCAP_HEADER_SIZE;
		if (set_hex(quote, "type", d, 2) < 0 || set_hex(quote, "size", d + 2, 4) < 0)
			return -ENOMEM;
	}
	if (json_object_set_new(claims, "td_attributes",
	                        td_attributes(q->body + TDX_TD_ATTRIBUTES_OFF)) < 0 ||
	    set_hex(claims, "report_data", q->body + TDX_REPORT_DATA_OFF, 64) < 0 ||
	    set_hex(claims, "init_data", q->body + TDX_MR_CONFIG_ID_OFF, 48) < 0)
		return -ENOMEM;
	return 0;
}

static int sgx_claims(const dcap_quote *q, json_t *claims)
{
	json_t *h = fields_obj(sgx_header_fields, N(sgx_header_fields), q->header,
	                       DCAP_HEADER_SIZE);
	json_t *b = fields_obj(sgx_body_fields, N(sgx_body_fields), q->body, q->body_size);
	if (json_object_set_new(claims, "header", h) < 0 ||
	    json_object_set_new(claims, "body", b) < 0 ||
	    set_hex(claims, "report_data", q->body + SGX_REPORT_DATA_OFF, 64) < 0 ||
	    set_hex(claims, "init_data", q->body + SGX_CONFIG_ID_OFF, 64) < 0)
		return -ENOMEM;
	return 0;
}

int dcap_quote_claims(const dcap_quote *q, json_t **ret, cc_error **err)
{
	json_t *claims = json_object();
	int r = claims == NULL ? -ENOMEM : q->version == 3 ? sgx_claims(q, claims) : td_claims(q, claims);
	if (r < 0) {
		json_decref(claims);
		return cc_error_set(err, r, "out of memory");
	}
	*ret = claims;
	return 0;
}
