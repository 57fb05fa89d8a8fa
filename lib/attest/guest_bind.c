/* Init-data binding at the attestation agent's start (guest_attest.h,
 * docs/attest-guest.md): guest-components' bind_init_data per TEE. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aael_writer.h"
#include "guest_attest.h"

#define TDX_MRCONFIGID_SYSFS "/sys/devices/virtual/misc/tdx_guest/measurements/mrconfigid"

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

/* want = the digest zero-padded or cut to n (upstream's pad()). */
static int compare(const char *field, const uint8_t *got, const uint8_t *digest, size_t len,
                   size_t n, cc_error **err)
{
	uint8_t want[64] = {0};
	memcpy(want, digest, len < n ? len : n);
	if (memcmp(got, want, n) == 0)
		return 0;
	char g[129], w[129];
	hex(got, n, g);
	hex(want, n, w);
	return cc_error_set(err, -EPERM, "init_data mismatch: %s is %s, the init-data digest %s",
	                    field, g, w);
}

/* MRCONFIGID from the sysfs file when the kernel has it, else from the
 * TDREPORT. */
static int tdx_mrconfigid(const guest_attester_opts *o, uint8_t out[48], cc_error **err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s" TDX_MRCONFIGID_SYSFS,
	         o != NULL && o->root != NULL ? o->root : "");
	uint8_t *p = NULL;
	size_t len = 0;
	if (tsm_fs_ops.read(NULL, path, 64, &p, &len) == 0) {
		int r = len == 48 ? 0
		                  : cc_error_set(err, -EIO, "init_data: %s gave %zu bytes, not 48",
		                                 path, len);
		if (r == 0)
			memcpy(out, p, 48);
		free(p);
		return r;
	}
	tdx_tdreport rep;
	int r = tdx_get_tdreport(o, NULL, 0, &rep, err);
	if (r == 0)
		memcpy(out, rep.mrconfigid, 48);
	return r;
}

int guest_bind_init_data(const char *tee, const guest_attester_opts *o, const char *tcti,
                         const uint8_t *digest, size_t len, cc_error **err)
{
	if (tee == NULL || (len > 0 && digest == NULL) || len > 64)
		return cc_error_set(err, -EINVAL, "init_data: no TEE, or a digest over 64 bytes");
	if (strcmp(tee, "snp") == 0) {
		uint8_t hd[32];
		int r = snp_get_host_data(o, hd, err);
		return r < 0 ? r : compare("HOSTDATA", hd, digest, len, 32, err);
	}
	if (strcmp(tee, "tdx") == 0) {
		uint8_t id[48];
		int r = tdx_mrconfigid(o, id, err);
		return r < 0 ? r : compare("MRCONFIGID", id, digest, len, 48, err);
	}
	if (strcmp(tee, "tpm") == 0 || strcmp(tee, "az-snp-vtpm") == 0 ||
	    strcmp(tee, "az-tdx-vtpm") == 0) {
		if (len != 32)
			return cc_error_set(err, -EINVAL,
			                    "init_data: a %zu-byte digest cannot extend the SHA-256 PCR 8 "
			                    "(%s needs the init-data algorithm sha256)",
			                    len, tee);
		return aael_tpm_pcr.extend((void *)(uintptr_t)tcti, 8, digest, len, err);
	}
	return 1;
}
