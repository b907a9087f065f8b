/*
 * userdb-src - read a userdb source: one file, or a directory whose files
 * are read in name order.  Every file and the directory must be private:
 * a source readable or writable by group or others is refused, since it
 * holds password hashes.  Used by makeuserdb and userdb.
 */
#ifndef KURIER_USERDB_SRC_H
#define KURIER_USERDB_SRC_H

#include <stddef.h>
#include <sys/types.h>
#include "str.h"

/* a source file is read whole; 1 GiB is far above a million accounts */
#define UDB_SRC_FILE_MAX (1024UL * 1024 * 1024)
/* files in a source directory */
#define UDB_SRC_FILES_MAX 10000

struct udb_src {
	char **files;	/* paths to read, in order */
	size_t n;
	int isdir;	/* the source is a directory */
};

/* udb_src_private - 1 if mode lets neither group nor others read or write */
int udb_src_private(mode_t mode);
/* udb_src_skip - 1 if a directory entry name is a dot file or an editor leftover */
int udb_src_skip(const char *name);
/* udb_src_list - the files of source path; 1 ok, 0 refused (*why, path in bad), -1 system error (path in bad, errno) */
int udb_src_list(const char *path, struct udb_src *s, struct str *bad, const char **why);
/* udb_src_load - read one private regular file whole into data; 1 ok, 0 refused (*why), -1 system error */
int udb_src_load(const char *file, struct str *data, const char **why);
/* udb_src_map - map one private regular file read-only; 1 ok (*p, *n; *p is 0 when empty), 0 refused (*why), -1 system error */
int udb_src_map(const char *file, const char **p, size_t *n, const char **why);
/* udb_src_unmap - release a mapping from udb_src_map */
void udb_src_unmap(const char *p, size_t n);
/* udb_src_free - release the list */
void udb_src_free(struct udb_src *s);

#endif
