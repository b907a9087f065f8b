/*
 * cdbx - cdb files through tinycdb's libcdb: lookups, and atomic writes.
 * A lookup opens the file afresh each time, so a daemon sees a rebuilt
 * cdb at once without restarting.  A write goes to NAME.tmp, is fsynced,
 * renamed over NAME, and the directory is fsynced: readers see the old
 * file or the new one, never a mixture, and a crash leaves one of them.
 */
#ifndef KURIER_CDBX_H
#define KURIER_CDBX_H

#include <stddef.h>
#include <sys/types.h>
#include <cdb.h>
#include "str.h"

/* cdbx_get - look key up in the cdb at path; 1 found (data in out), 0 not found or no file, -1 error */
int cdbx_get(const char *path, const char *key, size_t klen, struct str *out);

struct cdbx_make {
	struct cdb_make cm;
	int fd;
	struct str tmp;		/* NAME.tmp */
	struct str final;	/* NAME */
};

/* cdbx_make_start - create path.tmp with mode; 1 ok, -1 error */
int cdbx_make_start(struct cdbx_make *m, const char *path, mode_t mode);
/* cdbx_make_add - add one record; 1 ok, -1 error */
int cdbx_make_add(struct cdbx_make *m, const char *k, size_t kl, const char *d, size_t dl);
/* cdbx_make_finish - finish, fsync, rename into place, fsync the directory; 1 ok, -1 error (temp file removed) */
int cdbx_make_finish(struct cdbx_make *m);
/* cdbx_make_abort - remove the temporary file */
void cdbx_make_abort(struct cdbx_make *m);

/* fsync_dir - fsync the directory that holds path; 1 ok, -1 error */
int fsync_dir(const char *path);

#endif
