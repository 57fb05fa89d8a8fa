/* cocoon-agent's configuration (config.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "cocoon/file.h"
#include "cocoon/limits.h"

const char agent_usage[] =
    "usage: cocoon-agent (--channel DEV | --listen unix:PATH | --listen vsock://CID:PORT)\n"
    "                    [--policy FILE] [--config FILE] [--log-level LEVEL]\n"
    "                    [--policy-input both|kata|kata-2024|kata-2023] [--kernel-cmdline FILE]\n"
    "                    [--run-dir DIR] [--oci-runtime PATH] [--oci-root DIR]\n"
    "                    [--image-cache DIR] [--image-policy FILE] [--registries-d DIR]\n"
    "                    [--insecure-registries] [--guest | --no-guest]\n"
    "                    [--initdata-device PATH | --initdata-scan-dir DIR] [--initdata-dir DIR]\n"
    "       cocoon-agent --help | --version\n"
    "See cocoon-agent(1) (docs/man/cocoon-agent.md).\n";

enum {
	OPT_CHANNEL = 256,
	OPT_LISTEN,
	OPT_POLICY,
	OPT_CONFIG,
	OPT_LOG_LEVEL,
	OPT_POLICY_INPUT,
	OPT_KERNEL_CMDLINE,
	OPT_RUN_DIR,
	OPT_OCI_RUNTIME,
	OPT_OCI_ROOT,
	OPT_IMAGE_CACHE,
	OPT_IMAGE_POLICY,
	OPT_REGISTRIES_D,
	OPT_INSECURE,
	OPT_GUEST,
	OPT_NO_GUEST,
	OPT_INITDATA_DEVICE,
	OPT_INITDATA_DIR,
	OPT_INITDATA_SCAN_DIR,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
    {"channel", required_argument, NULL, OPT_CHANNEL},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"policy-input", required_argument, NULL, OPT_POLICY_INPUT},
    {"kernel-cmdline", required_argument, NULL, OPT_KERNEL_CMDLINE},
    {"run-dir", required_argument, NULL, OPT_RUN_DIR},
    {"oci-runtime", required_argument, NULL, OPT_OCI_RUNTIME},
    {"oci-root", required_argument, NULL, OPT_OCI_ROOT},
    {"image-cache", required_argument, NULL, OPT_IMAGE_CACHE},
    {"image-policy", required_argument, NULL, OPT_IMAGE_POLICY},
    {"registries-d", required_argument, NULL, OPT_REGISTRIES_D},
    {"insecure-registries", no_argument, NULL, OPT_INSECURE},
    {"guest", no_argument, NULL, OPT_GUEST},
    {"no-guest", no_argument, NULL, OPT_NO_GUEST},
    {"initdata-device", required_argument, NULL, OPT_INITDATA_DEVICE},
    {"initdata-dir", required_argument, NULL, OPT_INITDATA_DIR},
    {"initdata-scan-dir", required_argument, NULL, OPT_INITDATA_SCAN_DIR},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Replaces *dst with a copy of src (NULL clears). */
static int set_str(char **dst, const char *src, cc_error **err)
{
	char *d = NULL;
	if (src != NULL && (d = strdup(src)) == NULL)
		return cc_error_set(err, -ENOMEM, "config: out of memory");
	free(*dst);
	*dst = d;
	return 0;
}

const char *agent_config_unix_path(const char *a)
{
	if (a == NULL || strncmp(a, "unix:", 5) != 0)
		return NULL;
	a += 5;
	if (strncmp(a, "//", 2) == 0)
		a += 2;
	return *a ? a : NULL;
}

/* A listen address: unix:PATH, unix://PATH or vsock://CID:PORT. */
static int check_listen(const char *a, const char *what, cc_error **err)
{
	if (agent_config_unix_path(a) != NULL)
		return 0;
	if (strncmp(a, "vsock://", 8) == 0 && strchr(a + 8, ':') != NULL)
		return 0;
	return cc_error_set(err, -EINVAL,
	                    "%s: '%s' is not unix:PATH, unix://PATH or vsock://CID:PORT", what, a);
}

static void set_defaults(struct agent_config *c)
{
	c->log_level = AGENT_LOG_INFO;
	c->policy_input = AGENT_JSON_BOTH;
	c->rt.guest = getpid() == 1 || getenv("COCOON_AGENT_CHANNEL") != NULL;
}

/* ---- kernel command line ------------------------------------------------- */

/* One agent.* word (key=value, or a flag without '='). Kata's names
 * (src/agent/src/config.rs); unknown agent.* words are ignored, as Kata
 * does. */
static int apply_kernel_word(struct agent_config *c, const char *w, cc_error **err)
{
	const char *eq = strchr(w, '=');
	size_t klen = eq ? (size_t)(eq - w) : strlen(w);
	const char *v = eq ? eq + 1 : NULL;
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(w, k, klen) == 0)
	if (KEY("agent.log") && v) {
		if (agent_log_level_parse(v, &c->log_level) < 0)
			return cc_error_set(err, -EINVAL, "kernel command line: agent.log=%s: unknown level",
			                    v);
		return 0;
	}
	if (KEY("agent.debug_console")) {
		c->debug_console = true;
		return 0;
	}
	if (KEY("agent.server_addr") && v) {
		int r = check_listen(v, "kernel command line: agent.server_addr", err);
		if (r == 0)
			r = set_str(&c->listen, v, err);
		if (r == 0)
			r = set_str(&c->channel, NULL, err);
		return r;
	}
	if (KEY("agent.config_file") && v)
		return 0; /* read before the rest (agent_config_parse) */
#undef KEY
	return 0;
}

/* Splits text into words (spaces separate; "..." keeps spaces, as the
 * kernel's parser does) and calls fn on each agent.* word. */
static int each_kernel_word(const char *text, int (*fn)(void *, const char *, cc_error **),
                            void *ctx, cc_error **err)
{
	cc_buf w;
	cc_buf_init(&w, CC_AGENT_MAX_CMDLINE_BYTES);
	int r = 0;
	const char *p = text;
	while (r == 0 && *p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		w.len = 0;
		bool quoted = false;
		for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if ((r = cc_buf_addc(&w, *p)) < 0)
				break;
		}
		if (r == 0 && w.p && strncmp(w.p, "agent.", 6) == 0) {
			w.p[w.len] = '\0';
			r = fn(ctx, w.p, err);
		}
	}
	if (r == -ENOMEM || r == -E2BIG)
		r = cc_error_set(err, r, "kernel command line: too long or out of memory");
	cc_buf_free(&w);
	return r;
}

static int kernel_word_cb(void *ctx, const char *w, cc_error **err)
{
	return apply_kernel_word(ctx, w, err);
}

static int config_file_cb(void *ctx, const char *w, cc_error **err)
{
	if (strncmp(w, "agent.config_file=", 18) == 0)
		return set_str(ctx, w + 18, err);
	return 0;
}

int agent_config_apply_cmdline(struct agent_config *c, const char *text, cc_error **err)
{
	return each_kernel_word(text, kernel_word_cb, c, err);
}

/* ---- JSON config file ------------------------------------------------------- */

static int json_str_opt(struct agent_config *c, const char *name, const char *key, json_t *v,
                        cc_error **err)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
	    {"channel", offsetof(struct agent_config, channel)},
	    {"listen", offsetof(struct agent_config, listen)},
	    {"policy", offsetof(struct agent_config, policy)},
	    {"run_dir", offsetof(struct agent_config, run_dir)},
	    {"oci_runtime", offsetof(struct agent_config, oci_runtime)},
	    {"oci_root", offsetof(struct agent_config, oci_root)},
	    {"image_cache_dir", offsetof(struct agent_config, image_cache_dir)},
	    {"image_policy_file", offsetof(struct agent_config, image_policy_file)},
	    {"image_registries_d", offsetof(struct agent_config, image_registries_d)},
	    {"initdata_device", offsetof(struct agent_config, initdata_device)},
	    {"initdata_dir", offsetof(struct agent_config, initdata_dir)},
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strcmp(key, strs[i].key) != 0)
			continue;
		if (!json_is_string(v))
			return cc_error_set(err, -EINVAL, "%s: \"%s\" must be a string", name, key);
		if (strcmp(key, "listen") == 0 && check_listen(json_string_value(v), name, err) < 0)
			return -EINVAL;
		return set_str((char **)((char *)c + strs[i].off), json_string_value(v), err);
	}
	return 1; /* not a string option */
}

int agent_config_apply_json(struct agent_config *c, const char *name, const char *text,
                            size_t len, cc_error **err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return cc_error_set(err, -EINVAL, "%s:%d:%d: %s", name, je.line, je.column, je.text);
	int r = 0;
	if (!json_is_object(root))
		r = cc_error_set(err, -EINVAL, "%s: not a JSON object", name);
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v)
	{
		if (r < 0)
			break;
		r = json_str_opt(c, name, key, v, err);
		if (r <= 0)
			continue;
		r = 0;
		if (strcmp(key, "log_level") == 0) {
			if (!json_is_string(v) || agent_log_level_parse(json_string_value(v), &c->log_level) < 0)
				r = cc_error_set(err, -EINVAL, "%s: \"log_level\": not a level", name);
		} else if (strcmp(key, "policy_input") == 0) {
			if (!json_is_string(v) ||
			    agent_json_shape_parse(json_string_value(v), &c->policy_input) < 0)
				r = cc_error_set(err, -EINVAL,
				                 "%s: \"policy_input\": not both, kata, kata-2024 or kata-2023", name);
		} else if (strcmp(key, "image_insecure_registries") == 0 || strcmp(key, "guest") == 0) {
			if (!json_is_boolean(v))
				r = cc_error_set(err, -EINVAL, "%s: \"%s\" must be true or false", name, key);
			else if (key[0] == 'g')
				c->rt.guest = json_is_true(v);
			else
				c->rt.image_insecure_registries = json_is_true(v);
		} else {
			r = cc_error_set(err, -EINVAL, "%s: unknown key \"%s\"", name, key);
		}
	}
	json_decref(root);
	return r;
}

/* ---- command line ------------------------------------------------------------- */

static int apply_opt(struct agent_config *c, int opt, const char *arg, cc_error **err)
{
	switch (opt) {
	/* a channel given here replaces one from the files, of either kind */
	case OPT_CHANNEL:
		free(c->listen);
		c->listen = NULL;
		return set_str(&c->channel, arg, err);
	case OPT_LISTEN:
		if (check_listen(arg, "--listen", err) < 0)
			return -EINVAL;
		free(c->channel);
		c->channel = NULL;
		return set_str(&c->listen, arg, err);
	case OPT_POLICY:
		return set_str(&c->policy, arg, err);
	case OPT_LOG_LEVEL:
		if (agent_log_level_parse(arg, &c->log_level) < 0)
			return cc_error_set(err, -EINVAL, "--log-level %s: not a level", arg);
		return 0;
	case OPT_POLICY_INPUT:
		if (agent_json_shape_parse(arg, &c->policy_input) < 0)
			return cc_error_set(err, -EINVAL, "--policy-input %s: not both, kata, kata-2024 or kata-2023",
			                    arg);
		return 0;
	case OPT_RUN_DIR:
		return set_str(&c->run_dir, arg, err);
	case OPT_OCI_RUNTIME:
		return set_str(&c->oci_runtime, arg, err);
	case OPT_OCI_ROOT:
		return set_str(&c->oci_root, arg, err);
	case OPT_IMAGE_CACHE:
		return set_str(&c->image_cache_dir, arg, err);
	case OPT_IMAGE_POLICY:
		return set_str(&c->image_policy_file, arg, err);
	case OPT_REGISTRIES_D:
		return set_str(&c->image_registries_d, arg, err);
	case OPT_INITDATA_DEVICE:
		return set_str(&c->initdata_device, arg, err);
	case OPT_INITDATA_DIR:
		if (arg[0] != '/')
			return cc_error_set(err, -EINVAL, "--initdata-dir %s: not an absolute path", arg);
		return set_str(&c->initdata_dir, arg, err);
	case OPT_INITDATA_SCAN_DIR:
		return set_str(&c->initdata_scan_dir, arg, err);
	case OPT_INSECURE:
		c->rt.image_insecure_registries = true;
		return 0;
	case OPT_GUEST:
	case OPT_NO_GUEST:
		c->rt.guest = opt == OPT_GUEST;
		return 0;
	default: /* read in the first pass */
		return 0;
	}
}

/* getopt over argv: first pass (files) or second (everything else). */
static int scan_args(struct agent_config *c, int argc, char **argv, bool first,
                     enum agent_config_action *action, cc_error **err)
{
	optind = 1;
	opterr = 0;
	int opt;
	bool channel = false, listen = false;
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return cc_error_set(err, -EINVAL, "unknown option or missing value: %s",
			                    argv[optind - 1]);
		channel |= opt == OPT_CHANNEL;
		listen |= opt == OPT_LISTEN;
		if (channel && listen)
			return cc_error_set(err, -EINVAL, "--channel and --listen: give one of them");
		int r = 0;
		if (first && opt == OPT_CONFIG)
			r = set_str(&c->config_file, optarg, err);
		else if (first && opt == OPT_KERNEL_CMDLINE)
			r = set_str(&c->kernel_cmdline, optarg, err);
		else if (first && opt == OPT_HELP)
			*action = AGENT_HELP;
		else if (first && opt == OPT_VERSION && *action != AGENT_HELP)
			*action = AGENT_VERSION;
		else if (!first)
			r = apply_opt(c, opt, optarg, err);
		if (r < 0)
			return r;
	}
	if (optind < argc)
		return cc_error_set(err, -EINVAL, "unexpected argument: %s", argv[optind]);
	return 0;
}

/* Fills the runtime options from the owned strings, with the defaults. */
static void finish_rt(struct agent_config *c)
{
	c->rt.run_dir = c->run_dir ? c->run_dir : "/run/kata-containers";
	c->rt.oci_runtime = c->oci_runtime ? c->oci_runtime : "/usr/bin/crun";
	c->rt.oci_root = c->oci_root ? c->oci_root : "/run/cocoon/oci";
	c->rt.image_cache_dir = c->image_cache_dir ? c->image_cache_dir : "/run/cocoon/images";
	c->rt.image_policy_file = c->image_policy_file;
	c->rt.image_registries_d = c->image_registries_d;
}

int agent_config_parse(struct agent_config *c, int argc, char **argv,
                       enum agent_config_action *ret_action, cc_error **err)
{
	*c = (struct agent_config){0};
	set_defaults(c);
	enum agent_config_action action = AGENT_RUN;
	int r = scan_args(c, argc, argv, true, &action, err);
	if (r < 0 || action != AGENT_RUN) {
		*ret_action = action;
		return r;
	}
	/* the kernel command line: the test's file, or the guest's */
	char *cmdline = NULL;
	if (c->kernel_cmdline == NULL && c->rt.guest)
		r = set_str(&c->kernel_cmdline, "/proc/cmdline", err);
	if (r == 0 && c->kernel_cmdline != NULL)
		r = cc_read_file(c->kernel_cmdline, CC_AGENT_MAX_CMDLINE_BYTES, 0, &cmdline, NULL, err);
	if (r == 0 && cmdline != NULL && c->config_file == NULL)
		r = each_kernel_word(cmdline, config_file_cb, &c->config_file, err);
	/* file < kernel command line < flags */
	if (r == 0 && c->config_file != NULL) {
		char *text = NULL;
		size_t len = 0;
		r = cc_read_file(c->config_file, CC_AGENT_MAX_CONFIG_BYTES, 0, &text, &len, err);
		if (r == 0)
			r = agent_config_apply_json(c, c->config_file, text, len, err);
		free(text);
	}
	if (r == 0 && cmdline != NULL)
		r = agent_config_apply_cmdline(c, cmdline, err);
	free(cmdline);
	if (r == 0 && c->channel == NULL && c->listen == NULL && getenv("COCOON_AGENT_CHANNEL"))
		r = set_str(&c->channel, getenv("COCOON_AGENT_CHANNEL"), err);
	if (r == 0)
		r = scan_args(c, argc, argv, false, &action, err);
	if (r == 0 && c->channel != NULL && c->listen != NULL)
		r = cc_error_set(err, -EINVAL, "--channel and --listen: give one of them");
	if (r == 0 && c->channel == NULL && c->listen == NULL)
		r = cc_error_set(err, -EINVAL,
		                 "no channel: give --channel DEV or --listen unix:PATH (see --help)");
	finish_rt(c);
	*ret_action = action;
	return r;
}

void agent_config_free(struct agent_config *c)
{
	char **strs[] = {&c->channel,      &c->listen,          &c->policy,
	                 &c->config_file,  &c->kernel_cmdline,  &c->run_dir,
	                 &c->oci_runtime,  &c->oci_root,        &c->image_cache_dir,
	                 &c->image_policy_file, &c->image_registries_d,
	                 &c->initdata_device, &c->initdata_dir, &c->initdata_scan_dir};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}
