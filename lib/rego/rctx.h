/* The builtin call context (internal; builtins see it only through bi.h).
 * The evaluator embeds one per evaluation; unit tests of builtins build a
 * standalone one with rctx_init(). */
#ifndef COCOON_REGO_RCTX_H
#define COCOON_REGO_RCTX_H

#include "bi.h"
#include "cocoon/error.h"

/* Engine-lifetime state slots (owned by the engine, shared by evaluations). */
struct rstate {
	void *slot[RBI_STATE_MAX];
	void (*slot_free[RBI_STATE_MAX])(void *);
};

struct rctx {
	rarena *arena;
	const char *fname;
	int64_t now_ns;      /* 0 = not read yet */
	cc_error *err;       /* error recorded by the last failing builtin */
	struct rstate *st;
	rvec memo_keys;
	rvec memo_vals;
	void *eval;          /* the evaluator, for its own use */
};

/* Initialises a context over arena a and state st (st may be NULL: then
 * rctx_state() returns NULL). */
void rctx_init(rctx *cx, rarena *a, struct rstate *st);
/* Frees cx->err. */
void rctx_fini(rctx *cx);
/* Frees the state slots. */
void rstate_fini(struct rstate *st);

#endif
