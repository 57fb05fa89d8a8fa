/* Simple-signing and cosign payloads (containers/image signature/simple.go
 * untrustedSignature.strictUnmarshalJSON; signature/internal/
 * cosign_payload.go; docs/containers-signature.5.md):
 *
 *   {"critical": {"type": "atomic container signature",
 *                 "image": {"docker-manifest-digest": "sha256:..."},
 *                 "identity": {"docker-reference": "quay.io/ns/repo:tag"}},
 *    "optional": {"creator": "...", "timestamp": 1634533638, ...}}
 *
 * Exactly these keys in "critical" and its members; "optional" must be an
 * object (cosign writes null) whose "creator" is a string and "timestamp"
 * an integer, other members being ignored. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "digest.h"
#include "jsonx.h"
#include "sig_int.h"
#include "util.h"

#define SIMPLE_TYPE "atomic container signature"
#define COSIGN_TYPE "cosign container image signature"

void sig_payload_clear(struct sig_payload *p)
{
	free(p->digest);
	free(p->reference);
	p->digest = p->reference = NULL;
}

static int check_optional(json_t *opt, bool cosign, cc_error **err)
{
	if (cosign && json_is_null(opt))
		return 0;
	if (!json_is_object(opt))
		return cc_error_set(err, -EINVAL, "\"optional\" must be an object");
	json_t *c = json_object_get(opt, "creator");
	if (c != NULL && !json_is_string(c))
		return cc_error_set(err, -EINVAL, "\"optional.creator\" must be a string");
	json_t *t = json_object_get(opt, "timestamp");
	if (t != NULL && !json_is_integer(t)) {
		/* Go decodes a float64 and requires it to be an int64 */
		double d = json_is_real(t) ? json_real_value(t) : 0.5;
		if (!(d > -9.2e18 && d < 9.2e18) || d != (double)(long long)d)
			return cc_error_set(err, -EINVAL, "\"optional.timestamp\" is not an integer");
	}
	return 0;
}

/* critical.<member> must be exactly {key: string}; *ret is the string. */
static int get_member(json_t *critical, const char *member, const char *key, const char **ret,
                      cc_error **err)
{
	const char *const fields[] = {key, NULL};
	json_t *obj = json_object_get(critical, member);
	if (!json_is_object(obj))
		return cc_error_set(err, -EINVAL, "\"critical.%s\" must be an object", member);
	int r = sig_json_exact(obj, fields, err);
	if (r == 0)
		r = sig_json_str(obj, key, ret, err);
	return r < 0 ? cc_error_wrap(err, "critical.%s", member) : 0;
}

static int parse_critical(json_t *critical, bool cosign, struct sig_payload *out,
                          cc_error **err)
{
	static const char *const fields[] = {"type", "image", "identity", NULL};
	char q[SIG_QUOTE_MAX];
	const char *type, *digest, *ref;
	if (!json_is_object(critical))
		return cc_error_set(err, -EINVAL, "\"critical\" must be an object");
	int r = sig_json_exact(critical, fields, err);
	if (r < 0 || (r = sig_json_str(critical, "type", &type, err)) < 0)
		return cc_error_wrap(err, "critical");
	if (strcmp(type, cosign ? COSIGN_TYPE : SIMPLE_TYPE) != 0)
		return cc_error_set(err, -EINVAL, "unrecognized signature type \"%s\"",
		                    sig_quotes(type, q));
	if ((r = get_member(critical, "image", "docker-manifest-digest", &digest, err)) < 0 ||
	    (r = get_member(critical, "identity", "docker-reference", &ref, err)) < 0)
		return r;
	img_digest d;
	cc_error *derr = NULL;
	if (!cosign && img_digest_parse(digest, strlen(digest), &d, &derr) < 0) {
		r = cc_error_set(err, -EINVAL, "invalid docker-manifest-digest \"%s\": %s",
		                 sig_quotes(digest, q), cc_error_message(derr));
		cc_error_free(derr);
		return r;
	}
	if ((r = sig_strdup(digest, &out->digest, err)) < 0)
		return r;
	return sig_strdup(ref, &out->reference, err);
}

int sig_payload_parse(const void *p, size_t n, bool cosign, struct sig_payload *ret,
                      cc_error **err)
{
	static const char *const fields[] = {"critical", "optional", NULL};
	const char *what = cosign ? "cosign payload" : "signature payload";
	if (n > CC_IMG_MAX_SIGNATURE_BYTES)
		return cc_error_set(err, -E2BIG, "%s: larger than %u bytes", what,
		                    CC_IMG_MAX_SIGNATURE_BYTES);
	_cleanup_(json_decrefp) json_t *root = NULL;
	int r = sig_json_load(p, n, what, &root, err);
	if (r < 0)
		return r;
	struct sig_payload out = {0};
	r = sig_json_exact(root, fields, err);
	if (r == 0)
		r = check_optional(json_object_get(root, "optional"), cosign, err);
	if (r == 0)
		r = parse_critical(json_object_get(root, "critical"), cosign, &out, err);
	if (r < 0) {
		sig_payload_clear(&out);
		return cc_error_wrap(err, "%s", what);
	}
	*ret = out;
	return 0;
}
