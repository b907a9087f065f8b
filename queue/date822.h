/*
 * date822 - an RFC 5322 3.3 date-time for Date: and Received: lines,
 * always in UTC ("+0000"), with English names regardless of locale.
 */
#ifndef KURIER_QUEUE_DATE822_H
#define KURIER_QUEUE_DATE822_H

#include <stddef.h>
#include <time.h>

/* "Tue, 24 Nov 2026 11:38:24 +0000" is 31 bytes; years past 9999 need more */
#define DATE822_MAX 48

/* date822_fmt - t as an RFC 5322 date into out (no NUL); its length */
size_t date822_fmt(char out[DATE822_MAX], time_t t);

#endif
