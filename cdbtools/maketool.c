/*
 * maketool.c - the shared part of the make* control compilers; see maketool.h.
 * exit:     0 done; 100 bad usage or bad source (file:line: reason);
 *           111 system failure (the old cdb is left as it was).
 */
#include <cdb.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "cdbx.h"
#include "exitcode.h"
#include "log.h"
#include "ctlparse.h"
#include "keyhash.h"
#include "maketool.h"

/* the key table starts with this many slots (or enough for every line of
 * the source) and doubles at half full */
#define MT_SLOTS_INITIAL 1024
/* entries are indexed by 32-bit numbers in the table */
#define MT_ENTRIES_MAX 0xfffffffeUL
/* the huge page size on x86-64 and arm64 with 4 KiB pages */
#define MT_HUGE (2UL * 1024 * 1024)
/* mode of every cdb written: the daemons running as kurierd read them */
#define MT_MODE 0644

static const char *progname;
/* the temporary cdb being written, removed by every die after mt_open */
static struct cdbx_make tmpcdb;
static int out_open;
static struct str out_path = STR_INIT;

static void reserve(struct mt *t, size_t n);
static void huge(void *p, size_t n);
static size_t home(uint32_t h, size_t nslot);

/* drop_tmp - remove the temporary cdb, if one is being written */
static void drop_tmp(void)
{
	if (out_open) {
		out_open = 0;
		cdbx_make_abort(&tmpcdb);
	}
}

void mt_die_plain(const char *why)
{
	drop_tmp();
	diex(EX_T_USAGE, why);
}

void mt_die_sys(const char *what)
{
	int e = errno;
	drop_tmp();
	errno = e;
	die(EX_T_TEMP, what);
}

void mt_die_nomem(void)
{
	drop_tmp();
	diex(EX_T_TEMP, "out of memory");
}

/* usage - print the command line and exit 100 */
static void usage(void)
{
	diex(EX_T_USAGE, "usage: ", progname, " [-n] [-f SOURCE] [-o DIR]");
}

void mt_start(struct mt *t, const char *prog, const char *name, int argc, char **argv)
{
	struct str bad = STR_INIT;
	const char *why = 0;
	int opt, r;

	progname = prog;
	log_prog(prog);
	memset(t, 0, sizeof *t);
	t->name = name;
	if (!str_copys(&t->source, auto_home) || !str_cats(&t->source, "/control/") ||
	    !str_cats(&t->source, name) || !str_copys(&t->outdir, auto_home) ||
	    !str_cats(&t->outdir, "/control"))
		mt_die_nomem();
	while ((opt = getopt(argc, argv, "nf:o:")) != -1) {
		switch (opt) {
		case 'n': t->check = 1; break;
		case 'f': if (!str_copys(&t->source, optarg)) mt_die_nomem(); break;
		case 'o': if (!str_copys(&t->outdir, optarg)) mt_die_nomem(); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	r = ctlsrc_read(t->source.s, &t->src, &bad, &why);
	if (r == 0)
		diex(EX_T_USAGE, t->source.s, ": no such file or directory");
	if (r < 0 && why)
		diex(EX_T_USAGE, bad.s, ": ", why);
	if (r < 0)
		die(EX_T_TEMP, "cannot read ", bad.s);
	str_free(&bad);
	/* one vectorized scan for NUL bytes spares one per line */
	t->nonul = t->src.len && memchr(t->src.data, 0, t->src.len) ? 0 : CP_NONUL;
	/* keys and values are copies of source bytes: one allocation holds
	 * them; and a line is at most one key, so the table is sized once */
	if (!str_ready(&t->arena, t->src.len + t->src.len / 8 + 4096))
		mt_die_nomem();
	huge(t->arena.s, t->arena.a);
	{
		size_t lines = 0;
		const char *p = t->src.data, *e = p + t->src.len;
		while (p && p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
			lines++;
			p++;
		}
		reserve(t, lines + 1);
	}
}

void mt_where(const struct mt *t, size_t off, struct str *out)
{
	const char *file;
	unsigned long line;

	ctlsrc_where(&t->src, off, &file, &line);
	if (!str_copys(out, file) || !str_append(out, ':') || !str_catu(out, line))
		mt_die_nomem();
}

void mt_die(const struct mt *t, size_t off, const char *why)
{
	struct str w = STR_INIT;

	mt_where(t, off, &w);
	drop_tmp();
	diex(EX_T_USAGE, w.s, ": ", why);
}

void mt_rewind(struct mt *t)
{
	t->file = 0;
	t->pos = 0;
}

void mt_line_at(struct mt *t, size_t off, int cont, struct str *buf, const char **line, size_t *n)
{
	size_t lo = 0, hi = t->src.n, b, e, pos, start = 0;
	const char *why = 0;

	while (hi - lo > 1) {	/* the file that holds off */
		size_t mid = lo + (hi - lo) / 2;
		if (t->src.files[mid].start <= off)
			lo = mid;
		else
			hi = mid;
	}
	b = t->src.files[lo].start;
	e = lo + 1 < t->src.n ? t->src.files[lo + 1].start : t->src.len;
	pos = off - b;
	if (cp_split(t->src.data + b, e - b, &pos, cont | t->nonul, buf, line, n, &start, &why) <= 0)
		mt_die(t, off, why ? why : "source changed while it was read");
}

void mt_open(struct mt *t)
{
	if (t->check)
		return;
	if (!str_copy(&out_path, &t->outdir) || !str_append(&out_path, '/') ||
	    !str_cats(&out_path, t->name) || !str_cats(&out_path, ".cdb"))
		mt_die_nomem();
	umask(022);
	if (cdbx_make_start(&tmpcdb, out_path.s, MT_MODE) < 0)
		die(EX_T_TEMP, "cannot create ", out_path.s, ".tmp");
	out_open = 1;
}

void mt_put(struct mt *t, const char *k, size_t kl, const char *v, size_t vl)
{
	if (!out_open)
		return;
	if (cdbx_make_add(&tmpcdb, k, kl, v, vl) < 0) {
		int e = errno;
		drop_tmp();
		errno = e;
		die(EX_T_TEMP, "cannot write ", out_path.s, ".tmp");
	}
}

void mt_close(struct mt *t)
{
	if (!out_open)
		return;
	out_open = 0;	/* cdbx_make_finish removes the temporary itself on failure */
	if (cdbx_make_finish(&tmpcdb) < 0)
		die(EX_T_TEMP, "cannot write ", out_path.s);
}

void mt_free(struct mt *t)
{
	str_free(&t->source);
	str_free(&t->outdir);
	ctlsrc_free(&t->src);
	str_free(&t->join);
	str_free(&t->arena);
	free(t->e);
	t->e = 0;
	t->ne = t->ae = 0;
	free(t->slot);
	t->slot = 0;
	t->nslot = 0;
	str_free(&out_path);
}

int mt_line(struct mt *t, int cont, const char **line, size_t *n, size_t *off)
{
	while (t->file < t->src.n) {
		size_t b = t->src.files[t->file].start;
		size_t e = t->file + 1 < t->src.n ? t->src.files[t->file + 1].start : t->src.len;
		size_t start = 0;
		const char *why = 0;
		int r = cp_split(t->src.data + b, e - b, &t->pos, cont | t->nonul, &t->join, line, n, &start, &why);

		if (r < 0)
			mt_die(t, b + start, why);	/* removes the temporary, if any */
		if (r > 0) {
			*off = b + start;
			return 1;
		}
		t->file++;
		t->pos = 0;
	}
	return 0;
}

/* reserve - make the key table and the entries ready for n more keys
 * below half load, so that no rehash happens while parsing; dies when
 * memory runs out */
static void reserve(struct mt *t, size_t n)
{
	size_t want, ns = t->nslot ? t->nslot : MT_SLOTS_INITIAL, i;
	struct mt_slot *nt;

	if (!size_add(&want, t->ne, n) || want > MT_ENTRIES_MAX)
		mt_die_nomem();
	if (want > t->ae) {
		struct mt_entry *ne = realloc(t->e, want * sizeof *ne);
		if (!ne)
			mt_die_nomem();
		t->e = ne;
		t->ae = want;
		huge(ne, want * sizeof *ne);
	}
	if (want * 2 <= t->nslot)
		return;
	while (ns < want * 2)
		ns *= 2;
	if (!(nt = calloc(ns, sizeof *nt)))
		mt_die_nomem();
	huge(nt, ns * sizeof *nt);
	for (i = 0; i < t->nslot; i++) {
		size_t j;
		if (!t->slot[i].idx)
			continue;
		for (j = home(t->slot[i].hash, ns); nt[j].idx; j = (j + 1) & (ns - 1))
			;
		nt[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = nt;
	t->nslot = ns;
}

/* huge - ask for transparent huge pages over the 2 MiB-aligned middle of
 * p[0..n): the tables of a million keys take a few hundred MiB, and
 * faulting them in 4 KiB at a time costs more than filling them */
static void huge(void *p, size_t n)
{
	uintptr_t b = ((uintptr_t)p + MT_HUGE - 1) & ~(uintptr_t)(MT_HUGE - 1);
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)(MT_HUGE - 1);

	if (p && e > b)
		(void)madvise((void *)b, e - b, MADV_HUGEPAGE);	/* only a hint */
}

/* home - the first slot to probe for hash h, spread by a Fibonacci
 * multiplication before masking, so that hashes alike in their low bits
 * do not cluster under linear probing */
static size_t home(uint32_t h, size_t nslot)
{
	return (size_t)(((uint64_t)h * 0x9E3779B97F4A7C15ULL) >> 29) & (nslot - 1);
}

/* lookup - the slot holding key k (hash h), or the empty slot where it would go */
static size_t lookup(const struct mt *t, const char *k, size_t kl, uint32_t h)
{
	size_t j;

	for (j = home(h, t->nslot); t->slot[j].idx; j = (j + 1) & (t->nslot - 1)) {
		const struct mt_entry *x;
		if (t->slot[j].hash != h)
			continue;
		x = &t->e[t->slot[j].idx - 1];
		if (x->klen == kl && memcmp(mt_key(t, x), k, kl) == 0)
			break;
	}
	return j;
}

uint32_t mt_prefetch(const struct mt *t, const char *k, size_t kl)
{
	uint32_t h = key_hash(k, kl);

	if (t->nslot)
		__builtin_prefetch(&t->slot[home(h, t->nslot)]);
	return h;
}

const char *mt_key(const struct mt *t, const struct mt_entry *x)
{
	if (x->koff & MT_KEY_SRC)
		return t->src.data + (x->koff & ~(uint32_t)MT_KEY_SRC);
	return t->arena.s + x->koff;
}

size_t mt_find(const struct mt *t, const char *k, size_t kl)
{
	size_t j;

	if (!t->nslot)
		return 0;
	j = lookup(t, k, kl, key_hash(k, kl));
	return t->slot[j].idx;
}

size_t mt_add(struct mt *t, const char *k, size_t kl, const char *v, size_t vl, size_t off, int merge, int *dup, const char *what)
{
	return mt_add_hashed(t, key_hash(k, kl), k, kl, v, vl, off, merge, dup, what);
}

size_t mt_add_hashed(struct mt *t, uint32_t h, const char *k, size_t kl, const char *v, size_t vl, size_t off, int merge, int *dup, const char *what)
{
	struct mt_entry *x;
	size_t j, first;

	if (kl > MT_ARENA_MAX - t->arena.len || vl > MT_ARENA_MAX - t->arena.len - kl)
		mt_die(t, off, "more than 2 GiB of keys and values");
	if (t->ne == t->ae || (t->ne + 1) * 2 > t->nslot)
		reserve(t, t->ae ? t->ae : 1024);
	j = lookup(t, k, kl, h);
	*dup = t->slot[j].idx != 0;
	if (*dup && !merge) {
		struct str w = STR_INIT, why = STR_INIT;
		mt_where(t, t->e[t->slot[j].idx - 1].src, &w);
		if (!str_copys(&why, "duplicate ") || !str_cats(&why, what) ||
		    !str_cats(&why, " (first at ") || !str_cat(&why, &w) || !str_cats(&why, ")"))
			mt_die_nomem();
		mt_die(t, off, why.s);
	}
	x = &t->e[t->ne];
	x->klen = (uint32_t)kl;
	if ((uintptr_t)k >= (uintptr_t)t->src.data && (uintptr_t)k - (uintptr_t)t->src.data <= t->src.len &&
	    kl <= t->src.len - ((uintptr_t)k - (uintptr_t)t->src.data)) {
		/* in the source: at most CTLSRC_MAX, below MT_KEY_SRC */
		x->koff = (uint32_t)((uintptr_t)k - (uintptr_t)t->src.data) | (uint32_t)MT_KEY_SRC;
	} else {
		x->koff = (uint32_t)t->arena.len;
		if (!str_catb(&t->arena, k, kl))
			mt_die_nomem();
	}
	x->voff = (uint32_t)t->arena.len;
	x->vlen = (uint32_t)vl;
	if (!str_catb(&t->arena, v, vl))
		mt_die_nomem();
	x->src = (uint32_t)off;
	x->next = 0;
	x->last = (uint32_t)(t->ne + 1);
	t->ne++;
	if (*dup) {
		x->last = 0;	/* not a first entry: mt_write skips it */
		first = t->slot[j].idx - 1;
		t->e[t->e[first].last - 1].next = (uint32_t)t->ne;
		t->e[first].last = (uint32_t)t->ne;
		return first;
	}
	t->slot[j].idx = (uint32_t)t->ne;
	t->slot[j].hash = h;
	return t->ne - 1;
}

void mt_write(struct mt *t, int (*join)(struct mt *, size_t first, struct str *out))
{
	struct cdbx_make m;
	struct str path = STR_INIT, v = STR_INIT;
	size_t i;

	if (t->check)
		return;
	if (!str_copy(&path, &t->outdir) || !str_append(&path, '/') || !str_cats(&path, t->name) ||
	    !str_cats(&path, ".cdb"))
		mt_die_nomem();
	umask(022);
	if (cdbx_make_start(&m, path.s, MT_MODE) < 0)
		die(EX_T_TEMP, "cannot create ", path.s, ".tmp");
	for (i = 0; i < t->ne; i++) {
		const struct mt_entry *x = &t->e[i];
		const char *d = t->arena.s + x->voff;
		size_t dl = x->vlen;

		if (x->last == 0)
			continue;
		if (join && x->next) {
			v.len = 0;
			if (!join(t, i, &v)) {
				cdbx_make_abort(&m);
				mt_die_nomem();
			}
			d = v.s;
			dl = v.len;
		}
		if (cdbx_make_add(&m, mt_key(t, x), x->klen, d, dl) < 0) {
			int e = errno;
			cdbx_make_abort(&m);
			errno = e;
			die(EX_T_TEMP, "cannot write ", path.s, ".tmp");
		}
	}
	if (cdbx_make_finish(&m) < 0)
		die(EX_T_TEMP, "cannot write ", path.s);
	str_free(&path);
	str_free(&v);
}
