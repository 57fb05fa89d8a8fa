/* The admission decision (sig.h): containers/image's IsRunningImageAllowed
 * (signature/policy_eval.go) with the requirement evaluations of
 * policy_eval_signedby.go and policy_eval_sigstore.go. Every requirement of
 * the selected list must accept the image; for the signature requirements
 * one accepted signature suffices. Unlike containers/image, which stops at
 * the first requirement that rejects, all are evaluated so the error names
 * every reason. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "policy_int.h"
#include "sig_int.h"
#include "util.h"

/* Room for the reasons of one requirement and of the whole decision. */
#define REASONS_MAX (256u * 1024u)

#define COSIGN_MEDIA_TYPE "application/vnd.dev.cosign.simplesigning.v1+json"

struct report_entry {
	enum sig_pr_type type;
	char *detail;
};

struct sig_report {
	char *scope;
	struct report_entry *v;
	size_t n;
};

struct eval {
	const struct sig_image *img;
	const sig_lookaside *l;
	const struct sig_callbacks *cb;
	void *ctx;
	bool docker;
	sig_dockerref *ref; /* docker: the intended reference, tagged or digested */
	char *identity;     /* the policy identity */
	char **ns;          /* its namespaces */
	bool schema1;
	img_digest digests[2]; /* the digests signatures are looked up for */
	size_t ndigests;
	img_digest manifest_digest;
	bool have_lookaside, have_cosign;
	const char *lookaside_base;
	struct sig_blobs lookaside, cosign;
};

static void eval_clear(struct eval *ev)
{
	sig_dockerref_free(ev->ref);
	free(ev->identity);
	sig_strv_free(ev->ns);
	sig_blobs_clear(&ev->lookaside);
	sig_blobs_clear(&ev->cosign);
}

/* ---- setting up ------------------------------------------------------- */

/* Parent directories of a path identity (dir, oci: "PATH:NAME" first gives
 * PATH), most specific first, without "/". */
static int path_namespaces(const char *id, char ***ret)
{
	_cleanup_free_ char *p = strdup(id);
	char **v = calloc(strlen(id) + 2, sizeof(char *));
	size_t n = 0;
	if (p == NULL || v == NULL) {
		free(v);
		return -ENOMEM;
	}
	char *slash = strrchr(p, '/'), *colon = slash ? strchr(slash, ':') : NULL;
	if (colon != NULL)
		*colon = '\0';
	for (bool first = colon != NULL;; first = false) {
		if (!first && ((slash = strrchr(p, '/')) == NULL || slash == p))
			break;
		if (!first)
			*slash = '\0';
		if ((v[n++] = strdup(p)) == NULL) {
			sig_strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

static bool is_schema1(const struct sig_image *img)
{
	const char *mt = img->manifest_media_type;
	if (mt != NULL)
		return strncmp(mt, "application/vnd.docker.distribution.manifest.v1+", 48) == 0;
	json_t *j = json_loadb(img->manifest, img->manifest_len, 0, NULL);
	json_t *v = json_object_get(j, "schemaVersion");
	bool one = json_is_integer(v) && json_integer_value(v) == 1;
	json_decref(j);
	return one;
}

/* The reference (docker) or identity, and the namespaces to search. */
static int init_identity(struct eval *ev, cc_error **err)
{
	const struct sig_image *img = ev->img;
	char q[SIG_QUOTE_MAX];
	int r;
	if (!ev->docker) {
		if ((r = sig_strdup(img->reference, &ev->identity, err)) < 0)
			return r;
		r = path_namespaces(img->reference, &ev->ns);
		return r < 0 ? cc_error_set(err, r, "out of memory") : 0;
	}
	r = sig_dockerref_parse(img->reference, strlen(img->reference), &ev->ref, err);
	if (r < 0)
		return r;
	if (sig_dockerref_tag(ev->ref) != NULL && sig_dockerref_digest(ev->ref) != NULL)
		return cc_error_set(err, -EINVAL, "image %s: references with both a tag and a digest "
		                                  "are not supported",
		                    sig_quotes(img->reference, q));
	if (sig_dockerref_tag_name_only(ev->ref) < 0 ||
	    sig_dockerref_namespaces(ev->ref, &ev->ns) < 0 ||
	    (ev->identity = strdup(sig_dockerref_string(ev->ref))) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* The manifest's digest, and the digests to look signatures up for. */
static int init_digests(struct eval *ev, cc_error **err)
{
	const struct sig_image *img = ev->img;
	const char *rd = ev->ref ? sig_dockerref_digest(ev->ref) : NULL;
	img_digest want;
	enum img_digest_alg alg = IMG_DIGEST_SHA256;
	if (rd != NULL && img_digest_parse(rd, strlen(rd), &want, NULL) == 0)
		alg = want.alg;
	int r = img_digest_bytes(alg, img->manifest, img->manifest_len, &ev->manifest_digest, err);
	if (r < 0)
		return r;
	if (rd != NULL && !img_digest_eq(&want, &ev->manifest_digest) &&
	    (img->index_digest == NULL || !img_digest_eq(&want, img->index_digest)))
		return cc_error_set(err, -EINVAL, "image %s: its digest matches neither the manifest "
		                                  "nor the index",
		                    ev->identity);
	if (img->index_digest != NULL)
		ev->digests[ev->ndigests++] = *img->index_digest;
	if (ev->ndigests == 0 || !img_digest_eq(&ev->digests[0], &ev->manifest_digest))
		ev->digests[ev->ndigests++] = ev->manifest_digest;
	ev->schema1 = is_schema1(img);
	return 0;
}

static int eval_init(struct eval *ev, cc_error **err)
{
	const struct sig_image *img = ev->img;
	if (img == NULL || img->transport == NULL || img->reference == NULL ||
	    (img->manifest == NULL && img->manifest_len > 0))
		return cc_error_set(err, -EINVAL, "sig_policy_check: incomplete sig_image");
	if (img->manifest_len > CC_IMG_MAX_MANIFEST_BYTES)
		return cc_error_set(err, -EFBIG, "image manifest larger than %u bytes",
		                    CC_IMG_MAX_MANIFEST_BYTES);
	ev->docker = strcmp(img->transport, "docker") == 0;
	int r = init_identity(ev, err);
	return r < 0 ? r : init_digests(ev, err);
}

/* ---- checks shared by both signature kinds ---------------------------- */

/* Whether a signed manifest digest names this image (manifest.MatchesDigest
 * on the manifest, or the index the image was pulled through). */
static int digest_matches(struct eval *ev, const char *claimed, cc_buf *why)
{
	char q[SIG_QUOTE_MAX];
	img_digest d, got;
	if (img_digest_parse(claimed, strlen(claimed), &d, NULL) < 0)
		return cc_buf_printf(why, "invalid docker-manifest-digest \"%s\"",
		                     sig_quotes(claimed, q)) < 0 ? -ENOMEM : 0;
	if (ev->img->index_digest != NULL && img_digest_eq(&d, ev->img->index_digest))
		return 1;
	if (ev->schema1)
		return cc_buf_printf(why, "docker schema 1 manifests are not supported") < 0 ? -ENOMEM
		                                                                             : 0;
	if (img_digest_bytes(d.alg, ev->img->manifest, ev->img->manifest_len, &got, NULL) < 0)
		return -ENOMEM;
	if (img_digest_eq(&d, &got))
		return 1;
	return cc_buf_printf(why, "signature for digest %s does not match", sig_quotes(claimed, q)) < 0
	           ? -ENOMEM
	           : 0;
}

/* Checks a verified payload's claims: 1 accepted (detail in why), 0
 * rejected (reason in why), or -ENOMEM. */
static int check_claims(struct eval *ev, const struct sig_pr *pr, const unsigned char *p,
                        size_t n, bool cosign, cc_buf *why)
{
	char q[SIG_QUOTE_MAX];
	struct sig_payload pl = {0};
	cc_error *e = NULL;
	int r = sig_payload_parse(p, n, cosign, &pl, &e);
	if (r == -ENOMEM || (r < 0 && cc_buf_adds(why, cc_error_message(e)) < 0))
		r = -ENOMEM;
	else if (r < 0)
		r = 0;
	else if ((r = digest_matches(ev, pl.digest, why)) == 1 &&
	         !sig_prm_matches(&pr->identity, ev->ref, pl.reference))
		r = cc_buf_printf(why, "signature for identity \"%s\" is not accepted",
		                  sig_quotes(pl.reference, q)) < 0
		        ? -ENOMEM
		        : 0;
	else if (r == 1 && cc_buf_printf(why, "%s, identity %s", pl.digest,
	                                 sig_quotes(pl.reference, q)) < 0)
		r = -ENOMEM;
	cc_error_free(e);
	sig_payload_clear(&pl);
	return r;
}

/* Adds "where: reason" to the list of rejections. */
static int add_rejection(cc_buf *all, size_t *count, const char *where, const char *reason)
{
	(*count)++;
	return cc_buf_printf(all, "%s%s: %s", *count > 1 ? "; " : "", where, reason) < 0 ? -ENOMEM
	                                                                                : 0;
}

/* The summary of rejected signatures (isRunningImageAllowed). */
static int summarize(cc_buf *detail, const cc_buf *all, size_t count, const char *none)
{
	if (count == 0)
		return cc_buf_adds(detail, none) < 0 ? -ENOMEM : 0;
	if (count > 1 && cc_buf_adds(detail, "none of the signatures were accepted, reasons: ") < 0)
		return -ENOMEM;
	return cc_buf_adds(detail, all->p) < 0 ? -ENOMEM : 0;
}

/* ---- signedBy ---------------------------------------------------------- */

static int fetch_lookaside(struct eval *ev, cc_error **err)
{
	if (ev->have_lookaside)
		return 0;
	ev->have_lookaside = true;
	ev->lookaside_base = sig_lookaside_base(ev->l, ev->identity, ev->ns);
	for (size_t i = 0; i < ev->ndigests && ev->lookaside_base != NULL; i++) {
		int r = sig_lookaside_fetch(ev->lookaside_base, sig_dockerref_path(ev->ref),
		                            &ev->digests[i], ev->cb ? ev->cb->ca_file : NULL,
		                            &ev->lookaside, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One simple signature: 1 accepted, 0 rejected (reason in why), < 0. */
static int check_simple(struct eval *ev, const struct sig_pr *pr, sig_gpg *g,
                        const struct sig_blob *b, cc_buf *why)
{
	unsigned char *content = NULL;
	size_t n = 0;
	char *fpr = NULL;
	cc_error *e = NULL;
	int r = sig_gpg_verify(g, b->p, b->n, &content, &n, &fpr, &e);
	if (r == -ENOMEM)
		; /* passed on */
	else if (r < 0)
		r = cc_buf_adds(why, cc_error_message(e)) < 0 ? -ENOMEM : 0;
	else if (cc_buf_printf(why, "key %s, ", fpr) < 0)
		r = -ENOMEM;
	else
		r = check_claims(ev, pr, content, n, false, why);
	cc_error_free(e);
	free(content);
	free(fpr);
	return r;
}

static int eval_signed_by(struct eval *ev, const struct sig_pr *pr, cc_buf *detail,
                          cc_error **err)
{
	int r = fetch_lookaside(ev, err);
	if (r < 0)
		return r;
	if (ev->lookaside.n == 0)
		return cc_buf_printf(detail, "a signature was required, but no signature exists%s",
		                     ev->lookaside_base ? "" : " (no lookaside storage is configured "
		                                                "for this image)") < 0
		           ? -ENOMEM
		           : 0;
	struct sig_keys keys = {0};
	if ((r = sig_keys_load(pr, ev->cb, ev->ctx, &keys, err)) < 0)
		return r;
	sig_gpg *g = NULL;
	cc_error *e = NULL;
	r = sig_gpg_new(&keys, ev->cb ? ev->cb->tmpdir : NULL, &g, &e);
	sig_keys_clear(&keys);
	if (r == -ENOMEM) {
		cc_error_move(err, &e);
		return r;
	}
	if (r < 0) {
		/* no usable key: a rejection, as in containers/image */
		r = cc_buf_adds(detail, cc_error_message(e)) < 0 ? -ENOMEM : 0;
		cc_error_free(e);
		return r == 0 ? 0 : cc_error_set(err, r, "out of memory");
	}
	cc_buf all;
	cc_buf_init(&all, REASONS_MAX);
	size_t count = 0;
	for (size_t i = 0; i < ev->lookaside.n && r == 0; i++) {
		cc_buf why;
		cc_buf_init(&why, REASONS_MAX);
		r = check_simple(ev, pr, g, &ev->lookaside.v[i], &why);
		if (r == 1)
			r = cc_buf_printf(detail, "signature %s: %s", ev->lookaside.v[i].where, why.p) < 0
			        ? -ENOMEM
			        : 1;
		else if (r == 0)
			r = add_rejection(&all, &count, ev->lookaside.v[i].where, why.p ? why.p : "");
		cc_buf_free(&why);
	}
	sig_gpg_free(g);
	if (r == 0)
		r = summarize(detail, &all, count, "a signature was required, but no signature exists");
	cc_buf_free(&all);
	return r == -ENOMEM ? cc_error_set(err, r, "out of memory") : r;
}

/* ---- sigstoreSigned ---------------------------------------------------- */

static int fetch_cosign(struct eval *ev, cc_error **err)
{
	if (ev->have_cosign)
		return 0;
	ev->have_cosign = true;
	for (size_t i = 0; i < ev->ndigests; i++) {
		int r = sig_cosign_fetch(ev->cb, ev->ctx, sig_dockerref_name(ev->ref), &ev->digests[i],
		                         &ev->cosign, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One cosign signature against every key: 1, 0 (reason in why), < 0. */
static int check_cosign(struct eval *ev, const struct sig_pr *pr, const struct sig_keys *keys,
                        const struct sig_blob *b, cc_buf *why)
{
	if (b->annotation == NULL)
		return cc_buf_adds(why, "missing " "dev.cosignproject.cosign/signature annotation") < 0
		           ? -ENOMEM
		           : 0;
	cc_error *e = NULL;
	int r = -EPERM;
	for (size_t k = 0; k < keys->n && r < 0; k++) {
		cc_error_free(e);
		e = NULL;
		r = sig_cosign_verify(keys->v[k].p, keys->v[k].n, b->annotation, b->p, b->n, &e);
		if (r == -ENOMEM)
			break;
		if (r == -EINVAL && e != NULL && keys->n == 1)
			cc_error_wrap(&e, "key %s", keys->v[k].name);
	}
	if (r < 0) {
		r = r == -ENOMEM || cc_buf_adds(why, cc_error_message(e)) < 0 ? -ENOMEM : 0;
		cc_error_free(e);
		return r;
	}
	return check_claims(ev, pr, b->p, b->n, true, why);
}

static int eval_sigstore(struct eval *ev, const struct sig_pr *pr, cc_buf *detail,
                         cc_error **err)
{
	if (!sig_lookaside_use_attachments(ev->l, ev->identity, ev->ns))
		return cc_buf_adds(detail, "a signature was required, but no signature exists "
		                           "(use-sigstore-attachments is false for this image)") < 0
		           ? -ENOMEM
		           : 0;
	int r = fetch_cosign(ev, err);
	struct sig_keys keys = {0};
	if (r < 0 || (r = sig_keys_load(pr, ev->cb, ev->ctx, &keys, err)) < 0)
		return r;
	cc_buf all;
	cc_buf_init(&all, REASONS_MAX);
	size_t count = 0, other = 0;
	for (size_t i = 0; i < ev->cosign.n && r == 0; i++) {
		const struct sig_blob *b = &ev->cosign.v[i];
		if (b->media_type == NULL || strcmp(b->media_type, COSIGN_MEDIA_TYPE) != 0) {
			other++;
			continue;
		}
		cc_buf why;
		cc_buf_init(&why, REASONS_MAX);
		r = check_cosign(ev, pr, &keys, b, &why);
		if (r == 1)
			r = cc_buf_printf(detail, "signature %s: %s", b->where, why.p) < 0 ? -ENOMEM : 1;
		else if (r == 0)
			r = add_rejection(&all, &count, b->where, why.p ? why.p : "");
		cc_buf_free(&why);
	}
	sig_keys_clear(&keys);
	if (r == 0 && count == 0 && other > 0)
		r = cc_buf_printf(detail, "a signature was required, but no signature exists (%zu "
		                          "non-signature attachments)",
		                  other) < 0
		        ? -ENOMEM
		        : 0;
	else if (r == 0)
		r = summarize(detail, &all, count, "a signature was required, but no signature exists");
	cc_buf_free(&all);
	return r == -ENOMEM ? cc_error_set(err, r, "out of memory") : r;
}

/* ---- the decision ---------------------------------------------------- */

/* One requirement: 1 accepted, 0 rejected (reason in detail), < 0. */
static int eval_req(struct eval *ev, const struct sig_pr *pr, cc_buf *detail, cc_error **err)
{
	const char *why = NULL;
	if (pr->type == SIG_PR_INSECURE_ACCEPT_ANYTHING)
		return cc_buf_adds(detail, "accepted without checks") < 0 ? -ENOMEM : 1;
	if (pr->type == SIG_PR_REJECT)
		why = "running the image is rejected by policy";
	else if (pr->unsupported != NULL)
		why = pr->unsupported;
	else if (!ev->docker)
		why = "signatures are only read for images from a registry (transport \"docker\")";
	if (why != NULL)
		return cc_buf_adds(detail, why) < 0 ? -ENOMEM : 0;
	if (pr->type == SIG_PR_SIGNED_BY)
		return eval_signed_by(ev, pr, detail, err);
	return eval_sigstore(ev, pr, detail, err);
}

void sig_report_free(sig_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].detail);
	free(r->v);
	free(r->scope);
	free(r);
}

CC_DEFINE_CLEANUP(sig_report, sig_report_free)

/* Evaluates every requirement into rep; *rejected when any did not accept,
 * the reasons in reasons. */
static int eval_all(struct eval *ev, const struct sig_reqs *reqs, sig_report *rep,
                    cc_buf *reasons, cc_error **err)
{
	for (size_t i = 0; i < reqs->n; i++) {
		cc_buf detail;
		cc_buf_init(&detail, REASONS_MAX);
		int r = eval_req(ev, &reqs->v[i], &detail, err);
		char *d = r >= 0 ? cc_buf_steal(&detail, NULL) : NULL;
		cc_buf_free(&detail);
		if (r >= 0 && d == NULL)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		if (r == 0 && cc_buf_printf(reasons, "%srequirement %zu (%s): %s",
		                            reasons->len ? "; " : "", i + 1,
		                            sig_pr_type_name(reqs->v[i].type), d) < 0)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		if (r < 0) {
			free(d);
			return r;
		}
		rep->v[rep->n++] = (struct report_entry){reqs->v[i].type, d};
	}
	return 0;
}

int sig_policy_check(const sig_policy *p, const sig_lookaside *l, const struct sig_image *img,
                     const struct sig_callbacks *cb, void *ctx, sig_report **ret_report,
                     cc_error **err)
{
	struct eval ev = {.img = img, .l = l, .cb = cb, .ctx = ctx};
	_cleanup_(sig_report_freep) sig_report *rep = calloc(1, sizeof(*rep));
	int r = rep == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : eval_init(&ev, err);
	if (r < 0) {
		eval_clear(&ev);
		return r;
	}
	const struct sig_reqs *reqs = sig_policy_select(p, img->transport, ev.identity, ev.ns,
	                                                &rep->scope);
	cc_buf reasons;
	cc_buf_init(&reasons, REASONS_MAX);
	if (rep->scope == NULL || (rep->v = calloc(reqs->n, sizeof(*rep->v))) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = eval_all(&ev, reqs, rep, &reasons, err);
	if (r == 0 && reasons.len > 0)
		r = cc_error_set(err, -EPERM, "image %s:%s rejected by policy (scope %s): %s",
		                 img->transport, ev.identity, rep->scope, reasons.p);
	cc_buf_free(&reasons);
	eval_clear(&ev);
	if (r < 0)
		return r;
	if (ret_report != NULL)
		*ret_report = TAKE_PTR(rep);
	return 0;
}

const char *sig_report_scope(const sig_report *r)
{
	return r->scope;
}

size_t sig_report_count(const sig_report *r)
{
	return r->n;
}

const char *sig_report_type(const sig_report *r, size_t i)
{
	return i < r->n ? sig_pr_type_name(r->v[i].type) : NULL;
}

const char *sig_report_detail(const sig_report *r, size_t i)
{
	return i < r->n ? r->v[i].detail : NULL;
}
