/*
 * test-folders - the folder-level part of kurier-imapd's store on scratch
 * directories: public mailbox names and their mirror directories (both
 * namespaces, with and without a public root), the list of public
 * folders, a mirror following its public folder (hard links on one file
 * system, copies across two, flags renamed, removals, non-files left
 * out, a copy cut short made again, a vanished folder taking its
 * mirror with it, nothing written into the public folder), and COPY
 * telling where its copy went.
 * Runs as root: the permission rules are tested end to end (e2e/86).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store.h"
#include "test.h"

/* mailbox names with a public root set; dir 0: refused */
static const struct { int prefix; const char *name; const char *dir; } names[] = {
	{ 1, "shared.News", STORE_MIRRORS "/.News" }, { 1, "shared.News.Old", STORE_MIRRORS "/.News.Old" },
	{ 1, "shared.News.", STORE_MIRRORS "/.News" }, { 1, "shared", 0 }, { 1, "shared.", 0 }, { 1, "shared..x", 0 },
	{ 1, "shared.a/b", 0 }, { 1, "shared.*", 0 }, { 1, "shared.%", 0 }, { 1, "Shared.News", 0 },
	{ 1, "INBOX.shared", ".shared" }, { 1, "INBOX", "." },
	{ 0, "shared.News", STORE_MIRRORS "/.News" }, { 0, "shared", 0 }, { 0, "Other", ".Other" },
};

/* put - a file with body s at path */
static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* mkfolder - a maildir with cur/ new/ tmp/ at path */
static void mkfolder(const char *path)
{
	char p[512];

	if (mkdir(path, 0755) == -1) {
		perror(path);
		exit(1);
	}
	snprintf(p, sizeof p, "%s/cur", path);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/new", path);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/tmp", path);
	mkdir(p, 0755);
}

/* entries - the names in path joined by spaces, sorted, into out */
static void entries(const char *path, char *out, size_t n)
{
	struct dirent **v;
	int k = scandir(path, &v, 0, alphasort), i;

	out[0] = 0;
	for (i = 0; i < k; i++) {
		if (v[i]->d_name[0] != '.' || (v[i]->d_name[1] && strcmp(v[i]->d_name, ".."))) {
			if (out[0])
				strncat(out, " ", n - strlen(out) - 1);
			strncat(out, v[i]->d_name, n - strlen(out) - 1);
		}
		free(v[i]);
	}
	if (k >= 0)
		free(v);
}

/* rmrf - remove a scratch tree */
static void rmrf(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		exit(1);
}

/* mirror_test - a public root at pub (NUL: none there yet) and a maildir at md; tag names the checks */
static void mirror_test(const char *pub, const char *md, const char *tag, int samefs)
{
	char p[512], e[2048], name[128];
	struct str d = STR_INIT, l = STR_INIT;
	struct folder f;
	size_t count;
	struct stat a, b;

	memset(&f, 0, sizeof f);
	store_shared_root = pub;
	snprintf(p, sizeof p, "%s/.News", pub);
	mkfolder(p);
	snprintf(p, sizeof p, "%s/.News.Old", pub);
	mkfolder(p);
	snprintf(p, sizeof p, "%s/.News/cur/1700000001.P1.h:2,S", pub);
	put(p, "Subject: one\n\nfirst\n");
	snprintf(p, sizeof p, "%s/.News/new/1700000002.P2.h", pub);
	put(p, "Subject: two\n\nsecond\n");
	snprintf(p, sizeof p, "%s/.News/cur/1700000000.P0.h:2,", pub);
	if (symlink("/etc/passwd", p) == -1)
		perror(p);
	snprintf(p, sizeof p, "%s/.News/cur/1700000009.P9.h:2,", pub);
	mkfifo(p, 0644);
	if (chdir(md) == -1) {
		perror(md);
		exit(1);
	}
	snprintf(name, sizeof name, "%s-folders", tag);
	CHECK(store_shared_folders(&l, &count) == 1 && count == 2 && l.len == sizeof STORE_MIRRORS "/.News" + sizeof STORE_MIRRORS "/.News.Old" &&
	    !strcmp(l.s, STORE_MIRRORS "/.News") && !strcmp(l.s + sizeof STORE_MIRRORS "/.News", STORE_MIRRORS "/.News.Old"), name);
	snprintf(name, sizeof name, "%s-sync", tag);
	CHECK(store_shared_sync(STORE_MIRRORS "/.News") == 1, name);
	entries(STORE_MIRRORS "/.News/cur", e, sizeof e);
	snprintf(name, sizeof name, "%s-mirrored", tag);
	if (!CHECK(!strcmp(e, "1700000001.P1.h:2,S 1700000002.P2.h:2,"), name))
		printf("# %s\n", e);
	snprintf(p, sizeof p, "%s/.News/cur/1700000001.P1.h:2,S", pub);
	snprintf(name, sizeof name, "%s-%s", tag, samefs ? "hard-link" : "copy");
	CHECK(stat(p, &a) == 0 && stat(STORE_MIRRORS "/.News/cur/1700000001.P1.h:2,S", &b) == 0 &&
	    (samefs ? a.st_ino == b.st_ino : a.st_ino != b.st_ino && a.st_size == b.st_size && a.st_mtime == b.st_mtime), name);
	snprintf(name, sizeof name, "%s-load", tag);
	CHECK(store_load(STORE_MIRRORS "/.News", &f, 0) == 1 && f.n == 2 && f.m[0].flags == STORE_SEEN && f.m[1].flags == 0, name);
	{
		struct str t = STR_INIT;
		snprintf(name, sizeof name, "%s-read", tag);
		CHECK(f.n == 2 && store_read(&f, 1, &t) == 1 && t.len == 21 && !memcmp(t.s, "Subject: two", 12), name);
		str_free(&t);
	}
	/* the public folder changes: a flag, a removal, an arrival */
	snprintf(p, sizeof p, "%s/.News/cur/1700000001.P1.h:2,S", pub);
	snprintf(e, sizeof e, "%s/.News/cur/1700000001.P1.h:2,FS", pub);
	rename(p, e);
	snprintf(p, sizeof p, "%s/.News/new/1700000002.P2.h", pub);
	unlink(p);
	snprintf(p, sizeof p, "%s/.News/new/1700000003.P3.h", pub);
	put(p, "Subject: three\n\nthird\n");
	snprintf(name, sizeof name, "%s-resync", tag);
	CHECK(store_shared_sync(STORE_MIRRORS "/.News") == 1, name);
	entries(STORE_MIRRORS "/.News/cur", e, sizeof e);
	snprintf(name, sizeof name, "%s-follows", tag);
	if (!CHECK(!strcmp(e, "1700000001.P1.h:2,FS 1700000003.P3.h:2,"), name))
		printf("# %s\n", e);
	if (!samefs) {
		struct stat st;
		/* a copy cut short (as by a crash) is made again */
		CHECK(truncate(STORE_MIRRORS "/.News/cur/1700000003.P3.h:2,", 3) == 0 && store_shared_sync(STORE_MIRRORS "/.News") == 1 &&
		    stat(STORE_MIRRORS "/.News/cur/1700000003.P3.h:2,", &st) == 0 && st.st_size == 22, "crossfs-torn-copy-redone");
	}
	store_free(&f);
	snprintf(name, sizeof name, "%s-uids-kept", tag);
	CHECK(store_load(STORE_MIRRORS "/.News", &f, 0) == 1 && f.n == 2 && f.m[0].uid == 1 && f.m[0].flags == (STORE_FLAGGED | STORE_SEEN) &&
	    f.m[1].uid == 3, name);
	store_free(&f);
	snprintf(p, sizeof p, "%s/.News", pub);
	entries(p, e, sizeof e);
	snprintf(name, sizeof name, "%s-public-untouched", tag);
	if (!CHECK(!strcmp(e, "cur new tmp"), name))
		printf("# %s\n", e);
	snprintf(name, sizeof name, "%s-mailbox-name", tag);
	CHECK(store_dir_mailbox(STORE_MIRRORS "/.News.Old", &d) && d.len == 15 && !memcmp(d.s, "shared.News.Old", 15), name);
	/* a mirror whose public folder is gone is pruned; the others stay */
	snprintf(name, sizeof name, "%s-prune", tag);
	CHECK(store_shared_sync(STORE_MIRRORS "/.News.Old") == 1 && access(STORE_MIRRORS "/.News.Old/cur", F_OK) == 0, name);
	snprintf(p, sizeof p, "%s/.News.Old", pub);
	rmrf(p);
	snprintf(name, sizeof name, "%s-pruned", tag);
	CHECK(store_shared_prune() == 1 && access(STORE_MIRRORS "/.News.Old", F_OK) == -1 && access(STORE_MIRRORS "/.News/cur", F_OK) == 0, name);
	/* the public folder goes: so does the mirror */
	snprintf(p, sizeof p, "%s/.News", pub);
	rmrf(p);
	snprintf(name, sizeof name, "%s-vanished", tag);
	CHECK(store_shared_sync(STORE_MIRRORS "/.News") == 0 && access(STORE_MIRRORS "/.News", F_OK) == -1, name);
	snprintf(name, sizeof name, "%s-not-shared", tag);
	CHECK(store_shared_sync(".News") == 0, name);
	str_free(&d);
	str_free(&l);
}

int main(void)
{
	char md[] = "/tmp/kurier-test-folders.XXXXXX", pub[] = "/tmp/kurier-test-fpub.XXXXXX", shm[] = "/dev/shm/kurier-test-fpub.XXXXXX";
	char name[128], m1[300], m2[300];
	struct str d = STR_INIT;
	size_t i;
	int shmok;

	store_shared_root = "/nonexistent";
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		int r;
		store_inbox_prefix = names[i].prefix;
		d.len = 0;
		r = store_mailbox_dir(names[i].name, strlen(names[i].name), &d);
		snprintf(name, sizeof name, "name-%zu", i);
		if (!CHECK(names[i].dir ? r == 1 && d.len == strlen(names[i].dir) && !memcmp(d.s, names[i].dir, d.len) : r == 0, name))
			printf("# %s -> %d\n", names[i].name, r);
	}
	store_inbox_prefix = 1;
	CHECK(store_is_shared(STORE_MIRRORS "/.A") && !store_is_shared(".A") && !store_is_shared(STORE_MIRRORS), "is-shared");
	store_shared_root = 0;
	CHECK(store_mailbox_dir("shared.News", 11, &d) == 0, "no-root-no-shared");
	store_inbox_prefix = 0;
	d.len = 0;
	CHECK(store_mailbox_dir("shared.News", 11, &d) == 1 && d.len == 12 && !memcmp(d.s, ".shared.News", 12), "no-root-top-level-personal");
	store_inbox_prefix = 1;
	{
		size_t count = 9;
		CHECK(store_shared_folders(&d, &count) == 1 && count == 0, "no-root-no-folders");
	}

	if (!mkdtemp(md) || !mkdtemp(pub))
		return 1;
	snprintf(m1, sizeof m1, "%s/M", md);
	snprintf(m2, sizeof m2, "%s/M2", md);
	mkfolder(m1);
	mirror_test(pub, m1, "samefs", 1);
	/* across file systems the link fails and the mirror copies */
	shmok = mkdtemp(shm) != 0;
	if (shmok) {
		mkfolder(m2);
		mirror_test(shm, m2, "crossfs", 0);
		rmrf(shm);
	} else
		printf("ok crossfs # SKIP no /dev/shm\n");

	/* COPY says where its copy went, so that a failed COPY can take it back */
	if (chdir(m1) == 0) {
		struct str made = STR_INIT;
		uint32_t uid = 0, uv = 0;
		put("new/1700000100.P1.h", "Subject: x\n\ny\n");
		CHECK(store_create(".Dst") == 1, "create-dst");
		CHECK(store_copy_made(".", "new/1700000100.P1.h", ".Dst", STORE_SEEN, 0, &uid, &uv, &made) == 1 && uid == 1 &&
		    made.len > 8 && !memcmp(made.s, "cur/", 4) && !memcmp(made.s + made.len - 5, ":2,S", 5), "copy-made");
		{
			char p[600];
			snprintf(p, sizeof p, ".Dst/%s", made.s);
			CHECK(access(p, F_OK) == 0, "copy-made-exists");
		}
		made.len = 0;
		CHECK(store_copy_made(".", "new/gone", ".Dst", 0, 0, &uid, &uv, &made) == 0 && made.len == 0, "copy-made-source-gone");
		str_free(&made);
	}
	if (chdir("/") == 0) {
		rmrf(md);
		rmrf(pub);
	}
	str_free(&d);
	return test_done();
}
