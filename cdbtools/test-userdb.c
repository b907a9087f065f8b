/* test-userdb - the userdb source parser on tables of good and bad lines
 * and records, the public/shadow split, and lookups with userdb_field. */
#include <string.h>
#include "str.h"
#include "test.h"
#include "userdb.h"
#include "userdb-parse.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_lines(void)
{
	static const struct { const char *in; int want; const char *addr, *rec; } t[] = {
		{ "", 0, 0, 0 },
		{ "   \t", 0, 0, 0 },
		{ "# comment", 0, 0, 0 },
		{ "  # indented comment", 0, 0, 0 },
		{ "a@b\tuid=1|gid=2|home=/h", 1, "a@b", "uid=1|gid=2|home=/h" },
		{ "a@b \t uid=1\r", 1, "a@b", "uid=1" },
		{ "a@b\tgecos=John Doe  ", 1, "a@b", "gecos=John Doe" },
		{ "plain\tuid=1", 1, "plain", "uid=1" },
		{ " a@b\tuid=1", -1, 0, 0 },
		{ "a@b", -1, 0, 0 },
		{ "a@b\t\t", -1, 0, 0 },
		{ "a|b\tuid=1", -1, 0, 0 },
		{ "a\x01" "b\tuid=1", -1, 0, 0 },
		{ "a\x7f" "b\tuid=1", -1, 0, 0 },
	};
	size_t i;
	char name[120];

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct udb_line l;
		const char *why = 0;
		int r = udb_parse_line(t[i].in, strlen(t[i].in), &l, &why);

		snprintf(name, sizeof name, "parse line %zu gives %d", i, t[i].want);
		if (!CHECK(r == t[i].want, name) || r != 1)
			continue;
		snprintf(name, sizeof name, "parse line %zu splits address and record", i);
		CHECK(l.alen == strlen(t[i].addr) && memcmp(l.addr, t[i].addr, l.alen) == 0 &&
		      l.rlen == strlen(t[i].rec) && memcmp(l.rec, t[i].rec, l.rlen) == 0, name);
	}
	{
		struct udb_line l;
		const char *why = 0;
		CHECK(udb_parse_line("a\0b\tuid=1", 9, &l, &why) == -1 && why, "NUL in a line is refused");
		CHECK(udb_parse_line("a\nb\tuid=1", 9, &l, &why) == -1, "newline in a line is refused");
	}
	{
		static char big[UDB_ADDR_MAX + 10];
		struct udb_line l;
		const char *why = 0;
		memset(big, 'a', sizeof big);
		memcpy(big + UDB_ADDR_MAX, "\tuid=1", 6);
		CHECK(udb_parse_line(big, UDB_ADDR_MAX + 6, &l, &why) == 1, "254-byte address is accepted");
		memcpy(big + UDB_ADDR_MAX, "a\tuid=1", 7);
		CHECK(udb_parse_line(big, UDB_ADDR_MAX + 7, &l, &why) == -1, "255-byte address is refused");
	}
}

/* test_next_line - udb_next_line on lines of every length to 48 with an
 * odd byte (control characters, TAB, DEL, '|', high bytes) at each place,
 * followed by a newline and more or by nothing: the length and the
 * cleanness a byte-by-byte scan finds */
static void test_next_line(void)
{
	static const char odd[] = { '\t', 0x01, 0x1f, 0, '\r', 0x7f, '|', ' ', (char)0x80, (char)0xff };
	char buf[48 + 1 + 20];
	size_t len, at, k, tail, bad = 0, tried = 0;

	for (len = 0; len <= 48; len++)
		for (at = 0; at <= len; at++)
			for (k = 0; k < sizeof odd; k++)
				for (tail = 0; tail < 2; tail++) {
					size_t avail = tail ? len + 1 + 20 : len, n = 0, want, i;
					int clean = 1, got;
					memset(buf, 'a', sizeof buf);
					if (at < len)
						buf[at] = odd[k];
					buf[len] = '\n';
					for (want = 0; want < avail && buf[want] != '\n'; want++)
						if ((unsigned char)buf[want] < 0x20 && buf[want] != '\t')
							clean = 0;
					got = udb_next_line(buf, avail, &n);
					for (i = 0; i < avail; i++)	/* unchanged input */
						if (buf[i] != (i == len ? '\n' : i == at ? odd[k] : 'a'))
							bad++;
					if (n != want || got != clean)
						bad++;
					tried++;
				}
	CHECK(bad == 0 && tried > 1000, "udb_next_line finds the end and the control characters as a byte scan does");
}

/* parse_agree - 1 if udb_parse_clean gives udb_parse_line's answer on the clean line s[0..n) */
static int parse_agree(const char *s, size_t n)
{
	struct udb_line a, b;
	const char *wa = 0, *wb = 0;
	int ra = udb_parse_line(s, n, &a, &wa), rb = udb_parse_clean(s, n, &b, &wb);

	if (ra != rb)
		return 0;
	if (ra < 0)
		return wa && wb && strcmp(wa, wb) == 0;
	return ra == 0 || (a.addr == b.addr && a.alen == b.alen && a.rec == b.rec && a.rlen == b.rlen &&
			   a.clean == b.clean);
}

/* test_parse_clean - udb_parse_clean and udb_parse_line agree on clean
 * lines: the table above, and addresses of 1 to 260 bytes with '|', DEL,
 * a blank, '#' or an upper-case letter at each place */
static void test_parse_clean(void)
{
	static const char odd[] = { '|', 0x7f, ' ', '\t', '#', 'Q', (char)0x80 };
	static const char *lines[] = { "", "   \t", "# c", "a@b\tuid=1|gid=2|home=/h", "a@b \t uid=1",
		"a@b\tgecos=John Doe  ", " a@b\tuid=1", "a@b", "a@b\t\t", "a|b\tuid=1", "a\177b\tuid=1" };
	char buf[260 + 32];
	size_t len, at, k, bad = 0, tried = 0;

	for (k = 0; k < sizeof lines / sizeof lines[0]; k++, tried++)
		if (!parse_agree(lines[k], strlen(lines[k])))
			bad++;
	for (len = 1; len <= 260; len++)
		for (at = 0; at < len; at++)
			for (k = 0; k < sizeof odd; k++) {
				memset(buf, 'a', len);
				buf[at] = odd[k];
				memcpy(buf + len, "\tuid=1|gid=1|home=/h", 20);
				if (!parse_agree(buf, len + 20))
					bad++;
				tried++;
			}
	CHECK(bad == 0 && tried > 10000, "udb_parse_clean agrees with udb_parse_line on clean lines");
}

static void test_records(void)
{
	static const struct { const char *in; int want; const char *pub, *shadow, *why; } t[] = {
		{ "uid=1000|gid=100|home=/home/a", 1, "uid=1000|gid=100|home=/home/a", "", 0 },
		{ "uid=1000|systempw=$argon2id$v=19$m=65536,t=2,p=1$x$y|gid=100|home=/h|imappw=z",
		  1, "uid=1000|gid=100|home=/h", "systempw=$argon2id$v=19$m=65536,t=2,p=1$x$y|imappw=z", 0 },
		{ "uid=1|gid=1|home=/h|hmac-md5pw=" H64, 1, "uid=1|gid=1|home=/h", "hmac-md5pw=" H64, 0 },
		{ "uid=1|gid=1|home=/h|quota=1000S", 1, "uid=1|gid=1|home=/h|quota=1000S", "", 0 },
		{ "uid=1|gid=1|home=/h|quota=1000S,20C", 1, 0, 0, 0 },
		{ "uid=1|gid=1|home=/h|quota=20C,1000S", 1, 0, 0, 0 },
		{ "uid=1|gid=1|home=/h|quota=20C", 1, 0, 0, 0 },
		{ "uid=1|gid=1|home=/h|options", 1, "uid=1|gid=1|home=/h|options", "", 0 },
		{ "uid=1|gid=1|home=/h|mail=/h/Maildir|shell=/bin/sh|gecos=A B", 1, 0, 0, 0 },
		{ "uid=4294967294|gid=0|home=/", 1, 0, 0, 0 },
		{ "gid=1|home=/h", 0, 0, 0, "required field uid missing" },
		{ "uid=1|home=/h", 0, 0, 0, "required field gid missing" },
		{ "uid=1|gid=1", 0, 0, 0, "required field home missing" },
		{ "uid=x|gid=1|home=/h", 0, 0, 0, "uid is not a number" },
		{ "uid=root|gid=1|home=/h", 0, 0, 0, "uid is not a number" },
		{ "uid=-1|gid=1|home=/h", 0, 0, 0, "uid is not a number" },
		{ "uid=|gid=1|home=/h", 0, 0, 0, "uid is not a number" },
		{ "uid=4294967295|gid=1|home=/h", 0, 0, 0, "uid is not a number" },
		{ "uid=99999999999999999999999|gid=1|home=/h", 0, 0, 0, "uid is not a number" },
		{ "uid=0|gid=1|home=/h", 0, 0, 0, "uid 0 is not allowed" },
		{ "uid=1|gid=1x|home=/h", 0, 0, 0, "gid is not a number" },
		{ "uid=1|gid=1|home=h", 0, 0, 0, "home is not an absolute path" },
		{ "uid=1|gid=1|home=", 0, 0, 0, "home is not an absolute path" },
		{ "uid=1|gid=1|home=/h|uid=2", 0, 0, 0, "duplicate field" },
		{ "uid=1|gid=1|home=/h||", 0, 0, 0, "empty field" },
		{ "uid=1|gid=1|home=/h|", 0, 0, 0, "empty field" },
		{ "uid=1|gid=1|home=/h|=x", 0, 0, 0, "empty field name" },
		{ "uid=1|gid=1|home=/h|1x=y", 0, 0, 0, "field name must start with a letter" },
		{ "uid=1|gid=1|home=/h|a b=y", 0, 0, 0, "invalid character in field name" },
		{ "uid=1|gid=1|home=/h|quota=", 0, 0, 0, "quota is not NNNS[,NNNC]" },
		{ "uid=1|gid=1|home=/h|quota=100", 0, 0, 0, "quota is not NNNS[,NNNC]" },
		{ "uid=1|gid=1|home=/h|quota=S", 0, 0, 0, "quota is not NNNS[,NNNC]" },
		{ "uid=1|gid=1|home=/h|quota=10S,20S", 0, 0, 0, "quota is not NNNS[,NNNC]" },
		{ "uid=1|gid=1|home=/h|quota=10S,", 0, 0, 0, "quota is not NNNS[,NNNC]" },
		{ "uid=1|gid=1|home=/h|quota=10s", 0, 0, 0, "quota is not NNNS[,NNNC]" },
		{ "uid=1|gid=1|home=/h|quota=10S,2C,3C", 0, 0, 0, "quota is not NNNS[,NNNC]" },
		{ "uid=1|gid=1|home=/h|mail=", 0, 0, 0, "mail is empty" },
		{ "uid=1|gid=1|home=/h|hmac-md5pw=abc", 0, 0, 0, "hmac-md5pw is not 64 lower-case hex digits" },
		{ "uid=1|gid=1|home=/h|gecos=a\x01z", 0, 0, 0, "control character in field value" },
		{ "", 0, 0, 0, "no fields" },
	};
	struct str pub = STR_INIT, sh = STR_INIT;
	size_t i;
	char name[160];

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *why = 0;
		int r = udb_record(t[i].in, strlen(t[i].in), &pub, &sh, &why);

		snprintf(name, sizeof name, "record %zu (%.40s) gives %d", i, t[i].in, t[i].want);
		CHECK(r == t[i].want, name);
		if (t[i].why) {
			snprintf(name, sizeof name, "record %zu reason is '%s'", i, t[i].why);
			CHECK(why && strcmp(why, t[i].why) == 0, name);
		}
		if (t[i].pub) {
			snprintf(name, sizeof name, "record %zu public and shadow split", i);
			CHECK(pub.len == strlen(t[i].pub) && memcmp(pub.s, t[i].pub, pub.len) == 0 &&
			      sh.len == strlen(t[i].shadow) && (sh.len == 0 || memcmp(sh.s, t[i].shadow, sh.len) == 0), name);
		}
	}
	str_free(&pub);
	str_free(&sh);
}

/* same - 1 if a and b hold the same bytes */
static int same(const struct str *a, const struct str *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
}

/* span_is - 1 if span sp holds the bytes of str want */
static int span_is(const struct udb_span *sp, const struct str *want)
{
	return sp->n == want->len && (sp->n == 0 || memcmp(sp->s, want->s, sp->n) == 0);
}

/* spans_agree - 1 if udb_record_spans on rec[0..m) gives the plain path's
 * answer r (reason w, parts p and sh), told the record is clean or not
 * when it holds no control character but TAB, and points into rec for a
 * part exactly when that part is not in its str */
static int spans_agree(const char *rec, size_t m, int r, const char *w, const struct str *p,
		       const struct str *sh, struct str *p3, struct str *s3)
{
	int clean, ctl = 0;
	size_t i;

	for (i = 0; i < m; i++)
		if ((unsigned char)rec[i] < 0x20 && rec[i] != '\t')
			ctl = 1;
	for (clean = 0; clean < (ctl ? 1 : 2); clean++) {	/* "clean" only when true */
		struct udb_span ps = { 0, 0 }, ss = { 0, 0 };
		const char *w3 = 0;
		int r3 = udb_record_spans(rec, m, clean, p3, s3, &ps, &ss, &w3);

		if (r3 != r || (r == 0 && strcmp(w3, w) != 0))
			return 0;
		if (r == 1 && !(span_is(&ps, p) && span_is(&ss, sh)))
			return 0;
		if (r == 1 && ((ps.n && ps.s != p3->s && (ps.s < rec || ps.s + ps.n > rec + m)) ||
			       (ss.n && ss.s != s3->s && (ss.s < rec || ss.s + ss.n > rec + m))))
			return 0;
	}
	return 1;
}

/* test_spans - a part that is one run of the record is pointed to, others are copied */
static void test_spans(void)
{
	static const char run[] = "uid=1|gid=2|home=/h|systempw=x|imappw=y";
	static const char split[] = "uid=1|systempw=x|gid=2|home=/h|imappw=y";
	struct str p = STR_INIT, sh = STR_INIT;
	struct udb_span ps, ss;
	const char *why = 0;

	CHECK(udb_record_spans(run, sizeof run - 1, 1, &p, &sh, &ps, &ss, &why) == 1 &&
	      ps.s == run && ps.n == 19 && ss.s == run + 20 && ss.n == 19, "parts in one run each are spans of the record");
	CHECK(udb_record_spans(split, sizeof split - 1, 1, &p, &sh, &ps, &ss, &why) == 1 &&
	      ps.s == p.s && ps.n == 19 && memcmp(ps.s, "uid=1|gid=2|home=/h", 19) == 0 &&
	      ss.s == sh.s && ss.n == 19 && memcmp(ss.s, "systempw=x|imappw=y", 19) == 0,
	      "split parts are copied in source order");
	CHECK(udb_record_spans("uid=1|gid=2|home=/h", 19, 1, &p, &sh, &ps, &ss, &why) == 1 && ss.n == 0,
	      "no password fields: an empty shadow span");
	str_free(&p);
	str_free(&sh);
}

/* test_password_names - the quick path's "pw" suffix rule agrees with userdb_is_password_field */
static void test_password_names(void)
{
	static const char *const names[] = {
		"systempw", "imappw", "pop3pw", "esmtppw", "hmac-md5pw", "pw", "p", "w", "xpw", "apw",
		"pwx", "Pw", "pW", "home", "uid", "systempwd", "sPW", "mypw", "a-pw", "a_pw",
	};
	struct str p = STR_INIT, sh = STR_INIT;
	char rec[128], name[160];
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct udb_span ps, ss;
		const char *why = 0;
		const char *v = strcmp(names[i], "hmac-md5pw") == 0 ? H64 : "1";
		int n = snprintf(rec, sizeof rec, "uid=1|gid=1|home=/h|%s=%s", names[i], v);
		int r = udb_record_spans(rec, (size_t)n, 1, &p, &sh, &ps, &ss, &why);
		int pw = userdb_is_password_field(names[i], strlen(names[i]));

		if (strcmp(names[i], "uid") == 0 || strcmp(names[i], "home") == 0)
			continue;	/* duplicates */
		snprintf(name, sizeof name, "field %s goes to the %s part", names[i], pw ? "shadow" : "public");
		CHECK(r == 1 && (pw ? ss.n == strlen(names[i]) + 1 + strlen(v) : ss.n == 0), name);
	}
	str_free(&p);
	str_free(&sh);
}

/* test_quick_path - udb_record against udb_record_plain on records made by
 * changing good ones a byte at a time: same result, same reason, same split */
static void test_quick_path(void)
{
	static const char *const base[] = {
		"uid=1000|gid=100|home=/home/a|mail=/home/a/Maildir|quota=100S,10C|systempw=$x$y",
		"uid=1|gid=1|home=/h|hmac-md5pw=" H64 "|options|gecos=A\tB",
		"gid=2|uid=3|home=/|imappw=p|quota=20C",
		/* password fields between public ones, and names near the "pw" rule */
		"systempw=a|uid=9|pw=1|gid=9|xpw|home=/h|pop3pw=b|w=2|mail=/m|quota=1C,22S|esmtppw=c",
		"uid=00000000000000000001|gid=4294967294|home=/h|quota=18446744073709551615S",
	};
	/* the bytes that move a record across the quick path's decisions */
	static const char alter[] = "|=/0189aAzZS,C-_.\t\x01\x7f\x80 p";
	struct str p1 = STR_INIT, s1 = STR_INIT, p2 = STR_INIT, s2 = STR_INIT, p3 = STR_INIT, s3 = STR_INIT;
	char rec[256], name[300];
	size_t b, pos, k, bad = 0, tried = 0, accepted = 0;

	for (b = 0; b < sizeof base / sizeof base[0]; b++) {
		size_t n = strlen(base[b]);
		for (pos = 0; pos <= n; pos++) {
			for (k = 0; k < sizeof alter - 1 + 3; k++) {
				const char *w1 = 0, *w2 = 0;
				size_t m;
				int r1, r2;

				memcpy(rec, base[b], n);
				m = n;
				if (k < sizeof alter - 1 && pos < n) {
					rec[pos] = alter[k];			/* replace a byte */
				} else if (k < sizeof alter - 1) {
					rec[m++] = alter[k];			/* append one */
				} else if (k == sizeof alter - 1 && pos < n) {
					memmove(rec + pos, rec + pos + 1, n - pos - 1);	/* delete one */
					m--;
				} else if (k == sizeof alter) {
					m = pos;				/* cut the record short */
				} else {
					memmove(rec + pos + 1, rec + pos, n - pos);	/* insert one */
					rec[pos] = '7';
					m++;
				}
				r1 = udb_record(rec, m, &p1, &s1, &w1);
				r2 = udb_record_plain(rec, m, &p2, &s2, &w2);
				tried++;
				accepted += r1 == 1;
				if (r1 != r2 || (r1 == 0 && strcmp(w1, w2) != 0) ||
				    (r1 == 1 && !(same(&p1, &p2) && same(&s1, &s2))) ||
				    !spans_agree(rec, m, r2, w2, &p2, &s2, &p3, &s3)) {
					if (!bad++) {
						snprintf(name, sizeof name, "quick and plain paths differ on '%.*s': %d %s / %d %s",
							 (int)m, rec, r1, r1 ? "" : w1, r2, r2 ? "" : w2);
						CHECK(0, name);
					}
				}
			}
		}
	}
	snprintf(name, sizeof name, "quick and plain paths agree on %zu changed records (%zu accepted)", tried, accepted);
	CHECK(bad == 0 && accepted > 100 && accepted < tried, name);
	str_free(&p1);
	str_free(&s1);
	str_free(&p2);
	str_free(&s2);
	str_free(&p3);
	str_free(&s3);
}

static void test_misc(void)
{
	struct str k = STR_INIT, v = STR_INIT;
	static const char rec[] = "uid=1|gid=2|home=/h|options|mail=/m";

	CHECK(udb_key("Foo.Bar@Example.TEST", 20, &k) && str_equals(&k, "foo.bar@example.test"), "key is lower-cased");
	CHECK(userdb_field(rec, sizeof rec - 1, "home", &v) == 1 && str_equals(&v, "/h"), "userdb_field finds home");
	CHECK(userdb_field(rec, sizeof rec - 1, "mail", &v) == 1 && str_equals(&v, "/m"), "userdb_field finds the last field");
	CHECK(userdb_field(rec, sizeof rec - 1, "options", &v) == 1 && v.len == 0, "bare field is empty");
	CHECK(userdb_field(rec, sizeof rec - 1, "shell", &v) == 0, "absent field");
	CHECK(userdb_is_password_field("systempw", 8) && userdb_is_password_field("hmac-md5pw", 10) &&
	      !userdb_is_password_field("home", 4), "password field names");
	str_free(&k);
	str_free(&v);
}

int main(void)
{
	test_lines();
	test_next_line();
	test_parse_clean();
	test_records();
	test_quick_path();
	test_spans();
	test_password_names();
	test_misc();
	return test_done();
}
