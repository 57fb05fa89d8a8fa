/* The parsed containers-policy.json (internal to lib/image/sig). */
#ifndef COCOON_IMAGE_SIG_POLICY_INT_H
#define COCOON_IMAGE_SIG_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cocoon/error.h"
#include "dockerref.h"
#include "sig.h"

/* signedIdentity (policy_reference_match.go) */
enum sig_prm_type {
	SIG_PRM_MATCH_EXACT,
	SIG_PRM_MATCH_REPO_DIGEST_OR_EXACT,
	SIG_PRM_MATCH_REPOSITORY,
	SIG_PRM_EXACT_REFERENCE,  /* a = dockerReference */
	SIG_PRM_EXACT_REPOSITORY, /* a = dockerRepository */
	SIG_PRM_REMAP_IDENTITY,   /* a = prefix, b = signedPrefix */
};

struct sig_prm {
	enum sig_prm_type type;
	char *a, *b;
};

/* requirement types (policy_types.go) */
enum sig_pr_type {
	SIG_PR_INSECURE_ACCEPT_ANYTHING,
	SIG_PR_REJECT,
	SIG_PR_SIGNED_BY,
	SIG_PR_SIGNED_BASE_LAYER,
	SIG_PR_SIGSTORE_SIGNED,
};

struct sig_keydata {
	unsigned char *p;
	size_t n;
};

struct sig_pr {
	enum sig_pr_type type;
	/* signedBy and sigstoreSigned: the key sources (one kind is set) */
	char **key_paths; /* keyPath (one entry) or keyPaths */
	size_t n_key_paths;
	struct sig_keydata *key_datas; /* keyData (one entry) or keyDatas */
	size_t n_key_datas;
	struct sig_prm identity; /* signedIdentity, or baseLayerIdentity */
	/* Why this requirement can never accept an image here (a static
	 * string: an unimplemented keyType, Fulcio, Rekor, PKI, ...), or NULL. */
	const char *unsupported;
};

struct sig_reqs {
	struct sig_pr *v;
	size_t n;
};

struct sig_scope {
	char *name;
	struct sig_reqs reqs;
};

struct sig_transport {
	char *name;
	struct sig_scope *v;
	size_t n;
};

struct sig_policy {
	struct sig_reqs def;
	struct sig_transport *t;
	size_t nt;
};

/* The name of a requirement type ("signedBy", ...). */
const char *sig_pr_type_name(enum sig_pr_type t);

/* Parses one signedIdentity object (also used by tests). */
int sig_prm_from_json(json_t *obj, struct sig_prm *ret, cc_error **err);
void sig_prm_clear(struct sig_prm *m);

/* Whether a signature's docker-reference (untrusted text) is accepted for
 * the image whose reference is intended (tagged or digested), under m
 * (policy_reference_match.go). */
bool sig_prm_matches(const struct sig_prm *m, const sig_dockerref *intended,
                     const char *signature_ref);

/* The requirement list policy p selects for transport/identity, and a
 * description of the scope used ("docker:quay.io/ns", "default"), as
 * containers/image's requirementsForImageRef chooses it. namespaces is the
 * NULL-terminated list of parent scopes to try after identity (may be
 * NULL). */
const struct sig_reqs *sig_policy_select(const sig_policy *p, const char *transport,
                                         const char *identity, char *const *namespaces,
                                         char **ret_scope_desc);

#endif
