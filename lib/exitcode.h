/*
 * exitcode.h - every exit code a kurier program may use, in one place.
 * man/exitcodes.7 lists the same names and numbers; tests/e2e/03-exitcodes.sh
 * checks that the two agree, so change both together.
 *
 * Families:
 *   qmail-queue(8) codes, used by kurier-queue and its callers;
 *   delivery codes (dot-qmail(5)), used by kurier-local, kurier-maildir
 *   and the programs in delivery files;
 *   checkpassword codes, used by the login helpers;
 *   tool codes (skalibs style), used by the administration tools.
 */
#ifndef KURIER_EXITCODE_H
#define KURIER_EXITCODE_H

/* kurier-queue: 0 queued; 11-40 permanent; everything else temporary */
#define EX_Q_OK          0	/* message queued */
#define EX_Q_ADDRLONG   11	/* an address is too long */
#define EX_Q_REFUSED    31	/* mail refused permanently */
#define EX_Q_NOMEM      51	/* out of memory */
#define EX_Q_TIMEOUT    52	/* timeout */
#define EX_Q_WRITE      53	/* write error, disk full */
#define EX_Q_READ       54	/* cannot read the message or envelope */
#define EX_Q_CONFIG     55	/* cannot read configuration */
#define EX_Q_HOME       61	/* cannot chdir to the home directory */
#define EX_Q_QUEUEDIR   62	/* cannot chdir to the queue */
#define EX_Q_PID        63	/* trouble in queue/pid */
#define EX_Q_MESS       64	/* trouble in queue/mess */
#define EX_Q_INTD       65	/* trouble in queue/intd */
#define EX_Q_TODO       66	/* trouble in queue/todo */
#define EX_Q_TEMPREFUSE 71	/* mail refused temporarily */
#define EX_Q_BUG        81	/* internal bug */
#define EX_Q_ENVELOPE   91	/* envelope format error */

/* delivery: the program's verdict on one message */
#define EX_D_OK          0	/* delivered; go on with the next instruction */
#define EX_D_STOP       99	/* delivered; ignore the remaining instructions */
#define EX_D_PERM      100	/* permanent failure: bounce */
#define EX_D_TEMP      111	/* temporary failure: try again later */
/* sysexits(3) codes that delivery treats as permanent, as qmail does */
#define EX_D_USAGE      64
#define EX_D_DATAERR    65
#define EX_D_SOFTWARE   70
#define EX_D_PROTOCOL   76
#define EX_D_NOPERM     77
#define EX_D_CONFIG     78
#define EX_D_PERM112   112

/* checkpassword helpers */
#define EX_PW_OK         0	/* only reached through the exec'd program */
#define EX_PW_BAD        1	/* bad login or password */
#define EX_PW_MISUSE     2	/* malformed input or usage */
#define EX_PW_TEMP     111	/* temporary failure: database unreadable, no memory */

/* administration tools and daemons */
#define EX_T_OK          0	/* success */
#define EX_T_FAIL        1	/* the answer is no (e.g. key not found) */
#define EX_T_USAGE     100	/* bad usage or bad input: fix the command or file */
#define EX_T_TEMP      111	/* system failure: try again */

/* exitcode_delivery_permanent - 1 if a delivery program's exit code means bounce */
static inline int exitcode_delivery_permanent(int code)
{
	switch (code) {
	case EX_D_PERM: case EX_D_USAGE: case EX_D_DATAERR: case EX_D_SOFTWARE:
	case EX_D_PROTOCOL: case EX_D_NOPERM: case EX_D_CONFIG: case EX_D_PERM112:
		return 1;
	}
	return 0;
}

/* exitcode_queue_permanent - 1 if a kurier-queue exit code is permanent */
static inline int exitcode_queue_permanent(int code)
{
	return code >= 11 && code <= 40;
}

#endif
