/*
 * makehosteddomains - compile control/hosteddomains into hosteddomains.cdb.
 * runs as:  root (whoever maintains control/), by hand after editing
 * usage:    makehosteddomains [-n] [-f SOURCE] [-o DIR]
 * input:    "domain" or "alias<TAB>domain" per line (hosteddomains(5));
 *           SOURCE is a file or a directory of files (default
 *           conf-home/control/hosteddomains).
 * output:   DIR/hosteddomains.cdb: key the lower-case domain, value empty
 *           for a hosted domain or the lower-case domain it aliases.
 * trusts:   nothing in the source; every line is checked first, and an
 *           alias must name a domain listed on its own line.
 * exit:     0 done; 100 bad usage or source ("file:line: reason", old cdb
 *           untouched); 111 system failure.
 */
#include "ctlparse.h"
#include "maketool.h"

int main(int argc, char **argv)
{
	struct mt t;
	struct str key = STR_INIT, val = STR_INIT;
	const char *why = 0;
	size_t off, i, n;
	const char *line;
	int dup;

	mt_start(&t, "makehosteddomains", "hosteddomains", argc, argv);
	while (mt_line(&t, 0, &line, &n, &off)) {
		if (!cp_hosted(line, n, &key, &val, &why))
			mt_die(&t, off, why);
		mt_add(&t, key.s, key.len, val.s, val.len, off, 0, &dup, "domain");
	}
	/* an alias domain maps to one hosted domain, never to another alias */
	for (i = 0; i < t.ne; i++) {
		const struct mt_entry *x = &t.e[i];
		size_t j;
		if (!x->vlen)
			continue;
		j = mt_find(&t, t.arena.s + x->voff, x->vlen);
		if (!j)
			mt_die(&t, x->src, "aliases a domain that is not listed as hosted");
		if (t.e[j - 1].vlen)
			mt_die(&t, x->src, "aliases a domain that is itself an alias");
	}
	mt_write(&t, 0);
	str_free(&key);
	str_free(&val);
	mt_free(&t);
	return 0;
}
