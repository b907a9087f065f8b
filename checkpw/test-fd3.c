/*
 * test-fd3 - table-driven test of the fd 3 request parser: sizes around
 * the 512-byte limit, missing NULs, extra fields, and login names with
 * '/', "..", spaces and control bytes (SECURITY.md 33).
 */
#include <string.h>
#include "test.h"
#include "fd3.h"

struct t {
	const char *name;
	const char *x;
	size_t n;		/* 0: strlen-free sizes are given explicitly */
	int ok;
	const char *login, *secret, *stamp;
};

#define S(lit) lit, sizeof(lit) - 1

static const struct t tab[] = {
	{ "plain request", S("alice\0pw\0<1.2@x>\0"), 1, "alice", "pw", "<1.2@x>" },
	{ "Dovecot's form: empty stamp", S("a@b.c\0pw\0\0"), 1, "a@b.c", "pw", "" },
	{ "empty password is well formed", S("alice\0\0\0"), 1, "alice", "", "" },
	{ "empty request", S(""), 0, 0, 0, 0 },
	{ "login without NUL", S("alice"), 0, 0, 0, 0 },
	{ "password without NUL", S("alice\0pw"), 0, 0, 0, 0 },
	{ "stamp without NUL", S("alice\0pw\0stamp"), 0, 0, 0, 0 },
	{ "two fields only", S("alice\0pw\0"), 0, 0, 0, 0 },
	{ "a fourth field (NUL inside a name)", S("al\0ice\0pw\0\0"), 0, 0, 0, 0 },
	{ "bytes after the third NUL", S("alice\0pw\0\0x"), 0, 0, 0, 0 },
	{ "empty login", S("\0pw\0\0"), 0, 0, 0, 0 },
	{ "slash in login", S("../etc/passwd\0pw\0\0"), 0, 0, 0, 0 },
	{ "slash alone", S("a/b\0pw\0\0"), 0, 0, 0, 0 },
	{ "dot-dot in login", S("a..b\0pw\0\0"), 0, 0, 0, 0 },
	{ "single dots are fine", S("a.b.c@d.e\0pw\0\0"), 1, "a.b.c@d.e", "pw", "" },
	{ "space in login", S("a b\0pw\0\0"), 0, 0, 0, 0 },
	{ "newline in login", S("a\nb\0pw\0\0"), 0, 0, 0, 0 },
	{ "DEL in login", S("a\177b\0pw\0\0"), 0, 0, 0, 0 },
	{ "8-bit login is a name like any other", S("j\303\266rg\0pw\0\0"), 1, "j\303\266rg", "pw", "" },
	{ "format directives are just bytes", S("%n%s%x\0%n\0\0"), 1, "%n%s%x", "%n", "" },
};

/* sized - a request of exactly n bytes (n >= 4): "u\0", n-4 'p's and "\0", an empty stamp "\0" */
static void sized(char *b, size_t n)
{
	b[0] = 'u';
	b[1] = 0;
	memset(b + 2, 'p', n - 4);
	b[n - 2] = 0;
	b[n - 1] = 0;
}

int main(void)
{
	size_t i;
	struct fd3 f;
	const char *why;
	static char big[70000];
	static const size_t sizes[] = { 510, 511, 512, 513, 514, 4096, 65536 };

	for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		const struct t *t = &tab[i];
		int r;
		why = 0;
		r = fd3_parse(t->x, t->n, &f, &why);
		CHECK(r == t->ok, t->name);
		if (r && t->ok) {
			CHECK(f.loginlen == strlen(t->login) && !memcmp(f.login, t->login, f.loginlen) &&
			      f.login[f.loginlen] == 0, t->name);
			CHECK(f.secretlen == strlen(t->secret) && !memcmp(f.secret, t->secret, f.secretlen) &&
			      f.secret[f.secretlen] == 0, t->name);
			CHECK(f.stamplen == strlen(t->stamp) && !memcmp(f.stamp, t->stamp, f.stamplen), t->name);
		}
		if (!r)
			CHECK(why && *why, "a refusal says why");
	}
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n = sizes[i];
		sized(big, n);
		why = 0;
		{
			int r = fd3_parse(big, n, &f, &why);
			if (n <= FD3_MAX)
				CHECK(r == 1 && f.secretlen == n - 4, n == 512 ? "512 bytes accepted" :
				      n == 511 ? "511 bytes accepted" : "510 bytes accepted");
			else
				CHECK(r == 0 && why && strstr(why, "512"), n == 513 ? "513 bytes refused" :
				      "oversized request refused");
		}
	}
	return test_done();
}
