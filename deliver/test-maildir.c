/*
 * test-maildir.c - unit test of the Maildir++ module: unique names and
 * their S= sizes, quota and maildirsize parsing, folder names, and, in a
 * scratch directory, delivery, recalculation (.Trash not counted) and
 * the rebuild rules of maildir_quota_check.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "maildir.h"
#include "test.h"

static const struct {
	unsigned long long sec, usec, pid, dev, ino, size;
	const char *host, *want;
} names[] = {
	{ 1700000000, 5, 42, 0x803, 0xa4c3e1, 1234, "mx.example",
	  "1700000000.M5P42V0000000000000803I0000000000A4C3E1.mx.example,S=1234" },
	{ 1, 999999, 1, 0, 0, 0, "a/b:c",
	  "1.M999999P1V0000000000000000I0000000000000000.a\\057b\\072c,S=0" },
	{ 0, 0, 0, 0xffffffffffffffffULL, 1, 18446744073709551615ULL, "h",
	  "0.M0P0VFFFFFFFFFFFFFFFFI0000000000000001.h,S=18446744073709551615" },
};

static const struct {
	const char *name;
	int found;
	unsigned long long size;
} sizes[] = {
	{ "1.M1P1V1I1.host,S=100", 1, 100 },
	{ "1.M1P1V1I1.host,S=100:2,RS", 1, 100 },
	{ "1.M1P1V1I1.host,S=100,W=103:2,S", 1, 100 },
	{ "1.M1P1V1I1.host,W=103,S=7:2,", 1, 7 },
	{ "1.M1P1V1I1.host", 0, 0 },
	{ "1.M1P1V1I1.host,S=", 0, 0 },
	{ "1.M1P1V1I1.host,S=12x", 0, 0 },
	{ "1.host:2,S=55", 0, 0 },	/* flags are not the size */
	{ "1.host,S=99999999999999999999999", 0, 0 },
};

static const struct {
	const char *in;
	int ok;
	unsigned long long bytes, count;
} quotas[] = {
	{ "1000S", 1, 1000, 0 },
	{ "50C", 1, 0, 50 },
	{ "1000S,50C", 1, 1000, 50 },
	{ "50C,1000S", 1, 1000, 50 },
	{ "", 1, 0, 0 },
	{ "1000", 0, 0, 0 },
	{ "S", 0, 0, 0 },
	{ "1000S,", 0, 0, 0 },
	{ "1000S,20S", 0, 0, 0 },
	{ "1000X", 0, 0, 0 },
	{ "10 S", 0, 0, 0 },
	{ "99999999999999999999999S", 0, 0, 0 },
};

static const struct {
	const char *in;
	int ok;
	unsigned long long qb, qc;
	long long bytes, count;
} sizefiles[] = {
	{ "1000S\n", 1, 1000, 0, 0, 0 },
	{ "1000S,10C\n100 1\n200 2\n", 1, 1000, 10, 300, 3 },
	{ "1000S\n100 1\n-40 -1\n", 1, 1000, 0, 60, 0 },
	{ "1000S\n  100   1  \n\n", 1, 1000, 0, 100, 1 },
	{ "1000S\n-500 -3\n", 1, 1000, 0, 0, 0 },	/* never below zero */
	{ "1000S\n100 1", 1, 1000, 0, 100, 1 },		/* no final newline */
	{ "1000S\n100\n", 0, 0, 0, 0, 0 },
	{ "1000S\n100 x\n", 0, 0, 0, 0, 0 },
	{ "1000S\n100 1 2\n", 0, 0, 0, 0, 0 },
	{ "junk\n100 1\n", 0, 0, 0, 0, 0 },
	{ "1000S\n9223372036854775807 1\n1 1\n", 0, 0, 0, 0, 0 },	/* overflow */
};

static const struct {
	const char *name;
	int ok;
} folders[] = {
	{ "Work", 1 }, { "A.B", 1 }, { "Sent Items", 1 }, { "Trash", 1 },
	{ "", 0 }, { ".Work", 0 }, { "Work.", 0 }, { "A..B", 0 }, { "..", 0 },
	{ "a/b", 0 }, { "../x", 0 }, { "tab\there", 0 },
};

/* put - write a file of n bytes at path */
static void put(const char *path, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char b[256];

	memset(b, 'x', sizeof b);
	while (fd != -1 && n) {
		size_t k = n > sizeof b ? sizeof b : n;
		if (write(fd, b, k) != (ssize_t)k)
			break;
		n -= k;
	}
	if (fd != -1)
		close(fd);
}

/* slurp - the first line of path, or "" */
static const char *firstline(const char *path)
{
	static char b[256];
	FILE *f = fopen(path, "r");

	b[0] = 0;
	if (f) {
		if (!fgets(b, sizeof b, f))
			b[0] = 0;
		fclose(f);
	}
	b[strcspn(b, "\n")] = 0;
	return b;
}

/* count - regular files in dir */
static int count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	char dir[] = "/tmp/kurier-test-maildir.XXXXXX", p[512], cmd[600];
	struct str s = STR_INIT;
	struct maildir_quota q;
	struct maildir_tmp t;
	long long b, c;
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct maildir_id id = { names[i].sec, names[i].usec, names[i].pid, names[i].dev,
			names[i].ino, names[i].size, names[i].host };
		unsigned long long sz = 0;
		CHECK(maildir_name(&s, &id) && str_equals(&s, names[i].want), names[i].want);
		CHECK(maildir_name_size(s.s, &sz) && sz == names[i].size, "S= of a made name reads back");
	}
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		unsigned long long sz = 0;
		int r = maildir_name_size(sizes[i].name, &sz);
		CHECK(r == sizes[i].found && (!r || sz == sizes[i].size), sizes[i].name);
	}
	for (i = 0; i < sizeof quotas / sizeof quotas[0]; i++) {
		int r = maildir_quota_parse(quotas[i].in, strlen(quotas[i].in), &q);
		char name[80];
		snprintf(name, sizeof name, "quota \"%s\"", quotas[i].in);
		CHECK(r == quotas[i].ok && (!r || (q.bytes == quotas[i].bytes && q.count == quotas[i].count)), name);
		if (r && quotas[i].in[0]) {
			struct maildir_quota q2;
			CHECK(maildir_quota_fmt(&s, &q) && maildir_quota_parse(s.s, s.len, &q2) &&
			    q2.bytes == q.bytes && q2.count == q.count, "quota round trip");
		}
	}
	for (i = 0; i < sizeof sizefiles / sizeof sizefiles[0]; i++) {
		int r = maildir_size_parse(sizefiles[i].in, strlen(sizefiles[i].in), &q, &b, &c);
		char name[120];
		snprintf(name, sizeof name, "maildirsize case %zu", i);
		CHECK(r == sizefiles[i].ok && (!r || (q.bytes == sizefiles[i].qb && q.count == sizefiles[i].qc &&
		    b == sizefiles[i].bytes && c == sizefiles[i].count)), name);
	}
	for (i = 0; i < sizeof folders / sizeof folders[0]; i++)
		CHECK(maildir_folder_ok(folders[i].name) == folders[i].ok, folders[i].name);

	/* on disk */
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return test_done();
	}
	snprintf(p, sizeof p, "%s/M", dir);
	CHECK(maildir_make(p) == 1, "maildir_make");
	CHECK(maildir_make(p) == 1, "maildir_make again keeps it");
	CHECK(maildir_folder_make(p, "Work") == 1, "folder Work");
	CHECK(maildir_folder_make(p, "Trash") == 1, "folder Trash");
	CHECK(maildir_folder_make(p, "../evil") == -1, "folder ../evil refused");
	snprintf(cmd, sizeof cmd, "%s/.Work/maildirfolder", p);
	CHECK(access(cmd, F_OK) == 0, "maildirfolder made");

	CHECK(maildir_tmp_open(&t, p) == 1, "tmp open");
	{
		/* the file being written has its tmp/ name (it may start unnamed) */
		struct stat st;
		snprintf(cmd, sizeof cmd, "%s/tmp/%s", p, t.tmpname.s);
		CHECK(lstat(cmd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
		    (st.st_mode & 07777) == 0600, "the open file is named in tmp/, mode 0600, one link");
		snprintf(cmd, sizeof cmd, "%s/tmp", p);
		CHECK(count(cmd) == 1, "one file in tmp/ while writing");
	}
	CHECK(maildir_tmp_write(&t, "hello\n", 6) == 1 && maildir_commit(&t) == 1, "commit");
	{
		unsigned long long sz = 0;
		struct stat st;
		char got[16];
		int fd;
		ssize_t n = -1;
		CHECK(maildir_name_size(t.name.s, &sz) && sz == 6, "delivered name carries S=6");
		snprintf(cmd, sizeof cmd, "%s/new/%s", p, t.name.s);
		fd = open(cmd, O_RDONLY);
		if (fd != -1) {
			n = read(fd, got, sizeof got);
			close(fd);
		}
		CHECK(n == 6 && memcmp(got, "hello\n", 6) == 0, "the delivered file holds what was written");
		CHECK(lstat(cmd, &st) == 0 && st.st_nlink == 1, "the delivered file has one link (its new/ name)");
	}
	snprintf(cmd, sizeof cmd, "%s/new", p);
	CHECK(count(cmd) == 1, "one file in new/");
	snprintf(cmd, sizeof cmd, "%s/tmp", p);
	CHECK(count(cmd) == 0, "tmp/ empty after commit");
	str_free(&t.name);
	CHECK(maildir_tmp_open(&t, p) == 1, "tmp open for abort");
	maildir_abort(&t);
	CHECK(count(cmd) == 0, "abort leaves tmp/ empty");
	/* a commit that fails after the name is made (no new/) frees the name */
	{
		char nw[600], away[600];
		snprintf(nw, sizeof nw, "%s/new", p);
		snprintf(away, sizeof away, "%s/new-away", p);
		CHECK(maildir_tmp_open(&t, p) == 1 && maildir_tmp_write(&t, "x\n", 2) == 1 &&
		    rename(nw, away) == 0, "tmp open, new/ moved away");
		CHECK(maildir_commit(&t) == -1, "commit without new/ fails");
		CHECK(t.name.s == 0 && t.tmpname.s == 0, "a failed commit holds no memory (the name is freed)");
		CHECK(count(cmd) == 0, "a failed commit leaves tmp/ empty");
		CHECK(rename(away, nw) == 0, "new/ back");
	}

	/* sizes: new 6 (+ one file without S= of 10), .Work/cur 100, .Trash 1000 (not counted) */
	snprintf(cmd, sizeof cmd, "%s/cur/1.M1P1V1I1.h:2,S", p);
	put(cmd, 10);
	snprintf(cmd, sizeof cmd, "%s/.Work/cur/1.M2P1V1I2.h,S=100:2,S", p);
	put(cmd, 3);	/* the S= tag is believed, not the file's size */
	snprintf(cmd, sizeof cmd, "%s/.Trash/cur/1.M3P1V1I3.h,S=1000:2,T", p);
	put(cmd, 1000);
	q.bytes = 200;
	q.count = 0;
	CHECK(maildir_quota_recalc(p, &q, &b, &c) == 1 && b == 116 && c == 3, "recalc counts 116 bytes in 3 messages, not .Trash");
	snprintf(cmd, sizeof cmd, "%s/maildirsize", p);
	CHECK(strcmp(firstline(cmd), "200S") == 0, "recalc writes the quota line");
	CHECK(maildir_quota_check(p, &q, 84, 1) == 0, "116 + 84 = 200 is not over");
	CHECK(maildir_quota_check(p, &q, 85, 1) == 1, "116 + 85 is over");
	CHECK(maildir_quota_add(p, 50, 1) == 1, "quota add");
	CHECK(maildir_quota_check(p, 0, 35, 1) == 1, "the file's own quota applies without one given");
	CHECK(maildir_quota_check(p, 0, 34, 1) == 0, "166 + 34 fits");
	/* another quota than the file's: rebuilt with the new line */
	q.bytes = 0;
	q.count = 3;
	CHECK(maildir_quota_check(p, &q, 1, 1) == 1, "3C: a fourth message is over");
	CHECK(strcmp(firstline(cmd), "3C") == 0, "a changed quota rebuilds maildirsize");
	/* an over-quota file that is fresh is believed; a stale one is recounted */
	{
		FILE *f = fopen(cmd, "w");
		struct timeval tv[2];
		if (f) {
			fputs("1000S\n5000 1\n", f);
			fclose(f);
		}
		q.bytes = 1000;
		q.count = 0;
		CHECK(maildir_quota_check(p, &q, 1, 1) == 1, "a fresh over-quota maildirsize is believed");
		gettimeofday(&tv[0], 0);
		tv[0].tv_sec -= MAILDIR_SIZEFILE_STALE + 60;
		tv[1] = tv[0];
		utimes(cmd, tv);
		CHECK(maildir_quota_check(p, &q, 1, 1) == 0, "a stale over-quota maildirsize is recounted");
	}
	/* a file longer than the limit is rebuilt */
	{
		FILE *f = fopen(cmd, "w");
		int k;
		if (f) {
			fputs("1000S\n", f);
			for (k = 0; k < 1400; k++)
				fputs("0 0\n", f);
			fclose(f);
		}
		CHECK(maildir_quota_check(p, &q, 1, 1) == 0, "long maildirsize: check works");
		{
			struct stat st;
			CHECK(stat(cmd, &st) == 0 && st.st_size < MAILDIR_SIZEFILE_MAX, "long maildirsize is rebuilt short");
		}
	}
	/* a file far past the read limit, quota from its own line 1 only: the
	 * cut text does not parse, yet the quota applies and the file is rebuilt */
	{
		FILE *f = fopen(cmd, "w");
		int k;
		struct stat st;
		if (f) {
			fputs("100000000S\n", f);
			for (k = 0; k < 262144; k++)
				fputs("0 0\n", f);
			fclose(f);
		}
		CHECK(maildir_quota_check(p, 0, 1, 1) == 0, "1 MiB maildirsize without a given quota: check works");
		CHECK(stat(cmd, &st) == 0 && st.st_size < MAILDIR_SIZEFILE_MAX,
		    "1 MiB maildirsize without a given quota is rebuilt short");
		CHECK(strcmp(firstline(cmd), "100000000S") == 0, "and keeps its own quota line");
	}
	/* a symlink in place of tmp/ is refused */
	snprintf(cmd, sizeof cmd, "%s/tmp", p);
	{
		char real[600];
		snprintf(real, sizeof real, "%s/tmp.real", p);
		CHECK(rename(cmd, real) == 0 && symlink(dir, cmd) == 0, "plant a symlink for tmp/");
		CHECK(maildir_tmp_open(&t, p) == -1, "tmp/ as a symlink is refused");
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		CHECK(0, "cleanup");
	str_free(&s);
	return test_done();
}
