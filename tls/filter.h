/*
 * filter.h - what kurier-tlsd's system-call filter allows, in one place
 * for kurier-tlsd.c and filter-gen.c: descriptor I/O, poll and socket
 * calls on the descriptors it holds, and ioctl (SIOCOUTQ on the server's
 * socket); no files, no processes.
 */
#ifndef KURIER_TLS_FILTER_H
#define KURIER_TLS_FILTER_H

#include <seccomp.h>
#include "sandbox.h"

#define TLSD_SANDBOX_ALLOW SANDBOX_NET
#define TLSD_SANDBOX_EXTRA { SCMP_SYS(ioctl), -1 }

#endif
