/*
 * base64.c - base64 decoding and encoding (RFC 4648 §4).
 * runs as:  inside whichever program links it (the login programs and
 *           their servers)
 * trusts:   nothing: the text to decode comes from the client
 * exit:     never; results only
 */
#include "base64.h"

/* b64val - the 6-bit value of one base64 character; -1 if it is none */
static int b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == '+') return 62;
	if (ch == '/') return 63;
	return -1;
}

int base64_decode(const char *s, size_t n, struct str *out)
{
	size_t i, pad = 0;
	unsigned long acc = 0;
	int bits = 0;

	/* RFC 4648 §4: whole quanta of four, '=' only as the last one or two */
	if (n % 4)
		return 0;
	if (n && s[n - 1] == '=')
		pad = n >= 2 && s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return 0;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (!str_append(out, (char)((acc >> bits) & 0xff)))
				return 0;
		}
	}
	/* the bits left over must be zero (RFC 4648 §3.5 lets us insist) */
	if (acc & ((1UL << bits) - 1))
		return 0;
	return 1;
}

int base64_encode(const char *s, size_t n, struct str *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	char q[4];

	for (i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)(unsigned char)s[i] << 16;
		if (i + 1 < n) v |= (unsigned long)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n) v |= (unsigned char)s[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		if (!str_catb(out, q, 4))
			return 0;
	}
	return 1;
}
