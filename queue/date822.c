/*
 * date822.c - RFC 5322 dates in UTC; see date822.h.
 * The calendar is computed here, not by gmtime_r: glibc's gmtime_r reads
 * and parses /etc/localtime on its first call even for UTC, an open, a
 * read and a parse in every kurier-smtpd connection for a date that never
 * depends on the time zone.  The names are ours, so the locale cannot
 * change a header either.
 */
#include <string.h>
#include "date822.h"
#include "scan.h"

static const char days_of_week[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* two - n as two digits into out; 2 */
static size_t two(char *out, int n)
{
	out[0] = (char)('0' + n / 10 % 10);
	out[1] = (char)('0' + n % 10);
	return 2;
}

size_t date822_fmt(char out[DATE822_MAX], time_t t)
{
	unsigned long long secs, days, era, doe, yoe, doy, mp, year;
	unsigned day, month, sod;
	size_t n = 0;

	/* a clock before 1970 is broken; say 1970 rather than a negative year */
	secs = t < 0 ? 0 : (unsigned long long)t;
	days = secs / 86400;
	sod = (unsigned)(secs % 86400);
	/* days since 1970-01-01 to a date in the proleptic Gregorian
	 * calendar, counted in 400-year eras of 146097 days from 0000-03-01
	 * so that the leap day ends each year (719468 days lie between
	 * 0000-03-01 and 1970-01-01) */
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	year = yoe + era * 400 + (month <= 2);

	/* 1970-01-01 was a Thursday */
	memcpy(out + n, days_of_week[(secs / 86400 + 4) % 7], 3); n += 3;
	out[n++] = ','; out[n++] = ' ';
	n += fmt_ulong(out + n, day);
	out[n++] = ' ';
	memcpy(out + n, months[month - 1], 3); n += 3;
	out[n++] = ' ';
	n += fmt_ulong(out + n, year);
	out[n++] = ' ';
	n += two(out + n, (int)(sod / 3600)); out[n++] = ':';
	n += two(out + n, (int)(sod / 60 % 60)); out[n++] = ':';
	n += two(out + n, (int)(sod % 60));
	memcpy(out + n, " +0000", 6); n += 6;
	return n;
}
