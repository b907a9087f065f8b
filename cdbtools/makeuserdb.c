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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "cdbx.h"
#include "exitcode.h"
#include "keyhash.h"
#include "log.h"
#include "str.h"
#include "userdb-parse.h"
#include "userdb-src.h"

#define MODE_PUBLIC 0644	/* every program may look an account up */
#define MODE_SHADOW 0600	/* only the login helpers, running as root, read passwords */
/* the duplicate-address table starts at this many slots and doubles at half full */
#define SEEN_INITIAL 65536
/* the huge page size on x86-64 and arm64 with 4 KiB pages */
#define HUGE_PAGE (2UL * 1024 * 1024)
/* the source is read this many bytes ahead of the line being checked: the
 * table lookups and the cdb writes between two lines push it out of the
 * caches, and the processor's own prefetching then loses the stream */
#define READ_AHEAD 2048
#define CACHE_LINE 64
/* the two cdbs being written (lib/cdbx: NAME.tmp, fsync, rename) */
static struct cdbx_make mpub, msh;
static int open_pub, open_sh;

/* cleanup - remove whatever temporaries exist */
static void cleanup(void)
{
	if (open_pub)
		cdbx_make_abort(&mpub);
	if (open_sh)
		cdbx_make_abort(&msh);
	open_pub = open_sh = 0;
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
	struct str p = STR_INIT;	/* path may be a temporary's name, which cleanup frees */
	int e = errno;

	if (!str_copys(&p, path))
		p.s = (char *)"(out of memory)";
	cleanup();
	errno = e;
	die(EX_T_TEMP, what, " ", p.s);
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
 * the key's hash (keyhash.h) and its offset in one arena (each key
 * stored there after a length byte; offset 0 is never used, so it marks
 * an empty slot).  Small slots keep the table cache-friendly: a million keys fit
 * in 16 MiB. */
struct seen_slot {
	uint32_t hash;
	uint32_t off;
};
#define SEEN_ARENA_MAX 0xffffffffUL	/* offsets are 32 bits */
static struct str arena = STR_INIT;
static struct seen_slot *seen;
static size_t seen_size, seen_count;

/* huge - ask for transparent huge pages over the 2 MiB-aligned middle of
 * p[0..n): a million addresses take tens of MiB of table and arena, and
 * faulting them in 4 KiB at a time costs more than filling them */
static void huge(void *p, size_t n)
{
	uintptr_t b = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)(HUGE_PAGE - 1);

	if (p && e > b)
		(void)madvise((void *)b, e - b, MADV_HUGEPAGE);	/* only a hint */
}

/* seen_reserve - make room for n more keys below half load; 1 ok, 0 no memory */
static int seen_reserve(size_t n)
{
	size_t want, nsize = seen_size ? seen_size : SEEN_INITIAL, i, bytes;
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
	huge(ns, bytes);
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

/* start_tmp - create DIR/NAME.tmp with mode for a cdb; dies on failure */
static void start_tmp(struct cdbx_make *m, int *open, const char *dir, const char *name, mode_t mode)
{
	struct str path = STR_INIT;

	if (!str_copys(&path, dir) || !str_append(&path, '/') || !str_cats(&path, name))
		die_nomem();
	if (cdbx_make_start(m, path.s, mode) < 0)
		die_sys("cannot create", path.s);
	*open = 1;
	str_free(&path);
}

/* put - add one record to the cdb being written; dies on failure */
static void put(struct cdbx_make *m, const char *k, size_t kl, const char *d, size_t dl)
{
	if (cdbx_make_add(m, k, kl, d, dl) < 0)
		die_sys("cannot write", m->tmp.s);
}

int main(int argc, char **argv)
{
	struct str src = STR_INIT, dir = STR_INIT, key = STR_INIT;
	struct str pub = STR_INIT, sh = STR_INIT, bad = STR_INIT;
	struct udb_src files;
	const char *why = 0;
	int opt, r;
	size_t f;

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

	start_tmp(&mpub, &open_pub, dir.s, "userdb.cdb", MODE_PUBLIC);
	start_tmp(&msh, &open_sh, dir.s, "userdbshadow.cdb", MODE_SHADOW);

	for (f = 0; f < files.n; f++) {
		const char *file = files.files[f];
		const char *data;
		size_t i = 0, dlen, ahead = 0;
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
		huge(arena.s, arena.a);
		while (i < dlen) {
			const char *s = data + i;
			const char *nl;
			size_t n;
			struct udb_line l;
			uint32_t h;

			for (; ahead < i + READ_AHEAD && ahead < dlen; ahead += CACHE_LINE)
				__builtin_prefetch(data + ahead);
			nl = memchr(s, '\n', dlen - i);
			n = nl ? (size_t)(nl - s) : dlen - i;

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
			h = key_hash(key.s, key.len);
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
			put(&mpub, key.s, key.len, pub.s, pub.len);
			if (sh.len)
				put(&msh, key.s, key.len, sh.s, sh.len);
		}
		udb_src_unmap(data, dlen);
	}
	str_wipe(&sh);

	/* write both tables and start their writeback before waiting on either */
	if (cdbx_make_end(&mpub) < 0)
		die_sys("cannot write", mpub.tmp.s);
	if (cdbx_make_end(&msh) < 0)
		die_sys("cannot write", msh.tmp.s);
	if (cdbx_make_sync(&mpub) < 0)
		die_sys("cannot fsync", mpub.tmp.s);
	if (cdbx_make_sync(&msh) < 0)
		die_sys("cannot fsync", msh.tmp.s);
	/* both are complete: publish, shadow first so no public entry lacks its password */
	if (cdbx_make_rename(&msh) < 0)
		die_sys("cannot rename to", msh.final.s);
	if (cdbx_make_rename(&mpub) < 0)
		die_sys("cannot rename to", mpub.final.s);
	if (fsync_dir(mpub.final.s) < 0)
		die(EX_T_TEMP, "cannot fsync ", dir.s);
	str_free(&mpub.final);
	str_free(&msh.final);
	open_pub = open_sh = 0;
	/* everything is released, so that a leak checker sees none */
	str_free(&src);
	str_free(&dir);
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
