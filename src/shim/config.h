/* The shim's configuration.toml, Kata's shape (kata.md §6.2; docs/shim.md
 * lists every key): [hypervisor.qemu] (or the developer's
 * [hypervisor.none]), [agent.cocoon], [runtime]. Unknown keys are ignored,
 * as Kata does, so a Kata file with keys cocoon does not use still loads;
 * a known key with the wrong type or value is an error naming the file,
 * line and key. */
#ifndef COCOON_SHIM_CONFIG_H
#define COCOON_SHIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"

enum shim_hypervisor {
	SHIM_HV_QEMU = 0,
	/* developer/test aid: cocoon-agent as a process on the host, on a
	 * unix socket; no VM, no isolation (docs/shim.md) */
	SHIM_HV_NONE,
};

enum shim_accel {
	SHIM_ACCEL_AUTO = 0, /* KVM when the probe says it runs this guest, else TCG */
	SHIM_ACCEL_KVM,
	SHIM_ACCEL_TCG,
};

enum shim_channel {
	SHIM_CHANNEL_SERIAL = 0, /* virtio-serial port "agent.v1" on a unix socket chardev */
	SHIM_CHANNEL_VSOCK,      /* vhost-vsock (real hosts with /dev/vhost-vsock) */
};

struct shim_config {
	char *source; /* the file it came from, or "(built-in defaults)" */
	enum shim_hypervisor hypervisor;

	/* [hypervisor.qemu] */
	char *qemu_path;
	char *kernel;
	char *initrd;
	char *machine_type;   /* "microvm" (default) or "q35" */
	enum shim_accel accel;
	char *kernel_params;  /* appended to the built-in parameters */
	unsigned vcpus;       /* default_vcpus */
	unsigned memory_mib;  /* default_memory */
	bool hv_debug;        /* enable_debug: kernel messages on the console log */
	bool user_network;    /* network = "user" (else "none") */
	/* guest_forward = "GUESTIP:PORT=127.0.0.1:PORT": the one service the
	 * guest reaches (QEMU guestfwd through socat), NULL for none */
	char *fwd_guest_ip;
	unsigned fwd_guest_port;
	char *fwd_host_ip;
	unsigned fwd_host_port;
	unsigned vsock_guest_cid; /* channel = "vsock": the guest's CID */
	/* measured boot (docs/shim.md, docs/guest-image.md "Attestation"):
	 * firmware (Kata's key) is the UEFI code image, e.g. OVMF_CODE_4M.fd,
	 * attached read-only as pflash unit 0 (q35 only); NULL = QEMU's own
	 * BIOS. firmware_vars (cocoon's) is the variable store template each
	 * pod gets a copy of as pflash unit 1; NULL = firmware's name with
	 * CODE changed to VARS. vtpm (cocoon's enable_vtpm): a per-pod swtpm
	 * behind tpm-crb (q35 only). */
	char *firmware;
	char *firmware_vars;
	bool vtpm;

	/* enable_annotations (either hypervisor section): which
	 * io.katacontainers.config.hypervisor.* annotations a pod may set
	 * (Kata's list of regular expressions, NULL-terminated); built-in
	 * default ["cc_init_data"], as Kata's CoCo configurations */
	char **enable_annotations;

	/* [hypervisor.none] */
	char *host_agent_path;
	char **host_agent_args; /* NULL-terminated */

	/* [agent.cocoon] */
	enum shim_channel channel;
	bool agent_debug;           /* enable_debug: agent.log=debug */
	bool debug_console;         /* debug_console_enabled */
	unsigned dial_timeout_s;    /* dial_timeout: boot to the agent answering */
	char *guest_run_dir;        /* where the agent keeps containers */

	/* [runtime] */
	bool debug;                 /* enable_debug: the shim's own debug log */
	unsigned create_container_timeout_s;
	unsigned request_timeout_s; /* every other agent request */
};

/* Defaults (docs/shim.md): every field set, strings owned. */
int shim_config_default(struct shim_config *c, cc_error **err);
/* Reads a configuration from TOML text; name is the file named in errors.
 * On failure *c is left for shim_config_free(). */
int shim_config_load_text(struct shim_config *c, const char *name, const char *text, size_t len,
                          cc_error **err);
/* Reads the file at path. */
int shim_config_load_file(struct shim_config *c, const char *path, cc_error **err);
void shim_config_free(struct shim_config *c);

/* Which file to read (kata.md §2.2, docs/shim.md): the runtime options'
 * config_path, else $COCOON_CONF_FILE, else /etc/cocoon/configuration.toml
 * when it exists, else the one installed with the build. A new string. */
char *shim_config_pick_path(const char *options_path);

#endif
