/* JSON Patch over Rego values (jsonpatch.h).
 *
 * OPA applies the operations to an "edit tree"; the observable result is
 * the same as applying them one after the other to the document, which is
 * what this file does. Values are immutable, so every edit rebuilds the
 * containers along its path and shares everything else. A NULL document
 * stands for "removed" (after removing the root), as OPA's nil node.
 */
#include <errno.h>
#include <string.h>

#include "cocoon/limits.h"
#include "jsonpatch.h"

struct pctx {
	rarena *a;
	cc_error **err;
	size_t op; /* index of the operation being applied */
};

static int p_oom(struct pctx *p)
{
	return cc_error_set(p->err, -ENOMEM, "json patch: out of memory");
}

static int p_fail(struct pctx *p, const char *what)
{
	return cc_error_set(p->err, -EINVAL, "json patch operation %zu: %s", p->op, what);
}

/* ---- paths ---- */

/* Appends s[0..n) with "~1" -> "/" and then "~0" -> "~" (as OPA's two
 * strings.ReplaceAll calls). */
static const rv *path_segment(rarena *a, const char *s, size_t n)
{
	char *t = rarena_alloc(a, n + 1);
	if (t == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~' && i + 1 < n && s[i + 1] == '1') {
			t[o++] = '/';
			i++;
		} else {
			t[o++] = s[i];
		}
	}
	size_t m = 0;
	for (size_t i = 0; i < o; i++) {
		if (t[i] == '~' && i + 1 < o && t[i + 1] == '0') {
			t[m++] = '~';
			i++;
		} else {
			t[m++] = t[i];
		}
	}
	t[m] = '\0';
	return rv_str_ref(a, t, m);
}

int rv_json_path(rarena *a, const rv *path, const rv **segs)
{
	if (path->t == RV_ARR) {
		*segs = path;
		return 0;
	}
	if (path->t != RV_STR)
		return -EINVAL;
	if (path->u.s.n == 0) {
		*segs = rv_empty_arr();
		return 0;
	}
	const char *s = path->u.s.p;
	size_t n = path->u.s.n;
	while (n > 0 && *s == '/')
		s++, n--;
	rvec v;
	rvec_init(&v, a);
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		const rv *seg = path_segment(a, s + start, i - start);
		if (seg == NULL || rvec_push(&v, seg) < 0)
			return -ENOMEM;
		start = i + 1;
	}
	*segs = rvec_to_arr(&v);
	return *segs ? 0 : -ENOMEM;
}

/* OPA's toIndex: an integer number, "-" (the array's length), or the
 * decimal spelling of an int64 without leading zeros. */
static bool to_index(const rv *key, size_t len, int64_t *idx)
{
	if (key->t == RV_NUM) {
		if (key->nk != RN_INT)
			return false;
		*idx = key->u.i;
		return true;
	}
	if (key->t != RV_STR || key->u.s.n == 0)
		return false;
	const char *s = key->u.s.p;
	size_t n = key->u.s.n;
	if (n == 1 && s[0] == '-') {
		*idx = len > INT64_MAX ? INT64_MAX : (int64_t)len;
		return true;
	}
	if (s[0] == '0' && n > 1)
		return false; /* leading zeros */
	size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
	if (i == n)
		return false;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (s[0] == '-') {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		*idx = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return false;
		*idx = (int64_t)v;
	}
	return true;
}

/* Child of a container under key, or NULL. */
static const rv *child_of(const rv *v, const rv *key)
{
	int64_t idx;
	switch (v->t) {
	case RV_OBJ:
		return rv_obj_get(v, key);
	case RV_SET:
		return rv_get(v, key);
	case RV_ARR:
		if (!to_index(key, v->u.a.n, &idx) || idx < 0 || (uint64_t)idx >= v->u.a.n)
			return NULL;
		return v->u.a.v[idx];
	default:
		return NULL;
	}
}

/* ---- container edits (each returns a new value) ---- */

static const rv *obj_put(rarena *a, const rv *o, const rv *k, const rv *v)
{
	size_t n = o->u.o.n;
	ptrdiff_t at = rv_find(o, k);
	size_t m = at >= 0 ? n : n + 1;
	const rv **ks = rarena_nalloc(a, m, sizeof(*ks));
	const rv **vs = rarena_nalloc(a, m, sizeof(*vs));
	if (ks == NULL || vs == NULL)
		return NULL;
	size_t o2 = 0;
	bool placed = false;
	for (size_t i = 0; i < n; i++) {
		int c = rv_cmp(o->u.o.k[i], k);
		if (!placed && c >= 0) {
			ks[o2] = k, vs[o2++] = v;
			placed = true;
			if (c == 0)
				continue;
		}
		ks[o2] = o->u.o.k[i], vs[o2++] = o->u.o.v[i];
	}
	if (!placed)
		ks[o2] = k, vs[o2++] = v;
	return rv_obj(a, ks, vs, o2, NULL);
}

static const rv *obj_del(rarena *a, const rv *o, size_t at)
{
	size_t n = o->u.o.n;
	const rv **ks = rarena_nalloc(a, n, sizeof(*ks));
	const rv **vs = rarena_nalloc(a, n, sizeof(*vs));
	if (ks == NULL || vs == NULL)
		return NULL;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (i != at)
			ks[m] = o->u.o.k[i], vs[m++] = o->u.o.v[i];
	return rv_obj(a, ks, vs, m, NULL);
}

/* Array (or set) items with item `at` removed, `x` put at `at` (replace),
 * or `x` inserted before `at`. */
enum seq_edit { SEQ_DEL, SEQ_PUT, SEQ_INS };

static const rv **seq_edit(rarena *a, const rv *s, size_t at, const rv *x, enum seq_edit e,
                           size_t *m)
{
	size_t n = s->u.a.n;
	*m = e == SEQ_DEL ? n - 1 : e == SEQ_PUT ? n : n + 1;
	const rv **it = rarena_nalloc(a, *m ? *m : 1, sizeof(*it));
	if (it == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == at && e == SEQ_INS)
			it[o++] = x;
		if (i == n)
			break;
		if (i == at && e == SEQ_DEL)
			continue;
		it[o++] = i == at && e == SEQ_PUT ? x : s->u.a.v[i];
	}
	return it;
}

static const rv *arr_edit(rarena *a, const rv *s, size_t at, const rv *x, enum seq_edit e)
{
	size_t m;
	const rv **it = seq_edit(a, s, at, x, e, &m);
	return it ? rv_arr(a, it, m) : NULL;
}

static const rv *set_edit(rarena *a, const rv *s, const rv *del, const rv *add)
{
	size_t n = s->u.a.n, m = 0;
	const rv **it = rarena_nalloc(a, n + 1, sizeof(*it));
	if (it == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (del == NULL || !rv_eq(s->u.a.v[i], del))
			it[m++] = s->u.a.v[i];
	if (add)
		it[m++] = add;
	return rv_set(a, it, m);
}

/* ---- edits at the end of a path ---- */

/* Replaces child `old` of v (found under key) by `nc`. */
static int replace_child(struct pctx *p, const rv *v, const rv *key, const rv *old,
                         const rv *nc, const rv **out)
{
	int64_t idx = 0;
	switch (v->t) {
	case RV_OBJ:
		*out = obj_put(p->a, v, key, nc);
		break;
	case RV_SET:
		*out = set_edit(p->a, v, old, nc);
		break;
	default:
		to_index(key, v->u.a.n, &idx);
		*out = arr_edit(p->a, v, (size_t)idx, nc, SEQ_PUT);
		break;
	}
	return *out ? 0 : p_oom(p);
}

static int insert_child(struct pctx *p, const rv *v, const rv *key, const rv *x, const rv **out)
{
	int64_t idx;
	switch (v->t) {
	case RV_OBJ:
		*out = obj_put(p->a, v, key, x);
		break;
	case RV_SET:
		if (!rv_eq(key, x))
			return p_fail(p, "set key does not equal the value to add");
		*out = set_edit(p->a, v, NULL, x);
		break;
	case RV_ARR:
		if (!to_index(key, v->u.a.n, &idx))
			return p_fail(p, "invalid array index");
		if (idx < 0 || (uint64_t)idx > v->u.a.n)
			return p_fail(p, "index for array insertion out of bounds");
		if (v->u.a.n >= CC_REGO_MAX_BUILTIN_ELEMS)
			return p_fail(p, "array too large");
		*out = arr_edit(p->a, v, (size_t)idx, x, SEQ_INS);
		break;
	default:
		return p_fail(p, "cannot add to a scalar value");
	}
	return *out ? 0 : p_oom(p);
}

static int delete_child(struct pctx *p, const rv *v, const rv *key, const rv **out)
{
	int64_t idx;
	ptrdiff_t at;
	switch (v->t) {
	case RV_OBJ:
		if ((at = rv_find(v, key)) < 0)
			return p_fail(p, "cannot remove a key that does not exist");
		*out = obj_del(p->a, v, (size_t)at);
		break;
	case RV_SET:
		if (!rv_set_has(v, key))
			return p_fail(p, "cannot remove a set member that does not exist");
		*out = set_edit(p->a, v, key, NULL);
		break;
	case RV_ARR:
		if (!to_index(key, v->u.a.n, &idx))
			return p_fail(p, "invalid array index");
		if (idx < 0 || (uint64_t)idx >= v->u.a.n)
			return p_fail(p, "index for array delete out of bounds");
		*out = arr_edit(p->a, v, (size_t)idx, NULL, SEQ_DEL);
		break;
	default:
		return p_fail(p, "cannot remove from a scalar value");
	}
	return *out ? 0 : p_oom(p);
}

/* ---- path walks ---- */

static int at_path(struct pctx *p, const rv *doc, const rv *segs, const rv **out)
{
	const rv *v = doc;
	for (size_t i = 0; v && i < segs->u.a.n; i++)
		v = child_of(v, segs->u.a.v[i]);
	if (v == NULL)
		return p_fail(p, "path does not exist");
	*out = v;
	return 0;
}

enum pedit { P_INSERT, P_DELETE };

/* Applies an insert (of x) or a delete at segs[i..] below v. */
static int edit_path(struct pctx *p, const rv *v, const rv *segs, size_t i, enum pedit e,
                     const rv *x, const rv **out)
{
	size_t n = segs->u.a.n;
	if (n == 0) {
		if (e == P_DELETE && v == NULL)
			return p_fail(p, "the document was already removed");
		*out = e == P_INSERT ? x : NULL;
		return 0;
	}
	if (v == NULL)
		return p_fail(p, "the document was removed");
	const rv *key = segs->u.a.v[i];
	if (i + 1 == n)
		return e == P_INSERT ? insert_child(p, v, key, x, out) : delete_child(p, v, key, out);
	const rv *c = child_of(v, key);
	if (c == NULL)
		return p_fail(p, "path does not exist");
	const rv *nc;
	int r = edit_path(p, c, segs, i + 1, e, x, &nc);
	return r < 0 ? r : replace_child(p, v, key, c, nc, out);
}

/* ---- operations ---- */

enum pop { OP_ADD, OP_REMOVE, OP_REPLACE, OP_MOVE, OP_COPY, OP_TEST };

struct patch_op {
	enum pop op;
	const rv *path;
	const rv *from;
	const rv *value;
};

/* OPA's getPatch: "op", "path", then "from" (move, copy) or "value" (add,
 * replace, test); other members are ignored. */
static int op_parse(struct pctx *p, const rv *o, struct patch_op *po)
{
	static const char *const names[] = {"add", "remove", "replace", "move", "copy", "test"};
	if (o->t != RV_OBJ)
		return p_fail(p, "must be an array of JSON-Patch objects, but at least one element is not an object");
	const rv *op = rv_obj_gets(o, "op", 2);
	if (op == NULL)
		return p_fail(p, "missing 'op' attribute");
	if (op->t != RV_STR)
		return p_fail(p, "attribute 'op' must be a string");
	size_t k;
	for (k = 0; k < 6; k++)
		if (strlen(names[k]) == op->u.s.n && memcmp(names[k], op->u.s.p, op->u.s.n) == 0)
			break;
	if (k == 6)
		return p_fail(p, "unrecognized op");
	po->op = (enum pop)k;
	if ((po->path = rv_obj_gets(o, "path", 4)) == NULL)
		return p_fail(p, "missing 'path' attribute");
	po->from = po->value = NULL;
	if ((po->op == OP_MOVE || po->op == OP_COPY) &&
	    (po->from = rv_obj_gets(o, "from", 4)) == NULL)
		return p_fail(p, "missing 'from' attribute");
	if ((po->op == OP_ADD || po->op == OP_REPLACE || po->op == OP_TEST) &&
	    (po->value = rv_obj_gets(o, "value", 5)) == NULL)
		return p_fail(p, "missing 'value' attribute");
	return 0;
}

static int parse_path(struct pctx *p, const rv *path, const rv **segs)
{
	int r = rv_json_path(p->a, path, segs);
	if (r == -ENOMEM)
		return p_oom(p);
	return r < 0 ? p_fail(p, "path must be a string or an array") : 0;
}

static int op_apply(struct pctx *p, const struct patch_op *po, const rv **doc)
{
	const rv *segs, *from, *chunk, *tmp;
	int r = parse_path(p, po->path, &segs);
	if (r < 0)
		return r;
	switch (po->op) {
	case OP_ADD:
		return edit_path(p, *doc, segs, 0, P_INSERT, po->value, doc);
	case OP_REMOVE:
		return edit_path(p, *doc, segs, 0, P_DELETE, NULL, doc);
	case OP_REPLACE:
		r = edit_path(p, *doc, segs, 0, P_DELETE, NULL, &tmp);
		return r < 0 ? r : edit_path(p, tmp, segs, 0, P_INSERT, po->value, doc);
	case OP_MOVE:
	case OP_COPY:
		if ((r = parse_path(p, po->from, &from)) < 0 || (r = at_path(p, *doc, from, &chunk)) < 0)
			return r;
		tmp = *doc;
		if (po->op == OP_MOVE && (r = edit_path(p, *doc, from, 0, P_DELETE, NULL, &tmp)) < 0)
			return r;
		return edit_path(p, tmp, segs, 0, P_INSERT, chunk, doc);
	case OP_TEST:
		if ((r = at_path(p, *doc, segs, &chunk)) < 0)
			return r;
		return rv_eq(chunk, po->value) ? 0 : p_fail(p, "test failed: values differ");
	}
	return p_fail(p, "unrecognized op");
}

int rv_json_patch(rarena *a, const rv *doc, const rv *ops, const rv **ret, cc_error **err)
{
	struct pctx p = {a, err, 0};
	if (ops->t != RV_ARR)
		return cc_error_set(err, -EINVAL, "json patch: operations must be an array");
	const rv *cur = doc;
	for (size_t i = 0; i < ops->u.a.n; i++) {
		struct patch_op po = {OP_ADD, NULL, NULL, NULL};
		p.op = i;
		int r = op_parse(&p, ops->u.a.v[i], &po);
		if (r == 0)
			r = op_apply(&p, &po, &cur);
		if (r < 0)
			return r;
	}
	if (cur == NULL)
		return cc_error_set(err, -EINVAL, "json patch: the document was removed");
	*ret = cur;
	return 0;
}
