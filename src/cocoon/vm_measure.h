/* What the kernel's EFI stub measures into PCR 9 on the attested VM shape
 * (q35 + OVMF + vTPM, direct kernel boot; machine.md §2.2,
 * docs/guest-image.md "Attestation"), computed from the build's outputs:
 *
 *   1. EV_EVENT_TAG "LOADED_IMAGE::LoadOptions": SHA-256 of the command
 *      line as OVMF hands it to the kernel: QEMU's -append text with
 *      " initrd=initrd" appended (QEMU/OVMF add it when there is an
 *      initrd), each byte widened to UTF-16LE, plus a UTF-16 NUL;
 *   2. EV_EVENT_TAG "Linux initrd": SHA-256 of the initrd file;
 *
 *   PCR9 = SHA-256(SHA-256(0^32 || d1) || d2).
 *
 * Pure functions: no logging, errors through cc_error. */
#ifndef COCOON_VM_MEASURE_H
#define COCOON_VM_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

#define VM_SHA256_LEN 32u
/* The suffix QEMU/OVMF append to the command line with an initrd. */
#define VM_INITRD_SUFFIX " initrd=initrd"
/* The longest command line measured (QEMU's x86 limit is the kernel's
 * COMMAND_LINE_SIZE, 2048; the shim's builder stops at 4096). */
#define VM_CMDLINE_MAX 4096u

struct vm_pcr9 {
	uint8_t load_options[VM_SHA256_LEN]; /* event 1's digest */
	uint8_t initrd[VM_SHA256_LEN];       /* event 2's digest */
	uint8_t pcr9[VM_SHA256_LEN];
};

/* The digest of event 1 for the -append text cmdline (the suffix is
 * added here). A byte above 0x7f is refused (-EINVAL): OVMF widens bytes,
 * which is not what a UTF-8 reader of the configuration would expect. */
int vm_measure_load_options(const char *cmdline, uint8_t out[VM_SHA256_LEN], cc_error **err);
/* SHA-256 of a file (streamed). */
int vm_measure_file(const char *path, uint8_t out[VM_SHA256_LEN], cc_error **err);
/* Both events and the PCR from the -append text and the initrd file. */
int vm_measure_pcr9(const char *cmdline, const char *initrd_path, struct vm_pcr9 *out,
                    cc_error **err);
/* PCR = SHA-256(PCR || digest), in place. */
void vm_pcr_extend(uint8_t pcr[VM_SHA256_LEN], const uint8_t digest[VM_SHA256_LEN]);
/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void vm_hex(const uint8_t *b, size_t n, char *out);

#endif
