/* The QEMU command line of a pod's VM (kata.md §6.1, machine.md §1;
 * docs/shim.md): pure functions of the configuration, so unit tests check
 * every argument. */
#ifndef COCOON_SHIM_QEMU_H
#define COCOON_SHIM_QEMU_H

#include <stdbool.h>

#include "cocoon/error.h"
#include "config.h"

struct shim_vm_spec {
	const char *name;         /* "sandbox-<id>" */
	const char *channel_path; /* the virtio-serial chardev's unix socket */
	const char *console_path; /* the guest console's log file */
	enum shim_accel accel;    /* resolved: KVM or TCG */
	unsigned tsc_khz;         /* for microvm (tsc_early_khz=); 0 = leave out */
	bool no_channel;          /* no agent channel device (a probe boot) */
	/* the init-data image (docs/initdata.md): a read-only raw virtio-blk
	 * disk with serial "initdata"; NULL for none. The hook for a TEE's
	 * binding of its digest (SNP host-data=, TDX mrconfigid=) is here too,
	 * once the machine has those objects (<state>/initdata.json has the
	 * values). */
	const char *initdata_img;
	/* measured boot (vtpm.h): the pod's copy of the firmware's variable
	 * store (pflash unit 1; with config firmware), and swtpm's control
	 * socket for tpm-crb; NULL for none */
	const char *firmware_vars;
	const char *tpm_socket;
};

/* The guest kernel's command line: Kata's speed-ups (kata.md §3.4),
 * console=ttyS0, panic=1, tsc_early_khz (microvm), cocoon.* options for
 * the network, channel and debug console, agent.log=debug, then the
 * configuration's kernel_params. A new string. */
int shim_kernel_cmdline(const struct shim_config *c, const struct shim_vm_spec *vm, char **ret,
                        cc_error **err);

/* The QEMU argv (NULL-terminated, every string and the array malloc'd;
 * free with shim_argv_free). Paths with a comma are refused (QEMU would
 * split the option there). */
int shim_qemu_argv(const struct shim_config *c, const struct shim_vm_spec *vm, char ***ret,
                   cc_error **err);
void shim_argv_free(char **argv);

#endif
