/* test-inject - the address-list parser and the body copier of inject.c
 * on tables; the body copier also fed one byte at a time. */
#include <string.h>
#include "inject.h"
#include "test.h"

/* addrs - inject_addrs of v with the NULs shown as '|' */
static const char *addrs(const char *v)
{
	static struct str out;
	size_t i;

	out.len = 0;
	if (!inject_addrs(v, strlen(v), &out) || !str_0(&out)) return "(no memory)";
	for (i = 0; i + 1 < out.len; i++)
		if (!out.s[i]) out.s[i] = '|';
	return out.s;
}

/* body - copy x through the body copier in pieces of step; result in a static str */
static const char *body(const char *x, int dot, size_t step, size_t *consumed)
{
	static struct str out;
	struct inject_body b = { dot, 0, 0 };
	size_t n = strlen(x), off = 0;
	int err;

	out.len = 0;
	while (off < n && !b.done) {
		size_t take = n - off < step ? n - off : step;
		off += inject_body_feed(&b, x + off, take, &out, &err);
		if (err) return "(no memory)";
	}
	if (!b.done) inject_body_end(&b, &out);
	*consumed = off;
	if (!str_0(&out)) return "(no memory)";
	return out.s;
}

int main(void)
{
	static const struct { const char *in, *want; } at[] = {
		{ "a@b", "a@b|" },
		{ " Ann <ann@a.example>, bob@b.example", "ann@a.example|bob@b.example|" },
		{ "\"Doe, C\" <carl@c.example> (a, comment)", "carl@c.example|" },
		{ "x@y (Name (nested, too))", "x@y|" },
		{ "friends: a@x, b@y;, c@z", "a@x|b@y|c@z|" },
		{ "undisclosed-recipients:;", "" },
		{ "<@relay.example,@r2:u@h.example>", "u@h.example|" },
		{ "\"a b\"@x.example", "\"a b\"@x.example|" },
		{ "", "" },
		{ " , ,", "" },
		{ "folded\n\t<f@x.example>", "f@x.example|" },
	};
	static const struct { const char *in; int dot; const char *want; size_t used; const char *name; } bt[] = {
		{ "a\r\nb\r\n", 0, "a\nb\n", 6, "CRLF becomes LF" },
		{ "a\rb\n", 0, "a\rb\n", 4, "a lone CR stays" },
		{ "a\n.\nb\n", 1, "a\n", 4, "a lone dot ends (LF)" },
		{ "a\r\n.\r\nb\r\n", 1, "a\n", 6, "a lone dot ends (CRLF)" },
		{ "a\n.\nb\n", 0, "a\n.\nb\n", 6, "without the dot rule the dot stays" },
		{ "a\n..\n.x\n", 1, "a\n..\n.x\n", 8, "other dot lines stay" },
		{ ".\rx\n", 1, ".\rx\n", 4, "dot CR x is not the end" },
		{ "a\n.", 1, "a\n.", 3, "a dot at EOF without LF is kept" },
		{ "end\r", 0, "end\r", 4, "a CR at EOF is kept" },
	};
	size_t i, used, used1;

	for (i = 0; i < sizeof at / sizeof at[0]; i++) {
		char name[80];
		size_t k;
		snprintf(name, sizeof name, "addrs: %s", at[i].in);
		for (k = 0; name[k]; k++)
			if (name[k] == '\n' || name[k] == '\t') name[k] = ' ';
		CHECK(!strcmp(addrs(at[i].in), at[i].want), name);
	}
	for (i = 0; i < sizeof bt / sizeof bt[0]; i++) {
		char whole[64], bytes[64];
		strcpy(whole, body(bt[i].in, bt[i].dot, 1000, &used));
		strcpy(bytes, body(bt[i].in, bt[i].dot, 1, &used1));
		CHECK(!strcmp(whole, bt[i].want) && used == bt[i].used, bt[i].name);
		CHECK(!strcmp(bytes, whole) && used1 == used, bt[i].name);
	}
	return test_done();
}
