/* OCI runtime config.json from an image config (unpack.h), as umoci 0.4.7
 * writes it in `umoci unpack` (oci/config/convert/runtime.go): the
 * runtime-tools default Linux spec, then the image config applied on top
 * (image-spec config.md "Properties", runtime-spec config.md).
 *
 * Differences from umoci, on purpose: the hostname is "cocoon" (umoci says
 * "umoci-default"; image-rs "image-rs").
 */
#include "unpack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "execuser.h"

/* runtime-tools generate.New("linux") as umoci 0.4.7 uses it, seccomp
 * dropped; process.user/args/env/cwd and mounts for volumes are filled in
 * below. */
static const char spec_template[] =
    "{\"ociVersion\":\"1.0.0\","
    "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
    "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
    "\"TERM=xterm\"],\"cwd\":\"/\","
    "\"capabilities\":{"
    "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"inheritable\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
    "\"noNewPrivileges\":true},"
    "\"root\":{\"path\":\"rootfs\"},"
    "\"hostname\":\"cocoon\","
    "\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":"
    "[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":"
    "[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":"
    "[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":"
    "[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":"
    "[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":"
    "[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
    "\"annotations\":{},"
    "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
    "{\"type\":\"uts\"},{\"type\":\"mount\"}],"
    "\"maskedPaths\":[\"/proc/kcore\",\"/proc/latency_stats\",\"/proc/timer_list\","
    "\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
    "\"readonlyPaths\":[\"/proc/asound\",\"/proc/bus\",\"/proc/fs\",\"/proc/irq\","
    "\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";


/* A string member (absent or null: def). Not a string: -EINVAL. */
static int get_str(const json_t *o, const char *key, const char *def, const char **ret,
                   cc_error **err)
{
	json_t *v = o != NULL ? json_object_get(o, key) : NULL;
	if (v == NULL || json_is_null(v)) {
		*ret = def;
		return 0;
	}
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "image config: %s: not a string", key);
	*ret = json_string_value(v);
	return 0;
}

/* An array of strings member (absent or null: NULL). */
static int get_strv(const json_t *o, const char *key, json_t **ret, cc_error **err)
{
	json_t *v = o != NULL ? json_object_get(o, key) : NULL;
	*ret = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	size_t i;
	json_t *x;
	if (!json_is_array(v))
		return cc_error_set(err, -EINVAL, "image config: config.%s: not an array", key);
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x))
			return cc_error_set(err, -EINVAL, "image config: config.%s[%zu]: not a string",
			                    key, i);
	}
	*ret = v;
	return 0;
}

/* An object member (absent or null: NULL). */
static int get_obj(const json_t *o, const char *key, json_t **ret, cc_error **err)
{
	json_t *v = o != NULL ? json_object_get(o, key) : NULL;
	*ret = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return cc_error_set(err, -EINVAL, "image config: config.%s: not an object", key);
	*ret = v;
	return 0;
}

/* umoci's appendEnv: replaces the first NAME=..., else appends. */
static int env_set(json_t *env, const char *kv, size_t name_len)
{
	size_t i;
	json_t *x;
	json_array_foreach(env, i, x)
	{
		const char *s = json_string_value(x);
		if (strncmp(s, kv, name_len) == 0 && s[name_len] == '=')
			return json_array_set_new(env, i, json_string(kv)) < 0 ? -ENOMEM : 0;
	}
	return json_array_append_new(env, json_string(kv)) < 0 ? -ENOMEM : 0;
}

static int apply_env(json_t *process, const json_t *cfg_env, cc_error **err)
{
	json_t *env = json_object_get(process, "env");
	size_t i;
	json_t *x;
	json_array_foreach(cfg_env, i, x)
	{
		const char *kv = json_string_value(x);
		const char *eq = strchr(kv, '=');
		if (eq == NULL)
			return cc_error_set(err, -EINVAL,
			                    "image config: config.Env[%zu]: environment variable must "
			                    "contain '='",
			                    i);
		if (eq == kv)
			return cc_error_set(err, -EINVAL,
			                    "image config: config.Env[%zu]: environment variable must "
			                    "have a non-empty name",
			                    i);
		if (env_set(env, kv, (size_t)(eq - kv)) < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int apply_args(json_t *process, const json_t *entrypoint, const json_t *cmd)
{
	json_t *args = json_array();
	if (args == NULL)
		return -ENOMEM;
	if ((entrypoint != NULL && json_array_extend(args, (json_t *)entrypoint) < 0) ||
	    (cmd != NULL && json_array_extend(args, (json_t *)cmd) < 0)) {
		json_decref(args);
		return -ENOMEM;
	}
	if (json_array_size(args) == 0) {
		json_decref(args);
		return 0;
	}
	return json_object_set_new(process, "args", args) < 0 ? -ENOMEM : 0;
}

static int apply_user(json_t *process, const char *spec, int rootfd, cc_error **err)
{
	struct exec_user eu;
	int r = exec_user_resolve(rootfd, spec, &eu, err);
	if (r < 0) {
		if (rootfd >= 0)
			return cc_error_wrap(err, "image config: cannot parse user spec \"%.100s\"",
			                     spec);
		/* umoci without a rootfs: root:root. */
		memset(&eu, 0, sizeof(eu));
	}
	json_t *user = json_pack("{s:I,s:I}", "uid", (json_int_t)eu.uid, "gid", (json_int_t)eu.gid);
	r = user == NULL ? -ENOMEM : 0;
	if (r == 0 && eu.nsgids > 0) {
		json_t *g = json_array();
		for (size_t i = 0; g != NULL && i < eu.nsgids; i++) {
			if (json_array_append_new(g, json_integer(eu.sgids[i])) < 0)
				r = -ENOMEM;
		}
		if (g == NULL || json_object_set_new(user, "additionalGids", g) < 0)
			r = -ENOMEM;
	}
	if (r == 0 && json_object_set_new(process, "user", user) < 0)
		r = -ENOMEM;
	if (r == 0 && eu.home != NULL) {
		_cleanup_free_ char *kv = NULL;
		if (asprintf(&kv, "HOME=%s", eu.home) < 0 ||
		    env_set(json_object_get(process, "env"), kv, 4) < 0)
			r = -ENOMEM;
	}
	exec_user_clear(&eu);
	return r < 0 ? cc_error_set(err, r, "out of memory") : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object, sorted bytewise (Go's sort.Strings). */
static const char **sorted_keys(const json_t *o, size_t *ret_n)
{
	size_t n = json_object_size(o), i = 0;
	const char **k = calloc(n + 1, sizeof(*k));
	if (k == NULL)
		return NULL;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		k[i++] = key;
	}
	qsort(k, n, sizeof(*k), cmp_str);
	*ret_n = n;
	return k;
}

static int apply_volumes(json_t *spec, const json_t *volumes)
{
	size_t n = 0;
	_cleanup_free_ const char **k = volumes != NULL ? sorted_keys(volumes, &n) : NULL;
	if (volumes != NULL && k == NULL)
		return -ENOMEM;
	json_t *mounts = json_object_get(spec, "mounts");
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s]}", "destination", k[i], "type",
		                      "tmpfs", "source", "none", "options", "rw", "nosuid", "nodev",
		                      "noexec", "relatime");
		if (m == NULL || json_array_append_new(mounts, m) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ExposedPorts keys, sorted, joined with ','. */
static char *ports_joined(const json_t *ports)
{
	size_t n = 0, len = 1, o = 0;
	_cleanup_free_ const char **k = ports != NULL ? sorted_keys(ports, &n) : NULL;
	if (ports != NULL && k == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		len += strlen(k[i]) + 1;
	char *s = calloc(1, len);
	for (size_t i = 0; s != NULL && i < n; i++) {
		size_t kn = strlen(k[i]);
		if (i > 0)
			s[o++] = ',';
		memcpy(s + o, k[i], kn);
		o += kn;
	}
	return s;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool date_ok(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
	    !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return false;
	int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || num(s + 11, 2) > 23 ||
	    num(s + 14, 2) > 59 || num(s + 17, 2) > 59)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(mo == 2 && d == 29 && !leap);
}

/* An RFC 3339 time as Go prints a parsed time.Time with RFC3339Nano
 * ("2006-01-02T15:04:05.999999999Z07:00"): fraction without trailing zeros,
 * a zero offset as "Z". Absent: Go's zero time. out has 64 bytes. */
static int created_format(const char *in, char out[64], cc_error **err)
{
	if (in == NULL) {
		snprintf(out, 64, "0001-01-01T00:00:00Z");
		return 0;
	}
	size_t n = strlen(in), i = 19, fs, fn = 0;
	if (n < 20 || !date_ok(in))
		goto bad;
	if (in[i] == '.') {
		fs = ++i;
		while (i < n && in[i] >= '0' && in[i] <= '9')
			i++;
		fn = i - fs;
		if (fn == 0 || fn > 9)
			goto bad;
		while (fn > 0 && in[fs + fn - 1] == '0')
			fn--;
	}
	const char *zone = in + i;
	bool utc = strcmp(zone, "Z") == 0 || strcmp(zone, "+00:00") == 0 ||
	           strcmp(zone, "-00:00") == 0;
	if (!utc && !((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 6 &&
	              digits(zone + 1, 2) && zone[3] == ':' && digits(zone + 4, 2) &&
	              num(zone + 1, 2) < 24 && num(zone + 4, 2) < 60))
		goto bad;
	snprintf(out, 64, "%.19s%s%.*s%s", in, fn > 0 ? "." : "", (int)fn, in + 20,
	         utc ? "Z" : zone);
	return 0;
bad:
	return cc_error_set(err, -EINVAL, "image config: created: \"%.64s\" is not an RFC 3339 time",
	                    in);
}

static int set_annotation(json_t *ann, const char *k, const char *v)
{
	return json_object_set_new(ann, k, json_string(v != NULL ? v : "")) < 0 ? -ENOMEM : 0;
}

static int apply_annotations(json_t *spec, const json_t *image, const json_t *cfg,
                             cc_error **err)
{
	json_t *ann = json_object_get(spec, "annotations"), *labels, *ports;
	const char *os, *arch, *author, *created, *stop;
	int r = get_obj(cfg, "Labels", &labels, err);
	if (r == 0)
		r = get_obj(cfg, "ExposedPorts", &ports, err);
	if (r == 0)
		r = get_str(image, "os", "", &os, err);
	if (r == 0)
		r = get_str(image, "architecture", "", &arch, err);
	if (r == 0)
		r = get_str(image, "author", "", &author, err);
	if (r == 0)
		r = get_str(image, "created", NULL, &created, err);
	if (r == 0)
		r = get_str(cfg, "StopSignal", "", &stop, err);
	if (r < 0)
		return r;
	const char *k;
	json_t *v;
	json_object_foreach(labels, k, v)
	{
		if (!json_is_string(v))
			return cc_error_set(err, -EINVAL, "image config: config.Labels.%.64s: not a string",
			                    k);
		if (set_annotation(ann, k, json_string_value(v)) < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	char when[64];
	r = created_format(created, when, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *pj = ports_joined(ports);
	if (pj == NULL || set_annotation(ann, "org.opencontainers.image.os", os) < 0 ||
	    set_annotation(ann, "org.opencontainers.image.architecture", arch) < 0 ||
	    set_annotation(ann, "org.opencontainers.image.author", author) < 0 ||
	    set_annotation(ann, "org.opencontainers.image.created", when) < 0 ||
	    set_annotation(ann, "org.opencontainers.image.stopSignal", stop) < 0 ||
	    set_annotation(ann, "org.opencontainers.image.exposedPorts", pj) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int apply_process(json_t *spec, const json_t *cfg, int rootfd, cc_error **err)
{
	json_t *process = json_object_get(spec, "process"), *env, *ep, *cmd;
	const char *cwd, *user;
	int r = get_strv(cfg, "Env", &env, err);
	if (r == 0)
		r = get_strv(cfg, "Entrypoint", &ep, err);
	if (r == 0)
		r = get_strv(cfg, "Cmd", &cmd, err);
	if (r == 0)
		r = get_str(cfg, "WorkingDir", "", &cwd, err);
	if (r == 0)
		r = get_str(cfg, "User", "", &user, err);
	if (r < 0)
		return r;
	if (*cwd != '\0' && json_object_set_new(process, "cwd", json_string(cwd)) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (env != NULL && (r = apply_env(process, env, err)) < 0)
		return r;
	if (apply_args(process, ep, cmd) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return apply_user(process, user, rootfd, err);
}

int img_runtime_config(const json_t *image_config, int rootfd, json_t **ret, cc_error **err)
{
	if (!json_is_object(image_config))
		return cc_error_set(err, -EINVAL, "image config: not a JSON object");
	const char *os;
	json_t *cfg, *volumes;
	int r = get_str(image_config, "os", "", &os, err);
	if (r < 0)
		return r;
	if (strcmp(os, "linux") != 0)
		return cc_error_set(err, -ENOTSUP, "image config: unsupported OS \"%.64s\"", os);
	r = get_obj(image_config, "config", &cfg, err);
	if (r == 0)
		r = get_obj(cfg, "Volumes", &volumes, err);
	if (r < 0)
		return r;
	json_error_t jerr;
	__attribute__((cleanup(json_decrefp))) json_t *spec = json_loads(spec_template, JSON_REJECT_DUPLICATES, &jerr);
	if (spec == NULL)
		return cc_error_set(err, -ENOMEM, "runtime config template: %s", jerr.text);
	r = apply_process(spec, cfg, rootfd, err);
	if (r == 0)
		r = apply_annotations(spec, image_config, cfg, err);
	if (r == 0 && apply_volumes(spec, volumes) < 0)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r < 0)
		return r;
	*ret = TAKE_PTR(spec);
	return 0;
}
