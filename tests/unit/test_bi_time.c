/* Unit tests: time builtins (lib/rego/bi/time.c, time_layout.c, tzif.c).
 * Zones come from the system tzdata (Debian package tzdata). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rego/convert.h"
#include "rego/rctx.h"

static rarena *A;
static rctx CX;

static int setup(void **state)
{
	(void)state;
	A = rarena_new(0);
	rctx_init(&CX, A, NULL);
	setenv("TZ", "UTC", 1); /* "Local" and zone abbreviations read $TZ */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rctx_fini(&CX);
	rarena_free(A);
	return 0;
}

static const rv *J(const char *t)
{
	const rv *v = NULL;
	cc_error *e = NULL;
	if (rv_from_json_text(A, t, strlen(t), &v, &e))
		fail_msg("bad test JSON %s: %s", t, cc_error_message(e));
	return v;
}

static const rv *S(const char *s) { return rv_cstr(A, s); }

static const char *gj(const rv *v)
{
	static char out[1024];
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rv_to_go_json(v, &b, "", NULL), 0);
	snprintf(out, sizeof(out), "%s", b.p ? b.p : "");
	cc_buf_free(&b);
	return out;
}

static int callv(const char *name, const rv *const *args, const rv **ret)
{
	const struct rbi *b;
	for (b = rbi_group_time; b->name; b++)
		if (strcmp(b->name, name) == 0)
			break;
	assert_non_null(b->name);
	rctx_fini(&CX);
	CX.fname = name;
	*ret = NULL;
	return b->fn(&CX, args, ret);
}

static const char *ok1(const char *name, const rv *a0)
{
	const rv *args[1] = {a0}, *r;
	if (callv(name, args, &r))
		fail_msg("%s failed: %s", name, cc_error_message(CX.err));
	return gj(r);
}

static const char *ok2(const char *name, const rv *a0, const rv *a1)
{
	const rv *args[2] = {a0, a1}, *r;
	if (callv(name, args, &r))
		fail_msg("%s failed: %s", name, cc_error_message(CX.err));
	return gj(r);
}

static const char *err2(const char *name, const rv *a0, const rv *a1, const char *kind)
{
	const rv *args[2] = {a0, a1}, *r;
	assert_true(callv(name, args, &r) < 0);
	assert_string_equal(cc_error_kind(CX.err), kind);
	return cc_error_message(CX.err);
}

static void test_parse_ns(void **state)
{
	(void)state;
	const char *rfc = "2006-01-02T15:04:05Z07:00";
	assert_string_equal(ok2("time.parse_ns", S(rfc), S("2017-06-02T19:00:00-07:00")), "1496455200000000000");
	assert_string_equal(ok2("time.parse_ns", S(rfc), S("1677-09-21T00:12:43.145224192-00:00")),
	                    "-9223372036854775808");
	assert_string_equal(ok2("time.parse_ns", S(rfc), S("2262-04-11T23:47:16.854775807-00:00")),
	                    "9223372036854775807");
	assert_string_equal(ok2("time.parse_ns", S("01/02 03:04:05PM '06 -0700"), S("06/02 07:00:00PM '17 -0700")),
	                    "1496455200000000000");
	assert_string_equal(ok2("time.parse_ns", S("02 Jan 06 15:04 -0700"), S("02 Jun 17 19:00 -0700")),
	                    "1496455200000000000");
	assert_string_equal(ok2("time.parse_ns", S("RFC822Z"), S("02 Jun 17 19:00 -0700")), "1496455200000000000");
	assert_string_equal(ok2("time.parse_ns", S("2006-01-02"), S("2020-02-02")), "1580601600000000000");
	assert_string_equal(ok2("time.parse_ns", S("Mon Jan _2 15:04:05 MST 2006"), S("Fri Jun  2 19:00:00 UTC 2017")),
	                    "1496430000000000000");
	assert_string_equal(ok2("time.parse_ns", S("2006-002 3PM"), S("2020-060 1PM")), "1582981200000000000");
	assert_string_equal(err2("time.parse_ns", S(rfc), S("1677-09-21T00:12:43.145224191-00:00"), "eval_builtin_error"),
	                    "time.parse_ns: time outside of valid range");
	assert_string_equal(err2("time.parse_ns", S(rfc), S("2262-04-11T23:47:16.854775808-00:00"), "eval_builtin_error"),
	                    "time.parse_ns: time outside of valid range");
	assert_string_equal(err2("time.parse_ns", S("2006-01-02"), S("2020-13-01"), "eval_builtin_error"),
	                    "time.parse_ns: parsing time \"2020-13-01\": month out of range");
	assert_string_equal(err2("time.parse_ns", S("2006-01-02"), S("2021-02-29"), "eval_builtin_error"),
	                    "time.parse_ns: parsing time \"2021-02-29\": day out of range");
	assert_string_equal(err2("time.parse_ns", S("2006-01-02"), S("2020-1-02"), "eval_builtin_error"),
	                    "time.parse_ns: parsing time \"2020-1-02\" as \"2006-01-02\": cannot parse \"1-02\" as \"01\"");
	assert_string_equal(err2("time.parse_ns", S("2006-01-02"), S("2020-01-02x"), "eval_builtin_error"),
	                    "time.parse_ns: parsing time \"2020-01-02x\": extra text: \"x\"");
	assert_string_equal(err2("time.parse_ns", S("2006 01"), S("2020\xff"), "eval_builtin_error"),
	                    "time.parse_ns: parsing time \"2020\\xff\" as \"2006 01\": cannot parse \"\\xff\" as \" \"");
	assert_string_equal(err2("time.parse_ns", J("1"), S("x"), "eval_type_error"),
	                    "time.parse_ns: operand 1 must be string but got number");
}

static void test_parse_rfc3339_and_duration(void **state)
{
	(void)state;
	assert_string_equal(ok1("time.parse_rfc3339_ns", S("1970-01-01T00:00:00-00:00")), "0");
	assert_string_equal(ok1("time.parse_rfc3339_ns", S("2017-06-02T19:00:00.5+05:30")), "1496410200500000000");
	assert_string_equal(ok1("time.parse_rfc3339_ns", S("2017-06-02T19:00:00Z")), "1496430000000000000");
	assert_string_equal(ok1("time.parse_duration_ns", S("100ms")), "100000000");
	assert_string_equal(ok1("time.parse_duration_ns", S("-1.5h")), "-5400000000000");
	assert_string_equal(ok1("time.parse_duration_ns", S("1h2m3s4ms5us6ns")), "3723004005006");
	assert_string_equal(ok1("time.parse_duration_ns", S("2\xc2\xb5s")), "2000");
	assert_string_equal(ok1("time.parse_duration_ns", S("0")), "0");
	assert_string_equal(ok1("time.parse_duration_ns", S("-9223372036854775808ns")), "-9223372036854775808");
	const rv *args[1] = {S("1x")}, *r;
	assert_true(callv("time.parse_duration_ns", args, &r) < 0);
	assert_string_equal(cc_error_message(CX.err),
	                    "time.parse_duration_ns: time: unknown unit \"x\" in duration \"1x\"");
	args[0] = S("12");
	assert_true(callv("time.parse_duration_ns", args, &r) < 0);
	assert_string_equal(cc_error_message(CX.err), "time.parse_duration_ns: time: missing unit in duration \"12\"");
	args[0] = S("9223372036854775808ns");
	assert_true(callv("time.parse_duration_ns", args, &r) < 0);
	assert_string_equal(cc_error_message(CX.err),
	                    "time.parse_duration_ns: time: invalid duration \"9223372036854775808ns\"");
}

static void test_date_clock_weekday(void **state)
{
	(void)state;
	assert_string_equal(ok1("time.date", J("1517814000000000000")), "[2018,2,5]");
	assert_string_equal(ok1("time.date", J("[1517814000000000000, \"America/Los_Angeles\"]")), "[2018,2,4]");
	assert_string_equal(ok1("time.date", J("[1517832000000000000, \"\"]")), "[2018,2,5]");
	assert_string_equal(ok1("time.date", J("1582977600000000000")), "[2020,2,29]");
	assert_string_equal(ok1("time.date", J("-9223372036854775808")), "[1677,9,21]");
	assert_string_equal(ok1("time.clock", J("1517832000000000000")), "[12,0,0]");
	assert_string_equal(ok1("time.clock", J("[1517832000000000000, \"America/New_York\"]")), "[7,0,0]");
	assert_string_equal(ok1("time.clock", J("[1530446400000000000, \"America/New_York\"]")), "[8,0,0]");
	assert_string_equal(ok1("time.clock", J("[-1, \"UTC\"]")), "[23,59,59]");
	static const char *const days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
	                                   "Friday", "Saturday", "Sunday"};
	for (int i = 0; i < 7; i++) {
		char ns[64], want[32];
		snprintf(ns, sizeof(ns), "%lld", 1517832000000000000LL + i * 86400000000000LL);
		snprintf(want, sizeof(want), "\"%s\"", days[i]);
		assert_string_equal(ok1("time.weekday", J(ns)), want);
	}
	const rv *args[1] = {J("1582977600000000000000")}, *r;
	assert_true(callv("time.date", args, &r) < 0);
	assert_string_equal(cc_error_message(CX.err), "time.date: timestamp too big");
	args[0] = J("1.5");
	assert_true(callv("time.weekday", args, &r) < 0);
	assert_string_equal(cc_error_message(CX.err), "time.weekday: timestamp too big");
	args[0] = J("[1, \"Mars/Olympus\"]");
	assert_true(callv("time.clock", args, &r) < 0);
	assert_string_equal(cc_error_message(CX.err), "time.clock: unknown time zone Mars/Olympus");
	args[0] = J("[1, \"../etc/passwd\"]");
	assert_true(callv("time.clock", args, &r) < 0);
	assert_string_equal(cc_error_message(CX.err), "time.clock: time: invalid location name");
	args[0] = S("x");
	assert_true(callv("time.clock", args, &r) < 0);
	assert_string_equal(cc_error_kind(CX.err), "eval_type_error");
	assert_string_equal(cc_error_message(CX.err),
	                    "time.clock: operand 1 must be either number (ns) or [number (ns), string (tz)] but got string");
	args[0] = J("[\"x\"]");
	assert_true(callv("time.clock", args, &r) < 0);
	assert_string_equal(cc_error_message(CX.err), "time.clock: operand 1 must be number but got string");
}

static const char *add_date(const char *ns, const char *y, const char *m, const char *d)
{
	const rv *args[4] = {J(ns), J(y), J(m), J(d)}, *r;
	if (callv("time.add_date", args, &r))
		return cc_error_message(CX.err);
	return gj(r);
}

static void test_add_date(void **state)
{
	(void)state;
	assert_string_equal(add_date("1585852421593912000", "3", "9", "12"), "1705257221593912000");
	assert_string_equal(add_date("1585852421593912000", "-1", "-1", "-1"), "1551465221593912000");
	assert_string_equal(add_date("0", "2262", "1", "1"), "time.add_date: time outside of valid range");
	assert_string_equal(add_date("-9223372036854775808", "0", "0", "-1"),
	                    "time.add_date: time outside of valid range");
	assert_string_equal(add_date("0", "9223372036854775807", "9223372036854775807", "0"),
	                    "time.add_date: time outside of valid range");
	/* Jan 31 + 1 month normalises to Mar 3 (2019 is not a leap year). */
	assert_string_equal(add_date("1548892800000000000", "0", "1", "0"), "1551571200000000000");
	/* In a zone, the wall clock is kept across a DST change. */
	assert_string_equal(add_date("[1552118400000000000, \"America/New_York\"]", "0", "0", "1"),
	                    "1552201200000000000");
	assert_string_equal(add_date("0", "1.0", "0", "0"),
	                    "time.add_date: operand 2 must be integer number but got floating-point number");
}

static void test_diff(void **state)
{
	(void)state;
	assert_string_equal(ok2("time.diff", J("61000000000"), J("0")), "[0,0,0,0,1,1]");
	assert_string_equal(ok2("time.diff", J("[60000000000, \"UTC\"]"), J("[0, \"Asia/Shanghai\"]")),
	                    "[0,0,0,0,1,0]");
	assert_string_equal(ok2("time.diff", J("1580601600000000000"), J("1583020800000000000")), "[0,0,28,0,0,0]");
	assert_string_equal(ok2("time.diff", J("1612224000000000000"), J("1614556800000000000")), "[0,0,27,0,0,0]");
	assert_string_equal(ok2("time.diff", J("1078012800000000000"), J("1109635200000000000")), "[1,0,1,0,0,0]");
}

static void test_format(void **state)
{
	(void)state;
	assert_string_equal(ok1("time.format", J("1670006453141828752")), "\"2022-12-02T18:40:53.141828752Z\"");
	assert_string_equal(ok1("time.format", J("[1670006453141828752, \"Asia/Kolkata\"]")),
	                    "\"2022-12-03T00:10:53.141828752+05:30\"");
	assert_string_equal(ok1("time.format", J("[1670006453141828752, \"Asia/Kolkata\", \"Mon Jan 02 15:04:05 -0700 2006\"]")),
	                    "\"Sat Dec 03 00:10:53 +0530 2022\"");
	assert_string_equal(ok1("time.format", J("[1670006453141828752, \"Asia/Kolkata\", \"RFC1123Z\"]")),
	                    "\"Sat, 03 Dec 2022 00:10:53 +0530\"");
	assert_string_equal(ok1("time.format", J("[1670006453141828752, \"America/New_York\", \"RFC1123\"]")),
	                    "\"Fri, 02 Dec 2022 13:40:53 EST\"");
	assert_string_equal(ok1("time.format", J("[1656770453000000000, \"Europe/London\", \"3:04PM MST Z07:00 .000 .999 __2 002 Monday January\"]")),
	                    "\"3:00PM BST +01:00 .000  183 183 Saturday July\"");
	assert_string_equal(ok1("time.format", J("[1670006400000000000, \"Europe/London\", \"2006-01-02T15:04:05.999999999Z07:00\"]")),
	                    "\"2022-12-02T18:40:00Z\"");
	assert_string_equal(ok1("time.format", J("[1, \"\", \"05.000000000 -07:00:00\"]")),
	                    "\"00.000000001 +00:00:00\"");
	const rv *args[1] = {J("15829776000000000000000000")}, *r;
	assert_true(callv("time.format", args, &r) < 0);
	assert_string_equal(cc_error_message(CX.err), "time.format: timestamp too big");
}

static void test_now_and_sleep(void **state)
{
	(void)state;
	const rv *r1, *r2;
	assert_int_equal(callv("time.now_ns", NULL, &r1), 0);
	const rv *args[1] = {S("10ms")};
	assert_int_equal(callv("test.sleep", args, &r2), 0);
	assert_int_equal(r2->t, RV_NULL);
	assert_int_equal(callv("time.now_ns", NULL, &r2), 0);
	assert_true(rv_eq(r1, r2)); /* one value per evaluation */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ns),
	    cmocka_unit_test(test_parse_rfc3339_and_duration),
	    cmocka_unit_test(test_date_clock_weekday),
	    cmocka_unit_test(test_add_date),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_now_and_sleep),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
