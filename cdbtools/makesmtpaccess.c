/*
 * makesmtpaccess - compile control/smtpaccess into smtpaccess.cdb for tcpserver -x.
 * runs as:  root (whoever maintains control/), by hand after editing
 * usage:    makesmtpaccess [-n] [-f SOURCE] [-o DIR]
 * input:    Courier's access syntax (smtpaccess(5)):
 *             NETBLOCK<TAB>allow[,VAR[=value]...]   or   NETBLOCK<TAB>deny
 *           SOURCE is a file or a directory of files (default
 *           conf-home/control/smtpaccess).
 * output:   DIR/smtpaccess.cdb in the record format tcprules writes and
 *           ucspi-tcp's tcpserver reads on every connection: key the
 *           address or a prefix ending in '.' or ':' ("" for '*'),
 *           value "+VAR=value\0"... for allow, "D\0" for deny.  Records
 *           keep the order of the source.
 * trusts:   nothing in the source; every line is checked first.
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
	size_t off, n;
	const char *line;
	int dup;

	mt_start(&t, "makesmtpaccess", "smtpaccess", argc, argv);
	while (mt_line(&t, 0, &line, &n, &off)) {
		if (!cp_smtpaccess(line, n, &key, &val, &why))
			mt_die(&t, off, why);
		/* tcpserver takes the first record of a key: a second one would be dead */
		mt_add(&t, key.s, key.len, val.s, val.len, off, 0, &dup, "netblock");
	}
	mt_write(&t, 0);
	str_free(&key);
	str_free(&val);
	mt_free(&t);
	return 0;
}
