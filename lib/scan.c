/*
 * scan.c - number scanning and formatting; see scan.h.
 */
#include <string.h>
#include "scan.h"

size_t scan_ulong(const char *s, size_t n, unsigned long long *u)
{
	unsigned long long r = 0;
	size_t i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (__builtin_mul_overflow(r, 10ULL, &r) ||
		    __builtin_add_overflow(r, (unsigned long long)(s[i] - '0'), &r))
			return 0;
	}
	if (i)
		*u = r;
	return i;
}

int scan_ulongs(const char *s, unsigned long long *u)
{
	size_t n = strlen(s);

	return n && scan_ulong(s, n, u) == n;
}

size_t scan_xlong(const char *s, size_t n, unsigned long long *u)
{
	unsigned long long r = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned d;
		char c = s[i];
		if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
		else break;
		if (r >> 60)
			return 0;
		r = r * 16 + d;
	}
	if (i)
		*u = r;
	return i;
}

int scan_duration(const char *s, unsigned long long *secs)
{
	unsigned long long total = 0, v, mult;
	size_t n = strlen(s), used;

	if (!n)
		return 0;
	while (n) {
		used = scan_ulong(s, n, &v);
		if (!used)
			return 0;
		s += used;
		n -= used;
		mult = 1;
		if (n) {
			switch (*s) {
			case 'w': mult = 604800; break;
			case 'd': mult = 86400; break;
			case 'h': mult = 3600; break;
			case 'm': mult = 60; break;
			case 's': mult = 1; break;
			default: return 0;
			}
			s++;
			n--;
		} else if (total) {
			return 0;	/* "1d5": a bare number only stands alone */
		}
		if (__builtin_mul_overflow(v, mult, &v) ||
		    __builtin_add_overflow(total, v, &total))
			return 0;
	}
	*secs = total;
	return 1;
}

size_t fmt_ulong(char *out, unsigned long long u)
{
	char tmp[FMT_ULONG];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	memcpy(out, tmp + i, sizeof tmp - i);
	return sizeof tmp - i;
}

size_t fmt_xlong(char *out, unsigned long long u)
{
	char tmp[FMT_ULONG];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = "0123456789abcdef"[u & 15];
		u >>= 4;
	} while (u);
	memcpy(out, tmp + i, sizeof tmp - i);
	return sizeof tmp - i;
}

void fmt_hex(char *out, const unsigned char *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[in[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[in[i] & 15];
	}
}
