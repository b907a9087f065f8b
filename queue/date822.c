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

/* the calendar's constants (proleptic Gregorian, as RFC 5322 dates are) */
#define SECS_PER_DAY 86400ULL
#define DAYS_PER_ERA 146097ULL		/* 400 years */
#define EPOCH_FROM_MARCH_0 719468ULL	/* days from 0000-03-01 to 1970-01-01 */
#define EPOCH_WEEKDAY 4			/* 1970-01-01 was a Thursday */

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
	unsigned long long secs, unix_days, days, era, doe, yoe, doy, mp, year;
	unsigned day, month, sod;
	size_t n = 0;

	/* a clock before 1970 is broken; say 1970 rather than a negative year */
	secs = t < 0 ? 0 : (unsigned long long)t;
	unix_days = secs / SECS_PER_DAY;
	sod = (unsigned)(secs % SECS_PER_DAY);
	/* the date, counted in 400-year eras from 0000-03-01, so that the
	 * leap day ends each year */
	days = unix_days + EPOCH_FROM_MARCH_0;
	era = days / DAYS_PER_ERA;
	doe = days - era * DAYS_PER_ERA;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	year = yoe + era * 400 + (month <= 2);

	memcpy(out + n, days_of_week[(unix_days + EPOCH_WEEKDAY) % 7], 3); n += 3;
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
