/*
 * date822.c - RFC 5322 dates in UTC; see date822.h.
 * gmtime_r does the calendar; the names are ours, so the locale cannot
 * change a header.
 */
#include <string.h>
#include "date822.h"
#include "scan.h"

static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
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
	struct tm tm;
	size_t n = 0;

	if (!gmtime_r(&t, &tm)) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	memcpy(out + n, days[tm.tm_wday % 7], 3); n += 3;
	out[n++] = ','; out[n++] = ' ';
	n += fmt_ulong(out + n, (unsigned long long)tm.tm_mday);
	out[n++] = ' ';
	memcpy(out + n, months[tm.tm_mon % 12], 3); n += 3;
	out[n++] = ' ';
	n += fmt_ulong(out + n, (unsigned long long)(tm.tm_year + 1900));
	out[n++] = ' ';
	n += two(out + n, tm.tm_hour); out[n++] = ':';
	n += two(out + n, tm.tm_min); out[n++] = ':';
	n += two(out + n, tm.tm_sec);
	memcpy(out + n, " +0000", 6); n += 6;
	return n;
}
