/* A client for one repository of an OCI distribution registry
 * (distribution-spec spec.md: pull and push endpoints), over HTTPS (or
 * HTTP when TLS verification is turned off, as skopeo's --tls-verify=false
 * allows), with anonymous, Basic and Bearer-token authentication
 * (docs/image.md, "Registry client").
 *
 * Everything the registry sends is bounded: manifests by
 * CC_IMG_MAX_MANIFEST_BYTES, blobs by their descriptor's size, other
 * answers by CC_IMG_MAX_SMALL_BODY. Blobs are checked against their digest
 * while they arrive; a blob download that breaks off resumes with a Range
 * request. Manifest and upload requests never follow redirects; blob
 * downloads do (to https only unless TLS verification is off), without
 * sending credentials to another host. The blob calls are thread-safe; the
 * others are not to be called concurrently with each other. */
#ifndef COCOON_IMAGE_REGISTRY_H
#define COCOON_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "cocoon/error.h"
#include "digest.h"
#include "ref.h"

struct img_registry_opts {
	bool tls_verify;        /* false: no certificate checks, plain http allowed */
	const char *cert_dir;   /* containers-certs.d(5) style: *.crt CAs, *.cert + *.key */
	const img_creds *creds; /* explicit credentials, or NULL */
	const char *auth_file;  /* auth.json path; NULL: the default search; "": none */
	long low_speed_time;    /* seconds below 1 KiB/s before a transfer fails (60) */
	unsigned retries;       /* extra attempts for GETs on transient failures (3) */
	unsigned retry_delay_ms;/* first back-off (200 ms), doubled each time */
};

/* Default options: TLS verified, default auth file, 60 s, 3 retries. */
void img_registry_opts_init(struct img_registry_opts *o);

typedef struct img_registry img_registry;

/* A client for ref's registry and repository (its tag/digest is not
 * used). Credentials come from opts->creds, else the auth file. Nothing
 * is sent until the first call. */
int img_registry_new(const img_ref *ref, const struct img_registry_opts *opts,
                     img_registry **ret, cc_error **err);
void img_registry_free(img_registry *r);

/* A manifest or index: bytes, the registry's Content-Type and the digest
 * of the bytes (sha256, or the algorithm of the digest asked for). */
typedef struct img_fetched {
	char *body;
	size_t len;
	char *content_type;
	img_digest digest;
} img_fetched;
void img_fetched_clear(img_fetched *f);

/* GET /v2/<name>/manifests/<object> (a tag or a digest). When object is a
 * digest, the bytes must hash to it (-EBADMSG otherwise); when the
 * registry sends Docker-Content-Digest, it must match too. -ENOENT when the
 * registry does not have it. */
int img_registry_get_manifest(img_registry *r, const char *object, img_fetched *ret,
                              cc_error **err);

/* Progress of a blob download: bytes so far and total. Called from the
 * thread that runs the download. */
typedef void (*img_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* GET /v2/<name>/blobs/<digest> into fd (written from its current offset;
 * on success exactly size bytes were written there and they hash to
 * digest). A failed download leaves garbage in fd: the caller discards it.
 * Thread-safe. */
int img_registry_get_blob(img_registry *r, const img_digest *digest, int64_t size, int fd,
                          img_progress_fn progress, void *ctx, cc_error **err);

/* A small blob (an image config) into memory: at most max bytes and, if
 * size >= 0, exactly size bytes; checked against digest. */
int img_registry_get_blob_mem(img_registry *r, const img_digest *digest, int64_t size, size_t max,
                              char **ret_body, size_t *ret_len, cc_error **err);

/* HEAD /v2/<name>/blobs/<digest>: *ret true when the registry has it. */
int img_registry_blob_exists(img_registry *r, const img_digest *digest, bool *ret, cc_error **err);

/* Uploads size bytes read from fd (from its current offset) as the blob
 * digest: POST .../blobs/uploads/ then one PUT ...?digest=. */
int img_registry_put_blob(img_registry *r, const img_digest *digest, int64_t size, int fd,
                          cc_error **err);

/* PUT /v2/<name>/manifests/<object> with the given media type. */
int img_registry_put_manifest(img_registry *r, const char *object, const void *body, size_t len,
                              const char *media_type, cc_error **err);

/* "host/path", for messages. */
const char *img_registry_name(const img_registry *r);

#endif
