/* Host facts the VM's command line needs (machine.md §1.2-1.3): which
 * accelerator runs the guest kernel, and the TSC frequency microvm guests
 * are told. */
#ifndef COCOON_SHIM_ACCEL_H
#define COCOON_SHIM_ACCEL_H

#include "cocoon/error.h"
#include "config.h"

/* Resolves c->accel: "kvm"/"tcg" as configured; "auto" gives KVM only when
 * /dev/kvm is usable, is not PVM (kvm_pvm runs only PVM-enabled guest
 * kernels, machine.md §1.2), the CPU has vmx or svm, and one probe boot of
 * the configured kernel and initrd under KVM prints the guest's marker
 * within 10 s; the probe's answer is kept in <cache_dir>/accel-<hash of
 * QEMU, kernel and initrd> so later pods do not boot it again. *why says
 * how it was decided (a static string). */
int shim_accel_resolve(const struct shim_config *c, const char *cache_dir, enum shim_accel *ret,
                       const char **why, cc_error **err);

/* The host's TSC frequency in kHz: the kernel log's "tsc: Refined TSC
 * clocksource calibration" or "tsc: Detected ... MHz" line when it can be
 * read, else /proc/cpuinfo's "cpu MHz"; 0 when neither says. */
unsigned shim_tsc_khz(void);

#endif
