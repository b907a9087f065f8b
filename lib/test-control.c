/* test-control - control_readlist, control_readline and the number
 * readers on a table of file contents: comments, blanks, trailing white
 * space, CRs, and lines holding a NUL byte (skipped: entries are
 * NUL-separated). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "str.h"
#include "test.h"

struct listcase {
	const char *name;
	const char *text;	/* file contents */
	size_t len;		/* bytes of text (it may hold NULs) */
	const char *want;	/* entries joined by '|' */
};

#define T(name, lit, want) { name, lit, sizeof lit - 1, want }
static const struct listcase lists[] = {
	T("list: plain lines", "a\nb\n", "a|b"),
	T("list: no final newline", "a\nb", "a|b"),
	T("list: comments and blanks skipped", "# x\n\na\n  # y\n\t\nb\n", "a|b"),
	T("list: trailing blanks and CR trimmed", "a \t\r\nb\r\n", "a|b"),
	T("list: leading blanks dropped", "  a\n\tb\n", "a|b"),
	T("list: a line with a NUL is skipped", "a\nb\0c\nd\n", "a|d"),
	T("list: a lone NUL line is skipped", "\0\na\n", "a"),
	T("list: empty file", "", ""),
};

/* put - write len bytes to path; 1 ok */
static int put(const char *path, const char *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0 && write(fd, s, len) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* joined - the NUL-separated entries of l as one '|'-joined string in out */
static void joined(const struct str *l, struct str *out)
{
	size_t i;

	str_copys(out, "");
	for (i = 0; i < l->len; i++)
		str_catb(out, l->s[i] ? &l->s[i] : "|", 1);
	if (out->len && out->s[out->len - 1] == '|')
		out->len--;
	str_0(out);
}

int main(void)
{
	char dir[] = "/tmp/kurier-test-control.XXXXXX";
	struct str path = STR_INIT, l = STR_INIT, j = STR_INIT;
	unsigned long long u;
	size_t i;

	if (!mkdtemp(dir))
		return 111;
	str_copys(&path, dir);
	str_cats(&path, "/f");
	str_0(&path);
	for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		put(path.s, lists[i].text, lists[i].len);
		CHECK(control_readlist(&l, path.s) == 1, lists[i].name);
		joined(&l, &j);
		CHECK(strcmp(j.s, lists[i].want) == 0, lists[i].name);
	}
	CHECK(control_readlist(&l, "/nonexistent/kurier/f") == 0 && l.len == 0, "list: a missing file is 0, empty");

	put(path.s, "host.example \r\nsecond\n", 22);
	CHECK(control_readline(&j, path.s, "def") == 1 && strcmp(j.s, "host.example") == 0, "line: first line, trimmed");
	CHECK(control_readline(&j, "/nonexistent/kurier/f", "def") == 0 && strcmp(j.s, "def") == 0, "line: missing gives the default");
	put(path.s, "12345\n", 6);
	CHECK(control_readulong(&u, path.s, 7) == 1 && u == 12345, "ulong: a number");
	CHECK(control_readulong(&u, "/nonexistent/kurier/f", 7) == 0 && u == 7, "ulong: missing gives the default");
	put(path.s, "12x\n", 4);
	CHECK(control_readulong(&u, path.s, 7) == -1, "ulong: junk is an error");
	put(path.s, "2h\n", 3);
	CHECK(control_readduration(&u, path.s, 1) == 1 && u == 7200, "duration: 2h is 7200 s");

	unlink(path.s);
	rmdir(dir);
	str_free(&path);
	str_free(&l);
	str_free(&j);
	return test_done();
}
