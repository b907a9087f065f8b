/*
 * dataread - the byte-level reader of an SMTP message body, with no I/O.
 * DATA (RFC 5321 §4.1.1.4, §4.5.2): only CR LF "." CR LF ends the data,
 * a leading dot is removed from every line, CR LF becomes LF (the queue
 * stores LF line ends, as qmail does).  A CR or LF that is not part of a
 * CR LF pair is noted as bare and makes the message unacceptable, but
 * never ends the data: that closes every SMTP smuggling variant
 * (CVE-2023-51764/51765/51766).  NUL bytes are noted too.
 * BDAT (RFC 3030) chunks carry no dot-stuffing; the same CR LF rules hold.
 */
#ifndef KURIER_DATAREAD_H
#define KURIER_DATAREAD_H

#include <stddef.h>
#include "str.h"

struct dataread {
	int state;
	int bare;	/* a bare CR or LF was seen */
	int nul;	/* a NUL byte was seen */
	int done;	/* the end of data was seen (DATA only) */
};

/* dataread_init - start a new message at the beginning of a line */
void dataread_init(struct dataread *d);
/*
 * dataread_data - consume DATA bytes in[0..n), appending the message text
 * to out (at most n bytes); returns the bytes consumed, which is less
 * than n only when the end of data was reached (d->done set), so the
 * rest belongs to the next command.  out must be able to grow by n.
 */
size_t dataread_data(struct dataread *d, const char *in, size_t n, struct str *out);
/* dataread_bdat - consume one piece of a BDAT chunk; appends to out; returns 1, 0 no memory */
int dataread_bdat(struct dataread *d, const char *in, size_t n, struct str *out);
/* dataread_bdat_end - the last chunk is complete: a CR still pending is bare */
void dataread_bdat_end(struct dataread *d);

#endif
