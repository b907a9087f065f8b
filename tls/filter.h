/*
 * filter.h - what kurier-tlsd's system-call filter allows, in one place
 * for kurier-tlsd.c and filter-gen.c: descriptor I/O, poll and socket
 * calls on the descriptors it holds (socketpair and sendmsg to hand the
 * server its plaintext end after STARTTLS); no files, no processes.
 */
#ifndef KURIER_TLS_FILTER_H
#define KURIER_TLS_FILTER_H

#include <seccomp.h>
#include "sandbox.h"

#define TLSD_SANDBOX_ALLOW SANDBOX_NET
#define TLSD_SANDBOX_EXTRA { -1 }

#endif
