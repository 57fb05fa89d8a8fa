/* Trustee's error replies (errors.h) and the reply object. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "errors.h"

#define ERROR_TYPE_PREFIX "https://github.com/confidential-containers/kbs/errors/"

static const struct {
	const char *name;
	const char *prefix; /* Trustee's Display text before the detail */
} variants[] = {
	[KBS_E_ADMIN_AUTH_ACCESS] = {"AdminAuthAccess", "admin access denied for endpoint "},
	[KBS_E_ATTESTATION] = {"AttestationError", "Attestation error: "},
	[KBS_E_INVALID_REQUEST_PATH] = {"InvalidRequestPath", "Request path "},
	[KBS_E_JWE] = {"JweError", "JWE failed: "},
	[KBS_E_PLUGIN_NOT_FOUND] = {"PluginNotFound", "Plugin "},
	[KBS_E_PLUGIN_INTERNAL] = {"PluginInternalError", "Plugin internal error: "},
	[KBS_E_POLICY_DENY] = {"PolicyDeny", "Access denied by policy"},
	[KBS_E_PARSE_POLICY] = {"ParsePolicyError", "Failed to parse policy: "},
	[KBS_E_POLICY_ENGINE] = {"PolicyEngineError", "Policy engine error: "},
	[KBS_E_RVPS] = {"RvpsError", "RVPS configuration failed: "},
	[KBS_E_SERDE] = {"SerdeError", "Serialize/Deserialize failed: "},
	[KBS_E_TOKEN_NOT_FOUND] = {"TokenNotFound", "Attestation Token not found"},
	[KBS_E_TOKEN_VERIFIER] = {"TokenVerifierError", "Token Verifier error: "},
};

const char *kbs_errv_name(enum kbs_errv v)
{
	return variants[v].name;
}

int kbs_errv_status(enum kbs_errv v)
{
	return v == KBS_E_INVALID_REQUEST_PATH || v == KBS_E_PLUGIN_NOT_FOUND ? 404 : 401;
}

void kbs_reply_init(struct kbs_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	cc_buf_init(&r->body, 0);
}

void kbs_reply_free(struct kbs_reply *r)
{
	/* bodies carry tokens and challenges */
	if (r->body.p != NULL)
		OPENSSL_cleanse(r->body.p, r->body.len);
	cc_buf_free(&r->body);
	free(r->set_cookie);
	free(r->err_detail);
	memset(r, 0, sizeof(*r));
}

static int vfail(struct kbs_reply *rep, enum kbs_errv v, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static int vfail(struct kbs_reply *rep, enum kbs_errv v, const char *fmt, va_list ap)
{
	char detail[1024];
	size_t n = (size_t)snprintf(detail, sizeof(detail), "%s", variants[v].prefix);
	if (fmt != NULL && n < sizeof(detail))
		vsnprintf(detail + n, sizeof(detail) - n, fmt, ap);
	/* the reply is replaced whole: a handler may have started a body */
	cc_buf_free(&rep->body);
	cc_buf_init(&rep->body, 0);
	free(rep->set_cookie);
	rep->set_cookie = NULL;
	free(rep->err_detail);
	rep->err_detail = strdup(detail);
	rep->err_variant = variants[v].name;
	rep->status = kbs_errv_status(v);
	rep->content_type = "application/json";
	char type[128];
	snprintf(type, sizeof(type), ERROR_TYPE_PREFIX "%s", variants[v].name);
	json_t *o = json_pack("{s:s,s:s}", "type", type, "detail", detail);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s != NULL)
		cc_buf_adds(&rep->body, s);
	free(s);
	return -1;
}

int kbs_fail(struct kbs_reply *rep, enum kbs_errv v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfail(rep, v, fmt, ap);
	va_end(ap);
	return r;
}

int kbs_fail_err(struct kbs_reply *rep, enum kbs_errv v, const char *what, cc_error *e)
{
	/* file:line:col: kind: message, for a policy's errors */
	char *m = cc_error_format(e);
	int r = kbs_fail(rep, v, "%s%s%s", what != NULL ? what : "", what != NULL ? ": " : "",
	                 m != NULL ? m : cc_error_message(e));
	free(m);
	cc_error_free(e);
	return r;
}
