/* The per-pod pieces of the measured-boot VM shape (docs/shim.md,
 * docs/guest-image.md "Attestation"; machine.md §2.2): a swtpm the VM's
 * tpm-crb talks to, and the pod's own copy of the UEFI variable store.
 * swtpm runs in its own process group, is ours to reap, and its PID and
 * start time are kept in <state_dir>/swtpm.pid so that `delete` can kill
 * it after a crash of the shim. */
#ifndef COCOON_SHIM_VTPM_H
#define COCOON_SHIM_VTPM_H

#include <sys/types.h>

#include "cocoon/error.h"

/* The swtpm binary (Debian's swtpm package). */
#define SHIM_SWTPM_PATH "/usr/bin/swtpm"
/* The largest UEFI variable store copied (OVMF's 4M build: 528 KiB). */
#define SHIM_FIRMWARE_VARS_MAX (16u * 1024 * 1024)

struct shim_vtpm;

/* Starts `swtpm socket --tpm2` with its state in <state_dir>/tpm and its
 * control channel (which QEMU's emulator backend uses) on
 * <state_dir>/swtpm.sock, --terminate so that it ends when QEMU hangs up;
 * its output goes to <state_dir>/swtpm.log. Returns once the socket is
 * there (or fails if swtpm exits first, or after SHIM_VTPM_READY_MS).
 * swtpm_path NULL means SHIM_SWTPM_PATH. */
int shim_vtpm_start(const char *swtpm_path, const char *state_dir, struct shim_vtpm **ret,
                    cc_error **err);
/* The control socket's path, for QEMU's -chardev. */
const char *shim_vtpm_socket(const struct shim_vtpm *t);
pid_t shim_vtpm_pid(const struct shim_vtpm *t);
/* SIGTERM (SIGKILL after grace_ms, or at once with 0), then reaps it.
 * Idempotent. */
void shim_vtpm_stop(struct shim_vtpm *t, int grace_ms);
/* Stops (if needed) and frees. NULL is a no-op. */
void shim_vtpm_free(struct shim_vtpm *t);

/* Copies the variable store template to dst (mode 0600; at most
 * SHIM_FIRMWARE_VARS_MAX bytes): each pod starts from the template's
 * variables, which PCR 7 measures. */
int shim_copy_firmware_vars(const char *template_path, const char *dst, cc_error **err);

#endif
