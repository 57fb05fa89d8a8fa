/* The attestation agent (docs/aa.md): guest-components' ttrpc-aa service
 * attestation_agent.AttestationAgentService on top of lib/attest (the
 * attesters, the AAEL writer) and lib/kbsclient (the shared KBS session).
 * A library and a thin main (main.c), so cocoon-agent can embed it.
 *
 * Quiet (docs/errors.md): nothing here prints; main.c logs.
 */
#ifndef COCOON_AA_H
#define COCOON_AA_H

#include <stdbool.h>
#include <stddef.h>

#include "attest.h"
#include "cocoon/error.h"
#include "ttrpc.h"

#define AA_SERVICE "attestation_agent.AttestationAgentService"
#define AA_DEFAULT_SOCK \
	"unix:///run/confidential-containers/attestation-agent/attestation-agent.sock"

/* The config file (guest-components' config.example.toml), TOML only. */
struct aa_config {
	char *kbs_url;           /* [token_configs.kbs] url; NULL: no KBS */
	char *kbs_cert;          /* [token_configs.kbs] cert (PEM text) or NULL */
	char *tee_key_algorithm; /* [token_configs.kbs] tee_key_algorithm or NULL */
	char *coco_as_url;       /* [token_configs.coco_as] url (GetToken refuses it) */
	bool enable_eventlog;    /* [eventlog_config] enable_eventlog, default false */
	unsigned init_pcr;       /* [eventlog_config] init_pcr, default 17 */
};

/* Parses len bytes of TOML (name: the file, for messages). Unknown tables
 * and keys are ignored as the config crate ignores them; a known key of
 * the wrong type, or an unsupported tee_key_algorithm, is an error naming
 * it. An empty document gives the defaults. */
int aa_config_parse(const char *text, size_t len, const char *name, struct aa_config *ret,
                    cc_error **err);
void aa_config_clear(struct aa_config *c);

typedef struct aa aa;

struct aa_opts {
	const struct aa_config *config;
	attest_attester *attester; /* taken over by aa_new (also on failure) */
	const char *init_data;     /* init-data TOML sent with each RCAR, or NULL */
	size_t init_data_len;
	const char *eventlog_dir;  /* NULL: /run/attestation-agent */
};

/* An agent: the KBS session when the config names a KBS, the AAEL writer
 * when enable_eventlog is set and the TEE has a register. */
int aa_new(const struct aa_opts *o, aa **ret, cc_error **err);
void aa_free(aa *a);

/* Registers AA_SERVICE's methods on s (aa must outlive the server). */
int aa_register(aa *a, ttrpc_server *s, cc_error **err);

/* RCARs the agent's KBS session has run (0 without a KBS). */
unsigned long aa_rcars(const aa *a);

#endif
