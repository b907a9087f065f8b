/*
 * dataread.c - DATA and BDAT body decoding; see dataread.h.
 * The DATA state machine, at each byte:
 *   BOL     start of a line (after CR LF, or at the start)
 *   DOT     a "." at the start of a line
 *   DOTCR   "." CR at the start of a line: LF now ends the data
 *   MID     inside a line (also after a bare LF: a line that did not
 *           start with CR LF can never end the data)
 *   CR      a CR inside a line, waiting for its LF
 */
#include "dataread.h"

enum { BOL, DOT, DOTCR, MID, CR };

void dataread_init(struct dataread *d)
{
	d->state = BOL;
	d->bare = 0;
	d->nul = 0;
	d->done = 0;
}

size_t dataread_data(struct dataread *d, const char *in, size_t n, struct str *out)
{
	size_t i;

	if (!str_readyplus(out, n))
		return 0;
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (!c)
			d->nul = 1;
		switch (d->state) {
		case BOL:
			if (c == '.') { d->state = DOT; break; }
			/* fall through */
		case MID:
		mid:
			if (c == '\r') d->state = CR;
			else if (c == '\n') { d->bare = 1; d->state = MID; }
			else { out->s[out->len++] = c; d->state = MID; }
			break;
		case DOT:
			/* the leading dot is dropped (RFC 5321 §4.5.2) */
			if (c == '\r') { d->state = DOTCR; break; }
			goto mid;
		case DOTCR:
			if (c == '\n') {
				d->done = 1;
				d->state = BOL;
				out->s[out->len] = 0;
				return i + 1;
			}
			d->bare = 1;
			d->state = MID;
			goto mid;
		case CR:
			if (c == '\n') { out->s[out->len++] = '\n'; d->state = BOL; }
			else if (c == '\r') d->bare = 1;
			else { d->bare = 1; out->s[out->len++] = c; d->state = MID; }
			break;
		}
	}
	out->s[out->len] = 0;
	return n;
}

int dataread_bdat(struct dataread *d, const char *in, size_t n, struct str *out)
{
	size_t i;

	if (!str_readyplus(out, n))
		return 0;
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (!c)
			d->nul = 1;
		if (d->state == CR) {
			if (c == '\n') { out->s[out->len++] = '\n'; d->state = MID; continue; }
			d->bare = 1;
			d->state = MID;
		}
		if (c == '\r') d->state = CR;
		else if (c == '\n') d->bare = 1;
		else out->s[out->len++] = c;
	}
	out->s[out->len] = 0;
	return 1;
}

void dataread_bdat_end(struct dataread *d)
{
	if (d->state == CR)
		d->bare = 1;
	d->state = MID;
}
