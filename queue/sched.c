/*
 * sched - retry schedule, address rewriting, bounce status codes and
 * spawner reply parsing for kurier-send (sched.h).  No I/O.
 */
#include <string.h>
#include "sched.h"
#include "scan.h"

long long sched_next(long long birth, long long now, long long quantum)
{
	long long k = 1;

	if (quantum < 1)
		quantum = 1;
	if (now < birth)
		now = birth;
	/* the smallest k with birth + (k*q)^2 > now; k stays below 2^31 for any sane clock */
	while (k < 3037000499LL / quantum && birth + (k * quantum) * (k * quantum) <= now)
		k++;
	return birth + (k * quantum) * (k * quantum);
}

/* lower - ASCII lower case of c */
static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

const char *sched_domain(const char *a, size_t n, size_t *dl)
{
	size_t i = n;

	while (i > 0 && a[i - 1] != '@')
		i--;
	if (!i) {
		*dl = 0;
		return a + n;
	}
	*dl = n - i;
	return a + i;
}

int sched_rewrite(struct str *out, const char *a, size_t n,
		  const char *defaulthost, const char *defaultdomain)
{
	size_t dl, at, i;
	const char *d;

	str_truncate(out, 0);
	if (!n)
		return str_copyb(out, "", 0);
	d = sched_domain(a, n, &dl);
	if (d == a + n && (n == 0 || a[n - 1] != '@')) {
		/* no "@" at all: a bare local name */
		if (!str_copyb(out, a, n) || !str_append(out, '@') || !str_cats(out, defaulthost))
			return 0;
	} else {
		if (!str_copyb(out, a, n))
			return 0;
		if (dl == 0 && !str_cats(out, defaulthost))
			return 0;
	}
	at = out->len;
	while (at > 0 && out->s[at - 1] != '@')
		at--;
	if (out->len > at && out->s[out->len - 1] == '.')
		str_truncate(out, out->len - 1);
	for (i = at; i < out->len; i++)
		out->s[i] = lower(out->s[i]);
	if (out->len > at && out->s[at] != '[' && !memchr(out->s + at, '.', out->len - at) && *defaultdomain) {
		if (!str_append(out, '.') || !str_cats(out, defaultdomain))
			return 0;
		for (i = at; i < out->len; i++)
			out->s[i] = lower(out->s[i]);
	}
	return 1;
}

/* digits - count of decimal digits at s[0..n) */
static size_t digits(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

void sched_status(char out[16], const char *t, size_t n, int permanent)
{
	size_t i = 0, a, b, c;

	if (n && (t[0] == 'K' || t[0] == 'Z' || t[0] == 'D'))
		i = 1;
	while (i < n && t[i] == ' ')
		i++;
	/* an SMTP reply code first: "550 5.1.1 ..." or "550-5.1.1" */
	if (digits(t + i, n - i) == 3 && i + 3 < n && (t[i + 3] == ' ' || t[i + 3] == '-'))
		i += 4;
	a = digits(t + i, n - i);
	if (a == 1 && (t[i] == '4' || t[i] == '5') && i + 1 < n && t[i + 1] == '.') {
		b = digits(t + i + 2, n - i - 2);
		if (b >= 1 && b <= 3 && i + 2 + b < n && t[i + 2 + b] == '.') {
			c = digits(t + i + 3 + b, n - i - 3 - b);
			if (c >= 1 && c <= 3 && (i + 3 + b + c == n || t[i + 3 + b + c] == ' ' ||
						t[i + 3 + b + c] == ',' || t[i + 3 + b + c] == ';')) {
				size_t len = 3 + b + c;
				/* the class must agree with the verdict */
				if (t[i] == (permanent ? '5' : '4')) {
					memcpy(out, t + i, len);
					out[len] = 0;
					return;
				}
			}
		}
	}
	memcpy(out, permanent ? "5.0.0" : "4.0.0", 6);
}

long sched_reply(const char *x, size_t n, unsigned long long *slot,
		 size_t *fields, size_t *nfields)
{
	const char *z = memchr(x, 0, n);
	size_t i, k = 0;

	if (!z) {
		if (n > FMT_ULONG)
			return -1;
		return 0;
	}
	if (z == x || (size_t)(z - x) >= FMT_ULONG || scan_ulong(x, (size_t)(z - x), slot) != (size_t)(z - x))
		return -1;
	i = (size_t)(z - x) + 1;
	*fields = i;
	for (;;) {
		const char *e;
		if (i >= n)
			return 0;
		e = memchr(x + i, 0, n - i);
		if (!e)
			return n - i > SCHED_FIELD_MAX ? -1 : 0;
		if (e == x + i) {
			*nfields = k;
			return k ? (long)(i + 1) : -1;
		}
		if ((size_t)(e - (x + i)) > SCHED_FIELD_MAX)
			return -1;
		if (x[i] != 'K' && x[i] != 'Z' && x[i] != 'D')
			return -1;
		k++;
		i = (size_t)(e - x) + 1;
	}
}
