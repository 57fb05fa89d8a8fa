/* containers-policy.json(5) parsing (sig.h, policy_int.h), as strict as
 * containers/image signature/policy_config.go and
 * policy_config_sigstore.go: every object accepts only its own keys, each
 * once, with the right types. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "jsonx.h"
#include "policy_int.h"
#include "util.h"

const char *sig_pr_type_name(enum sig_pr_type t)
{
	switch (t) {
	case SIG_PR_INSECURE_ACCEPT_ANYTHING:
		return "insecureAcceptAnything";
	case SIG_PR_REJECT:
		return "reject";
	case SIG_PR_SIGNED_BY:
		return "signedBy";
	case SIG_PR_SIGNED_BASE_LAYER:
		return "signedBaseLayer";
	case SIG_PR_SIGSTORE_SIGNED:
		return "sigstoreSigned";
	}
	return "?";
}

/* ---- signedIdentity ---------------------------------------------------- */

void sig_prm_clear(struct sig_prm *m)
{
	free(m->a);
	free(m->b);
	m->a = m->b = NULL;
}

/* validateIdentityRemappingPrefix: a domain ("example.com:5000"), or a
 * domain "/" repository path ("example.com/ns"). */
static bool remap_prefix_ok(const char *s)
{
	size_t n = strlen(s);
	if (sig_dockerref_domain_ok(s, n))
		return true;
	const char *slash = strchr(s, '/');
	if (slash == NULL)
		return false;
	size_t d = (size_t)(slash - s);
	return sig_dockerref_domain_ok(s, d) && sig_dockerref_path_ok(slash + 1, n - d - 1);
}

static int prm_parse_fields(json_t *obj, const char *type, struct sig_prm *m, cc_error **err)
{
	static const char *const only_type[] = {"type", NULL};
	static const char *const exact_ref[] = {"type", "dockerReference", NULL};
	static const char *const exact_repo[] = {"type", "dockerRepository", NULL};
	static const char *const remap[] = {"type", "prefix", "signedPrefix", NULL};
	static const struct {
		const char *name;
		enum sig_prm_type t;
		const char *const *fields;
	} types[] = {
	    {"matchExact", SIG_PRM_MATCH_EXACT, only_type},
	    {"matchRepoDigestOrExact", SIG_PRM_MATCH_REPO_DIGEST_OR_EXACT, only_type},
	    {"matchRepository", SIG_PRM_MATCH_REPOSITORY, only_type},
	    {"exactReference", SIG_PRM_EXACT_REFERENCE, exact_ref},
	    {"exactRepository", SIG_PRM_EXACT_REPOSITORY, exact_repo},
	    {"remapIdentity", SIG_PRM_REMAP_IDENTITY, remap},
	};
	char q[SIG_QUOTE_MAX];
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(types[i].name, type) != 0)
			continue;
		m->type = types[i].t;
		int r = sig_json_exact(obj, types[i].fields, err);
		if (r < 0)
			return r;
		if (types[i].fields[1] != NULL && (r = sig_json_dup(obj, types[i].fields[1], &m->a, err)) < 0)
			return r;
		if (types[i].t == SIG_PRM_REMAP_IDENTITY)
			return sig_json_dup(obj, "signedPrefix", &m->b, err);
		return 0;
	}
	return cc_error_set(err, -EINVAL, "unknown policy reference match type \"%s\"",
	                    sig_quotes(type, q));
}

/* The values of exactReference, exactRepository and remapIdentity. */
static int prm_validate(const struct sig_prm *m, cc_error **err)
{
	sig_dockerref *r = NULL;
	char q[SIG_QUOTE_MAX];
	int k = 0;
	switch (m->type) {
	case SIG_PRM_EXACT_REFERENCE:
		k = sig_dockerref_parse(m->a, strlen(m->a), &r, err);
		if (k == 0 && sig_dockerref_name_only(r))
			k = cc_error_set(err, -EINVAL, "dockerReference \"%s\" has neither a tag nor a digest",
			                 sig_quotes(m->a, q));
		break;
	case SIG_PRM_EXACT_REPOSITORY:
		k = sig_dockerref_parse(m->a, strlen(m->a), &r, err);
		break;
	case SIG_PRM_REMAP_IDENTITY:
		if (!remap_prefix_ok(m->a))
			k = cc_error_set(err, -EINVAL, "prefix \"%s\" is not valid", sig_quotes(m->a, q));
		else if (!remap_prefix_ok(m->b))
			k = cc_error_set(err, -EINVAL, "signedPrefix \"%s\" is not valid",
			                 sig_quotes(m->b, q));
		break;
	default:
		break;
	}
	sig_dockerref_free(r);
	return k;
}

int sig_prm_from_json(json_t *obj, struct sig_prm *ret, cc_error **err)
{
	if (!json_is_object(obj))
		return cc_error_set(err, -EINVAL, "must be an object");
	const char *type;
	int r = sig_json_str(obj, "type", &type, err);
	if (r < 0)
		return r;
	if (type == NULL)
		return cc_error_set(err, -EINVAL, "key \"type\" missing");
	struct sig_prm m = {0};
	r = prm_parse_fields(obj, type, &m, err);
	if (r == 0)
		r = prm_validate(&m, err);
	if (r < 0) {
		sig_prm_clear(&m);
		return r;
	}
	*ret = m;
	return 0;
}

/* ---- requirements ------------------------------------------------------ */

static void pr_clear(struct sig_pr *pr)
{
	for (size_t i = 0; i < pr->n_key_paths; i++)
		free(pr->key_paths[i]);
	free(pr->key_paths);
	for (size_t i = 0; i < pr->n_key_datas; i++)
		free(pr->key_datas[i].p);
	free(pr->key_datas);
	sig_prm_clear(&pr->identity);
	memset(pr, 0, sizeof(*pr));
}

static void reqs_clear(struct sig_reqs *r)
{
	for (size_t i = 0; i < r->n; i++)
		pr_clear(&r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* A non-empty string, appended to pr->key_paths. */
static int add_key_path(struct sig_pr *pr, json_t *v, const char *what, cc_error **err)
{
	if (!json_is_string(v) || json_string_length(v) == 0)
		return cc_error_set(err, -EINVAL, "%s must be a non-empty string", what);
	char **nv = realloc(pr->key_paths, (pr->n_key_paths + 1) * sizeof(char *));
	if (nv == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	pr->key_paths = nv;
	int r = sig_strdup(json_string_value(v), &nv[pr->n_key_paths], err);
	if (r == 0)
		pr->n_key_paths++;
	return r;
}

/* A base64 string ([]byte in Go's JSON), appended to pr->key_datas. */
static int add_key_data(struct sig_pr *pr, json_t *v, const char *what, cc_error **err)
{
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "%s must be a base64 string", what);
	struct sig_keydata *nv = realloc(pr->key_datas, (pr->n_key_datas + 1) * sizeof(*nv));
	if (nv == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	pr->key_datas = nv;
	struct sig_keydata *d = &nv[pr->n_key_datas];
	int r = sig_b64_decode(json_string_value(v), json_string_length(v), what, &d->p, &d->n, err);
	if (r == 0)
		pr->n_key_datas++;
	return r;
}

/* A non-empty array whose entries add() takes. */
static int add_key_list(struct sig_pr *pr, json_t *v, const char *what,
                        int (*add)(struct sig_pr *, json_t *, const char *, cc_error **),
                        cc_error **err)
{
	if (!json_is_array(v))
		return cc_error_set(err, -EINVAL, "\"%s\" must be an array", what);
	if (json_array_size(v) == 0)
		return cc_error_set(err, -EINVAL, "\"%s\" contains no entries", what);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		char w[64];
		snprintf(w, sizeof(w), "%s[%zu]", what, i);
		int r = add(pr, e, w, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The key source of a signedBy or sigstoreSigned requirement: exactly one
 * of the keys in sources (names[0..]: keyPath, keyPaths, keyData,
 * keyDatas, then anything else counts as a source the caller handles). */
static int parse_key_source(json_t *obj, struct sig_pr *pr, const char *const *sources,
                            const char *msg, cc_error **err)
{
	size_t present = 0;
	for (const char *const *s = sources; *s != NULL; s++)
		present += json_object_get(obj, *s) != NULL;
	if (present != 1)
		return cc_error_set(err, -EINVAL, "exactly one of %s must be specified, %s present",
		                    msg, present == 0 ? "none of them" : "more than one");
	json_t *v;
	if ((v = json_object_get(obj, "keyPath")) != NULL)
		return add_key_path(pr, v, "\"keyPath\"", err);
	if ((v = json_object_get(obj, "keyPaths")) != NULL)
		return add_key_list(pr, v, "keyPaths", add_key_path, err);
	if ((v = json_object_get(obj, "keyData")) != NULL)
		return add_key_data(pr, v, "\"keyData\"", err);
	if ((v = json_object_get(obj, "keyDatas")) != NULL)
		return add_key_list(pr, v, "keyDatas", add_key_data, err);
	return 0;
}

/* "signedIdentity". Absent: matchRepoDigestOrExact for signedBy, as in
 * containers/image. For sigstoreSigned containers/image has the same
 * default, which no cosign signature can meet (cosign signs the bare
 * repository name), while image-rs then checks no identity at all (only
 * the digest) and CoCo's policies rely on that; cocoon takes
 * matchRepository, the strictest check cosign signatures pass
 * (docs/signatures.md). */
static int parse_signed_identity(json_t *obj, struct sig_pr *pr, cc_error **err)
{
	json_t *si = json_object_get(obj, "signedIdentity");
	if (si == NULL) {
		pr->identity.type = pr->type == SIG_PR_SIGSTORE_SIGNED
		                        ? SIG_PRM_MATCH_REPOSITORY
		                        : SIG_PRM_MATCH_REPO_DIGEST_OR_EXACT;
		return 0;
	}
	int r = sig_prm_from_json(si, &pr->identity, err);
	return r < 0 ? cc_error_wrap(err, "signedIdentity") : 0;
}

static int parse_signed_by(json_t *obj, struct sig_pr *pr, cc_error **err)
{
	static const char *const keys[] = {"type",     "keyType", "keyPath", "keyPaths",
	                                   "keyData",  "signedIdentity", NULL};
	static const char *const sources[] = {"keyPath", "keyPaths", "keyData", NULL};
	char q[SIG_QUOTE_MAX];
	const char *kt;
	int r = sig_json_keys(obj, keys, err);
	if (r == 0)
		r = sig_json_str(obj, "keyType", &kt, err);
	if (r < 0)
		return r;
	if (kt == NULL || (strcmp(kt, "GPGKeys") != 0 && strcmp(kt, "signedByGPGKeys") != 0 &&
	                   strcmp(kt, "X509Certificates") != 0 &&
	                   strcmp(kt, "signedByX509CAs") != 0))
		return cc_error_set(err, -EINVAL, "invalid keyType \"%s\"", kt ? sig_quotes(kt, q) : "");
	if (strcmp(kt, "GPGKeys") != 0)
		pr->unsupported = "only keyType GPGKeys is implemented";
	r = parse_key_source(obj, pr, sources, "keyPath, keyPaths and keyData", err);
	return r < 0 ? r : parse_signed_identity(obj, pr, err);
}

/* "fulcio" and "pki" objects: checked, never used (unsupported). */
static int parse_cert_root(json_t *v, const char *what, const char *const *keys,
                           cc_error **err)
{
	if (!json_is_object(v))
		return cc_error_set(err, -EINVAL, "\"%s\" must be an object", what);
	int r = sig_json_keys(v, keys, err);
	const char *key;
	json_t *e;
	json_object_foreach(v, key, e) {
		if (r == 0 && !json_is_string(e))
			r = cc_error_set(err, -EINVAL, "\"%s\" must be a string", key);
	}
	return r < 0 ? cc_error_wrap(err, "%s", what) : 0;
}

/* The Fulcio, PKI and Rekor fields of sigstoreSigned: parsed, and the
 * requirement marked as one cocoon cannot satisfy. */
static int parse_sigstore_extras(json_t *obj, struct sig_pr *pr, cc_error **err)
{
	static const char *const fulcio[] = {"caPath", "caData", "oidcIssuer", "subjectEmail", NULL};
	static const char *const pki[] = {"caRootsPath",         "caRootsData", "caIntermediatesPath",
	                                  "caIntermediatesData", "subjectEmail", "subjectHostname",
	                                  NULL};
	static const char *const rekor[] = {"rekorPublicKeyPath", "rekorPublicKeyPaths",
	                                    "rekorPublicKeyData", "rekorPublicKeyDatas", NULL};
	json_t *v;
	int r = 0;
	size_t nrekor = 0;
	for (const char *const *k = rekor; *k != NULL; k++)
		nrekor += json_object_get(obj, *k) != NULL;
	if (nrekor > 1)
		return cc_error_set(err, -EINVAL, "at most one of rekorPublicKeyPath, "
		                                  "rekorPublicKeyPaths, rekorPublicKeyData and "
		                                  "rekorPublicKeyDatas can be used simultaneously");
	if (nrekor > 0)
		pr->unsupported = "Rekor (transparency log) verification is not supported";
	if ((v = json_object_get(obj, "fulcio")) != NULL) {
		if (nrekor == 0)
			return cc_error_set(err, -EINVAL, "at least one of the rekorPublicKey* fields "
			                                  "must be specified if fulcio is used");
		r = parse_cert_root(v, "fulcio", fulcio, err);
		pr->unsupported = "Fulcio (keyless) signatures are not supported";
	}
	if (r == 0 && (v = json_object_get(obj, "pki")) != NULL) {
		r = parse_cert_root(v, "pki", pki, err);
		pr->unsupported = "X.509 PKI (\"pki\") signatures are not supported";
	}
	return r;
}

static int parse_sigstore_signed(json_t *obj, struct sig_pr *pr, cc_error **err)
{
	static const char *const keys[] = {
	    "type",         "keyPath",  "keyPaths",           "keyData",
	    "keyDatas",     "fulcio",   "rekorPublicKeyPath", "rekorPublicKeyPaths",
	    "rekorPublicKeyData",       "rekorPublicKeyDatas", "pki", "signedIdentity",
	    NULL};
	static const char *const sources[] = {"keyPath", "keyPaths", "keyData", "keyDatas",
	                                      "fulcio",  "pki",      NULL};
	int r = sig_json_keys(obj, keys, err);
	if (r == 0)
		r = parse_key_source(obj, pr, sources,
		                     "keyPath, keyPaths, keyData, keyDatas, fulcio and pki", err);
	if (r == 0)
		r = parse_sigstore_extras(obj, pr, err);
	return r < 0 ? r : parse_signed_identity(obj, pr, err);
}

static int parse_requirement(json_t *obj, struct sig_pr *pr, cc_error **err)
{
	static const char *const only_type[] = {"type", NULL};
	static const char *const base_layer[] = {"type", "baseLayerIdentity", NULL};
	char q[SIG_QUOTE_MAX];
	if (!json_is_object(obj))
		return cc_error_set(err, -EINVAL, "must be an object");
	const char *type;
	int r = sig_json_str(obj, "type", &type, err);
	if (r < 0)
		return r;
	if (type == NULL)
		return cc_error_set(err, -EINVAL, "key \"type\" missing");
	if (strcmp(type, "insecureAcceptAnything") == 0 || strcmp(type, "reject") == 0) {
		pr->type = type[0] == 'i' ? SIG_PR_INSECURE_ACCEPT_ANYTHING : SIG_PR_REJECT;
		return sig_json_exact(obj, only_type, err);
	}
	if (strcmp(type, "signedBy") == 0) {
		pr->type = SIG_PR_SIGNED_BY;
		return parse_signed_by(obj, pr, err);
	}
	if (strcmp(type, "sigstoreSigned") == 0) {
		pr->type = SIG_PR_SIGSTORE_SIGNED;
		return parse_sigstore_signed(obj, pr, err);
	}
	if (strcmp(type, "signedBaseLayer") == 0) {
		pr->type = SIG_PR_SIGNED_BASE_LAYER;
		pr->unsupported = "signedBaseLayer is not implemented";
		if ((r = sig_json_exact(obj, base_layer, err)) < 0)
			return r;
		r = sig_prm_from_json(json_object_get(obj, "baseLayerIdentity"), &pr->identity, err);
		return r < 0 ? cc_error_wrap(err, "baseLayerIdentity") : 0;
	}
	return cc_error_set(err, -EINVAL, "unknown policy requirement type \"%s\"",
	                    sig_quotes(type, q));
}

/* PolicyRequirements: a non-empty array of requirements. */
static int parse_reqs(json_t *arr, struct sig_reqs *ret, cc_error **err)
{
	if (!json_is_array(arr))
		return cc_error_set(err, -EINVAL, "must be an array of requirements");
	size_t n = json_array_size(arr);
	if (n == 0)
		return cc_error_set(err, -EINVAL,
		                    "list of verification policy requirements must not be empty");
	struct sig_reqs reqs = {calloc(n, sizeof(struct sig_pr)), 0};
	if (reqs.v == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (; reqs.n < n; reqs.n++) {
		size_t i = reqs.n;
		int r = parse_requirement(json_array_get(arr, i), &reqs.v[i], err);
		if (r < 0) {
			reqs.n++; /* clear the partial one too */
			reqs_clear(&reqs);
			cc_error_wrap(err, "requirement %zu", i);
			return r;
		}
	}
	*ret = reqs;
	return 0;
}

/* ---- scopes and transports ------------------------------------------- */

/* filepath.Clean(s) == s for an absolute path other than "/". */
static bool clean_abs_path(const char *s)
{
	if (s[0] != '/' || s[1] == '\0')
		return false;
	for (const char *c = s; *c != '\0';) {
		const char *next = strchr(c + 1, '/');
		size_t len = next ? (size_t)(next - c - 1) : strlen(c + 1);
		if (len == 0 || (len == 1 && c[1] == '.') || (len == 2 && c[1] == '.' && c[2] == '.'))
			return false;
		if (next == NULL)
			break;
		c = next;
	}
	return true;
}

/* ValidatePolicyConfigurationScope of the transports containers/image
 * knows; scopes of other transports are accepted as they are. */
static int validate_scope(const char *transport, const char *scope, cc_error **err)
{
	img_digest d;
	if (scope[0] == '\0')
		return 0;
	if (strcmp(transport, "dir") == 0 || strcmp(transport, "oci") == 0 ||
	    strcmp(transport, "oci-archive") == 0 || strcmp(transport, "sif") == 0) {
		if (!clean_abs_path(scope))
			return cc_error_set(err, -EINVAL, "invalid scope: must be an absolute, clean path "
			                                  "other than \"/\"");
	} else if (strcmp(transport, "docker-archive") == 0) {
		return cc_error_set(err, -EINVAL,
		                    "docker-archive: does not support any scopes except the default \"\"");
	} else if (strcmp(transport, "docker-daemon") == 0 &&
	           img_digest_parse(scope, strlen(scope), &d, NULL) == 0) {
		return cc_error_set(err, -EINVAL,
		                    "docker-daemon: can not use algo:digest value as a namespace");
	}
	return 0;
}

static void transport_clear(struct sig_transport *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		reqs_clear(&t->v[i].reqs);
	}
	free(t->v);
	free(t->name);
}

static int parse_scopes(const char *transport, json_t *obj, struct sig_transport *t,
                        cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	if (!json_is_object(obj))
		return cc_error_set(err, -EINVAL, "must be an object of scopes");
	t->v = calloc(json_object_size(obj) + 1, sizeof(struct sig_scope));
	if (t->v == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		int r = validate_scope(transport, key, err);
		if (r == 0 && (t->v[t->n].name = strdup(key)) == NULL)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		if (r == 0)
			r = parse_reqs(v, &t->v[t->n].reqs, err);
		if (r < 0) {
			free(t->v[t->n].name);
			t->v[t->n].name = NULL;
			return cc_error_wrap(err, "scope \"%s\"", sig_quotes(key, q));
		}
		t->n++;
	}
	return 0;
}

static int parse_transports(json_t *obj, sig_policy *p, cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	if (!json_is_object(obj))
		return cc_error_set(err, -EINVAL, "transports: must be an object");
	p->t = calloc(json_object_size(obj) + 1, sizeof(struct sig_transport));
	if (p->t == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		struct sig_transport *t = &p->t[p->nt];
		if ((t->name = strdup(key)) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		p->nt++;
		int r = parse_scopes(key, v, t, err);
		if (r < 0)
			return cc_error_wrap(err, "transports: \"%s\"", sig_quotes(key, q));
	}
	return 0;
}

void sig_policy_free(sig_policy *p)
{
	if (p == NULL)
		return;
	reqs_clear(&p->def);
	for (size_t i = 0; i < p->nt; i++)
		transport_clear(&p->t[i]);
	free(p->t);
	free(p);
}

CC_DEFINE_CLEANUP(sig_policy, sig_policy_free)

int sig_policy_load(const char *json, size_t n, sig_policy **ret, cc_error **err)
{
	static const char *const keys[] = {"default", "transports", NULL};
	if (n > CC_IMG_MAX_SIG_POLICY_BYTES)
		return cc_error_set(err, -E2BIG, "policy: larger than %u bytes",
		                    CC_IMG_MAX_SIG_POLICY_BYTES);
	_cleanup_(json_decrefp) json_t *root = NULL;
	int r = sig_json_load(json, n, "policy", &root, err);
	if (r < 0)
		return r;
	_cleanup_(sig_policy_freep) sig_policy *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if ((r = sig_json_keys(root, keys, err)) < 0)
		return cc_error_wrap(err, "policy");
	json_t *def = json_object_get(root, "default");
	if (def == NULL)
		return cc_error_set(err, -EINVAL, "policy: default policy is missing");
	if ((r = parse_reqs(def, &p->def, err)) < 0)
		return cc_error_wrap(err, "policy: default");
	json_t *tr = json_object_get(root, "transports");
	if (tr != NULL && (r = parse_transports(tr, p, err)) < 0)
		return cc_error_wrap(err, "policy");
	*ret = TAKE_PTR(p);
	return 0;
}

/* ---- requirementsForImageRef --------------------------------------------- */

static const struct sig_reqs *find_scope(const struct sig_transport *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i].reqs;
	return NULL;
}

const struct sig_reqs *sig_policy_select(const sig_policy *p, const char *transport,
                                         const char *identity, char *const *namespaces,
                                         char **ret_scope_desc)
{
	const struct sig_transport *t = NULL;
	for (size_t i = 0; i < p->nt && t == NULL; i++)
		if (strcmp(p->t[i].name, transport) == 0)
			t = &p->t[i];
	const struct sig_reqs *r = NULL;
	const char *scope = NULL;
	if (t != NULL && (r = find_scope(t, identity)) != NULL)
		scope = identity;
	for (size_t i = 0; t != NULL && r == NULL && namespaces && namespaces[i]; i++)
		if ((r = find_scope(t, namespaces[i])) != NULL)
			scope = namespaces[i];
	if (t != NULL && r == NULL && (r = find_scope(t, "")) != NULL)
		scope = "";
	if (ret_scope_desc != NULL) {
		*ret_scope_desc = NULL;
		if (r == NULL ? (*ret_scope_desc = strdup("default")) == NULL
		              : asprintf(ret_scope_desc, "%s:%s", transport, scope) < 0)
			*ret_scope_desc = NULL;
	}
	return r != NULL ? r : &p->def;
}
