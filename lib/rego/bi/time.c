/* Time builtins (OPA v1/topdown/time.go): time.now_ns, time.parse_ns,
 * time.parse_rfc3339_ns, time.parse_duration_ns, time.date, time.clock,
 * time.weekday, time.add_date, time.diff, time.format, and test.sleep.
 *
 * OPA uses Go's time package, so this file reproduces its parts:
 *   - reference-layout parsing and formatting ("2006-01-02T15:04:05Z07:00")
 *     with Go's error messages;
 *   - time.Date normalisation (AddDate) and zone lookups;
 *   - time.ParseDuration.
 * Time zones come from the system tzdata (/usr/share/zoneinfo, Debian
 * package tzdata): a small TZif reader plus the POSIX TZ footer rule, as
 * Go's LoadLocation. This keeps every conversion a pure function of its
 * arguments: no TZ environment juggling (setenv/localtime_r are not
 * thread-safe together) and no global state. Files are read per call,
 * bounded to TZIF_MAX_BYTES, and every count is checked against the data.
 * "Local" follows Go: $TZ if set, else /etc/localtime, else UTC.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../rctx.h"
#include "cocoon/limits.h"

#define TZ_DIR "/usr/share/zoneinfo/"
#define TZIF_MAX_BYTES (256u * 1024u)
#define SECS_PER_DAY 86400

/* Unix seconds of 1677-09-21T00:12:43.145224192Z and
 * 2262-04-11T23:47:16.854775807Z (the int64 nanosecond range). */
#define MIN_SEC (-9223372037LL)
#define MIN_NSEC 145224192
#define MAX_SEC 9223372036LL
#define MAX_NSEC 854775807

static const char *const long_days[] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};
static const char *const long_months[] = {"January", "February", "March", "April",
                                          "May", "June", "July", "August",
                                          "September", "October", "November", "December"};
static const int days_before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

/* ======================================================================
 * Calendar
 * ==================================================================== */

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in(int m, int64_t y)
{
	if (m == 2 && is_leap(y))
		return 29;
	return days_before[m] - days_before[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian), any year. */
static __int128 days_from_civil(__int128 y, int m, int d)
{
	y -= m <= 2;
	__int128 era = (y >= 0 ? y : y - 399) / 400;
	int yoe = (int)(y - era * 400);
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* ======================================================================
 * Time zones
 * ==================================================================== */

struct tzzone {
	int32_t off;
	bool dst;
	const char *name;
};

struct tzloc {
	bool utc; /* no zone data: UTC */
	struct tzzone *zones;
	size_t nzones;
	int64_t *when;
	uint8_t *idx;
	size_t ntx;
	const char *extend; /* POSIX TZ rule for times after the last transition */
};

static const struct tzloc utc_loc = {.utc = true};

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
static int tz_load_name(rctx *cx, const char *name, size_t n, const struct tzloc **out)
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
static int tz_local(rctx *cx, const struct tzloc **out)
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
	*out = r == 0 ? loc : &utc_loc;
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
		d += days_before[r->mon - 1];
		if (is_leap(year) && r->mon > 2)
			d++;
		s = d * SECS_PER_DAY;
	}
	return s + r->time - off;
}

struct zinfo {
	const char *name;
	size_t namelen;
	int off;
	bool dst;
};

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
	int64_t yday = days_before[mo - 1] + d + (is_leap(y) && mo > 2 ? 1 : 0);
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
static void tz_lookup(const struct tzloc *l, int64_t sec, struct zinfo *z)
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
static bool tz_lookup_name(const struct tzloc *l, const char *name, size_t n, int64_t sec,
                           int *off)
{
	for (size_t i = 0; i < l->nzones; i++) {
		const struct tzzone *zz = &l->zones[i];
		if (strlen(zz->name) == n && memcmp(zz->name, name, n) == 0) {
			struct zinfo z;
			tz_lookup(l, sec - zz->off, &z);
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

/* ======================================================================
 * Instants in a zone
 * ==================================================================== */

struct gtime {
	int64_t sec; /* Unix seconds */
	int32_t nsec;
	const struct tzloc *loc;
};

/* Calendar fields of t in its zone (Go's Date, Clock, Weekday, YearDay). */
struct fields {
	int64_t year;
	int month, day, yday, wday;
	int hour, min, sec;
	struct zinfo z;
};

static void gtime_fields(const struct gtime *t, struct fields *f)
{
	tz_lookup(t->loc, t->sec, &f->z);
	int64_t local = t->sec + f->z.off;
	int64_t days = floor_div(local, SECS_PER_DAY);
	int64_t sod = local - days * SECS_PER_DAY;
	civil_from_days(days, &f->year, &f->month, &f->day);
	f->yday = days_before[f->month - 1] + f->day + (is_leap(f->year) && f->month > 2);
	f->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
	f->hour = (int)(sod / 3600);
	f->min = (int)(sod / 60 % 60);
	f->sec = (int)(sod % 60);
}

/* Go's time.Date (fields may be out of range; they normalise). Returns the
 * Unix seconds, wide enough for any int64 inputs. */
static __int128 go_date(__int128 year, __int128 month, __int128 day, int64_t hour, int64_t min,
                        int64_t sec, const struct tzloc *loc)
{
	__int128 m = month - 1;
	__int128 yq = m / 12 - (m % 12 < 0);
	year += yq;
	m -= yq * 12;
	__int128 unix = (days_from_civil(year, (int)m + 1, 1) + day - 1) * SECS_PER_DAY +
	                (__int128)hour * 3600 + (__int128)min * 60 + sec;
	if (unix < INT64_MIN || unix > INT64_MAX)
		return unix;
	struct zinfo z;
	tz_lookup(loc, (int64_t)unix, &z);
	if (z.off != 0) {
		struct zinfo z2;
		tz_lookup(loc, (int64_t)unix - z.off, &z2);
		unix -= z2.off;
	}
	return unix;
}

/* Unix nanoseconds of (sec, nsec), or "time outside of valid range". */
static int to_ns(rctx *cx, __int128 sec, int32_t nsec, const rv **ret)
{
	if (sec < MIN_SEC || (sec == MIN_SEC && nsec < MIN_NSEC) || sec > MAX_SEC ||
	    (sec == MAX_SEC && nsec > MAX_NSEC))
		return rbi_err(cx, "time outside of valid range");
	*ret = rv_int(rctx_arena(cx), (int64_t)(sec * 1000000000 + nsec));
	return *ret ? 0 : rbi_oom(cx);
}

/* ======================================================================
 * Go reference layouts
 * ==================================================================== */

enum std {
	STD_NONE = 0,
	STD_LONG_MONTH, STD_MONTH, STD_NUM_MONTH, STD_ZERO_MONTH,
	STD_LONG_WEEKDAY, STD_WEEKDAY,
	STD_DAY, STD_UNDER_DAY, STD_ZERO_DAY, STD_UNDER_YEARDAY, STD_ZERO_YEARDAY,
	STD_HOUR, STD_HOUR12, STD_ZERO_HOUR12,
	STD_MINUTE, STD_ZERO_MINUTE, STD_SECOND, STD_ZERO_SECOND,
	STD_LONG_YEAR, STD_YEAR, STD_PM, STD_pm, STD_TZ,
	STD_ISO8601_TZ, STD_ISO8601_SECONDS_TZ, STD_ISO8601_SHORT_TZ,
	STD_ISO8601_COLON_TZ, STD_ISO8601_COLON_SECONDS_TZ,
	STD_NUM_TZ, STD_NUM_SECONDS_TZ, STD_NUM_SHORT_TZ, STD_NUM_COLON_TZ,
	STD_NUM_COLON_SECONDS_TZ,
	STD_FRAC0, STD_FRAC9,
};

/* One std element of a layout: layout[0..pre) is literal text, then the
 * element spans len bytes. */
struct chunk {
	size_t pre;
	enum std std;
	size_t len;
	int digits; /* fractional seconds */
	char sep;   /* '.' or ',' */
};

static bool starts(const char *s, size_t n, size_t i, const char *lit)
{
	size_t k = strlen(lit);
	return n - i >= k && memcmp(s + i, lit, k) == 0;
}

static bool lower_at(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= 'a' && s[i] <= 'z';
}

static bool digit_at(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= '0' && s[i] <= '9';
}

static bool chunk_at(const char *l, size_t n, size_t i, struct chunk *c)
{
	static const struct {
		const char *lit;
		enum std std;
	} tz[] = {{"-070000", STD_NUM_SECONDS_TZ}, {"-07:00:00", STD_NUM_COLON_SECONDS_TZ},
	          {"-0700", STD_NUM_TZ}, {"-07:00", STD_NUM_COLON_TZ}, {"-07", STD_NUM_SHORT_TZ},
	          {"Z070000", STD_ISO8601_SECONDS_TZ}, {"Z07:00:00", STD_ISO8601_COLON_SECONDS_TZ},
	          {"Z0700", STD_ISO8601_TZ}, {"Z07:00", STD_ISO8601_COLON_TZ},
	          {"Z07", STD_ISO8601_SHORT_TZ}};
	static const enum std zero_x[] = {STD_ZERO_MONTH, STD_ZERO_DAY, STD_ZERO_HOUR12,
	                                  STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR};
	c->pre = i;
	switch (l[i]) {
	case 'J':
		if (starts(l, n, i, "January"))
			return c->std = STD_LONG_MONTH, c->len = 7, true;
		if (starts(l, n, i, "Jan") && !lower_at(l, n, i + 3))
			return c->std = STD_MONTH, c->len = 3, true;
		return false;
	case 'M':
		if (starts(l, n, i, "Monday"))
			return c->std = STD_LONG_WEEKDAY, c->len = 6, true;
		if (starts(l, n, i, "Mon") && !lower_at(l, n, i + 3))
			return c->std = STD_WEEKDAY, c->len = 3, true;
		if (starts(l, n, i, "MST"))
			return c->std = STD_TZ, c->len = 3, true;
		return false;
	case '0':
		if (i + 1 < n && l[i + 1] >= '1' && l[i + 1] <= '6')
			return c->std = zero_x[l[i + 1] - '1'], c->len = 2, true;
		if (starts(l, n, i, "002"))
			return c->std = STD_ZERO_YEARDAY, c->len = 3, true;
		return false;
	case '1':
		if (starts(l, n, i, "15"))
			return c->std = STD_HOUR, c->len = 2, true;
		return c->std = STD_NUM_MONTH, c->len = 1, true;
	case '2':
		if (starts(l, n, i, "2006"))
			return c->std = STD_LONG_YEAR, c->len = 4, true;
		return c->std = STD_DAY, c->len = 1, true;
	case '_':
		if (starts(l, n, i, "_2")) {
			if (starts(l, n, i, "_2006")) /* a literal _ then the year */
				return c->pre = i + 1, c->std = STD_LONG_YEAR, c->len = 4, true;
			return c->std = STD_UNDER_DAY, c->len = 2, true;
		}
		if (starts(l, n, i, "__2"))
			return c->std = STD_UNDER_YEARDAY, c->len = 3, true;
		return false;
	case '3':
		return c->std = STD_HOUR12, c->len = 1, true;
	case '4':
		return c->std = STD_MINUTE, c->len = 1, true;
	case '5':
		return c->std = STD_SECOND, c->len = 1, true;
	case 'P':
		return starts(l, n, i, "PM") ? (c->std = STD_PM, c->len = 2, true) : false;
	case 'p':
		return starts(l, n, i, "pm") ? (c->std = STD_pm, c->len = 2, true) : false;
	case '-':
	case 'Z':
		for (size_t k = 0; k < sizeof(tz) / sizeof(tz[0]); k++)
			if (starts(l, n, i, tz[k].lit))
				return c->std = tz[k].std, c->len = strlen(tz[k].lit), true;
		return false;
	case '.':
	case ',':
		if (i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
			size_t j = i + 1;
			while (j < n && l[j] == l[i + 1])
				j++;
			if (!digit_at(l, n, j)) {
				c->std = l[i + 1] == '0' ? STD_FRAC0 : STD_FRAC9;
				c->digits = (int)(j - i - 1);
				c->sep = l[i];
				c->len = j - i;
				return true;
			}
		}
		return false;
	default:
		return false;
	}
}

/* Go's nextStdChunk. */
static void next_chunk(const char *l, size_t n, struct chunk *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < n; i++)
		if (chunk_at(l, n, i, c))
			return;
	c->pre = n;
	c->std = STD_NONE;
	c->len = 0;
}

static const struct {
	const char *name;
	const char *layout;
} named_layouts[] = {
    {"ANSIC", "Mon Jan _2 15:04:05 2006"},
    {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
    {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
    {"RFC822", "02 Jan 06 15:04 MST"},
    {"RFC822Z", "02 Jan 06 15:04 -0700"},
    {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
    {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
    {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
    {"RFC3339", "2006-01-02T15:04:05Z07:00"},
    {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
};

/* OPA's acceptedTimeFormats: a constant's name stands for its layout. */
static void resolve_layout(const char **l, size_t *n)
{
	for (size_t i = 0; i < sizeof(named_layouts) / sizeof(named_layouts[0]); i++) {
		if (strlen(named_layouts[i].name) == *n && memcmp(named_layouts[i].name, *l, *n) == 0) {
			*l = named_layouts[i].layout;
			*n = strlen(*l);
			return;
		}
	}
}

/* ---- formatting ---- */

static int put_int(cc_buf *b, int64_t x, int width)
{
	if (x < 0) {
		int r = cc_buf_addc(b, '-');
		if (r < 0)
			return r;
		x = -x;
	}
	return cc_buf_printf(b, "%0*lld", width, (long long)x);
}

static int put_nano(cc_buf *b, int32_t ns, const struct chunk *c)
{
	bool trim = c->std == STD_FRAC9;
	if (trim && (c->digits == 0 || ns == 0))
		return 0;
	char d[16];
	snprintf(d, sizeof(d), "%09d", (int)ns);
	int k = c->digits < 9 ? c->digits : 9;
	if (trim)
		while (k > 0 && d[k - 1] == '0')
			k--;
	if (trim && k == 0)
		return 0;
	int r = cc_buf_addc(b, c->sep);
	return r ? r : cc_buf_add(b, d, (size_t)k);
}

static bool std_is_iso(enum std s)
{
	return s == STD_ISO8601_TZ || s == STD_ISO8601_SECONDS_TZ || s == STD_ISO8601_SHORT_TZ ||
	       s == STD_ISO8601_COLON_TZ || s == STD_ISO8601_COLON_SECONDS_TZ;
}

static int put_zone(cc_buf *b, enum std s, int off)
{
	if (off == 0 && std_is_iso(s))
		return cc_buf_addc(b, 'Z');
	int zone = off / 60, abs = off;
	int r = cc_buf_addc(b, zone < 0 ? '-' : '+');
	if (zone < 0)
		zone = -zone, abs = -abs;
	if (r == 0)
		r = put_int(b, zone / 60, 2);
	bool colon = s == STD_ISO8601_COLON_TZ || s == STD_NUM_COLON_TZ ||
	             s == STD_ISO8601_COLON_SECONDS_TZ || s == STD_NUM_COLON_SECONDS_TZ;
	if (r == 0 && colon)
		r = cc_buf_addc(b, ':');
	if (r == 0 && s != STD_NUM_SHORT_TZ && s != STD_ISO8601_SHORT_TZ)
		r = put_int(b, zone % 60, 2);
	bool secs = s == STD_ISO8601_SECONDS_TZ || s == STD_NUM_SECONDS_TZ ||
	            s == STD_NUM_COLON_SECONDS_TZ || s == STD_ISO8601_COLON_SECONDS_TZ;
	if (r == 0 && secs && (s == STD_NUM_COLON_SECONDS_TZ || s == STD_ISO8601_COLON_SECONDS_TZ))
		r = cc_buf_addc(b, ':');
	if (r == 0 && secs)
		r = put_int(b, abs % 60, 2);
	return r;
}

static int put_std(cc_buf *b, const struct chunk *c, const struct fields *f, int32_t ns)
{
	int hr12 = f->hour % 12 ? f->hour % 12 : 12;
	switch (c->std) {
	case STD_YEAR: return put_int(b, (f->year < 0 ? -f->year : f->year) % 100, 2);
	case STD_LONG_YEAR: return put_int(b, f->year, 4);
	case STD_MONTH: return cc_buf_add(b, long_months[f->month - 1], 3);
	case STD_LONG_MONTH: return cc_buf_adds(b, long_months[f->month - 1]);
	case STD_NUM_MONTH: return put_int(b, f->month, 0);
	case STD_ZERO_MONTH: return put_int(b, f->month, 2);
	case STD_WEEKDAY: return cc_buf_add(b, long_days[f->wday], 3);
	case STD_LONG_WEEKDAY: return cc_buf_adds(b, long_days[f->wday]);
	case STD_DAY: return put_int(b, f->day, 0);
	case STD_UNDER_DAY: return cc_buf_printf(b, "%2d", f->day);
	case STD_ZERO_DAY: return put_int(b, f->day, 2);
	case STD_UNDER_YEARDAY: return cc_buf_printf(b, "%3d", f->yday);
	case STD_ZERO_YEARDAY: return put_int(b, f->yday, 3);
	case STD_HOUR: return put_int(b, f->hour, 2);
	case STD_HOUR12: return put_int(b, hr12, 0);
	case STD_ZERO_HOUR12: return put_int(b, hr12, 2);
	case STD_MINUTE: return put_int(b, f->min, 0);
	case STD_ZERO_MINUTE: return put_int(b, f->min, 2);
	case STD_SECOND: return put_int(b, f->sec, 0);
	case STD_ZERO_SECOND: return put_int(b, f->sec, 2);
	case STD_PM: return cc_buf_adds(b, f->hour >= 12 ? "PM" : "AM");
	case STD_pm: return cc_buf_adds(b, f->hour >= 12 ? "pm" : "am");
	case STD_TZ:
		if (f->z.namelen > 0)
			return cc_buf_add(b, f->z.name, f->z.namelen);
		return put_zone(b, STD_NUM_TZ, f->z.off);
	case STD_FRAC0:
	case STD_FRAC9: return put_nano(b, ns, c);
	case STD_NONE: return 0;
	default: return put_zone(b, c->std, f->z.off);
	}
}

/* Go's Time.Format. */
static int go_format(const struct gtime *t, const char *l, size_t n, cc_buf *b)
{
	struct fields f;
	gtime_fields(t, &f);
	while (n > 0) {
		struct chunk c;
		next_chunk(l, n, &c);
		int r = cc_buf_add(b, l, c.pre);
		if (r == 0)
			r = put_std(b, &c, &f, t->nsec);
		if (r < 0)
			return r;
		if (c.std == STD_NONE)
			break;
		l += c.pre + c.len;
		n -= c.pre + c.len;
	}
	return 0;
}

/* ---- parsing ---- */

/* Go's time-package quote(): bytes outside printable ASCII as \xNN. */
static int go_quote(cc_buf *b, const char *s, size_t n)
{
	int r = cc_buf_addc(b, '"');
	for (size_t i = 0; r == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || c < ' ')
			r = cc_buf_printf(b, "\\x%02x", c);
		else if (c == '"' || c == '\\')
			r = cc_buf_printf(b, "\\%c", c);
		else
			r = cc_buf_addc(b, (char)c);
	}
	return r ? r : cc_buf_addc(b, '"');
}

struct pstate {
	const char *layout, *value; /* whole inputs, for messages */
	size_t ln, vn;
	cc_buf *msg;
};

/* Go's ParseError text. elem/velem: the layout and value pieces, or a
 * message (msg != NULL) such as ": month out of range". */
static int perr(struct pstate *ps, const char *lelem, size_t ln, const char *velem, size_t vn,
                const char *msg)
{
	int r = cc_buf_adds(ps->msg, "parsing time ");
	if (r == 0)
		r = go_quote(ps->msg, ps->value, ps->vn);
	if (r == 0 && msg)
		return cc_buf_adds(ps->msg, msg) < 0 ? -ENOMEM : -EINVAL;
	if (r == 0)
		r = cc_buf_adds(ps->msg, " as ");
	if (r == 0)
		r = go_quote(ps->msg, ps->layout, ps->ln);
	if (r == 0)
		r = cc_buf_adds(ps->msg, ": cannot parse ");
	if (r == 0)
		r = go_quote(ps->msg, velem, vn);
	if (r == 0)
		r = cc_buf_adds(ps->msg, " as ");
	if (r == 0)
		r = go_quote(ps->msg, lelem, ln);
	return r < 0 ? -ENOMEM : -EINVAL;
}

/* A cursor over the value text. */
struct cur {
	const char *p;
	size_t n;
};

static void cur_adv(struct cur *c, size_t k)
{
	c->p += k;
	c->n -= k;
}

/* Go's getnum: one or two digits (exactly two when fixed). */
static bool getnum(struct cur *c, bool fixed, int *out)
{
	if (!digit_at(c->p, c->n, 0))
		return false;
	if (!digit_at(c->p, c->n, 1)) {
		if (fixed)
			return false;
		*out = c->p[0] - '0';
		cur_adv(c, 1);
		return true;
	}
	*out = (c->p[0] - '0') * 10 + (c->p[1] - '0');
	cur_adv(c, 2);
	return true;
}

static bool getnum3(struct cur *c, bool fixed, int *out)
{
	int v = 0, i = 0;
	while (i < 3 && digit_at(c->p, c->n, (size_t)i))
		v = v * 10 + (c->p[i++] - '0');
	if (i == 0 || (fixed && i != 3))
		return false;
	*out = v;
	cur_adv(c, (size_t)i);
	return true;
}

/* Go's lookup: case-insensitive ASCII prefix match against names
 * (len: compare the first len bytes of each name, 0 = whole name). */
static bool lookup_name(struct cur *c, const char *const *tab, int ntab, size_t len, int *out)
{
	for (int i = 0; i < ntab; i++) {
		size_t k = len ? len : strlen(tab[i]);
		if (c->n < k)
			continue;
		bool eq = true;
		for (size_t j = 0; j < k && eq; j++) {
			char a = c->p[j], b = tab[i][j];
			if ((a | 0x20) >= 'a' && (a | 0x20) <= 'z')
				eq = (a | 0x20) == (b | 0x20);
			else
				eq = a == b;
		}
		if (eq) {
			*out = i;
			cur_adv(c, k);
			return true;
		}
	}
	return false;
}

/* Go's atoi over a byte range: optional sign, digits, nothing else. */
static bool atoi_range(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		s++, n--;
	}
	if (n == 0)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (1ull << 63) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > (1ull << 63))
			return false;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return v <= (uint64_t)INT64_MAX || neg;
}

/* Go's parseNanoseconds over value[0..nbytes) (value[0] is the separator). */
static bool parse_nanos(const char *v, size_t nbytes, int32_t *ns, const char **range)
{
	if (v[0] != '.' && v[0] != ',')
		return false;
	if (nbytes > 10)
		nbytes = 10;
	int64_t x;
	if (!atoi_range(v + 1, nbytes - 1, &x))
		return false;
	if (x < 0) {
		*range = "fractional second";
		return true;
	}
	for (size_t i = 0; i < 10 - nbytes; i++)
		x *= 10;
	*ns = (int32_t)x;
	return true;
}

/* Go's skip: matches the literal prefix; spaces match runs of spaces. */
static bool skip_prefix(struct cur *c, const char *pre, size_t pn)
{
	size_t i = 0;
	while (i < pn) {
		if (pre[i] == ' ') {
			if (c->n > 0 && c->p[0] != ' ')
				return false;
			while (i < pn && pre[i] == ' ')
				i++;
			while (c->n > 0 && c->p[0] == ' ')
				cur_adv(c, 1);
			continue;
		}
		if (c->n == 0 || c->p[0] != pre[i])
			return false;
		cur_adv(c, 1);
		i++;
	}
	return true;
}

/* Go's parseSignedOffset: "+hh" style suffixes of zone names. */
static size_t signed_offset_len(const char *v, size_t n)
{
	if (n == 0 || (v[0] != '-' && v[0] != '+'))
		return 0;
	size_t i = 1;
	uint64_t x = 0;
	while (i < n && v[i] >= '0' && v[i] <= '9' && x <= 100)
		x = x * 10 + (uint64_t)(v[i++] - '0');
	if (i == 1 || x > 12)
		return 0;
	return i;
}

/* Go's parseTimeZone: length of a zone abbreviation at v, or 0. */
static size_t zone_name_len(const char *v, size_t n)
{
	if (n < 3)
		return 0;
	if (n >= 4 && (memcmp(v, "ChST", 4) == 0 || memcmp(v, "MeST", 4) == 0))
		return 4;
	if (memcmp(v, "GMT", 3) == 0)
		return 3 + signed_offset_len(v + 3, n - 3);
	if (v[0] == '+' || v[0] == '-')
		return signed_offset_len(v, n);
	size_t up = 0;
	while (up < 6 && up < n && v[up] >= 'A' && v[up] <= 'Z')
		up++;
	if (up == 5 && v[4] == 'T')
		return 5;
	if (up == 4 && (v[3] == 'T' || memcmp(v, "WITA", 4) == 0))
		return 4;
	return up == 3 ? 3 : 0;
}

struct parsed {
	int64_t year;
	int month, day, yday;
	int hour, min, sec;
	int32_t nsec;
	bool pm, am;
	bool utc;         /* "Z" or "UTC" seen */
	int zone_off;     /* -1: none */
	bool has_off;
	const char *zname; /* zone abbreviation, if any */
	size_t znlen;
};

/* Numeric zone offsets ("-0700", "Z07:00", ...). */
static bool parse_zone(struct cur *c, enum std std, struct parsed *p, const char **range)
{
	if (std_is_iso(std) && c->n >= 1 && c->p[0] == 'Z') {
		cur_adv(c, 1);
		p->utc = true;
		return true;
	}
	const char *v = c->p;
	size_t hh = 1, mm = 3, ss = 0, len = 5;
	if (std == STD_ISO8601_COLON_TZ || std == STD_NUM_COLON_TZ) {
		if (c->n < 6 || v[3] != ':')
			return false;
		mm = 4, len = 6;
	} else if (std == STD_NUM_SHORT_TZ || std == STD_ISO8601_SHORT_TZ) {
		mm = 0, len = 3;
	} else if (std == STD_ISO8601_COLON_SECONDS_TZ || std == STD_NUM_COLON_SECONDS_TZ) {
		if (c->n < 9 || v[3] != ':' || v[6] != ':')
			return false;
		mm = 4, ss = 7, len = 9;
	} else if (std == STD_ISO8601_SECONDS_TZ || std == STD_NUM_SECONDS_TZ) {
		mm = 3, ss = 5, len = 7;
	}
	if (c->n < len)
		return false;
	int h, m = 0, s = 0;
	struct cur t = {v + hh, 2};
	if (!getnum(&t, true, &h))
		return false;
	if (mm && (t = (struct cur){v + mm, 2}, !getnum(&t, true, &m)))
		return false;
	if (ss && (t = (struct cur){v + ss, 2}, !getnum(&t, true, &s)))
		return false;
	if (h > 24)
		*range = "time zone offset hour";
	if (m > 60)
		*range = "time zone offset minute";
	if (s > 60)
		*range = "time zone offset second";
	int off = (h * 60 + m) * 60 + s;
	if (v[0] != '+' && v[0] != '-')
		return false;
	p->zone_off = v[0] == '-' ? -off : off;
	p->has_off = true;
	cur_adv(c, len);
	return true;
}

/* Seconds; a fraction the layout does not mention is still accepted. */
static bool parse_second(struct cur *c, const struct chunk *ch, const char *rest, size_t restn,
                         struct parsed *p, const char **range)
{
	if (!getnum(c, ch->std == STD_ZERO_SECOND, &p->sec))
		return false;
	if (p->sec >= 60) {
		*range = "second";
		return true;
	}
	if (c->n >= 2 && (c->p[0] == '.' || c->p[0] == ',') && digit_at(c->p, c->n, 1)) {
		struct chunk nx;
		next_chunk(rest, restn, &nx);
		if (nx.std == STD_FRAC0 || nx.std == STD_FRAC9)
			return true;
		size_t k = 2;
		while (digit_at(c->p, c->n, k))
			k++;
		if (!parse_nanos(c->p, k, &p->nsec, range))
			return false;
		cur_adv(c, k);
	}
	return true;
}

/* "AM"/"PM" (or "am"/"pm" for the lower-case element). */
static bool parse_ampm(struct cur *c, bool lower, struct parsed *p)
{
	if (c->n < 2)
		return false;
	char a0 = c->p[0], a1 = c->p[1];
	char m = lower ? 'm' : 'M';
	if (a1 != m || (a0 != (lower ? 'a' : 'A') && a0 != (lower ? 'p' : 'P')))
		return false;
	p->pm = a0 == (lower ? 'p' : 'P');
	p->am = !p->pm;
	cur_adv(c, 2);
	return true;
}

/* Fractional seconds: exactly the layout's digits (".000"), or any number
 * of digits, possibly none (".999"). */
static bool parse_frac(struct cur *c, const struct chunk *ch, struct parsed *p, const char **range)
{
	if (ch->std == STD_FRAC0) {
		size_t nd = 1 + (size_t)ch->digits;
		if (c->n < nd || !parse_nanos(c->p, nd, &p->nsec, range))
			return false;
		cur_adv(c, nd);
		return true;
	}
	if (c->n < 2 || (c->p[0] != '.' && c->p[0] != ',') || !digit_at(c->p, c->n, 1))
		return true; /* fraction omitted */
	size_t i = 0;
	while (digit_at(c->p, c->n, i + 1))
		i++;
	if (!parse_nanos(c->p, i + 1, &p->nsec, range))
		return false;
	cur_adv(c, i + 1);
	return true;
}

/* Parses one std element; false for "cannot parse". */
static bool parse_std(struct cur *c, const struct chunk *ch, const char *rest, size_t restn,
                      struct parsed *p, const char **range)
{
	int x;
	int64_t y;
	switch (ch->std) {
	case STD_YEAR:
		if (c->n < 2 || !atoi_range(c->p, 2, &y))
			return false;
		p->year = y >= 69 ? y + 1900 : y + 2000;
		cur_adv(c, 2);
		return true;
	case STD_LONG_YEAR:
		if (c->n < 4 || !digit_at(c->p, c->n, 0) || !atoi_range(c->p, 4, &p->year))
			return false;
		cur_adv(c, 4);
		return true;
	case STD_MONTH:
	case STD_LONG_MONTH:
		if (!lookup_name(c, long_months, 12, ch->std == STD_MONTH ? 3 : 0, &x))
			return false;
		p->month = x + 1;
		return true;
	case STD_NUM_MONTH:
	case STD_ZERO_MONTH:
		if (!getnum(c, ch->std == STD_ZERO_MONTH, &p->month))
			return false;
		if (p->month <= 0 || p->month > 12)
			*range = "month";
		return true;
	case STD_WEEKDAY:
	case STD_LONG_WEEKDAY:
		return lookup_name(c, long_days, 7, ch->std == STD_WEEKDAY ? 3 : 0, &x);
	case STD_DAY:
	case STD_UNDER_DAY:
	case STD_ZERO_DAY:
		if (ch->std == STD_UNDER_DAY && c->n > 0 && c->p[0] == ' ')
			cur_adv(c, 1);
		return getnum(c, ch->std == STD_ZERO_DAY, &p->day);
	case STD_UNDER_YEARDAY:
	case STD_ZERO_YEARDAY:
		for (int i = 0; i < 2; i++)
			if (ch->std == STD_UNDER_YEARDAY && c->n > 0 && c->p[0] == ' ')
				cur_adv(c, 1);
		return getnum3(c, ch->std == STD_ZERO_YEARDAY, &p->yday);
	case STD_HOUR:
		if (!getnum(c, false, &p->hour))
			return false;
		if (p->hour >= 24)
			*range = "hour";
		return true;
	case STD_HOUR12:
	case STD_ZERO_HOUR12:
		if (!getnum(c, ch->std == STD_ZERO_HOUR12, &p->hour))
			return false;
		if (p->hour > 12)
			*range = "hour";
		return true;
	case STD_MINUTE:
	case STD_ZERO_MINUTE:
		if (!getnum(c, ch->std == STD_ZERO_MINUTE, &p->min))
			return false;
		if (p->min >= 60)
			*range = "minute";
		return true;
	case STD_SECOND:
	case STD_ZERO_SECOND:
		return parse_second(c, ch, rest, restn, p, range);
	case STD_PM:
	case STD_pm:
		return parse_ampm(c, ch->std == STD_pm, p);
	case STD_TZ: {
		if (c->n >= 3 && memcmp(c->p, "UTC", 3) == 0) {
			p->utc = true;
			cur_adv(c, 3);
			return true;
		}
		size_t k = zone_name_len(c->p, c->n);
		if (k == 0)
			return false;
		p->zname = c->p, p->znlen = k;
		cur_adv(c, k);
		return true;
	}
	case STD_FRAC0:
	case STD_FRAC9:
		return parse_frac(c, ch, p, range);
	case STD_NONE:
		return true;
	default:
		return parse_zone(c, ch->std, p, range);
	}
}

/* Resolves a day-of-year into month and day (Go's parse tail). */
static int resolve_yday(struct pstate *ps, struct parsed *p, struct cur *c)
{
	int yd = p->yday, m = 0, d = 0;
	if (is_leap(p->year)) {
		if (yd == 31 + 29)
			m = 2, d = 29;
		else if (yd > 31 + 29)
			yd--;
	}
	if (yd < 1 || yd > 365)
		return perr(ps, "", 0, c->p, c->n, ": day-of-year out of range");
	if (m == 0) {
		m = (yd - 1) / 31 + 1;
		if (days_before[m] < yd)
			m++;
		d = yd - days_before[m - 1];
	}
	if (p->month >= 0 && p->month != m)
		return perr(ps, "", 0, c->p, c->n, ": day-of-year does not match month");
	if (p->day >= 0 && p->day != d)
		return perr(ps, "", 0, c->p, c->n, ": day-of-year does not match day");
	p->month = m, p->day = d;
	return 0;
}

/* Go's time.Parse(layout, value) with UTC as the default zone; *sec and *nsec
 * get the instant. -EINVAL with Go's message in msg. */
static int go_parse(rctx *cx, const char *layout, size_t ln, const char *value, size_t vn,
                    cc_buf *msg, __int128 *sec, int32_t *nsec)
{
	struct pstate ps = {layout, value, ln, vn, msg};
	struct parsed p = {.month = -1, .day = -1, .yday = -1, .zone_off = -1};
	struct cur c = {value, vn};
	const char *l = layout;
	size_t n = ln;
	for (;;) {
		struct chunk ch;
		next_chunk(l, n, &ch);
		if (!skip_prefix(&c, l, ch.pre))
			return perr(&ps, l, ch.pre, c.p, c.n, NULL);
		if (ch.std == STD_NONE) {
			if (c.n == 0)
				break;
			cc_buf extra;
			cc_buf_init(&extra, 0);
			int r = cc_buf_adds(&extra, ": extra text: ");
			if (r == 0)
				r = go_quote(&extra, c.p, c.n);
			r = r < 0 ? -ENOMEM : perr(&ps, "", 0, c.p, c.n, extra.p);
			cc_buf_free(&extra);
			return r;
		}
		const char *stdp = l + ch.pre;
		l += ch.pre + ch.len;
		n -= ch.pre + ch.len;
		struct cur hold = c;
		const char *range = NULL;
		bool okp = parse_std(&c, &ch, l, n, &p, &range);
		if (range) {
			char m[64];
			snprintf(m, sizeof(m), ": %s out of range", range);
			return perr(&ps, stdp, ch.len, c.p, c.n, m);
		}
		if (!okp)
			return perr(&ps, stdp, ch.len, hold.p, hold.n, NULL);
	}
	if (p.pm && p.hour < 12)
		p.hour += 12;
	else if (p.am && p.hour == 12)
		p.hour = 0;
	if (p.yday >= 0) {
		int r = resolve_yday(&ps, &p, &c);
		if (r < 0)
			return r;
	} else {
		p.month = p.month < 0 ? 1 : p.month;
		p.day = p.day < 0 ? 1 : p.day;
	}
	if (p.day < 1 || p.day > days_in(p.month, p.year))
		return perr(&ps, "", 0, c.p, c.n, ": day out of range");
	*nsec = p.nsec;
	*sec = go_date(p.year, p.month, p.day, p.hour, p.min, p.sec, &utc_loc);
	if (p.utc)
		return 0;
	if (p.has_off) {
		*sec -= p.zone_off;
		return 0;
	}
	if (p.zname) {
		const struct tzloc *local;
		int r = tz_local(cx, &local);
		if (r < 0)
			return r;
		int off = 0;
		if (!tz_lookup_name(local, p.zname, p.znlen, (int64_t)*sec, &off) && p.znlen > 3 &&
		    memcmp(p.zname, "GMT", 3) == 0) {
			int64_t h = 0;
			atoi_range(p.zname + 3, p.znlen - 3, &h);
			off = (int)h * 3600;
		}
		*sec -= off;
	}
	return 0;
}

/* ---- time.ParseDuration ---- */

static int dur_err(cc_buf *msg, const char *what, const char *s, size_t n)
{
	int r = cc_buf_adds(msg, what);
	if (r == 0)
		r = go_quote(msg, s, n);
	return r < 0 ? -ENOMEM : -EINVAL;
}

static uint64_t dur_unit(const char *u, size_t n)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {{"ns", 1},        {"us", 1000},          {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
	             {"ms", 1000000},  {"s", 1000000000ull}, {"m", 60000000000ull}, {"h", 3600000000000ull}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
			return units[i].ns;
	return 0;
}

/* One "<number>[.<fraction>]<unit>" component of a duration at s[0..n):
 * *used gets its length, *v its nanoseconds. */
static int dur_component(const char *s, size_t n, const char *s0, size_t n0, cc_buf *msg,
                         size_t *used, uint64_t *v)
{
	const uint64_t lim = 1ull << 63;
	uint64_t f = 0;
	double scale = 1;
	if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
		return dur_err(msg, "time: invalid duration ", s0, n0);
	size_t i = 0;
	*v = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (*v > lim / 10 || (*v = *v * 10 + (uint64_t)(s[i] - '0')) > lim)
			return dur_err(msg, "time: invalid duration ", s0, n0);
	}
	bool pre = i > 0, post = false;
	if (i < n && s[i] == '.') {
		size_t j = ++i;
		bool overflow = false;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			uint64_t y = f * 10 + (uint64_t)(s[i] - '0');
			overflow = overflow || f > (lim - 1) / 10 || y > lim;
			if (!overflow)
				f = y, scale *= 10;
		}
		post = i > j;
	}
	if (!pre && !post)
		return dur_err(msg, "time: invalid duration ", s0, n0);
	size_t u = i;
	while (u < n && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9'))
		u++;
	if (u == i)
		return dur_err(msg, "time: missing unit in duration ", s0, n0);
	uint64_t unit = dur_unit(s + i, u - i);
	if (unit == 0) {
		int r = cc_buf_adds(msg, "time: unknown unit ");
		if (r == 0)
			r = go_quote(msg, s + i, u - i);
		return r < 0 ? -ENOMEM : dur_err(msg, " in duration ", s0, n0);
	}
	if (*v > lim / unit)
		return dur_err(msg, "time: invalid duration ", s0, n0);
	*v *= unit;
	if (f > 0 && (*v += (uint64_t)((double)f * ((double)unit / scale))) > lim)
		return dur_err(msg, "time: invalid duration ", s0, n0);
	*used = u;
	return 0;
}

/* Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ */
static int go_parse_duration(const char *s0, size_t n0, cc_buf *msg, int64_t *out)
{
	const char *s = s0;
	size_t n = n0;
	bool neg = false;
	uint64_t d = 0;
	const uint64_t lim = 1ull << 63;
	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		s++, n--;
	}
	if (n == 1 && s[0] == '0') {
		*out = 0;
		return 0;
	}
	if (n == 0)
		return dur_err(msg, "time: invalid duration ", s0, n0);
	while (n > 0) {
		size_t used;
		uint64_t v;
		int r = dur_component(s, n, s0, n0, msg, &used, &v);
		if (r < 0)
			return r;
		if ((d += v) > lim)
			return dur_err(msg, "time: invalid duration ", s0, n0);
		s += used, n -= used;
	}
	if (neg) {
		*out = d == lim ? INT64_MIN : -(int64_t)d;
		return 0;
	}
	if (d > lim - 1)
		return dur_err(msg, "time: invalid duration ", s0, n0);
	*out = (int64_t)d;
	return 0;
}

/* ======================================================================
 * Builtins
 * ==================================================================== */

/* A Go error text as the builtin error (or OOM). */
static int msg_err(rctx *cx, int r, cc_buf *msg)
{
	if (r == -ENOMEM)
		r = rbi_oom(cx);
	else if (cx->err == NULL)
		r = rbi_err(cx, "%s", msg->p ? msg->p : "");
	cc_buf_free(msg);
	return r;
}

/* OPA's tzTime: ns, or [ns, tz] / [ns, tz, layout]. */
static int tz_time(rctx *cx, const rv *a, struct gtime *t, const char **layout, size_t *ln)
{
	static const char *const want = "either number (ns) or [number (ns), string (tz)]";
	const rv *num = a;
	t->loc = &utc_loc;
	if (layout)
		*layout = "", *ln = 0;
	if (a->t == RV_ARR) {
		if (a->u.a.n == 0)
			return rbi_type_errf(cx, "operand 1 must be %s but got array", want);
		num = a->u.a.v[0];
		if (num->t != RV_NUM)
			return rbi_type_errf(cx, "operand 1 must be number but got %s", rv_type_name(num));
		if (a->u.a.n > 1) {
			const rv *tz = a->u.a.v[1];
			if (tz->t != RV_STR)
				return rbi_type_errf(cx, "operand 1 must be string but got %s", rv_type_name(tz));
			int r = 0;
			if (tz->u.s.n == 5 && memcmp(tz->u.s.p, "Local", 5) == 0)
				r = tz_local(cx, &t->loc);
			else if (!(tz->u.s.n == 0 || (tz->u.s.n == 3 && memcmp(tz->u.s.p, "UTC", 3) == 0)))
				r = tz_load_name(cx, tz->u.s.p, tz->u.s.n, &t->loc);
			if (r < 0)
				return r;
		}
		if (a->u.a.n > 2) {
			const rv *lay = a->u.a.v[2];
			if (lay->t != RV_STR)
				return rbi_type_errf(cx, "operand 1 must be string but got %s", rv_type_name(lay));
			if (layout)
				*layout = lay->u.s.p, *ln = lay->u.s.n;
		}
	} else if (a->t != RV_NUM) {
		return rbi_type_errf(cx, "operand 1 must be %s but got %s", want, rv_type_name(a));
	}
	int64_t ns;
	if (!rv_num_as_i64(num, &ns))
		return rbi_err(cx, "timestamp too big");
	t->sec = ns / 1000000000;
	int64_t rem = ns % 1000000000;
	if (rem < 0)
		t->sec--, rem += 1000000000;
	t->nsec = (int32_t)rem;
	return 0;
}

static int bi_now_ns(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)args;
	*ret = rv_int(rctx_arena(cx), rctx_now_ns(cx));
	return *ret ? 0 : rbi_oom(cx);
}

static int parse_common(rctx *cx, const char *l, size_t ln, const char *v, size_t vn,
                        const rv **ret)
{
	cc_buf msg;
	cc_buf_init(&msg, 0);
	__int128 sec;
	int32_t nsec;
	int r = go_parse(cx, l, ln, v, vn, &msg, &sec, &nsec);
	if (r < 0)
		return msg_err(cx, r, &msg);
	cc_buf_free(&msg);
	return to_ns(cx, sec, nsec, ret);
}

static int bi_parse_ns(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *l, *v;
	size_t ln, vn;
	int r = rbi_arg_str(cx, args, 0, &l, &ln);
	if (r == 0)
		r = rbi_arg_str(cx, args, 1, &v, &vn);
	if (r < 0)
		return r;
	resolve_layout(&l, &ln);
	return parse_common(cx, l, ln, v, vn, ret);
}

static int bi_parse_rfc3339_ns(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *v;
	size_t vn;
	int r = rbi_arg_str(cx, args, 0, &v, &vn);
	if (r < 0)
		return r;
	static const char rfc3339[] = "2006-01-02T15:04:05Z07:00";
	return parse_common(cx, rfc3339, sizeof(rfc3339) - 1, v, vn, ret);
}

static int bi_parse_duration_ns(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	cc_buf msg;
	cc_buf_init(&msg, 0);
	int64_t d;
	if ((r = go_parse_duration(s, n, &msg, &d)) < 0)
		return msg_err(cx, r, &msg);
	cc_buf_free(&msg);
	*ret = rv_int(rctx_arena(cx), d);
	return *ret ? 0 : rbi_oom(cx);
}

static const rv *int_arr(rarena *a, const int64_t *v, size_t n)
{
	const rv *items[6];
	for (size_t i = 0; i < n; i++)
		if ((items[i] = rv_int(a, v[i])) == NULL)
			return NULL;
	return rv_arr(a, items, n);
}

static int bi_date(rctx *cx, const rv *const *args, const rv **ret)
{
	struct gtime t;
	int r = tz_time(cx, args[0], &t, NULL, NULL);
	if (r < 0)
		return r;
	struct fields f;
	gtime_fields(&t, &f);
	int64_t v[3] = {f.year, f.month, f.day};
	*ret = int_arr(rctx_arena(cx), v, 3);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_clock(rctx *cx, const rv *const *args, const rv **ret)
{
	struct gtime t;
	int r = tz_time(cx, args[0], &t, NULL, NULL);
	if (r < 0)
		return r;
	struct fields f;
	gtime_fields(&t, &f);
	int64_t v[3] = {f.hour, f.min, f.sec};
	*ret = int_arr(rctx_arena(cx), v, 3);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_weekday(rctx *cx, const rv *const *args, const rv **ret)
{
	struct gtime t;
	int r = tz_time(cx, args[0], &t, NULL, NULL);
	if (r < 0)
		return r;
	struct fields f;
	gtime_fields(&t, &f);
	*ret = rv_cstr(rctx_arena(cx), long_days[f.wday]);
	return *ret ? 0 : rbi_oom(cx);
}

/* builtins.IntOperand: an integer spelled as one. */
static int int_operand(rctx *cx, const rv *const *args, int i, int64_t *out)
{
	const rv *x = args[i];
	if (x->t != RV_NUM)
		return rbi_type_err(cx, i + 1, RT_NUM, x);
	if (x->nk != RN_INT)
		return rbi_type_errf(cx, "operand %d must be integer number but got floating-point number",
		                     i + 1);
	*out = x->u.i;
	return 0;
}

static int bi_add_date(rctx *cx, const rv *const *args, const rv **ret)
{
	struct gtime t;
	int64_t y, m, d;
	int r = tz_time(cx, args[0], &t, NULL, NULL);
	if (r == 0)
		r = int_operand(cx, args, 1, &y);
	if (r == 0)
		r = int_operand(cx, args, 2, &m);
	if (r == 0)
		r = int_operand(cx, args, 3, &d);
	if (r < 0)
		return r;
	struct fields f;
	gtime_fields(&t, &f);
	__int128 sec = go_date((__int128)f.year + y, (__int128)f.month + m, (__int128)f.day + d,
	                       f.hour, f.min, f.sec, t.loc);
	return to_ns(cx, sec, t.nsec, ret);
}

static int bi_diff(rctx *cx, const rv *const *args, const rv **ret)
{
	struct gtime t1, t2;
	int r = tz_time(cx, args[0], &t1, NULL, NULL);
	if (r == 0)
		r = tz_time(cx, args[1], &t2, NULL, NULL);
	if (r < 0)
		return r;
	t2.loc = t1.loc;
	if (t1.sec > t2.sec || (t1.sec == t2.sec && t1.nsec > t2.nsec)) {
		struct gtime tmp = t1;
		t1 = t2, t2 = tmp;
	}
	struct fields a, b;
	gtime_fields(&t1, &a);
	gtime_fields(&t2, &b);
	int64_t year = b.year - a.year, month = b.month - a.month, day = b.day - a.day;
	int64_t hour = b.hour - a.hour, min = b.min - a.min, sec = b.sec - a.sec;
	if (sec < 0)
		sec += 60, min--;
	if (min < 0)
		min += 60, hour--;
	if (hour < 0)
		hour += 24, day--;
	if (day < 0)
		day += days_in(a.month, a.year), month--;
	if (month < 0)
		month += 12, year--;
	int64_t v[6] = {year, month, day, hour, min, sec};
	*ret = int_arr(rctx_arena(cx), v, 6);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_format(rctx *cx, const rv *const *args, const rv **ret)
{
	struct gtime t;
	const char *l;
	size_t ln;
	int r = tz_time(cx, args[0], &t, &l, &ln);
	if (r < 0)
		return r;
	if (ln == 0) {
		l = "2006-01-02T15:04:05.999999999Z07:00";
		ln = strlen(l);
	} else {
		resolve_layout(&l, &ln);
	}
	cc_buf b;
	cc_buf_init(&b, CC_REGO_MAX_BUILTIN_ELEMS);
	r = go_format(&t, l, ln, &b);
	*ret = r == 0 ? rv_str(rctx_arena(cx), b.p ? b.p : "", b.len) : NULL;
	cc_buf_free(&b);
	return *ret ? 0 : rbi_oom(cx);
}

/* test.sleep: sleeps for the duration, capped at TEST_SLEEP_MAX so that a
 * policy cannot stall the agent (only the timing differs from OPA). */
#define TEST_SLEEP_MAX_NS 1000000000LL

static int bi_test_sleep(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	cc_buf msg;
	cc_buf_init(&msg, 0);
	int64_t d;
	if ((r = go_parse_duration(s, n, &msg, &d)) < 0)
		return msg_err(cx, r, &msg);
	cc_buf_free(&msg);
	if (d > 0) {
		if (d > TEST_SLEEP_MAX_NS)
			d = TEST_SLEEP_MAX_NS;
		struct timespec ts = {(time_t)(d / 1000000000), (long)(d % 1000000000)};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	*ret = rv_null();
	return 0;
}

const struct rbi rbi_group_time[] = {
    {"time.now_ns", 0, bi_now_ns, NULL, RBI_NONDET, {0}, RT_NUM},
    {"time.parse_ns", 2, bi_parse_ns, NULL, 0, {RT_STR, RT_STR}, RT_NUM},
    {"time.parse_rfc3339_ns", 1, bi_parse_rfc3339_ns, NULL, 0, {RT_STR}, RT_NUM},
    {"time.parse_duration_ns", 1, bi_parse_duration_ns, NULL, 0, {RT_STR}, RT_NUM},
    {"time.date", 1, bi_date, NULL, 0, {RT_NUM | RT_ARR}, RT_ARR},
    {"time.clock", 1, bi_clock, NULL, 0, {RT_NUM | RT_ARR}, RT_ARR},
    {"time.weekday", 1, bi_weekday, NULL, 0, {RT_NUM | RT_ARR}, RT_STR},
    {"time.add_date", 4, bi_add_date, NULL, 0, {RT_NUM, RT_NUM, RT_NUM, RT_NUM}, RT_NUM},
    {"time.diff", 2, bi_diff, NULL, 0, {RT_NUM | RT_ARR, RT_NUM | RT_ARR}, RT_ARR},
    {"time.format", 1, bi_format, NULL, 0, {RT_NUM | RT_ARR}, RT_STR},
    {"test.sleep", 1, bi_test_sleep, NULL, RBI_NONDET, {RT_STR}, RT_NULL},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
