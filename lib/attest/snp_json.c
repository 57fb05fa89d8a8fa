/* The snp evidence JSON (snp_int.h): Trustee's SnpEvidence, i.e. the sev
 * crate's serde form of AttestationReport (every byte array a JSON array of
 * integers, TCBs as {fmc|null, bootloader, tee, snp, microcode}) and of the
 * host's certificate table entries ({"cert_type": "VCEK", "data": [...]}).
 * Also the report back to that JSON (wrap_raw) and Trustee's claims. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "snp_int.h"

/* ---- decoding --------------------------------------------------------- */

static json_t *member(const json_t *o, const char *name, const char *where, cc_error **err)
{
	json_t *v = json_object_get(o, name);
	if (v == NULL)
		cc_error_set(err, -EINVAL, "%s: missing member '%s'", where, name);
	return v;
}

static int get_uint(const json_t *o, const char *name, const char *where, uint64_t max,
                    uint64_t *ret, cc_error **err)
{
	json_t *v = member(o, name, where, err);
	if (v == NULL)
		return -EINVAL;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return cc_error_set(err, -EINVAL, "%s.%s: not an integer in 0..%llu", where, name,
		                    (unsigned long long)max);
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_u8(const json_t *o, const char *name, const char *where, uint8_t *ret,
                  cc_error **err)
{
	uint64_t v;
	int r = get_uint(o, name, where, UINT8_MAX, &v, err);
	if (r == 0)
		*ret = (uint8_t)v;
	return r;
}

static int get_u32(const json_t *o, const char *name, const char *where, uint32_t *ret,
                   cc_error **err)
{
	uint64_t v;
	int r = get_uint(o, name, where, UINT32_MAX, &v, err);
	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

/* An Option<u8>/Option<u64>: missing or null is None. */
static int get_opt(const json_t *o, const char *name, const char *where, uint64_t max,
                   bool *has, uint64_t *ret, cc_error **err)
{
	json_t *v = json_object_get(o, name);
	*has = v != NULL && !json_is_null(v);
	*ret = 0;
	return *has ? get_uint(o, name, where, max, ret, err) : 0;
}

/* A JSON array of exactly n integers 0..255. */
static int get_bytes_value(const json_t *v, const char *what, uint8_t *out, size_t n,
                           cc_error **err)
{
	if (!json_is_array(v) || json_array_size(v) != n)
		return cc_error_set(err, -EINVAL, "%s: not an array of %zu bytes", what, n);
	for (size_t i = 0; i < n; i++) {
		json_t *b = json_array_get(v, i);
		if (!json_is_integer(b) || json_integer_value(b) < 0 ||
		    json_integer_value(b) > 255)
			return cc_error_set(err, -EINVAL, "%s[%zu]: not a byte", what, i);
		out[i] = (uint8_t)json_integer_value(b);
	}
	return 0;
}

static int get_bytes(const json_t *o, const char *name, const char *where, uint8_t *out,
                     size_t n, cc_error **err)
{
	json_t *v = member(o, name, where, err);
	if (v == NULL)
		return -EINVAL;
	char what[64];
	snprintf(what, sizeof(what), "%s.%s", where, name);
	return get_bytes_value(v, what, out, n, err);
}

static int get_tcb(const json_t *o, const char *name, snp_tcb *t, cc_error **err)
{
	json_t *v = member(o, name, "attestation_report", err);
	if (v == NULL)
		return -EINVAL;
	char where[64];
	snprintf(where, sizeof(where), "attestation_report.%s", name);
	if (!json_is_object(v))
		return cc_error_set(err, -EINVAL, "%s: not an object", where);
	uint64_t fmc;
	int r;
	if ((r = get_opt(v, "fmc", where, UINT8_MAX, &t->has_fmc, &fmc, err)) < 0 ||
	    (r = get_u8(v, "bootloader", where, &t->bootloader, err)) < 0 ||
	    (r = get_u8(v, "tee", where, &t->tee, err)) < 0 ||
	    (r = get_u8(v, "snp", where, &t->snp, err)) < 0 ||
	    (r = get_u8(v, "microcode", where, &t->microcode, err)) < 0)
		return r;
	t->fmc = (uint8_t)fmc;
	return 0;
}

static int get_version(const json_t *o, const char *name, uint8_t *major, uint8_t *minor,
                       uint8_t *build, cc_error **err)
{
	json_t *v = member(o, name, "attestation_report", err);
	if (v == NULL)
		return -EINVAL;
	char where[64];
	snprintf(where, sizeof(where), "attestation_report.%s", name);
	if (!json_is_object(v))
		return cc_error_set(err, -EINVAL, "%s: not an object", where);
	int r;
	if ((r = get_u8(v, "major", where, major, err)) < 0 ||
	    (r = get_u8(v, "minor", where, minor, err)) < 0 ||
	    (r = get_u8(v, "build", where, build, err)) < 0)
		return r;
	return 0;
}

static int report_from_json(const json_t *o, snp_report *r, cc_error **err)
{
	static const char W[] = "attestation_report";
	if (!json_is_object(o))
		return cc_error_set(err, -EINVAL, "attestation_report: not an object");
	memset(r, 0, sizeof(*r));
	uint64_t fam, mod, step;
	bool has_fam, has_mod, has_step, has_lmit, has_cmit;
	int rc;
	if ((rc = get_u32(o, "version", W, &r->version, err)) < 0 ||
	    (rc = get_u32(o, "guest_svn", W, &r->guest_svn, err)) < 0 ||
	    (rc = get_uint(o, "policy", W, UINT64_MAX, &r->policy, err)) < 0 ||
	    (rc = get_bytes(o, "family_id", W, r->family_id, 16, err)) < 0 ||
	    (rc = get_bytes(o, "image_id", W, r->image_id, 16, err)) < 0 ||
	    (rc = get_u32(o, "vmpl", W, &r->vmpl, err)) < 0 ||
	    (rc = get_u32(o, "sig_algo", W, &r->sig_algo, err)) < 0 ||
	    (rc = get_tcb(o, "current_tcb", &r->current_tcb, err)) < 0 ||
	    (rc = get_uint(o, "plat_info", W, UINT64_MAX, &r->plat_info, err)) < 0 ||
	    (rc = get_u32(o, "key_info", W, &r->key_info, err)) < 0 ||
	    (rc = get_bytes(o, "report_data", W, r->report_data, 64, err)) < 0 ||
	    (rc = get_bytes(o, "measurement", W, r->measurement, 48, err)) < 0 ||
	    (rc = get_bytes(o, "host_data", W, r->host_data, 32, err)) < 0 ||
	    (rc = get_bytes(o, "id_key_digest", W, r->id_key_digest, 48, err)) < 0 ||
	    (rc = get_bytes(o, "author_key_digest", W, r->author_key_digest, 48, err)) < 0 ||
	    (rc = get_bytes(o, "report_id", W, r->report_id, 32, err)) < 0 ||
	    (rc = get_bytes(o, "report_id_ma", W, r->report_id_ma, 32, err)) < 0 ||
	    (rc = get_tcb(o, "reported_tcb", &r->reported_tcb, err)) < 0 ||
	    (rc = get_opt(o, "cpuid_fam_id", W, UINT8_MAX, &has_fam, &fam, err)) < 0 ||
	    (rc = get_opt(o, "cpuid_mod_id", W, UINT8_MAX, &has_mod, &mod, err)) < 0 ||
	    (rc = get_opt(o, "cpuid_step", W, UINT8_MAX, &has_step, &step, err)) < 0 ||
	    (rc = get_bytes(o, "chip_id", W, r->chip_id, 64, err)) < 0 ||
	    (rc = get_tcb(o, "committed_tcb", &r->committed_tcb, err)) < 0 ||
	    (rc = get_version(o, "current", &r->current_major, &r->current_minor,
	                      &r->current_build, err)) < 0 ||
	    (rc = get_version(o, "committed", &r->committed_major, &r->committed_minor,
	                      &r->committed_build, err)) < 0 ||
	    (rc = get_tcb(o, "launch_tcb", &r->launch_tcb, err)) < 0 ||
	    (rc = get_opt(o, "launch_mit_vector", W, UINT64_MAX, &has_lmit,
	                  &r->launch_mit_vector, err)) < 0 ||
	    (rc = get_opt(o, "current_mit_vector", W, UINT64_MAX, &has_cmit,
	                  &r->current_mit_vector, err)) < 0)
		return rc;
	if (has_fam != has_mod || has_fam != has_step)
		return cc_error_set(err, -EINVAL,
		                    "attestation_report: cpuid_fam_id, cpuid_mod_id and cpuid_step "
		                    "must be all set or all null");
	if (has_lmit != has_cmit)
		return cc_error_set(err, -EINVAL,
		                    "attestation_report: launch_mit_vector and current_mit_vector "
		                    "must be both set or both null");
	r->has_cpuid = has_fam;
	r->cpuid_fam_id = (uint8_t)fam;
	r->cpuid_mod_id = (uint8_t)mod;
	r->cpuid_step = (uint8_t)step;
	r->has_mit = has_lmit;
	json_t *sig = member(o, "signature", W, err);
	if (sig == NULL)
		return -EINVAL;
	if (!json_is_object(sig))
		return cc_error_set(err, -EINVAL, "attestation_report.signature: not an object");
	if ((rc = get_bytes(sig, "r", "attestation_report.signature", r->sig_r, 72, err)) < 0 ||
	    (rc = get_bytes(sig, "s", "attestation_report.signature", r->sig_s, 72, err)) < 0)
		return rc;
	return snp_report_encode(r, err);
}

/* The certificate table GUIDs (GHCB spec, SNP_GET_EXT_REPORT) of the types
 * the verifier uses; other GUIDs are ignored entries. */
static const struct {
	const char *guid, *type;
} cert_guids[] = {
	{"c0b406a4-a803-4952-9743-3fb6014cd0ae", "ARK"},
	{"4ab7b379-bbac-4fe4-a02f-05aef327c782", "ASK"},
	{"63da758d-e664-4564-adc5-f4b93be8accd", "VCEK"},
	{"a8074bc2-a25a-483e-aae6-39c045a0b8a1", "VLEK"},
	{"92f81bc3-5811-4d3d-97ff-d19f88dc67ea", "CRL"},
};

static const char *guid_type(const char *guid)
{
	for (size_t k = 0; k < sizeof(cert_guids) / sizeof(cert_guids[0]); k++)
		if (strcasecmp(guid, cert_guids[k].guid) == 0)
			return cert_guids[k].type;
	return NULL;
}

/* cert_type: "ARK", "ASK", "VCEK", "VLEK", "CRL", "Empty" (the sev crate's
 * names), a table GUID, or {"OTHER": guid} (known GUIDs count as their
 * type, others are ignored). */
static int cert_entry(const json_t *e, size_t i, snp_cert_entry *ret, cc_error **err)
{
	if (!json_is_object(e))
		return cc_error_set(err, -EINVAL, "cert_chain[%zu]: not an object", i);
	json_t *t = json_object_get(e, "cert_type");
	json_t *d = json_object_get(e, "data");
	if (t == NULL || d == NULL)
		return cc_error_set(err, -EINVAL, "cert_chain[%zu]: needs cert_type and data", i);
	static const char *const known[] = {"ARK", "ASK", "VCEK", "VLEK", "CRL", "Empty"};
	memset(ret, 0, sizeof(*ret));
	if (json_is_string(t)) {
		size_t k = 0;
		for (; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(json_string_value(t), known[k]) == 0)
				break;
		const char *g = guid_type(json_string_value(t));
		if (k == sizeof(known) / sizeof(known[0]) && g == NULL)
			return cc_error_set(err, -EINVAL, "cert_chain[%zu].cert_type: unknown '%s'",
			                    i, json_string_value(t));
		if (g != NULL || k < 5)
			snprintf(ret->type, sizeof(ret->type), "%s", g != NULL ? g : known[k]);
	} else if (!json_is_object(t) || json_object_size(t) != 1 ||
	           !json_is_string(json_object_get(t, "OTHER"))) {
		return cc_error_set(err, -EINVAL,
		                    "cert_chain[%zu].cert_type: not a type name or {\"OTHER\": uuid}",
		                    i);
	} else {
		const char *g = guid_type(json_string_value(json_object_get(t, "OTHER")));
		if (g != NULL)
			snprintf(ret->type, sizeof(ret->type), "%s", g);
	}
	if (!json_is_array(d))
		return cc_error_set(err, -EINVAL, "cert_chain[%zu].data: not an array of bytes", i);
	size_t n = json_array_size(d);
	if (n > CC_SNP_MAX_CERT_BYTES)
		return cc_error_set(err, -E2BIG,
		                    "oversized: cert_chain[%zu].data is %zu bytes (at most %u)", i, n,
		                    CC_SNP_MAX_CERT_BYTES);
	ret->data = malloc(n > 0 ? n : 1);
	if (ret->data == NULL)
		return cc_error_set(err, -ENOMEM, "cert_chain[%zu]: out of memory", i);
	ret->len = n;
	char what[48];
	snprintf(what, sizeof(what), "cert_chain[%zu].data", i);
	return get_bytes_value(d, what, ret->data, n, err);
}

void snp_evidence_free(snp_evidence *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_certs; i++)
		free(e->certs[i].data);
	free(e);
}

int snp_evidence_parse(const json_t *ev, snp_evidence **ret, cc_error **err)
{
	if (!json_is_object(ev))
		return cc_error_set(err, -EINVAL, "snp evidence: not a JSON object");
	json_t *rep = json_object_get(ev, "attestation_report");
	if (rep == NULL)
		return cc_error_set(err, -EINVAL, "snp evidence: missing member 'attestation_report'");
	snp_evidence *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return cc_error_set(err, -ENOMEM, "snp evidence: out of memory");
	int r = report_from_json(rep, &e->report, err);
	json_t *chain = json_object_get(ev, "cert_chain");
	if (r == 0 && chain != NULL && !json_is_null(chain)) {
		if (!json_is_array(chain))
			r = cc_error_set(err, -EINVAL, "cert_chain: not an array or null");
		else if (json_array_size(chain) > CC_SNP_MAX_CERT_ENTRIES)
			r = cc_error_set(err, -E2BIG,
			                 "oversized: cert_chain has %zu entries (at most %u)",
			                 json_array_size(chain), CC_SNP_MAX_CERT_ENTRIES);
		e->has_chain = json_array_size(chain) > 0; /* Some(empty): as None (Trustee) */
		for (size_t i = 0; r == 0 && i < json_array_size(chain); i++) {
			r = cert_entry(json_array_get(chain, i), i, &e->certs[i], err);
			e->n_certs = i + 1;
		}
	}
	if (r < 0) {
		snp_evidence_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

/* ---- encoding --------------------------------------------------------- */

json_t *snp_bytes_json(const uint8_t *p, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_integer(p[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *tcb_json(const snp_tcb *t)
{
	return json_pack("{s:o,s:i,s:i,s:i,s:i}", "fmc",
	                 t->has_fmc ? json_integer(t->fmc) : json_null(), "bootloader",
	                 t->bootloader, "tee", t->tee, "snp", t->snp, "microcode", t->microcode);
}

static json_t *opt_json(bool has, uint64_t v)
{
	return has ? json_integer((json_int_t)v) : json_null();
}

json_t *snp_report_to_json(const snp_report *r)
{
	json_t *sig = json_pack("{s:o,s:o}", "r", snp_bytes_json(r->sig_r, 72), "s",
	                        snp_bytes_json(r->sig_s, 72));
	json_t *o = json_pack(
	    "{s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:o,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "version",
	    (json_int_t)r->version, "guest_svn", (json_int_t)r->guest_svn, "policy",
	    (json_int_t)r->policy, "family_id", snp_bytes_json(r->family_id, 16), "image_id",
	    snp_bytes_json(r->image_id, 16), "vmpl", (json_int_t)r->vmpl, "sig_algo",
	    (json_int_t)r->sig_algo, "current_tcb", tcb_json(&r->current_tcb), "plat_info",
	    (json_int_t)r->plat_info, "key_info", (json_int_t)r->key_info, "report_data",
	    snp_bytes_json(r->report_data, 64), "measurement", snp_bytes_json(r->measurement, 48),
	    "host_data", snp_bytes_json(r->host_data, 32), "id_key_digest",
	    snp_bytes_json(r->id_key_digest, 48), "author_key_digest",
	    snp_bytes_json(r->author_key_digest, 48), "report_id", snp_bytes_json(r->report_id, 32),
	    "report_id_ma", snp_bytes_json(r->report_id_ma, 32), "reported_tcb",
	    tcb_json(&r->reported_tcb));
	json_t *o2 = json_pack(
	    "{s:o,s:o,s:o,s:o,s:o,s:{s:i,s:i,s:i},s:{s:i,s:i,s:i},s:o,s:o,s:o,s:o}",
	    "cpuid_fam_id", opt_json(r->has_cpuid, r->cpuid_fam_id), "cpuid_mod_id",
	    opt_json(r->has_cpuid, r->cpuid_mod_id), "cpuid_step",
	    opt_json(r->has_cpuid, r->cpuid_step), "chip_id", snp_bytes_json(r->chip_id, 64),
	    "committed_tcb", tcb_json(&r->committed_tcb), "current", "major", r->current_major,
	    "minor", r->current_minor, "build", r->current_build, "committed", "major",
	    r->committed_major, "minor", r->committed_minor, "build", r->committed_build,
	    "launch_tcb", tcb_json(&r->launch_tcb), "launch_mit_vector",
	    opt_json(r->has_mit, r->launch_mit_vector), "current_mit_vector",
	    opt_json(r->has_mit, r->current_mit_vector), "signature", sig);
	if (o == NULL || o2 == NULL || json_object_update(o, o2) < 0) {
		json_decref(o);
		json_decref(o2);
		return NULL;
	}
	json_decref(o2);
	return o;
}

/* ---- claims ----------------------------------------------------------- */

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[p[i] >> 4];
		buf[2 * i + 1] = digits[p[i] & 15];
	}
	buf[2 * n] = '\0';
	return json_string(buf);
}

json_t *snp_claims(const snp_report *r)
{
	uint64_t pol = r->policy;
	return json_pack(
	    "{s:i,s:i,s:b,s:b,s:b,s:b,s:i,s:i,s:i,s:i,s:b,s:b,s:o,s:o,s:o,s:o}", "policy_abi_major",
	    (int)((pol >> 8) & 0xff), "policy_abi_minor", (int)(pol & 0xff), "policy_smt_allowed",
	    (int)((pol >> 16) & 1), "policy_migrate_ma", (int)((pol >> 18) & 1),
	    "policy_debug_allowed", (int)((pol >> 19) & 1), "policy_single_socket",
	    (int)((pol >> 20) & 1), "reported_tcb_bootloader", r->reported_tcb.bootloader,
	    "reported_tcb_tee", r->reported_tcb.tee, "reported_tcb_snp", r->reported_tcb.snp,
	    "reported_tcb_microcode", r->reported_tcb.microcode, "platform_tsme_enabled",
	    (int)((r->plat_info >> 1) & 1), "platform_smt_enabled", (int)(r->plat_info & 1),
	    "measurement", hex_json(r->measurement, 48), "report_data",
	    hex_json(r->report_data, 64), "init_data", hex_json(r->host_data, 32), "chip_id",
	    hex_json(r->chip_id, 64));
}
