/* The az-snp-vtpm verifier (az.h): Trustee's az_snp_vtpm steps in order
 * (docs/attest-azure.md, "Checks"), the SNP report itself checked by the
 * snp verifier (snp.h: VCEK chain, TCB and chip_id binding, signature). */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "az_int.h"
#include "snp.h"

/* SNP report fields (AMD SEV-SNP ABI, ATTESTATION_REPORT). */
#define SNP_VERSION_OFF 0x00u
#define SNP_POLICY_OFF 0x08u
#define SNP_VMPL_OFF 0x30u
#define SNP_PLAT_INFO_OFF 0x40u
#define SNP_REPORT_DATA_OFF 0x50u
#define SNP_MEASUREMENT_OFF 0x90u
#define SNP_HOST_DATA_OFF 0xc0u
#define SNP_REPORTED_TCB_OFF 0x180u
#define SNP_CPUID_FAM_OFF 0x188u

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 8; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static int set_str(json_t *o, const char *key, const char *s)
{
	return json_object_set_new(o, key, json_string(s)) == 0 ? 0 : -ENOMEM;
}

static int set_uint(json_t *o, const char *key, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	return set_str(o, key, s);
}

static int set_b64(json_t *o, const char *key, const uint8_t *p, size_t len)
{
	char s[4 * (64 / 3 + 1) + 1]; /* fields of at most 64 bytes */
	if (len > 64)
		return -EINVAL;
	(void)EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	return set_str(o, key, s);
}

int az_snp_report_claims(const uint8_t *rep, size_t len, json_t **ret, cc_error **err)
{
	if (len < AZ_SNP_REPORT_SIZE)
		return cc_error_set(err, -EINVAL, "truncated: SNP report is %zu bytes, not %u", len,
		                    AZ_SNP_REPORT_SIZE);
	uint64_t pol = le64(rep + SNP_POLICY_OFF), plat = le64(rep + SNP_PLAT_INFO_OFF);
	const uint8_t *tcb = rep + SNP_REPORTED_TCB_OFF;
	/* The sev crate reads a v3+ report of family 0x1A (Turin) with
	 * Turin's TCB layout [fmc, bl, tee, snp, 0, 0, 0, ucode]. */
	bool turin = rep[SNP_VERSION_OFF] >= 3 && rep[SNP_CPUID_FAM_OFF] == 0x1a;
	uint8_t bl = turin ? tcb[1] : tcb[0], tee = turin ? tcb[2] : tcb[1];
	uint8_t snp = turin ? tcb[3] : tcb[6], ucode = tcb[7];
	json_t *c = json_object();
	int r = c != NULL ? 0 : -ENOMEM;
	static const struct {
		const char *key;
		unsigned bit;
	} bools[] = {
		{"policy_smt_allowed", 16}, {"policy_migrate_ma", 18}, {"policy_debug_allowed", 19},
		{"policy_single_socket", 20},
	};
	if (r == 0)
		r = set_uint(c, "policy_abi_major", pol >> 8 & 0xff);
	if (r == 0)
		r = set_uint(c, "policy_abi_minor", pol & 0xff);
	for (size_t i = 0; r == 0 && i < sizeof(bools) / sizeof(bools[0]); i++)
		r = set_str(c, bools[i].key, (pol >> bools[i].bit & 1) != 0 ? "true" : "false");
	if (r == 0)
		r = set_uint(c, "reported_tcb_bootloader", bl);
	if (r == 0)
		r = set_uint(c, "reported_tcb_tee", tee);
	if (r == 0)
		r = set_uint(c, "reported_tcb_snp", snp);
	if (r == 0)
		r = set_uint(c, "reported_tcb_microcode", ucode);
	if (r == 0)
		r = set_str(c, "platform_tsme_enabled", (plat & 2) != 0 ? "true" : "false");
	if (r == 0)
		r = set_str(c, "platform_smt_enabled", (plat & 1) != 0 ? "true" : "false");
	if (r == 0)
		r = set_b64(c, "measurement", rep + SNP_MEASUREMENT_OFF, 48);
	if (r == 0)
		r = set_b64(c, "report_data", rep + SNP_REPORT_DATA_OFF, 64);
	if (r == 0)
		r = set_b64(c, "init_data", rep + SNP_HOST_DATA_OFF, 32);
	if (r < 0) {
		json_decref(c);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = c;
	return 0;
}

static int snp_part(const az_verifier *v, const az_evidence *e, const az_hcl *h,
                    cc_error **err)
{
	int r = az_check_var_data(h, h->hw_report + SNP_REPORT_DATA_OFF, "SNP report", err);
	if (r < 0)
		return r;
	json_t *snp_claims = NULL;
	r = snp_verify_report(v->hw, h->hw_report, h->hw_report_len,
	                      v->vcek_from_opts ? NULL : e->vcek, v->vcek_from_opts ? 0 : e->vcek_len,
	                      NULL, 0, &snp_claims, err);
	json_decref(snp_claims);
	if (r < 0)
		return r;
	uint32_t vmpl = (uint32_t)h->hw_report[SNP_VMPL_OFF] |
	                (uint32_t)h->hw_report[SNP_VMPL_OFF + 1] << 8 |
	                (uint32_t)h->hw_report[SNP_VMPL_OFF + 2] << 16 |
	                (uint32_t)h->hw_report[SNP_VMPL_OFF + 3] << 24;
	if (vmpl != 0)
		return cc_error_set(err, -EPERM, "vmpl: VMPL of SNP report is not 0 (it is %u)", vmpl);
	return 0;
}

static int snp_evaluate(attest_verifier *base, const json_t *evidence, const uint8_t *rd,
                        size_t rd_len, const uint8_t *id, size_t id_len, json_t **ret,
                        cc_error **err)
{
	az_verifier *v = (az_verifier *)base;
	az_eval ev;
	int r = az_eval_begin(v, AZ_TEE_SNP, evidence, rd, rd_len, &ev, err);
	if (r < 0)
		return r;
	r = snp_part(v, ev.e, &ev.h, err);
	json_t *claims = NULL;
	if (r == 0)
		r = az_snp_report_claims(ev.h.hw_report, ev.h.hw_report_len, &claims, err);
	return az_eval_end(&ev, r, claims, id, id_len, ret, err);
}

static const attest_verifier_ops az_snp_ops = {
	.tee = "az-snp-vtpm",
	.tee_class = "cpu",
	.evaluate = snp_evaluate,
	.free = az_verifier_free,
};

int az_snp_vtpm_verifier_new(const attest_verifier_opts *o, attest_verifier **ret,
                             cc_error **err)
{
	attest_verifier *v = NULL;
	int r = az_verifier_new(o, &az_snp_ops, snp_verifier_new, &v, err);
	if (r < 0)
		return r;
	((az_verifier *)v)->vcek_from_opts = o->vcek != NULL;
	*ret = v;
	return 0;
}
