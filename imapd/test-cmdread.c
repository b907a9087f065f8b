/*
 * test-cmdread - reading commands with literals from a byte stream fed
 * in pieces of every size: synchronizing literals get "+" and their
 * bytes, non-synchronizing ones none, oversized announcements get BAD
 * without "+" (or close the connection for {N+}), over-long lines are
 * skipped whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "buf.h"
#include "cmdread.h"
#include "imap.h"
#include "test.h"

static const char *feed;
static size_t feedlen, feedpos, piece;
static char outbuf[4096];
static size_t outlen;

/* fakeread - hand out the feed in pieces of at most piece bytes */
static ssize_t fakeread(int fd, void *x, size_t n)
{
	(void)fd;
	if (feedpos >= feedlen)
		return 0;
	if (n > piece)
		n = piece;
	if (n > feedlen - feedpos)
		n = feedlen - feedpos;
	memcpy(x, feed + feedpos, n);
	feedpos += n;
	return (ssize_t)n;
}

/* fakewrite - collect what the reader says to the client */
static ssize_t fakewrite(int fd, void *x, size_t n)
{
	(void)fd;
	if (n > sizeof outbuf - outlen)
		n = sizeof outbuf - outlen;
	memcpy(outbuf + outlen, x, n);
	outlen += n;
	return (ssize_t)n;
}

static const struct {
	const char *in;
	size_t litmax;
	int r;			/* first cmdread result */
	const char *cmd;	/* the command, for CMDREAD_OK */
	size_t cmdlen;
	int plus;		/* how many "+" continuations */
	int r2;			/* the next result (what follows is still in step) */
} cases[] = {
	{ "a NOOP\r\nb NOOP\r\n", 100, CMDREAD_OK, "a NOOP", 6, 0, CMDREAD_OK },
	{ "a NOOP\nb NOOP\n", 100, CMDREAD_OK, "a NOOP", 6, 0, CMDREAD_OK },
	{ "a LOGIN {4}\r\nfred {3}\r\nabc\r\nb NOOP\r\n", 100, CMDREAD_OK, "a LOGIN {4}\r\nfred {3}\r\nabc", 26, 2, CMDREAD_OK },
	{ "a LOGIN {4+}\r\nfred x\r\nb NOOP\r\n", 100, CMDREAD_OK, "a LOGIN {4+}\r\nfred x", 20, 0, CMDREAD_OK },
	{ "a LOGIN {4}\r\n\r\n\0\n\r\nb NOOP\r\n", 100, CMDREAD_OK, "a LOGIN {4}\r\n\r\n\0\n\r", 17, 1, CMDREAD_OK },
	{ "a LOGIN {4294967296}\r\nb NOOP\r\n", 1024, CMDREAD_BAD, 0, 0, 0, CMDREAD_OK },
	{ "a LOGIN {18446744073709551616}\r\nb NOOP\r\n", 1024, CMDREAD_BAD, 0, 0, 0, CMDREAD_OK },
	{ "a LOGIN {10000000}\r\nb NOOP\r\n", 1024, CMDREAD_BAD, 0, 0, 0, CMDREAD_OK },
	{ "a LOGIN {2000+}\r\nxxxx", 1024, CMDREAD_CLOSE, 0, 0, 0, -99 },
	{ "a LOGIN {5}\r\nab", 100, CMDREAD_EOF, 0, 0, 1, -99 },
	{ "", 100, CMDREAD_EOF, 0, 0, 0, -99 },
};

int main(void)
{
	static char longline[IMAP_LINE_MAX + 100];
	struct buf in, out;
	char inspace[64], outspace[64], name[80];
	struct str cmd = STR_INIT;
	const char *err;
	size_t i, p, k;
	int r;

	for (i = 0; i < sizeof cases / sizeof *cases; i++)
		for (p = 1; p <= 7; p += 6) {
			size_t inlen = strlen(cases[i].in);
			if (i == 4)
				inlen = 29;	/* the case with a NUL inside the literal */
			feed = cases[i].in;
			feedlen = inlen;
			feedpos = 0;
			piece = p;
			outlen = 0;
			buf_init(&in, fakeread, 0, inspace, sizeof inspace);
			buf_init(&out, fakewrite, 1, outspace, sizeof outspace);
			r = cmdread(&in, &out, &cmd, cases[i].litmax, IMAP_CMD_MAX, &err);
			(void)buf_flush(&out);
			snprintf(name, sizeof name, "cmdread-%zu-piece-%zu", i, p);
			if (!CHECK(r == cases[i].r && (r != CMDREAD_OK || (cmd.len == cases[i].cmdlen && !memcmp(cmd.s, cases[i].cmd, cmd.len))), name))
				printf("# got %d len %zu\n", r, cmd.len);
			{
				int plus = 0;
				for (k = 0; k + 1 < outlen; k++)
					if (outbuf[k] == '+' && (k == 0 || outbuf[k - 1] == '\n'))
						plus++;
				snprintf(name, sizeof name, "cmdread-%zu-piece-%zu-plus", i, p);
				CHECK(plus == cases[i].plus, name);
			}
			if (cases[i].r2 != -99) {
				r = cmdread(&in, &out, &cmd, cases[i].litmax, IMAP_CMD_MAX, &err);
				snprintf(name, sizeof name, "cmdread-%zu-piece-%zu-next", i, p);
				CHECK(r == cases[i].r2 && cmd.len == 6 && !memcmp(cmd.s, "b NOOP", 6), name);
			}
		}
	/* a line past IMAP_LINE_MAX: BAD, and the rest of it is not taken for a command */
	memset(longline, 'x', sizeof longline);
	memcpy(longline, "a ", 2);
	memcpy(longline + sizeof longline - 10, "\r\nb NOOP\r\n", 10);
	feed = longline;
	feedlen = sizeof longline;
	feedpos = 0;
	piece = 4096;
	buf_init(&in, fakeread, 0, inspace, sizeof inspace);
	buf_init(&out, fakewrite, 1, outspace, sizeof outspace);
	r = cmdread(&in, &out, &cmd, 100, IMAP_CMD_MAX, &err);
	CHECK(r == CMDREAD_BAD && !strcmp(err, "command line too long"), "long-line-bad");
	r = cmdread(&in, &out, &cmd, 100, IMAP_CMD_MAX, &err);
	CHECK(r == CMDREAD_OK && cmd.len == 6 && !memcmp(cmd.s, "b NOOP", 6), "long-line-skipped");
	str_free(&cmd);
	return test_done();
}
