/* The PCK certificate's Intel SGX extensions (OID 1.2.840.113741.1.13.1,
 * Intel's "SGX PCK Certificate and CRL Profile"): a SEQUENCE of
 * SEQUENCE { OID, value } holding PPID (.1), TCB (.2: SEQUENCE of
 * { .2.N, INTEGER } for components 1..16, PCESVN .2.17, CPUSVN .2.18),
 * PCE-ID (.3), FMSPC (.4), SGX type (.5) and, on Platform CA leaves,
 * platform instance ID (.6) and configuration (.7). OpenSSL's DER decoder
 * reads the ASN.1; every element we use must be there exactly once with
 * its exact size, and no bytes may follow a SEQUENCE. */
#include <errno.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <string.h>

#include "dcap_int.h"

#define SGX_OID "1.2.840.113741.1.13.1"

static STACK_OF(ASN1_TYPE) *seq_any(const unsigned char *der, size_t len)
{
	if (len > CC_DCAP_MAX_PCK_EXT_BYTES)
		return NULL;
	const unsigned char *p = der;
	STACK_OF(ASN1_TYPE) *s = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
	if (s && p != der + len) {
		sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free);
		return NULL;
	}
	return s;
}

/* "N" or "2.N" (with prefix "2.") → N in 1..99; -1 otherwise. */
static int arc(const char *oid, const char *prefix)
{
	size_t pl = strlen(prefix), n = strlen(oid);
	if (strncmp(oid, prefix, pl) != 0 || n <= pl || n > pl + 2)
		return -1;
	int v = 0;
	for (size_t i = pl; i < n; i++) {
		if (oid[i] < '0' || oid[i] > '9')
			return -1;
		v = v * 10 + (oid[i] - '0');
	}
	return v;
}

/* The element { OID, value } `t` → the OID's text after SGX_OID and the value. */
static STACK_OF(ASN1_TYPE) *pair(const ASN1_TYPE *t, char *oid, size_t size, ASN1_TYPE **ret_val)
{
	if (t->type != V_ASN1_SEQUENCE)
		return NULL;
	const ASN1_STRING *sq = t->value.sequence;
	STACK_OF(ASN1_TYPE) *s = seq_any(ASN1_STRING_get0_data(sq), (size_t)ASN1_STRING_length(sq));
	if (!s)
		return NULL;
	ASN1_TYPE *o = sk_ASN1_TYPE_value(s, 0);
	char txt[80];
	if (sk_ASN1_TYPE_num(s) != 2 || o->type != V_ASN1_OBJECT ||
	    OBJ_obj2txt(txt, sizeof(txt), o->value.object, 1) <= 0 ||
	    strncmp(txt, SGX_OID ".", sizeof(SGX_OID)) != 0 ||
	    strlen(txt + sizeof(SGX_OID)) >= size) {
		sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free);
		return NULL;
	}
	memcpy(oid, txt + sizeof(SGX_OID), strlen(txt + sizeof(SGX_OID)) + 1);
	*ret_val = sk_ASN1_TYPE_value(s, 1);
	return s;
}

static int octets(const ASN1_TYPE *v, uint8_t *out, size_t n)
{
	if (v->type != V_ASN1_OCTET_STRING || (size_t)ASN1_STRING_length(v->value.octet_string) != n)
		return -EINVAL;
	memcpy(out, ASN1_STRING_get0_data(v->value.octet_string), n);
	return 0;
}

static int integer(const ASN1_TYPE *v, int64_t max, int64_t *ret)
{
	if (v->type != V_ASN1_INTEGER || !ASN1_INTEGER_get_int64(ret, v->value.integer) ||
	    *ret < 0 || *ret > max)
		return -EINVAL;
	return 0;
}

/* The TCB element (.2): components 1..16 and PCESVN (17), each once. */
static int parse_tcb(const ASN1_TYPE *v, struct dcap_pck_ext *out, cc_error **err)
{
	if (v->type != V_ASN1_SEQUENCE)
		return cc_error_set(err, -EINVAL, "PCK extension: TCB is not a SEQUENCE");
	const ASN1_STRING *sq = v->value.sequence;
	STACK_OF(ASN1_TYPE) *s = seq_any(ASN1_STRING_get0_data(sq), (size_t)ASN1_STRING_length(sq));
	uint32_t seen = 0;
	uint8_t cpusvn[16];
	int r = s ? 0 : -EINVAL;
	for (int i = 0; r == 0 && i < sk_ASN1_TYPE_num(s); i++) {
		char oid[32];
		ASN1_TYPE *val = NULL;
		STACK_OF(ASN1_TYPE) *p = pair(sk_ASN1_TYPE_value(s, i), oid, sizeof(oid), &val);
		int n = p ? arc(oid, "2.") : -1;
		int64_t x = 0;
		if (n < 1 || n > 18 ||
		    (seen & (1u << n)))
			r = -EINVAL;
		else if (n == 18)
			r = octets(val, cpusvn, 16) == 0 ? 0 : -EINVAL; /* the same SVNs, as bytes */
		else if (integer(val, n == 17 ? 65535 : 255, &x) < 0)
			r = -EINVAL;
		else if (n == 17)
			out->pcesvn = (uint16_t)x;
		if (r == 0) {
			seen |= 1u << n;
			if (n <= 16)
				out->cpusvn[n - 1] = (uint8_t)x;
		}
		sk_ASN1_TYPE_pop_free(p, ASN1_TYPE_free);
	}
	sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free);
	if (r < 0 || (seen & 0x3fffeu) != 0x3fffeu)
		return cc_error_set(err, -EINVAL,
		                    "PCK extension: the TCB element is not 16 component SVNs and PCESVN, once each");
	return 0;
}

/* The configuration element (.7): dynamicPlatform (.7.1), cachedKeys
 * (.7.2), SMTEnabled (.7.3), BOOLEANs, each at most once. */
static int parse_config(const ASN1_TYPE *v, struct dcap_pck_ext *out, cc_error **err)
{
	if (v->type != V_ASN1_SEQUENCE)
		return cc_error_set(err, -EINVAL, "PCK extension: configuration is not a SEQUENCE");
	const ASN1_STRING *sq = v->value.sequence;
	STACK_OF(ASN1_TYPE) *s = seq_any(ASN1_STRING_get0_data(sq), (size_t)ASN1_STRING_length(sq));
	uint32_t seen = 0;
	int r = s ? 0 : -EINVAL;
	for (int i = 0; r == 0 && i < sk_ASN1_TYPE_num(s); i++) {
		char oid[32];
		ASN1_TYPE *val = NULL;
		STACK_OF(ASN1_TYPE) *p = pair(sk_ASN1_TYPE_value(s, i), oid, sizeof(oid), &val);
		int n = p ? arc(oid, "7.") : -1;
		if (n < 1 || n > 3 || (seen & (1u << n)) || val->type != V_ASN1_BOOLEAN)
			r = -EINVAL;
		else {
			int b = val->value.boolean != 0;
			seen |= 1u << n;
			if (n == 1)
				out->dynamic_platform = b;
			else if (n == 2)
				out->cached_keys = b;
			else
				out->smt_enabled = b;
		}
		sk_ASN1_TYPE_pop_free(p, ASN1_TYPE_free);
	}
	sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free);
	if (r < 0)
		return cc_error_set(err, -EINVAL,
		                    "PCK extension: configuration is not BOOLEANs .7.1-.7.3, once each");
	out->has_config = 1;
	return 0;
}

static int sgx_type(const ASN1_TYPE *v, struct dcap_pck_ext *out)
{
	int64_t x;
	if (v->type != V_ASN1_ENUMERATED || !ASN1_ENUMERATED_get_int64(&x, v->value.enumerated) ||
	    x < 0 || x > 255)
		return -EINVAL;
	out->sgx_type = (int)x;
	return 0;
}

static int parse_top(STACK_OF(ASN1_TYPE) *s, struct dcap_pck_ext *out, cc_error **err)
{
	out->sgx_type = -1;
	uint32_t seen = 0;
	bool have_tcb = false;
	for (int i = 0; i < sk_ASN1_TYPE_num(s); i++) {
		char oid[32];
		ASN1_TYPE *val = NULL;
		STACK_OF(ASN1_TYPE) *p = pair(sk_ASN1_TYPE_value(s, i), oid, sizeof(oid), &val);
		int r = 0, n = p ? arc(oid, "") : -1;
		if (n < 1 || n > 31 ||
		    (seen & (1u << n)))
			r = cc_error_set(err, -EINVAL, "PCK extension: element %d is not a new {OID, value} under " SGX_OID, i);
		else if (n == 2) {
			r = parse_tcb(val, out, err);
			have_tcb = true;
		} else if (n == 3 && octets(val, out->pceid, 2) < 0)
			r = cc_error_set(err, -EINVAL, "PCK extension: PCE-ID is not 2 bytes");
		else if (n == 4 && octets(val, out->fmspc, 6) < 0)
			r = cc_error_set(err, -EINVAL, "PCK extension: FMSPC is not 6 bytes");
		else if (n == 1 && octets(val, out->ppid, 16) < 0)
			r = cc_error_set(err, -EINVAL, "PCK extension: PPID is not 16 bytes");
		else if (n == 5 && sgx_type(val, out) < 0)
			r = cc_error_set(err, -EINVAL, "PCK extension: SGX type is not an ENUMERATED 0..255");
		else if (n == 7)
			r = parse_config(val, out, err);
		sk_ASN1_TYPE_pop_free(p, ASN1_TYPE_free);
		if (r < 0)
			return r;
		seen |= 1u << n;
	}
	if (!have_tcb || !(seen & (1u << 3)) || !(seen & (1u << 4)))
		return cc_error_set(err, -EINVAL, "PCK extension: TCB, PCE-ID or FMSPC is missing");
	return 0;
}

int dcap_pck_ext_parse(const uint8_t *der, size_t len, struct dcap_pck_ext *ret, cc_error **err)
{
	if (len > CC_DCAP_MAX_PCK_EXT_BYTES)
		return cc_error_set(err, -E2BIG, "oversized PCK extension: %zu bytes", len);
	STACK_OF(ASN1_TYPE) *s = seq_any(der, len);
	if (!s)
		return cc_error_set(err, -EINVAL, "PCK extension: not a DER SEQUENCE");
	struct dcap_pck_ext e = {0};
	int r = parse_top(s, &e, err);
	sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free);
	if (r < 0)
		return r;
	e.processor_ca = ret->processor_ca;
	*ret = e;
	return 0;
}

int dcap_pck_ext_from_cert(X509 *leaf, struct dcap_pck_ext *ret, cc_error **err)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(SGX_OID, 1);
	int idx = oid ? X509_get_ext_by_OBJ(leaf, oid, -1) : -1;
	int dup = oid && idx >= 0 ? X509_get_ext_by_OBJ(leaf, oid, idx) : -1;
	ASN1_OBJECT_free(oid);
	if (idx < 0 || dup >= 0)
		return cc_error_set(err, -EINVAL, "PCK chain: the PCK certificate has %s SGX extension",
		                    idx < 0 ? "no" : "more than one");
	ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
	char cn[64];
	int n = X509_NAME_get_text_by_NID(X509_get_issuer_name(leaf), NID_commonName, cn, sizeof(cn));
	struct dcap_pck_ext e = {0};
	if (n > 0 && strcmp(cn, "Intel SGX PCK Processor CA") == 0)
		e.processor_ca = 1;
	else if (n <= 0 || strcmp(cn, "Intel SGX PCK Platform CA") != 0)
		return cc_error_set(err, -EINVAL,
		                    "PCK chain: the PCK certificate's issuer is neither the PCK Processor CA nor the PCK Platform CA");
	if (dcap_pck_ext_parse(ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d), &e, err) < 0)
		return -EINVAL;
	*ret = e;
	return 0;
}
