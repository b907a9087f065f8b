/*
 * envelope - the qmail-queue envelope on kurier-queue's fd 1, parsed as a
 * stream of bytes: F<sender>\0, then T<rcpt>\0 per recipient, then one
 * more \0.  No I/O here: the caller feeds whatever bytes it has read, in
 * any pieces, and copies the bytes the parser accepted into the queue
 * file, whose format is the same records without the final \0.
 * Trusts nothing: every byte may come from any local user.
 */
#ifndef KURIER_QUEUE_ENVELOPE_H
#define KURIER_QUEUE_ENVELOPE_H

#include <stddef.h>

/*
 * The longest address in an F or T record, in bytes.  RFC 5321 4.5.3.1.4
 * limits a command line (MAIL FROM:<...> / RCPT TO:<...>) to 512 octets,
 * so no address that SMTP can carry is longer; a longer one is exit 11.
 */
#define ENV_ADDR_MAX 512
/*
 * The most T records in one envelope.  Ten times the largest RCPT limit
 * any SMTP server uses in practice (Postfix: 1000, and RFC 5321 4.5.3.1.8
 * asks for at least 100); it bounds the envelope file at about 50 MB.
 * More is refused permanently (exit 31): the same envelope would be
 * refused on every retry.
 */
#define ENV_RCPT_MAX 100000

enum env_result {
	ENV_MORE = 0,	/* all bytes accepted; feed more */
	ENV_DONE,	/* the final NUL was seen; *used counts it */
	ENV_FORMAT,	/* not an envelope: exit 91 */
	ENV_TOOLONG,	/* an address longer than ENV_ADDR_MAX: exit 11 */
	ENV_TOOMANY	/* more than ENV_RCPT_MAX recipients: exit 31 */
};

struct env_parser {
	int state;		/* ENV_S_* in envelope.c */
	size_t addrlen;		/* bytes of the current address so far */
	unsigned long rcpts;	/* T records completed */
};

#define ENV_PARSER_INIT { 0, 0, 0 }

/*
 * env_feed - parse n more bytes of x; returns an env_result and sets
 * *used to the bytes consumed (for ENV_DONE including the final NUL, for
 * errors up to the offending byte)
 */
enum env_result env_feed(struct env_parser *p, const char *x, size_t n, size_t *used);

#endif
