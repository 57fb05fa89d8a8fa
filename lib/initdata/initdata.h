/* libcocoon-initdata: a pod's init-data (docs/initdata.md; kata.md §5.2;
 * Trustee's initdata spec). The workload owner writes a TOML document
 *
 *     version = "0.1.0"
 *     algorithm = "sha256"            # sha256 | sha384 | sha512
 *     [data]
 *     "policy.rego" = '''...'''       # the agent policy
 *     "aa.toml" = '''...'''           # attestation agent configuration
 *     "cdh.toml" = '''...'''          # confidential data hub configuration
 *
 * puts base64(gzip(TOML)) in the pod's annotation
 * io.katacontainers.config.hypervisor.cc_init_data; the shim hands it to
 * the guest as a raw block device ("data.img": "initdata" ‖ u64 LE length
 * ‖ gzip(TOML), zero-padded to 512 bytes), and the TEE binds H(TOML)
 * (SNP HOST_DATA, TDX MRCONFIGID, PCR 8 of a TPM).
 *
 * One job per file: initdata_doc.c (parse, validate, digest),
 * initdata_tee.c (the digest as each TEE takes it), initdata_gzip.c
 * (bounded gzip), initdata_annot.c (the annotation), initdata_img.c (the
 * device image). Errors follow docs/errors.md; every input is bounded by
 * include/cocoon/limits.h (CC_INITDATA_*). No global state.
 */
#ifndef COCOON_INITDATA_H
#define COCOON_INITDATA_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"

/* The annotation Kata's runtimes read (Go annotations.Initdata, Rust
 * KATA_ANNO_CFG_HYPERVISOR_INIT_DATA), and its name after the hypervisor
 * prefix (what enable_annotations lists). */
#define CC_INITDATA_ANNOTATION "io.katacontainers.config.hypervisor.cc_init_data"
#define CC_INITDATA_ANNOTATION_SHORT "cc_init_data"

/* The only version of the spec, and the device image's magic. */
#define CC_INITDATA_VERSION "0.1.0"
#define CC_INITDATA_MAGIC "initdata"
#define CC_INITDATA_MAGIC_LEN 8u
#define CC_INITDATA_HEADER_LEN 16u /* magic + u64 LE length */
#define CC_INITDATA_SECTOR 512u

/* The [data] keys the guest uses (Kata's agent, initdata.rs). */
#define CC_INITDATA_KEY_POLICY "policy.rego"
#define CC_INITDATA_KEY_AA "aa.toml"
#define CC_INITDATA_KEY_CDH "cdh.toml"

/* Largest digest (sha512). */
#define CC_INITDATA_MAX_DIGEST 64u

typedef struct cc_initdata cc_initdata;

/* ---- the document (initdata_doc.c) ------------------------------------- */

/* Parses and validates len bytes of TOML (need not be NUL-terminated);
 * name (may be NULL) is what errors name. As Kata (kata-types
 * initdata.rs): `version` (string, "0.1.0"), `algorithm` (string, sha256,
 * sha384 or sha512) and the table `data` (every value a string) are
 * required; other top-level keys are ignored. The raw bytes are kept: the
 * digest is over them. -EINVAL (a message naming the key), -E2BIG past
 * CC_INITDATA_MAX_TOML_BYTES, -ENOMEM. */
int cc_initdata_parse(const char *toml, size_t len, const char *name, cc_initdata **ret,
                      cc_error **err);
/* NULL is a no-op. */
void cc_initdata_free(cc_initdata *d);

/* The TOML exactly as given (NUL-terminated; *ret_len may be NULL). */
const char *cc_initdata_toml(const cc_initdata *d, size_t *ret_len);
/* "sha256", "sha384" or "sha512". */
const char *cc_initdata_algorithm(const cc_initdata *d);
/* [data] key's value (NUL-terminated; it may hold NUL bytes: check
 * *ret_len), or NULL when the key is absent. Valid until the free. */
const char *cc_initdata_get(const cc_initdata *d, const char *key, size_t *ret_len);
/* Number of [data] entries, and entry i (keys in document order). */
size_t cc_initdata_count(const cc_initdata *d);
const char *cc_initdata_key_at(const cc_initdata *d, size_t i);
/* H(raw TOML) with the document's algorithm into out (at least
 * CC_INITDATA_MAX_DIGEST bytes); returns its length (32, 48 or 64). */
size_t cc_initdata_digest(const cc_initdata *d, unsigned char *out);

/* ---- the digest per TEE (initdata_tee.c) -------------------------------- */

enum cc_initdata_tee {
	CC_INITDATA_TEE_NONE = 0, /* the digest as is */
	CC_INITDATA_TEE_SNP,      /* HOST_DATA: 32 bytes (truncated / zero-padded) */
	CC_INITDATA_TEE_TDX,      /* MRCONFIGID: 48 bytes (truncated / zero-padded) */
	CC_INITDATA_TEE_TPM,      /* the PCR 8 extend value: the sha256 digest (32 bytes) */
};

/* The value a TEE binds (Kata's adjust_digest; for TPM, guest-components'
 * TPM attester bind_init_data: it extends PCR 8's SHA-256 bank with the
 * digest and refuses one that is not 32 bytes, so a TPM needs algorithm
 * "sha256"; -EINVAL otherwise). out holds at least CC_INITDATA_MAX_DIGEST
 * bytes; *ret_len is set. */
int cc_initdata_tee_value(const cc_initdata *d, enum cc_initdata_tee tee, unsigned char *out,
                          size_t *ret_len, cc_error **err);
/* The TEE's name ("none", "snp", "tdx", "tpm"). */
const char *cc_initdata_tee_name(enum cc_initdata_tee tee);

/* ---- gzip (initdata_gzip.c) --------------------------------------------- */

/* Inflates one gzip member of len bytes into a new NUL-terminated buffer
 * of at most max bytes. Bytes after the member are an error (-EINVAL), as
 * is a truncated or corrupt stream (zlib's message); -E2BIG past max. */
int cc_initdata_gunzip(const unsigned char *gz, size_t len, size_t max, char **ret,
                       size_t *ret_len, cc_error **err);
/* gzip of len bytes (a new buffer); -E2BIG when it is over
 * CC_INITDATA_MAX_GZIP_BYTES, which no decoder here would take. */
int cc_initdata_gzip(const void *data, size_t len, unsigned char **ret, size_t *ret_len,
                     cc_error **err);

/* ---- the annotation (initdata_annot.c) ---------------------------------- */

/* Decodes the annotation's value: standard base64 (padded) → gzip
 * (at most CC_INITDATA_MAX_GZIP_BYTES) → TOML → cc_initdata_parse().
 * Messages say which step failed ("not valid base64", "gzip: ...",
 * "init-data: version ..."). */
int cc_initdata_from_annotation(const char *b64, size_t len, cc_initdata **ret, cc_error **err);
/* base64(gzip(toml)): the annotation for a TOML document (tests, tools). */
int cc_initdata_to_annotation(const char *toml, size_t len, char **ret, cc_error **err);

/* ---- the device image (initdata_img.c) ---------------------------------- */

/* data.img for toml: magic ‖ u64 LE gzip length ‖ gzip(toml), zero-padded
 * to a multiple of 512 bytes. */
int cc_initdata_img_encode(const char *toml, size_t len, unsigned char **ret, size_t *ret_len,
                           cc_error **err);
/* Decodes an image of len bytes (a buffer: tests, the fuzz target): the
 * declared length must fit in the image and in CC_INITDATA_MAX_GZIP_BYTES;
 * returns the inflated bytes (not yet parsed as TOML). A missing magic is
 * -ENOENT ("not an init-data image"); anything else wrong is -EINVAL or
 * -E2BIG. */
int cc_initdata_img_decode(const unsigned char *img, size_t len, char **ret, size_t *ret_len,
                           cc_error **err);
/* True if the first bytes of buf (len of them) are the magic. */
bool cc_initdata_img_has_magic(const unsigned char *buf, size_t len);
/* Reads the image from an open file or block device (name for errors):
 * the header, then exactly the declared length (bounded by the device's
 * size and CC_INITDATA_MAX_GZIP_BYTES), then inflates. Read errors are the
 * system's errno, never "no init-data". */
int cc_initdata_img_read_fd(int fd, const char *name, char **ret, size_t *ret_len,
                            cc_error **err);

#endif
