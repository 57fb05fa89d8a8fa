/* The SEV-SNP attestation report (snp_int.h): AMD's SEV-SNP ABI
 * ATTESTATION_REPORT, versions 2 to 5, at its explicit offsets. */
#include <errno.h>
#include <string.h>

#include "snp_int.h"

/* Offsets (SEV-SNP ABI, Table "ATTESTATION_REPORT Structure"). */
enum {
	OFF_VERSION = 0x000, OFF_GUEST_SVN = 0x004, OFF_POLICY = 0x008, OFF_FAMILY_ID = 0x010,
	OFF_IMAGE_ID = 0x020, OFF_VMPL = 0x030, OFF_SIG_ALGO = 0x034, OFF_CURRENT_TCB = 0x038,
	OFF_PLAT_INFO = 0x040, OFF_KEY_INFO = 0x048, OFF_REPORT_DATA = 0x050,
	OFF_MEASUREMENT = 0x090, OFF_HOST_DATA = 0x0C0, OFF_ID_KEY_DIGEST = 0x0E0,
	OFF_AUTHOR_KEY_DIGEST = 0x110, OFF_REPORT_ID = 0x140, OFF_REPORT_ID_MA = 0x160,
	OFF_REPORTED_TCB = 0x180, OFF_CPUID_FAM = 0x188, OFF_CPUID_MOD = 0x189,
	OFF_CPUID_STEP = 0x18A, OFF_CHIP_ID = 0x1A0, OFF_COMMITTED_TCB = 0x1E0,
	OFF_CURRENT_BUILD = 0x1E8, OFF_CURRENT_MINOR = 0x1E9, OFF_CURRENT_MAJOR = 0x1EA,
	OFF_COMMITTED_BUILD = 0x1EC, OFF_COMMITTED_MINOR = 0x1ED, OFF_COMMITTED_MAJOR = 0x1EE,
	OFF_LAUNCH_TCB = 0x1F0, OFF_LAUNCH_MIT = 0x1F8, OFF_CURRENT_MIT = 0x200,
	OFF_SIG_R = 0x2A0, OFF_SIG_S = 0x2E8,
};

const char *snp_product_name(enum snp_product p)
{
	switch (p) {
	case SNP_MILAN: return "Milan";
	case SNP_GENOA: return "Genoa";
	case SNP_TURIN: return "Turin";
	case SNP_PRODUCT_NONE: break;
	}
	return "unknown";
}

enum snp_product snp_product_from_cpuid(uint8_t fam, uint8_t mod)
{
	if (fam == 0x19) {
		if (mod <= 0x0F)
			return SNP_MILAN;
		if ((mod >= 0x10 && mod <= 0x1F) || (mod >= 0xA0 && mod <= 0xAF))
			return SNP_GENOA;
	} else if (fam == 0x1A && mod <= 0x11) {
		return SNP_TURIN;
	}
	return SNP_PRODUCT_NONE;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void get_tcb(const uint8_t *p, bool turin, snp_tcb *t)
{
	memset(t, 0, sizeof(*t));
	t->has_fmc = turin;
	if (turin) {
		t->fmc = p[0];
		t->bootloader = p[1];
		t->tee = p[2];
		t->snp = p[3];
	} else {
		t->bootloader = p[0];
		t->tee = p[1];
		t->snp = p[6];
	}
	t->microcode = p[7];
}

static void put_tcb(uint8_t *p, const snp_tcb *t)
{
	memset(p, 0, 8);
	if (t->has_fmc) {
		p[0] = t->fmc;
		p[1] = t->bootloader;
		p[2] = t->tee;
		p[3] = t->snp;
	} else {
		p[0] = t->bootloader;
		p[1] = t->tee;
		p[6] = t->snp;
	}
	p[7] = t->microcode;
}

/* Version and product: the layout the rest of the report has. */
static int check_version(uint32_t version, bool has_cpuid, uint8_t fam, uint8_t mod,
                         enum snp_product *ret, cc_error **err)
{
	if (version < SNP_VERSION_MIN || version > SNP_VERSION_MAX)
		return cc_error_set(err, -EINVAL,
		                    "attestation report: version %u is not supported (%u..%u)",
		                    version, SNP_VERSION_MIN, SNP_VERSION_MAX);
	*ret = SNP_PRODUCT_NONE;
	if (version < 3)
		return 0;
	if (!has_cpuid)
		return cc_error_set(err, -EINVAL,
		                    "attestation report: version %u without cpuid_fam_id/cpuid_mod_id",
		                    version);
	*ret = snp_product_from_cpuid(fam, mod);
	if (*ret == SNP_PRODUCT_NONE)
		return cc_error_set(err, -EINVAL,
		                    "attestation report: CPUID family 0x%02x model 0x%02x is not "
		                    "Milan, Genoa or Turin",
		                    fam, mod);
	return 0;
}

int snp_report_parse(const uint8_t *p, size_t len, snp_report *ret, cc_error **err)
{
	if (len < SNP_REPORT_SIZE)
		return cc_error_set(err, -EINVAL,
		                    "truncated: attestation report is %zu bytes (want %u)", len,
		                    SNP_REPORT_SIZE);
	if (len > SNP_REPORT_SIZE)
		return cc_error_set(err, -EINVAL,
		                    "oversized: attestation report is %zu bytes (want %u)", len,
		                    SNP_REPORT_SIZE);
	snp_report r;
	memset(&r, 0, sizeof(r));
	memcpy(r.raw, p, SNP_REPORT_SIZE);
	r.version = get32(p + OFF_VERSION);
	r.has_cpuid = r.version >= 3;
	r.cpuid_fam_id = r.has_cpuid ? p[OFF_CPUID_FAM] : 0;
	r.cpuid_mod_id = r.has_cpuid ? p[OFF_CPUID_MOD] : 0;
	r.cpuid_step = r.has_cpuid ? p[OFF_CPUID_STEP] : 0;
	int rc = check_version(r.version, r.has_cpuid, r.cpuid_fam_id, r.cpuid_mod_id, &r.product,
	                       err);
	if (rc < 0)
		return rc;
	bool turin = r.product == SNP_TURIN;
	r.guest_svn = get32(p + OFF_GUEST_SVN);
	r.policy = get64(p + OFF_POLICY);
	memcpy(r.family_id, p + OFF_FAMILY_ID, 16);
	memcpy(r.image_id, p + OFF_IMAGE_ID, 16);
	r.vmpl = get32(p + OFF_VMPL);
	r.sig_algo = get32(p + OFF_SIG_ALGO);
	get_tcb(p + OFF_CURRENT_TCB, turin, &r.current_tcb);
	r.plat_info = get64(p + OFF_PLAT_INFO);
	r.key_info = get32(p + OFF_KEY_INFO);
	memcpy(r.report_data, p + OFF_REPORT_DATA, 64);
	memcpy(r.measurement, p + OFF_MEASUREMENT, 48);
	memcpy(r.host_data, p + OFF_HOST_DATA, 32);
	memcpy(r.id_key_digest, p + OFF_ID_KEY_DIGEST, 48);
	memcpy(r.author_key_digest, p + OFF_AUTHOR_KEY_DIGEST, 48);
	memcpy(r.report_id, p + OFF_REPORT_ID, 32);
	memcpy(r.report_id_ma, p + OFF_REPORT_ID_MA, 32);
	get_tcb(p + OFF_REPORTED_TCB, turin, &r.reported_tcb);
	memcpy(r.chip_id, p + OFF_CHIP_ID, 64);
	get_tcb(p + OFF_COMMITTED_TCB, turin, &r.committed_tcb);
	r.current_build = p[OFF_CURRENT_BUILD];
	r.current_minor = p[OFF_CURRENT_MINOR];
	r.current_major = p[OFF_CURRENT_MAJOR];
	r.committed_build = p[OFF_COMMITTED_BUILD];
	r.committed_minor = p[OFF_COMMITTED_MINOR];
	r.committed_major = p[OFF_COMMITTED_MAJOR];
	get_tcb(p + OFF_LAUNCH_TCB, turin, &r.launch_tcb);
	r.has_mit = r.version >= 5;
	if (r.has_mit) {
		r.launch_mit_vector = get64(p + OFF_LAUNCH_MIT);
		r.current_mit_vector = get64(p + OFF_CURRENT_MIT);
	}
	memcpy(r.sig_r, p + OFF_SIG_R, 72);
	memcpy(r.sig_s, p + OFF_SIG_S, 72);
	*ret = r;
	return 0;
}

static int check_tcb(const snp_tcb *t, bool turin, const char *name, cc_error **err)
{
	if (t->has_fmc != turin)
		return cc_error_set(err, -EINVAL, "attestation report: %s.fmc is %s for a %s report",
		                    name, t->has_fmc ? "set" : "null",
		                    turin ? "Turin" : "Milan or Genoa");
	return 0;
}

int snp_report_encode(snp_report *r, cc_error **err)
{
	int rc = check_version(r->version, r->has_cpuid, r->cpuid_fam_id, r->cpuid_mod_id,
	                       &r->product, err);
	if (rc < 0)
		return rc;
	if (r->version < 3 && r->has_cpuid)
		return cc_error_set(err, -EINVAL,
		                    "attestation report: version %u has no cpuid_fam_id/cpuid_mod_id",
		                    r->version);
	if (r->has_mit != (r->version >= 5))
		return cc_error_set(err, -EINVAL,
		                    "attestation report: version %u %s launch_mit_vector/"
		                    "current_mit_vector",
		                    r->version, r->has_mit ? "has no" : "needs");
	bool turin = r->product == SNP_TURIN;
	if ((rc = check_tcb(&r->current_tcb, turin, "current_tcb", err)) < 0 ||
	    (rc = check_tcb(&r->reported_tcb, turin, "reported_tcb", err)) < 0 ||
	    (rc = check_tcb(&r->committed_tcb, turin, "committed_tcb", err)) < 0 ||
	    (rc = check_tcb(&r->launch_tcb, turin, "launch_tcb", err)) < 0)
		return rc;
	uint8_t *p = r->raw;
	memset(p, 0, SNP_REPORT_SIZE);
	put32(p + OFF_VERSION, r->version);
	put32(p + OFF_GUEST_SVN, r->guest_svn);
	put64(p + OFF_POLICY, r->policy);
	memcpy(p + OFF_FAMILY_ID, r->family_id, 16);
	memcpy(p + OFF_IMAGE_ID, r->image_id, 16);
	put32(p + OFF_VMPL, r->vmpl);
	put32(p + OFF_SIG_ALGO, r->sig_algo);
	put_tcb(p + OFF_CURRENT_TCB, &r->current_tcb);
	put64(p + OFF_PLAT_INFO, r->plat_info);
	put32(p + OFF_KEY_INFO, r->key_info);
	memcpy(p + OFF_REPORT_DATA, r->report_data, 64);
	memcpy(p + OFF_MEASUREMENT, r->measurement, 48);
	memcpy(p + OFF_HOST_DATA, r->host_data, 32);
	memcpy(p + OFF_ID_KEY_DIGEST, r->id_key_digest, 48);
	memcpy(p + OFF_AUTHOR_KEY_DIGEST, r->author_key_digest, 48);
	memcpy(p + OFF_REPORT_ID, r->report_id, 32);
	memcpy(p + OFF_REPORT_ID_MA, r->report_id_ma, 32);
	put_tcb(p + OFF_REPORTED_TCB, &r->reported_tcb);
	if (r->has_cpuid) {
		p[OFF_CPUID_FAM] = r->cpuid_fam_id;
		p[OFF_CPUID_MOD] = r->cpuid_mod_id;
		p[OFF_CPUID_STEP] = r->cpuid_step;
	}
	memcpy(p + OFF_CHIP_ID, r->chip_id, 64);
	put_tcb(p + OFF_COMMITTED_TCB, &r->committed_tcb);
	p[OFF_CURRENT_BUILD] = r->current_build;
	p[OFF_CURRENT_MINOR] = r->current_minor;
	p[OFF_CURRENT_MAJOR] = r->current_major;
	p[OFF_COMMITTED_BUILD] = r->committed_build;
	p[OFF_COMMITTED_MINOR] = r->committed_minor;
	p[OFF_COMMITTED_MAJOR] = r->committed_major;
	put_tcb(p + OFF_LAUNCH_TCB, &r->launch_tcb);
	if (r->has_mit) {
		put64(p + OFF_LAUNCH_MIT, r->launch_mit_vector);
		put64(p + OFF_CURRENT_MIT, r->current_mit_vector);
	}
	memcpy(p + OFF_SIG_R, r->sig_r, 72);
	memcpy(p + OFF_SIG_S, r->sig_s, 72);
	return 0;
}
