/*
 * kurier-install - install the kurier tree from one table, or check it.
 * runs as:  root, from "make setup" (install) and "make instcheck" (check;
 *           any user may run check)
 * usage:    kurier-install install HOME BUILDBIN SRCDIR TABLE...
 *           kurier-install check HOME TABLE...
 *           kurier-install home          (prints the compiled-in conf-home)
 * input:    TABLE lines "TYPE PATH OWNER GROUP MODE [SOURCE]", see
 *           kurier-install(8); role names are mapped through conf-users
 *           and conf-groups as compiled into this build.  Several tables
 *           may name the same path if they agree on it.
 * trusts:   the table, BUILDBIN and SRCDIR; nothing found under HOME.
 *           It never follows a symbolic link below HOME, and it changes
 *           owner and mode only through descriptors it opened itself
 *           (fchown/fchmod), so a link planted by a less privileged user
 *           cannot redirect it.
 * exit:     0 installed, or every entry is right; 100 bad usage, a bad
 *           table, or (check) at least one problem, each printed on
 *           stdout as one line; 111 system failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>	/* renameat only */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "scan.h"
#include "str.h"

/* a table line; paths are far below this, PATH_MAX is 4096 on Linux */
#define TABLE_LINE_MAX 4096
/* entries in one table: the whole tree has a few hundred */
#define TABLE_ENTRIES_MAX 100000
/* the fields of a line: TYPE PATH OWNER GROUP MODE SOURCE */
#define TABLE_FIELDS_MAX 6
/* mode bits a table may set: permissions plus setuid, setgid, sticky */
#define MODE_MAX 07777
/* the largest file installed: programs and pages are far smaller */
#define INSTALL_FILE_MAX (256UL << 20)
/* what a t entry's text has replaced by the installation's home */
#define HOME_MARK "@HOME@"

struct entry {
	char type;		/* d f c t p s g */
	char *path;		/* relative to HOME, or "." for HOME itself */
	char *owner;		/* names as written in the table */
	char *group;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	char *source;		/* f, c and t only */
	const char *table;	/* the table it came from */
	unsigned line;
};

static struct entry *entries;
static size_t nentries;
static const char *table_name;
static int problems;

static char outspace[BUF_SIZE];
static struct buf out = { outspace, sizeof outspace, 0, 0, 1, buf_unixwrite };

/* usage - print how to call us and exit 100 */
static void usage(void)
{
	diex(EX_T_USAGE, "usage: kurier-install install HOME BUILDBIN SRCDIR TABLE... | check HOME TABLE... | home");
}

/* die_nomem - out of memory is a system failure; does not return */
static void die_nomem(void)
{
	diex(EX_T_TEMP, "out of memory");
}

/* die_table - a bad table line; does not return */
static void die_table(unsigned line, const char *why)
{
	char num[FMT_ULONG + 1];
	num[fmt_ulong(num, line)] = 0;
	diex(EX_T_USAGE, table_name, ": ", num, ": ", why);
}

/* role_user - the account name for a table owner; NULL if unknown */
static const char *role_user(const char *role)
{
	static const struct { const char *role; const char *name; } map[] = {
		{ "kurierd", auto_user_d }, { "kurierq", auto_user_q },
		{ "kuriers", auto_user_s }, { "kurierr", auto_user_r },
		{ "kurierl", auto_user_l }, { "kuriert", auto_user_t },
		{ "kurierv", auto_user_v }, { "kuriera", auto_user_a },
		{ "root", "root" },
	};
	size_t i;
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(map[i].role, role)) return map[i].name;
	return 0;
}

/* role_group - the group name for a table group; NULL if unknown */
static const char *role_group(const char *role)
{
	if (!strcmp(role, "kurier")) return auto_group;
	if (!strcmp(role, "nofiles")) return auto_group_nofiles;
	if (!strcmp(role, "root")) return "root";
	return 0;
}

/* path_ok - 1 if p is "." or a relative path without empty, . or .. parts */
static int path_ok(const char *p)
{
	const char *c = p;
	if (!strcmp(p, ".")) return 1;
	if (!*p || *p == '/') return 0;
	for (;;) {
		size_t n = strcspn(c, "/");
		if (n == 0) return 0;
		if (n == 1 && c[0] == '.') return 0;
		if (n == 2 && c[0] == '.' && c[1] == '.') return 0;
		if (!c[n]) return 1;
		c += n + 1;
	}
}

/* mode_scan - parse an octal mode up to MODE_MAX; 1 ok, 0 bad */
static int mode_scan(const char *s, mode_t *m)
{
	unsigned long v = 0;
	if (!*s || strlen(s) > 5) return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '7') return 0;
		v = v * 8 + (unsigned long)(*s - '0');
	}
	if (v > MODE_MAX) return 0;
	*m = (mode_t)v;
	return 1;
}

/* xstrdup - copy a C string or die; the copy */
static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d) die_nomem();
	return d;
}

/* table_line - parse one line (comment and blanks allowed) into the table */
static void table_line(char *l, unsigned lineno, int resolve)
{
	char *f[TABLE_FIELDS_MAX + 1];
	size_t nf = 0;
	char *c = strchr(l, '#');
	struct entry *e;
	const char *name;

	if (c) *c = 0;
	for (c = strtok(l, " \t\r\n"); c; c = strtok(0, " \t\r\n")) {
		if (nf == TABLE_FIELDS_MAX) die_table(lineno, "too many fields");
		f[nf++] = c;
	}
	if (!nf) return;
	if (nf < 5) die_table(lineno, "want TYPE PATH OWNER GROUP MODE [SOURCE]");
	if (strlen(f[0]) != 1 || !strchr("dfctpsg", f[0][0])) die_table(lineno, "TYPE must be d, f, c, t, p, s or g");
	if (!path_ok(f[1])) die_table(lineno, "PATH must be relative, without empty, . or .. parts");
	if (!!strchr("fct", f[0][0]) != (nf == 6)) die_table(lineno, "SOURCE is required for f, c and t, and only for them");
	if (f[0][0] == 't' && !strchr(f[5], '/')) die_table(lineno, "the SOURCE of a t entry is a path in the source tree");
	if (nentries == TABLE_ENTRIES_MAX) die_table(lineno, "too many entries");
	if (!(nentries & (nentries + 1))) {
		size_t want;
		struct entry *n;
		if (!size_mul(&want, nentries + 1, 2 * sizeof *entries)) die_nomem();
		n = realloc(entries, want);
		if (!n) die_nomem();
		entries = n;
	}
	e = &entries[nentries++];
	memset(e, 0, sizeof *e);
	e->type = f[0][0];
	e->path = xstrdup(f[1]);
	e->owner = xstrdup(f[2]);
	e->group = xstrdup(f[3]);
	e->line = lineno;
	e->table = table_name;
	if (!mode_scan(f[4], &e->mode)) die_table(lineno, "MODE must be octal, at most 7777");
	if (nf == 6) e->source = xstrdup(f[5]);

	name = role_user(e->owner);
	if (!name) die_table(lineno, "OWNER must be root or a role of conf-users (kurierd ... kuriera)");
	if (resolve) {
		struct passwd *pw;
		errno = 0;
		pw = getpwnam(name);
		if (!pw) {
			if (errno && errno != ENOENT && errno != ESRCH) die(EX_T_TEMP, "unable to look up user: ", name);
			diex(EX_T_TEMP, "no such user (make setup creates it): ", name);
		}
		e->uid = pw->pw_uid;
	}
	name = role_group(e->group);
	if (!name) die_table(lineno, "GROUP must be root, kurier or nofiles");
	if (resolve) {
		struct group *gr;
		errno = 0;
		gr = getgrnam(name);
		if (!gr) {
			if (errno && errno != ENOENT && errno != ESRCH) die(EX_T_TEMP, "unable to look up group: ", name);
			diex(EX_T_TEMP, "no such group (make setup creates it): ", name);
		}
		e->gid = gr->gr_gid;
	}
}

/* entry_cmp - order entries by path, HOME itself first, for qsort */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int dx = !strcmp(x->path, "."), dy = !strcmp(y->path, ".");
	if (dx != dy) return dy - dx;
	return strcmp(x->path, y->path);
}

/* table_read - read and check one table, adding its entries */
static void table_read(const char *fn)
{
	char space[BUF_SIZE];
	struct buf in;
	struct str line = STR_INIT;
	unsigned lineno = 0;
	int fd, r;

	table_name = fn;
	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd == -1) die(EX_T_TEMP, "unable to open: ", fn);
	buf_init(&in, buf_unixread, fd, space, sizeof space);
	line.max = TABLE_LINE_MAX;
	for (;;) {
		str_truncate(&line, 0);
		r = buf_getline(&in, &line, '\n');
		if (r == -1) {
			if (errno == E2BIG) die_table(lineno + 1, "line too long");
			die(EX_T_TEMP, "unable to read: ", fn);
		}
		if (r == 0 && !line.len) break;
		lineno++;
		if (memchr(line.s, 0, line.len)) die_table(lineno, "NUL byte");
		if (!str_0(&line)) die_nomem();
		table_line(line.s, lineno, 1);
		if (r == 0) break;
	}
	close(fd);
	str_free(&line);
}

/* tables_read - read every table; entries sorted by path, each once */
static void tables_read(char **fns)
{
	size_t i, k;

	for (; *fns; fns++)
		table_read(*fns);
	qsort(entries, nentries, sizeof *entries, entry_cmp);
	for (i = 1, k = 1; i < nentries; i++) {
		struct entry *a = &entries[k - 1], *b = &entries[i];
		if (strcmp(a->path, b->path)) {
			entries[k++] = *b;
			continue;
		}
		if (a->type != b->type || a->uid != b->uid || a->gid != b->gid || a->mode != b->mode ||
		    (a->source && strcmp(a->source, b->source))) {
			table_name = b->table;
			die_table(b->line, "conflicts with another entry for the same PATH");
		}
	}
	if (nentries)
		nentries = k;
}

/* open_parent - open the directory holding path below home, never following
 * a link; its descriptor (home's duplicate for one-part paths), -1 on error
 * with errno set; *base is the last part of path */
static int open_parent(int home, const char *path, const char **base)
{
	const char *c = path, *slash;
	int fd = dup(home);

	if (fd == -1) return -1;
	while ((slash = strchr(c, '/'))) {
		char part[TABLE_LINE_MAX];
		int next;
		size_t n = (size_t)(slash - c);
		memcpy(part, c, n);
		part[n] = 0;
		next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next == -1) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		close(fd);
		fd = next;
		c = slash + 1;
	}
	*base = c;
	return fd;
}

/* fix_owner_mode - fchown then fchmod (chown clears setuid bits); dies on error */
static void fix_owner_mode(int fd, const struct entry *e, const char *what)
{
	if (fchown(fd, e->uid, e->gid) == -1) die(EX_T_TEMP, "unable to set owner of: ", what);
	if (fchmod(fd, e->mode) == -1) die(EX_T_TEMP, "unable to set mode of: ", what);
}

/* drop_link - remove a symbolic link standing where something of ours
 * belongs; 1 if one was removed, 0 if name is not a link */
static int drop_link(int dir, const char *name, const char *path)
{
	struct stat st;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == -1) return 0;
	if (!S_ISLNK(st.st_mode)) return 0;
	if (unlinkat(dir, name, 0) == -1) die(EX_T_TEMP, "unable to remove symbolic link: ", path);
	log_warnx("removed a symbolic link where a real entry belongs: ", path);
	return 1;
}

/* make_dir - create or repair directory name in dir; its open descriptor */
static int make_dir(int dir, const char *name, const char *path, const struct entry *e)
{
	int fd, tries;
	struct stat st;

	for (tries = 0; tries < 2; tries++) {
		if (mkdirat(dir, name, 0700) == -1 && errno != EEXIST)
			die(EX_T_TEMP, "unable to create directory: ", path);
		fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1) break;
		if ((errno != ELOOP && errno != ENOTDIR) || !drop_link(dir, name, path))
			die(EX_T_TEMP, "unable to open directory (something else is in the way?): ", path);
	}
	if (fd == -1) die(EX_T_TEMP, "unable to open directory: ", path);
	if (fstat(fd, &st) == -1) die(EX_T_TEMP, "unable to stat: ", path);
	if (!S_ISDIR(st.st_mode)) diex(EX_T_TEMP, "not a directory: ", path);
	fix_owner_mode(fd, e, path);
	return fd;
}

/* make_fifo - create or repair the fifo name in dir */
static void make_fifo(int dir, const char *name, const char *path, const struct entry *e)
{
	int fd, tries;
	struct stat st;

	for (tries = 0; tries < 2; tries++) {
		if (mkfifoat(dir, name, 0600) == -1 && errno != EEXIST)
			die(EX_T_TEMP, "unable to create fifo: ", path);
		fd = openat(dir, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1) break;
		if (errno != ELOOP || !drop_link(dir, name, path))
			die(EX_T_TEMP, "unable to open fifo: ", path);
	}
	if (fd == -1) die(EX_T_TEMP, "unable to open fifo: ", path);
	if (fstat(fd, &st) == -1) die(EX_T_TEMP, "unable to stat: ", path);
	if (!S_ISFIFO(st.st_mode)) diex(EX_T_TEMP, "not a fifo: ", path);
	fix_owner_mode(fd, e, path);
	close(fd);
}

/* source_path - where the source of entry e is, into sp */
static void source_path(struct str *sp, const struct entry *e, const char *bin, const char *src)
{
	const char *s = e->source;
	if (s[0] == '/') {
		if (!str_copys(sp, s)) die_nomem();
	} else if (strchr(s, '/')) {
		if (!str_copys(sp, src) || !str_append(sp, '/') || !str_cats(sp, s)) die_nomem();
	} else {
		if (!str_copys(sp, bin) || !str_append(sp, '/') || !str_cats(sp, s)) die_nomem();
	}
	if (!str_0(sp)) die_nomem();
}

/* file_read - the whole of file from into sp; dies on error */
static void file_read(struct str *sp, const char *from)
{
	char chunk[BUF_SIZE];
	ssize_t r;
	int in;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in == -1) die(EX_T_TEMP, "unable to open source: ", from);
	str_truncate(sp, 0);
	sp->max = INSTALL_FILE_MAX;
	for (;;) {
		r = read(in, chunk, sizeof chunk);
		if (r == -1 && errno == EINTR) continue;
		if (r == -1) die(EX_T_TEMP, "unable to read: ", from);
		if (r == 0) break;
		if (!str_catb(sp, chunk, (size_t)r)) {
			if (errno == E2BIG) diex(EX_T_USAGE, "source file too large: ", from);
			die_nomem();
		}
	}
	close(in);
}

/* home_subst - text with every HOME_MARK replaced by home, into res */
static void home_subst(struct str *res, const struct str *text, const char *home)
{
	size_t i = 0, m = sizeof HOME_MARK - 1;

	str_truncate(res, 0);
	while (i < text->len) {
		if (text->len - i >= m && !memcmp(text->s + i, HOME_MARK, m)) {
			if (!str_cats(res, home)) die_nomem();
			i += m;
			continue;
		}
		if (!str_append(res, text->s[i])) die_nomem();
		i++;
	}
}

/* copy_file - install the bytes over name in dir via a temporary name and rename */
static void copy_file(int dir, const char *name, const char *path, const struct entry *e,
		      const struct str *data)
{
	struct str tmp = STR_INIT;
	struct stat st;
	const char *p = data->s;
	size_t left = data->len;
	int outfd;

	if (!str_copys(&tmp, ".") || !str_cats(&tmp, name) || !str_cats(&tmp, ".kurier-install") ||
	    !str_0(&tmp))
		die_nomem();
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		diex(EX_T_TEMP, "a directory is where a file belongs: ", path);
	if (unlinkat(dir, tmp.s, 0) == -1 && errno != ENOENT) die(EX_T_TEMP, "unable to remove old temporary file for: ", path);
	outfd = openat(dir, tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (outfd == -1) die(EX_T_TEMP, "unable to create temporary file for: ", path);
	while (left > 0) {
		ssize_t w = write(outfd, p, left);
		if (w == -1 && errno == EINTR) continue;
		if (w == -1) die(EX_T_TEMP, "unable to write: ", path);
		p += w;
		left -= (size_t)w;
	}
	fix_owner_mode(outfd, e, path);
	if (fsync(outfd) == -1) die(EX_T_TEMP, "unable to sync: ", path);
	if (close(outfd) == -1) die(EX_T_TEMP, "unable to write: ", path);
	if (renameat(dir, tmp.s, dir, name) == -1) die(EX_T_TEMP, "unable to rename into place: ", path);
	str_free(&tmp);
}

/* keep_file - a c entry that exists stays; fix its owner and mode; 1 if kept */
static int keep_file(int dir, const char *name, const char *path, const struct entry *e)
{
	struct stat st;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT) return 0;
		if (errno == ELOOP && drop_link(dir, name, path)) return 0;
		die(EX_T_TEMP, "unable to open: ", path);
	}
	if (fstat(fd, &st) == -1) die(EX_T_TEMP, "unable to stat: ", path);
	if (!S_ISREG(st.st_mode)) diex(EX_T_TEMP, "not a regular file: ", path);
	fix_owner_mode(fd, e, path);
	close(fd);
	return 1;
}

/* split_name - the name of split subdirectory i into n; n */
static char *split_name(char *n, unsigned i)
{
	n[fmt_ulong(n, i)] = 0;
	return n;
}

/* install - create or repair every entry under home; exits 0 */
static void install(const char *home, const char *bin, const char *src)
{
	struct str sp = STR_INIT, data = STR_INIT, text = STR_INIT;
	size_t i;
	int h;

	if (mkdir(home, 0700) == -1 && errno != EEXIST) die(EX_T_TEMP, "unable to create: ", home);
	h = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h == -1) die(EX_T_TEMP, "unable to open: ", home);
	for (i = 0; i < nentries; i++) {
		const struct entry *e = &entries[i];
		const char *base;
		int dir, fd;

		if (!strcmp(e->path, ".")) {
			table_name = e->table;
			if (e->type != 'd') die_table(e->line, "HOME itself must be a d entry");
			fix_owner_mode(h, e, home);
			continue;
		}
		dir = open_parent(h, e->path, &base);
		if (dir == -1) die(EX_T_TEMP, "unable to open the directory of (is its parent in the table?): ", e->path);
		switch (e->type) {
		case 'd':
			close(make_dir(dir, base, e->path, e));
			break;
		case 's': {
			unsigned k;
			fd = make_dir(dir, base, e->path, e);
			for (k = 0; k < auto_split; k++) {
				char n[FMT_ULONG + 1];
				close(make_dir(fd, split_name(n, k), e->path, e));
			}
			close(fd);
			break;
		}
		case 'p':
			make_fifo(dir, base, e->path, e);
			break;
		case 'c':
			if (keep_file(dir, base, e->path, e)) break;
			/* a missing c entry is installed like an f entry */
			source_path(&sp, e, bin, src);
			file_read(&data, sp.s);
			copy_file(dir, base, e->path, e, &data);
			break;
		case 'f':
			source_path(&sp, e, bin, src);
			file_read(&data, sp.s);
			copy_file(dir, base, e->path, e, &data);
			break;
		case 't':
			source_path(&sp, e, bin, src);
			file_read(&text, sp.s);
			home_subst(&data, &text, home);
			copy_file(dir, base, e->path, e, &data);
			break;
		case 'g':
			/* made by make setup itself (a key, the host name);
			 * only its owner and mode are ours to set */
			(void)keep_file(dir, base, e->path, e);
			break;
		}
		if (fsync(dir) == -1 && errno != EINVAL) die(EX_T_TEMP, "unable to sync the directory of: ", e->path);
		close(dir);
	}
	close(h);
	str_free(&sp);
	str_free(&data);
	str_free(&text);
}

/* problem - print one line "PATH: what" for check */
static void problem(const char *path, const char *sub, const char *what)
{
	problems = 1;
	if (buf_puts(&out, path) == -1 ||
	    (sub && (buf_puts(&out, "/") == -1 || buf_puts(&out, sub) == -1)) ||
	    buf_puts(&out, ": ") == -1 || buf_puts(&out, what) == -1 ||
	    buf_puts(&out, "\n") == -1)
		die(EX_T_TEMP, "unable to write output");
}

/* oct4 - mode m as four octal digits and a NUL into o; o */
static char *oct4(char o[5], mode_t m)
{
	unsigned k;
	for (k = 0; k < 4; k++) o[3 - k] = (char)('0' + ((m >> (3 * k)) & 7));
	o[4] = 0;
	return o;
}

/* problem_mode - print "PATH: mode GOT, want WANT" */
static void problem_mode(const char *path, const char *sub, mode_t got, mode_t want)
{
	char g[5], w[5];
	struct str line = STR_INIT;
	if (!str_copys(&line, "mode ") || !str_cats(&line, oct4(g, got)) ||
	    !str_cats(&line, ", want ") || !str_cats(&line, oct4(w, want)) || !str_0(&line))
		die_nomem();
	problem(path, sub, line.s);
	str_free(&line);
}

/* type_name - words for a stat type */
static const char *type_name(mode_t m)
{
	if (S_ISDIR(m)) return "a directory";
	if (S_ISREG(m)) return "a file";
	if (S_ISLNK(m)) return "a symbolic link";
	if (S_ISFIFO(m)) return "a fifo";
	return "something else";
}

/* check_one - compare name in dir (sub of path when a split part) with e */
static void check_one(int dir, const char *name, const char *path, const char *sub,
		      const struct entry *e)
{
	struct stat st;
	mode_t want = e->type == 'p' ? S_IFIFO : strchr("fctg", e->type) ? S_IFREG : S_IFDIR;
	struct str w = STR_INIT;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT) { problem(path, sub, "missing"); return; }
		die(EX_T_TEMP, "unable to stat: ", path);
	}
	if ((st.st_mode & S_IFMT) != want) {
		if (!str_copys(&w, "is ") || !str_cats(&w, type_name(st.st_mode)) ||
		    !str_cats(&w, ", want ") || !str_cats(&w, type_name(want)) || !str_0(&w))
			die_nomem();
		problem(path, sub, w.s);
		str_free(&w);
		return;
	}
	if (st.st_uid != e->uid) {
		if (!str_copys(&w, "owner uid ") || !str_catu(&w, st.st_uid) || !str_cats(&w, ", want ") ||
		    !str_cats(&w, role_user(e->owner)) || !str_0(&w))
			die_nomem();
		problem(path, sub, w.s);
	}
	if (st.st_gid != e->gid) {
		if (!str_copys(&w, "group gid ") || !str_catu(&w, st.st_gid) || !str_cats(&w, ", want ") ||
		    !str_cats(&w, role_group(e->group)) || !str_0(&w))
			die_nomem();
		problem(path, sub, w.s);
	}
	if ((st.st_mode & 07777) != e->mode) problem_mode(path, sub, st.st_mode & 07777, e->mode);
	str_free(&w);
}

/* check - compare every entry with what is under home; exits 0 or 100 */
static void check(const char *home)
{
	size_t i;
	int h = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (h == -1) {
		if (errno != ENOENT) die(EX_T_TEMP, "unable to open: ", home);
		problem(home, 0, "missing");
	}
	for (i = 0; h != -1 && i < nentries; i++) {
		const struct entry *e = &entries[i];
		const char *base;
		int dir;

		if (!strcmp(e->path, ".")) {
			int up = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (up == -1) die(EX_T_TEMP, "unable to open: ", home);
			check_one(up, ".", ".", 0, e);
			close(up);
			continue;
		}
		dir = open_parent(h, e->path, &base);
		if (dir == -1) {
			if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR) die(EX_T_TEMP, "unable to open the directory of: ", e->path);
			problem(e->path, 0, "missing (its directory is missing or not a real directory)");
			continue;
		}
		check_one(dir, base, e->path, 0, e);
		if (e->type == 's') {
			int fd = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			unsigned k;
			if (fd != -1) {
				for (k = 0; k < auto_split; k++) {
					char n[FMT_ULONG + 1];
					check_one(fd, split_name(n, k), e->path, n, e);
				}
				close(fd);
			}
		}
		close(dir);
	}
	if (h != -1) close(h);
	if (buf_flush(&out) == -1) die(EX_T_TEMP, "unable to write output");
	_exit(problems ? EX_T_USAGE : EX_T_OK);
}

int main(int argc, char **argv)
{
	log_prog("kurier-install");
	umask(077);
	if (argc == 2 && !strcmp(argv[1], "home")) {
		if (buf_puts(&out, auto_home) == -1 || buf_puts(&out, "\n") == -1 || buf_flush(&out) == -1)
			die(EX_T_TEMP, "unable to write output");
		return EX_T_OK;
	}
	if (argc >= 6 && !strcmp(argv[1], "install")) {
		tables_read(argv + 5);
		install(argv[2], argv[3], argv[4]);
		return EX_T_OK;
	}
	if (argc >= 4 && !strcmp(argv[1], "check")) {
		tables_read(argv + 3);
		check(argv[2]);
	}
	usage();
}
