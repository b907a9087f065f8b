/*
 * msgout - a stored message as POP3 sends it (RFC 1939 §3): every line
 * ends in CRLF (a bare LF gets its CR), a line that starts with "." gets
 * one more, and a last line without an end gets CRLF.  TOP stops after
 * the header, the empty line and n body lines.  The size POP3 reports is
 * the converted size without the added dots, which msgsize counts with
 * the same rules.  No I/O: bytes in, bytes out, in pieces of any size.
 */
#ifndef KURIER_MSGOUT_H
#define KURIER_MSGOUT_H

#include <stddef.h>
#include "str.h"

struct msgout {
	int bol;		/* at the start of a line */
	int cr;			/* the last byte was CR */
	size_t linelen;		/* bytes in the current line so far */
	int inhdr;		/* still in the header section */
	int top;		/* TOP: stop after lines body lines */
	unsigned long lines;	/* body lines still to send (TOP) */
	int done;		/* TOP has sent all it should */
	unsigned long long size;	/* converted bytes, without added dots */
};

/* msgout_init - start a message; top 0 for RETR, 1 for TOP with lines body lines */
void msgout_init(struct msgout *m, int top, unsigned long lines);
/* msgout_put - convert n bytes of the stored message onto out; 1 ok, 0 no memory */
int msgout_put(struct msgout *m, const char *s, size_t n, struct str *out);
/* msgout_end - end the last line if needed and add the ".\r\n" terminator; 1 ok, 0 no memory */
int msgout_end(struct msgout *m, struct str *out);
/* msgout_done - 1 once TOP needs no more input */
int msgout_done(const struct msgout *m);
/* msgsize_put - count n more stored bytes into m->size as POP3 would send them */
void msgsize_put(struct msgout *m, const char *s, size_t n);
/* msgsize_end - the final size: m->size plus the CRLF an unended last line gets */
unsigned long long msgsize_end(struct msgout *m);

#endif
