/*
 * pop3parse - the POP3 command line (RFC 1939 §3, RFC 2449 §4) and
 * message numbers (base64 for AUTH is lib/base64.h).  No I/O: byte
 * strings in, results out, so a unit test and a fuzz target can drive
 * every path.
 */
#ifndef KURIER_POP3PARSE_H
#define KURIER_POP3PARSE_H

#include <stddef.h>

enum pop3_verb {
	POP3_UNKNOWN, POP3_USER, POP3_PASS, POP3_APOP, POP3_AUTH, POP3_CAPA,
	POP3_STLS, POP3_QUIT, POP3_NOOP, POP3_STAT, POP3_LIST, POP3_RETR,
	POP3_DELE, POP3_RSET, POP3_TOP, POP3_UIDL
};

#define POP3_ARGS 2	/* no command we know takes more than two arguments */

struct pop3_cmd {
	enum pop3_verb verb;
	unsigned nargs;			/* arguments seen, counting past POP3_ARGS */
	const char *arg[POP3_ARGS];	/* each points into the line */
	size_t arglen[POP3_ARGS];
	const char *rest;		/* everything after the verb and one space (PASS keeps spaces) */
	size_t restlen;
};

/*
 * pop3_parse - split the line s[0..n) (CRLF already removed) into verb and
 * arguments; 1 ok, 0 when it holds a NUL, CR or LF
 * (the caller answers -ERR); the line length is the caller's limit.
 */
int pop3_parse(const char *s, size_t n, struct pop3_cmd *c);
/* pop3_number - a message number or line count: digits only, no sign, below 2^32; 1 ok, 0 bad */
int pop3_number(const char *s, size_t n, unsigned long *u);

#endif
