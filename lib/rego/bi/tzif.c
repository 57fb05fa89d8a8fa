/* Time zones for the time builtins, as Go's LoadLocation: a bounded
 * reader of TZif files from the system tzdata (/usr/share/zoneinfo, Debian
 * package tzdata) plus the POSIX TZ footer rule (Go's tzset). Files are
 * read per call, bounded to TZIF_MAX_BYTES, and every count is checked
 * against the data. "Local" follows Go: $TZ if set, else /etc/localtime,
 * else UTC. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/limits.h"
#include "../rctx.h"
#include "time_int.h"

#define TZ_DIR "/usr/share/zoneinfo/"
#define TZIF_MAX_BYTES CC_REGO_MAX_TZIF_BYTES /* limits.h */

const struct tzloc rtime_utc_loc = {.utc = true};

/* Bounded big-endian reader over the TZif bytes. */
struct rd {
	const uint8_t *p;
	size_t n;
	size_t off;
	bool bad;
};

static const uint8_t *rd_take(struct rd *r, size_t k)
{
	if (r->bad || k > r->n - r->off) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *q = r->p + r->off;
	r->off += k;
	return q;
}

static uint64_t rd_be(struct rd *r, size_t k)
{
	const uint8_t *q = rd_take(r, k);
	uint64_t v = 0;
	for (size_t i = 0; q && i < k; i++)
		v = (v << 8) | q[i];
	return v;
}

/* Counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt. */
enum { N_UTC, N_STD, N_LEAP, N_TIME, N_ZONE, N_CHAR };

static bool tzif_header(struct rd *r, int *version, size_t cnt[6])
{
	const uint8_t *h = rd_take(r, 20);
	if (h == NULL || memcmp(h, "TZif", 4) != 0)
		return false;
	*version = h[4] == 0 ? 1 : h[4] - '0';
	for (int i = 0; i < 6; i++)
		cnt[i] = (size_t)rd_be(r, 4);
	return !r->bad;
}

/* Bytes of one data block with these counts (tsize: 4 or 8); false on
 * overflow. */
static bool tzif_block_size(const size_t c[6], size_t tsize, size_t *out)
{
	size_t s = 0, t;
	const size_t parts[][2] = {{c[N_TIME], tsize + 1}, {c[N_ZONE], 6}, {c[N_CHAR], 1},
	                           {c[N_LEAP], tsize + 4}, {c[N_STD], 1}, {c[N_UTC], 1}};
	for (size_t i = 0; i < 6; i++) {
		if (__builtin_mul_overflow(parts[i][0], parts[i][1], &t) ||
		    __builtin_add_overflow(s, t, &s))
			return false;
	}
	*out = s;
	return true;
}

static char *copy_name(rarena *a, const uint8_t *abbrev, size_t n, size_t at)
{
	const uint8_t *e = memchr(abbrev + at, 0, n - at);
	size_t len = e ? (size_t)(e - (abbrev + at)) : n - at;
	return rarena_strndup(a, (const char *)abbrev + at, len);
}

/* Go's LoadLocationFromTZData. -EINVAL for malformed data. */
static int tzif_parse(rarena *a, const uint8_t *data, size_t n, struct tzloc *loc)
{
	struct rd r = {data, n, 0, false};
	size_t c[6], skip;
	int version;
	if (!tzif_header(&r, &version, c))
		return -EINVAL;
	size_t tsize = 4;
	if (version > 1) {
		if (!tzif_block_size(c, 4, &skip) || rd_take(&r, skip) == NULL ||
		    !tzif_header(&r, &version, c))
			return -EINVAL;
		tsize = 8;
	}
	if (!tzif_block_size(c, tsize, &skip) || skip > n - r.off || c[N_ZONE] == 0)
		return -EINVAL;
	const uint8_t *tx = rd_take(&r, c[N_TIME] * tsize);
	const uint8_t *txi = rd_take(&r, c[N_TIME]);
	const uint8_t *zd = rd_take(&r, c[N_ZONE] * 6);
	const uint8_t *ab = rd_take(&r, c[N_CHAR]);
	rd_take(&r, c[N_LEAP] * (tsize + 4) + c[N_STD] + c[N_UTC]);
	if (r.bad)
		return -EINVAL;
	size_t rest = n - r.off;
	const char *ext = "";
	if (rest > 2 && data[r.off] == '\n' && data[n - 1] == '\n')
		ext = rarena_strndup(a, (const char *)data + r.off + 1, rest - 2);
	loc->nzones = c[N_ZONE];
	loc->zones = rarena_nalloc(a, loc->nzones, sizeof(*loc->zones));
	loc->ntx = c[N_TIME] ? c[N_TIME] : 1;
	loc->when = rarena_nalloc(a, loc->ntx, sizeof(*loc->when));
	loc->idx = rarena_nalloc(a, loc->ntx, 1);
	if (!ext || !loc->zones || !loc->when || !loc->idx)
		return -ENOMEM;
	loc->extend = ext;
	for (size_t i = 0; i < loc->nzones; i++) {
		const uint8_t *z = zd + 6 * i;
		loc->zones[i].off = (int32_t)(((uint32_t)z[0] << 24) | ((uint32_t)z[1] << 16) |
		                              ((uint32_t)z[2] << 8) | z[3]);
		loc->zones[i].dst = z[4] != 0;
		if (z[5] >= c[N_CHAR])
			return -EINVAL;
		if ((loc->zones[i].name = copy_name(a, ab, c[N_CHAR], z[5])) == NULL)
			return -ENOMEM;
	}
	for (size_t i = 0; i < c[N_TIME]; i++) {
		struct rd tr = {tx + i * tsize, tsize, 0, false};
		uint64_t w = rd_be(&tr, tsize);
		loc->when[i] = tsize == 4 ? (int64_t)(int32_t)(uint32_t)w : (int64_t)w;
		if (txi[i] >= loc->nzones)
			return -EINVAL;
		loc->idx[i] = txi[i];
	}
	if (c[N_TIME] == 0) { /* fixed zones: one transition at the dawn of time */
		loc->when[0] = INT64_MIN;
		loc->idx[0] = 0;
	}
	return 0;
}

/* Reads a TZif file (bounded); -ENOENT when missing or unreadable. */
static int tz_read_file(rarena *a, const char *path, struct tzloc *loc)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	struct stat st;
	uint8_t *buf = NULL;
	int r = -ENOENT;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= TZIF_MAX_BYTES && (buf = malloc((size_t)st.st_size)) != NULL) {
		size_t got = 0, want = (size_t)st.st_size;
		while (got < want) {
			ssize_t k = read(fd, buf + got, want - got);
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		r = got == want ? tzif_parse(a, buf, got, loc) : -ENOENT;
	}
	free(buf);
	close(fd);
	return r;
}

/* Go's LoadLocation for an IANA name (not "", "UTC" or "Local"). */
int rtime_tz_load_name(rctx *cx, const char *name, size_t n, const struct tzloc **out)
{
	if (n == 0 || strstr(name, "..") || name[0] == '/' || name[0] == '\\')
		return rbi_err(cx, "time: invalid location name");
	struct tzloc *loc = rarena_zalloc(rctx_arena(cx), sizeof(*loc));
	char path[512];
	int r = -ENOENT;
	if (loc && memchr(name, 0, n) == NULL && n < sizeof(path) - sizeof(TZ_DIR)) {
		snprintf(path, sizeof(path), "%s%s", TZ_DIR, name);
		r = tz_read_file(rctx_arena(cx), path, loc);
	}
	if (loc == NULL || r == -ENOMEM)
		return rbi_oom(cx);
	if (r < 0)
		return rbi_err(cx, "unknown time zone %.*s", (int)(n > 256 ? 256 : n), name);
	*out = loc;
	return 0;
}

/* Go's time.Local. */
int rtime_tz_local(rctx *cx, const struct tzloc **out)
{
	const char *tz = getenv("TZ");
	struct tzloc *loc = rarena_zalloc(rctx_arena(cx), sizeof(*loc));
	if (loc == NULL)
		return rbi_oom(cx);
	char path[512];
	int r = -ENOENT;
	if (tz == NULL) {
		r = tz_read_file(rctx_arena(cx), "/etc/localtime", loc);
	} else {
		if (tz[0] == ':')
			tz++;
		if (tz[0] == '/')
			r = tz_read_file(rctx_arena(cx), tz, loc);
		else if (tz[0] != '\0' && strcmp(tz, "UTC") != 0 && !strstr(tz, "..") &&
		         strlen(tz) < sizeof(path) - sizeof(TZ_DIR)) {
			snprintf(path, sizeof(path), "%s%s", TZ_DIR, tz);
			r = tz_read_file(rctx_arena(cx), path, loc);
		}
	}
	if (r == -ENOMEM)
		return rbi_oom(cx);
	*out = r == 0 ? loc : &rtime_utc_loc;
	return 0;
}

/* ---- POSIX TZ rules (Go's tzset) ---- */

enum rule_kind { RULE_JULIAN, RULE_DOY, RULE_MWD };

struct tzrule {
	enum rule_kind kind;
	int day, week, mon;
	int time;
};

static bool tzs_num(const char **s, int min, int max, int *out)
{
	const char *p = *s;
	int num = 0;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		num = num * 10 + (*p++ - '0');
		if (num > max)
			return false;
	}
	if (num < min)
		return false;
	*s = p;
	*out = num;
	return true;
}

static bool tzs_name(const char **s, const char **name, size_t *len)
{
	const char *p = *s;
	if (*p == '\0')
		return false;
	if (*p == '<') {
		const char *e = strchr(p, '>');
		if (e == NULL)
			return false;
		*name = p + 1, *len = (size_t)(e - p - 1);
		*s = e + 1;
		return true;
	}
	size_t i = 0;
	while (p[i] && !strchr("0123456789,-+", p[i]))
		i++;
	if (i < 3)
		return false;
	*name = p, *len = i;
	*s = p + i;
	return true;
}

static bool tzs_offset(const char **s, int *out)
{
	const char *p = *s;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	int h, m = 0, sec = 0;
	if (!tzs_num(&p, 0, 24 * 7, &h))
		return false;
	if (*p == ':') {
		p++;
		if (!tzs_num(&p, 0, 59, &m))
			return false;
		if (*p == ':') {
			p++;
			if (!tzs_num(&p, 0, 59, &sec))
				return false;
		}
	}
	int off = h * 3600 + m * 60 + sec;
	*out = neg ? -off : off;
	*s = p;
	return true;
}

static bool tzs_rule(const char **s, struct tzrule *r)
{
	const char *p = *s;
	if (*p == 'J') {
		p++;
		r->kind = RULE_JULIAN;
		if (!tzs_num(&p, 1, 365, &r->day))
			return false;
	} else if (*p == 'M') {
		p++;
		r->kind = RULE_MWD;
		if (!tzs_num(&p, 1, 12, &r->mon) || *p++ != '.' || !tzs_num(&p, 1, 5, &r->week) ||
		    *p++ != '.' || !tzs_num(&p, 0, 6, &r->day))
			return false;
	} else {
		r->kind = RULE_DOY;
		if (!tzs_num(&p, 0, 365, &r->day))
			return false;
	}
	r->time = 2 * 3600;
	if (*p == '/') {
		p++;
		if (!tzs_offset(&p, &r->time))
			return false;
	}
	*s = p;
	return true;
}

/* Seconds into year at which rule r fires, in UTC for offset off. */
static int64_t tzs_rule_time(int64_t year, const struct tzrule *r, int off)
{
	int64_t s = 0;
	if (r->kind == RULE_JULIAN) {
		s = (int64_t)(r->day - 1) * SECS_PER_DAY;
		if (is_leap(year) && r->day >= 60)
			s += SECS_PER_DAY;
	} else if (r->kind == RULE_DOY) {
		s = (int64_t)r->day * SECS_PER_DAY;
	} else {
		/* Zeller's congruence: weekday of the first day of r->mon. */
		int m1 = (r->mon + 9) % 12 + 1;
		int64_t yy0 = r->mon <= 2 ? year - 1 : year;
		int64_t yy1 = yy0 / 100, yy2 = yy0 % 100;
		int64_t dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
		if (dow < 0)
			dow += 7;
		int64_t d = r->day - dow;
		if (d < 0)
			d += 7;
		for (int i = 1; i < r->week; i++) {
			if (d + 7 >= days_in(r->mon, year))
				break;
			d += 7;
		}
		d += rtime_days_before[r->mon - 1];
		if (is_leap(year) && r->mon > 2)
			d++;
		s = d * SECS_PER_DAY;
	}
	return s + r->time - off;
}

/* Go's tzset: zone of sec under POSIX rule s; false if s is malformed. */
static bool posix_tz(const char *s, int64_t sec, struct zinfo *z)
{
	const char *stdn, *dstn;
	size_t stdl, dstl;
	int stdoff, dstoff;
	if (!tzs_name(&s, &stdn, &stdl) || !tzs_offset(&s, &stdoff))
		return false;
	stdoff = -stdoff;
	if (*s == '\0' || *s == ',') {
		*z = (struct zinfo){stdn, stdl, stdoff, false};
		return true;
	}
	if (!tzs_name(&s, &dstn, &dstl))
		return false;
	if (*s == '\0' || *s == ',') {
		dstoff = stdoff + 3600;
	} else {
		if (!tzs_offset(&s, &dstoff))
			return false;
		dstoff = -dstoff;
	}
	if (*s == '\0')
		s = ",M3.2.0,M11.1.0";
	if (*s != ',' && *s != ';')
		return false;
	s++;
	struct tzrule r1, r2;
	if (!tzs_rule(&s, &r1) || *s++ != ',' || !tzs_rule(&s, &r2) || *s != '\0')
		return false;
	int64_t y;
	int mo, d;
	civil_from_days(floor_div(sec, SECS_PER_DAY), &y, &mo, &d);
	int64_t yday = rtime_days_before[mo - 1] + d + (is_leap(y) && mo > 2 ? 1 : 0);
	int64_t ysec = (yday - 1) * SECS_PER_DAY + sec % SECS_PER_DAY;
	int64_t start = tzs_rule_time(y, &r1, stdoff), end = tzs_rule_time(y, &r2, dstoff);
	struct zinfo zs = {stdn, stdl, stdoff, false}, zd = {dstn, dstl, dstoff, true};
	if (end < start) { /* southern hemisphere */
		int64_t t = start;
		start = end, end = t;
		struct zinfo tz = zs;
		zs = zd, zd = tz;
	}
	*z = (ysec < start || ysec >= end) ? zs : zd;
	return true;
}

/* Go's lookupFirstZone: zone for times before the first transition. */
static size_t first_zone(const struct tzloc *l)
{
	bool used = false;
	for (size_t i = 0; i < l->ntx && !used; i++)
		used = l->idx[i] == 0;
	if (!used)
		return 0;
	if (l->ntx > 0 && l->zones[l->idx[0]].dst)
		for (size_t zi = l->idx[0]; zi-- > 0;)
			if (!l->zones[zi].dst)
				return zi;
	for (size_t zi = 0; zi < l->nzones; zi++)
		if (!l->zones[zi].dst)
			return zi;
	return 0;
}

/* Go's Location.lookup: the zone in effect at Unix second sec. */
void rtime_tz_lookup(const struct tzloc *l, int64_t sec, struct zinfo *z)
{
	if (l->utc) {
		*z = (struct zinfo){"UTC", 3, 0, false};
		return;
	}
	const struct tzzone *zone;
	if (l->ntx == 0 || sec < l->when[0]) {
		zone = &l->zones[first_zone(l)];
		*z = (struct zinfo){zone->name, strlen(zone->name), zone->off, zone->dst};
		return;
	}
	size_t lo = 0, hi = l->ntx;
	while (hi - lo > 1) {
		size_t m = lo + (hi - lo) / 2;
		if (sec < l->when[m])
			hi = m;
		else
			lo = m;
	}
	zone = &l->zones[l->idx[lo]];
	*z = (struct zinfo){zone->name, strlen(zone->name), zone->off, zone->dst};
	if (lo == l->ntx - 1 && l->extend[0] != '\0')
		posix_tz(l->extend, sec, z);
}

/* Go's Location.lookupName: offset of an abbreviation near sec. */
bool rtime_tz_lookup_name(const struct tzloc *l, const char *name, size_t n, int64_t sec,
                           int *off)
{
	for (size_t i = 0; i < l->nzones; i++) {
		const struct tzzone *zz = &l->zones[i];
		if (strlen(zz->name) == n && memcmp(zz->name, name, n) == 0) {
			struct zinfo z;
			rtime_tz_lookup(l, sec - zz->off, &z);
			if (z.namelen == n && memcmp(z.name, name, n) == 0) {
				*off = z.off;
				return true;
			}
		}
	}
	for (size_t i = 0; i < l->nzones; i++) {
		if (strlen(l->zones[i].name) == n && memcmp(l->zones[i].name, name, n) == 0) {
			*off = l->zones[i].off;
			return true;
		}
	}
	return false;
}
