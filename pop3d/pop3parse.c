/*
 * pop3parse.c - POP3 command lines and message numbers.
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
