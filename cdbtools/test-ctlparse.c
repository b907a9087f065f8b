/* test-ctlparse - the make* tools' parsers on tables of good and bad input:
 * domains and addresses, logical lines with continuations, hosteddomains
 * and esmtpacceptmailfor lines, smtpaccess netblocks and records (compared
 * byte for byte with what tcprules writes), IPv6 text as tcpserver writes
 * it, aliases with :include: expansion through a fake file system, and the
 * source directory's skip rules and file:line mapping. */
#include <errno.h>
#include <string.h>
#include "ctlparse.h"
#include "ctlsrc.h"
#include "str.h"
#include "test.h"

static char name[300];

/* eqb - 1 if s holds exactly the n bytes want */
static int eqb(const struct str *s, const char *want, size_t n)
{
	return s->len == n && (n == 0 || memcmp(s->s, want, n) == 0);
}

static void test_domains(void)
{
	static const struct { const char *in; int ok; } t[] = {
		{ "example.com", 1 }, { "EXAMPLE.Com", 1 }, { "a", 1 }, { "a-b.c9", 1 },
		{ "", 0 }, { ".example", 0 }, { "example.", 0 }, { "a..b", 0 }, { "-a.b", 0 },
		{ "a-.b", 0 }, { "a_b.c", 0 }, { "a b", 0 }, { "a@b", 0 }, { "exa\x80mple", 0 },
		{ "123456789012345678901234567890123456789012345678901234567890123.x", 1 },
		{ "1234567890123456789012345678901234567890123456789012345678901234.x", 0 },
	};
	static const struct { const char *in; int ok; } a[] = {
		{ "user", 1 }, { "user@example.com", 1 }, { "first.last+tag@ex.org", 1 },
		{ "o'brien@x.y", 1 }, { "a!b#c$d%e&f*g=h?i^j_k`l{m|n}o~p@x", 1 },
		{ "", 0 }, { "@example.com", 0 }, { "user@", 0 }, { "us er@x", 0 },
		{ "\"quoted\"@x", 0 }, { "a,b@x", 0 }, { "a:b", 0 }, { "a@b@c", 0 },
		{ "a<b>@x", 0 }, { "a\\b", 0 },
		{ "12345678901234567890123456789012345678901234567890123456789012345@x", 0 },
	};
	size_t i;
	const char *why;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		why = 0;
		snprintf(name, sizeof name, "domain \"%s\" %s", t[i].in, t[i].ok ? "accepted" : "refused");
		CHECK(cp_domain(t[i].in, strlen(t[i].in), &why) == t[i].ok && (t[i].ok || why), name);
	}
	for (i = 0; i < sizeof a / sizeof a[0]; i++) {
		why = 0;
		snprintf(name, sizeof name, "address \"%s\" %s", a[i].in, a[i].ok ? "accepted" : "refused");
		CHECK(cp_address(a[i].in, strlen(a[i].in), &why) == a[i].ok && (a[i].ok || why), name);
	}
}

static void test_split(void)
{
	static const struct { const char *in; int cont; const char *lines[4]; } t[] = {
		{ "a\nb\n", 0, { "a", "b" } },
		{ "# c\n\n  \t\na  \r\n", 0, { "a" } },
		{ "  a\nb", 0, { "a", "b" } },
		{ "a:\n b,\n\tc\nd: e\n", 1, { "a: b, c", "d: e" } },
		{ "a: b\n# comment between\n  c\n", 1, { "a: b c" } },
		{ "a: b\n\n  c\n", 1, { "a: b c" } },
		{ "x\n", 1, { "x" } },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct str line = STR_INIT;
		size_t pos = 0, start, k = 0, ll;
		const char *why = 0, *lp;
		int r, good = 1;
		while ((r = cp_split(t[i].in, strlen(t[i].in), &pos, t[i].cont, &line, &lp, &ll, &start, &why)) > 0) {
			if (k >= 4 || !t[i].lines[k] || ll != strlen(t[i].lines[k]) || memcmp(lp, t[i].lines[k], ll) != 0)
				good = 0;
			k++;
		}
		snprintf(name, sizeof name, "split %zu gives its logical lines", i);
		CHECK(good && r == 0 && (k == 4 || !t[i].lines[k]), name);
		str_free(&line);
	}
	{
		struct str line = STR_INIT;
		size_t pos = 0, start = 99, ll;
		const char *why = 0, *lp;
		CHECK(cp_split("  a: b\n", 7, &pos, 1, &line, &lp, &ll, &start, &why) == -1 && start == 0,
		      "split: a continuation with nothing before it is refused");
		pos = 0;
		CHECK(cp_split("a\nb\0c\n", 6, &pos, 0, &line, &lp, &ll, &start, &why) == 1 &&
		      cp_split("a\nb\0c\n", 6, &pos, 0, &line, &lp, &ll, &start, &why) == -1 && start == 2,
		      "split: NUL byte is refused at its line");
		str_free(&line);
	}
}

static void test_hosted(void)
{
	static const struct { const char *in; int ok; const char *key, *val; } t[] = {
		{ "example.com", 1, "example.com", "" },
		{ "Example.COM", 1, "example.com", "" },
		{ "alias.net\texample.com", 1, "alias.net", "example.com" },
		{ "ALIAS.net   Example.Com", 1, "alias.net", "example.com" },
		{ "a.b\tc.d\te.f", 0, 0, 0 },
		{ "a.b\ta.b", 0, 0, 0 },
		{ "a..b", 0, 0, 0 },
		{ "a.b\tc..d", 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct str k = STR_INIT, v = STR_INIT;
		const char *why = 0;
		int r = cp_hosted(t[i].in, strlen(t[i].in), &k, &v, &why);
		snprintf(name, sizeof name, "hosteddomains \"%s\" %s", t[i].in, t[i].ok ? "gives its key and value" : "refused");
		CHECK(r == t[i].ok && (!r || (eqb(&k, t[i].key, strlen(t[i].key)) && eqb(&v, t[i].val, strlen(t[i].val)))), name);
		str_free(&k);
		str_free(&v);
	}
	{
		static const struct { const char *in; int ok; const char *key; } a[] = {
			{ "Backup.Example", 1, "backup.example" }, { ".example.com", 0, 0 },
			{ "a.b c.d", 0, 0 }, { "a/b", 0, 0 },
		};
		for (i = 0; i < sizeof a / sizeof a[0]; i++) {
			struct str k = STR_INIT;
			const char *why = 0;
			int r = cp_accept(a[i].in, strlen(a[i].in), &k, &why);
			snprintf(name, sizeof name, "esmtpacceptmailfor \"%s\" %s", a[i].in, a[i].ok ? "accepted" : "refused");
			CHECK(r == a[i].ok && (!r || eqb(&k, a[i].key, strlen(a[i].key))), name);
			str_free(&k);
		}
	}
}

static void test_netblocks(void)
{
	static const struct { const char *in; const char *key; } t[] = {
		{ "*", "" },
		{ "127.0.0.1", "127.0.0.1" }, { "127.0.0", "127.0.0." }, { "127", "127." },
		{ "127.0.0.", "127.0.0." }, { "010.001", "10.1." }, { "255.255.255.255", "255.255.255.255" },
		{ "::1", "::1" }, { "0:0:0:0:0:0:0:1", "::1" }, { "2001:DB8::5", "2001:db8::5" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" }, { "1:0:1:0:1:0:1:0", "1::1:0:1:0:1:0" },
		{ "fe80::", "fe80::" }, { "::", "::" }, { "2001:0db8", "2001:db8:" }, { "2001:db8:", "2001:db8:" },
		{ "::fffe:1:2", "::fffe:1:2" }, { "::ffff:1:2", 0 },
		{ "256.1", 0 }, { "1.2.3.4.5", 0 }, { "1..2", 0 }, { "a.b", 0 }, { "", 0 }, { "**", 0 },
		{ "1.2.3.4/24", 0 }, { "1:2:3:4:5:6:7:8:9", 0 }, { "1::2::3", 0 }, { "12345::", 0 },
		{ "::ffff:127.0.0.1", 0 }, { ":1", 0 }, { "1:2:3:4:5:6:7:8:", 0 }, { "g::1", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct str k = STR_INIT;
		const char *why = 0;
		int r = cp_netblock(t[i].in, strlen(t[i].in), &k, &why);
		if (t[i].key)
			snprintf(name, sizeof name, "netblock \"%s\" is key \"%s\"", t[i].in, t[i].key);
		else
			snprintf(name, sizeof name, "netblock \"%s\" is refused", t[i].in);
		CHECK(t[i].key ? r == 1 && eqb(&k, t[i].key, strlen(t[i].key)) : r == 0 && why != 0, name);
		str_free(&k);
	}
	{
		/* round trip: every address tcpserver could print parses back to itself */
		/* tcpserver compresses the longest zero run, even one group, the first on a tie */
		static const struct { const char *in, *out; } ips[] = {
			{ "::1", "::1" }, { "2001:db8::5", "2001:db8::5" }, { "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
			{ "1::", "1::" }, { "::2:0:0:3", "::2:0:0:3" }, { "1:0:0:2:0:0:0:3", "1:0:0:2::3" },
			{ "a:b:c:d:e:f:0:1", "a:b:c:d:e:f::1" }, { "0:1:2:3:4:5:6:7", "::1:2:3:4:5:6:7" },
			{ "1:0:0:2:3:0:0:4", "1::2:3:0:0:4" }, { "::ffff:10.0.0.1", "::ffff:10.0.0.1" },
		};
		for (i = 0; i < sizeof ips / sizeof ips[0]; i++) {
			unsigned char ip[16];
			struct str k = STR_INIT;
			int r = ip6_scan(ips[i].in, strlen(ips[i].in), ip) && ip6_text(&k, ip);
			snprintf(name, sizeof name, "IPv6 %s is written %s", ips[i].in, ips[i].out);
			CHECK(r && eqb(&k, ips[i].out, strlen(ips[i].out)), name);
			str_free(&k);
		}
	}
}

static void test_smtpaccess(void)
{
	/* values as tcprules 0.88 writes them for the same rules */
	static const struct { const char *in; const char *key; const char *val; size_t vlen; } t[] = {
		{ "127.0.0.1\tallow", "127.0.0.1", "", 0 },
		{ "127.0.0.1\tallow,RELAYCLIENT", "127.0.0.1", "+RELAYCLIENT=\0", 14 },
		{ "10\tallow,RELAYCLIENT=\"\",BLOCK=\"550 go away\"", "10.", "+RELAYCLIENT=\0+BLOCK=550 go away\0", 33 },
		{ "10.1 allow , A=1 , B", "10.1.", "+A=1\0+B=\0", 9 },
		{ "*\tdeny", "", "D\0", 2 },
		{ "::1\tallow,X=y", "::1", "+X=y\0", 5 },
		{ "1.2.3.4\tdeny,A", 0, 0, 0 }, { "1.2.3.4\tpermit", 0, 0, 0 }, { "1.2.3.4", 0, 0, 0 },
		{ "1.2.3.4\tallow,A=1,A=2", 0, 0, 0 }, { "1.2.3.4\tallow,1A", 0, 0, 0 },
		{ "1.2.3.4\tallow,A=\"x", 0, 0, 0 }, { "1.2.3.4\tallow,A=x\"y\"", 0, 0, 0 },
		{ "1.2.3.4\tallow,A=\"a\tb\"", 0, 0, 0 }, { "1.2.3.4\tallow,", 0, 0, 0 },
		{ "1.2.3.4\tallow A", 0, 0, 0 }, { "1.2.3.4\tallow,A-B", 0, 0, 0 }, { "x\tallow", 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct str k = STR_INIT, v = STR_INIT;
		const char *why = 0;
		int r = cp_smtpaccess(t[i].in, strlen(t[i].in), &k, &v, &why);
		snprintf(name, sizeof name, "smtpaccess line %zu %s", i, t[i].key ? "gives tcprules' record" : "is refused");
		if (t[i].key)
			CHECK(r == 1 && eqb(&k, t[i].key, strlen(t[i].key)) && eqb(&v, t[i].val, t[i].vlen), name);
		else
			CHECK(r == 0 && why, name);
		str_free(&k);
		str_free(&v);
	}
}

/* the fake file system for :include: */
static const struct { const char *path, *text; } files[] = {
	{ "/lists/staff", "alice@example.com,\n  bob\n# comment\ncarol@example.org\n" },
	{ "/lists/all", ":include:/lists/staff, dave\n" },
	{ "/lists/loop", ":include:/lists/loop\n" },
	{ "/lists/bad", "ok@x\nbad address\n" },
};
static int fake_errors;

/* fake_include - a cp_include_fn over the table above */
static int fake_include(void *arg, const char *path, struct str *out)
{
	size_t i;
	(void)arg;
	for (i = 0; i < sizeof files / sizeof files[0]; i++)
		if (strcmp(files[i].path, path) == 0)
			return str_copys(out, files[i].text) ? 1 : -1;
	if (strcmp(path, "/lists/eio") == 0) {
		fake_errors++;
		errno = EIO;
		return -1;
	}
	return 0;
}

static void test_aliases(void)
{
	static const struct { const char *in; const char *key; const char *val; size_t vlen; } t[] = {
		{ "postmaster: root", "postmaster", "root", 5 },
		{ "Info@Example.COM : a@b.c ,  d", "info@example.com", "a@b.c\0d", 8 },
		{ "x: |/usr/bin/prog -a b", "x", "|/usr/bin/prog -a b", 20 },
		{ "x: \"|/bin/p a,b\", y", "x", "|/bin/p a,b\0y", 14 },
		{ "x: /home/u/Maildir/", "x", "/home/u/Maildir/", 17 },
		{ "@Virt.Example: joe", "@virt.example", "joe", 4 },
		{ "staff: :include:/lists/staff", "staff", "alice@example.com\0bob\0carol@example.org", 40 },
		{ "all: :include: /lists/all, eve", "all", "alice@example.com\0bob\0carol@example.org\0dave\0eve", 49 },
		{ "x", 0, 0, 0 }, { ": y", 0, 0, 0 }, { "x:", 0, 0, 0 }, { "x: a,", 0, 0, 0 },
		{ "x: a,,b", 0, 0, 0 }, { "x: a b", 0, 0, 0 }, { "x: /home/u/mbox", 0, 0, 0 },
		{ "x: /home/../etc/", 0, 0, 0 }, { "x: |", 0, 0, 0 }, { "x: \"a", 0, 0, 0 },
		{ "@dom.example: a, b", 0, 0, 0 }, { "@dom.example: a@b.c", 0, 0, 0 },
		{ "@dom.example: |prog", 0, 0, 0 }, { "@-bad: a", 0, 0, 0 }, { "a b: c", 0, 0, 0 },
		{ "x: :include:relative", 0, 0, 0 }, { "x: :include:/lists/missing", 0, 0, 0 },
		{ "x: :include:/lists/loop", 0, 0, 0 }, { "x: :include:/lists/bad", 0, 0, 0 },
		{ "x: a\"b", 0, 0, 0 }, { "x: \"a\" b", 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct str k = STR_INIT, v = STR_INIT;
		struct cp_alias_err err;
		int r;
		err.file = (struct str)STR_INIT;
		r = cp_alias(t[i].in, strlen(t[i].in), &k, &v, fake_include, 0, &err);
		snprintf(name, sizeof name, "alias \"%s\" %s", t[i].in, t[i].key ? "gives its key and targets" : "is refused");
		if (t[i].key)
			CHECK(r == 1 && eqb(&k, t[i].key, strlen(t[i].key)) && eqb(&v, t[i].val, t[i].vlen), name);
		else
			CHECK(r == 0 && err.why && v.len == 0, name);
		str_free(&k);
		str_free(&v);
		str_free(&err.file);
	}
	{
		struct str k = STR_INIT, v = STR_INIT;
		struct cp_alias_err err;
		err.file = (struct str)STR_INIT;
		CHECK(cp_alias("x: :include:/lists/bad", 22, &k, &v, fake_include, 0, &err) == 0 &&
		      str_equals(&err.file, "/lists/bad") && err.line == 2, "alias: an error in an included file names that file and line");
		CHECK(cp_alias("x: :include:/lists/eio", 22, &k, &v, fake_include, 0, &err) == 0 && err.sys == 1 &&
		      fake_errors == 1, "alias: an unreadable included file is a system error");
		CHECK(cp_alias("x: :include:/lists/missing", 26, &k, &v, fake_include, 0, &err) == 0 && err.sys == 0,
		      "alias: a missing included file is bad input");
		CHECK(cp_alias("x: :include:/lists/staff", 24, &k, &v, 0, 0, &err) == 0,
		      "alias: :include: without a reader is refused");
		str_free(&k);
		str_free(&v);
		str_free(&err.file);
	}
}

static void test_src(void)
{
	static const struct { const char *in; int skip; } t[] = {
		{ "aliases", 0 }, { "local-lists", 0 }, { "10-system", 0 },
		{ ".hidden", 1 }, { "aliases~", 1 }, { "#aliases#", 1 }, { ".aliases.swp", 1 }, { "aliases.swp", 1 },
		{ "aliases.dpkg-old", 1 }, { "aliases.dpkg-dist", 1 }, { "aliases.rpmnew", 1 }, { "aliases.rpmsave", 1 },
		{ "aliases.bak", 1 }, { "aliases.orig", 1 }, { "aliases.tmp", 1 }, { "a~b", 1 }, { "#x", 0 },
	};
	struct ctlsrc s;
	const char *file;
	unsigned long line;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(name, sizeof name, "source name \"%s\" is %s", t[i].in, t[i].skip ? "skipped" : "read");
		CHECK(ctlsrc_skip(t[i].in) == t[i].skip, name);
	}
	memset(&s, 0, sizeof s);
	s.data = "";
	CHECK(ctlsrc_add(&s, "one", "a\nb\nc", 5) && ctlsrc_add(&s, "two", "x\ny\n", 4) &&
	      ctlsrc_add(&s, "three", "", 0) && ctlsrc_add(&s, "four", "z\n", 2), "source: files are joined");
	CHECK(s.text.len == 6 + 4 + 2 && memcmp(s.text.s, "a\nb\nc\nx\ny\nz\n", 12) == 0,
	      "source: a file without a final newline gets one");
	ctlsrc_where(&s, 4, &file, &line);
	CHECK(strcmp(file, "one") == 0 && line == 3, "source: offset 4 is one:3");
	ctlsrc_where(&s, 8, &file, &line);
	CHECK(strcmp(file, "two") == 0 && line == 2, "source: offset 8 is two:2");
	ctlsrc_where(&s, 10, &file, &line);
	CHECK(strcmp(file, "four") == 0 && line == 1, "source: an empty file does not shift the map");
	ctlsrc_free(&s);
}

/* same - 1 if a and b hold the same bytes */
static int same(const struct str *a, const struct str *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
}

/* test_alias_quick - cp_alias and cp_alias_key against their plain
 * versions on lines made by changing good ones a byte at a time: the
 * same result, reason, key and targets */
static void test_alias_quick(void)
{
	static const char *const base[] = {
		"Alias1@Bench1.example: user1@bench1.example, other1@elsewhere.example",
		"a.b-c@x-y.z :\t\"|prog arg\", /m/d/, u@v.w ,x@y",
		"@dom.example: user",
		"x: y@z, a-@b.c",
		/* labels of 63 bytes and a local part of 64: one more is too long */
		"x@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example: "
		"y@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.c-d",
		"llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll@d.e: "
		"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm@f",
	};
	static const char alter[] = "@:,. \t\"|/-_aZ09!\x01\x80";
	struct str k1 = STR_INIT, k2 = STR_INIT, v1 = STR_INIT, v2 = STR_INIT;
	struct cp_alias_err e1, e2;
	char line[256], label[400];
	size_t b, pos, k, bad = 0, tried = 0, accepted = 0;

	e1.file = (struct str)STR_INIT;
	e2.file = (struct str)STR_INIT;
	for (b = 0; b < sizeof base / sizeof base[0]; b++) {
		size_t n = strlen(base[b]);
		for (pos = 0; pos <= n; pos++) {
			for (k = 0; k < sizeof alter - 1 + 3; k++) {
				const char *w1 = 0, *w2 = 0;
				size_t m = n;
				int r1, r2, q1, q2;

				memcpy(line, base[b], n);
				if (k < sizeof alter - 1 && pos < n) {
					line[pos] = alter[k];
				} else if (k < sizeof alter - 1) {
					line[m++] = alter[k];
				} else if (k == sizeof alter - 1 && pos < n) {
					memmove(line + pos, line + pos + 1, n - pos - 1);
					m--;
				} else if (k == sizeof alter) {
					m = pos;
				} else {
					memmove(line + pos + 1, line + pos, n - pos);	/* insert one */
					line[pos] = 'x';
					m++;
				}
				q1 = cp_alias_key(line, m, &k1, &w1);
				q2 = cp_alias_key_plain(line, m, &k2, &w2);
				v1.len = v2.len = 0;
				r1 = cp_alias(line, m, &k1, &v1, 0, 0, &e1);
				r2 = cp_alias_plain(line, m, &k2, &v2, 0, 0, &e2);
				tried++;
				accepted += r1 == 1;
				if (q1 != q2 || (!q1 && strcmp(w1, w2) != 0) || r1 != r2 ||
				    (!r1 && strcmp(e1.why, e2.why) != 0) || (r1 && !(same(&k1, &k2) && same(&v1, &v2)))) {
					if (!bad++) {
						snprintf(label, sizeof label, "quick and plain alias parsing differ on '%.*s': %d %s / %d %s",
							 (int)m, line, r1, r1 ? "" : e1.why, r2, r2 ? "" : e2.why);
						CHECK(0, label);
					}
				}
			}
		}
	}
	snprintf(label, sizeof label, "quick and plain alias parsing agree on %zu changed lines (%zu accepted)", tried, accepted);
	CHECK(bad == 0 && accepted > 100 && accepted < tried, label);
	str_free(&k1);
	str_free(&k2);
	str_free(&v1);
	str_free(&v2);
	str_free(&e1.file);
	str_free(&e2.file);
}

int main(void)
{
	test_domains();
	test_split();
	test_hosted();
	test_netblocks();
	test_smtpaccess();
	test_aliases();
	test_alias_quick();
	test_src();
	return test_done();
}
