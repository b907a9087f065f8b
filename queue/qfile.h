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
