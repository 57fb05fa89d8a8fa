/* A container's bundle (rt_int.h), kata.md §3.5/§3.6 and §5.1:
 *
 *   <run_dir>/<cid>/config.json   the host's spec, converted (rt_spec.c)
 *   <run_dir>/<cid>/rootfs/       a bind mount of the spec's root.path
 *                                 (which must lie under run_dir: the
 *                                 shared directory the host filled), or
 *   <run_dir>/<cid>/image/        guest pull: img_pull's bundle (rootfs/
 *                                 and the image's own config.json)
 *
 * Guest pull happens when the spec's annotations carry
 * io.kubernetes.cri.image-name (what CRI sets and `ctr run --annotation`
 * can set) or a storage has driver "image_guest_pull" (its source is the
 * reference). The host's spec is what runs; the image config only fills
 * what Kata's merge_bundle_oci fills: args when the spec has none, cwd
 * when the spec's is "/" or empty, and env variables the spec does not
 * set. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "pull.h"
#include "rt_int.h"
#include "sig.h"

#define IMAGE_NAME_ANNOTATION "io.kubernetes.cri.image-name"
#define GUEST_PULL_DRIVER "image_guest_pull"

int rt_path_inside(const char *root, const char *path, const char **ret_rel, cc_error **err)
{
	size_t rl = strlen(root), pl = strlen(path);
	if (pl >= CC_AGENT_MAX_PATH)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "path longer than %u bytes",
		              CC_AGENT_MAX_PATH);
	if (pl <= rl + 1 || strncmp(path, root, rl) != 0 || path[rl] != '/')
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "path %s is not under %s", path, root);
	const char *rel = path + rl + 1;
	if (path[pl - 1] == '/')
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "path %s ends with '/'", path);
	for (const char *p = rel; *p;) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return rt_err(err, TTRPC_INVALID_ARGUMENT,
			              "path %s: empty, \".\" or \"..\" component", path);
		p = *e ? e + 1 : e;
	}
	*ret_rel = rel;
	return 0;
}

/* Opens rel under the directory root with no symlink, magic link or ".."
 * (O_PATH). */
static int open_beneath(const char *root, const char *rel, int flags, cc_error **err)
{
	_cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return cc_error_set(err, -errno, "%s: %s", root, strerror(errno));
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
	                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	                                  RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
	int fd = (int)syscall(SYS_openat2, rfd, rel, &how, sizeof(how));
	if (fd < 0)
		return rt_err(err, errno == ELOOP || errno == EXDEV ? TTRPC_INVALID_ARGUMENT :
		                   ttrpc_code_from_errno(-errno),
		              "%s/%s: %s", root, rel, strerror(errno));
	return fd;
}

/* ---- storages ---------------------------------------------------------------------- */

void rt_mounts_undo(char **mounts, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		umount2(mounts[i], MNT_DETACH);
		free(mounts[i]);
	}
	free(mounts);
}

static int storage_mode(const Grpc__Storage *s, mode_t dflt)
{
	for (size_t i = 0; i < s->n_options; i++) {
		const char *o = s->options[i];
		if (strncmp(o, "mode=", 5) == 0) {
			char *end;
			long m = strtol(o + 5, &end, 8);
			if (*end == '\0' && end != o + 5 && m >= 0 && m <= 07777)
				return (int)m;
		}
	}
	return (int)dflt;
}

/* tmpfs options the agent passes on: size=, nr_inodes=, mode=. */
static int tmpfs_data(const Grpc__Storage *s, char *out, size_t outsz)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < s->n_options; i++) {
		const char *o = s->options[i];
		if (strncmp(o, "size=", 5) && strncmp(o, "nr_inodes=", 10) && strncmp(o, "mode=", 5))
			continue;
		for (const char *p = strchr(o, '=') + 1; *p; p++)
			if (!((*p >= '0' && *p <= '9') || strchr("kKmMgG%", *p)))
				return -EINVAL;
		int w = snprintf(out + n, outsz - n, "%s%s", n ? "," : "", o);
		if (w < 0 || (size_t)w >= outsz - n)
			return -E2BIG;
		n += (size_t)w;
	}
	return 0;
}

static int storage_add(agent_rt *rt, const Grpc__Storage *s, char ***mounts, size_t *nmounts,
                       cc_error **err)
{
	const char *drv = s->driver ? s->driver : "";
	bool eph = strcmp(drv, "ephemeral") == 0, local = strcmp(drv, "local") == 0;
	if (!eph && !local)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "storage driver \"%.64s\" is not supported",
		              drv);
	const char *rel;
	int rc = rt_path_inside(rt->sandbox_dir, s->mount_point ? s->mount_point : "", &rel, err);
	if (rc < 0)
		return cc_error_wrap(err, "%s storage", drv);
	rc = rt_mkdir_p(s->mount_point, 0755, err);
	if (rc < 0)
		return rc;
	/* No symlink may have been planted on the way (nothing but the agent
	 * writes under sandbox_dir, but check). */
	_cleanup_close_ int fd = open_beneath(rt->sandbox_dir, rel, O_PATH | O_DIRECTORY, err);
	if (fd < 0)
		return fd;
	if (local) {
		if (chmod(s->mount_point, (mode_t)storage_mode(s, 0777)) < 0)
			return cc_error_set(err, -errno, "chmod %s: %s", s->mount_point, strerror(errno));
		return 0;
	}
	char data[256];
	if (tmpfs_data(s, data, sizeof(data)) < 0)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "ephemeral storage %s: bad options",
		              s->mount_point);
	if (mount("tmpfs", s->mount_point, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0)
		return cc_error_set(err, -errno, "mounting tmpfs on %s: %s", s->mount_point,
		                    strerror(errno));
	rc = rt_strv_add(mounts, nmounts, s->mount_point, err);
	if (rc < 0)
		umount2(s->mount_point, MNT_DETACH);
	return rc;
}

int rt_storages_add(agent_rt *rt, Grpc__Storage *const *st, size_t n, char ***mounts,
                    size_t *nmounts, cc_error **err)
{
	if (n > CC_AGENT_MAX_STORAGES)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "more than %u storages",
		              CC_AGENT_MAX_STORAGES);
	for (size_t i = 0; i < n; i++) {
		if (st[i]->driver && strcmp(st[i]->driver, GUEST_PULL_DRIVER) == 0)
			continue;
		int rc = storage_add(rt, st[i], mounts, nmounts, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- guest pull ---------------------------------------------------------------------- */

/* The image reference to pull, or NULL. */
static const char *pull_ref(const Grpc__CreateContainerRequest *req)
{
	const char *ref = rt_spec_annotation(req->oci, IMAGE_NAME_ANNOTATION);
	if (ref && *ref)
		return ref;
	for (size_t i = 0; i < req->n_storages; i++)
		if (req->storages[i]->driver && strcmp(req->storages[i]->driver, GUEST_PULL_DRIVER) == 0 &&
		    req->storages[i]->source && *req->storages[i]->source)
			return req->storages[i]->source;
	return NULL;
}

static int load_sig(agent_rt *rt, sig_policy **ret_p, sig_lookaside **ret_l, cc_error **err)
{
	*ret_p = NULL;
	*ret_l = NULL;
	if (rt->image_policy_file == NULL)
		return 0;
	_cleanup_free_ char *body = NULL;
	size_t n = 0;
	int rc = rt_read_file(rt->image_policy_file, CC_IMG_MAX_SIG_POLICY_BYTES, &body, &n, err);
	if (rc == 0 && (rc = sig_policy_load(body, n, ret_p, err)) < 0)
		cc_error_wrap(err, "%s", rt->image_policy_file);
	if (rc < 0)
		return rc;
	if (rt->image_registries_d)
		rc = sig_lookaside_load_dir(rt->image_registries_d, ret_l, err);
	else if ((*ret_l = sig_lookaside_new()) == NULL)
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	if (rc < 0) {
		sig_policy_free(*ret_p);
		*ret_p = NULL;
	}
	return rc;
}

static int guest_pull(agent_rt *rt, const char *ref, const char *dest, cc_error **err)
{
	if (strncmp(ref, "oci:", 4) == 0 || (strstr(ref, "://") && strncmp(ref, "docker://", 9)))
		return rt_err(err, TTRPC_INVALID_ARGUMENT,
		              "image %.256s: only registry references are pulled", ref);
	_cleanup_free_ char *spec = NULL;
	if (strncmp(ref, "docker://", 9) != 0 && rt_asprintf(&spec, err, "docker://%s", ref) < 0)
		return -ENOMEM;
	img_location loc;
	int rc = img_location_parse(spec ? spec : ref, &loc, err);
	if (rc < 0)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "image reference");
	sig_policy *policy = NULL;
	sig_lookaside *look = NULL;
	rc = load_sig(rt, &policy, &look, err);
	if (rc == 0) {
		struct img_pull_opts o;
		img_pull_opts_init(&o);
		o.registry.tls_verify = !rt->image_insecure;
		o.registry.auth_file = "";
		o.cache_dir = rt->image_cache_dir;
		o.policy = policy;
		o.lookaside = look;
		o.insecure_no_policy = policy == NULL;
		rc = img_pull(&loc, dest, &o, NULL, err);
		if (rc < 0)
			cc_error_wrap(err, "pulling %.256s in the guest", ref);
	}
	sig_policy_free(policy);
	sig_lookaside_free(look);
	img_location_clear(&loc);
	return rc;
}

/* Kata's merge of the image's process into the spec's. */
static int merge_image(json_t *spec, const char *image_config, cc_error **err)
{
	json_error_t je;
	json_t *img = json_load_file(image_config, JSON_REJECT_DUPLICATES, &je);
	if (img == NULL)
		return cc_error_set(err, -EINVAL, "%s: %s", image_config, je.text);
	json_t *ip = json_object_get(img, "process"), *sp = json_object_get(spec, "process");
	int rc = 0;
	if (json_is_object(ip) && json_is_object(sp)) {
		json_t *iargs = json_object_get(ip, "args"), *sargs = json_object_get(sp, "args");
		if (json_array_size(sargs) == 0 && json_array_size(iargs) > 0)
			rc |= json_object_set(sp, "args", iargs);
		const char *scwd = json_string_value(json_object_get(sp, "cwd"));
		const char *icwd = json_string_value(json_object_get(ip, "cwd"));
		if ((!scwd || !*scwd || strcmp(scwd, "/") == 0) && icwd && *icwd && strcmp(icwd, "/"))
			rc |= json_object_set_new(sp, "cwd", json_string(icwd));
		json_t *senv = json_object_get(sp, "env"), *v;
		size_t i;
		json_array_foreach(json_object_get(ip, "env"), i, v) {
			const char *e = json_string_value(v), *eq = e ? strchr(e, '=') : NULL;
			if (eq == NULL)
				continue;
			bool have = false;
			json_t *w;
			size_t k;
			json_array_foreach(senv, k, w) {
				const char *s = json_string_value(w);
				if (s && strncmp(s, e, (size_t)(eq - e + 1)) == 0)
					have = true;
			}
			if (!have && json_is_array(senv))
				rc |= json_array_append(senv, v);
		}
	}
	json_decref(img);
	return rc ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
}

/* ---- the bundle ------------------------------------------------------------------------- */

/* Bind-mounts the spec's root.path (under run_dir) onto bundle/rootfs. */
static int bind_root(agent_rt *rt, rt_container *c, const Grpc__Root *root, char **ret_path,
                     cc_error **err)
{
	if (root == NULL || root->path == NULL || *root->path == '\0')
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "the spec has no root.path and no image to "
		              "pull (annotation " IMAGE_NAME_ANNOTATION ")");
	const char *rel;
	int rc = rt_path_inside(rt->run_dir, root->path, &rel, err);
	if (rc < 0)
		return cc_error_wrap(err, "root.path");
	_cleanup_close_ int fd = open_beneath(rt->run_dir, rel, O_PATH | O_DIRECTORY, err);
	if (fd < 0)
		return cc_error_wrap(err, "root.path");
	char *target;
	if ((rc = rt_asprintf(&target, err, "%s/rootfs", c->bundle)) < 0)
		return rc;
	char src[64];
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (mkdir(target, 0755) < 0 || mount(src, target, NULL, MS_BIND, NULL) < 0) {
		rc = cc_error_set(err, -errno, "bind-mounting %s on %s: %s", root->path, target,
		                  strerror(errno));
		free(target);
		return rc;
	}
	c->rootfs_mount = target;
	*ret_path = strdup(target);
	return *ret_path ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
}

static int set_root_and_cgroup(json_t *spec, const char *rootfs, bool ro, const char *cid)
{
	json_t *root = json_object();
	char cg[CC_AGENT_MAX_ID_BYTES + 16];
	snprintf(cg, sizeof(cg), "/cocoon/%s", cid);
	int rc = json_object_set_new(root, "path", json_string(rootfs));
	rc |= json_object_set_new(root, "readonly", json_boolean(ro));
	rc |= json_object_set_new(spec, "root", root);
	rc |= json_object_set_new(json_object_get(spec, "linux"), "cgroupsPath", json_string(cg));
	return rc;
}

static int write_config(json_t *spec, const char *bundle, cc_error **err)
{
	char *text = json_dumps(spec, JSON_COMPACT);
	if (text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ char *path = NULL;
	int rc = rt_asprintf(&path, err, "%s/config.json", bundle);
	if (rc == 0)
		rc = rt_write_file(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

static int make_bundle_dir(agent_rt *rt, rt_container *c, cc_error **err)
{
	/* A directory left by an agent that died is removed (never across a
	 * mount: rt_remove_tree refuses). */
	int rc = rt_remove_tree(c->bundle, err);
	if (rc == 0 && mkdir(c->bundle, 0700) < 0)
		rc = cc_error_set(err, -errno, "mkdir %s: %s", c->bundle, strerror(errno));
	(void)rt;
	return rc;
}

int rt_bundle_prepare(agent_rt *rt, rt_container *c, const Grpc__CreateContainerRequest *req,
                      bool *ret_tty, cc_error **err)
{
	json_t *spec = NULL;
	int rc = rt_spec_to_json(req->oci, rt->guest, &spec, err);
	if (rc < 0)
		return rc;
	if (req->oci->process == NULL) {
		json_decref(spec);
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "the spec has no process");
	}
	_cleanup_free_ char *rootfs = NULL;
	const char *ref = pull_ref(req);
	rc = make_bundle_dir(rt, c, err);
	if (rc == 0 && ref) {
		_cleanup_free_ char *dest = NULL, *cfg = NULL;
		rc = rt_asprintf(&dest, err, "%s/image", c->bundle);
		if (rc == 0)
			rc = guest_pull(rt, ref, dest, err);
		if (rc == 0 && (rc = rt_asprintf(&cfg, err, "%s/config.json", dest)) == 0)
			rc = merge_image(spec, cfg, err);
		if (rc == 0)
			rc = rt_asprintf(&rootfs, err, "%s/rootfs", dest);
	} else if (rc == 0) {
		rc = bind_root(rt, c, req->oci->root, &rootfs, err);
	}
	if (rc == 0)
		rc = rt_storages_add(rt, req->storages, req->n_storages, &c->mounts, &c->nmounts, err);
	if (rc == 0 && json_array_size(json_object_get(json_object_get(spec, "process"), "args")) == 0)
		rc = rt_err(err, TTRPC_INVALID_ARGUMENT, "the process has no args (nor has the image)");
	if (rc == 0 && set_root_and_cgroup(spec, rootfs, req->oci->root && req->oci->root->readonly,
	                                   c->id) != 0)
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = write_config(spec, c->bundle, err);
	if (rc == 0)
		*ret_tty = req->oci->process->terminal;
	json_decref(spec);
	return rc;
}

int rt_bundle_cleanup(agent_rt *rt, rt_container *c, cc_error **err)
{
	(void)rt;
	if (c->rootfs_mount) {
		if (umount2(c->rootfs_mount, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			return cc_error_set(err, -errno, "unmounting %s: %s", c->rootfs_mount,
			                    strerror(errno));
		free(c->rootfs_mount);
		c->rootfs_mount = NULL;
	}
	rt_mounts_undo(c->mounts, c->nmounts);
	c->mounts = NULL;
	c->nmounts = 0;
	return rt_remove_tree(c->bundle, err);
}
