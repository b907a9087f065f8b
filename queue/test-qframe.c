/*
 * test-qframe - the frame parser of kurier-queue -s (qframe.c) on a table
 * of inputs, each fed whole, one byte at a time and in pieces of three,
 * which must all give the same transcript: for every complete message
 * "<message bytes>|<envelope bytes>;" and then how the input ended:
 * "idle" (a clean end between messages), "inside" (end of input inside a
 * message or a header: exit 54), or the error (91, 11, 31).
 * runs as:  anyone; exit 0 when every check passed, results as TAP lines.
 */
#include <stdlib.h>
#include <string.h>
#include "qframe.h"
#include "str.h"
#include "test.h"

/* run - feed n bytes of x in pieces of step into a transcript in out */
static void run(const char *x, size_t n, size_t step, struct str *out)
{
	struct qframe f = QFRAME_INIT;
	struct str msg = STR_INIT, env = STR_INIT;
	size_t off = 0;
	int ok = 1;

	out->len = 0;
	while (ok && off < n) {
		size_t end = n - off < step ? n : off + step;
		/* one piece, as one read(2) would give it */
		while (ok && off < end) {
			const char *data;
			size_t used, len;
			enum qframe_event ev = qframe_feed(&f, x + off, end - off, &used, &data, &len);

			if (used > end - off || (len && (data < x + off || data + len > x + off + used)))
				ok = str_cats(out, "overrun") && 0;
			off += used;
			switch (ev) {
			case QFRAME_MORE:
				/* MORE uses the whole piece */
				if (off != end)
					ok = str_cats(out, "stuck") && 0;
				break;
			case QFRAME_MESSAGE:
				ok = str_catb(&msg, data, len);
				break;
			case QFRAME_ENVELOPE:
				ok = str_catb(&env, data, len);
				break;
			case QFRAME_END:
				ok = str_catb(&env, data, len) && str_cat(out, &msg) && str_cats(out, "|") &&
				    str_catb(out, env.s ? env.s : "", env.len) && str_cats(out, ";");
				msg.len = env.len = 0;
				break;
			case QFRAME_FORMAT:
				(void)str_cats(out, "91");
				ok = 0;
				break;
			case QFRAME_TOOLONG:
				(void)str_cats(out, "11");
				ok = 0;
				break;
			case QFRAME_TOOMANY:
				(void)str_cats(out, "31");
				ok = 0;
				break;
			}
		}
	}
	if (ok)
		(void)str_cats(out, qframe_idle(&f) ? "idle" : "inside");
	str_free(&msg);
	str_free(&env);
}

int main(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;	/* the transcript; NULs in envelopes shown as they are */
		size_t wantlen;
		const char *name;
	} t[] = {
#define S(s) s, sizeof s - 1
		/* well-formed */
		{ S(""), S("idle"), "no input at all" },
		{ S("M5\nhello" "E11\nFa@b\0Tc@d\0\0"), S("hello|Fa@b\0Tc@d\0;idle"), "one message" },
		{ S("E8\nF\0Tc@d\0\0"), S("|F\0Tc@d\0;idle"), "empty message, null sender" },
		{ S("M2\nab" "M3\ncde" "E4\nFa\0T" "E3\nb\0\0"), S("abcde|Fa\0Tb\0;idle"),
		  "message and envelope in several frames" },
		{ S("E6\nFa\0Tb\0" "E1\n\0"), S("|Fa\0Tb\0;idle"), "the final NUL alone in the last frame" },
		{ S("M1\nx" "E7\nFa\0Tb\0\0" "M1\ny" "E7\nFc\0Td\0\0"), S("x|Fa\0Tb\0;y|Fc\0Td\0;idle"),
		  "two messages back to back" },
		{ S("M3\nM3\n" "E7\nFa\0Tb\0\0"), S("M3\n|Fa\0Tb\0;idle"), "frame bytes that look like a header" },
		{ S("M4\n\0\n\r\xff" "E7\nFa\0Tb\0\0"), S("\0\n\r\xff|Fa\0Tb\0;idle"), "any bytes in a message" },
		{ S("M1048576\n"), S("inside"), "a frame of exactly QFRAME_MAX, cut short" },
		/* ends of input */
		{ S("M"), S("inside"), "end after the type" },
		{ S("M5"), S("inside"), "end inside the length" },
		{ S("M5\n"), S("inside"), "end after the header" },
		{ S("M5\nhel"), S("inside"), "end inside a frame" },
		{ S("M5\nhello"), S("inside"), "end after the message, before its envelope" },
		{ S("M5\nhelloE7\nFa\0Tb\0"), S("inside"), "end before the final NUL" },
		{ S("E3\nFa\0"), S("inside"), "end after an envelope frame without the final NUL" },
		{ S("E7\nFa\0Tb\0\0M1"), S("|Fa\0Tb\0;inside"), "end inside the second message's header" },
		/* malformed frames */
		{ S("X5\nhello"), S("91"), "unknown frame type" },
		{ S("m5\nhello"), S("91"), "lower-case type" },
		{ S("\n"), S("91"), "an empty line" },
		{ S("M\nx"), S("91"), "no length" },
		{ S("M0\n"), S("91"), "a zero length" },
		{ S("M05\nhello"), S("91"), "a leading zero" },
		{ S("M+5\nhello"), S("91"), "a sign" },
		{ S("M 5\nhello"), S("91"), "a space before the length" },
		{ S("M5 \nhello"), S("91"), "a space after the length" },
		{ S("M5\r\nhello"), S("91"), "CR before the LF" },
		{ S("M0x5\nhello"), S("91"), "hex" },
		{ S("M1048577\n"), S("91"), "one past QFRAME_MAX" },
		{ S("M9999999\n"), S("91"), "seven digits past QFRAME_MAX" },
		{ S("M10000000\n"), S("91"), "eight digits" },
		{ S("M18446744073709551617\n"), S("91"), "a length that overflows 64 bits" },
		{ S("E7\nFa\0Tb\0\0" "X"), S("|Fa\0Tb\0;91"), "garbage after a complete message" },
		/* frames in the wrong order, envelopes that do not fit their frames */
		{ S("E4\nFa\0T" "M1\nx"), S("91"), "message bytes after envelope bytes" },
		{ S("E8\nFa\0Tb\0\0x"), S("91"), "a byte after the final NUL inside the frame" },
		{ S("E7\nFa\0Tb\0\0" "E1\n\0"), S("|Fa\0Tb\0;91"), "an envelope frame after the end" },
		{ S("E2\n\0\0"), S("91"), "envelope without F" },
		{ S("E4\nFa\0\0"), S("91"), "envelope without a recipient" },
		{ S("E5\nFa\0T\0"), S("91"), "empty recipient" },
		{ S("E9\nFa\0Tb\0Xc\0"), S("91"), "unknown envelope record" },
#undef S
	};
	static const size_t steps[] = { 0, 1, 3 };	/* 0: whole */
	struct str got = STR_INIT, big = STR_INIT;
	size_t i, k;
	char name[200];

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		for (k = 0; k < sizeof steps / sizeof steps[0]; k++) {
			size_t step = steps[k] ? steps[k] : (t[i].len ? t[i].len : 1);
			run(t[i].in, t[i].len, step, &got);
			strcpy(name, t[i].name);
			strcat(name, k == 0 ? " (whole)" : k == 1 ? " (bytes)" : " (threes)");
			CHECK(got.len == t[i].wantlen && !memcmp(got.s, t[i].want, got.len), name);
		}

	/* addresses at and past ENV_ADDR_MAX, recipients past ENV_RCPT_MAX */
	{
		char head[QFRAME_HEAD_MAX];
		size_t a;

		for (a = ENV_ADDR_MAX; a <= ENV_ADDR_MAX + 1; a++) {
			size_t envlen = 1 + a + 1 + 3 + 1, h = qframe_fmt(head, 'E', envlen);
			big.len = 0;
			if (!str_catb(&big, head, h) || !str_append(&big, 'F'))
				return 1;
			for (k = 0; k < a; k++)
				if (!str_append(&big, 'a'))
					return 1;
			if (!str_catb(&big, "\0Tb\0\0", 5))
				return 1;
			run(big.s, big.len, big.len, &got);
			if (a == ENV_ADDR_MAX)
				CHECK(got.len > 4 && !memcmp(got.s + got.len - 5, ";idle", 5), "sender of ENV_ADDR_MAX");
			else
				CHECK(got.len == 2 && !memcmp(got.s, "11", 2), "sender past ENV_ADDR_MAX is 11");
		}
		big.len = 0;
		if (!str_catb(&big, "E3\nFa\0", 6))
			return 1;
		for (k = 0; k <= ENV_RCPT_MAX; k++)
			if (!str_catb(&big, "E3\nTb\0", 6))
				return 1;
		if (!str_catb(&big, "E1\n\0", 4))
			return 1;
		run(big.s, big.len, big.len, &got);
		CHECK(got.len == 2 && !memcmp(got.s, "31", 2), "recipients past ENV_RCPT_MAX are 31");
	}

	/* qframe_fmt writes what qframe_feed reads */
	{
		char h[QFRAME_HEAD_MAX];
		size_t n = qframe_fmt(h, 'M', QFRAME_MAX);
		CHECK(n == QFRAME_HEAD_MAX && !memcmp(h, "M1048576\n", n), "qframe_fmt at QFRAME_MAX");
		n = qframe_fmt(h, 'E', 1);
		CHECK(n == 3 && !memcmp(h, "E1\n", 3), "qframe_fmt of one byte");
	}
	str_free(&got);
	str_free(&big);
	return test_done();
}
