/* Shared by the files of the time builtin group (internal): bi/time.c
 * (calendar tables, instants, durations, the builtins and the group
 * table), bi/time_layout.c (Go reference layouts), bi/tzif.c (zoneinfo).
 * The calendar arithmetic is here, inline. */
#ifndef COCOON_REGO_BI_TIME_INT_H
#define COCOON_REGO_BI_TIME_INT_H

#include "../bi.h"
#include "cocoon/buf.h"

#define SECS_PER_DAY 86400

/* time.c: day names (Sunday first) and days before each month (non-leap,
 * 13 entries). */
extern const char *const rtime_long_days[7];
extern const int rtime_days_before[13];

/* ---- calendar ---------------------------------------------------------- */

static inline bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static inline int days_in(int m, int64_t y)
{
	if (m == 2 && is_leap(y))
		return 29;
	return rtime_days_before[m] - rtime_days_before[m - 1];
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian), any year. */
static inline __int128 days_from_civil(__int128 y, int m, int d)
{
	y -= m <= 2;
	__int128 era = (y >= 0 ? y : y - 399) / 400;
	int yoe = (int)(y - era * 400);
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* y-m-d of day z since 1970-01-01 (the inverse of days_from_civil). */
static inline void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
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

/* One zone of a location: UTC offset, DST flag, abbreviation. */
struct tzzone {
	int32_t off;
	bool dst;
	const char *name;
};

/* A location (Go's *time.Location) read from TZif data. */
struct tzloc {
	bool utc; /* no zone data: UTC */
	struct tzzone *zones;
	size_t nzones;
	int64_t *when;
	uint8_t *idx;
	size_t ntx;
	const char *extend; /* POSIX TZ rule for times after the last transition */
};

/* The zone in effect at an instant. */
struct zinfo {
	const char *name;
	size_t namelen;
	int off;
	bool dst;
};

/* An instant in a location (Go's time.Time). */
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

/* ---- tzif.c ------------------------------------------------------------ */

/* UTC, the location with no zone data. */
extern const struct tzloc rtime_utc_loc;
/* Go's LoadLocation for an IANA name (not "", "UTC" or "Local"), read
 * from the system tzdata; a builtin error if unknown. */
int rtime_tz_load_name(rctx *cx, const char *name, size_t n, const struct tzloc **out);
/* Go's time.Local: $TZ if set, else /etc/localtime, else UTC. */
int rtime_tz_local(rctx *cx, const struct tzloc **out);
/* Go's Location.lookup: the zone in effect at Unix second sec. */
void rtime_tz_lookup(const struct tzloc *l, int64_t sec, struct zinfo *z);
/* Go's Location.lookupName: offset of an abbreviation near sec. */
bool rtime_tz_lookup_name(const struct tzloc *l, const char *name, size_t n, int64_t sec,
                          int *off);

/* ---- time.c: instants -------------------------------------------------- */

/* Calendar fields of t in its zone. */
void rtime_gtime_fields(const struct gtime *t, struct fields *f);
/* Go's time.Date (fields may be out of range; they normalise). Returns the
 * Unix seconds, wide enough for any int64 inputs. */
__int128 rtime_go_date(__int128 year, __int128 month, __int128 day, int64_t hour, int64_t min,
                       int64_t sec, const struct tzloc *loc);

/* ---- time_layout.c ----------------------------------------------------- */

/* OPA's acceptedTimeFormats: a constant's name stands for its layout. */
void rtime_resolve_layout(const char **l, size_t *n);
/* Go's Time.Format. */
int rtime_go_format(const struct gtime *t, const char *l, size_t n, cc_buf *b);
/* Go's time-package quote(): bytes outside printable ASCII as \xNN. */
int rtime_go_quote(cc_buf *b, const char *s, size_t n);
/* Go's time.Parse(layout, value) with UTC as the default zone; *sec and *nsec
 * get the instant. -EINVAL with Go's message in msg. */
int rtime_go_parse(rctx *cx, const char *layout, size_t ln, const char *value, size_t vn,
                   cc_buf *msg, __int128 *sec, int32_t *nsec);

#endif
