/* signedIdentity matching (containers/image signature/
 * policy_reference_match.go): whether the docker-reference a signature
 * claims is acceptable for the image being admitted. References are
 * compared in their canonical forms, never as raw text. */
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

/* matchRepoDigestOrExactReferenceValues */
static bool repo_digest_or_exact(const sig_dockerref *intended, const sig_dockerref *signature)
{
	if (sig_dockerref_name_only(signature))
		return false;
	if (sig_dockerref_tag(intended) != NULL) /* also when it has a digest too */
		return strcmp(sig_dockerref_string(signature), sig_dockerref_string(intended)) == 0;
	if (sig_dockerref_digest(intended) != NULL)
		return strcmp(sig_dockerref_name(signature), sig_dockerref_name(intended)) == 0;
	return false;
}

static bool exact(const sig_dockerref *a, const sig_dockerref *b)
{
	return !sig_dockerref_name_only(a) && !sig_dockerref_name_only(b) &&
	       strcmp(sig_dockerref_string(a), sig_dockerref_string(b)) == 0;
}

static bool same_name(const sig_dockerref *a, const sig_dockerref *b)
{
	return strcmp(sig_dockerref_name(a), sig_dockerref_name(b)) == 0;
}

/* prmRemapIdentity.refMatchesPrefix: the name is prefix or starts with
 * prefix "/" (a domain "host:port" must match exactly). */
static bool ref_matches_prefix(const sig_dockerref *r, const char *prefix)
{
	const char *name = sig_dockerref_name(r);
	size_t n = strlen(name), p = strlen(prefix);
	if (n < p)
		return false;
	if (n == p)
		return strcmp(name, prefix) == 0;
	return strncmp(name, prefix, p) == 0 && name[p] == '/';
}

/* remapIdentity: the intended reference with prefix replaced by
 * signedPrefix, which must parse in canonical form; NULL on failure. */
static sig_dockerref *remap(const struct sig_prm *m, const sig_dockerref *intended)
{
	const char *s = sig_dockerref_string(intended);
	size_t n = strlen(s), p = strlen(m->a), sp = strlen(m->b);
	char *out = malloc(n - p + sp + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, m->b, sp);
	memcpy(out + sp, s + p, n - p + 1);
	sig_dockerref *r = NULL;
	if (sig_dockerref_parse_canonical(out, strlen(out), &r, NULL) < 0)
		r = NULL;
	free(out);
	return r;
}

static bool remap_matches(const struct sig_prm *m, const sig_dockerref *intended,
                          const sig_dockerref *signature)
{
	if (!ref_matches_prefix(intended, m->a))
		return repo_digest_or_exact(intended, signature);
	sig_dockerref *r = remap(m, intended);
	bool ok = r != NULL && repo_digest_or_exact(r, signature);
	sig_dockerref_free(r);
	return ok;
}

/* exactReference / exactRepository: compare with the policy's reference. */
static bool fixed_matches(const struct sig_prm *m, const sig_dockerref *signature)
{
	sig_dockerref *want = NULL;
	if (sig_dockerref_parse(m->a, strlen(m->a), &want, NULL) < 0)
		return false;
	bool ok = m->type == SIG_PRM_EXACT_REFERENCE ? exact(want, signature)
	                                              : same_name(want, signature);
	sig_dockerref_free(want);
	return ok;
}

bool sig_prm_matches(const struct sig_prm *m, const sig_dockerref *intended,
                     const char *signature_ref)
{
	sig_dockerref *sig = NULL;
	if (sig_dockerref_parse(signature_ref, strlen(signature_ref), &sig, NULL) < 0)
		return false;
	bool ok = false;
	switch (m->type) {
	case SIG_PRM_MATCH_EXACT:
		ok = exact(intended, sig);
		break;
	case SIG_PRM_MATCH_REPO_DIGEST_OR_EXACT:
		ok = repo_digest_or_exact(intended, sig);
		break;
	case SIG_PRM_MATCH_REPOSITORY:
		ok = same_name(intended, sig);
		break;
	case SIG_PRM_EXACT_REFERENCE:
	case SIG_PRM_EXACT_REPOSITORY:
		ok = fixed_matches(m, sig);
		break;
	case SIG_PRM_REMAP_IDENTITY:
		ok = remap_matches(m, intended, sig);
		break;
	}
	sig_dockerref_free(sig);
	return ok;
}
