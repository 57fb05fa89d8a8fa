/* libcocoon-cdh: the parsed sealed secret, shared by sealed_parse.c and
 * sealed_unseal.c only. */
#ifndef COCOON_CDH_SEALED_INT_H
#define COCOON_CDH_SEALED_INT_H

#include <jansson.h>

#include "cdh_sealed.h"

struct cdh_sealed {
	unsigned flags;
	char *jws; /* the compact JWS after "sealed." (NULL when unsigned) */
	size_t jws_len;
	char *kid;
	enum cdh_sealed_type type;
	json_t *payload; /* owns the strings below */
	const char *provider;
	const char *name; /* vault "name" / envelope "key_id" */
	const char *encrypted_key, *encrypted_data, *wrap_type, *iv; /* envelope */
	json_t *annotations; /* borrowed from payload; an object or NULL */
};

#endif
