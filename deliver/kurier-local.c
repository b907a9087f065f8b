/*
 * kurier-local - deliver one message to one local recipient, with the
 * same code kurier-lspawn's children run; for tests and administrators.
 * usage:    kurier-local [-n] sender recipient < message
 *           -n: say where the message would go, deliver nothing
 * runs as:  root (becomes the recipient's user), or the recipient's own
 *           user (then only its own addresses)
 * trusts:   conf-home's control/ and users/ files and /etc/passwd
 * exit:     0 delivered (or -n explained), 100 permanent failure,
 *           111 temporary failure (kurier-local(8))
 * cost:     one process; maildir and mbox need no exec
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "exitcode.h"
#include "local.h"
#include "log.h"
#include "resolve.h"

#define PASSWD "/etc/passwd"

/* say - write s and a newline to fd 1 */
static void say(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(1, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* usage - fatal: bad command line */
static void usage(void)
{
	diex(EX_D_PERM, "usage: kurier-local [-n] sender recipient < message");
}

int main(int argc, char **argv)
{
	struct resolved r;
	struct local_msg m;
	struct str text = STR_INIT, plan = STR_INIT;
	int dry = 0, k, fd;
	char code;

	log_prog("kurier-local");
	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		dry = 1;
		argv++;
		argc--;
	}
	if (argc != 3 || argv[1][0] == '-')
		usage();
	resolve_init(&r);
	k = resolve_address(argv[2], strlen(argv[2]), PASSWD, &r);
	if (dry) {
		say(r.why.s ? r.why.s : "", r.why.len);
		if (k == RES_FOREIGN)
			say("result: remote\n", 15);
		if ((k == RES_ACCOUNT || k == RES_ALIAS) && local_plan(&r, &plan))
			say(plan.s ? plan.s : "", plan.len);
		resolve_free(&r);
		str_free(&plan);
		return k == RES_TEMP ? EX_D_TEMP : k == RES_UNKNOWN ? EX_D_PERM : 0;
	}
	if (k == RES_TEMP)
		diex(EX_D_TEMP, r.text.len ? r.text.s : "temporary failure looking the address up");
	if (k == RES_FOREIGN)
		diex(EX_D_PERM, "not a local domain: ", argv[2]);
	if (k == RES_UNKNOWN)
		diex(EX_D_PERM, r.text.s, ": ", argv[2]);
	fd = local_seekable(0);
	if (fd == -1)
		die(EX_D_TEMP, "cannot read the message");
	if (getuid() == 0) {
		if (local_become(r.acct.uid, r.acct.gid) < 0)
			die(EX_D_TEMP, "cannot become the recipient's user");
	} else if (getuid() != r.acct.uid) {
		diex(EX_D_TEMP, "only root may deliver to another user's address");
	}
	m.fd = fd;
	m.sender = argv[1];
	m.recipient = argv[2];
	code = local_deliver(&r, &m, &text);
	say(text.s ? text.s : "", text.len);
	say("\n", 1);
	resolve_free(&r);
	str_free(&text);
	return code == 'K' ? EX_D_OK : code == 'D' ? EX_D_PERM : EX_D_TEMP;
}
