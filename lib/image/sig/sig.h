/* Image signature policy: "may this image run?" (docs/signatures.md).
 *
 * The semantics are containers/image's signature/ package (the few
 * differences, mostly where image-rs and CoCo's policies behave otherwise,
 * are listed in docs/signatures.md):
 *   - a containers-policy.json(5) policy picks a list of requirements for
 *     the image (transport, then the most specific scope), and every
 *     requirement of the list must accept the image;
 *   - "signedBy" (GPGKeys) accepts an image when one of its simple-signing
 *     signatures, read from the lookaside storage that registries.d(5)
 *     configures, is by one of the requirement's keys and names the image's
 *     manifest digest and an identity that "signedIdentity" accepts;
 *   - "sigstoreSigned" (public keys) does the same for cosign signatures,
 *     read from the registry as the OCI image <repo>:sha256-<hex>.sig.
 *
 * Nothing here prints or talks to a registry itself: keys named by a URI
 * (kbs:///default/gpg-public-key/test) and everything from the registry
 * come through struct sig_callbacks. Lookaside signatures are read from
 * file:// (beneath the configured directory) or http(s):// (libcurl).
 */
#ifndef COCOON_IMAGE_SIG_H
#define COCOON_IMAGE_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "digest.h"

/* ---- containers-policy.json ---------------------------------------- */

typedef struct sig_policy sig_policy;

/* Parses a containers-policy.json document (n bytes at json, at most
 * CC_IMG_MAX_SIG_POLICY_BYTES), as strictly as containers/image does:
 * unknown or duplicate keys, wrong types, unknown requirement or identity
 * types, an empty requirement list and a missing "default" are errors
 * (-EINVAL) naming the place ("transports.docker[\"quay.io\"][0]: ...").
 * On success *ret is a policy the caller frees with sig_policy_free(). */
int sig_policy_load(const char *json, size_t n, sig_policy **ret, cc_error **err);

/* Frees p; NULL is a no-op. */
void sig_policy_free(sig_policy *p);

/* ---- registries.d / sigstore config (lookaside locations) ----------- */

typedef struct sig_lookaside sig_lookaside;

/* An empty configuration (no lookaside anywhere). NULL on OOM. */
sig_lookaside *sig_lookaside_new(void);

/* Merges one registries.d YAML document (n bytes at yaml, at most
 * CC_IMG_MAX_SIG_CONFIG_BYTES; name is used in messages) into l, as
 * image-rs merges the files of a sigstore config directory: a
 * "default-docker" or a "docker" namespace that two documents define
 * differently is an error (-EINVAL, naming both); an identical second
 * definition is dropped (containers/image refuses that too; see
 * docs/signatures.md). On failure l is unchanged. */
int sig_lookaside_add(sig_lookaside *l, const char *name, const char *yaml, size_t n,
                      cc_error **err);

/* Reads every *.yaml file of dir (in name order) into a new configuration;
 * a missing directory gives an empty one, as in containers/image. */
int sig_lookaside_load_dir(const char *dir, sig_lookaside **ret, cc_error **err);

/* The lookaside base URL configured for a docker reference ("docker.io/
 * library/busybox:latest"), in *ret (malloc'd; NULL when none is
 * configured), followed by "/" and the repository path, as signatures are
 * looked up under it. */
int sig_lookaside_url(const sig_lookaside *l, const char *reference, char **ret, cc_error **err);

/* Frees l; NULL is a no-op. */
void sig_lookaside_free(sig_lookaside *l);

/* ---- the admission check -------------------------------------------- */

/* The image being admitted. */
struct sig_image {
	/* "docker" for images from a registry; other containers/image transport
	 * names ("oci", "dir", ...) select their own policy scopes. */
	const char *transport;
	/* docker: the reference as pulled ("docker.io/library/busybox:latest";
	 * short forms are normalized, a missing tag means ":latest"; a tag and
	 * a digest together are rejected). Other transports: the policy
	 * identity (an absolute path, for "oci" "PATH:NAME"). */
	const char *reference;
	/* The image manifest as fetched (the per-platform one). */
	const void *manifest;
	size_t manifest_len;
	/* Its media type (NULL if unknown; schema 1 manifests are rejected). */
	const char *manifest_media_type;
	/* The index (manifest list) digest when the image was pulled through
	 * one, else NULL: a signature may name either digest. */
	const img_digest *index_digest;
};

struct sig_callbacks {
	/* Reads the bytes a key reference names when it is a URI
	 * ("kbs:///default/gpg-public-key/test"; plain absolute paths are read
	 * from the file system without the callback). At most max bytes.
	 * Returns 0 with *ret (malloc'd, freed by the caller) and *ret_len, or
	 * a negative errno with *err set. NULL: URIs are an error. */
	int (*get_resource)(void *ctx, const char *uri, size_t max, void **ret, size_t *ret_len,
	                    cc_error **err);
	/* Fetches a manifest of repository repo ("docker.io/library/busybox")
	 * by tag or digest ("sha256-<hex>.sig"), at most max bytes. Returns 0
	 * with *ret (malloc'd) and *ret_media_type (malloc'd, may be NULL),
	 * -ENOENT when the registry has no such manifest, or another negative
	 * errno. NULL: there are no cosign signatures. */
	int (*get_manifest)(void *ctx, const char *repo, const char *tag_or_digest, size_t max,
	                    void **ret, size_t *ret_len, char **ret_media_type, cc_error **err);
	/* Fetches blob d of repo: size bytes (the descriptor's), never more than
	 * max. Returns 0 with *ret (malloc'd) and *ret_len, or a negative errno.
	 * The bytes are checked against d here, so the callback need not. */
	int (*get_blob)(void *ctx, const char *repo, const img_digest *d, int64_t size, size_t max,
	                void **ret, size_t *ret_len, cc_error **err);
	/* Directory for the temporary GnuPG homes of signedBy checks (NULL:
	 * $TMPDIR, else /tmp). Each is created 0700 and removed afterwards. */
	const char *tmpdir;
	/* Extra CA certificates (PEM file) for https:// lookaside storage, or
	 * NULL for the system's. */
	const char *ca_file;
};

typedef struct sig_report sig_report;

/* Decides whether policy p admits image img: 0 when every requirement of
 * the list p selects for it accepts it, with *ret_report (if ret_report is
 * not NULL) describing which requirement accepted what; -EPERM when the
 * policy rejects it, with *err naming every requirement that did not
 * accept it and why (every signature rejected, and the reason for each).
 * Failures that are not a decision (-ENOMEM, an unreadable lookaside, a
 * callback error, a malformed sig_image: -EINVAL) return their own code;
 * anything but 0 means "do not run". l may be NULL (no lookaside
 * configured); cb may be NULL (no callbacks). Thread-safe for distinct
 * calls on the same p and l. */
int sig_policy_check(const sig_policy *p, const sig_lookaside *l, const struct sig_image *img,
                     const struct sig_callbacks *cb, void *ctx, sig_report **ret_report,
                     cc_error **err);

/* The policy scope that was used: "docker:quay.io/ns" ("transport:scope"),
 * "docker:" for the transport's "" scope, or "default". */
const char *sig_report_scope(const sig_report *r);
/* Requirements evaluated (the length of the selected list). */
size_t sig_report_count(const sig_report *r);
/* Requirement i's type ("signedBy", ...) and what accepted it
 * ("signature 1 at file:///...: key 8E61...; identity quay.io/...").
 * NULL when i is out of range. */
const char *sig_report_type(const sig_report *r, size_t i);
const char *sig_report_detail(const sig_report *r, size_t i);
/* Frees r; NULL is a no-op. */
void sig_report_free(sig_report *r);

#endif
