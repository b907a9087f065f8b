/*
 * scan/fmt - numbers to and from text without the C library's locale,
 * errno and overflow surprises.  scan_* return how many bytes they used
 * (0 when there is no number or it overflows); fmt_* write into a
 * caller buffer of FMT_ULONG bytes and return the length written.
 */
#ifndef KURIER_SCAN_H
#define KURIER_SCAN_H

#include <stddef.h>

#define FMT_ULONG 21	/* digits of 2^64-1, plus one */

/* scan_ulong - parse decimal digits in s[0..n) into *u; bytes used, 0 on none/overflow */
size_t scan_ulong(const char *s, size_t n, unsigned long long *u);
/* scan_ulongs - scan_ulong over a whole C string; 1 if all of s is a number */
int scan_ulongs(const char *s, unsigned long long *u);
/* scan_xlong - parse hex digits; bytes used, 0 on none/overflow */
size_t scan_xlong(const char *s, size_t n, unsigned long long *u);
/* scan_duration - "3600", "5d", "1w2d3h" into seconds; 1 ok, 0 bad */
int scan_duration(const char *s, unsigned long long *secs);
/* fmt_ulong - decimal digits of u into out (no NUL); length */
size_t fmt_ulong(char *out, unsigned long long u);
/* fmt_xlong - lower-case hex digits of u into out (no NUL); length */
size_t fmt_xlong(char *out, unsigned long long u);
/* fmt_hex - 2n hex digits of n bytes into out (no NUL) */
void fmt_hex(char *out, const unsigned char *in, size_t n);

#endif
