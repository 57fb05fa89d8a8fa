/* Registry authentication pieces (docs/image.md, "Registry client"):
 * WWW-Authenticate challenges (RFC 7235 §2.1, as distribution's
 * registry/client/auth/challenge reads them), token answers of a Docker
 * token server (distribution docs/spec/auth/token.md), and credentials from
 * containers/docker auth files (containers-auth.json(5)). */
#ifndef COCOON_IMAGE_AUTH_H
#define COCOON_IMAGE_AUTH_H

#include <stddef.h>

#include "cocoon/error.h"

typedef struct img_challenge {
	char *scheme;  /* lower case: "basic", "bearer", ... */
	char *realm, *service, *scope; /* NULL when absent */
} img_challenge;

/* Parses one WWW-Authenticate header value (n bytes, no NUL needed) into
 * an array of challenges (*ret, *count; free with img_challenges_free).
 * Malformed text gives -EINVAL naming the offset. */
int img_challenges_parse(const char *hdr, size_t n, img_challenge **ret, size_t *count,
                         cc_error **err);
void img_challenges_free(img_challenge *c, size_t count);

/* Reads a token server's JSON answer: "token" or "access_token" (a
 * printable ASCII string), and "expires_in" seconds (default 60, as the
 * spec says). *ret_token is a new string the caller wipes and frees. */
int img_token_parse(const char *body, size_t n, char **ret_token, long *ret_expires_in,
                    cc_error **err);

/* Credentials for a registry: user and password (or an identity token in
 * the password with user "<token>"). */
typedef struct img_creds {
	char *user, *password;
} img_creds;

/* Wipes and frees the strings. */
void img_creds_clear(img_creds *c);

/* Parses "USER:PASSWORD" (skopeo --creds). */
int img_creds_parse(const char *s, img_creds *ret, cc_error **err);

/* Looks up credentials for the repository name "domain/path" in the auth
 * file at path (JSON: {"auths": {"<registry>[/<namespace>...]": {"auth":
 * base64("user:password")}}}): the longest key that is the domain or a
 * namespace prefix of name wins; keys may carry http(s):// and /v1/ as the
 * docker CLI writes them, and index.docker.io means docker.io. Returns 0 and
 * fills *ret, -ENOENT when the file has no entry, or another error for an
 * unreadable or malformed file. */
int img_auth_file_lookup(const char *path, const char *name, img_creds *ret, cc_error **err);

/* The auth file containers/image would read: $REGISTRY_AUTH_FILE, else
 * $XDG_RUNTIME_DIR/containers/auth.json, else ~/.docker/config.json, the
 * first that exists. A new string, or NULL when none exists. */
char *img_auth_file_default(void);

#endif
