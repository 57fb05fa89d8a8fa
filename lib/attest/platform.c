/* Platform detection (platform.h). */
#include "platform.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "az_int.h"

static bool exists(const char *root, const char *path)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof(p), "%s%s", root, path);
	struct stat st;
	return n > 0 && (size_t)n < sizeof(p) && stat(p, &st) == 0;
}

/* Whether the small file root+path holds exactly want (a trailing newline
 * allowed when newline_ok). */
static bool file_is(const char *root, const char *path, const char *want, bool newline_ok)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof(p), "%s%s", root, path);
	if (n < 0 || (size_t)n >= sizeof(p))
		return false;
	uint8_t *buf = NULL;
	size_t len = 0;
	if (tsm_fs_ops.read(NULL, p, 64, &buf, &len) < 0)
		return false;
	size_t wl = strlen(want);
	bool ok = (len == wl || (newline_ok && len == wl + 1 && buf[wl] == '\n')) &&
	          memcmp(buf, want, wl) == 0;
	free(buf);
	return ok;
}

/* The Azure HCL report's type (AZ_HCL_TYPE_*), 0 when there is none. */
static uint32_t azure_type(const platform_opts *o)
{
	if (o->read_hcl_report == NULL)
		return 0;
	uint8_t *p = NULL;
	size_t len = 0;
	if (o->read_hcl_report(o->hcl_ctx, &p, &len) < 0)
		return 0;
	az_hcl h;
	uint32_t t = az_hcl_parse(p, len, &h, NULL) == 0 ? h.report_type : 0;
	free(p);
	return t;
}

const char *platform_detect(const platform_opts *o)
{
	static const platform_opts none;
	if (o == NULL)
		o = &none;
	const char *root = o->root != NULL ? o->root : "";
	if (tsm_report_has_provider(o->tsm, o->tsm_ctx, root, "tdx_guest") ||
	    exists(root, "/dev/tdx_guest"))
		return "tdx";
	if (o->occlum != NULL || file_is(root, "/dev/attestation/attestation_type", "dcap", false))
		return "sgx";
	uint32_t az = azure_type(o);
	if (az == AZ_HCL_TYPE_TDX)
		return "az-tdx-vtpm";
	if (az == AZ_HCL_TYPE_SNP)
		return "az-snp-vtpm";
	if (exists(root, "/sys/devices/platform/sev-guest"))
		return "snp";
	if (exists(root, "/dev/csv-guest"))
		return "csv";
	if (tsm_report_has_provider(o->tsm, o->tsm_ctx, root, "arm_cca_guest"))
		return "cca";
	if (file_is(root, "/sys/firmware/uv/prot_virt_guest", "1", true))
		return "se";
	if (o->aa_tpm_device != NULL) {
		struct stat st;
		if (stat(o->aa_tpm_device, &st) == 0)
			return "tpm";
	}
	for (int i = 0; i <= 2; i++) {
		char dev[16];
		snprintf(dev, sizeof(dev), "/dev/tpm%d", i);
		if (exists(root, dev))
			return "tpm";
	}
	return "sample";
}

const char *platform_detect_host(void)
{
	platform_opts o = {.occlum = getenv("OCCLUM"), .aa_tpm_device = getenv("AA_TPM_DEVICE")};
	return platform_detect(&o);
}
