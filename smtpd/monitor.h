/*
 * monitor - the part of kurier-smtpd that runs other programs.
 * kurier-queue (setuid kurierq) cannot gain its id from a process with
 * PR_SET_NO_NEW_PRIVS, and the checkpw helpers need root to read the
 * password databases, while the SMTP process must be kurierd under
 * no_new_privs.  So before the SMTP process confines itself it forks this
 * monitor: it keeps no client descriptor, keeps the ids kurier-smtpd was
 * started with (root under kurier-tlsd), and runs only those programs —
 * the checkpw chain with its own ids, kurier-queue as kurierd — on
 * requests that come over a socketpair.  A malformed request ends it.
 * With kurier's own queue program the SMTP process keeps one kurier-queue
 * -s for all the messages of its session (monitor_qs_*): it writes the
 * messages as frames (queue/qframe.h) straight to it and reads one status
 * line per message; the monitor only starts it and waits for its exit.
 */
#ifndef KURIER_SMTPD_MONITOR_H
#define KURIER_SMTPD_MONITOR_H

#include <sys/types.h>
#include "sandbox.h"

#define MONITOR_REQ_MAX 1024	/* a checkpw request: type, user, secret, stamp (<= 512 on fd 3) */
#define MONITOR_ARGS      16	/* programs in a KURIER_CHECKPW chain */
#define MONITOR_STATUS_MAX 4	/* a status line of kurier-queue -s: 3 digits (an exit code) and LF */

/* one kurier-queue -s, seen from the SMTP process */
struct monitor_qs {
	int fd;		/* frames to its fd 0; -1 when closed */
	int status;	/* status lines from its fd 1; -1 when there is no session */
	pid_t pid;	/* 0 until the monitor's answer is read; -1 if it could not start */
};
#define MONITOR_QS_INIT { -1, -1, 0 }

/* monitor_start - fork the monitor, which runs kurier-queue with qids when
 * it is root (0: kurierd's, looked up here); the SMTP side's socket, or -1 (errno) */
int monitor_start(const struct sandbox_ids *qids);
/* monitor_queue - ask for kurier-queue on the message and envelope pipes,
 * without waiting for it to start; 1 asked, -1 the monitor is gone */
int monitor_queue(int mfd, int msgfd, int envfd);
/* monitor_queue_wait - the pid (*pid) and exit code of that kurier-queue;
 * -1 if it could not start, died, or the monitor is gone */
int monitor_queue_wait(int mfd, pid_t *pid);
/* monitor_queue_own - 1 if the queue program is kurier's own kurier-queue
 * (KURIERQUEUE unset, empty or naming conf-home/bin/kurier-queue), which
 * has the session mode; 0 for any other, which gets one run per message */
int monitor_queue_own(void);
/* monitor_qs_open - keep the session's kurier-queue -s while it is alive and
 * silent, or ask for a new one without waiting for it; 1 ok, -1 (errno) */
int monitor_qs_open(int mfd, struct monitor_qs *qs);
/* monitor_qs_write - a buf op: write x[0..n) as message frames to fd; n or -1 */
ssize_t monitor_qs_write(int fd, void *x, size_t n);
/* monitor_qs_finish - send the rest of the message and the envelope (with its
 * final NUL), read the verdict; the queue's code (0 queued; any other ends
 * the session), -1 if it could not start, died or gave none; *pid its pid or -1 */
int monitor_qs_finish(int mfd, struct monitor_qs *qs, const char *rest, size_t rn,
    const char *env, size_t en, pid_t *pid);
/* monitor_qs_close - end the session (close its input, wait); its exit code or -1 */
int monitor_qs_close(int mfd, struct monitor_qs *qs);
/* monitor_status_scan - parse one status line "<code>\n" (0-255, no leading
 * zero) in b[0..n); 1 with *code set, 0 malformed */
int monitor_status_scan(const char *b, size_t n, int *code);
/* monitor_checkpw - run the checkpw chain (verify only) on user, secret, stamp; its exit code, -1 failure to run */
int monitor_checkpw(int mfd, const char *type, const char *user, size_t ulen,
    const char *secret, size_t slen, const char *stamp);

#endif
