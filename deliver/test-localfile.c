/*
 * test-localfile.c - unit test of delivery-file parsing and file search
 * (localfile.c) and of the pure parts of address resolution (resolve.c):
 * the locals matcher with wildcards and exceptions, and passwd lookup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "localfile.h"
#include "resolve.h"
#include "test.h"

static const struct {
	const char *in;
	int ok;
	size_t n;
	const char *want;	/* "type:arg|type:arg" with types M B F P */
	unsigned bad;
} files[] = {
	{ "./Maildir/\n", 1, 1, "M:./Maildir/", 0 },
	{ "/var/mail/joe\n", 1, 1, "B:/var/mail/joe", 0 },
	{ "./mbox", 1, 1, "B:./mbox", 0 },
	{ "|preline procmail\n", 1, 1, "P:preline procmail", 0 },
	{ "|  spaced cmd  \n", 1, 1, "P:spaced cmd", 0 },
	{ "&joe@example.com\n", 1, 1, "F:joe@example.com", 0 },
	{ "& joe@example.com\n", 1, 1, "F:joe@example.com", 0 },
	{ "joe@example.com\n", 1, 1, "F:joe@example.com", 0 },
	{ "# comment\n\n   \n./Maildir/\t \r\n", 1, 1, "M:./Maildir/", 0 },
	{ "./Maildir/\n|cmd\nfwd@x\n/m/\n", 1, 4, "M:./Maildir/|P:cmd|F:fwd@x|M:/m/", 0 },
	{ "", 1, 0, "", 0 },
	{ "#only a comment\n", 1, 0, "", 0 },
	{ "|\n", 0, 0, "", 1 },
	{ "./Maildir/\n&\n", 0, 0, "", 2 },
	{ "a b@c\n", 0, 0, "", 1 },
	{ "  indented@x\n", 0, 0, "", 1 },
	{ "./Maildir/\n|x\0y\n", 0, 0, "", 2 },
};

static const struct {
	const char *ext;
	const char *want;	/* pairs "suffix=default" joined by '|' */
} cands[] = {
	{ "", "=" },
	{ "foo", "foo=|default=foo" },
	{ "foo-bar", "foo-bar=|foo-default=bar|default=foo-bar" },
	{ "a-b-c", "a-b-c=|a-b-default=c|a-default=b-c|default=a-b-c" },
	{ "Lists.Kurier", "lists:kurier=|default=Lists.Kurier" },
	{ "x-", "x-=|x-default=|default=x-" },
};

static const char locals[] = "example.com\0.wild.example\0!not.wild.example\0Upper.Example\0";
static const struct {
	const char *dom;
	int hit;
	const char *entry;
} lmatch[] = {
	{ "example.com", 1, "example.com" },
	{ "sub.example.com", 0, 0 },
	{ "a.wild.example", 1, ".wild.example" },
	{ "a.b.wild.example", 1, ".wild.example" },
	{ "wild.example", 0, 0 },
	{ "not.wild.example", 0, "!not.wild.example" },
	{ "upper.example", 1, "Upper.Example" },
	{ "xexample.com", 0, 0 },
};

/* show - the instructions as "T:arg|..." into b */
static void show(const struct localfile_instr *in, size_t n, char *b, size_t bl)
{
	size_t i, o = 0;

	b[0] = 0;
	for (i = 0; i < n && o + 4 < bl; i++) {
		static const char t[] = "?MBFP";
		int w = snprintf(b + o, bl - o, "%s%c:%.*s", i ? "|" : "", t[in[i].type],
		    (int)in[i].len, in[i].arg);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

int main(void)
{
	struct localfile_instr in[LOCALFILE_INSTR_MAX];
	struct str s = STR_INIT;
	char b[512];
	size_t i, n;
	unsigned bad;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t len = strlen(files[i].in);
		int r;
		if (strstr(files[i].in, "|x"))
			len += 3;	/* the case with a NUL inside */
		r = localfile_parse(files[i].in, len, in, LOCALFILE_INSTR_MAX, &n, &bad);
		char name[64];
		show(in, r ? n : 0, b, sizeof b);
		snprintf(name, sizeof name, "delivery file case %zu", i);
		CHECK(r == files[i].ok && (r ? n == files[i].n && strcmp(b, files[i].want) == 0
		    : bad == files[i].bad), name);
	}
	{
		/* more instructions than the cap is an error, not a silent cut */
		struct str many = STR_INIT;
		int k;
		for (k = 0; k < LOCALFILE_INSTR_MAX + 1; k++)
			str_cats(&many, "./Maildir/\n");
		CHECK(localfile_parse(many.s, many.len, in, LOCALFILE_INSTR_MAX, &n, &bad) == 0 &&
		    bad == LOCALFILE_INSTR_MAX + 1, "instruction cap");
		str_free(&many);
	}
	for (i = 0; i < sizeof cands / sizeof cands[0]; i++) {
		size_t o = 0, k;
		b[0] = 0;
		CHECK(localfile_candidates(cands[i].ext, strlen(cands[i].ext), &s), "candidates built");
		for (k = 0; k < s.len; ) {
			const char *suf = s.s + k, *def = suf + strlen(suf) + 1;
			o += (size_t)snprintf(b + o, sizeof b - o, "%s%s=%s", o ? "|" : "", suf, def);
			k = (size_t)(def - s.s) + strlen(def) + 1;
		}
		CHECK(strcmp(b, cands[i].want) == 0, cands[i].want);
	}
	{
		char longext[LOCALFILE_EXT_MAX + 2];
		memset(longext, 'a', sizeof longext - 1);
		longext[sizeof longext - 1] = 0;
		CHECK(!localfile_candidates(longext, strlen(longext), &s), "an overlong extension is refused");
	}
	for (i = 0; i < sizeof lmatch / sizeof lmatch[0]; i++) {
		const char *e;
		int r = resolve_locals_match(locals, sizeof locals - 1, lmatch[i].dom, strlen(lmatch[i].dom), &e);
		CHECK(r == lmatch[i].hit && ((!e && !lmatch[i].entry) ||
		    (e && lmatch[i].entry && strcmp(e, lmatch[i].entry) == 0)), lmatch[i].dom);
	}
	{
		char path[] = "/tmp/kurier-test-passwd.XXXXXX";
		int fd = mkstemp(path);
		struct account a;
		const char pw[] = "root:x:0:0:root:/root:/bin/bash\n"
		    "joe:x:1001:1002:Joe:/home/joe:/bin/sh\n"
		    "joe-doe:x:1003:1003::/home/jd:/bin/sh\n"
		    "broken:x:abc:1:::\n";
		memset(&a, 0, sizeof a);
		CHECK(fd != -1 && write(fd, pw, sizeof pw - 1) == (ssize_t)(sizeof pw - 1), "passwd file");
		if (fd != -1)
			close(fd);
		CHECK(resolve_passwd(path, "joe", 3, &a) == 1 && a.uid == 1001 && a.gid == 1002 &&
		    str_equals(&a.home, "/home/joe"), "passwd: joe");
		CHECK(resolve_passwd(path, "joe-doe", 7, &a) == 1 && a.uid == 1003 &&
		    str_equals(&a.home, "/home/jd"), "passwd: joe-doe is its own account");
		CHECK(resolve_passwd(path, "jo", 2, &a) == 0, "passwd: a prefix is no account");
		CHECK(resolve_passwd(path, "broken", 6, &a) == 0, "passwd: a broken line names nobody");
		CHECK(resolve_passwd("/nonexistent/passwd", "joe", 3, &a) == 0, "passwd: missing file");
		unlink(path);
		str_free(&a.user);
		str_free(&a.home);
	}
	str_free(&s);
	return test_done();
}
