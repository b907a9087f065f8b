/*
 * maildir - Maildir and Maildir++ storage: unique names, safe delivery,
 * folders and maildirsize quotas.  No delivery policy lives here (who
 * may write where, what a failure means to the sender): the local
 * delivery agent, kurier-maildir, maildirmake and the IMAP and POP3
 * servers all link this module.
 *
 * Names follow Courier: time.MusecPpidVdevIino.host,S=size, with '/'
 * and ':' in the host written as \057 and \072.  Delivery creates
 * tmp/NAME with O_CREAT|O_EXCL|O_NOFOLLOW below a tmp/ opened with
 * O_NOFOLLOW, writes, fsyncs, links into new/, unlinks the tmp/ entry
 * and fsyncs new/.  Functions return 1 on success and -1 with errno set
 * unless they say otherwise.
 */
#ifndef KURIER_MAILDIR_H
#define KURIER_MAILDIR_H

#include <stddef.h>
#include <sys/types.h>
#include "str.h"

/* Maildir++: rebuild maildirsize once it grows past this many bytes */
#define MAILDIR_SIZEFILE_MAX 5120
/* Maildir++: an over-quota maildirsize older than this is recounted */
#define MAILDIR_SIZEFILE_STALE (15 * 60)
/* how many fresh names a delivery tries when tmp/ already holds one */
#define MAILDIR_TMP_TRIES 8
/* the longest folder name maildirmake and the servers accept; a
 * directory entry is at most 255 bytes and the name gets a leading dot */
#define MAILDIR_FOLDER_MAX 250

/* the quota of a Maildir++ mailbox; 0 in a field means no limit */
struct maildir_quota {
	unsigned long long bytes;	/* the S part */
	unsigned long long count;	/* the C part */
};

/* the parts of a unique name */
struct maildir_id {
	unsigned long long sec, usec, pid, dev, ino, size;
	const char *host;
};

/* a message being delivered: tmp/ entry open for writing */
struct maildir_tmp {
	int dirfd;		/* the maildir */
	int tmpfd;		/* its tmp/ */
	int fd;			/* the file in tmp/ */
	struct str tmpname;	/* its name in tmp/ */
	struct str name;	/* the final unique name, set by maildir_commit */
	unsigned long long size;	/* bytes written so far */
};

/* maildir_name - the unique name for id into out; 1 ok, 0 no memory */
int maildir_name(struct str *out, const struct maildir_id *id);
/* maildir_name_size - the S= size in a file name; 1 found, 0 none */
int maildir_name_size(const char *name, unsigned long long *size);
/* maildir_host - this host's name for unique names (cached); never NULL */
const char *maildir_host(void);

/* maildir_quota_parse - "NNNS,NNNC" (either part optional) into q; 1 ok, 0 malformed */
int maildir_quota_parse(const char *s, size_t n, struct maildir_quota *q);
/* maildir_quota_fmt - q as "NNNS,NNNC" into out; 1 ok, 0 no memory */
int maildir_quota_fmt(struct str *out, const struct maildir_quota *q);
/*
 * maildir_size_parse - the maildirsize text s[0..n): quota from line 1
 * into q, sums of the later lines into *bytes and *count (never below
 * 0); 1 ok, 0 malformed (a bad line or a line 1 that is no quota)
 */
int maildir_size_parse(const char *s, size_t n, struct maildir_quota *q,
    long long *bytes, long long *count);

/* maildir_make - create dir with tmp/ new/ cur/ (mode 0700); 1 ok (also when present), -1 error */
int maildir_make(const char *dir);
/* maildir_folder_ok - 1 if name is an acceptable folder name ("A" or "A.B") */
int maildir_folder_ok(const char *name);
/* maildir_folder_make - create dir/.name as a Maildir++ folder with maildirfolder; 1 ok, -1 error */
int maildir_folder_make(const char *dir, const char *name);

/* maildir_tmp_open - start a delivery into dir; 1 ok, -1 error */
int maildir_tmp_open(struct maildir_tmp *t, const char *dir);
/* maildir_tmp_write - append n bytes to the tmp/ file; 1 ok, -1 error */
int maildir_tmp_write(struct maildir_tmp *t, const char *x, size_t n);
/* maildir_tmp_copy - append everything readable from fd; 1 ok, -1 error (errno; EIO for read errors is kept) */
int maildir_tmp_copy(struct maildir_tmp *t, int fd);
/* maildir_commit - fsync, link into new/ under the unique name, unlink tmp/, fsync new/; 1 ok, -1 error (tmp/ cleaned) */
int maildir_commit(struct maildir_tmp *t);
/* maildir_abort - remove the tmp/ file and close everything */
void maildir_abort(struct maildir_tmp *t);

/*
 * maildir_quota_check - would adding bytes/count put dir over quota?
 * q is the quota to apply, or NULL for the one maildirsize names.
 * Rebuilds maildirsize when it is missing (and a quota applies),
 * longer than MAILDIR_SIZEFILE_MAX, names another quota, or is over
 * quota and older than MAILDIR_SIZEFILE_STALE.  Returns 1 over quota,
 * 0 not over (or no quota), -1 error.
 */
int maildir_quota_check(const char *dir, const struct maildir_quota *q,
    unsigned long long bytes, unsigned long long count);
/* maildir_quota_add - record bytes/count in maildirsize if it exists; 1 ok, -1 error */
int maildir_quota_add(const char *dir, long long bytes, long long count);
/* maildir_quota_recalc - count dir (all folders but .Trash) and rewrite maildirsize for q; 1 ok, -1 error */
int maildir_quota_recalc(const char *dir, const struct maildir_quota *q,
    long long *bytes, long long *count);

#endif
