/*
 * test-remotereply - table-driven tests of the SMTP reply parser, the
 * EHLO keyword parser and the canonical DATA writer (remotedata.c).
 */
#include <stdio.h>
#include <string.h>
#include "remotedata.h"
#include "remotereply.h"
#include "test.h"

struct rcase {
	const char *name;
	const char *in;		/* lines separated by \n */
	size_t len;		/* 0: strlen(in) */
	int rc;			/* result of the last line fed */
	int code;
	const char *text;	/* expected text, or 0 to skip */
};

static const struct rcase rcases[] = {
	{ "one-line", "250 ok", 0, 1, 250, "250 ok" },
	{ "code-only", "250", 0, 1, 250, "250" },
	{ "crlf", "220 hi\r", 0, 1, 220, "220 hi" },
	{ "multi", "250-a\n250-b\n250 c", 0, 1, 250, "250-a 250-b 250 c" },
	{ "continues", "250-a", 0, 0, 250, 0 },
	{ "short", "25", 0, -1, 0, "reply line too short" },
	{ "empty", "", 0, -1, 0, "reply line too short" },
	{ "dash-only", "250-\n", 0, 0, 250, 0 },
	{ "no-code", "abc hello", 0, -1, 0, "reply line without a reply code" },
	{ "code-1xx", "150 x", 0, -1, 0, "reply line without a reply code" },
	{ "code-6xx", "650 x", 0, -1, 0, "reply line without a reply code" },
	{ "bad-sep", "250xok", 0, -1, 250, "reply line with a bad separator" },
	{ "code-changes", "250-a\n251 b", 0, -1, 250, "reply code changes between lines" },
	{ "nul-sanitized", "550 a\0b\033c", 9, 1, 550, "550 a?b?c" },
	{ "high-bytes", "550 caf\303\251", 0, 1, 550, "550 caf??" },
	{ "4xx", "421 closing", 0, 1, 421, "421 closing" },
};

struct ecase {
	const char *name;
	const char *line;
	unsigned flags;
	unsigned long long size;
};

static const struct ecase ecases[] = {
	{ "pipelining", "250-PIPELINING", EHLO_PIPELINING, 0 },
	{ "lower-case", "250-pipelining", EHLO_PIPELINING, 0 },
	{ "8bitmime", "250 8BITMIME", EHLO_8BITMIME, 0 },
	{ "starttls", "250-STARTTLS", EHLO_STARTTLS, 0 },
	{ "size-n", "250-SIZE 10240000", EHLO_SIZE, 10240000 },
	{ "size-none", "250-SIZE", EHLO_SIZE, 0 },
	{ "size-junk", "250-SIZE x", EHLO_SIZE, 0 },
	{ "size-huge", "250-SIZE 99999999999999999999999", EHLO_SIZE, 0 },
	{ "auth", "250-AUTH LOGIN PLAIN CRAM-MD5", EHLO_AUTHPLAIN | EHLO_AUTHLOGIN, 0 },
	{ "auth-old", "250-AUTH=LOGIN", EHLO_AUTHLOGIN, 0 },
	{ "auth-cram-only", "250-AUTH CRAM-MD5", 0, 0 },
	{ "not-starttls-prefix", "250-STARTTLSX", 0, 0 },
	{ "short", "250", 0, 0 },
	{ "smtputf8", "250 SMTPUTF8", EHLO_SMTPUTF8, 0 },
};

struct dcase {
	const char *name;
	const char *in;
	const char *out;	/* without the final ".\r\n" */
	int eightbit;
};

static const struct dcase dcases[] = {
	{ "empty", "", "", 0 },
	{ "lf", "a\nb\n", "a\r\nb\r\n", 0 },
	{ "crlf", "a\r\nb\r\n", "a\r\nb\r\n", 0 },
	{ "bare-cr", "a\rb", "a\r\nb\r\n", 0 },
	{ "no-final-eol", "abc", "abc\r\n", 0 },
	{ "dot-first", ".x\n", "..x\r\n", 0 },
	{ "dot-only-line", "a\n.\nb\n", "a\r\n..\r\nb\r\n", 0 },
	{ "dot-after-cr", "a\r.\r\n", "a\r\n..\r\n", 0 },
	{ "dot-midline", "a.b\n", "a.b\r\n", 0 },
	{ "smuggle", "x\n.\r\nMAIL FROM:<a>\n", "x\r\n..\r\nMAIL FROM:<a>\r\n", 0 },
	{ "lone-dot-no-eol", ".", "..\r\n", 0 },
	{ "cr-cr-lf", "a\r\r\nb", "a\r\n\r\nb\r\n", 0 },
	{ "eightbit", "caf\303\251\n", "caf\303\251\r\n", 1 },
};

/* collect - data_put into a str */
static int collect(void *ctx, const char *s, size_t n)
{
	return str_catb(ctx, s, n) ? 1 : -1;
}

int main(void)
{
	size_t i;
	char name[128];

	for (i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
		const struct rcase *c = &rcases[i];
		struct reply r = { 0, 0, 0, STR_INIT };
		size_t len = c->len ? c->len : strlen(c->in), p = 0;
		int rc = 0;

		reply_start(&r);
		for (;;) {
			const char *nl = memchr(c->in + p, '\n', len - p);
			size_t n = nl ? (size_t)(nl - c->in - p) : len - p;
			rc = reply_line(&r, c->in + p, n);
			if (rc != 0 || !nl || nl + 1 == c->in + len)
				break;
			p += n + 1;
		}
		snprintf(name, sizeof name, "reply-%s", c->name);
		CHECK(rc == c->rc && r.code == c->code &&
		      (!c->text || (r.text.len == strlen(c->text) && !memcmp(r.text.s, c->text, r.text.len))), name);
		reply_free(&r);
	}

	/* limits: a line over REPLY_LINE_MAX, too many lines, text capped */
	{
		static char big[REPLY_LINE_MAX + 10];
		struct reply r = { 0, 0, 0, STR_INIT };
		unsigned k;
		int rc = 0;

		memset(big, 'x', sizeof big);
		memcpy(big, "250 ", 4);
		reply_start(&r);
		CHECK(reply_line(&r, big, REPLY_LINE_MAX + 1) == -1, "reply-line-max");
		CHECK(reply_line(&r, big, REPLY_LINE_MAX) == -1, "reply-after-error");
		reply_start(&r);
		CHECK(reply_line(&r, big, REPLY_LINE_MAX) == 1 && r.text.len == REPLY_TEXT_MAX, "reply-text-capped");
		reply_start(&r);
		for (k = 0; k < REPLY_LINES_MAX + 5 && rc == 0; k++)
			rc = reply_line(&r, "250-x", 5);
		CHECK(rc == -1 && k == REPLY_LINES_MAX + 1, "reply-lines-max");
		reply_start(&r);
		CHECK(reply_line(&r, "250 a", 5) == 1 && reply_line(&r, "250 b", 5) == -1, "reply-after-last");
		reply_free(&r);
	}

	for (i = 0; i < sizeof ecases / sizeof ecases[0]; i++) {
		const struct ecase *c = &ecases[i];
		struct ehlo e = { 0, 0 };
		ehlo_line(&e, c->line, strlen(c->line));
		snprintf(name, sizeof name, "ehlo-%s", c->name);
		CHECK(e.flags == c->flags && e.size == c->size, name);
	}

	for (i = 0; i < sizeof dcases / sizeof dcases[0]; i++) {
		const struct dcase *c = &dcases[i];
		struct str out = STR_INIT, want = STR_INIT;
		int eb = -1;
		unsigned long long size = data_measure(c->in, strlen(c->in), &eb);
		int rc = data_copy(c->in, strlen(c->in), collect, &out);

		(void)str_copys(&want, c->out);
		(void)str_cats(&want, ".\r\n");
		snprintf(name, sizeof name, "data-%s", c->name);
		CHECK(rc == 1 && out.len == want.len && !memcmp(out.s, want.s, out.len), name);
		snprintf(name, sizeof name, "data-size-%s", c->name);
		CHECK(size == strlen(c->out) && eb == c->eightbit, name);
		str_free(&out);
		str_free(&want);
	}
	return test_done();
}
