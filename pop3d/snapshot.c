/*
 * snapshot.c - the session's message list, sorted, with POP3 sizes from
 * the size cache (see snapshot.h for the cache's format).
 * runs as:  inside kurier-pop3d, as the mailbox's user, cwd the maildir
 * trusts:   the maildir is the user's own: names are any bytes but '/',
 *           the cache may be damaged or stale (then it is rebuilt)
 * exit:     never; 1/0/-1 results with errno
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "pop3.h"
#include "scan.h"
#include "snapshot.h"

#define CACHE_MAX (96u * 1024 * 1024)	/* POP3_MSGS_MAX records of ordinary names; a larger file is not read, sizes are counted again */
#define CACHE_VERSION "Vkurier-pop3sizes 2"
#define SETTLE_SECS 2			/* a directory mtime this old cannot change unseen within its tick */
#define READ_CHUNK 65536		/* bytes per read(2) when counting a size */

/* uid_len - length of the unique name at the start of s (up to ':' or the end) */
static size_t uid_len(const char *s)
{
	const char *c = strchr(s, ':');

	return c ? (size_t)(c - s) : strlen(s);
}

/* add - append the file name dir/name to the list; 1 ok, 0 no memory */
static int add(struct snapshot *s, const char *dir, const char *name, const char *suffix)
{
	struct snapmsg *m;

	if (s->n == s->a) {
		size_t na, bytes;
		if (!size_mul(&na, s->a ? s->a : 256, 2) || !size_mul(&bytes, na, sizeof *s->m)) {
			errno = ENOMEM;
			return 0;
		}
		m = realloc(s->m, bytes);
		if (!m)
			return 0;
		s->m = m;
		s->a = na;
	}
	m = &s->m[s->n];
	memset(m, 0, sizeof *m);
	m->off = s->names.len;
	m->uidlen = uid_len(name);
	if (!str_cats(&s->names, dir) || !str_cats(&s->names, "/") || !str_cats(&s->names, name) ||
	    !str_cats(&s->names, suffix) || !str_0(&s->names))
		return 0;
	s->n++;
	return 1;
}

/* usable - 1 if a directory entry may be a message */
static int usable(const struct dirent *d)
{
	if (d->d_name[0] == '.')
		return 0;
	if (d->d_type != DT_REG && d->d_type != DT_UNKNOWN)
		return 0;
	return strlen(d->d_name) <= POP3_NAME_MAX;
}

/* list_new - move each message of new/ to cur/ (or list it where it is); 1 ok, -1 error */
static int list_new(struct snapshot *s, int movenew)
{
	DIR *d = opendir("new");
	struct dirent *e;
	char from[POP3_NAME_MAX + 8], to[POP3_NAME_MAX + 16];

	if (!d)
		return errno == ENOENT ? 1 : -1;
	while ((errno = 0, e = readdir(d)) != 0) {
		if (!usable(e))
			continue;
		if (s->n >= POP3_MSGS_MAX) {
			s->truncated = 1;
			break;
		}
		if (movenew) {
			int has_info = strchr(e->d_name, ':') != 0;
			snprintf(from, sizeof from, "new/%s", e->d_name);
			snprintf(to, sizeof to, "cur/%s%s", e->d_name, has_info ? "" : ":2,");
			if (rename(from, to) == 0) {
				if (!add(s, "cur", e->d_name, has_info ? "" : ":2,"))
					goto fail;
				continue;
			}
			if (errno == ENOENT)
				continue;	/* someone else moved it: cur/ will show it */
		}
		if (!add(s, "new", e->d_name, ""))
			goto fail;
	}
	if (errno)
		goto fail;
	closedir(d);
	return 1;
fail:
	{
		int err = errno;
		closedir(d);
		errno = err;
	}
	return -1;
}

/* list_cur - add every message of cur/; 1 ok, -1 error */
static int list_cur(struct snapshot *s)
{
	DIR *d = opendir("cur");
	struct dirent *e;

	if (!d)
		return -1;
	while ((errno = 0, e = readdir(d)) != 0) {
		if (!usable(e))
			continue;
		if (s->n >= POP3_MSGS_MAX) {
			s->truncated = 1;
			break;
		}
		if (!add(s, "cur", e->d_name, "")) {
			int err = errno;
			closedir(d);
			errno = err;
			return -1;
		}
	}
	if (errno) {
		int err = errno;
		closedir(d);
		errno = err;
		return -1;
	}
	closedir(d);
	return 1;
}

int snapshot_uidcmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0, n;
	int c;

	/* runs of digits compare by value, so that 1700000000.M45P1 sorts before .M123P1 */
	while (i < alen && j < blen) {
		if (a[i] >= '0' && a[i] <= '9' && b[j] >= '0' && b[j] <= '9') {
			size_t da, db;
			while (i < alen && a[i] == '0')
				i++;
			while (j < blen && b[j] == '0')
				j++;
			for (da = i; da < alen && a[da] >= '0' && a[da] <= '9'; da++)
				;
			for (db = j; db < blen && b[db] >= '0' && b[db] <= '9'; db++)
				;
			if (da - i != db - j)
				return da - i < db - j ? -1 : 1;
			c = memcmp(a + i, b + j, da - i);
			if (c)
				return c;
			i = da;
			j = db;
			continue;
		}
		if (a[i] != b[j])
			return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
		i++;
		j++;
	}
	if (i < alen || j < blen)
		return i < alen ? 1 : -1;
	/* equal by value ("01" and "1"): the bytes decide, for a total order */
	n = alen < blen ? alen : blen;
	c = memcmp(a, b, n);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* msgcmp - qsort_r comparison of two messages by unique name */
static int msgcmp(const void *x, const void *y, void *arg)
{
	const struct snapshot *s = arg;
	const struct snapmsg *a = x, *b = y;
	int c = snapshot_uidcmp(s->names.s + a->off + 4, a->uidlen, s->names.s + b->off + 4, b->uidlen);

	/* the same message seen in new/ and cur/ (moved while we listed): cur/ first */
	if (!c)
		c = memcmp(s->names.s + a->off, s->names.s + b->off, 3) < 0 ? 1 : -1;
	return c;
}

int snapshot_count(int fd, unsigned long long *size)
{
	static char b[READ_CHUNK];
	unsigned long long total = 0;
	int cr = 0, bol = 1;
	ssize_t r, i;

	for (;;) {
		r = read(fd, b, sizeof b);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		total += (unsigned long long)r;
		if (b[0] == '\n' && !cr)
			total++;
		for (i = 1; i < r; i++)
			if (b[i] == '\n' && b[i - 1] != '\r')
				total++;
		cr = b[r - 1] == '\r';
		bol = b[r - 1] == '\n';
		/* a short read of a regular file is its end (no signal handler interrupts it) */
		if ((size_t)r < sizeof b)
			break;
	}
	/* a last line without LF is sent with one (msgout_end) */
	if (!bol)
		total += cr ? 1 : 2;
	*size = total;
	return 1;
}

/* count_file - the POP3 size of message i by reading it; 1 ok, 0 gone, -1 error */
static int count_file(struct snapshot *s, size_t i)
{
	int fd, r;

	for (;;) {
		fd = open(snapshot_name(s, i), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno != ENOENT)
			return -1;
		r = snapshot_refind(s, i);
		if (r <= 0)
			return r;
	}
	r = snapshot_count(fd, &s->m[i].size);
	close(fd);
	return r;
}

/* cache_read - the whole cache file into c; 1 read, 0 missing or unusable */
static int cache_read(struct str *c)
{
	struct stat st;
	int fd = open(SNAPSHOT_CACHE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > CACHE_MAX ||
	    !str_ready(c, (size_t)st.st_size + 1)) {
		close(fd);
		return 0;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, c->s + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	c->len = got;
	c->s[got] = 0;
	return got == (size_t)st.st_size && got >= sizeof CACHE_VERSION &&
	    !memcmp(c->s, CACHE_VERSION, sizeof CACHE_VERSION);
}

/* the records of a cache file, one message at a time */
struct cachecur {
	const char *p, *end;
};

/* rec - the next record of type t; its value and length; 1 ok, 0 missing or damaged */
static int rec(struct cachecur *c, char t, const char **v, size_t *len)
{
	const char *z;

	if (!c->p || c->p >= c->end || *c->p != t)
		return 0;
	z = memchr(c->p, 0, (size_t)(c->end - c->p));
	if (!z)
		return 0;
	*v = c->p + 1;
	*len = (size_t)(z - c->p - 1);
	c->p = z + 1;
	return 1;
}

/* cache_next - the next message's unique name, size and info suffix; 1 ok, 0 at end, -1 damaged */
static int cache_next(struct cachecur *c, const char **uid, size_t *ulen, unsigned long long *size,
    const char **info, size_t *ilen)
{
	const char *v;
	size_t n;

	if (!c->p || c->p >= c->end)
		return 0;
	if (!rec(c, 'U', uid, ulen) || !rec(c, 'S', &v, &n) || !n || scan_ulong(v, n, size) != n ||
	    !rec(c, 'F', info, ilen) || memchr(*uid, ':', *ulen) || memchr(*uid, '/', *ulen) ||
	    memchr(*info, '/', *ilen) || (*ilen && **info != ':') || !*ulen || *ulen + *ilen > POP3_NAME_MAX) {
		c->p = 0;
		return -1;
	}
	return 1;
}

/* mtime_fmt - "sec.nsec" of a directory's modification time into out */
static int mtime_fmt(struct str *out, const struct stat *st)
{
	out->len = 0;
	return str_catu(out, (unsigned long long)st->st_mtim.tv_sec) && str_cats(out, ".") &&
	    str_catu(out, (unsigned long long)st->st_mtim.tv_nsec);
}

/* cache_write - replace the cache with the snapshot (and cur/'s mtime if given); failures are ignored */
static void cache_write(const struct snapshot *s, const struct str *mtime)
{
	struct str o = STR_INIT, tmp = STR_INIT;
	size_t i, done = 0;
	int fd, ok = 1;

	ok = str_cats(&o, CACHE_VERSION) && str_0(&o);
	if (ok && mtime) {
		unsigned long long total = 0;
		for (i = 0; i < s->n; i++)
			total += s->m[i].size;
		ok = str_cats(&o, "D") && str_cat(&o, mtime) && str_0(&o) &&
		    str_cats(&o, "N") && str_catu(&o, s->n) && str_0(&o) &&
		    str_cats(&o, "O") && str_catu(&o, total) && str_0(&o);
	}
	for (i = 0; ok && i < s->n; i++) {
		const char *name = s->names.s + s->m[i].off + 4;
		ok = str_cats(&o, "U") && str_catb(&o, name, s->m[i].uidlen) && str_0(&o) &&
		    str_cats(&o, "S") && str_catu(&o, s->m[i].size) && str_0(&o) &&
		    str_cats(&o, "F") && str_cats(&o, name + s->m[i].uidlen) && str_0(&o);
	}
	if (ok)
		ok = str_copys(&tmp, "tmp/") && str_catu(&tmp, (unsigned long long)time(0)) &&
		    str_cats(&tmp, ".") && str_catu(&tmp, (unsigned long long)getpid()) &&
		    str_cats(&tmp, ".pop3sizes") && str_0(&tmp);
	if (ok && (fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0) {
		while (ok && done < o.len) {
			ssize_t w = write(fd, o.s + done, o.len - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				ok = 0;
			else
				done += (size_t)w;
		}
		if (close(fd))
			ok = 0;
		if (!ok || rename(tmp.s, SNAPSHOT_CACHE))
			unlink(tmp.s);
	}
	str_free(&o);
	str_free(&tmp);
}

/* sizes - fill in every size from the cache c or by counting; 1 ok (*dirty set), -1 error */
static int sizes(struct snapshot *s, const struct str *c, int *dirty)
{
	struct cachecur cur;
	const char *u, *info;
	size_t i, j, ulen, ilen;
	unsigned long long sz;
	int have = 0, r;

	cur.p = c->len ? c->s + sizeof CACHE_VERSION : 0;
	cur.end = c->len ? c->s + c->len : 0;
	if (!cur.p)
		*dirty = 1;
	else if (rec(&cur, 'D', &u, &ulen) && rec(&cur, 'N', &u, &ulen))
		(void)rec(&cur, 'O', &u, &ulen);	/* the listing's summary: not needed here */
	for (i = 0; i < s->n; i++) {
		const char *uid = s->names.s + s->m[i].off + 4;
		int found = 0;
		/* merge: both lists are sorted by snapshot_uidcmp */
		for (;;) {
			int cmp;
			if (!have) {
				r = cache_next(&cur, &u, &ulen, &sz, &info, &ilen);
				if (r < 0)
					*dirty = 1;
				if (r <= 0)
					break;
				have = 1;
			}
			cmp = snapshot_uidcmp(u, ulen, uid, s->m[i].uidlen);
			if (cmp < 0) {
				have = 0;
				*dirty = 1;	/* a message that has gone */
				continue;
			}
			if (cmp == 0) {
				have = 0;
				s->m[i].size = sz;
				found = 1;
			}
			break;
		}
		if (found) {
			s->cached++;
			continue;
		}
		*dirty = 1;
		switch (count_file(s, i)) {
		case 1:
			s->counted++;
			break;
		case 0:
			s->m[i].size = (unsigned long long)-1;	/* gone since we listed it */
			break;
		default:
			return -1;
		}
	}
	if (have || (cur.p && cur.p < cur.end))
		*dirty = 1;
	/* drop messages that vanished while we counted */
	for (i = j = 0; i < s->n; i++)
		if (s->m[i].size != (unsigned long long)-1)
			s->m[j++] = s->m[i];
	if (j != s->n) {
		s->n = j;
		*dirty = 1;
	}
	return 1;
}

/* numrec - the next record of type t as a number; 1 ok, 0 missing or bad */
static int numrec(struct cachecur *c, char t, unsigned long long *u)
{
	const char *v;
	size_t n;

	return rec(c, t, &v, &n) && n && scan_ulong(v, n, u) == n;
}

/* build - the list from the records at cur; 1 ok, -1 damaged or no memory */
static int build(struct snapshot *s, struct cachecur *cur)
{
	struct str name = STR_INIT;
	const char *u, *info;
	size_t ulen, ilen;
	unsigned long long sz;
	int r;

	while ((r = cache_next(cur, &u, &ulen, &sz, &info, &ilen)) == 1) {
		if (s->n >= POP3_MSGS_MAX) {
			r = -1;
			break;
		}
		if (!str_copyb(&name, u, ulen) || !str_catb(&name, info, ilen) || !str_0(&name) ||
		    !add(s, "cur", name.s, "")) {
			r = -1;
			break;
		}
		s->m[s->n - 1].size = sz;
	}
	str_free(&name);
	return r < 0 ? -1 : 1;
}

/* from_cache - take n and the total from a cache whose listing is current, the list later; 1 done, 0 not usable */
static int from_cache(struct snapshot *s, struct str *c)
{
	struct cachecur cur;
	unsigned long long n, total;
	const char *v;
	size_t len;

	cur.p = c->s + sizeof CACHE_VERSION;
	cur.end = c->s + c->len;
	if (!rec(&cur, 'D', &v, &len) || !numrec(&cur, 'N', &n) || !numrec(&cur, 'O', &total) ||
	    n > POP3_MSGS_MAX)
		return 0;
	s->n = (size_t)n;
	s->total = total;
	s->cached = s->n;
	s->lazy = 1;
	s->cache = *c;
	memset(c, 0, sizeof *c);
	return 1;
}

int snapshot_ready(struct snapshot *s)
{
	struct cachecur cur;
	const char *v;
	size_t len, n = s->n, i;
	unsigned long long total = 0;
	int r;

	if (!s->lazy)
		return 1;
	cur.p = s->cache.s + sizeof CACHE_VERSION;
	cur.end = s->cache.s + s->cache.len;
	(void)rec(&cur, 'D', &v, &len);
	(void)rec(&cur, 'N', &v, &len);
	(void)rec(&cur, 'O', &v, &len);
	s->n = 0;
	r = build(s, &cur);
	for (i = 0; r == 1 && i < s->n; i++)
		total += s->m[i].size;
	/* the records must be what the summary promised */
	if (r == 1 && (s->n != n || total != s->total)) {
		errno = EPROTO;
		r = -1;
	}
	str_free(&s->cache);
	s->lazy = 0;
	if (r < 0)
		s->n = 0;
	return r;
}

int snapshot_load(struct snapshot *s, int movenew)
{
	struct str c = STR_INIT, mt = STR_INIT;
	struct stat st;
	size_t i, j, innew;
	int dirty = 0, settled;
	const char *d;
	size_t dlen;

	if (list_new(s, movenew) < 0)
		return -1;
	innew = s->n;
	/* cur/'s mtime before we read it: any later change makes it differ */
	if (stat("cur", &st) == -1 || !mtime_fmt(&mt, &st))
		return -1;
	if (!cache_read(&c))
		c.len = 0;
	if (!innew && c.len) {
		struct cachecur cur;
		cur.p = c.s + sizeof CACHE_VERSION;
		cur.end = c.s + c.len;
		if (rec(&cur, 'D', &d, &dlen) && dlen == mt.len && !memcmp(d, mt.s, dlen)) {
			if (from_cache(s, &c)) {
				str_free(&mt);
				return 1;
			}
		}
	}
	if (list_cur(s) < 0)
		goto fail;
	if (s->n > 1)
		qsort_r(s->m, s->n, sizeof *s->m, msgcmp, s);
	/* the same unique name twice (moved while we listed): keep the first, cur/ */
	for (i = j = 0; i < s->n; i++) {
		if (j && snapshot_uidcmp(s->names.s + s->m[j - 1].off + 4, s->m[j - 1].uidlen,
		    s->names.s + s->m[i].off + 4, s->m[i].uidlen) == 0)
			continue;
		s->m[j++] = s->m[i];
	}
	s->n = j;
	if (sizes(s, &c, &dirty) < 0)
		goto fail;
	/*
	 * The listing may be reused while cur/ keeps this mtime, once the
	 * mtime is a few seconds old: a change within the same clock tick
	 * as our stat could otherwise leave it unchanged.
	 */
	settled = !innew && !s->truncated && st.st_mtim.tv_sec + SETTLE_SECS <= time(0);
	if (!dirty && settled) {
		struct cachecur cur;
		cur.p = c.len ? c.s + sizeof CACHE_VERSION : 0;
		cur.end = c.len ? c.s + c.len : 0;
		dirty = !rec(&cur, 'D', &d, &dlen) || dlen != mt.len || memcmp(d, mt.s, dlen);
	}
	if (dirty)
		cache_write(s, settled ? &mt : 0);
	str_free(&c);
	str_free(&mt);
	for (i = 0; i < s->n; i++)
		s->total += s->m[i].size;
	return 1;
fail:
	str_free(&c);
	str_free(&mt);
	return -1;
}

const char *snapshot_name(const struct snapshot *s, size_t i)
{
	return s->names.s + s->m[i].off;
}

const char *snapshot_uid(const struct snapshot *s, size_t i, size_t *len)
{
	*len = s->m[i].uidlen;
	return s->names.s + s->m[i].off + 4;
}

/* refind_in - search dir for the unique name uid; 1 found (name appended), 0 not, -1 error */
static int refind_in(struct snapshot *s, size_t i, const char *dir, const char *uid, size_t ulen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t off = s->names.len;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != 0) {
		if (!usable(e) || uid_len(e->d_name) != ulen || memcmp(e->d_name, uid, ulen))
			continue;
		if (!str_cats(&s->names, dir) || !str_cats(&s->names, "/") ||
		    !str_cats(&s->names, e->d_name) || !str_0(&s->names)) {
			closedir(d);
			return -1;
		}
		closedir(d);
		s->m[i].off = off;
		return 1;
	}
	closedir(d);
	return 0;
}

int snapshot_refind(struct snapshot *s, size_t i)
{
	struct str uid = STR_INIT;
	int r;

	/* copy: the names may move when the new name is appended */
	if (!str_copyb(&uid, s->names.s + s->m[i].off + 4, s->m[i].uidlen))
		return -1;
	r = refind_in(s, i, "cur", uid.s, uid.len);
	if (r == 0)
		r = refind_in(s, i, "new", uid.s, uid.len);
	str_free(&uid);
	return r;
}

void snapshot_free(struct snapshot *s)
{
	free(s->m);
	str_free(&s->cache);
	str_free(&s->names);
	memset(s, 0, sizeof *s);
}
