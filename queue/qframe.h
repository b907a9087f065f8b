/*
 * qframe - the input of kurier-queue's session mode (kurier-queue -s):
 * any number of messages on one descriptor, each a sequence of frames
 *
 *	M<len>\n<len bytes of the message>	(zero or more)
 *	E<len>\n<len bytes of the envelope>	(one or more)
 *
 * where len is decimal, 1 to QFRAME_MAX, without leading zeros, and the
 * E frames together carry exactly one qmail-queue envelope (F<sender>\0
 * T<rcpt>\0 ... \0) whose final NUL is the last byte of the last E frame.
 * That NUL ends the message.  No I/O here: the caller feeds the bytes it
 * has read, in any pieces, and acts on what qframe_feed reports; the
 * writer (kurier-smtpd) formats headers with qframe_fmt.
 * Trusts nothing: every byte may come from any local user.
 */
#ifndef KURIER_QUEUE_QFRAME_H
#define KURIER_QUEUE_QFRAME_H

#include <stddef.h>
#include "envelope.h"
#include "scan.h"

/*
 * The most bytes in one frame.  A writer cuts a longer message into
 * frames, so this only bounds the number a header may carry: large
 * enough that headers cost nothing next to the bytes they announce, and
 * at 7 digits far from any overflow.
 */
#define QFRAME_MAX (1024u * 1024)
#define QFRAME_DIGITS 7			/* digits of QFRAME_MAX */
#define QFRAME_HEAD_MAX (1 + QFRAME_DIGITS + 1)	/* type, length, LF */

enum qframe_event {
	QFRAME_MORE = 0,	/* everything used; feed more */
	QFRAME_MESSAGE,		/* message bytes: data, len */
	QFRAME_ENVELOPE,	/* envelope bytes, checked so far: data, len */
	QFRAME_END,		/* the last envelope bytes (data, len, the final
				 * NUL left out): the message is complete */
	QFRAME_FORMAT,		/* malformed frame or envelope: exit 91 */
	QFRAME_TOOLONG,		/* an address over ENV_ADDR_MAX: exit 11 */
	QFRAME_TOOMANY		/* more than ENV_RCPT_MAX recipients: exit 31 */
};

struct qframe {
	int inbody;		/* 0 reading a header, 1 inside a frame's bytes */
	int part;		/* 0 between messages, 1 message frames, 2 envelope frames */
	char type;		/* 'M' or 'E' once the header's type byte is read; 0 before */
	unsigned digits;	/* length digits read */
	size_t left;		/* the header's length so far; in a body, bytes still to come */
	struct env_parser env;	/* the envelope of the current message */
};

#define QFRAME_INIT { 0, 0, 0, 0, 0, ENV_PARSER_INIT }

/*
 * qframe_feed - parse n more bytes of x.  Sets *used to the bytes it
 * consumed (headers included) and, for QFRAME_MESSAGE, QFRAME_ENVELOPE
 * and QFRAME_END, *data and *len to the bytes the caller is to store
 * (pointing into x).  Returns one event; call again with the rest.
 * After an error event the parser is spent.
 */
enum qframe_event qframe_feed(struct qframe *f, const char *x, size_t n, size_t *used,
    const char **data, size_t *len);

/* qframe_idle - 1 if the parser stands between two messages, where end of
 * input is a clean end; 0 inside a message or a header */
int qframe_idle(const struct qframe *f);

/* qframe_fmt - the header of a frame of type t ('M' or 'E') announcing n
 * bytes (1..QFRAME_MAX) into out (QFRAME_HEAD_MAX bytes); its length */
static inline size_t qframe_fmt(char *out, char t, size_t n)
{
	size_t k = 0;

	out[k++] = t;
	k += fmt_ulong(out + k, (unsigned long long)n);
	out[k++] = '\n';
	return k;
}

#endif
