/*
 * test-date822 - date822_fmt's own calendar against the C library's
 * gmtime_r: every day from 1970 to 2400 (leap years, the 2100 and 2200
 * non-leap centuries, 2000 and 2400 leap), at a second that moves through
 * the day, and the edges; and that neither TZ nor the locale changes it.
 * runs as:  anyone; exit 0 when every check passed, results as TAP lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "date822.h"
#include "test.h"

/* expect - what date822_fmt must write for t, from gmtime_r; its length */
static size_t expect(char *out, size_t size, time_t t)
{
	static const char *wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	int n;

	if (!gmtime_r(&t, &tm))
		return 0;
	n = snprintf(out, size, "%s, %d %s %lld %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday,
		     mo[tm.tm_mon], (long long)tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* same - date822_fmt(t) is what gmtime_r says */
static int same(time_t t)
{
	char got[DATE822_MAX], want[DATE822_MAX * 2];
	size_t n = date822_fmt(got, t), w = expect(want, sizeof want, t);

	if (w && n == w && !memcmp(got, want, n))
		return 1;
	fprintf(stderr, "t=%lld: got \"%.*s\", want \"%.*s\"\n", (long long)t, (int)n, got, (int)w, want);
	return 0;
}

int main(void)
{
	/* 2400-12-31 is day 157,419 after 1970-01-01 */
	const long long last_day = 157419;
	char got[DATE822_MAX];
	long long d;
	int ok = 1;

	setenv("TZ", "America/New_York", 1);
	tzset();
	for (d = 0; d <= last_day && ok; d++)
		ok = same((time_t)(d * 86400 + (d * 7919) % 86400));
	CHECK(ok, "every day 1970-2400 at a moving second agrees with gmtime_r");
	CHECK(same(0), "the epoch");
	CHECK(same(86399), "the last second of 1970-01-01");
	CHECK(same(951782400), "2000-02-29 (a leap day of a 400-year century)");
	CHECK(same(4107542400LL), "2100-03-01 (2100 has no leap day)");
	CHECK(same(2147483647), "the last second of 32-bit time");
	CHECK(same(253402300799LL), "9999-12-31 23:59:59");
	CHECK(same(253402300800LL), "10000-01-01, a year of five digits");
	CHECK(date822_fmt(got, 1795574812) == 31 &&
	      !memcmp(got, "Wed, 25 Nov 2026 02:46:52 +0000", 31), "a date of this release, in UTC whatever TZ says");
	CHECK(date822_fmt(got, -1) == 30 && !memcmp(got, "Thu, 1 Jan 1970 00:00:00 +0000", 30),
	      "a time before 1970 is written as the epoch");
	{
		/* the largest time_t must fit DATE822_MAX */
		time_t big = (time_t)(~0ULL >> 1);
		size_t n = date822_fmt(got, big);
		CHECK(n > 0 && n <= DATE822_MAX && !memcmp(got + n - 6, " +0000", 6), "the largest time fits");
	}
	return test_done();
}
