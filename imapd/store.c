/*
 * store - Maildir++ folders with persistent UIDs, flags in file names,
 * the uid list with its size and date cache, its binary index (mapped
 * and used in place by a load), and subscriptions.
 * runs as:  inside kurier-imapd, as the mailbox's user, with the
 *           maildir as the working directory
 * trusts:   the maildir is the user's own; file names in it may be
 *           anything a delivery or another client left there; public
 *           folders are someone else's: only read, never written
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>		/* rename(2) and renameat(2) are declared here */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../deliver/maildir.h"
#include "imap.h"
#include "imapparse.h"
#include "scan.h"
#include "store.h"

#define FLAGLETTERS "DFPRST"		/* maildir flag letters in the order they are written */
#define STORE_SETTLE 2		/* seconds: a directory time this recent may hide a change made in the same tick */

/* a directory's modification time as the list records it; 0 0 means "look again" */
struct mtime {
	unsigned long long sec, nsec;
};

/* one entry of the uid list */
struct uent {
	uint32_t uid;
	unsigned long long size;
	long long idate;
	const char *name;	/* the unique name, in the list's text */
	size_t len;
	const char *file;	/* "cur/NAME:2,FLAGS" or "new/NAME", in the list's text */
	size_t flen;
	int seen;		/* the file exists */
};

struct ulist {
	uint32_t uidvalidity, uidnext;
	struct mtime curm, newm;	/* cur/ and new/ as they were when the list was complete */
	struct uent *e;
	size_t n;
	size_t *hash;		/* open addressing: entry index + 1, 0 empty */
	size_t hsize;
	char *text;
};

/* hashname - FNV-1a of a name */
static size_t hashname(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* ulist_free - release a uid list */
static void ulist_free(struct ulist *u)
{
	free(u->e);
	free(u->hash);
	free(u->text);
	memset(u, 0, sizeof *u);
}

static int ulist_index(struct ulist *u);

/* ulist_find - the entry for name, or -1 (-1 also when the index cannot be built: the caller then assigns afresh) */
static long ulist_find(struct ulist *u, const char *s, size_t n)
{
	size_t h;

	if (!u->hsize && (!u->n || ulist_index(u) < 0))
		return -1;
	for (h = hashname(s, n) & (u->hsize - 1); u->hash[h]; h = (h + 1) & (u->hsize - 1)) {
		const struct uent *e = &u->e[u->hash[h] - 1];
		if (e->len == n && !memcmp(e->name, s, n))
			return (long)(u->hash[h] - 1);
	}
	return -1;
}

/* ulist_index - build the hash over the entries; 1 ok, -1 no memory */
static int ulist_index(struct ulist *u)
{
	size_t i, h, hs = 16;

	while (hs < 2 * u->n + 16)
		hs *= 2;
	free(u->hash);
	u->hash = calloc(hs, sizeof *u->hash);
	if (!u->hash)
		return -1;
	u->hsize = hs;
	for (i = 0; i < u->n; i++) {
		for (h = hashname(u->e[i].name, u->e[i].len) & (hs - 1); u->hash[h]; h = (h + 1) & (hs - 1))
			;
		u->hash[h] = i + 1;
	}
	return 1;
}

/* readfile - the whole file at dfd/name into a malloc'd buffer; 1 ok, 0 missing, -1 error */
static int readfile(int dfd, const char *name, char **text, size_t *len)
{
	struct stat st;
	char *b;
	size_t have = 0;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (unsigned long long)st.st_size > IMAP_LITERAL_MAX * 4ULL) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -1;
	}
	while (have < (size_t)st.st_size) {
		ssize_t r = read(fd, b + have, (size_t)st.st_size - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	close(fd);
	b[have] = 0;
	*text = b;
	*len = have;
	return 1;
}

/* ulist_read - the uid list of the folder open at dfd; 1 ok, 0 missing or damaged, -1 error */
static int ulist_read(int dfd, struct ulist *u)
{
	size_t len, i, a = 0, e, k;
	unsigned long long v2, v3;
	int r;

	memset(u, 0, sizeof *u);
	r = readfile(dfd, STORE_UIDLIST, &u->text, &len);
	if (r <= 0)
		return r;
	for (i = 0; i < len && u->text[i] != '\n'; i++)
		;
	if (i == len || i < 17 || memcmp(u->text, "kurier-uidlist 2 ", 17))
		return 0;
	{
		/* UIDVALIDITY UIDNEXT CURSEC.NSEC NEWSEC.NSEC */
		unsigned long long v[6];
		int f;
		k = 17;
		for (f = 0; f < 6; f++) {
			if (!(e = scan_ulong(u->text + k, i - k, &v[f])))
				return 0;
			k += e;
			if (f < 5 && (k >= i || u->text[k] != (f == 2 || f == 4 ? '.' : ' ')))
				return 0;
			k++;
		}
		if (k != i + 1 || !v[0] || v[0] > 0xffffffffULL || !v[1] || v[1] > 0xffffffffULL)
			return 0;
		u->uidvalidity = (uint32_t)v[0];
		u->uidnext = (uint32_t)v[1];
		u->curm.sec = v[2];
		u->curm.nsec = v[3];
		u->newm.sec = v[4];
		u->newm.nsec = v[5];
	}
	for (i++; i < len; i = e + 1) {
		const char *l = u->text + i;
		size_t ll, p = 0, d;
		unsigned long long ud;
		for (e = i; e < len && u->text[e] != '\n'; e++)
			;
		if (e == len)
			return 0;	/* a torn last line: the list is damaged */
		ll = e - i;
		if (!(d = scan_ulong(l, ll, &ud)) || l[d] != ' ' || !ud || ud >= u->uidnext)
			return 0;
		p = d + 1;
		if (!(d = scan_ulong(l + p, ll - p, &v2)) || l[p + d] != ' ')
			return 0;
		p += d + 1;
		if (!(d = scan_ulong(l + p, ll - p, &v3)) || l[p + d] != ' ')
			return 0;
		p += d + 1;
		if (p + 4 >= ll || ll - p > IMAP_NAME_MAX + 4 || (memcmp(l + p, "cur/", 4) && memcmp(l + p, "new/", 4)))
			return 0;
		if (u->n == a) {
			struct uent *ne;
			a = a ? a * 2 : 256;
			ne = realloc(u->e, a * sizeof *ne);
			if (!ne)
				return -1;
			u->e = ne;
		}
		u->e[u->n].uid = (uint32_t)ud;
		u->e[u->n].size = v2;
		u->e[u->n].idate = (long long)v3;
		u->e[u->n].file = l + p;
		u->e[u->n].flen = ll - p;
		u->text[e] = 0;	/* the file name ends here, so messages can point at it */
		u->e[u->n].name = l + p + 4;
		for (d = p + 4; d < ll && l[d] != ':'; d++)
			;
		u->e[u->n].len = d - p - 4;
		u->e[u->n].seen = 0;
		u->n++;
	}
	return 1;
}

/* writeall - write n bytes; 1 ok, -1 error */
static int writeall(int fd, const char *x, size_t n)
{
	while (n) {
		ssize_t w = write(fd, x, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		x += w;
		n -= (size_t)w;
	}
	return 1;
}

/* ulist_write - out as the folder's uid list: tmp file, fsync, rename; 1 ok, -1 error */
static int ulist_write(int dfd, const struct str *out)
{
	static const char tmp[] = STORE_UIDLIST ".tmp";
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600), e;

	if (fd == -1)
		return -1;
	if (writeall(fd, out->s, out->len) < 0 || fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlinkat(dfd, tmp, 0);
		errno = e;
		return -1;
	}
	close(fd);
	if (renameat(dfd, tmp, dfd, STORE_UIDLIST) == -1) {
		e = errno;
		unlinkat(dfd, tmp, 0);
		errno = e;
		return -1;
	}
	return 1;
}

/* ulist_line - one "UID SIZE IDATE FILE\n" onto out; 1 ok, 0 no memory */
static int ulist_line(struct str *out, uint32_t uid, unsigned long long size, long long idate, const char *file, size_t n)
{
	return str_catu(out, uid) && str_append(out, ' ') && str_catu(out, size) && str_append(out, ' ') &&
	    str_catu(out, idate > 0 ? (unsigned long long)idate : 0) && str_append(out, ' ') &&
	    str_catb(out, file, n) && str_append(out, '\n');
}

/* ulist_head - the first line onto out */
static int ulist_head(struct str *out, const struct ulist *u)
{
	return str_cats(out, "kurier-uidlist 2 ") && str_catu(out, u->uidvalidity) && str_append(out, ' ') &&
	    str_catu(out, u->uidnext) && str_append(out, ' ') && str_catu(out, u->curm.sec) && str_append(out, '.') &&
	    str_catu(out, u->curm.nsec) && str_append(out, ' ') && str_catu(out, u->newm.sec) && str_append(out, '.') &&
	    str_catu(out, u->newm.nsec) && str_append(out, '\n');
}

/* dirmtime - the mtime of dfd/sub; zero when missing */
static struct mtime dirmtime(int dfd, const char *sub)
{
	struct mtime m = { 0, 0 };
	struct stat st;

	if (fstatat(dfd, sub, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		m.sec = (unsigned long long)st.st_mtim.tv_sec;
		m.nsec = (unsigned long long)st.st_mtim.tv_nsec;
	}
	return m;
}

/* settled - m, if it is older than STORE_SETTLE seconds before since, else zero: a change within a
 * file system's timestamp granularity of our look could otherwise leave the time unchanged */
static struct mtime settled(struct mtime m, time_t since)
{
	struct mtime z = { 0, 0 };

	if (!m.sec || (long long)m.sec + STORE_SETTLE >= (long long)since)
		return z;
	return m;
}

/* sametime - 1 if a and b are the same non-zero time */
static int sametime(struct mtime a, struct mtime b)
{
	return a.sec && a.sec == b.sec && a.nsec == b.nsec;
}

/* ---- the binary index (kurier-index): the message table, ready to map ---- */

/*
 * The records are struct smsg exactly as a load leaves them, with the
 * file names after them and each record's file pointer already aimed at
 * its name for a mapping at the address the header records.
 * Mapped there, copy-on-write, the table needs no copy and no fresh
 * zeroed memory: a page becomes private only when a message on it
 * changes.  When that address is taken (a second folder open), the file
 * is mapped anywhere and the pointers moved.  Either way every record is
 * checked first, so a damaged or hostile file cannot point outside the
 * mapping; it is then read as not there.
 */
#define IDX_MAGIC "kuridx2\n"	/* 8 bytes */
#define IDX_ORDER 0x01020304u	/* written in the host's byte order; another order reads as damaged */
#define IDX_TMP STORE_INDEX ".tmp"
/* where a table is meant to be mapped: an address drawn at random for
 * each file written (so no session's layout is known from outside),
 * 2 MiB aligned, between 16 and 64 TiB, far from where programs, heap
 * and libraries land in x86-64's and other 47-bit address spaces; where
 * it is taken or does not exist, the mapping lands elsewhere and is moved */
#define IDX_BASE_LOW 0x100000000000ULL
#define IDX_BASE_SPAN 0x300000000000ULL
#define IDX_BASE_ALIGN 0x200000ULL
/* the layout of struct smsg as this program compiled it: a file written by
 * a build with another layout is read as damaged */
#define IDX_LAYOUT ((uint64_t)offsetof(struct smsg, file) | (uint64_t)offsetof(struct smsg, uid) << 8 | \
	(uint64_t)offsetof(struct smsg, flags) << 16 | (uint64_t)offsetof(struct smsg, size) << 24 | \
	(uint64_t)offsetof(struct smsg, idate) << 32 | (uint64_t)offsetof(struct smsg, baselen) << 40 | \
	(uint64_t)offsetof(struct smsg, recent) << 48 | (uint64_t)sizeof (struct smsg) << 56)

/* the file's header; all of it in the host's byte order */
struct idxhead {
	char magic[8];
	uint32_t order, ptrsize;	/* IDX_ORDER; sizeof (char *) */
	uint64_t layout;		/* IDX_LAYOUT */
	uint64_t base;			/* the address the records' file pointers assume */
	uint32_t uidvalidity, uidnext;
	uint32_t n, nnew;		/* records; of them, messages in new/ */
	uint64_t strsize;		/* bytes of file names after the records, each ending in a NUL */
	uint64_t cursec, curnsec, newsec, newnsec;	/* cur/ and new/, as the uid list records them (settled) */
	uint64_t ulino, ulsize, ulsec, ulnsec;		/* the uid list this was made from */
};

/* an index to write once the answer that needed the load is out: what the uid list and directories looked like */
struct idxpend {
	struct ulist u;			/* uidvalidity, uidnext and the directory times only */
	struct stat ul;			/* the uid list, as the load left it */
};

/* idx_write - the list u (with f's messages when f, else u's entries) as the folder's index, if its directory times are settled; 1 written, 0 not, -1 error */
static int idx_write(int dfd, const struct ulist *u, const struct folder *f)
{
	struct idxhead h;
	struct smsg *rec;
	struct str names = STR_INIT;
	struct stat st;
	size_t i, n = f ? f->n : u->n;
	uint64_t nbase;
	int fd, e, r = -1;

	if (!u->curm.sec || !u->newm.sec)
		return 0;	/* never trusted: not worth writing */
	if (fstatat(dfd, STORE_UIDLIST, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	rec = calloc(n ? n : 1, sizeof *rec);	/* zeroed padding and fields included */
	if (!rec)
		return -1;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, IDX_MAGIC, sizeof h.magic);
	h.order = IDX_ORDER;
	h.ptrsize = sizeof (char *);
	h.layout = IDX_LAYOUT;
	{
		uint64_t rnd = 0;
		if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
			rnd = (uint64_t)time(0) * 2654435761ULL ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)&rnd;
		h.base = IDX_BASE_LOW + rnd % (IDX_BASE_SPAN / IDX_BASE_ALIGN) * IDX_BASE_ALIGN;
	}
	h.uidvalidity = u->uidvalidity;
	h.uidnext = u->uidnext;
	h.n = (uint32_t)n;
	h.cursec = u->curm.sec;
	h.curnsec = u->curm.nsec;
	h.newsec = u->newm.sec;
	h.newnsec = u->newm.nsec;
	h.ulino = (uint64_t)st.st_ino;
	h.ulsize = (uint64_t)st.st_size;
	h.ulsec = (uint64_t)st.st_mtim.tv_sec;
	h.ulnsec = (uint64_t)st.st_mtim.tv_nsec;
	nbase = h.base + sizeof h + n * sizeof *rec;
	for (i = 0; i < n; i++) {
		const char *file = f ? f->m[i].file : u->e[i].file;
		size_t flen = f ? strlen(file) : u->e[i].flen;
		int isnew = file[0] == 'n';
		rec[i].uid = f ? f->m[i].uid : u->e[i].uid;
		rec[i].size = f ? f->m[i].size : u->e[i].size;
		rec[i].idate = f ? f->m[i].idate : u->e[i].idate;
		rec[i].baselen = (unsigned short)(f ? f->m[i].baselen : u->e[i].len);
		rec[i].recent = (unsigned char)isnew;
		rec[i].flags = isnew ? 0 : store_flags_of(file + 4, flen - 4);
		rec[i].file = (char *)(uintptr_t)(nbase + names.len);
		h.nnew += (uint32_t)isnew;
		if (!str_catb(&names, file, flen) || !str_append(&names, 0))
			goto done;
	}
	h.strsize = names.len;
	fd = openat(dfd, IDX_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto done;
	/* no fsync: a cache, checked against the uid list on every use */
	if (writeall(fd, (const char *)&h, sizeof h) < 0 || writeall(fd, (const char *)rec, n * sizeof *rec) < 0 ||
	    (names.len && writeall(fd, names.s, names.len) < 0)) {
		e = errno;
		close(fd);
		unlinkat(dfd, IDX_TMP, 0);
		errno = e;
		goto done;
	}
	close(fd);
	if (renameat(dfd, IDX_TMP, dfd, STORE_INDEX) == -1) {
		e = errno;
		unlinkat(dfd, IDX_TMP, 0);
		errno = e;
		goto done;
	}
	r = 1;
done:
	e = errno;
	free(rec);
	str_free(&names);
	errno = e;
	return r;
}

/* idx_load - f's messages from the folder's index, if it matches the uid list and both directories and takenew finds nothing in new/; 1 loaded, 0 not usable */
static int idx_load(int dfd, struct folder *f, int takenew)
{
	static const struct smsg zero;
	struct stat ul, st;
	struct idxhead hd;
	const struct idxhead *h;
	struct smsg *rec;
	char *map;
	size_t len, i, n, nnew = 0;
	uint64_t nbase;
	uint32_t prev = 0;
	int fd;

	if (fstatat(dfd, STORE_UIDLIST, &ul, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	fd = openat(dfd, STORE_INDEX, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (unsigned long long)st.st_size < sizeof *h ||
	    (unsigned long long)st.st_size > sizeof *h + (unsigned long long)IMAP_MSGS_MAX * (sizeof *rec + IMAP_NAME_MAX + 5)) {
		close(fd);
		return 0;
	}
	len = (size_t)st.st_size;
	/* the header first: it says where the table wants to be */
	if (pread(fd, &hd, sizeof hd, 0) != (ssize_t)sizeof hd || memcmp(hd.magic, IDX_MAGIC, sizeof hd.magic) ||
	    hd.order != IDX_ORDER || hd.ptrsize != sizeof (char *) || hd.layout != IDX_LAYOUT ||
	    hd.base < IDX_BASE_LOW || hd.base >= IDX_BASE_LOW + IDX_BASE_SPAN || hd.base % IDX_BASE_ALIGN ||
	    hd.ulino != (uint64_t)ul.st_ino || hd.ulsize != (uint64_t)ul.st_size ||
	    hd.ulsec != (uint64_t)ul.st_mtim.tv_sec || hd.ulnsec != (uint64_t)ul.st_mtim.tv_nsec ||
	    (takenew && hd.nnew)) {
		close(fd);
		return 0;
	}
	/* private and writable: flag changes and learned sizes land in copies of the pages they touch */
	map = mmap((void *)(uintptr_t)hd.base, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
	if (map == MAP_FAILED)
		map = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	h = (const struct idxhead *)map;
	n = h->n;
	/* all of it again from the mapping: the file may have changed under the look at its header */
	if (memcmp(h, &hd, sizeof hd) || !h->uidvalidity || !h->uidnext || n > IMAP_MSGS_MAX || h->nnew > n ||
	    (unsigned long long)len < sizeof *h + n * sizeof *rec || h->strsize != len - sizeof *h - n * sizeof *rec ||
	    (n && (h->strsize < 6 || map[len - 1])))
		goto unusable;
	{
		struct mtime c = { h->cursec, h->curnsec }, w = { h->newsec, h->newnsec };
		if (!sametime(c, dirmtime(dfd, "cur")) || !sametime(w, dirmtime(dfd, "new")))
			goto unusable;
	}
	rec = (struct smsg *)(map + sizeof *h);
	nbase = h->base + sizeof *h + n * sizeof *rec;
	for (i = 0; i < n; i++) {
		struct smsg *m = &rec[i], t;
		uint64_t off = (uint64_t)(uintptr_t)m->file - nbase;
		/* a name and its unique part stay inside the names, short of the last NUL */
		if (m->uid <= prev || m->uid >= h->uidnext || off >= h->strsize || m->baselen + 4ULL >= h->strsize - off ||
		    m->flags > 0x3f || m->recent > 1)
			goto unusable;
		/* everything else as a fresh load has it: zero */
		memcpy(&t, m, sizeof t);
		t.uid = 0;
		t.flags = 0;
		t.size = 0;
		t.idate = 0;
		t.baselen = 0;
		t.recent = 0;
		t.file = 0;
		if (memcmp(&t, &zero, sizeof t))
			goto unusable;
		prev = m->uid;
		nnew += m->recent;
	}
	if (nnew != h->nnew)
		goto unusable;
	if ((uint64_t)(uintptr_t)map != h->base) {
		/* mapped elsewhere: aim the names at this mapping */
		char *names = map + sizeof *h + n * sizeof *rec;
		for (i = 0; i < n; i++)
			rec[i].file = names + ((uint64_t)(uintptr_t)rec[i].file - nbase);
	}
	f->m = rec;
	f->n = n;
	f->a = n;
	f->minmap = 1;
	f->recent = nnew;
	f->uidvalidity = h->uidvalidity;
	f->uidnext = h->uidnext;
	f->idxmap = map;
	f->idxmaplen = len;
	return 1;
unusable:
	munmap(map, len);
	return 0;
}

/* store_flags_of - the flags after ":2," */
unsigned store_flags_of(const char *name, size_t n)
{
	size_t i;
	unsigned f = 0;

	for (i = 0; i + 2 < n; i++)
		if (name[i] == ':' && name[i + 1] == '2' && name[i + 2] == ',')
			break;
	for (i += 3; i < n; i++)
		switch (name[i]) {
		case 'D': f |= STORE_DRAFT; break;
		case 'F': f |= STORE_FLAGGED; break;
		case 'P': f |= STORE_PASSED; break;
		case 'R': f |= STORE_ANSWERED; break;
		case 'S': f |= STORE_SEEN; break;
		case 'T': f |= STORE_DELETED; break;
		}
	return f;
}

/* flagsuffix - ":2," and the letters of flags onto out */
static int flagsuffix(struct str *out, unsigned flags)
{
	int k;

	if (!str_cats(out, ":2,"))
		return 0;
	for (k = 0; k < 6; k++)
		if ((flags & (1u << k)) && !str_append(out, FLAGLETTERS[k]))
			return 0;
	return 1;
}

/* addmsg - one message file to f; 1 ok, -1 no memory */
static int addmsg(struct folder *f, const char *sub, const char *name, size_t n, size_t baselen, unsigned flags, int recent)
{
	struct smsg *m;
	char *file;

	if (f->n == f->a) {
		size_t na = f->a ? f->a * 2 : 256;
		m = realloc(f->m, na * sizeof *m);
		if (!m)
			return -1;
		f->m = m;
		f->a = na;
	}
	file = malloc(n + 5);
	if (!file)
		return -1;
	memcpy(file, sub, 4);
	memcpy(file + 4, name, n);
	file[n + 4] = 0;
	m = &f->m[f->n++];
	memset(m, 0, sizeof *m);
	m->file = file;
	m->ownfile = 1;
	m->baselen = (unsigned short)baselen;
	m->flags = flags;
	m->recent = (unsigned char)recent;
	return 1;
}

/* leadnum - the decimal number at s[*i] (at most 19 digits), moving *i past it */
static unsigned long long leadnum(const char *s, size_t n, size_t *i)
{
	unsigned long long v = 0;
	size_t k = 0;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9' && k++ < 19)
		v = v * 10 + (unsigned long long)(s[(*i)++] - '0');
	return v;
}

/*
 * a new message's place in delivery order, worked out once before
 * sorting: unique names start with the seconds and, in Courier's and
 * kurier's form, ".M" and the microseconds, which compare as numbers
 * (as text "M99" would sort after "M123"); then the whole name decides
 */
struct skey {
	unsigned long long sec, usec;	/* the leading seconds; the microseconds after ".M", if hasm */
	int hasm;
	struct smsg *m;
};

/* skey_of - the sort key of m */
static void skey_of(struct skey *k, struct smsg *m)
{
	const char *p = m->file + 4;
	size_t i = 0;

	k->m = m;
	k->sec = leadnum(p, m->baselen, &i);
	k->hasm = i + 1 < m->baselen && p[i] == '.' && p[i + 1] == 'M';
	k->usec = 0;
	if (k->hasm) {
		i += 2;
		k->usec = leadnum(p, m->baselen, &i);
	}
}

/* skeycmp - order by delivery: seconds, then microseconds when both have them, then the unique names */
static int skeycmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	size_t n;
	int c;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->hasm && y->hasm && x->usec != y->usec)
		return x->usec < y->usec ? -1 : 1;
	n = x->m->baselen < y->m->baselen ? x->m->baselen : y->m->baselen;
	c = memcmp(x->m->file + 4, y->m->file + 4, n);
	return c ? c : (x->m->baselen > y->m->baselen) - (x->m->baselen < y->m->baselen);
}

/* uidcmp - order messages by UID */
static int uidcmp(const void *a, const void *b)
{
	const struct smsg *x = a, *y = b;

	return (x->uid > y->uid) - (x->uid < y->uid);
}

/* scansub - add the messages of dir/sub ("cur" or "new"); 1 ok, -1 error */
static int scansub(int dfd, struct folder *f, const char *sub, int takenew)
{
	struct str nn = STR_INIT;
	struct dirent *d;
	DIR *dp;
	int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), isnew = sub[0] == 'n';

	if (fd == -1)
		return errno == ENOENT ? 1 : -1;
	dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dp))) {
		size_t n = strlen(d->d_name), base;
		if (d->d_name[0] == '.' || n > IMAP_NAME_MAX)
			continue;
		for (base = 0; base < n && d->d_name[base] != ':'; base++)
			;
		if (f->n >= IMAP_MSGS_MAX)
			break;
		if (isnew && takenew) {
			/* RFC 3501 \Recent: the first session to see it moves it to cur/ */
			nn.len = 0;
			if (!str_catb(&nn, d->d_name, base) || !flagsuffix(&nn, 0) || !str_0(&nn))
				goto nomem;
			{
				struct str to = STR_INIT;
				int ok;
				if (!str_copys(&to, "cur/") || !str_cats(&to, nn.s)) {
					str_free(&to);
					goto nomem;
				}
				ok = renameat(fd, d->d_name, dfd, to.s) == 0;
				str_free(&to);
				if (!ok)
					continue;	/* another session took it: it is in cur/ now or gone */
			}
			if (addmsg(f, "cur/", nn.s, nn.len - 1, base, 0, 1) < 0)
				goto nomem;
			f->recent++;
			continue;
		}
		if (isnew)
			f->recent++;
		if (addmsg(f, isnew ? "new/" : "cur/", d->d_name, n, base, isnew ? 0 : store_flags_of(d->d_name, n), isnew) < 0)
			goto nomem;
	}
	closedir(dp);
	str_free(&nn);
	return 1;
nomem:
	closedir(dp);
	str_free(&nn);
	errno = ENOMEM;
	return -1;
}

/* lockdir - open dir and take its exclusive lock; the descriptor, -1 error */
static int lockdir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd == -1)
		return -1;
	while (flock(dfd, LOCK_EX) == -1)
		if (errno != EINTR) {
			close(dfd);
			return -1;
		}
	return dfd;
}

/* store_free - release what f holds */
void store_free(struct folder *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->m[i].ownfile)
			free(f->m[i].file);
	free(f->ultext);
	for (i = 0; i < f->nkw; i++)
		free(f->kwname[i]);
	if (f->hctext)
		munmap(f->hctext, f->hcmap);
	if (!f->minmap)
		free(f->m);
	free(f->idxpend);
	if (f->idxmap)
		munmap(f->idxmap, f->idxmaplen);
	str_free(&f->hcnew);
	free(f->dir);
	memset(f, 0, sizeof *f);
}

static int kw_load(int dfd, struct folder *f);

/* fromlist - f's messages straight from the uid list, when the directories have not changed; they point into the list's text, which f takes over; 1 ok, -1 no memory */
static int fromlist(struct folder *f, struct ulist *u)
{
	size_t i, n = u->n < IMAP_MSGS_MAX ? u->n : IMAP_MSGS_MAX;

	f->m = malloc((n ? n : 1) * sizeof *f->m);
	if (!f->m)
		return -1;
	f->a = n ? n : 1;
	for (i = 0; i < n; i++) {
		const struct uent *e = &u->e[i];
		struct smsg *m = &f->m[i];
		int isnew = e->file[0] == 'n';
		memset(m, 0, sizeof *m);
		m->file = (char *)e->file;
		m->baselen = (unsigned short)e->len;
		m->flags = isnew ? 0 : store_flags_of(e->file + 4, e->flen - 4);
		m->recent = (unsigned char)isnew;
		m->uid = e->uid;
		m->size = e->size;
		m->idate = e->idate;
		f->recent += (size_t)isnew;
	}
	f->n = n;
	f->ultext = u->text;
	u->text = 0;
	return 1;
}

/* idx_later - note that f, as loaded from the list u, is worth an index; written by store_index_flush */
static void idx_later(int dfd, struct folder *f, const struct ulist *u)
{
	struct idxpend *p;

	if (!u->curm.sec || !u->newm.sec)
		return;	/* never trusted: not worth writing */
	p = calloc(1, sizeof *p);
	if (!p)
		return;	/* a cache: the list still serves */
	if (fstatat(dfd, STORE_UIDLIST, &p->ul, AT_SYMLINK_NOFOLLOW) == -1) {
		free(p);
		return;
	}
	p->u.uidvalidity = u->uidvalidity;
	p->u.uidnext = u->uidnext;
	p->u.curm = u->curm;
	p->u.newm = u->newm;
	free(f->idxpend);
	f->idxpend = p;
}

/* store_index_flush - write the index a load found missing or stale, if the list and the directories are still as then */
int store_index_flush(struct folder *f)
{
	struct idxpend *p = f->idxpend;
	struct stat st;
	int dfd, r = 0;

	if (!p)
		return 0;
	f->idxpend = 0;
	dfd = lockdir(f->dir);
	if (dfd == -1) {
		free(p);
		return -1;
	}
	if (fstatat(dfd, STORE_UIDLIST, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == p->ul.st_ino &&
	    st.st_size == p->ul.st_size && st.st_mtim.tv_sec == p->ul.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == p->ul.st_mtim.tv_nsec && sametime(p->u.curm, dirmtime(dfd, "cur")) &&
	    sametime(p->u.newm, dirmtime(dfd, "new")))
		r = idx_write(dfd, &p->u, f);
	close(dfd);
	free(p);
	return r;
}

/* store_load - the messages of dir with their UIDs; 1 ok, -1 error */
int store_load(const char *dir, struct folder *f, int takenew)
{
	struct ulist u;
	struct mtime mc, mn;
	struct str out = STR_INIT;
	size_t i, fresh = 0;
	time_t start = time(0);
	int dfd, r, dirty = 0, e;

	store_free(f);
	f->dir = strdup(dir);
	if (!f->dir)
		return -1;
	dfd = lockdir(dir);
	if (dfd == -1)
		return -1;
	/* the fastest way: the binary index, when it matches the list and the directories */
	if (idx_load(dfd, f, takenew) == 1) {
		r = kw_load(dfd, f);
		close(dfd);
		return r;
	}
	r = ulist_read(dfd, &u);
	if (r < 0)
		goto failu;
	if (r == 1) {
		/* the fast way: neither directory changed since the list was complete */
		int sorted = 1, innew = 0;
		for (i = 0; i < u.n; i++) {
			innew |= u.e[i].file[0] == 'n';
			if (i && u.e[i].uid <= u.e[i - 1].uid)
				sorted = 0;
		}
		if (sorted && !(takenew && innew) && sametime(u.curm, dirmtime(dfd, "cur")) && sametime(u.newm, dirmtime(dfd, "new"))) {
			if (fromlist(f, &u) < 0)
				goto failu;
			f->uidvalidity = u.uidvalidity;
			f->uidnext = u.uidnext;
					idx_later(dfd, f, &u);	/* the index was missing or stale */
			ulist_free(&u);
			r = kw_load(dfd, f);
			close(dfd);
			return r;
		}
	}
	if (scansub(dfd, f, "cur", takenew) < 0 || scansub(dfd, f, "new", takenew) < 0)
		goto failu;
	mc = settled(dirmtime(dfd, "cur"), start);
	mn = settled(dirmtime(dfd, "new"), start);
	if (r == 0) {
		/* a new list: a UIDVALIDITY above the old one, whether or not it
		 * could be read; a damaged list was written after its UIDVALIDITY
		 * was chosen, so its mtime bounds it */
		uint32_t old = u.uidvalidity;
		struct stat st;
		if (fstatat(dfd, STORE_UIDLIST, &st, AT_SYMLINK_NOFOLLOW) == 0 && (long long)st.st_mtime >= (long long)old &&
		    st.st_mtime < 0xffffffffL)
			old = (uint32_t)st.st_mtime;
		ulist_free(&u);
		u.uidvalidity = (uint32_t)time(0);
		if (u.uidvalidity <= old)
			u.uidvalidity = old + 1;
		u.uidnext = 1;
		dirty = 1;
	}
	if (mc.sec != u.curm.sec || mc.nsec != u.curm.nsec || mn.sec != u.newm.sec || mn.nsec != u.newm.nsec)
		dirty = 1;
	u.curm = mc;
	u.newm = mn;
	for (i = 0; i < f->n; i++) {
		struct smsg *m = &f->m[i];
		long k = ulist_find(&u, m->file + 4, m->baselen);
		if (k >= 0 && !u.e[k].seen) {
			u.e[k].seen = 1;
			m->uid = u.e[k].uid;
			m->size = u.e[k].size;
			m->idate = u.e[k].idate;
			if (u.e[k].flen != strlen(m->file) || memcmp(u.e[k].file, m->file, u.e[k].flen))
				dirty = 1;	/* flags or place changed */
		} else
			fresh++;
	}
	for (i = 0; i < u.n; i++)
		if (!u.e[i].seen)
			dirty = 1;	/* gone: drop it from the list */
	if (fresh) {
		/* new messages get UIDs in delivery order, from keys worked out
		 * once (a folder's first look sorts every message) */
		struct skey *key = malloc(fresh * sizeof *key);
		size_t k = 0;
		if (!key)
			goto failu;
		for (i = 0; i < f->n; i++)
			if (!f->m[i].uid)
				skey_of(&key[k++], &f->m[i]);
		qsort(key, fresh, sizeof *key, skeycmp);
		/* internal dates (the files' mtimes) are looked up when first asked for */
		for (k = 0; k < fresh; k++)
			key[k].m->uid = u.uidnext++;
		free(key);
		dirty = 1;
	}
	if (f->n)
		qsort(f->m, f->n, sizeof *f->m, uidcmp);	/* an empty folder has no array at all */
	f->uidvalidity = u.uidvalidity;
	f->uidnext = u.uidnext;
	if (dirty) {
		if (!ulist_head(&out, &u))
			goto failu;
		for (i = 0; i < f->n; i++)
			if (!ulist_line(&out, f->m[i].uid, f->m[i].size, f->m[i].idate, f->m[i].file, strlen(f->m[i].file)))
				goto failu;
		if (ulist_write(dfd, &out) < 0)
			goto failu;
	}
	idx_later(dfd, f, &u);
	ulist_free(&u);
	str_free(&out);
	r = kw_load(dfd, f);
	close(dfd);
	return r;
failu:
	ulist_free(&u);
	e = errno;
	str_free(&out);
	close(dfd);
	errno = e;
	return -1;
}

/* store_save_sizes - merge the sizes learned into the uid list */
int store_save_sizes(struct folder *f)
{
	struct ulist u;
	struct str out = STR_INIT;
	size_t i, any = 0;
	int dfd, r;

	for (i = 0; i < f->n; i++)
		any += f->m[i].sizedirty;
	if (!any)
		return 1;
	dfd = lockdir(f->dir);
	if (dfd == -1)
		return -1;
	r = ulist_read(dfd, &u);
	if (r == 1 && u.uidvalidity == f->uidvalidity) {
		for (i = 0; i < f->n; i++) {
			long k;
			if (!f->m[i].sizedirty)
				continue;
			k = ulist_find(&u, f->m[i].file + 4, f->m[i].baselen);
			if (k >= 0 && u.e[k].uid == f->m[i].uid) {
				if (f->m[i].size)
					u.e[k].size = f->m[i].size;
				if (f->m[i].idate > 0)
					u.e[k].idate = f->m[i].idate;
			}
			f->m[i].sizedirty = 0;
		}
		r = ulist_head(&out, &u) ? 1 : -1;
		for (i = 0; r == 1 && i < u.n; i++)
			if (!ulist_line(&out, u.e[i].uid, u.e[i].size, u.e[i].idate, u.e[i].file, u.e[i].flen))
				r = -1;
		if (r == 1)
			r = ulist_write(dfd, &out);
		if (r == 1)
			(void)idx_write(dfd, &u, 0);
	}
	ulist_free(&u);
	str_free(&out);
	close(dfd);
	return r < 0 ? -1 : 1;
}

/* store_setflags - rename message i to carry flags */
int store_setflags(struct folder *f, size_t i, unsigned flags)
{
	struct smsg *m = &f->m[i];
	struct str to = STR_INIT, from = STR_INIT;
	char *nf;

	if (m->gone)
		return 0;
	if (!str_copys(&to, f->dir) || !str_cats(&to, "/cur/") || !str_catb(&to, m->file + 4, m->baselen) ||
	    !flagsuffix(&to, flags) || !str_copys(&from, f->dir) || !str_append(&from, '/') ||
	    !str_cats(&from, m->file) || !str_0(&to) || !str_0(&from))
		goto nomem;
	if (strcmp(from.s, to.s) && rename(from.s, to.s) == -1) {
		str_free(&to);
		str_free(&from);
		if (errno == ENOENT) {
			m->gone = 1;
			return 0;
		}
		return -1;
	}
	nf = strdup(to.s + strlen(f->dir) + 1);
	if (!nf)
		goto nomem;
	if (m->ownfile)
		free(m->file);
	m->file = nf;
	m->ownfile = 1;
	m->flags = flags;
	str_free(&to);
	str_free(&from);
	return 1;
nomem:
	str_free(&to);
	str_free(&from);
	errno = ENOMEM;
	return -1;
}

/* ---- keywords ---- */

/* kwchar - 1 if c may be in a keyword (an atom without wildcards, brackets or backslash) */
static int kwchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '"' && c != '%' && c != '*' &&
	    c != ']' && c != '[' && c != '\\';
}

/* store_kw_bit - the bit of a keyword, added when asked */
int store_kw_bit(struct folder *f, const char *name, size_t n, int add)
{
	size_t k;

	if (!n || n > IMAP_KEYWORD_LEN)
		return -1;
	for (k = 0; k < n; k++)
		if (!kwchar((unsigned char)name[k]))
			return -1;
	for (k = 0; k < f->nkw; k++)
		if (strlen(f->kwname[k]) == n && !strncasecmp(f->kwname[k], name, n))
			return (int)k;
	if (!add)
		return -1;
	if (f->nkw >= IMAP_KEYWORDS_MAX)
		return -2;
	f->kwname[f->nkw] = strndup(name, n);
	if (!f->kwname[f->nkw])
		return -3;
	return (int)f->nkw++;
}

/* msgindex - an index of f's messages by unique name: slot = message index + 1; 1 ok, -1 no memory */
static int msgindex(const struct folder *f, size_t **tab, size_t *size)
{
	size_t hs = 16, i, h;

	while (hs < 2 * f->n + 16)
		hs *= 2;
	*tab = calloc(hs, sizeof **tab);
	if (!*tab)
		return -1;
	for (i = 0; i < f->n; i++) {
		for (h = hashname(f->m[i].file + 4, f->m[i].baselen) & (hs - 1); (*tab)[h]; h = (h + 1) & (hs - 1))
			;
		(*tab)[h] = i + 1;
	}
	*size = hs;
	return 1;
}

/* msgfind - the message with unique name s, or f->n */
static size_t msgfind(const struct folder *f, const size_t *tab, size_t hs, const char *s, size_t n)
{
	size_t h;

	for (h = hashname(s, n) & (hs - 1); tab[h]; h = (h + 1) & (hs - 1)) {
		const struct smsg *m = &f->m[tab[h] - 1];
		if (m->baselen == n && !memcmp(m->file + 4, s, n))
			return tab[h] - 1;
	}
	return f->n;
}

/* kw_load - the keywords of f's messages from the folder open at dfd; 1 ok (also when there are none), -1 error */
static int kw_load(int dfd, struct folder *f)
{
	char *text;
	size_t len, i, e, *tab = 0, hs = 0;
	int r = readfile(dfd, STORE_KEYWORDS, &text, &len);

	if (r <= 0)
		return r < 0 && errno != EINVAL ? -1 : 1;
	if (f->n && msgindex(f, &tab, &hs) < 0) {
		free(text);
		return -1;
	}
	for (i = 0; i < len && f->n; i = e + 1) {
		size_t k, w, m;
		for (e = i; e < len && text[e] != '\n'; e++)
			;
		for (k = i; k < e && text[k] != ' '; k++)
			;
		m = msgfind(f, tab, hs, text + i, k - i);
		if (m == f->n)
			continue;	/* expunged: dropped at the next write */
		while (k < e) {
			int b;
			for (w = ++k; k < e && text[k] != ' '; k++)
				;
			b = store_kw_bit(f, text + w, k - w, 1);
			if (b == -3) {
				free(tab);
				free(text);
				return -1;
			}
			if (b >= 0)
				f->m[m].kw |= 1u << b;
		}
	}
	free(tab);
	free(text);
	return 1;
}

/* store_kw_save - merge this session's keyword changes into the keyword file */
int store_kw_save(struct folder *f)
{
	struct str out = STR_INIT;
	char *text = 0;
	size_t len = 0, i, e, *tab = 0, hs = 0, any = 0;
	int dfd, r;
	static const char tmpname[] = STORE_KEYWORDS ".tmp";

	for (i = 0; i < f->n; i++)
		any += f->m[i].kwdirty;
	if (!any)
		return 1;
	dfd = lockdir(f->dir);
	if (dfd == -1)
		return -1;
	r = readfile(dfd, STORE_KEYWORDS, &text, &len);
	if (r < 0 || msgindex(f, &tab, &hs) < 0)
		goto fail;
	/* the lines of messages we did not change stay as they are */
	for (i = 0; i < len; i = e + 1) {
		size_t k, m;
		for (e = i; e < len && text[e] != '\n'; e++)
			;
		for (k = i; k < e && text[k] != ' '; k++)
			;
		m = msgfind(f, tab, hs, text + i, k - i);
		if (m < f->n && f->m[m].kwdirty)
			continue;
		if (!str_catb(&out, text + i, e - i) || !str_append(&out, '\n'))
			goto fail;
	}
	for (i = 0; i < f->n; i++) {
		size_t k;
		if (!f->m[i].kwdirty || !f->m[i].kw)
			continue;
		if (!str_catb(&out, f->m[i].file + 4, f->m[i].baselen))
			goto fail;
		for (k = 0; k < f->nkw; k++)
			if ((f->m[i].kw & (1u << k)) && (!str_append(&out, ' ') || !str_cats(&out, f->kwname[k])))
				goto fail;
		if (!str_append(&out, '\n'))
			goto fail;
	}
	{
		int fd = openat(dfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1)
			goto fail;
		if (writeall(fd, out.s ? out.s : "", out.len) < 0 || fsync(fd) == -1) {
			close(fd);
			unlinkat(dfd, tmpname, 0);
			goto fail;
		}
		close(fd);
		if (renameat(dfd, tmpname, dfd, STORE_KEYWORDS) == -1)
			goto fail;
	}
	for (i = 0; i < f->n; i++)
		f->m[i].kwdirty = 0;
	free(tab);
	free(text);
	str_free(&out);
	close(dfd);
	return 1;
fail:
	free(tab);
	free(text);
	str_free(&out);
	close(dfd);
	return -1;
}

/* ---- the header cache ---- */

/* hc_parse - walk the records of a cache text: for each one call fn; bytes of valid records, 0 if the head is wrong */
static size_t hc_parse(const char *t, size_t len, uint32_t uidvalidity,
    void (*fn)(void *ctx, uint32_t uid, size_t off, size_t n), void *ctx)
{
	size_t i, e, d;
	unsigned long long v, n;

	for (e = 0; e < len && t[e] != '\n'; e++)
		;
	if (e == len || e < 17 || memcmp(t, "kurier-headers 1 ", 17) || scan_ulong(t + 17, e - 17, &v) != e - 17 || v != uidvalidity)
		return 0;
	for (i = e + 1; i < len; ) {
		size_t start = i;
		if (!(d = scan_ulong(t + i, len - i, &v)) || v == 0 || v > 0xffffffffULL || i + d >= len || t[i + d] != ' ')
			return start;
		i += d + 1;
		if (!(d = scan_ulong(t + i, len - i, &n)) || n > STORE_HEADER_MAX || i + d >= len || t[i + d] != '\n')
			return start;
		i += d + 1;
		if (n >= len - i || t[i + n] != '\n')
			return start;
		if (fn)
			fn(ctx, (uint32_t)v, i, (size_t)n);
		i += (size_t)n + 1;
	}
	return len;
}

/* hc_note - a record of the file: point its message at it */
static void hc_note(void *ctx, uint32_t uid, size_t off, size_t n)
{
	struct folder *f = ctx;
	size_t i = store_find_uid(f, uid);

	if (i < f->n && n && off <= 0xffffffffULL) {
		f->m[i].hoff = (uint32_t)off;
		f->m[i].hlen = (uint32_t)n;
		f->m[i].hnew = 0;
	}
}

/* hc_load - read the cache file once */
static void hc_load(struct folder *f)
{
	int dfd;

	if (f->hcloaded)
		return;
	f->hcloaded = 1;
	dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return;
	{
		/* mapped, not read: the pages are the page cache's, shared by every session */
		int fd = openat(dfd, STORE_HEADERS, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
		    (unsigned long long)st.st_size <= STORE_HCACHE_MAX + STORE_HEADER_MAX) {
			void *p = mmap(0, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (p != MAP_FAILED) {
				f->hctext = p;
				f->hcmap = (size_t)st.st_size;
				f->hclen = hc_parse(f->hctext, f->hcmap, f->uidvalidity, hc_note, f);
				/* the walk touched every page: let them go until asked for */
				(void)madvise(f->hctext, f->hcmap, MADV_DONTNEED);
				f->hctouch = 0;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	close(dfd);
}

/* store_hcache_get - the cached header block of message i */
const char *store_hcache_get(struct folder *f, size_t i, size_t *len)
{
	const struct smsg *m;

	hc_load(f);
	m = &f->m[i];
	if (!m->hlen)
		return 0;
	*len = m->hlen;
	if (m->hnew)
		return f->hcnew.s + m->hoff;
	f->hctouch += m->hlen;
	if (f->hctouch > STORE_HCACHE_RESIDENT) {
		/* a read-only private mapping never copied: what it shows is the
		 * file's, read again on the next touch, so pointers stay good */
		(void)madvise(f->hctext, f->hcmap, MADV_DONTNEED);
		f->hctouch = m->hlen;
	}
	return f->hctext + m->hoff;
}

/* store_hcache_add - remember a header block */
int store_hcache_add(struct folder *f, size_t i, const char *h, size_t n)
{
	struct smsg *m = &f->m[i];
	size_t off;

	if (m->hlen || !n || n > STORE_HEADER_MAX || f->hcnew.len + f->hclen > STORE_HCACHE_MAX)
		return 0;
	if (!str_catu(&f->hcnew, m->uid) || !str_append(&f->hcnew, ' ') || !str_catu(&f->hcnew, n) ||
	    !str_append(&f->hcnew, '\n'))
		return -1;
	off = f->hcnew.len;
	if (!str_catb(&f->hcnew, h, n) || !str_append(&f->hcnew, '\n'))
		return -1;
	m->hoff = (uint32_t)off;
	m->hlen = (uint32_t)n;
	m->hnew = 1;
	return 1;
}

struct hc_keep {
	const struct folder *f;
	const char *t;
	struct str *out;
	int ok;
};

/* hc_keep1 - copy a record of the file if its message is still there or newer than our view */
static void hc_keep1(void *ctx, uint32_t uid, size_t off, size_t n)
{
	struct hc_keep *k = ctx;
	const struct folder *f = k->f;
	size_t i = store_find_uid(f, uid);
	int newer = !f->n || uid > f->m[f->n - 1].uid;

	if (i == f->n && !newer)
		return;
	if (i < f->n && f->m[i].hnew)
		return;	/* ours is added below */
	if (!str_catu(k->out, uid) || !str_append(k->out, ' ') || !str_catu(k->out, n) || !str_append(k->out, '\n') ||
	    !str_catb(k->out, k->t + off, n) || !str_append(k->out, '\n'))
		k->ok = 0;
}

/* store_hcache_save - merge what was learned into the cache file */
int store_hcache_save(struct folder *f)
{
	static const char tmpname[] = STORE_HEADERS ".tmp";
	struct str out = STR_INIT;
	struct hc_keep k;
	char *text = 0;
	size_t len = 0;
	int dfd, fd, r = -1;

	if (!f->hcnew.len)
		return 1;
	dfd = lockdir(f->dir);
	if (dfd == -1)
		return -1;
	if (!str_cats(&out, "kurier-headers 1 ") || !str_catu(&out, f->uidvalidity) || !str_append(&out, '\n'))
		goto done;
	if (readfile(dfd, STORE_HEADERS, &text, &len) == 1) {
		k.f = f;
		k.t = text;
		k.out = &out;
		k.ok = 1;
		(void)hc_parse(text, len, f->uidvalidity, hc_keep1, &k);
		if (!k.ok)
			goto done;
	}
	if (!str_cat(&out, &f->hcnew))
		goto done;
	fd = openat(dfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto done;
	if (writeall(fd, out.s, out.len) < 0) {
		close(fd);
		unlinkat(dfd, tmpname, 0);
		goto done;
	}
	close(fd);
	/* a cache: no fsync; a torn file only loses the records past the tear */
	if (renameat(dfd, tmpname, dfd, STORE_HEADERS) == 0)
		r = 1;
done:
	{
		/* the records now live in the file; drop ours either way */
		size_t i;
		for (i = 0; i < f->n; i++)
			f->m[i].hlen = f->m[i].hnew = 0;
		str_free(&f->hcnew);	/* give the memory back, not just the length */
		if (f->hctext)
			munmap(f->hctext, f->hcmap);
		f->hctext = 0;
		f->hcmap = 0;
		f->hclen = 0;
		f->hctouch = 0;
		f->hcloaded = 0;
	}
	free(text);
	str_free(&out);
	close(dfd);
	return r;
}

/* store_idate - the internal date of message i: the file's mtime, learned once; 0 if the file is gone */
long long store_idate(struct folder *f, size_t i)
{
	struct smsg *m = &f->m[i];
	struct str p = STR_INIT;
	struct stat st;

	if (m->idate > 0)
		return m->idate;
	if (str_copys(&p, f->dir) && str_append(&p, '/') && str_cats(&p, m->file) && str_0(&p) &&
	    lstat(p.s, &st) == 0) {
		m->idate = (long long)st.st_mtime;
		m->sizedirty = 1;	/* worth keeping in the uid list */
	}
	str_free(&p);
	return m->idate;
}

/* store_find_uid - binary search by UID */
size_t store_find_uid(const struct folder *f, uint32_t uid)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->m[mid].uid < uid)
			lo = mid + 1;
		else if (f->m[mid].uid > uid)
			hi = mid;
		else
			return mid;
	}
	return f->n;
}

/* store_prefetch - ask the kernel to start reading message i's file, unless its header is cached */
void store_prefetch(const struct folder *f, size_t i)
{
	static struct str p;
	int fd;

	if (i >= f->n || f->m[i].hlen)
		return;
	p.len = 0;
	if (!str_cats(&p, f->dir) || !str_append(&p, '/') || !str_cats(&p, f->m[i].file) || !str_0(&p))
		return;
	fd = open(p.s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	close(fd);
}

/* store_read - the message file into out */
int store_read(const struct folder *f, size_t i, struct str *out)
{
	static struct str p;	/* the path, kept for the next message: one open per message, not three calls */
	char *text;
	size_t len;
	int r;

	p.len = 0;
	if (!str_cats(&p, f->dir) || !str_append(&p, '/') || !str_cats(&p, f->m[i].file) || !str_0(&p)) {
		errno = ENOMEM;
		return -1;
	}
	r = readfile(AT_FDCWD, p.s, &text, &len);
	if (r <= 0)
		return r;
	str_free(out);
	out->s = text;
	out->len = len;
	out->a = len + 1;
	return 1;
}

/* ---- names ---- */

int store_inbox_prefix = 1;
const char *store_shared_root = 0;

/* foldername_ok - 1 if name[0..n) is an acceptable folder name below a namespace ("A" or "A.B") */
static int foldername_ok(const char *name, size_t n)
{
	size_t i;

	if (!n || n > MAILDIR_FOLDER_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/' || c < 0x20 || c == 0x7f || c == '*' || c == '%' ||
		    (c == '.' && (i == 0 || i + 1 == n || name[i + 1] == '.')))
			return 0;
	}
	return 1;
}

/* store_mailbox_dir - the folder directory of a mailbox name */
int store_mailbox_dir(const char *name, size_t n, struct str *dir)
{
	static const char sh[] = STORE_SHARED_PREFIX;
	struct str u = STR_INIT;
	int r;

	if (!n || n > IMAP_MAILBOX_MAX || memchr(name, 0, n))
		return 0;
	r = imap_utf7_decode(name, n, &u);
	str_free(&u);
	if (r != 1)
		return 0;
	if (n == 5 && !strncasecmp(name, "INBOX", 5))
		return str_copys(dir, ".") ? 1 : 0;
	if (store_shared_root) {
		/* the public namespace: "shared" itself is only its root, never a folder */
		if (n >= sizeof sh - 2 && !memcmp(name, sh, sizeof sh - 2) && (n == sizeof sh - 2 || (n == sizeof sh - 1 && name[n - 1] == '.')))
			return 0;
		if (n > sizeof sh - 1 && !memcmp(name, sh, sizeof sh - 1)) {
			name += sizeof sh - 1;
			n -= sizeof sh - 1;
			if (n && name[n - 1] == '.')
				n--;
			if (!foldername_ok(name, n))
				return 0;
			return str_copys(dir, STORE_MIRRORS "/.") && str_catb(dir, name, n) ? 1 : 0;
		}
	}
	if (store_inbox_prefix) {
		if (n < 7 || strncasecmp(name, "INBOX.", 6))
			return 0;
		name += 6;
		n -= 6;
	}
	if (n && name[n - 1] == '.')
		n--;	/* CREATE "INBOX.a." names the folder a */
	if (!foldername_ok(name, n))
		return 0;
	if (!str_copys(dir, ".") || !str_catb(dir, name, n))
		return 0;
	return 1;
}

/* store_dir_mailbox - the mailbox name of a directory */
int store_dir_mailbox(const char *dir, struct str *name)
{
	if (store_is_shared(dir))
		return str_copys(name, "shared") && str_cats(name, dir + sizeof STORE_MIRRORS);
	if (!strcmp(dir, "."))
		return str_copys(name, "INBOX");
	if (!store_inbox_prefix)
		return str_copys(name, dir + 1);
	return str_copys(name, "INBOX") && str_cats(name, dir);
}

/* namecmp - qsort order for C-string pointers */
static int namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* names_out - when r is 1, the n names v sorted into out, each followed by NUL, and n into *count; frees v; r, or -1 on no memory */
static int names_out(char **v, size_t n, int r, struct str *out, size_t *count)
{
	size_t i;

	if (r == 1) {
		if (n)
			qsort(v, n, sizeof *v, namecmp);
		for (i = 0; i < n; i++)
			if (!str_cats(out, v[i]) || !str_0(out))
				r = -1;
		*count = n;
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return r;
}

/* store_folders - every ".A.B" directory, sorted, each followed by NUL */
int store_folders(struct str *out, size_t *count)
{
	DIR *dp = opendir(".");
	struct dirent *d;
	char **v = 0;
	size_t n = 0, a = 0;
	int r = 1;

	out->len = 0;
	*count = 0;
	if (!dp)
		return -1;
	while ((d = readdir(dp))) {
		struct stat st;
		if (d->d_name[0] != '.' || !d->d_name[1] || (d->d_name[1] == '.' && !d->d_name[2]))
			continue;
		if (!maildir_folder_ok(d->d_name + 1))
			continue;
		if (fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if (n == a) {
			char **nv;
			a = a ? a * 2 : 32;
			nv = realloc(v, a * sizeof *v);
			if (!nv) { r = -1; break; }
			v = nv;
		}
		if (!(v[n] = strdup(d->d_name))) { r = -1; break; }
		n++;
	}
	closedir(dp);
	return names_out(v, n, r, out, count);
}

/* store_create - a new folder */
int store_create(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) == 0)
		return 0;
	return maildir_folder_make(".", dir + 1) == 1 ? 1 : -1;
}

/* rmsub - remove every file in dir/sub and then sub; 1 ok, -1 error */
static int rmsub(const char *dir, const char *sub)
{
	struct str p = STR_INIT;
	struct dirent *d;
	DIR *dp;
	int fd, r = 1;

	if (!str_copys(&p, dir) || !str_append(&p, '/') || !str_cats(&p, sub) || !str_0(&p))
		return -1;
	fd = open(p.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		str_free(&p);
		return errno == ENOENT || errno == ENOTDIR ? 1 : -1;
	}
	dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		str_free(&p);
		return -1;
	}
	while ((d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") && unlinkat(dirfd(dp), d->d_name, 0) == -1)
			r = -1;
	closedir(dp);
	if (rmdir(p.s) == -1)
		r = -1;
	str_free(&p);
	return r;
}

/* store_delete - remove a folder's messages, files and directory */
int store_delete(const char *dir)
{
	struct stat st;
	struct dirent *d;
	DIR *dp;

	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	if (rmsub(dir, "tmp") < 0 || rmsub(dir, "new") < 0 || rmsub(dir, "cur") < 0)
		return -1;
	dp = opendir(dir);
	if (!dp)
		return -1;
	while ((d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			(void)unlinkat(dirfd(dp), d->d_name, 0);
	closedir(dp);
	return rmdir(dir) == 0 ? 1 : -1;
}

/* store_rename - rename a folder (or a name that only has subfolders) and its subfolders */
int store_rename(const char *from, const char *to)
{
	struct str list = STR_INIT, nn = STR_INIT;
	struct stat st;
	size_t count, i, fl = strlen(from);
	int r = 1;

	int have = lstat(from, &st) == 0, kids = 0;

	if (lstat(to, &st) == 0)
		return 0;
	if (store_folders(&list, &count) < 0)
		return -1;
	for (i = 0; i < list.len; i += strlen(list.s + i) + 1)
		if (!strncmp(list.s + i, from, fl) && list.s[i + fl] == '.')
			kids = 1;
	/* a name with subfolders but no folder of its own (\Noselect) renames its subfolders */
	if (!have && !kids) {
		str_free(&list);
		return 0;
	}
	if (have && rename(from, to) == -1) {
		str_free(&list);
		return -1;
	}
	for (i = 0; i < list.len; i += strlen(list.s + i) + 1) {
		const char *d = list.s + i;
		if (strncmp(d, from, fl) || d[fl] != '.')
			continue;
		nn.len = 0;
		if (!str_copys(&nn, to) || !str_cats(&nn, d + fl) || !str_0(&nn) || rename(d, nn.s) == -1)
			r = -1;
	}
	str_free(&list);
	str_free(&nn);
	return r;
}

/* assign - give the new file ("cur/NAME:2,FLAGS") in dir the next UID; 1 ok, -1 error */
static int assign(const char *dir, const char *file, size_t flen, long long idate, unsigned long long size,
    uint32_t *uid, uint32_t *uidvalidity)
{
	struct ulist u;
	struct str out = STR_INIT;
	size_t i;
	int dfd = lockdir(dir), r;

	if (dfd == -1)
		return -1;
	r = ulist_read(dfd, &u);
	if (r < 0) {
		close(dfd);
		return -1;
	}
	if (r == 0) {
		/* no list yet (a new folder): start one; files already there get
		 * their UIDs, after this one, at the next full load */
		uint32_t old = u.uidvalidity;
		ulist_free(&u);
		u.uidvalidity = (uint32_t)time(0);
		if (u.uidvalidity <= old)
			u.uidvalidity = old + 1;
		u.uidnext = 1;
	}
	*uid = u.uidnext++;
	*uidvalidity = u.uidvalidity;
	/* the directories changed under the list: the next load looks at them */
	u.curm.sec = u.curm.nsec = u.newm.sec = u.newm.nsec = 0;
	r = ulist_head(&out, &u) ? 1 : -1;
	for (i = 0; r == 1 && i < u.n; i++)
		if (!ulist_line(&out, u.e[i].uid, u.e[i].size, u.e[i].idate, u.e[i].file, u.e[i].flen))
			r = -1;
	if (r == 1 && !ulist_line(&out, *uid, size, idate, file, flen))
		r = -1;
	if (r == 1)
		r = ulist_write(dfd, &out);
	ulist_free(&u);
	str_free(&out);
	close(dfd);
	return r;
}

/* tocur - move dir/new/NAME to dir/cur/NAME:2,FLAGS (that in rel, "cur/...") and set its mtime; 1 ok, -1 error */
static int tocur(const char *dir, const char *name, unsigned flags, long long idate, struct str *rel)
{
	struct str from = STR_INIT, to = STR_INIT;
	int r = -1;

	if (!str_copys(rel, "cur/") || !str_cats(rel, name) || !flagsuffix(rel, flags))
		return -1;
	if (str_copys(&from, dir) && str_cats(&from, "/new/") && str_cats(&from, name) && str_0(&from) &&
	    str_copys(&to, dir) && str_cats(&to, "/cur/") && str_cats(&to, name) && flagsuffix(&to, flags) && str_0(&to) &&
	    rename(from.s, to.s) == 0) {
		r = 1;
		if (idate > 0) {
			struct timespec ts[2];
			ts[0].tv_sec = ts[1].tv_sec = (time_t)idate;
			ts[0].tv_nsec = ts[1].tv_nsec = 0;
			(void)utimensat(AT_FDCWD, to.s, ts, 0);
		}
	}
	str_free(&from);
	str_free(&to);
	return r;
}

/* kw_append - add the line "name kw" to dir's keyword file (a new message has none yet); 1 ok, -1 error */
static int kw_append(const char *dir, const char *name, const char *kw)
{
	static const char tmpname[] = STORE_KEYWORDS ".tmp";
	struct str out = STR_INIT;
	char *text = 0;
	size_t len = 0;
	int dfd = lockdir(dir), r = -1, fd;

	if (dfd == -1)
		return -1;
	if (readfile(dfd, STORE_KEYWORDS, &text, &len) < 0)
		goto done;
	if (!str_catb(&out, text ? text : "", len) || (len && text[len - 1] != '\n' && !str_append(&out, '\n')) ||
	    !str_cats(&out, name) || !str_append(&out, ' ') || !str_cats(&out, kw) || !str_append(&out, '\n'))
		goto done;
	fd = openat(dfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto done;
	if (writeall(fd, out.s, out.len) < 0 || fsync(fd) == -1) {
		close(fd);
		unlinkat(dfd, tmpname, 0);
		goto done;
	}
	close(fd);
	if (renameat(dfd, tmpname, dfd, STORE_KEYWORDS) == 0)
		r = 1;
done:
	free(text);
	str_free(&out);
	close(dfd);
	return r;
}

/* store_deliver - APPEND: write, fsync, commit, move to cur/ with flags, assign a UID */
int store_deliver(const char *dir, const char *msg, size_t n, unsigned flags, const char *kw, long long idate, uint32_t *uid, uint32_t *uidvalidity)
{
	struct str rel = STR_INIT;
	struct maildir_tmp t;
	size_t sz;
	int r;

	if (maildir_tmp_open(&t, dir) != 1)
		return -1;
	if (maildir_tmp_write(&t, msg, n) != 1) {
		maildir_abort(&t);
		return -1;
	}
	if (maildir_commit(&t) != 1)
		return -1;
	if (idate <= 0)
		idate = (long long)time(0);
	r = tocur(dir, t.name.s, flags, idate, &rel);
	sz = n;
	{
		size_t i;
		for (i = 0; i < n; i++)
			if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
				sz++;
	}
	if (r == 1)
		r = assign(dir, rel.s, rel.len, idate, sz, uid, uidvalidity);
	if (r == 1 && kw && *kw)
		r = kw_append(dir, t.name.s, kw);
	str_free(&t.name);
	str_free(&rel);
	return r;
}

/* store_copy - COPY: the message into dir under a new name with flags */
int store_copy(const char *srcdir, const char *src, const char *dir, unsigned flags, const char *kw, uint32_t *uid, uint32_t *uidvalidity)
{
	return store_copy_made(srcdir, src, dir, flags, kw, uid, uidvalidity, 0);
}

/* store_copy_made - store_copy that also tells where the copy went ("cur/NAME:2,FLAGS" in made, when not 0) */
int store_copy_made(const char *srcdir, const char *src, const char *dir, unsigned flags, const char *kw, uint32_t *uid, uint32_t *uidvalidity,
    struct str *made)
{
	struct str p = STR_INIT, rel = STR_INIT;
	struct maildir_tmp t;
	struct stat st;
	int fd, r;

	if (!str_copys(&p, srcdir) || !str_append(&p, '/') || !str_cats(&p, src) || !str_0(&p))
		return -1;
	fd = open(p.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	str_free(&p);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || maildir_tmp_open(&t, dir) != 1) {
		close(fd);
		return -1;
	}
	if (maildir_tmp_copy(&t, fd) != 1) {
		close(fd);
		maildir_abort(&t);
		return -1;
	}
	close(fd);
	if (maildir_commit(&t) != 1)
		return -1;
	/* where it is now, so that the caller can take it back whatever fails below */
	if (made && (!str_copys(made, "new/") || !str_cats(made, t.name.s) || !str_0(made))) {
		str_free(&t.name);
		return -1;
	}
	r = tocur(dir, t.name.s, flags, (long long)st.st_mtime, &rel);
	if (r == 1 && made && (!str_copy(made, &rel) || !str_0(made)))
		r = -1;
	if (r == 1)
		r = assign(dir, rel.s, rel.len, (long long)st.st_mtime, 0, uid, uidvalidity);
	if (r == 1 && kw && *kw)
		r = kw_append(dir, t.name.s, kw);
	str_free(&t.name);
	str_free(&rel);
	return r;
}

/* ---- subscriptions: one mailbox name per line ---- */

/* store_subscriptions - the subscribed names */
int store_subscriptions(struct str *out)
{
	char *text;
	size_t len, i;
	int r = readfile(AT_FDCWD, STORE_SUBSCRIBED, &text, &len);

	out->len = 0;
	if (r <= 0)
		return r < 0 ? -1 : 1;
	for (i = 0; i < len; i++)
		if (!str_append(out, text[i] == '\n' ? 0 : text[i])) {
			free(text);
			return -1;
		}
	if (len && text[len - 1] != '\n' && !str_0(out)) {
		free(text);
		return -1;
	}
	free(text);
	return 1;
}

/* store_subscribe - add or remove a name, rewriting the file atomically */
int store_subscribe(const char *name, size_t n, int on)
{
	struct str cur = STR_INIT, out = STR_INIT;
	size_t i;
	int found = 0, r = -1, dfd;

	dfd = lockdir(".");
	if (dfd == -1)
		return -1;
	if (store_subscriptions(&cur) < 0)
		goto done;
	for (i = 0; i < cur.len; ) {
		size_t l = strlen(cur.s + i);
		if (l == n && !memcmp(cur.s + i, name, n))
			found = 1;
		else if (l && (!str_catb(&out, cur.s + i, l) || !str_append(&out, '\n')))
			goto done;
		i += l + 1;
	}
	if (on && (!str_catb(&out, name, n) || !str_append(&out, '\n')))
		goto done;
	if (found == on && on) {
		r = 1;
		goto done;
	}
	{
		int fd = open(STORE_SUBSCRIBED ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1)
			goto done;
		if (writeall(fd, out.s ? out.s : "", out.len) < 0 || fsync(fd) == -1) {
			close(fd);
			goto done;
		}
		close(fd);
		if (rename(STORE_SUBSCRIBED ".tmp", STORE_SUBSCRIBED) == -1)
			goto done;
	}
	r = 1;
done:
	str_free(&cur);
	str_free(&out);
	close(dfd);
	return r;
}

/*
 * ---- public folders ----
 * The public folders are the ".A.B" Maildir++ folders under
 * store_shared_root, written by whoever the file system lets (never by
 * kurier-imapd).  A user reads one through a private mirror,
 * STORE_MIRRORS/.A.B in the user's maildir: a folder like any other
 * whose cur/ holds a hard link to (or, where the file system refuses
 * the link, a copy of) every public message, under the public file's
 * name and flags.  The uid list, keyword file and header cache are the
 * mirror's, so nothing is ever written into the public folder.
 */

/* store_is_shared - 1 if dir is the mirror of a public folder */
int store_is_shared(const char *dir)
{
	return !strncmp(dir, STORE_MIRRORS "/.", sizeof STORE_MIRRORS + 1);
}

/* pubpath - the public folder a mirror dir stands for, into p; 1 ok, 0 no memory */
static int pubpath(const char *dir, struct str *p)
{
	return str_copys(p, store_shared_root) && str_append(p, '/') && str_cats(p, dir + sizeof STORE_MIRRORS) && str_0(p);
}

/* pubreadable - 1 if the user may list and read the public folder at path p (NUL-terminated, room for "/cur") */
static int pubreadable(struct str *p)
{
	struct stat st;
	int r;

	if (stat(p->s, &st) == -1 || !S_ISDIR(st.st_mode) || access(p->s, R_OK | X_OK) == -1)
		return 0;
	p->len--;
	if (!str_cats(p, "/cur") || !str_0(p))
		return 0;
	r = access(p->s, R_OK | X_OK) == 0;
	p->len -= 5;
	p->s[p->len] = 0;
	p->len++;
	return r;
}

/* store_shared_folders - the public folders this user may read, as mirror dirs, sorted */
int store_shared_folders(struct str *out, size_t *count)
{
	struct str p = STR_INIT;
	struct dirent *d;
	char **v = 0;
	size_t n = 0, a = 0;
	DIR *dp;
	int r = 1;

	out->len = 0;
	*count = 0;
	if (!store_shared_root || !(dp = opendir(store_shared_root)))
		return 1;	/* no public folders, or none this user may see */
	while ((d = readdir(dp))) {
		if (d->d_name[0] != '.' || !maildir_folder_ok(d->d_name + 1))
			continue;
		p.len = 0;
		if (!str_copys(&p, store_shared_root) || !str_append(&p, '/') || !str_cats(&p, d->d_name) || !str_0(&p)) {
			r = -1;
			break;
		}
		if (!pubreadable(&p))
			continue;
		if (n == a) {
			char **nv;
			a = a ? a * 2 : 32;
			nv = realloc(v, a * sizeof *v);
			if (!nv) { r = -1; break; }
			v = nv;
		}
		p.len = 0;
		if (!str_copys(&p, STORE_MIRRORS "/") || !str_cats(&p, d->d_name) || !str_0(&p) || !(v[n] = strdup(p.s))) {
			r = -1;
			break;
		}
		n++;
	}
	closedir(dp);
	str_free(&p);
	return names_out(v, n, r, out, count);
}

#define STORE_COPY_CHUNK 65536	/* bytes a mirror copy moves per read: a few pages, on the stack */

/* store_shared_prune - remove the mirrors whose public folder is gone or closed to the user */
int store_shared_prune(void)
{
	struct str p = STR_INIT, m = STR_INIT;
	struct dirent *d;
	DIR *dp = opendir(STORE_MIRRORS);
	int r = 1;

	if (!dp)
		return errno == ENOENT ? 1 : -1;
	while ((d = readdir(dp))) {
		if (d->d_name[0] != '.' || !maildir_folder_ok(d->d_name + 1))
			continue;
		if (store_shared_root) {
			p.len = 0;
			if (!str_copys(&p, store_shared_root) || !str_append(&p, '/') || !str_cats(&p, d->d_name) || !str_0(&p)) {
				r = -1;
				break;
			}
			if (pubreadable(&p))
				continue;
		}	/* without public folders, no mirror is of use */
		m.len = 0;
		if (!str_copys(&m, STORE_MIRRORS "/") || !str_cats(&m, d->d_name) || !str_0(&m) || store_delete(m.s) < 0)
			r = -1;
	}
	closedir(dp);
	str_free(&p);
	str_free(&m);
	return r;
}

/* one message file of a public folder or of its mirror */
struct pent {
	char *name;	/* the file name */
	size_t base;	/* bytes of the unique name (before ":") */
	int isnew;	/* in new/ rather than cur/ */
};

/* pentcmp - qsort order of pents: by unique name */
static int pentcmp(const void *a, const void *b)
{
	const struct pent *x = a, *y = b;
	size_t n = x->base < y->base ? x->base : y->base;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	return x->base < y->base ? -1 : x->base > y->base;
}

/* pentlist - the message files of dfd/sub onto *v; 1 ok, -1 error */
static int pentlist(int dfd, const char *sub, struct pent **v, size_t *n, size_t *a)
{
	struct dirent *d;
	DIR *dp;
	int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return errno == ENOENT ? 1 : -1;
	if (!(dp = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dp)) && *n < IMAP_MSGS_MAX) {
		size_t l = strlen(d->d_name), b;
		if (d->d_name[0] == '.' || l > IMAP_NAME_MAX)
			continue;
		for (b = 0; b < l && d->d_name[b] != ':'; b++)
			;
		if (*n == *a) {
			struct pent *nv;
			*a = *a ? *a * 2 : 256;
			nv = realloc(*v, *a * sizeof **v);
			if (!nv)
				goto fail;
			*v = nv;
		}
		if (!((*v)[*n].name = strdup(d->d_name)))
			goto fail;
		(*v)[*n].base = b;
		(*v)[*n].isnew = sub[0] == 'n';
		(*n)++;
	}
	closedir(dp);
	return 1;
fail:
	closedir(dp);
	errno = ENOMEM;
	return -1;
}

/* pentfree - release a pent list */
static void pentfree(struct pent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* mirrorcopy - copy the public file pfd/name into the mirror at mfd as cur/to: tmp/, the public mtime, rename; 1 ok, 0 unreadable, -1 error */
static int mirrorcopy(int pfd, const char *name, int mfd, const char *to, struct str *tmpn)
{
	char b[STORE_COPY_CHUNK];
	struct stat st;
	struct timespec ts[2];
	int in = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), o, r = -1;
	ssize_t k;

	if (in == -1)
		return errno == ENOENT || errno == EACCES || errno == ELOOP ? 0 : -1;
	if (fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(in);
		return 0;
	}
	tmpn->len = 0;
	if (!str_copys(tmpn, "tmp/") || !str_cats(tmpn, to) || !str_0(tmpn)) {
		close(in);
		return -1;
	}
	(void)unlinkat(mfd, tmpn->s, 0);	/* what an interrupted copy left */
	o = openat(mfd, tmpn->s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (o == -1) {
		close(in);
		return -1;
	}
	for (;;) {
		k = read(in, b, sizeof b);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (writeall(o, b, (size_t)k) < 0) {
			k = -1;
			break;
		}
	}
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	/* no fsync: the mirror is a cache, and a copy a crash cut short no
	 * longer has the public file's size, which the next sync compares */
	if (k == 0 && futimens(o, ts) == 0) {
		struct str dst = STR_INIT;
		if (str_copys(&dst, "cur/") && str_cats(&dst, to) && str_0(&dst) && renameat(mfd, tmpn->s, mfd, dst.s) == 0)
			r = 1;
		str_free(&dst);
	}
	close(o);
	close(in);
	if (r != 1)
		(void)unlinkat(mfd, tmpn->s, 0);
	return r;
}

/* the last mirror this process brought up to date, and the times of its public cur/ and new/ then */
static char *synced;
static struct timespec syncedcur, syncednew;

/* pubtimes - the mtimes of the public folder p's cur/ and new/ (p NUL-terminated); 1 ok, 0 cannot tell */
static int pubtimes(struct str *p, struct timespec *c, struct timespec *n)
{
	struct stat st;
	size_t l = p->len;
	int ok = 0;

	p->len--;
	if (str_cats(p, "/cur") && str_0(p) && stat(p->s, &st) == 0) {
		*c = st.st_mtim;
		p->s[p->len - 4] = 'n';
		p->s[p->len - 3] = 'e';
		p->s[p->len - 2] = 'w';
		if (stat(p->s, &st) == 0) {
			*n = st.st_mtim;
			ok = 1;
		}
	}
	p->len = l;
	p->s[l - 1] = 0;
	return ok;
}

/* store_shared_sync - bring the mirror dir of a public folder up to date with it; 1 ok, 0 the user may not read it (no mirror), -1 error */
int store_shared_sync(const char *dir)
{
	struct str p = STR_INIT, to = STR_INIT, tn = STR_INIT;
	struct pent *pv = 0, *mv = 0;
	struct timespec tc, tnw;
	size_t pn = 0, pa = 0, mn = 0, ma = 0, i, j;
	int pfd = -1, mfd = -1, pcur = -1, pnew = -1, r = -1, times;
	time_t start = time(0);

	if (!store_shared_root || !store_is_shared(dir))
		return 0;
	if (!pubpath(dir, &p))
		goto done;
	if (!pubreadable(&p)) {
		(void)store_delete(dir);	/* gone, or closed to this user: so is the mirror */
		r = 0;
		goto done;
	}
	/* unchanged since this process last looked: nothing to do (a rename of
	 * a flag, an arrival or a removal all change a directory's time) */
	times = pubtimes(&p, &tc, &tnw);
	if (times && synced && !strcmp(synced, dir) && tc.tv_sec == syncedcur.tv_sec && tc.tv_nsec == syncedcur.tv_nsec &&
	    tnw.tv_sec == syncednew.tv_sec && tnw.tv_nsec == syncednew.tv_nsec) {
		r = 1;
		goto done;
	}
	free(synced);
	synced = 0;
	if (mkdir(STORE_MIRRORS, 0700) == -1 && errno != EEXIST)
		goto done;
	if (maildir_folder_make(STORE_MIRRORS, dir + sizeof STORE_MIRRORS + 1) != 1)
		goto done;
	if ((mfd = lockdir(dir)) == -1)
		goto done;
	if ((pfd = open(p.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto done;
	pcur = openat(pfd, "cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pnew = openat(pfd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pentlist(pfd, "cur", &pv, &pn, &pa) < 0 || pentlist(pfd, "new", &pv, &pn, &pa) < 0 ||
	    pentlist(mfd, "cur", &mv, &mn, &ma) < 0)
		goto done;
	if (pn)
		qsort(pv, pn, sizeof *pv, pentcmp);
	if (mn)
		qsort(mv, mn, sizeof *mv, pentcmp);
	r = 1;
	for (i = j = 0; i < pn || j < mn; ) {
		int c = i == pn ? 1 : j == mn ? -1 : pentcmp(&pv[i], &mv[j]);
		if (c > 0) {
			/* no longer public: no longer mirrored */
			to.len = 0;
			if (!str_copys(&to, "cur/") || !str_cats(&to, mv[j].name) || !str_0(&to) ||
			    (unlinkat(mfd, to.s, 0) == -1 && errno != ENOENT))
				r = -1;
			j++;
			continue;
		}
		/* the mirror's name: the public unique name and flags, always in cur/ */
		to.len = 0;
		if (!str_catb(&to, pv[i].name, pv[i].base) || !str_cats(&to, pv[i].isnew || !pv[i].name[pv[i].base] ? ":2," : pv[i].name + pv[i].base) ||
		    !str_0(&to)) {
			r = -1;
			break;
		}
		if (c == 0) {
			struct stat ps, ms;
			int sfd = pv[i].isnew ? pnew : pcur;
			/* a copy cut short (a crash while copying) is made again */
			tn.len = 0;
			if (sfd != -1 && fstatat(sfd, pv[i].name, &ps, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(ps.st_mode) &&
			    str_copys(&tn, "cur/") && str_cats(&tn, mv[j].name) && str_0(&tn) &&
			    fstatat(mfd, tn.s, &ms, AT_SYMLINK_NOFOLLOW) == 0 && ms.st_size != ps.st_size) {
				if (unlinkat(mfd, tn.s, 0) == -1)
					r = -1;
				j++;
				continue;	/* pv[i] is then copied as a new one */
			}
			if (strcmp(mv[j].name, to.s)) {
				/* the flags changed in the public folder */
				struct str from = STR_INIT, nt = STR_INIT;
				if (!str_copys(&from, "cur/") || !str_cats(&from, mv[j].name) || !str_0(&from) ||
				    !str_copys(&nt, "cur/") || !str_cats(&nt, to.s) || !str_0(&nt) || renameat(mfd, from.s, mfd, nt.s) == -1)
					r = -1;
				str_free(&from);
				str_free(&nt);
			}
			i++;
			j++;
			continue;
		}
		{
			int sfd = pv[i].isnew ? pnew : pcur, k;
			struct str nt = STR_INIT;
			struct stat st;
			/* only plain files: a link, pipe or device there is no message (nor to be opened) */
			if (sfd == -1 || fstatat(sfd, pv[i].name, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode)) {
				i++;
				continue;
			}
			if (!str_copys(&nt, "cur/") || !str_cats(&nt, to.s) || !str_0(&nt)) {
				r = -1;
				break;
			}
			/* a hard link costs no space; a file system that refuses it (another
			 * user's file under protected_hardlinks, another device) gets a copy */
			k = linkat(sfd, pv[i].name, mfd, nt.s, 0) == 0 ? 1 : mirrorcopy(sfd, pv[i].name, mfd, to.s, &tn);
			str_free(&nt);
			if (k < 0)
				r = -1;
		}
		i++;
	}
	/* remember settled times only: a change within the same clock tick would not show */
	if (r == 1 && times && tc.tv_sec + STORE_SETTLE < start && tnw.tv_sec + STORE_SETTLE < start) {
		synced = strdup(dir);
		syncedcur = tc;
		syncednew = tnw;
	}
done:
	if (pcur != -1)
		close(pcur);
	if (pnew != -1)
		close(pnew);
	if (pfd != -1)
		close(pfd);
	if (mfd != -1)
		close(mfd);
	pentfree(pv, pn);
	pentfree(mv, mn);
	str_free(&p);
	str_free(&to);
	str_free(&tn);
	return r;
}
