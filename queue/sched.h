/*
 * sched - the pure parts of kurier-send's scheduling, apart from any I/O
 * so a unit test can check them on plain values: the retry schedule,
 * address rewriting, the status code a bounce reports, and the parser
 * for the spawners' replies.
 */
#ifndef KURIER_QUEUE_SCHED_H
#define KURIER_QUEUE_SCHED_H

#include <stddef.h>
#include "str.h"

/* retry quanta (qmail's): the n-th retry comes (n * Q)^2 seconds after the
 * message arrived, so local retries at 100 s, 400 s, 900 s ... and remote
 * ones at 400 s, 1600 s, 3600 s ...; about 58 local and 29 remote attempts
 * fit into the default queue lifetime of 7 days */
#define SCHED_QUANTUM_LOCAL 10
#define SCHED_QUANTUM_REMOTE 20

/* sched_next - the first retry time after now for a message born at birth */
long long sched_next(long long birth, long long now, long long quantum);

/*
 * sched_rewrite - rewrite address a[0..n) into out as kurier-send stores
 * it: no "@" gets "@" defaulthost; a domain without a dot gets "."
 * defaultdomain; one trailing dot of the domain is dropped; the domain
 * is lower-cased.  The empty address (<postmaster> without a domain, or
 * a null recipient) stays empty.  1 ok, 0 no memory.
 */
int sched_rewrite(struct str *out, const char *a, size_t n,
		  const char *defaulthost, const char *defaultdomain);

/* sched_domain - the domain part (after the last "@") of a[0..n); its start, *dl its length */
const char *sched_domain(const char *a, size_t n, size_t *dl);

/*
 * sched_status - the RFC 3463 status code for a bounce: the "x.y.z" that
 * starts text (after the spawner's result letter and any SMTP reply code
 * and spaces), else 5.0.0 for a permanent failure or 4.0.0 for a
 * temporary one; written NUL-terminated into out (at most 16 bytes)
 */
void sched_status(char out[16], const char *text, size_t n, int permanent);

/*
 * sched_reply - parse one spawner reply at the start of x[0..n):
 * "SLOT\0" then result fields, then an empty field.  On success returns
 * the bytes used, with *slot and the fields' start in *fields, their
 * count in *nfields (fields are NUL-terminated inside x).  Returns 0 when
 * more bytes are needed, -1 when the bytes cannot be a reply (a bad slot,
 * a field not starting with K, Z or D, a field over SCHED_FIELD_MAX).
 */
#define SCHED_FIELD_MAX 1001	/* the result letter and at most 1000 bytes of text */
long sched_reply(const char *x, size_t n, unsigned long long *slot,
		 size_t *fields, size_t *nfields);

#endif
