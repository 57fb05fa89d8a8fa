/* cocoon-kbs configuration: Trustee's KBS TOML keys where they exist
 * (../shared/reference/trustee.md §4.1, §2.2; docs/kbs.md lists every key).
 * Unlike the shim's configuration.toml, an unknown key or section is an
 * error naming the file, line and key: a KBS that silently ignores a
 * security setting it does not know is worse than one that refuses to
 * start. */
#ifndef COCOON_KBS_CONFIG_H
#define COCOON_KBS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

enum kbs_admin_mode {
	KBS_ADMIN_AUTHENTICATED = 0, /* "AuthenticatedAuthorization" */
	KBS_ADMIN_ALLOW_ALL,         /* "InsecureAllowAll" (development only) */
	KBS_ADMIN_DENY_ALL,          /* "DenyAll" */
};

/* [admin.authentication.bearer_jwt] identity_providers[] */
struct kbs_idp {
	char *issuer;         /* checked against "iss" when set */
	char *audience;       /* one of "aud" when set */
	char *public_key_uri; /* a PEM public key file (path or file://) */
	char *jwk_set_uri;    /* a JWK set file (path or file://) */
};

/* [admin.authorization.regex_acl] acls[] */
struct kbs_acl {
	char *role;
	char *allowed_endpoints; /* anchored regex: ^/kbs...$ */
};

struct kbs_config {
	char *source; /* the file it came from, or "(zero-config defaults)" */
	bool zero_config;

	/* [http_server] */
	char **sockets; /* NULL-terminated "IP:PORT" */
	size_t n_sockets;
	bool insecure_http;
	char *private_key; /* PEM paths; both or neither */
	char *certificate;
	unsigned payload_request_size_mib; /* default 2 */
	unsigned worker_count;             /* 0 = online CPUs */

	/* [admin]; admin_from_state: no [admin] section, so the state
	 * directory's admin key and ACL admin -> ^/kbs/.+$ apply */
	bool admin_from_state;
	enum kbs_admin_mode admin_mode;
	struct kbs_idp *idps;
	size_t n_idps;
	bool admin_insecure_header_jwk;
	struct kbs_acl *acls;
	size_t n_acls;

	/* [attestation_token] */
	char **trusted_certs_paths;
	size_t n_trusted_certs;
	char **trusted_jwk_sets;
	size_t n_trusted_jwk_sets;
	char **extra_teekey_paths; /* JSON pointers, checked first */
	size_t n_extra_teekey_paths;
	bool insecure_header_jwk;

	/* [attestation_service] (type = "coco_as_builtin") */
	unsigned session_timeout_min; /* timeout, default 5 */
	/* [attestation_service.attestation_token_broker] */
	unsigned token_duration_min; /* duration_min, default 5 */
	char *issuer_name;
	char *developer_name;
	char *build_name;
	char *profile_name;
	bool verbose_token;
	char *signer_key_path;  /* signer.key_path: P-256 PEM; NULL = the state dir's */
	char *signer_cert_path; /* signer.cert_path: chain for the header's x5c */
	/* [attestation_service.verifier_config.tpm_verifier] */
	char *tpm_trusted_ak_keys_dir;
	/* [attestation_service.verifier_config.snp_verifier]: vcek_sources
	 * (Trustee's: [{type = "OfflineStore"}, {type = "KDS"}]; ours defaults
	 * to the offline store only) and the store's directory */
	char *snp_kds_store_dir; /* kds_store_dir, default Trustee's path */
	bool snp_kds_fetch;      /* a {type = "KDS"} source */
	/* [attestation_service.verifier_config.tdx_verifier] */
	char *tdx_collateral_dir; /* collateral_dir: cached PCS/PCCS answers */
	char *tdx_pccs_url;       /* pccs_url: NULL = Intel PCS, only with fetch */
	bool tdx_fetch;           /* fetch collateral the directory lacks */

	/* [policy_engine] */
	char *policy_path; /* the resource policy installed at first start */

	/* [[plugins]] */
	bool plugin_resource;
};

/* The zero-config defaults (docs/kbs.md): every field set, strings owned.
 * listen is "IP:PORT" (NULL = 127.0.0.1:8080). */
int kbs_config_default(struct kbs_config *c, const char *listen, cc_error **err);

/* Reads a configuration from TOML text (at most CC_KBS_MAX_CONFIG_BYTES);
 * name is the file named in errors ("FILE:LINE: config_error: section.key:
 * ..."). Starts from kbs_config_default's values for what the file leaves
 * out, except that the zero-config choices (admin from the state
 * directory, the resource plugin) follow the file. On failure *c is left
 * for kbs_config_free(). */
int kbs_config_load_text(struct kbs_config *c, const char *name, const char *text, size_t len,
                         cc_error **err);

/* Reads the file at path (regular file, at most CC_KBS_MAX_CONFIG_BYTES). */
int kbs_config_load_file(struct kbs_config *c, const char *path, cc_error **err);

/* Replaces the listen sockets with one "IP:PORT" (the --listen flag). */
int kbs_config_set_listen(struct kbs_config *c, const char *listen, cc_error **err);

void kbs_config_free(struct kbs_config *c);

#endif
