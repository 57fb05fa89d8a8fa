/* The pull pipeline (pull.h). */
#include "pull.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cache.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "copy.h"
#include "manifest.h"
#include "ocicrypt.h"
#include "sig.h"
#include "sigsrc.h"
#include "store.h"
#include "unpack.h"

void img_pull_opts_init(struct img_pull_opts *o)
{
	memset(o, 0, sizeof(*o));
	img_registry_opts_init(&o->registry);
}

/* ---- one pull ----------------------------------------------------------------- */

enum slot_state { SLOT_PENDING, SLOT_BUSY, SLOT_READY };

struct slot {
	size_t first;           /* the first layer with this digest: it is downloaded */
	enum slot_state state;
	bool cached;
	int fd;                 /* the verified blob (the first slot of a digest), or -1 */
	enum img_compression compression;
	bool encrypted;
	const char *plain_type; /* encrypted layers: the type under the encryption */
};

struct pull {
	const struct img_pull_opts *o;
	img_store *store;
	img_blob_cache *cache;
	img_manifest *m;
	img_config *cfg;
	struct slot *slots;
	pthread_mutex_t mu;     /* slots, next, rc, err, counters */
	pthread_cond_t cv;
	pthread_mutex_t pmu;    /* progress calls */
	size_t next;
	bool stop;
	int rc;
	cc_error *err;
	uint64_t fetched, cached_bytes;
};

static void report(struct pull *p, const struct img_pull_progress *ev)
{
	if (p->o->progress == NULL)
		return;
	pthread_mutex_lock(&p->pmu);
	p->o->progress(p->o->progress_ctx, ev);
	pthread_mutex_unlock(&p->pmu);
}

struct blob_ctx {
	struct pull *p;
	size_t index;
};

static void on_bytes(void *ctx, uint64_t done, uint64_t total)
{
	struct blob_ctx *b = ctx;
	struct img_pull_progress ev = {.event = IMG_PULL_BLOB, .index = b->index,
	                               .count = b->p->m->nlayers,
	                               .digest = &b->p->m->layers[b->index].digest,
	                               .done = done, .total = total};
	report(b->p, &ev);
}

/* Whether the n-byte file at fd holds blob d (its digest; size not
 * assumed). 0 yes, -EBADMSG no, another negative errno if unreadable. */
static int verify_fd(int fd, const img_digest *d, cc_error **err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return cc_error_set(err, -errno, "lseek: %s", strerror(errno));
	img_reader *r = img_digest_reader(img_reader_fd(fd, false), d, -1, "cached blob");
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int rc = img_reader_drain(r, err);
	img_reader_free(r);
	return rc;
}

/* Gets layer i's blob into the cache; *ret_fd gets it opened, verified
 * (digest and size) by the download, or of the right size when it was
 * cached (its digest is checked again while it is applied). */
static int fetch_one(struct pull *p, size_t i, bool *ret_cached, int *ret_fd, cc_error **err)
{
	const img_descriptor *d = &p->m->layers[i];
	int fd = img_blob_cache_get(p->cache, &d->digest, err);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_size == d->size) {
			*ret_cached = true;
			*ret_fd = fd;
			return 0;
		}
		/* The wrong size: a cache entry gone bad (dropped and fetched
		 * again), or a descriptor that lies about a good blob (an error;
		 * the blob stays). */
		cc_error *e = NULL;
		int vr = verify_fd(fd, &d->digest, &e);
		close(fd);
		cc_error_free(e);
		if (vr == 0)
			return cc_error_set(err, -EBADMSG, "the descriptor gives %" PRId64 " bytes; the blob "
			                    "with its digest has %lld", d->size, (long long)st.st_size);
		img_blob_cache_drop(p->cache, &d->digest);
	} else if (fd != -ENOENT) {
		return fd;
	}
	*ret_cached = false;
	char *token = NULL;
	fd = img_blob_cache_begin(p->cache, &token, err);
	if (fd < 0)
		return fd;
	struct blob_ctx bc = {p, i};
	int rc = img_store_get_blob_fd(p->store, &d->digest, d->size, fd, on_bytes, &bc, err);
	if (rc == 0)
		rc = img_blob_cache_commit(p->cache, token, fd, &d->digest, err);
	else
		img_blob_cache_abort(p->cache, token);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*ret_fd = fd;
	return 0;
}

static void fail(struct pull *p, int rc, cc_error **e)
{
	pthread_mutex_lock(&p->mu);
	if (p->rc == 0) {
		p->rc = rc;
		cc_error_move(&p->err, e);
	}
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	cc_error_free(*e);
	*e = NULL;
}

static void *worker(void *arg)
{
	struct pull *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->next < p->m->nlayers && p->slots[p->next].first != p->next)
			p->next++;
		size_t i = p->next++;
		bool stop = p->stop || i >= p->m->nlayers;
		if (!stop)
			p->slots[i].state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			return NULL;
		cc_error *e = NULL;
		bool cached = false;
		int fd = -1;
		int rc = fetch_one(p, i, &cached, &fd, &e);
		if (rc < 0) {
			char dg[IMG_DIGEST_STR_MAX];
			cc_error_wrap(&e, "layer %zu (%s)", i + 1, img_digest_format(&p->m->layers[i].digest, dg));
			fail(p, rc, &e);
			return NULL;
		}
		uint64_t size = (uint64_t)p->m->layers[i].size;
		pthread_mutex_lock(&p->mu);
		p->slots[i].state = SLOT_READY;
		p->slots[i].cached = cached;
		p->slots[i].fd = fd;
		if (cached)
			p->cached_bytes += size;
		else
			p->fetched += size;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		struct img_pull_progress ev = {.event = IMG_PULL_BLOB_DONE, .index = i,
		                               .count = p->m->nlayers, .digest = &p->m->layers[i].digest,
		                               .done = size, .total = size, .cached = cached};
		report(p, &ev);
	}
}

/* Waits until layer i's blob is in the cache (or the pull failed). */
static int wait_ready(struct pull *p, size_t i, cc_error **err)
{
	size_t f = p->slots[i].first;
	pthread_mutex_lock(&p->mu);
	while (p->rc == 0 && p->slots[f].state != SLOT_READY)
		pthread_cond_wait(&p->cv, &p->mu);
	int rc = p->rc;
	if (rc < 0)
		cc_error_move(err, &p->err);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* After layer i failed to apply with rc: if its blob no longer has its
 * digest (a cache file changed after it was verified), the error says so
 * and the entry is dropped, so the next pull fetches it again. A blob that
 * holds its digest stays: the failure is the image's (HMAC, diff_id, a
 * hostile tar), not the cache's. */
static int check_cached_blob(struct pull *p, size_t i, int fd, int rc, cc_error **err)
{
	const img_descriptor *d = &p->m->layers[i];
	cc_error *e = NULL;
	if (verify_fd(fd, &d->digest, &e) == -EBADMSG) {
		img_blob_cache_drop(p->cache, &d->digest);
		cc_error_free(*err);
		*err = NULL;
		rc = cc_error_set(err, -EBADMSG, "layer %zu: the cached blob changed after it was "
		                  "verified (%s); removed it from the cache, pull again",
		                  i + 1, cc_error_message(e));
	}
	cc_error_free(e);
	return rc;
}

/* Applies layer i from the cache onto rootfd. */
static int apply_one(struct pull *p, size_t i, int rootfd, uint64_t *ret_tar, cc_error **err)
{
	const img_descriptor *d = &p->m->layers[i];
	const struct slot *s = &p->slots[i];
	int fd = p->slots[s->first].fd;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return cc_error_set(err, -errno, "lseek: %s", strerror(errno));
	char what[64];
	snprintf(what, sizeof(what), "layer %zu blob", i + 1);
	img_reader *r = img_digest_reader_offload(img_reader_fd(fd, false), &d->digest, d->size, what);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int rc;
	if (s->encrypted) {
		if ((rc = ocicrypt_decrypt_reader(p->o->keys, d->media_type, d->annotations, r, &r, err)) < 0)
			return rc;
	}
	r = img_decompress_reader(r, s->compression, CC_IMG_MAX_LAYER_UNPACKED);
	char dwhat[64];
	snprintf(dwhat, sizeof(dwhat), "layer %zu diff_id", i + 1);
	if (r)
		r = img_digest_reader_offload(r, &p->cfg->diff_ids[i], -1, dwhat);
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct img_unpack_stats st;
	rc = img_unpack_layer(rootfd, r, NULL, &st, err);
	img_reader_free(r);
	if (rc < 0)
		return check_cached_blob(p, i, fd, rc, err);
	if (rc == 0)
		*ret_tar = st.tar_bytes;
	return rc;
}

/* Checks every layer's media type before anything is downloaded: an
 * unhandled type, or an encrypted layer without keys, fails now. */
static int plan_layers(struct pull *p, cc_error **err)
{
	for (size_t i = 0; i < p->m->nlayers; i++) {
		const img_descriptor *d = &p->m->layers[i];
		struct slot *s = &p->slots[i];
		s->first = i;
		for (size_t k = 0; k < i; k++)
			if (img_digest_eq(&p->m->layers[k].digest, &d->digest)) {
				if (p->m->layers[k].size != d->size ||
				    strcmp(p->m->layers[k].media_type, d->media_type) != 0)
					return cc_error_set(err, -EINVAL, "layers %zu and %zu have the same digest "
					                    "but not the same size and media type", k + 1, i + 1);
				s->first = k;
				break;
			}
		const char *mt = d->media_type;
		s->plain_type = ocicrypt_media_type_plain(mt);
		s->encrypted = s->plain_type != NULL;
		if (s->encrypted)
			mt = s->plain_type;
		int rc = img_layer_media_type(mt, &s->compression, NULL, err);
		if (rc < 0)
			return cc_error_wrap(err, "layer %zu", i + 1);
		if (s->encrypted && p->o->keys == NULL)
			return cc_error_set(err, -EACCES,
			                    "layer %zu is encrypted (%s) and no decryption key was given",
			                    i + 1, d->media_type);
	}
	return 0;
}

/* ---- file system around the bundle ------------------------------------------------ */

struct stage {
	int parentfd;   /* the bundle's parent directory */
	char *base;     /* the bundle's name in it */
	char *name;     /* the staging directory's name in parent */
	char *cache;    /* temporary cache directory (absolute), or NULL */
};

static int stage_begin(const char *bundle, bool want_cache, struct stage *st, cc_error **err)
{
	memset(st, 0, sizeof(*st));
	st->parentfd = -1;
	_cleanup_free_ char *b1 = strdup(bundle), *b2 = strdup(bundle);
	if (b1 == NULL || b2 == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const char *dir = dirname(b1), *base = basename(b2);
	if (strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return cc_error_set(err, -EINVAL, "bundle '%s': not a directory name", bundle);
	st->parentfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->parentfd < 0)
		return cc_error_set(err, -errno, "bundle '%s': %s: %s", bundle, dir, strerror(errno));
	st->base = strdup(base);
	if (st->base == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct stat sb;
	if (fstatat(st->parentfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return cc_error_set(err, -EEXIST, "bundle '%s' exists and is not a directory", bundle);
		int dfd = openat(st->parentfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *dh = dfd >= 0 ? fdopendir(dfd) : NULL;
		bool empty = dh != NULL;
		struct dirent *de;
		while (dh && (de = readdir(dh)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				empty = false;
		if (dh)
			closedir(dh);
		else if (dfd >= 0)
			close(dfd);
		if (!empty)
			return cc_error_set(err, -EEXIST, "bundle '%s' exists and is not empty", bundle);
	} else if (errno != ENOENT) {
		return cc_error_set(err, -errno, "bundle '%s': %s", bundle, strerror(errno));
	}
	char *tmpl = NULL;
	if (asprintf(&tmpl, "/proc/self/fd/%d/.%s.pull-XXXXXX", st->parentfd, base) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (mkdtemp(tmpl) == NULL) {
		int e = errno;
		free(tmpl);
		return cc_error_set(err, -e, "bundle '%s': staging directory: %s", bundle, strerror(e));
	}
	st->name = strdup(strrchr(tmpl, '/') + 1);
	free(tmpl);
	if (st->name == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (want_cache) {
		char *c = NULL;
		char abs[PATH_MAX];
		if (realpath(dir, abs) == NULL)
			return cc_error_set(err, -errno, "bundle '%s': %s: %s", bundle, dir, strerror(errno));
		if (asprintf(&c, "%s/.%s.cache-XXXXXX", abs, base) < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
		if (mkdtemp(c) == NULL) {
			int e = errno;
			free(c);
			return cc_error_set(err, -e, "bundle '%s': temporary blob cache: %s", bundle, strerror(e));
		}
		st->cache = c;
	}
	return 0;
}

static void stage_end(struct stage *st)
{
	if (st->parentfd >= 0 && st->name)
		img_remove_tree(st->parentfd, st->name);
	if (st->cache)
		img_remove_tree(AT_FDCWD, st->cache);
	if (st->parentfd >= 0)
		close(st->parentfd);
	free(st->base);
	free(st->name);
	free(st->cache);
}

static int write_config(int dirfd, const json_t *spec, cc_error **err)
{
	char *s = json_dumps(spec, JSON_COMPACT);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int fd = openat(dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	int rc = 0;
	if (fd < 0) {
		rc = cc_error_set(err, -errno, "config.json: %s", strerror(errno));
	} else {
		if ((rc = img_write_all(fd, s, strlen(s), err)) < 0)
			cc_error_wrap(err, "config.json");
		if (rc == 0 && fsync(fd) < 0)
			rc = cc_error_set(err, -errno, "config.json: %s", strerror(errno));
		close(fd);
	}
	free(s);
	return rc;
}

/* The cache must not be the bundle or inside it (the bundle is renamed
 * into place at the end and must be new). */
static int cache_outside(const struct stage *st, const char *cache_dir, const char *bundle,
                         cc_error **err)
{
	char c[PATH_MAX], b[PATH_MAX], self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", st->parentfd);
	ssize_t n = readlink(self, b, sizeof(b) - 1);
	if (realpath(cache_dir, c) == NULL || n < 0)
		return 0; /* nothing to compare: the rename would tell */
	b[n] = '\0';
	size_t bl = strlen(b);
	if (bl + 1 + strlen(st->base) + 1 > sizeof(b))
		return 0;
	snprintf(b + bl, sizeof(b) - bl, "%s%s", bl > 1 ? "/" : "", st->base);
	bl = strlen(b);
	if (strncmp(c, b, bl) == 0 && (c[bl] == '\0' || c[bl] == '/'))
		return cc_error_set(err, -EINVAL, "the cache directory %s is inside the bundle %s",
		                    cache_dir, bundle);
	return 0;
}

/* ---- the pipeline ------------------------------------------------------------------ */

static int check_signatures(struct pull *p, const img_location *src, const img_fetched *mb,
                            const img_digest *list, bool has_list, cc_error **err)
{
	const struct img_pull_opts *o = p->o;
	_cleanup_free_ char *ident = NULL;
	img_ref *untagged = NULL;
	struct sig_image img = {.manifest = mb->body, .manifest_len = mb->len,
	                        .manifest_media_type = p->m->media_type,
	                        .index_digest = has_list ? list : NULL};
	if (src->transport == IMG_TRANSPORT_DOCKER) {
		img.transport = "docker";
		/* name:tag@digest: the digest is what was pulled; the policy reads
		 * name@digest (containers/image refuses both together) */
		if (img_ref_tag(src->ref) && img_ref_digest(src->ref)) {
			untagged = img_ref_with(src->ref, NULL, img_ref_digest(src->ref));
			if (untagged == NULL)
				return cc_error_set(err, -ENOMEM, "out of memory");
		}
		img.reference = img_ref_string(untagged ? untagged : src->ref);
	} else {
		/* src->dir was resolved by img_pull */
		if (asprintf(&ident, "%s%s%s", src->dir, src->name ? ":" : "", src->name ? src->name : "") < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
		img.transport = "oci";
		img.reference = ident;
	}
	struct img_sigsrc ss = {.reg = img_store_registry(p->store), .ref = img_store_ref(p->store),
	                        .opts = &o->registry, .get_resource = o->get_resource,
	                        .resource_ctx = o->resource_ctx};
	struct sig_callbacks cb;
	img_sigsrc_callbacks(&ss, &cb);
	sig_report *rep = NULL;
	int rc = sig_policy_check(o->policy, o->lookaside, &img, &cb, &ss, &rep, err);
	img_ref_free(untagged);
	if (rc < 0)
		return cc_error_wrap(err, "signature policy");
	struct img_pull_progress ev = {.event = IMG_PULL_VERIFIED, .count = p->m->nlayers,
	                               .detail = sig_report_scope(rep)};
	report(p, &ev);
	sig_report_free(rep);
	return 0;
}

static int run_downloads(struct pull *p, pthread_t *th, unsigned *started)
{
	unsigned n = p->o->jobs ? p->o->jobs : 3;
	if (n > 16)
		n = 16;
	if (n > p->m->nlayers)
		n = (unsigned)p->m->nlayers;
	*started = 0;
	for (; *started < n; (*started)++)
		if (pthread_create(&th[*started], NULL, worker, p) != 0)
			break;
	return *started == 0 && n > 0 ? -EAGAIN : 0;
}

static int pull_layers(struct pull *p, int stagefd, struct img_pull_result *res, cc_error **err)
{
	if (mkdirat(stagefd, "rootfs", 0755) < 0)
		return cc_error_set(err, -errno, "rootfs: %s", strerror(errno));
	_cleanup_close_ int rootfd = openat(stagefd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return cc_error_set(err, -errno, "rootfs: %s", strerror(errno));
	pthread_t th[16];
	unsigned started = 0;
	int rc = 0;
	if (run_downloads(p, th, &started) < 0) {
		/* no thread: download everything here first */
		worker(p);
	}
	for (size_t i = 0; i < p->m->nlayers && rc == 0; i++) {
		if ((rc = wait_ready(p, i, err)) < 0)
			break;
		uint64_t tar = 0;
		if ((rc = apply_one(p, i, rootfd, &tar, err)) < 0) {
			char dg[IMG_DIGEST_STR_MAX];
			cc_error_wrap(err, "layer %zu (%s)", i + 1, img_digest_format(&p->m->layers[i].digest, dg));
			break;
		}
		res->unpacked_bytes += tar;
		struct img_pull_progress ev = {.event = IMG_PULL_APPLIED, .index = i,
		                               .count = p->m->nlayers, .digest = &p->m->layers[i].digest,
		                               .done = tar, .total = (uint64_t)p->m->layers[i].size};
		report(p, &ev);
	}
	if (rc < 0) {
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		pthread_mutex_unlock(&p->mu);
	}
	for (unsigned k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	if (rc < 0)
		return rc;
	json_t *spec = NULL;
	if ((rc = img_runtime_config(p->cfg->root, rootfd, &spec, err)) < 0)
		return cc_error_wrap(err, "config.json");
	rc = write_config(stagefd, spec, err);
	json_decref(spec);
	return rc;
}

int img_pull(const img_location *src, const char *bundle, const struct img_pull_opts *o,
             struct img_pull_result *result, cc_error **err)
{
	struct img_pull_result res = {0};
	struct pull p = {.o = o};
	pthread_mutex_init(&p.mu, NULL);
	pthread_mutex_init(&p.pmu, NULL);
	pthread_cond_init(&p.cv, NULL);
	struct stage st = {.parentfd = -1};
	_cleanup_close_ int stagefd = -1;
	img_fetched mb = {0};
	char *cfg_body = NULL;
	size_t cfg_len = 0;
	img_digest list;
	bool has_list = false;
	struct img_store_opts so = {.registry = o->registry};
	img_location at = *src; /* oci: the layout's resolved path */
	char dir[PATH_MAX];
	int rc = 0;
	if (o->policy == NULL && !o->insecure_no_policy) {
		rc = cc_error_set(err, -EINVAL, "no signature policy (insecure_no_policy not set)");
		goto out;
	}
	if (src->transport == IMG_TRANSPORT_OCI) {
		/* resolved once: the content read and the policy identity name
		 * the same directory */
		if (realpath(src->dir, dir) == NULL) {
			rc = cc_error_set(err, -errno, "%s: %s", src->dir, strerror(errno));
			goto out;
		}
		if (strchr(dir, ':') != NULL) {
			rc = cc_error_set(err, -EINVAL, "%s: the layout's path has a ':'", dir);
			goto out;
		}
		at.dir = dir;
		src = &at;
	}
	if ((rc = img_store_open(src, &so, &p.store, err)) < 0)
		goto out;
	/* the bundle first: a bad destination fails before any network use */
	if ((rc = stage_begin(bundle, o->cache_dir == NULL, &st, err)) < 0)
		goto out;
	if ((rc = img_blob_cache_open(o->cache_dir ? o->cache_dir : st.cache, &p.cache, err)) < 0 ||
	    (o->cache_dir && (rc = cache_outside(&st, o->cache_dir, bundle, err)) < 0))
		goto out;
	if ((rc = img_resolve_manifest(p.store, o->os, o->arch, o->variant, &mb, &p.m, &list,
	                               &has_list, err)) < 0)
		goto out;
	res.manifest = mb.digest;
	res.layers = p.m->nlayers;
	struct img_pull_progress ev = {.event = IMG_PULL_RESOLVED, .count = p.m->nlayers};
	report(&p, &ev);
	if (o->policy && (rc = check_signatures(&p, src, &mb, &list, has_list, err)) < 0)
		goto out;
	if ((rc = img_store_get_blob_mem(p.store, &p.m->config.digest, p.m->config.size,
	                                 CC_IMG_MAX_CONFIG_BYTES, &cfg_body, &cfg_len, err)) < 0 ||
	    (rc = img_config_parse(cfg_body, cfg_len, &p.cfg, err)) < 0) {
		cc_error_wrap(err, "image config");
		goto out;
	}
	res.config = p.m->config.digest;
	if (p.cfg->ndiff_ids != p.m->nlayers) {
		rc = cc_error_set(err, -EINVAL, "image config has %zu diff_ids for %zu layers",
		                  p.cfg->ndiff_ids, p.m->nlayers);
		goto out;
	}
	if ((p.slots = calloc(p.m->nlayers ? p.m->nlayers : 1, sizeof(*p.slots))) == NULL) {
		rc = cc_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p.m->nlayers; i++)
		p.slots[i].fd = -1;
	if ((rc = plan_layers(&p, err)) < 0)
		goto out;
	stagefd = openat(st.parentfd, st.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (stagefd < 0) {
		rc = cc_error_set(err, -errno, "staging directory: %s", strerror(errno));
		goto out;
	}
	if ((rc = pull_layers(&p, stagefd, &res, err)) < 0)
		goto out;
	if (fsync(stagefd) < 0 || renameat(st.parentfd, st.name, st.parentfd, st.base) < 0) {
		rc = cc_error_set(err, -errno, "bundle '%s': %s", bundle, strerror(errno));
		goto out;
	}
	free(st.name);
	st.name = NULL; /* renamed: nothing to remove */
	fsync(st.parentfd);
	res.fetched_bytes = p.fetched;
	res.cached_bytes = p.cached_bytes;
	if (result)
		*result = res;
out:
	stage_end(&st);
	free(cfg_body);
	img_config_free(p.cfg);
	for (size_t i = 0; p.slots && i < p.m->nlayers; i++)
		if (p.slots[i].fd >= 0)
			close(p.slots[i].fd);
	free(p.slots);
	img_manifest_free(p.m);
	img_fetched_clear(&mb);
	cc_error_free(p.err);
	img_blob_cache_free(p.cache);
	img_store_free(p.store);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.pmu);
	pthread_mutex_destroy(&p.mu);
	return rc < 0 ? cc_error_wrap(err, "pull %s", src->transport == IMG_TRANSPORT_DOCKER
	                                                   ? img_ref_string(src->ref)
	                                                   : src->dir)
	              : 0;
}
