/* Strict JSON object helpers (internal): the checks containers/image's
 * ParanoidUnmarshalJSONObject and ...ExactFields make. */
#ifndef COCOON_IMAGE_SIG_JSONX_H
#define COCOON_IMAGE_SIG_JSONX_H

#include <jansson.h>

#include "cocoon/cleanup.h"
#include "cocoon/error.h"


/* Every key of obj must be one of allowed (NULL-terminated):
 * -EINVAL "unknown key \"k\"" otherwise. */
int sig_json_keys(json_t *obj, const char *const *allowed, cc_error **err);

/* Exactly the keys of fields, each present: "key \"k\" missing". */
int sig_json_exact(json_t *obj, const char *const *fields, cc_error **err);

/* *ret = the string at obj[key], NULL when absent; -EINVAL ("\"key\" must
 * be a string") when it is something else. The string belongs to obj. */
int sig_json_str(json_t *obj, const char *key, const char **ret, cc_error **err);

/* A malloc'd copy of the string at obj[key] (left alone when absent). */
int sig_json_dup(json_t *obj, const char *key, char **ret, cc_error **err);

/* Parses n bytes at p as one JSON object (duplicate keys rejected);
 * what names the document in messages. */
int sig_json_load(const void *p, size_t n, const char *what, json_t **ret, cc_error **err);

#endif
