/*
 * kurier-start - start the queue's long-lived processes, connected by
 * pipes: kurier-lspawn, kurier-rspawn and kurier-clean as children, and
 * kurier-send in this very process (so supervise's signals reach it).
 *   kurier-start [defaultdelivery]
 * runs as:  root, from the kurier-send service (daemontools); every
 *           program it starts drops to its own user and sandbox itself
 * trusts:   its arguments and environment (only root runs it)
 * descriptors given:
 *           kurier-lspawn  0 requests from kurier-send, 1 replies to it
 *           kurier-rspawn  0 requests from kurier-send, 1 replies to it
 *           kurier-clean   0 requests from kurier-send, 1 replies to it
 *           kurier-send    3/4 to/from lspawn, 5/6 to/from rspawn,
 *                          7/8 to/from clean; 1 and 2 stay (the log)
 *           Every child keeps fd 2, so its complaints reach the log.
 * env:      KURIER_LSPAWN, KURIER_RSPAWN name other spawner programs
 *           (for tests and stand-ins); default conf-home/bin/kurier-lspawn
 *           and kurier-rspawn.  defaultdelivery goes to kurier-lspawn as
 *           its argument, as qmail-start passes it to qmail-lspawn.
 * exit:     100 bad usage; 111 a pipe, fork or exec failed; otherwise
 *           whatever kurier-send exits with
 * cost:     three forks and four execs per start of the queue; nothing per message
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "auto.h"
#include "exitcode.h"
#include "log.h"
#include "str.h"

/* where the descriptors are parked before they move to their numbers */
#define PARK 30

/* prog - conf-home/bin/name, or the environment's override; a new C string */
static char *prog(const char *name, const char *env)
{
	struct str p = STR_INIT;
	const char *o = *env ? getenv(env) : 0;

	if (o && *o) return (char *)o;
	if (!str_copys(&p, auto_home) || !str_cats(&p, "/bin/") || !str_cats(&p, name))
		diex(EX_T_TEMP, "out of memory");
	return p.s;
}

/* child - fork a child that reads fd in as 0, writes fd out as 1, and execs argv */
static void child(int in, int out, char **argv)
{
	pid_t pid = fork();

	if (pid == -1) die(EX_T_TEMP, "unable to fork");
	if (pid) return;
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1) die(EX_T_TEMP, "unable to set up descriptors");
	execv(argv[0], argv);
	die(EX_T_TEMP, "unable to run", argv[0]);
}

int main(int argc, char **argv)
{
	int p[6][2], i;
	char *lspawn[3], *rspawn[2], *clean[2], *send[2];

	log_prog("kurier-start");
	if (argc > 2) diex(EX_T_USAGE, "usage", "kurier-start [defaultdelivery]");
	if (chdir(auto_home) == -1) die(EX_T_TEMP, "unable to chdir to", auto_home);
	/* 0: send->lspawn, 1: lspawn->send, 2: send->rspawn, 3: rspawn->send,
	 * 4: send->clean, 5: clean->send; all close-on-exec until dup2'ed */
	for (i = 0; i < 6; i++) {
		int k;
		if (pipe2(p[i], O_CLOEXEC) == -1) die(EX_T_TEMP, "unable to make pipes");
		/* park above the numbers kurier-send needs, so no dup2 below clobbers one */
		for (k = 0; k < 2; k++) {
			int fd = fcntl(p[i][k], F_DUPFD_CLOEXEC, PARK);
			if (fd == -1) die(EX_T_TEMP, "unable to move descriptors");
			close(p[i][k]);
			p[i][k] = fd;
		}
	}
	lspawn[0] = prog("kurier-lspawn", "KURIER_LSPAWN");
	lspawn[1] = argc > 1 ? argv[1] : 0;
	lspawn[2] = 0;
	rspawn[0] = prog("kurier-rspawn", "KURIER_RSPAWN");
	rspawn[1] = 0;
	clean[0] = prog("kurier-clean", "");
	clean[1] = 0;
	send[0] = prog("kurier-send", "");
	send[1] = 0;

	child(p[0][0], p[1][1], lspawn);
	child(p[2][0], p[3][1], rspawn);
	child(p[4][0], p[5][1], clean);
	if (dup2(p[0][1], 3) == -1 || dup2(p[1][0], 4) == -1 || dup2(p[2][1], 5) == -1 ||
	    dup2(p[3][0], 6) == -1 || dup2(p[4][1], 7) == -1 || dup2(p[5][0], 8) == -1)
		die(EX_T_TEMP, "unable to set up descriptors");
	execv(send[0], send);
	die(EX_T_TEMP, "unable to run", send[0]);
}
