/*
 * test-imapmsg - golden tests of imapmsg: ENVELOPE, BODY, BODYSTRUCTURE,
 * BODY[section], RFC822.SIZE, SEARCH matching and Date parsing over a
 * table of hand-written messages, and the limits of SECURITY.md 28/48.
 * The expected strings were checked against Dovecot's answers for the
 * same messages (tests/e2e/88-imapmsg-dovecot.sh does that on every run
 * where Dovecot is installed).
 * With -p FILE..., prints "* N FETCH (BODYSTRUCTURE .. BODY .. ENVELOPE
 * .. RFC822.SIZE n BODY[spec] ..)" per file instead, for that comparison
 * (the specs of fetch_specs, NIL where the section does not exist); with
 * -w DIR it writes the table's messages into DIR, one file each; with
 * -s BODY|TEXT|HEADER FIELD NEEDLE FILE... it prints "* SEARCH n ..." of
 * the files that match.
 * runs as:  anyone, in the test suite
 * exit:     0 all checks passed, 1 a check failed, 111 a file unreadable
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "imapmsg.h"
#include "test.h"

#define MSG_FILE_MAX (64 << 20)	/* largest file -p reads */

static const char m_simple[] =
	"From: Ann Example <ann@example.org>\r\n"
	"To: bob@example.net\r\n"
	"Subject: Hello\r\n"
	"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
	"Message-ID: <a1@example.org>\r\n"
	"\r\n"
	"Hi Bob.\r\n"
	"Bye.\r\n";

static const char m_alt[] =
	"From: ann@example.org\n"
	"Subject: alt\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/alternative; boundary=\"=_alt\"\n"
	"\n"
	"This is a MIME message.\n"
	"--=_alt\n"
	"Content-Type: text/plain; charset=iso-8859-1\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"Caf=E9 au lait, soft=\n"
	"break here\n"
	"--=_alt\n"
	"Content-Type: text/html; charset=utf-8\n"
	"\n"
	"<p>Caf\xc3\xa9</p>\n"
	"--=_alt--\n"
	"epilogue\n";

static const char m_mixed[] =
	"From: ann@example.org\n"
	"To: bob@example.net\n"
	"Subject: report\n"
	"Content-Type: multipart/mixed; boundary=outer\n"
	"\n"
	"--outer\n"
	"Content-Type: multipart/alternative; boundary=inner\n"
	"\n"
	"--inner\n"
	"\n"
	"plain text\n"
	"--inner\n"
	"Content-Type: text/html\n"
	"\n"
	"<b>html</b>\n"
	"--inner--\n"
	"\n"
	"--outer\n"
	"Content-Type: application/pdf; name=\"r.pdf\"\n"
	"Content-Transfer-Encoding: base64\n"
	"Content-Disposition: attachment; filename=\"r.pdf\"\n"
	"Content-ID: <part2@example.org>\n"
	"Content-Description: the report\n"
	"\n"
	"JVBERi0xLjQK\n"
	"--outer\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: Carl <carl@example.com>\n"
	"Subject: inner message\n"
	"Content-Type: multipart/mixed; boundary=deep\n"
	"\n"
	"--deep\n"
	"Content-Type: text/plain; charset=us-ascii\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"bmVlZGxlIGluIGJhc2U2NA==\n"
	"--deep--\n"
	"--outer--\n";

static const char m_group[] =
	"From: \"Doe, Jane\" <jane@example.org>\n"
	"Sender: list-owner@example.org\n"
	"To: friends: a@example.org, \"B. Bee\" <b@example.org>;, undisclosed-recipients:;\n"
	"Cc: old@example.org (Old Style), <@relay1,@relay2:routed@example.net>\n"
	"Bcc: Mary Q. Public <mary@[192.0.2.1]>\n"
	"Reply-To: nobody\n"
	"In-Reply-To: <x@y>\n"
	"\n";

static const char m_enc[] =
	"From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>\n"
	"Subject: =?utf-8?B?SGVsbG8gV8O2cmxk?=\n"
	" =?utf-8?q?_again?=\n"
	"X-Latin: =?iso-8859-1?q?Gr=FC=DFe?=\n"
	"Date: 1 Jan 70 00:00 GMT\n"
	"\n"
	"body\n";

static const char m_nohdr[] = "\nonly a body\n";

static const char m_bare[] =
	"Subject: bare LF\n"
	"To: x@example.org,\n"
	"\ty@example.org\n"
	"\n"
	"line one\n"
	"line two\n";

static const char m_bad[] =
	"Subject: broken MIME\n"
	"Content-Type: multipart/mixed; boundary=\"never\"\n"
	"\n"
	"no delimiter here\n";

static const char m_bad2[] =
	"Content-Type: multipart/mixed; boundary=b\n"
	"\n"
	"--b\n"
	"Content-Type: ;;;=\n"
	"\n"
	"unclosed part\n";

static const char m_params[] =
	"Content-Type: application/octet-stream; name*0*=utf-8''a%20b; name*1=c.txt; (comment) x=\"a \\\"q\\\"\"\n"
	"Content-Disposition: inline\n"
	"Content-Language: en, de\n"
	"Content-Location: http://example.org/x\n"
	"Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
	"\n"
	"data";

static const char m_digest[] =
	"Content-type: multipart/digest; boundary=b\n"
	"\n"
	"--b\n"
	"\n"
	"From: x@y\n"
	"\n"
	"hi\n"
	"--b--\n";

static const char m_8bit[] =
	"Subject: caf\xc3\xa9 \"quoted\" back\\slash\n"
	"To: \"J\xc3\xb6rg\" <j@example.org>\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"Content-Transfer-Encoding: 8bit (really)\n"
	"\n"
	"caf\xc3\xa9\n";

/* tests/e2e/88-imapmsg-dovecot.sh names entries 02 and 08 by position
 * (-w writes them as NN): add new messages at the end */
static const struct {
	const char *name, *msg;
	const char *envelope, *body, *bodystructure;
	size_t size;
} golden[] = {
	{ "simple", m_simple,
	  "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"Hello\" ((\"Ann Example\" NIL \"ann\" \"example.org\")) "
	  "((\"Ann Example\" NIL \"ann\" \"example.org\")) ((\"Ann Example\" NIL \"ann\" \"example.org\")) "
	  "((NIL NIL \"bob\" \"example.net\")) NIL NIL NIL \"<a1@example.org>\")",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 15 2)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 15 2 NIL NIL NIL NIL)",
	  sizeof m_simple - 1 },
	{ "multipart/alternative", m_alt,
	  "(NIL \"alt\" ((NIL NIL \"ann\" \"example.org\")) ((NIL NIL \"ann\" \"example.org\")) "
	  "((NIL NIL \"ann\" \"example.org\")) NIL NIL NIL NIL NIL)",
	  "((\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL \"quoted-printable\" 33 1)"
	  "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 12 0) \"alternative\")",
	  "((\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL \"quoted-printable\" 33 1 NIL NIL NIL NIL)"
	  "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 12 0 NIL NIL NIL NIL) \"alternative\" "
	  "(\"boundary\" \"=_alt\") NIL NIL NIL)",
	  sizeof m_alt - 1 + 18 },
	{ "nested multipart/mixed with message/rfc822", m_mixed,
	  "(NIL \"report\" ((NIL NIL \"ann\" \"example.org\")) ((NIL NIL \"ann\" \"example.org\")) "
	  "((NIL NIL \"ann\" \"example.org\")) ((NIL NIL \"bob\" \"example.net\")) NIL NIL NIL NIL)",
	  "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0)"
	  "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0) \"alternative\")"
	  "(\"application\" \"pdf\" (\"name\" \"r.pdf\") \"<part2@example.org>\" \"the report\" \"base64\" 12)"
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 226 (NIL \"inner message\" ((\"Carl\" NIL \"carl\" \"example.com\")) "
	  "((\"Carl\" NIL \"carl\" \"example.com\")) ((\"Carl\" NIL \"carl\" \"example.com\")) NIL NIL NIL NIL NIL) "
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" 24 0) \"mixed\") 9) \"mixed\")",
	  "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)"
	  "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0 NIL NIL NIL NIL) \"alternative\" "
	  "(\"boundary\" \"inner\") NIL NIL NIL)"
	  "(\"application\" \"pdf\" (\"name\" \"r.pdf\") \"<part2@example.org>\" \"the report\" \"base64\" 12 NIL "
	  "(\"attachment\" (\"filename\" \"r.pdf\")) NIL NIL)"
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 226 (NIL \"inner message\" ((\"Carl\" NIL \"carl\" \"example.com\")) "
	  "((\"Carl\" NIL \"carl\" \"example.com\")) ((\"Carl\" NIL \"carl\" \"example.com\")) NIL NIL NIL NIL NIL) "
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" 24 0 NIL NIL NIL NIL) \"mixed\" "
	  "(\"boundary\" \"deep\") NIL NIL NIL) 9 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)",
	  0 },
	{ "address groups and routes", m_group,
	  "(NIL NIL ((\"Doe, Jane\" NIL \"jane\" \"example.org\")) ((NIL NIL \"list-owner\" \"example.org\")) "
	  "((NIL NIL \"nobody\" \"MISSING_DOMAIN\")) "
	  "((NIL NIL \"friends\" NIL)(NIL NIL \"a\" \"example.org\")(\"B. Bee\" NIL \"b\" \"example.org\")(NIL NIL NIL NIL)"
	  "(NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
	  "((\"Old Style\" NIL \"old\" \"example.org\")(NIL \"@relay1,@relay2\" \"routed\" \"example.net\")) "
	  "((\"Mary Q. Public\" NIL \"mary\" \"[192.0.2.1]\")) \"<x@y>\" NIL)",
	  NULL, NULL, 0 },
	{ "encoded words stay encoded", m_enc,
	  "(\"1 Jan 70 00:00 GMT\" \"=?utf-8?B?SGVsbG8gV8O2cmxk?= =?utf-8?q?_again?=\" "
	  "((\"=?ISO-8859-1?Q?Andr=E9?=\" NIL \"andre\" \"example.org\")) "
	  "((\"=?ISO-8859-1?Q?Andr=E9?=\" NIL \"andre\" \"example.org\")) "
	  "((\"=?ISO-8859-1?Q?Andr=E9?=\" NIL \"andre\" \"example.org\")) NIL NIL NIL NIL NIL)",
	  NULL, NULL, 0 },
	{ "no header", m_nohdr,
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 1)", NULL, 15 },
	{ "bare LF and folding", m_bare,
	  "(NIL \"bare LF\" NIL NIL NIL ((NIL NIL \"x\" \"example.org\")(NIL NIL \"y\" \"example.org\")) NIL NIL NIL NIL)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 20 2)", NULL, sizeof m_bare - 1 + 6 },
	{ "multipart without delimiters", m_bad, NULL,
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\")", NULL, 0 },
	{ "unclosed part, broken Content-Type", m_bad2, NULL,
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 15 1) \"mixed\")", NULL, 0 },
	{ "8-bit strings as literals, quotes escaped", m_8bit,
	  "(NIL {25}\r\ncaf\xc3\xa9 \"quoted\" back\\slash NIL NIL NIL (({5}\r\nJ\xc3\xb6rg NIL \"j\" \"example.org\")) NIL NIL NIL NIL)",
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" 7 1)", NULL, 0 },
	{ "quoted string escapes", "Subject: say \"hi\" \\ there\n\n",
	  "(NIL \"say \\\"hi\\\" \\\\ there\" NIL NIL NIL NIL NIL NIL NIL NIL)", NULL, NULL, 0 },
	{ "multipart/digest parts default to message/rfc822", m_digest, NULL,
	  "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 15 (NIL NIL ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) "
	  "((NIL NIL \"x\" \"y\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 2 0) 2) "
	  "\"digest\")", NULL, 0 },
	{ "RFC 2231 and extension fields", m_params, NULL,
	  "(\"application\" \"octet-stream\" (\"x\" \"a \\\"q\\\"\" \"name*\" \"utf-8''a%20bc.txt\") NIL NIL \"7bit\" 4)",
	  "(\"application\" \"octet-stream\" (\"x\" \"a \\\"q\\\"\" \"name*\" \"utf-8''a%20bc.txt\") NIL NIL \"7bit\" 4 "
	  "\"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"inline\" NIL) (\"en\" \"de\") \"http://example.org/x\")", 0 },
};

static const struct {
	const char *msg, *spec;
	int rc;
	const char *want;
} sections[] = {
	{ m_simple, "", 1, m_simple },
	{ m_simple, "HEADER.FIELDS (SUBJECT \"to\")", 1, "To: bob@example.net\r\nSubject: Hello\r\n\r\n" },
	{ m_simple, "header.fields.not (From To Date Message-ID)", 1, "Subject: Hello\r\n\r\n" },
	{ m_simple, "TEXT", 1, "Hi Bob.\r\nBye.\r\n" },
	{ m_simple, "1", 1, "Hi Bob.\r\nBye.\r\n" },
	{ m_simple, "1.MIME", 1, NULL },
	{ m_simple, "2", 0, "" },
	{ m_simple, "1.1", 0, "" },	/* a single-part message has only part 1 */
	{ m_alt, "1.1", 1, "Caf=E9 au lait, soft=\r\nbreak here" },	/* a leaf inside a multipart is its own part 1 */
	{ m_simple, "1.2", 0, "" },
	{ m_alt, "1", 1, "Caf=E9 au lait, soft=\r\nbreak here" },
	{ m_alt, "2.MIME", 1, "Content-Type: text/html; charset=utf-8\r\n\r\n" },
	{ m_alt, "TEXT", 1, NULL },
	{ m_mixed, "1", 1, "--inner\r\n\r\nplain text\r\n--inner\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n--inner--\r\n" },
	{ m_mixed, "1.1", 1, "plain text" },
	{ m_mixed, "1.2", 1, "<b>html</b>" },
	{ m_mixed, "1.2.MIME", 1, "Content-Type: text/html\r\n\r\n" },
	{ m_mixed, "2", 1, "JVBERi0xLjQK" },
	{ m_mixed, "3.HEADER", 1, "From: Carl <carl@example.com>\r\nSubject: inner message\r\n"
	  "Content-Type: multipart/mixed; boundary=deep\r\n\r\n" },
	{ m_mixed, "3.HEADER.FIELDS (subject)", 1, "Subject: inner message\r\n\r\n" },
	{ m_mixed, "3.1", 1, "bmVlZGxlIGluIGJhc2U2NA==" },
	{ m_mixed, "3.1.MIME", 1, "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: base64\r\n\r\n" },
	{ m_mixed, "3.TEXT", 1, "--deep\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nbmVlZGxlIGluIGJhc2U2NA==\r\n--deep--" },
	{ m_mixed, "2.HEADER", 0, "" },
	{ m_mixed, "4", 0, "" },
	{ m_mixed, "3.2", 0, "" },
	{ m_mixed, "3.1.1", 1, "bmVlZGxlIGluIGJhc2U2NA==" },
	{ m_digest, "1.1", 1, "hi" },
	{ m_digest, "1.HEADER", 1, "From: x@y\r\n\r\n" },
	{ m_bare, "HEADER", 1, "Subject: bare LF\r\nTo: x@example.org,\r\n\ty@example.org\r\n\r\n" },
	{ m_bare, "HEADER.FIELDS (TO)", 1, "To: x@example.org,\r\n\ty@example.org\r\n\r\n" },
	{ " orphan\nSubject: s\nno colon\nTo: t\n\nb", "HEADER.FIELDS.NOT (subject)", 1, " orphan\r\nno colon\r\nTo: t\r\n\r\n" },
	{ " orphan\nSubject: s\nno colon\nTo: t\n\nb", "HEADER.FIELDS (subject to)", 1, "Subject: s\r\nTo: t\r\n\r\n" },
	{ "Subject: s\n", "HEADER.FIELDS.NOT (x)", 1, "Subject: s\r\n" },	/* no blank line to copy */
	{ m_bare, "0", -1, "" },
	{ m_bare, "1.", -1, "" },
	{ m_bare, "BOGUS", -1, "" },
	{ m_bare, "7.BOGUS", -1, "" },	/* bad syntax even where no part 7 exists */
	{ m_bare, "01", -1, "" },
	{ m_bare, "HEADER.FIELDS ()", -1, "" },
	{ m_bare, "MIME", -1, "" },
};

static const struct {
	const char *msg, *field, *needle;
	int rc;
} hsearch[] = {
	{ m_simple, "subject", "hell", 1 },
	{ m_simple, "SUBJECT", "HELLO", 1 },
	{ m_simple, "subject", "bye", 0 },
	{ m_simple, "to", "BOB@", 1 },
	{ m_simple, "cc", "", 0 },
	{ m_simple, "from", "", 1 },
	{ m_enc, "subject", "hello w\xc3\xb6rld again", 1 },	/* the blank between two words dropped, "_" a blank */
	{ m_enc, "subject", "SGVsbG8", 0 },
	{ m_enc, "from", "andr\xc3\xa9", 1 },		/* ISO-8859-1 compared as UTF-8 */
	{ m_enc, "x-latin", "GR\xc3\xbc\xc3\x9f", 1 },	/* ASCII folded only */
	{ m_bare, "to", "org, y@", 0 },	/* unfolding keeps the tab */
	{ m_bare, "to", "org,\ty", 1 },
};

static const struct {
	const char *msg, *needle;
	int body_only, rc;
} tsearch[] = {
	{ m_simple, "hi bob", 1, 1 },
	{ m_simple, "Hello", 1, 0 },
	{ m_simple, "Hello", 0, 1 },
	{ m_alt, "caf\xc3\xa9 au lait, soft", 1, 1 },	/* QP decoded, soft break removed, ISO-8859-1 as UTF-8 */
	{ m_alt, "softbreak", 1, 1 },
	{ m_alt, "epilogue", 1, 0 },
	{ m_alt, "MIME message", 1, 0 },		/* the preamble is not text */
	{ m_mixed, "needle in base64", 1, 1 },	/* inside message/rfc822 inside multipart */
	{ m_mixed, "inner message", 1, 0 },	/* an attached message's header is not body text */
	{ m_mixed, "inner message", 0, 1 },	/* but TEXT covers every header */
	{ m_mixed, "part2@example", 0, 1 },	/* MIME headers too */
	{ m_mixed, "part2@example", 1, 0 },
	{ m_mixed, "bmVlZGxl", 0, 0 },		/* base64 is decoded, never matched raw */
	{ m_mixed, "%PDF", 1, 0 },			/* application/pdf is not searched */
	{ m_mixed, "<B>HTML", 1, 1 },
	{ m_enc, "w\xc3\xb6rld", 0, 1 },
	{ m_enc, "w\xc3\xb6rld", 1, 0 },
	{ m_nohdr, "", 1, 1 },
	{ m_nohdr, "aaaa", 1, 0 },
};

static const struct {
	const char *date;
	int rc;
	long long t;
	long long day;	/* the day as written: 0 for the failures */
} dates[] = {
	{ "Mon, 7 Feb 1994 21:52:25 -0800 (PST)", 1, 760686745, 8803 },	/* 8 Feb in UTC, but SENTON 7-Feb-1994 */
	{ "7 Feb 1994 21:52:25 -0800", 1, 760686745, 8803 },
	{ "Tue, 1 Jan 2019 10:00:00 +0000", 1, 1546336800, 17897 },
	{ "1 Jan 70 00:00 GMT", 1, 0, 0 },
	{ "Thu, 13 Feb 69 23:32 -0330 (Newfoundland Time)", 1, -27723480, -322 },
	{ "Thu, 1 Jan 1970 01:00 +0200", 1, -3600, 0 },
	{ "Fri, 21 Nov 1997 09:55:06 EST", 1, 880124106, 10186 },
	{ "Sat, 29 Feb 2020 12:00:00 Z", 1, 1582977600, 18321 },
	{ "Sun, 29 Feb 2019 12:00:00 +0000", 0, 0, 0 },
	{ "32 Jan 2020 00:00 +0000", 0, 0, 0 },
	{ "1 Foo 2020 00:00 +0000", 0, 0, 0 },
	{ "yesterday", 0, 0, 0 },
	{ "", 0, 0, 0 },
};

/* readfile - all of path into a malloc'ed buffer; NULL on failure */
static char *readfile(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b;

	if (!f)
		return NULL;
	b = malloc(MSG_FILE_MAX);
	*n = b ? fread(b, 1, MSG_FILE_MAX, f) : 0;
	fclose(f);
	return b;
}

/* the sections -p prints */
static const char *const fetch_specs[] = {
	"", "HEADER", "TEXT", "1", "1.MIME", "2", "2.MIME", "1.1", "1.2", "1.2.MIME",
	"3", "3.HEADER", "3.TEXT", "3.1", "HEADER.FIELDS (FROM TO)", "HEADER.FIELDS.NOT (SUBJECT)",
};

/* write_msgs - the -w mode: the golden table's messages as DIR/NN; 0 ok, 111 on failure */
static int write_msgs(const char *dir)
{
	size_t i;

	for (i = 0; i < sizeof golden / sizeof *golden; i++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof path, "%s/%02zu", dir, i);
		f = fopen(path, "wb");
		if (!f || fwrite(golden[i].msg, 1, strlen(golden[i].msg), f) != strlen(golden[i].msg) || fclose(f))
			return 111;
	}
	return 0;
}

/* print_search - the -s mode; 0 ok, 100 bad kind, 111 a file could not be read */
static int print_search(int argc, char **argv)
{
	const char *kind = argv[2], *field = argv[3], *needle = argv[4];
	int i;

	if (strcmp(kind, "BODY") && strcmp(kind, "TEXT") && strcmp(kind, "HEADER"))
		return 100;
	printf("* SEARCH");
	for (i = 5; i < argc; i++) {
		size_t n;
		char *b = readfile(argv[i], &n);
		int r;

		if (!b)
			return 111;
		if (!strcmp(kind, "HEADER"))
			r = imapmsg_search_header(b, n, field, strlen(field), needle, strlen(needle));
		else
			r = imapmsg_search_text(b, n, needle, strlen(needle), !strcmp(kind, "BODY"));
		if (r == 1)
			printf(" %d", i - 4);
		else if (r < 0)
			printf(" ERROR");
		free(b);
	}
	printf("\n");
	return 0;
}

/* print_fetch - the -p mode; 0 ok, 111 a file could not be read */
static int print_fetch(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		struct str o = STR_INIT;
		size_t n, sz, k;
		char *b = readfile(argv[i], &n);

		if (!b)
			return 111;
		str_cats(&o, "* ");
		str_catu(&o, (unsigned long long)(i - 1));
		str_cats(&o, " FETCH (BODYSTRUCTURE ");
		if (imapmsg_bodystructure(b, n, 1, &o) < 0)
			str_cats(&o, "ERROR");
		str_cats(&o, " BODY ");
		if (imapmsg_bodystructure(b, n, 0, &o) < 0)
			str_cats(&o, "ERROR");
		str_cats(&o, " ENVELOPE ");
		if (imapmsg_envelope(b, n, &o) < 0)
			str_cats(&o, "ERROR");
		imapmsg_size_crlf(b, n, &sz);
		str_cats(&o, " RFC822.SIZE ");
		str_catu(&o, sz);
		for (k = 0; k < sizeof fetch_specs / sizeof *fetch_specs; k++) {
			struct str sec = STR_INIT;
			const char *sp = fetch_specs[k];
			int r = imapmsg_section(b, n, sp, strlen(sp), &sec);

			str_cats(&o, " BODY[");
			str_cats(&o, sp);
			str_cats(&o, "] ");
			if (r == 1) {
				str_append(&o, '{');
				str_catu(&o, sec.len);
				str_cats(&o, "}\r\n");
				str_catb(&o, sec.s, sec.len);
			} else
				str_cats(&o, r == 0 ? "NIL" : "ERROR");
			str_free(&sec);
		}
		str_cats(&o, ")\r\n");
		fwrite(o.s, 1, o.len, stdout);
		str_free(&o);
		free(b);
	}
	return 0;
}

/* check_str - compare a result with the expected string, printing both when they differ */
static void check_str(const struct str *got, const char *want, const char *what, const char *name)
{
	char label[200];
	int ok = got->len == strlen(want) && !memcmp(got->s, want, got->len);

	snprintf(label, sizeof label, "%s: %s", what, name);
	if (!CHECK(ok, label))
		printf("#   got:  %.*s\n#   want: %s\n", (int)got->len, got->s ? got->s : "", want);
}

/* nested - a message nested depth levels deep (multipart or message/rfc822); malloc'ed */
static char *nested(size_t depth, int rfc822, size_t *n)
{
	struct str s = STR_INIT;
	size_t i;

	for (i = 0; i < depth; i++)
		if (rfc822)
			str_cats(&s, "Content-Type: message/rfc822\n\n");
		else {
			str_cats(&s, "Content-Type: multipart/mixed; boundary=b");
			str_catu(&s, i);
			str_cats(&s, "\n\n--b");
			str_catu(&s, i);
			str_cats(&s, "\n");
		}
	str_cats(&s, "\nbottom\n");
	*n = s.len;
	return s.s;
}

/* limits - SECURITY.md 28 and 48: deep nesting, many parts, many parameters, many parentheses */
static void limits(void)
{
	struct str o = STR_INIT, m = STR_INIT;
	size_t n, i;
	char *b;
	int r;

	b = nested(10000, 0, &n);
	errno = 0;
	r = imapmsg_bodystructure(b, n, 1, &o);
	CHECK(r == -1 && errno == E2BIG && o.len == 0, "multipart nested 10,000 deep: E2BIG, nothing written");
	CHECK(imapmsg_search_text(b, n, "bottom", 6, 1) == -1, "search in a 10,000-deep multipart: E2BIG");
	str_truncate(&o, 0);
	CHECK(imapmsg_section(b, n, "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1"
	    ".1.1.1.1.1.1.1.1.1.1.1.1.1.1.1", strlen("1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1"), &o) == -1, "section 55 levels deep: a limit");
	str_truncate(&o, 0);
	CHECK(imapmsg_section(b, n, "1.1.1", 5, &o) == 1 && o.len > 0, "section 1.1.1 of the deep message");
	free(b);
	b = nested(10000, 1, &n);
	str_truncate(&o, 0);
	CHECK(imapmsg_bodystructure(b, n, 0, &o) == -1 && errno == E2BIG, "message/rfc822 nested 10,000 deep: E2BIG");
	free(b);
	b = nested(IMAPMSG_DEPTH_MAX - 1, 0, &n);
	str_truncate(&o, 0);
	CHECK(imapmsg_bodystructure(b, n, 1, &o) == 1, "multipart nested just under the limit works");
	CHECK(imapmsg_search_text(b, n, "BOTTOM", 6, 1) == 1, "search finds the text at the bottom");
	free(b);

	str_cats(&m, "Content-Type: multipart/mixed; boundary=x\n\n");
	for (i = 0; i <= IMAPMSG_PARTS_MAX; i++)
		str_cats(&m, "--x\n\np\n");
	str_truncate(&o, 0);
	CHECK(imapmsg_bodystructure(m.s, m.len, 1, &o) == -1 && errno == E2BIG, "more parts than IMAPMSG_PARTS_MAX: E2BIG");

	str_truncate(&m, 0);
	str_cats(&m, "Content-Type: text/plain");
	for (i = 0; i < 10 * IMAPMSG_PARAMS_MAX; i++)
		str_cats(&m, "; p*0=x");
	str_cats(&m, "\n\nx\n");
	str_truncate(&o, 0);
	CHECK(imapmsg_bodystructure(m.s, m.len, 1, &o) == 1 && o.len < 200 * IMAPMSG_PARAMS_MAX,
	    "RFC 2231 parameters beyond IMAPMSG_PARAMS_MAX are dropped");

	str_truncate(&m, 0);
	str_cats(&m, "From: ");
	for (i = 0; i < 100000; i++)
		str_append(&m, '(');
	str_cats(&m, "x@y\nSubject: ");
	for (i = 0; i < 100000; i++)
		str_append(&m, '(');
	str_cats(&m, "\n\n");
	str_truncate(&o, 0);
	CHECK(imapmsg_envelope(m.s, m.len, &o) == 1 && o.len > 100000, "100,000 open parentheses: an envelope, no recursion");

	str_truncate(&o, 0);
	CHECK(imapmsg_envelope("", 0, &o) == 1 && str_equals(&o, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"), "empty message");
	str_truncate(&o, 0);
	CHECK(imapmsg_bodystructure("", 0, 1, &o) == 1, "empty message has a structure");
	str_free(&o);
	str_free(&m);
}

/* main - the -p, -s and -w modes, or every table and the limits; 0 when all checks passed */
int main(int argc, char **argv)
{
	size_t i;

	if (argc > 1 && !strcmp(argv[1], "-p"))
		return print_fetch(argc, argv);
	if (argc > 4 && !strcmp(argv[1], "-s"))
		return print_search(argc, argv);
	if (argc > 2 && !strcmp(argv[1], "-w"))
		return write_msgs(argv[2]);
	for (i = 0; i < sizeof golden / sizeof *golden; i++) {
		const char *msg = golden[i].msg;
		size_t n = strlen(msg), sz;
		struct str o = STR_INIT;

		if (golden[i].envelope) {
			CHECK(imapmsg_envelope(msg, n, &o) == 1, golden[i].name);
			check_str(&o, golden[i].envelope, "ENVELOPE", golden[i].name);
		}
		if (golden[i].body) {
			str_truncate(&o, 0);
			CHECK(imapmsg_bodystructure(msg, n, 0, &o) == 1, golden[i].name);
			check_str(&o, golden[i].body, "BODY", golden[i].name);
		}
		if (golden[i].bodystructure) {
			str_truncate(&o, 0);
			CHECK(imapmsg_bodystructure(msg, n, 1, &o) == 1, golden[i].name);
			check_str(&o, golden[i].bodystructure, "BODYSTRUCTURE", golden[i].name);
		}
		if (golden[i].size)
			CHECK(imapmsg_size_crlf(msg, n, &sz) == 1 && sz == golden[i].size, golden[i].name);
		str_free(&o);
	}
	for (i = 0; i < sizeof sections / sizeof *sections; i++) {
		struct str o = STR_INIT;
		int r = imapmsg_section(sections[i].msg, strlen(sections[i].msg), sections[i].spec,
		    strlen(sections[i].spec), &o);
		char label[200];

		snprintf(label, sizeof label, "section [%s] returns %d", sections[i].spec, sections[i].rc);
		if (!CHECK(r == sections[i].rc, label))
			printf("#   got %d\n", r);
		if (r == 1 && sections[i].want)
			check_str(&o, sections[i].want, "section", sections[i].spec);
		str_free(&o);
	}
	{	/* NUL cannot travel in a literal: 0x80 stands for it, the length stays */
		static const char nul[] = "Subject: a\0b\n\nc\0d\n";
		struct str o = STR_INIT;
		CHECK(imapmsg_section(nul, sizeof nul - 1, "TEXT", 4, &o) == 1 && o.len == 5 && !memcmp(o.s, "c\x80" "d\r\n", 5),
		    "NUL in a section comes out as 0x80");
		str_truncate(&o, 0);
		CHECK(imapmsg_envelope(nul, sizeof nul - 1, &o) == 1 && strstr(o.s, "a\xef\xbf\xbd" "b"),
		    "NUL in ENVELOPE comes out as U+FFFD");
		str_free(&o);
	}
	{	/* sections whose contents are long: compared by size and ends */
		struct str o = STR_INIT;
		size_t sz;
		imapmsg_section(m_alt, strlen(m_alt), "", 0, &o);
		imapmsg_size_crlf(m_alt, strlen(m_alt), &sz);
		CHECK(o.len == sz && !memchr(o.s, '\n', 1), "BODY[] has RFC822.SIZE octets");
		str_truncate(&o, 0);
		imapmsg_section(m_simple, strlen(m_simple), "1.MIME", 6, &o);
		CHECK(str_starts(&o, "From: Ann") && o.len == sizeof m_simple - 1 - 15 && !memcmp(o.s + o.len - 4, "\r\n\r\n", 4),
		    "1.MIME of a single-part message is its header");
		str_free(&o);
	}
	for (i = 0; i < sizeof hsearch / sizeof *hsearch; i++) {
		char label[200];
		snprintf(label, sizeof label, "SEARCH HEADER %s \"%s\" -> %d", hsearch[i].field, hsearch[i].needle, hsearch[i].rc);
		CHECK(imapmsg_search_header(hsearch[i].msg, strlen(hsearch[i].msg), hsearch[i].field, strlen(hsearch[i].field),
		    hsearch[i].needle, strlen(hsearch[i].needle)) == hsearch[i].rc, label);
	}
	for (i = 0; i < sizeof tsearch / sizeof *tsearch; i++) {
		char label[200];
		snprintf(label, sizeof label, "SEARCH %s \"%s\" -> %d", tsearch[i].body_only ? "BODY" : "TEXT",
		    tsearch[i].needle, tsearch[i].rc);
		CHECK(imapmsg_search_text(tsearch[i].msg, strlen(tsearch[i].msg), tsearch[i].needle, strlen(tsearch[i].needle),
		    tsearch[i].body_only) == tsearch[i].rc, label);
	}
	for (i = 0; i < sizeof dates / sizeof *dates; i++) {
		struct str m = STR_INIT;
		long long t = -1;
		char label[200];
		str_cats(&m, "Subject: d\nDate: ");
		str_cats(&m, dates[i].date);
		str_cats(&m, "\n\n");
		snprintf(label, sizeof label, "Date: %s -> %lld", dates[i].date, dates[i].t);
		if (!CHECK(imapmsg_date(m.s, m.len, &t) == dates[i].rc && t == dates[i].t, label))
			printf("#   got %lld\n", t);
		t = -1;
		snprintf(label, sizeof label, "SENTON day of %s -> %lld", dates[i].date, dates[i].day);
		if (!CHECK(imapmsg_sentday(m.s, m.len, &t) == dates[i].rc && t == dates[i].day, label))
			printf("#   got %lld\n", t);
		str_free(&m);
	}
	{
		long long t = 5;
		CHECK(imapmsg_date(m_bare, strlen(m_bare), &t) == 0 && t == 0, "no Date: 0");
	}
	limits();
	return test_done();
}
