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
#define INCLUDE_FILE_MAX (64UL * 1024 * 1024)

/* read_include - the cp_include_fn of this tool: read the file whole */
static int read_include(void *arg, const char *path, struct str *out)
{
	(void)arg;
	return ctlsrc_readfile(path, out, INCLUDE_FILE_MAX);
}

/* the targets seen while merging one alias: offsets into the merged value, plus one */
static size_t *seen;
static size_t nseen;

/* merge - join the values of the chain starting at first, each target once, into the arena; dies on too many */
static void merge(struct mt *t, size_t first)
{
	struct str out = STR_INIT;
	size_t count = 0, i, want = 0, x;

	for (x = first + 1; x; x = t->e[x - 1].next)
		for (i = 0; i < t->e[x - 1].vlen; i++)
			if (t->arena.s[t->e[x - 1].voff + i] == 0)
				want++;
	if (want > CP_TARGETS_MAX)
		mt_die(t, t->e[first].src, "more than 100000 targets in all definitions of this alias");
	if (nseen < want * 2) {
		free(seen);
		for (nseen = 64; nseen < want * 2; nseen *= 2)
			;
		if (!(seen = malloc(nseen * sizeof *seen)))
			mt_die_nomem();
	}
	memset(seen, 0, nseen * sizeof *seen);
	for (x = first + 1; x; x = t->e[x - 1].next) {
		const struct mt_entry *e = &t->e[x - 1];
		for (i = 0; i < e->vlen;) {
			const char *tg = t->arena.s + e->voff + i;
			size_t n = strlen(tg), j;
			for (j = cdb_hash(tg, (unsigned)n) & (nseen - 1); seen[j]; j = (j + 1) & (nseen - 1))
				if (strcmp(out.s + seen[j] - 1, tg) == 0)
					break;
			if (!seen[j]) {
				seen[j] = out.len + 1;
				if (!str_catb(&out, tg, n + 1))
					mt_die_nomem();
				count++;
			}
			i += n + 1;
		}
	}
	if (out.len > CP_VALUE_MAX)
		mt_die(t, t->e[first].src, "targets longer than 16 MiB in all definitions of this alias");
	/* the merged value goes to the end of the arena; the chain is dropped */
	t->e[first].voff = t->arena.len;
	t->e[first].vlen = out.len;
	if (!str_cat(&t->arena, &out))
		mt_die_nomem();
	t->e[first].next = 0;
	str_free(&out);
	(void)count;
}

int main(int argc, char **argv)
{
	struct mt t;
	struct str key = STR_INIT, val = STR_INIT;
	struct cp_alias_err err;
	size_t off, i, n;
	const char *line;
	int dup;

	mt_start(&t, "makealiases", "aliases", argc, argv);
	err.file = (struct str)STR_INIT;
	while (mt_line(&t, 1, &line, &n, &off)) {
		const char *colon = memchr(line, ':', n);
		uint32_t h = 0;
		size_t hl = 0;
		if (colon && colon > line && colon - line <= CP_ADDR_MAX + 1) {
			/* the key's slot loads while the targets are checked */
			key.len = 0;
			if (!cp_lower(&key, line, (size_t)(colon - line)))
				mt_die_nomem();
			h = mt_prefetch(&t, key.s, key.len);
			hl = key.len;
		}
		val.len = 0;
		if (!cp_alias(line, n, &key, &val, read_include, 0, &err)) {
			if (err.file.len) {
				char num[24];
				size_t k = sizeof num;
				unsigned long l = err.line;
				struct str w = STR_INIT;
				num[--k] = 0;
				do
					num[--k] = (char)('0' + l % 10);
				while ((l /= 10) && k);
				mt_where(&t, off, &w);
				if (err.sys)
					diex(EX_T_TEMP, w.s, ": ", err.file.s, ": ", err.why, ": ", strerror(errno));
				if (err.line)
					diex(EX_T_USAGE, err.file.s, ":", num + k, ": ", err.why, " (included from ", w.s, ")");
				diex(EX_T_USAGE, w.s, ": ", err.why, ": ", err.file.s);
			}
			mt_die(&t, off, err.why);
		}
		if (hl != key.len)	/* white space before the colon: hashed with it */
			h = cdb_hash(key.s, (unsigned)key.len);
		i = mt_add_hashed(&t, h, key.s, key.len, val.s, val.len, off, 1, &dup, "alias");
		if (dup && key.s[0] == '@') {
			struct str w = STR_INIT, why = STR_INIT;
			mt_where(&t, t.e[i].src, &w);
			if (!str_copys(&why, "an @domain alias may be defined only once (first at ") ||
			    !str_cat(&why, &w) || !str_cats(&why, ")"))
				mt_die_nomem();
			mt_die(&t, off, why.s);
		}
	}
	for (i = 0; i < t.ne; i++)
		if (t.e[i].last && t.e[i].next)
			merge(&t, i);
	mt_write(&t, 0);
	return 0;
}
