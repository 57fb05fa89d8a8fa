/* Go-flag-style parsing of the shim's command line (flags.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "flags.h"

struct flag_def {
	const char *name;
	size_t off;   /* offsetof the const char * field, or of the bool */
	bool boolean;
};

static const struct flag_def defs[] = {
	{"namespace", offsetof(struct shim_flags, namespace_), false},
	{"address", offsetof(struct shim_flags, address), false},
	{"publish-binary", offsetof(struct shim_flags, publish_binary), false},
	{"id", offsetof(struct shim_flags, id), false},
	{"bundle", offsetof(struct shim_flags, bundle), false},
	{"socket", offsetof(struct shim_flags, socket), false},
	{"cocoon-config", offsetof(struct shim_flags, config), false},
	{"debug", offsetof(struct shim_flags, debug), true},
	{"v", 0, true},
};

static const struct flag_def *lookup(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (strlen(defs[i].name) == n && strncmp(defs[i].name, name, n) == 0)
			return &defs[i];
	return NULL;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *s, bool *ret)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, t[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(s, f[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int shim_flags_parse(int argc, char **argv, struct shim_flags *ret, cc_error **err)
{
	struct shim_flags f = {0};
	bool version = false;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		const char *name = a + 1;
		if (name[0] == '-') {
			name++;
			if (name[0] == '\0') { /* "--" ends the flags */
				i++;
				break;
			}
		}
		if (name[0] == '-' || name[0] == '=')
			return cc_error_set(err, -EINVAL, "bad flag syntax: %s", a);
		const char *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		const struct flag_def *d = lookup(name, n);
		if (d == NULL)
			return cc_error_set(err, -EINVAL, "flag provided but not defined: -%.*s", (int)n,
			                    name);
		if (d->boolean) {
			bool v = true;
			if (eq && parse_bool(eq + 1, &v) < 0)
				return cc_error_set(err, -EINVAL, "invalid boolean value \"%s\" for -%s",
				                    eq + 1, d->name);
			if (strcmp(d->name, "v") == 0)
				version = v;
			else
				*(bool *)((char *)&f + d->off) = v;
			continue;
		}
		const char *val;
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			return cc_error_set(err, -EINVAL, "flag needs an argument: -%s", d->name);
		}
		*(const char **)((char *)&f + d->off) = val;
	}
	if (version) {
		f.action = SHIM_VERSION;
		*ret = f;
		return 0;
	}
	if (i < argc) {
		if (strcmp(argv[i], "start") == 0)
			f.action = SHIM_START;
		else if (strcmp(argv[i], "delete") == 0)
			f.action = SHIM_DELETE;
		else
			return cc_error_set(err, -EINVAL, "unknown action \"%s\" (start, delete)", argv[i]);
		if (i + 1 < argc)
			return cc_error_set(err, -EINVAL, "unexpected \"%s\" after %s", argv[i + 1],
			                    argv[i]);
	}
	*ret = f;
	return 0;
}
