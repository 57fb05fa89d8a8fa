/* The pod's init-data, host side (initdata.h). */
#include "initdata.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "address.h"
#include "cocoon/cleanup.h"
#include "initdata/initdata.h"
#include "ttrpc.h"

bool shim_annotation_enabled(const struct shim_config *c, const char *name)
{
	for (char **p = c->enable_annotations; p && *p; p++) {
		regex_t re;
		if (regcomp(&re, *p, REG_EXTENDED | REG_NOSUB) != 0)
			continue; /* checked when the configuration was read */
		bool m = regexec(&re, name, 0, NULL, 0) == 0;
		regfree(&re);
		if (m)
			return true;
	}
	return false;
}

static int hex_value(json_t *o, const char *key, const unsigned char *v, size_t n)
{
	char h[2 * CC_INITDATA_MAX_DIGEST + 1] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", v[i]);
	return json_object_set_new(o, key, json_string(h));
}

/* initdata.json: what each TEE takes. A TPM value is null when the
 * algorithm is not sha256 (the TPM attester refuses it: docs/initdata.md). */
static int write_digests(const cc_initdata *d, const char *state_dir, cc_error **err)
{
	static const struct {
		enum cc_initdata_tee tee;
		const char *key;
	} tees[] = {{CC_INITDATA_TEE_NONE, "digest"},
	            {CC_INITDATA_TEE_SNP, "snp_host_data"},
	            {CC_INITDATA_TEE_TDX, "tdx_mrconfigid"},
	            {CC_INITDATA_TEE_TPM, "tpm_pcr8_extend"}};
	json_t *o = json_object();
	int bad = o == NULL || json_object_set_new(o, "algorithm",
	                                           json_string(cc_initdata_algorithm(d)));
	for (size_t i = 0; !bad && i < sizeof(tees) / sizeof(tees[0]); i++) {
		unsigned char v[CC_INITDATA_MAX_DIGEST];
		size_t n = 0;
		if (cc_initdata_tee_value(d, tees[i].tee, v, &n, NULL) == 0)
			bad = hex_value(o, tees[i].key, v, n);
		else
			bad = json_object_set_new(o, tees[i].key, json_null());
	}
	char *text = bad ? NULL : json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ char *path = NULL;
	int r = asprintf(&path, "%s/initdata.json", state_dir) < 0
	            ? cc_error_set(err, -ENOMEM, "out of memory")
	            : shim_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r;
}

static int write_image(const cc_initdata *d, const char *state_dir, char **ret, cc_error **err)
{
	size_t n = 0;
	const char *toml = cc_initdata_toml(d, &n);
	unsigned char *img = NULL;
	size_t len = 0;
	int r = cc_initdata_img_encode(toml, n, &img, &len, err);
	if (r < 0)
		return r;
	char *path = NULL;
	if (asprintf(&path, "%s/initdata.img", state_dir) < 0) {
		free(img);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	r = shim_write_file_atomic(path, img, len, 0600, err);
	free(img);
	if (r < 0) {
		free(path);
		return r;
	}
	*ret = path;
	return 0;
}

int shim_initdata_prepare(const struct shim_config *c, const char *state_dir, const char *b64,
                          char **ret_img, cc_error **err)
{
	if (b64 == NULL) {
		*ret_img = NULL;
		return 0;
	}
	if (!shim_annotation_enabled(c, CC_INITDATA_ANNOTATION_SHORT))
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT,
		                       "annotation " CC_INITDATA_ANNOTATION " is not enabled (list "
		                       "\"" CC_INITDATA_ANNOTATION_SHORT "\" in enable_annotations of "
		                       "the hypervisor section of %s)",
		                       c->source);
	cc_initdata *d = NULL;
	cc_error *e = NULL;
	int r = cc_initdata_from_annotation(b64, strlen(b64), &d, &e);
	if (r < 0) {
		r = ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "annotation " CC_INITDATA_ANNOTATION
		                    ": %s", cc_error_message(e));
		cc_error_free(e);
		return r;
	}
	char *img = NULL;
	r = write_image(d, state_dir, &img, err);
	if (r == 0 && (r = write_digests(d, state_dir, err)) < 0) {
		free(img);
		img = NULL;
	}
	cc_initdata_free(d);
	if (r < 0)
		return cc_error_wrap(err, "init-data");
	*ret_img = img;
	return 0;
}
