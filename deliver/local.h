/*
 * local - the local delivery agent's engine, shared by kurier-lspawn's
 * delivery children, kurier-local and kurier-route: become the
 * recipient, find the delivery instructions, and follow them (maildir,
 * mbox, forward through kurier-queue, program through /bin/sh -c).
 * Its verdicts are the spawn contract's letters: 'K' delivered, 'Z'
 * temporary failure, 'D' permanent failure, each with a short text.
 */
#ifndef KURIER_LOCAL_H
#define KURIER_LOCAL_H

#include <sys/types.h>
#include "resolve.h"
#include "str.h"

#define LOCAL_TEXT_MAX 1000	/* result text, the spawn contract's limit */
#define LOCAL_HEADER_SCAN (1024 * 1024)	/* header bytes searched for our Delivered-To */
#define LOCAL_LOCK_WAIT 30	/* seconds to wait for an mbox lock */
#define LOCAL_LOCK_STALE 300	/* a .lock file older than this is left over from a crash */
#define LOCAL_PROG_TIMEOUT 3600	/* seconds a delivery program may run (qmail has none) */
#define LOCAL_FORWARD_MAX 256	/* forward addresses in one delivery */

struct local_msg {
	int fd;			/* the message, seekable, opened before the drop */
	const char *sender;	/* the envelope sender, "" for the null sender */
	const char *recipient;	/* the envelope recipient as kurier-send gave it */
};

/* the default delivery given on kurier-lspawn's command line (kurier-start's
 * argument, qmail style); control/defaultdelivery wins over it; 0 for none */
extern const char *local_default_arg;

/* local_become - set groups, gid and uid (never 0); 1 ok, -1 error */
int local_become(uid_t uid, gid_t gid);
/* local_deliver - deliver m as resolved in r (already running as r's user); 'K', 'Z' or 'D' with text */
char local_deliver(const struct resolved *r, const struct local_msg *m, struct str *text);
/* local_plan - describe the delivery file and instructions r would follow into out; 1 ok, 0 no memory */
int local_plan(const struct resolved *r, struct str *out);
/* local_seekable - a seekable copy of fd (memfd) unless fd is a regular file; the fd, or -1 */
int local_seekable(int fd);

#endif
