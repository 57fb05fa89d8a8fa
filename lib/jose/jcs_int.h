/* Internal to libcocoon-jose: the JSON writers behind JCS and the JOSE
 * headers whose bytes must match what Trustee's Rust code writes. */
#ifndef COCOON_JOSE_JCS_INT_H
#define COCOON_JOSE_JCS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cocoon/buf.h"
#include "cocoon/error.h"

#define CJ_ES6_NUMBER_MAX 32

/* ECMAScript's text for a finite double into out; returns its length. */
size_t cj_es6_number(double d, char out[CJ_ES6_NUMBER_MAX]);

/* Appends v to b: with sorted = true as RFC 8785 (members sorted by UTF-16
 * code units); with sorted = false members in their jansson order, as
 * serde_json writes a struct (integers in decimal). Strings are escaped as
 * ECMAScript and serde_json both do. -ELOOP past CC_JOSE_MAX_JCS_DEPTH,
 * -ENOMEM/-E2BIG from the buffer. */
int cj_json_write(cc_buf *b, const json_t *v, bool sorted, cc_error **err);

/* v written with cj_json_write(sorted = false) into a malloc'd string. */
int cj_json_dump_ordered(const json_t *v, char **ret, size_t *ret_len, cc_error **err);

#endif
