/*
 * envelope.c - the streaming envelope parser; see envelope.h.
 * A state machine over single bytes, so a record split across any number
 * of reads parses the same as one read.
 */
#include "envelope.h"

enum {
	ENV_S_START = 0,	/* expecting the F of the sender record */
	ENV_S_SENDER,		/* inside the sender address */
	ENV_S_RECORD,		/* expecting T, or the final NUL */
	ENV_S_RCPT,		/* inside a recipient address */
	ENV_S_END		/* the final NUL was seen */
};

enum env_result env_feed(struct env_parser *p, const char *x, size_t n, size_t *used)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = x[i];

		switch (p->state) {
		case ENV_S_START:
			if (c != 'F') { *used = i; return ENV_FORMAT; }
			p->state = ENV_S_SENDER;
			p->addrlen = 0;
			break;
		case ENV_S_SENDER:
		case ENV_S_RCPT:
			if (c == 0) {
				if (p->state == ENV_S_RCPT) {
					/* an empty recipient names nobody */
					if (!p->addrlen) { *used = i; return ENV_FORMAT; }
					p->rcpts++;
				}
				p->state = ENV_S_RECORD;
				break;
			}
			if (++p->addrlen > ENV_ADDR_MAX) { *used = i; return ENV_TOOLONG; }
			break;
		case ENV_S_RECORD:
			if (c == 0) {
				/* a message for nobody is a client bug, not mail */
				if (!p->rcpts) { *used = i; return ENV_FORMAT; }
				p->state = ENV_S_END;
				*used = i + 1;
				return ENV_DONE;
			}
			if (c != 'T') { *used = i; return ENV_FORMAT; }
			if (p->rcpts >= ENV_RCPT_MAX) { *used = i; return ENV_TOOMANY; }
			p->state = ENV_S_RCPT;
			p->addrlen = 0;
			break;
		default:
			*used = i;
			return ENV_DONE;
		}
	}
	*used = n;
	return ENV_MORE;
}
