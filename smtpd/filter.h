/*
 * filter.h - what kurier-smtpd's system-call filter allows, in one place
 * for kurier-smtpd.c and filter-gen.c: files for the lookups, pipes and
 * sendmsg for the message to the monitor, recvmsg for kurier-tlsd's
 * plaintext descriptor; no exec, no sockets.
 */
#ifndef KURIER_SMTPD_FILTER_H
#define KURIER_SMTPD_FILTER_H

#include <seccomp.h>
#include "sandbox.h"

#define SMTPD_SANDBOX_ALLOW SANDBOX_FILES
/* no SANDBOX_SPAWN: the monitor runs every program for us; the message
 * pipes go to it with sendmsg */
/* recvmsg: kurier-tlsd's "Y" with the plaintext descriptor after STARTTLS */
#define SMTPD_SANDBOX_EXTRA { SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(pipe2), SCMP_SYS(pipe), -1 }

#endif
