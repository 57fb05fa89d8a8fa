/* The SNP extended report's certificate table (guest_attest.h): what
 * configfs-tsm's auxblob and SNP_GET_EXT_REPORT's certificate buffer hold,
 * turned into the evidence's cert_chain as the sev crate serialises its
 * CertTableEntry list. The host fills this buffer: it is untrusted. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cocoon/limits.h"
#include "guest_attest.h"
#include "snp_int.h"

#define ENTRY_SIZE 24u

static const struct {
	const char *guid, *type;
} known[] = {
	{"c0b406a4-a803-4952-9743-3fb6014cd0ae", "ARK"},
	{"4ab7b379-bbac-4fe4-a02f-05aef327c782", "ASK"},
	{"63da758d-e664-4564-adc5-f4b93be8accd", "VCEK"},
	{"a8074bc2-a25a-483e-aae6-39c045a0b8a1", "VLEK"},
	{"92f81bc3-5811-4d3d-97ff-d19f88dc67ea", "CRL"},
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The GUID's bytes in table order as the usual 8-4-4-4-12 text (libuuid's
 * and the uuid crate's byte order). */
static void guid_text(const uint8_t *g, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[g[i] >> 4];
		out[o++] = hex[g[i] & 15];
	}
	out[o] = 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

int snp_certtable_to_json(const uint8_t *p, size_t len, json_t **ret, cc_error **err)
{
	if (len > CC_SNP_MAX_CERTS_BUF_BYTES)
		return cc_error_set(err, -E2BIG,
		                    "oversized: SNP certificate table is %zu bytes (at most %u)", len,
		                    CC_SNP_MAX_CERTS_BUF_BYTES);
	/* Find the terminator first: every entry before it, and nothing the
	 * entries point at may overlap the table itself. */
	size_t n = 0;
	for (;; n++) {
		if ((n + 1) * ENTRY_SIZE > len)
			return cc_error_set(err, -EINVAL,
			                    "truncated: SNP certificate table has no terminating "
			                    "entry in %zu bytes",
			                    len);
		if (all_zero(p + n * ENTRY_SIZE, ENTRY_SIZE))
			break;
		if (n == CC_SNP_MAX_CERT_ENTRIES)
			return cc_error_set(err, -E2BIG,
			                    "oversized: SNP certificate table has more than %u entries",
			                    CC_SNP_MAX_CERT_ENTRIES);
	}
	if (n == 0) {
		*ret = json_null();
		return 0;
	}
	size_t table_end = (n + 1) * ENTRY_SIZE;
	json_t *arr = json_array();
	if (arr == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		const uint8_t *e = p + i * ENTRY_SIZE;
		uint32_t off = le32(e + 16), sz = le32(e + 20);
		char guid[37];
		guid_text(e, guid);
		for (size_t k = 0; r == 0 && k < i; k++)
			if (memcmp(p + k * ENTRY_SIZE, e, 16) == 0)
				r = cc_error_set(err, -EINVAL,
				                 "SNP certificate table: GUID %s appears twice", guid);
		if (r < 0)
			break;
		if (all_zero(e, 16))
			r = cc_error_set(err, -EINVAL, "SNP certificate table: entry %zu has a zero GUID",
			                 i);
		else if (sz == 0 || sz > CC_SNP_MAX_CERT_BYTES)
			r = cc_error_set(err, sz == 0 ? -EINVAL : -E2BIG,
			                 "%sSNP certificate table: entry %zu (%s) is %u bytes",
			                 sz == 0 ? "" : "oversized: ", i, guid, sz);
		else if (off < table_end)
			r = cc_error_set(err, -EINVAL,
			                 "SNP certificate table: entry %zu (%s) at offset %u overlaps "
			                 "the table (%zu bytes)",
			                 i, guid, off, table_end);
		else if ((size_t)off > len || (size_t)sz > len - (size_t)off)
			r = cc_error_set(err, -EINVAL,
			                 "truncated: SNP certificate table entry %zu (%s): bytes "
			                 "%u..%llu are past the buffer's %zu",
			                 i, guid, off, (unsigned long long)off + sz, len);
		if (r < 0)
			break;
		json_t *type = NULL;
		for (size_t k = 0; type == NULL && k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(guid, known[k].guid) == 0)
				type = json_string(known[k].type);
		if (type == NULL)
			type = json_pack("{s:s}", "OTHER", guid);
		json_t *o = json_pack("{s:o,s:o}", "cert_type", type, "data",
		                      snp_bytes_json(p + off, sz));
		if (o == NULL || json_array_append_new(arr, o) < 0)
			r = cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	*ret = arr;
	return 0;
}
