/*
 * makealiases - compile control/aliases into aliases.cdb.
 * runs as:  root (whoever maintains control/), by hand after editing
 * usage:    makealiases [-n] [-f SOURCE] [-o DIR]
 * input:    "alias: target, target..." lines (aliases(5)), continued on
 *           lines that start with white space; SOURCE is a file or a
 *           directory of files (default conf-home/control/aliases).
 *           ":include:/file" targets are read and expanded here, nested
 *           at most CP_INCLUDE_DEPTH deep.
 * output:   DIR/aliases.cdb: key the lower-case alias (a full address, a
 *           bare local name, or "@domain"), value its targets, each
 *           followed by a NUL.  An alias defined more than once gets the
 *           targets of every definition, in source order, each target
 *           once; an "@domain" alias may be defined only once.
 * method:   two passes over the source.  The first checks every alias
 *           and finds the ones defined more than once; the second checks
 *           the targets and writes each record into DIR/aliases.cdb.tmp,
 *           the definitions of a repeated alias merged at its first one.
 *           Only when every line is valid is the temporary fsynced and
 *           renamed over aliases.cdb (and the directory fsynced); on any
 *           error it is removed, so the old cdb is never touched.  Holding
 *           only the keys keeps a million aliases in about 100 MB.
 * trusts:   nothing in the source or in included files.
 * exit:     0 done; 100 bad usage or source ("file:line: reason", old cdb
 *           untouched); 111 system failure.
 */
#include <cdb.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ctlparse.h"
#include "ctlsrc.h"
#include "exitcode.h"
#include "log.h"
#include "maketool.h"

/* an :include: file is a list of addresses: 64 MiB is a very long list */
/* pass 1 looks this many keys ahead: each key's table slot is prefetched
 * that many lines before it is inserted, hiding the cache miss */
#define AHEAD 8
#define INCLUDE_FILE_MAX (64UL * 1024 * 1024)

static struct mt t;
static struct cp_alias_err err;

/* read_include - the cp_include_fn of this tool: read the file whole */
static int read_include(void *arg, const char *path, struct str *out)
{
	(void)arg;
	return ctlsrc_readfile(path, out, INCLUDE_FILE_MAX);
}

/* parse - check the targets of the line at off (its key checked in pass 1) and append them to val; dies on bad input */
static void parse(const char *line, size_t n, size_t off, struct str *val)
{
	struct str w = STR_INIT;
	char num[24];
	size_t k = sizeof num;
	unsigned long l;

	if (cp_alias(line, n, 0, val, read_include, 0, &err))
		return;
	l = err.line;
	if (!err.file.len)
		mt_die(&t, off, err.why);
	num[--k] = 0;
	do
		num[--k] = (char)('0' + l % 10);
	while ((l /= 10) && k);
	mt_where(&t, off, &w);
	if (err.sys) {
		int e = errno;
		if (!str_cats(&w, ": ") || !str_cat(&w, &err.file) || !str_cats(&w, ": ") || !str_cats(&w, err.why))
			mt_die_nomem();
		errno = e;
		mt_die_sys(w.s);
	}
	if (err.line) {
		struct str why = STR_INIT;
		if (!str_copy(&why, &err.file) || !str_append(&why, ':') || !str_cats(&why, num + k) ||
		    !str_cats(&why, ": ") || !str_cats(&why, err.why) || !str_cats(&why, " (included from ") ||
		    !str_cat(&why, &w) || !str_cats(&why, ")"))
			mt_die_nomem();
		mt_die_plain(why.s);
	}
	if (!str_cats(&w, ": ") || !str_cats(&w, err.why) || !str_cats(&w, ": ") || !str_cat(&w, &err.file))
		mt_die_nomem();
	mt_die_plain(w.s);
}

/* the keys read but not yet inserted: k is key.s, or the same bytes in
 * the source when the alias is written there in lower case already */
static struct { struct str key; const char *k; uint32_t h; size_t off; } ring[AHEAD];

/* insert - put key number k of the ring into the table; dies on an @domain alias defined twice */
static void insert(size_t k)
{
	size_t i;
	int dup;

	i = mt_add_hashed(&t, ring[k].h, ring[k].k, ring[k].key.len, "", 0, ring[k].off, 1, &dup, "alias");
	if (dup && ring[k].key.s[0] == '@') {
		struct str w = STR_INIT, msg = STR_INIT;
		mt_where(&t, t.e[i].src, &w);
		if (!str_copys(&msg, "an @domain alias may be defined only once (first at ") ||
		    !str_cat(&msg, &w) || !str_cats(&msg, ")"))
			mt_die_nomem();
		mt_die(&t, ring[k].off, msg.s);
	}
}

/* the targets seen while merging one alias: offsets into the merged value, plus one */
static size_t *seen;
static size_t nseen;

/* dedupe - the targets of val, each once, in order, into out; dies on too many */
static void dedupe(const struct str *val, struct str *out, size_t off)
{
	size_t want = 0, i;

	for (i = 0; i < val->len; i++)
		if (val->s[i] == 0)
			want++;
	if (want > CP_TARGETS_MAX)
		mt_die(&t, off, "more than 100000 targets in all definitions of this alias");
	if (nseen < want * 2) {
		free(seen);
		for (nseen = 64; nseen < want * 2; nseen *= 2)
			;
		if (!(seen = malloc(nseen * sizeof *seen)))
			mt_die_nomem();
	}
	memset(seen, 0, nseen * sizeof *seen);
	out->len = 0;
	for (i = 0; i < val->len;) {
		const char *tg = val->s + i;
		size_t n = strlen(tg), j;
		for (j = cdb_hash(tg, (unsigned)n) & (nseen - 1); seen[j]; j = (j + 1) & (nseen - 1))
			if (strcmp(out->s + seen[j] - 1, tg) == 0)
				break;
		if (!seen[j]) {
			seen[j] = out->len + 1;
			if (!str_catb(out, tg, n + 1))
				mt_die_nomem();
		}
		i += n + 1;
	}
	if (out->len > CP_VALUE_MAX)
		mt_die(&t, off, "targets longer than 16 MiB in all definitions of this alias");
}

int main(int argc, char **argv)
{
	struct str val = STR_INIT, merged = STR_INIT, buf = STR_INIT;
	const char *line, *why = 0;
	size_t off, n, k, read = 0;

	mt_start(&t, "makealiases", "aliases", argc, argv);
	err.file = (struct str)STR_INIT;

	/* pass 1: every alias, and which are defined more than once */
	while (mt_line(&t, 1, &line, &n, &off)) {
		k = read % AHEAD;
		if (read >= AHEAD)
			insert(k);	/* the key read AHEAD lines ago */
		if (!cp_alias_key(line, n, &ring[k].key, &why))
			mt_die(&t, off, why);
		/* a line of the source (not one joined from several) that
		 * starts with its key in lower case: the table refers to it */
		ring[k].k = ring[k].key.s;
		if (line != t.join.s && memcmp(line, ring[k].key.s, ring[k].key.len) == 0)
			ring[k].k = line;
		ring[k].h = mt_prefetch(&t, ring[k].key.s, ring[k].key.len);
		ring[k].off = off;
		read++;
	}
	for (k = read > AHEAD ? read - AHEAD : 0; k < read; k++)
		insert(k % AHEAD);

	/* pass 2: the targets, written as they are checked */
	mt_open(&t);
	mt_rewind(&t);
	for (k = 0; mt_line(&t, 1, &line, &n, &off); k++) {
		const struct mt_entry *x = &t.e[k];
		size_t j;

		if (!x->last)
			continue;	/* a later definition, merged at the first */
		val.len = 0;
		parse(line, n, off, &val);
		if (!x->next) {
			mt_put(&t, mt_key(&t, x), x->klen, val.s, val.len);
			continue;
		}
		for (j = x->next; j; j = t.e[j - 1].next) {
			const char *l2;
			size_t n2;
			mt_line_at(&t, t.e[j - 1].src, 1, &buf, &l2, &n2);
			parse(l2, n2, t.e[j - 1].src, &val);
			if (val.len > CP_VALUE_MAX * 2)
				mt_die(&t, t.e[j - 1].src, "targets longer than 16 MiB in all definitions of this alias");
		}
		dedupe(&val, &merged, off);
		mt_put(&t, mt_key(&t, x), x->klen, merged.s, merged.len);
	}
	mt_close(&t);
	str_free(&val);
	str_free(&merged);
	str_free(&buf);
	for (k = 0; k < AHEAD; k++)
		str_free(&ring[k].key);
	free(seen);
	seen = 0;
	nseen = 0;
	str_free(&err.file);
	mt_free(&t);
	return 0;
}
