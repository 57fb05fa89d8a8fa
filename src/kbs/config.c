/* Configuration defaults, the --listen override and freeing (config.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "kbs_util.h"

static int dup_to(char **dst, const char *v, cc_error **err)
{
	char *d = v != NULL ? strdup(v) : NULL;
	if (v != NULL && d == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	free(*dst);
	*dst = d;
	return 0;
}

int kbs_config_set_listen(struct kbs_config *c, const char *listen, cc_error **err)
{
	char **s = calloc(2, sizeof(*s));
	if (s == NULL || (s[0] = strdup(listen)) == NULL) {
		free(s);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	kbs_strv_free(c->sockets);
	c->sockets = s;
	c->n_sockets = 1;
	return 0;
}

int kbs_config_default(struct kbs_config *c, const char *listen, cc_error **err)
{
	memset(c, 0, sizeof(*c));
	c->zero_config = true;
	c->admin_from_state = true;
	c->admin_mode = KBS_ADMIN_AUTHENTICATED;
	c->payload_request_size_mib = 2;
	c->session_timeout_min = 5;
	c->token_duration_min = 5;
	c->verbose_token = true;
	c->plugin_resource = true;
	int r = dup_to(&c->source, "(zero-config defaults)", err);
	if (r == 0)
		r = kbs_config_set_listen(c, listen != NULL ? listen : "127.0.0.1:8080", err);
	/* Trustee's EAR broker defaults (trustee.md §3.5); the build is ours. */
	if (r == 0)
		r = dup_to(&c->issuer_name, "CoCo-Attestation-Service", err);
	if (r == 0)
		r = dup_to(&c->developer_name, "https://confidentialcontainers.org", err);
	if (r == 0)
		r = dup_to(&c->build_name, "cocoon-kbs " KBS_VERSION, err);
	if (r == 0)
		r = dup_to(&c->profile_name, "tag:github.com,2024:confidential-containers/Trustee",
		           err);
	return r;
}

void kbs_config_free(struct kbs_config *c)
{
	if (c == NULL)
		return;
	free(c->source);
	kbs_strv_free(c->sockets);
	free(c->private_key);
	free(c->certificate);
	for (size_t i = 0; i < c->n_idps; i++) {
		free(c->idps[i].issuer);
		free(c->idps[i].audience);
		free(c->idps[i].public_key_uri);
		free(c->idps[i].jwk_set_uri);
	}
	free(c->idps);
	for (size_t i = 0; i < c->n_acls; i++) {
		free(c->acls[i].role);
		free(c->acls[i].allowed_endpoints);
	}
	free(c->acls);
	kbs_strv_free(c->trusted_certs_paths);
	kbs_strv_free(c->trusted_jwk_sets);
	kbs_strv_free(c->extra_teekey_paths);
	free(c->issuer_name);
	free(c->developer_name);
	free(c->build_name);
	free(c->profile_name);
	free(c->signer_key_path);
	free(c->signer_cert_path);
	free(c->tpm_trusted_ak_keys_dir);
	free(c->snp_kds_store_dir);
	free(c->tdx_collateral_dir);
	free(c->tdx_pccs_url);
	free(c->policy_path);
	memset(c, 0, sizeof(*c));
}
