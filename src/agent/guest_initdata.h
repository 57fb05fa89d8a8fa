/* cocoon-agent's init-data (docs/initdata.md, docs/agent.md "Init-data";
 * kata.md §3.4 step 2, §5.2; Kata's src/agent/src/initdata.rs): find the
 * device the shim attached, read and validate it, write the files the
 * attestation agent and the confidential data hub read, hand the policy
 * to main(). Fail-closed: a device that carries the magic but cannot be
 * read, or does not decode or validate, is an error that stops the agent;
 * only "no device carries the magic" means "no init-data". */
#ifndef COCOON_AGENT_GUEST_INITDATA_H
#define COCOON_AGENT_GUEST_INITDATA_H

#include <stdbool.h>

#include "cocoon/error.h"
#include "front_log.h"
#include "initdata/initdata.h"

/* Kata's INITDATA_PATH. */
#define AGENT_INITDATA_DIR "/run/confidential-containers/initdata"

struct agent_initdata_opts {
	const char *device;  /* --initdata-device: this file or device (NULL: scan) */
	bool scan;           /* no device given: scan dev_dir (the guest only) */
	const char *dev_dir; /* where to scan: "/dev" */
	const char *out_dir; /* where the files go (AGENT_INITDATA_DIR; a host
	                      * agent: <run dir>/initdata) */
};

/* Finds and reads the init-data: the device given, else the one block
 * device named vd* or sd* under dev_dir whose first bytes are the magic
 * (two such devices are an error). Writes out_dir/initdata.toml (the
 * document as given), aa.toml and cdh.toml (those [data] entries, when
 * present), mode 0600, creating out_dir (and its parent). On success *ret
 * is the document, or NULL when there is no init-data; *ret_device (may
 * be NULL) the device read. */
int agent_initdata_load(const struct agent_initdata_opts *o, agent_log *log, cc_initdata **ret,
                        char **ret_device, cc_error **err);

#endif
