/*
 * test-pop3parse - table-driven tests of the POP3 command parser and
 * message numbers, including the SECURITY.md 32 inputs (base64 is tested
 * in lib/test-base64.c).
 */
#include <string.h>
#include "pop3parse.h"
#include "test.h"

static const struct {
	const char *line;
	int ok;
	enum pop3_verb verb;
	unsigned nargs;
	const char *arg0, *arg1, *rest;
} cmds[] = {
	{ "STAT", 1, POP3_STAT, 0, 0, 0, "" },
	{ "stat", 1, POP3_STAT, 0, 0, 0, "" },
	{ "LIST 1", 1, POP3_LIST, 1, "1", 0, "1" },
	{ "TOP 1 10", 1, POP3_TOP, 2, "1", "10", "1 10" },
	{ "top  1   10 ", 1, POP3_TOP, 2, "1", "10", " 1   10 " },
	{ "PASS pass with spaces", 1, POP3_PASS, 3, "pass", "with", "pass with spaces" },
	{ "USER alice", 1, POP3_USER, 1, "alice", 0, "alice" },
	{ "APOP mrose c4c9334bac560ecc979e58001b3e22fb", 1, POP3_APOP, 2, "mrose", "c4c9334bac560ecc979e58001b3e22fb", 0 },
	{ "AUTH PLAIN AHRlc3QAc2VjcmV0", 1, POP3_AUTH, 2, "PLAIN", "AHRlc3QAc2VjcmV0", 0 },
	{ "CAPA", 1, POP3_CAPA, 0, 0, 0, "" },
	{ "STLS", 1, POP3_STLS, 0, 0, 0, "" },
	{ "Uidl", 1, POP3_UIDL, 0, 0, 0, "" },
	{ "QUIT", 1, POP3_QUIT, 0, 0, 0, "" },
	{ "NOOP", 1, POP3_NOOP, 0, 0, 0, "" },
	{ "RSET", 1, POP3_RSET, 0, 0, 0, "" },
	{ "DELE 3", 1, POP3_DELE, 1, "3", 0, "3" },
	{ "RETR 18446744073709551616", 1, POP3_RETR, 1, "18446744073709551616", 0, 0 },
	{ "STATX", 1, POP3_UNKNOWN, 0, 0, 0, "" },
	{ "", 1, POP3_UNKNOWN, 0, 0, 0, "" },
	{ " STAT", 1, POP3_UNKNOWN, 1, "STAT", 0, "STAT" },
	{ "TO", 1, POP3_UNKNOWN, 0, 0, 0, "" },
	{ "USER a\rb", 0, POP3_UNKNOWN, 0, 0, 0, 0 },
	{ "USER a\nb", 0, POP3_UNKNOWN, 0, 0, 0, 0 },
};

static const struct { const char *s; int ok; unsigned long v; } nums[] = {
	{ "1", 1, 1 }, { "0", 1, 0 }, { "4294967295", 1, 4294967295UL },
	{ "4294967296", 0, 0 }, { "18446744073709551616", 0, 0 }, { "-1", 0, 0 },
	{ "+1", 0, 0 }, { "", 0, 0 }, { "1a", 0, 0 }, { " 1", 0, 0 },
	{ "00000000001", 0, 0 }, { "0000000001", 1, 1 },
};

int main(void)
{
	struct pop3_cmd c;
	size_t i;
	char name[80];

	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		int r = pop3_parse(cmds[i].line, strlen(cmds[i].line), &c);
		snprintf(name, sizeof name, "parse-%zu", i);
		if (!CHECK(r == cmds[i].ok, name) || !r)
			continue;
		CHECK(c.verb == cmds[i].verb && c.nargs == cmds[i].nargs, name);
		if (cmds[i].arg0)
			CHECK(c.arglen[0] == strlen(cmds[i].arg0) && !memcmp(c.arg[0], cmds[i].arg0, c.arglen[0]), name);
		if (cmds[i].arg1)
			CHECK(c.arglen[1] == strlen(cmds[i].arg1) && !memcmp(c.arg[1], cmds[i].arg1, c.arglen[1]), name);
		if (cmds[i].rest)
			CHECK(c.restlen == strlen(cmds[i].rest) && !memcmp(c.rest, cmds[i].rest, c.restlen), name);
	}
	CHECK(pop3_parse("USER a\0b", 8, &c) == 0, "parse-nul");

	for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		unsigned long v = 77;
		int r = pop3_number(nums[i].s, strlen(nums[i].s), &v);
		snprintf(name, sizeof name, "number-%s", nums[i].s);
		CHECK(r == nums[i].ok && (!r || v == nums[i].v), name);
	}

	return test_done();
}
