/* User resolution for the runtime config (execuser.h).
 *
 * Follows GetExecUser of runc's libcontainer/user (vendored by umoci
 * 0.4.7), moby/sys/user today: a numeric user or group matches by id only
 * and may be missing from the files; a name must be found. Lines are split
 * on ':' and trimmed of white space; numbers that do not parse count as 0
 * ("misbehaving configuration files"); group lines starting with '#' are
 * comments. Without an explicit group the user's supplementary groups are
 * every group listing the user by name. Lines longer than bufio.Scanner
 * takes (64 KiB for passwd, 1 MiB for group) fail the lookup as in Go.
 */
#include "execuser.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "unpack_int.h"

#define ID_MAX 2147483647L /* runc: ids must fit in int32 */

struct id_arg {
	bool set;     /* the spec has this part */
	bool numeric;
	long id;
	char *name;
};

/* Go's strconv.Atoi on n bytes: optional sign, decimal digits. Returns 1
 * for a number (in *ret), 0 for not a number, -ERANGE if out of range. */
static int go_atoi(const char *s, size_t n, long *ret)
{
	size_t i = 0;
	bool neg = false;
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return 0;
	long v = 0;
	bool big = false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (v > (ID_MAX * 10L))
			big = true;
		else
			v = v * 10 + (s[i] - '0');
	}
	if (big)
		return -ERANGE;
	*ret = neg ? -v : v;
	return 1;
}

static int id_arg_parse(const char *s, size_t n, struct id_arg *a, cc_error **err)
{
	memset(a, 0, sizeof(*a));
	if (n == 0)
		return 0;
	a->set = true;
	a->name = strndup(s, n);
	if (a->name == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = go_atoi(s, n, &a->id);
	if (r == 1 && (a->id < 0 || a->id > ID_MAX))
		r = -ERANGE;
	if (r < 0)
		return cc_error_set(err, -ERANGE, "user spec: uids and gids must be in range 0-%ld",
		                    ID_MAX);
	a->numeric = r == 1;
	return 0;
}

/* Reads <rootfd>/etc/<name> whole (bounded). *ret NULL: absent. */
static int read_user_file(int rootfd, const char *name, char **ret, size_t *ret_len,
                          cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	if (rootfd < 0)
		return 0;
	_cleanup_close_ int fd = fs_open_in_root(rootfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	cc_buf b;
	cc_buf_init(&b, CC_IMG_MAX_PASSWD_BYTES);
	char chunk[16384];
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		int r = cc_buf_add(&b, chunk, (size_t)got);
		if (r < 0) {
			cc_buf_free(&b);
			return cc_error_set(err, r == -E2BIG ? -EFBIG : r, "/%s: over %u bytes", name,
			                    CC_IMG_MAX_PASSWD_BYTES);
		}
	}
	*ret = cc_buf_steal(&b, ret_len);
	return *ret == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
}

/* Iterates trimmed, non-empty lines; returns false at the end. *too_long
 * is set if a line is over max bytes. */
static bool next_line(const char **pos, const char *end, size_t max, const char **ret,
                      size_t *ret_n, bool *too_long)
{
	while (*pos < end) {
		const char *s = *pos;
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl != NULL ? nl : end;
		*pos = nl != NULL ? nl + 1 : end;
		if ((size_t)(e - s) > max)
			*too_long = true;
		while (s < e && strchr(" \t\r\v\f", *s) != NULL)
			s++;
		while (e > s && strchr(" \t\r\v\f", e[-1]) != NULL)
			e--;
		if (e > s) {
			*ret = s;
			*ret_n = (size_t)(e - s);
			return true;
		}
	}
	return false;
}

/* Field i (split on ':') of a line; empty if there are fewer. */
static void field(const char *l, size_t n, int i, const char **ret, size_t *ret_n)
{
	const char *s = l, *end = l + n;
	for (int k = 0; k < i; k++) {
		const char *c = memchr(s, ':', (size_t)(end - s));
		if (c == NULL) {
			*ret = end;
			*ret_n = 0;
			return;
		}
		s = c + 1;
	}
	const char *c = memchr(s, ':', (size_t)(end - s));
	*ret = s;
	*ret_n = (size_t)((c != NULL ? c : end) - s);
}

static long field_num(const char *l, size_t n, int i)
{
	const char *f;
	size_t fn;
	long v = 0;
	field(l, n, i, &f, &fn);
	return go_atoi(f, fn, &v) == 1 ? v : 0;
}

static bool field_is(const char *l, size_t n, int i, const char *s)
{
	const char *f;
	size_t fn;
	field(l, n, i, &f, &fn);
	return fn == strlen(s) && memcmp(f, s, fn) == 0;
}

/* Whether the comma-separated member list (field 3) names user. */
static bool group_lists(const char *l, size_t n, const char *user)
{
	const char *p, *end;
	size_t fn, un = strlen(user);
	field(l, n, 3, &p, &fn);
	if (fn == 0)
		return false;
	for (end = p + fn;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *e = c != NULL ? c : end;
		if ((size_t)(e - p) == un && memcmp(p, user, un) == 0)
			return true;
		if (c == NULL)
			return false;
		p = c + 1;
	}
}

struct files {
	char *passwd, *group;
	size_t passwd_n, group_n;
};

/* Finds the user; fills uid, gid, home and *matched (the name). */
static int find_user(const struct files *f, const struct id_arg *ua, struct exec_user *u,
                     char **matched, cc_error **err)
{
	const char *pos = f->passwd, *l;
	const char *end = f->passwd != NULL ? f->passwd + f->passwd_n : NULL;
	size_t n;
	bool too_long = false;
	while (f->passwd != NULL && next_line(&pos, end, 65536, &l, &n, &too_long)) {
		if (too_long)
			break;
		bool hit = !ua->set ? field_num(l, n, 2) == 0
		           : ua->numeric ? field_num(l, n, 2) == ua->id
		                         : field_is(l, n, 0, ua->name);
		if (!hit)
			continue;
		const char *s;
		size_t sn;
		field(l, n, 0, &s, &sn);
		*matched = strndup(s, sn);
		field(l, n, 5, &s, &sn);
		u->home = sn > 0 ? strndup(s, sn) : NULL;
		if (*matched == NULL || (sn > 0 && u->home == NULL))
			return cc_error_set(err, -ENOMEM, "out of memory");
		u->uid = (uint32_t)field_num(l, n, 2);
		u->gid = (uint32_t)field_num(l, n, 3);
		return 0;
	}
	if (too_long)
		return cc_error_set(err, -EINVAL, "unable to find user %s: /etc/passwd: line too long",
		                    ua->set ? ua->name : "0");
	if (ua->set && !ua->numeric)
		return cc_error_set(err, -ENOENT,
		                    "unable to find user %s: no matching entries in passwd file",
		                    ua->name);
	if (ua->set)
		u->uid = (uint32_t)ua->id;
	return 0;
}

static int add_sgid(struct exec_user *u, long gid)
{
	uint32_t *n = realloc(u->sgids, (u->nsgids + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	u->sgids = n;
	u->sgids[u->nsgids++] = (uint32_t)gid;
	return 0;
}

static int find_groups(const struct files *f, const struct id_arg *ga, const char *matched,
                       struct exec_user *u, cc_error **err)
{
	const char *pos = f->group, *l;
	const char *end = f->group != NULL ? f->group + f->group_n : NULL;
	size_t n;
	bool too_long = false, found = false;
	while (f->group != NULL && next_line(&pos, end, 1024 * 1024, &l, &n, &too_long)) {
		if (too_long)
			return cc_error_set(err, -EINVAL, "unable to find groups: /etc/group: line too long");
		if (l[0] == '#')
			continue;
		if (!ga->set) {
			if (group_lists(l, n, matched) && add_sgid(u, field_num(l, n, 2)) < 0)
				return cc_error_set(err, -ENOMEM, "out of memory");
			continue;
		}
		bool hit = ga->numeric ? field_num(l, n, 2) == ga->id : field_is(l, n, 0, ga->name);
		if (hit && !found) {
			u->gid = (uint32_t)field_num(l, n, 2);
			found = true;
		}
	}
	if (!ga->set || found)
		return 0;
	if (!ga->numeric)
		return cc_error_set(err, -ENOENT,
		                    "unable to find group %s: no matching entries in group file",
		                    ga->name);
	u->gid = (uint32_t)ga->id;
	return 0;
}

void exec_user_clear(struct exec_user *u)
{
	free(u->sgids);
	free(u->home);
	memset(u, 0, sizeof(*u));
}

static int resolve(const struct files *f, const char *spec, struct exec_user *u, cc_error **err)
{
	const char *colon = strchr(spec, ':');
	size_t un = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	struct id_arg ua = {0}, ga = {0};
	int r = id_arg_parse(spec, un, &ua, err);
	if (r == 0)
		r = id_arg_parse(colon != NULL ? colon + 1 : "", colon != NULL ? strlen(colon + 1) : 0,
		                 &ga, err);
	_cleanup_free_ char *matched = NULL;
	if (r == 0)
		r = find_user(f, &ua, u, &matched, err);
	if (r == 0 && (ga.set || matched != NULL))
		r = find_groups(f, &ga, matched, u, err);
	free(ua.name);
	free(ga.name);
	return r;
}

int exec_user_resolve(int rootfd, const char *spec, struct exec_user *ret, cc_error **err)
{
	struct files f = {0};
	int r = read_user_file(rootfd, "etc/passwd", &f.passwd, &f.passwd_n, err);
	if (r == 0)
		r = read_user_file(rootfd, "etc/group", &f.group, &f.group_n, err);
	struct exec_user u = {0};
	if (r == 0)
		r = resolve(&f, spec != NULL ? spec : "", &u, err);
	free(f.passwd);
	free(f.group);
	if (r < 0) {
		exec_user_clear(&u);
		return r;
	}
	*ret = u;
	return 0;
}
