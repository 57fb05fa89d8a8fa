/* cocoon-agent's policy gate (front_policy.h). Kata's code this follows:
 * src/agent/policy/src/policy.rs (AgentPolicy::allow_request, set_policy,
 * update_allow_failures_flag) and src/agent/src/policy.rs. */
#include "front_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "cocoon/rego.h"
#include "ttrpc.h"

/* Every request cocoon-agent serves and every other one Kata's allow-all
 * policy names (plus the ones it forgets), allowed. */
const char agent_allow_all_policy[] =
    "package agent_policy\n"
    "\n"
    "default AddARPNeighborsRequest := true\n"
    "default AddSwapRequest := true\n"
    "default AddSwapPathRequest := true\n"
    "default CloseStdinRequest := true\n"
    "default CopyFileRequest := true\n"
    "default CreateContainerRequest := true\n"
    "default CreateSandboxRequest := true\n"
    "default DestroySandboxRequest := true\n"
    "default ExecProcessRequest := true\n"
    "default GetDiagnosticDataRequest := true\n"
    "default GetIPTablesRequest := true\n"
    "default GetMetricsRequest := true\n"
    "default GetOOMEventRequest := true\n"
    "default GuestDetailsRequest := true\n"
    "default ListInterfacesRequest := true\n"
    "default ListRoutesRequest := true\n"
    "default MemAgentCompactConfig := true\n"
    "default MemAgentMemcgConfig := true\n"
    "default MemHotplugByProbeRequest := true\n"
    "default OnlineCPUMemRequest := true\n"
    "default PauseContainerRequest := true\n"
    "default ReadStreamRequest := true\n"
    "default RemoveContainerRequest := true\n"
    "default RemoveStaleVirtiofsShareMountsRequest := true\n"
    "default ReseedRandomDevRequest := true\n"
    "default ResizeVolumeRequest := true\n"
    "default ResumeContainerRequest := true\n"
    "default SetGuestDateTimeRequest := true\n"
    "default SetIPTablesRequest := true\n"
    "default SetPolicyRequest := true\n"
    "default SignalProcessRequest := true\n"
    "default StartContainerRequest := true\n"
    "default StatsContainerRequest := true\n"
    "default TtyWinResizeRequest := true\n"
    "default UpdateContainerRequest := true\n"
    "default UpdateEphemeralMountsRequest := true\n"
    "default UpdateInterfaceRequest := true\n"
    "default UpdateRoutesRequest := true\n"
    "default VolumeStatsRequest := true\n"
    "default WaitProcessRequest := true\n"
    "default WriteStreamRequest := true\n";

struct agent_gate {
	pthread_mutex_t mu;
	rego_engine *e; /* NULL until a policy is set */
	bool allow_failing;
	enum agent_json_shape shape;
};

void agent_verdict_clear(struct agent_verdict *v)
{
	if (v == NULL)
		return;
	free(v->prints);
	free(v->why);
	*v = (struct agent_verdict){0};
}

int agent_gate_new(enum agent_json_shape shape, agent_gate **ret, cc_error **err)
{
	agent_gate *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return cc_error_set(err, -ENOMEM, "policy gate: out of memory");
	pthread_mutex_init(&g->mu, NULL);
	g->shape = shape;
	*ret = g;
	return 0;
}

void agent_gate_free(agent_gate *g)
{
	if (g == NULL)
		return;
	rego_engine_free(g->e);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

static bool is_ident(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 128)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		          (p != s && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

static int internal(cc_error **err, const char *ep, const char *fmt, const char *detail)
{
	return ttrpc_error_set(err, TTRPC_INTERNAL, "%s: internal error %s%s", ep, fmt,
	                       detail ? detail : "");
}

/* Reads a {"allowed": bool, "ops": [...]} answer (Kata's MetadataResponse:
 * allowed required, ops optional) and applies the ops when allowed. */
static int metadata_answer(rego_engine *e, const char *ep, json_t *obj, bool *allowed,
                           cc_error **err)
{
	json_t *a = json_object_get(obj, "allowed");
	if (!json_is_boolean(a))
		return internal(err, ep, "policy check: answer without a boolean \"allowed\"", NULL);
	json_t *ops = json_object_get(obj, "ops");
	*allowed = json_is_true(a);
	if (!*allowed || ops == NULL || json_is_null(ops))
		return 0;
	char *s = json_dumps(ops, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "%s: policy ops: out of memory", ep);
	cc_error *pe = NULL;
	int r = rego_engine_patch_data_json(e, s, strlen(s), &pe);
	free(s);
	if (r < 0) {
		r = internal(err, ep, "applying the policy's ops: ", cc_error_message(pe));
		cc_error_free(pe);
	}
	return r;
}

/* Why query was denied: the same evaluation (the input is still set; a
 * denial applied no ops) again with a trace of the rules entered, the
 * expressions that failed and the rules left undefined. NULL if it cannot
 * be had; never changes the verdict. */
static char *explain_denial(rego_engine *e, const char *query)
{
	const rego_result *res = NULL;
	rego_engine_set_explain(e, REGO_EXPLAIN_FAILS);
	int r = rego_engine_eval(e, query, &res, NULL);
	size_t len = 0;
	const char *t = rego_engine_trace(e, &len);
	char *why = r == 0 ? strndup(t, len) : NULL;
	rego_engine_set_explain(e, REGO_EXPLAIN_OFF);
	return why;
}

/* allow_request on engine e; the caller holds the lock (or owns e). */
static int eval_engine(rego_engine *e, bool allow_failing, const char *ep, const char *json,
                       size_t len, struct agent_verdict *v, cc_error **err)
{
	cc_error *ee = NULL;
	char query[160];
	snprintf(query, sizeof(query), "data.agent_policy.%s", ep);
	const rego_result *res = NULL;
	int r = rego_engine_set_input_json(e, json, len, &ee);
	if (r == 0)
		r = rego_engine_eval(e, query, &res, &ee);
	if (r < 0) {
		char *m = cc_error_format(ee);
		r = internal(err, ep, "", m ? m : "out of memory");
		free(m);
		cc_error_free(ee);
		return r;
	}
	struct agent_verdict out = {0};
	const char *pr = rego_engine_prints(e, NULL);
	out.prints = strdup(pr ? pr : "");
	if (out.prints == NULL)
		return cc_error_set(err, -ENOMEM, "%s: out of memory", ep);
	size_t rows = rego_result_rows(res);
	if (rows != 1) {
		if (allow_failing) {
			/* no answer for a request the policy does not define */
			out.allowed = out.failing_allowed = true;
			*v = out;
			return 0;
		}
		char n[32];
		snprintf(n, sizeof(n), "%zu", rows);
		agent_verdict_clear(&out);
		return internal(err, ep, "policy check: unexpected eval_query result len ", n);
	}
	if (rego_result_exprs(res) != 1) {
		agent_verdict_clear(&out);
		return internal(err, ep, "policy check: unexpected eval_query result expressions", NULL);
	}
	char *val = rego_result_value_json(res, 0, 0);
	json_t *j = val ? json_loads(val, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL) : NULL;
	free(val);
	if (j == NULL) {
		agent_verdict_clear(&out);
		return cc_error_set(err, -ENOMEM, "%s: policy answer: out of memory", ep);
	}
	if (json_is_boolean(j))
		out.allowed = json_is_true(j);
	else if (json_is_object(j))
		r = metadata_answer(e, ep, j, &out.allowed, err);
	else
		r = internal(err, ep, "policy check: unexpected eval_query result type", NULL);
	json_decref(j);
	if (r < 0) {
		agent_verdict_clear(&out);
		return r;
	}
	if (!out.allowed)
		out.why = explain_denial(e, query);
	if (!out.allowed && allow_failing)
		out.allowed = out.failing_allowed = true;
	*v = out;
	return 0;
}

int agent_gate_eval_json(agent_gate *g, const char *ep, const char *json, size_t len,
                         struct agent_verdict *v, cc_error **err)
{
	if (!is_ident(ep))
		return cc_error_set(err, -EINVAL, "policy: bad entry point name");
	pthread_mutex_lock(&g->mu);
	int r;
	if (g->e == NULL)
		r = internal(err, ep, "no policy is loaded", NULL);
	else
		r = eval_engine(g->e, g->allow_failing, ep, json, len, v, err);
	pthread_mutex_unlock(&g->mu);
	return r;
}

int agent_gate_eval_pb(agent_gate *g, const ProtobufCMessage *req, struct agent_verdict *v,
                       cc_error **err)
{
	char *json = NULL;
	size_t len = 0;
	int r = agent_json_from_pb(req, g->shape, 0, &json, &len, err);
	if (r < 0)
		return r;
	r = agent_gate_eval_json(g, req->descriptor->short_name, json, len, v, err);
	free(json);
	return r;
}

/* A new engine holding one policy, compiled, with Kata's settings. */
static int new_engine(const char *name, const char *src, size_t len, rego_engine **ret,
                      cc_error **err)
{
	struct rego_options o;
	rego_options_default(&o);
	o.v0 = true;
	o.strict_builtin_errors = false;
	o.early_exit = REGO_EARLY_EXIT_BODY;
	o.print_locations = true;
	rego_engine *e = rego_engine_new(&o);
	if (e == NULL)
		return cc_error_set(err, -ENOMEM, "policy %s: out of memory", name);
	int r = rego_engine_add_policy(e, name, src, len, err);
	if (r == 0)
		r = rego_engine_compile(e, err);
	if (r == 0)
		r = rego_engine_set_data_json(e, "{\"pstate\": {}}", 14, err);
	if (r < 0) {
		rego_engine_free(e);
		return cc_error_wrap(err, "policy %s", name);
	}
	*ret = e;
	return 0;
}

int agent_gate_set_policy(agent_gate *g, const char *name, const char *src, size_t len,
                          cc_error **err)
{
	if (len > CC_REGO_MAX_POLICY_BYTES)
		return cc_error_set(err, -E2BIG, "policy %s: %zu bytes, more than %u", name, len,
		                    CC_REGO_MAX_POLICY_BYTES);
	rego_engine *e = NULL;
	int r = new_engine(name, src, len, &e, err);
	if (r < 0)
		return r;
	/* update_allow_failures_flag: asked like any request, with input {};
	 * any failure means false. Kata asks with the previous policy's flag
	 * still set, so a policy without the rule inherits `true`; here it
	 * starts from false. */
	struct agent_verdict v = {0};
	bool allow_failing =
	    eval_engine(e, false, "AllowRequestsFailingPolicy", "{}", 2, &v, NULL) == 0 && v.allowed;
	agent_verdict_clear(&v);
	/* the evaluation must not leave state behind */
	if (rego_engine_set_data_json(e, "{\"pstate\": {}}", 14, err) < 0) {
		rego_engine_free(e);
		return cc_error_wrap(err, "policy %s", name);
	}
	pthread_mutex_lock(&g->mu);
	rego_engine *old = g->e;
	g->e = e;
	g->allow_failing = allow_failing;
	pthread_mutex_unlock(&g->mu);
	rego_engine_free(old);
	return 0;
}

int agent_gate_load_file(agent_gate *g, const char *path, cc_error **err)
{
	char *src = NULL;
	size_t len = 0;
	int r = cc_read_file(path, CC_REGO_MAX_POLICY_BYTES, 0, &src, &len, err);
	if (r < 0)
		return cc_error_wrap(err, "policy");
	r = agent_gate_set_policy(g, path, src, len, err);
	free(src);
	return r;
}

bool agent_gate_allows_failing(agent_gate *g)
{
	pthread_mutex_lock(&g->mu);
	bool a = g->allow_failing;
	pthread_mutex_unlock(&g->mu);
	return a;
}

char *agent_gate_data_json(agent_gate *g)
{
	pthread_mutex_lock(&g->mu);
	char *s = g->e ? rego_engine_data_json(g->e) : NULL;
	pthread_mutex_unlock(&g->mu);
	return s;
}
