/* Go reference layouts for the time builtins ("2006-01-02T15:04:05Z07:00"):
 * Time.Format and time.Parse with Go's error messages, and the named
 * layouts OPA accepts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../rctx.h"
#include "time_int.h"

static const char *const long_months[] = {"January", "February", "March", "April",
                                          "May", "June", "July", "August",
                                          "September", "October", "November", "December"};

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

/* The std element starting at l[i], if any (Go's nextStdChunk switch;
 * one case per first byte, kept as Go writes it). */
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
void rtime_resolve_layout(const char **l, size_t *n)
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
	case STD_WEEKDAY: return cc_buf_add(b, rtime_long_days[f->wday], 3);
	case STD_LONG_WEEKDAY: return cc_buf_adds(b, rtime_long_days[f->wday]);
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
int rtime_go_format(const struct gtime *t, const char *l, size_t n, cc_buf *b)
{
	struct fields f;
	rtime_gtime_fields(t, &f);
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
int rtime_go_quote(cc_buf *b, const char *s, size_t n)
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
		r = rtime_go_quote(ps->msg, ps->value, ps->vn);
	if (r == 0 && msg)
		return cc_buf_adds(ps->msg, msg) < 0 ? -ENOMEM : -EINVAL;
	if (r == 0)
		r = cc_buf_adds(ps->msg, " as ");
	if (r == 0)
		r = rtime_go_quote(ps->msg, ps->layout, ps->ln);
	if (r == 0)
		r = cc_buf_adds(ps->msg, ": cannot parse ");
	if (r == 0)
		r = rtime_go_quote(ps->msg, velem, vn);
	if (r == 0)
		r = cc_buf_adds(ps->msg, " as ");
	if (r == 0)
		r = rtime_go_quote(ps->msg, lelem, ln);
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

/* Parses one std element; false for "cannot parse". One case per element,
 * as Go's Parse switch: clearer as one function. */
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
		return lookup_name(c, rtime_long_days, 7, ch->std == STD_WEEKDAY ? 3 : 0, &x);
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
		if (rtime_days_before[m] < yd)
			m++;
		d = yd - rtime_days_before[m - 1];
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
int rtime_go_parse(rctx *cx, const char *layout, size_t ln, const char *value, size_t vn,
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
				r = rtime_go_quote(&extra, c.p, c.n);
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
	*sec = rtime_go_date(p.year, p.month, p.day, p.hour, p.min, p.sec, &rtime_utc_loc);
	if (p.utc)
		return 0;
	if (p.has_off) {
		*sec -= p.zone_off;
		return 0;
	}
	if (p.zname) {
		const struct tzloc *local;
		int r = rtime_tz_local(cx, &local);
		if (r < 0)
			return r;
		int off = 0;
		if (!rtime_tz_lookup_name(local, p.zname, p.znlen, (int64_t)*sec, &off) && p.znlen > 3 &&
		    memcmp(p.zname, "GMT", 3) == 0) {
			int64_t h = 0;
			atoi_range(p.zname + 3, p.znlen - 3, &h);
			off = (int)h * 3600;
		}
		*sec -= off;
	}
	return 0;
}
