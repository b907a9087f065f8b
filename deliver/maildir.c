/*
 * maildir.c - Maildir and Maildir++ storage; see maildir.h.
 * runs as:  whoever owns the mailbox (the delivery child after it has
 *           become the user, kurier-maildir, the IMAP/POP3 servers)
 * trusts:   nothing inside the maildir: subdirectories are opened with
 *           O_NOFOLLOW, and new files are unnamed (O_TMPFILE) until link(2)
 *           names them or are created with O_EXCL, neither of which
 *           replaces an existing name, so a planted symbolic or hard link
 *           cannot redirect a write
 * cost:     a delivery: open (unnamed) + link into tmp/, write, fsync,
 *           link into new/, unlink the tmp/ name, fsync new/
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>	/* renameat */
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "maildir.h"
#include "scan.h"

#define HOST_MAX 256	/* a DNS name is at most 255 bytes (RFC 1035 2.3.4) */
#define COPY_CHUNK 65536	/* bytes per read/write while copying a message */

/* catx - append u as 16 upper-case hex digits, as Courier writes dev and ino */
static int catx(struct str *out, unsigned long long u)
{
	char b[16];
	int i;

	for (i = 15; i >= 0; i--) {
		b[i] = "0123456789ABCDEF"[u & 15];
		u >>= 4;
	}
	return str_catb(out, b, 16);
}

int maildir_name(struct str *out, const struct maildir_id *id)
{
	const char *h;

	if (!str_copys(out, "") || !str_catu(out, id->sec) || !str_cats(out, ".M") ||
	    !str_catu(out, id->usec) || !str_cats(out, "P") || !str_catu(out, id->pid) ||
	    !str_cats(out, "V") || !catx(out, id->dev) || !str_cats(out, "I") ||
	    !catx(out, id->ino) || !str_cats(out, "."))
		return 0;
	for (h = id->host; *h; h++) {
		int ok;
		if (*h == '/')
			ok = str_cats(out, "\\057");
		else if (*h == ':')
			ok = str_cats(out, "\\072");
		else
			ok = str_append(out, *h);
		if (!ok)
			return 0;
	}
	return str_cats(out, ",S=") && str_catu(out, id->size);
}

int maildir_name_size(const char *name, unsigned long long *size)
{
	const char *colon = strchr(name, ':');
	size_t end = colon ? (size_t)(colon - name) : strlen(name);
	size_t i;

	for (i = 0; i + 3 <= end; i++)
		if (name[i] == ',' && name[i + 1] == 'S' && name[i + 2] == '=') {
			size_t k = scan_ulong(name + i + 3, end - i - 3, size);
			if (k && (i + 3 + k == end || name[i + 3 + k] == ','))
				return 1;
		}
	return 0;
}

const char *maildir_host(void)
{
	static char host[HOST_MAX];

	if (!host[0]) {
		if (gethostname(host, sizeof host - 1) == -1 || !host[0])
			memcpy(host, "localhost", 10);
		host[sizeof host - 1] = 0;
	}
	return host;
}

int maildir_quota_parse(const char *s, size_t n, struct maildir_quota *q)
{
	size_t i = 0;
	int seen_s = 0, seen_c = 0;

	q->bytes = q->count = 0;
	while (i < n) {
		unsigned long long u;
		size_t k = scan_ulong(s + i, n - i, &u);
		if (!k || i + k >= n)
			return 0;
		i += k;
		if (s[i] == 'S' && !seen_s) {
			q->bytes = u;
			seen_s = 1;
		} else if (s[i] == 'C' && !seen_c) {
			q->count = u;
			seen_c = 1;
		} else {
			return 0;
		}
		i++;
		if (i < n) {
			if (s[i] != ',' || i + 1 == n)
				return 0;
			i++;
		}
	}
	return 1;
}

int maildir_quota_fmt(struct str *out, const struct maildir_quota *q)
{
	if (!str_copys(out, ""))
		return 0;
	if (q->bytes && (!str_catu(out, q->bytes) || !str_append(out, 'S')))
		return 0;
	if (q->count && ((q->bytes && !str_append(out, ',')) ||
	    !str_catu(out, q->count) || !str_append(out, 'C')))
		return 0;
	return 1;
}

/* scan_signed - an optional '-' and digits; bytes used, 0 on none */
static size_t scan_signed(const char *s, size_t n, long long *v)
{
	unsigned long long u;
	size_t k, neg = n > 0 && s[0] == '-';

	k = scan_ulong(s + neg, n - neg, &u);
	if (!k || u > (unsigned long long)9223372036854775807LL)
		return 0;
	*v = neg ? -(long long)u : (long long)u;
	return k + neg;
}

int maildir_size_parse(const char *s, size_t n, struct maildir_quota *q,
    long long *bytes, long long *count)
{
	const char *nl = memchr(s, '\n', n);
	size_t l1 = nl ? (size_t)(nl - s) : n, i;

	*bytes = *count = 0;
	if (!maildir_quota_parse(s, l1, q))
		return 0;
	i = nl ? l1 + 1 : n;
	while (i < n) {
		const char *line = s + i;
		const char *e = memchr(line, '\n', n - i);
		size_t ll = e ? (size_t)(e - line) : n - i, p = 0, k;
		long long b, c;

		while (p < ll && line[p] == ' ')
			p++;
		if (p == ll) {
			i += ll + 1;
			continue;
		}
		k = scan_signed(line + p, ll - p, &b);
		if (!k)
			return 0;
		p += k;
		if (p >= ll || line[p] != ' ')
			return 0;
		while (p < ll && line[p] == ' ')
			p++;
		k = scan_signed(line + p, ll - p, &c);
		if (!k)
			return 0;
		p += k;
		while (p < ll && line[p] == ' ')
			p++;
		if (p != ll)
			return 0;
		if (__builtin_add_overflow(*bytes, b, bytes) ||
		    __builtin_add_overflow(*count, c, count))
			return 0;
		i += ll + 1;
	}
	if (*bytes < 0)
		*bytes = 0;
	if (*count < 0)
		*count = 0;
	return 1;
}

/* mkdir_ok - mkdir that accepts an existing directory; 1 ok, -1 error */
static int mkdir_ok(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 1;
	if (errno != EEXIST)
		return -1;
	if (lstat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 1;
}

int maildir_make(const char *dir)
{
	static const char *const sub[] = { "/tmp", "/new", "/cur", 0 };
	struct str p = STR_INIT;
	int i, r = mkdir_ok(dir, 0700);

	for (i = 0; sub[i] && r > 0; i++) {
		if (!str_copys(&p, dir) || !str_cats(&p, sub[i])) {
			errno = ENOMEM;
			r = -1;
			break;
		}
		r = mkdir_ok(p.s, 0700);
	}
	str_free(&p);
	return r;
}

int maildir_folder_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (!n || n > MAILDIR_FOLDER_MAX || name[0] == '.' || name[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/' || c < 32 || c == 127)
			return 0;
		if (c == '.' && name[i + 1] == '.')
			return 0;	/* an empty level, or ".." */
	}
	return 1;
}

int maildir_folder_make(const char *dir, const char *name)
{
	struct str p = STR_INIT;
	int fd, r = -1;

	if (!maildir_folder_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if (!str_copys(&p, dir) || !str_cats(&p, "/.") || !str_cats(&p, name)) {
		errno = ENOMEM;
		goto out;
	}
	if (maildir_make(p.s) < 0 || !str_cats(&p, "/maildirfolder")) {
		if (!errno)
			errno = ENOMEM;
		goto out;
	}
	fd = open(p.s, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto out;
	close(fd);
	r = 1;
out:
	str_free(&p);
	return r;
}

/* writeall - write all of x to fd; 1 ok, -1 error */
static int writeall(int fd, const char *x, size_t n)
{
	while (n) {
		ssize_t w = write(fd, x, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		x += w;
		n -= (size_t)w;
	}
	return 1;
}

/* tmp_reset - mark every descriptor of t closed */
static void tmp_reset(struct maildir_tmp *t)
{
	t->dirfd = t->tmpfd = t->fd = -1;
	t->size = 0;
	t->tmpname.len = 0;
	t->name.len = 0;
}

/*
 * tmp_anon - an unnamed file in tmp/ (O_TMPFILE), or -1 where the
 * filesystem or the kernel has none.  Creating a file holds its
 * directory's lock while the filesystem picks an inode, and on ext4
 * without a journal that search steps over every inode freed in the last
 * half minute or so (the queue frees two per message): deliveries into
 * one maildir then wait on tmp/ one after the other, spinning.  An
 * unnamed file gets its inode without that lock; the name in tmp/ comes
 * after, with link(2), which is quick.
 */
static int tmp_anon(int tmpfd)
{
	return openat(tmpfd, ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600);
}

/* tmp_name_anon - give the unnamed file fd the name in tmp/; 1 ok, -1 error (errno) */
static int tmp_name_anon(int fd, int tmpfd, const char *name)
{
	struct str p = STR_INIT;
	int r;

	/* linkat(AT_EMPTY_PATH) needs a capability; the /proc link does not */
	if (!str_copys(&p, "/proc/self/fd/") || !str_catu(&p, (unsigned long long)fd) || !str_0(&p)) {
		str_free(&p);
		errno = ENOMEM;
		return -1;
	}
	r = linkat(AT_FDCWD, p.s, tmpfd, name, AT_SYMLINK_FOLLOW);
	str_free(&p);
	return r == -1 ? -1 : 1;
}

int maildir_tmp_open(struct maildir_tmp *t, const char *dir)
{
	struct timeval tv;
	int i, e, anon = -1;

	memset(t, 0, sizeof *t);
	tmp_reset(t);
	t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd == -1)
		goto fail;
	t->tmpfd = openat(t->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->tmpfd == -1)
		goto fail;
	anon = tmp_anon(t->tmpfd);
	for (i = 0; i < MAILDIR_TMP_TRIES; i++) {
		gettimeofday(&tv, 0);
		if (!str_copys(&t->tmpname, "") || !str_catu(&t->tmpname, (unsigned long long)tv.tv_sec) ||
		    !str_cats(&t->tmpname, ".M") || !str_catu(&t->tmpname, (unsigned long long)tv.tv_usec) ||
		    !str_cats(&t->tmpname, "P") || !str_catu(&t->tmpname, (unsigned long long)getpid()) ||
		    !str_cats(&t->tmpname, "_") || !str_catu(&t->tmpname, (unsigned long long)i) ||
		    !str_cats(&t->tmpname, ".") || !str_cats(&t->tmpname, maildir_host())) {
			errno = ENOMEM;
			goto fail;
		}
		if (anon != -1) {
			/* like O_EXCL: link(2) never replaces what has the name */
			if (tmp_name_anon(anon, t->tmpfd, t->tmpname.s) == 1) {
				t->fd = anon;
				return 1;
			}
			if (errno != EEXIST) {
				/* no /proc, or a filesystem that refuses: create by name */
				close(anon);
				anon = -1;
				i--;
				continue;
			}
		} else {
			t->fd = openat(t->tmpfd, t->tmpname.s,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (t->fd != -1)
				return 1;
			if (errno != EEXIST)
				goto fail;
		}
		usleep(1000);	/* a name is unique per microsecond and process */
	}
	errno = EEXIST;
fail:
	e = errno;
	if (anon != -1)
		close(anon);
	if (t->tmpfd != -1)
		close(t->tmpfd);
	if (t->dirfd != -1)
		close(t->dirfd);
	str_free(&t->tmpname);
	tmp_reset(t);
	errno = e;
	return -1;
}

int maildir_tmp_write(struct maildir_tmp *t, const char *x, size_t n)
{
	if (writeall(t->fd, x, n) < 0)
		return -1;
	t->size += n;
	return 1;
}

int maildir_tmp_copy(struct maildir_tmp *t, int fd)
{
	static char b[COPY_CHUNK];

	for (;;) {
		ssize_t r = read(fd, b, sizeof b);
		if (r == 0)
			return 1;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (maildir_tmp_write(t, b, (size_t)r) < 0)
			return -1;
	}
}

void maildir_abort(struct maildir_tmp *t)
{
	int e = errno;

	if (t->fd != -1)
		close(t->fd);
	if (t->tmpfd != -1 && t->tmpname.len)
		unlinkat(t->tmpfd, t->tmpname.s, 0);
	if (t->tmpfd != -1)
		close(t->tmpfd);
	if (t->dirfd != -1)
		close(t->dirfd);
	str_free(&t->tmpname);
	str_free(&t->name);	/* a commit that failed after naming the file */
	tmp_reset(t);
	errno = e;
}

int maildir_commit(struct maildir_tmp *t)
{
	struct maildir_id id;
	struct stat st;
	struct timeval tv;
	int newfd, e;

	if (fsync(t->fd) == -1 || fstat(t->fd, &st) == -1)
		goto fail;
	if (close(t->fd) == -1) {
		t->fd = -1;
		goto fail;
	}
	t->fd = -1;
	gettimeofday(&tv, 0);
	id.sec = (unsigned long long)tv.tv_sec;
	id.usec = (unsigned long long)tv.tv_usec;
	id.pid = (unsigned long long)getpid();
	id.dev = (unsigned long long)st.st_dev;
	id.ino = (unsigned long long)st.st_ino;
	id.size = (unsigned long long)st.st_size;
	id.host = maildir_host();
	if (!maildir_name(&t->name, &id)) {
		errno = ENOMEM;
		goto fail;
	}
	newfd = openat(t->dirfd, "new", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (newfd == -1)
		goto fail;
	/* the inode is ours alone, so the name cannot be taken: EEXIST is an error */
	if (linkat(t->tmpfd, t->tmpname.s, newfd, t->name.s, 0) == -1) {
		e = errno;
		close(newfd);
		errno = e;
		goto fail;
	}
	unlinkat(t->tmpfd, t->tmpname.s, 0);
	t->tmpname.len = 0;
	if (fsync(newfd) == -1) {
		/* the message is visible but maybe not durable: take it back */
		e = errno;
		unlinkat(newfd, t->name.s, 0);
		close(newfd);
		errno = e;
		goto fail;
	}
	close(newfd);
	close(t->tmpfd);
	close(t->dirfd);
	t->tmpfd = t->dirfd = -1;
	str_free(&t->tmpname);
	return 1;
fail:
	maildir_abort(t);
	return -1;
}

/* count_dir - add the files of dir/sub to *bytes and *count; 1 ok, -1 error */
static int count_dir(int dirfd, const char *sub, long long *bytes, long long *count)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd == -1)
		return errno == ENOENT ? 1 : -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		unsigned long long sz;
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (!maildir_name_size(de->d_name, &sz)) {
			if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
				continue;	/* removed meanwhile */
			sz = (unsigned long long)st.st_size;
		}
		*bytes += (long long)sz;
		*count += 1;
	}
	closedir(d);
	return 1;
}

/* count_all - sizes of new/ and cur/ of dir and of every folder but .Trash; 1 ok, -1 error */
static int count_all(const char *dir, long long *bytes, long long *count)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd2;
	DIR *d;
	struct dirent *de;
	int r = 1;

	*bytes = *count = 0;
	if (fd == -1)
		return -1;
	if (count_dir(fd, "new", bytes, count) < 0 || count_dir(fd, "cur", bytes, count) < 0) {
		close(fd);
		return -1;
	}
	fd2 = dup(fd);
	if (fd2 == -1 || !(d = fdopendir(fd2))) {
		if (fd2 != -1)
			close(fd2);
		close(fd);
		return -1;
	}
	while (r > 0 && (de = readdir(d))) {
		int sub;
		if (de->d_name[0] != '.' || de->d_name[1] == 0 || de->d_name[1] == '.' ||
		    strcmp(de->d_name, ".Trash") == 0)
			continue;
		sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1)
			continue;	/* not a folder directory */
		if (count_dir(sub, "new", bytes, count) < 0 || count_dir(sub, "cur", bytes, count) < 0)
			r = -1;
		close(sub);
	}
	closedir(d);
	close(fd);
	return r;
}

int maildir_quota_recalc(const char *dir, const struct maildir_quota *q,
    long long *bytes, long long *count)
{
	struct str text = STR_INIT, def = STR_INIT;
	struct maildir_tmp t;
	int dirfd, r = -1;

	if (count_all(dir, bytes, count) < 0)
		return -1;
	if (!maildir_quota_fmt(&def, q) || !str_copy(&text, &def) || !str_cats(&text, "\n") ||
	    !str_catu(&text, (unsigned long long)*bytes) || !str_cats(&text, " ") ||
	    !str_catu(&text, (unsigned long long)*count) || !str_cats(&text, "\n")) {
		errno = ENOMEM;
		goto out;
	}
	if (maildir_tmp_open(&t, dir) < 0)
		goto out;
	if (maildir_tmp_write(&t, text.s, text.len) < 0 || fsync(t.fd) == -1) {
		maildir_abort(&t);
		goto out;
	}
	dirfd = t.dirfd;
	if (renameat(t.tmpfd, t.tmpname.s, dirfd, "maildirsize") == -1) {
		maildir_abort(&t);
		goto out;
	}
	t.tmpname.len = 0;
	fsync(dirfd);
	maildir_abort(&t);	/* closes what is left; the tmp/ name is gone */
	r = 1;
out:
	str_free(&text);
	str_free(&def);
	return r;
}

/* read_sizefile - dir/maildirsize into out and its stat into st; 1 read, 0 missing, -1 error */
static int read_sizefile(const char *dir, struct str *out, struct stat *st)
{
	struct str p = STR_INIT;
	char b[4096];
	int fd;

	if (!str_copys(&p, dir) || !str_cats(&p, "/maildirsize")) {
		errno = ENOMEM;
		return -1;
	}
	fd = open(p.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	str_free(&p);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, st) == -1) {
		close(fd);
		return -1;
	}
	out->len = 0;
	for (;;) {
		ssize_t r = read(fd, b, sizeof b);
		if (r == 0)
			break;
		if (r == -1 && errno == EINTR)
			continue;
		/* a huge file will be rebuilt anyway: stop reading early */
		if (r == -1 || !str_catb(out, b, (size_t)r) || out->len > 4 * MAILDIR_SIZEFILE_MAX) {
			close(fd);
			if (r != -1 && out->len <= 4 * MAILDIR_SIZEFILE_MAX)
				errno = ENOMEM;
			return r == -1 ? -1 : 1;
		}
	}
	close(fd);
	return 1;
}

/* over - 1 if used plus the addition passes q */
static int over(const struct maildir_quota *q, long long bytes, long long count,
    unsigned long long addb, unsigned long long addc)
{
	if (q->bytes && (unsigned long long)bytes + addb > q->bytes)
		return 1;
	if (q->count && (unsigned long long)count + addc > q->count)
		return 1;
	return 0;
}

int maildir_quota_check(const char *dir, const struct maildir_quota *q,
    unsigned long long addb, unsigned long long addc)
{
	struct str text = STR_INIT;
	struct maildir_quota fq, use;
	struct stat st;
	long long bytes = 0, count = 0;
	int r, recalc = 0, parsed = 0, firstok = 0;

	r = read_sizefile(dir, &text, &st);
	if (r < 0) {
		str_free(&text);
		return -1;
	}
	if (r > 0) {
		parsed = maildir_size_parse(text.s, text.len, &fq, &bytes, &count);
		if (!parsed) {
			/* a file cut at the read limit still names its quota on line 1 */
			const char *nl = memchr(text.s, '\n', text.len);
			firstok = nl && maildir_quota_parse(text.s, (size_t)(nl - text.s), &fq);
		}
	}
	str_free(&text);
	if (q)
		use = *q;
	else if (parsed || firstok)
		use = fq;
	else
		return 0;	/* no quota given and none readable in the file */
	if (!use.bytes && !use.count)
		return 0;
	if (r == 0 || !parsed || st.st_size > MAILDIR_SIZEFILE_MAX ||
	    fq.bytes != use.bytes || fq.count != use.count)
		recalc = 1;
	else if (over(&use, bytes, count, addb, addc) &&
	    time(0) - st.st_mtime > MAILDIR_SIZEFILE_STALE)
		recalc = 1;
	if (recalc && maildir_quota_recalc(dir, &use, &bytes, &count) < 0)
		return -1;
	return over(&use, bytes, count, addb, addc);
}

int maildir_quota_add(const char *dir, long long bytes, long long count)
{
	struct str p = STR_INIT, line = STR_INIT;
	int fd, r = -1;

	if (!str_copys(&p, dir) || !str_cats(&p, "/maildirsize")) {
		errno = ENOMEM;
		goto out;
	}
	fd = open(p.s, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		r = errno == ENOENT ? 1 : -1;
		goto out;
	}
	if ((bytes < 0 && !str_append(&line, '-')) ||
	    !str_catu(&line, (unsigned long long)(bytes < 0 ? -bytes : bytes)) ||
	    !str_append(&line, ' ') || (count < 0 && !str_append(&line, '-')) ||
	    !str_catu(&line, (unsigned long long)(count < 0 ? -count : count)) ||
	    !str_append(&line, '\n')) {
		close(fd);
		errno = ENOMEM;
		goto out;
	}
	/* one write, so lines from parallel deliveries never interleave */
	r = writeall(fd, line.s, line.len);
	close(fd);
out:
	str_free(&p);
	str_free(&line);
	return r;
}
