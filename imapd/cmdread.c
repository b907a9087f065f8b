/*
 * cmdread - one IMAP command with its literals, from the client.
 * runs as:  inside kurier-imap-login and kurier-imapd
 * trusts:   nothing the client sends
 */
#include <errno.h>
#include "cmdread.h"
#include "imap.h"
#include "imapparse.h"

/* skipline - throw away the rest of an over-long line; 1 done, 0 EOF */
static int skipline(struct buf *in)
{
	struct str junk = STR_INIT;
	int r;

	junk.max = IMAP_LINE_MAX;
	do {
		junk.len = 0;
		r = buf_getline(in, &junk, '\n');
	} while (r < 0 && errno == E2BIG);
	str_free(&junk);
	return r > 0;
}

/* cmdread - one command into cmd; CMDREAD_* */
int cmdread(struct buf *in, struct buf *out, struct str *cmd, size_t litmax, size_t cmdmax, const char **err)
{
	struct str line = STR_INIT;
	unsigned long long size;
	size_t start;
	int r, nonsync;

	cmd->len = 0;
	cmd->max = 0;
	for (;;) {
		line.len = 0;
		line.max = IMAP_LINE_MAX;
		r = buf_getline(in, &line, '\n');
		if (r == 0) {
			str_free(&line);
			return CMDREAD_EOF;
		}
		if (r < 0) {
			if (errno != E2BIG) {
				str_free(&line);
				return CMDREAD_EOF;
			}
			(void)str_catb(cmd, line.s, 80);
			str_free(&line);
			if (!skipline(in))
				return CMDREAD_EOF;
			*err = "command line too long";
			return CMDREAD_BAD;
		}
		line.len--;
		if (line.len && line.s[line.len - 1] == '\r')
			line.len--;
		start = cmd->len;
		if (!str_catb(cmd, line.s, line.len))
			goto nomem;
		r = imap_literal_end(cmd->s + start, cmd->len - start, &size, &nonsync);
		if (r == 0)
			break;
		if (r < 0 || size > litmax || (size_t)size > cmdmax || cmd->len > cmdmax - (size_t)size) {
			str_free(&line);
			*err = r < 0 ? "bad literal size" : "literal too big";
			/* the client sends a non-synchronizing literal without
			 * waiting: we cannot tell its bytes from commands */
			return r > 0 && nonsync ? CMDREAD_CLOSE : CMDREAD_BAD;
		}
		if (!nonsync) {
			if (buf_puts(out, "+ Ready for literal data\r\n") < 0 || buf_flush(out) < 0)
				break;
		}
		if (!str_catb(cmd, "\r\n", 2) || !str_readyplus(cmd, (size_t)size))
			goto nomem;
		while (size) {
			ssize_t g = buf_get(in, cmd->s + cmd->len, size > 65536 ? 65536 : (size_t)size);
			if (g <= 0) {
				str_free(&line);
				return CMDREAD_EOF;
			}
			cmd->len += (size_t)g;
			size -= (unsigned long long)g;
		}
		cmd->s[cmd->len] = 0;
	}
	str_free(&line);
	return CMDREAD_OK;
nomem:
	str_free(&line);
	*err = "out of memory";
	return CMDREAD_CLOSE;
}
