/* The runtime builtin group: opa.runtime.
 *
 * OPA's opa.runtime() returns what the OPA process was started with:
 * {"env": <the process environment>, "version": ..., "commit": ...,
 * "config": <the runtime configuration>}, and the empty object when OPA is
 * embedded as a library without runtime information (rego.New without
 * rego.Runtime). cocoon is such an embedded engine, and gives the empty
 * object on purpose: in the guest agent the process environment and
 * configuration belong to the TCB, and a policy (written by whoever
 * deploys the pod, not by the owner of the guest) must not be able to read
 * them or make decisions on them. Kata's agent policy never calls it; the
 * group is a build option (-Drego_builtins) so the guest can leave it out,
 * and then a policy calling opa.runtime fails to compile with OPA's
 * "undefined function opa.runtime". */
#include "../bi.h"

static int bi_opa_runtime(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	(void)args;
	*ret = rv_empty_obj();
	return 0;
}

const struct rbi rbi_group_runtime[] = {
    {.name = "opa.runtime", .arity = 0, .fn = bi_opa_runtime, .rett = RT_OBJ},
    {0},
};
