/* The KBS configuration file: Trustee's sections and keys, strictly
 * (config.h; docs/kbs.md, "Configuration"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "config.h"
#include "config_read.h"
#include "kbs_util.h"

/* An array of tables (identity_providers, acls, [[plugins]]): a reader per
 * element, fn called on each. */
typedef int (*elem_fn)(struct cfg_reader *el, size_t i, void *arg);

static int each_table(const struct cfg_reader *rd, const char *key, size_t max, elem_fn fn,
                      void *arg, size_t *ret_n)
{
	const toml_value *a = toml_table_get(rd->table, key);
	*ret_n = 0;
	if (a == NULL)
		return 0;
	if (toml_type(a) != TOML_ARRAY)
		return cfg_bad(rd, key, "expected an array of tables, not %s",
		               toml_type_name(toml_type(a)));
	size_t n = toml_array_len(a);
	if (n > max)
		return cfg_bad(rd, key, "more than %zu entries", max);
	for (size_t i = 0; i < n; i++) {
		char sec[160];
		snprintf(sec, sizeof(sec), "%s%s%s[%zu]", rd->section, *rd->section ? "." : "", key, i);
		struct cfg_reader el = *rd;
		el.section = sec;
		el.table = toml_array_at(a, i);
		if (toml_type(el.table) != TOML_TABLE)
			return cfg_bad(rd, key, "entry %zu: expected a table, not %s", i,
			               toml_type_name(toml_type(el.table)));
		int r = fn(&el, i, arg);
		if (r < 0)
			return r;
	}
	*ret_n = n;
	return 0;
}

/* ---- [http_server] -------------------------------------------------------- */

static int read_http(const struct cfg_reader *rd, struct kbs_config *c)
{
	static const char *const keys[] = {"sockets", "insecure_http", "private_key", "certificate",
	                                   "payload_request_size", "worker_count", NULL};
	int r = cfg_only(rd, keys, NULL);
	if (r == 0)
		r = cfg_strv(rd, "sockets", CC_HTTPD_MAX_SOCKETS, &c->sockets, &c->n_sockets);
	if (r == 0 && c->n_sockets == 0)
		r = cfg_bad(rd, "sockets", "needs at least one \"IP:PORT\"");
	if (r == 0)
		r = cfg_bool(rd, "insecure_http", &c->insecure_http);
	if (r == 0)
		r = cfg_str(rd, "private_key", &c->private_key);
	if (r == 0)
		r = cfg_str(rd, "certificate", &c->certificate);
	if (r == 0)
		r = cfg_uint(rd, "payload_request_size", 1, 64, &c->payload_request_size_mib);
	if (r == 0)
		r = cfg_uint(rd, "worker_count", 1, CC_HTTPD_MAX_WORKERS, &c->worker_count);
	if (r == 0 && (c->private_key == NULL) != (c->certificate == NULL))
		r = cfg_bad(rd, c->private_key ? "private_key" : "certificate",
		            "private_key and certificate go together");
	if (r == 0 && !c->insecure_http && c->private_key == NULL)
		r = cfg_bad(rd, NULL, "HTTPS (the default) needs private_key and certificate; "
		                      "set insecure_http = true for plain HTTP on loopback");
	if (r == 0 && c->insecure_http && c->private_key != NULL)
		r = cfg_bad(rd, "insecure_http", "is true but private_key and certificate are set");
	return r;
}

/* ---- [admin] ---------------------------------------------------------------- */

static int read_idp(struct cfg_reader *el, size_t i, void *arg)
{
	struct kbs_idp *idp = &((struct kbs_idp *)arg)[i];
	static const char *const keys[] = {"issuer", "audience", "public_key_uri", "jwk_set_uri",
	                                   NULL};
	int r = cfg_only(el, keys, NULL);
	if (r == 0)
		r = cfg_str(el, "issuer", &idp->issuer);
	if (r == 0)
		r = cfg_str(el, "audience", &idp->audience);
	if (r == 0)
		r = cfg_str(el, "public_key_uri", &idp->public_key_uri);
	if (r == 0)
		r = cfg_str(el, "jwk_set_uri", &idp->jwk_set_uri);
	if (r == 0 && idp->public_key_uri == NULL && idp->jwk_set_uri == NULL)
		r = cfg_bad(el, NULL, "needs public_key_uri or jwk_set_uri");
	const char *uri = idp->public_key_uri ? idp->public_key_uri : idp->jwk_set_uri;
	if (r == 0 && kbs_uri_path(uri) == NULL)
		r = cfg_bad(el, idp->public_key_uri ? "public_key_uri" : "jwk_set_uri",
		            "\"%.128s\": only local files (a path or file://) are supported", uri);
	if (r == 0 && idp->public_key_uri && idp->jwk_set_uri &&
	    kbs_uri_path(idp->jwk_set_uri) == NULL)
		r = cfg_bad(el, "jwk_set_uri",
		            "\"%.128s\": only local files (a path or file://) are supported",
		            idp->jwk_set_uri);
	return r;
}

static int read_acl(struct cfg_reader *el, size_t i, void *arg)
{
	struct kbs_acl *acl = &((struct kbs_acl *)arg)[i];
	static const char *const keys[] = {"role", "allowed_endpoints", NULL};
	int r = cfg_only(el, keys, NULL);
	if (r == 0)
		r = cfg_str(el, "role", &acl->role);
	if (r == 0)
		r = cfg_str(el, "allowed_endpoints", &acl->allowed_endpoints);
	if (r == 0 && (acl->role == NULL || acl->allowed_endpoints == NULL))
		r = cfg_bad(el, NULL, "needs role and allowed_endpoints");
	size_t n = r == 0 ? strlen(acl->allowed_endpoints) : 0;
	if (r == 0 && (strncmp(acl->allowed_endpoints, "^/kbs", 5) != 0 ||
	               acl->allowed_endpoints[n - 1] != '$'))
		r = cfg_bad(el, "allowed_endpoints", "must start with ^/kbs and end with $");
	return r;
}

static int read_bearer(const struct cfg_reader *rd, struct kbs_config *c)
{
	static const char *const keys[] = {"identity_providers", "insecure_header_jwk",
	                                   "insecure_public_key_from_uri", NULL};
	bool insecure_uri = false;
	int r = cfg_only(rd, keys, NULL);
	if (r == 0)
		r = cfg_bool(rd, "insecure_header_jwk", &c->admin_insecure_header_jwk);
	if (r == 0)
		r = cfg_bool(rd, "insecure_public_key_from_uri", &insecure_uri);
	const toml_value *a = toml_table_get(rd->table, "identity_providers");
	size_t n = a != NULL && toml_type(a) == TOML_ARRAY ? toml_array_len(a) : 0;
	if (r == 0 && n > 0 && n <= CC_KBS_MAX_ADMIN_IDPS) {
		c->idps = calloc(n, sizeof(*c->idps));
		if (c->idps == NULL)
			return cc_error_set(rd->err, -ENOMEM, "out of memory");
		c->n_idps = n;
	}
	size_t got;
	if (r == 0)
		r = each_table(rd, "identity_providers", CC_KBS_MAX_ADMIN_IDPS, read_idp, c->idps, &got);
	if (r == 0 && c->n_idps == 0)
		r = cfg_bad(rd, "identity_providers", "needs at least one identity provider");
	return r;
}

static int read_regex_acl(const struct cfg_reader *rd, struct kbs_config *c)
{
	static const char *const keys[] = {"acls", NULL};
	int r = cfg_only(rd, keys, NULL);
	const toml_value *a = toml_table_get(rd->table, "acls");
	size_t n = a != NULL && toml_type(a) == TOML_ARRAY ? toml_array_len(a) : 0;
	if (r == 0 && n > 0 && n <= CC_KBS_MAX_ADMIN_ACLS) {
		c->acls = calloc(n, sizeof(*c->acls));
		if (c->acls == NULL)
			return cc_error_set(rd->err, -ENOMEM, "out of memory");
		c->n_acls = n;
	}
	size_t got;
	if (r == 0)
		r = each_table(rd, "acls", CC_KBS_MAX_ADMIN_ACLS, read_acl, c->acls, &got);
	if (r == 0 && c->n_acls == 0)
		r = cfg_bad(rd, "acls", "needs at least one rule");
	return r;
}

/* [admin.<key>] holding one table called inner: [admin.authentication]
 * bearer_jwt, [admin.authorization] regex_acl. */
static int read_admin_part(const struct cfg_reader *rd, const char *key, const char *inner,
                           int (*fn)(const struct cfg_reader *, struct kbs_config *),
                           struct kbs_config *c)
{
	char s1[96], s2[128];
	struct cfg_reader part, in;
	int r = cfg_sub(rd, key, s1, sizeof(s1), &part);
	if (r <= 0)
		return r < 0 ? r : cfg_bad(rd, NULL, "AuthenticatedAuthorization needs [admin.%s.%s]",
		                           key, inner);
	const char *const keys[] = {inner, NULL};
	if ((r = cfg_only(&part, keys, NULL)) < 0 || (r = cfg_sub(&part, inner, s2, sizeof(s2), &in)) < 0)
		return r;
	if (r == 0)
		return cfg_bad(&part, NULL, "AuthenticatedAuthorization needs [admin.%s.%s]", key,
		               inner);
	return fn(&in, c);
}

static int read_admin(const struct cfg_reader *rd, struct kbs_config *c)
{
	static const char *const keys[] = {"authorization_mode", "authentication", "authorization",
	                                   NULL};
	static const char *const modes[] = {"AuthenticatedAuthorization", "InsecureAllowAll",
	                                    "DenyAll", NULL};
	int r = cfg_only(rd, keys,
	                 "auth_public_key, insecure_api, type and personas are Trustee's admin "
	                 "keys before v0.21: use authorization_mode");
	if (r < 0)
		return r;
	if (toml_table_get(rd->table, "authorization_mode") == NULL)
		return cfg_bad(rd, NULL, "needs authorization_mode (one of \"AuthenticatedAuthorization\", "
		                         "\"InsecureAllowAll\", \"DenyAll\")");
	int mode = 0;
	if ((r = cfg_enum(rd, "authorization_mode", modes, &mode)) < 0)
		return r;
	c->admin_mode = (enum kbs_admin_mode)mode;
	c->admin_from_state = false;
	if (c->admin_mode != KBS_ADMIN_AUTHENTICATED) {
		const char *extra = toml_table_get(rd->table, "authentication") ? "authentication"
		                    : toml_table_get(rd->table, "authorization") ? "authorization"
		                                                                  : NULL;
		return extra ? cfg_bad(rd, extra, "only AuthenticatedAuthorization reads it") : 0;
	}
	r = read_admin_part(rd, "authentication", "bearer_jwt", read_bearer, c);
	if (r == 0)
		r = read_admin_part(rd, "authorization", "regex_acl", read_regex_acl, c);
	return r;
}

/* ---- [attestation_token] ------------------------------------------------- */

static int read_token(const struct cfg_reader *rd, struct kbs_config *c)
{
	static const char *const keys[] = {"trusted_certs_paths", "trusted_jwk_sets",
	                                   "extra_teekey_paths", "insecure_header_jwk", NULL};
	int r = cfg_only(rd, keys, NULL);
	if (r == 0)
		r = cfg_strv(rd, "trusted_certs_paths", CC_KBS_MAX_TRUST_FILES, &c->trusted_certs_paths,
		             &c->n_trusted_certs);
	if (r == 0)
		r = cfg_strv(rd, "trusted_jwk_sets", CC_KBS_MAX_TRUST_FILES, &c->trusted_jwk_sets,
		             &c->n_trusted_jwk_sets);
	if (r == 0)
		r = cfg_strv(rd, "extra_teekey_paths", CC_KBS_MAX_TEEKEY_PATHS, &c->extra_teekey_paths,
		             &c->n_extra_teekey_paths);
	if (r == 0)
		r = cfg_bool(rd, "insecure_header_jwk", &c->insecure_header_jwk);
	for (size_t i = 0; r == 0 && i < c->n_trusted_jwk_sets; i++)
		if (kbs_uri_path(c->trusted_jwk_sets[i]) == NULL)
			r = cfg_bad(rd, "trusted_jwk_sets",
			            "\"%.128s\": only local files (a path or file://) are supported",
			            c->trusted_jwk_sets[i]);
	for (size_t i = 0; r == 0 && i < c->n_extra_teekey_paths; i++)
		if (c->extra_teekey_paths[i][0] != '/')
			r = cfg_bad(rd, "extra_teekey_paths", "\"%.128s\" is not a JSON pointer",
			            c->extra_teekey_paths[i]);
	return r;
}

/* ---- [attestation_service] ----------------------------------------------- */

static int read_broker(const struct cfg_reader *rd, struct kbs_config *c)
{
	static const char *const keys[] = {"type", "duration_min", "issuer_name", "developer_name",
	                                   "build_name", "profile_name", "verbose_token", "signer",
	                                   NULL};
	static const char *const types[] = {"Ear", NULL};
	int type = 0;
	int r = cfg_only(rd, keys, NULL);
	if (r == 0)
		r = cfg_enum(rd, "type", types, &type);
	if (r == 0)
		r = cfg_uint(rd, "duration_min", 1, 7 * 24 * 60, &c->token_duration_min);
	if (r == 0)
		r = cfg_str(rd, "issuer_name", &c->issuer_name);
	if (r == 0)
		r = cfg_str(rd, "developer_name", &c->developer_name);
	if (r == 0)
		r = cfg_str(rd, "build_name", &c->build_name);
	if (r == 0)
		r = cfg_str(rd, "profile_name", &c->profile_name);
	if (r == 0)
		r = cfg_bool(rd, "verbose_token", &c->verbose_token);
	char sec[128];
	struct cfg_reader s;
	if (r == 0 && (r = cfg_sub(rd, "signer", sec, sizeof(sec), &s)) > 0) {
		static const char *const skeys[] = {"key_path", "cert_path", "cert_url", NULL};
		r = cfg_only(&s, skeys, NULL);
		if (r == 0)
			r = cfg_str(&s, "key_path", &c->signer_key_path);
		if (r == 0)
			r = cfg_str(&s, "cert_path", &c->signer_cert_path);
		if (r == 0 && toml_table_get(s.table, "cert_url") != NULL)
			r = cfg_bad(&s, "cert_url", "is not supported: set cert_path, whose chain "
			                            "goes into the token header's x5c");
		if (r == 0 && c->signer_key_path == NULL)
			r = cfg_bad(&s, NULL, "needs key_path");
	}
	return r < 0 ? r : 0;
}

static int read_rvps(const struct cfg_reader *rd, struct kbs_config *c)
{
	(void)c;
	static const char *const keys[] = {"type", NULL};
	static const char *const types[] = {"BuiltIn", NULL};
	int type = 0;
	int r = cfg_only(rd, keys, "the built-in RVPS keeps its values in the state directory");
	return r < 0 ? r : cfg_enum(rd, "type", types, &type);
}

/* snp_verifier.vcek_sources: Trustee's list of {type = "OfflineStore"}
 * and {type = "KDS"}; KDS turns fetching on. */
static int read_vcek_sources(const struct cfg_reader *rd, struct kbs_config *c)
{
	const toml_value *v = toml_table_get(rd->table, "vcek_sources");
	if (v == NULL)
		return 0;
	if (toml_type(v) != TOML_ARRAY || toml_array_len(v) > 4)
		return cfg_bad(rd, "vcek_sources", "expected an array of at most 4 {type = ...} tables");
	c->snp_kds_fetch = false;
	for (size_t i = 0; i < toml_array_len(v); i++) {
		const toml_value *e = toml_array_at(v, i);
		const toml_value *t = toml_type(e) == TOML_TABLE ? toml_table_get(e, "type") : NULL;
		const char *s = t && toml_type(t) == TOML_STRING ? toml_string(t, NULL) : NULL;
		if (s == NULL || toml_table_len(e) != 1)
			return cfg_bad(rd, "vcek_sources", "entry %zu: expected {type = \"OfflineStore\"} or "
			                                    "{type = \"KDS\"}", i);
		if (strcmp(s, "KDS") == 0)
			c->snp_kds_fetch = true;
		else if (strcmp(s, "OfflineStore") != 0)
			return cfg_bad(rd, "vcek_sources", "entry %zu: unknown type '%s' (OfflineStore, KDS)",
			               i, s);
	}
	return 0;
}

static int read_verifiers(const struct cfg_reader *rd, struct kbs_config *c)
{
	static const char *const keys[] = {"tpm_verifier", "snp_verifier", "tdx_verifier", NULL};
	char sec[128];
	struct cfg_reader t;
	int r = cfg_only(rd, keys, NULL);
	if (r == 0 && (r = cfg_sub(rd, "tpm_verifier", sec, sizeof(sec), &t)) > 0) {
		static const char *const tkeys[] = {"trusted_ak_keys_dir", NULL};
		r = cfg_only(&t, tkeys, NULL);
		if (r == 0)
			r = cfg_str(&t, "trusted_ak_keys_dir", &c->tpm_trusted_ak_keys_dir);
	}
	if (r >= 0 && (r = cfg_sub(rd, "snp_verifier", sec, sizeof(sec), &t)) > 0) {
		static const char *const skeys[] = {"vcek_sources", "kds_store_dir", NULL};
		r = cfg_only(&t, skeys, NULL);
		if (r == 0)
			r = read_vcek_sources(&t, c);
		if (r == 0)
			r = cfg_str(&t, "kds_store_dir", &c->snp_kds_store_dir);
	}
	if (r >= 0 && (r = cfg_sub(rd, "tdx_verifier", sec, sizeof(sec), &t)) > 0) {
		static const char *const dkeys[] = {"collateral_dir", "pccs_url", "fetch", NULL};
		r = cfg_only(&t, dkeys, NULL);
		if (r == 0)
			r = cfg_str(&t, "collateral_dir", &c->tdx_collateral_dir);
		if (r == 0)
			r = cfg_str(&t, "pccs_url", &c->tdx_pccs_url);
		if (r == 0)
			r = cfg_bool(&t, "fetch", &c->tdx_fetch);
	}
	return r < 0 ? r : 0;
}

static int read_as(const struct cfg_reader *rd, struct kbs_config *c)
{
	static const char *const keys[] = {"type", "timeout", "attestation_token_broker",
	                                   "rvps_config", "verifier_config", NULL};
	static const char *const types[] = {"coco_as_builtin", NULL};
	int type = 0, r = cfg_only(rd, keys, NULL);
	if (r == 0)
		r = cfg_enum(rd, "type", types, &type);
	if (r == 0)
		r = cfg_uint(rd, "timeout", 1, 24 * 60, &c->session_timeout_min);
	struct {
		const char *key;
		int (*fn)(const struct cfg_reader *, struct kbs_config *);
	} subs[] = {{"attestation_token_broker", read_broker},
	            {"rvps_config", read_rvps},
	            {"verifier_config", read_verifiers}};
	for (size_t i = 0; r == 0 && i < sizeof(subs) / sizeof(subs[0]); i++) {
		char sec[128];
		struct cfg_reader s;
		r = cfg_sub(rd, subs[i].key, sec, sizeof(sec), &s);
		r = r > 0 ? subs[i].fn(&s, c) : r;
	}
	return r;
}

/* ---- [policy_engine], [[plugins]] ------------------------------------------ */

static int read_policy_engine(const struct cfg_reader *rd, struct kbs_config *c)
{
	static const char *const keys[] = {"policy_path", NULL};
	int r = cfg_only(rd, keys, NULL);
	return r < 0 ? r : cfg_str(rd, "policy_path", &c->policy_path);
}

static int read_plugin(struct cfg_reader *el, size_t i, void *arg)
{
	(void)i;
	struct kbs_config *c = arg;
	static const char *const keys[] = {"name", "type", "storage_backend_type", NULL};
	static const char *const names[] = {"resource", NULL};
	static const char *const backends[] = {"kvstorage", NULL};
	int name = -1, backend = 0;
	int r = cfg_only(el, keys, "the resource plugin keeps resources in the KBS store");
	if (r == 0 && toml_table_get(el->table, "name") == NULL)
		r = cfg_bad(el, NULL, "needs name");
	if (r == 0 && (r = cfg_enum(el, "name", names, &name)) < 0)
		return cc_error_wrap(el->err, "only the resource plugin is supported");
	if (r == 0 && toml_table_get(el->table, "type") != NULL)
		r = cfg_enum(el, "type", backends, &backend);
	if (r == 0)
		r = cfg_enum(el, "storage_backend_type", backends, &backend);
	if (r == 0)
		c->plugin_resource = true;
	return r;
}

/* ---- the document ------------------------------------------------------------ */

static int read_root(const struct cfg_reader *root, struct kbs_config *c)
{
	static const char *const keys[] = {"http_server", "admin", "attestation_token",
	                                   "attestation_service", "policy_engine", "plugins", NULL};
	int r = cfg_only(root, keys,
	                 "cocoon-kbs keeps its store in the state directory (--state-dir), so "
	                 "[storage_backend] has no use");
	struct {
		const char *key;
		int (*fn)(const struct cfg_reader *, struct kbs_config *);
	} secs[] = {{"http_server", read_http},
	            {"admin", read_admin},
	            {"attestation_token", read_token},
	            {"attestation_service", read_as},
	            {"policy_engine", read_policy_engine}};
	for (size_t i = 0; r == 0 && i < sizeof(secs) / sizeof(secs[0]); i++) {
		char sec[64];
		struct cfg_reader s;
		r = cfg_sub(root, secs[i].key, sec, sizeof(sec), &s);
		if (r == 0 && strcmp(secs[i].key, "http_server") == 0)
			r = cfg_bad(root, NULL, "[http_server] is required (sockets, TLS files or "
			                        "insecure_http)");
		r = r > 0 ? secs[i].fn(&s, c) : r;
	}
	size_t n;
	if (r == 0)
		r = each_table(root, "plugins", 16, read_plugin, c, &n);
	return r;
}

int kbs_config_load_text(struct kbs_config *c, const char *name, const char *text, size_t len,
                         cc_error **err)
{
	if (len > CC_KBS_MAX_CONFIG_BYTES)
		return cc_error_set(err, -EFBIG, "%s: larger than %u bytes", name,
		                    CC_KBS_MAX_CONFIG_BYTES);
	toml_doc *doc = NULL;
	int r = toml_parse(text, len, name, &doc, err);
	if (r < 0)
		return r;
	char *src = strdup(name);
	if (src == NULL) {
		toml_doc_free(doc);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	free(c->source);
	c->source = src;
	c->zero_config = false;
	c->plugin_resource = false; /* Trustee: only the plugins listed */
	c->insecure_http = false;
	struct cfg_reader root = {.file = name, .section = "", .table = toml_doc_root(doc),
	                          .err = err};
	r = read_root(&root, c);
	toml_doc_free(doc);
	return r;
}

int kbs_config_load_file(struct kbs_config *c, const char *path, cc_error **err)
{
	char *text = NULL;
	size_t len = 0;
	int r = cc_read_file(path, CC_KBS_MAX_CONFIG_BYTES, CC_READ_REGULAR, &text, &len, err);
	if (r < 0)
		return r;
	r = kbs_config_load_text(c, path, text, len, err);
	free(text);
	return r;
}
