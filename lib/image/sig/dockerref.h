/* Docker references as containers/image's policy code reads them
 * (distribution/reference: reference.go regexp.go normalize.go):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 *
 * Signature identities are compared through these: two references match
 * when their canonical strings (name[:tag][@digest]) or their names are
 * equal, exactly as containers/image compares them. */
#ifndef COCOON_IMAGE_SIG_DOCKERREF_H
#define COCOON_IMAGE_SIG_DOCKERREF_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"

typedef struct sig_dockerref sig_dockerref;

/* reference.ParseNormalizedNamed: parses n bytes at s (no NUL needed, at
 * most CC_IMG_MAX_REF_BYTES) and normalizes the familiar forms: no domain
 * means docker.io, a single path component on docker.io gets "library/",
 * index.docker.io is docker.io. A first component is a domain when it has
 * a '.' or ':', is "localhost", or has upper-case letters. Errors (-EINVAL)
 * name the part at fault. */
int sig_dockerref_parse(const char *s, size_t n, sig_dockerref **ret, cc_error **err);

/* reference.ParseNamed: like sig_dockerref_parse, but s must already be in
 * canonical form ("docker.io/library/busybox:latest", not "busybox"). */
int sig_dockerref_parse_canonical(const char *s, size_t n, sig_dockerref **ret, cc_error **err);

/* reference.TagNameOnly: a name-only reference gets ":latest". Returns 0
 * or -ENOMEM (r unchanged). */
int sig_dockerref_tag_name_only(sig_dockerref *r);

/* The parts: name "docker.io/library/busybox", domain "docker.io", path
 * "library/busybox", tag (NULL if none), digest "sha256:..." (NULL if
 * none), string name[:tag][@digest]. */
const char *sig_dockerref_name(const sig_dockerref *r);
const char *sig_dockerref_domain(const sig_dockerref *r);
const char *sig_dockerref_path(const sig_dockerref *r);
const char *sig_dockerref_tag(const sig_dockerref *r);
const char *sig_dockerref_digest(const sig_dockerref *r);
const char *sig_dockerref_string(const sig_dockerref *r);

/* reference.IsNameOnly: neither a tag nor a digest. */
bool sig_dockerref_name_only(const sig_dockerref *r);

/* Whether n bytes at s are a reference domain (host[:port]) or a
 * repository path (lower-case components separated by '/'). */
bool sig_dockerref_domain_ok(const char *s, size_t n);
bool sig_dockerref_path_ok(const char *s, size_t n);

/* Frees r; NULL is a no-op. */
void sig_dockerref_free(sig_dockerref *r);

/* The policy namespaces of a docker reference, most specific first
 * (containers/image docker/policyconfiguration DockerReferenceNamespaces):
 * the name, each parent namespace up to the domain, then "*.<parent
 * domain>" wildcards of the domain without its port. For
 * "quay.io:443/ns/repo": quay.io:443/ns/repo, quay.io:443/ns, quay.io:443,
 * *.io. Returns 0 with a NULL-terminated malloc'd array of malloc'd
 * strings (free with sig_strv_free), or -ENOMEM. */
int sig_dockerref_namespaces(const sig_dockerref *r, char ***ret);

/* Frees a NULL-terminated array of strings; NULL is a no-op. */
void sig_strv_free(char **v);

#endif
