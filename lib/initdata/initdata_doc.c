/* The init-data document: parse, validate, digest (initdata.h). The rules
 * are kata-types initdata.rs (serde struct {version, algorithm, data:
 * map<string,string>} without deny_unknown_fields, then validate()). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cocoon/limits.h"
#include "initdata.h"
#include "toml.h"

static const char *const algorithms[] = {"sha256", "sha384", "sha512"};

struct cc_initdata {
	char *toml; /* the raw bytes, NUL-terminated */
	size_t len;
	int alg;    /* index in algorithms[] */
	toml_doc *doc;
	const toml_value *data; /* the [data] table, in doc */
};

/* A top-level string key: 0 and *ret, or an error naming it. */
static int top_string(const toml_value *root, const char *name, const char *key,
                      const char **ret, cc_error **err)
{
	const toml_value *v = toml_table_get(root, key);
	if (v == NULL)
		return cc_error_set(err, -EINVAL, "%s: missing \"%s\"", name, key);
	if (toml_type(v) != TOML_STRING)
		return cc_error_set(err, -EINVAL, "%s: \"%s\" must be a string, not %s (line %u)", name,
		                    key, toml_type_name(toml_type(v)), toml_line(v));
	size_t n;
	const char *s = toml_string(v, &n);
	if (strlen(s) != n)
		return cc_error_set(err, -EINVAL, "%s: \"%s\" contains a NUL character", name, key);
	*ret = s;
	return 0;
}

static int check_data(const toml_value *root, const char *name, const toml_value **ret,
                      cc_error **err)
{
	const toml_value *t = toml_table_get(root, "data");
	if (t == NULL)
		return cc_error_set(err, -EINVAL, "%s: missing the [data] table", name);
	if (toml_type(t) != TOML_TABLE)
		return cc_error_set(err, -EINVAL, "%s: \"data\" must be a table, not %s (line %u)", name,
		                    toml_type_name(toml_type(t)), toml_line(t));
	for (size_t i = 0; i < toml_table_len(t); i++) {
		const char *k;
		size_t klen;
		const toml_value *v = toml_table_at(t, i, &k, &klen);
		if (toml_type(v) != TOML_STRING)
			return cc_error_set(err, -EINVAL,
			                    "%s: data.\"%.*s\" must be a string, not %s (line %u)", name,
			                    (int)(klen > 200 ? 200 : klen), k, toml_type_name(toml_type(v)),
			                    toml_line(v));
	}
	*ret = t;
	return 0;
}

static int validate(cc_initdata *d, const char *name, cc_error **err)
{
	const toml_value *root = toml_doc_root(d->doc);
	const char *version = NULL, *alg = NULL;
	int r = top_string(root, name, "version", &version, err);
	if (r == 0)
		r = top_string(root, name, "algorithm", &alg, err);
	if (r == 0)
		r = check_data(root, name, &d->data, err);
	if (r < 0)
		return r;
	if (strcmp(version, CC_INITDATA_VERSION) != 0)
		return cc_error_set(err, -EINVAL, "%s: unsupported version \"%.64s\", expected %s", name,
		                    version, CC_INITDATA_VERSION);
	for (int i = 0; i < 3; i++)
		if (strcmp(alg, algorithms[i]) == 0) {
			d->alg = i;
			return 0;
		}
	return cc_error_set(err, -EINVAL,
	                    "%s: unsupported algorithm \"%.64s\" (supported: sha256, sha384, sha512)",
	                    name, alg);
}

int cc_initdata_parse(const char *toml, size_t len, const char *name, cc_initdata **ret,
                      cc_error **err)
{
	if (name == NULL)
		name = "init-data";
	if (len > CC_INITDATA_MAX_TOML_BYTES)
		return cc_error_set(err, -E2BIG, "%s: %zu bytes of TOML, more than %u", name, len,
		                    CC_INITDATA_MAX_TOML_BYTES);
	cc_initdata *d = calloc(1, sizeof(*d));
	if (d == NULL || (d->toml = malloc(len + 1)) == NULL) {
		free(d);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (len)
		memcpy(d->toml, toml, len);
	d->toml[len] = '\0';
	d->len = len;
	int r = toml_parse(d->toml, len, name, &d->doc, err);
	if (r == 0)
		r = validate(d, name, err);
	if (r < 0) {
		cc_initdata_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

void cc_initdata_free(cc_initdata *d)
{
	if (d == NULL)
		return;
	toml_doc_free(d->doc);
	free(d->toml);
	free(d);
}

const char *cc_initdata_toml(const cc_initdata *d, size_t *ret_len)
{
	if (ret_len)
		*ret_len = d->len;
	return d->toml;
}

const char *cc_initdata_algorithm(const cc_initdata *d)
{
	return algorithms[d->alg];
}

const char *cc_initdata_get(const cc_initdata *d, const char *key, size_t *ret_len)
{
	const toml_value *v = toml_table_get(d->data, key);
	return v ? toml_string(v, ret_len) : NULL;
}

size_t cc_initdata_count(const cc_initdata *d)
{
	return toml_table_len(d->data);
}

const char *cc_initdata_key_at(const cc_initdata *d, size_t i)
{
	const char *k = NULL;
	return toml_table_at(d->data, i, &k, NULL) ? k : NULL;
}

size_t cc_initdata_digest(const cc_initdata *d, unsigned char *out)
{
	const EVP_MD *md = d->alg == 0 ? EVP_sha256() : d->alg == 1 ? EVP_sha384() : EVP_sha512();
	unsigned n = 0;
	if (EVP_Digest(d->toml, d->len, out, &n, md, NULL) != 1)
		return 0; /* only on allocation failure inside OpenSSL */
	return n;
}
