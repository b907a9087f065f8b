/*
 * checkpw - what the three login helpers (kurier-checkpw, -unix, -pam)
 * share: reading the request on fd 3, telling the next helper from the
 * program, handing the request on, the throttle against repeated
 * failures, the bound on concurrent hashing, and setting up the account
 * before the program is executed.  See kurier-checkpw(8).
 *
 * runs as:  root, either called by root (Dovecot, tests) or setuid root
 *           from a caller in group kurier (kurier-smtpd, the login
 *           servers).  In the setuid case nothing in the environment may
 *           loosen a rule: KURIER_HOME, KURIER_MINUID, KURIER_PASSWD,
 *           KURIER_SHADOW and the PAM overrides are ignored, the next
 *           helper must be one installed in conf-home/bin, and a
 *           verify-only run gives up root before it executes the program.
 * exit:     1 bad login, 2 misuse, 111 temporary (lib/exitcode.h).
 */
#ifndef KURIER_CHECKPW_H
#define KURIER_CHECKPW_H

#include <stddef.h>
#include <sys/types.h>
#include "fd3.h"
#include "str.h"

/* Built-in defaults of control/checkpwlimits; each can be changed there. */
#define CPW_FAILFREE     3	/* failures per address before the throttle starts */
#define CPW_FAILBASE   250	/* ms: the first throttle delay, doubled per further failure */
#define CPW_FAILCAP  10000	/* ms: the throttle delay never grows past this */
#define CPW_FAILFORGET 900	/* s: failures older than this (since the last one) are forgotten */
#define CPW_FAILQUEUE   30	/* s: an attempt that would wait longer than this gets 111 at once */
#define CPW_AFTERFAIL 1000	/* ms: every rejection waits this long before exit 1 */
#define CPW_SLOTS        4	/* hash computations at once: argon2id INTERACTIVE takes 64 MiB each */
#define CPW_SLOTWAIT    30	/* s: waiting longer than this for a slot gives 111 */
/* a caller that keeps fd 3 open, or streams into it, is cut off: the
 * request is at most 512 bytes, so this much time and this many bytes
 * mean misuse, not a slow writer */
#define CPW_FD3_TIMEOUT 60	/* s */
#define CPW_FD3_DRAIN (64 * 1024)	/* bytes read past the limit before giving up */
/* Debian's adduser FIRST_UID: lower uids are system accounts */
#define CPW_MINUID    1000
/* throttle buckets: addresses are hashed into this many files, so the
 * state directory stays bounded (4096 files of a few bytes) */
#define CPW_BUCKETS   4096
/* the longest ms value a limit may take (a day), so sums never overflow */
#define CPW_LIMIT_MAX (86400ull * 1000)

struct cpw_limits {
	unsigned long long failfree, failbase, failcap, failforget, failqueue;
	unsigned long long afterfail, slots, slotwait;
};

/* where the helpers and the program are on the command line */
struct cpw_args {
	char **helpers;		/* next helpers, in order */
	int nhelpers;
	char **prog;		/* the program and its arguments (never empty) */
	int explicit;		/* 1 when "--" separated helpers from the program */
};

/* an account that passed, ready for the program */
struct cpw_account {
	const char *user;	/* USER, and the name for initgroups when groups_by_name */
	const char *address;	/* AUTHENTICATED */
	uid_t uid;
	gid_t gid;
	const char *home;
	const char *shell;
	const char *maildir;
	int groups_by_name;	/* 1: initgroups(user, gid); 0: only gid */
};

struct cpw {
	char data[FD3_MAX + 1];	/* the bytes read from fd 3 (one more to see an overlong request) */
	size_t n;
	struct fd3 req;
	struct cpw_args args;
	struct cpw_limits lim;
	struct str home;	/* conf-home, NUL-terminated */
	const char *remoteip;	/* TCPREMOTEIP, or 0 */
	int setuid_mode;	/* real uid differed from effective uid at start */
	uid_t caller_uid;	/* the real ids at start */
	gid_t caller_gid;
	int verifyonly;		/* KURIER_CHECKPW_VERIFYONLY=1 */
	int cram;		/* KURIER_AUTHTYPE=cram-md5 */
	int apop;		/* KURIER_AUTHTYPE=apop: needs a clear password, which no backend keeps */
	int slotfd;		/* held hashing slot, or -1 */
};

/* cpw_args_split - find the helpers and the program in argv[1..argc); 1 ok, 0 misuse (*why) */
int cpw_args_split(int argc, char **argv, struct cpw_args *a, const char **why);
/* cpw_is_helper - 1 if the path names a kurier login helper (basename kurier-checkpw*) */
int cpw_is_helper(const char *path);
/* cpw_limits_parse - apply "name value" lines (each NUL-terminated) in x[0..n); 1 ok, 0 bad (*why) */
int cpw_limits_parse(struct cpw_limits *l, const char *x, size_t n, const char **why);
/* cpw_limits_default - the built-in limits */
void cpw_limits_default(struct cpw_limits *l);
/* cpw_throttle_delay - ms to add after count failures under limits l */
unsigned long long cpw_throttle_delay(const struct cpw_limits *l, unsigned long long count);
/* cpw_bucket - the throttle bucket (0..CPW_BUCKETS-1) of an address; IPv6 by its /64 */
unsigned cpw_bucket(const char *ip);
/* cpw_ct_equal - 1 if a[0..an) equals b[0..bn), in time that depends only on the lengths */
int cpw_ct_equal(const char *a, size_t an, const char *b, size_t bn);
/* cpw_unhex - 2n hex digits into n bytes; 1 ok, 0 not hex */
int cpw_unhex(const char *h, size_t hn, unsigned char *out, size_t n);

/* cpw_start - set up from argv, the environment and fd 3; exits 2 or 111 on failure */
void cpw_start(struct cpw *c, int argc, char **argv, const char *name);
/* cpw_home_path - conf-home + rel into out, NUL-terminated; exits 111 without memory */
void cpw_home_path(struct cpw *c, struct str *out, const char *rel);
/* cpw_pass - hand the request to the next helper; returns only when there is none */
void cpw_pass(struct cpw *c);
/* cpw_has_next - 1 if there is a next helper to hand unknown users to */
int cpw_has_next(const struct cpw *c);
/* cpw_minuid - the lowest uid a system account may have (control/minuid, KURIER_MINUID) */
unsigned long long cpw_minuid(struct cpw *c);
/* cpw_throttle - wait for this address's turn before a verification; exits 111 when too busy */
void cpw_throttle(struct cpw *c);
/* cpw_slot_get - take one of the hashing slots, waiting if all are busy; exits 111 on timeout */
void cpw_slot_get(struct cpw *c);
/* cpw_slot_put - give the slot back */
void cpw_slot_put(struct cpw *c);
/* cpw_crypt_verify - 1 if crypt(3) of pw with the stored hash gives that hash; 0 otherwise */
int cpw_crypt_verify(const char *hash, const char *pw);
/* cpw_crypt_dummy - one crypt(3) with the system's default method, for unknown users */
void cpw_crypt_dummy(const char *pw);
/* cpw_reject - record the failure, log why, wait, wipe, exit 1 */
void cpw_reject(struct cpw *c, const char *why) __attribute__((noreturn));
/* cpw_temp - log, wipe, exit 111 */
void cpw_temp(struct cpw *c, const char *what, int e) __attribute__((noreturn));
/* cpw_login - record the success, become the account, set the environment, exec the program */
void cpw_login(struct cpw *c, const struct cpw_account *a) __attribute__((noreturn));
/* cpw_wipe - zero the request bytes */
void cpw_wipe(struct cpw *c);

#endif
