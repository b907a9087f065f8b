/*
 * userdb - show and edit the userdb source, as Courier's userdb(8) does.
 * runs as:  root (or whoever owns the source)
 * usage:    userdb [-f SOURCE] ADDR set FIELD=VALUE|FIELD ...
 *           userdb [-f SOURCE] ADDR unset FIELD ...
 *           userdb [-f SOURCE] ADDR del
 *           userdb [-f SOURCE] -show [ADDR]
 *           SOURCE defaults to conf-home/users/userdb.  "set FIELD"
 *           without "=" reads the value as one line from stdin, so
 *           "userdbpw | userdb ADDR set systempw" works.
 * effect:   edits rewrite the one file that holds ADDR (or, for a new
 *           address, the source file itself; a directory source then
 *           needs -f DIR/FILE) through a temporary file with the same
 *           mode, fsync, rename and directory fsync.  Comments and every
 *           other line are kept byte for byte.  It does not rebuild the
 *           cdbs: run makeuserdb afterwards.
 * trusts:   nothing on the command line or stdin; every field is checked
 *           as makeuserdb would check it.
 * exit:     0 done; 1 no such address; 100 bad usage, bad field, or an
 *           unsafe source; 111 system failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>	/* rename */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "buf.h"
#include "cdbx.h"
#include "exitcode.h"
#include "log.h"
#include "scan.h"
#include "str.h"
#include "userdb-parse.h"
#include "userdb-src.h"

/* longest value read from stdin, as a source line can hold */
#define STDIN_VALUE_MAX UDB_LINE_MAX

static struct str src = STR_INIT;

/* die_usage - print usage, exit 100 */
static void die_usage(void)
{
	diex(EX_T_USAGE, "usage: userdb [-f SOURCE] ADDR set FIELD=VALUE ... | ADDR unset FIELD ... | ADDR del | -show [ADDR]");
}

/* die_nomem - exit 111 */
static void die_nomem(void)
{
	diex(EX_T_TEMP, "out of memory");
}

/* put_out - write n bytes to stdout or die */
static void put_out(struct buf *b, const char *s, size_t n)
{
	if (buf_put(b, s, n) < 0)
		die(EX_T_TEMP, "cannot write");
}

/* find_line - the line of data holding address key; 1 found (start, len, parsed), 0 not found, -1 bad line (*why, *lineno) */
static int find_line(const struct str *data, const struct str *key, size_t *start, size_t *len,
		     struct udb_line *l, unsigned long *lineno, const char **why)
{
	struct str k = STR_INIT;
	size_t i = 0;
	unsigned long ln = 0;

	while (i < data->len) {
		const char *s = data->s + i;
		const char *nl = memchr(s, '\n', data->len - i);
		size_t n = nl ? (size_t)(nl - s) : data->len - i;
		int r;

		ln++;
		r = udb_parse_line(s, n, l, why);
		if (r < 0) {
			*lineno = ln;
			str_free(&k);
			return -1;
		}
		if (r == 1) {
			if (!udb_key(l->addr, l->alen, &k))
				die_nomem();
			if (k.len == key->len && memcmp(k.s, key->s, k.len) == 0) {
				*start = i;
				*len = n;
				*lineno = ln;
				str_free(&k);
				return 1;
			}
		}
		i += n + 1;
	}
	str_free(&k);
	return 0;
}

/* load_or_die - read a source file; exits 100 when unsafe, 111 on error */
static void load_or_die(const char *file, struct str *data)
{
	const char *why = 0;
	int r = udb_src_load(file, data, &why);

	if (r < 0)
		die(EX_T_TEMP, "cannot read ", file);
	if (r == 0)
		diex(EX_T_USAGE, file, ": ", why);
}

/* locate - find the file and line of key in the source; 1 found, 0 not (file = the source when it is a file) */
static int locate(const struct str *key, struct str *file, struct str *data, size_t *start, size_t *len, struct udb_line *l)
{
	struct udb_src s;
	struct str bad = STR_INIT;
	const char *why = 0;
	unsigned long ln = 0;
	size_t f;
	int r = udb_src_list(src.s, &s, &bad, &why);

	if (r < 0 && errno == ENOENT && !s.isdir) {
		/* no source yet: a new file */
		data->len = 0;
		str_free(&bad);
		if (!str_copy(file, &src))
			die_nomem();
		return 0;
	}
	if (r < 0)
		die(EX_T_TEMP, "cannot read ", bad.s);
	str_free(&bad);
	if (r == 0)
		diex(EX_T_USAGE, bad.s, ": ", why);
	for (f = 0; f < s.n; f++) {
		load_or_die(s.files[f], data);
		r = find_line(data, key, start, len, l, &ln, &why);
		if (r < 0) {
			char num[FMT_ULONG];
			num[fmt_ulong(num, ln)] = 0;
			diex(EX_T_USAGE, s.files[f], ":", num, ": ", why);
		}
		if (r == 1) {
			if (!str_copys(file, s.files[f]))
				die_nomem();
			udb_src_free(&s);
			return 1;
		}
	}
	if (s.isdir) {
		udb_src_free(&s);
		data->len = 0;
		file->len = 0;
		return 0;
	}
	udb_src_free(&s);
	if (!str_copy(file, &src))
		die_nomem();
	return 0;
}

/* rewrite - replace file with data: temp with the same mode and owner, fsync, rename, fsync the directory */
static void rewrite(const char *file, const struct str *data)
{
	struct str tmp = STR_INIT;
	struct stat st;
	mode_t mode = 0600;
	int fd, have = stat(file, &st) == 0;
	size_t done = 0;

	if (have)
		mode = st.st_mode & 07777;
	if (!str_copys(&tmp, file) || !str_cats(&tmp, ".tmp"))
		die_nomem();
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 && errno == EEXIST)
		diex(EX_T_TEMP, tmp.s, " exists: another userdb is running, or remove it");
	if (fd == -1)
		die(EX_T_TEMP, "cannot create ", tmp.s);
	if (fchmod(fd, mode) == -1 || (have && geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) == -1))
		goto fail;
	while (done < data->len) {
		ssize_t w = buf_unixwrite(fd, data->s + done, data->len - done);
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		goto fail;
	fd = -1;
	if (rename(tmp.s, file) != 0)
		goto fail;
	if (fsync_dir(file) < 0)
		die(EX_T_TEMP, "cannot fsync the directory of ", file);
	str_free(&tmp);
	return;
fail:
	{
		int e = errno;
		if (fd != -1)
			close(fd);
		unlink(tmp.s);
		errno = e;
		die(EX_T_TEMP, "cannot write ", tmp.s);
	}
}

/* field_name_len - length of the name part of a field=value */
static size_t field_name_len(const char *f, size_t n)
{
	const char *eq = memchr(f, '=', n);
	return eq ? (size_t)(eq - f) : n;
}

/* arg_named - index in args of the field named f[0..nl), or -1 */
static int arg_named(char **args, int nargs, const char *f, size_t nl)
{
	int i;

	for (i = 0; i < nargs; i++) {
		size_t al = field_name_len(args[i], strlen(args[i]));
		if (al == nl && memcmp(args[i], f, nl) == 0)
			return i;
	}
	return -1;
}

/* read_stdin_value - one line from stdin into v (newline dropped) */
static void read_stdin_value(struct str *v)
{
	char b[4096];

	v->len = 0;
	for (;;) {
		ssize_t r = buf_unixread(0, b, sizeof b);
		if (r < 0)
			die(EX_T_TEMP, "cannot read stdin");
		if (r == 0)
			break;
		if (v->len + (size_t)r > STDIN_VALUE_MAX)
			diex(EX_T_USAGE, "value on stdin too long");
		if (!str_catb(v, b, (size_t)r))
			die_nomem();
	}
	v->len = str_chr(v, '\n');
	if (v->len && v->s[v->len - 1] == '\r')
		v->len--;
	explicit_bzero(b, sizeof b);
}

/* show - list every address, or the fields of one; exit code */
static int show(const char *addr)
{
	char ob[BUF_SIZE];
	struct buf out;
	struct udb_src s;
	struct str bad = STR_INIT, data = STR_INIT, key = STR_INIT, file = STR_INIT;
	const char *why = 0;
	size_t f;
	int r;

	buf_init(&out, buf_unixwrite, 1, ob, sizeof ob);
	if (addr) {
		size_t start, len, i = 0;
		struct udb_line l;

		if (!udb_key(addr, strlen(addr), &key))
			die_nomem();
		if (!locate(&key, &file, &data, &start, &len, &l))
			diex(EX_T_FAIL, addr, ": no such address");
		str_free(&key);
		str_free(&file);
		while (i < l.rlen) {
			const char *bar = memchr(l.rec + i, '|', l.rlen - i);
			size_t n = bar ? (size_t)(bar - l.rec - i) : l.rlen - i;
			put_out(&out, l.rec + i, n);
			put_out(&out, "\n", 1);
			i += n + 1;
		}
	} else {
		r = udb_src_list(src.s, &s, &bad, &why);
		if (r < 0)
			die(EX_T_TEMP, "cannot read ", bad.s);
		if (r == 0)
			diex(EX_T_USAGE, bad.s, ": ", why);
		str_free(&bad);
		for (f = 0; f < s.n; f++) {
			size_t i = 0;
			load_or_die(s.files[f], &data);
			while (i < data.len) {
				const char *p = data.s + i;
				const char *nl = memchr(p, '\n', data.len - i);
				size_t n = nl ? (size_t)(nl - p) : data.len - i;
				struct udb_line l;

				if (udb_parse_line(p, n, &l, &why) == 1) {
					put_out(&out, l.addr, l.alen);
					put_out(&out, "\n", 1);
				}
				i += n + 1;
			}
		}
		udb_src_free(&s);
	}
	if (buf_flush(&out) < 0)
		die(EX_T_TEMP, "cannot write");
	str_wipe(&data);
	return EX_T_OK;
}

int main(int argc, char **argv)
{
	struct str key = STR_INIT, file = STR_INIT, data = STR_INIT, rec = STR_INIT, line = STR_INIT, v = STR_INIT;
	struct udb_line l;
	size_t start = 0, len = 0;
	const char *why = 0, *addr, *cmd;
	char **args;
	int nargs, found, i, stdin_used = 0;

	log_prog("userdb");
	if (!str_copys(&src, auto_home) || !str_cats(&src, "/users/userdb"))
		die_nomem();
	argv++;
	argc--;
	if (argc >= 2 && strcmp(argv[0], "-f") == 0) {
		if (!str_copys(&src, argv[1]))
			die_nomem();
		argv += 2;
		argc -= 2;
	}
	if (argc >= 1 && strcmp(argv[0], "-show") == 0) {
		if (argc > 2)
			die_usage();
		return show(argc == 2 ? argv[1] : 0);
	}
	if (argc < 2)
		die_usage();
	addr = argv[0];
	cmd = argv[1];
	args = argv + 2;
	nargs = argc - 2;
	if (udb_check_addr(addr, strlen(addr), &why) < 0)
		diex(EX_T_USAGE, "bad address: ", why);
	umask(077);
	if (!udb_key(addr, strlen(addr), &key))
		die_nomem();

	if (strcmp(cmd, "set") == 0) {
		if (!nargs)
			die_usage();
		for (i = 0; i < nargs; i++) {
			size_t n = strlen(args[i]), nl = field_name_len(args[i], n);
			if (nl == n) {
				if (stdin_used++)
					diex(EX_T_USAGE, "only one field can take its value from stdin");
				read_stdin_value(&v);
				if (!str_copys(&line, args[i]) || !str_append(&line, '=') || !str_cat(&line, &v) || !str_0(&line))
					die_nomem();
				str_wipe(&v);
				args[i] = line.s;	/* kept until exit */
				line = (struct str)STR_INIT;
				n = strlen(args[i]);
			}
			if (memchr(args[i], '|', n))
				diex(EX_T_USAGE, "'|' in a field value");
			if (udb_check_field(args[i], n, &why) < 0)
				diex(EX_T_USAGE, "bad field: ", why);
			if (arg_named(args, i, args[i], nl) >= 0)
				diex(EX_T_USAGE, "field given twice");
		}
	} else if (strcmp(cmd, "unset") == 0) {
		if (!nargs)
			die_usage();
	} else if (strcmp(cmd, "del") == 0) {
		if (nargs)
			die_usage();
	} else
		die_usage();

	found = locate(&key, &file, &data, &start, &len, &l);
	if (!found && strcmp(cmd, "set") != 0)
		diex(EX_T_FAIL, addr, ": no such address");
	if (!found && file.len == 0)
		diex(EX_T_USAGE, src.s, " is a directory: name the file for a new address with -f");

	line.len = 0;
	if (strcmp(cmd, "del") != 0) {
		size_t j = 0;
		char usedbuf[256] = { 0 };

		if (nargs > (int)sizeof usedbuf)
			diex(EX_T_USAGE, "too many fields");
		/* the old fields in their order, replaced or dropped as the arguments say */
		while (found && j < l.rlen) {
			const char *f = l.rec + j;
			const char *bar = memchr(f, '|', l.rlen - j);
			size_t n = bar ? (size_t)(bar - f) : l.rlen - j;
			int a = arg_named(args, nargs, f, field_name_len(f, n));

			j += n + 1;
			if (a >= 0) {
				usedbuf[a] = 1;
				if (cmd[0] == 'u')
					continue;
				f = args[a];
				n = strlen(f);
			}
			if ((rec.len && !str_append(&rec, '|')) || !str_catb(&rec, f, n))
				die_nomem();
		}
		if (cmd[0] == 's')
			for (i = 0; i < nargs; i++)
				if (!usedbuf[i] && ((rec.len && !str_append(&rec, '|')) || !str_cats(&rec, args[i])))
					die_nomem();
		if (rec.len == 0)
			diex(EX_T_USAGE, "no fields would be left: use del");
		if (found ? !str_catb(&line, l.addr, l.alen) : !str_cats(&line, addr))
			die_nomem();
		if (!str_append(&line, '\t') || !str_cat(&line, &rec))
			die_nomem();
	}

	/* splice: everything before the line, the new line, everything after */
	{
		struct str out = STR_INIT;

		if (found) {
			size_t after = start + len < data.len ? start + len + 1 : data.len;
			if (!str_catb(&out, data.s, start))
				die_nomem();
			if (line.len && (!str_cat(&out, &line) || !str_append(&out, '\n')))
				die_nomem();
			if (!str_catb(&out, data.s + after, data.len - after))
				die_nomem();
		} else {
			if (!str_cat(&out, &data) || (out.len && out.s[out.len - 1] != '\n' && !str_append(&out, '\n')) ||
			    !str_cat(&out, &line) || !str_append(&out, '\n'))
				die_nomem();
		}
		rewrite(file.s, &out);
		str_wipe(&out);
	}
	str_wipe(&data);
	str_wipe(&line);
	str_wipe(&rec);
	str_free(&key);
	str_free(&file);
	str_wipe(&v);
	return EX_T_OK;
}
