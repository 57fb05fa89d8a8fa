/* Which TEE this guest runs in, as guest-components' detect_tee_type
 * (attestation-agent/attester/src/lib.rs) decides it; first match wins:
 *   tdx          configfs-tsm has provider tdx_guest (a probe entry is made,
 *                its provider read, removed) or /dev/tdx_guest exists
 *   sgx          $OCCLUM is set, or /dev/attestation/attestation_type is "dcap"
 *   az-tdx-vtpm  the Azure vTPM's HCL report is a TDX one
 *   az-snp-vtpm  the Azure vTPM's HCL report is an SNP one
 *   snp          /sys/devices/platform/sev-guest exists
 *   csv          /dev/csv-guest exists
 *   cca          configfs-tsm has provider arm_cca_guest
 *   se           /sys/firmware/uv/prot_virt_guest is "1"
 *   tpm          $AA_TPM_DEVICE names an existing node, or /dev/tpm0..2 exists
 *   sample       otherwise
 * Every path is under a root prefix so tests run against fake trees
 * (docs/attest-guest.md). */
#ifndef COCOON_ATTEST_PLATFORM_H
#define COCOON_ATTEST_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "tsm_report.h"

typedef struct platform_opts {
	const char *root;          /* path prefix ("" or NULL: none) */
	const tsm_ops *tsm;        /* NULL: tsm_fs_ops */
	void *tsm_ctx;
	const char *occlum;        /* the value of $OCCLUM (NULL: unset) */
	const char *aa_tpm_device; /* the value of $AA_TPM_DEVICE (NULL: unset); taken
	                            * as is, not under root, as upstream */
	/* Reads the Azure vTPM's HCL report (NV index 0x01400001) into a new
	 * buffer; NULL or a failure: not Azure. */
	int (*read_hcl_report)(void *ctx, uint8_t **ret, size_t *ret_len);
	void *hcl_ctx;
} platform_opts;

/* The kbs-types name of the detected TEE ("tdx", ..., "sample"). */
const char *platform_detect(const platform_opts *o);

/* platform_detect on this machine: root "", $OCCLUM, $AA_TPM_DEVICE; the
 * Azure probe is left out (cocoon has no Azure attester yet). */
const char *platform_detect_host(void);

#endif
