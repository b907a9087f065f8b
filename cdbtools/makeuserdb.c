/*
 * makeuserdb - compile the userdb source into userdb.cdb and userdbshadow.cdb.
 * runs as:  root (or whoever owns the source), by hand after editing
 * usage:    makeuserdb [-f SOURCE] [-o DIR]
 *           SOURCE defaults to conf-home/users/userdb (a file, or a
 *           directory of files read in name order), DIR to conf-home/users.
 * output:   DIR/userdb.cdb (mode 0644): lower-cased address -> every
 *           field except passwords; DIR/userdbshadow.cdb (mode 0600):
 *           address -> password fields only (addresses without any are
 *           left out).  See userdb(5).
 * trusts:   nothing in the source: every line is checked (userdb-parse.c);
 *           a source readable or writable by group or others is refused.
 * method:   both cdbs are written to NAME.tmp, fsynced, and only when both
 *           are complete renamed into place (shadow first), then the
 *           directory is fsynced.  On any error the temporaries are
 *           removed and the old cdbs are untouched.
 * exit:     0 done; 100 bad usage or bad source ("file:line: reason" on
 *           stderr); 111 system failure.
 */
#include <errno.h>
#include <fcntl.h>	/* sync_file_range */
#include <stdint.h>
#include <stdio.h>	/* rename */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "cdbx.h"
#include "exitcode.h"
#include "log.h"
#include "str.h"
#include "userdb-parse.h"
#include "userdb-src.h"

#define MODE_PUBLIC 0644	/* every program may look an account up */
#define MODE_SHADOW 0600	/* only the login helpers, running as root, read passwords */
/* the duplicate-address table starts at this many slots and doubles at half full */
#define SEEN_INITIAL 65536
/* start writeback of the temporaries every this many bytes, so that the
 * final fsyncs find little left to write (sync_file_range(2)) */
#define WRITEBACK_STEP (8UL * 1024 * 1024)

static struct str tmp_pub = STR_INIT, tmp_sh = STR_INIT;

/* cleanup - remove whatever temporaries exist */
static void cleanup(void)
{
	if (tmp_pub.s)
		unlink(tmp_pub.s);
	if (tmp_sh.s)
		unlink(tmp_sh.s);
}

/* die_usage - print usage and exit 100 */
static void die_usage(void)
{
	diex(EX_T_USAGE, "usage: makeuserdb [-f SOURCE] [-o DIR]");
}

/* die_nomem - exit 111 after cleaning up */
static void die_nomem(void)
{
	cleanup();
	diex(EX_T_TEMP, "out of memory");
}

/* die_sys - a system failure on path: clean up, exit 111 */
static void die_sys(const char *what, const char *path)
{
	int e = errno;
	cleanup();
	errno = e;
	die(EX_T_TEMP, what, " ", path);
}

/* die_line - a bad source line: clean up, print file:line: reason, exit 100 */
static void die_line(const char *file, unsigned long line, const char *why)
{
	char num[24];
	size_t i = sizeof num;

	num[--i] = 0;
	do
		num[--i] = (char)('0' + line % 10);
	while ((line /= 10) && i);
	cleanup();
	diex(EX_T_USAGE, file, ":", num + i, ": ", why);
}

/* the addresses seen so far: open addressing over 8-byte slots that hold
 * the key's cdb hash and its offset in one arena (each key stored there
 * after a length byte; offset 0 is never used, so it marks an empty
 * slot).  Small slots keep the table cache-friendly: a million keys fit
 * in 16 MiB. */
struct seen_slot {
	uint32_t hash;
	uint32_t off;
};
#define SEEN_ARENA_MAX 0xffffffffUL	/* offsets are 32 bits */
static struct str arena = STR_INIT;
static struct seen_slot *seen;
static size_t seen_size, seen_count;

/* seen_reserve - make room for n more keys below half load; 1 ok, 0 no memory */
static int seen_reserve(size_t n)
{
	size_t want, nsize = seen_size ? seen_size : SEEN_INITIAL, i, bytes;	/* bytes: overflow check only */
	struct seen_slot *ns;

	if (!size_add(&want, seen_count, n) || !size_mul(&want, want, 2))
		return 0;
	if (want <= seen_size)
		return 1;
	while (nsize < want)
		if (!size_mul(&nsize, nsize, 2))
			return 0;
	if (!size_mul(&bytes, nsize, sizeof *ns))
		return 0;
	if (!(ns = calloc(nsize, sizeof *ns)))
		return 0;
	for (i = 0; i < seen_size; i++) {
		size_t j;
		if (!seen[i].off)
			continue;
		for (j = seen[i].hash & (nsize - 1); ns[j].off; j = (j + 1) & (nsize - 1))
			;
		ns[j] = seen[i];
	}
	free(seen);
	seen = ns;
	seen_size = nsize;
	return 1;
}

/* seen_add - remember key (at most 255 bytes); 1 new, 0 seen before, -1 no memory or too many */
static int seen_add(const char *k, size_t n, uint32_t hash)
{
	size_t j;

	if ((seen_count + 1) * 2 > seen_size && !seen_reserve(seen_count + 1))
		return -1;
	if (!arena.len && !str_append(&arena, 0))	/* offset 0 means empty */
		return -1;
	for (j = hash & (seen_size - 1); seen[j].off; j = (j + 1) & (seen_size - 1))
		if (seen[j].hash == hash && (unsigned char)arena.s[seen[j].off] == n &&
		    memcmp(arena.s + seen[j].off + 1, k, n) == 0)
			return 0;
	if (arena.len + 1 + n > SEEN_ARENA_MAX) {
		errno = E2BIG;
		return -1;
	}
	seen[j].hash = hash;
	seen[j].off = (uint32_t)arena.len;
	if (!str_append(&arena, (char)n) || !str_catb(&arena, k, n))
		return -1;
	seen_count++;
	return 1;
}

/* count_lines - newlines in p[0..n), plus one for an unterminated tail */
static size_t count_lines(const char *p, size_t n)
{
	size_t c = 0;
	const char *e = p + n, *nl;

	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p)))) {
		c++;
		p = nl + 1;
	}
	return c + (p < e);
}

/* start_tmp - create path.tmp with mode for a cdb; returns the descriptor */
static int start_tmp(struct str *tmp, const char *dir, const char *name, mode_t mode, struct cdb_make *cm)
{
	int fd;

	if (!str_copys(tmp, dir) || !str_append(tmp, '/') || !str_cats(tmp, name) || !str_cats(tmp, ".tmp"))
		die_nomem();
	unlink(tmp->s);	/* a leftover from a crashed run */
	fd = open(tmp->s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1) {
		str_free(tmp);
		die_sys("cannot create", dir);
	}
	if (fchmod(fd, mode) == -1)
		die_sys("cannot chmod", tmp->s);
	if (cdb_make_start(cm, fd) != 0)
		die_nomem();
	return fd;
}

/* finish_tmp - fsync and close a finished temporary cdb */
static void finish_tmp(int fd, const char *tmp)
{
	if (fsync(fd) != 0)
		die_sys("cannot fsync", tmp);
	if (close(fd) != 0)
		die_sys("cannot write", tmp);
}

int main(int argc, char **argv)
{
	struct str src = STR_INIT, dir = STR_INIT, final = STR_INIT, key = STR_INIT;
	struct str pub = STR_INIT, sh = STR_INIT, bad = STR_INIT;
	struct cdb_make cpub, csh;
	struct udb_src files;
	const char *why = 0;
	int fdpub, fdsh, opt, r;
	size_t f, pending = 0;

	log_prog("makeuserdb");
	if (!str_copys(&src, auto_home) || !str_cats(&src, "/users/userdb") ||
	    !str_copys(&dir, auto_home) || !str_cats(&dir, "/users"))
		die_nomem();
	while ((opt = getopt(argc, argv, "f:o:")) != -1) {
		switch (opt) {
		case 'f': if (!str_copys(&src, optarg)) die_nomem(); break;
		case 'o': if (!str_copys(&dir, optarg)) die_nomem(); break;
		default: die_usage();
		}
	}
	if (optind != argc)
		die_usage();
	umask(077);

	r = udb_src_list(src.s, &files, &bad, &why);
	if (r < 0)
		die(EX_T_TEMP, "cannot read ", bad.s);
	if (r == 0)
		diex(EX_T_USAGE, bad.s, ": ", why);

	fdpub = start_tmp(&tmp_pub, dir.s, "userdb.cdb", MODE_PUBLIC, &cpub);
	fdsh = start_tmp(&tmp_sh, dir.s, "userdbshadow.cdb", MODE_SHADOW, &csh);

	for (f = 0; f < files.n; f++) {
		const char *file = files.files[f];
		const char *data;
		size_t i = 0, dlen;
		unsigned long lineno = 0;

		r = udb_src_map(file, &data, &dlen, &why);
		if (r < 0)
			die_sys("cannot read", file);
		if (r == 0) {
			cleanup();
			diex(EX_T_USAGE, file, ": ", why);
		}
		/* size the table and the key arena once: no rehash, no copying */
		if (!seen_reserve(count_lines(data, dlen)) || !str_readyplus(&arena, dlen + 1))
			die_nomem();
		while (i < dlen) {
			const char *s = data + i;
			const char *nl = memchr(s, '\n', dlen - i);
			size_t n = nl ? (size_t)(nl - s) : dlen - i;
			struct udb_line l;
			unsigned h;

			i += n + 1;
			lineno++;
			r = udb_parse_line(s, n, &l, &why);
			if (r < 0)
				die_line(file, lineno, why);
			if (r == 0)
				continue;
			/* hash first and start loading the key's table slot, so the
			 * cache miss overlaps the checks of the record */
			if (!udb_key(l.addr, l.alen, &key))
				die_nomem();
			h = cdb_hash(key.s, (unsigned)key.len);
			__builtin_prefetch(&seen[h & (seen_size - 1)]);
			r = udb_record(l.rec, l.rlen, &pub, &sh, &why);
			if (r < 0)
				die_nomem();
			if (r == 0)
				die_line(file, lineno, why);
			r = seen_add(key.s, key.len, h);
			if (r < 0 && errno == E2BIG) {
				cleanup();
				diex(EX_T_USAGE, "more than 4 GiB of addresses");
			}
			if (r < 0)
				die_nomem();
			if (r == 0)
				die_line(file, lineno, "duplicate address");
			if (cdb_make_add(&cpub, key.s, (unsigned)key.len, pub.s, (unsigned)pub.len) != 0)
				die_sys("cannot write", tmp_pub.s);
			if (sh.len && cdb_make_add(&csh, key.s, (unsigned)key.len, sh.s, (unsigned)sh.len) != 0)
				die_sys("cannot write", tmp_sh.s);
			pending += n;
			if (pending >= WRITEBACK_STEP) {
				/* only a hint: a failure here shows up again at fsync */
				(void)sync_file_range(fdpub, 0, 0, SYNC_FILE_RANGE_WRITE);
				(void)sync_file_range(fdsh, 0, 0, SYNC_FILE_RANGE_WRITE);
				pending = 0;
			}
		}
		udb_src_unmap(data, dlen);
	}
	str_wipe(&sh);

	/* write both tables and start their writeback before waiting on either */
	if (cdb_make_finish(&cpub) != 0)
		die_sys("cannot write", tmp_pub.s);
	(void)sync_file_range(fdpub, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (cdb_make_finish(&csh) != 0)
		die_sys("cannot write", tmp_sh.s);
	(void)sync_file_range(fdsh, 0, 0, SYNC_FILE_RANGE_WRITE);
	finish_tmp(fdpub, tmp_pub.s);
	finish_tmp(fdsh, tmp_sh.s);
	/* both are complete: publish, shadow first so no public entry lacks its password */
	if (!str_copys(&final, dir.s) || !str_cats(&final, "/userdbshadow.cdb"))
		die_nomem();
	if (rename(tmp_sh.s, final.s) != 0)
		die_sys("cannot rename to", final.s);
	str_free(&tmp_sh);
	if (!str_copys(&final, dir.s) || !str_cats(&final, "/userdb.cdb"))
		die_nomem();
	if (rename(tmp_pub.s, final.s) != 0)
		die_sys("cannot rename to", final.s);
	str_free(&tmp_pub);
	if (fsync_dir(final.s) < 0)
		die(EX_T_TEMP, "cannot fsync ", dir.s);
	/* everything is released, so that a leak checker sees none */
	str_free(&src);
	str_free(&dir);
	str_free(&final);
	str_free(&key);
	str_free(&pub);
	str_free(&bad);
	str_free(&arena);
	free(seen);
	seen = 0;
	seen_size = seen_count = 0;
	udb_src_free(&files);
	return EX_T_OK;
}
