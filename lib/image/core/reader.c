/* Pull-style byte streams (reader.h). */
#include "reader.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct img_reader {
	const struct img_reader_ops *ops;
	void *self;
	uint64_t count;
};

img_reader *img_reader_new(const struct img_reader_ops *ops, void *self)
{
	img_reader *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		ops->free(self);
		return NULL;
	}
	r->ops = ops;
	r->self = self;
	return r;
}

ssize_t img_reader_read(img_reader *r, void *buf, size_t n, cc_error **err)
{
	if (n == 0)
		return 0;
	ssize_t got = r->ops->read(r->self, buf, n, err);
	if (got > 0)
		r->count += (uint64_t)got;
	return got;
}

ssize_t img_reader_read_full(img_reader *r, void *buf, size_t n, cc_error **err)
{
	size_t off = 0;
	while (off < n) {
		ssize_t got = img_reader_read(r, (char *)buf + off, n - off, err);
		if (got < 0)
			return got;
		if (got == 0)
			break;
		off += (size_t)got;
	}
	return (ssize_t)off;
}

int img_reader_drain(img_reader *r, cc_error **err)
{
	char buf[16384];
	for (;;) {
		ssize_t got = img_reader_read(r, buf, sizeof(buf), err);
		if (got < 0)
			return (int)got;
		if (got == 0)
			return 0;
	}
}

uint64_t img_reader_count(const img_reader *r)
{
	return r->count;
}

void img_reader_free(img_reader *r)
{
	if (r == NULL)
		return;
	r->ops->free(r->self);
	free(r);
}

/* ---- file descriptor ---------------------------------------------------- */

struct fd_reader {
	int fd;
	bool own;
};

static ssize_t fd_read(void *self, void *buf, size_t n, cc_error **err)
{
	struct fd_reader *f = self;
	for (;;) {
		ssize_t got = read(f->fd, buf, n);
		if (got >= 0)
			return got;
		if (errno != EINTR)
			return cc_error_set(err, -errno, "read: %s", strerror(errno));
	}
}

static void fd_free(void *self)
{
	struct fd_reader *f = self;
	if (f->own && f->fd >= 0)
		close(f->fd);
	free(f);
}

static const struct img_reader_ops fd_ops = {fd_read, fd_free};

img_reader *img_reader_fd(int fd, bool own)
{
	struct fd_reader *f = malloc(sizeof(*f));
	if (f == NULL) {
		if (own)
			close(fd);
		return NULL;
	}
	f->fd = fd;
	f->own = own;
	return img_reader_new(&fd_ops, f);
}

/* ---- memory -------------------------------------------------------------- */

struct mem_reader {
	const unsigned char *p;
	size_t n, off;
};

static ssize_t mem_read(void *self, void *buf, size_t n, cc_error **err)
{
	(void)err;
	struct mem_reader *m = self;
	size_t left = m->n - m->off;
	if (n > left)
		n = left;
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static const struct img_reader_ops mem_ops = {mem_read, free};

img_reader *img_reader_mem(const void *p, size_t n)
{
	struct mem_reader *m = malloc(sizeof(*m));
	if (m == NULL)
		return NULL;
	m->p = p;
	m->n = n;
	m->off = 0;
	return img_reader_new(&mem_ops, m);
}

/* ---- size limit ---------------------------------------------------------- */

struct limit_reader {
	img_reader *inner;
	uint64_t max, seen;
	bool exact;
	int failed; /* sticky error code */
	char what[64];
};

static ssize_t limit_read(void *self, void *buf, size_t n, cc_error **err)
{
	struct limit_reader *l = self;
	if (l->failed)
		return cc_error_set(err, l->failed, "%s: stream failed earlier", l->what);
	/* Ask for one byte more than allowed, so an overrun is seen. */
	uint64_t room = l->max - l->seen; /* seen <= max here */
	if (room < UINT64_MAX)
		room++;
	if (n > room)
		n = (size_t)room;
	ssize_t got = img_reader_read(l->inner, buf, n, err);
	if (got < 0) {
		l->failed = (int)got;
		return got;
	}
	if (got == 0) {
		if (l->exact && l->seen != l->max) {
			l->failed = -EBADMSG;
			return cc_error_set(err, -EBADMSG, "%s: %" PRIu64 " bytes, expected %" PRIu64,
			                    l->what, l->seen, l->max);
		}
		return 0;
	}
	l->seen += (uint64_t)got;
	if (l->seen > l->max) {
		l->failed = -EFBIG;
		return cc_error_set(err, -EFBIG, "%s: more than %" PRIu64 " bytes", l->what, l->max);
	}
	return got;
}

static void limit_free(void *self)
{
	struct limit_reader *l = self;
	img_reader_free(l->inner);
	free(l);
}

static const struct img_reader_ops limit_ops = {limit_read, limit_free};

img_reader *img_reader_limit(img_reader *inner, uint64_t max, bool exact, const char *what)
{
	if (inner == NULL) /* an inner constructor ran out of memory */
		return NULL;
	struct limit_reader *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		img_reader_free(inner);
		return NULL;
	}
	l->inner = inner;
	l->max = max;
	l->exact = exact;
	snprintf(l->what, sizeof(l->what), "%s", what ? what : "stream");
	return img_reader_new(&limit_ops, l);
}

/* ---- sinks ---------------------------------------------------------------- */

int img_write_all(int fd, const void *p, size_t n, cc_error **err)
{
	const char *q = p;
	while (n > 0) {
		ssize_t w = write(fd, q, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return cc_error_set(err, -errno, "write: %s", strerror(errno));
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int img_reader_to_fd(img_reader *r, int fd, uint64_t total, img_copy_fn progress, void *ctx,
                     uint64_t *ret_n, cc_error **err)
{
	enum { CHUNK = 256 * 1024 };
	char *buf = malloc(CHUNK);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	uint64_t done = 0;
	int rc = 0;
	for (;;) {
		ssize_t n = img_reader_read(r, buf, CHUNK, err);
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		if ((rc = img_write_all(fd, buf, (size_t)n, err)) < 0)
			break;
		done += (uint64_t)n;
		if (progress)
			progress(ctx, done, total);
	}
	free(buf);
	if (rc == 0 && ret_n)
		*ret_n = done;
	return rc;
}

/* ---- borrowing --------------------------------------------------------------- */

static ssize_t borrow_read(void *self, void *buf, size_t n, cc_error **err)
{
	return img_reader_read(self, buf, n, err);
}

static void borrow_free(void *self)
{
	(void)self; /* not ours */
}

img_reader *img_reader_borrow(img_reader *inner)
{
	static const struct img_reader_ops ops = {borrow_read, borrow_free};
	return inner ? img_reader_new(&ops, inner) : NULL;
}
