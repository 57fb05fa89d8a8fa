/* Rego values and the arena they live in (internal to libcocoon-rego).
 *
 * Values are immutable once built and never freed one by one: each lives in
 * an arena (struct rarena) that is released as a whole. The engine keeps one
 * arena per loaded policy/data set and one per evaluation; evaluation arenas
 * are reset after every query. All constructors return NULL when the arena is
 * out of memory or over its byte limit; callers turn that into -ENOMEM.
 *
 * Ordering and equality follow OPA's ast.Compare: null < booleans < numbers <
 * strings < arrays < objects < sets; numbers compare by numeric value
 * (1 == 1.0), strings bytewise. Sets are stored sorted and duplicate-free;
 * objects are stored sorted by key with unique keys, so iteration order is
 * the sorted order everywhere (as in regorus), and lookups binary-search.
 */
#ifndef COCOON_REGO_VALUE_H
#define COCOON_REGO_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/buf.h"

/* ---- arena ---------------------------------------------------------- */

typedef struct rarena rarena;

/* New arena that fails allocations once `limit` bytes are in use
 * (0 = no limit). NULL on OOM. */
rarena *rarena_new(size_t limit);
void rarena_free(rarena *a);
/* 16-byte aligned, uninitialised (zeroed by rarena_zalloc). NULL on limit/OOM. */
void *rarena_alloc(rarena *a, size_t n);
void *rarena_zalloc(rarena *a, size_t n);
/* Array allocation with overflow-checked n*size. */
void *rarena_nalloc(rarena *a, size_t n, size_t size);
void *rarena_dup(rarena *a, const void *p, size_t n);
/* Copies n bytes and appends a NUL. */
char *rarena_strndup(rarena *a, const char *s, size_t n);
/* Why the last allocation or construction failed: RARENA_OOM (limit or
 * malloc) or RARENA_DEPTH (a value would nest deeper than
 * CC_REGO_MAX_VALUE_DEPTH or count more than CC_REGO_MAX_VALUE_NODES
 * nodes). Reading it does not clear it. */
enum { RARENA_OK = 0, RARENA_OOM = 1, RARENA_DEPTH = 2 };
int rarena_failure(const rarena *a);
void rarena_set_failure(rarena *a, int why);
/* Releases everything allocated since creation (keeps one chunk). */
void rarena_reset(rarena *a);
size_t rarena_used(const rarena *a);
size_t rarena_limit(const rarena *a);
void rarena_set_limit(rarena *a, size_t limit);

/* ---- values --------------------------------------------------------- */

/* Order matters: it is OPA's sort order between types. */
typedef enum rv_type {
	RV_NULL = 0,
	RV_BOOL = 1,
	RV_NUM = 2,
	RV_STR = 3,
	RV_ARR = 4,
	RV_OBJ = 5,
	RV_SET = 6,
} rv_type;

typedef enum rv_numkind {
	RN_INT = 0, /* u.i, any int64 */
	RN_BIG = 1, /* u.s: canonical decimal integer text ("-"? digits, no
	             * leading zeros) whose value does not fit int64 */
	RN_FLT = 2, /* u.fl.f (x87 long double: 64-bit mantissa, as OPA's
	             * big.Float default precision); u.fl.txt = the literal's
	             * spelling when it came from source/JSON, else NULL */
} rv_numkind;

/* An object or set the evaluator assembled from rule paths (ref heads,
 * packages), as opposed to a value a rule produced: only these merge. */
#define RVF_STRUCT 1u

typedef struct rv rv;
struct rv {
	uint8_t t;  /* rv_type */
	uint8_t nk; /* rv_numkind when t == RV_NUM */
	uint8_t flags; /* RVF_* (evaluator bookkeeping; not part of the value) */
	uint16_t depth; /* nesting: 0 for scalars, 1 + the deepest element */
	uint32_t nodes; /* composites: 1 + the nodes of every element (shared
	                 * parts counted each time); 0 for scalars (one node) */
	union {
		bool b;
		int64_t i;
		struct {
			long double f;
			const char *txt;
			size_t txtlen;
		} fl;
		struct {
			const char *p; /* NUL-terminated for convenience; may hold NULs */
			size_t n;
		} s;
		struct {
			const rv *const *v; /* arrays; sets (sorted, unique) */
			size_t n;
		} a;
		struct {
			const rv *const *k; /* sorted, unique */
			const rv *const *v;
			size_t n;
		} o;
	} u;
};

/* Static singletons (no arena needed). */
const rv *rv_null(void);
const rv *rv_true(void);
const rv *rv_false(void);
const rv *rv_bool(bool b);
const rv *rv_empty_str(void);
const rv *rv_empty_arr(void);
const rv *rv_empty_obj(void);
const rv *rv_empty_set(void);

const rv *rv_int(rarena *a, int64_t i);
/* A float result of arithmetic. Integral values that fit int64 become
 * RN_INT, as OPA prints 2.0 + 1 as 3. NaN/Inf give NULL (caller reports). */
const rv *rv_float(rarena *a, long double f);
/* Parses a JSON/Rego number literal (text as written, e.g. "-1.5e3",
 * "18446744073709551614"). Keeps the spelling for non-integers. NULL on
 * syntax error, non-finite value or OOM. */
const rv *rv_num_parse(rarena *a, const char *txt, size_t n);
/* Big integer from canonical decimal text (used by arithmetic); demotes to
 * RN_INT when it fits. */
const rv *rv_bigint(rarena *a, const char *digits, size_t n);

/* Copies the bytes (a NUL is appended). */
const rv *rv_str(rarena *a, const char *p, size_t n);
const rv *rv_cstr(rarena *a, const char *s);
/* Does not copy: p must outlive the arena (or live in it) and be NUL-terminated at p[n]. */
const rv *rv_str_ref(rarena *a, const char *p, size_t n);

/* Array from n items (the pointer array is copied). */
const rv *rv_arr(rarena *a, const rv *const *items, size_t n);
/* Set from n items in any order: sorts and drops duplicates. The items
 * array is copied (the input is not modified). */
const rv *rv_set(rarena *a, const rv *const *items, size_t n);
/* Object from n key/value pairs in any order. Pairs with equal keys and
 * equal values are merged. If two pairs have equal keys but different
 * values, returns NULL and sets *conflict = true (if conflict != NULL). */
const rv *rv_obj(rarena *a, const rv *const *keys, const rv *const *vals,
                 size_t n, bool *conflict);

/* The same without copying the item arrays, which must live as long as
 * the result (in the same arena): sets and objects must already be sorted
 * and unique. For builtins that slice or reuse existing arrays. */
const rv *rv_arr_share(rarena *a, const rv *const *items, size_t n);
const rv *rv_set_share(rarena *a, const rv *const *items, size_t n);
const rv *rv_obj_share(rarena *a, const rv *const *keys, const rv *const *vals, size_t n);

/* ---- growable vector of values (arena backed) ----------------------- */

typedef struct rvec {
	const rv **v;
	size_t n;
	size_t cap;
	rarena *a;
} rvec;

void rvec_init(rvec *vec, rarena *a);
/* 0 or -ENOMEM. */
int rvec_push(rvec *vec, const rv *x);
/* Builders that consume a vector's current contents. */
const rv *rvec_to_arr(rvec *vec);
const rv *rvec_to_set(rvec *vec);

/* ---- comparison and lookup ------------------------------------------ */

/* Total order (OPA ast.Compare); returns <0, 0, >0. */
int rv_cmp(const rv *x, const rv *y);
bool rv_eq(const rv *x, const rv *y);
/* Numeric comparison of two RV_NUM values. */
int rv_num_cmp(const rv *x, const rv *y);

/* Object lookup; NULL if absent or obj is not an object. */
const rv *rv_obj_get(const rv *obj, const rv *key);
/* Object lookup by string key. */
const rv *rv_obj_gets(const rv *obj, const char *key, size_t n);
/* Index of key in object or element in set/sorted array, or -1. */
ptrdiff_t rv_find(const rv *coll, const rv *key);
bool rv_set_has(const rv *set, const rv *x);

/* Generic dereference of coll[key] for arrays (integral number index),
 * objects and sets (key itself if member). NULL when undefined. */
const rv *rv_get(const rv *coll, const rv *key);

/* Size of array/object/set, byte length of string, else 0. */
size_t rv_len(const rv *x);

/* ---- numbers -------------------------------------------------------- */

/* true if x is a number with an integral value that fits int64. */
bool rv_num_as_i64(const rv *x, int64_t *out);
/* Numeric value as long double (big ints are rounded). */
long double rv_num_ld(const rv *x);
/* true if x is a number whose value is integral (any size). */
bool rv_num_is_integral(const rv *x);

/* Deep copy into arena a (static singletons are shared). NULL on OOM. */
const rv *rv_copy(rarena *a, const rv *x);
/* Recursive merge of two objects; a key present in both must hold two
 * objects (merged) or equal values, else NULL with *conflict = true. */
const rv *rv_merge(rarena *a, const rv *x, const rv *y, bool *conflict);

/* ---- text forms ----------------------------------------------------- */

/* Appends the JSON encoding (sets become sorted arrays, non-string object
 * keys are converted to their JSON text as OPA does). pretty: 2-space
 * indentation as Go's json.MarshalIndent. Returns 0 or negative errno. */
int rv_to_json(const rv *x, cc_buf *out, bool pretty);
/* Appends the Rego term syntax of x (OPA's Term.String()): strings quoted,
 * sets as {1, 2} or set(), objects as {"a": 1}. */
int rv_to_rego(const rv *x, cc_buf *out);
/* Appends the number's canonical text. */
int rv_num_to_text(const rv *x, cc_buf *out);
/* Type name as OPA's type_name builtin: "null", "boolean", "number",
 * "string", "array", "object", "set". */
const char *rv_type_name(const rv *x);

#endif
