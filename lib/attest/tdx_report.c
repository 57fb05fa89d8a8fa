/* The TDREPORT /dev/tdx_guest returns (guest_attest.h): REPORTMACSTRUCT
 * (report type at 0, REPORTDATA at 128), TEE_TCB_INFO at 256, TDINFO at
 * 512 (ATTRIBUTES, XFAM, MRTD, MRCONFIGID at 576, MROWNER, MROWNERCONFIG,
 * RTMR0..3 at 720 + 48 i). */
#include <errno.h>
#include <string.h>

#include "guest_attest.h"

#define REPORT_TYPE_TDX 0x81u

int tdx_tdreport_parse(const uint8_t *p, size_t len, tdx_tdreport *ret, cc_error **err)
{
	if (len < TDX_TDREPORT_SIZE)
		return cc_error_set(err, -EINVAL, "truncated TDREPORT: %zu bytes, not %u", len,
		                    TDX_TDREPORT_SIZE);
	if (len > TDX_TDREPORT_SIZE)
		return cc_error_set(err, -EINVAL, "oversized TDREPORT: %zu bytes, not %u", len,
		                    TDX_TDREPORT_SIZE);
	if (p[0] != REPORT_TYPE_TDX)
		return cc_error_set(err, -EINVAL, "TDREPORT: report type 0x%02x is not TDX (0x81)",
		                    p[0]);
	memcpy(ret->report_type, p, 4);
	memcpy(ret->report_data, p + 128, 64);
	memcpy(ret->td_attributes, p + 512, 8);
	memcpy(ret->xfam, p + 520, 8);
	memcpy(ret->mrtd, p + 528, 48);
	memcpy(ret->mrconfigid, p + 576, 48);
	memcpy(ret->mrowner, p + 624, 48);
	memcpy(ret->mrownerconfig, p + 672, 48);
	for (size_t i = 0; i < 4; i++)
		memcpy(ret->rtmr[i], p + 720 + 48 * i, 48);
	return 0;
}
