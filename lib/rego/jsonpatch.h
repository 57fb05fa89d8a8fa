/* JSON Patch (RFC 6902) over Rego values, with OPA's json.patch semantics
 * (internal). Used by the json.patch builtin and by the Kata agent, which
 * applies the patch operations a policy returns to its policy data.
 *
 * Operations: add, remove, replace, move, copy, test. A path is a string
 * ("/a/b/0", "~0" and "~1" escapes; leading slashes are optional, as in
 * OPA) or an array of path segments. Beyond RFC 6902, as OPA does:
 *   - sets can be patched: a segment names a member; "add" needs the
 *     segment to equal the added value;
 *   - array indexes are integers or their decimal spelling ("-" appends;
 *     leading zeros are refused);
 *   - extra members in an operation object are ignored.
 */
#ifndef COCOON_REGO_JSONPATCH_H
#define COCOON_REGO_JSONPATCH_H

#include "cocoon/error.h"
#include "value.h"

/* Applies the operations in ops (an array of objects) to doc, in order.
 * On success *ret is the patched document (allocated in a; doc is not
 * modified). Returns -EINVAL with a message naming the failing operation
 * when an operation is malformed or does not apply (OPA's json.patch is
 * then undefined), -ENOMEM on allocation failure. */
int rv_json_patch(rarena *a, const rv *doc, const rv *ops, const rv **ret, cc_error **err);

/* Splits a JSON-patch/json.filter path as OPA's parsePath: a string is
 * split on "/" after dropping leading slashes ("" gives no segments; "~1"
 * becomes "/", "~0" "~"); an array gives its elements. *segs is an array
 * value. -EINVAL for other types, -ENOMEM on allocation failure. */
int rv_json_path(rarena *a, const rv *path, const rv **segs);

#endif
