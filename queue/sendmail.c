/*
 * sendmail - the sendmail command line that cron, PHP, mutt and scripts
 * use, done by kurier's own injection (no kurier-inject in between).
 * runs as:  the local user
 * usage:    sendmail [-t] [-i|-oi] [-f sender] [-F name] [-v] [rcpt ...]
 *           sendmail -bp        list the queue (runs kurier-qread)
 *           sendmail -bs        SMTP on stdin/stdout (runs kurier-smtpd)
 *           Legacy flags (-oem -odb -odi -oQ... -ob... -om -U -B... -N...
 *           -R... -V... -O... -L... -bm -em -ee -q...) are accepted and ignored.
 * input:    the message on fd 0; without -i a line holding only "." ends it
 * trusts:   nothing in the message or the arguments
 * exit:     0 queued; 100 bad usage or refused permanently; 111 temporary
 *           (including -bs when kurier-smtpd is not installed)
 * cost:     one posix_spawn of kurier-queue per message (one exec);
 *           -bp and -bs are one exec (kurier-qread, kurier-smtpd)
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "auto.h"
#include "exitcode.h"
#include "inject.h"
#include "log.h"
#include "str.h"

/* usage - print how to call us and exit 100 */
static void usage(void)
{
	diex(EX_T_USAGE, "usage", "sendmail [-t] [-i] [-f sender] [-F name] [-v] [rcpt ...] | -bp | -bs");
}

/* run_bin - exec conf-home/bin/prog with argv0 only; returns only on failure */
static void run_bin(const char *prog, int missing_code)
{
	struct str path = STR_INIT;
	char *argv[2];

	if (!str_copys(&path, auto_home) || !str_cats(&path, "/bin/") || !str_cats(&path, prog))
		diex(EX_T_TEMP, "out of memory");
	argv[0] = path.s;
	argv[1] = 0;
	execv(path.s, argv);
	if (errno == ENOENT)
		diex(missing_code, "not installed (sendmail -bs needs kurier-smtpd):", path.s);
	die(EX_T_TEMP, "unable to run", path.s);
}

int main(int argc, char **argv)
{
	struct inject o = { 0, 0, 0, 1, 0, 0 };
	int i;

	log_prog("sendmail");
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i] + 1;
		if (!strcmp(a, "-")) { i++; break; }
		switch (*a) {
		case 'f': case 'r': case 'F': {
			/* -f sender (-r is the old spelling), -F full name */
			const char *v = a[1] ? a + 1 : (i + 1 < argc ? argv[++i] : 0);
			if (!v) usage();
			if (*a == 'F') o.fullname = v; else o.sender = v;
			break;
		}
		case 'b':
			if (!strcmp(a, "bp")) run_bin("kurier-qread", EX_T_TEMP);
			if (!strcmp(a, "bs")) run_bin("kurier-smtpd", EX_T_TEMP);
			if (!strcmp(a, "bm")) break;	/* deliver mail: the default */
			usage();
			break;
		case 'o':
			if (!strcmp(a, "oi")) o.dot = 0;
			/* -oem -odb -odi -oQ... -ob... -om and the rest: sendmail.cf
			 * options that mean nothing here */
			break;
		case 'B': case 'N': case 'R': case 'V': case 'O': case 'L': case 'X': case 'q': case 'e':
			/* legacy flags with an attached value; ignored */
			if (!a[1] && (*a == 'O' || *a == 'L' || *a == 'X' || *a == 'N' || *a == 'R' || *a == 'V' || *a == 'B'))
				i++;	/* the value came as the next argument */
			break;
		default:
			/* clusters of single-letter flags: -t -i -v -U, as in -ti */
			for (; *a; a++) {
				if (*a == 't') o.rcpt_from_headers = 1;
				else if (*a == 'i') o.dot = 0;
				else if (*a == 'v') o.verbose = 1;
				else if (*a == 'U' || *a == 'm') continue;	/* initial submission; metoo */
				else usage();
			}
		}
	}
	if (i > argc) usage();
	o.rcpts = argv + i;
	return inject_run(&o);
}
