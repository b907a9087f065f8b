/*
 * remotereply - the SMTP client's view of server replies (RFC 5321 §4.2)
 * and of the EHLO keyword list (RFC 5321 §4.1.1.1), as pure parsers over
 * byte strings: no I/O, so the unit test and the fuzz target can feed
 * them anything.  A reply comes from a stranger on the network; every
 * limit below bounds what a hostile server can make us hold, and the text
 * we keep is sanitized so it can go into a bounce or a log line as it is
 * (SECURITY.md 19).
 */
#ifndef KURIER_REMOTEREPLY_H
#define KURIER_REMOTEREPLY_H

#include <stddef.h>
#include "str.h"

/* RFC 5321 §4.5.3.1.5 allows 512 bytes per reply line with CRLF; servers
 * that send longer ones exist, so we take eight times that and no more */
#define REPLY_LINE_MAX 4096
/* RFC 5321 sets no limit on continuation lines; an EHLO list has about
 * twenty, so two hundred is generous and still bounds the work */
#define REPLY_LINES_MAX 200
/* text kept for a bounce: the spawn contract allows 1000 bytes per result
 * and we leave room for the host name in front */
#define REPLY_TEXT_MAX 800
/* SIZE=n as a server advertises it: more than any sane message */
#define REPLY_SIZE_MAX 0x7fffffffffffffffULL

struct reply {
	int code;		/* the three-digit code, 0 before the first line */
	unsigned lines;		/* lines seen so far */
	int done;		/* 1 once the last line was seen */
	struct str text;	/* sanitized text of all lines, joined by " " */
};

/* capabilities from an EHLO reply */
#define EHLO_PIPELINING 0x01
#define EHLO_SIZE       0x02
#define EHLO_8BITMIME   0x04
#define EHLO_STARTTLS   0x08
#define EHLO_AUTHPLAIN  0x10
#define EHLO_AUTHLOGIN  0x20
#define EHLO_SMTPUTF8   0x40

struct ehlo {
	unsigned flags;			/* EHLO_* */
	unsigned long long size;	/* SIZE limit, 0 when none given */
};

/* reply_start - forget any earlier reply, ready for a new one */
void reply_start(struct reply *);
/*
 * reply_line - feed one line (without its LF; a trailing CR is dropped).
 * Returns 1 when this was the last line, 0 when more are to come, -1 when
 * the line is malformed (short, no code, a code that changes, a bad
 * separator, too many lines); r->text then says why.
 */
int reply_line(struct reply *r, const char *s, size_t n);
/* reply_free - release the text */
void reply_free(struct reply *);
/* reply_class - first digit of the code: 2, 3, 4 or 5 (0 if none) */
int reply_class(const struct reply *);

/* ehlo_line - fold the keywords of one EHLO reply line into e (after its
 * first line, which is the greeting); nothing is ever fatal here */
void ehlo_line(struct ehlo *e, const char *s, size_t n);

/* reply_sanitize - append n bytes to out as printable ASCII (anything
 * else becomes '?'), stopping at max bytes in all; 1 ok, 0 no memory */
int reply_sanitize(struct str *out, const char *s, size_t n, size_t max);

#endif
