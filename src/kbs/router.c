/* Request routing (router.h, kbs.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "as_policy.h"
#include "errors.h"
#include "metrics.h"
#include "rcar.h"
#include "res_policy.h"
#include "resource.h"
#include "router.h"
#include "rvps.h"

#define KBS_PREFIX "/kbs/v0/"

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* Decodes n bytes of one query component into a new JSON string. */
static json_t *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; out != NULL && i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	json_t *j = out != NULL ? json_stringn(out, o) : NULL;
	free(out);
	return j;
}

int kbs_query_json(const char *query, json_t **ret, cc_error **err)
{
	json_t *o = json_object();
	if (o == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const char *p = query != NULL ? query : "";
	while (*p != '\0') {
		const char *end = strchr(p, '&');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t kn = eq != NULL ? (size_t)(eq - p) : n;
		if (n > 0) {
			json_t *k = decode(p, kn);
			json_t *v = eq != NULL ? decode(eq + 1, n - kn - 1) : json_string("");
			int r = k != NULL && v != NULL
			                ? json_object_setn(o, json_string_value(k), json_string_length(k), v)
			                : -1;
			json_decref(k);
			json_decref(v);
			if (r < 0) {
				json_decref(o);
				return cc_error_set(err, -EINVAL, "the query string is malformed");
			}
		}
		p += n;
		if (*p == '&')
			p++;
	}
	*ret = o;
	return 0;
}

static bool is(const struct kbs_request *req, const char *method)
{
	return strcmp(req->method, method) == 0;
}

/* Admin endpoints: 0 when the caller may, else the error reply. */
static int admin(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep)
{
	cc_error *e = NULL;
	if (kbs_admin_check(ctx->admin, req, &e) == 0)
		return 0;
	kbs_fail(rep, KBS_E_ADMIN_AUTH_ACCESS, "%.256s: %s", req->path, cc_error_message(e));
	cc_error_free(e);
	return -1;
}

static void resource(kbs_ctx *ctx, const struct kbs_request *req, const char *sub,
                     struct kbs_reply *rep)
{
	if (!kbs_resource_path_ok(sub)) {
		kbs_fail(rep, KBS_E_INVALID_REQUEST_PATH,
		         "%.256s is invalid: a resource path is repository/type/tag, each "
		         "[A-Za-z0-9_-][A-Za-z0-9_.-]*",
		         req->path);
		return;
	}
	if (is(req, "GET")) {
		cc_error *e = NULL;
		json_t *q = NULL;
		if (kbs_query_json(req->query, &q, &e) < 0) {
			kbs_fail(rep, KBS_E_INVALID_REQUEST_PATH, "%.256s is invalid: %s", req->path,
			         cc_error_message(e));
			cc_error_free(e);
			return;
		}
		kbs_resource_get(ctx, req, sub, q, rep);
		json_decref(q);
	} else if (is(req, "POST") || is(req, "DELETE")) {
		if (admin(ctx, req, rep) < 0)
			return;
		if (is(req, "POST"))
			kbs_resource_post(ctx, req, sub, rep);
		else
			kbs_resource_delete(ctx, sub, rep);
	} else {
		kbs_fail(rep, KBS_E_PLUGIN_INTERNAL, "Illegal HTTP method %.16s for the resource "
		                                     "plugin", req->method);
	}
}

/* /kbs/v0/<plugin>[/<sub>] */
static void kbs_api(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep)
{
	const char *rest = req->path + strlen(KBS_PREFIX);
	const char *slash = strchr(rest, '/');
	char plugin[64];
	size_t pn = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	const char *sub = slash != NULL ? slash + 1 : "";
	if (pn >= sizeof(plugin)) {
		kbs_fail(rep, KBS_E_PLUGIN_NOT_FOUND, "%.32s... not found", rest);
		return;
	}
	memcpy(plugin, rest, pn);
	plugin[pn] = '\0';
	bool post = is(req, "POST"), get = is(req, "GET"), bare = slash == NULL;
	enum { NONE, AS_POLICY, RV_GET, RV_POST, RP_POST, RP_GET } adm = NONE;
	if (strcmp(plugin, "auth") == 0 && post && bare) {
		kbs_rcar_auth(ctx, req, rep);
		return;
	}
	if (strcmp(plugin, "attest") == 0 && post && bare) {
		kbs_rcar_attest(ctx, req, rep);
		return;
	}
	if (strcmp(plugin, "attestation-policy") == 0 && post && bare)
		adm = AS_POLICY;
	else if (strcmp(plugin, "reference-value") == 0 && get && !bare && *sub != '\0')
		adm = RV_GET;
	else if (strcmp(plugin, "reference-value") == 0 && post && bare)
		adm = RV_POST;
	else if (strcmp(plugin, "resource-policy") == 0 && post && bare)
		adm = RP_POST;
	else if (strcmp(plugin, "resource-policy") == 0 && get && bare)
		adm = RP_GET;
	if (adm == NONE) {
		if (strcmp(plugin, "resource") == 0 && ctx->cfg.plugin_resource)
			resource(ctx, req, sub, rep);
		else
			kbs_fail(rep, KBS_E_PLUGIN_NOT_FOUND, "%.64s not found", plugin);
		return;
	}
	if (admin(ctx, req, rep) < 0)
		return;
	switch (adm) {
	case AS_POLICY: kbs_as_policy_post(ctx, req, rep); break;
	case RV_GET: kbs_rvps_get(ctx, sub, rep); break;
	case RV_POST: kbs_rvps_post(ctx, req, rep); break;
	case RP_POST: kbs_res_policy_post(ctx, req, rep); break;
	case RP_GET: kbs_res_policy_get(ctx, rep); break;
	case NONE: break;
	}
}

void kbs_route(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep)
{
	const char *path = req->path;
	if (strcmp(path, "/metrics") == 0 || strcmp(path, "/healthz") == 0) {
		if (!is(req, "GET")) {
			rep->status = 405;
			return;
		}
		if (path[1] == 'm') {
			rep->content_type = "text/plain; version=0.0.4";
			if (kbs_metrics_render(ctx->metrics, &rep->body) < 0)
				rep->status = 500;
		}
		return;
	}
	if (strncmp(path, KBS_PREFIX, strlen(KBS_PREFIX)) != 0) {
		kbs_fail(rep, KBS_E_INVALID_REQUEST_PATH, "%.256s is invalid", path);
		return;
	}
	kbs_api(ctx, req, rep);
}
