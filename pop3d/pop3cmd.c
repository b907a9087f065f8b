/*
 * pop3cmd.c - one POP3 command from the client (see pop3cmd.h).
 * runs as:  inside kurier-pop3-login (kurierd) and kurier-pop3d (the user)
 * trusts:   nothing: every byte comes from the client
 * exit:     never itself; bad may end the session
 */
#include <errno.h>
#include "pop3cmd.h"

int pop3_getcmd(struct buf *in, struct str *line, struct pop3_cmd *c, void (*bad)(const char *))
{
	for (;;) {
		int r;

		line->len = 0;
		r = buf_getline(in, line, '\n');
		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno != E2BIG)
				return 0;
			/* throw the rest of the line away, counting each piece */
			do {
				bad("line too long");
				line->len = 0;
				r = buf_getline(in, line, '\n');
			} while (r < 0 && errno == E2BIG);
			if (r <= 0)
				return 0;
			continue;
		}
		line->len--;
		if (line->len && line->s[line->len - 1] == '\r')
			line->len--;
		if (pop3_parse(line->s, line->len, c))
			return 1;
		bad("NUL or CR in command");
	}
}
