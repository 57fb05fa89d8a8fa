/* Image pull into an OCI runtime bundle (docs/image.md): the pipeline the
 * guest's image service runs and `cocoon image pull` drives.
 *
 *   resolve (index -> platform manifest) -> signature policy -> config
 *   -> layers downloaded in parallel into a content-addressed blob cache
 *   -> each layer, in order, from its cached blob:
 *        blob digest + size -> ocicrypt (HMAC, plaintext digest)
 *        -> decompress (bounded) -> diff_id -> tar unpack (in the root)
 *   -> config.json -> the staged bundle renamed into place.
 *
 * Everything streams: heap use does not grow with layer size. A pull that
 * fails anywhere leaves no bundle (and no partial rootfs) behind.
 *
 * The cache holds blobs under the digest of their bytes as the registry
 * serves them: an encrypted layer is cached as ciphertext and has to be
 * decrypted, with a key, every time it is applied. Nothing is ever reused
 * by diff_id (the plaintext digest), so a plaintext copy of the same layer
 * from another image can never stand in for an encrypted one (the
 * containerd chainID reuse problem).
 */
#ifndef COCOON_IMAGE_PULL_H
#define COCOON_IMAGE_PULL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "digest.h"
#include "registry.h"
#include "ref.h"

typedef struct ocicrypt_keys ocicrypt_keys;
typedef struct sig_policy sig_policy;
typedef struct sig_lookaside sig_lookaside;
struct sig_callbacks;

/* What the progress callback is told about. Calls are serialized. */
enum img_pull_event {
	IMG_PULL_RESOLVED,    /* index: -, count: layers; the manifest is known */
	IMG_PULL_VERIFIED,    /* the signature policy accepted the image (detail: scope) */
	IMG_PULL_BLOB,        /* bytes of layer index arrived (done/total) */
	IMG_PULL_BLOB_DONE,   /* layer index is in the cache (cached: it already was) */
	IMG_PULL_APPLIED,     /* layer index is unpacked (done: its tar bytes) */
};

struct img_pull_progress {
	enum img_pull_event event;
	size_t index, count;
	const img_digest *digest; /* the layer's blob digest (BLOB*, APPLIED) */
	uint64_t done, total;
	bool cached;
	const char *detail;
};

typedef void (*img_pull_progress_fn)(void *ctx, const struct img_pull_progress *p);

struct img_pull_opts {
	struct img_registry_opts registry;  /* docker:// sources */
	const ocicrypt_keys *keys;          /* decryption keys, or NULL */
	/* The signature policy. NULL is an error unless insecure_no_policy
	 * says to run no check at all (skopeo's --insecure-policy). */
	const sig_policy *policy;
	bool insecure_no_policy;
	const sig_lookaside *lookaside;     /* registries.d; may be NULL */
	/* Resolves key URIs in the policy (kbs:///...), or NULL. */
	int (*get_resource)(void *ctx, const char *uri, size_t max, void **ret, size_t *ret_len,
	                    cc_error **err);
	void *resource_ctx;
	/* The blob cache directory (created if missing). NULL: a temporary one
	 * next to the bundle, removed when the pull ends. */
	const char *cache_dir;
	unsigned jobs;                      /* parallel downloads (default 3, at most 16) */
	const char *os, *arch, *variant;    /* platform; NULL: this machine's */
	img_pull_progress_fn progress;
	void *progress_ctx;
};

void img_pull_opts_init(struct img_pull_opts *o);

struct img_pull_result {
	img_digest manifest;      /* the platform manifest's digest */
	img_digest config;        /* the image config's digest */
	size_t layers;
	uint64_t fetched_bytes;   /* blob bytes downloaded */
	uint64_t cached_bytes;    /* blob bytes found in the cache */
	uint64_t unpacked_bytes;  /* tar bytes applied */
};

/* Pulls the image at src (docker:// or oci:) into bundle: bundle/rootfs
 * and bundle/config.json, laid out as `umoci unpack` does. bundle must not
 * exist, or be an empty directory. result may be NULL. */
int img_pull(const img_location *src, const char *bundle, const struct img_pull_opts *o,
             struct img_pull_result *result, cc_error **err);

#endif
