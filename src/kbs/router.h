/* Request routing (router.c) as Trustee's one catch-all /kbs/v0/{path}
 * route does (trustee.md §1.2): the first path segment names the plugin
 * or built-in endpoint, the rest is its path; /metrics and /healthz sit
 * beside. Admin endpoints are checked here, before their handler runs. */
#ifndef COCOON_KBS_ROUTER_H
#define COCOON_KBS_ROUTER_H

#include <jansson.h>

#include "cocoon/error.h"

/* The query string (application/x-www-form-urlencoded: '&'-separated
 * pairs, '+' a space, %XX escapes; a repeated name keeps its last value,
 * as serde's map does) as a JSON object of strings. NULL query -> {}.
 * -EINVAL for a bad escape, an escaped NUL or text that is not UTF-8. */
int kbs_query_json(const char *query, json_t **ret, cc_error **err);

#endif
