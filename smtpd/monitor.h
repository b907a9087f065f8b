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
 */
#ifndef KURIER_SMTPD_MONITOR_H
#define KURIER_SMTPD_MONITOR_H

#include <sys/types.h>
#include "sandbox.h"

#define MONITOR_REQ_MAX 1024	/* a checkpw request: type, user, secret, stamp (<= 512 on fd 3) */
#define MONITOR_ARGS      16	/* programs in a KURIER_CHECKPW chain */

/* monitor_start - fork the monitor, which runs kurier-queue with qids when
 * it is root (0: kurierd's, looked up here); the SMTP side's socket, or -1 (errno) */
int monitor_start(const struct sandbox_ids *qids);
/* monitor_queue - ask for kurier-queue on the message and envelope pipes,
 * without waiting for it to start; 1 asked, -1 the monitor is gone */
int monitor_queue(int mfd, int msgfd, int envfd);
/* monitor_queue_wait - the pid (*pid) and exit code of that kurier-queue;
 * -1 if it could not start, died, or the monitor is gone */
int monitor_queue_wait(int mfd, pid_t *pid);
/* monitor_checkpw - run the checkpw chain (verify only) on user, secret, stamp; its exit code, -1 failure to run */
int monitor_checkpw(int mfd, const char *type, const char *user, size_t ulen,
    const char *secret, size_t slen, const char *stamp);

#endif
