/*
 * qfile - reading the queue tree (queue(5)) for the administration tools
 * kurier-qstat, kurier-qread and kurier-qmsg: walking the split
 * directories and reading small queue files whole.  Nothing here writes.
 */
#ifndef KURIER_QUEUE_QFILE_H
#define KURIER_QUEUE_QFILE_H

#include "str.h"

/* the largest queue file read whole: an envelope of ENV_RCPT_MAX
 * recipients of ENV_ADDR_MAX bytes, and then some */
#define QFILE_MAX (64u * 1024 * 1024)

/*
 * The pool of spare queue inodes (queue(5)): kurier-clean parks the
 * emptied files of finished messages as pool/INODE, kurier-queue renames
 * one into place instead of creating a file.  Creating an inode soon
 * after many were freed is slow on ext4 (it scans for recently deleted
 * inodes), so reusing them pays.  QFILE_POOL_MAX bounds the pool: two
 * files a message, for bursts of up to 64 messages finished before new
 * ones arrive; beyond it kurier-clean unlinks as before.  It is small
 * on purpose: kurier-queue reads pool/ for every run (with -s, for every
 * session, and again whenever the names it read are used up), and 128 names
 * of up to 10 digits (32-bit inode numbers) fit in one 4 KiB directory
 * block, which ext4 reads and hashes whole on each read of the directory.
 */
#define QFILE_POOL "pool"
#define QFILE_POOL_MAX 128

/* The two system calls the pool needs, called directly: musl (which
 * kurier-queue may be built with) has no wrapper for either. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1	/* linux/fs.h */
#endif
/* one getdents64(2) record */
struct qfile_dirent {
	unsigned long long ino;
	long long off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};
/* qfile_rename_new - rename from to to unless to exists (renameat2
 * RENAME_NOREPLACE); 0 ok, -1 error (errno; EEXIST: to exists) */
static inline int qfile_rename_new(const char *from, const char *to)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}
/* qfile_getdents - getdents64(2) on fd into buf; bytes, 0 at the end, -1 error */
static inline long qfile_getdents(int fd, void *buf, unsigned long n)
{
	return syscall(SYS_getdents64, fd, buf, n);
}

/* qfile_chdir - chdir to conf-home/queue; 1 ok, -1 error (errno) */
int qfile_chdir(void);
/*
 * qfile_ids - the ids (decimal names) in every split subdirectory of dir
 * ("mess", "todo"), appended to *ids (grown with realloc), sorted;
 * how many, or -1 on error (errno)
 */
long qfile_ids(const char *dir, unsigned long long **ids);
/* qfile_path - "dir/S/id" into out; 1 ok, 0 no memory */
int qfile_path(struct str *out, const char *dir, unsigned long long id);
/* qfile_read - the whole file path into out; 1 read, 0 missing, -1 error */
int qfile_read(const char *path, struct str *out);
/* qfile_id - parse a queue id given by a user ("123" or "#123"); 1 ok, 0 bad */
int qfile_id(const char *s, unsigned long long *id);

#endif
