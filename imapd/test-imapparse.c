/*
 * test-imapparse - table-driven checks of the IMAP command parser,
 * literal announcements, sequence sets, modified UTF-7 and dates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "imap.h"
#include "imapparse.h"
#include "test.h"

/* a command, whether it parses, and its tokens written back as T:type:bytes joined by '|' */
static const struct { const char *in; size_t len; int ok; const char *toks; } cmds[] = {
	{ "a1 NOOP", 0, 1, "" },
	{ "a1 noop", 0, 1, "" },
	{ "x LOGIN fred \"pa ss\\\"w\\\\d\"", 0, 1, "A:fred|Q:pa ss\"w\\d" },
	{ "x LOGIN {4}\r\nfred {3+}\r\nabc", 0, 1, "L:fred|L:abc" },
	{ "x LOGIN {0}\r\n \"\"", 0, 1, "L:|Q:" },
	{ "t FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)", 0, 1,
	  "A:1:*|(|A:FLAGS|A:BODY.PEEK[HEADER.FIELDS (From To)]<0.100>|)" },
	{ "t STORE 1 +FLAGS.SILENT (\\Seen \\Deleted)", 0, 1, "A:1|A:+FLAGS.SILENT|(|A:\\Seen|A:\\Deleted|)" },
	{ "t LIST \"\" %", 0, 1, "Q:|A:%" },
	{ "t SEARCH OR (FROM a) (TO b) NOT SEEN", 0, 1, "A:OR|(|A:FROM|A:a|)|(|A:TO|A:b|)|A:NOT|A:SEEN" },
	{ "t SELECT \"a\0b\"", 15, 0, 0 },			/* SECURITY 27 */
	{ "t SELECT \"ab\\", 0, 0, 0 },				/* backslash at the end */
	{ "t SELECT \"a\\b\"", 0, 0, 0 },
	{ "t SELECT \"abc", 0, 0, 0 },
	{ "t SELECT ((a)", 0, 0, 0 },
	{ "t SELECT a)", 0, 0, 0 },
	{ "t LOGIN {5}\r\nabc", 0, 0, 0 },			/* short literal */
	{ "t LOGIN {18446744073709551616}\r\nabc", 0, 0, 0 },
	{ "t LOGIN {x}\r\nabc", 0, 0, 0 },
	{ "", 0, 0, 0 },
	{ "tag", 0, 0, 0 },
	{ "+ NOOP", 0, 0, 0 },
	{ "t\x80 NOOP", 0, 0, 0 },
	{ "t FETCH 1 BODY[", 0, 0, 0 },
	{ "t X a\"b", 0, 0, 0 },
};

/* show - tokens of c as T:bytes joined by '|' */
static void show(const struct imap_cmd *c, char *o, size_t max)
{
	size_t k, l = 0;

	o[0] = 0;
	for (k = 0; k < c->nt && l + 8 < max; k++) {
		const struct imap_tok *t = &c->t[k];
		int w;
		if (t->type == IMAP_OPEN)
			w = snprintf(o + l, max - l, "%s(", k ? "|" : "");
		else if (t->type == IMAP_CLOSE)
			w = snprintf(o + l, max - l, "%s)", k ? "|" : "");
		else
			w = snprintf(o + l, max - l, "%s%c:%.*s", k ? "|" : "",
			    t->type == IMAP_ATOM ? 'A' : t->type == IMAP_QUOTED ? 'Q' : 'L', (int)t->len, t->s);
		if (w < 0)
			break;
		l += (size_t)w;
	}
}

static const struct { const char *in; int r; unsigned long long size; int nonsync; } lits[] = {
	{ "a LOGIN {5}", 1, 5, 0 },
	{ "a APPEND x {10+}", 1, 10, 1 },
	{ "a LOGIN {4294967296}", 1, 4294967296ULL, 0 },
	{ "a LOGIN {18446744073709551616}", -1, 0, 0 },
	{ "a LOGIN {}", -1, 0, 0 },
	{ "a LOGIN x}", 0, 0, 0 },
	{ "a NOOP", 0, 0, 0 },
};

static const struct { const char *in; int ok; uint32_t star, max; const char *yes, *no; } sets[] = {
	{ "1", 1, 10, 10, "1", "2" },
	{ "1:3,7,9:*", 1, 12, 12, "2 7 12", "4 8" },
	{ "*:5", 1, 9, 9, "5 9", "4" },
	{ "1:4294967295", 1, 5, 5, "1 5", "6" },		/* SECURITY 29 */
	{ "4294967295", 1, 5, 5, "", "5" },
	{ "0", 0, 0, 0, 0, 0 },
	{ "1:0", 0, 0, 0, 0, 0 },
	{ "4294967296", 0, 0, 0, 0, 0 },
	{ "1,", 0, 0, 0, 0, 0 },
	{ ",1", 0, 0, 0, 0, 0 },
	{ "1::2", 0, 0, 0, 0, 0 },
	{ "", 0, 0, 0, 0, 0 },
	{ "01", 0, 0, 0, 0, 0 },
	{ "*", 1, 0, 0, "", "1" },				/* empty mailbox */
};

static const struct { const char *utf7, *utf8; int ok; } u7[] = {
	{ "INBOX", "INBOX", 1 },
	{ "&-", "&", 1 },
	{ "Entw&APw-rfe", "Entw\xc3\xbcrfe", 1 },
	{ "&ZeVnLIqe-", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 1 },
	{ "&2D3eAA-", "\xf0\x9f\x98\x80", 1 },			/* a surrogate pair */
	{ "&AGE-", 0, 0 },					/* encoded printable ASCII */
	{ "&APw", 0, 0 },					/* no '-' */
	{ "&AP-", 0, 0 },					/* leftover bits */
	{ "&APw-&APw-", 0, 0 },					/* two runs in a row */
	{ "&2D0-", 0, 0 },					/* lone high surrogate */
	{ "a\x80", 0, 0 },
	{ "&A!w-", 0, 0 },
};

static const struct { const char *in; int ok; long long t; } dates[] = {
	{ "1-Jan-1970 00:00:00 +0000", 1, 0 },
	{ "17-Jul-1996 02:44:25 -0700", 1, 837596665 },
	{ " 1-Feb-2000 00:00:00 +0100", 1, 949359600 },
	{ "17-Jul-1996 02:44:25", 0, 0 },
	{ "32-Jul-1996 02:44:25 -0700", 0, 0 },
	{ "17-Juk-1996 02:44:25 -0700", 0, 0 },
};

int main(void)
{
	struct imap_cmd c;
	struct imap_seqset set = { 0, 0, 0 };
	struct str o = STR_INIT, back = STR_INIT;
	char buf[512], name[128];
	size_t i;

	imap_cmd_init(&c);
	for (i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		size_t n = cmds[i].len ? cmds[i].len : strlen(cmds[i].in);
		int r = imap_parse(cmds[i].in, n, &c);
		snprintf(name, sizeof name, "parse-%zu", i);
		if (!CHECK(r == cmds[i].ok, name)) {
			printf("# %s -> %d %s\n", cmds[i].in, r, c.err ? c.err : "");
			continue;
		}
		if (r == 1) {
			show(&c, buf, sizeof buf);
			snprintf(name, sizeof name, "parse-%zu-tokens", i);
			if (!CHECK(!strcmp(buf, cmds[i].toks), name))
				printf("# got %s\n", buf);
		}
	}
	/* 100,000 nested parentheses: refused at the depth limit (SECURITY 28) */
	{
		static char deep[200020];
		memcpy(deep, "t X ", 4);
		memset(deep + 4, '(', 100000);
		memset(deep + 100004, ')', 100000);
		CHECK(imap_parse(deep, 200004, &c) == 0, "parse-deep");
	}
	/* an OPEN token knows its CLOSE */
	CHECK(imap_parse("t X (a (b) c) d", 15, &c) == 1 && c.t[0].end == 6 && c.t[2].end == 4, "parse-list-end");
	CHECK(imap_parse("t1 uid fetch 1 uid", 18, &c) == 1 && !strcmp(c.name, "UID") && !strcmp(c.tag, "t1"), "parse-name-upper");
	for (i = 0; i < sizeof lits / sizeof *lits; i++) {
		unsigned long long sz = 0;
		int ns = -1, r = imap_literal_end(lits[i].in, strlen(lits[i].in), &sz, &ns);
		snprintf(name, sizeof name, "literal-%zu", i);
		CHECK(r == lits[i].r && (r != 1 || (sz == lits[i].size && ns == lits[i].nonsync)), name);
	}
	for (i = 0; i < sizeof sets / sizeof *sets; i++) {
		int r = imap_seqset_parse(sets[i].in, strlen(sets[i].in), &set);
		snprintf(name, sizeof name, "seqset-%zu", i);
		if (!CHECK(r == sets[i].ok, name) || r != 1)
			continue;
		imap_seqset_resolve(&set, sets[i].star, sets[i].max);
		{
			const char *p;
			int good = 1;
			unsigned long v;
			for (p = sets[i].yes; *p; ) {
				v = strtoul(p, (char **)&p, 10);
				good &= imap_seqset_has(&set, (uint32_t)v);
			}
			for (p = sets[i].no; *p; ) {
				v = strtoul(p, (char **)&p, 10);
				good &= !imap_seqset_has(&set, (uint32_t)v);
			}
			snprintf(name, sizeof name, "seqset-%zu-members", i);
			CHECK(good, name);
		}
	}
	imap_seqset_free(&set);
	for (i = 0; i < sizeof u7 / sizeof *u7; i++) {
		int r = imap_utf7_decode(u7[i].utf7, strlen(u7[i].utf7), &o);
		snprintf(name, sizeof name, "utf7-decode-%zu", i);
		CHECK(r == u7[i].ok && (!r || (o.len == strlen(u7[i].utf8) && !memcmp(o.s, u7[i].utf8, o.len))), name);
		if (r == 1) {
			snprintf(name, sizeof name, "utf7-roundtrip-%zu", i);
			CHECK(imap_utf7_encode(o.s, o.len, &back) == 1 && back.len == strlen(u7[i].utf7) &&
			    !memcmp(back.s, u7[i].utf7, back.len), name);
		}
	}
	CHECK(imap_utf7_encode("\xc3", 1, &o) == 0, "utf7-encode-bad-utf8");
	CHECK(imap_utf7_encode("\xed\xa0\x80", 3, &o) == 0, "utf7-encode-surrogate");
	CHECK(imap_utf7_encode("a\x01", 2, &o) == 0, "utf7-encode-control");
	for (i = 0; i < sizeof dates / sizeof *dates; i++) {
		long long t = -1;
		int r = imap_datetime(dates[i].in, strlen(dates[i].in), &t);
		snprintf(name, sizeof name, "datetime-%zu", i);
		if (!CHECK(r == dates[i].ok && (!r || t == dates[i].t), name))
			printf("# %s -> %d %lld\n", dates[i].in, r, t);
	}
	{
		long long d;
		CHECK(imap_date("1-Feb-1994", 10, &d) == 1 && d == 8797, "date-short");
		CHECK(imap_date("1-Feb-94", 8, &d) == 0, "date-two-digit-year");
	}
	imap_cmd_free(&c);
	str_free(&o);
	str_free(&back);
	return test_done();
}
