/*
 * makeacceptmailfor - compile control/esmtpacceptmailfor into esmtpacceptmailfor.cdb.
 * runs as:  root (whoever maintains control/), by hand after editing
 * usage:    makeacceptmailfor [-n] [-f SOURCE] [-o DIR]
 * input:    one domain per line (esmtpacceptmailfor(5)): the domains this
 *           host accepts mail for as a backup MX and relays on; SOURCE is
 *           a file or a directory of files (default
 *           conf-home/control/esmtpacceptmailfor).
 * output:   DIR/esmtpacceptmailfor.cdb: key the lower-case domain, value empty.
 * trusts:   nothing in the source; every line is checked first.
 * exit:     0 done; 100 bad usage or source ("file:line: reason", old cdb
 *           untouched); 111 system failure.
 */
#include "ctlparse.h"
#include "maketool.h"

int main(int argc, char **argv)
{
	struct mt t;
	struct str key = STR_INIT;
	const char *why = 0;
	size_t off, n;
	const char *line;
	int dup;

	mt_start(&t, "makeacceptmailfor", "esmtpacceptmailfor", argc, argv);
	while (mt_line(&t, 0, &line, &n, &off)) {
		if (!cp_accept(line, n, &key, &why))
			mt_die(&t, off, why);
		mt_add(&t, key.s, key.len, "", 0, off, 0, &dup, "domain");
	}
	mt_write(&t, 0);
	str_free(&key);
	mt_free(&t);
	return 0;
}
