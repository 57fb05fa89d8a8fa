/* The init-data digest as each TEE binds it (initdata.h):
 *  - SNP: the launch's HOST_DATA, 32 bytes (QEMU sev-snp-guest host-data=);
 *  - TDX: MRCONFIGID, 48 bytes (QEMU tdx-guest mrconfigid=);
 *  both cut or zero-padded as kata-types initdata.rs adjust_digest();
 *  - TPM: guest-components' TPM attester (attester/src/tpm/mod.rs
 *    bind_init_data) extends PCR 8's SHA-256 bank with the digest itself
 *    and refuses a digest that is not 32 bytes: the value is the sha256
 *    digest, and PCR 8 becomes SHA-256(PCR 8 ‖ digest). */
#include <errno.h>
#include <string.h>

#include "initdata.h"

const char *cc_initdata_tee_name(enum cc_initdata_tee tee)
{
	switch (tee) {
	case CC_INITDATA_TEE_SNP:
		return "snp";
	case CC_INITDATA_TEE_TDX:
		return "tdx";
	case CC_INITDATA_TEE_TPM:
		return "tpm";
	default:
		return "none";
	}
}

int cc_initdata_tee_value(const cc_initdata *d, enum cc_initdata_tee tee, unsigned char *out,
                          size_t *ret_len, cc_error **err)
{
	unsigned char dg[CC_INITDATA_MAX_DIGEST];
	size_t n = cc_initdata_digest(d, dg);
	if (n == 0)
		return cc_error_set(err, -ENOMEM, "init-data digest: out of memory");
	size_t want = n;
	if (tee == CC_INITDATA_TEE_SNP)
		want = 32;
	else if (tee == CC_INITDATA_TEE_TDX)
		want = 48;
	else if (tee == CC_INITDATA_TEE_TPM && n != 32)
		return cc_error_set(err, -EINVAL,
		                    "init-data: a TPM binds a sha256 digest in PCR 8; algorithm \"%s\" "
		                    "gives %zu bytes",
		                    cc_initdata_algorithm(d), n);
	memset(out, 0, want);
	memcpy(out, dg, n < want ? n : want);
	*ret_len = want;
	return 0;
}
