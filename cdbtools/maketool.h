/*
 * maketool - what makealiases, makehosteddomains, makeacceptmailfor and
 * makesmtpaccess share: the command line (-f SOURCE, -o DIR, -n), reading
 * the whole source (ctlsrc), walking its logical lines file by file,
 * "file:line: reason" errors (exit 100, nothing written), a table of the
 * keys seen, and the atomic cdb write through lib/cdbx (NAME.cdb.tmp,
 * fsync, rename, fsync of the directory).  Nothing is written until the
 * whole source has been checked, so a bad line leaves the old cdb as it
 * was.  Runs as whoever maintains the control files (normally root).
 */
#ifndef KURIER_MAKETOOL_H
#define KURIER_MAKETOOL_H

#include <stddef.h>
#include <stdint.h>
#include "ctlsrc.h"
#include "str.h"

/* one key and its value(s); values of a merged key are chained.  32-bit
 * fields keep a million entries in 28 MB: the source is at most 1 GiB
 * (CTLSRC_MAX) and the arena at most MT_ARENA_MAX.  A key that mt_add
 * was given inside the source text itself (already in lower case) is
 * not copied: MT_KEY_SRC in koff marks it, and mt_key finds either. */
struct mt_entry {
	uint32_t koff, klen;	/* key in the arena, or in the source with MT_KEY_SRC */
	uint32_t voff, vlen;	/* value in the arena */
	uint32_t src;		/* offset of its line in the source text */
	uint32_t next;		/* the next entry with the same key, plus one; 0 none */
	uint32_t last;		/* (first entry only) the last of its chain, plus one; 0 for later ones */
};
/* keys and values held: offsets are 31 bits, the top one is MT_KEY_SRC */
#define MT_ARENA_MAX 0x7fffffffUL
#define MT_KEY_SRC 0x80000000UL

/* a slot of the key table: the key's hash (keyhash.h)
 * beside the index of its entry (plus one; 0 marks an empty slot), so a
 * probe touches one cache line until the hashes match */
struct mt_slot {
	uint32_t hash;
	uint32_t idx;
};

struct mt {
	const char *name;	/* "aliases": source control/aliases, output control/aliases.cdb */
	struct str source;	/* -f */
	struct str outdir;	/* -o */
	int check;		/* -n: check only, write nothing */
	int nonul;		/* CP_NONUL when the source holds no NUL byte, else 0 */
	struct ctlsrc src;
	size_t file;		/* the file being walked */
	size_t pos;		/* position in it */
	struct str join;	/* a logical line made of several physical ones */
	struct str arena;
	struct mt_entry *e;
	size_t ne, ae;
	struct mt_slot *slot;	/* open addressing over the keys */
	size_t nslot;
};

/* mt_start - parse the command line and read the whole source; dies on any error */
void mt_start(struct mt *t, const char *prog, const char *name, int argc, char **argv);
/* mt_line - the next logical line of the source, *line[0..*n) (cont: lines starting with white space continue it); 1 line, 0 end; dies on bad text */
int mt_line(struct mt *t, int cont, const char **line, size_t *n, size_t *off);
/* mt_die - report "file:line: why" for source offset off and exit 100 */
void mt_die(const struct mt *t, size_t off, const char *why) __attribute__((noreturn));
/* mt_die_plain - print why (already "file:line: reason") and exit 100 */
void mt_die_plain(const char *why) __attribute__((noreturn));
/* mt_die_sys - print what with errno's text and exit 111 */
void mt_die_sys(const char *what) __attribute__((noreturn));
/* mt_die_nomem - exit 111 */
void mt_die_nomem(void) __attribute__((noreturn));
/* mt_where - "file:line" of offset off, for messages */
void mt_where(const struct mt *t, size_t off, struct str *out);
/*
 * mt_add - record key -> val from the line at off (a key k inside the
 * source text is referred to, not copied).  merge 0: a second
 * record with the same key dies with "duplicate"; merge 1: it is chained
 * to the first.  Returns the index of the key's first entry; *dup is set
 * when the key was there before.
 */
size_t mt_add(struct mt *t, const char *k, size_t kl, const char *v, size_t vl, size_t off, int merge, int *dup, const char *what);
/* mt_add_hashed - mt_add for a key whose hash h is known (from mt_prefetch) */
size_t mt_add_hashed(struct mt *t, uint32_t h, const char *k, size_t kl, const char *v, size_t vl, size_t off, int merge, int *dup, const char *what);
/* mt_prefetch - start loading the table slot of key k (already lower case): call it before
 * checking the rest of a line, so the cache miss overlaps the work */
uint32_t mt_prefetch(const struct mt *t, const char *k, size_t kl);
/* mt_key - where the key of entry x is */
const char *mt_key(const struct mt *t, const struct mt_entry *x);
/* mt_find - index of the first entry with key k plus one, or 0 */
size_t mt_find(const struct mt *t, const char *k, size_t kl);
/* mt_rewind - walk the source again from its first line */
void mt_rewind(struct mt *t);
/* mt_line_at - the logical line that starts at source offset off (as mt_line gave it), using buf for joined lines */
void mt_line_at(struct mt *t, size_t off, int cont, struct str *buf, const char **line, size_t *n);
/* mt_open - create the temporary cdb (nothing with -n); every later die removes it */
void mt_open(struct mt *t);
/* mt_put - add one record to the temporary cdb (nothing with -n); exits 111 on failure */
void mt_put(struct mt *t, const char *k, size_t kl, const char *v, size_t vl);
/* mt_close - finish, fsync, rename into place, fsync the directory (nothing with -n) */
void mt_close(struct mt *t);
/* mt_free - release everything mt_start and the walk allocated */
void mt_free(struct mt *t);
/* mt_write - write every key, in first-seen order, with its value(s) joined by join (or as the first value when join is 0); exits 111 on failure */
void mt_write(struct mt *t, int (*join)(struct mt *, size_t first, struct str *out));

#endif
