/* The attestation agent's config file (aa.h, docs/aa.md "Config"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aa.h"
#include "aael_writer.h"
#include "jose_jwk.h"
#include "kbs_client.h"
#include "toml/toml.h"

/* A string key of table t (absent: *ret stays NULL). */
static int get_string(const toml_value *t, const char *table, const char *key, char **ret,
                      cc_error **err)
{
	const toml_value *v = toml_table_get(t, key);
	if (v == NULL)
		return 0;
	size_t len = 0;
	const char *s = toml_string(v, &len);
	if (s == NULL || strlen(s) != len)
		return cc_error_set(err, -EINVAL, "%s.%s (line %u): not a string", table, key,
		                    toml_line(v));
	if ((*ret = strdup(s)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int aa_config_parse(const char *text, size_t len, const char *name, struct aa_config *ret,
                    cc_error **err)
{
	struct aa_config c = {.init_pcr = AAEL_DEFAULT_PCR};
	toml_doc *doc = NULL;
	int r = toml_parse(text, len, name, &doc, err);
	if (r < 0)
		return r;
	const toml_value *root = toml_doc_root(doc);
	const toml_value *kbs = toml_table_path(root, "token_configs.kbs");
	const toml_value *as = toml_table_path(root, "token_configs.coco_as");
	const toml_value *ev = toml_table_get(root, "eventlog_config");
	if (kbs != NULL) {
		r = get_string(kbs, "token_configs.kbs", "url", &c.kbs_url, err);
		if (r >= 0)
			r = get_string(kbs, "token_configs.kbs", "cert", &c.kbs_cert, err);
		if (r >= 0)
			r = get_string(kbs, "token_configs.kbs", "tee_key_algorithm",
			               &c.tee_key_algorithm, err);
		if (r >= 0 && c.kbs_url == NULL)
			r = cc_error_set(err, -EINVAL, "token_configs.kbs: url missing");
		if (r >= 0 && c.tee_key_algorithm != NULL) {
			/* refused now, by name, rather than at the first GetToken */
			cj_jwk *k = NULL;
			r = kbs_tee_key_new(c.tee_key_algorithm, &k, err);
			cj_jwk_free(k);
			if (r < 0)
				cc_error_wrap(err, "token_configs.kbs");
		}
	}
	if (r >= 0 && as != NULL)
		r = get_string(as, "token_configs.coco_as", "url", &c.coco_as_url, err);
	if (r >= 0 && ev != NULL) {
		const toml_value *en = toml_table_get(ev, "enable_eventlog");
		const toml_value *pcr = toml_table_get(ev, "init_pcr");
		if (en != NULL && toml_type(en) != TOML_BOOLEAN)
			r = cc_error_set(err, -EINVAL, "eventlog_config.enable_eventlog (line %u): not a boolean",
			                 toml_line(en));
		else if (en != NULL)
			c.enable_eventlog = toml_boolean(en);
		if (r >= 0 && pcr != NULL) {
			int64_t n = toml_integer(pcr);
			if (toml_type(pcr) != TOML_INTEGER || n < 0 || n > 63)
				r = cc_error_set(err, -EINVAL,
				                 "eventlog_config.init_pcr (line %u): not an integer 0..63",
				                 toml_line(pcr));
			else
				c.init_pcr = (unsigned)n;
		}
	}
	toml_doc_free(doc);
	if (r < 0) {
		aa_config_clear(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void aa_config_clear(struct aa_config *c)
{
	free(c->kbs_url);
	free(c->kbs_cert);
	free(c->tee_key_algorithm);
	free(c->coco_as_url);
	memset(c, 0, sizeof(*c));
}
