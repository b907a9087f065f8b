/* test-smtpparse - the SMTP command, path, ESMTP parameter and base64
 * parsers on tables of good and hostile inputs (SECURITY.md 1-5, 10). */
#include <string.h>
#include "smtpparse.h"
#include "test.h"

static const struct { const char *line; int ok; enum smtp_verb verb; const char *arg; } cmds[] = {
	{ "EHLO client.example", 1, SMTP_EHLO, "client.example" },
	{ "ehlo x", 1, SMTP_EHLO, "x" },
	{ "MAIL FROM:<a@b>", 1, SMTP_MAIL, "FROM:<a@b>" },
	{ "QUIT", 1, SMTP_QUIT, "" },
	{ "StartTLS", 1, SMTP_STARTTLS, "" },
	{ "BDAT 10 LAST", 1, SMTP_BDAT, "10 LAST" },
	{ "FOO bar", 1, SMTP_UNKNOWN, "bar" },
	{ "MAILX FROM:<a@b>", 1, SMTP_UNKNOWN, "FROM:<a@b>" },
	{ "MAIL FROM:<a@b> AUTH=x\rRCPT", 0, SMTP_UNKNOWN, "" },
	{ "RCPT TO:<a@b> ORCPT=rfc822;x\0y", 0, SMTP_UNKNOWN, "" },
};

static const struct { const char *in; int r; const char *addr; size_t used; } paths[] = {
	{ "<user@example.org>", PATH_OK, "user@example.org", 18 },
	{ "<>", PATH_OK, "", 2 },
	{ "<Postmaster>", PATH_OK, "Postmaster", 12 },
	{ "<postmaster> SIZE=1", PATH_OK, "postmaster", 12 },
	{ "<user>", PATH_SYNTAX, 0, 0 },
	{ "<@a,@b:u@c>", PATH_OK, "u@c", 11 },
	{ "<@a,@b u@c>", PATH_SYNTAX, 0, 0 },
	{ "<@a,", PATH_SYNTAX, 0, 0 },
	{ "<@a,@", PATH_SYNTAX, 0, 0 },
	{ "<@a,@bd,", PATH_SYNTAX, 0, 0 },	/* fuzz-addr crash: source route cut after a comma */
	{ "<u%v@w>", PATH_OK, "u%v@w", 7 },
	{ "<u@x.>", PATH_SYNTAX, 0, 0 },
	{ "<u@>", PATH_SYNTAX, 0, 0 },
	{ "<@x>", PATH_SYNTAX, 0, 0 },
	{ "<u@[1.2.3.4]>", PATH_OK, "u@[1.2.3.4]", 13 },
	{ "<u@[]>", PATH_SYNTAX, 0, 0 },
	{ "<\"\"@relay.example>", PATH_OK, "@relay.example", 18 },
	{ "<\"a b\\\"c\"@x.y>", PATH_OK, "a b\"c@x.y", 14 },
	{ "<\"|cmd\"@x>", PATH_OK, "|cmd@x", 10 },
	{ "<;sleep 5;>", PATH_SYNTAX, 0, 0 },
	{ "<$(id)@x>", PATH_SYNTAX, 0, 0 },
	{ "<`id`@x>", PATH_OK, "`id`@x", 8 },
	{ "<${run{x}}@x>", PATH_OK, "${run{x}}@x", 13 },
	{ "<a..b@x>", PATH_SYNTAX, 0, 0 },
	{ "<.a@x>", PATH_SYNTAX, 0, 0 },
	{ "<a@-x.y>", PATH_SYNTAX, 0, 0 },
	{ "<a@x-.y>", PATH_SYNTAX, 0, 0 },
	{ "<a@x..y>", PATH_SYNTAX, 0, 0 },
	{ "a@x", PATH_SYNTAX, 0, 0 },
	{ "<a@x", PATH_SYNTAX, 0, 0 },
	{ "<\"a\0b\"@x>", PATH_SYNTAX, 0, 0 },
	{ "<\"unterminated@x>", PATH_SYNTAX, 0, 0 },
	{ "<\"a\\", PATH_SYNTAX, 0, 0 },
	{ "<j\xc3\xb6rg@b\xc3\xbc.de>", PATH_OK, "j\xc3\xb6rg@b\xc3\xbc.de", 14 },
	{ "<", PATH_SYNTAX, 0, 0 },
	{ "", PATH_SYNTAX, 0, 0 },
};

static const struct { const char *in; int ok; size_t count; } params[] = {
	{ "", 1, 0 },
	{ " SIZE=100", 1, 1 },
	{ " SIZE=100 BODY=8BITMIME SMTPUTF8", 1, 3 },
	{ "  SIZE=1  ", 1, 1 },
	{ " SIZE=", 0, 0 },
	{ " =x", 0, 0 },
	{ " -X=1", 0, 0 },
	{ " AUTH=a\tb", 0, 0 },
	{ " AUTH=a\rb", 0, 0 },
	{ " AUTH=a\nb", 0, 0 },
	{ " ORCPT=a=b", 0, 0 },
	{ " A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 I=9 J=10 K=11 L=12 M=13 N=14 O=15 P=16 Q=17", 0, 0 },
};

static const struct { const char *in; int ok; const char *out; size_t outlen; } b64[] = {
	{ "", 1, "", 0 },
	{ "YQ==", 1, "a", 1 },
	{ "YWI=", 1, "ab", 2 },
	{ "YWJj", 1, "abc", 3 },
	{ "AHVzZXIAcGFzcw==", 1, "\0user\0pass", 10 },
	{ "YQ=", 0, 0, 0 },
	{ "YQ", 0, 0, 0 },
	{ "Y", 0, 0, 0 },
	{ "Y===", 0, 0, 0 },
	{ "YQ==YWJj", 0, 0, 0 },
	{ "Y=Jj", 0, 0, 0 },
	{ "YW=j", 0, 0, 0 },
	{ "YWJ!", 0, 0, 0 },
	{ "YW J", 0, 0, 0 },
	{ "*", 0, 0, 0 },
};

/* label - a test name with control bytes shown as '?' */
static const char *label(const char *s)
{
	static char b[200];
	size_t i;

	for (i = 0; s[i] && i < sizeof b - 1; i++)
		b[i] = (unsigned char)s[i] < 32 ? '?' : s[i];
	b[i] = 0;
	return i ? b : "(empty)";
}

int main(void)
{
	size_t i;
	struct str a = STR_INIT;

	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		struct smtp_cmd c;
		size_t len = strlen(label(cmds[i].line));
		int r;
		if (i == sizeof cmds / sizeof cmds[0] - 1)
			len += 2;	/* the NUL and the byte after it */
		r = smtp_parse_command(cmds[i].line, len, &c);
		CHECK(r == cmds[i].ok && (!r || (c.verb == cmds[i].verb && c.arglen == strlen(cmds[i].arg) &&
		      memcmp(c.arg, cmds[i].arg, c.arglen) == 0)), label(cmds[i].line));
	}
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		size_t used, n = strlen(paths[i].in);
		int utf8, r;
		if (strstr(paths[i].in, "\"a") == paths[i].in + 1 && n == 3)
			n = 9;	/* "<\"a\0b\"@x>": the NUL is part of the input */
		r = smtp_parse_path(paths[i].in, n, &used, &a, &utf8);
		CHECK(r == paths[i].r && (r != PATH_OK || (used == paths[i].used &&
		      a.len == strlen(paths[i].addr) && memcmp(a.s ? a.s : "", paths[i].addr, a.len) == 0)),
		      label(paths[i].in));
	}
	{
		/* size limits of RFC 5321 §4.5.3.1 */
		struct str p = STR_INIT;
		size_t used;
		int utf8;
		str_cats(&p, "<");
		for (i = 0; i < 65; i++) str_cats(&p, "a");
		str_cats(&p, "@x>");
		CHECK(smtp_parse_path(p.s, p.len, &used, &a, &utf8) == PATH_TOOLONG, "65-byte local part");
		p.len = 0;
		str_cats(&p, "<a@");
		for (i = 0; i < 60; i++) str_cats(&p, "abcd.");
		str_cats(&p, "x>");
		CHECK(smtp_parse_path(p.s, p.len, &used, &a, &utf8) != PATH_OK, "over-long domain");
		CHECK(smtp_parse_path("<j\xc3\xb6@x>", 8, &used, &a, &utf8) == PATH_OK && utf8, "utf8 flagged");
		CHECK(smtp_parse_path("<j@x>", 5, &used, &a, &utf8) == PATH_OK && !utf8, "ascii not flagged");
		str_free(&p);
	}
	for (i = 0; i < sizeof params / sizeof params[0]; i++) {
		struct smtp_param p[SMTP_PARAMS_MAX];
		size_t count;
		int r = smtp_parse_params(params[i].in, strlen(params[i].in), p, SMTP_PARAMS_MAX, &count);
		CHECK(r == params[i].ok && (!r || count == params[i].count), label(params[i].in));
	}
	{
		struct smtp_param p[SMTP_PARAMS_MAX];
		size_t count;
		CHECK(smtp_parse_params(" AUTH=a\0b", 9, p, SMTP_PARAMS_MAX, &count) == 0, "NUL in param value");
		CHECK(smtp_parse_params(" SIZE=12 BODY=7BIT", 18, p, SMTP_PARAMS_MAX, &count) && count == 2 &&
		      smtp_param_is(&p[0], "size") && p[0].vallen == 2 && smtp_param_is(&p[1], "BODY"), "param fields");
	}
	for (i = 0; i < sizeof b64 / sizeof b64[0]; i++) {
		int r;
		a.len = 0;
		r = base64_decode(b64[i].in, strlen(b64[i].in), &a);
		CHECK(r == b64[i].ok && (!r || (a.len == b64[i].outlen && memcmp(a.s ? a.s : "", b64[i].out, a.len) == 0)),
		      b64[i].in[0] ? b64[i].in : "empty base64");
	}
	{
		/* round trip for every length modulo 3, and the output cap */
		struct str e = STR_INIT, d = STR_INIT;
		const char *s = "\0\377abcdefgh";
		int all = 1;
		for (i = 0; i < 10; i++) {
			e.len = d.len = 0;
			all &= base64_encode(s, i, &e) && base64_decode(e.s ? e.s : "", e.len, &d) &&
			       d.len == i && memcmp(d.s ? d.s : "", s, i) == 0 && e.len % 4 == 0;
		}
		CHECK(all, "base64 round trip, lengths 0-9");
		d.len = 0;
		d.max = 2;
		CHECK(!base64_decode("YWJj", 4, &d), "base64 output cap");
		str_free(&e);
		str_free(&d);
	}
	CHECK(smtp_addr_domain("a@b@c", 5) == 4, "domain after the last @");
	CHECK(smtp_addr_domain("abc", 3) == 3, "no domain");
	str_free(&a);
	return test_done();
}
