/* Time builtins (OPA v1/topdown/time.go): time.now_ns, time.parse_ns,
 * time.parse_rfc3339_ns, time.parse_duration_ns, time.date, time.clock,
 * time.weekday, time.add_date, time.diff, time.format, and test.sleep.
 *
 * OPA uses Go's time package, so the group reproduces its parts:
 *   - reference-layout parsing and formatting ("2006-01-02T15:04:05Z07:00")
 *     with Go's error messages (bi/time_layout.c);
 *   - time.Date normalisation (AddDate) and zone lookups (here and
 *     bi/tzif.c);
 *   - time.ParseDuration (here).
 * Time zones come from the system tzdata through a small TZif reader
 * (bi/tzif.c). This keeps every conversion a pure function of its
 * arguments: no TZ environment juggling (setenv/localtime_r are not
 * thread-safe together) and no global state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../rctx.h"
#include "cocoon/limits.h"
#include "time_int.h"

/* Unix seconds of 1677-09-21T00:12:43.145224192Z and
 * 2262-04-11T23:47:16.854775807Z (the int64 nanosecond range). */
#define MIN_SEC (-9223372037LL)
#define MIN_NSEC 145224192
#define MAX_SEC 9223372036LL
#define MAX_NSEC 854775807

const char *const rtime_long_days[7] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};
const int rtime_days_before[13] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

/* ---- instants in a zone ------------------------------------------------ */

void rtime_gtime_fields(const struct gtime *t, struct fields *f)
{
	rtime_tz_lookup(t->loc, t->sec, &f->z);
	int64_t local = t->sec + f->z.off;
	int64_t days = floor_div(local, SECS_PER_DAY);
	int64_t sod = local - days * SECS_PER_DAY;
	civil_from_days(days, &f->year, &f->month, &f->day);
	f->yday = rtime_days_before[f->month - 1] + f->day + (is_leap(f->year) && f->month > 2);
	f->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
	f->hour = (int)(sod / 3600);
	f->min = (int)(sod / 60 % 60);
	f->sec = (int)(sod % 60);
}

/* Go's time.Date (fields may be out of range; they normalise). Returns the
 * Unix seconds, wide enough for any int64 inputs. */
__int128 rtime_go_date(__int128 year, __int128 month, __int128 day, int64_t hour, int64_t min,
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
	rtime_tz_lookup(loc, (int64_t)unix, &z);
	if (z.off != 0) {
		struct zinfo z2;
		rtime_tz_lookup(loc, (int64_t)unix - z.off, &z2);
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

/* ---- time.ParseDuration ---- */

static int dur_err(cc_buf *msg, const char *what, const char *s, size_t n)
{
	int r = cc_buf_adds(msg, what);
	if (r == 0)
		r = rtime_go_quote(msg, s, n);
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
			r = rtime_go_quote(msg, s + i, u - i);
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
	t->loc = &rtime_utc_loc;
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
				r = rtime_tz_local(cx, &t->loc);
			else if (!(tz->u.s.n == 0 || (tz->u.s.n == 3 && memcmp(tz->u.s.p, "UTC", 3) == 0)))
				r = rtime_tz_load_name(cx, tz->u.s.p, tz->u.s.n, &t->loc);
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
	int r = rtime_go_parse(cx, l, ln, v, vn, &msg, &sec, &nsec);
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
	rtime_resolve_layout(&l, &ln);
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
	rtime_gtime_fields(&t, &f);
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
	rtime_gtime_fields(&t, &f);
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
	rtime_gtime_fields(&t, &f);
	*ret = rv_cstr(rctx_arena(cx), rtime_long_days[f.wday]);
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
	int64_t y = 0, m = 0, d = 0;
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
	rtime_gtime_fields(&t, &f);
	__int128 sec = rtime_go_date((__int128)f.year + y, (__int128)f.month + m, (__int128)f.day + d,
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
	rtime_gtime_fields(&t1, &a);
	rtime_gtime_fields(&t2, &b);
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
		rtime_resolve_layout(&l, &ln);
	}
	cc_buf b;
	cc_buf_init(&b, CC_REGO_MAX_BUILTIN_ELEMS);
	r = rtime_go_format(&t, l, ln, &b);
	*ret = r == 0 ? rv_str(rctx_arena(cx), b.p ? b.p : "", b.len) : NULL;
	cc_buf_free(&b);
	return *ret ? 0 : rbi_oom(cx);
}

/* test.sleep: sleeps for the duration, capped at TEST_SLEEP_MAX so that a
 * policy cannot stall the agent (only the timing differs from OPA). */
#define TEST_SLEEP_MAX_NS CC_REGO_MAX_SLEEP_NS /* limits.h */

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
