/*
 * inject - what sendmail and kurier-inject share: the header section of a
 * message read from a local user, the headers kurier adds when they are
 * missing (Date:, Message-ID:, From:), recipients taken from To/Cc/Bcc,
 * the body copied with CRLF turned into LF (and, for sendmail without
 * -i, ended by a lone "."), and the run of kurier-queue (or $KURIERQUEUE)
 * with the message on its fd 0 and the envelope on its fd 1.
 * Trusts nothing in the message; the caller is a local user, whose uid
 * kurier-queue records.
 * Exit codes of the programs that use it: 0 queued; 100 permanent (bad
 * usage, bad message, kurier-queue 11-40); 111 temporary (kurier-queue's
 * other codes, system failures).
 */
#ifndef KURIER_QUEUE_INJECT_H
#define KURIER_QUEUE_INJECT_H

#include <stddef.h>
#include "str.h"

/* the header section kept in memory: far above any real mail's headers
 * (RFC 5322 sets no total; smtpd limits whole messages to databytes) */
#define INJECT_HEADER_MAX (1024 * 1024)
/* bytes read from stdin at a time */
#define INJECT_CHUNK 65536

/* the body copier's state between pieces of input */
struct inject_body {
	int dot;	/* 1: a lone "." line ends the message (sendmail without -i) */
	int state;	/* INJ_* in inject.c: where in a line we are */
	int done;	/* the ending "." line was seen */
};

/*
 * inject_body_feed - copy n bytes of x into out, CRLF to LF, watching for
 * the ending dot line; returns the bytes consumed (fewer than n only when
 * the dot line ended the message); 0 on no memory with errno set and
 * *err = 1
 */
size_t inject_body_feed(struct inject_body *b, const char *x, size_t n, struct str *out, int *err);
/* inject_body_end - flush what a partial line held back at EOF into out; 1 ok, 0 no memory */
int inject_body_end(struct inject_body *b, struct str *out);

/*
 * inject_addrs - the addresses of an RFC 5322 address-list header value
 * (display names, comments, groups and quoting removed), each appended to
 * out with a NUL after it; 1 ok, 0 no memory
 */
int inject_addrs(const char *v, size_t n, struct str *out);

/* a message being injected */
struct inject {
	const char *sender;	/* envelope sender, or 0 for user@defaultdomain */
	const char *fullname;	/* display name for an added From:, or 0 */
	int rcpt_from_headers;	/* take recipients from To/Cc/Bcc too */
	int dot;		/* a lone "." line ends the message */
	int verbose;		/* say on stderr what is being done */
	char **rcpts;		/* recipients from the command line, 0-terminated */
};

/* inject_run - read the message on fd 0 and queue it; the exit code to use */
int inject_run(const struct inject *);

#endif
