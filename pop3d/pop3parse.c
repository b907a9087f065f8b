/*
 * pop3parse.c - POP3 command lines, message numbers and base64.
 * runs as:  inside kurier-pop3-login (kurierd) and kurier-pop3d (the user)
 * trusts:   nothing: every byte comes from the client
 * exit:     never; results only
 */
#include <string.h>
#include "pop3parse.h"

static const struct { const char *name; enum pop3_verb verb; } verbs[] = {
	{ "USER", POP3_USER }, { "PASS", POP3_PASS }, { "APOP", POP3_APOP },
	{ "AUTH", POP3_AUTH }, { "CAPA", POP3_CAPA }, { "STLS", POP3_STLS },
	{ "QUIT", POP3_QUIT }, { "NOOP", POP3_NOOP }, { "STAT", POP3_STAT },
	{ "LIST", POP3_LIST }, { "RETR", POP3_RETR }, { "DELE", POP3_DELE },
	{ "RSET", POP3_RSET }, { "TOP", POP3_TOP }, { "UIDL", POP3_UIDL },
};

/* upper - ASCII upper case of c */
static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

int pop3_parse(const char *s, size_t n, struct pop3_cmd *c)
{
	size_t i, v, k;

	memset(c, 0, sizeof *c);
	c->verb = POP3_UNKNOWN;
	for (i = 0; i < n; i++)
		if (s[i] == 0 || s[i] == '\r' || s[i] == '\n')
			return 0;
	for (v = 0; v < n && s[v] != ' '; v++)
		;
	for (k = 0; k < sizeof verbs / sizeof verbs[0]; k++) {
		const char *name = verbs[k].name;
		size_t j;
		if (strlen(name) != v)
			continue;
		for (j = 0; j < v && upper(s[j]) == name[j]; j++)
			;
		if (j == v) {
			c->verb = verbs[k].verb;
			break;
		}
	}
	if (v < n) {
		c->rest = s + v + 1;
		c->restlen = n - v - 1;
	} else {
		c->rest = s + n;
	}
	/* arguments: runs of non-space bytes; RFC 1939 §3 says one space, we allow more */
	for (i = v; i < n; ) {
		size_t start;
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		if (c->nargs < POP3_ARGS) {
			c->arg[c->nargs] = s + start;
			c->arglen[c->nargs] = i - start;
		}
		c->nargs++;
	}
	return 1;
}

int pop3_number(const char *s, size_t n, unsigned long *u)
{
	unsigned long long v = 0;
	size_t i;

	/* 10 digits hold every number below 2^32 */
	if (!n || n > 10)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 0xffffffffULL)
		return 0;
	*u = (unsigned long)v;
	return 1;
}

/* b64val - the 6-bit value of a base64 character, or -1 */
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
