/* The guest attesters for SEV-SNP and TDX (snp_attester.c, tdx_attester.c),
 * the parsers of what their devices answer (snp_certtable.c, tdx_report.c),
 * and the device-ops table that puts the ioctls behind something tests can
 * replace (docs/attest-guest.md).
 *
 * Evidence JSON is what guest-components' attesters write:
 *   snp: {"attestation_report": {...sev crate fields...},
 *         "cert_chain": [{"cert_type": "VCEK", "data": [bytes]}, ...] | null}
 *   tdx: {"cc_eventlog": "<base64>" | null, "quote": "<base64>"}
 */
#ifndef COCOON_ATTEST_GUEST_ATTEST_H
#define COCOON_ATTEST_GUEST_ATTEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "attest.h"
#include "tsm_report.h"

/* ---- device ops ------------------------------------------------------- */

/* open/ioctl/close of a character device; each returns >= 0 or a negative
 * errno. ioctl's arg is the request structure, as ioctl(2) takes it. */
typedef struct guest_dev_ops {
	int (*open)(void *ctx, const char *path);
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	void (*close)(void *ctx, int fd);
} guest_dev_ops;

/* The kernel's (ctx unused). */
extern const guest_dev_ops guest_dev_real_ops;

/* Where an attester finds its devices; zeroed: the real machine. */
typedef struct guest_attester_opts {
	const char *root;              /* path prefix of /sys, /dev, /run ("" or NULL: none) */
	const tsm_ops *tsm;            /* NULL: tsm_fs_ops */
	void *tsm_ctx;
	const guest_dev_ops *dev;      /* NULL: guest_dev_real_ops */
	void *dev_ctx;
	const char *aael_path;         /* tdx: the AA event log (NULL: $AAEL_PATH, else
	                                * <root>/run/attestation-agent/eventlog) */
	int vmpl;                      /* snp: VMPL of the report (0: upstream's) */
} guest_attester_opts;

/* ---- SNP certificate table (GHCB spec: 16-byte GUID, u32 offset, u32
 * length, little-endian; ends with an all-zero entry) ---------------- */

/* The table of len bytes as the evidence's cert_chain: an array of
 * {"cert_type": "ARK"|"ASK"|"VCEK"|"VLEK"|"CRL"|{"OTHER": "<uuid>"},
 * "data": [bytes]} in table order; JSON null when the table is empty
 * (the sev crate's None). Fails closed ("truncated"/"oversized" SNP
 * certificate table, entries overlapping the table, out of the buffer,
 * duplicate GUIDs). */
int snp_certtable_to_json(const uint8_t *p, size_t len, json_t **ret, cc_error **err);

/* ---- TDREPORT (TDX module ABI: REPORTMACSTRUCT 256, TEE_TCB_INFO 239,
 * reserved 17, TDINFO 512: 1024 bytes) ------------------------------- */

#define TDX_TDREPORT_SIZE 1024u

typedef struct tdx_tdreport {
	uint8_t report_type[4];  /* type 0x81 (TDX), subtype, version, reserved */
	uint8_t report_data[64];
	uint8_t td_attributes[8], xfam[8];
	uint8_t mrtd[48], mrconfigid[48], mrowner[48], mrownerconfig[48];
	uint8_t rtmr[4][48];
} tdx_tdreport;

/* linux/tdx-guest.h's request (Linux 6.2+; Debian 12's headers are older). */
struct tdx_report_req {
	uint8_t reportdata[64];
	uint8_t tdreport[TDX_TDREPORT_SIZE];
};
#define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct tdx_report_req)

/* Parses a TDREPORT of exactly TDX_TDREPORT_SIZE bytes whose type is TDX
 * (0x81): "truncated"/"oversized TDREPORT", "TDREPORT: ...". */
int tdx_tdreport_parse(const uint8_t *p, size_t len, tdx_tdreport *ret, cc_error **err);

/* ---- attesters -------------------------------------------------------- */

/* SNP: configfs-tsm (provider sev_guest) when it exists under root, else
 * /dev/sev-guest SNP_GET_EXT_REPORT (certificate buffer grown as the
 * firmware asks, bounded), falling back to SNP_GET_REPORT when the host
 * has no certificates to give. o NULL: the real machine. */
int snp_attester_new(const guest_attester_opts *o, attest_attester **ret, cc_error **err);

/* TDX: configfs-tsm (provider tdx_guest) for the quote; without it,
 * /dev/tdx_guest gives a TDREPORT only and get_evidence fails naming the
 * missing QGS path. cc_eventlog: the CCEL (trimmed at its end marker) and
 * the AAEL, as guest-components' read_eventlog builds it. */
int tdx_attester_new(const guest_attester_opts *o, attest_attester **ret, cc_error **err);

/* HOSTDATA of a fresh SNP report (zero report data, o's VMPL), fetched as
 * get_evidence fetches it (guest-components' get_snp_host_data). */
int snp_get_host_data(const guest_attester_opts *o, uint8_t ret[32], cc_error **err);

/* The TDREPORT for report_data (<= 64 bytes, zero-padded) through
 * /dev/tdx_guest TDX_CMD_GET_REPORT0 (o NULL: the real machine). */
int tdx_get_tdreport(const guest_attester_opts *o, const uint8_t *report_data, size_t len,
                     tdx_tdreport *ret, cc_error **err);

/* Binds the init-data digest (len bytes) to the TEE tee, as
 * guest-components' bind_init_data does at the attestation agent's start:
 *   snp   HOSTDATA of a fresh report == the digest zero-padded or cut to 32
 *   tdx   MRCONFIGID (<root>/sys/devices/virtual/misc/tdx_guest/
 *         measurements/mrconfigid when readable, else the TDREPORT) == the
 *         digest zero-padded or cut to 48
 *   tpm, az-snp-vtpm, az-tdx-vtpm
 *         SHA-256 PCR 8 extended with the digest, which must be 32 bytes
 *         (tcti: the tpm2-tss TCTI, NULL: its default)
 * Returns 0 bound, 1 when the TEE has no binding (upstream logs it and
 * goes on: cca, csv, se, sgx, sample), or an error: "init_data mismatch:
 * HOSTDATA ..." / "init_data mismatch: MRCONFIGID ...", "init_data: ...". */
int guest_bind_init_data(const char *tee, const guest_attester_opts *o, const char *tcti,
                         const uint8_t *digest, size_t len, cc_error **err);

/* The cc_eventlog bytes guest-components sends: ccel (trimmed at its end
 * marker; NULL: none) then aael (NULL: none), with the fixed 73-byte
 * EV_NO_ACTION header before an AAEL without CCEL, then 8 bytes 0xFF.
 * *ret NULL (return 0) when both are absent. */
int tdx_cc_eventlog_build(const uint8_t *ccel, size_t ccel_len, const uint8_t *aael,
                          size_t aael_len, uint8_t **ret, size_t *ret_len, cc_error **err);

#endif
