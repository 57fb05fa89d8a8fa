/* The AA event log writer (aael_writer.h). */
#include "aael_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cocoon/limits.h"

struct aael_writer {
	char dir[PATH_MAX];
	char log_path[PATH_MAX + 16];
	char wal_path[PATH_MAX + 24];
	int fd;
	unsigned init_pcr;
	const aael_register *reg;
	void *reg_ctx;
	size_t dlen;
	bool broken; /* a WAL is left that this process could not settle */
};

static const EVP_MD *md_of(uint16_t alg)
{
	switch (alg) {
	case 0x000B:
		return EVP_sha256();
	case 0x000C:
		return EVP_sha384();
	case 0x000D:
		return EVP_sha512();
	case 0x0012:
		return EVP_sm3();
	default:
		return NULL;
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int aael_entry_encode(uint16_t alg, uint32_t mr_index, const char *text, size_t len,
                      uint8_t **ret, size_t *ret_len, uint8_t digest[64], cc_error **err)
{
	const EVP_MD *md = md_of(alg);
	if (md == NULL)
		return cc_error_set(err, -EINVAL, "AAEL: unsupported algorithm 0x%04x", alg);
	if (len > CC_AAEL_MAX_EVENT_BYTES)
		return cc_error_set(err, -E2BIG, "oversized: AAEL event is %zu bytes (at most %u)",
		                    len, CC_AAEL_MAX_EVENT_BYTES);
	size_t dl = (size_t)EVP_MD_get_size(md);
	size_t ev_len = 8 + len;
	size_t total = 12 + 2 + dl + 4 + ev_len;
	uint8_t *p = malloc(total);
	if (p == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	put32(p, mr_index);
	put32(p + 4, AAEL_EV_EVENT_TAG);
	put32(p + 8, 1);
	p[12] = (uint8_t)alg;
	p[13] = (uint8_t)(alg >> 8);
	uint8_t *ev = p + 14 + dl + 4;
	put32(p + 14 + dl, (uint32_t)ev_len);
	put32(ev, AAEL_TAGGED_ID);
	put32(ev + 4, (uint32_t)len);
	memcpy(ev + 8, text, len);
	unsigned int out_len = 0;
	if (EVP_Digest(ev, ev_len, p + 14, &out_len, md, NULL) != 1 || out_len != dl) {
		free(p);
		return cc_error_set(err, -EIO, "AAEL: hashing the event failed");
	}
	memcpy(digest, p + 14, dl);
	*ret = p;
	*ret_len = total;
	return 0;
}

/* H(current || digest). */
static int expected_value(const aael_writer *w, const uint8_t *cur, const uint8_t *digest,
                          uint8_t *out, cc_error **err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c != NULL && EVP_DigestInit_ex(c, md_of(w->reg->alg), NULL) == 1 &&
	          EVP_DigestUpdate(c, cur, w->dlen) == 1 &&
	          EVP_DigestUpdate(c, digest, w->dlen) == 1 &&
	          EVP_DigestFinal_ex(c, out, NULL) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : cc_error_set(err, -EIO, "AAEL: hashing the register value failed");
}

/* pwrite (write) or pread of all len bytes at off. */
static int all_at(int fd, uint8_t *p, size_t len, off_t off, bool write)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write ? pwrite(fd, p + done, len - done, off + (off_t)done)
		                  : pread(fd, p + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int write_all_at(int fd, const uint8_t *p, size_t len, off_t off)
{
	return all_at(fd, (uint8_t *)(uintptr_t)p, len, off, true);
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* The text splits at its first two spaces into domain, operation and a
 * content without newline (upstream's Event::try_from). */
static int check_text(const char *t, size_t len, cc_error **err)
{
	const char *s1 = memchr(t, ' ', len);
	const char *s2 = s1 != NULL ? memchr(s1 + 1, ' ', len - (size_t)(s1 + 1 - t)) : NULL;
	if (s2 == NULL)
		return cc_error_set(err, -EINVAL, "AAEL: the event text has no two spaces");
	if (memchr(t, '\n', len) != NULL || memchr(t, 0, len) != NULL)
		return cc_error_set(err, -EINVAL, "AAEL: the event text holds a newline or NUL");
	return 0;
}

/* ---- recovery --------------------------------------------------------- */

static int log_size(const aael_writer *w, off_t *ret, cc_error **err)
{
	struct stat st;
	if (fstat(w->fd, &st) < 0)
		return cc_error_set(err, -errno, "AAEL: stat %s: %s", w->log_path, strerror(errno));
	*ret = st.st_size;
	return 0;
}

/* Writes rec at off unless exactly it is there already; bytes after off
 * that are a prefix of rec (a torn write) are overwritten; anything else
 * is someone else's record. */
static int settle_record(aael_writer *w, const uint8_t *rec, size_t rec_len, uint64_t off,
                         cc_error **err)
{
	off_t size;
	int r = log_size(w, &size, err);
	if (r < 0)
		return r;
	if (off > (uint64_t)size)
		return cc_error_set(err, -EIO,
		                    "AAEL recovery: the WAL's offset %llu is past the log's end (%lld)",
		                    (unsigned long long)off, (long long)size);
	size_t have = (size_t)((uint64_t)size - off);
	if (have > rec_len)
		return cc_error_set(err, -EIO,
		                    "AAEL recovery: the log holds %zu bytes after offset %llu, more "
		                    "than the pending record (%zu)",
		                    have, (unsigned long long)off, rec_len);
	uint8_t *cur = malloc(have > 0 ? have : 1);
	if (cur == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	r = have > 0 ? all_at(w->fd, cur, have, (off_t)off, false) : 0;
	bool prefix = r == 0 && memcmp(cur, rec, have) == 0;
	free(cur);
	if (r < 0)
		return cc_error_set(err, r, "AAEL recovery: reading %s: %s", w->log_path, strerror(-r));
	if (!prefix)
		return cc_error_set(err, -EIO,
		                    "AAEL recovery: the log holds other bytes at offset %llu than "
		                    "the pending record",
		                    (unsigned long long)off);
	if (have < rec_len) {
		r = write_all_at(w->fd, rec + have, rec_len - have, (off_t)(off + have));
		if (r == 0 && fdatasync(w->fd) < 0)
			r = -errno;
		if (r < 0)
			return cc_error_set(err, r, "AAEL recovery: writing %s: %s", w->log_path,
			                    strerror(-r));
	}
	return 0;
}

static int recover(aael_writer *w, cc_error **err)
{
	uint8_t *wal = NULL;
	size_t wal_len = 0;
	int fd = open(w->wal_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return cc_error_set(err, -errno, "AAEL recovery: %s: %s", w->wal_path, strerror(errno));
	size_t max = 8 + w->dlen + CC_AAEL_MAX_EVENT_BYTES;
	wal = malloc(max + 1);
	int r = wal == NULL ? -ENOMEM : 0;
	while (r == 0) {
		ssize_t n = read(fd, wal + wal_len, max + 1 - wal_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else if (n == 0 || (wal_len += (size_t)n) > max)
			break;
	}
	close(fd);
	if (r < 0) {
		free(wal);
		return cc_error_set(err, r, "AAEL recovery: reading %s: %s", w->wal_path,
		                    strerror(-r));
	}
	if (wal_len > max)
		r = cc_error_set(err, -E2BIG, "oversized: AAEL WAL %s", w->wal_path);
	else if (wal_len < 8 + w->dlen)
		r = cc_error_set(err, -EINVAL, "truncated: AAEL WAL %s (%zu bytes)", w->wal_path,
		                 wal_len);
	uint64_t off = 0;
	for (size_t i = 0; r == 0 && i < 8; i++)
		off = off << 8 | wal[i];
	const uint8_t *expected = wal + 8;
	const char *text = (const char *)wal + 8 + w->dlen;
	size_t text_len = r == 0 ? wal_len - 8 - w->dlen : 0;
	if (r == 0)
		r = check_text(text, text_len, err);
	uint8_t *rec = NULL, digest[64], cur[64], next[64];
	size_t rec_len = 0;
	if (r == 0)
		r = aael_entry_encode(w->reg->alg, w->reg->mr_index(w->init_pcr), text, text_len, &rec,
		                      &rec_len, digest, err);
	if (r == 0)
		r = w->reg->read(w->reg_ctx, w->init_pcr, cur, w->dlen, err);
	if (r == 0 && memcmp(cur, expected, w->dlen) != 0) {
		r = expected_value(w, cur, digest, next, err);
		if (r == 0 && memcmp(next, expected, w->dlen) != 0)
			r = cc_error_set(err, -EIO,
			                 "AAEL recovery: register %u holds neither the value before nor "
			                 "after the pending event (%s corrupted, or another process "
			                 "extended the register)",
			                 w->init_pcr, w->log_path);
		if (r == 0)
			r = w->reg->extend(w->reg_ctx, w->init_pcr, digest, w->dlen, err);
	}
	if (r == 0)
		r = settle_record(w, rec, rec_len, off, err);
	if (r == 0 && unlink(w->wal_path) < 0)
		r = cc_error_set(err, -errno, "AAEL recovery: removing %s: %s", w->wal_path,
		                 strerror(errno));
	if (r == 0)
		sync_dir(w->dir);
	free(rec);
	free(wal);
	return r;
}

/* ---- the writer ------------------------------------------------------- */

void aael_writer_free(aael_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

int aael_writer_open(const aael_writer_opts *o, aael_writer **ret, cc_error **err)
{
	if (o == NULL || o->reg == NULL || md_of(o->reg->alg) == NULL)
		return cc_error_set(err, -EINVAL, "AAEL: no register, or its algorithm is unknown");
	aael_writer *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	w->fd = -1;
	w->reg = o->reg;
	w->reg_ctx = o->reg_ctx;
	w->init_pcr = o->init_pcr != 0 ? o->init_pcr : AAEL_DEFAULT_PCR;
	w->dlen = (size_t)EVP_MD_get_size(md_of(o->reg->alg));
	const char *dir = o->dir != NULL ? o->dir : AAEL_DEFAULT_DIR;
	int r = 0;
	if (strlen(dir) >= sizeof(w->dir))
		r = cc_error_set(err, -ENAMETOOLONG, "AAEL: directory path too long");
	if (r == 0) {
		snprintf(w->dir, sizeof(w->dir), "%s", dir);
		snprintf(w->log_path, sizeof(w->log_path), "%s/%s", dir, AAEL_LOG_NAME);
		snprintf(w->wal_path, sizeof(w->wal_path), "%s/%s", dir, AAEL_WAL_NAME);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			r = cc_error_set(err, -errno, "AAEL: mkdir %s: %s", dir, strerror(errno));
	}
	if (r == 0) {
		w->fd = open(w->log_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (w->fd < 0)
			r = cc_error_set(err, -errno, "AAEL: %s: %s", w->log_path, strerror(errno));
	}
	/* One writer at a time: two would interleave records and WALs. */
	if (r == 0 && flock(w->fd, LOCK_EX | LOCK_NB) < 0)
		r = cc_error_set(err, errno == EWOULDBLOCK ? -EBUSY : -errno,
		                 "AAEL: %s is in use by another writer%s%s", w->log_path,
		                 errno == EWOULDBLOCK ? "" : ": ",
		                 errno == EWOULDBLOCK ? "" : strerror(errno));
	if (r == 0)
		r = recover(w, err);
	if (r < 0) {
		aael_writer_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

static bool has_any(const char *s, const char *chars)
{
	return strpbrk(s, chars) != NULL;
}

static int write_wal(aael_writer *w, uint64_t off, const uint8_t *expected, const char *text,
                     size_t len, cc_error **err)
{
	int fd = open(w->wal_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return cc_error_set(err, -errno, "AAEL: %s: %s", w->wal_path, strerror(errno));
	uint8_t hdr[8];
	for (size_t i = 0; i < 8; i++)
		hdr[i] = (uint8_t)(off >> (56 - 8 * i));
	int r = write_all_at(fd, hdr, 8, 0);
	if (r == 0)
		r = write_all_at(fd, expected, w->dlen, 8);
	if (r == 0)
		r = write_all_at(fd, (const uint8_t *)text, len, (off_t)(8 + w->dlen));
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0) {
		unlink(w->wal_path);
		return cc_error_set(err, r, "AAEL: writing %s: %s", w->wal_path, strerror(-r));
	}
	sync_dir(w->dir);
	return 0;
}

int aael_writer_extend(aael_writer *w, const char *domain, const char *operation,
                       const char *content, unsigned pcr, cc_error **err)
{
	if (w == NULL || domain == NULL || operation == NULL || content == NULL)
		return cc_error_set(err, -EINVAL, "AAEL: missing argument");
	if (w->broken)
		return cc_error_set(err, -EIO, "AAEL: a previous event is unsettled (%s); restart to "
		                    "recover it", w->wal_path);
	if (strchr(content, '\n') != NULL)
		return cc_error_set(err, -EINVAL, "AAEL: content contains newline");
	if (*domain == 0 || *operation == 0 || has_any(domain, " \n") ||
	    has_any(operation, " \n"))
		return cc_error_set(err, -EINVAL,
		                    "AAEL: domain and operation must be non-empty words (no space or "
		                    "newline)");
	if (pcr == AAEL_DEFAULT_PCR)
		pcr = w->init_pcr;
	size_t len = strlen(domain) + 1 + strlen(operation) + 1 + strlen(content);
	if (len > CC_AAEL_MAX_EVENT_BYTES)
		return cc_error_set(err, -E2BIG, "oversized: AAEL event is %zu bytes (at most %u)",
		                    len, CC_AAEL_MAX_EVENT_BYTES);
	char *text = malloc(len + 1);
	if (text == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	snprintf(text, len + 1, "%s %s %s", domain, operation, content);
	/* The MR index is init_pcr's even when another pcr is extended
	 * (upstream's quirk, kept: verifiers replay what upstream writes). */
	uint8_t *rec = NULL, digest[64], cur[64], expected[64], after[64];
	size_t rec_len = 0;
	off_t off = 0;
	int r = aael_entry_encode(w->reg->alg, w->reg->mr_index(w->init_pcr), text, len, &rec,
	                          &rec_len, digest, err);
	if (r == 0)
		r = w->reg->read(w->reg_ctx, pcr, cur, w->dlen, err);
	if (r == 0)
		r = expected_value(w, cur, digest, expected, err);
	if (r == 0)
		r = log_size(w, &off, err);
	if (r == 0)
		r = write_wal(w, (uint64_t)off, expected, text, len, err);
	if (r == 0) {
		cc_error *e1 = NULL;
		r = w->reg->extend(w->reg_ctx, pcr, digest, w->dlen, &e1);
		if (r < 0) {
			/* Did it happen? Unchanged: drop the WAL. Extended: go on.
			 * Else: leave the WAL for recovery and stop. */
			cc_error *e2 = NULL;
			int x = w->reg->read(w->reg_ctx, pcr, after, w->dlen, &e2);
			cc_error_free(e2);
			if (x == 0 && memcmp(after, cur, w->dlen) == 0)
				unlink(w->wal_path);
			else if (x == 0 && memcmp(after, expected, w->dlen) == 0)
				r = 0;
			else
				w->broken = true;
		}
		if (r < 0)
			cc_error_move(err, &e1);
		cc_error_free(e1);
	}
	if (r == 0) {
		r = write_all_at(w->fd, rec, rec_len, off);
		if (r == 0 && fdatasync(w->fd) < 0)
			r = -errno;
		if (r < 0) {
			w->broken = true;
			r = cc_error_set(err, r, "AAEL: writing %s: %s", w->log_path, strerror(-r));
		}
	}
	if (r == 0 && unlink(w->wal_path) < 0) {
		w->broken = true;
		r = cc_error_set(err, -errno, "AAEL: removing %s: %s", w->wal_path, strerror(errno));
	}
	free(rec);
	free(text);
	return r;
}
