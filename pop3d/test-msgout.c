/*
 * test-msgout - CRLF conversion, dot-stuffing, TOP and the POP3 size,
 * each message fed whole and one byte at a time.
 */
#include <string.h>
#include "msgout.h"
#include "snapshot.h"
#include "test.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const struct {
	const char *in;
	int top;
	unsigned long lines;
	const char *out;	/* without the final ".\r\n" */
} cases[] = {
	{ "", 0, 0, "" },
	{ "a\n", 0, 0, "a\r\n" },
	{ "a\r\n", 0, 0, "a\r\n" },
	{ "a", 0, 0, "a\r\n" },
	{ "a\r", 0, 0, "a\r\n" },
	{ ".\n", 0, 0, "..\r\n" },
	{ "..\n.x\nx.\n", 0, 0, "...\r\n..x\r\nx.\r\n" },
	{ "a\n.", 0, 0, "a\r\n..\r\n" },
	{ "a\rb\n", 0, 0, "a\rb\r\n" },
	{ "\n\n", 0, 0, "\r\n\r\n" },
	{ "H: 1\n\nb1\nb2\nb3\n", 1, 0, "H: 1\r\n\r\n" },
	{ "H: 1\n\nb1\nb2\nb3\n", 1, 2, "H: 1\r\n\r\nb1\r\nb2\r\n" },
	{ "H: 1\r\n\r\nb1\r\nb2\r\n", 1, 1, "H: 1\r\n\r\nb1\r\n" },
	{ "H: 1\n\nb1\n", 1, 99, "H: 1\r\n\r\nb1\r\n" },
	{ "H: 1\n\n.b1\nb2", 1, 5, "H: 1\r\n\r\n..b1\r\nb2\r\n" },
	{ "H: 1\nH: 2\n", 1, 0, "H: 1\r\nH: 2\r\n" },
	{ "a\0b\n", 0, 0, "a\0b\r\n" },
};

/* dots - how many dots stuffing added to out */
static size_t dots(const char *s, size_t n)
{
	size_t i, d = 0;

	for (i = 0; i + 1 < n; i++)
		if ((i == 0 || s[i - 1] == '\n') && s[i] == '.' && s[i + 1] == '.')
			d++;
	return d;
}

int main(void)
{
	struct str o = STR_INIT, want = STR_INIT;
	struct msgout m;
	size_t i, j, inlen, outlen;
	char name[64];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		inlen = strlen(cases[i].in);
		if (i == sizeof cases / sizeof cases[0] - 1)
			inlen = 4;
		outlen = strlen(cases[i].out);
		if (i == sizeof cases / sizeof cases[0] - 1)
			outlen = 5;
		want.len = 0;
		str_catb(&want, cases[i].out, outlen);
		str_cats(&want, ".\r\n");

		o.len = 0;
		msgout_init(&m, cases[i].top, cases[i].lines);
		msgout_put(&m, cases[i].in, inlen, &o);
		msgout_end(&m, &o);
		snprintf(name, sizeof name, "whole-%zu", i);
		CHECK(o.len == want.len && !memcmp(o.s, want.s, o.len), name);

		o.len = 0;
		msgout_init(&m, cases[i].top, cases[i].lines);
		for (j = 0; j < inlen && !msgout_done(&m); j++)
			msgout_put(&m, cases[i].in + j, 1, &o);
		msgout_end(&m, &o);
		snprintf(name, sizeof name, "bytewise-%zu", i);
		CHECK(o.len == want.len && !memcmp(o.s, want.s, o.len), name);

		if (!cases[i].top) {
			/* the size: what RETR sends, less the dots and the terminator */
			unsigned long long sz = outlen - dots(cases[i].out, outlen);
			msgout_init(&m, 0, 0);
			msgsize_put(&m, cases[i].in, inlen);
			snprintf(name, sizeof name, "size-%zu", i);
			CHECK(msgsize_end(&m) == sz, name);
			msgout_init(&m, 0, 0);
			for (j = 0; j < inlen; j++)
				msgsize_put(&m, cases[i].in + j, 1);
			snprintf(name, sizeof name, "size-bytewise-%zu", i);
			CHECK(msgsize_end(&m) == sz, name);
			/* and snapshot_count, which reads a file, agrees */
			{
				char path[] = "/tmp/test-msgout.XXXXXX";
				int fd = mkstemp(path);
				unsigned long long c = 0;
				if (fd >= 0) {
					(void)!write(fd, cases[i].in, inlen);
					lseek(fd, 0, SEEK_SET);
					snapshot_count(fd, &c);
					close(fd);
					unlink(path);
				}
				snprintf(name, sizeof name, "size-file-%zu", i);
				CHECK(c == sz, name);
			}
		}
	}
	str_free(&o);
	str_free(&want);
	return test_done();
}
