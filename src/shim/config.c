/* configuration.toml (config.h; keys and defaults in docs/shim.md). */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "address.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "config.h"
#include "toml.h"

#ifndef COCOON_DATADIR
#define COCOON_DATADIR "/usr/share/cocoon"
#endif
#define ETC_CONFIG "/etc/cocoon/configuration.toml"

static int set_str(char **dst, const char *v, cc_error **err)
{
	char *d = strdup(v);
	if (d == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	free(*dst);
	*dst = d;
	return 0;
}

int shim_config_default(struct shim_config *c, cc_error **err)
{
	memset(c, 0, sizeof(*c));
	c->hypervisor = SHIM_HV_QEMU;
	c->accel = SHIM_ACCEL_AUTO;
	c->vcpus = 1;
	c->memory_mib = 512;
	c->channel = SHIM_CHANNEL_SERIAL;
	c->vsock_guest_cid = 3;
	c->dial_timeout_s = 60;
	c->create_container_timeout_s = 300;
	c->request_timeout_s = 60;
	int r = set_str(&c->source, "(built-in defaults)", err);
	if (r == 0)
		r = set_str(&c->qemu_path, "/usr/bin/qemu-system-x86_64", err);
	if (r == 0)
		r = set_str(&c->kernel, COCOON_DATADIR "/vmlinux", err);
	if (r == 0)
		r = set_str(&c->initrd, COCOON_DATADIR "/initramfs.cpio.zst", err);
	if (r == 0)
		r = set_str(&c->machine_type, "microvm", err);
	if (r == 0)
		r = set_str(&c->kernel_params, "", err);
	if (r == 0)
		r = set_str(&c->guest_run_dir, "/run/kata-containers", err);
	if (r == 0 && ((c->enable_annotations = calloc(2, sizeof(char *))) == NULL ||
	               (c->enable_annotations[0] = strdup("cc_init_data")) == NULL))
		r = cc_error_set(err, -ENOMEM, "out of memory");
	return r;
}

static void free_strv(char **v)
{
	for (char **a = v; a && *a; a++)
		free(*a);
	free(v);
}

void shim_config_free(struct shim_config *c)
{
	if (c == NULL)
		return;
	free(c->source);
	free(c->qemu_path);
	free(c->kernel);
	free(c->initrd);
	free(c->machine_type);
	free(c->firmware);
	free(c->firmware_vars);
	free(c->kernel_params);
	free(c->fwd_guest_ip);
	free(c->fwd_host_ip);
	free(c->host_agent_path);
	free_strv(c->host_agent_args);
	free_strv(c->enable_annotations);
	free(c->guest_run_dir);
	memset(c, 0, sizeof(*c));
}

/* ---- typed reads of one key ---------------------------------------------- */

struct reader {
	const char *file;
	const char *section; /* "hypervisor.qemu" */
	const toml_value *table;
	cc_error **err;
};

static int bad(const struct reader *rd, const toml_value *v, const char *key, const char *fmt,
               const char *what)
{
	return cc_error_set_at(rd->err, -EINVAL, "config_error", rd->file, (int)toml_line(v), 0,
	                       "%s.%s: %s%s", rd->section, key, fmt, what);
}

/* The value of key if present with type t: 1; 0 if absent; < 0 on a
 * wrong type. */
static int get(const struct reader *rd, const char *key, enum toml_type t, const toml_value **ret)
{
	const toml_value *v = toml_table_get(rd->table, key);
	if (v == NULL)
		return 0;
	if (toml_type(v) != t) {
		char m[64];
		const char *want = toml_type_name(t), *got = toml_type_name(toml_type(v));
		snprintf(m, sizeof(m), "expected %s %s, not %s %s", want[0] == 'i' ? "an" : "a", want,
		         got[0] == 'i' || got[0] == 'a' ? "an" : "a", got);
		return bad(rd, v, key, m, "");
	}
	*ret = v;
	return 1;
}

/* A string without NUL: 1 and *ret (valid while the document is); 0 if
 * absent. */
static int get_str(const struct reader *rd, const char *key, const toml_value **v,
                   const char **ret)
{
	int r = get(rd, key, TOML_STRING, v);
	if (r <= 0)
		return r;
	size_t n;
	const char *s = toml_string(*v, &n);
	if (strlen(s) != n)
		return bad(rd, *v, key, "contains a NUL character", "");
	*ret = s;
	return 1;
}

static int read_str(const struct reader *rd, const char *key, char **dst)
{
	const toml_value *v;
	const char *s;
	int r = get_str(rd, key, &v, &s);
	return r <= 0 ? r : set_str(dst, s, rd->err);
}

/* An absolute path (or "" when allow_empty: unset). */
static int read_path(const struct reader *rd, const char *key, char **dst, bool allow_empty)
{
	const toml_value *v;
	const char *s;
	int r = get_str(rd, key, &v, &s);
	if (r <= 0)
		return r;
	if (*s == '\0' && allow_empty) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (*s != '/')
		return bad(rd, v, key, "must be an absolute path: ", s);
	return set_str(dst, s, rd->err);
}

static int read_uint(const struct reader *rd, const char *key, unsigned min, unsigned max,
                     unsigned *dst)
{
	const toml_value *v;
	int r = get(rd, key, TOML_INTEGER, &v);
	if (r <= 0)
		return r;
	int64_t i = toml_integer(v);
	if (i < (int64_t)min || i > (int64_t)max) {
		char m[96];
		snprintf(m, sizeof(m), "%lld is out of range %u..%u", (long long)i, min, max);
		return bad(rd, v, key, m, "");
	}
	*dst = (unsigned)i;
	return 0;
}

static int read_bool(const struct reader *rd, const char *key, bool *dst)
{
	const toml_value *v;
	int r = get(rd, key, TOML_BOOLEAN, &v);
	if (r > 0)
		*dst = toml_boolean(v);
	return r < 0 ? r : 0;
}

/* One of names[] (NULL-terminated): its index in *dst. */
static int read_enum(const struct reader *rd, const char *key, const char *const *names, int *dst)
{
	const toml_value *v;
	int r = get(rd, key, TOML_STRING, &v);
	if (r <= 0)
		return r;
	const char *s = toml_string(v, NULL);
	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0) {
			*dst = i;
			return 0;
		}
	char m[160] = "";
	for (int i = 0; names[i]; i++)
		snprintf(m + strlen(m), sizeof(m) - strlen(m), "%s\"%s\"", i ? ", " : "", names[i]);
	char what[200];
	snprintf(what, sizeof(what), "\"%s\" (one of %s)", s, m);
	return bad(rd, v, key, "unknown value ", what);
}

/* ---- sections ------------------------------------------------------------- */

/* "IP:PORT" with an IPv4 address; loopback only when host is true. */
static int parse_endpoint(const char *s, bool host, char **ret_ip, unsigned *ret_port)
{
	const char *colon = strrchr(s, ':');
	if (colon == NULL || colon == s || (size_t)(colon - s) >= INET_ADDRSTRLEN)
		return -EINVAL;
	char ip[INET_ADDRSTRLEN];
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	struct in_addr a;
	if (inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	if (host && (ntohl(a.s_addr) >> 24) != 127)
		return -EPERM;
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port == 0 || port > 65535 || colon[1] == '+' ||
	    colon[1] == '-')
		return -EINVAL;
	*ret_ip = strdup(ip);
	if (*ret_ip == NULL)
		return -ENOMEM;
	*ret_port = (unsigned)port;
	return 0;
}

static int read_forward(const struct reader *rd, struct shim_config *c)
{
	_cleanup_free_ char *s = NULL;
	int r = read_str(rd, "guest_forward", &s);
	if (r < 0 || s == NULL || *s == '\0')
		return r;
	const toml_value *v = toml_table_get(rd->table, "guest_forward");
	char *eq = strchr(s, '=');
	if (eq == NULL)
		return bad(rd, v, "guest_forward", "expected GUEST_IP:PORT=127.0.0.1:PORT, not ", s);
	*eq = '\0';
	free(c->fwd_guest_ip);
	free(c->fwd_host_ip);
	c->fwd_guest_ip = c->fwd_host_ip = NULL;
	r = parse_endpoint(s, false, &c->fwd_guest_ip, &c->fwd_guest_port);
	if (r == 0)
		r = parse_endpoint(eq + 1, true, &c->fwd_host_ip, &c->fwd_host_port);
	if (r == -ENOMEM)
		return cc_error_set(rd->err, r, "out of memory");
	if (r == -EPERM)
		return bad(rd, v, "guest_forward", "the host side must be a loopback address, not ",
		           eq + 1);
	if (r < 0)
		return bad(rd, v, "guest_forward", "expected GUEST_IP:PORT=127.0.0.1:PORT, not ", s);
	return 0;
}

/* An array of strings (without NUL) into *dst (NULL-terminated), which it
 * replaces. */
static int read_strv(const struct reader *rd, const char *key, char ***dst)
{
	const toml_value *v;
	int r = get(rd, key, TOML_ARRAY, &v);
	if (r <= 0)
		return r;
	size_t n = toml_array_len(v);
	char **args = calloc(n + 1, sizeof(*args));
	if (args == NULL)
		return cc_error_set(rd->err, -ENOMEM, "out of memory");
	free_strv(*dst);
	*dst = args;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *s = toml_string(toml_array_at(v, i), &len);
		if (s == NULL || strlen(s) != len)
			return bad(rd, v, key, "expected an array of strings", "");
		if ((args[i] = strdup(s)) == NULL)
			return cc_error_set(rd->err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* enable_annotations: regular expressions (docs/shim.md), checked here so
 * a pod never meets a bad one. */
static int read_annotations(const struct reader *rd, struct shim_config *c)
{
	int r = read_strv(rd, "enable_annotations", &c->enable_annotations);
	for (char **p = c->enable_annotations; r == 0 && p && *p; p++) {
		regex_t re;
		if (regcomp(&re, *p, REG_EXTENDED | REG_NOSUB) != 0)
			return bad(rd, toml_table_get(rd->table, "enable_annotations"),
			           "enable_annotations", "not a regular expression: ", *p);
		regfree(&re);
	}
	return r;
}

/* OVMF_CODE_4M.fd -> OVMF_VARS_4M.fd: the last "CODE" in the file name. */
static int vars_of(const char *firmware, char **ret)
{
	const char *base = strrchr(firmware, '/');
	const char *code = NULL;
	for (const char *p = base ? base : firmware; (p = strstr(p, "CODE")) != NULL; p++)
		code = p;
	if (code == NULL)
		return -EINVAL;
	char *v = strdup(firmware);
	if (v == NULL)
		return -ENOMEM;
	memcpy(v + (code - firmware), "VARS", 4);
	*ret = v;
	return 0;
}

/* firmware, firmware_vars, enable_vtpm: q35 only (microvm has neither
 * pflash nor a TPM device, machine.md §2.2). */
static int read_measured(const struct reader *rd, struct shim_config *c)
{
	int r = read_path(rd, "firmware", &c->firmware, true);
	if (r == 0)
		r = read_path(rd, "firmware_vars", &c->firmware_vars, true);
	if (r == 0)
		r = read_bool(rd, "enable_vtpm", &c->vtpm);
	if (r < 0)
		return r;
	bool micro = strcmp(c->machine_type, "microvm") == 0;
	if (c->vtpm && micro)
		return bad(rd, toml_table_get(rd->table, "enable_vtpm"), "enable_vtpm",
		           "needs machine_type = \"q35\" (microvm has no TPM device)", "");
	if (c->firmware != NULL && micro)
		return bad(rd, toml_table_get(rd->table, "firmware"), "firmware",
		           "needs machine_type = \"q35\" (microvm has no pflash)", "");
	if (c->firmware == NULL || c->firmware_vars != NULL)
		return 0;
	r = vars_of(c->firmware, &c->firmware_vars);
	if (r == -ENOMEM)
		return cc_error_set(rd->err, -ENOMEM, "out of memory");
	if (r < 0)
		return bad(rd, toml_table_get(rd->table, "firmware"), "firmware",
		           "has no CODE in its name to find the VARS template; set firmware_vars: ",
		           c->firmware);
	return 0;
}

static int read_qemu(struct reader *rd, struct shim_config *c)
{
	static const char *const machines[] = {"microvm", "q35", NULL};
	static const char *const accels[] = {"auto", "kvm", "tcg", NULL};
	static const char *const nets[] = {"none", "user", NULL};
	int m = -1, a = (int)c->accel, n = c->user_network ? 1 : 0;
	int r = read_path(rd, "path", &c->qemu_path, false);
	if (r == 0)
		r = read_path(rd, "kernel", &c->kernel, false);
	if (r == 0)
		r = read_path(rd, "initrd", &c->initrd, false);
	if (r == 0 && (r = read_enum(rd, "machine_type", machines, &m)) == 0 && m >= 0)
		r = set_str(&c->machine_type, machines[m], rd->err);
	if (r == 0)
		r = read_enum(rd, "accelerator", accels, &a);
	if (r == 0)
		r = read_str(rd, "kernel_params", &c->kernel_params);
	if (r == 0)
		r = read_uint(rd, "default_vcpus", 1, 64, &c->vcpus);
	if (r == 0)
		r = read_uint(rd, "default_memory", 128, 1024 * 1024, &c->memory_mib);
	if (r == 0)
		r = read_bool(rd, "enable_debug", &c->hv_debug);
	if (r == 0)
		r = read_enum(rd, "network", nets, &n);
	if (r == 0)
		r = read_forward(rd, c);
	if (r == 0)
		r = read_uint(rd, "vsock_guest_cid", 3, UINT32_MAX - 1, &c->vsock_guest_cid);
	if (r == 0)
		r = read_annotations(rd, c);
	if (r == 0)
		r = read_measured(rd, c);
	c->accel = (enum shim_accel)a;
	c->user_network = n == 1;
	if (r == 0 && c->fwd_guest_ip != NULL && !c->user_network)
		r = bad(rd, toml_table_get(rd->table, "guest_forward"), "guest_forward",
		        "needs network = \"user\"", "");
	return r;
}

static int read_none(struct reader *rd, struct shim_config *c)
{
	int r = read_path(rd, "agent_path", &c->host_agent_path, true);
	if (r == 0)
		r = read_strv(rd, "agent_args", &c->host_agent_args);
	if (r == 0)
		r = read_annotations(rd, c);
	return r;
}

static int read_agent(struct reader *rd, struct shim_config *c)
{
	static const char *const channels[] = {"virtio-serial", "vsock", NULL};
	int ch = (int)c->channel;
	int r = read_enum(rd, "channel", channels, &ch);
	if (r == 0)
		r = read_bool(rd, "enable_debug", &c->agent_debug);
	if (r == 0)
		r = read_bool(rd, "debug_console_enabled", &c->debug_console);
	if (r == 0)
		r = read_uint(rd, "dial_timeout", 1, 3600, &c->dial_timeout_s);
	if (r == 0)
		r = read_path(rd, "guest_run_dir", &c->guest_run_dir, false);
	c->channel = (enum shim_channel)ch;
	return r;
}

static int read_runtime(struct reader *rd, struct shim_config *c, int *hv)
{
	static const char *const hvs[] = {"qemu", "none", NULL};
	int r = read_bool(rd, "enable_debug", &c->debug);
	if (r == 0)
		r = read_uint(rd, "create_container_timeout", 1, 86400, &c->create_container_timeout_s);
	if (r == 0)
		r = read_uint(rd, "request_timeout", 1, 86400, &c->request_timeout_s);
	if (r == 0)
		r = read_enum(rd, "hypervisor", hvs, hv);
	return r;
}

/* A section's table ("agent.cocoon"); absent is fine, anything else on
 * the way that is not a table is an error. */
static int section(const toml_value *root, const char *file, const char *path,
                   struct reader *rd, cc_error **err)
{
	*rd = (struct reader){.file = file, .section = path, .err = err};
	const toml_value *t = root;
	char part[64];
	for (const char *p = path; t != NULL && p != NULL;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		t = toml_table_get(t, part);
		if (t != NULL && toml_type(t) != TOML_TABLE)
			return cc_error_set_at(err, -EINVAL, "config_error", file, (int)toml_line(t), 0,
			                       "%.*s: expected a table", (int)(p + n - path), path);
		p = dot ? dot + 1 : NULL;
	}
	rd->table = t;
	return 0;
}

int shim_config_load_text(struct shim_config *c, const char *name, const char *text, size_t len,
                          cc_error **err)
{
	int r = shim_config_default(c, err);
	if (r < 0)
		return r;
	if ((r = set_str(&c->source, name, err)) < 0)
		return r;
	toml_doc *d = NULL;
	if ((r = toml_parse(text, len, name, &d, err)) < 0)
		return r;
	const toml_value *root = toml_doc_root(d);
	struct reader rd;
	int hv = -1;
	if ((r = section(root, name, "hypervisor.qemu", &rd, err)) == 0 && rd.table)
		r = read_qemu(&rd, c);
	bool has_qemu = rd.table != NULL;
	if (r == 0 && (r = section(root, name, "hypervisor.none", &rd, err)) == 0 && rd.table)
		r = read_none(&rd, c);
	bool has_none = rd.table != NULL;
	if (r == 0 && (r = section(root, name, "agent.cocoon", &rd, err)) == 0) {
		if (rd.table == NULL) /* a Kata file's section */
			r = section(root, name, "agent.kata", &rd, err);
		if (r == 0 && rd.table)
			r = read_agent(&rd, c);
	}
	if (r == 0 && (r = section(root, name, "runtime", &rd, err)) == 0 && rd.table)
		r = read_runtime(&rd, c, &hv);
	/* the hypervisor: [runtime] hypervisor, else the one [hypervisor.*]
	 * table the file has (Kata's files have exactly one) */
	if (r == 0)
		c->hypervisor = hv == 1 || (hv < 0 && has_none && !has_qemu) ? SHIM_HV_NONE : SHIM_HV_QEMU;
	if (r == 0 && c->hypervisor == SHIM_HV_NONE && c->host_agent_path == NULL)
		r = cc_error_set_at(err, -EINVAL, "config_error", name, 0, 0,
		                    "hypervisor \"none\" needs [hypervisor.none] agent_path");
	toml_doc_free(d);
	return r;
}

int shim_config_load_file(struct shim_config *c, const char *path, cc_error **err)
{
	char *text = NULL;
	size_t len = 0;
	int r = shim_read_small_file(path, CC_TOML_MAX_BYTES, &text, &len, err);
	if (r < 0) {
		shim_config_default(c, NULL);
		return cc_error_wrap(err, "configuration");
	}
	r = shim_config_load_text(c, path, text, len, err);
	free(text);
	return r;
}

char *shim_config_pick_path(const char *options_path)
{
	if (options_path != NULL && *options_path != '\0')
		return strdup(options_path);
	const char *env = getenv("COCOON_CONF_FILE");
	if (env != NULL && *env != '\0')
		return strdup(env);
	if (access(ETC_CONFIG, F_OK) == 0)
		return strdup(ETC_CONFIG);
	return strdup(COCOON_DATADIR "/configuration.toml");
}
