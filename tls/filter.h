/*
 * filter.h - what kurier-tlsd's system-call filters allow, for filter-gen
 * to build at build time (the programs load what it wrote).  The engine's: descriptor I/O,
 * poll and socket calls on the descriptors it holds (socketpair and
 * sendmsg to hand the server its plaintext end after STARTTLS); no files,
 * no processes.  The front's: the engine's, and what it takes to execute
 * the engine and for the engine to reach its own filter (a static
 * program's start-up, and prctl to load that filter).  The groups
 * (TLSD_SANDBOX_ALLOW) are in tlsdsetup.h; filter-gen's header says which
 * groups each filter was built with, for the program that loads it.
 */
#ifndef KURIER_TLS_FILTER_H
#define KURIER_TLS_FILTER_H

#include <seccomp.h>
#include "sandbox.h"
#include "tlsdsetup.h"

#define TLSD_SANDBOX_EXTRA { -1 }
#define TLSD_FRONT_EXTRA { SCMP_SYS(execve), SCMP_SYS(prctl), SCMP_SYS(arch_prctl), \
	SCMP_SYS(set_tid_address), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(readlink), -1 }

#endif
