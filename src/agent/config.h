/* cocoon-agent's configuration (docs/man/cocoon-agent.md): built-in
 * defaults, then a JSON config file (--config, or agent.config_file= on
 * the kernel command line), then the kernel command line's agent.*
 * options, then the command line's flags; each later source wins. */
#ifndef COCOON_AGENT_CONFIG_H
#define COCOON_AGENT_CONFIG_H

#include <stdbool.h>

#include "cocoon/error.h"
#include "front_json.h"
#include "front_log.h"
#include "runtime.h"

struct agent_config {
	char *channel;         /* a virtio-serial port (byte stream) */
	char *listen;          /* unix:PATH, unix://PATH or vsock://CID:PORT */
	char *policy;          /* the boot-time policy (NULL: the default file) */
	char *config_file;     /* the JSON config file read, if any */
	char *kernel_cmdline;  /* the file read as the kernel command line */
	enum agent_log_level log_level;
	enum agent_json_shape policy_input;
	bool debug_console;    /* agent.debug_console (the shell is /init's) */
	/* the runtime's options (runtime.h); the strings below own them */
	struct agent_rt_opts rt;
	char *run_dir, *oci_runtime, *oci_root, *image_cache_dir, *image_policy_file,
	    *image_registries_d;
	/* init-data (initdata.h): the device to read (NULL: scan /dev in the
	 * guest), where its files go (NULL: AGENT_INITDATA_DIR) */
	char *initdata_device, *initdata_dir;
	char *initdata_scan_dir; /* scan this for vd* and sd* (tests; the guest: /dev) */
};

/* What main() should do after agent_config_parse(). */
enum agent_config_action {
	AGENT_RUN = 0,
	AGENT_HELP,
	AGENT_VERSION,
};

/* Fills c from argv (argv[0] is the program) and the files the options
 * and the environment name: the kernel command line is read from
 * --kernel-cmdline FILE, else /proc/cmdline when the agent runs in the
 * guest (PID 1, or COCOON_AGENT_CHANNEL set by the guest's /init). Errors
 * name the option or file at fault (-EINVAL, or the system's errno). On
 * failure c is left for agent_config_free(). */
int agent_config_parse(struct agent_config *c, int argc, char **argv,
                       enum agent_config_action *ret_action, cc_error **err);

/* Applies one kernel command line's text (space-separated words; agent.*
 * words are read, others ignored). */
int agent_config_apply_cmdline(struct agent_config *c, const char *text, cc_error **err);
/* Applies a JSON config file's text (an object; unknown keys and
 * duplicate keys are errors); name is used in errors. */
int agent_config_apply_json(struct agent_config *c, const char *name, const char *text,
                            size_t len, cc_error **err);

void agent_config_free(struct agent_config *c);

/* The path of a unix:PATH or unix://PATH address; NULL for another kind. */
const char *agent_config_unix_path(const char *listen);

/* The usage text. */
extern const char agent_usage[];

#endif
