/* configfs-tsm reports (tsm_report.h). */
#include "tsm_report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cocoon/limits.h"

/* ---- the real file operations ----------------------------------------- */

static int fs_mkdir(void *ctx, const char *path)
{
	(void)ctx;
	return mkdir(path, 0700) < 0 ? -errno : 0;
}

static int fs_rmdir(void *ctx, const char *path)
{
	(void)ctx;
	return rmdir(path) < 0 ? -errno : 0;
}

/* One open, write, close: configfs commits a binary attribute on close. */
static int fs_write(void *ctx, const char *path, const uint8_t *p, size_t len)
{
	(void)ctx;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			return -e;
		}
		done += (size_t)n;
	}
	return close(fd) < 0 ? -errno : 0;
}

static int fs_read(void *ctx, const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	(void)ctx;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap + 1);
	int r = buf == NULL ? -ENOMEM : 0;
	while (r == 0) {
		if (len == cap) {
			if (cap > max) {
				r = -EFBIG;
				break;
			}
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			uint8_t *nb = realloc(buf, ncap + 1);
			if (nb == NULL) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else if (n == 0)
			break;
		else
			len += (size_t)n;
	}
	close(fd);
	if (r == 0 && len > max)
		r = -EFBIG;
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = 0;
	*ret = buf;
	*ret_len = len;
	return 0;
}

const tsm_ops tsm_fs_ops = {
	.mkdir = fs_mkdir,
	.rmdir = fs_rmdir,
	.write = fs_write,
	.read = fs_read,
};

/* ---- reports ---------------------------------------------------------- */

typedef struct entry {
	const tsm_ops *ops;
	void *ctx;
	char dir[PATH_MAX];
} entry;

static int attr_path(const entry *e, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", e->dir, name);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static const char *root_of(const char *root)
{
	return root == NULL ? "" : root;
}

/* mkdir a new entry with a name no other user picks (pid, counter and
 * random bytes; EEXIST: another name, bounded). */
static int entry_open(entry *e, const tsm_ops *ops, void *ctx, const char *root,
                      cc_error **err)
{
	static atomic_uint counter;
	e->ops = ops;
	e->ctx = ctx;
	char base[PATH_MAX];
	int n = snprintf(base, sizeof(base), "%s%s", root_of(root), TSM_REPORT_DIR);
	if (n < 0 || (size_t)n >= sizeof(base))
		return cc_error_set(err, -ENAMETOOLONG, "configfs-tsm: root path too long");
	struct stat st;
	if (stat(base, &st) < 0 || !S_ISDIR(st.st_mode))
		return cc_error_set(err, -ENODEV, "configfs-tsm: %s does not exist", base);
	int r = -EEXIST;
	for (unsigned i = 0; i < 8 && r == -EEXIST; i++) {
		unsigned char rnd[4] = {0};
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return cc_error_set(err, -EIO, "configfs-tsm: no random bytes for a name");
		n = snprintf(e->dir, sizeof(e->dir), "%s/cocoon-%ld-%u-%02x%02x%02x%02x", base,
		             (long)getpid(), atomic_fetch_add(&counter, 1), rnd[0], rnd[1], rnd[2],
		             rnd[3]);
		if (n < 0 || (size_t)n >= sizeof(e->dir))
			return cc_error_set(err, -ENAMETOOLONG, "configfs-tsm: root path too long");
		r = ops->mkdir(ctx, e->dir);
	}
	if (r < 0)
		return cc_error_set(err, r, "configfs-tsm: mkdir %s: %s", e->dir, strerror(-r));
	return 0;
}

static void entry_close(entry *e)
{
	e->ops->rmdir(e->ctx, e->dir);
}

static int attr_read(const entry *e, const char *name, size_t max, uint8_t **ret,
                     size_t *ret_len, cc_error **err)
{
	char p[PATH_MAX];
	int r = attr_path(e, name, p, sizeof(p));
	if (r == 0)
		r = e->ops->read(e->ctx, p, max, ret, ret_len);
	if (r == -EFBIG)
		return cc_error_set(err, -E2BIG, "oversized: configfs-tsm %s (more than %zu bytes)",
		                    name, max);
	if (r < 0)
		return cc_error_set(err, r, "configfs-tsm: reading %s: %s", p, strerror(-r));
	return 0;
}

static int attr_write(const entry *e, const char *name, const uint8_t *p, size_t len,
                      cc_error **err)
{
	char path[PATH_MAX];
	int r = attr_path(e, name, path, sizeof(path));
	if (r == 0)
		r = e->ops->write(e->ctx, path, p, len);
	if (r < 0)
		return cc_error_set(err, r, "configfs-tsm: writing %s: %s", path, strerror(-r));
	return 0;
}

/* `provider` holds the name and a newline, nothing else. */
static int check_provider(const entry *e, const char *want, cc_error **err)
{
	uint8_t *p = NULL;
	size_t len = 0;
	int r = attr_read(e, "provider", 64, &p, &len, err);
	if (r < 0)
		return r;
	size_t wl = strlen(want);
	bool ok = len == wl + 1 && memcmp(p, want, wl) == 0 && p[wl] == '\n';
	if (!ok) {
		while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == 0))
			len--;
		r = cc_error_set(err, -ENODEV, "configfs-tsm: provider is '%.*s', not '%s'",
		                 (int)len, (const char *)p, want);
	}
	free(p);
	return r;
}

/* `generation`: a decimal u32 and a newline. */
static int read_generation(const entry *e, uint32_t *ret, cc_error **err)
{
	uint8_t *p = NULL;
	size_t len = 0;
	int r = attr_read(e, "generation", 32, &p, &len, err);
	if (r < 0)
		return r;
	if (len > 0 && p[len - 1] == '\n')
		len--;
	uint64_t v = 0;
	bool ok = len > 0 && len <= 10;
	for (size_t i = 0; ok && i < len; i++) {
		ok = p[i] >= '0' && p[i] <= '9';
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	free(p);
	if (!ok || v > UINT32_MAX)
		return cc_error_set(err, -EBADMSG, "configfs-tsm: generation is not a number");
	*ret = (uint32_t)v;
	return 0;
}

/* The kernel refuses a privlevel under `privlevel_floor` (the VMPL the
 * guest kernel runs at, under an SVSM): say so when that is why. */
static int privlevel_refused(const entry *e, int privlevel, cc_error **err)
{
	uint8_t *p = NULL;
	size_t len = 0;
	if (attr_read(e, "privlevel_floor", 32, &p, &len, NULL) < 0)
		return -EINVAL;
	int floor = len > 0 && p[0] >= '0' && p[0] <= '3' ? p[0] - '0' : -1;
	free(p);
	if (floor < 0 || privlevel >= floor)
		return -EINVAL;
	cc_error_free(*err);
	*err = NULL;
	return cc_error_set(err, -EINVAL,
	                    "configfs-tsm: privlevel %d is below privlevel_floor %d (the guest "
	                    "runs at VMPL %d)",
	                    privlevel, floor, floor);
}

void tsm_result_clear(tsm_result *r)
{
	if (r == NULL)
		return;
	free(r->outblob);
	free(r->auxblob);
	memset(r, 0, sizeof(*r));
}

/* One try on an open entry; *ret_raced when generation moved by more
 * than our own writes. */
static int report_once(const entry *e, const tsm_request *rq, tsm_result *ret, bool *ret_raced,
                       cc_error **err)
{
	uint32_t g0, g1, writes = 0;
	int r = read_generation(e, &g0, err);
	if (r == 0 && rq->privlevel >= 0) {
		char lv[16];
		int n = snprintf(lv, sizeof(lv), "%d\n", rq->privlevel);
		cc_error *werr = NULL;
		r = attr_write(e, "privlevel", (const uint8_t *)lv, (size_t)n, &werr);
		if (r == -EINVAL)
			r = privlevel_refused(e, rq->privlevel, &werr);
		cc_error_move(err, &werr);
		writes++;
	}
	if (r == 0) {
		r = attr_write(e, "inblob", rq->inblob, rq->inblob_len, err);
		writes++;
	}
	if (r == 0)
		r = attr_read(e, "outblob", CC_TSM_MAX_OUTBLOB_BYTES, &ret->outblob,
		              &ret->outblob_len, err);
	if (r == 0 && rq->want_aux) {
		r = attr_read(e, "auxblob", CC_TSM_MAX_AUXBLOB_BYTES, &ret->auxblob,
		              &ret->auxblob_len, err);
		if (r == 0 && ret->auxblob_len == 0) {
			free(ret->auxblob);
			ret->auxblob = NULL;
		}
	}
	if (r == 0)
		r = read_generation(e, &g1, err);
	if (r == 0)
		*ret_raced = g1 != g0 + writes;
	if (r == 0 && ret->outblob_len == 0)
		r = cc_error_set(err, -EIO, "configfs-tsm: empty outblob");
	return r;
}

int tsm_report_get(const tsm_ops *ops, void *ctx, const tsm_request *rq, tsm_result *ret,
                   cc_error **err)
{
	if (ops == NULL)
		ops = &tsm_fs_ops;
	memset(ret, 0, sizeof(*ret));
	if (rq->inblob_len == 0 || rq->inblob_len > 64 || rq->inblob == NULL)
		return cc_error_set(err, -EINVAL, "configfs-tsm: inblob must be 1 to 64 bytes, not %zu",
		                    rq->inblob_len);
	if (rq->privlevel > 3)
		return cc_error_set(err, -EINVAL, "configfs-tsm: privlevel %d is not 0..3",
		                    rq->privlevel);
	entry e;
	int r = entry_open(&e, ops, ctx, rq->root, err);
	if (r < 0)
		return r;
	r = check_provider(&e, rq->provider, err);
	bool raced = true;
	for (unsigned i = 0; r == 0 && raced && i < CC_TSM_ATTEMPTS; i++) {
		tsm_result_clear(ret);
		r = report_once(&e, rq, ret, &raced, err);
	}
	if (r == 0 && raced)
		r = cc_error_set(err, -EAGAIN,
		                 "configfs-tsm: generation: another writer used %s during each of %u "
		                 "attempts",
		                 e.dir, CC_TSM_ATTEMPTS);
	entry_close(&e);
	if (r < 0)
		tsm_result_clear(ret);
	return r;
}

bool tsm_report_has_provider(const tsm_ops *ops, void *ctx, const char *root,
                             const char *provider)
{
	if (ops == NULL)
		ops = &tsm_fs_ops;
	entry e;
	if (entry_open(&e, ops, ctx, root, NULL) < 0)
		return false;
	bool ok = check_provider(&e, provider, NULL) == 0;
	entry_close(&e);
	return ok;
}
