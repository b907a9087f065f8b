/*
 * kurier-inject - queue a message written by a local user, completing its
 * header: Date:, Message-ID: (<time.pid.random@defaulthost>) and From:
 * (user@defaultdomain) are added when missing; Bcc: is removed.
 * runs as:  the local user; usage: kurier-inject [-f sender] [-F name] [rcpt ...]
 *           With no recipients on the command line they come from the
 *           message's To:, Cc: and Bcc: fields.
 * input:    the message on fd 0, LF or CRLF line ends (stored with LF)
 * trusts:   nothing in the message
 * exit:     0 queued; 100 bad usage or refused permanently; 111 temporary
 * cost:     one posix_spawn of kurier-queue per message, no fsync of its own
 */
#include <string.h>
#include "exitcode.h"
#include "inject.h"
#include "log.h"

/* usage - print how to call us and exit 100 */
static void usage(void)
{
	diex(EX_T_USAGE, "usage", "kurier-inject [-f sender] [-F name] [rcpt ...]");
}

int main(int argc, char **argv)
{
	struct inject o = { 0, 0, 0, 0, 0, 0 };
	int i;

	log_prog("kurier-inject");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) { i++; break; }
		if (a[1] == 'f' || a[1] == 'F') {
			const char *v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : 0);
			if (!v) usage();
			if (a[1] == 'f') o.sender = v; else o.fullname = v;
		} else
			usage();
	}
	o.rcpts = argv + i;
	o.rcpt_from_headers = i == argc;
	return inject_run(&o);
}
