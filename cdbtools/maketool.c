/*
 * maketool.c - the shared part of the make* control compilers; see maketool.h.
 * exit:     0 done; 100 bad usage or bad source (file:line: reason);
 *           111 system failure (the old cdb is left as it was).
 */
#include <cdb.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "cdbx.h"
#include "exitcode.h"
#include "log.h"
#include "ctlparse.h"
#include "maketool.h"

/* the key table starts with this many slots and doubles at half full */
#define MT_SLOTS_INITIAL 1024
/* entries are indexed by 32-bit numbers in the table */
#define MT_ENTRIES_MAX 0xfffffffeUL
/* mode of every cdb written: the daemons running as kurierd read them */
#define MT_MODE 0644

static const char *progname;

void mt_die_nomem(void)
{
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
	/* keys and values are copies of source bytes: one allocation holds them */
	if (!str_ready(&t->arena, t->src.text.len + 4096))
		mt_die_nomem();
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
	diex(EX_T_USAGE, w.s, ": ", why);
}

int mt_line(struct mt *t, int cont, struct str *line, size_t *off)
{
	while (t->file < t->src.n) {
		size_t b = t->src.files[t->file].start;
		size_t e = t->file + 1 < t->src.n ? t->src.files[t->file + 1].start : t->src.text.len;
		size_t start = 0;
		const char *why = 0;
		int r = cp_split(t->src.text.s + b, e - b, &t->pos, cont, line, &start, &why);

		if (r < 0)
			mt_die(t, b + start, why);
		if (r > 0) {
			*off = b + start;
			return 1;
		}
		t->file++;
		t->pos = 0;
	}
	return 0;
}

/* grow - double the key table; dies when memory runs out */
static void grow(struct mt *t)
{
	size_t n = t->nslot ? t->nslot * 2 : MT_SLOTS_INITIAL, i;
	uint32_t *ns, *nh;

	if (n > ((size_t)1 << 33))
		mt_die_nomem();
	ns = calloc(n, sizeof *ns);
	nh = calloc(n, sizeof *nh);
	if (!ns || !nh)
		mt_die_nomem();
	for (i = 0; i < t->nslot; i++) {
		size_t j;
		if (!t->slot[i])
			continue;
		for (j = t->shash[i] & (n - 1); ns[j]; j = (j + 1) & (n - 1))
			;
		ns[j] = t->slot[i];
		nh[j] = t->shash[i];
	}
	free(t->slot);
	free(t->shash);
	t->slot = ns;
	t->shash = nh;
	t->nslot = n;
}

/* lookup - the slot holding key k (hash h), or the empty slot where it would go */
static size_t lookup(const struct mt *t, const char *k, size_t kl, uint32_t h)
{
	size_t j;

	for (j = h & (t->nslot - 1); t->slot[j]; j = (j + 1) & (t->nslot - 1)) {
		const struct mt_entry *x = &t->e[t->slot[j] - 1];
		if (t->shash[j] == h && x->klen == kl && memcmp(t->arena.s + x->koff, k, kl) == 0)
			break;
	}
	return j;
}

size_t mt_find(const struct mt *t, const char *k, size_t kl)
{
	size_t j;

	if (!t->nslot)
		return 0;
	j = lookup(t, k, kl, cdb_hash(k, (unsigned)kl));
	return t->slot[j];
}

size_t mt_add(struct mt *t, const char *k, size_t kl, const char *v, size_t vl, size_t off, int merge, int *dup, const char *what)
{
	struct mt_entry *x;
	uint32_t h;
	size_t j, first;

	if (kl > 0xffffffffu || vl > 0xffffffffu)
		mt_die(t, off, "record larger than a cdb can hold");
	if ((t->ne + 1) * 2 > t->nslot)
		grow(t);
	h = cdb_hash(k, (unsigned)kl);
	j = lookup(t, k, kl, h);
	*dup = t->slot[j] != 0;
	if (*dup && !merge) {
		struct str w = STR_INIT, why = STR_INIT;
		mt_where(t, t->e[t->slot[j] - 1].src, &w);
		if (!str_copys(&why, "duplicate ") || !str_cats(&why, what) ||
		    !str_cats(&why, " (first at ") || !str_cat(&why, &w) || !str_cats(&why, ")"))
			mt_die_nomem();
		mt_die(t, off, why.s);
	}
	if (t->ne == t->ae) {
		size_t na = t->ae ? t->ae * 2 : 1024;
		struct mt_entry *ne;
		if (na > MT_ENTRIES_MAX)
			mt_die(t, off, "more than 4294967294 records");
		if (!(ne = realloc(t->e, na * sizeof *ne)))
			mt_die_nomem();
		t->e = ne;
		t->ae = na;
	}
	x = &t->e[t->ne];
	x->koff = t->arena.len;
	x->klen = kl;
	if (!str_catb(&t->arena, k, kl))
		mt_die_nomem();
	x->voff = t->arena.len;
	x->vlen = vl;
	if (!str_catb(&t->arena, v, vl))
		mt_die_nomem();
	x->src = off;
	x->next = 0;
	x->last = t->ne + 1;
	t->ne++;
	if (*dup) {
		x->last = 0;	/* not a first entry: mt_write skips it */
		first = t->slot[j] - 1;
		t->e[t->e[first].last - 1].next = t->ne;
		t->e[first].last = t->ne;
		return first;
	}
	t->slot[j] = (uint32_t)t->ne;
	t->shash[j] = h;
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
		if (cdbx_make_add(&m, t->arena.s + x->koff, x->klen, d, dl) < 0) {
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
