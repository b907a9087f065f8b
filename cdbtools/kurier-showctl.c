/*
 * kurier-showctl - print every control setting kurier knows, with its value
 * and where the value comes from, like qmail-showctl or postconf -n.
 * runs as:  anyone (files it cannot read are reported, not fatal)
 * usage:    kurier-showctl [-n] [-d HOME]
 *           -n        only settings that a file sets (no defaults)
 *           -d HOME   look at the instance under HOME instead of conf-home
 * output:   one line per setting, "name: value (source)", where source is
 *           "compiled in" (a conf-* file), "control/NAME", "default", or
 *           for a compiled table "control/NAME.cdb, N records"; a warning
 *           line follows a cdb older than its text source.  The TLS key
 *           and the shadow userdb are only looked at, never read.
 * trusts:   file contents are printed with control bytes escaped.
 * exit:     0 done; 100 bad usage; 111 out of memory or stdout failure.
 */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "buf.h"
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "scan.h"
#include "str.h"

/* a list setting shows at most this many entries, then a count */
#define SHOW_LIST_MAX 20

enum kind {
	K_LINE,		/* first line */
	K_NUMBER,	/* first line, a number */
	K_DURATION,	/* first line, seconds or w/d/h/m/s */
	K_LIST,		/* one entry per line */
	K_TABLE,	/* text source compiled into NAME.cdb */
	K_FILE		/* a file that exists or not (keys, databases) */
};

struct setting {
	const char *name;	/* under control/ (or users/ with a '/') */
	enum kind kind;
	const char *def;	/* the documented default, in words */
};

/* the settings of control(5), in the order an administrator meets them */
static const struct setting settings[] = {
	{ "me", K_LINE, "the system's host name" },
	{ "defaulthost", K_LINE, "me" },
	{ "defaultdomain", K_LINE, "me" },
	{ "locals", K_LIST, "me only" },
	{ "hosteddomains", K_TABLE, "none" },
	{ "esmtpacceptmailfor", K_TABLE, "none" },
	{ "aliases", K_TABLE, "none" },
	{ "smtpaccess", K_TABLE, "none: tcpserver runs without -x rules" },
	{ "esmtproutes", K_LIST, "none: MX records, else A/AAAA" },
	{ "bofh", K_LIST, "none" },
	{ "smtpgreeting", K_LINE, "me" },
	{ "smtpauthplaintext", K_LINE, "0: AUTH PLAIN/LOGIN only under TLS" },
	{ "timeoutsmtpd", K_NUMBER, "300 seconds" },
	{ "sizelimit", K_NUMBER, "26214400 bytes when databytes is not set either" },
	{ "databytes", K_NUMBER, "26214400 bytes when sizelimit is not set either" },
	{ "queuelifetime", K_DURATION, "604800 seconds (one week)" },
	{ "concurrencylocal", K_NUMBER, "10, at most conf-spawn" },
	{ "concurrencyremote", K_NUMBER, "20, at most conf-spawn" },
	{ "doublebounceto", K_LINE, "postmaster" },
	{ "bouncefrom", K_LINE, "MAILER-DAEMON" },
	{ "tlscert.pem", K_FILE, "none: no STARTTLS" },
	{ "tlskey.pem", K_FILE, "none: no STARTTLS" },
	{ "users/userdb.cdb", K_FILE, "none: no virtual accounts" },
	{ "users/userdbshadow.cdb", K_FILE, "none: no virtual passwords" },
};

static char outspace[8192];
static struct buf out;
static int only_set;

/* die_nomem - exit 111 */
static void die_nomem(void)
{
	diex(EX_T_TEMP, "out of memory");
}

/* put - append a C string to the output */
static void put(const char *s)
{
	if (buf_puts(&out, s) < 0)
		die(EX_T_TEMP, "cannot write to standard output");
}

/* putsafe - append n bytes with control bytes escaped */
static void putsafe(const char *s, size_t n)
{
	struct str e = STR_INIT;

	if (!log_safe(&e, s, n))
		die_nomem();
	if (buf_put(&out, e.s ? e.s : "", e.len) < 0)
		die(EX_T_TEMP, "cannot write to standard output");
	str_free(&e);
}

/* show - one line "name: value (source)" */
static void show(const char *name, const char *value, size_t vlen, const char *source)
{
	put(name);
	put(": ");
	putsafe(value, vlen);
	put(" (");
	put(source);
	put(")\n");
}

/* show_default - the default of s, unless -n */
static void show_default(const struct setting *s)
{
	if (!only_set)
		show(s->name, s->def, strlen(s->def), "default");
}

/* first_line - length of the first line of f without trailing white space */
static size_t first_line(const struct str *f)
{
	size_t n = str_chr(f, '\n');
	while (n && (f->s[n - 1] == ' ' || f->s[n - 1] == '\t' || f->s[n - 1] == '\r'))
		n--;
	return n;
}

/* cdb_count - records in the cdb at path; -1 unreadable or corrupt */
static long long cdb_count(const char *path)
{
	struct cdb c;
	unsigned pos;
	long long n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd == -1)
		return -1;
	if (cdb_init(&c, fd) != 0) {
		close(fd);
		errno = EPROTO;
		return -1;
	}
	cdb_seqinit(&pos, &c);
	while ((r = cdb_seqnext(&pos, &c)) > 0) {
		/* libcdb 0.78 lets klen + dlen wrap around: a record that does not
		 * fit in the file is corrupt, and stops a walk that could loop */
		if (!cdb_get(&c, cdb_keylen(&c), cdb_keypos(&c)) || !cdb_get(&c, cdb_datalen(&c), cdb_datapos(&c))) {
			r = -1;
			break;
		}
		n++;
	}
	cdb_free(&c);
	close(fd);
	errno = EPROTO;
	return r < 0 ? -1 : n;
}

/* newest - the latest mtime of path, or of the files in it when a directory; 0 when missing */
static long long newest(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return 0;
	return (long long)st.st_mtime;	/* a directory's mtime changes when a file is added or removed */
}

/* show_one - look s up under home and print it */
static void show_one(const char *home, const struct setting *s)
{
	struct str path = STR_INIT, data = STR_INIT, v = STR_INIT, src = STR_INIT;
	struct stat st;
	int r;

	if (!str_copys(&path, home) || !str_append(&path, '/') ||
	    (!strchr(s->name, '/') && !str_cats(&path, "control/")) || !str_cats(&path, s->name) ||
	    !str_copys(&src, strchr(s->name, '/') ? "" : "control/") || !str_cats(&src, s->name))
		die_nomem();
	switch (s->kind) {
	case K_FILE:
		if (stat(path.s, &st) == -1) {
			if (errno == ENOENT)
				show_default(s);
			else
				show(s->name, "unreadable", 10, src.s);
			break;
		}
		if (!str_copys(&v, "present, mode ") || !str_append(&v, (char)('0' + ((st.st_mode >> 6) & 7))) ||
		    !str_append(&v, (char)('0' + ((st.st_mode >> 3) & 7))) ||
		    !str_append(&v, (char)('0' + (st.st_mode & 7))) || !str_cats(&v, ", ") ||
		    !str_catu(&v, (unsigned long long)st.st_size) || !str_cats(&v, " bytes"))
			die_nomem();
		show(s->name, v.s, v.len, src.s);
		break;
	case K_TABLE: {
		struct str cdbp = STR_INIT;
		long long n, ts, tc;
		int missing;
		if (!str_copy(&cdbp, &path) || !str_cats(&cdbp, ".cdb") || !str_cats(&src, ".cdb"))
			die_nomem();
		n = cdb_count(cdbp.s);
		missing = n < 0 && errno == ENOENT;
		ts = newest(path.s);
		tc = newest(cdbp.s);
		if (missing && !ts) {
			show_default(s);
		} else if (n < 0) {
			show(s->name, missing ? "not compiled" : "unreadable or corrupt", missing ? 12 : 21, src.s);
		} else {
			if (!str_catu(&v, (unsigned long long)n) || !str_cats(&v, n == 1 ? " record" : " records"))
				die_nomem();
			show(s->name, v.s, v.len, src.s);
		}
		if (ts && tc && ts > tc) {
			put("warning: control/");
			put(s->name);
			put(" is newer than its cdb: run make");
			put(strcmp(s->name, "esmtpacceptmailfor") == 0 ? "acceptmailfor" : s->name);
			put("\n");
		} else if (ts && missing) {
			put("warning: control/");
			put(s->name);
			put(" has never been compiled\n");
		}
		str_free(&cdbp);
		break;
	}
	default:
		r = control_readfile(&data, path.s);
		if (r < 0) {
			show(s->name, "unreadable", 10, src.s);
			break;
		}
		if (r == 0) {
			show_default(s);
			break;
		}
		if (s->kind == K_LIST) {
			size_t i = 0, count = 0;
			while (i < data.len) {
				const char *l = data.s + i;
				const char *nl = memchr(l, '\n', data.len - i);
				size_t n = nl ? (size_t)(nl - l) : data.len - i, b = 0;
				i += n + 1;
				while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
					n--;
				while (b < n && (l[b] == ' ' || l[b] == '\t'))
					b++;
				if (b == n || l[b] == '#')
					continue;
				if (++count > SHOW_LIST_MAX)
					continue;
				if ((v.len && !str_cats(&v, ", ")) || !str_catb(&v, l + b, n - b))
					die_nomem();
			}
			if (count > SHOW_LIST_MAX && (!str_cats(&v, ", ... (") || !str_catu(&v, count) ||
			    !str_cats(&v, " entries)")))
				die_nomem();
			if (!count && !str_copys(&v, "empty"))
				die_nomem();
			show(s->name, v.s ? v.s : "", v.len, src.s);
		} else {
			size_t n = first_line(&data);
			unsigned long long u;
			if (!str_copyb(&v, data.s, n))
				die_nomem();
			if (s->kind == K_NUMBER && !scan_ulongs(v.s, &u) && !str_cats(&v, " (not a number!)"))
				die_nomem();
			if (s->kind == K_DURATION && !scan_duration(v.s, &u) && !str_cats(&v, " (not a duration!)"))
				die_nomem();
			if (!n)
				show_default(s);
			else
				show(s->name, v.s, v.len, src.s);
		}
		break;
	}
	str_free(&path);
	str_free(&data);
	str_free(&v);
	str_free(&src);
}

/* show_conf - a compiled-in conf-* value */
static void show_conf(const char *name, const char *value)
{
	show(name, value, strlen(value), "compiled in");
}

int main(int argc, char **argv)
{
	const char *home = auto_home;
	char num[FMT_ULONG];
	size_t i;
	int opt;

	log_prog("kurier-showctl");
	buf_init(&out, buf_unixwrite, 1, outspace, sizeof outspace);
	while ((opt = getopt(argc, argv, "nd:")) != -1) {
		switch (opt) {
		case 'n': only_set = 1; break;
		case 'd': home = optarg; break;
		default: diex(EX_T_USAGE, "usage: kurier-showctl [-n] [-d HOME]");
		}
	}
	if (optind != argc)
		diex(EX_T_USAGE, "usage: kurier-showctl [-n] [-d HOME]");
	if (!only_set) {
		show_conf("conf-home", auto_home);
		num[fmt_ulong(num, auto_split)] = 0;
		show_conf("conf-split", num);
		num[fmt_ulong(num, auto_spawn)] = 0;
		show_conf("conf-spawn", num);
		{
			struct str u = STR_INIT;
			const char *users[] = { auto_user_d, auto_user_q, auto_user_s, auto_user_r,
			    auto_user_l, auto_user_t, auto_user_v, auto_user_a };
			for (i = 0; i < sizeof users / sizeof users[0]; i++)
				if ((i && !str_append(&u, ' ')) || !str_cats(&u, users[i]))
					die_nomem();
			show_conf("conf-users", u.s);
			if (!str_copys(&u, auto_group) || !str_append(&u, ' ') || !str_cats(&u, auto_group_nofiles))
				die_nomem();
			show_conf("conf-groups", u.s);
			str_free(&u);
		}
		if (strcmp(home, auto_home) != 0)
			show("instance", home, strlen(home), "-d");
	}
	for (i = 0; i < sizeof settings / sizeof settings[0]; i++)
		show_one(home, &settings[i]);
	if (buf_flush(&out) < 0)
		die(EX_T_TEMP, "cannot write to standard output");
	return EX_T_OK;
}
