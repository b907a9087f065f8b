/*
 * test-store - the maildir storage of kurier-imapd on a scratch maildir:
 * UIDs in delivery order, new/ to cur/, flags in file names, UIDs kept
 * across loads, a damaged uid list giving a new UIDVALIDITY, expunged
 * files dropping out, the fast path through an unchanged folder, the
 * binary index (used in place, rescanned when a directory moved or the
 * list changed, damaged files read as missing, UIDs kept across its
 * rewrites), mailbox names and flag letters.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "store.h"
#include "test.h"

static const struct { const char *name; const char *dir; } names[] = {
	{ "INBOX", "." }, { "inbox", "." }, { "INBOX.a", ".a" }, { "Inbox.a.b", ".a.b" }, { "INBOX.a.", ".a" },
	{ "INBOX.Entw&APw-rfe", ".Entw&APw-rfe" },
	{ "../x", 0 }, { "/etc", 0 }, { "INBOX/../x", 0 }, { "INBOX..x", 0 }, { "INBOX.a/b", 0 }, { "INBOX.", 0 },
	{ "INBOX.&Jjo", 0 }, { "INBOX.&AGE-", 0 }, { "Other", 0 }, { "INBOX.*", 0 }, { "INBOX.%", 0 }, { "INBOX..", 0 },
	{ "INBOX.a\x01", 0 }, { "", 0 },
};

static const struct { const char *file; unsigned flags; } letters[] = {
	{ "x:2,", 0 }, { "x:2,S", STORE_SEEN }, { "x:2,DFPRST", STORE_DRAFT | STORE_FLAGGED | STORE_PASSED | STORE_ANSWERED | STORE_SEEN | STORE_DELETED },
	{ "x", 0 }, { "x:1,S", 0 }, { "x:2,Sa", STORE_SEEN },
};

/* put - a file with body s at path */
static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* age - set the mtime of path n seconds into the past */
static void age(const char *path, int n)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= n;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, path, ts, 0);
}

int main(void)
{
	char dir[] = "/tmp/kurier-test-store.XXXXXX", name[128];
	struct folder f;
	struct str d = STR_INIT;
	uint32_t uv;
	size_t i;

	for (i = 0; i < sizeof names / sizeof *names; i++) {
		int r = store_mailbox_dir(names[i].name, strlen(names[i].name), &d);
		snprintf(name, sizeof name, "mailbox-%zu", i);
		if (!CHECK(names[i].dir ? r == 1 && d.len == strlen(names[i].dir) && !memcmp(d.s, names[i].dir, d.len) : r == 0, name))
			printf("# %s -> %d\n", names[i].name, r);
	}
	{
		static char big[1100];
		memcpy(big, "INBOX.", 6);
		memset(big + 6, 'x', sizeof big - 7);
		CHECK(store_mailbox_dir(big, strlen(big), &d) == 0, "mailbox-too-long");
	}
	for (i = 0; i < sizeof letters / sizeof *letters; i++) {
		snprintf(name, sizeof name, "flags-%zu", i);
		CHECK(store_flags_of(letters[i].file, strlen(letters[i].file)) == letters[i].flags, name);
	}

	if (!mkdtemp(dir) || chdir(dir) == -1)
		return 1;
	mkdir("cur", 0700);
	mkdir("new", 0700);
	mkdir("tmp", 0700);
	/* delivery order: 999 before 1000.M99 before 1000.M123 (microseconds compare as numbers) */
	put("new/1000.M123P1.host,S=3", "c\n");
	put("new/1000.M99P1.host,S=3", "b\n");
	put("new/999.M5P1.host,S=3", "a\n");
	memset(&f, 0, sizeof f);
	CHECK(store_load(".", &f, 1) == 1 && f.n == 3 && f.recent == 3, "load-new");
	CHECK(f.n == 3 && f.m[0].uid == 1 && !strcmp(f.m[0].file, "cur/999.M5P1.host,S=3:2,") &&
	    !strcmp(f.m[1].file, "cur/1000.M99P1.host,S=3:2,") && !strcmp(f.m[2].file, "cur/1000.M123P1.host,S=3:2,"), "uids-in-delivery-order");
	CHECK(access("new/999.M5P1.host,S=3", F_OK) == -1 && access("cur/999.M5P1.host,S=3:2,", F_OK) == 0, "moved-to-cur");
	uv = f.uidvalidity;
	CHECK(f.uidnext == 4, "uidnext");
	CHECK(store_setflags(&f, 1, STORE_SEEN | STORE_FLAGGED) == 1 && access("cur/1000.M99P1.host,S=3:2,FS", F_OK) == 0, "setflags-renames");
	CHECK(store_idate(&f, 0) > 0, "idate-from-mtime");
	f.m[0].size = 4;
	f.m[0].sizedirty = 1;
	CHECK(store_save_sizes(&f) == 1, "save-sizes");
	CHECK(store_load(".", &f, 1) == 1 && f.n == 3 && f.recent == 0 && f.uidvalidity == uv && f.m[1].uid == 2 &&
	    f.m[1].flags == (STORE_SEEN | STORE_FLAGGED) && f.m[0].size == 4, "reload-keeps-uids-flags-sizes");
	/* a new arrival gets the next UID */
	put("new/2000.M1P1.host,S=3", "d\n");
	CHECK(store_load(".", &f, 0) == 1 && f.n == 4 && f.m[3].uid == 4 && f.m[3].recent && !strncmp(f.m[3].file, "new/", 4), "arrival-examine");
	/* an expunged file drops out; its UID is not reused */
	unlink("cur/999.M5P1.host,S=3:2,");
	CHECK(store_load(".", &f, 1) == 1 && f.n == 3 && f.m[0].uid == 2 && f.uidnext == 5, "expunged-drops-out");
	/* the fast path: with settled directory times the list alone is used */
	age("cur", 10);
	age("new", 10);
	CHECK(store_load(".", &f, 1) == 1 && f.n == 3, "settled-load");
	{
		/* a file slipped in with cur/'s time put back exactly: the list is
		 * trusted, so it is not seen; once the time moves, it is */
		struct stat st;
		struct timespec ts[2];
		stat("cur", &st);
		put("cur/3000.M1P1.host,S=3:2,", "e\n");
		ts[0] = st.st_mtim;
		ts[1] = st.st_mtim;
		utimensat(AT_FDCWD, "cur", ts, 0);
		CHECK(store_load(".", &f, 1) == 1 && f.n == 3, "fast-path-uses-list");
		age("cur", 20);
		CHECK(store_load(".", &f, 1) == 1 && f.n == 4 && f.m[3].uid == 5, "changed-dir-rescanned");
	}
	/* a damaged list: a new UIDVALIDITY, above the old one */
	put("kurier-uidlist", "kurier-uidlist 2 junk\n");
	CHECK(store_load(".", &f, 1) == 1 && f.n == 4 && f.uidvalidity > uv && f.m[0].uid == 1 && f.uidnext == 5, "damaged-list-rebuilt");
	put("kurier-uidlist", "kurier-uidlist 2 5 9 0.0 0.0\n1 0 0 cur/x:2,\n2 0 0 cur/torn");
	CHECK(store_load(".", &f, 1) == 1 && f.uidvalidity > 5, "torn-list-rebuilt");
	/* keywords: a bit per name, saved to kurier-keywords, read back by name */
	CHECK(store_kw_bit(&f, "$Junk", 5, 1) == 0 && store_kw_bit(&f, "work", 4, 1) == 1 && store_kw_bit(&f, "$JUNK", 5, 0) == 0 &&
	    store_kw_bit(&f, "a b", 3, 1) == -1 && store_kw_bit(&f, "\\Seen", 5, 1) == -1 && store_kw_bit(&f, "x", 1, 0) == -1, "kw-bits");
	f.m[1].kw = 3;
	f.m[1].kwdirty = 1;
	CHECK(store_kw_save(&f) == 1, "kw-save");
	{
		struct folder g;
		size_t k;
		int good = 1;
		memset(&g, 0, sizeof g);
		CHECK(store_load(".", &g, 1) == 1 && g.nkw == 2, "kw-reload");
		for (k = 0; k < g.n; k++)
			good &= (g.m[k].uid == f.m[1].uid) == (g.m[k].kw == 3);
		CHECK(good, "kw-on-the-right-message");
		store_free(&g);
	}
	for (i = 0; i < 30; i++) {
		char kwn[8];
		snprintf(kwn, sizeof kwn, "k%zu", i);
		if (store_kw_bit(&f, kwn, strlen(kwn), 1) == -2)
			break;
	}
	CHECK(f.nkw == IMAP_KEYWORDS_MAX, "kw-limit");
	/* the header cache: learned, saved, read back by UID; a damaged tail costs only its records */
	{
		struct folder g;
		const char *h;
		size_t hl = 0;
		CHECK(store_hcache_get(&f, 0, &hl) == 0, "hcache-empty");
		CHECK(store_hcache_add(&f, 0, "Subject: a\n\n", 13) == 1 && store_hcache_add(&f, 1, "Subject: b\n\n", 13) == 1, "hcache-add");
		h = store_hcache_get(&f, 1, &hl);
		CHECK(h && hl == 13 && !memcmp(h, "Subject: b\n\n", 13), "hcache-get-new");
		CHECK(store_hcache_save(&f) == 1, "hcache-save");
		memset(&g, 0, sizeof g);
		CHECK(store_load(".", &g, 1) == 1, "hcache-reload");
		h = store_hcache_get(&g, 1, &hl);
		CHECK(h && hl == 13 && !memcmp(h, "Subject: b\n\n", 13) && g.m[1].uid == f.m[1].uid, "hcache-get-file");
		CHECK(store_hcache_get(&g, 2, &hl) == 0, "hcache-miss");
		store_free(&g);
		{
			int fd = open("kurier-headers", O_WRONLY | O_APPEND);
			CHECK(fd >= 0 && write(fd, "99 500\nshort", 12) == 12, "hcache-tear");
			close(fd);
		}
		memset(&g, 0, sizeof g);
		CHECK(store_load(".", &g, 1) == 1 && store_hcache_get(&g, 0, &hl) && hl == 13, "hcache-torn-tail-ignored");
		store_free(&g);
	}
	/* the binary index: written after a full look at settled directories, then used in place */
	{
		struct folder g, h2;
		struct stat st;
		uint32_t v1;
		mkdir(".Idx", 0700);
		mkdir(".Idx/cur", 0700);
		mkdir(".Idx/new", 0700);
		mkdir(".Idx/tmp", 0700);
		put(".Idx/cur/100.M1P1.h:2,S", "a\n");
		put(".Idx/cur/101.M1P1.h:2,", "b\n");
		put(".Idx/new/102.M1P1.h", "c\n");
		age(".Idx/cur", 10);
		age(".Idx/new", 10);
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Idx", &g, 0) == 1 && g.n == 3 && !g.minmap && g.idxpend && access(".Idx/kurier-index", F_OK) == -1,
		    "idx-pending-after-load");
		CHECK(store_index_flush(&g) == 1 && !g.idxpend && access(".Idx/kurier-index", F_OK) == 0, "idx-written");
		v1 = g.uidvalidity;
		memset(&h2, 0, sizeof h2);
		CHECK(store_load(".Idx", &h2, 0) == 1 && h2.minmap && h2.n == 3 && h2.uidvalidity == v1 && h2.uidnext == 4 &&
		    h2.recent == 1, "idx-used");
		CHECK(h2.n == 3 && h2.m[0].uid == 1 && h2.m[0].flags == STORE_SEEN && !strcmp(h2.m[0].file, "cur/100.M1P1.h:2,S") &&
		    h2.m[1].uid == 2 && h2.m[1].flags == 0 && h2.m[2].uid == 3 && h2.m[2].recent && !strcmp(h2.m[2].file, "new/102.M1P1.h") &&
		    h2.m[2].baselen == 10, "idx-same-messages");
		/* a second folder open at once maps the file elsewhere: its names are moved */
		store_free(&g);
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Idx", &g, 0) == 1 && g.minmap && g.n == 3 && g.m != h2.m && !strcmp(g.m[1].file, "cur/101.M1P1.h:2,") &&
		    g.m[1].file != h2.m[1].file, "idx-second-mapping");
		/* changes land in private copies, never in the file */
		CHECK(store_setflags(&h2, 1, STORE_FLAGGED) == 1 && !strcmp(h2.m[1].file, "cur/101.M1P1.h:2,F") &&
		    h2.m[1].ownfile && access(".Idx/cur/101.M1P1.h:2,F", F_OK) == 0, "idx-setflags");
		h2.m[0].size = 3;
		h2.m[0].sizedirty = 1;
		CHECK(store_save_sizes(&h2) == 1, "idx-save-sizes");
		store_free(&h2);
		store_free(&g);
		/* the rename moved cur/'s time: a full look, not the index */
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Idx", &g, 0) == 1 && !g.minmap && g.n == 3 && g.m[1].flags == STORE_FLAGGED && g.m[0].size == 3, "idx-mtime-changed-rescan");
		store_free(&g);
		age(".Idx/cur", 10);
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Idx", &g, 0) == 1 && g.n == 3 && g.m[1].flags == STORE_FLAGGED && g.m[0].size == 3 &&
		    store_index_flush(&g) == 1, "idx-rewritten");
		store_free(&g);
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Idx", &g, 0) == 1 && g.minmap && g.n == 3 && g.m[1].flags == STORE_FLAGGED && g.m[0].size == 3 &&
		    g.m[0].uid == 1 && g.m[2].uid == 3, "idx-uids-kept-across-rewrite");
		store_free(&g);
		{
			/* a file slipped in with cur/'s time put back: the index is trusted;
			 * once the time moves, the new file gets the next UID */
			struct timespec ts[2];
			stat(".Idx/cur", &st);
			put(".Idx/cur/103.M1P1.h:2,", "d\n");
			ts[0] = st.st_mtim;
			ts[1] = st.st_mtim;
			utimensat(AT_FDCWD, ".Idx/cur", ts, 0);
			memset(&g, 0, sizeof g);
			CHECK(store_load(".Idx", &g, 0) == 1 && g.minmap && g.n == 3, "idx-fast-path-skips-readdir");
			store_free(&g);
			age(".Idx/cur", 20);
			memset(&g, 0, sizeof g);
			CHECK(store_load(".Idx", &g, 0) == 1 && !g.minmap && g.n == 4 && g.m[3].uid == 4 && g.uidnext == 5, "idx-new-file-next-uid");
			store_free(&g);
		}
		/* a uid list rewritten by someone else (a delivery) with the directory
		 * times put back: the index no longer matches the list */
		{
			struct stat sc, sn;
			struct timespec ts[2];
			uint32_t uid = 0, v = 0;
			stat(".Idx/cur", &sc);
			stat(".Idx/new", &sn);
			CHECK(store_deliver(".Idx", "Subject: x\r\n\r\ny\r\n", 17, 0, 0, 0, &uid, &v) == 1 && uid == 5, "idx-deliver");
			ts[0] = ts[1] = sc.st_mtim;
			utimensat(AT_FDCWD, ".Idx/cur", ts, 0);
			ts[0] = ts[1] = sn.st_mtim;
			utimensat(AT_FDCWD, ".Idx/new", ts, 0);
			memset(&g, 0, sizeof g);
			CHECK(store_load(".Idx", &g, 0) == 1 && !g.minmap && g.n == 5 && g.m[4].uid == 5 && g.uidnext == 6, "idx-stale-list-not-trusted");
			store_free(&g);
		}
		age(".Idx/cur", 30);
		age(".Idx/new", 30);
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Idx", &g, 0) == 1 && g.n == 5 && store_index_flush(&g) == 1, "idx-settle-again");
		store_free(&g);
		/* damaged indexes of every kind: read as missing, the list serves, UIDs stay */
		{
			static const struct { const char *what; } dmg[] = {
				{ "idx-truncated-head" }, { "idx-truncated-records" }, { "idx-truncated-names" },
				{ "idx-bad-magic" }, { "idx-bad-pointer" }, { "idx-bad-uid-order" },
				{ "idx-nonzero-field" }, { "idx-empty" },
			};
			char *orig = 0;
			size_t olen = 0, k;
			int fd = open(".Idx/kurier-index", O_RDONLY);
			struct stat si;
			if (fd >= 0 && fstat(fd, &si) == 0 && (orig = malloc((size_t)si.st_size)) &&
			    read(fd, orig, (size_t)si.st_size) == si.st_size)
				olen = (size_t)si.st_size;
			if (fd >= 0)
				close(fd);
			CHECK(olen > 200, "idx-read-back");
			for (k = 0; olen > 200 && k < sizeof dmg / sizeof *dmg; k++) {
				char *b = malloc(olen);
				size_t blen = olen;
				memcpy(b, orig, olen);
				switch (k) {
				case 0: blen = 20; break;
				case 1: blen = 200; break;
				case 2: blen = olen - 3; break;
				case 3: b[0] ^= 1; break;
				case 4: case 5: case 6: {
					/* the first record follows the header; find it by its UID 1 and the next by UID 2 */
					size_t rs = sizeof (struct smsg), off = 0, q;
					for (q = 8; q + 2 * rs <= olen; q += 8) {
						struct smsg a, c;
						memcpy(&a, b + q, rs);
						memcpy(&c, b + q + rs, rs);
						if (a.uid == 1 && c.uid == 2 && a.baselen && c.baselen) {
							off = q;
							break;
						}
					}
					if (!off) {
						CHECK(0, dmg[k].what);
						free(b);
						continue;
					}
					{
						struct smsg a;
						memcpy(&a, b + off, rs);
						if (k == 4)
							a.file += 1 << 30;
						else if (k == 5)
							a.uid = 7;
						else
							a.hlen = 9;
						memcpy(b + off, &a, rs);
					}
					break;
				}
				case 7: blen = 0; break;
				}
				fd = open(".Idx/kurier-index", O_WRONLY | O_TRUNC);
				if (fd < 0 || write(fd, b, blen) != (ssize_t)blen)
					blen = (size_t)-1;
				if (fd >= 0)
					close(fd);
				free(b);
				memset(&g, 0, sizeof g);
				CHECK(blen != (size_t)-1 && store_load(".Idx", &g, 0) == 1 && !g.minmap && g.n == 5 && g.uidvalidity == v1 &&
				    g.m[0].uid == 1 && g.m[4].uid == 5 && !strcmp(g.m[1].file, "cur/101.M1P1.h:2,F"), dmg[k].what);
				(void)store_index_flush(&g);
				store_free(&g);
				/* and it was written again, good */
				memset(&g, 0, sizeof g);
				CHECK(store_load(".Idx", &g, 0) == 1 && g.minmap && g.n == 5, "idx-rewritten-after-damage");
				store_free(&g);
			}
			free(orig);
		}
		/* no index at all: the text list still gives the same UIDs (and the index comes back) */
		unlink(".Idx/kurier-index");
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Idx", &g, 0) == 1 && g.n == 5 && g.uidvalidity == v1 && g.m[4].uid == 5 &&
		    store_index_flush(&g) == 1 && access(".Idx/kurier-index", F_OK) == 0, "idx-missing-list-serves");
		store_free(&g);
		/* a folder that changed between the load and the write gets no index */
		unlink(".Idx/kurier-index");
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Idx", &g, 0) == 1 && g.idxpend, "idx-pending-again");
		put(".Idx/cur/104.M1P1.h:2,", "e\n");
		age(".Idx/cur", 40);
		CHECK(store_index_flush(&g) == 0 && access(".Idx/kurier-index", F_OK) == -1, "idx-not-written-after-change");
		store_free(&g);
	}
	/* an empty folder's index: a header and nothing else */
	{
		struct folder g;
		mkdir(".Empty", 0700);
		mkdir(".Empty/cur", 0700);
		mkdir(".Empty/new", 0700);
		mkdir(".Empty/tmp", 0700);
		age(".Empty/cur", 10);
		age(".Empty/new", 10);
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Empty", &g, 1) == 1 && g.n == 0 && store_index_flush(&g) == 1, "idx-empty-written");
		store_free(&g);
		memset(&g, 0, sizeof g);
		CHECK(store_load(".Empty", &g, 1) == 1 && g.minmap && g.n == 0 && g.uidnext == 1, "idx-empty-used");
		store_free(&g);
	}
	/* folders */
	CHECK(store_create(".Work") == 1 && access(".Work/cur", F_OK) == 0 && access(".Work/maildirfolder", F_OK) == 0, "create");
	CHECK(store_create(".Work") == 0, "create-exists");
	{
		uint32_t uid = 0, v = 0;
		CHECK(store_deliver(".Work", "Subject: x\r\n\r\ny\r\n", 17, STORE_SEEN, "$Label1 todo", 1700000000, &uid, &v) == 1 && uid == 1 && v, "deliver-appenduid");
		CHECK(store_copy(".", f.m[0].file, ".Work", STORE_FLAGGED, 0, &uid, &v) == 1 && uid == 2, "copy-copyuid");
	}
	{
		struct folder w;
		memset(&w, 0, sizeof w);
		CHECK(store_load(".Work", &w, 1) == 1 && w.n == 2 && w.m[0].flags == STORE_SEEN && w.m[0].idate == 1700000000 &&
		    w.m[1].flags == STORE_FLAGGED, "delivered-and-copied");
		CHECK(w.nkw == 2 && w.m[0].kw == 3 && w.m[1].kw == 0 && !strcmp(w.kwname[0], "$Label1"), "delivered-keywords");
		store_free(&w);
	}
	CHECK(store_rename(".Work", ".Done") == 1 && access(".Done/cur", F_OK) == 0, "rename");
	CHECK(store_delete(".Done") == 1 && access(".Done", F_OK) == -1, "delete");
	CHECK(store_subscribe("INBOX.a", 7, 1) == 1 && store_subscribe("INBOX.b", 7, 1) == 1 && store_subscribe("INBOX.a", 7, 0) == 1, "subscribe");
	CHECK(store_subscriptions(&d) == 1 && d.len == 8 && !memcmp(d.s, "INBOX.b", 8), "subscriptions");
	store_free(&f);
	str_free(&d);
	if (chdir("/") == 0) {
		char cmd[200];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return test_done();
}
