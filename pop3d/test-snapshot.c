/*
 * test-snapshot - the session list over a scratch maildir: natural order
 * of unique names, new/ moved to cur/, sizes counted then taken from the
 * cache, a damaged cache rebuilt, a renamed message found again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "snapshot.h"
#include "test.h"

/* putb - write a file with the n bytes of s */
static void putb(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0) {
		(void)!write(fd, s, n);
		close(fd);
	}
}

/* put - write a file with the C string s */
static void put(const char *path, const char *s)
{
	putb(path, s, strlen(s));
}

static const struct { int cmp; const char *a, *b; } order[] = {
	{ -1, "1700000000.M45P1.h", "1700000000.M123P1.h" },
	{ -1, "999999999.M1P1.h", "1000000000.M1P1.h" },
	{ 0, "17.a", "17.a" },
	{ -1, "17.a", "17.b" },
	{ -1, "17", "17.a" },
	{ -1, "017", "17" },	/* equal by value: the bytes decide */
	{ 1, "x", "17" },
};

int main(void)
{
	char dir[] = "/tmp/test-snapshot.XXXXXX";
	struct snapshot s;
	size_t i, n;
	char name[64];
	const char *u;

	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		int c = snapshot_uidcmp(order[i].a, strlen(order[i].a), order[i].b, strlen(order[i].b));
		int r = snapshot_uidcmp(order[i].b, strlen(order[i].b), order[i].a, strlen(order[i].a));
		snprintf(name, sizeof name, "uidcmp-%zu", i);
		CHECK((c > 0) - (c < 0) == order[i].cmp && (r > 0) - (r < 0) == -order[i].cmp, name);
	}

	if (!mkdtemp(dir) || chdir(dir) || mkdir("new", 0700) || mkdir("cur", 0700) || mkdir("tmp", 0700)) {
		CHECK(0, "scratch-maildir");
		return test_done();
	}
	put("new/1700000000.M123P9.h", "Subject: c\n\nthree\n");
	put("new/1700000000.M45P9.h", "Subject: b\n\ntwo");
	put("cur/1600000000.M1P1.h:2,S", "Subject: a\r\n\r\none\r\n");
	put("new/.hidden", "x");

	memset(&s, 0, sizeof s);
	CHECK(snapshot_load(&s, 1) == 1, "load");
	CHECK(s.n == 3, "count-skips-dotfiles");
	CHECK(access("new/1700000000.M45P9.h", F_OK) && !access("cur/1700000000.M45P9.h:2,", F_OK), "moved-to-cur");
	u = snapshot_uid(&s, 0, &n);
	CHECK(n == 17 && !memcmp(u, "1600000000.M1P1.h", 17), "order-oldest-first");
	u = snapshot_uid(&s, 1, &n);
	CHECK(n == 18 && !memcmp(u, "1700000000.M45P9.h", 18), "order-natural");
	CHECK(s.m[0].size == 19 && s.m[1].size == 19 && s.m[2].size == 21, "sizes-crlf");
	CHECK(s.total == 59, "total");
	CHECK(s.counted == 3 && s.cached == 0, "first-counted");
	CHECK(!access(SNAPSHOT_CACHE, F_OK), "cache-written");
	snapshot_free(&s);

	CHECK(snapshot_load(&s, 1) == 1 && s.cached == 3 && s.counted == 0, "second-from-cache");
	/* a flag change under us: the message is found under its new name */
	rename("cur/1700000000.M45P9.h:2,", "cur/1700000000.M45P9.h:2,RS");
	CHECK(snapshot_refind(&s, 1) == 1 && !strcmp(snapshot_name(&s, 1), "cur/1700000000.M45P9.h:2,RS"), "refind");
	unlink("cur/1700000000.M45P9.h:2,RS");
	CHECK(snapshot_refind(&s, 1) == 0, "refind-gone");
	snapshot_free(&s);

	CHECK(snapshot_load(&s, 1) == 1 && s.n == 2 && s.cached == 2, "removed-message-dropped");
	snapshot_free(&s);
	{
		static const char bad[] = "Vkurier-pop3sizes 2\0U1600000000.M1P1.h\0Sxyz\0F:2,S";
		putb(SNAPSHOT_CACHE, bad, sizeof bad - 1);
	}
	CHECK(snapshot_load(&s, 1) == 1 && s.n == 2 && s.counted == 2 && s.m[0].size == 19, "damaged-cache-recounted");
	snapshot_free(&s);
	CHECK(snapshot_load(&s, 0) == 1 && s.cached == 2, "damaged-cache-rebuilt");
	snapshot_free(&s);

	/* the listing itself comes from the cache once cur/ has settled */
	{
		struct timespec old[2];
		struct stat st;
		old[0].tv_sec = old[1].tv_sec = time(0) - 100;
		old[0].tv_nsec = old[1].tv_nsec = 0;
		utimensat(AT_FDCWD, "cur", old, 0);
		CHECK(snapshot_load(&s, 1) == 1 && s.n == 2 && s.cached == 2, "settled-listing-written");
		snapshot_free(&s);
		/* a file slipped in while the mtime is put back: the fast path cannot see it */
		put("cur/1800000000.M1P1.h:2,", "Subject: d\n\nfour\n");
		utimensat(AT_FDCWD, "cur", old, 0);
		CHECK(snapshot_load(&s, 1) == 1 && s.n == 2 && s.cached == 2 && s.counted == 0 && s.lazy,
		    "listing-from-cache-without-readdir");
		CHECK(s.total == 40, "lazy-total");
		CHECK(snapshot_ready(&s) == 1 && !s.lazy && s.n == 2 &&
		    !strcmp(snapshot_name(&s, 0), "cur/1600000000.M1P1.h:2,S") &&
		    !strcmp(snapshot_name(&s, 1), "cur/1700000000.M123P9.h:2,") && s.m[1].size == 21,
		    "lazy-list-built");
		snapshot_free(&s);
		/* a summary that does not match its records: refused when built */
		{
			struct str c = STR_INIT;
			int fd = open(SNAPSHOT_CACHE, O_RDONLY);
			char b[4096];
			ssize_t r = fd >= 0 ? read(fd, b, sizeof b) : -1;
			if (fd >= 0)
				close(fd);
			if (r > 0) {
				char *nrec = memmem(b, (size_t)r, "\0N2\0", 4);
				str_copyb(&c, b, (size_t)r);
				if (nrec)
					c.s[nrec - b + 2] = '3';
				putb(SNAPSHOT_CACHE, c.s, c.len);
			}
			str_free(&c);
			CHECK(snapshot_load(&s, 1) == 1 && s.lazy && s.n == 3 && snapshot_ready(&s) == -1,
			    "lazy-summary-mismatch-refused");
			snapshot_free(&s);
		}
		/* the real change of mtime makes it read cur/ again */
		utimensat(AT_FDCWD, "cur", 0, 0);
		CHECK(snapshot_load(&s, 1) == 1 && s.n == 3 && s.counted == 1, "changed-mtime-rereads");
		snapshot_free(&s);
		CHECK(stat("cur", &st) == 0, "stat-cur");
	}

	(void)!system("rm -rf /tmp/test-snapshot.??????");
	return test_done();
}
